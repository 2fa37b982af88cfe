//! Why a connection URI (or the form that builds one) is not usable, in words for the user.

use std::fmt;

use crate::i18n::{gettext, gettext_f};

/// The part of a connection that contains a space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UriPart {
    Uri,
    User,
    Host,
}

/// Why a URI cannot be used. `Display` gives the translated sentence shown under the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UriError {
    /// Nothing was entered.
    Empty,
    /// White space in the URI or one of its fields.
    ContainsSpaces(UriPart),
    /// A character that has no place in a URI (non-ASCII, `#`, a control character…).
    UnexpectedCharacter(char),
    /// No `driver://` at the start.
    MissingSeparator,
    /// The scheme names no libvirt driver.
    UnknownDriver(String),
    /// The part after `+` names no libvirt transport.
    UnknownTransport(String),
    /// The driver cannot be reached over that transport (`esx+ssh`, a session over TLS…).
    TransportNotSupported {
        hypervisor: String,
        transport: String,
    },
    /// A remote transport or a remote-only driver without a host.
    MissingHost,
    /// A host name with characters no host name has.
    BadHost(String),
    /// `host:port` typed into the host field.
    HostWithPort,
    /// An IPv6 address without the brackets a URI needs around it.
    UnbracketedIpv6,
    /// The port is not a number from 1 to 65535.
    BadPort(String),
    /// A user name that cannot be written into a URI.
    BadUser(String),
    /// `user@` without a host.
    UserWithoutHost,
    /// `:port` without a host.
    PortWithoutHost,
    /// A `%` not followed by two hexadecimal digits.
    BadEscape(String),
    /// A QEMU URI whose path is not `/system`, `/session` or `/embed`.
    QemuPath(String),
    /// A VirtualBox URI whose path is not `/session`.
    VirtualBoxPath(String),
    /// A test driver URI whose path is neither `/default` nor an absolute file path.
    TestPath(String),
    /// A query parameter that is not `name=value`.
    BadParameter(String),
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            UriError::Empty => gettext("Enter a connection URI"),
            UriError::ContainsSpaces(UriPart::Uri) => gettext("A URI cannot contain spaces"),
            UriError::ContainsSpaces(UriPart::User) => gettext("A user name cannot contain spaces"),
            UriError::ContainsSpaces(UriPart::Host) => gettext("A host name cannot contain spaces"),
            UriError::UnexpectedCharacter(c) => gettext_f(
                "A URI cannot contain the character “{character}”",
                &[("character", &c.to_string())],
            ),
            UriError::MissingSeparator => {
                gettext("A URI starts with a driver name followed by “://”, as in qemu:///system")
            }
            UriError::UnknownDriver(driver) => gettext_f(
                "“{driver}” is not a hypervisor driver libvirt knows",
                &[("driver", driver)],
            ),
            UriError::UnknownTransport(transport) => gettext_f(
                "“{transport}” is not a transport libvirt knows; use ssh, tls, tcp, libssh2, libssh, unix or ext",
                &[("transport", transport)],
            ),
            UriError::TransportNotSupported {
                hypervisor,
                transport,
            } => gettext_f(
                "{hypervisor} connections cannot use the transport {transport}",
                &[("hypervisor", hypervisor), ("transport", transport)],
            ),
            UriError::MissingHost => gettext("A remote connection needs a host name"),
            UriError::BadHost(host) => gettext_f(
                "“{host}” is not a valid host name or IP address",
                &[("host", host)],
            ),
            UriError::HostWithPort => {
                gettext("Enter the port in the Port field, not after the host name")
            }
            UriError::UnbracketedIpv6 => {
                gettext("Write an IPv6 address in brackets, as in [2001:db8::1]")
            }
            UriError::BadPort(port) => gettext_f(
                "“{port}” is not a port number from 1 to 65535",
                &[("port", port)],
            ),
            UriError::BadUser(user) => {
                gettext_f("“{user}” is not a valid user name", &[("user", user)])
            }
            UriError::UserWithoutHost => gettext("A user name needs a host name too"),
            UriError::PortWithoutHost => gettext("A port needs a host name too"),
            UriError::BadEscape(escape) => gettext_f(
                "“{escape}” is not a valid percent escape; write a literal % as %25",
                &[("escape", escape)],
            ),
            UriError::QemuPath(path) if path.is_empty() => {
                gettext("QEMU/KVM connections need the path /system or /session")
            }
            UriError::QemuPath(path) => gettext_f(
                "QEMU/KVM connections need the path /system or /session, not “{path}”",
                &[("path", path)],
            ),
            UriError::VirtualBoxPath(path) if path.is_empty() => {
                gettext("VirtualBox connections need the path /session")
            }
            UriError::VirtualBoxPath(path) => gettext_f(
                "VirtualBox connections need the path /session, not “{path}”",
                &[("path", path)],
            ),
            UriError::TestPath(path) if path.is_empty() => gettext(
                "The test driver needs the path /default or the absolute path of a host XML file",
            ),
            UriError::TestPath(path) => gettext_f(
                "The test driver needs the path /default or the absolute path of a host XML file, not “{path}”",
                &[("path", path)],
            ),
            UriError::BadParameter(parameter) => gettext_f(
                "“{parameter}” is not a URI parameter of the form name=value",
                &[("parameter", parameter)],
            ),
        };
        f.write_str(&text)
    }
}

impl std::error::Error for UriError {}
