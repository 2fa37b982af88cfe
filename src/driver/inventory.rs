//! What a connection holds: domains, networks, storage pools and the host, read from libvirt
//! with as few calls as the API allows (filtered listings instead of per-domain flag queries).

#![forbid(unsafe_code)]

use std::collections::HashSet;
use std::ffi::CString;

use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

use crate::driver::error::{DriverError, DriverResult};
use crate::driver::ffi;
use crate::driver::xml_peek::{self, DomainXmlFacts};
use crate::model::{DomainState, DomainUuid};

/// One domain as the fleet tree shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainInfo {
    pub uuid: DomainUuid,
    pub name: String,
    /// Hypervisor id while running.
    pub id: Option<u32>,
    pub state: DomainState,
    /// libvirt's reason for the state (`virDomain<State>Reason`, e.g. shut off: 2 = destroyed).
    pub state_reason: i32,
    pub persistent: bool,
    pub autostart: bool,
    pub has_managed_save: bool,
    /// vCPUs now (live for a running domain).
    pub vcpus: u32,
    pub max_vcpus: u32,
    /// Memory now, in KiB (the balloon target for a running domain).
    pub memory_kib: u64,
    /// Maximum memory, in KiB.
    pub max_memory_kib: u64,
    pub title: Option<String>,
    pub description: Option<String>,
}

/// One virtual network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkInfo {
    pub name: String,
    pub uuid: [u8; 16],
    pub active: bool,
    pub persistent: bool,
    pub autostart: bool,
}

/// One storage pool; sizes in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoragePoolInfo {
    pub name: String,
    pub uuid: [u8; 16],
    pub active: bool,
    pub persistent: bool,
    pub autostart: bool,
    pub capacity: u64,
    pub allocation: u64,
    pub available: u64,
}

/// A libvirt-style version number (major * 1,000,000 + minor * 1,000 + release).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32);

impl Version {
    pub fn major(self) -> u32 {
        self.0 / 1_000_000
    }
    pub fn minor(self) -> u32 {
        self.0 / 1_000 % 1_000
    }
    pub fn release(self) -> u32 {
        self.0 % 1_000
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major(), self.minor(), self.release())
    }
}

/// The host behind a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInfo {
    pub hostname: String,
    /// `virConnectGetType`: "QEMU", "Test", "ESX", …
    pub driver_type: String,
    /// The hypervisor's version, when the driver reports one.
    pub hypervisor_version: Option<Version>,
    /// The libvirt version of the daemon (or library) serving the connection.
    pub libvirt_version: Version,
    pub cpu_model: String,
    /// Active logical CPUs.
    pub cpus: u32,
    pub mhz: u32,
    pub numa_nodes: u32,
    pub sockets: u32,
    pub cores: u32,
    pub threads: u32,
    pub memory_kib: u64,
    /// Free memory in KiB, when the driver reports it.
    pub free_memory_kib: Option<u64>,
}

/// Everything one connection holds, read in one go after each (re)connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    pub node: NodeInfo,
    pub domains: Vec<DomainInfo>,
    pub networks: Vec<NetworkInfo>,
    pub pools: Vec<StoragePoolInfo>,
}

/// Device names of one domain, for per-device statistics fallbacks; kept as C strings so
/// the calls every tick allocate nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DeviceNames {
    pub disks: Vec<CString>,
    pub interfaces: Vec<CString>,
}

impl From<&DomainXmlFacts> for DeviceNames {
    fn from(facts: &DomainXmlFacts) -> Self {
        // XML text cannot contain NUL, so no name is dropped in practice.
        let c_strings = |names: &[String]| {
            names
                .iter()
                .filter_map(|name| CString::new(name.as_str()).ok())
                .collect()
        };
        Self {
            disks: c_strings(&facts.disks),
            interfaces: c_strings(&facts.interfaces),
        }
    }
}

pub(crate) fn read_node(conn: &Connect) -> DriverResult<NodeInfo> {
    let info = conn.node_info()?;
    let hostname = conn.hostname().unwrap_or_default();
    let driver_type = conn.driver_type().unwrap_or_default();
    let hypervisor_version = conn.hyp_version().ok().filter(|v| *v > 0).map(Version);
    let libvirt_version = Version(conn.lib_version()?);
    // Free memory is in bytes; not every driver reports it.
    let free_memory_kib = conn.free_memory().ok().map(|bytes| bytes / 1024);
    Ok(NodeInfo {
        hostname,
        driver_type,
        hypervisor_version,
        libvirt_version,
        cpu_model: info.model,
        cpus: info.cpus,
        mhz: info.mhz,
        numa_nodes: info.nodes,
        sockets: info.sockets,
        cores: info.cores,
        threads: info.threads,
        memory_kib: info.memory,
        free_memory_kib,
    })
}

fn uuid_of(domain: &Domain) -> DriverResult<DomainUuid> {
    Ok(DomainUuid(*domain.uuid()?.as_bytes()))
}

/// Lists the UUIDs of the domains matching a `virConnectListAllDomains` filter; `None` when the
/// driver does not support that filter.
fn uuids_with(conn: &Connect, flags: u32) -> Option<HashSet<DomainUuid>> {
    let domains = conn.list_all_domains(flags).ok()?;
    Some(
        domains
            .iter()
            .filter_map(|domain| uuid_of(domain).ok())
            .collect(),
    )
}

/// Reads every domain with 4 listings + 1 XML fetch per domain (+ per-domain flag queries
/// only on drivers whose listings cannot filter). Returns device names alongside.
pub(crate) fn read_domains(conn: &Connect) -> DriverResult<Vec<(DomainInfo, DeviceNames)>> {
    let domains = conn.list_all_domains(0)?;
    let persistent = uuids_with(conn, sys::VIR_CONNECT_LIST_DOMAINS_PERSISTENT);
    let autostart = uuids_with(conn, sys::VIR_CONNECT_LIST_DOMAINS_AUTOSTART);
    let managed_save = uuids_with(conn, sys::VIR_CONNECT_LIST_DOMAINS_MANAGEDSAVE);
    let mut result = Vec::with_capacity(domains.len());
    for domain in &domains {
        let flags = Flags {
            persistent: persistent.as_ref(),
            autostart: autostart.as_ref(),
            managed_save: managed_save.as_ref(),
        };
        match read_domain_with(domain, &flags) {
            Ok(entry) => result.push(entry),
            // Undefined between the listing and now: it simply is not there any more.
            Err(DriverError::NotFound { .. }) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(result)
}

struct Flags<'a> {
    persistent: Option<&'a HashSet<DomainUuid>>,
    autostart: Option<&'a HashSet<DomainUuid>>,
    managed_save: Option<&'a HashSet<DomainUuid>>,
}

/// Reads one domain (state, flags, XML facts).
pub(crate) fn read_domain(domain: &Domain) -> DriverResult<(DomainInfo, DeviceNames)> {
    read_domain_with(
        domain,
        &Flags {
            persistent: None,
            autostart: None,
            managed_save: None,
        },
    )
}

fn read_domain_with(domain: &Domain, flags: &Flags<'_>) -> DriverResult<(DomainInfo, DeviceNames)> {
    let uuid = uuid_of(domain)?;
    // The name is cached client-side; it only fails for an invalid object.
    let name = domain.name().unwrap_or_default();
    let (state, state_reason) = ffi::domain_state(domain)?;
    let state = DomainState::from_libvirt(state);
    let persistent = match flags.persistent {
        Some(set) => set.contains(&uuid),
        None => domain.is_persistent()?,
    };
    let autostart = match flags.autostart {
        Some(set) => set.contains(&uuid),
        None => domain.autostart().unwrap_or(false),
    };
    let has_managed_save = match flags.managed_save {
        Some(set) => set.contains(&uuid),
        None => domain.has_managed_save(0).unwrap_or(false),
    };
    let xml = domain.xml_desc(0)?;
    let facts = xml_peek::peek(&xml);
    let info = DomainInfo {
        uuid,
        name,
        id: if state.is_active() { domain.id() } else { None },
        state,
        state_reason,
        persistent,
        autostart,
        has_managed_save,
        vcpus: facts.current_vcpus.unwrap_or(0),
        max_vcpus: facts.max_vcpus.unwrap_or(0),
        memory_kib: facts
            .current_memory_kib
            .or(facts.max_memory_kib)
            .unwrap_or(0),
        max_memory_kib: facts.max_memory_kib.unwrap_or(0),
        title: facts.title.clone(),
        description: facts.description.clone(),
    };
    Ok((info, DeviceNames::from(&facts)))
}

pub(crate) fn read_networks(conn: &Connect) -> Vec<NetworkInfo> {
    let Ok(networks) = conn.list_all_networks(0) else {
        // Drivers without networks (ESX, Hyper-V variants) just have none.
        return Vec::new();
    };
    networks
        .iter()
        .filter_map(|network| {
            Some(NetworkInfo {
                name: network.name().ok()?,
                uuid: *network.uuid().ok()?.as_bytes(),
                active: network.is_active().unwrap_or(false),
                persistent: network.is_persistent().unwrap_or(false),
                autostart: network.autostart().unwrap_or(false),
            })
        })
        .collect()
}

pub(crate) fn read_pools(conn: &Connect) -> Vec<StoragePoolInfo> {
    let Ok(pools) = conn.list_all_storage_pools(0) else {
        return Vec::new();
    };
    pools
        .iter()
        .filter_map(|pool| {
            let info = pool.info().ok();
            Some(StoragePoolInfo {
                name: pool.name().ok()?,
                uuid: *pool.uuid().ok()?.as_bytes(),
                active: pool.is_active().unwrap_or(false),
                persistent: pool.is_persistent().unwrap_or(false),
                autostart: pool.autostart().unwrap_or(false),
                capacity: info.as_ref().map_or(0, |info| info.capacity),
                allocation: info.as_ref().map_or(0, |info| info.allocation),
                available: info.as_ref().map_or(0, |info| info.available),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_split_like_libvirt() {
        let version = Version(9_000_002);
        assert_eq!(
            (version.major(), version.minor(), version.release()),
            (9, 0, 2)
        );
        assert_eq!(version.to_string(), "9.0.2");
    }

    #[test]
    fn default_test_host_reads() {
        let conn = Connect::open(Some("test:///default")).unwrap();
        let node = read_node(&conn).unwrap();
        assert_eq!(node.driver_type, "TEST");
        assert!(node.cpus > 0);
        let domains = read_domains(&conn).unwrap();
        assert_eq!(domains.len(), 1);
        let (info, devices) = &domains[0];
        assert_eq!(info.name, "test");
        assert_eq!(info.state, DomainState::Running);
        assert!(info.persistent);
        assert_eq!(devices.disks, [c"vda".to_owned()]);
        assert_eq!(read_networks(&conn).len(), 1);
        assert_eq!(read_pools(&conn).len(), 1);
    }
}
