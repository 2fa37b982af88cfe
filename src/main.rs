//! Hangar's entry point: command line, translations, resources, then the relm4 application.

mod ui;

use std::process::ExitCode;

use hangar::{cli, config, i18n, renderer};

fn main() -> ExitCode {
    // SAFETY: first statement of `main`; no other thread has been started.
    unsafe { i18n::init() };
    // SAFETY: still before any other thread.
    unsafe { renderer::apply() };
    tune_malloc();
    let args: Vec<String> = std::env::args().collect();
    // `--help`, `--version` and bad options are answered here, before any GTK or D-Bus work;
    // everything else goes to the (possibly already running) primary instance.
    match cli::parse(args.iter().skip(1)) {
        Err(error) => {
            eprintln!("hangar: {error}\n\n{}", cli::usage());
            return ExitCode::from(2);
        }
        Ok(options) if options.help => {
            print!("{}", cli::usage());
            return ExitCode::SUCCESS;
        }
        Ok(options) if options.version => {
            println!("Hangar {}", config::VERSION);
            return ExitCode::SUCCESS;
        }
        Ok(_) => {}
    }
    ui::run(args)
}

/// Tunes glibc's allocator for a long-running GUI with worker threads.
///
/// One arena for every thread: glibc gives each thread that allocates its own arena (up to 8 per
/// core). The driver's worker threads allocate and free libvirt's replies all the time, and
/// every arena keeps its own freed pages: with 2000 machines that was ~45 MB of resident memory
/// holding nothing. The threads mostly wait on libvirt or the frame clock, so contention is low.
///
/// A fixed mmap threshold: by default glibc raises the threshold to the size of any large block
/// freed, so from the second frame on the renderer's paint surface (as large as the redrawn part
/// of the window, ~5.5 MB for a 1500×960 window) comes from the heap and its pages stay resident
/// between frames. With the threshold fixed at glibc's default, blocks of 128 KiB and more get
/// their own mappings and go back to the system when freed: 5.5 MiB less resident at 2000
/// machines, for ≈0.2 % of a core more (docs/benchmarks.md).
fn tune_malloc() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called from `main` before any other thread exists; mallopt only tunes the allocator.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, 128 * 1024);
    }
}
