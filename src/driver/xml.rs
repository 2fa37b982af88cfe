//! Libvirt domain XML, in two views of the same text:
//!
//! - [`DomainXml`]: a typed, lenient read model of what Hangar shows (name, memory, vCPUs, OS
//!   and boot, lifecycle, and every device in document order, unknown ones included).
//! - [`XmlDocument`]: a lossless tree for edits (title, name, memory, vCPUs, boot order,
//!   device removal) that keeps everything the model does not know, byte for byte.
//!
//! ```
//! use hangar::driver::xml::{DomainXml, XmlDocument};
//! let xml = "<domain type='kvm'><name>vm</name><devices><disk device='disk'>\
//!            <target dev='vda'/></disk><mystery/></devices></domain>";
//! let domain = DomainXml::parse(xml)?;
//! let labels: Vec<String> = domain.devices.iter().map(|d| d.label()).collect();
//! assert_eq!(labels, ["Disk vda", "mystery"]);
//!
//! let document = XmlDocument::parse(xml)?;
//! let without_disk = document.edited(|doc| doc.remove_device(&domain.devices[0]))?;
//! assert!(!without_disk.contains("<disk"));
//! # Ok::<(), hangar::driver::xml::XmlError>(())
//! ```
//!
//! Parsing is bounded: at most [`tree::MAX_DEPTH`] levels and [`tree::MAX_DOCUMENT_BYTES`]
//! bytes, no entity expansion; every failure is an [`XmlError`] with a position.

pub mod devices;
pub mod edit;
pub mod error;
pub mod model;
pub mod storage;
pub mod text;
pub mod tree;
pub mod units;

pub use devices::{Device, DeviceKind};
pub use error::{Position, XmlError};
pub use model::{BootDevice, BootOrder, DomainXml, Firmware};
pub use storage::{DiskStorage, xml_uses_path};
pub use tree::{Attribute, Element, Node, XmlDocument};
