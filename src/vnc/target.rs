//! Where a console's display is and how to reach it: the [`ConsoleTarget`] a session opens,
//! and the planning that turns a libvirt connection URI plus the guest's live `<graphics>`
//! element into a route (a socket from `virDomainOpenGraphicsFD`, TCP, or an SSH tunnel).

use std::fmt;
use std::net::IpAddr;
use std::os::fd::OwnedFd;
use std::path::PathBuf;

use super::error::SessionError;
use super::ssh::SshMasterPool;
use super::transport::ConsoleIo;
use crate::driver::xml::devices::Graphics;
use crate::driver::xml::{DeviceKind, DomainXml};

/// How a session reaches the VNC server.
pub enum ConsoleTarget {
    /// A connected socket, e.g. from `virDomainOpenGraphicsFD` on a local libvirt connection.
    Fd(OwnedFd),
    /// A TCP connection to the graphics listen address and port.
    Tcp { host: String, port: u16 },
    /// Through the SSH master connection to `via`, forwarded to `host:port` as seen from there.
    Ssh {
        pool: SshMasterPool,
        via: SshDestination,
        host: String,
        port: u16,
    },
    /// Any other stream (tests, fuzzing, custom tunnels).
    Io(Box<dyn ConsoleIo>),
}

impl fmt::Debug for ConsoleTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConsoleTarget::Fd(fd) => f.debug_tuple("Fd").field(fd).finish(),
            ConsoleTarget::Tcp { host, port } => f
                .debug_struct("Tcp")
                .field("host", host)
                .field("port", port)
                .finish(),
            ConsoleTarget::Ssh {
                via, host, port, ..
            } => f
                .debug_struct("Ssh")
                .field("via", via)
                .field("host", host)
                .field("port", port)
                .finish(),
            ConsoleTarget::Io(_) => f.write_str("Io(..)"),
        }
    }
}

/// An SSH login: user, host and port as in the libvirt URI, plus the URI's `keyfile`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SshDestination {
    pub user: Option<String>,
    pub host: String,
    pub port: Option<u16>,
    pub identity: Option<PathBuf>,
}

impl fmt::Display for SshDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(user) = &self.user {
            write!(f, "{user}@")?;
        }
        f.write_str(&self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        Ok(())
    }
}

/// The parts of a libvirt URI (`driver[+transport]://[user@][host][:port]/path[?params]`)
/// the console needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibvirtUri {
    pub driver: String,
    pub transport: Option<String>,
    pub user: Option<String>,
    pub host: Option<String>,
    pub port: Option<u16>,
    pub path: String,
    pub params: Vec<(String, String)>,
}

impl LibvirtUri {
    /// Parses a libvirt connection URI.
    pub fn parse(uri: &str) -> Result<LibvirtUri, SessionError> {
        let invalid = |detail: &str| SessionError::InvalidUri {
            uri: uri.to_owned(),
            detail: detail.to_owned(),
        };
        let (scheme, rest) = uri
            .split_once("://")
            .ok_or_else(|| invalid("it has no “driver://” part"))?;
        let (driver, transport) = match scheme.split_once('+') {
            Some((driver, transport)) => (driver, Some(transport.to_ascii_lowercase())),
            None => (scheme, None),
        };
        if driver.is_empty() {
            return Err(invalid("the driver name is empty"));
        }
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, ""),
        };
        let (user, host_port) = match authority.rsplit_once('@') {
            Some((user, host_port)) => (Some(user.to_owned()), host_port),
            None => (None, authority),
        };
        let (host, port) =
            split_host_port(host_port).ok_or_else(|| invalid("the port is not a number"))?;
        let params = query
            .map(|query| {
                query
                    .split('&')
                    .filter(|pair| !pair.is_empty())
                    .map(|pair| match pair.split_once('=') {
                        Some((key, value)) => (key.to_owned(), value.to_owned()),
                        None => (pair.to_owned(), String::new()),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(LibvirtUri {
            driver: driver.to_owned(),
            transport,
            user: user.filter(|user| !user.is_empty()),
            host: (!host.is_empty()).then(|| host.to_owned()),
            port,
            path: path.to_owned(),
            params,
        })
    }

    /// True when libvirt talks to a daemon on this machine over its UNIX socket (the only case
    /// where `virDomainOpenGraphicsFD` can pass a socket back).
    pub fn is_local(&self) -> bool {
        self.host.is_none() && matches!(self.transport.as_deref(), None | Some("unix"))
    }

    /// The value of query parameter `key`.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }
}

fn split_host_port(text: &str) -> Option<(&str, Option<u16>)> {
    if let Some(inner) = text.strip_prefix('[') {
        let (host, after) = inner.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port.parse().ok()?))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Some((host, Some(port.parse().ok()?))),
        _ => Some((text, None)),
    }
}

/// Where a graphics device listens, from the live domain XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphicsListen {
    /// A TCP address (`0.0.0.0`, `::`, `127.0.0.1`, a host name…); `None` when unspecified.
    Address(Option<String>),
    /// A UNIX socket on the host.
    Socket(Option<String>),
    /// No listener at all: reachable only through `virDomainOpenGraphicsFD`.
    None,
}

/// One `<graphics>` element of the live domain XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphicsInfo {
    /// `vnc`, `spice`, `rdp`…
    pub kind: String,
    /// The TCP port while the guest runs; `None` (or libvirt's -1) otherwise.
    pub port: Option<u16>,
    pub listen: GraphicsListen,
    /// True when the XML shows a password (only with `VIR_DOMAIN_XML_SECURE`).
    pub has_password: bool,
}

impl GraphicsInfo {
    /// One `<graphics>` element as the driver's XML model read it. The first `<listen>` child
    /// decides where it listens (libvirt uses only that one); without children, the legacy
    /// `socket` or `listen` attribute does.
    pub fn from_model(graphics: &Graphics) -> GraphicsInfo {
        let listen = match graphics.listens.first() {
            Some(listen) => match listen.listen_type.as_deref() {
                Some("socket") => GraphicsListen::Socket(listen.socket.clone()),
                Some("none") => GraphicsListen::None,
                _ => GraphicsListen::Address(
                    listen
                        .address
                        .clone()
                        .or_else(|| graphics.listen_attribute.clone()),
                ),
            },
            None => match &graphics.socket {
                Some(socket) => GraphicsListen::Socket(Some(socket.clone())),
                None => GraphicsListen::Address(graphics.listen_attribute.clone()),
            },
        };
        GraphicsInfo {
            kind: graphics.graphics_type.clone().unwrap_or_default(),
            port: graphics
                .port
                .and_then(|port| u16::try_from(port).ok())
                .filter(|port| *port > 0),
            listen,
            has_password: graphics.has_password,
        }
    }

    /// All graphics devices of a parsed domain, in XML order (the order
    /// `virDomainOpenGraphicsFD`'s index counts).
    pub fn from_domain(domain: &DomainXml) -> Vec<GraphicsInfo> {
        domain
            .devices
            .iter()
            .filter_map(|device| match &device.kind {
                DeviceKind::Graphics(graphics) => Some(GraphicsInfo::from_model(graphics)),
                _ => None,
            })
            .collect()
    }

    /// All graphics devices of a domain's XML, in XML order.
    pub fn from_domain_xml(xml: &str) -> Result<Vec<GraphicsInfo>, SessionError> {
        let domain = DomainXml::parse(xml).map_err(|error| SessionError::Protocol {
            detail: format!("domain XML: {error}"),
        })?;
        Ok(GraphicsInfo::from_domain(&domain))
    }
}

/// How to reach a guest's VNC display from here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleRoute {
    /// Ask libvirt for a connected socket (`virDomainOpenGraphicsFD(graphics_index)`), then use
    /// [`ConsoleTarget::Fd`].
    LibvirtFd { graphics_index: u32 },
    /// Connect over TCP ([`ConsoleTarget::Tcp`]).
    Tcp { host: String, port: u16 },
    /// Tunnel through SSH ([`ConsoleTarget::Ssh`]).
    Ssh {
        via: SshDestination,
        host: String,
        port: u16,
    },
}

fn is_wildcard(address: &str) -> bool {
    address
        .parse::<IpAddr>()
        .map(|ip| ip.is_unspecified())
        .unwrap_or(false)
}

fn is_loopback(address: &str) -> bool {
    address.eq_ignore_ascii_case("localhost")
        || address
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}

/// Chooses how to reach the first VNC display of a guest, given the libvirt URI of its
/// connection and its live `<graphics>` elements.
pub fn plan_console_route(
    uri: &str,
    graphics: &[GraphicsInfo],
) -> Result<ConsoleRoute, SessionError> {
    let uri = LibvirtUri::parse(uri)?;
    let (index, vnc) = graphics
        .iter()
        .enumerate()
        .find(|(_, graphics)| graphics.kind == "vnc")
        .ok_or(SessionError::NoVncGraphics)?;
    if uri.is_local() {
        return Ok(ConsoleRoute::LibvirtFd {
            graphics_index: u32::try_from(index).unwrap_or(u32::MAX),
        });
    }
    let remote_host = uri.host.clone().unwrap_or_else(|| "localhost".to_owned());
    let listen = match &vnc.listen {
        GraphicsListen::Address(address) => address.clone(),
        GraphicsListen::Socket(_) | GraphicsListen::None => {
            return Err(SessionError::SocketOnRemoteHost { host: remote_host });
        }
    };
    let port = vnc.port.ok_or(SessionError::GraphicsNotActive)?;
    let specific = listen.filter(|address| !address.is_empty() && !is_wildcard(address));
    match uri.transport.as_deref() {
        Some("ssh" | "libssh" | "libssh2") => Ok(ConsoleRoute::Ssh {
            via: SshDestination {
                user: uri.user.clone(),
                host: remote_host,
                port: uri.port,
                identity: uri.param("keyfile").map(PathBuf::from),
            },
            // Seen from the remote host, its own loopback is fine.
            host: specific.unwrap_or_else(|| "localhost".to_owned()),
            port,
        }),
        _ => match specific {
            Some(address) if is_loopback(&address) && !is_loopback(&remote_host) => {
                Err(SessionError::LoopbackOnRemoteHost {
                    host: remote_host,
                    listen: address,
                })
            }
            Some(address) => Ok(ConsoleRoute::Tcp {
                host: address,
                port,
            }),
            None => Ok(ConsoleRoute::Tcp {
                host: remote_host,
                port,
            }),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIVE_XML: &str = r#"<domain type='qemu' id='4'>
  <name>web</name>
  <devices>
    <disk type='file'/>
    <graphics type='spice' port='5901' autoport='yes' listen='0.0.0.0'>
      <listen type='address' address='0.0.0.0'/>
    </graphics>
    <video><model type='vga'/></video>
    <graphics type='vnc' port='5900' autoport='yes' listen='127.0.0.1'>
      <listen type='address' address='127.0.0.1'/>
      <listen type='address' address='192.0.2.7'/>
    </graphics>
    <graphics type='vnc' socket='/run/vnc.sock'>
      <listen type='socket' socket='/run/vnc.sock'/>
    </graphics>
    <graphics type='vnc'><listen type='none'/></graphics>
    <graphics type='vnc' port='-1' autoport='yes'/>
  </devices>
</domain>"#;

    fn vnc_at(listen: Option<&str>, port: Option<u16>) -> Vec<GraphicsInfo> {
        vec![GraphicsInfo {
            kind: "vnc".into(),
            port,
            listen: GraphicsListen::Address(listen.map(str::to_owned)),
            has_password: false,
        }]
    }

    #[test]
    fn live_xml_gives_every_graphics_device_in_order() {
        let graphics = GraphicsInfo::from_domain_xml(LIVE_XML).unwrap();
        assert_eq!(graphics.len(), 5);
        assert_eq!(graphics[0].kind, "spice");
        assert_eq!(graphics[1].port, Some(5900));
        assert_eq!(
            graphics[1].listen,
            GraphicsListen::Address(Some("127.0.0.1".into()))
        );
        assert_eq!(
            graphics[2].listen,
            GraphicsListen::Socket(Some("/run/vnc.sock".into()))
        );
        assert_eq!(graphics[3].listen, GraphicsListen::None);
        assert_eq!(graphics[4].port, None);
        assert_eq!(graphics[4].listen, GraphicsListen::Address(None));
        assert_eq!(
            GraphicsInfo::from_domain_xml("<domain><name>x</name></domain>"),
            Ok(vec![])
        );
        assert!(GraphicsInfo::from_domain_xml("<domain></devices>").is_err());
    }

    #[test]
    fn uris_split_into_their_parts() {
        let uri =
            LibvirtUri::parse("qemu+ssh://admin@[2001:db8::1]:2222/system?keyfile=/k&no_tty=1")
                .unwrap();
        assert_eq!(uri.driver, "qemu");
        assert_eq!(uri.transport.as_deref(), Some("ssh"));
        assert_eq!(uri.user.as_deref(), Some("admin"));
        assert_eq!(uri.host.as_deref(), Some("2001:db8::1"));
        assert_eq!(uri.port, Some(2222));
        assert_eq!(uri.path, "/system");
        assert_eq!(uri.param("keyfile"), Some("/k"));
        assert!(LibvirtUri::parse("qemu:///system").unwrap().is_local());
        assert!(LibvirtUri::parse("qemu+unix:///system").unwrap().is_local());
        assert!(!LibvirtUri::parse("qemu+tls://h/system").unwrap().is_local());
        assert!(LibvirtUri::parse("no-scheme").is_err());
        assert!(LibvirtUri::parse("qemu+ssh://h:port/system").is_err());
    }

    #[test]
    fn local_connections_use_the_libvirt_socket() {
        let graphics = GraphicsInfo::from_domain_xml(LIVE_XML).unwrap();
        assert_eq!(
            plan_console_route("qemu:///system", &graphics).unwrap(),
            ConsoleRoute::LibvirtFd { graphics_index: 1 }
        );
    }

    #[test]
    fn remote_loopback_listen_is_explained_over_tcp_and_tunnelled_over_ssh() {
        let graphics = vnc_at(Some("127.0.0.1"), Some(5900));
        let error =
            plan_console_route("qemu+tls://kvm1.example.org/system", &graphics).unwrap_err();
        assert_eq!(
            error,
            SessionError::LoopbackOnRemoteHost {
                host: "kvm1.example.org".into(),
                listen: "127.0.0.1".into()
            }
        );
        // A "remote" URI that points at this machine may use its loopback.
        assert_eq!(
            plan_console_route("qemu+tcp://localhost/system", &graphics).unwrap(),
            ConsoleRoute::Tcp {
                host: "127.0.0.1".into(),
                port: 5900
            }
        );
        assert_eq!(
            plan_console_route("qemu+ssh://root@kvm1:2200/system?keyfile=/id", &graphics).unwrap(),
            ConsoleRoute::Ssh {
                via: SshDestination {
                    user: Some("root".into()),
                    host: "kvm1".into(),
                    port: Some(2200),
                    identity: Some("/id".into()),
                },
                host: "127.0.0.1".into(),
                port: 5900
            }
        );
    }

    #[test]
    fn wildcard_listen_connects_to_the_uri_host() {
        for listen in [Some("0.0.0.0"), Some("::"), None] {
            assert_eq!(
                plan_console_route("qemu+tls://kvm2/system", &vnc_at(listen, Some(5905))).unwrap(),
                ConsoleRoute::Tcp {
                    host: "kvm2".into(),
                    port: 5905
                }
            );
        }
        assert_eq!(
            plan_console_route(
                "qemu+tls://kvm2/system",
                &vnc_at(Some("192.0.2.9"), Some(5905))
            )
            .unwrap(),
            ConsoleRoute::Tcp {
                host: "192.0.2.9".into(),
                port: 5905
            }
        );
    }

    #[test]
    fn unreachable_displays_get_their_own_errors() {
        let graphics = GraphicsInfo::from_domain_xml(LIVE_XML).unwrap();
        let socket_only = vec![graphics[2].clone()];
        assert_eq!(
            plan_console_route("qemu+ssh://kvm3/system", &socket_only),
            Err(SessionError::SocketOnRemoteHost {
                host: "kvm3".into()
            })
        );
        let inactive = vec![graphics[4].clone()];
        assert_eq!(
            plan_console_route("qemu+tls://kvm3/system", &inactive),
            Err(SessionError::GraphicsNotActive)
        );
        let spice_only = vec![graphics[0].clone()];
        assert_eq!(
            plan_console_route("qemu:///system", &spice_only),
            Err(SessionError::NoVncGraphics)
        );
    }
}
