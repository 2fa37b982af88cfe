//! Driver layer against libvirt's built-in `test` driver: concurrent opens, inventory checked
//! against what libvirt itself reports, every action, typed errors, events, polling and
//! deadlines. Needs nothing but libvirt (the test driver runs in-process).

// Test code: helpers outside #[test] functions may panic on failure too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "driver_support/common.rs"]
mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{TempFleet, Updates, demo_uris, driver, fast_options, is_state};
use hangar::driver::{
    ConnectionState, DomainInfo, DriverError, Inventory, LifecycleKind, Scope, UpdateKind, XmlFlags,
};
use hangar::fleetgen::{FleetSpec, GeneratedState, domains};
use hangar::model::{DomainState, DomainUuid};
use virt::connect::Connect;
use virt::sys;

const OPEN_TIMEOUT: Duration = Duration::from_secs(20);

/// What libvirt itself says about one domain, through calls the driver does not use for its
/// inventory (GetInfo, GetVcpusFlags, GetMetadata, per-domain flag queries).
fn libvirt_view(conn: &Connect) -> BTreeMap<DomainUuid, DomainInfo> {
    let mut view = BTreeMap::new();
    for domain in conn.list_all_domains(0).unwrap() {
        let uuid = DomainUuid(*domain.uuid().unwrap().as_bytes());
        let info = domain.info().unwrap();
        let (state, reason) = domain.state().unwrap();
        let reason = match reason {
            virt::enumutil::Enum::Known(known) => known_reason(known),
            virt::enumutil::Enum::Unknown(raw) => raw,
        };
        let active = domain.is_active().unwrap();
        let metadata = |kind: u32| domain.metadata(kind as i32, None, 0).ok();
        view.insert(
            uuid,
            DomainInfo {
                uuid,
                name: domain.name().unwrap(),
                id: if active { domain.id() } else { None },
                state: DomainState::from_libvirt(state.to_raw()),
                state_reason: reason,
                persistent: domain.is_persistent().unwrap(),
                autostart: domain.autostart().unwrap(),
                has_managed_save: domain.has_managed_save(0).unwrap(),
                vcpus: info.nr_virt_cpu,
                max_vcpus: domain.vcpus_flags(sys::VIR_DOMAIN_VCPU_MAXIMUM).unwrap(),
                memory_kib: info.memory,
                max_memory_kib: info.max_mem,
                title: metadata(sys::VIR_DOMAIN_METADATA_TITLE),
                description: metadata(sys::VIR_DOMAIN_METADATA_DESCRIPTION),
            },
        );
    }
    view
}

fn known_reason(reason: virt::domain::DomainStateReason) -> i32 {
    use virt::domain::DomainStateReason as R;
    let raw = match reason {
        R::NoState(r) => r.to_raw(),
        R::Running(r) => r.to_raw(),
        R::Blocked(r) => r.to_raw(),
        R::Paused(r) => r.to_raw(),
        R::Shutdown(r) => r.to_raw(),
        R::Shutoff(r) => r.to_raw(),
        R::Crashed(r) => r.to_raw(),
        R::PMSuspended(r) => r.to_raw(),
    };
    raw as i32
}

fn check_inventory_against_libvirt(uri: &str, inventory: &Inventory) {
    let conn = Connect::open(Some(uri)).unwrap();
    let ours: BTreeMap<DomainUuid, DomainInfo> = inventory
        .domains
        .iter()
        .map(|info| (info.uuid, info.clone()))
        .collect();
    assert_eq!(ours, libvirt_view(&conn), "domains of {uri}");
    assert!(!ours.is_empty());

    let node = conn.node_info().unwrap();
    assert_eq!(inventory.node.cpu_model, node.model);
    assert_eq!(inventory.node.cpus, node.cpus);
    assert_eq!(inventory.node.mhz, node.mhz);
    assert_eq!(
        (
            inventory.node.sockets,
            inventory.node.cores,
            inventory.node.threads
        ),
        (node.sockets, node.cores, node.threads)
    );
    assert_eq!(inventory.node.memory_kib, node.memory);
    assert_eq!(inventory.node.hostname, conn.hostname().unwrap());
    assert_eq!(inventory.node.driver_type, conn.driver_type().unwrap());
    assert_eq!(
        inventory.node.libvirt_version.0,
        conn.lib_version().unwrap()
    );

    let mut networks: Vec<_> = conn
        .list_all_networks(0)
        .unwrap()
        .iter()
        .map(|n| {
            (
                n.name().unwrap(),
                n.is_active().unwrap(),
                n.autostart().unwrap(),
            )
        })
        .collect();
    let mut our_networks: Vec<_> = inventory
        .networks
        .iter()
        .map(|n| (n.name.clone(), n.active, n.autostart))
        .collect();
    networks.sort();
    our_networks.sort();
    assert_eq!(our_networks, networks, "networks of {uri}");

    let mut pools: Vec<_> = conn
        .list_all_storage_pools(0)
        .unwrap()
        .iter()
        .map(|p| {
            let info = p.info().unwrap();
            (
                p.name().unwrap(),
                p.is_active().unwrap(),
                info.capacity,
                info.allocation,
            )
        })
        .collect();
    let mut our_pools: Vec<_> = inventory
        .pools
        .iter()
        .map(|p| (p.name.clone(), p.active, p.capacity, p.allocation))
        .collect();
    pools.sort();
    our_pools.sort();
    assert_eq!(our_pools, pools, "pools of {uri}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_open_concurrently_and_inventories_match_libvirt() {
    let driver = driver();
    let mut updates = Updates::new();
    let mut uris = demo_uris();
    assert_eq!(uris.len(), 3, "the demo fleet ships three hosts");
    uris.push("test:///default".to_owned());
    let started = Instant::now();
    let connections: Vec<_> = uris
        .iter()
        .map(|uri| driver.open(uri, fast_options(), updates.tx.clone()))
        .collect();
    // open() returns at once, before any libvirt work.
    assert!(started.elapsed() < Duration::from_millis(200));
    let ids: Vec<_> = connections.iter().map(|c| c.id()).collect();
    let unique: std::collections::HashSet<_> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "connection ids are unique");
    for (connection, uri) in connections.iter().zip(&uris) {
        let inventory = updates.connected(connection.id(), OPEN_TIMEOUT).await;
        assert_eq!(connection.state(), ConnectionState::Connected);
        check_inventory_against_libvirt(uri, &inventory);
        // The on-demand inventory agrees with the pushed one.
        assert_eq!(connection.inventory().await.unwrap(), *inventory);
        let node = connection.node_info().await.unwrap();
        assert_eq!(node.cpu_model, inventory.node.cpu_model);
    }
    // Every connection polls: each sends statistics for all its domains.
    for connection in &connections {
        let id = connection.id();
        let index = updates
            .wait_for("stats", Duration::from_secs(5), |update| {
                update.connection == id && matches!(update.kind, UpdateKind::Stats(_))
            })
            .await;
        let UpdateKind::Stats(sample) = &updates.seen[index].1.kind else {
            unreachable!()
        };
        let inventory = connection.inventory().await.unwrap();
        assert_eq!(sample.domains.len(), inventory.domains.len());
        for (uuid, counters) in &sample.domains {
            let info = inventory.domains.iter().find(|d| d.uuid == *uuid).unwrap();
            assert_eq!(counters.state, Some(info.state));
            if info.state.is_active() {
                // The test driver's bulk call returns only the state: per-domain fallbacks.
                assert!(counters.cpu_time_ns.is_some(), "{}", info.name);
                assert_eq!(counters.mem_current_kib, Some(info.memory_kib));
                assert!(counters.disk_rd_bytes.is_some(), "{}", info.name);
            } else {
                // Not reported for a stopped domain: None, never a fake zero.
                assert_eq!(counters.cpu_time_ns, None);
                assert_eq!(counters.disk_rd_bytes, None);
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn held_opens_wait_as_connecting_until_allowed() {
    let driver = driver();
    let mut updates = Updates::new();
    driver.hold_opens();
    let held = driver.open("test:///default", fast_options(), updates.tx.clone());
    // Half a second is many times what the test driver takes to open: held, the connection
    // only says that it is connecting.
    updates.drain_for(Duration::from_millis(500)).await;
    assert_eq!(held.state(), ConnectionState::Connecting);
    assert!(!updates.seen.is_empty(), "the connection announced itself");
    for (_, update) in &updates.seen {
        assert!(
            matches!(update.kind, UpdateKind::State(ConnectionState::Connecting)),
            "a held connection sent {}",
            common::short(update)
        );
    }
    driver.allow_opens();
    let inventory = updates.connected(held.id(), OPEN_TIMEOUT).await;
    check_inventory_against_libvirt("test:///default", &inventory);
    // Allowed once, later connections open at once.
    let later = driver.open(&demo_uris()[0], fast_options(), updates.tx.clone());
    updates.connected(later.id(), OPEN_TIMEOUT).await;
}

/// Waits until the domain's `DomainChanged` shows `want`, returns the info.
async fn changed(
    updates: &mut Updates,
    from: usize,
    uuid: DomainUuid,
    what: &str,
    mut want: impl FnMut(&DomainInfo) -> bool,
) -> (usize, DomainInfo) {
    let index = updates
        .wait_from(from, what, Duration::from_secs(5), &mut |update| {
            matches!(&update.kind, UpdateKind::DomainChanged(info) if info.uuid == uuid && want(info))
        })
        .await;
    let UpdateKind::DomainChanged(info) = &updates.seen[index].1.kind else {
        unreachable!()
    };
    (index, (**info).clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_action_changes_state_as_libvirt_reports() {
    let spec = FleetSpec {
        vms: 12,
        seed: 11,
        ..FleetSpec::default()
    };
    let fleet = TempFleet::new("actions", &spec);
    let generated = domains(&spec);
    let running = generated
        .iter()
        .find(|d| d.state == GeneratedState::Running)
        .unwrap();
    let stopped = generated
        .iter()
        .find(|d| d.state == GeneratedState::ShutOff)
        .unwrap();
    let driver = driver();
    let mut updates = Updates::new();
    let conn = driver.open(&fleet.uri(), fast_options(), updates.tx.clone());
    updates.connected(conn.id(), OPEN_TIMEOUT).await;
    let vm: DomainUuid = running.uuid.parse().unwrap();
    let off: DomainUuid = stopped.uuid.parse().unwrap();

    // libvirt's own view, read through the escape hatch on the same connection.
    let state_of = |uuid: DomainUuid| {
        let conn = conn.clone();
        async move {
            conn.call(move |c| {
                let domain = c.lookup_domain_by_uuid_string(&uuid.to_string())?;
                let info = domain.info()?;
                Ok((
                    DomainState::from_libvirt(info.state.to_raw()),
                    info.memory,
                    info.nr_virt_cpu,
                    domain.autostart()?,
                    domain.has_managed_save(0)?,
                ))
            })
            .await
            .unwrap()
        }
    };

    let mark = updates.seen.len();
    conn.suspend(vm).await.unwrap();
    assert_eq!(state_of(vm).await.0, DomainState::Paused);
    changed(&mut updates, mark, vm, "paused", |i| {
        i.state == DomainState::Paused
    })
    .await;

    conn.resume(vm).await.unwrap();
    assert_eq!(state_of(vm).await.0, DomainState::Running);

    conn.reboot(vm).await.unwrap();
    assert_eq!(state_of(vm).await.0, DomainState::Running);
    conn.reset(vm).await.unwrap();
    assert_eq!(state_of(vm).await.0, DomainState::Running);

    let mark = updates.seen.len();
    conn.managed_save(vm).await.unwrap();
    let (state, _, _, _, saved) = state_of(vm).await;
    assert_eq!((state, saved), (DomainState::ShutOff, true));
    changed(&mut updates, mark, vm, "saved", |i| i.has_managed_save).await;
    conn.discard_managed_save(vm).await.unwrap();
    assert!(!state_of(vm).await.4);

    conn.start(vm).await.unwrap();
    assert_eq!(state_of(vm).await.0, DomainState::Running);
    conn.shutdown(vm).await.unwrap();
    assert_eq!(state_of(vm).await.0, DomainState::ShutOff);
    conn.start(vm).await.unwrap();
    let mark = updates.seen.len();
    conn.force_off(vm).await.unwrap();
    assert_eq!(state_of(vm).await.0, DomainState::ShutOff);
    changed(&mut updates, mark, vm, "forced off", |i| {
        i.state == DomainState::ShutOff
    })
    .await;

    let mark = updates.seen.len();
    conn.set_autostart(off, true).await.unwrap();
    assert!(state_of(off).await.3);
    // Autostart has no lifecycle event: the driver re-reads the domain after the action.
    changed(&mut updates, mark, off, "autostart", |i| i.autostart).await;

    conn.start(vm).await.unwrap();
    conn.set_memory(vm, 256 * 1024, Scope::Live).await.unwrap();
    assert_eq!(state_of(vm).await.1, 256 * 1024);
    conn.set_vcpus(vm, 1, Scope::Live).await.unwrap();
    assert_eq!(state_of(vm).await.2, 1);
    conn.set_max_memory(off, 3 * 1024 * 1024, Scope::Config)
        .await
        .unwrap();
    conn.set_max_vcpus(off, 6, Scope::Config).await.unwrap();
    let info = conn.domain_info(off).await.unwrap();
    assert_eq!((info.max_memory_kib, info.max_vcpus), (3 * 1024 * 1024, 6));

    conn.set_title(off, Some("Renamed & retitled".into()), Scope::Config)
        .await
        .unwrap();
    conn.set_description(off, Some("line 1\nline 2".into()), Scope::Config)
        .await
        .unwrap();
    conn.rename(off, "hangar-drv-renamed").await.unwrap();
    let info = conn.domain_info(off).await.unwrap();
    assert_eq!(info.name, "hangar-drv-renamed");
    assert_eq!(info.title.as_deref(), Some("Renamed & retitled"));
    assert_eq!(info.description.as_deref(), Some("line 1\nline 2"));
    conn.set_title(off, None, Scope::Config).await.unwrap();
    assert_eq!(conn.domain_info(off).await.unwrap().title, None);

    // XML round trip: the inactive XML defines a copy under a new name and UUID.
    let xml = conn
        .domain_xml(
            off,
            XmlFlags {
                inactive: true,
                secure: true,
            },
        )
        .await
        .unwrap();
    assert!(xml.contains("<name>hangar-drv-renamed</name>"));
    let copy_uuid = "0c0ffee0-0000-4000-8000-000000000001";
    let copy_xml = xml
        .replace(
            "<name>hangar-drv-renamed</name>",
            "<name>hangar-drv-copy</name>",
        )
        .replace(&off.to_string(), copy_uuid);
    let mark = updates.seen.len();
    let defined = conn.define_xml(copy_xml).await.unwrap();
    assert_eq!(defined.name, "hangar-drv-copy");
    assert_eq!(defined.uuid, copy_uuid.parse().unwrap());
    let index = updates
        .wait_from(mark, "defined event", Duration::from_secs(5), &mut |u| {
            matches!(&u.kind, UpdateKind::Lifecycle(e) if e.kind == LifecycleKind::Defined && e.name == "hangar-drv-copy")
        })
        .await;
    assert!(index >= mark);

    // Undefine (the test driver rejects the NVRAM flag: the driver drops it and succeeds).
    conn.managed_save(vm).await.unwrap();
    let mark = updates.seen.len();
    conn.undefine(vm).await.unwrap();
    updates
        .wait_from(
            mark,
            "removed",
            Duration::from_secs(5),
            &mut |u| matches!(&u.kind, UpdateKind::DomainRemoved(uuid) if *uuid == vm),
        )
        .await;
    let left = conn
        .call(move |c| Ok(c.lookup_domain_by_uuid_string(&vm.to_string()).is_ok()))
        .await
        .unwrap();
    assert!(!left, "undefined domain is gone from libvirt");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_gives_typed_errors_with_libvirt_messages_and_changes_nothing() {
    let driver = driver();
    let mut updates = Updates::new();

    // Not a URI at all: refused by Hangar before libvirt.
    let bad = driver.open("not a uri", fast_options(), updates.tx.clone());
    let id = bad.id();
    updates
        .wait_for("failed", OPEN_TIMEOUT, |u| {
            is_state(u, id, |s| {
                matches!(s, ConnectionState::Failed(DriverError::InvalidUri { .. }))
            })
        })
        .await;
    // No driver for the scheme: libvirt's own message, verbatim.
    let unknown = driver.open("bogus:///x", fast_options(), updates.tx.clone());
    let id = unknown.id();
    updates
        .wait_for("failed", OPEN_TIMEOUT, |u| {
            is_state(u, id, |s| matches!(s, ConnectionState::Failed(_)))
        })
        .await;
    match unknown.state() {
        ConnectionState::Failed(DriverError::InvalidUri { message, .. }) => {
            assert!(message.contains("bogus:///x"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    // A failed open never retries by itself and commands say so.
    assert_eq!(
        unknown.start(DomainUuid([0; 16])).await.unwrap_err(),
        DriverError::NotConnected
    );

    let spec = FleetSpec {
        vms: 5,
        seed: 12,
        ..FleetSpec::default()
    };
    let fleet = TempFleet::new("badinput", &spec);
    let conn = driver.open(&fleet.uri(), fast_options(), updates.tx.clone());
    let before = updates.connected(conn.id(), OPEN_TIMEOUT).await;

    let malformed = conn
        .define_xml("<domain type='test'><name>x</name>")
        .await
        .unwrap_err();
    let DriverError::Libvirt { code, message, .. } = &malformed else {
        panic!("{malformed:?}")
    };
    assert!(
        [sys::VIR_ERR_XML_ERROR, sys::VIR_ERR_XML_DETAIL].contains(&(*code as u32)),
        "{code}: {message}"
    );
    assert!(message.contains("Premature end of data"), "{message}");
    assert_eq!(
        malformed.to_string(),
        *message,
        "libvirt's message shown verbatim"
    );
    let invalid = conn
        .define_xml("<domain type='test'><name>x</name><memory>nonsense</memory></domain>")
        .await
        .unwrap_err();
    assert!(
        matches!(invalid, DriverError::Libvirt { .. }),
        "{invalid:?}"
    );

    let ghost: DomainUuid = "deadbeef-dead-4eef-8eef-deadbeefdead".parse().unwrap();
    let missing = conn.start(ghost).await.unwrap_err();
    let DriverError::NotFound { message } = &missing else {
        panic!("{missing:?}")
    };
    let direct = Connect::open(Some(&fleet.uri()))
        .unwrap()
        .lookup_domain_by_uuid_string("deadbeef-dead-4eef-8eef-deadbeefdead")
        .unwrap_err();
    assert_eq!(message, direct.message(), "libvirt's own message");

    let nul = conn
        .set_title(before.domains[0].uuid, Some("a\0b".into()), Scope::Config)
        .await
        .unwrap_err();
    assert!(matches!(nul, DriverError::InvalidInput { .. }), "{nul:?}");

    // Starting a running domain is refused by libvirt with its own words.
    let running = before
        .domains
        .iter()
        .find(|d| d.state == DomainState::Running)
        .unwrap();
    let twice = conn.start(running.uuid).await.unwrap_err();
    assert!(matches!(twice, DriverError::Libvirt { .. }), "{twice:?}");

    // Nothing changed.
    assert_eq!(conn.inventory().await.unwrap(), *before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_events_and_row_updates_arrive_fast() {
    let spec = FleetSpec {
        vms: 8,
        seed: 13,
        ..FleetSpec::default()
    };
    let fleet = TempFleet::new("events", &spec);
    let driver = driver();
    let mut updates = Updates::new();
    let options = hangar::driver::OpenOptions {
        // No polling: events alone must update the row.
        poll_interval: Duration::ZERO,
        ..fast_options()
    };
    let conn = driver.open(&fleet.uri(), options, updates.tx.clone());
    let inventory = updates.connected(conn.id(), OPEN_TIMEOUT).await;
    let vm = inventory
        .domains
        .iter()
        .find(|d| d.state == DomainState::Running)
        .unwrap()
        .uuid;
    // Change the domain behind the driver's back (another libvirt client on the same
    // connection), then time how long the driver takes to report it.
    for (action, kind, state) in [
        ("suspend", LifecycleKind::Suspended, DomainState::Paused),
        ("resume", LifecycleKind::Resumed, DomainState::Running),
        ("destroy", LifecycleKind::Stopped, DomainState::ShutOff),
        ("create", LifecycleKind::Started, DomainState::Running),
    ] {
        let mark = updates.seen.len();
        let acted_at = Instant::now();
        conn.call(move |c| {
            let domain = c.lookup_domain_by_uuid_string(&vm.to_string())?;
            match action {
                "suspend" => domain.suspend(),
                "resume" => domain.resume(),
                "destroy" => domain.destroy(),
                _ => domain.create(),
            }
        })
        .await
        .unwrap();
        let event = updates
            .wait_from(mark, action, Duration::from_secs(2), &mut |u| {
                matches!(&u.kind, UpdateKind::Lifecycle(e) if e.domain == vm && e.kind == kind)
            })
            .await;
        let (row, info) = changed(&mut updates, mark, vm, action, |i| i.state == state).await;
        assert!(event < row, "the event precedes the re-read row");
        let latency = updates.seen[row].0 - acted_at;
        assert!(
            latency < Duration::from_millis(100),
            "{action}: row updated after {latency:?}"
        );
        assert_eq!(info.state, state);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn polling_follows_the_interval_and_can_change_at_runtime() {
    let fleet = TempFleet::new(
        "polling",
        &FleetSpec {
            vms: 30,
            seed: 14,
            ..FleetSpec::default()
        },
    );
    let driver = driver();
    let mut updates = Updates::new();
    let conn = driver.open(&fleet.uri(), fast_options(), updates.tx.clone());
    let id = conn.id();
    updates.connected(id, OPEN_TIMEOUT).await;
    let stats_times = |updates: &Updates, from: usize| -> Vec<Instant> {
        updates.seen[from..]
            .iter()
            .filter(|(_, u)| u.connection == id && matches!(u.kind, UpdateKind::Stats(_)))
            .map(|(at, _)| *at)
            .collect()
    };
    let mark = updates.seen.len();
    updates.drain_for(Duration::from_millis(1500)).await;
    let fast = stats_times(&updates, mark);
    assert!(
        (5..=9).contains(&fast.len()),
        "200 ms polling gave {} ticks in 1.5 s",
        fast.len()
    );

    conn.set_polling(
        Duration::from_millis(500),
        hangar::stats::sample::StatsGroups {
            cpu: true,
            memory: false,
            disk: false,
            network: false,
        },
    );
    updates.drain_for(Duration::from_millis(300)).await;
    let mark = updates.seen.len();
    updates.drain_for(Duration::from_millis(2100)).await;
    let slow = stats_times(&updates, mark);
    assert!(
        (3..=5).contains(&slow.len()),
        "500 ms polling gave {} ticks in 2.1 s",
        slow.len()
    );
    let last = updates.seen[mark..]
        .iter()
        .rev()
        .find_map(|(_, u)| match &u.kind {
            UpdateKind::Stats(sample) => Some(Arc::clone(sample)),
            _ => None,
        })
        .unwrap();
    for (_, counters) in &last.domains {
        assert_eq!(counters.disk_rd_bytes, None, "disk group disabled");
        assert_eq!(counters.mem_current_kib, None, "memory group disabled");
    }
    assert!(last.domains.iter().any(|(_, c)| c.cpu_time_ns.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_time_out_and_an_expired_command_never_runs_late() {
    let fleet = TempFleet::new(
        "deadline",
        &FleetSpec {
            vms: 3,
            seed: 15,
            ..FleetSpec::default()
        },
    );
    let driver = driver();
    let mut updates = Updates::new();
    let conn = driver.open(&fleet.uri(), fast_options(), updates.tx.clone());
    let inventory = updates.connected(conn.id(), OPEN_TIMEOUT).await;
    let vm = inventory
        .domains
        .iter()
        .find(|d| d.state == DomainState::Running)
        .unwrap()
        .uuid;
    // Occupy the worker for 1.5 s (a slow host).
    let busy = conn.with_deadline(Duration::from_secs(5));
    let blocker = tokio::spawn(async move {
        busy.call(|_| {
            std::thread::sleep(Duration::from_millis(1500));
            Ok(())
        })
        .await
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let ran = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let started = Instant::now();
    let short = conn.with_deadline(Duration::from_millis(300));
    let error = short
        .call(move |c| {
            flag.store(true, Ordering::SeqCst);
            c.lookup_domain_by_uuid_string(&vm.to_string())?.destroy()
        })
        .await
        .unwrap_err();
    let waited = started.elapsed();
    assert_eq!(
        error,
        DriverError::Timeout {
            after: Duration::from_millis(300)
        }
    );
    assert!(
        waited < Duration::from_millis(600),
        "timed out after {waited:?}"
    );
    assert!(!error.to_string().is_empty());
    blocker.await.unwrap().unwrap();
    // The worker is free again; the expired command was dropped, not run late.
    let info = conn.domain_info(vm).await.unwrap();
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(info.state, DomainState::Running);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_guest_and_storage_commands_work_on_the_test_driver() {
    let driver = driver();
    let mut updates = Updates::new();
    let uri = demo_uris()
        .into_iter()
        .find(|u| u.ends_with("lab.xml"))
        .unwrap();
    let conn = driver.open(&uri, fast_options(), updates.tx.clone());
    let inventory = updates.connected(conn.id(), OPEN_TIMEOUT).await;
    let vm = inventory
        .domains
        .iter()
        .find(|d| d.state == DomainState::Running)
        .unwrap()
        .uuid;

    let shot = conn.screenshot(vm, 0).await.unwrap();
    assert!(shot.mime_type.starts_with("image/"), "{}", shot.mime_type);
    assert!(
        shot.data.starts_with(b"\x89PNG"),
        "the test driver sends a PNG"
    );

    conn.send_key(vm, hangar::driver::KeyCodeSet::Linux, 50, vec![30])
        .await
        .unwrap();

    let addresses = conn.guest_addresses(vm).await.unwrap();
    assert!(
        addresses.iter().any(|i| !i.addresses.is_empty()),
        "{addresses:?}"
    );

    // The test driver has no graphics server: a typed libvirt error, no fd.
    let fd = conn.open_graphics_fd(vm, 0, true).await.unwrap_err();
    assert!(matches!(fd, DriverError::Libvirt { .. }), "{fd:?}");

    let path = "/var/lib/libvirt/images/k8s-lab-w1.qcow2";
    let volume = conn.volume_by_path(path).await.unwrap();
    assert_eq!(volume.name, "k8s-lab-w1.qcow2");
    assert_eq!(volume.pool.as_deref(), Some("default"));
    assert_eq!(volume.capacity, 40 << 30);
    conn.delete_volume(path).await.unwrap();
    let gone = conn.volume_by_path(path).await.unwrap_err();
    assert!(matches!(gone, DriverError::NotFound { .. }), "{gone:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_is_respected_and_reconnect_reads_a_fresh_inventory() {
    let fleet = TempFleet::new(
        "disconnect",
        &FleetSpec {
            vms: 4,
            seed: 16,
            ..FleetSpec::default()
        },
    );
    let driver = driver();
    let mut updates = Updates::new();
    let conn = driver.open(&fleet.uri(), fast_options(), updates.tx.clone());
    let id = conn.id();
    updates.connected(id, OPEN_TIMEOUT).await;
    conn.disconnect();
    let mark = updates
        .wait_for("user disconnect", Duration::from_secs(5), |u| {
            is_state(u, id, |s| {
                matches!(
                    s,
                    ConnectionState::Disconnected(hangar::driver::DisconnectReason::User)
                )
            })
        })
        .await;
    assert_eq!(
        conn.inventory().await.unwrap_err(),
        DriverError::NotConnected
    );
    // No reconnect and no more stats by itself.
    updates.drain_for(Duration::from_millis(800)).await;
    assert!(
        !updates.seen[mark + 1..].iter().any(|(_, u)| matches!(
            u.kind,
            UpdateKind::Stats(_)
                | UpdateKind::Inventory(_)
                | UpdateKind::State(ConnectionState::Connected)
        )),
        "nothing reconnects after a user disconnect"
    );
    conn.reconnect();
    let mark = updates.seen.len();
    updates
        .wait_from(mark, "reconnected inventory", OPEN_TIMEOUT, &mut |u| {
            u.connection == id && matches!(u.kind, UpdateKind::Inventory(_))
        })
        .await;
    assert_eq!(conn.state(), ConnectionState::Connected);
    conn.close();
    updates
        .wait_for("closed", Duration::from_secs(5), |u| {
            is_state(u, id, |s| {
                matches!(
                    s,
                    ConnectionState::Disconnected(hangar::driver::DisconnectReason::Closed)
                )
            })
        })
        .await;
    assert_eq!(conn.inventory().await.unwrap_err(), DriverError::Closed);
}
