//! Test helpers: start (and always stop) the real servers the VNC tests use, apply the
//! `HANGAR_TEST_REQUIRE_ALL` rule, and wait for session events with a deadline.
#![allow(dead_code)]

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hangar::vnc::{SessionEvent, SessionEvents, SessionState};

/// True when every service must be present (CI): a missing one fails the test.
pub fn require_all() -> bool {
    std::env::var("HANGAR_TEST_REQUIRE_ALL").is_ok_and(|value| value == "1")
}

/// Returns false (after printing why) when `program` is missing and services are optional;
/// panics when they are required.
pub fn have_program(program: &str) -> bool {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
        .unwrap_or(false)
        || Path::new(program).is_file();
    if !found {
        assert!(
            !require_all(),
            "{program} is required (HANGAR_TEST_REQUIRE_ALL=1) but missing"
        );
        eprintln!("skipping: {program} is not installed");
    }
    found
}

/// Polls `condition` until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// A TigerVNC `Xvnc` on display `:number`, port 5900 + number, killed on drop.
pub struct Xvnc {
    pub display: u16,
    pub port: u16,
    child: Child,
}

impl Xvnc {
    /// Starts Xvnc at `width`×`height`, depth 24, with extra arguments (e.g. security types).
    pub fn start(display: u16, width: u32, height: u32, extra: &[&str]) -> Xvnc {
        let port = 5900 + display;
        clear_stale_display(display);
        let mut command = Command::new("Xvnc");
        command
            .arg(format!(":{display}"))
            .args(["-geometry", &format!("{width}x{height}"), "-depth", "24"])
            .args([
                "-rfbport",
                &port.to_string(),
                "-localhost",
                "-nolisten",
                "tcp",
            ])
            .args(["-AlwaysShared", "-desktop", "hangar-test"])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if !extra.contains(&"-SecurityTypes") {
            command.args(["-SecurityTypes", "None"]);
        }
        let child = command.spawn().expect("start Xvnc");
        let server = Xvnc {
            display,
            port,
            child,
        };
        let up = wait_until(Duration::from_secs(20), || {
            TcpStream::connect(("127.0.0.1", port)).is_ok()
                && Path::new(&format!("/tmp/.X11-unix/X{display}")).exists()
        });
        assert!(up, "Xvnc :{display} did not start listening on {port}");
        server
    }

    /// Runs an X client on this display and waits for it.
    pub fn run(&self, program: &str, args: &[&str]) {
        let status = Command::new(program)
            .args(args)
            .env("DISPLAY", format!(":{}", self.display))
            .status()
            .unwrap_or_else(|error| panic!("run {program}: {error}"));
        assert!(status.success(), "{program} {args:?} failed: {status}");
    }

    /// Starts an X client on this display in the background.
    pub fn spawn(&self, program: &str, args: &[&str]) -> ChildGuard {
        let child = Command::new(program)
            .args(args)
            .env("DISPLAY", format!(":{}", self.display))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("spawn {program}: {error}"));
        ChildGuard(child)
    }
}

/// Removes the lock and socket of a display whose server is gone (a crashed earlier run);
/// refuses to touch a display whose server still runs.
fn clear_stale_display(display: u16) {
    let lock = format!("/tmp/.X{display}-lock");
    if let Ok(text) = std::fs::read_to_string(&lock) {
        let pid = text.trim();
        assert!(
            pid.is_empty() || !Path::new(&format!("/proc/{pid}")).exists(),
            "display :{display} is in use by process {pid}"
        );
        let _ = std::fs::remove_file(&lock);
    }
    let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{display}"));
}

impl Drop for Xvnc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child process killed on drop.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Receives events until `pick` returns something, failing on a final state or the deadline.
pub async fn wait_for<T>(
    events: &mut SessionEvents,
    timeout: Duration,
    mut pick: impl FnMut(&SessionEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no matching session event within {timeout:?}"))
            .expect("session ended without a matching event");
        if let Some(found) = pick(&event) {
            return found;
        }
        if let SessionEvent::State(state) = &event {
            assert!(!state.is_final(), "session ended: {state:?} ({state})");
        }
    }
}

/// Waits for the final state of a session.
pub async fn final_state(events: &mut SessionEvents, timeout: Duration) -> SessionState {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => panic!("session did not end within {timeout:?}"),
            Ok(None) => panic!("event stream ended without a final state"),
            Ok(Some(SessionEvent::State(state))) if state.is_final() => return state,
            Ok(Some(_)) => {}
        }
    }
}

/// Waits for `Connected` and returns the desktop size.
pub async fn connected(events: &mut SessionEvents) -> (u32, u32) {
    wait_for(events, Duration::from_secs(30), |event| match event {
        SessionEvent::State(SessionState::Connected { width, height }) => Some((*width, *height)),
        _ => None,
    })
    .await
}
