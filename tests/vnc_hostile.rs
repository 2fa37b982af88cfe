//! A hostile (or just broken) VNC server: every malformed or oversized message ends the
//! session with a clear error — no panic (a panicking session task would end the event stream
//! without a final state, which `final_state` reports), nothing shown from the bad message.
//! Also the well-formed extras the fake server can send: bell, clipboard, desktop resize, a
//! Tight JPEG rectangle (which vnc-rs leaves undecoded and the session decodes).

#[path = "vnc_support/rfb_server.rs"]
mod rfb_server;
#[path = "vnc_support/servers.rs"]
mod servers;

use std::io::Write;
use std::time::Duration;

use hangar::vnc::{
    ConsoleTarget, DisconnectReason, LimitViolation, Limits, Session, SessionError, SessionEvent,
    SessionEvents, SessionHandle, SessionOptions, SessionState,
};
use rfb_server::*;
use servers::{connected, final_state, wait_for};

const W: u16 = 64;
const H: u16 = 48;

async fn session_with(options: SessionOptions) -> (FakeServer, SessionHandle, SessionEvents) {
    let server = FakeServer::bind().await;
    let (handle, events) = Session::start(
        &tokio::runtime::Handle::current(),
        ConsoleTarget::Tcp {
            host: "127.0.0.1".into(),
            port: server.port,
        },
        options,
    );
    (server, handle, events)
}

/// Connects a session to a fresh fake server and returns both ends, connected.
async fn pair(options: SessionOptions) -> (ServerConn, SessionHandle, SessionEvents) {
    let (server, handle, mut events) = session_with(options).await;
    let conn = server.accept(W, H).await;
    assert_eq!(connected(&mut events).await, (u32::from(W), u32::from(H)));
    (conn, handle, events)
}

async fn ends_with(events: &mut SessionEvents) -> SessionState {
    final_state(events, Duration::from_secs(20)).await
}

fn protocol_error(state: &SessionState) -> &str {
    match state {
        SessionState::Error(SessionError::Protocol { detail }) => detail,
        other => panic!("expected a protocol error, got {other:?}"),
    }
}

/// A zlib stream flushed but not finished, as RFB servers send them (one stream per
/// connection).
fn zlib_flushed(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).expect("compress");
    encoder.flush().expect("flush");
    encoder.get_ref().clone()
}

#[tokio::test]
async fn good_updates_bell_clipboard_and_resize_arrive() {
    let (mut conn, handle, mut events) = pair(SessionOptions::default()).await;
    conn.send(&raw_update(2, 3, 4, 5, [10, 20, 30, 0])).await;
    wait_for(&mut events, Duration::from_secs(5), |event| {
        matches!(event, SessionEvent::Damaged).then_some(())
    })
    .await;
    let damage = handle.framebuffer().take_damage();
    assert!(damage.is_some());
    assert_eq!(
        handle.framebuffer().lock().pixel(5, 7),
        Some([10, 20, 30, 0xFF])
    );

    conn.send(&[2]).await;
    wait_for(&mut events, Duration::from_secs(5), |event| {
        matches!(event, SessionEvent::Bell).then_some(())
    })
    .await;
    conn.send(&cut_text(5, b"hello")).await;
    let text = wait_for(&mut events, Duration::from_secs(5), |event| match event {
        SessionEvent::Clipboard(text) => Some(text.clone()),
        _ => None,
    })
    .await;
    assert_eq!(text, "hello");

    // Legacy DesktopSize: the framebuffer is reallocated.
    let mut resize = update(1);
    resize.extend(rect(0, 0, 100, 80, DESKTOP_SIZE));
    conn.send(&resize).await;
    let size = wait_for(&mut events, Duration::from_secs(5), |event| match event {
        SessionEvent::Resized { width, height, .. } => Some((*width, *height)),
        _ => None,
    })
    .await;
    assert_eq!(size, (100, 80));
    assert_eq!(handle.framebuffer().lock().bytes().len(), 100 * 80 * 4);

    // The client asked for updates (update requests are message type 3).
    assert!(conn.client_bytes.borrow().contains(&3));
    handle.close();
    assert_eq!(
        ends_with(&mut events).await,
        SessionState::Disconnected(DisconnectReason::Closed)
    );
}

#[tokio::test]
async fn server_closing_is_a_disconnection() {
    let (conn, _handle, mut events) = pair(SessionOptions::default()).await;
    drop(conn);
    assert_eq!(
        ends_with(&mut events).await,
        SessionState::Disconnected(DisconnectReason::ServerClosed)
    );
}

#[tokio::test]
async fn rectangle_outside_the_desktop() {
    let (mut conn, handle, mut events) = pair(SessionOptions::default()).await;
    conn.send(&raw_update(60, 40, 10, 10, [1, 2, 3, 0])).await;
    let state = ends_with(&mut events).await;
    assert!(!protocol_error(&state).is_empty());
    assert_eq!(
        handle.framebuffer().lock().pixel(63, 47),
        Some([0, 0, 0, 0xFF])
    );
}

#[tokio::test]
async fn oversized_rectangle() {
    let (mut conn, _handle, mut events) = pair(SessionOptions::default()).await;
    let mut message = update(1);
    message.extend(rect(0, 0, 60_000, 60_000, RAW));
    conn.send(&message).await;
    protocol_error(&ends_with(&mut events).await);
}

#[tokio::test]
async fn copy_from_outside_the_desktop() {
    let (mut conn, _handle, mut events) = pair(SessionOptions::default()).await;
    let mut message = update(1);
    message.extend(rect(0, 0, 10, 10, COPY_RECT));
    message.extend_from_slice(&60u16.to_be_bytes());
    message.extend_from_slice(&60u16.to_be_bytes());
    conn.send(&message).await;
    protocol_error(&ends_with(&mut events).await);
}

#[tokio::test]
async fn corrupt_zlib_data() {
    let (mut conn, _handle, mut events) = pair(SessionOptions::default()).await;
    let garbage = [0x78, 0x9c, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11, 0x22, 0x33];
    let mut message = update(1);
    message.extend(rect(0, 0, 8, 8, ZRLE));
    message.extend_from_slice(&(garbage.len() as u32).to_be_bytes());
    message.extend_from_slice(&garbage);
    conn.send(&message).await;
    protocol_error(&ends_with(&mut events).await);
}

#[tokio::test]
async fn zlib_data_that_ends_too_early() {
    // A valid zlib stream holding less than the rectangle needs: vnc-rs says nothing, the
    // session still reports it (the connection is up, so it is not a disconnection).
    let (mut conn, _handle, mut events) = pair(SessionOptions::default()).await;
    let short = zlib_flushed(&[0u8; 3]); // subencoding raw, then 2 bytes of a 192-byte tile
    let mut message = update(1);
    message.extend(rect(0, 0, 8, 8, ZRLE));
    message.extend_from_slice(&(short.len() as u32).to_be_bytes());
    message.extend_from_slice(&short);
    conn.send(&message).await;
    let state = ends_with(&mut events).await;
    assert!(protocol_error(&state).contains("decompressed"), "{state:?}");
}

#[tokio::test]
async fn truncated_message_then_close() {
    let (mut conn, handle, mut events) = pair(SessionOptions::default()).await;
    let full = raw_update(0, 0, 10, 10, [9, 9, 9, 0]);
    conn.send(&full[..full.len() / 2]).await;
    drop(conn);
    assert_eq!(
        ends_with(&mut events).await,
        SessionState::Disconnected(DisconnectReason::ServerClosed)
    );
    // Nothing of the half message was painted.
    assert_eq!(
        handle.framebuffer().lock().pixel(0, 0),
        Some([0, 0, 0, 0xFF])
    );
}

#[tokio::test]
async fn unknown_message_type() {
    let (mut conn, _handle, mut events) = pair(SessionOptions::default()).await;
    conn.send(&[200, 1, 2, 3]).await;
    protocol_error(&ends_with(&mut events).await);
}

fn cursor_message(width: u16, height: u16) -> Vec<u8> {
    let mut message = update(1);
    message.extend(rect(1, 1, width, height, CURSOR));
    let pixels = usize::from(width) * usize::from(height);
    message.resize(message.len() + pixels * 4, 0x80);
    message.resize(
        message.len() + usize::from(width).div_ceil(8) * usize::from(height),
        0xff,
    );
    message
}

#[tokio::test]
async fn cursors_within_and_over_the_limit() {
    let (mut conn, _handle, mut events) = pair(SessionOptions::default()).await;
    conn.send(&cursor_message(16, 16)).await;
    let cursor = wait_for(&mut events, Duration::from_secs(5), |event| match event {
        SessionEvent::Cursor(cursor) => Some(cursor.clone()),
        _ => None,
    })
    .await;
    assert_eq!((cursor.width, cursor.height, cursor.hotspot_x), (16, 16, 1));
    assert!(
        cursor
            .rgba
            .chunks_exact(4)
            .all(|px| px == [0x80, 0x80, 0x80, 0xff])
    );

    conn.send(&cursor_message(600, 600)).await;
    assert_eq!(
        ends_with(&mut events).await,
        SessionState::Error(SessionError::Limit(LimitViolation::Cursor {
            width: 600,
            height: 600
        }))
    );
}

#[tokio::test]
async fn huge_cursor_refused_before_allocation() {
    let (mut conn, _handle, mut events) = pair(SessionOptions::default()).await;
    let mut message = update(1);
    message.extend(rect(0, 0, 60_000, 60_000, CURSOR));
    conn.send(&message).await;
    protocol_error(&ends_with(&mut events).await);
}

#[tokio::test]
async fn endless_cut_text() {
    let (mut conn, _handle, mut events) = pair(SessionOptions::default()).await;
    let mut message = cut_text(u32::MAX, b"");
    message.resize(message.len() + 64 * 1024, b'A');
    conn.send(&message).await;
    assert_eq!(
        ends_with(&mut events).await,
        SessionState::Error(SessionError::Limit(LimitViolation::CutText { bytes: None }))
    );
}

#[tokio::test]
async fn cut_text_over_a_tighter_limit() {
    let options = SessionOptions {
        limits: Limits {
            max_cut_text: 1000,
            ..Limits::default()
        },
        ..SessionOptions::default()
    };
    let (mut conn, _handle, mut events) = pair(options).await;
    conn.send(&cut_text(2000, &[b'x'; 2000])).await;
    assert_eq!(
        ends_with(&mut events).await,
        SessionState::Error(SessionError::Limit(LimitViolation::CutText {
            bytes: Some(2000)
        }))
    );
}

#[tokio::test]
async fn desktop_over_the_framebuffer_limit() {
    let options = SessionOptions {
        limits: Limits {
            max_pixels: 1000,
            ..Limits::default()
        },
        ..SessionOptions::default()
    };
    let (server, _handle, mut events) = session_with(options).await;
    let _conn = server.accept(W, H).await;
    assert_eq!(
        ends_with(&mut events).await,
        SessionState::Error(SessionError::Limit(LimitViolation::Framebuffer {
            width: u32::from(W),
            height: u32::from(H)
        }))
    );
}

#[tokio::test]
async fn silent_server_times_out_the_handshake() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("address").port();
    let options = SessionOptions {
        handshake_timeout: Duration::from_millis(500),
        ..SessionOptions::default()
    };
    let (_handle, mut events) = Session::start(
        &tokio::runtime::Handle::current(),
        ConsoleTarget::Tcp {
            host: "127.0.0.1".into(),
            port,
        },
        options,
    );
    let (_socket, _) = listener.accept().await.expect("accept");
    assert_eq!(
        ends_with(&mut events).await,
        SessionState::Error(SessionError::HandshakeTimeout { seconds: 1 })
    );
}

#[tokio::test]
async fn connection_refused_is_explained() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    };
    let (_handle, mut events) = Session::start(
        &tokio::runtime::Handle::current(),
        ConsoleTarget::Tcp {
            host: "127.0.0.1".into(),
            port,
        },
        SessionOptions::default(),
    );
    let state = ends_with(&mut events).await;
    let SessionState::Error(SessionError::Connect { address, .. }) = &state else {
        panic!("expected a connect error, got {state:?}");
    };
    assert_eq!(address, &format!("127.0.0.1:{port}"));
}

/// A real JPEG made by ImageMagick, or `None` (with a note) when it is not installed.
fn jpeg(width: u32, height: u32, colour: &str) -> Option<Vec<u8>> {
    let output = std::process::Command::new("convert")
        .args([
            "-size",
            &format!("{width}x{height}"),
            &format!("xc:{colour}"),
        ])
        .args(["-quality", "100", "jpg:-"])
        .output()
        .ok()?;
    output.status.success().then_some(output.stdout)
}

fn tight_jpeg(x: u16, y: u16, width: u16, height: u16, data: &[u8]) -> Vec<u8> {
    let mut message = update(1);
    message.extend(rect(x, y, width, height, TIGHT));
    message.push(0x90);
    message.extend(compact_length(data.len()));
    message.extend_from_slice(data);
    message
}

#[tokio::test]
async fn tight_jpeg_is_decoded_and_bad_jpeg_refused() {
    if !servers::have_program("convert") {
        return;
    }
    let Some(red) = jpeg(16, 8, "#ff0000") else {
        panic!("ImageMagick could not write a JPEG");
    };
    let (mut conn, handle, mut events) = pair(SessionOptions::default()).await;
    conn.send(&tight_jpeg(4, 4, 16, 8, &red)).await;
    wait_for(&mut events, Duration::from_secs(5), |event| {
        matches!(event, SessionEvent::Damaged).then_some(())
    })
    .await;
    let [b, g, r, a] = handle.framebuffer().lock().pixel(10, 8).expect("pixel");
    assert!(
        r > 240 && g < 16 && b < 16 && a == 0xFF,
        "{:?}",
        [b, g, r, a]
    );
    assert_eq!(handle.stats().jpeg_rectangles, 1);

    // A JPEG whose size does not match its rectangle.
    conn.send(&tight_jpeg(0, 0, 8, 8, &red)).await;
    let state = ends_with(&mut events).await;
    assert!(protocol_error(&state).contains("JPEG"), "{state:?}");
}

#[tokio::test]
async fn garbage_jpeg_is_refused() {
    let (mut conn, _handle, mut events) = pair(SessionOptions::default()).await;
    conn.send(&tight_jpeg(0, 0, 8, 8, b"\xff\xd8not a jpeg at all"))
        .await;
    let state = ends_with(&mut events).await;
    assert!(protocol_error(&state).contains("JPEG"), "{state:?}");
}
