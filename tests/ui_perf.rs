//! The performance views end to end: the real `hangar` binary in its own X and D-Bus session,
//! read from outside through AT-SPI, against a private test-driver daemon whose machines the
//! test defines. What a screen reader hears for a chart's current value must be the figure
//! libvirt's own counters give.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "ui_support/hosts.rs"]
mod hosts;
#[path = "ui_support/require.rs"]
mod require;
#[path = "ui_support/session.rs"]
mod session;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use hosts::{Start, TestHost};
use session::{App, Session};

/// Each test starts an X server, a daemon and the app: run them one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

const WAIT: Duration = Duration::from_secs(40);

fn prerequisites() -> bool {
    !require::session_and_hosts_missing()
}

/// Defines and starts a machine with `vcpus` virtual CPUs on `host`.
fn start_machine(host: &TestHost, name: &str, vcpus: u32) {
    let xml = format!(
        "<domain type='test'><name>{name}</name><memory unit='MiB'>256</memory>\
         <vcpu>{vcpus}</vcpu><os><type>hvm</type></os></domain>"
    );
    host.conn.define_domain_xml(&xml).unwrap().create().unwrap();
}

/// The machine's CPU use in % of its own vCPUs, from libvirt's counters over two seconds —
/// what Hangar's CPU chart must say.
fn cpu_percent_from_libvirt(host: &TestHost, name: &str) -> f64 {
    let domain = host.conn.lookup_domain_by_name(name).unwrap();
    let first = domain.info().unwrap();
    let start = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    let second = domain.info().unwrap();
    let elapsed = start.elapsed().as_secs_f64();
    let busy = (second.cpu_time - first.cpu_time) as f64 / 1e9;
    100.0 * busy / elapsed / f64::from(second.nr_virt_cpu)
}

/// The accessible names of the window's labels (what a screen reader announces).
fn label_names(app: &App) -> Vec<String> {
    serde_json::from_value(app.must(&["label-names"])).unwrap()
}

/// The number in "CPU 25 % …", when `name` is a CPU chart's announcement.
fn announced_cpu(name: &str) -> Option<f64> {
    let rest = name.strip_prefix("CPU ")?;
    let (number, _) = rest.split_once(" %")?;
    number.trim().parse().ok()
}

#[test]
fn performance_tab_announces_the_cpu_libvirt_measures() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites() {
        return;
    }
    let host = TestHost::start("ui-perf-tab", &[("perf-idle", Start::Off)]);
    // Four vCPUs: the test driver's CPU time runs with the clock, so the guest uses one of
    // them — 25 %, a figure a rate computed per host CPU or clamped to 100 % would miss.
    start_machine(&host, "perf-quad", 4);
    let expected = cpu_percent_from_libvirt(&host, "perf-quad");
    let session = Session::start("perf-tab");
    let app = session.launch(&[
        "--connect",
        &host.uri(),
        "--show-domain-performance",
        "perf-quad",
    ]);
    let (announced, name) = app.wait_for("the CPU chart's accessible value", WAIT, |app| {
        label_names(app)
            .into_iter()
            .find_map(|name| announced_cpu(&name).map(|value| (value, name)))
    });
    assert!(
        (announced - expected).abs() <= 5.0,
        "the chart says {name:?}, libvirt's counters give {expected:.1} %"
    );
    assert!(name.contains("of its virtual CPUs"), "{name}");
    let names = label_names(&app);
    // The machine has no disk and no network interface, so the test driver measures no I/O:
    // the charts say so instead of announcing zeros.
    for chart in ["Disk", "Network"] {
        let honest = format!("{chart}: not available from this hypervisor");
        assert!(names.contains(&honest), "no {honest:?} in {names:?}");
        assert!(
            !names
                .iter()
                .any(|name| name.starts_with(&format!("{chart} 0"))),
            "{names:?}"
        );
    }
    // Memory is written against the machine's allocation as libvirt reports it.
    let info = host
        .conn
        .lookup_domain_by_name("perf-quad")
        .unwrap()
        .info()
        .unwrap();
    assert_eq!(info.max_mem, 256 * 1024);
    assert!(
        names
            .iter()
            .any(|name| name.starts_with("Memory ") && name.contains("of 256 MiB")),
        "{names:?}"
    );
}

#[test]
fn fleet_overview_sums_the_hosts_and_ranks_the_busiest_machine() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    if !prerequisites() {
        return;
    }
    let host = TestHost::start("ui-perf-fleet", &[("fleet-off", Start::Off)]);
    start_machine(&host, "fleet-busy", 2);
    let cpus = host.conn.node_info().unwrap().cpus;
    let session = Session::start("perf-fleet");
    // Nothing selected: the window opens on the fleet overview.
    let app = session.launch(&["--connect", &host.uri()]);
    let of_cpus = format!("of {cpus} CPUs");
    let name = app.wait_for("the fleet CPU chart's accessible value", WAIT, |app| {
        label_names(app)
            .into_iter()
            .find(|name| announced_cpu(name).is_some() && name.contains(&of_cpus))
    });
    assert!(name.starts_with("CPU "), "{name}");
    // The busy machine heads the busiest list; the machine that is off is not ranked.
    app.wait_for("the busiest machines list", WAIT, |app| {
        let labels = app.labels();
        (labels.iter().any(|l| l == "fleet-busy") && !labels.iter().any(|l| l == "fleet-off"))
            .then_some(())
    });
    // Selecting a machine leaves the overview; the Fleet Overview action selects nothing again.
    app.must(&["select", "fleet-busy"]);
    let pausable = |app: &App| app.actions().iter().any(|a| a == "win.vm-pause");
    app.wait_for("the machine's actions", WAIT, |app| {
        pausable(app).then_some(())
    });
    app.must(&["activate", "win.fleet-overview"]);
    app.wait_for("nothing selected", WAIT, |app| {
        (!pausable(app)).then_some(())
    });
}
