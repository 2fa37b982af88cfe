//! The authentication hook against a real SASL-protected endpoint: a private libvirtd with
//! `auth_unix_rw = "sasl"` (SCRAM-SHA-256, one sasldb user). The provider answers, answers
//! wrongly, is told about rejection and acceptance, or cancels.

// Test code: helpers outside #[test] functions may panic on failure too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "driver_support/common.rs"]
mod common;
#[path = "driver_support/daemon.rs"]
mod daemon;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Updates, fast_options, is_state, service_missing};
use daemon::{PrivateDaemon, SaslUser};
use hangar::driver::{
    ConnectionState, CredentialFuture, CredentialKind, CredentialProvider, CredentialRequest,
    Driver, DriverError, OpenOptions, UpdateKind,
};
use hangar::model::ConnectionId;

const USER: SaslUser = SaslUser {
    name: "hangar",
    password: "correct horse battery staple",
};

/// How the test provider answers each round.
#[derive(Clone, Copy, Debug)]
enum Answer {
    Right,
    Wrong,
    Cancel,
    /// The right answer after a pause (a user typing slowly).
    RightAfter(Duration),
}

#[derive(Default)]
struct Log {
    requests: Vec<CredentialRequest>,
    rejected: u32,
    accepted: u32,
}

struct ScriptedProvider {
    script: Mutex<Vec<Answer>>,
    log: Mutex<Log>,
}

impl ScriptedProvider {
    fn new(script: &[Answer]) -> Arc<Self> {
        Arc::new(Self {
            script: Mutex::new(script.iter().rev().copied().collect()),
            log: Mutex::default(),
        })
    }
}

impl CredentialProvider for ScriptedProvider {
    fn credentials(&self, request: CredentialRequest) -> CredentialFuture {
        let answer = self.script.lock().unwrap().pop().unwrap_or(Answer::Cancel);
        let answers: Vec<String> = request
            .prompts
            .iter()
            .map(|prompt| match (prompt.kind, answer) {
                (CredentialKind::AuthName | CredentialKind::Username, _) => USER.name.to_owned(),
                (_, Answer::Wrong) => "wrong password".to_owned(),
                _ => USER.password.to_owned(),
            })
            .collect();
        self.log.lock().unwrap().requests.push(request);
        Box::pin(async move {
            match answer {
                Answer::Cancel => None,
                Answer::RightAfter(pause) => {
                    tokio::time::sleep(pause).await;
                    Some(answers)
                }
                Answer::Right | Answer::Wrong => Some(answers),
            }
        })
    }

    fn rejected(&self, _connection: ConnectionId, _uri: &str) {
        self.log.lock().unwrap().rejected += 1;
    }

    fn accepted(&self, _connection: ConnectionId, _uri: &str) {
        self.log.lock().unwrap().accepted += 1;
    }
}

fn sasl_daemon(tag: &str) -> Option<PrivateDaemon> {
    if let Some(why) = daemon::tools_missing(true) {
        service_missing(&why);
        return None;
    }
    Some(PrivateDaemon::start(tag, Some(&USER)))
}

async fn open_and_settle(
    daemon: &PrivateDaemon,
    provider: Arc<ScriptedProvider>,
    options: OpenOptions,
) -> (ConnectionState, Updates) {
    let driver = Driver::new(provider);
    let mut updates = Updates::new();
    let conn = driver.open(&daemon.uri(), options, updates.tx.clone());
    let id = conn.id();
    updates
        .wait_for("connected or failed", Duration::from_secs(20), |u| {
            is_state(u, id, |s| {
                matches!(s, ConnectionState::Connected | ConnectionState::Failed(_))
            })
        })
        .await;
    (conn.state(), updates)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_provider_is_asked_told_of_rejection_and_acceptance() {
    let Some(daemon) = sasl_daemon("sasl") else {
        return;
    };

    // The right answer: connected, and the provider learns it was accepted.
    let provider = ScriptedProvider::new(&[Answer::Right]);
    let (state, _) = open_and_settle(&daemon, provider.clone(), fast_options()).await;
    assert_eq!(state, ConnectionState::Connected);
    {
        let log = provider.log.lock().unwrap();
        assert_eq!((log.accepted, log.rejected), (1, 0));
        // The user name and the password, as virsh asks: no SASL "authorization name".
        let kinds: Vec<CredentialKind> = log.requests[0].prompts.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            [CredentialKind::AuthName, CredentialKind::Passphrase],
            "{:?}",
            log.requests[0].prompts
        );
        assert_eq!(log.requests[0].attempt, 1);
        assert_eq!(log.requests[0].uri, daemon.uri());
    }

    // A wrong password: the provider is told (to drop a stored one) and asked again.
    let provider = ScriptedProvider::new(&[Answer::Wrong, Answer::Right]);
    let (state, _) = open_and_settle(&daemon, provider.clone(), fast_options()).await;
    assert_eq!(state, ConnectionState::Connected);
    {
        let log = provider.log.lock().unwrap();
        assert_eq!((log.rejected, log.accepted), (1, 1));
        let attempts: Vec<u32> = log.requests.iter().map(|r| r.attempt).collect();
        assert_eq!(attempts, [1, 2]);
    }

    // Wrong every time: AuthFailed with libvirt's message after the allowed rounds, and no
    // automatic retry (it would only ask again and again).
    let provider = ScriptedProvider::new(&[Answer::Wrong, Answer::Wrong, Answer::Wrong]);
    let options = OpenOptions {
        auth_attempts: 2,
        ..fast_options()
    };
    let (state, mut updates) = open_and_settle(&daemon, provider.clone(), options).await;
    let ConnectionState::Failed(DriverError::AuthFailed { message }) = &state else {
        panic!("{state:?}")
    };
    assert!(message.contains("authentication failed"), "{message}");
    updates.drain_for(Duration::from_millis(1500)).await;
    let log = provider.log.lock().unwrap();
    assert_eq!((log.rejected, log.requests.len()), (2, 2));
    let failed_at = updates
        .seen
        .iter()
        .position(|(_, u)| matches!(u.kind, UpdateKind::State(ConnectionState::Failed(_))))
        .unwrap();
    assert!(
        !updates.seen[failed_at..]
            .iter()
            .any(|(_, u)| matches!(u.kind, UpdateKind::State(ConnectionState::Connecting))),
        "no automatic retry after an authentication failure"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_prompt_ends_the_attempt_cleanly_and_prompts_pause_the_open_deadline() {
    let Some(daemon) = sasl_daemon("sasl-cancel") else {
        return;
    };
    let provider = ScriptedProvider::new(&[Answer::Cancel]);
    let (state, mut updates) = open_and_settle(&daemon, provider.clone(), fast_options()).await;
    assert_eq!(state, ConnectionState::Failed(DriverError::AuthCancelled));
    assert!(!state_text(&state).is_empty());
    updates.drain_for(Duration::from_millis(1500)).await;
    {
        let log = provider.log.lock().unwrap();
        assert_eq!(
            log.requests.len(),
            1,
            "a cancelled prompt is not asked again"
        );
        assert_eq!((log.rejected, log.accepted), (0, 0));
    }
    assert!(
        !updates
            .seen
            .iter()
            .any(|(_, u)| matches!(u.kind, UpdateKind::Inventory(_))),
        "nothing connected"
    );

    // A user who takes longer than the open timeout to type is not cut off.
    let provider = ScriptedProvider::new(&[Answer::RightAfter(Duration::from_millis(1500))]);
    let options = OpenOptions {
        open_timeout: Duration::from_millis(700),
        ..fast_options()
    };
    let started = Instant::now();
    let (state, _) = open_and_settle(&daemon, provider, options).await;
    assert_eq!(state, ConnectionState::Connected);
    assert!(started.elapsed() >= Duration::from_millis(1500));
}

fn state_text(state: &ConnectionState) -> String {
    match state {
        ConnectionState::Failed(error) => error.to_string(),
        other => format!("{other:?}"),
    }
}
