#!/usr/bin/env python3
"""Charts in the app: Hangar's CPU use with a machine's Performance tab open (four charts
redrawn after every 1 s statistics tick) beside the fleet tree with its sparklines (CPU, host
CPU, disk and network cells of every visible running machine), on a generated test-driver
fleet. Budget: at most 1 % of a core.

For comparison the same window is measured on two other pages: the fleet overview (nothing
selected: four fleet charts and the busiest-machines list) and the machine's Overview tab (no
charts on the page; only the sparklines draw).

CPU is the process's utime + stime from /proc over a fixed window after a warm-up, in % of
one core, in its own Xvfb + D-Bus session (benchlib.Session) with throwaway settings, 1 s
polling and a 1500×960 window.

Usage: benches/scripts/perf_tab.py [--vms 60] [--warmup 15] [--window 60] [--renderer cairo]
                                   [--pages performance,overview,vm-overview] [--display 70]
                                   [--shots DIR]
Needs: Xvfb, dbus-daemon, imagemagick (with --shots), a release build of Hangar
(`cargo build --release`) and the fleet generator (`cargo run --release --example make_fleet`).
"""

import argparse
import pathlib
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

from benchlib import ROOT, Session, cpu_percent, make_fleet, rss_mib, stop, wait_for_listed

TEST_NS = "{http://libvirt.org/schemas/domain/test/1.0}"

# The page each run shows, as Hangar's command line asks for it.
PAGES = {
    "performance": lambda name: ["--show-domain-performance", name],
    "overview": lambda name: [],
    "vm-overview": lambda name: ["--show-domain-editor", name],
}


def first_running_domain(fleet: pathlib.Path) -> str:
    """The name of the fleet's first running domain (test:runstate 1)."""
    for domain in ET.parse(fleet).getroot().iter("domain"):
        runstate = domain.find(f"{TEST_NS}runstate")
        if runstate is not None and runstate.text.strip() == "1":
            return domain.findtext("name")
    raise RuntimeError(f"{fleet} has no running domain")


def run(page: str, fleet: pathlib.Path, domain: str, args) -> dict:
    session = Session(args.renderer, first_display=args.display, size="1600x1000")
    session.env["HANGAR_BENCH_EVENTS"] = f"{session.dir}/events"
    session.hangar_settings({"window-width": 1500, "window-height": 960, "polling-interval": 1})
    try:
        binary = ROOT / "target/release/hangar"
        cmd = [str(binary), "--connect", f"test://{fleet}", *PAGES[page](domain)]
        proc = subprocess.Popen(cmd, env=session.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            listed = wait_for_listed(pathlib.Path(session.env["HANGAR_BENCH_EVENTS"]), proc)
            time.sleep(args.warmup)
            cpu = cpu_percent(proc.pid, args.window)
            rss = rss_mib(proc.pid)
            if args.shots:
                pathlib.Path(args.shots).mkdir(parents=True, exist_ok=True)
                session.screenshot(str(pathlib.Path(args.shots) / f"perf_tab-{page}.png"))
        finally:
            stop(proc)
        return {"listed_s": listed, "cpu_percent": cpu, "rss_mib": rss}
    finally:
        session.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vms", type=int, default=60)
    parser.add_argument("--warmup", type=float, default=15)
    parser.add_argument("--window", type=float, default=60)
    parser.add_argument("--renderer", default="cairo", help="GSK_RENDERER (GTK 4)")
    parser.add_argument("--pages", default="performance,overview,vm-overview")
    parser.add_argument("--display", type=int, default=70, help="first X display number to try")
    parser.add_argument("--shots", help="save a screenshot of each run into this directory")
    args = parser.parse_args()
    binary = ROOT / "target/release/hangar"
    if not binary.exists():
        print(f"{binary} is missing: run `cargo build --release` first", file=sys.stderr)
        return 2
    fleet = make_fleet(args.vms)
    domain = first_running_domain(fleet)
    results = [(page, run(page, fleet, domain, args)) for page in args.pages.split(",")]
    print(f"{args.vms} VMs on test://, 1 s polling, window 1500×960, GSK_RENDERER={args.renderer}, "
          f"warm-up {args.warmup:.0f} s, CPU over {args.window:.0f} s; machine {domain}")
    print("| page | CPU (% of a core) | RSS |")
    print("|---|---|---|")
    for page, r in results:
        print(f"| {page} | {r['cpu_percent']:.2f} | {r['rss_mib']:.0f} MiB |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
