//! What the Overview tab says about a machine: its state with libvirt's reason, hypervisor and
//! platform facts, guest addresses, and the checks for renaming and editing title and
//! description (which definition such an edit must reach).

use std::net::IpAddr;

use crate::driver::{AddressSource, DomainInfo, GuestInterface, NodeInfo, Scope};
use crate::fleet::state_label;
use crate::i18n::{gettext, gettext_f, pgettext};
use crate::model::DomainState;

/// libvirt's reason for a state in words (`virDomain<State>Reason`), `None` when unknown.
pub fn state_reason(state: DomainState, reason: i32) -> Option<String> {
    // Each arm names its literal, so xgettext extracts every reason.
    let text = match (state, reason) {
        (DomainState::Running, 1) => pgettext("state reason", "booted"),
        (DomainState::Running, 2) => pgettext("state reason", "migrated"),
        (DomainState::Running, 3) => pgettext("state reason", "restored"),
        (DomainState::Running, 4) => pgettext("state reason", "from snapshot"),
        (DomainState::Running, 5) => pgettext("state reason", "unpaused"),
        (DomainState::Running, 6) => pgettext("state reason", "migration cancelled"),
        (DomainState::Running, 7) => pgettext("state reason", "save cancelled"),
        (DomainState::Running, 8) => pgettext("state reason", "woken up"),
        (DomainState::Running, 9) => pgettext("state reason", "crashed"),
        (DomainState::Running, 10) => pgettext("state reason", "post-copy migration"),
        (DomainState::Running, 11) => pgettext("state reason", "post-copy migration failed"),
        (DomainState::Paused, 1) => pgettext("state reason", "by the user"),
        (DomainState::Paused, 2) => pgettext("state reason", "migrating"),
        (DomainState::Paused, 3) => pgettext("state reason", "saving"),
        (DomainState::Paused, 4) => pgettext("state reason", "dumping"),
        (DomainState::Paused, 5) => pgettext("state reason", "disk I/O error"),
        (DomainState::Paused, 6) => pgettext("state reason", "watchdog"),
        (DomainState::Paused, 7) => pgettext("state reason", "from snapshot"),
        (DomainState::Paused, 8) => pgettext("state reason", "shutting down"),
        (DomainState::Paused, 9) => pgettext("state reason", "taking a snapshot"),
        (DomainState::Paused, 10) => pgettext("state reason", "crashed"),
        (DomainState::Paused, 11) => pgettext("state reason", "starting up"),
        (DomainState::Paused, 12) => pgettext("state reason", "post-copy migration"),
        (DomainState::Paused, 13) => pgettext("state reason", "post-copy migration failed"),
        (DomainState::Paused, 14) => pgettext("state reason", "management error"),
        (DomainState::ShuttingDown, 1) => pgettext("state reason", "by the user"),
        (DomainState::ShutOff, 1) => pgettext("state reason", "shut down"),
        (DomainState::ShutOff, 2) => pgettext("state reason", "forced off"),
        (DomainState::ShutOff, 3) => pgettext("state reason", "crashed"),
        (DomainState::ShutOff, 4) => pgettext("state reason", "migrated"),
        (DomainState::ShutOff, 5) => pgettext("state reason", "saved"),
        (DomainState::ShutOff, 6) => pgettext("state reason", "failed to start"),
        (DomainState::ShutOff, 7) => pgettext("state reason", "from snapshot"),
        (DomainState::ShutOff, 8) => pgettext("state reason", "daemon stopped"),
        (DomainState::Crashed, 1) => pgettext("state reason", "guest panicked"),
        _ => return None,
    };
    Some(text)
}

/// "Shut off (forced off)", or just the state when libvirt gives no reason.
pub fn state_text(state: DomainState, reason: i32) -> String {
    match state_reason(state, reason) {
        Some(reason) => gettext_f(
            "{state} ({reason})",
            &[("state", &state_label(state)), ("reason", &reason)],
        ),
        None => state_label(state),
    }
}

/// The hypervisor as libvirt names it, with its version: "QEMU 7.2.0", "Test".
pub fn hypervisor_text(node: &NodeInfo) -> String {
    match node.hypervisor_version.filter(|v| v.0 > 0) {
        Some(version) => format!("{} {version}", node.driver_type),
        None => node.driver_type.clone(),
    }
}

/// Which definitions a title or description edit must reach: both for a running persistent
/// machine (the running one alone would lose it at shutdown), the one that exists otherwise.
pub fn metadata_scope(info: &DomainInfo) -> Scope {
    match (info.state.is_active(), info.persistent) {
        (true, true) => Scope::LiveAndConfig,
        (true, false) => Scope::Live,
        (false, _) => Scope::Config,
    }
}

/// Checks a new name before `rename`: trimmed, not empty, no `/` or control characters,
/// different, and only for a shut-off machine (libvirt renames inactive domains only).
/// Returns the name to use.
pub fn check_rename(info: &DomainInfo, new_name: &str) -> Result<String, String> {
    let name = new_name.trim();
    if info.state.is_active() {
        return Err(gettext("Shut the machine off to rename it"));
    }
    if name.is_empty() {
        return Err(gettext("The name is empty"));
    }
    if name.contains('/') || name.chars().any(char::is_control) {
        return Err(gettext("A name cannot contain “/” or control characters"));
    }
    if name == info.name {
        return Err(gettext("The name is unchanged"));
    }
    Ok(name.to_owned())
}

/// A guest address as the overview lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressLine {
    pub address: IpAddr,
    pub prefix: u32,
    pub interface: String,
    pub hwaddr: Option<String>,
    /// Every source that reported it.
    pub sources: Vec<AddressSource>,
}

impl AddressLine {
    /// "192.168.122.10/24".
    pub fn address_text(&self) -> String {
        format!("{}/{}", self.address, self.prefix)
    }

    /// "eth0 · DHCP lease, guest agent".
    pub fn detail_text(&self) -> String {
        let sources: Vec<String> = self
            .sources
            .iter()
            .map(|source| match source {
                AddressSource::Lease => gettext("DHCP lease"),
                AddressSource::Agent => gettext("guest agent"),
            })
            .collect();
        format!("{} · {}", self.interface, sources.join(", "))
    }
}

/// The addresses from every source, once each (an address both the DHCP leases and the agent
/// report is listed once, naming both), loopback and link-local left out.
pub fn address_lines(interfaces: &[GuestInterface]) -> Vec<AddressLine> {
    let mut lines: Vec<AddressLine> = Vec::new();
    for interface in interfaces {
        for address in &interface.addresses {
            let ip = address.address;
            let link_local = match ip {
                IpAddr::V4(v4) => v4.is_link_local(),
                IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
            };
            if ip.is_loopback() || link_local {
                continue;
            }
            match lines.iter_mut().find(|line| line.address == ip) {
                Some(line) => {
                    if !line.sources.contains(&interface.source) {
                        line.sources.push(interface.source);
                    }
                }
                None => lines.push(AddressLine {
                    address: ip,
                    prefix: address.prefix,
                    interface: interface.name.clone(),
                    hwaddr: interface.hwaddr.clone(),
                    sources: vec![interface.source],
                }),
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::GuestAddress;
    use crate::model::DomainUuid;

    fn info(state: DomainState, persistent: bool) -> DomainInfo {
        DomainInfo {
            uuid: DomainUuid([1; 16]),
            name: "web".into(),
            id: None,
            state,
            state_reason: 2,
            persistent,
            autostart: false,
            has_managed_save: false,
            vcpus: 1,
            max_vcpus: 1,
            memory_kib: 1024,
            max_memory_kib: 1024,
            title: None,
            description: None,
        }
    }

    #[test]
    fn states_carry_their_reason() {
        assert_eq!(state_text(DomainState::ShutOff, 2), "Shut off (forced off)");
        assert_eq!(state_text(DomainState::Running, 0), "Running");
        assert_eq!(state_text(DomainState::Running, 999), "Running");
    }

    #[test]
    fn metadata_reaches_every_definition_that_exists() {
        assert_eq!(
            metadata_scope(&info(DomainState::Running, true)),
            Scope::LiveAndConfig
        );
        assert_eq!(
            metadata_scope(&info(DomainState::Paused, false)),
            Scope::Live
        );
        assert_eq!(
            metadata_scope(&info(DomainState::ShutOff, true)),
            Scope::Config
        );
    }

    #[test]
    fn renames_are_checked() {
        let off = info(DomainState::ShutOff, true);
        assert_eq!(check_rename(&off, "  db-01 "), Ok("db-01".into()));
        assert!(check_rename(&off, "web").is_err());
        assert!(check_rename(&off, " ").is_err());
        assert!(check_rename(&off, "a/b").is_err());
        assert!(check_rename(&info(DomainState::Running, true), "db").is_err());
    }

    #[test]
    fn addresses_are_merged_across_sources() {
        let interface = |source, addresses: &[&str]| GuestInterface {
            name: "eth0".into(),
            hwaddr: Some("52:54:00:00:00:01".into()),
            addresses: addresses
                .iter()
                .map(|a| GuestAddress {
                    address: a.parse().unwrap(),
                    prefix: 24,
                })
                .collect(),
            source,
        };
        let lines = address_lines(&[
            interface(AddressSource::Lease, &["192.168.122.10"]),
            interface(
                AddressSource::Agent,
                &["192.168.122.10", "127.0.0.1", "fe80::1", "2001:db8::5"],
            ),
        ]);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].address_text(), "192.168.122.10/24");
        assert_eq!(
            lines[0].sources,
            [AddressSource::Lease, AddressSource::Agent]
        );
        assert_eq!(lines[1].address.to_string(), "2001:db8::5");
    }
}
