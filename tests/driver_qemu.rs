//! The driver against the real `qemu:///system` with the memtest guest (DESIGN.md §4): bulk
//! statistics of a busy guest, lifecycle events in order and on time, the graphics socket and a
//! screenshot. Needs the system libvirtd and memtest86+; with HANGAR_TEST_REQUIRE_ALL=1 their
//! absence fails the test. The guest gets a unique name and is destroyed and undefined by a
//! guard even when the test fails.

// Test code: helpers outside #[test] functions may panic on failure too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "driver_support/common.rs"]
mod common;

use std::io::Read as _;
use std::time::{Duration, Instant};

use common::{Updates, driver, service_missing};
use hangar::driver::{LifecycleKind, OpenOptions, UpdateKind};
use hangar::model::{DomainState, DomainUuid};

const MEMTEST: &str = "/boot/memtest86+x64.bin";

/// Destroys and undefines the guest on drop, through its own connection.
struct GuestGuard {
    name: String,
}

impl Drop for GuestGuard {
    fn drop(&mut self) {
        if let Ok(conn) = virt::connect::Connect::open(Some("qemu:///system")) {
            if let Ok(domain) = conn.lookup_domain_by_name(&self.name) {
                let _ = domain.destroy();
                let _ = domain.undefine();
            }
        }
    }
}

fn qemu_available() -> Result<(), String> {
    if !std::path::Path::new(MEMTEST).exists() {
        return Err(format!("{MEMTEST} is missing (Debian package memtest86+)"));
    }
    virt::connect::Connect::open(Some("qemu:///system"))
        .map(drop)
        .map_err(|error| format!("qemu:///system is not reachable: {}", error.message()))
}

fn memtest_xml(name: &str) -> String {
    format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64' machine='pc'>hvm</type><kernel>{MEMTEST}</kernel></os>\
         <devices><graphics type='vnc' port='-1' listen='127.0.0.1'/>\
         <video><model type='vga'/></video></devices></domain>"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memtest_guest_stats_events_and_console() {
    if let Err(why) = tokio::task::spawn_blocking(qemu_available).await.unwrap() {
        service_missing(&why);
        return;
    }
    let name = format!("hangar-drv-{}-memtest", std::process::id());
    let _guard = GuestGuard { name: name.clone() };
    let driver = driver();
    let mut updates = Updates::new();
    let options = OpenOptions {
        poll_interval: Duration::from_millis(500),
        ..OpenOptions::default()
    };
    let conn = driver.open("qemu:///system", options, updates.tx.clone());
    let id = conn.id();
    updates.connected(id, Duration::from_secs(30)).await;

    let info = conn.define_xml(memtest_xml(&name)).await.unwrap();
    let uuid: DomainUuid = info.uuid;
    assert_eq!(info.state, DomainState::ShutOff);

    // Each action, then the time until its event arrived (measured from the call's return).
    let mut lags = Vec::new();
    let mut act = async |what: LifecycleKind, updates: &mut Updates| {
        let mark = updates.seen.len();
        let result = match what {
            LifecycleKind::Started => conn.start(uuid).await,
            LifecycleKind::Suspended => conn.suspend(uuid).await,
            LifecycleKind::Resumed => conn.resume(uuid).await,
            _ => conn.force_off(uuid).await,
        };
        result.unwrap();
        let returned = Instant::now();
        let index = updates
            .wait_from(mark, "lifecycle event", Duration::from_secs(5), &mut |u| {
                matches!(&u.kind, UpdateKind::Lifecycle(e) if e.domain == uuid && e.kind == what)
            })
            .await;
        lags.push((
            what,
            updates.seen[index].0.saturating_duration_since(returned),
        ));
    };

    act(LifecycleKind::Started, &mut updates).await;

    // Two ticks with the guest running: memtest keeps its vCPU busy.
    let counters = |updates: &Updates, index: usize| match &updates.seen[index].1.kind {
        UpdateKind::Stats(sample) => sample
            .domains
            .iter()
            .find(|(u, _)| *u == uuid)
            .map(|(_, c)| (sample.taken_at, *c)),
        _ => None,
    };
    let mut samples = Vec::new();
    let mut from = updates.seen.len();
    while samples.len() < 2 {
        let index = updates
            .wait_from(from, "stats with the guest", Duration::from_secs(10), &mut |u| {
                u.connection == id
                    && matches!(&u.kind, UpdateKind::Stats(s) if s.domains.iter().any(|(d, c)| *d == uuid && c.cpu_time_ns.is_some()))
            })
            .await;
        samples.push(counters(&updates, index).unwrap());
        from = index + 1;
        if samples.len() == 1 {
            // Let a whole second of guest CPU accumulate.
            tokio::time::sleep(Duration::from_millis(1000)).await;
        }
    }
    let (t0, first) = samples[0];
    let (t1, second) = samples[1];
    let cpu_ns = second.cpu_time_ns.unwrap() - first.cpu_time_ns.unwrap();
    let cores = cpu_ns as f64 / (t1 - t0).as_nanos() as f64;
    eprintln!("memtest guest CPU between two ticks: {cores:.2} cores");
    assert!((0.2..2.0).contains(&cores), "guest CPU {cores:.2} cores");
    assert_eq!(second.state, Some(DomainState::Running));
    assert_eq!(second.mem_current_kib, Some(64 * 1024), "balloon current");
    assert_eq!(second.mem_max_kib, Some(64 * 1024), "balloon maximum");
    assert_eq!(second.vcpus, Some(1));
    // No disks and no NICs: really zero bytes, reported as such.
    assert_eq!(second.disk_rd_bytes, Some(0));
    assert_eq!(second.net_rx_bytes, Some(0));

    // The console socket speaks RFB.
    let fd = conn.open_graphics_fd(uuid, 0, true).await.unwrap();
    let mut socket = std::fs::File::from(fd);
    let greeting = tokio::task::spawn_blocking(move || {
        let mut greeting = [0u8; 12];
        socket.read_exact(&mut greeting).map(|_| greeting)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(&greeting[..4], b"RFB ", "{greeting:?}");
    let shot = conn.screenshot(uuid, 0).await.unwrap();
    assert!(
        shot.data.len() > 1000,
        "{} bytes of {}",
        shot.data.len(),
        shot.mime_type
    );

    act(LifecycleKind::Suspended, &mut updates).await;
    act(LifecycleKind::Resumed, &mut updates).await;
    act(LifecycleKind::Stopped, &mut updates).await;
    eprintln!("event lags after the call returned: {lags:?}");
    for (kind, lag) in &lags {
        assert!(
            *lag < Duration::from_secs(1),
            "{kind:?} arrived {lag:?} after the call"
        );
    }
    let order: Vec<LifecycleKind> = updates
        .seen
        .iter()
        .filter_map(|(_, u)| match &u.kind {
            UpdateKind::Lifecycle(e) if e.domain == uuid => Some(e.kind),
            _ => None,
        })
        .filter(|kind| {
            matches!(
                kind,
                LifecycleKind::Started
                    | LifecycleKind::Suspended
                    | LifecycleKind::Resumed
                    | LifecycleKind::Stopped
            )
        })
        .collect();
    // QEMU starts a guest paused and resumes it, so a Resumed may precede Started.
    let from_start = order
        .iter()
        .position(|kind| *kind == LifecycleKind::Started)
        .expect("a Started event");
    assert_eq!(
        order[from_start..],
        [
            LifecycleKind::Started,
            LifecycleKind::Suspended,
            LifecycleKind::Resumed,
            LifecycleKind::Stopped
        ]
    );

    let mark = updates.seen.len();
    conn.undefine(uuid).await.unwrap();
    updates
        .wait_from(
            mark,
            "removed",
            Duration::from_secs(5),
            &mut |u| matches!(&u.kind, UpdateKind::DomainRemoved(d) if *d == uuid),
        )
        .await;
}
