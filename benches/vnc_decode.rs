//! Headless benchmark of the console session against a full-motion source: TigerVNC `Xvnc`
//! at 1920×1080 (display :57, port 5957) with an X client that redraws a region of noise as
//! fast as it can up to a frame rate, and one session per encoding (Raw, Tight, ZRLE) whose
//! "widget" takes every frame as soon as it is announced. Prints, per encoding, frames per
//! second, the session process's CPU (utime + stime over the window, all threads) as % of a
//! core, CPU per frame and per megapixel painted, and the data rate.
//!
//! Run: `cargo bench --bench vnc_decode` (optional: `HANGAR_BENCH_NOISE=WxH@FPS`, default
//! `1024x768@30`; `HANGAR_BENCH_SECONDS`, default 10; `HANGAR_BENCH_BUFFER_MIB` to change
//! `Limits::max_buffered_bytes`, which sets the read size). Needs `Xvnc` and `python3`.
//!
//! `HANGAR_BENCH_WORKERS=N` sets the tokio worker threads (0: current-thread runtime).
//! With `HANGAR_BENCH_MEMTEST=1` (or `only`) it first measures a console on the memtest guest of DESIGN.md
//! §4 (`qemu:///system`, reached through `virDomainOpenGraphicsFD`), the mostly idle case:
//! CPU % of a core over the window, for comparison with gvncviewer's 0.1 %.
//!
//! "frames" are the updates the widget took; "CPU ms/region" is CPU per painted area equal to
//! the noise region (a full animation frame), the fair per-frame figure when the server skips
//! or splits frames.

#[path = "../tests/vnc_support/servers.rs"]
mod servers;

use std::time::{Duration, Instant};

use hangar::vnc::{ConsoleTarget, Encoding, Session, SessionEvent, SessionOptions};
use servers::{ChildGuard, Xvnc};

/// Draws noise into the root window with XPutImage through libX11 (ctypes: no packages).
const NOISE_CLIENT: &str = r#"
import ctypes, os, sys, time
w, h, fps = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
x = ctypes.cdll.LoadLibrary("libX11.so.6")
x.XOpenDisplay.restype = ctypes.c_void_p
x.XOpenDisplay.argtypes = [ctypes.c_char_p]
x.XDefaultScreen.argtypes = [ctypes.c_void_p]
x.XRootWindow.restype = ctypes.c_ulong
x.XRootWindow.argtypes = [ctypes.c_void_p, ctypes.c_int]
x.XDefaultVisual.restype = ctypes.c_void_p
x.XDefaultVisual.argtypes = [ctypes.c_void_p, ctypes.c_int]
x.XDefaultGC.restype = ctypes.c_void_p
x.XDefaultGC.argtypes = [ctypes.c_void_p, ctypes.c_int]
x.XCreateImage.restype = ctypes.c_void_p
x.XCreateImage.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
    ctypes.c_int, ctypes.c_char_p, ctypes.c_uint, ctypes.c_uint, ctypes.c_int, ctypes.c_int]
x.XPutImage.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_void_p,
    ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_uint, ctypes.c_uint]
x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
d = x.XOpenDisplay(None)
s = x.XDefaultScreen(d)
root = x.XRootWindow(d, s)
gc = x.XDefaultGC(d, s)
size = w * h * 4
buf = ctypes.create_string_buffer(size)
img = x.XCreateImage(d, x.XDefaultVisual(d, s), 24, 2, 0, buf, w, h, 32, 0)
period = 1.0 / fps
next_frame = time.monotonic()
while True:
    ctypes.memmove(buf, os.urandom(size), size)
    x.XPutImage(d, root, gc, img, 0, 0, 100, 100, w, h)
    x.XSync(d, 0)
    next_frame += period
    delay = next_frame - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    else:
        next_frame = time.monotonic()
"#;

/// utime + stime of this process (all threads), in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields
        .get(11..13)
        .map(|pair| pair.iter().filter_map(|f| f.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    ticks as f64 / 100.0
}

struct Figures {
    frames: u64,
    pixels: u64,
    bytes: u64,
    cpu: f64,
    wall: f64,
}

async fn measure(
    port: u16,
    encoding: Encoding,
    max_buffered: Option<usize>,
    warmup: Duration,
    window: Duration,
) -> Figures {
    let mut options = SessionOptions {
        encodings: Encoding::only(encoding),
        ..SessionOptions::default()
    };
    if let Some(bytes) = max_buffered {
        options.limits.max_buffered_bytes = bytes;
    }
    let (handle, mut events) = Session::start(
        &tokio::runtime::Handle::current(),
        ConsoleTarget::Tcp {
            host: "127.0.0.1".into(),
            port,
        },
        options,
    );
    let start = Instant::now();
    let mut measuring = false;
    let (mut frames, mut cpu0, mut stats0, mut t0) = (0u64, 0.0, handle.stats(), Instant::now());
    loop {
        let event = tokio::time::timeout(Duration::from_millis(100), events.recv()).await;
        if let Ok(Some(SessionEvent::State(state))) = &event {
            assert!(!state.is_final(), "session ended: {state}");
        }
        if let Ok(Some(SessionEvent::Damaged)) = event {
            // What a widget does at its next tick: take the frame (it would also upload it).
            if handle.framebuffer().take_damage().is_some() && measuring {
                frames += 1;
            }
        }
        if !measuring && start.elapsed() >= warmup {
            measuring = true;
            cpu0 = cpu_seconds();
            stats0 = handle.stats();
            t0 = Instant::now();
        }
        if measuring && t0.elapsed() >= window {
            break;
        }
    }
    let stats = handle.stats();
    let figures = Figures {
        frames,
        pixels: stats.pixels_painted - stats0.pixels_painted,
        bytes: stats.bytes_received - stats0.bytes_received,
        cpu: cpu_seconds() - cpu0,
        wall: t0.elapsed().as_secs_f64(),
    };
    handle.close();
    while events.recv().await.is_some() {}
    figures
}

/// The console on a running memtest guest: CPU over `window` after 5 s of warm-up.
async fn measure_memtest(window: Duration) -> Option<(f64, u64)> {
    use std::os::fd::{FromRawFd, OwnedFd};
    let connection = virt::connect::Connect::open(Some("qemu:///system")).ok()?;
    let name = format!("hangar-vnc-{}-bench", std::process::id());
    let xml = format!(
        "<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>\
         <os><type arch='x86_64' machine='pc'>hvm</type>\
         <kernel>/boot/memtest86+x64.bin</kernel></os>\
         <devices><graphics type='vnc' port='-1' listen='127.0.0.1'/>\
         <video><model type='vga'/></video></devices></domain>"
    );
    let domain = connection.create_domain_xml(&xml, 0).ok()?;
    let result = async {
        let raw = domain.open_graphics_fd(0, 0).ok()?;
        // SAFETY: libvirt hands over a freshly opened descriptor that nothing else owns.
        let fd = unsafe { OwnedFd::from_raw_fd(raw as i32) };
        let (handle, mut events) = Session::start(
            &tokio::runtime::Handle::current(),
            ConsoleTarget::Fd(fd),
            SessionOptions::default(),
        );
        let take_frames = async {
            while let Some(event) = events.recv().await {
                if let SessionEvent::Damaged = event {
                    handle.framebuffer().take_damage();
                }
            }
        };
        let measured = async {
            tokio::time::sleep(Duration::from_secs(5)).await;
            let (cpu0, stats0) = (cpu_seconds(), handle.stats());
            tokio::time::sleep(window).await;
            let stats = handle.stats();
            eprintln!(
                "memtest console: {} batches, {} rectangles, {} update requests",
                stats.batches - stats0.batches,
                stats.rectangles - stats0.rectangles,
                stats.update_requests - stats0.update_requests
            );
            (
                100.0 * (cpu_seconds() - cpu0) / window.as_secs_f64(),
                stats.bytes_received - stats0.bytes_received,
            )
        };
        let figures = tokio::select! {
            figures = measured => Some(figures),
            _ = take_frames => None,
        };
        handle.close();
        figures
    }
    .await;
    let _ = domain.destroy();
    result
}

fn main() {
    let noise = std::env::var("HANGAR_BENCH_NOISE").unwrap_or_else(|_| "1024x768@30".into());
    let seconds: u64 = std::env::var("HANGAR_BENCH_SECONDS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(10);
    let (size, fps) = noise.split_once('@').unwrap_or(("1024x768", "30"));
    let (width, height) = size.split_once('x').unwrap_or(("1024", "768"));
    let region_pixels =
        width.parse::<f64>().unwrap_or(1024.0) * height.parse::<f64>().unwrap_or(768.0);
    let max_buffered = std::env::var("HANGAR_BENCH_BUFFER_MIB")
        .ok()
        .and_then(|value| value.parse::<usize>().ok())
        .map(|mib| mib * 1024 * 1024);
    if !servers::have_program("Xvnc") || !servers::have_program("python3") {
        eprintln!("vnc_decode: needs Xvnc and python3");
        return;
    }
    // The app's runtime shape matters for a mostly idle console (thread hand-offs per update).
    let runtime = match std::env::var("HANGAR_BENCH_WORKERS")
        .ok()
        .and_then(|n| n.parse().ok())
    {
        Some(0) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        workers => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.unwrap_or(2))
            .enable_all()
            .build(),
    }
    .expect("runtime");
    let memtest = std::env::var("HANGAR_BENCH_MEMTEST").unwrap_or_default();
    if memtest == "1" || memtest == "only" {
        match runtime.block_on(measure_memtest(Duration::from_secs(seconds.max(20)))) {
            Some((cpu, bytes)) => println!(
                "memtest console: {cpu:.2} % of a core, {bytes} bytes received in {} s",
                seconds.max(20)
            ),
            None => println!("memtest console: qemu:///system or the guest is not available"),
        }
    }
    if memtest == "only" {
        return;
    }
    let xvnc = Xvnc::start(57, 1920, 1080, &[]);
    let script = std::env::temp_dir().join(format!("hangar-vnc-noise-{}.py", std::process::id()));
    std::fs::write(&script, NOISE_CLIENT).expect("write noise client");
    let _noise: ChildGuard =
        xvnc.spawn("python3", &[&script.to_string_lossy(), width, height, fps]);
    println!(
        "VNC session decode: Xvnc 1920x1080, noise {noise} (region), {seconds} s per encoding"
    );
    println!(
        "{:<8} {:>8} {:>9} {:>10} {:>12} {:>13} {:>14} {:>8}",
        "encoding",
        "frames/s",
        "Mpixel/s",
        "CPU %core",
        "CPU ms/frame",
        "CPU ms/region",
        "CPU ms/Mpixel",
        "MB/s in"
    );
    for encoding in [Encoding::Raw, Encoding::Tight, Encoding::Zrle] {
        let figures = runtime.block_on(measure(
            xvnc.port,
            encoding,
            max_buffered,
            Duration::from_secs(3),
            Duration::from_secs(seconds),
        ));
        let megapixels = figures.pixels as f64 / 1e6;
        let regions = figures.pixels as f64 / region_pixels;
        println!(
            "{:<8} {:>8.1} {:>9.1} {:>10.1} {:>12.2} {:>13.2} {:>14.2} {:>8.1}",
            format!("{encoding:?}"),
            figures.frames as f64 / figures.wall,
            megapixels / figures.wall,
            100.0 * figures.cpu / figures.wall,
            1000.0 * figures.cpu / figures.frames.max(1) as f64,
            1000.0 * figures.cpu / regions.max(1e-9),
            1000.0 * figures.cpu / megapixels.max(1e-9),
            figures.bytes as f64 / 1e6 / figures.wall,
        );
    }
    let _ = std::fs::remove_file(&script);
}
