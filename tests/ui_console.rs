//! The console end to end: the real `hangar` binary in its own X and D-Bus session, driven
//! from outside through AT-SPI (`tests/atspi/console_atspi.py`) and the X keyboard
//! (`xdotool`), against a real memtest86+ guest on `qemu:///system`. What the guest received
//! is read back through libvirt's screenshot, never from the app.
//!
//! One test walks the states a user meets: a shut-off guest shows "Not Running" with a Run
//! button; Run starts it (libvirt says so) and the console connects by itself; the toolbar's
//! Send Key → Ctrl+Alt+F1 opens memtest's settings (libvirt's screenshot shows them); F10
//! typed on the X keyboard into the display closes them; destroying the guest brings "Not
//! Running" back, and starting it from outside reconnects the console without a click.
//!
//! Needs Xvfb, dbus-daemon, python3-gi with Atspi, xdotool, ImageMagick's `convert`, `virsh`
//! and `qemu:///system` with memtest86+. Skipped with a reason when missing, unless
//! `HANGAR_TEST_REQUIRE_ALL=1`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "ui_support/hosts.rs"]
mod hosts;
#[path = "vnc_support/images.rs"]
mod images;
#[path = "ui_support/require.rs"]
mod require;
#[path = "ui_support/session.rs"]
mod session;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use images::{Rgb, read_ppm};
use serde_json::Value;
use session::{App, Session};
use virt::connect::Connect;

const MEMTEST: &str = "/boot/memtest86+x64.bin";
const WAIT: Duration = Duration::from_secs(60);

fn prerequisites() -> bool {
    use require::missing;
    if missing(session::tools_missing()) {
        return false;
    }
    for tool in [
        "/usr/bin/xdotool",
        "/usr/bin/convert",
        "/usr/bin/virsh",
        MEMTEST,
    ] {
        if missing((!Path::new(tool).exists()).then(|| format!("{tool} is not installed"))) {
            return false;
        }
    }
    !missing(
        Connect::open(Some("qemu:///system"))
            .err()
            .map(|e| format!("qemu:///system: {e}")),
    )
}

/// A defined (not started) memtest guest, destroyed and undefined on drop.
struct Guest {
    conn: Connect,
    name: String,
}

impl Guest {
    fn define() -> Guest {
        let conn = Connect::open(Some("qemu:///system")).unwrap();
        let name = format!("hangar-console-{}-e2e", std::process::id());
        let xml = format!(
            "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
             <os><type arch='x86_64' machine='pc'>hvm</type><kernel>{MEMTEST}</kernel>\
             <cmdline>nopause</cmdline></os>\
             <devices><graphics type='vnc' port='-1' listen='127.0.0.1'/>\
             <video><model type='vga'/></video></devices></domain>"
        );
        conn.define_domain_xml(&xml).unwrap();
        Guest { conn, name }
    }

    fn active(&self) -> bool {
        self.conn
            .lookup_domain_by_name(&self.name)
            .and_then(|d| d.is_active())
            .unwrap_or(false)
    }

    fn start(&self) {
        self.conn
            .lookup_domain_by_name(&self.name)
            .unwrap()
            .create()
            .unwrap();
    }

    fn destroy(&self) {
        self.conn
            .lookup_domain_by_name(&self.name)
            .unwrap()
            .destroy()
            .unwrap();
    }

    /// libvirt's screenshot of the guest, as RGB (`None` while it cannot give one).
    fn screenshot(&self) -> Option<Rgb> {
        let file = std::env::temp_dir().join(format!("{}.shot", self.name));
        let status = Command::new("virsh")
            .args(["-c", "qemu:///system", "screenshot", &self.name])
            .arg(&file)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        if !status.success() {
            return None;
        }
        let output = Command::new("convert")
            .arg(&file)
            .args(["-depth", "8", "ppm:-"])
            .output()
            .ok()?;
        let _ = std::fs::remove_file(&file);
        output.status.success().then(|| read_ppm(&output.stdout))
    }

    /// Whether memtest shows its settings pop-up (a large black box on its blue screen).
    fn settings_open(&self) -> bool {
        self.screenshot().is_some_and(|shot| {
            shot.data
                .chunks_exact(3)
                .filter(|px| px == &[0, 0, 0])
                .count()
                > 40_000
        })
    }
}

impl Drop for Guest {
    fn drop(&mut self) {
        if let Ok(domain) = self.conn.lookup_domain_by_name(&self.name) {
            let _ = domain.destroy();
            let _ = domain.undefine();
        }
    }
}

/// Runs one `console_atspi.py` command against the app.
fn console_atspi(session: &Session, app: &App, args: &[&str]) -> Result<Value, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/atspi/console_atspi.py");
    let out = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(app.pid().to_string())
        .args(args)
        .envs(session.env())
        .env("PYTHONWARNINGS", "ignore")
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("bad JSON: {e}"))
}

/// The names of every visible label.
fn visible_labels(session: &Session, app: &App) -> Vec<String> {
    let Ok(Value::Array(nodes)) = console_atspi(session, app, &["tree"]) else {
        return Vec::new();
    };
    nodes
        .iter()
        .filter(|node| node[0] == "label")
        .filter_map(|node| node[1].as_str().map(str::to_owned))
        .collect()
}

/// Waits until the console's status line (or status page) shows a label starting with
/// `prefix`; returns it.
fn wait_for_label(session: &Session, app: &App, prefix: &str) -> String {
    app.wait_for(&format!("a label “{prefix}…”"), WAIT, |app| {
        visible_labels(session, app)
            .into_iter()
            .find(|label| label.starts_with(prefix))
    })
}

/// Polls `condition` (which reads libvirt) until it holds.
fn poll(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn console_tab_runs_the_guest_connects_reconnects_and_takes_keys() {
    if !prerequisites() {
        return;
    }
    let guest = Guest::define();
    let session = Session::start("console");
    let app = session.launch(&["-c", "qemu:///system", "--show-domain-console", &guest.name]);

    // A shut-off guest: the state in words and a Run button that starts it.
    wait_for_label(&session, &app, "Not Running");
    assert!(!guest.active());
    app.wait_for("the Run button to work", WAIT, |app| {
        console_atspi(&session, app, &["press", "Run"]).ok()
    });
    poll("libvirt to report the guest running", WAIT, || {
        guest.active()
    });
    let connected = wait_for_label(&session, &app, "Connected (");
    assert_eq!(connected, "Connected (720×400)", "memtest's text mode size");

    // Send Key → Virtual Terminal → Ctrl+Alt+F1: memtest opens its settings on the F1 press.
    // memtest polls its keyboard only once started up, so retry until the pop-up shows.
    let deadline = Instant::now() + WAIT;
    while !guest.settings_open() {
        assert!(
            Instant::now() < deadline,
            "Ctrl+Alt+F1 from the toolbar never reached memtest"
        );
        console_atspi(&session, &app, &["press", "Send Key"]).unwrap();
        app.wait_for("the Send Key menu", WAIT, |app| {
            console_atspi(&session, app, &["press", "Virtual Terminal"]).ok()
        });
        app.wait_for("the terminal keys", WAIT, |app| {
            console_atspi(&session, app, &["press", "Ctrl+Alt+F1"]).ok()
        });
        let shown = Instant::now() + Duration::from_secs(5);
        while Instant::now() < shown && !guest.settings_open() {
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    // F10 ("Exit menu") typed on the X keyboard into the display closes them again.
    let extents = console_atspi(&session, &app, &["extents", "Guest display"]).unwrap();
    let [x, y, w, h] = [0, 1, 2, 3].map(|i| extents[i].as_i64().unwrap());
    let (cx, cy) = ((x + w / 2).to_string(), (y + h / 2).to_string());
    session.xdotool(&["mousemove", &cx, &cy, "click", "1"]);
    let deadline = Instant::now() + WAIT;
    while guest.settings_open() {
        assert!(
            Instant::now() < deadline,
            "F10 typed into the console never closed memtest's settings"
        );
        session.xdotool(&["key", "F10"]);
        std::thread::sleep(Duration::from_millis(700));
    }

    // The guest goes away: the console says so; it comes back: the console reconnects alone.
    guest.destroy();
    wait_for_label(&session, &app, "Not Running");
    guest.start();
    wait_for_label(&session, &app, "Connected (");
}
