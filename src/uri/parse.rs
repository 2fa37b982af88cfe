//! Checking a typed libvirt URI (`driver[+transport]://[user@][host][:port]/[path][?params]`)
//! the way libvirt will read it, so the user learns what is wrong before connecting.

use std::net::Ipv6Addr;

use super::error::{UriError, UriPart};

/// Hypervisor drivers libvirt 9 accepts in a URI scheme (plus `remote`, the generic client).
const KNOWN_DRIVERS: &[&str] = &[
    "qemu",
    "xen",
    "lxc",
    "esx",
    "gsx",
    "vpx",
    "hyperv",
    "vbox",
    "test",
    "bhyve",
    "ch",
    "vz",
    "parallels",
    "openvz",
    "vmwareplayer",
    "vmwarews",
    "vmwarefusion",
    "remote",
];

/// Drivers that speak the hypervisor's own remote protocol (HTTPS): always a host, never a
/// `+transport`.
const HTTPS_DRIVERS: &[&str] = &["esx", "gsx", "vpx", "hyperv"];

/// Transports of libvirt's remote driver.
const KNOWN_TRANSPORTS: &[&str] = &["unix", "ssh", "libssh2", "libssh", "tls", "tcp", "ext"];

/// Transports that reach another machine, so they need its name.
const NETWORK_TRANSPORTS: &[&str] = &["ssh", "libssh2", "libssh", "tls", "tcp"];

/// A URI that passed [`validate`], split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedUri {
    /// The driver, lower-case: `qemu`, `esx`, `test`…
    pub driver: String,
    /// The transport after `+`, lower-case, if one is written.
    pub transport: Option<String>,
    /// The user name, percent-decoded.
    pub user: Option<String>,
    /// The host name or address (an IPv6 address without its brackets).
    pub host: Option<String>,
    pub port: Option<u16>,
    /// The path as written: `/system`, `/`, `` (none), `/default`…
    pub path: String,
    /// The query parameters in order, as written (`no_verify`, `1`).
    pub params: Vec<(String, String)>,
}

impl ParsedUri {
    /// Whether libvirt will contact a daemon on another machine.
    pub fn is_remote(&self) -> bool {
        self.host.is_some()
    }

    /// Whether libvirt runs the driver inside the calling process instead of asking a daemon:
    /// the test driver on this machine, and the drivers that speak the hypervisor's own HTTPS
    /// API. Everything else goes through libvirt's remote driver to a libvirtd.
    pub fn runs_in_process(&self) -> bool {
        self.transport.is_none()
            && (HTTPS_DRIVERS.contains(&self.driver.as_str())
                || (self.driver == "test" && self.host.is_none()))
    }

    /// The value of the first query parameter called `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Checks a libvirt connection URI and splits it into its parts.
///
/// It catches what libvirt itself would refuse (unknown driver or transport, a remote transport
/// without a host, a bad port, a QEMU path other than `/system` or `/session`…) and what is
/// surely a typing mistake (spaces, a user name without a host). The text is taken as it is:
/// callers trim pasted text themselves.
pub fn validate(uri: &str) -> Result<ParsedUri, UriError> {
    if uri.is_empty() {
        return Err(UriError::Empty);
    }
    if uri.chars().any(char::is_whitespace) {
        return Err(UriError::ContainsSpaces(UriPart::Uri));
    }
    if let Some(bad) = uri.chars().find(|c| {
        !c.is_ascii_graphic()
            || matches!(
                c,
                '#' | '"' | '<' | '>' | '\\' | '^' | '`' | '{' | '|' | '}'
            )
    }) {
        return Err(UriError::UnexpectedCharacter(bad));
    }
    let (scheme, rest) = uri.split_once("://").ok_or(UriError::MissingSeparator)?;
    let scheme = scheme.to_ascii_lowercase();
    let (driver, transport) = match scheme.split_once('+') {
        Some((driver, transport)) => (driver.to_owned(), Some(transport.to_owned())),
        None => (scheme.clone(), None),
    };
    if driver.is_empty() || driver.contains(['/', ':', '@', '?']) {
        return Err(UriError::MissingSeparator);
    }
    if !KNOWN_DRIVERS.contains(&driver.as_str()) {
        return Err(UriError::UnknownDriver(driver));
    }
    if let Some(transport) = &transport {
        if !KNOWN_TRANSPORTS.contains(&transport.as_str()) {
            return Err(UriError::UnknownTransport(transport.clone()));
        }
        if HTTPS_DRIVERS.contains(&driver.as_str()) {
            return Err(UriError::TransportNotSupported {
                hypervisor: driver.clone(),
                transport: transport.clone(),
            });
        }
    }

    let (before_query, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    let (authority, path) = match before_query.find('/') {
        Some(slash) => before_query.split_at(slash),
        None => (before_query, ""),
    };
    let Authority { user, host, port } = parse_authority(authority)?;
    check_escapes(path)?;

    let needs_host = HTTPS_DRIVERS.contains(&driver.as_str())
        || transport
            .as_deref()
            .is_some_and(|t| NETWORK_TRANSPORTS.contains(&t));
    if needs_host && host.is_none() {
        return Err(UriError::MissingHost);
    }
    check_path(&driver, path)?;
    let params = match query {
        Some(query) => parse_query(query)?,
        None => Vec::new(),
    };
    Ok(ParsedUri {
        driver,
        transport,
        user,
        host,
        port,
        path: path.to_owned(),
        params,
    })
}

/// `[user@][host][:port]`, decoded.
struct Authority {
    user: Option<String>,
    host: Option<String>,
    port: Option<u16>,
}

fn parse_authority(authority: &str) -> Result<Authority, UriError> {
    let (user, host_port) = match authority.rsplit_once('@') {
        Some((user, host_port)) => (Some(user), host_port),
        None => (None, authority),
    };
    let user = match user {
        Some(user) => Some(decode_user(user)?),
        None => None,
    };
    let (host, port) = split_host_port(host_port)?;
    if let Some(host) = host {
        check_host_name(host)?;
    }
    let port = port.map(parse_port).transpose()?;
    if host.is_none() {
        if user.is_some() {
            return Err(UriError::UserWithoutHost);
        }
        if port.is_some() {
            return Err(UriError::PortWithoutHost);
        }
    }
    Ok(Authority {
        user,
        host: host.map(str::to_owned),
        port,
    })
}

/// Splits `host[:port]` or `[v6]:port`; either part may be absent.
fn split_host_port(text: &str) -> Result<(Option<&str>, Option<&str>), UriError> {
    if let Some(bracketed) = text.strip_prefix('[') {
        let (address, after) = bracketed
            .split_once(']')
            .ok_or_else(|| UriError::BadHost(text.to_owned()))?;
        if address.parse::<Ipv6Addr>().is_err() {
            return Err(UriError::BadHost(text.to_owned()));
        }
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or_else(|| UriError::BadHost(text.to_owned()))?,
            ),
        };
        return Ok((Some(address), port));
    }
    if text.matches(':').count() > 1 {
        return Err(if text.parse::<Ipv6Addr>().is_ok() {
            UriError::UnbracketedIpv6
        } else {
            UriError::BadHost(text.to_owned())
        });
    }
    let (host, port) = match text.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (text, None),
    };
    Ok(((!host.is_empty()).then_some(host), port))
}

/// A DNS name, an IPv4 address or an ssh alias: letters, digits, `-`, `.` and `_`.
pub(super) fn check_host_name(host: &str) -> Result<(), UriError> {
    let valid_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_');
    let ipv6 = host.parse::<Ipv6Addr>().is_ok();
    if ipv6 || (!host.is_empty() && host.chars().all(valid_char) && !host.starts_with(['-', '.'])) {
        Ok(())
    } else {
        Err(UriError::BadHost(host.to_owned()))
    }
}

pub(super) fn parse_port(port: &str) -> Result<u16, UriError> {
    match port.parse::<u16>() {
        Ok(number) if number > 0 && port.bytes().all(|b| b.is_ascii_digit()) => Ok(number),
        _ => Err(UriError::BadPort(port.to_owned())),
    }
}

fn decode_user(user: &str) -> Result<String, UriError> {
    if user.is_empty() {
        return Err(UriError::BadUser(String::new()));
    }
    check_escapes(user)?;
    let mut bytes = Vec::with_capacity(user.len());
    let mut input = user.bytes();
    while let Some(byte) = input.next() {
        if byte == b'%' {
            // check_escapes guarantees two hex digits follow.
            let high = input.next().and_then(|b| (b as char).to_digit(16));
            let low = input.next().and_then(|b| (b as char).to_digit(16));
            match (high, low) {
                (Some(high), Some(low)) => bytes.push((high * 16 + low) as u8),
                _ => return Err(UriError::BadEscape(user.to_owned())),
            }
        } else if byte == b':' || byte == b'/' {
            return Err(UriError::BadUser(user.to_owned()));
        } else {
            bytes.push(byte);
        }
    }
    String::from_utf8(bytes).map_err(|_| UriError::BadUser(user.to_owned()))
}

/// Every `%` must start a two-digit hexadecimal escape.
fn check_escapes(text: &str) -> Result<(), UriError> {
    let bytes = text.as_bytes();
    for (i, byte) in bytes.iter().enumerate() {
        if *byte == b'%' {
            let escape = &bytes[i..(i + 3).min(bytes.len())];
            if escape.len() < 3 || !escape[1..].iter().all(u8::is_ascii_hexdigit) {
                return Err(UriError::BadEscape(
                    String::from_utf8_lossy(escape).into_owned(),
                ));
            }
        }
    }
    Ok(())
}

/// The paths the local-path drivers accept (others take any path).
fn check_path(driver: &str, path: &str) -> Result<(), UriError> {
    match driver {
        "qemu" if !matches!(path, "/system" | "/session" | "/embed") => {
            Err(UriError::QemuPath(path.to_owned()))
        }
        "vbox" if path != "/session" => Err(UriError::VirtualBoxPath(path.to_owned())),
        "test" if path.len() < 2 || path.ends_with('/') => Err(UriError::TestPath(path.to_owned())),
        _ => Ok(()),
    }
}

fn parse_query(query: &str) -> Result<Vec<(String, String)>, UriError> {
    check_escapes(query)?;
    query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| match part.split_once('=') {
            Some((name, value)) if !name.is_empty() => Ok((name.to_owned(), value.to_owned())),
            _ => Err(UriError::BadParameter(part.to_owned())),
        })
        .collect()
}
