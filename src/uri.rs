//! Libvirt connection URIs: built from the Add Connection form, checked when typed by hand,
//! read back into the form for editing, and named briefly before the host tells its name.
//!
//! GTK-free so that every rule is unit-tested; the dialog in `ui/add_connection.rs` only shows
//! what [`build`] returns.

mod error;
mod parse;
#[cfg(test)]
mod tests;

use std::net::Ipv6Addr;

pub use error::{UriError, UriPart};
pub use parse::{ParsedUri, validate};

use crate::i18n::{gettext, gettext_f};

/// The hypervisors the Add Connection form offers, in the order it lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Hypervisor {
    /// `qemu:///system`: the machine-wide QEMU/KVM daemon.
    #[default]
    QemuSystem,
    /// `qemu:///session`: the user's own, unprivileged QEMU.
    QemuSession,
    Xen,
    Lxc,
    /// VMware ESX/ESXi, over its own HTTPS API (`esx://`).
    Esx,
    /// Microsoft Hyper-V, over WS-Management (`hyperv://`).
    HyperV,
    VirtualBox,
    /// libvirt's built-in test driver (`test:///default`).
    Test,
    /// Any URI, typed by hand.
    Custom,
}

impl Hypervisor {
    /// Every entry, in menu order.
    pub const ALL: [Hypervisor; 9] = [
        Hypervisor::QemuSystem,
        Hypervisor::QemuSession,
        Hypervisor::Xen,
        Hypervisor::Lxc,
        Hypervisor::Esx,
        Hypervisor::HyperV,
        Hypervisor::VirtualBox,
        Hypervisor::Test,
        Hypervisor::Custom,
    ];

    /// The name shown in the hypervisor list.
    pub fn label(self) -> String {
        match self {
            Hypervisor::QemuSystem => gettext("QEMU/KVM"),
            Hypervisor::QemuSession => gettext("QEMU/KVM user session"),
            Hypervisor::Xen => gettext("Xen"),
            Hypervisor::Lxc => gettext("LXC (Linux containers)"),
            Hypervisor::Esx => gettext("VMware ESX"),
            Hypervisor::HyperV => gettext("Microsoft Hyper-V"),
            Hypervisor::VirtualBox => gettext("VirtualBox"),
            Hypervisor::Test => gettext("Libvirt test driver"),
            Hypervisor::Custom => gettext("Custom URI"),
        }
    }

    /// The transports this hypervisor can be reached over; the first is the default.
    pub fn transports(self) -> &'static [Transport] {
        use Transport::*;
        match self {
            Hypervisor::QemuSystem | Hypervisor::Xen | Hypervisor::Lxc => &[Local, Ssh, Tls, Tcp],
            // A session daemon belongs to one user and listens on no network socket.
            Hypervisor::QemuSession | Hypervisor::VirtualBox => &[Local, Ssh],
            Hypervisor::Esx | Hypervisor::HyperV => &[Https],
            Hypervisor::Test => &[Local],
            Hypervisor::Custom => &[],
        }
    }

    /// Whether the server certificate check can be switched off (`?no_verify=1`).
    pub fn has_certificate_check(self) -> bool {
        matches!(self, Hypervisor::Esx | Hypervisor::HyperV)
    }

    /// Scheme and path of the URI (the custom entry has neither).
    fn scheme_and_path(self) -> (&'static str, &'static str) {
        match self {
            Hypervisor::QemuSystem => ("qemu", "/system"),
            Hypervisor::QemuSession => ("qemu", "/session"),
            // The paths virt-manager writes, so connections carried over from it match.
            Hypervisor::Xen => ("xen", "/"),
            Hypervisor::Lxc => ("lxc", "/"),
            Hypervisor::Esx => ("esx", "/"),
            Hypervisor::HyperV => ("hyperv", "/"),
            Hypervisor::VirtualBox => ("vbox", "/session"),
            Hypervisor::Test => ("test", "/default"),
            Hypervisor::Custom => ("", ""),
        }
    }
}

/// How libvirt reaches the hypervisor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Transport {
    /// The daemon on this machine, over its UNIX socket.
    #[default]
    Local,
    /// A tunnel through `ssh` to the remote daemon's UNIX socket.
    Ssh,
    /// libvirt's TLS socket (port 16514), with x509 certificates.
    Tls,
    /// libvirt's plain TCP socket (port 16509), usually with SASL.
    Tcp,
    /// The hypervisor's own HTTPS API (ESX, Hyper-V); there is no libvirt daemon there.
    Https,
}

impl Transport {
    /// The name shown in the transport list.
    pub fn label(self) -> String {
        match self {
            Transport::Local => gettext("Local"),
            Transport::Ssh => gettext("SSH"),
            Transport::Tls => gettext("TLS"),
            Transport::Tcp => gettext("TCP (unencrypted)"),
            Transport::Https => gettext("HTTPS"),
        }
    }

    /// Whether this transport reaches another machine (and so needs a host name).
    pub fn is_remote(self) -> bool {
        self != Transport::Local
    }

    /// The port used when the form leaves it empty, shown as a hint.
    pub fn default_port(self, hypervisor: Hypervisor) -> Option<u16> {
        match self {
            Transport::Local => None,
            Transport::Ssh => Some(22),
            Transport::Tls => Some(16514),
            Transport::Tcp => Some(16509),
            Transport::Https if hypervisor == Hypervisor::HyperV => Some(5986),
            Transport::Https => Some(443),
        }
    }

    /// What follows the driver name in the scheme (`+ssh`); HTTPS drivers have none.
    fn scheme_suffix(self) -> &'static str {
        match self {
            Transport::Ssh => "+ssh",
            Transport::Tls => "+tls",
            Transport::Tcp => "+tcp",
            Transport::Local | Transport::Https => "",
        }
    }
}

/// What the Add Connection form holds; [`build`] turns it into a URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionForm {
    pub hypervisor: Hypervisor,
    pub transport: Transport,
    /// Optional; empty for the transport's default (ssh: your login name).
    pub user: String,
    /// Host name or address; required for remote transports, ignored for local ones.
    pub host: String,
    /// Empty for the transport's default port.
    pub port: String,
    /// ESX and Hyper-V only: check the server's certificate (off adds `?no_verify=1`).
    pub verify_certificate: bool,
    /// The hand-typed URI, used when `hypervisor` is [`Hypervisor::Custom`].
    pub custom_uri: String,
}

impl Default for ConnectionForm {
    fn default() -> Self {
        Self {
            hypervisor: Hypervisor::default(),
            transport: Transport::default(),
            user: String::new(),
            host: String::new(),
            port: String::new(),
            verify_certificate: true,
            custom_uri: String::new(),
        }
    }
}

impl ConnectionForm {
    /// The form that [`build`]s exactly `uri`, so editing a connection never changes its URI
    /// behind the user's back: anything the fields cannot express opens as a custom URI.
    pub fn from_uri(uri: &str) -> ConnectionForm {
        let custom = ConnectionForm {
            hypervisor: Hypervisor::Custom,
            custom_uri: uri.to_owned(),
            ..ConnectionForm::default()
        };
        let Ok(parsed) = validate(uri) else {
            return custom;
        };
        let Some(hypervisor) = Hypervisor::ALL.into_iter().find(|hypervisor| {
            let (scheme, path) = hypervisor.scheme_and_path();
            scheme == parsed.driver && path == parsed.path
        }) else {
            return custom;
        };
        let transport = match (parsed.transport.as_deref(), hypervisor) {
            (None, Hypervisor::Esx | Hypervisor::HyperV) => Transport::Https,
            (None, _) => Transport::Local,
            (Some("ssh"), _) => Transport::Ssh,
            (Some("tls"), _) => Transport::Tls,
            (Some("tcp"), _) => Transport::Tcp,
            (Some(_), _) => return custom,
        };
        let form = ConnectionForm {
            hypervisor,
            transport,
            user: parsed.user.clone().unwrap_or_default(),
            host: parsed.host.clone().unwrap_or_default(),
            port: parsed.port.map(|port| port.to_string()).unwrap_or_default(),
            verify_certificate: parsed.param("no_verify") != Some("1"),
            custom_uri: String::new(),
        };
        match build(&form) {
            Ok(built) if built == uri => form,
            _ => custom,
        }
    }
}

/// The URI the form describes (`driver[+transport]://[user@][host][:port]/[path]`), or why it
/// cannot be built.
///
/// Surrounding blanks in the fields are ignored (they come from pasting); blanks inside are
/// an error. A local transport ignores user, host and port: the form hides them.
pub fn build(form: &ConnectionForm) -> Result<String, UriError> {
    let hypervisor = form.hypervisor;
    if hypervisor == Hypervisor::Custom {
        let uri = form.custom_uri.trim();
        validate(uri)?;
        return Ok(uri.to_owned());
    }
    let transport = form.transport;
    if !hypervisor.transports().contains(&transport) {
        return Err(UriError::TransportNotSupported {
            hypervisor: hypervisor.label(),
            transport: transport.label(),
        });
    }
    let (scheme, path) = hypervisor.scheme_and_path();
    if !transport.is_remote() {
        return Ok(format!("{scheme}://{path}"));
    }

    let user = form.user.trim();
    let host = form.host.trim();
    let port = form.port.trim();
    if host.is_empty() {
        return Err(if user.is_empty() {
            UriError::MissingHost
        } else {
            UriError::UserWithoutHost
        });
    }
    if user.contains(char::is_whitespace) {
        return Err(UriError::ContainsSpaces(UriPart::User));
    }
    let mut uri = format!("{scheme}{}://", transport.scheme_suffix());
    if !user.is_empty() {
        uri.push_str(&encode_user(user));
        uri.push('@');
    }
    uri.push_str(&host_for_uri(host)?);
    if !port.is_empty() {
        uri.push(':');
        uri.push_str(&parse::parse_port(port)?.to_string());
    }
    uri.push_str(path);
    if hypervisor.has_certificate_check() && !form.verify_certificate {
        uri.push_str("?no_verify=1");
    }
    // The pieces were checked one by one; the whole must pass the same check a typed URI does.
    validate(&uri)?;
    Ok(uri)
}

/// The host as written in a URI: IPv6 addresses in brackets, everything else checked as is.
fn host_for_uri(host: &str) -> Result<String, UriError> {
    if host.contains(char::is_whitespace) {
        return Err(UriError::ContainsSpaces(UriPart::Host));
    }
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return match inner.parse::<Ipv6Addr>() {
            Ok(_) => Ok(host.to_owned()),
            Err(_) => Err(UriError::BadHost(host.to_owned())),
        };
    }
    if host.parse::<Ipv6Addr>().is_ok() {
        return Ok(format!("[{host}]"));
    }
    if host.contains(':') {
        let (name, port) = host.rsplit_once(':').unwrap_or((host, ""));
        return Err(
            if parse::check_host_name(name).is_ok() && parse::parse_port(port).is_ok() {
                UriError::HostWithPort
            } else {
                UriError::BadHost(host.to_owned())
            },
        );
    }
    parse::check_host_name(host)?;
    Ok(host.to_owned())
}

/// Percent-encodes everything but RFC 3986's unreserved characters (`DOMAIN\user` for Hyper-V
/// becomes `DOMAIN%5Cuser`, which libvirt decodes again).
fn encode_user(user: &str) -> String {
    let mut encoded = String::with_capacity(user.len());
    for byte in user.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// A short label for a connection whose host has not told its name yet: the host part of a
/// remote URI, or the kind of local hypervisor ("QEMU/KVM", "QEMU/KVM user session"…). A URI
/// that does not parse is shown as it is.
pub fn display_name(uri: &str) -> String {
    let Ok(parsed) = validate(uri) else {
        return uri.to_owned();
    };
    let session = parsed.driver == "qemu" && parsed.path == "/session";
    if let Some(host) = &parsed.host {
        return if session {
            gettext_f("{host} (user session)", &[("host", host)])
        } else {
            host.clone()
        };
    }
    match parsed.driver.as_str() {
        "qemu" if session => Hypervisor::QemuSession.label(),
        "qemu" => Hypervisor::QemuSystem.label(),
        "xen" => Hypervisor::Xen.label(),
        "lxc" => gettext("LXC"),
        "vbox" => Hypervisor::VirtualBox.label(),
        "test" if parsed.path == "/default" => gettext("Test driver"),
        "test" => {
            let file = parsed.path.rsplit('/').next().unwrap_or(&parsed.path);
            gettext_f("Test driver ({file})", &[("file", file)])
        }
        _ => uri.to_owned(),
    }
}
