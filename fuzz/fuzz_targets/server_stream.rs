//! Fuzzes everything a VNC server can send after the handshake: the input is the
//! server-to-client byte stream that follows a fixed, valid handshake (RFB 3.8, no security,
//! a 64×48 desktop). A whole console session (vnc-rs decoders, the session task, framebuffer,
//! limits, JPEG decoding) runs over an in-memory pipe until the stream ends. Any panic —
//! including one inside a vnc-rs task — aborts and is reported by libFuzzer.
#![no_main]

use std::sync::LazyLock;
use std::time::Duration;

use hangar::vnc::{ConsoleTarget, Limits, Session, SessionEvent, SessionOptions};
use libfuzzer_sys::fuzz_target;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
});

/// Version, one security type (None), SecurityResult OK, ServerInit (64×48, BGRx, "fuzz").
fn handshake() -> Vec<u8> {
    let mut bytes = b"RFB 003.008\n".to_vec();
    bytes.extend_from_slice(&[1, 1]);
    bytes.extend_from_slice(&0u32.to_be_bytes());
    bytes.extend_from_slice(&64u16.to_be_bytes());
    bytes.extend_from_slice(&48u16.to_be_bytes());
    bytes.extend_from_slice(&[32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]);
    bytes.extend_from_slice(&4u32.to_be_bytes());
    bytes.extend_from_slice(b"fuzz");
    bytes
}

fuzz_target!(|data: &[u8]| {
    RUNTIME.block_on(async {
        let (client, server) = tokio::io::duplex(256 * 1024);
        let (mut from_client, mut to_client) = tokio::io::split(server);
        let options = SessionOptions {
            paced: false,
            // Small enough that the limits themselves get exercised.
            limits: Limits {
                max_cursor_side: 64,
                max_cut_text: 4096,
                max_buffered_bytes: 1 << 20,
                ..Limits::default()
            },
            ..SessionOptions::default()
        };
        let (handle, mut events) = Session::start(
            &tokio::runtime::Handle::current(),
            ConsoleTarget::Io(Box::new(client)),
            options,
        );
        let drain = tokio::spawn(async move {
            let mut sink = [0u8; 4096];
            while matches!(from_client.read(&mut sink).await, Ok(n) if n > 0) {}
        });
        let mut wire = handshake();
        wire.extend_from_slice(data);
        let feed = tokio::spawn(async move {
            let _ = to_client.write_all(&wire).await;
            let _ = to_client.shutdown().await;
        });
        // The stream ends, so the session must end too: bounded, whatever the input.
        let ended = tokio::time::timeout(Duration::from_secs(10), async {
            while let Some(event) = events.recv().await {
                if let SessionEvent::State(state) = event {
                    if state.is_final() {
                        return true;
                    }
                }
                handle.framebuffer().take_damage();
            }
            false
        })
        .await;
        assert!(matches!(ended, Ok(true)), "session did not end with a final state");
        feed.abort();
        drain.abort();
    });
});
