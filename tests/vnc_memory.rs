//! Memory stays bounded when a server floods a console whose UI has stopped listening: the
//! session blocks on its full event queue, vnc-rs's decoder blocks behind it, and vnc-rs's
//! network task may queue only `Limits::max_buffered_bytes` (without the session's cap it
//! would queue 4096 reads of 64 KiB = 256 MiB). Closing still works at once.
//! (Own test binary so no other test shares the process's memory figures.)

#[path = "vnc_support/rfb_server.rs"]
mod rfb_server;
#[path = "vnc_support/servers.rs"]
mod servers;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hangar::vnc::{
    ConsoleTarget, DisconnectReason, Limits, Session, SessionEvent, SessionOptions, SessionState,
};
use rfb_server::FakeServer;

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map(|kib| kib * 1024)
        .expect("VmRSS")
}

const MIB: u64 = 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_with_a_deaf_ui_stays_within_the_buffer_limit() {
    let cap = 16 * MIB;
    let server = FakeServer::bind().await;
    let options = SessionOptions {
        limits: Limits {
            max_buffered_bytes: cap as usize,
            ..Limits::default()
        },
        ..SessionOptions::default()
    };
    let (handle, mut events) = Session::start(
        &tokio::runtime::Handle::current(),
        ConsoleTarget::Tcp {
            host: "127.0.0.1".into(),
            port: server.port,
        },
        options,
    );
    let mut conn = server.accept(64, 48).await;
    servers::connected(&mut events).await;
    let before = resident_bytes();

    // Bells: one byte each, so every byte costs the UI an event it never reads.
    let sent = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&sent);
    let flood = tokio::spawn(async move {
        let bells = vec![2u8; 64 * 1024];
        while conn.send(&bells).await {
            counter.fetch_add(bells.len() as u64, Ordering::Relaxed);
        }
    });
    // The flood stops when every buffer on the way is full: wait for that.
    let mut last = 0;
    let stalled = servers::wait_until(Duration::from_secs(60), || {
        std::thread::sleep(Duration::from_millis(500));
        let now = sent.load(Ordering::Relaxed);
        let still = now == last && now > 0;
        last = now;
        still
    });
    assert!(
        stalled,
        "the server could keep sending: nothing pushes back"
    );
    let received = handle.stats().bytes_received;
    let growth = resident_bytes().saturating_sub(before);
    eprintln!(
        "server sent {} MiB, session read {} MiB, resident memory grew {} MiB",
        sent.load(Ordering::Relaxed) / MIB,
        received / MIB,
        growth / MIB
    );
    assert!(
        received <= cap + MIB,
        "session read {received} bytes, cap {cap}"
    );
    assert!(growth < 3 * cap, "resident memory grew {growth} bytes");

    handle.close();
    let state = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events.recv().await {
                Some(SessionEvent::State(state)) if state.is_final() => return state,
                Some(_) => {}
                None => panic!("no final state"),
            }
        }
    })
    .await
    .expect("closing a flooded session takes no time");
    assert_eq!(state, SessionState::Disconnected(DisconnectReason::Closed));
    flood.abort();
}
