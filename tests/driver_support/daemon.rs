//! A private, throw-away libvirtd for tests that hurt a daemon (SIGSTOP, kill) or need
//! authentication — never the shared system daemon.
//!
//! How: an unprivileged ("session") libvirtd with its own XDG_RUNTIME_DIR, config and cache
//! directories under /tmp. As root it runs as `nobody` (through `setpriv`), otherwise as the
//! current user. Tests reach its built-in test driver over its socket:
//! `test+unix:///default?socket=DIR/run/libvirt/libvirt-sock`, so the connection goes through
//! libvirt's remote protocol (keepalive, close callbacks, events over RPC) like a real host.
//! With SASL, `auth_unix_rw = "sasl"`, a private `SASL_CONF_PATH` (SCRAM-SHA-256) and a
//! sasldb made with `saslpasswd2` (Debian: sasl2-bin) require a user name and password.
//! The daemon gets SIGKILL if the test thread that started it dies (`--pdeathsig`), and is
//! stopped and its directory removed on drop.

#![allow(dead_code)]
// Test harness code: a failed set-up step should fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A SASL user the daemon accepts.
pub struct SaslUser {
    pub name: &'static str,
    pub password: &'static str,
}

pub struct PrivateDaemon {
    pub dir: PathBuf,
    child: Option<Child>,
    sasl: bool,
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

fn chown_tree(path: &Path) {
    if !is_root() {
        return;
    }
    let mut stack = vec![path.to_path_buf()];
    while let Some(path) = stack.pop() {
        let c_path = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path; 65534 is nobody/nogroup.
        unsafe { libc::chown(c_path.as_ptr(), 65534, 65534) };
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).unwrap() {
                stack.push(entry.unwrap().path());
            }
        }
    }
}

/// Whether the tools this harness needs exist (`libvirtd`, and `saslpasswd2` for SASL).
pub fn tools_missing(sasl: bool) -> Option<String> {
    let exists = |tool: &str| {
        ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
            .iter()
            .any(|dir| Path::new(dir).join(tool).exists())
    };
    if !exists("libvirtd") {
        return Some("libvirtd is not installed".into());
    }
    if is_root() && !exists("setpriv") {
        return Some("setpriv (util-linux) is not installed".into());
    }
    if sasl && !exists("saslpasswd2") {
        return Some("saslpasswd2 is not installed (Debian package sasl2-bin)".into());
    }
    None
}

impl PrivateDaemon {
    /// Prepares the directories and starts the daemon; waits until its socket answers.
    pub fn start(tag: &str, sasl_user: Option<&SaslUser>) -> Self {
        let dir = std::env::temp_dir().join(format!("hangar-drv-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["run", "cfg/libvirt", "cache", "home", "sasl"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        std::fs::set_permissions(dir.join("run"), std::fs::Permissions::from_mode(0o700)).unwrap();
        let mut config = String::from("unix_sock_rw_perms = \"0700\"\n");
        if let Some(user) = sasl_user {
            config.push_str("auth_unix_rw = \"sasl\"\n");
            let sasl_dir = dir.join("sasl");
            std::fs::write(
                sasl_dir.join("libvirt.conf"),
                format!(
                    "mech_list: scram-sha-256\nsasldb_path: {}\n",
                    sasl_dir.join("passwd.db").display()
                ),
            )
            .unwrap();
            let mut saslpasswd = Command::new("saslpasswd2")
                .args(["-p", "-c", "-a", "libvirt", "-f"])
                .arg(sasl_dir.join("passwd.db"))
                .arg(user.name)
                .stdin(Stdio::piped())
                .spawn()
                .expect("saslpasswd2 runs");
            saslpasswd
                .stdin
                .take()
                .unwrap()
                .write_all(user.password.as_bytes())
                .unwrap();
            assert!(saslpasswd.wait().unwrap().success(), "saslpasswd2 failed");
        }
        std::fs::write(dir.join("cfg/libvirt/libvirtd.conf"), config).unwrap();
        chown_tree(&dir);
        let mut daemon = Self {
            dir,
            child: None,
            sasl: sasl_user.is_some(),
        };
        daemon.spawn();
        daemon
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.join("run/libvirt/libvirt-sock")
    }

    /// The URI of the daemon's built-in test driver (fresh `test:///default` state per daemon
    /// start).
    pub fn uri(&self) -> String {
        format!("test+unix:///default?socket={}", self.socket().display())
    }

    pub fn pid(&self) -> i32 {
        self.child
            .as_ref()
            .map(|child| child.id() as i32)
            .unwrap_or(0)
    }

    fn spawn(&mut self) {
        let _ = std::fs::remove_file(self.socket());
        let dir = &self.dir;
        let mut command = if is_root() {
            let mut command = Command::new("setpriv");
            command.args([
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                "--pdeathsig",
                "SIGKILL",
                "--",
            ]);
            command.arg("libvirtd");
            command
        } else {
            Command::new("libvirtd")
        };
        command
            .env_clear()
            .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
            .env("HOME", dir.join("home"))
            .env("XDG_RUNTIME_DIR", dir.join("run"))
            .env("XDG_CONFIG_HOME", dir.join("cfg"))
            .env("XDG_CACHE_HOME", dir.join("cache"))
            // Exits by itself if a crashed test leaves it idle.
            .arg("--timeout")
            .arg("300")
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("libvirtd.log")).unwrap());
        if self.sasl {
            command.env("SASL_CONF_PATH", dir.join("sasl"));
        }
        self.child = Some(command.spawn().expect("libvirtd starts"));
        self.wait_until_listening();
    }

    fn wait_until_listening(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if std::os::unix::net::UnixStream::connect(self.socket()).is_ok() {
                return;
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!(
                    "private libvirtd exited ({status}): {}",
                    std::fs::read_to_string(self.dir.join("libvirtd.log")).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "private libvirtd did not listen on {}",
            self.socket().display()
        );
    }

    fn signal(&self, signal: i32) {
        let pid = self.pid();
        assert!(pid > 0, "daemon not running");
        // SAFETY: kill(2) on our own child's pid.
        assert_eq!(
            unsafe { libc::kill(pid, signal) },
            0,
            "kill({pid}, {signal})"
        );
    }

    /// Freezes the daemon (a hung host).
    pub fn stop(&self) {
        self.signal(libc::SIGSTOP);
    }

    /// Thaws it.
    pub fn resume(&self) {
        self.signal(libc::SIGCONT);
    }

    /// Kills it abruptly (a crashed host) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same socket after `kill`.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for PrivateDaemon {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            // SAFETY: our own child; continue it first in case a test left it stopped.
            unsafe { libc::kill(child.id() as i32, libc::SIGCONT) };
        }
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
