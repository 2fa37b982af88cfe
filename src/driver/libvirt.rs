//! The libvirt backend: one worker thread per connection owns the `virt::Connect` and runs that
//! connection's libvirt calls, one job at a time, from a channel. A hung host blocks only its
//! own worker; nothing here ever runs on a caller's (e.g. the GTK main) thread.

#![forbid(unsafe_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;
use virt::connect::Connect;
use virt::domain::Domain;
use virt::sys;

use crate::driver::credentials::{
    CredentialKind, CredentialPrompt, CredentialProvider, CredentialRequest,
};
use crate::driver::error::{DriverError, DriverResult};
use crate::driver::events::{CloseReason, CloseRegistration, LifecycleRegistration};
use crate::driver::ffi::{self, CredentialSlot};
use crate::driver::inventory::{self, DomainInfo, Inventory};
use crate::driver::sampler::Sampler;
use crate::driver::update::LifecycleEvent;
use crate::i18n::{gettext, gettext_f};
use crate::model::{ConnectionId, DomainUuid};
use crate::stats::sample::{StatsGroups, TickSample};

/// A unit of work for a worker. Commands, ticks, opens and closes are all jobs.
pub(crate) type Job = Box<dyn FnOnce(&mut Worker) + Send>;

/// What workers (and the event loop callbacks) tell the connection's supervisor. `generation`
/// identifies the session (one successful or attempted open) a report belongs to, so reports
/// from a session that has since been torn down are ignored.
#[derive(Debug)]
pub(crate) enum Report {
    Opened {
        generation: u64,
        result: DriverResult<Arc<Inventory>>,
    },
    Ticked {
        generation: u64,
        result: DriverResult<TickSample>,
    },
    DomainChanged {
        generation: u64,
        info: Arc<DomainInfo>,
    },
    DomainRemoved {
        generation: u64,
        uuid: DomainUuid,
    },
    Lifecycle {
        generation: u64,
        event: LifecycleEvent,
    },
    Lost {
        generation: u64,
        message: String,
    },
}

/// libvirt keepalive: probe every `interval`, give up after `count` unanswered probes (a dead
/// host is noticed after about interval × (count + 1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keepalive {
    pub interval: Duration,
    pub count: u32,
}

impl Default for Keepalive {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(3),
            count: 2,
        }
    }
}

/// Settings a worker needs from `OpenOptions`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WorkerSettings {
    pub keepalive: Option<Keepalive>,
    pub auth_attempts: u32,
}

/// One open session: the connection and its callback registrations. The registrations hold
/// their own connection references and are dropped (deregistered) before `conn`.
struct Session {
    generation: u64,
    _lifecycle: Option<LifecycleRegistration>,
    _close: Option<CloseRegistration>,
    conn: Connect,
}

/// The state a worker thread owns.
pub(crate) struct Worker {
    id: ConnectionId,
    uri: String,
    settings: WorkerSettings,
    credentials: Arc<dyn CredentialProvider>,
    runtime: tokio::runtime::Handle,
    reports: UnboundedSender<Report>,
    prompting: Arc<AtomicBool>,
    session: Option<Session>,
    sampler: Sampler,
    closed: bool,
}

/// Everything needed to start a worker thread.
pub(crate) struct WorkerSetup {
    pub id: ConnectionId,
    pub uri: String,
    pub settings: WorkerSettings,
    pub credentials: Arc<dyn CredentialProvider>,
    pub runtime: tokio::runtime::Handle,
    pub reports: UnboundedSender<Report>,
    pub prompting: Arc<AtomicBool>,
}

/// Starts the worker thread; it ends when every job sender is gone.
pub(crate) fn spawn_worker(setup: WorkerSetup, jobs: mpsc::Receiver<Job>) -> std::io::Result<()> {
    let name = format!("hangar-conn-{}", setup.id.0);
    let mut worker = Worker {
        id: setup.id,
        uri: setup.uri,
        settings: setup.settings,
        credentials: setup.credentials,
        runtime: setup.runtime,
        reports: setup.reports,
        prompting: setup.prompting,
        session: None,
        sampler: Sampler::default(),
        closed: false,
    };
    std::thread::Builder::new().name(name).spawn(move || {
        while let Ok(job) = jobs.recv() {
            job(&mut worker);
        }
        // Every sender is gone: dropping the worker closes any session still open.
    })?;
    Ok(())
}

/// Hangar's own check that a URI looks like one, before libvirt parses it.
pub(crate) fn validate_uri(uri: &str) -> DriverResult<()> {
    let invalid = |message: String| DriverError::InvalidUri {
        uri: uri.to_owned(),
        message,
    };
    if uri.trim().is_empty() {
        return Err(invalid(gettext("The connection address is empty")));
    }
    if uri.contains('\0') {
        return Err(DriverError::nul_in_text(&gettext("connection address")));
    }
    let scheme = uri.split_once(':').map(|(scheme, _)| scheme).unwrap_or("");
    let scheme_ok = !scheme.is_empty()
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    if !scheme_ok {
        return Err(invalid(gettext_f(
            "“{uri}” is not a libvirt connection address (expected something like qemu:///system)",
            &[("uri", uri)],
        )));
    }
    Ok(())
}

fn close_message(reason: CloseReason) -> String {
    match reason {
        CloseReason::EndOfFile => gettext("The host closed the connection"),
        CloseReason::Keepalive => gettext("The host stopped answering"),
        CloseReason::Error | CloseReason::Client | CloseReason::Other(_) => {
            gettext("The connection to the host failed")
        }
    }
}

impl Worker {
    /// The open connection, or why there is none.
    pub(crate) fn conn(&self) -> DriverResult<&Connect> {
        match &self.session {
            Some(session) => Ok(&session.conn),
            None if self.closed => Err(DriverError::Closed),
            None => Err(DriverError::NotConnected),
        }
    }

    /// Looks a domain up by UUID on the open connection.
    pub(crate) fn domain(&self, uuid: DomainUuid) -> DriverResult<Domain> {
        Ok(self
            .conn()?
            .lookup_domain_by_uuid_string(&uuid.to_string())?)
    }

    fn generation(&self) -> Option<u64> {
        self.session.as_ref().map(|session| session.generation)
    }

    pub(crate) fn report(&self, report: Report) {
        // The supervisor may be gone (connection closed); then nobody is listening.
        let _ = self.reports.send(report);
    }

    /// Opens a new session (closing any previous one) and reads the full inventory.
    pub(crate) fn open(&mut self, generation: u64) -> DriverResult<Arc<Inventory>> {
        self.session = None;
        self.closed = false;
        validate_uri(&self.uri)?;
        let conn = self.open_with_credentials()?;
        // An in-process driver has just parsed its whole inventory; see `release_free_pages`.
        // A daemon's driver parsed it in the daemon: nothing to give back here.
        if crate::uri::validate(&self.uri).is_ok_and(|parsed| parsed.runs_in_process()) {
            crate::heap::release_free_pages();
        }
        if let Some(keepalive) = self.settings.keepalive {
            let interval = keepalive.interval.as_secs().clamp(1, i32::MAX as u64) as i32;
            // Local drivers (test:///) have no keepalive; that is fine.
            if let Err(error) = conn.set_keep_alive(interval, keepalive.count) {
                log::debug!("keepalive not available: {}", error.message());
            }
        }
        let reports = self.reports.clone();
        let close = CloseRegistration::register(
            &conn,
            Box::new(move |reason| {
                let _ = reports.send(Report::Lost {
                    generation,
                    message: close_message(reason),
                });
            }),
        )
        .map_err(|error| log::debug!("close callback not available: {}", error.message()))
        .ok();
        let reports = self.reports.clone();
        let lifecycle = LifecycleRegistration::register(
            &conn,
            Arc::new(move |event| {
                let _ = reports.send(Report::Lifecycle { generation, event });
            }),
        )
        .map_err(|error| log::debug!("lifecycle events not available: {}", error.message()))
        .ok();
        let node = inventory::read_node(&conn)?;
        let domains = inventory::read_domains(&conn)?;
        let networks = inventory::read_networks(&conn);
        let pools = inventory::read_pools(&conn);
        self.sampler.reset(
            &node,
            domains
                .iter()
                .map(|(info, devices)| (info.uuid, info.state, devices.clone()))
                .collect(),
        );
        self.session = Some(Session {
            generation,
            _lifecycle: lifecycle,
            _close: close,
            conn,
        });
        Ok(Arc::new(Inventory {
            node,
            domains: domains.into_iter().map(|(info, _)| info).collect(),
            networks,
            pools,
        }))
    }

    /// `virConnectOpenAuth`, asking the credential provider when libvirt needs credentials and
    /// asking again (up to the attempt limit) after the host rejected them.
    fn open_with_credentials(&mut self) -> DriverResult<Connect> {
        let mut attempt = 1;
        loop {
            let mut asked = false;
            let mut cancelled = false;
            let result = {
                let provider = &self.credentials;
                let runtime = &self.runtime;
                let prompting = &self.prompting;
                let (id, uri) = (self.id, self.uri.clone());
                let mut ask = |slots: &mut [CredentialSlot]| {
                    // "External" only announces out-of-band authentication (e.g. a polkit
                    // agent): nothing to answer, so the user is not shown an empty prompt.
                    if slots.iter().all(|slot| slot.kind == sys::VIR_CRED_EXTERNAL) {
                        return true;
                    }
                    asked = true;
                    prompting.store(true, Ordering::SeqCst);
                    let answered = ask_provider(provider, runtime, id, &uri, attempt, slots);
                    prompting.store(false, Ordering::SeqCst);
                    cancelled = !answered;
                    answered
                };
                ffi::open_auth(&self.uri, &mut ask)
            };
            match result {
                Ok(conn) => {
                    if asked {
                        self.credentials.accepted(self.id, &self.uri);
                    }
                    return Ok(conn);
                }
                Err(error) => {
                    if cancelled {
                        return Err(DriverError::AuthCancelled);
                    }
                    let error = match DriverError::from_libvirt(&error) {
                        DriverError::Libvirt { code, message, .. }
                            if code as u32 == sys::VIR_ERR_NO_CONNECT =>
                        {
                            DriverError::InvalidUri {
                                uri: self.uri.clone(),
                                message,
                            }
                        }
                        other => other,
                    };
                    if asked && matches!(error, DriverError::AuthFailed { .. }) {
                        self.credentials.rejected(self.id, &self.uri);
                        if attempt < self.settings.auth_attempts {
                            attempt += 1;
                            continue;
                        }
                    }
                    return Err(error);
                }
            }
        }
    }

    /// Closes the session `generation` (or any session when `None`).
    pub(crate) fn close_session(&mut self, generation: Option<u64>, final_close: bool) {
        if generation.is_none() || self.generation() == generation {
            self.session = None;
        }
        if final_close {
            self.session = None;
            self.closed = true;
        }
    }

    /// One polling tick; reports the sample, re-reads domains whose state it saw change, and
    /// reports a lost connection when the tick failed because the connection is dead.
    pub(crate) fn tick(&mut self, groups: StatsGroups) {
        let Some(generation) = self.generation() else {
            return;
        };
        let outcome = match &self.session {
            Some(session) => self.sampler.tick(&session.conn, groups),
            None => return,
        };
        match outcome {
            Ok((sample, changes)) => {
                self.report(Report::Ticked {
                    generation,
                    result: Ok(sample),
                });
                for uuid in changes.changed {
                    self.refresh_domain(uuid);
                }
                for uuid in changes.removed {
                    self.report(Report::DomainRemoved { generation, uuid });
                }
            }
            Err(error) => {
                let alive = self
                    .conn()
                    .ok()
                    .and_then(|conn| conn.is_alive().ok())
                    .unwrap_or(false);
                let message = error.to_string();
                self.report(Report::Ticked {
                    generation,
                    result: Err(error),
                });
                if !alive {
                    self.report(Report::Lost {
                        generation,
                        message,
                    });
                }
            }
        }
    }

    /// Re-reads one domain and reports it changed, or removed when it no longer exists.
    pub(crate) fn refresh_domain(&mut self, uuid: DomainUuid) {
        let Some(generation) = self.generation() else {
            return;
        };
        match self
            .domain(uuid)
            .and_then(|domain| inventory::read_domain(&domain))
        {
            Ok((info, devices)) => {
                self.sampler.update_domain(uuid, info.state, devices);
                self.report(Report::DomainChanged {
                    generation,
                    info: Arc::new(info),
                });
            }
            Err(DriverError::NotFound { .. }) => {
                self.sampler.forget_domain(uuid);
                self.report(Report::DomainRemoved { generation, uuid });
            }
            Err(error) => log::debug!("re-reading domain {uuid}: {error}"),
        }
    }

    pub(crate) fn set_per_domain_scope(&mut self, scope: crate::driver::sampler::PerDomainScope) {
        self.sampler.set_per_domain_scope(scope);
    }

    /// The current inventory, read now.
    pub(crate) fn read_inventory(&mut self) -> DriverResult<Inventory> {
        let conn = self.conn()?;
        let node = inventory::read_node(conn)?;
        let domains = inventory::read_domains(conn)?;
        Ok(Inventory {
            node,
            domains: domains.into_iter().map(|(info, _)| info).collect(),
            networks: inventory::read_networks(conn),
            pools: inventory::read_pools(conn),
        })
    }
}

/// Hands libvirt's questions to the provider (on the driver runtime) and waits for the answer
/// on this worker thread. Returns false when the provider cancelled.
fn ask_provider(
    provider: &Arc<dyn CredentialProvider>,
    runtime: &tokio::runtime::Handle,
    id: ConnectionId,
    uri: &str,
    attempt: u32,
    slots: &mut [CredentialSlot],
) -> bool {
    let request = CredentialRequest {
        connection: id,
        uri: uri.to_owned(),
        attempt,
        prompts: slots
            .iter()
            .map(|slot| CredentialPrompt {
                kind: CredentialKind::from_libvirt(slot.kind),
                prompt: slot.prompt.clone(),
                challenge: slot.challenge.clone(),
                default: slot.default.clone(),
            })
            .collect(),
    };
    let future = provider.credentials(request);
    let (answer_tx, answer_rx) = oneshot::channel();
    runtime.spawn(async move {
        let _ = answer_tx.send(future.await);
    });
    let Ok(Some(answers)) = answer_rx.blocking_recv() else {
        return false;
    };
    for (slot, answer) in slots.iter_mut().zip(answers) {
        slot.answer = Some(answer);
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_checked_before_libvirt_sees_them() {
        assert!(validate_uri("qemu:///system").is_ok());
        assert!(validate_uri("qemu+ssh://root@host/system?keyfile=/k").is_ok());
        assert!(validate_uri("test:///default").is_ok());
        for bad in ["", "   ", "not a uri", "://x", "1abc:///", "a\0b:///"] {
            let error = validate_uri(bad).unwrap_err();
            assert!(
                matches!(
                    error,
                    DriverError::InvalidUri { .. } | DriverError::InvalidInput { .. }
                ),
                "{bad:?}: {error:?}"
            );
        }
    }
}
