//! What the session puts on the wire, decoded by the fake server: the encodings it offers
//! (never TRLE), no full refresh in answer to an ExtendedDesktopSize announcement (the QEMU
//! resize loop), SetDesktopSize and its outcomes, key combinations pressed in order and
//! released in reverse, the wheel as buttons, Latin-1 clipboard text, and update requests
//! paced by the reader.

#[path = "vnc_support/rfb_server.rs"]
mod rfb_server;
#[path = "vnc_support/servers.rs"]
mod servers;

use std::time::Duration;

use hangar::vnc::keys::keysym;
use hangar::vnc::{
    ButtonMask, ConsoleTarget, Encoding, SendKeyCombo, Session, SessionEvent, SessionEvents,
    SessionHandle, SessionOptions, WheelDirection,
};
use rfb_server::*;
use servers::{connected, wait_for};

async fn pair(options: SessionOptions) -> (ServerConn, SessionHandle, SessionEvents) {
    let server = FakeServer::bind().await;
    let (handle, mut events) = Session::start(
        &tokio::runtime::Handle::current(),
        ConsoleTarget::Tcp {
            host: "127.0.0.1".into(),
            port: server.port,
        },
        options,
    );
    let conn = server.accept(64, 48).await;
    connected(&mut events).await;
    (conn, handle, events)
}

/// Waits until the client has sent messages satisfying `done`, and returns them all.
async fn sent_until(
    conn: &mut ServerConn,
    done: impl Fn(&[ClientMessage]) -> bool,
) -> Vec<ClientMessage> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let messages = client_messages(&conn.client_bytes.borrow_and_update());
        if done(&messages) {
            return messages;
        }
        tokio::time::timeout_at(deadline, conn.client_bytes.changed())
            .await
            .unwrap_or_else(|_| panic!("client never sent what was expected: {messages:?}"))
            .expect("client connection");
    }
}

fn requests(messages: &[ClientMessage], incremental: bool) -> usize {
    messages
        .iter()
        .filter(|m| matches!(m, ClientMessage::UpdateRequest { incremental: i, .. } if *i == incremental))
        .count()
}

#[tokio::test]
async fn encodings_are_offered_in_order_and_never_trle() {
    let (mut conn, _handle, _events) = pair(SessionOptions::default()).await;
    let messages = sent_until(&mut conn, |m| {
        m.iter()
            .any(|m| matches!(m, ClientMessage::SetEncodings(_)))
    })
    .await;
    let offered = messages
        .iter()
        .find_map(|m| match m {
            ClientMessage::SetEncodings(list) => Some(list.clone()),
            _ => None,
        })
        .expect("SetEncodings");
    assert_eq!(
        offered,
        vec![
            TIGHT,
            COPY_RECT,
            RAW,
            ZRLE,
            CURSOR,
            -308,
            DESKTOP_SIZE,
            -224
        ]
    );
    assert!(!offered.contains(&15), "TRLE must never be offered");
    assert_eq!(messages[0], ClientMessage::SetPixelFormat);

    let (mut conn, _handle, _events) = pair(SessionOptions {
        encodings: Encoding::only(Encoding::Zrle),
        ..SessionOptions::default()
    })
    .await;
    let messages = sent_until(&mut conn, |m| {
        m.iter()
            .any(|m| matches!(m, ClientMessage::SetEncodings(_)))
    })
    .await;
    assert!(messages.contains(&ClientMessage::SetEncodings(vec![
        ZRLE,
        CURSOR,
        -308,
        DESKTOP_SIZE,
        -224
    ])));
}

#[tokio::test]
async fn desktop_size_announcements_get_no_full_refresh() {
    let (mut conn, handle, mut events) = pair(SessionOptions::default()).await;
    // Same-size announcement (as QEMU sends it), then a real resize by the server.
    conn.send(&extended_desktop_size(0, 0, 64, 48)).await;
    conn.send(&extended_desktop_size(0, 0, 80, 60)).await;
    let resized = wait_for(&mut events, Duration::from_secs(5), |event| match event {
        SessionEvent::Resized {
            width: 80,
            height: 60,
            resizable,
        } => Some(*resizable),
        _ => None,
    })
    .await;
    assert!(
        resized,
        "an ExtendedDesktopSize server accepts SetDesktopSize"
    );
    handle.framebuffer().take_damage();
    conn.send(&raw_update(0, 0, 80, 60, [1, 1, 1, 0])).await;
    let messages = sent_until(&mut conn, |m| requests(m, true) >= 2).await;
    assert_eq!(
        requests(&messages, false),
        1,
        "only the first request may be non-incremental: {messages:?}"
    );
    // After the resize, requests cover the new size.
    assert!(messages.iter().any(|m| matches!(
        m,
        ClientMessage::UpdateRequest {
            incremental: true,
            width: 80,
            height: 60
        }
    )));
}

#[tokio::test]
async fn set_desktop_size_confirmed_and_refused() {
    let (mut conn, handle, mut events) = pair(SessionOptions::default()).await;
    conn.send(&extended_desktop_size(0, 0, 64, 48)).await;
    wait_for(&mut events, Duration::from_secs(5), |event| match event {
        SessionEvent::Resized {
            resizable: true, ..
        } => Some(()),
        _ => None,
    })
    .await;

    handle.set_desktop_size(100, 50).expect("queue");
    sent_until(&mut conn, |m| {
        m.contains(&ClientMessage::SetDesktopSize {
            width: 100,
            height: 50,
        })
    })
    .await;
    conn.send(&extended_desktop_size(1, 0, 100, 50)).await;
    wait_for(&mut events, Duration::from_secs(5), |event| match event {
        SessionEvent::Resized {
            width: 100,
            height: 50,
            ..
        } => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(handle.framebuffer().lock().width(), 100);

    handle.set_desktop_size(10, 10).expect("queue");
    sent_until(&mut conn, |m| {
        m.contains(&ClientMessage::SetDesktopSize {
            width: 10,
            height: 10,
        })
    })
    .await;
    conn.send(&extended_desktop_size(1, 1, 100, 50)).await; // status 1: prohibited
    let reason = wait_for(&mut events, Duration::from_secs(10), |event| match event {
        SessionEvent::DesktopSizeRefused { reason } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(!reason.is_empty());
    assert_eq!(handle.framebuffer().lock().width(), 100);
}

#[tokio::test]
async fn server_without_extended_desktop_size_refuses_resizing() {
    let (_conn, handle, mut events) = pair(SessionOptions::default()).await;
    handle.set_desktop_size(100, 50).expect("queue");
    let reason = wait_for(&mut events, Duration::from_secs(5), |event| match event {
        SessionEvent::DesktopSizeRefused { reason } => Some(reason.clone()),
        _ => None,
    })
    .await;
    assert!(reason.contains("cannot change"), "{reason}");
}

#[tokio::test]
async fn keys_wheel_and_clipboard_on_the_wire() {
    let (mut conn, handle, _events) = pair(SessionOptions::default()).await;
    handle
        .send_combo(SendKeyCombo::CtrlAltDelete)
        .expect("combo");
    handle
        .wheel(10, 20, ButtonMask::LEFT, WheelDirection::Down)
        .expect("wheel");
    handle.clipboard("café €\r\n").expect("clipboard");
    let messages = sent_until(&mut conn, |m| {
        m.iter().any(|m| matches!(m, ClientMessage::CutText(_)))
    })
    .await;
    let keys: Vec<(bool, u32)> = messages
        .iter()
        .filter_map(|m| match m {
            ClientMessage::Key { down, keysym } => Some((*down, *keysym)),
            _ => None,
        })
        .collect();
    assert_eq!(
        keys,
        vec![
            (true, keysym::CONTROL_L),
            (true, keysym::ALT_L),
            (true, keysym::DELETE),
            (false, keysym::DELETE),
            (false, keysym::ALT_L),
            (false, keysym::CONTROL_L),
        ]
    );
    let pointer: Vec<ClientMessage> = messages
        .iter()
        .filter(|m| matches!(m, ClientMessage::Pointer { .. }))
        .cloned()
        .collect();
    assert_eq!(
        pointer,
        vec![
            ClientMessage::Pointer {
                buttons: 1 | 16,
                x: 10,
                y: 20
            },
            ClientMessage::Pointer {
                buttons: 1,
                x: 10,
                y: 20
            },
        ]
    );
    assert!(messages.contains(&ClientMessage::CutText(b"caf\xe9 ?\n".to_vec())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_requests_wait_for_the_reader() {
    let (mut conn, handle, mut events) = pair(SessionOptions::default()).await;
    wait_for(&mut events, Duration::from_secs(5), |event| {
        matches!(event, SessionEvent::Damaged).then_some(())
    })
    .await;
    handle.framebuffer().take_damage();
    let baseline = requests(
        &sent_until(&mut conn, |m| requests(m, true) >= 1).await,
        true,
    );

    // First update: announced; the reader is not behind, so the next request goes out.
    conn.send(&raw_update(0, 0, 4, 4, [1, 2, 3, 0])).await;
    sent_until(&mut conn, |m| requests(m, true) > baseline).await;
    let after_first = requests(&client_messages(&conn.client_bytes.borrow()), true);
    // Second update while the first is still untaken: no request until the reader takes it.
    conn.send(&raw_update(4, 4, 4, 4, [4, 5, 6, 0])).await;
    let batches = handle.stats().batches;
    assert!(servers::wait_until(Duration::from_secs(5), || handle
        .stats()
        .batches
        > batches));
    assert_eq!(
        requests(&client_messages(&conn.client_bytes.borrow()), true),
        after_first,
        "asked for more while the reader was behind"
    );
    let damage = handle
        .framebuffer()
        .take_damage()
        .expect("two updates of damage");
    assert_eq!(
        (damage.x, damage.y, damage.width, damage.height),
        (0, 0, 8, 8)
    );
    sent_until(&mut conn, |m| requests(m, true) > after_first).await;

    // A full refresh on request.
    handle.refresh(true).expect("refresh");
    sent_until(&mut conn, |m| requests(m, false) >= 2).await;
}
