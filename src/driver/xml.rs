//! Serde model of the parts of libvirt domain XML that Hangar shows or edits.
