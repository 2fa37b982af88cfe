//! Writes a libvirt test-driver node XML with a generated fleet:
//! `cargo run --example make_fleet -- --vms 2000 --out /tmp/f.xml [--seed N] [--prefix P] [--no-volumes]`

use std::path::PathBuf;
use std::process::ExitCode;

use hangar::fleetgen::{FleetSpec, write_node_xml};

fn main() -> ExitCode {
    let mut spec = FleetSpec::default();
    let mut out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let parsed: Result<(), String> = match arg.as_str() {
            "--vms" => value("--vms").and_then(|v| {
                v.parse()
                    .map(|n| spec.vms = n)
                    .map_err(|e| format!("--vms: {e}"))
            }),
            "--seed" => value("--seed").and_then(|v| {
                v.parse()
                    .map(|n| spec.seed = n)
                    .map_err(|e| format!("--seed: {e}"))
            }),
            "--prefix" => value("--prefix").map(|v| spec.name_prefix = v),
            "--out" => value("--out").map(|v| out = Some(PathBuf::from(v))),
            "--no-volumes" => {
                spec.volumes = false;
                Ok(())
            }
            "-h" | "--help" => {
                println!(
                    "usage: make_fleet --vms N --out FILE [--seed N] [--prefix NAME] [--no-volumes]"
                );
                return ExitCode::SUCCESS;
            }
            other => Err(format!("unknown argument {other:?} (try --help)")),
        };
        if let Err(message) = parsed {
            eprintln!("make_fleet: {message}");
            return ExitCode::FAILURE;
        }
    }
    let Some(out) = out else {
        eprintln!("make_fleet: --out FILE is required");
        return ExitCode::FAILURE;
    };
    match write_node_xml(&spec, &out) {
        Ok(()) => {
            println!(
                "wrote {} domains to {} (open with test://{})",
                spec.vms,
                out.display(),
                std::path::absolute(&out).unwrap_or(out.clone()).display()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("make_fleet: cannot write {}: {error}", out.display());
            ExitCode::FAILURE
        }
    }
}
