#!/usr/bin/env python3
"""Hangar's fleet window over a long run: RSS and CPU read at a fixed pace while the statistics
history fills (its fine tier within 5 minutes, its coarse tier over the retention hour), so that
the figure at 40 s can be compared with what the window holds later.

Usage: benches/scripts/fleet_rss_over_time.py [--vms 2000] [--minutes 61] [--every 40]
                                              [--binary target/release/hangar]
Needs what fleet_window.py needs for Hangar (Xvfb, dbus-daemon, a release build). Prints one line
per reading: seconds since every VM was listed, RSS, and CPU over the last 10 s.
"""

import argparse
import pathlib
import subprocess
import time

from benchlib import ROOT, CLK_TCK, Session, cpu_ticks, make_fleet, rss_mib, stop, wait_for_listed


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vms", type=int, default=2000)
    parser.add_argument("--minutes", type=float, default=61)
    parser.add_argument("--every", type=float, default=40, help="seconds between readings")
    parser.add_argument("--binary", default=str(ROOT / "target/release/hangar"))
    args = parser.parse_args()
    fleet = make_fleet(args.vms)
    session = Session("cairo")
    session.env["HANGAR_BENCH_EVENTS"] = f"{session.dir}/events"
    proc = subprocess.Popen([args.binary, "--connect", f"test://{fleet}"], env=session.env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_listed(pathlib.Path(session.env["HANGAR_BENCH_EVENTS"]), proc)
        listed = time.monotonic()
        print(f"{args.vms} VMs, polling 1 s, one reading every {args.every:.0f} s", flush=True)
        while time.monotonic() - listed < args.minutes * 60:
            time.sleep(max(args.every - 10, 0))
            before, started = cpu_ticks(proc.pid), time.monotonic()
            time.sleep(10)
            cpu = 100 * (cpu_ticks(proc.pid) - before) / CLK_TCK / (time.monotonic() - started)
            print(f"{time.monotonic() - listed:6.0f} s  RSS {rss_mib(proc.pid):6.1f} MiB  "
                  f"CPU {cpu:4.2f} %", flush=True)
    finally:
        stop(proc)
        session.close()


if __name__ == "__main__":
    main()
