//! A domain's persistent definition as the details pages read and edit it: the inactive XML
//! with secrets when the connection may read them, parsed once into both XML views.

use crate::driver::xml::{DomainXml, XmlDocument, XmlError};
use crate::driver::{Connection, DriverError, XmlFlags};
use crate::model::DomainUuid;

/// The inactive (persistent) definition of a domain; for a transient domain, its live one.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    /// The XML exactly as libvirt returned it.
    pub xml: String,
    /// Whether `xml` includes security-sensitive data (graphics passwords). Only a secure
    /// definition may be edited and defined back: one without would silently drop passwords.
    pub secure: bool,
    pub document: XmlDocument,
    pub domain: DomainXml,
}

impl Definition {
    /// Parses XML that libvirt returned (with or without `VIR_DOMAIN_XML_SECURE`).
    pub fn parse(xml: String, secure: bool) -> Result<Definition, XmlError> {
        let document = XmlDocument::parse(&xml)?;
        let domain = DomainXml::from_document(&document)?;
        Ok(Definition {
            xml,
            secure,
            document,
            domain,
        })
    }

    /// Reads the definition through the driver: with secrets first, and without them when the
    /// connection is not allowed to read them (a read-only connection, or a policy that
    /// denies `read-secure`).
    pub async fn load(connection: &Connection, uuid: DomainUuid) -> Result<Definition, LoadError> {
        let secure = XmlFlags {
            inactive: true,
            secure: true,
        };
        let (xml, secure) = match connection.domain_xml(uuid, secure).await {
            Ok(xml) => (xml, true),
            Err(error) if is_denied(&error) => {
                let plain = XmlFlags {
                    inactive: true,
                    secure: false,
                };
                (connection.domain_xml(uuid, plain).await?, false)
            }
            Err(error) => return Err(error.into()),
        };
        Ok(Definition::parse(xml, secure)?)
    }
}

/// Why a definition could not be read.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Driver(#[from] DriverError),
    /// Libvirt returned XML the model cannot read (never expected; shown, not hidden).
    #[error("{0}")]
    Xml(#[from] XmlError),
}

/// Whether libvirt refused an operation for lack of permission (as opposed to failing).
pub fn is_denied(error: &DriverError) -> bool {
    matches!(
        error.libvirt_code().map(|code| code as u32),
        Some(virt::sys::VIR_ERR_OPERATION_DENIED | virt::sys::VIR_ERR_ACCESS_DENIED)
    )
}
