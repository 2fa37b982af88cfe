//! The Secret Service store against a real gnome-keyring, in a private D-Bus session.
//!
//! Each test starts its own `dbus-daemon` (with no service activation, so nothing else gets
//! started behind its back) and, for the round trip, a `gnome-keyring-daemon` whose throwaway
//! keyring lives in a temporary `XDG_DATA_HOME`; the user's own keyring is never touched. The
//! checks then run in a child process (this test binary again, running one `#[ignore]`d test)
//! whose `DBUS_SESSION_BUS_ADDRESS` points at that bus, because `keyring` connects once per
//! process. Missing `dbus-daemon` or `gnome-keyring-daemon` skips with a note, or fails when
//! `HANGAR_TEST_REQUIRE_ALL=1`. No secret value is ever printed, even on failure.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use hangar::driver::{CredentialPrompt, CredentialRequest};
use hangar::model::{ConnectionId, DomainUuid};
use hangar::secrets::{self, CredentialKind, Secret, SecretKey, SecretsError, remembered};

/// Set by the parent test for its child; the checks refuse to run without it, so they never
/// write into a real user's keyring.
const PRIVATE_BUS_MARKER: &str = "HANGAR_TEST_PRIVATE_SECRET_BUS";

/// The pid of the gnome-keyring-daemon the parent started, for the check that stops it.
const KEYRING_PID: &str = "HANGAR_TEST_KEYRING_PID";

fn require_all() -> bool {
    std::env::var("HANGAR_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1")
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// A private session bus, optionally with gnome-keyring on it; both die with this value.
struct PrivateSession {
    dir: PathBuf,
    address: String,
    children: Vec<Child>,
}

impl PrivateSession {
    /// Starts the bus (and the keyring). `None` when the programs are not installed.
    fn start(with_keyring: bool) -> Option<PrivateSession> {
        let needed: &[&str] = if with_keyring {
            &[
                "dbus-daemon",
                "dbus-send",
                "gnome-keyring-daemon",
                "secret-tool",
            ]
        } else {
            &["dbus-daemon"]
        };
        if let Some(missing) = needed.iter().find(|program| !have(program)) {
            let why = format!(
                "{missing} is not installed (Debian: dbus, gnome-keyring, libsecret-tools)"
            );
            assert!(!require_all(), "HANGAR_TEST_REQUIRE_ALL=1 but {why}");
            eprintln!("skipping the Secret Service test: {why}");
            return None;
        }
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "hangar-test-secrets-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["run", "services", "data"] {
            std::fs::create_dir_all(dir.join(sub)).expect("the temporary directory is writable");
        }
        set_private(&dir.join("run"));
        let config = dir.join("bus.conf");
        std::fs::write(&config, bus_config(&dir)).expect("the temporary directory is writable");

        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("dbus-daemon starts");
        let mut address = String::new();
        let stdout = bus.stdout.take().expect("stdout is piped");
        BufReader::new(stdout)
            .read_line(&mut address)
            .expect("dbus-daemon prints its address");
        let mut session = PrivateSession {
            dir,
            address: address.trim().to_owned(),
            children: vec![bus],
        };
        assert!(
            !session.address.is_empty(),
            "dbus-daemon printed no address"
        );
        if with_keyring {
            session.start_keyring();
        }
        Some(session)
    }

    fn start_keyring(&mut self) {
        let mut keyring = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("XDG_DATA_HOME", self.dir.join("data"))
            .env("XDG_RUNTIME_DIR", self.dir.join("run"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon starts");
        // --unlock creates the throwaway login keyring with the password read from stdin.
        let mut stdin = keyring.stdin.take().expect("stdin is piped");
        stdin
            .write_all(b"hangar-throwaway-keyring\n")
            .expect("gnome-keyring-daemon reads its unlock password");
        drop(stdin);
        self.children.push(keyring);

        let deadline = Instant::now() + Duration::from_secs(15);
        while !self.secrets_service_running() {
            assert!(
                Instant::now() < deadline,
                "gnome-keyring-daemon did not appear on the bus within 15 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn secrets_service_running(&self) -> bool {
        Command::new("dbus-send")
            .arg(format!("--bus={}", self.address))
            .args([
                "--dest=org.freedesktop.DBus",
                "--print-reply",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .output()
            .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("boolean true"))
    }

    /// Runs one of the `#[ignore]`d checks below in a child process on this bus.
    fn run_check(&self, name: &str) {
        let keyring_pid = self.children.get(1).map(|child| child.id().to_string());
        let output = Command::new(std::env::current_exe().expect("the test binary has a path"))
            .env(KEYRING_PID, keyring_pid.unwrap_or_default())
            .args([
                "--exact",
                name,
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env(PRIVATE_BUS_MARKER, &self.address)
            .env("XDG_RUNTIME_DIR", self.dir.join("run"))
            .output()
            .expect("the test binary runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("1 passed"),
            "{name} failed in its private session:\n{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

impl Drop for PrivateSession {
    fn drop(&mut self) {
        // Keyring first, then the bus it is registered on.
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(unix)]
fn set_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
}

/// A session bus that listens in `dir/run` and activates nothing: an empty service directory
/// keeps the system's `org.freedesktop.secrets.service` (the user's keyring) out.
fn bus_config(dir: &Path) -> String {
    format!(
        r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={run}</listen>
  <auth>EXTERNAL</auth>
  <servicedir>{services}</servicedir>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#,
        run = dir.join("run").display(),
        services = dir.join("services").display()
    )
}

#[test]
fn passwords_round_trip_through_gnome_keyring() {
    if let Some(session) = PrivateSession::start(true) {
        session.run_check("round_trip_check");
    }
}

#[test]
fn remembered_logins_answer_the_next_request_through_gnome_keyring() {
    if let Some(session) = PrivateSession::start(true) {
        session.run_check("remembered_answers_check");
    }
}

#[test]
fn a_keyring_that_quits_becomes_unavailable_not_an_error() {
    if let Some(session) = PrivateSession::start(true) {
        session.run_check("service_gone_check");
    }
}

#[test]
fn without_a_secret_service_every_call_reports_unavailable() {
    if let Some(session) = PrivateSession::start(false) {
        session.run_check("unavailable_check");
    }
}

fn in_private_session() {
    assert!(
        std::env::var(PRIVATE_BUS_MARKER).is_ok_and(|bus| {
            std::env::var("DBUS_SESSION_BUS_ADDRESS").is_ok_and(|current| current == bus)
        }),
        "this check writes to the Secret Service; it only runs inside the private session of its parent test"
    );
}

/// The stored value, read by libsecret's own tool: proof that the entry is in the real
/// Secret Service under Hangar's service name and the account string.
fn secret_tool_lookup(account: &str) -> Option<String> {
    let output = Command::new("secret-tool")
        .args(["lookup", "service", secrets::SERVICE, "username", account])
        .output()
        .ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

fn same(found: Result<Option<Secret>, SecretsError>, expected: Option<&str>) -> bool {
    match found {
        Ok(found) => found.as_ref().map(Secret::expose) == expected,
        Err(error) => panic!("lookup failed: {error}"),
    }
}

#[test]
#[ignore = "run by passwords_round_trip_through_gnome_keyring inside its private D-Bus session"]
fn round_trip_check() {
    in_private_session();
    let uri = format!("test:///hangar-test-secrets-{}", std::process::id());
    let alice = SecretKey::Libvirt {
        uri: uri.clone(),
        kind: CredentialKind::Passphrase,
        username: "alice".into(),
    };
    let bob = SecretKey::Libvirt {
        uri: uri.clone(),
        kind: CredentialKind::Passphrase,
        username: "bob".into(),
    };
    let uuid: DomainUuid = "0f6d2c52-3a1b-4c5d-8e9f-a0b1c2d3e4f5"
        .parse()
        .expect("valid uuid");
    let console = SecretKey::Vnc {
        uri: uri.clone(),
        domain: uuid,
    };
    let alice_secret = "a1-pass ✓ with spaces";
    let console_secret = "vnc-pw";

    assert!(
        same(secrets::lookup(&alice), None),
        "nothing is stored at first"
    );
    secrets::store(&alice, &Secret::new(alice_secret)).expect("store alice");
    secrets::store(&console, &Secret::new(console_secret)).expect("store console");
    assert!(
        same(secrets::lookup(&alice), Some(alice_secret)),
        "alice's secret reads back"
    );
    assert!(
        same(secrets::lookup(&console), Some(console_secret)),
        "the console secret reads back"
    );
    assert!(
        same(secrets::lookup(&bob), None),
        "another user of the same URI gets nothing"
    );
    let other_kind = SecretKey::Libvirt {
        uri: uri.clone(),
        kind: CredentialKind::NoEchoPrompt,
        username: "alice".into(),
    };
    assert!(
        same(secrets::lookup(&other_kind), None),
        "another credential kind gets nothing"
    );
    assert!(
        secret_tool_lookup(&alice.account()).as_deref() == Some(alice_secret),
        "secret-tool finds the entry under the service name and account"
    );

    secrets::store(&alice, &Secret::new("second")).expect("replace alice");
    assert!(
        same(secrets::lookup(&alice), Some("second")),
        "storing again replaces, no duplicates"
    );

    assert_eq!(secrets::delete(&alice), Ok(true));
    assert!(
        same(secrets::lookup(&alice), None),
        "a deleted secret is gone"
    );
    assert!(
        same(secrets::lookup(&console), Some(console_secret)),
        "deleting one leaves the other"
    );
    assert_eq!(
        secrets::delete(&alice),
        Ok(false),
        "deleting twice reports nothing to delete"
    );
    assert_eq!(secrets::delete(&console), Ok(true));
    assert!(
        secret_tool_lookup(&console.account()).is_none(),
        "the entry left the keyring"
    );
}

/// A request for a user name (with libvirt's suggestion, if any) and a password.
fn login_request(uri: &str, suggested_user: Option<&str>) -> CredentialRequest {
    let prompt = |kind, default: Option<&str>| CredentialPrompt {
        kind,
        prompt: String::new(),
        challenge: None,
        default: default.map(str::to_owned),
    };
    CredentialRequest {
        connection: ConnectionId(1),
        uri: uri.to_owned(),
        attempt: 1,
        prompts: vec![
            prompt(CredentialKind::AuthName, suggested_user),
            prompt(CredentialKind::Passphrase, None),
        ],
    }
}

/// Remembers `answers` as "Remember" does once the host accepted them; returns the entries.
fn remember(request: &CredentialRequest, answers: &[&str]) -> Vec<SecretKey> {
    let answers: Vec<Secret> = answers.iter().map(|a| Secret::new(*a)).collect();
    let entries = remembered::to_remember(request, &answers);
    for (key, secret) in &entries {
        secrets::store(key, secret).expect("store a remembered answer");
    }
    entries.into_iter().map(|(key, _)| key).collect()
}

/// Whether the keyring answers `request` with exactly `expected` (never printed).
fn answered_with(request: &CredentialRequest, expected: &[&str]) -> bool {
    let stored = remembered::stored_answers(request).expect("the keyring reads");
    stored.is_some_and(|stored| {
        stored
            .answers
            .iter()
            .map(Secret::expose)
            .collect::<Vec<_>>()
            == expected
    })
}

#[test]
#[ignore = "run by remembered_logins_answer_the_next_request_through_gnome_keyring inside its private D-Bus session"]
fn remembered_answers_check() {
    in_private_session();
    let id = std::process::id();
    // SASL over a socket or TCP: libvirt suggests no user name, so the typed one is kept too.
    let sasl = login_request(&format!("test+unix:///hangar-test-sasl-{id}"), None);
    assert!(
        remembered::stored_answers(&sasl)
            .expect("the keyring reads")
            .is_none(),
        "nothing is stored at first"
    );
    let sasl_entries = remember(&sasl, &["alice", "s3cret"]);
    assert_eq!(sasl_entries.len(), 2, "the user name and the password");
    assert!(
        answered_with(&sasl, &["alice", "s3cret"]),
        "the next request is answered with the remembered user and password"
    );

    // The user is in the URI (libvirt's suggestion): only the password is stored.
    let ssh = login_request(&format!("test+ssh://bob@h/hangar-test-{id}"), Some("bob"));
    let ssh_entries = remember(&ssh, &["bob", "b0b-pw"]);
    assert_eq!(ssh_entries.len(), 1, "the password alone");
    assert!(
        answered_with(&ssh, &["bob", "b0b-pw"]),
        "libvirt's suggestion and the stored password answer it"
    );

    // A stored user name without its password answers nothing.
    assert_eq!(secrets::delete(&sasl_entries[1]), Ok(true));
    assert!(
        remembered::stored_answers(&sasl)
            .expect("the keyring reads")
            .is_none(),
        "the user is asked again when the password is gone"
    );
    for key in sasl_entries.iter().chain(&ssh_entries) {
        let _ = secrets::delete(key);
    }
}

#[test]
#[ignore = "run by without_a_secret_service_every_call_reports_unavailable on its private bus"]
fn unavailable_check() {
    in_private_session();
    let key = SecretKey::Vnc {
        uri: "qemu:///system".into(),
        domain: "0f6d2c52-3a1b-4c5d-8e9f-a0b1c2d3e4f5"
            .parse()
            .expect("valid uuid"),
    };
    let started = Instant::now();
    assert_eq!(
        secrets::lookup(&key).map(|found| found.is_some()),
        Err(SecretsError::Unavailable)
    );
    assert_eq!(
        secrets::store(&key, &Secret::new("x")),
        Err(SecretsError::Unavailable)
    );
    assert_eq!(secrets::delete(&key), Err(SecretsError::Unavailable));
    assert!(
        SecretsError::Unavailable
            .to_string()
            .contains("Secret Service")
    );
    // Without service activation the answer is immediate, not a D-Bus timeout.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
}

#[test]
#[ignore = "run by a_keyring_that_quits_becomes_unavailable_not_an_error in its private session"]
fn service_gone_check() {
    in_private_session();
    let key = SecretKey::Libvirt {
        uri: "test:///default".into(),
        kind: CredentialKind::Passphrase,
        username: String::new(),
    };
    assert!(
        same(secrets::lookup(&key), None),
        "the keyring answers at first"
    );
    let pid = std::env::var(KEYRING_PID).expect("the parent passes the keyring's pid");
    // The daemon this test's parent started, stopped by its pid.
    let stopped = Command::new("kill").arg(&pid).status().expect("kill runs");
    assert!(stopped.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match secrets::lookup(&key) {
            Err(SecretsError::Unavailable) => break,
            // Until the daemon has really gone, the keyring still answers.
            Ok(None) => {}
            other => panic!(
                "expected Unavailable after the keyring quit, got {:?}",
                other.map(|found| found.is_some())
            ),
        }
        assert!(
            Instant::now() < deadline,
            "the keyring did not go away within 10 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // And it stays so: later calls (ServiceUnknown now) read the same.
    assert_eq!(
        secrets::lookup(&key).map(|found| found.is_some()),
        Err(SecretsError::Unavailable)
    );
    assert_eq!(
        secrets::store(&key, &Secret::new("x")),
        Err(SecretsError::Unavailable)
    );
}
