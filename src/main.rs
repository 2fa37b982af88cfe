//! Hangar's entry point: command line, translations, resources, then the relm4 application.

mod ui;

use std::process::ExitCode;

use hangar::{cli, config, i18n, renderer};

fn main() -> ExitCode {
    // SAFETY: first statement of `main`; no other thread has been started.
    unsafe { i18n::init() };
    // SAFETY: still before any other thread.
    unsafe { renderer::apply() };
    limit_malloc_arenas();
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

/// glibc gives each thread that allocates its own malloc arena (up to 8 per core). The driver's
/// worker threads allocate and free libvirt's replies all the time, and every arena keeps its own
/// freed pages: with 2000 machines that was ~45 MB of resident memory holding nothing. One arena
/// for every thread: the threads mostly wait on libvirt or the frame clock, so contention is low.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called from `main` before any other thread exists; mallopt only tunes the allocator.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
}
