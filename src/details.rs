//! The decisions behind the VM details pages, GTK-free so they are tested without a display:
//! what the overview says, which hardware entries a domain has and their property rows, the
//! memory/vCPU change plan ("now" vs "at next boot"), the boot-order editor, the XML editor's
//! apply, device removal and "delete with storage" with shared-disk detection.
//!
//! Every change is planned first — checked completely before the first libvirt call — and then
//! carried out by the async functions in [`apply`] through the driver's [`Connection`]
//! (never on the GTK thread). A plan that libvirt rejects half-way is rolled back.
//!
//! ```
//! use hangar::details::hardware::{HardwareId, hardware_entries};
//! use hangar::driver::xml::DomainXml;
//! let xml = "<domain type='kvm'><name>vm</name><devices><disk device='disk'>\
//!            <target dev='vda'/></disk><mystery/></devices></domain>";
//! let entries = hardware_entries(&DomainXml::parse(xml)?);
//! assert_eq!(entries[0].id, HardwareId::Cpus);
//! assert!(entries.iter().any(|entry| entry.label == "mystery"));
//! # Ok::<(), hangar::driver::xml::XmlError>(())
//! ```
//!
//! [`Connection`]: crate::driver::Connection

pub mod apply;
pub mod boot;
pub mod definition;
pub mod delete;
pub mod hardware;
pub mod overview;
pub mod removal;
pub mod resources;
pub mod xml_editor;

pub use apply::ApplyError;
pub use definition::Definition;
