//! Hangar's entry point: command line, translations, resources, then the relm4 application.

mod ui;

use std::process::ExitCode;

use hangar::{cli, config, heap, i18n, renderer};

fn main() -> ExitCode {
    // SAFETY: first statement of `main`; no other thread has been started.
    unsafe { i18n::init() };
    // SAFETY: still before any other thread.
    unsafe { renderer::apply() };
    // SAFETY: still before any other thread.
    unsafe { heap::tune() };
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
