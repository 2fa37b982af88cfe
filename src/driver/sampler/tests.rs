//! Unit tests of the sampler against the test driver: fallback calls and what they learn,
//! drivers without bulk statistics, the per-domain scope, disabled groups, state changes.

use super::*;

fn sampler_for(conn: &Connect) -> Sampler {
    let node = crate::driver::inventory::read_node(conn).unwrap();
    let domains = crate::driver::inventory::read_domains(conn)
        .unwrap()
        .into_iter()
        .map(|(info, devices)| (info.uuid, info.state, devices))
        .collect();
    let mut sampler = Sampler::default();
    sampler.reset(&node, domains);
    sampler
}

#[test]
fn test_driver_gets_fallback_counters_and_learns_it_once() {
    let conn = Connect::open(Some("test:///default")).unwrap();
    let mut sampler = sampler_for(&conn);
    let (sample, changes) = sampler.tick(&conn, StatsGroups::default()).unwrap();
    assert!(changes.is_empty(), "{changes:?}");
    assert_eq!(sample.domains.len(), 1);
    let counters = sample.domains[0].1;
    assert_eq!(counters.state, Some(DomainState::Running));
    // The test driver's bulk call returns only the state: these come from fallbacks.
    assert!(counters.cpu_time_ns.is_some());
    assert_eq!(counters.mem_max_kib, Some(8_388_608));
    assert!(counters.disk_rd_bytes.is_some());
    assert!(counters.net_rx_bytes.is_some());
    // Not reported by this driver at all: stays None, never a fake zero.
    assert_eq!(counters.mem_unused_kib, None);
    let caps = sampler.capabilities();
    assert_eq!(caps.bulk, Support::Yes);
    assert_eq!(caps.bulk_cpu, Support::No);
    assert_eq!(caps.info_call, Support::Yes);
    assert_eq!(caps.block_stats_call, Support::Yes);
}

#[test]
fn drivers_without_bulk_statistics_are_listed_and_asked_per_domain() {
    // Like ESX: no virConnectGetAllDomainStats at all.
    let fleet = crate::fleetgen::TempFleet::new(&crate::fleetgen::FleetSpec {
        vms: 10,
        seed: 4,
        ..Default::default()
    });
    let conn = Connect::open(Some(&fleet.uri())).unwrap();
    let mut sampler = sampler_for(&conn);
    sampler.caps.bulk = Support::No;
    let (sample, changes) = sampler.tick(&conn, StatsGroups::default()).unwrap();
    assert!(changes.is_empty(), "{changes:?}");
    assert_eq!(sample.domains.len(), 10);
    for (uuid, counters) in &sample.domains {
        let domain = conn
            .lookup_domain_by_uuid_string(&uuid.to_string())
            .unwrap();
        let state = DomainState::from_libvirt(ffi::domain_state(&domain).unwrap().0);
        assert_eq!(counters.state, Some(state));
        assert_eq!(counters.cpu_time_ns.is_some(), state.is_active());
    }
}

#[test]
fn per_domain_calls_can_be_limited_to_some_domains() {
    let fleet = crate::fleetgen::TempFleet::new(&crate::fleetgen::FleetSpec {
        vms: 20,
        seed: 5,
        ..Default::default()
    });
    let conn = Connect::open(Some(&fleet.uri())).unwrap();
    let mut sampler = sampler_for(&conn);
    let running: Vec<DomainUuid> = conn
        .list_all_domains(sys::VIR_CONNECT_LIST_DOMAINS_RUNNING)
        .unwrap()
        .iter()
        .map(|d| DomainUuid(*d.uuid().unwrap().as_bytes()))
        .collect();
    let focus = running[0];
    let others_every = 4;
    sampler.set_per_domain_scope(PerDomainScope::Only {
        domains: HashSet::from([focus]),
        others_every,
    });
    // Every domain's devices are read at its first tick and its CPU and memory at its first
    // two (rows never start without them); after that the others' every fourth tick,
    // spread over the ticks, both at the same tick.
    let mut reads: HashMap<DomainUuid, Vec<(bool, bool)>> = HashMap::new();
    for _ in 0..2 + 2 * others_every {
        let (sample, _) = sampler.tick(&conn, StatsGroups::default()).unwrap();
        for (uuid, counters) in &sample.domains {
            if running.contains(uuid) {
                let devices = counters.disk_rd_bytes.is_some() && counters.net_tx_bytes.is_some();
                assert_eq!(devices, !counters.devices_not_read);
                if !devices {
                    assert_eq!(counters.disk_rd_bytes, None);
                    assert_eq!(counters.net_tx_bytes, None);
                }
                let info = counters.cpu_time_ns.is_some() && counters.mem_current_kib.is_some();
                assert_eq!(info, !counters.info_not_read);
                if !info {
                    assert_eq!(counters.cpu_time_ns, None);
                    assert_eq!(counters.mem_current_kib, None);
                }
                reads.entry(*uuid).or_default().push((info, devices));
            }
        }
    }
    for (uuid, reads) in &reads {
        assert_eq!(reads[0], (true, true), "first tick reads every domain");
        assert!(
            reads[1].0,
            "second tick reads every domain's CPU and memory"
        );
        let later = |skip: usize, pick: fn(&(bool, bool)) -> bool| {
            reads[skip..].iter().filter(|read| pick(read)).count()
        };
        if *uuid == focus {
            assert!(
                reads.iter().all(|read| *read == (true, true)),
                "focus: {reads:?}"
            );
        } else {
            assert_eq!(
                later(2, |read| read.1),
                2,
                "devices every {others_every}: {reads:?}"
            );
            assert_eq!(
                later(2, |read| read.0),
                2,
                "info every {others_every}: {reads:?}"
            );
            for read in &reads[2..] {
                assert_eq!(read.0, read.1, "both at the same ticks: {reads:?}");
            }
        }
    }
    sampler.set_per_domain_scope(PerDomainScope::All);
    let (sample, _) = sampler.tick(&conn, StatsGroups::default()).unwrap();
    let with_all = sample
        .domains
        .iter()
        .filter(|(_, c)| c.disk_rd_bytes.is_some() && c.cpu_time_ns.is_some())
        .count();
    assert!(with_all >= running.len());
}

#[test]
fn disabled_groups_are_not_read() {
    let conn = Connect::open(Some("test:///default")).unwrap();
    let mut sampler = sampler_for(&conn);
    let groups = StatsGroups {
        cpu: true,
        memory: false,
        disk: false,
        network: false,
    };
    let (sample, _) = sampler.tick(&conn, groups).unwrap();
    let counters = sample.domains[0].1;
    assert!(counters.cpu_time_ns.is_some());
    assert_eq!(counters.disk_rd_bytes, None);
    assert_eq!(counters.net_rx_bytes, None);
    assert_eq!(counters.mem_current_kib, None);
    assert_eq!(sampler.capabilities().block_stats_call, Support::Unknown);
}

#[test]
fn state_changes_and_removals_are_noticed() {
    // test:///default is shared by the whole process: mutate a private fleet instead.
    let fleet = crate::fleetgen::TempFleet::new(&crate::fleetgen::FleetSpec {
        vms: 20,
        seed: 3,
        ..Default::default()
    });
    let conn = Connect::open(Some(&fleet.uri())).unwrap();
    let mut sampler = sampler_for(&conn);
    let domain = conn
        .list_all_domains(sys::VIR_CONNECT_LIST_DOMAINS_RUNNING)
        .unwrap()
        .remove(0);
    let uuid = DomainUuid(*domain.uuid().unwrap().as_bytes());
    domain.suspend().unwrap();
    let (_, changes) = sampler.tick(&conn, StatsGroups::default()).unwrap();
    assert_eq!(changes.changed, [uuid]);
    domain.destroy().unwrap();
    domain.undefine().unwrap();
    let (sample, changes) = sampler.tick(&conn, StatsGroups::default()).unwrap();
    assert_eq!(sample.domains.len(), 19);
    assert_eq!(changes.removed, [uuid]);
}
