//! Console sessions against TigerVNC's `Xvnc` (a real VNC server) at 1920×1080 showing a
//! test-owned picture: with only Tight, only ZRLE, only Raw, and Raw + CopyRect for a moved
//! window, the session framebuffer equals `import -window root` pixel for pixel. Also:
//! VncAuth (right, wrong, missing, cancelled password), SetDesktopSize, clipboard both ways,
//! the pointer image and pointer input.
//!
//! Needs `Xvnc`, ImageMagick (`display`, `import`, `convert`), `xwud`, `xdotool`, `xclip`,
//! `vncpasswd`. Displays :50–:55 and :58, ports 5950–5955 and 5958. Missing tools skip the test unless
//! `HANGAR_TEST_REQUIRE_ALL=1`.

#[path = "vnc_support/images.rs"]
mod images;
#[path = "vnc_support/servers.rs"]
mod servers;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hangar::vnc::{
    ButtonMask, ConsoleTarget, DisconnectReason, Encoding, PasswordProvider, Session, SessionError,
    SessionEvent, SessionEvents, SessionHandle, SessionOptions, SessionState,
};
use images::{Rgb, differences, framebuffer_rgb, import_root, test_pattern};
use servers::{Xvnc, connected, final_state, have_program, wait_for};

const WIDTH: u32 = 1920;
const HEIGHT: u32 = 1080;

fn tools_present(tools: &[&str]) -> bool {
    tools.iter().all(|tool| have_program(tool))
}

/// A file in the temporary directory, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl std::ops::Deref for Scratch {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.as_os_str()
    }
}

impl AsRef<std::path::Path> for Scratch {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

fn scratch(name: &str) -> Scratch {
    Scratch(std::env::temp_dir().join(format!("hangar-vnc-{}-{name}", std::process::id())))
}

/// Paints `picture` as the root window background of the Xvnc display.
fn show_on_root(xvnc: &Xvnc, picture: &Rgb, name: &str) {
    let file = scratch(name);
    picture.write_ppm(&file);
    // `display -window root` sets the background and exits (with status 1 on this
    // ImageMagick, so only the result is checked).
    let _ = Command::new("display")
        .args(["-window", "root"])
        .arg(&file)
        .env("DISPLAY", format!(":{}", xvnc.display))
        .status();
    let root = import_root(xvnc.display);
    assert_eq!(
        differences(&root, picture).len(),
        0,
        "the X server does not show the test picture"
    );
}

fn start(port: u16, options: SessionOptions) -> (SessionHandle, SessionEvents) {
    Session::start(
        &tokio::runtime::Handle::current(),
        ConsoleTarget::Tcp {
            host: "127.0.0.1".into(),
            port,
        },
        options,
    )
}

/// Takes frames as a widget would until the framebuffer equals `expected`, or fails with the
/// number of differing pixels.
async fn converge(handle: &SessionHandle, events: &mut SessionEvents, expected: &Rgb) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        handle.framebuffer().take_damage();
        let now = framebuffer_rgb(handle.framebuffer());
        if now.width == expected.width && now.height == expected.height {
            let diff = differences(&now, expected);
            if diff.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{} pixels still differ, first at {:?}",
                diff.len(),
                diff.first()
            );
        }
        assert!(
            Instant::now() < deadline,
            "framebuffer never reached {expected:?}"
        );
        let _ = tokio::time::timeout(
            Duration::from_millis(500),
            wait_for(events, Duration::from_secs(60), |event| {
                matches!(event, SessionEvent::Damaged).then_some(())
            }),
        )
        .await;
    }
}

async fn close(handle: SessionHandle, mut events: SessionEvents) {
    handle.close();
    assert_eq!(
        final_state(&mut events, Duration::from_secs(10)).await,
        SessionState::Disconnected(DisconnectReason::Closed)
    );
}

/// Shows the pattern, connects offering only `encoding`, and checks pixel equality. Returns
/// the bytes received for the first full frame.
async fn one_encoding(display: u16, encoding: Encoding) -> u64 {
    let xvnc = Xvnc::start(display, WIDTH, HEIGHT, &[]);
    let pattern = test_pattern(WIDTH, HEIGHT, u32::from(display));
    show_on_root(&xvnc, &pattern, &format!("pattern{display}.ppm"));
    let options = SessionOptions {
        encodings: Encoding::only(encoding),
        ..SessionOptions::default()
    };
    let (handle, mut events) = start(xvnc.port, options);
    assert_eq!(connected(&mut events).await, (WIDTH, HEIGHT));
    converge(&handle, &mut events, &import_root(display)).await;
    let received = handle.stats().bytes_received;
    assert!(handle.stats().rectangles > 0);
    close(handle, events).await;
    received
}

const RAW_FRAME: u64 = WIDTH as u64 * HEIGHT as u64 * 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tight_only_is_pixel_exact() {
    if !tools_present(&["Xvnc", "display", "import"]) {
        return;
    }
    let received = one_encoding(50, Encoding::Tight).await;
    // Tight compressed the frame: proof the server did not fall back to Raw.
    assert!(received < RAW_FRAME / 2, "{received} bytes for one frame");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zrle_only_is_pixel_exact() {
    if !tools_present(&["Xvnc", "display", "import"]) {
        return;
    }
    let received = one_encoding(51, Encoding::Zrle).await;
    assert!(received < RAW_FRAME / 2, "{received} bytes for one frame");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn raw_only_is_pixel_exact() {
    if !tools_present(&["Xvnc", "display", "import"]) {
        return;
    }
    let received = one_encoding(52, Encoding::Raw).await;
    assert!(received >= RAW_FRAME, "{received} bytes for one frame");
}

fn window_id(display: u16, class: &str) -> Option<String> {
    let output = Command::new("xdotool")
        .args(["search", "--class", class])
        .env("DISPLAY", format!(":{display}"))
        .output()
        .ok()?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn copyrect_moves_a_window_pixel_exactly() {
    if !tools_present(&["Xvnc", "display", "import", "convert", "xwud", "xdotool"]) {
        return;
    }
    let display = 53;
    let xvnc = Xvnc::start(display, WIDTH, HEIGHT, &[]);
    show_on_root(&xvnc, &test_pattern(WIDTH, HEIGHT, 7), "root53.ppm");
    let window_picture = test_pattern(640, 400, 99);
    let ppm = scratch("window53.ppm");
    window_picture.write_ppm(&ppm);
    let xwd = scratch("hangar-copyrect.xwd");
    let status = Command::new("/usr/bin/convert")
        .arg(&ppm)
        .arg(format!("xwd:{}", xwd.display()))
        .status()
        .expect("convert");
    assert!(status.success());
    let _window = xvnc.spawn(
        "xwud",
        &["-geometry", "+100+100", "-in", &xwd.to_string_lossy()],
    );
    let found = servers::wait_until(Duration::from_secs(10), || {
        window_id(display, "xwud").is_some()
    });
    assert!(found, "xwud window did not appear");
    let id = window_id(display, "xwud").unwrap_or_default();

    let options = SessionOptions {
        encodings: vec![Encoding::CopyRect, Encoding::Raw, Encoding::Cursor],
        ..SessionOptions::default()
    };
    let (handle, mut events) = start(xvnc.port, options);
    connected(&mut events).await;
    converge(&handle, &mut events, &import_root(display)).await;
    assert_eq!(handle.stats().copy_rectangles, 0);

    for (x, y) in [(700, 500), (300, 200)] {
        xvnc.run(
            "xdotool",
            &["windowmove", &id, &x.to_string(), &y.to_string()],
        );
        converge(&handle, &mut events, &import_root(display)).await;
    }
    assert!(
        handle.stats().copy_rectangles > 0,
        "the server never sent CopyRect: {:?}",
        handle.stats()
    );
    close(handle, events).await;
}

fn password_file(password: &str) -> Scratch {
    let file = scratch("vncpasswd");
    let mut child = Command::new("vncpasswd")
        .arg("-f")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("vncpasswd");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n{password}\n").as_bytes())
        .expect("write password");
    let output = child.wait_with_output().expect("vncpasswd output");
    std::fs::write(&file, output.stdout).expect("write password file");
    file
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vnc_password_right_wrong_missing_and_cancelled() {
    if !tools_present(&["Xvnc", "vncpasswd"]) {
        return;
    }
    let file = password_file("s3cret");
    let xvnc = Xvnc::start(
        54,
        800,
        600,
        &[
            "-SecurityTypes",
            "VncAuth",
            "-PasswordFile",
            &file.to_string_lossy(),
        ],
    );
    let with = |provider: Option<PasswordProvider>| SessionOptions {
        password: provider,
        ..SessionOptions::default()
    };

    // Wrong password: a distinct authentication failure, so the UI can ask again.
    let (_handle, mut events) = start(xvnc.port, with(Some(PasswordProvider::fixed("wrong"))));
    wait_for(&mut events, Duration::from_secs(10), |event| {
        matches!(
            event,
            SessionEvent::State(SessionState::AuthenticationRequired)
        )
        .then_some(())
    })
    .await;
    let state = final_state(&mut events, Duration::from_secs(10)).await;
    let SessionState::AuthenticationFailed(error) = state else {
        panic!("expected an authentication failure, got {state:?}");
    };
    assert!(error.is_authentication_failure());
    assert!(!error.to_string().is_empty());

    // TigerVNC delays a client after a failure; the right password still gets through.
    let (handle, mut events) = start(xvnc.port, with(Some(PasswordProvider::fixed("s3cret"))));
    assert_eq!(connected(&mut events).await, (800, 600));
    close(handle, events).await;

    // No provider.
    let (_handle, mut events) = start(xvnc.port, with(None));
    assert_eq!(
        final_state(&mut events, Duration::from_secs(10)).await,
        SessionState::Error(SessionError::PasswordRequired)
    );

    // The user cancels the prompt.
    let cancel = PasswordProvider::new(|| Box::pin(async { None }));
    let (_handle, mut events) = start(xvnc.port, with(Some(cancel)));
    assert_eq!(
        final_state(&mut events, Duration::from_secs(10)).await,
        SessionState::Error(SessionError::AuthenticationCancelled)
    );

    // Closing while the prompt is open ends the session at once.
    let forever = PasswordProvider::new(|| Box::pin(std::future::pending()));
    let (handle, mut events) = start(xvnc.port, with(Some(forever)));
    wait_for(&mut events, Duration::from_secs(10), |event| {
        matches!(
            event,
            SessionEvent::State(SessionState::AuthenticationRequired)
        )
        .then_some(())
    })
    .await;
    close(handle, events).await;
}

fn clipboard_of(display: u16) -> String {
    let output = Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .env("DISPLAY", format!(":{display}"))
        .output()
        .expect("xclip");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resize_cursor_and_pointer() {
    if !tools_present(&["Xvnc", "import", "xdotool", "xsetroot"]) {
        return;
    }
    let display = 55;
    let xvnc = Xvnc::start(display, 1024, 768, &[]);
    xvnc.run("xsetroot", &["-solid", "#224466"]);
    let (handle, mut events) = start(xvnc.port, SessionOptions::default());
    assert_eq!(connected(&mut events).await, (1024, 768));

    // TigerVNC announces ExtendedDesktopSize and accepts SetDesktopSize.
    let resizable = wait_for(&mut events, Duration::from_secs(10), |event| match event {
        SessionEvent::Resized { resizable, .. } if *resizable => Some(true),
        _ => None,
    })
    .await;
    assert!(resizable);
    handle.set_desktop_size(1280, 720).expect("queue resize");
    wait_for(&mut events, Duration::from_secs(10), |event| match event {
        SessionEvent::Resized { width, height, .. } => {
            (*width == 1280 && *height == 720).then_some(())
        }
        SessionEvent::DesktopSizeRefused { reason } => panic!("resize refused: {reason}"),
        _ => None,
    })
    .await;
    converge(&handle, &mut events, &import_root(display)).await;

    // Pointer input moves the X pointer.
    handle.pointer(321, 123, ButtonMask::NONE).expect("pointer");
    let moved = servers::wait_until(Duration::from_secs(5), || {
        let output = Command::new("xdotool")
            .arg("getmouselocation")
            .env("DISPLAY", format!(":{display}"))
            .output()
            .expect("xdotool");
        String::from_utf8_lossy(&output.stdout).starts_with("x:321 y:123 ")
    });
    assert!(moved, "the X pointer did not move");

    // The root window's pointer image arrives as RGBA with its hotspot.
    xvnc.run("xsetroot", &["-cursor_name", "watch"]);
    let cursor = wait_for(&mut events, Duration::from_secs(10), |event| match event {
        SessionEvent::Cursor(cursor) if cursor.width > 0 => Some(cursor.clone()),
        _ => None,
    })
    .await;
    assert_eq!(
        cursor.rgba.len(),
        (cursor.width * cursor.height * 4) as usize
    );
    assert!(cursor.hotspot_x < cursor.width && cursor.hotspot_y < cursor.height);
    assert!(cursor.rgba.chunks_exact(4).any(|px| px[3] == 255));

    close(handle, events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clipboard_both_ways() {
    if !tools_present(&["Xvnc", "xclip"]) {
        return;
    }
    let display = 58;
    let xvnc = Xvnc::start(display, 640, 480, &[]);
    let (handle, mut events) = start(xvnc.port, SessionOptions::default());
    connected(&mut events).await;

    // Client to server: Latin-1 on the wire, UTF-8 in X.
    handle.clipboard("Grüße, café ✓").expect("clipboard");
    let pasted = servers::wait_until(Duration::from_secs(5), || {
        clipboard_of(display) == "Grüße, café ?"
    });
    assert!(pasted, "X clipboard holds {:?}", clipboard_of(display));

    // Server to client.
    let mut xclip = Command::new("xclip")
        .args(["-i", "-selection", "clipboard"])
        .env("DISPLAY", format!(":{display}"))
        .stdin(Stdio::piped())
        .spawn()
        .expect("xclip");
    use std::io::Write;
    xclip
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"from the server")
        .expect("write");
    let _ = xclip.wait();
    let text = wait_for(&mut events, Duration::from_secs(10), |event| match event {
        SessionEvent::Clipboard(text) if text != "Grüße, café ?" => Some(text.clone()),
        _ => None,
    })
    .await;
    assert_eq!(text, "from the server");
    close(handle, events).await;
}
