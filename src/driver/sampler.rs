//! One polling tick: one `virConnectGetAllDomainStats` for the whole host, then per-domain
//! fallback calls only for the groups this driver does not return in bulk (detected once per
//! session, never retried every tick when they fail). Produces raw counters; no rates.

#![forbid(unsafe_code)]

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::time::Instant;

use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

use crate::driver::error::{DriverError, DriverResult};
use crate::driver::ffi::{self, StatParams, StatValue};
use crate::driver::inventory::{DeviceNames, NodeInfo};
use crate::driver::xml_peek;
use crate::model::{DomainState, DomainUuid};
use crate::stats::sample::{DomainCounters, HostCounters, StatsGroups, TickSample};

/// Whether the connection supports something, as far as we know yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Support {
    #[default]
    Unknown,
    Yes,
    No,
}

impl Support {
    fn usable(self) -> bool {
        self != Self::No
    }
}

/// What this session's driver supports, learnt from the first ticks.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Capabilities {
    pub bulk: Support,
    pub nowait_flag: Support,
    pub bulk_cpu: Support,
    pub bulk_vcpu: Support,
    pub bulk_balloon: Support,
    pub bulk_block: Support,
    pub bulk_net: Support,
    pub info_call: Support,
    pub block_stats_call: Support,
    pub interface_stats_call: Support,
    pub free_memory_call: Support,
}

/// Per-domain state the sampler keeps between ticks.
struct Tracked {
    state: DomainState,
    /// Tick number that last saw the domain (to notice removals without allocating).
    seen_in_tick: u64,
    devices: Option<DeviceNames>,
    handle: Option<Domain>,
    /// Whether its disks and NICs were ever read (a domain outside the scope gets them read
    /// at its first tick all the same, so its rows never start without them).
    devices_read: bool,
    /// How many ticks read its CPU and memory through the per-domain call since it became
    /// active, up to [`INFO_READS_FIRST`]: a domain outside the scope is read at its first
    /// ticks all the same, so its CPU figure (a difference of two readings) starts at once.
    info_reads: u8,
}

/// Ticks at which an active domain's CPU and memory are read whatever the scope says.
const INFO_READS_FIRST: u8 = 2;

impl Tracked {
    /// A domain first seen in `state` at tick `seen_in_tick`, nothing read from it yet.
    fn new(state: DomainState, seen_in_tick: u64, devices: Option<DeviceNames>) -> Self {
        Self {
            state,
            seen_in_tick,
            devices,
            handle: None,
            devices_read: false,
            info_reads: 0,
        }
    }

    fn set_state(&mut self, state: DomainState) {
        self.state = state;
        if !state.is_active() {
            // Counters restart with the next boot: read them at once then.
            self.devices_read = false;
            self.info_reads = 0;
        }
    }
}

/// Domains whose state a tick saw change (new, removed, or a different state): the worker
/// re-reads these so drivers without events (or missed events) still update the UI.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Changes {
    pub changed: Vec<DomainUuid>,
    pub removed: Vec<DomainUuid>,
}

impl Changes {
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.changed.is_empty() && self.removed.is_empty()
    }
}

/// Per-session sampler: capabilities, device names and handles per domain.
#[derive(Default)]
pub(crate) struct Sampler {
    caps: Capabilities,
    tracked: HashMap<DomainUuid, Tracked>,
    host: HostCounters,
    tick_number: u64,
    last_count: usize,
    /// Which domains get the per-domain fallback calls at every tick. Kept across sessions.
    per_domain_scope: PerDomainScope,
}

/// Which domains get the per-domain calls at every tick on drivers whose bulk statistics lack
/// something (or that have none, like the test driver and the ESX, Hyper-V and VirtualBox
/// drivers): `virDomainGetInfo` for CPU and memory, and a call per disk and per NIC. Each is a
/// round trip to the host per domain per tick, 2000 a second for 2000 running machines over
/// a socket. What the bulk call returns is always read for every domain, and so is the state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum PerDomainScope {
    /// Every active domain (the default).
    #[default]
    All,
    /// These domains at every tick (e.g. the rows on screen and open VM pages); every other
    /// active domain at its first ticks and then once every `others_every` ticks, spread over
    /// the ticks by UUID (0: never again). At the ticks between, the others' counters that
    /// the skipped calls give are `None` and marked `info_not_read` (CPU and memory) or
    /// `devices_not_read` (disks and NICs), so their last figures stand.
    Only {
        domains: HashSet<DomainUuid>,
        others_every: u32,
    },
}

impl PerDomainScope {
    /// Whether `uuid`'s per-domain calls are made at tick `tick` (`read_before`: it has had the
    /// reads every domain gets when it starts).
    fn reads(&self, uuid: &DomainUuid, tick: u64, read_before: bool) -> bool {
        match self {
            Self::All => true,
            Self::Only {
                domains,
                others_every,
            } => {
                domains.contains(uuid)
                    || !read_before
                    || (*others_every > 0
                        && (tick + u64::from(uuid.0[15])) % u64::from(*others_every) == 0)
            }
        }
    }
}

/// Bulk statistics flags for the enabled groups (state is always read).
fn group_mask(groups: StatsGroups) -> u32 {
    let mut mask = sys::VIR_DOMAIN_STATS_STATE;
    if groups.cpu {
        mask |= sys::VIR_DOMAIN_STATS_CPU_TOTAL | sys::VIR_DOMAIN_STATS_VCPU;
    }
    if groups.memory {
        mask |= sys::VIR_DOMAIN_STATS_BALLOON;
    }
    if groups.disk {
        mask |= sys::VIR_DOMAIN_STATS_BLOCK;
    }
    if groups.network {
        mask |= sys::VIR_DOMAIN_STATS_INTERFACE;
    }
    mask
}

/// Which groups a bulk record carried (to learn what the driver returns in bulk).
#[derive(Default, Clone, Copy)]
struct Presence {
    cpu: bool,
    vcpu: bool,
    balloon: bool,
    block: bool,
    net: bool,
}

fn add(total: &mut Option<u64>, value: Option<u64>) {
    if let Some(value) = value {
        *total = Some(total.unwrap_or(0).saturating_add(value));
    }
}

fn zero_if_none(total: &mut Option<u64>) {
    total.get_or_insert(0);
}

/// Folds one bulk record into counters. Allocation-free.
fn read_record(params: StatParams<'_>, counters: &mut DomainCounters, presence: &mut Presence) {
    for (name, value) in params.iter() {
        let number = value.as_u64();
        match name {
            "state.state" => {
                if let StatValue::Int(state) = value {
                    counters.state = Some(DomainState::from_libvirt(state.max(0) as u32));
                } else if let Some(state) = number {
                    counters.state = Some(DomainState::from_libvirt(state as u32));
                }
            }
            "cpu.time" => {
                presence.cpu = true;
                counters.cpu_time_ns = number;
            }
            "vcpu.current" => {
                presence.vcpu = true;
                counters.vcpus = number.and_then(|n| u32::try_from(n).ok());
            }
            "balloon.current" => {
                presence.balloon = true;
                counters.mem_current_kib = number;
            }
            "balloon.maximum" => {
                presence.balloon = true;
                counters.mem_max_kib = number;
            }
            "balloon.unused" => counters.mem_unused_kib = number,
            "balloon.available" => counters.mem_available_kib = number,
            "block.count" => {
                presence.block = true;
                // Zero disks really means zero bytes; otherwise sums start at the first disk.
                if number == Some(0) {
                    zero_if_none(&mut counters.disk_rd_bytes);
                    zero_if_none(&mut counters.disk_wr_bytes);
                    zero_if_none(&mut counters.disk_rd_reqs);
                    zero_if_none(&mut counters.disk_wr_reqs);
                }
            }
            "net.count" => {
                presence.net = true;
                if number == Some(0) {
                    zero_if_none(&mut counters.net_rx_bytes);
                    zero_if_none(&mut counters.net_tx_bytes);
                }
            }
            _ => {
                if let Some(rest) = name.strip_prefix("block.") {
                    match rest.split_once('.').map(|(_, field)| field) {
                        Some("rd.bytes") => add(&mut counters.disk_rd_bytes, number),
                        Some("wr.bytes") => add(&mut counters.disk_wr_bytes, number),
                        Some("rd.reqs") => add(&mut counters.disk_rd_reqs, number),
                        Some("wr.reqs") => add(&mut counters.disk_wr_reqs, number),
                        _ => {}
                    }
                } else if let Some(rest) = name.strip_prefix("net.") {
                    match rest.split_once('.').map(|(_, field)| field) {
                        Some("rx.bytes") => add(&mut counters.net_rx_bytes, number),
                        Some("tx.bytes") => add(&mut counters.net_tx_bytes, number),
                        _ => {}
                    }
                }
            }
        }
    }
}

fn learn(support: &mut Support, requested: bool, seen: bool) {
    if requested && *support == Support::Unknown {
        *support = if seen { Support::Yes } else { Support::No };
    }
}

/// Notes the outcome of a fallback call; returns the value if it worked. A call the driver
/// does not support is switched off for the session; other failures (a domain that vanished,
/// a device without statistics) only skip this value.
fn fallback<T>(support: &mut Support, result: Result<T, virt::error::Error>) -> Option<T> {
    match result {
        Ok(value) => {
            *support = Support::Yes;
            Some(value)
        }
        Err(error) => {
            if DriverError::from_libvirt(&error).is_unsupported() && *support != Support::Yes {
                *support = Support::No;
            }
            None
        }
    }
}

impl Sampler {
    /// Starts a new session: host facts, and the domains the inventory read (with device
    /// names, so the first tick needs no XML).
    pub(crate) fn reset(
        &mut self,
        node: &NodeInfo,
        domains: Vec<(DomainUuid, DomainState, DeviceNames)>,
    ) {
        self.caps = Capabilities::default();
        self.host = HostCounters {
            cpus: node.cpus,
            memory_kib: node.memory_kib,
            free_memory_kib: node.free_memory_kib,
        };
        self.tracked.clear();
        self.tick_number = 0;
        self.last_count = domains.len();
        for (uuid, state, devices) in domains {
            self.tracked
                .insert(uuid, Tracked::new(state, 0, Some(devices)));
        }
    }

    pub(crate) fn set_per_domain_scope(&mut self, scope: PerDomainScope) {
        self.per_domain_scope = scope;
    }

    #[cfg(test)]
    pub(crate) fn capabilities(&self) -> Capabilities {
        self.caps
    }

    /// Records a domain re-read outside the tick (event, action): its state and device names.
    pub(crate) fn update_domain(
        &mut self,
        uuid: DomainUuid,
        state: DomainState,
        devices: DeviceNames,
    ) {
        let tick = self.tick_number;
        let entry = self
            .tracked
            .entry(uuid)
            .or_insert_with(|| Tracked::new(state, tick, None));
        entry.set_state(state);
        entry.devices = Some(devices);
    }

    pub(crate) fn forget_domain(&mut self, uuid: DomainUuid) {
        self.tracked.remove(&uuid);
    }

    /// Reads one tick. Fails only when the host itself fails (the bulk call or the listing).
    pub(crate) fn tick(
        &mut self,
        conn: &Connect,
        groups: StatsGroups,
    ) -> DriverResult<(TickSample, Changes)> {
        self.tick_number += 1;
        let tick = self.tick_number;
        let taken_at = Instant::now();
        let mut domains: Vec<(DomainUuid, DomainCounters)> = Vec::with_capacity(self.last_count);
        let mut presence = Presence::default();
        let mut active_seen = false;

        if self.caps.bulk.usable() {
            let mask = group_mask(groups);
            let mut visit = |uuid: [u8; 16], params: StatParams<'_>| {
                let mut counters = DomainCounters::default();
                let mut here = Presence::default();
                read_record(params, &mut counters, &mut here);
                if counters.state.is_some_and(DomainState::is_active) {
                    active_seen = true;
                    presence.cpu |= here.cpu;
                    presence.vcpu |= here.vcpu;
                    presence.balloon |= here.balloon;
                    presence.block |= here.block;
                    presence.net |= here.net;
                }
                domains.push((DomainUuid(uuid), counters));
            };
            let outcome = if self.caps.nowait_flag.usable() {
                // NOWAIT (libvirt >= 4.5) skips domains busy in a job instead of waiting for them.
                let first = ffi::all_domain_stats(
                    conn,
                    mask,
                    sys::VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT,
                    &mut visit,
                );
                match first {
                    Ok(count) => {
                        self.caps.nowait_flag = Support::Yes;
                        Ok(count)
                    }
                    Err(error) if DriverError::from_libvirt(&error).is_invalid_arg() => {
                        self.caps.nowait_flag = Support::No;
                        ffi::all_domain_stats(conn, mask, 0, &mut visit)
                    }
                    Err(error) => Err(error),
                }
            } else {
                ffi::all_domain_stats(conn, mask, 0, &mut visit)
            };
            match outcome {
                Ok(_) => self.caps.bulk = Support::Yes,
                Err(error) => {
                    let error = DriverError::from_libvirt(&error);
                    if error.is_unsupported() && self.caps.bulk != Support::Yes {
                        self.caps.bulk = Support::No;
                        domains.clear();
                    } else {
                        return Err(error);
                    }
                }
            }
        }
        if !self.caps.bulk.usable() {
            self.list_states(conn, &mut domains)?;
            active_seen = domains
                .iter()
                .any(|(_, counters)| counters.state.is_some_and(DomainState::is_active));
        }
        if active_seen {
            learn(&mut self.caps.bulk_cpu, groups.cpu, presence.cpu);
            learn(&mut self.caps.bulk_vcpu, groups.cpu, presence.vcpu);
            learn(&mut self.caps.bulk_balloon, groups.memory, presence.balloon);
            learn(&mut self.caps.bulk_block, groups.disk, presence.block);
            learn(&mut self.caps.bulk_net, groups.network, presence.net);
        }
        self.fill_fallbacks(conn, groups, &mut domains);
        self.refresh_free_memory(conn);
        let changes = self.track(tick, &domains);
        self.last_count = domains.len();
        Ok((
            TickSample {
                taken_at,
                host: self.host,
                domains,
            },
            changes,
        ))
    }

    /// Drivers without the bulk call: list domains and ask each for its state.
    fn list_states(
        &mut self,
        conn: &Connect,
        domains: &mut Vec<(DomainUuid, DomainCounters)>,
    ) -> DriverResult<()> {
        for domain in conn.list_all_domains(0)? {
            let Ok(uuid) = domain.uuid() else { continue };
            let uuid = DomainUuid(*uuid.as_bytes());
            let state = ffi::domain_state(&domain)
                .ok()
                .map(|(state, _)| DomainState::from_libvirt(state));
            domains.push((
                uuid,
                DomainCounters {
                    state,
                    ..DomainCounters::default()
                },
            ));
            if let Some(tracked) = self.tracked.get_mut(&uuid) {
                tracked.handle.get_or_insert(domain);
            }
        }
        Ok(())
    }

    fn needs_fallback(&self, groups: StatsGroups) -> (bool, bool, bool) {
        let caps = &self.caps;
        let info = ((groups.cpu
            && (caps.bulk_cpu == Support::No || caps.bulk_vcpu == Support::No))
            || (groups.memory && caps.bulk_balloon == Support::No))
            && caps.info_call.usable();
        let block = groups.disk && caps.bulk_block == Support::No && caps.block_stats_call.usable();
        let net =
            groups.network && caps.bulk_net == Support::No && caps.interface_stats_call.usable();
        (info, block, net)
    }

    fn fill_fallbacks(
        &mut self,
        conn: &Connect,
        groups: StatsGroups,
        domains: &mut [(DomainUuid, DomainCounters)],
    ) {
        let (want_info, want_block, want_net) = self.needs_fallback(groups);
        if !(want_info || want_block || want_net) {
            return;
        }
        for (uuid, counters) in domains.iter_mut() {
            if !counters.state.is_some_and(DomainState::is_active) {
                continue;
            }
            // Moved out and back rather than cloned: a clone's drop is a virDomainFree, which
            // costs libvirt a UUID formatting for its debug log on every call.
            let Some(domain) = self.take_handle(conn, *uuid) else {
                continue;
            };
            self.sample_domain(&domain, *uuid, counters, groups);
            if let Some(tracked) = self.tracked.get_mut(uuid) {
                tracked.handle = Some(domain);
            }
        }
    }

    /// The per-domain fallback calls for one active domain.
    fn sample_domain(
        &mut self,
        domain: &Domain,
        uuid: DomainUuid,
        counters: &mut DomainCounters,
        groups: StatsGroups,
    ) {
        let (mut want_info, mut want_block, mut want_net) = self.needs_fallback(groups);
        // CPU and memory, and the devices, each have their own "read before" rule: a domain
        // outside the scope still gets its first reads of each.
        let tracked = self.tracked.get(&uuid);
        let info_read_before = tracked.is_some_and(|t| t.info_reads >= INFO_READS_FIRST);
        let devices_read_before = tracked.is_some_and(|t| t.devices_read);
        let in_scope = |read_before| {
            self.per_domain_scope
                .reads(&uuid, self.tick_number, read_before)
        };
        if want_info && !in_scope(info_read_before) {
            want_info = false;
            counters.info_not_read = true;
        }
        if (want_block || want_net) && !in_scope(devices_read_before) {
            want_block = false;
            want_net = false;
            counters.devices_not_read = true;
        }
        if want_info {
            if let Some(info) = fallback(&mut self.caps.info_call, domain.info()) {
                if let Some(tracked) = self.tracked.get_mut(&uuid) {
                    tracked.info_reads = tracked.info_reads.saturating_add(1);
                }
                // Drivers that cannot measure a value report 0 (some remote hypervisor drivers
                // do for CPU time); a running guest has always used some CPU and memory, so 0
                // is "not reported", never a value.
                let known = |value: u64| (value > 0).then_some(value);
                if groups.cpu && self.caps.bulk_cpu == Support::No {
                    counters.cpu_time_ns = known(info.cpu_time);
                }
                if groups.cpu && self.caps.bulk_vcpu == Support::No {
                    counters.vcpus = (info.nr_virt_cpu > 0).then_some(info.nr_virt_cpu);
                }
                if groups.memory && self.caps.bulk_balloon == Support::No {
                    counters.mem_current_kib = known(info.memory);
                    counters.mem_max_kib = known(info.max_mem);
                }
            }
        }
        if !(want_block || want_net) {
            return;
        }
        let mut devices = self.devices(domain, uuid);
        if want_block {
            // A device whose call fails (e.g. an empty CD-ROM) is dropped from this domain's
            // list until the domain is re-read, so it is not retried every tick. Counters of
            // -1 mean "not supported by this driver" and are skipped by try_from.
            devices.disks.retain(|disk| {
                let stats = fallback(
                    &mut self.caps.block_stats_call,
                    ffi::block_stats(domain, disk),
                );
                let Some(stats) = stats else { return false };
                add(
                    &mut counters.disk_rd_bytes,
                    u64::try_from(stats.rd_bytes).ok(),
                );
                add(
                    &mut counters.disk_wr_bytes,
                    u64::try_from(stats.wr_bytes).ok(),
                );
                add(&mut counters.disk_rd_reqs, u64::try_from(stats.rd_req).ok());
                add(&mut counters.disk_wr_reqs, u64::try_from(stats.wr_req).ok());
                true
            });
        }
        if want_net {
            devices.interfaces.retain(|interface| {
                let stats = fallback(
                    &mut self.caps.interface_stats_call,
                    ffi::interface_stats(domain, interface),
                );
                let Some(stats) = stats else { return false };
                add(
                    &mut counters.net_rx_bytes,
                    u64::try_from(stats.rx_bytes).ok(),
                );
                add(
                    &mut counters.net_tx_bytes,
                    u64::try_from(stats.tx_bytes).ok(),
                );
                true
            });
        }
        self.put_devices(uuid, devices);
    }

    /// The cached domain handle, moved out (looked up once per session; handles address
    /// domains by UUID, so they stay valid across renames and state changes).
    fn take_handle(&mut self, conn: &Connect, uuid: DomainUuid) -> Option<Domain> {
        let tick = self.tick_number;
        let tracked = match self.tracked.entry(uuid) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => entry.insert(Tracked::new(DomainState::NoState, tick, None)),
        };
        match tracked.handle.take() {
            Some(handle) => Some(handle),
            None => conn.lookup_domain_by_uuid_string(&uuid.to_string()).ok(),
        }
    }

    /// Device names, read from the XML once when the inventory did not provide them.
    fn devices(&mut self, domain: &Domain, uuid: DomainUuid) -> DeviceNames {
        if let Some(devices) = self.tracked.get_mut(&uuid).and_then(|t| t.devices.take()) {
            return devices;
        }
        domain
            .xml_desc(0)
            .map(|xml| DeviceNames::from(&xml_peek::peek(&xml)))
            .unwrap_or_default()
    }

    /// Keeps the device names after a tick read the devices' statistics.
    fn put_devices(&mut self, uuid: DomainUuid, devices: DeviceNames) {
        if let Some(tracked) = self.tracked.get_mut(&uuid) {
            tracked.devices = Some(devices);
            tracked.devices_read = true;
        }
    }

    fn refresh_free_memory(&mut self, conn: &Connect) {
        if !self.caps.free_memory_call.usable() {
            return;
        }
        match conn.free_memory() {
            Ok(bytes) => {
                self.caps.free_memory_call = Support::Yes;
                self.host.free_memory_kib = Some(bytes / 1024);
            }
            // A host-wide call that fails the first time (the test driver reports 0, which
            // libvirt signals as an error) is not asked again this session.
            Err(_) if self.caps.free_memory_call == Support::Unknown => {
                self.caps.free_memory_call = Support::No;
                self.host.free_memory_kib = None;
            }
            Err(_) => self.host.free_memory_kib = None,
        }
    }

    /// Updates known states and reports what changed since the last tick.
    fn track(&mut self, tick: u64, domains: &[(DomainUuid, DomainCounters)]) -> Changes {
        let mut changes = Changes::default();
        for (uuid, counters) in domains {
            let state = counters.state.unwrap_or(DomainState::NoState);
            match self.tracked.get_mut(uuid) {
                Some(tracked) => {
                    if tracked.state != state {
                        changes.changed.push(*uuid);
                        tracked.set_state(state);
                    }
                    tracked.seen_in_tick = tick;
                }
                None => {
                    changes.changed.push(*uuid);
                    self.tracked.insert(*uuid, Tracked::new(state, tick, None));
                }
            }
        }
        if self.tracked.len() > domains.len() {
            self.tracked.retain(|uuid, tracked| {
                let present = tracked.seen_in_tick == tick;
                if !present {
                    changes.removed.push(*uuid);
                }
                present
            });
        }
        changes
    }
}

#[cfg(test)]
mod tests;
