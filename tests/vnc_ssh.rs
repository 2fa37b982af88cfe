//! Consoles through SSH, for real: an OpenSSH `sshd` on loopback (high port, throwaway host
//! key, a test key authorised for root) in front of an `Xvnc`. Two consoles of the same host
//! share one SSH master connection (sshd logs exactly one login; the pool started one
//! master), both show the desktop pixel-exactly, the master ends with the last console, and a
//! dead tunnel target or an unreachable SSH server give clear errors.
//!
//! Needs `sshd`, `ssh`, `ssh-keygen`, `Xvnc`, `import`; display :56 (port 5956), sshd on
//! port 5959. Missing tools skip the test unless `HANGAR_TEST_REQUIRE_ALL=1`.

#[path = "vnc_support/images.rs"]
mod images;
#[path = "vnc_support/servers.rs"]
mod servers;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hangar::vnc::{
    ConsoleTarget, DisconnectReason, Session, SessionError, SessionEvents, SessionHandle,
    SessionOptions, SessionState, SshDestination, SshMasterPool, SshOptions,
};
use images::{differences, framebuffer_rgb, import_root};
use servers::{ChildGuard, Xvnc, connected, final_state, have_program, wait_until};

const SSHD_PORT: u16 = 5959;

/// A loopback port nobody listens on (bound, then released).
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

struct Sshd {
    dir: PathBuf,
    _child: ChildGuard,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        // Throwaway keys and config: gone whatever the outcome.
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Sshd {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default()
    }

    fn identity(&self) -> PathBuf {
        self.dir.join("id")
    }

    fn known_hosts(&self) -> PathBuf {
        self.dir.join("known_hosts")
    }
}

fn keygen(path: &Path) {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .stdout(Stdio::null())
        .status()
        .expect("ssh-keygen");
    assert!(status.success(), "ssh-keygen failed");
}

fn start_sshd() -> Sshd {
    let dir = std::env::temp_dir().join(format!("hangar-vnc-sshd-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("sshd dir");
    keygen(&dir.join("host_key"));
    keygen(&dir.join("id"));
    std::fs::copy(dir.join("id.pub"), dir.join("authorized_keys")).expect("authorized_keys");
    let host_public = std::fs::read_to_string(dir.join("host_key.pub")).expect("host key");
    std::fs::write(
        dir.join("known_hosts"),
        format!("[127.0.0.1]:{SSHD_PORT} {host_public}"),
    )
    .expect("known_hosts");
    let config = format!(
        "Port {SSHD_PORT}\nListenAddress 127.0.0.1\nHostKey {dir}/host_key\n\
         AuthorizedKeysFile {dir}/authorized_keys\nPidFile {dir}/sshd.pid\nStrictModes no\n\
         PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n\
         PermitRootLogin prohibit-password\nAllowTcpForwarding yes\nLogLevel INFO\n",
        dir = dir.display()
    );
    std::fs::write(dir.join("sshd_config"), config).expect("sshd_config");
    // sshd insists on its privilege separation directory.
    std::fs::create_dir_all("/run/sshd").expect("/run/sshd");
    let child = Command::new("/usr/sbin/sshd")
        .args(["-D", "-f"])
        .arg(dir.join("sshd_config"))
        .arg("-E")
        .arg(dir.join("sshd.log"))
        .spawn()
        .expect("start sshd");
    let guard = ChildGuard(child);
    let up = wait_until(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", SSHD_PORT)).is_ok()
    });
    assert!(up, "sshd did not listen on {SSHD_PORT}");
    Sshd { dir, _child: guard }
}

fn pool_for(sshd: &Sshd) -> SshMasterPool {
    SshMasterPool::new(SshOptions {
        extra_args: vec![
            "-F".into(),
            "/dev/null".into(),
            "-o".into(),
            "IdentitiesOnly=yes".into(),
            "-o".into(),
            format!("UserKnownHostsFile={}", sshd.known_hosts().display()),
            "-o".into(),
            "StrictHostKeyChecking=yes".into(),
        ],
        ..SshOptions::default()
    })
    .expect("pool")
}

fn via(sshd: &Sshd, port: u16) -> SshDestination {
    SshDestination {
        user: Some("root".into()),
        host: "127.0.0.1".into(),
        port: Some(port),
        identity: Some(sshd.identity()),
    }
}

fn console(pool: &SshMasterPool, via: SshDestination, port: u16) -> (SessionHandle, SessionEvents) {
    Session::start(
        &tokio::runtime::Handle::current(),
        ConsoleTarget::Ssh {
            pool: pool.clone(),
            via,
            host: "127.0.0.1".into(),
            port,
        },
        SessionOptions::default(),
    )
}

async fn matches_screen(handle: &SessionHandle, events: &mut SessionEvents, display: u16) {
    let expected = import_root(display);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        handle.framebuffer().take_damage();
        let now = framebuffer_rgb(handle.framebuffer());
        if now.width == expected.width && differences(&now, &expected).is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the tunnelled console never matched the screen"
        );
        let _ = tokio::time::timeout(Duration::from_millis(500), events.recv()).await;
    }
}

fn logins(sshd: &Sshd) -> usize {
    sshd.log().matches("Accepted publickey").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consoles_share_one_ssh_master() {
    if ![
        "/usr/sbin/sshd",
        "ssh",
        "ssh-keygen",
        "Xvnc",
        "import",
        "xsetroot",
    ]
    .iter()
    .all(|tool| have_program(tool))
    {
        return;
    }
    let sshd = start_sshd();
    let xvnc = Xvnc::start(56, 800, 600, &[]);
    xvnc.run("xsetroot", &["-solid", "#8040c0"]);
    let pool = pool_for(&sshd);

    // Opened together: the second waits for the first one's master instead of starting its own.
    let (first, mut first_events) = console(&pool, via(&sshd, SSHD_PORT), xvnc.port);
    let (second, mut second_events) = console(&pool, via(&sshd, SSHD_PORT), xvnc.port);
    assert_eq!(connected(&mut first_events).await, (800, 600));
    assert_eq!(connected(&mut second_events).await, (800, 600));
    matches_screen(&first, &mut first_events, xvnc.display).await;
    matches_screen(&second, &mut second_events, xvnc.display).await;

    assert_eq!(pool.masters_started(), 1);
    assert_eq!(pool.active_masters(), 1);
    assert_eq!(logins(&sshd), 1, "sshd log:\n{}", sshd.log());

    // A third console later still rides the same master.
    let (third, mut third_events) = console(&pool, via(&sshd, SSHD_PORT), xvnc.port);
    connected(&mut third_events).await;
    assert_eq!(pool.masters_started(), 1);
    assert_eq!(logins(&sshd), 1);

    for (handle, mut events) in [
        (first, first_events),
        (second, second_events),
        (third, third_events),
    ] {
        handle.close();
        assert_eq!(
            final_state(&mut events, Duration::from_secs(10)).await,
            SessionState::Disconnected(DisconnectReason::Closed)
        );
    }
    // The master goes with the last console.
    assert!(
        wait_until(Duration::from_secs(10), || pool.active_masters() == 0),
        "the SSH master outlived its consoles"
    );

    // Nothing listens on the tunnel's far end: ssh's own reason reaches the user.
    let (_handle, mut events) = console(&pool, via(&sshd, SSHD_PORT), closed_port());
    let state = final_state(&mut events, Duration::from_secs(20)).await;
    let SessionState::Error(SessionError::SshTunnel { detail, .. }) = &state else {
        panic!("expected a tunnel error, got {state:?}");
    };
    assert!(
        detail.contains("refused") || detail.contains("failed"),
        "unclear tunnel error: {detail}"
    );

    // No SSH server at all.
    let (_handle, mut events) = console(&pool, via(&sshd, closed_port()), xvnc.port);
    let state = final_state(&mut events, Duration::from_secs(30)).await;
    let SessionState::Error(SessionError::SshMaster { detail, .. }) = &state else {
        panic!("expected an SSH connection error, got {state:?}");
    };
    assert!(detail.contains("refused"), "unclear SSH error: {detail}");
}
