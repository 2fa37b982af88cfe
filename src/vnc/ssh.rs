//! SSH tunnels to remote displays: one OpenSSH master connection per host (`ssh -M -S
//! <control socket>`), shared by every console of that host, and per console a multiplexed
//! `ssh -S <control socket> -W host:port` whose stdin and stdout are one end of a socket pair,
//! so the session reads a plain UNIX socket. The master lives while any console of its host
//! does (virt-manager opens several SSH connections per console; this opens one per host).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::os::fd::OwnedFd;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};

use super::error::SessionError;
use super::target::SshDestination;

/// How the pool runs `ssh`.
#[derive(Debug, Clone)]
pub struct SshOptions {
    /// The OpenSSH client.
    pub program: PathBuf,
    /// `BatchMode=yes`: never prompt (a console cannot answer a terminal prompt); keys come
    /// from the agent or unencrypted identity files. Turn off to let `SSH_ASKPASS` prompt.
    pub batch_mode: bool,
    /// Extra arguments before the destination (e.g. `-o UserKnownHostsFile=…`).
    pub extra_args: Vec<String>,
}

impl Default for SshOptions {
    fn default() -> Self {
        SshOptions {
            program: PathBuf::from("ssh"),
            batch_mode: true,
            extra_args: Vec::new(),
        }
    }
}

/// Keeps one SSH master connection per destination; cheap to clone (shared).
#[derive(Clone)]
pub struct SshMasterPool {
    inner: Arc<PoolInner>,
}

impl std::fmt::Debug for SshMasterPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SshMasterPool")
            .field("control_dir", &self.inner.control_dir)
            .field("masters_started", &self.masters_started())
            .finish()
    }
}

type Slot = Arc<tokio::sync::Mutex<Weak<Master>>>;

struct PoolInner {
    options: SshOptions,
    control_dir: PathBuf,
    slots: Mutex<HashMap<SshDestination, Slot>>,
    masters_started: AtomicU64,
}

impl Drop for PoolInner {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.control_dir);
    }
}

static POOL_COUNTER: AtomicU64 = AtomicU64::new(0);

impl SshMasterPool {
    /// A pool whose control sockets live in a private (0700) directory under
    /// `$XDG_RUNTIME_DIR`, or the temporary directory, removed when the pool is dropped.
    pub fn new(options: SshOptions) -> std::io::Result<SshMasterPool> {
        let base = std::env::var_os("XDG_RUNTIME_DIR")
            .map(PathBuf::from)
            .filter(|dir| dir.is_dir())
            .unwrap_or_else(std::env::temp_dir);
        let control_dir = base.join(format!(
            "hangar-ssh-{}-{}",
            std::process::id(),
            POOL_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&control_dir)?;
        Ok(SshMasterPool {
            inner: Arc::new(PoolInner {
                options,
                control_dir,
                slots: Mutex::new(HashMap::new()),
                masters_started: AtomicU64::new(0),
            }),
        })
    }

    /// How many master connections this pool has started so far.
    pub fn masters_started(&self) -> u64 {
        self.inner.masters_started.load(Ordering::Relaxed)
    }

    /// How many master connections are open now (each serving at least one console).
    pub fn active_masters(&self) -> usize {
        let slots: Vec<Slot> = self
            .inner
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect();
        slots
            .iter()
            .filter(|slot| {
                slot.try_lock()
                    .map(|weak| weak.strong_count() > 0)
                    .unwrap_or(true)
            })
            .count()
    }

    /// Opens a tunnel to `host:port` (as seen from `via`) through `via`'s master, starting the
    /// master first if this host has none (or its master died).
    pub(crate) async fn open_channel(
        &self,
        via: &SshDestination,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<(SshChannel, tokio::net::UnixStream), SessionError> {
        let master = self.master_for(via, timeout).await?;
        let (ours, theirs) =
            std::os::unix::net::UnixStream::pair().map_err(|error| SessionError::SshTunnel {
                host: via.to_string(),
                detail: error.to_string(),
            })?;
        let theirs_out = theirs
            .try_clone()
            .map_err(|error| SessionError::SshTunnel {
                host: via.to_string(),
                detail: error.to_string(),
            })?;
        let forward = match host.parse::<std::net::Ipv6Addr>() {
            Ok(_) => format!("[{host}]:{port}"),
            Err(_) => format!("{host}:{port}"),
        };
        let mut command = Command::new(&self.inner.options.program);
        command
            .arg("-S")
            .arg(&master.control)
            .args(["-o", "ControlMaster=no", "-W", &forward])
            .args(destination_args(via, &self.inner.options))
            .stdin(Stdio::from(OwnedFd::from(theirs)))
            .stdout(Stdio::from(OwnedFd::from(theirs_out)))
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().map_err(|error| SessionError::SshTunnel {
            host: via.to_string(),
            detail: error.to_string(),
        })?;
        let stderr = capture_stderr(&mut child);
        ours.set_nonblocking(true)
            .map_err(|error| SessionError::Io {
                detail: error.to_string(),
            })?;
        let stream = tokio::net::UnixStream::from_std(ours).map_err(|error| SessionError::Io {
            detail: error.to_string(),
        })?;
        Ok((
            SshChannel {
                child,
                stderr,
                host: via.to_string(),
                _master: master,
            },
            stream,
        ))
    }

    async fn master_for(
        &self,
        via: &SshDestination,
        timeout: Duration,
    ) -> Result<Arc<Master>, SessionError> {
        let slot = {
            let mut slots = self
                .inner
                .slots
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            Arc::clone(slots.entry(via.clone()).or_default())
        };
        // Consoles of one host opened together wait here for the first one's master.
        let mut current = slot.lock().await;
        if let Some(master) = current.upgrade() {
            if master.is_alive() {
                return Ok(master);
            }
        }
        let control = self.inner.control_dir.join(control_name(via));
        let master = Arc::new(Master::start(via, control, &self.inner.options, timeout).await?);
        self.inner.masters_started.fetch_add(1, Ordering::Relaxed);
        *current = Arc::downgrade(&master);
        Ok(master)
    }
}

fn control_name(via: &SshDestination) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    via.hash(&mut hasher);
    format!("m{:016x}", hasher.finish())
}

/// `-p`, `-l`, `-i`, batch mode, extra arguments, then `--` and the host (so a host name can
/// never be read as an option).
fn destination_args(via: &SshDestination, options: &SshOptions) -> Vec<String> {
    let mut args = Vec::new();
    if options.batch_mode {
        args.extend(["-o".to_owned(), "BatchMode=yes".to_owned()]);
    }
    if let Some(port) = via.port {
        args.extend(["-p".to_owned(), port.to_string()]);
    }
    if let Some(user) = &via.user {
        args.extend(["-l".to_owned(), user.clone()]);
    }
    if let Some(identity) = &via.identity {
        args.extend(["-i".to_owned(), identity.to_string_lossy().into_owned()]);
    }
    args.extend(options.extra_args.iter().cloned());
    args.push("--".to_owned());
    args.push(via.host.clone());
    args
}

/// Keeps the last few KiB a child wrote to stderr, for error messages.
fn capture_stderr(child: &mut Child) -> Arc<Mutex<String>> {
    const KEEP: usize = 4096;
    let text = Arc::new(Mutex::new(String::new()));
    if let Some(mut stderr) = child.stderr.take() {
        let sink = Arc::clone(&text);
        tokio::spawn(async move {
            let mut buffer = [0u8; 1024];
            while let Ok(n) = stderr.read(&mut buffer).await {
                if n == 0 {
                    break;
                }
                let mut text = sink.lock().unwrap_or_else(PoisonError::into_inner);
                text.push_str(&String::from_utf8_lossy(&buffer[..n]));
                if text.len() > KEEP {
                    let cut = text.len() - KEEP;
                    let cut = (cut..text.len())
                        .find(|at| text.is_char_boundary(*at))
                        .unwrap_or(text.len());
                    text.drain(..cut);
                }
            }
        });
    }
    text
}

fn last_words(text: &Mutex<String>) -> String {
    let text = text.lock().unwrap_or_else(PoisonError::into_inner);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        String::new()
    } else {
        trimmed.lines().last().unwrap_or(trimmed).to_owned()
    }
}

/// One master connection (`ssh -M -N`), stopped when the last console using it ends.
struct Master {
    control: PathBuf,
    child: Mutex<Child>,
}

impl Master {
    async fn start(
        via: &SshDestination,
        control: PathBuf,
        options: &SshOptions,
        timeout: Duration,
    ) -> Result<Master, SessionError> {
        let _ = std::fs::remove_file(&control);
        let seconds = timeout.as_secs().max(1);
        let mut command = Command::new(&options.program);
        command
            .arg("-M")
            .arg("-S")
            .arg(&control)
            .args([
                "-N",
                "-o",
                "ControlPersist=no",
                "-o",
                "ServerAliveInterval=15",
            ])
            .args(["-o", &format!("ConnectTimeout={seconds}")])
            .args(destination_args(via, options))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let failed = |detail: String| SessionError::SshMaster {
            host: via.to_string(),
            detail,
        };
        let mut child = command
            .spawn()
            .map_err(|error| failed(format!("{}: {error}", options.program.to_string_lossy())))?;
        let stderr = capture_stderr(&mut child);
        // The control socket appears once the master has authenticated; poll for it with a
        // deadline while watching for the master giving up.
        let deadline = tokio::time::Instant::now() + timeout + Duration::from_secs(1);
        loop {
            if socket_exists(&control) {
                return Ok(Master {
                    control,
                    child: Mutex::new(child),
                });
            }
            if let Ok(Some(status)) = child.try_wait() {
                // Give the stderr reader a moment to collect the last words.
                tokio::time::sleep(Duration::from_millis(50)).await;
                let words = last_words(&stderr);
                return Err(failed(if words.is_empty() {
                    status.to_string()
                } else {
                    words
                }));
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(failed(format!("no connection within {seconds} s")));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn is_alive(&self) -> bool {
        let mut child = self.child.lock().unwrap_or_else(PoisonError::into_inner);
        matches!(child.try_wait(), Ok(None)) && socket_exists(&self.control)
    }
}

impl Drop for Master {
    fn drop(&mut self) {
        let child = self.child.get_mut().unwrap_or_else(PoisonError::into_inner);
        let _ = child.start_kill();
        let _ = std::fs::remove_file(&self.control);
    }
}

fn socket_exists(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path)
        .map(|meta| meta.file_type().is_socket())
        .unwrap_or(false)
}

/// One console's tunnel: the multiplexed `ssh -W` process and a hold on the host's master.
pub(crate) struct SshChannel {
    child: Child,
    stderr: Arc<Mutex<String>>,
    host: String,
    _master: Arc<Master>,
}

impl SshChannel {
    /// If the tunnel process has failed, why (its last stderr line), as an error. A tunnel
    /// that ended cleanly (the display server closed the connection) is no failure.
    pub(crate) fn failure(&mut self) -> Option<SessionError> {
        match self.child.try_wait() {
            Ok(Some(status)) if !status.success() => {
                let words = last_words(&self.stderr);
                Some(SessionError::SshTunnel {
                    host: self.host.clone(),
                    detail: if words.is_empty() {
                        status.to_string()
                    } else {
                        words
                    },
                })
            }
            _ => None,
        }
    }

    /// Waits (bounded) for the tunnel process to end, then explains why; used after the stream
    /// closed unexpectedly, when ssh is about to exit with its reason.
    pub(crate) async fn wait_failure(&mut self, within: Duration) -> Option<SessionError> {
        let _ = tokio::time::timeout(within, self.child.wait()).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        self.failure()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_host_names_cannot_become_options() {
        let via = SshDestination {
            user: Some("-oProxyCommand=x".into()),
            host: "-oProxyCommand=touch /tmp/owned".into(),
            port: Some(2222),
            identity: None,
        };
        let args = destination_args(&via, &SshOptions::default());
        let dashdash = args.iter().position(|arg| arg == "--").unwrap();
        assert_eq!(args[dashdash + 1], via.host);
        assert_eq!(args.len(), dashdash + 2);
        let user_at = args.iter().position(|arg| arg == "-l").unwrap();
        assert_eq!(args[user_at + 1], "-oProxyCommand=x");
        assert!(args.contains(&"BatchMode=yes".to_owned()));
    }

    #[test]
    fn control_sockets_are_named_per_destination() {
        let a = SshDestination {
            user: None,
            host: "a".into(),
            port: None,
            identity: None,
        };
        let mut b = a.clone();
        b.port = Some(22);
        assert_ne!(control_name(&a), control_name(&b));
        assert_eq!(control_name(&a), control_name(&a.clone()));
        assert!(control_name(&a).len() < 20);
    }
}
