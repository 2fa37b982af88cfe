//! The console on a real QEMU guest (memtest86+, DESIGN.md §4) through
//! `virDomainOpenGraphicsFD` on `qemu:///system`:
//! - the route planner picks the libvirt socket for a local connection,
//! - after the screen settles (guest paused), the session framebuffer equals libvirt's
//!   screenshot except for at most 0.1 % of the pixels (the blinking text cursor),
//! - keys typed through the console drive memtest's menu, and a key removes its PASS banner
//!   (checked through libvirt's screenshot).
//!
//! Needs `qemu:///system` with QEMU and memtest86+, ImageMagick's `convert` and `virsh`.
//! Without them the test is skipped, unless `HANGAR_TEST_REQUIRE_ALL=1`.

#[path = "vnc_support/images.rs"]
mod images;
#[path = "vnc_support/servers.rs"]
mod servers;

use std::os::fd::{FromRawFd, OwnedFd};
use std::process::Command;
use std::time::{Duration, Instant};

use hangar::vnc::keys::keysym;
use hangar::vnc::{
    ConsoleRoute, ConsoleTarget, GraphicsInfo, Session, SessionEvent, SessionEvents, SessionHandle,
    SessionOptions, plan_console_route,
};
use images::{Rgb, differences, framebuffer_rgb, read_ppm};
use servers::{connected, final_state, have_program, require_all};
use virt::connect::Connect;
use virt::domain::Domain;

const MEMTEST: &str = "/boot/memtest86+x64.bin";

/// Destroys the transient guest whatever happens to the test.
struct Guest {
    domain: Domain,
    name: String,
}

impl Drop for Guest {
    fn drop(&mut self) {
        if let Err(error) = self.domain.destroy() {
            eprintln!("could not destroy {}: {error}", self.name);
        }
    }
}

fn start_guest() -> Option<(Connect, Guest)> {
    if !std::path::Path::new(MEMTEST).exists() {
        assert!(!require_all(), "{MEMTEST} is required but missing");
        eprintln!("skipping: {MEMTEST} is missing");
        return None;
    }
    let connection = match Connect::open(Some("qemu:///system")) {
        Ok(connection) => connection,
        Err(error) => {
            assert!(!require_all(), "qemu:///system is required: {error}");
            eprintln!("skipping: qemu:///system is not available: {error}");
            return None;
        }
    };
    let name = format!("hangar-vnc-{}-memtest", std::process::id());
    let xml = format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64' machine='pc'>hvm</type><kernel>{MEMTEST}</kernel>\
         <cmdline>nopause</cmdline></os>\
         <devices><graphics type='vnc' port='-1' listen='127.0.0.1'/>\
         <video><model type='vga'/></video></devices></domain>"
    );
    let domain = match connection.create_domain_xml(&xml, 0) {
        Ok(domain) => domain,
        Err(error) => panic!("cannot start the memtest guest: {error}"),
    };
    Some((connection, Guest { domain, name }))
}

/// libvirt's screenshot of the guest, as RGB.
fn screenshot(guest: &Guest) -> Rgb {
    let file = std::env::temp_dir().join(format!("{}.shot", guest.name));
    let status = Command::new("virsh")
        .args(["-c", "qemu:///system", "screenshot", &guest.name])
        .arg(&file)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("virsh screenshot");
    assert!(status.success(), "virsh screenshot failed");
    // QEMU 7.2 answers in PNG (older ones in PPM): let ImageMagick normalise it.
    let output = Command::new("convert")
        .arg(&file)
        .args(["-depth", "8", "ppm:-"])
        .output()
        .expect("convert");
    let _ = std::fs::remove_file(&file);
    assert!(output.status.success(), "convert failed");
    read_ppm(&output.stdout)
}

/// Pixels of memtest's PASS banner: bright green text on black.
fn green_pixels(picture: &Rgb) -> usize {
    picture
        .data
        .chunks_exact(3)
        .filter(|px| px[1] > 150 && px[0] < 120 && px[2] < 120)
        .count()
}

/// Presses and releases one key, at typing speed: the guest's PS/2 controller queues only
/// 16 bytes, so a burst would lose keys.
async fn type_key(handle: &SessionHandle, keysym: u32) {
    handle.key(keysym, true).expect("key down");
    handle.key(keysym, false).expect("key up");
    tokio::time::sleep(Duration::from_millis(150)).await;
}

/// Poll libvirt's screenshot until `condition` holds.
async fn screenshot_until(
    guest: &Guest,
    timeout: Duration,
    condition: impl Fn(&Rgb) -> bool,
) -> Rgb {
    let deadline = Instant::now() + timeout;
    loop {
        let shot = screenshot(guest);
        if condition(&shot) {
            return shot;
        }
        assert!(
            Instant::now() < deadline,
            "screen condition not met within {timeout:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Waits until the framebuffer has not changed for `quiet` (the paused guest's screen is
/// still; only the text cursor may blink).
async fn settle(handle: &SessionHandle, events: &mut SessionEvents, quiet: Duration) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        handle.framebuffer().take_damage();
        let before = handle.framebuffer().lock().generation();
        let changed = tokio::time::timeout(quiet, async {
            loop {
                match events.recv().await {
                    Some(SessionEvent::Damaged) | None => return,
                    Some(_) => {}
                }
            }
        })
        .await
        .is_ok();
        let after = handle.framebuffer().lock().generation();
        if !changed || before == after {
            return;
        }
        assert!(Instant::now() < deadline, "the screen never settled");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memtest_console_matches_libvirt_screenshot_and_takes_keys() {
    if !have_program("virsh") || !have_program("convert") {
        return;
    }
    let Some((_connection, guest)) = start_guest() else {
        return;
    };

    // The planner routes a local connection through the libvirt socket.
    let xml = guest.domain.xml_desc(0).expect("live XML");
    let graphics = GraphicsInfo::from_domain_xml(&xml).expect("graphics");
    assert!(graphics[0].port.is_some(), "live XML has the VNC port");
    let route = plan_console_route("qemu:///system", &graphics).expect("route");
    assert_eq!(route, ConsoleRoute::LibvirtFd { graphics_index: 0 });

    let raw_fd = guest
        .domain
        .open_graphics_fd(0, 0)
        .expect("virDomainOpenGraphicsFD");
    // SAFETY: libvirt hands over a freshly opened descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(raw_fd as i32) };
    let (handle, mut events) = Session::start(
        &tokio::runtime::Handle::current(),
        ConsoleTarget::Fd(fd),
        SessionOptions::default(),
    );
    // The guest may still be in its BIOS (640×480) when the console connects; memtest's text
    // mode is 720×400, and the console follows the resize.
    if connected(&mut events).await != (720, 400) {
        servers::wait_for(&mut events, Duration::from_secs(60), |event| match event {
            SessionEvent::Resized {
                width: 720,
                height: 400,
                ..
            } => Some(()),
            _ => None,
        })
        .await;
    }

    // Shorten the first pass through memtest's menu, typed through the console: remove
    // test 10 (bit fade, minutes of waiting) and test only up to 16 MiB.
    // F1 opens the settings pop-up once memtest polls its keyboard, which it does not
    // while it starts up: retry until the pop-up (a large black box) shows.
    let popup = |shot: &Rgb| {
        shot.data
            .chunks_exact(3)
            .filter(|px| px == &[0, 0, 0])
            .count()
            > 40_000
    };
    let mut opened = false;
    for _ in 0..12 {
        type_key(&handle, keysym::F1).await;
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline && !opened {
            opened = popup(&screenshot(&guest));
        }
        if opened {
            break;
        }
    }
    assert!(opened, "memtest never showed its settings");
    let digits = |text: &str| text.bytes().map(u32::from).collect::<Vec<_>>();
    let mut script = vec![u32::from(b'1'), u32::from(b'2')];
    script.extend(digits("10"));
    script.extend([
        keysym::RETURN,
        u32::from(b'0'),
        u32::from(b'2'),
        u32::from(b'2'),
    ]);
    script.extend(digits("16777216"));
    script.extend([keysym::RETURN, u32::from(b'0'), u32::from(b'0')]);
    for key in script {
        type_key(&handle, key).await;
    }

    let banner = screenshot_until(&guest, Duration::from_secs(420), |shot| {
        green_pixels(shot) > 2000
    })
    .await;
    eprintln!("PASS banner: {} green pixels", green_pixels(&banner));

    // With the guest paused the screen holds still: compare the console with libvirt's view.
    guest.domain.suspend().expect("suspend");
    settle(&handle, &mut events, Duration::from_secs(2)).await;
    let reference = screenshot(&guest);
    let console = framebuffer_rgb(handle.framebuffer());
    let differing = differences(&console, &reference);
    let limit = (reference.width * reference.height) as usize / 1000;
    eprintln!(
        "{} of {} pixels differ",
        differing.len(),
        reference.data.len() / 3
    );
    assert!(
        differing.len() <= limit,
        "{} pixels differ (limit {limit}), first at {:?}",
        differing.len(),
        differing.first()
    );
    assert!(
        green_pixels(&console) > 2000,
        "the console shows the PASS banner too"
    );
    guest.domain.resume().expect("resume");

    // Any key removes the banner.
    type_key(&handle, keysym::RETURN).await;
    screenshot_until(&guest, Duration::from_secs(60), |shot| {
        green_pixels(shot) == 0
    })
    .await;

    handle.close();
    final_state(&mut events, Duration::from_secs(10)).await;
}
