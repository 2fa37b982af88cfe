#!/usr/bin/env python3
"""Side-by-side window benchmark: Hangar and virt-manager on the same libvirt test-driver fleet
with the same 1 s polling interval.

For each app and fleet size it reports: time from launch to a visible window, for Hangar the time
until every VM is in the tree (Hangar writes it to $HANGAR_BENCH_EVENTS), CPU use as utime+stime over a fixed window after a
warm-up (in % of one core), and RSS, plus RSS growth per VM over the same app with a one-VM host.

Each app runs in its own Xvfb (or headless Weston) + D-Bus session with throwaway settings
(GSettings keyfile backend).

Usage: benches/scripts/fleet_window.py [--vms 500,2000] [--apps hangar,virt-manager]
                                       [--warmup 10] [--window 60] [--renderer cairo]
                                       [--driver in-process|daemon] [--display x11|wayland]
Needs: Xvfb (or weston for --display wayland), dbus-daemon, xdotool, virt-manager, python3-libvirt, a release build of Hangar
(`cargo build --release`), the fleet generator (`cargo run --release --example make_fleet`), and
for `--driver daemon` a running libvirtd.
"""

import argparse
import pathlib
import subprocess
import sys
import time

from benchlib import ROOT, CLK_TCK, Session, cpu_ticks, make_fleet, rss_mib, stop, visible_window


def run_app(app: str, uri: str, args):
    session = Session(args.renderer, wayland=args.display == "wayland")
    session.env["HANGAR_BENCH_EVENTS"] = f"{session.dir}/events"
    # After the CPU window, Hangar scrolls the fleet for 10 s and reports its frame intervals.
    session.env["HANGAR_BENCH_SCROLL"] = f"{args.warmup + args.window + 1}:10"
    try:
        if app == "virt-manager":
            for key in ("enable-cpu-poll", "enable-disk-poll", "enable-net-poll", "enable-memory-poll"):
                session.gsettings("org.virt-manager.virt-manager.stats", key, "true")
            session.gsettings("org.virt-manager.virt-manager.stats", "update-interval", "1")
            session.gsettings("org.virt-manager.virt-manager", "xmleditor-enabled", "true")
            cmd = ["virt-manager", "--no-fork", "--connect", uri]
        else:
            cmd = [str(ROOT / "target/release/hangar"), "--connect", uri]
        start = time.monotonic()
        proc = subprocess.Popen(cmd, env=session.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        visible_at = listed_at = None
        deadline = start + 120
        # Under Wayland no client can see another's window: the time to a visible window is
        # measured under Xvfb only.
        while not session.wayland and visible_at is None and time.monotonic() < deadline and proc.poll() is None:
            if visible_window(session.env, proc.pid):
                visible_at = time.monotonic() - start
            else:
                time.sleep(0.01)
        # Hangar reports when every connection's machines are in the tree (HANGAR_BENCH_EVENTS);
        # virt-manager has no such hook, so only its window time is known.
        events = pathlib.Path(session.env.get("HANGAR_BENCH_EVENTS", "/nonexistent"))
        while app == "hangar" and listed_at is None and time.monotonic() < deadline and proc.poll() is None:
            if events.exists() and "listed" in events.read_text():
                listed_at = time.monotonic() - start
            else:
                time.sleep(0.01)
        time.sleep(args.warmup)
        daemon = libvirtd_pid() if args.driver == "daemon" else None
        t0, c0 = time.monotonic(), cpu_ticks(proc.pid)
        d0 = cpu_ticks(daemon) if daemon else 0
        time.sleep(args.window)
        t1, c1 = time.monotonic(), cpu_ticks(proc.pid)
        d1 = cpu_ticks(daemon) if daemon else 0
        result = {
            "visible_s": visible_at,
            "listed_s": listed_at,
            "cpu_percent": 100.0 * (c1 - c0) / CLK_TCK / (t1 - t0),
            "daemon_cpu_percent": 100.0 * (d1 - d0) / CLK_TCK / (t1 - t0) if daemon else None,
            "rss_mib": rss_mib(proc.pid),
            "scroll": None,
        }
        while app == "hangar" and time.monotonic() < t1 + 40 and proc.poll() is None:
            lines = [line for line in events.read_text().splitlines() if line.startswith("scroll ")]
            if lines:
                result["scroll"] = dict(field.split("=") for field in lines[0].split()[1:])
                break
            time.sleep(0.2)
        stop(proc)
        return result
    finally:
        session.close()


def libvirtd_pid():
    """The running libvirtd's process id, or None."""
    out = subprocess.run(["pgrep", "-o", "-x", "libvirtd"], capture_output=True, text=True)
    return int(out.stdout) if out.returncode == 0 else None


def fleet_uri(fleet: pathlib.Path, driver: str) -> str:
    return f"test+unix://{fleet}" if driver == "daemon" else f"test://{fleet}"


def fmt(value, spec):
    return "—" if value is None else format(value, spec)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vms", default="500,2000")
    parser.add_argument("--apps", default="hangar,virt-manager")
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--window", type=float, default=60)
    parser.add_argument("--renderer", default="cairo", help="GSK_RENDERER for Hangar (GTK 4)")
    parser.add_argument("--display", choices=("x11", "wayland"), default="x11",
                        help="Xvfb, or a headless Weston (no window-visible time there)")
    parser.add_argument("--driver", choices=("in-process", "daemon"), default="in-process",
                        help="where the test driver runs: in the app (test:///) or in libvirtd (test+unix:///)")
    args = parser.parse_args()
    if args.driver == "daemon" and libvirtd_pid() is None:
        print("--driver daemon needs a running libvirtd (mkdir -p /run/libvirt && libvirtd -d)", file=sys.stderr)
        return 2
    apps = args.apps.split(",")
    floor_fleet = make_fleet(1)
    rows = []
    for app in apps:
        floor = run_app(app, fleet_uri(floor_fleet, args.driver), args)
        rows.append((app, 1, floor, None))
        for vms in [int(v) for v in args.vms.split(",")]:
            fleet = make_fleet(vms)
            result = run_app(app, fleet_uri(fleet, args.driver), args)
            per_vm_kib = (result["rss_mib"] - floor["rss_mib"]) * 1024 / (vms - 1)
            rows.append((app, vms, result, per_vm_kib))
    print(f"warm-up {args.warmup:.0f} s, CPU over {args.window:.0f} s, polling 1 s, GSK_RENDERER={args.renderer}, "
          f"{'headless Weston' if args.display == 'wayland' else 'Xvfb'}, "
          f"test driver {'in libvirtd (test+unix:///)' if args.driver == 'daemon' else 'in the app (test:///)'}")
    daemon_column = " libvirtd CPU |" if args.driver == "daemon" else ""
    print(f"| app | VMs | window visible | all VMs listed | CPU (% of a core) |{daemon_column} RSS | growth per VM |")
    print("|---|---|---|---|---|---|---|" + ("---|" if daemon_column else ""))
    for app, vms, r, per_vm in rows:
        daemon_cell = f" {r['daemon_cpu_percent']:.1f} |" if daemon_column else ""
        print(f"| {app} | {vms} | {fmt(r['visible_s'], '.2f')} s | {fmt(r['listed_s'], '.2f')} s | "
              f"{r['cpu_percent']:.1f} |{daemon_cell} {r['rss_mib']:.0f} MiB | {fmt(per_vm, '.1f')} KiB |")
    if args.driver == "in-process":
        driver_share = {vms: test_driver_rss_kib(vms) for vms in [1] + [int(v) for v in args.vms.split(",")]}
        print("\nThe libvirt test driver runs inside each app's process and keeps its own copy of the fleet;")
        print("a bare libvirt client (python3-libvirt) opening the same file and listing it grows by:")
        for vms, kib in driver_share.items():
            if vms > 1 and kib is not None and driver_share[1] is not None:
                print(f"- {vms} VMs: {(kib - driver_share[1]) / (vms - 1):.1f} KiB per VM")
    print("\nScrolling the fleet continuously for 10 s (2000 px/s, after the CPU window):")
    print("| VMs | frames | median interval | p95 | max | intervals over 1.5 frames |")
    print("|---|---|---|---|---|---|")
    for app, vms, r, _ in rows:
        if r.get("scroll"):
            sc = r["scroll"]
            print(f"| {vms} | {sc['frames']} | {sc['median_ms']} ms | {sc['p95_ms']} ms | {sc['max_ms']} ms | {sc['missed']} |")
    return 0


def test_driver_rss_kib(vms: int):
    """RSS growth of a bare libvirt client that opens the fleet file and lists it."""
    code = (
        "import libvirt\n"
        "rss = lambda: [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS')][0]\n"
        f"before = rss(); conn = libvirt.open('test://{make_fleet(vms)}'); conn.listAllDomains(); print(rss() - before)\n"
    )
    out = subprocess.run(["/usr/bin/python3", "-c", code], capture_output=True, text=True)
    return int(out.stdout) if out.returncode == 0 else None


if __name__ == "__main__":
    sys.exit(main())
