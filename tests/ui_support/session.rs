//! A private desktop session for driving the real `hangar` binary from outside: its own Xvfb,
//! D-Bus session bus (with the AT-SPI bus activated on demand) and throwaway settings, and an
//! AT-SPI client (`tests/atspi/hangar_atspi.py`) that reads and clicks the window by accessible
//! names.

#![allow(dead_code)]
// Test harness code: a failed set-up step should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// The system Python with PyGObject (not a virtualenv's python3).
const PYTHON: &str = "/usr/bin/python3";

/// What this harness needs that may be missing on a machine, in words; `None` when all is there.
pub fn tools_missing() -> Option<String> {
    for tool in ["/usr/bin/Xvfb", "/usr/bin/dbus-daemon", PYTHON] {
        if !Path::new(tool).exists() {
            return Some(format!("{tool} is not installed"));
        }
    }
    let atspi = Command::new(PYTHON)
        .args([
            "-c",
            "import gi; gi.require_version('Atspi', '2.0'); from gi.repository import Atspi",
        ])
        .status()
        .map(|status| status.success())
        .unwrap_or(false);
    (!atspi).then(|| "python3-gi with the Atspi typelib (gir1.2-atspi-2.0) is missing".to_owned())
}

/// Xvfb + a session bus + a temporary home for settings, stopped on drop.
pub struct Session {
    pub dir: PathBuf,
    pub display: String,
    pub bus: String,
    xvfb: Child,
    bus_pid: i32,
}

impl Session {
    pub fn start(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("hangar-ui-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        // A display number nobody uses: the first free one from 120 on.
        let number = (120..400)
            .find(|n| {
                !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
                    && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
            })
            .expect("a free X display number");
        let display = format!(":{number}");
        let xvfb = Command::new("Xvfb")
            .args([
                &display,
                "-screen",
                "0",
                "1600x1200x24",
                "-nolisten",
                "tcp",
                "-noreset",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb starts");
        // Ready once its socket takes connections: the socket file appears before Xvfb
        // listens, and a client started in between cannot open the display (seen in CI).
        let socket = format!("/tmp/.X11-unix/X{number}");
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            assert!(Instant::now() < deadline, "Xvfb did not start on {display}");
            std::thread::sleep(Duration::from_millis(20));
        }
        let out = Command::new("dbus-daemon")
            .args(["--session", "--fork", "--print-address=1", "--print-pid=1"])
            .output()
            .expect("dbus-daemon starts");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let mut lines = text.lines();
        let bus = lines.next().expect("bus address").to_owned();
        let bus_pid = lines
            .next()
            .and_then(|pid| pid.trim().parse().ok())
            .expect("bus pid");
        Self {
            dir,
            display,
            bus,
            xvfb,
            bus_pid,
        }
    }

    /// Runs `xdotool` with `args` on this session's display (the X pointer and keyboard).
    pub fn xdotool(&self, args: &[&str]) {
        let status = Command::new("xdotool")
            .args(args)
            .envs(self.env())
            .status()
            .expect("xdotool runs");
        assert!(status.success(), "xdotool {args:?} failed");
    }

    /// The environment every process of this session runs with.
    pub fn env(&self) -> Vec<(String, String)> {
        let dir = |name: &str| self.dir.join(name).display().to_string();
        vec![
            ("DISPLAY".into(), self.display.clone()),
            ("DBUS_SESSION_BUS_ADDRESS".into(), self.bus.clone()),
            ("GSETTINGS_BACKEND".into(), "memory".into()),
            ("XDG_CONFIG_HOME".into(), dir("config")),
            ("XDG_DATA_HOME".into(), dir("data")),
            ("XDG_CACHE_HOME".into(), dir("cache")),
            ("GSK_RENDERER".into(), "cairo".into()),
            // English labels, so the test can read states ("Paused").
            ("LANGUAGE".into(), "C".into()),
            ("LC_ALL".into(), "C.UTF-8".into()),
        ]
    }

    /// Starts Hangar with `args` in this session and waits until its window is on the
    /// accessibility bus.
    pub fn launch(&self, args: &[&str]) -> App {
        let child = Command::new(env!("CARGO_BIN_EXE_hangar"))
            .args(args)
            .envs(self.env())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.join("hangar.log")).unwrap())
            .spawn()
            .expect("hangar starts");
        let app = App {
            child,
            env: self.env(),
            log: self.dir.join("hangar.log"),
        };
        app.wait_for("its window", Duration::from_secs(30), |app| {
            app.atspi(&["actions"]).ok().filter(|actions| {
                actions
                    .as_array()
                    .is_some_and(|list| list.iter().any(|a| a == "win.add-connection"))
            })
        });
        app
    }

    /// Runs a second `hangar` in this session (single-instance forwarding) and waits for it.
    pub fn run_second_instance(&self, args: &[&str]) -> std::process::ExitStatus {
        let mut child = Command::new(env!("CARGO_BIN_EXE_hangar"))
            .args(args)
            .envs(self.env())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("second hangar starts");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the second instance did not hand over and exit");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the bus daemon this session started.
        unsafe { libc::kill(self.bus_pid, libc::SIGTERM) };
        // SIGTERM, not kill(): a killed Xvfb leaves its lock file and socket behind, and the
        // next sessions' display numbers climb past them.
        // SAFETY: kill(2) on the Xvfb this session started (and still owns as a Child).
        unsafe { libc::kill(self.xvfb.id() as i32, libc::SIGTERM) };
        let _ = self.xvfb.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A running Hangar, killed on drop.
pub struct App {
    child: Child,
    env: Vec<(String, String)>,
    log: PathBuf,
}

impl App {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Runs one AT-SPI command against this app; its JSON answer, or its error in words.
    pub fn atspi(&self, args: &[&str]) -> Result<Value, String> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/atspi/hangar_atspi.py");
        let out = Command::new(PYTHON)
            .arg(script)
            .arg(self.pid().to_string())
            .args(args)
            .envs(self.env.iter().cloned())
            .env("PYTHONWARNINGS", "ignore")
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("bad JSON from the AT-SPI client: {e}"))
    }

    /// Runs a command that must succeed.
    pub fn must(&self, args: &[&str]) -> Value {
        self.atspi(args)
            .unwrap_or_else(|error| panic!("AT-SPI {args:?} failed: {error}\n{}", self.log_tail()))
    }

    /// Polls `check` until it gives a value or `timeout` passes (then fails, saying `what`).
    pub fn wait_for<T>(
        &self,
        what: &str,
        timeout: Duration,
        check: impl FnMut(&Self) -> Option<T>,
    ) -> T {
        self.try_wait_for(timeout, check)
            .unwrap_or_else(|| panic!("timed out waiting for {what}\n{}", self.log_tail()))
    }

    /// Polls `check` until it gives a value, or gives None once `timeout` passes — for callers
    /// that explain a timeout themselves.
    pub fn try_wait_for<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&Self) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(value) = check(self) {
                return Some(value);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// The fleet's rows as (first label, second label, state-column text) triples.
    pub fn rows(&self) -> Vec<Row> {
        let value = self.must(&["rows"]);
        value
            .as_array()
            .unwrap()
            .iter()
            .map(|row| {
                let cells: Vec<Vec<String>> = serde_json::from_value(row["cells"].clone()).unwrap();
                let host = row["host"].as_bool().unwrap_or(false);
                Row { cells, host }
            })
            .collect()
    }

    pub fn actions(&self) -> Vec<String> {
        serde_json::from_value(self.must(&["actions"])).unwrap()
    }

    pub fn labels(&self) -> Vec<String> {
        serde_json::from_value(self.must(&["labels"])).unwrap()
    }

    /// The texts of each toast on screen (title first).
    pub fn toasts(&self) -> Vec<Vec<String>> {
        serde_json::from_value(self.must(&["toasts"])).unwrap()
    }

    pub fn log_tail(&self) -> String {
        // SAFETY: kill(2) with signal 0 only checks that our child exists.
        let alive = unsafe { libc::kill(self.pid() as i32, 0) } == 0;
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        format!(
            "hangar is {}; its log (last lines):\n{}",
            if alive { "still running" } else { "gone" },
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    }
}

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One fleet row: its cells' label texts, in column order (name, state, CPU, …).
#[derive(Debug, Clone)]
pub struct Row {
    pub cells: Vec<Vec<String>>,
    /// A connection row (it has the tree's expander), not a machine.
    pub host: bool,
}

impl Row {
    /// The name cell's n-th text. The cell holds a two-line and a one-line layout; the one
    /// not shown has empty labels, which screen readers skip, and so does this.
    fn name_line(&self, n: usize) -> &str {
        self.cells
            .first()
            .and_then(|c| c.iter().filter(|text| !text.is_empty()).nth(n))
            .map(String::as_str)
            .unwrap_or("")
    }

    /// The name (host label or VM name).
    pub fn name(&self) -> &str {
        self.name_line(0)
    }

    /// The name cell's second line (URI or status for hosts, title for VMs).
    pub fn subtitle(&self) -> &str {
        self.name_line(1)
    }

    /// The State column's text (for hosts, "N machines" or the status).
    pub fn state(&self) -> &str {
        self.cells
            .get(1)
            .and_then(|c| c.first())
            .map(String::as_str)
            .unwrap_or("")
    }
}

/// The machine rows' names, in display order.
pub fn vm_names(rows: &[Row]) -> Vec<String> {
    rows.iter()
        .filter(|r| !r.host)
        .map(|r| r.name().to_owned())
        .collect()
}
