//! The per-connection supervisor: a small task on the driver's own runtime that owns the
//! connection's state machine (connect, reconnect with exponential backoff, user disconnect),
//! its polling schedule (a tick still running when the next is due is skipped, not queued),
//! staleness reports, and the ordering of everything sent to the consumer.

#![forbid(unsafe_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::sync::watch;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::driver::OpenOptions;
use crate::driver::error::DriverError;
use crate::driver::libvirt::{Job, Report, Worker};
use crate::driver::update::{ConnectionState, ConnectionUpdate, DisconnectReason, UpdateKind};
use crate::model::ConnectionId;
use crate::stats::sample::StatsGroups;

/// Requests from connection handles to the supervisor.
#[derive(Debug)]
pub(crate) enum Control {
    Disconnect,
    Reconnect,
    SetPolling {
        interval: Duration,
        groups: StatsGroups,
    },
    Close,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// An open job is (or will be, once the worker is free) running.
    Opening,
    Connected,
    /// Lost; `retry_at` is armed.
    WaitingToRetry,
    /// User disconnect or a failure that needs the user: nothing happens by itself.
    Idle,
}

pub(crate) struct Supervisor {
    pub id: ConnectionId,
    pub options: OpenOptions,
    pub jobs: mpsc::Sender<Job>,
    pub control: UnboundedReceiver<Control>,
    pub reports: UnboundedReceiver<Report>,
    pub state: watch::Sender<ConnectionState>,
    pub updates: UnboundedSender<ConnectionUpdate>,
    pub prompting: Arc<AtomicBool>,
    /// The driver's permission to open (`Driver::hold_opens`).
    pub opens_allowed: watch::Receiver<bool>,
}

struct Run {
    sup: Supervisor,
    phase: Phase,
    /// Session number of the latest open attempt; reports of older sessions are ignored.
    generation: u64,
    /// The open job the worker is running, if any (the worker may still be stuck in an old one).
    open_in_worker: Option<u64>,
    open_wanted: bool,
    open_deadline: Option<Instant>,
    ever_connected: bool,
    backoff: Duration,
    retry_at: Option<Instant>,
    tick_in_flight: bool,
    /// When data was last fresh (a sample, or the inventory of a new session).
    fresh_since: Option<(Instant, SystemTime)>,
    stale_reported: bool,
    interval: Duration,
    groups: StatsGroups,
    /// Lifecycle events that arrived while the session's inventory was being read; sent right
    /// after the inventory so none is lost or precedes it.
    early_events: Vec<crate::driver::LifecycleEvent>,
}

impl Supervisor {
    /// Runs until the connection is closed.
    pub(crate) async fn run(self) {
        let interval = self.options.poll_interval;
        let groups = self.options.stats_groups;
        let backoff = self.options.backoff_initial;
        let mut run = Run {
            sup: self,
            phase: Phase::Idle,
            generation: 0,
            open_in_worker: None,
            open_wanted: false,
            open_deadline: None,
            ever_connected: false,
            backoff,
            retry_at: None,
            tick_in_flight: false,
            fresh_since: None,
            stale_reported: false,
            interval,
            groups,
            early_events: Vec::new(),
        };
        // The consumer learns of the connection from its first update.
        run.send(UpdateKind::State(ConnectionState::Connecting));
        // Held opens wait here; commands sent meanwhile wait in their channels. A driver gone
        // meanwhile ends the wait too.
        let mut opens_allowed = run.sup.opens_allowed.clone();
        let _ = opens_allowed.wait_for(|allowed| *allowed).await;
        run.start_open();
        let mut ticker = new_ticker(run.interval);
        loop {
            let retry_at = run.retry_at;
            let open_deadline = run.open_deadline;
            tokio::select! {
                control = run.sup.control.recv() => match control {
                    None | Some(Control::Close) => {
                        run.close();
                        return;
                    }
                    Some(Control::Disconnect) => run.user_disconnect(),
                    Some(Control::Reconnect) => {
                        run.backoff = run.sup.options.backoff_initial;
                        run.retry_at = None;
                        run.start_open();
                    }
                    Some(Control::SetPolling { interval, groups }) => {
                        run.interval = interval;
                        run.groups = groups;
                        ticker = new_ticker(interval);
                    }
                },
                Some(report) = run.sup.reports.recv() => run.on_report(report),
                _ = tick(&mut ticker) => run.on_tick(),
                _ = sleep_until(retry_at), if retry_at.is_some() => {
                    run.retry_at = None;
                    run.start_open();
                }
                _ = sleep_until(open_deadline), if open_deadline.is_some() => run.on_open_deadline(),
            }
        }
    }
}

fn new_ticker(interval: Duration) -> Option<Interval> {
    if interval.is_zero() {
        return None;
    }
    let mut ticker = tokio::time::interval_at(Instant::now() + interval, interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    Some(ticker)
}

async fn tick(ticker: &mut Option<Interval>) {
    match ticker {
        Some(ticker) => {
            ticker.tick().await;
        }
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

impl Run {
    fn send(&self, kind: UpdateKind) {
        let _ = self.sup.updates.send(ConnectionUpdate {
            connection: self.sup.id,
            kind,
        });
    }

    fn set_state(&self, state: ConnectionState) {
        let changed = *self.sup.state.borrow() != state;
        if changed {
            self.sup.state.send_replace(state.clone());
            self.send(UpdateKind::State(state));
        }
    }

    fn job(&self, job: Job) {
        // The worker lives as long as any sender; it cannot be gone while we hold one.
        let _ = self.sup.jobs.send(job);
    }

    fn start_open(&mut self) {
        self.phase = Phase::Opening;
        self.retry_at = None;
        self.tick_in_flight = false;
        self.set_state(ConnectionState::Connecting);
        if self.open_in_worker.is_some() {
            // The worker is still inside an earlier open (a hung host); start when it returns.
            self.open_wanted = true;
            return;
        }
        self.generation += 1;
        self.early_events.clear();
        let generation = self.generation;
        self.open_in_worker = Some(generation);
        self.open_wanted = false;
        self.open_deadline = Some(Instant::now() + self.sup.options.open_timeout);
        self.job(Box::new(move |worker: &mut Worker| {
            let result = worker.open(generation);
            worker.report(Report::Opened { generation, result });
        }));
    }

    fn teardown(&mut self, final_close: bool) {
        // Invalidate everything the old session may still report.
        self.generation += 1;
        self.tick_in_flight = false;
        self.open_deadline = None;
        self.job(Box::new(move |worker: &mut Worker| {
            worker.close_session(None, final_close);
        }));
    }

    fn user_disconnect(&mut self) {
        self.phase = Phase::Idle;
        self.retry_at = None;
        self.open_wanted = false;
        self.teardown(false);
        self.set_state(ConnectionState::Disconnected(DisconnectReason::User));
    }

    fn close(&mut self) {
        self.phase = Phase::Idle;
        self.teardown(true);
        self.set_state(ConnectionState::Disconnected(DisconnectReason::Closed));
    }

    fn lost(&mut self, message: String) {
        self.teardown(false);
        if self.sup.options.auto_reconnect {
            let retry_at = Instant::now() + self.backoff;
            self.retry_at = Some(retry_at);
            self.phase = Phase::WaitingToRetry;
            self.set_state(ConnectionState::Disconnected(DisconnectReason::Lost {
                message,
                retry_at: Some(retry_at.into_std()),
            }));
            self.backoff = (self.backoff * 2).min(self.sup.options.backoff_max);
        } else {
            self.phase = Phase::Idle;
            self.set_state(ConnectionState::Disconnected(DisconnectReason::Lost {
                message,
                retry_at: None,
            }));
        }
    }

    fn attempt_failed(&mut self, error: DriverError) {
        if self.ever_connected && error.is_transient() {
            // A reconnect attempt: keep trying with backoff.
            self.lost(error.to_string());
        } else {
            self.phase = Phase::Idle;
            self.set_state(ConnectionState::Failed(error));
        }
    }

    fn on_open_deadline(&mut self) {
        self.open_deadline = None;
        if self.phase != Phase::Opening {
            return;
        }
        if self.sup.prompting.load(Ordering::SeqCst) {
            // The user is typing a password: the deadline does not run meanwhile.
            self.open_deadline = Some(Instant::now() + self.sup.options.open_timeout);
            return;
        }
        // The worker may still finish later; a late success is accepted (see Opened).
        self.attempt_failed(DriverError::Timeout {
            after: self.sup.options.open_timeout,
        });
    }

    fn on_report(&mut self, report: Report) {
        match report {
            Report::Opened { generation, result } => self.on_opened(generation, result),
            Report::Ticked { generation, result } => {
                if generation != self.generation {
                    return;
                }
                self.tick_in_flight = false;
                if let Ok(sample) = result {
                    self.fresh_since = Some((sample.taken_at.into(), SystemTime::now()));
                    self.stale_reported = false;
                    self.send(UpdateKind::Stats(Arc::new(sample)));
                }
            }
            Report::DomainChanged { generation, info } => {
                if generation == self.generation {
                    self.send(UpdateKind::DomainChanged(info));
                }
            }
            Report::DomainRemoved { generation, uuid } => {
                if generation == self.generation {
                    self.send(UpdateKind::DomainRemoved(uuid));
                }
            }
            Report::Lifecycle { generation, event } => {
                if generation != self.generation {
                    return;
                }
                match self.phase {
                    Phase::Connected => self.deliver_event(event),
                    Phase::Opening => self.early_events.push(event),
                    Phase::WaitingToRetry | Phase::Idle => {}
                }
            }
            Report::Lost {
                generation,
                message,
            } => {
                if generation == self.generation && self.phase == Phase::Connected {
                    self.lost(message);
                }
            }
        }
    }

    /// Sends a lifecycle event at once, then has the worker re-read the domain.
    fn deliver_event(&mut self, event: crate::driver::LifecycleEvent) {
        let uuid = event.domain;
        self.send(UpdateKind::Lifecycle(event));
        self.job(Box::new(move |worker: &mut Worker| {
            worker.refresh_domain(uuid)
        }));
    }

    fn on_opened(
        &mut self,
        generation: u64,
        result: Result<Arc<crate::driver::Inventory>, DriverError>,
    ) {
        if self.open_in_worker == Some(generation) {
            self.open_in_worker = None;
        }
        let current = generation == self.generation;
        if !current {
            // A late result of an abandoned attempt.
            if self.open_wanted {
                self.start_open();
            } else if result.is_ok() && self.phase != Phase::Connected {
                self.job(Box::new(move |worker: &mut Worker| {
                    worker.close_session(Some(generation), false);
                }));
            }
            return;
        }
        self.open_deadline = None;
        if self.phase == Phase::Idle
            && !matches!(*self.sup.state.borrow(), ConnectionState::Failed(_))
        {
            // The user disconnected while we were opening.
            return;
        }
        match result {
            Ok(inventory) => {
                self.phase = Phase::Connected;
                self.ever_connected = true;
                self.backoff = self.sup.options.backoff_initial;
                self.retry_at = None;
                self.fresh_since = Some((Instant::now(), SystemTime::now()));
                self.stale_reported = false;
                self.set_state(ConnectionState::Connected);
                self.send(UpdateKind::Inventory(inventory));
                for event in std::mem::take(&mut self.early_events) {
                    self.deliver_event(event);
                }
            }
            Err(error) => {
                if self.phase == Phase::Opening {
                    self.attempt_failed(error);
                }
            }
        }
    }

    fn on_tick(&mut self) {
        self.check_stale();
        if self.phase != Phase::Connected || self.tick_in_flight {
            // Not connected, or the previous tick still runs: skip this one (never queue).
            return;
        }
        self.tick_in_flight = true;
        let groups = self.groups;
        self.job(Box::new(move |worker: &mut Worker| worker.tick(groups)));
    }

    fn stale_after(&self) -> Duration {
        self.sup
            .options
            .stale_after
            .unwrap_or_else(|| (self.interval * 2).max(Duration::from_secs(2)))
    }

    fn check_stale(&mut self) {
        if self.stale_reported || self.phase == Phase::Idle && !self.ever_connected {
            return;
        }
        let Some((since, wall_clock)) = self.fresh_since else {
            return;
        };
        if since.elapsed() > self.stale_after() {
            self.stale_reported = true;
            self.send(UpdateKind::Stale {
                since: since.into_std(),
                wall_clock,
            });
        }
    }
}
