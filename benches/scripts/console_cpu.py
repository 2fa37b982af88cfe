#!/usr/bin/env python3
"""Console CPU benchmark: Hangar's console window and gvncviewer on the same VNC sources.

Sources:
- full motion: TigerVNC `Xvnc` (1024×768) with an X client looping a 30-frame animation of
  noise over the whole screen at up to 30 frames per second (the frames are made once, so the
  source itself stays cheap);
- mostly static: the memtest86+ guest of DESIGN.md §4 on qemu:///system, reached on its VNC port
  (started and removed by this script; name `hangar-console-bench-PID`).

Each viewer runs alone in its own Xvfb + D-Bus session (with openbox, so windows get their
size) and is measured as utime + stime of its process (all threads) over a fixed window after
a warm-up. Hangar's console opens through its benchmark hook `HANGAR_BENCH_CONSOLE=HOST:PORT`
(a detached console window; the main window opens too, with no connection, and is put
behind it) and prints, each second, how many frames changed its picture so far.
Both viewers choose their own encodings: both get Tight, gvncviewer with JPEG (it announces a
quality level) and Hangar lossless (vnc-rs cannot announce one); the table names what Xvnc
used. The script reads the updates and pixels Xvnc sent to each viewer from its per-client
statistics at disconnect, so "per update" and "per megapixel" use the same server-side counts
for both viewers.

Usage: benches/scripts/console_cpu.py [--warmup 5] [--window 20] [--cases motion,memtest]
                                      [--scaling fit,one-to-one]
Needs: Xvfb, Xvnc, openbox, xdotool, dbus-daemon, gvncviewer, virsh + memtest86+ (memtest case), and a
release build (`cargo build --release`).
"""

import argparse
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
HANGAR = ROOT / "target" / "release" / "hangar"
CLK_TCK = os.sysconf("SC_CLK_TCK")
XVNC_DISPLAY = 72
VIEWER_DISPLAY = 71
MEMTEST = "/boot/memtest86+x64.bin"

# Loops pre-made noise frames over the root window with XPutImage (libX11 through ctypes).
ANIMATION = r'''
import ctypes, os, sys, time
w, h, fps, count = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
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
root, gc, visual = x.XRootWindow(d, s), x.XDefaultGC(d, s), x.XDefaultVisual(d, s)
frames = []
for _ in range(count):
    buf = ctypes.create_string_buffer(os.urandom(w * h * 4), w * h * 4)
    frames.append((buf, x.XCreateImage(d, visual, 24, 2, 0, buf, w, h, 32, 0)))
period, n = 1.0 / fps, 0
next_frame = time.monotonic()
while True:
    x.XPutImage(d, root, gc, frames[n % count][1], 0, 0, 0, 0, w, h)
    x.XSync(d, 0)
    n += 1
    next_frame += period
    delay = next_frame - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    else:
        next_frame = time.monotonic()
'''


def cpu_ticks(pid):
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime, all threads


def rss_mib(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait_for_socket(number, timeout=15):
    deadline = time.monotonic() + timeout
    while not os.path.exists(f"/tmp/.X11-unix/X{number}"):
        if time.monotonic() > deadline:
            sys.exit(f"X display :{number} did not start")
        time.sleep(0.05)


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class ViewerSession:
    """Xvfb + openbox + a session bus with throwaway settings for one viewer."""

    def __init__(self, scaling):
        if os.path.exists(f"/tmp/.X11-unix/X{VIEWER_DISPLAY}"):
            sys.exit(f"display :{VIEWER_DISPLAY} is in use: stop its X server first")
        self.dir = tempfile.mkdtemp(prefix="hangar-console-bench-")
        self.xvfb = subprocess.Popen(
            ["Xvfb", f":{VIEWER_DISPLAY}", "-screen", "0", "1600x1200x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_socket(VIEWER_DISPLAY)
        out = subprocess.run(["dbus-daemon", "--session", "--fork", "--print-address=1",
                              "--print-pid=1"], capture_output=True, text=True, check=True)
        lines = out.stdout.split()
        self.bus, self.bus_pid = lines[0], int(lines[1])
        settings = pathlib.Path(self.dir, "config", "glib-2.0", "settings")
        settings.mkdir(parents=True)
        (settings / "keyfile").write_text(
            f"[io/github/hangar_vm/Hangar]\nconsole-scaling='{scaling}'\n")
        self.env = dict(os.environ, DISPLAY=f":{VIEWER_DISPLAY}",
                        DBUS_SESSION_BUS_ADDRESS=self.bus, GSETTINGS_BACKEND="keyfile",
                        XDG_CONFIG_HOME=f"{self.dir}/config", XDG_DATA_HOME=f"{self.dir}/data",
                        XDG_CACHE_HOME=f"{self.dir}/cache", GSK_RENDERER="cairo",
                        NO_AT_BRIDGE="1", LANGUAGE="C")
        self.wm = subprocess.Popen(["openbox"], env=self.env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(1)

    def close(self):
        stop(self.wm)
        os.kill(self.bus_pid, signal.SIGTERM)
        stop(self.xvfb)
        shutil.rmtree(self.dir, ignore_errors=True)


def measure(command, env, warmup, window, hangar):
    """Runs a viewer; returns (CPU % of a core, RSS MiB, frames drawn per second or None)."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE if hangar else
                               subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    frames = []
    if hangar:
        def read_reports():
            for line in process.stdout:
                if line.startswith("console-frames "):
                    frames.append(int(line.split()[1]))
        threading.Thread(target=read_reports, daemon=True).start()

    if hangar:
        # The main window opens too: put the console's window on top, as a user would.
        deadline = time.monotonic() + warmup
        while time.monotonic() < deadline:
            found = subprocess.run(["xdotool", "search", "--name", " — Console$"], env=env,
                                   capture_output=True, text=True).stdout.split()
            if found:
                subprocess.run(["xdotool", "windowactivate", found[0]], env=env,
                               stderr=subprocess.DEVNULL)
                break
            time.sleep(0.2)
    time.sleep(warmup)
    if process.poll() is not None:
        sys.exit(f"{command[0]} exited early")
    start_frames = frames[-1] if frames else 0
    start, t0 = cpu_ticks(process.pid), time.monotonic()
    time.sleep(window)
    ticks, elapsed = cpu_ticks(process.pid) - start, time.monotonic() - t0
    rss = rss_mib(process.pid)
    time.sleep(1.1)  # one more report line
    stop(process)
    cpu = 100.0 * ticks / CLK_TCK / elapsed
    drawn = (frames[-1] - start_frames) / elapsed if hangar and frames else None
    return cpu, rss, drawn


SI = {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "Ki": 1024, "Mi": 1024 ** 2, "Gi": 1024 ** 3}


def xvnc_stats(log_text):
    """The last client's statistics from Xvnc's log (TigerVNC writes counts with SI prefixes,
    "1.2 k", "793.632 kpixels"): (updates, pixels, encodings used)."""
    updates = re.findall(r"Framebuffer updates:\s*([\d.]+)\s*([kMG]?i?)\s*$", log_text, re.M)
    totals = re.findall(r"Total:\s*[\d.]+\s*[kMG]?i?rects,\s*([\d.]+)\s*([kMG]?i?)pixels",
                        log_text)
    encodings = sorted(set(re.findall(r"EncodeManager:\s+(\w+(?: \(JPEG\))?):$", log_text,
                                      re.M)))
    if not updates or not totals:
        return None, None, encodings
    count = float(updates[-1][0]) * SI.get(updates[-1][1], 1)
    pixels = float(totals[-1][0]) * SI.get(totals[-1][1], 1)
    return count, pixels, encodings


def run_viewers(args, port, label, xvnc_log=None):
    rows = []
    viewers = [("gvncviewer", None)] + [("hangar", mode) for mode in args.scaling]
    for name, scaling in viewers:
        session = ViewerSession(scaling or "fit")
        try:
            offset = xvnc_log.stat().st_size if xvnc_log else 0
            if name == "hangar":
                env = dict(session.env, HANGAR_BENCH_CONSOLE=f"127.0.0.1:{port}")
                cpu, rss, drawn = measure([str(HANGAR)], env, args.warmup, args.window, True)
                title = f"Hangar ({scaling})"
            else:
                command = ["gvncviewer", f"127.0.0.1:{port - 5900}"]
                cpu, rss, drawn = measure(command, session.env, args.warmup, args.window, False)
                title = "gvncviewer"
            updates = pixels = None
            if xvnc_log:
                time.sleep(0.5)
                with open(xvnc_log) as log:
                    log.seek(offset)
                    updates, pixels, encodings = xvnc_stats(log.read())
                if encodings:
                    title += f" [{'/'.join(encodings)}]"
            rows.append((title, cpu, rss, drawn, updates, pixels))
        finally:
            session.close()
    print(f"\n{label}: {args.window} s window after {args.warmup} s warm-up")
    print("| viewer | CPU % of a core | RSS MiB | updates/s (server) | Mpixel/s (server) "
          "| CPU ms/update | CPU ms/Mpixel | frames/s drawn |")
    print("|---|---|---|---|---|---|---|---|")
    # Xvnc's counts cover the whole connection; the warm-up, window and shutdown add up to
    # roughly warmup + window + 1 s.
    span = args.warmup + args.window + 1.5
    for title, cpu, rss, drawn, updates, pixels in rows:
        cells = [title, f"{cpu:.2f}", f"{rss:.0f}"]
        if updates:
            ups, mps = updates / span, pixels / 1e6 / span
            cells += [f"{ups:.1f}", f"{mps:.1f}", f"{cpu * 10 / ups:.2f}",
                      f"{cpu * 10 / mps:.2f}"]
        else:
            cells += ["–"] * 4
        cells.append(f"{drawn:.1f}" if drawn is not None else "–")
        print("| " + " | ".join(cells) + " |")


def motion(args):
    log = pathlib.Path(tempfile.gettempdir(), f"hangar-console-bench-xvnc-{os.getpid()}.log")
    port = 5900 + XVNC_DISPLAY
    with open(log, "w") as log_file:
        xvnc = subprocess.Popen(["Xvnc", f":{XVNC_DISPLAY}", "-geometry", "1024x768", "-depth",
                                 "24", "-SecurityTypes", "None", "-AlwaysShared", "-nolisten",
                                 "tcp", "-Log", "*:stderr:30"],
                                stdout=log_file, stderr=log_file)
    script = pathlib.Path(tempfile.gettempdir(), f"hangar-console-anim-{os.getpid()}.py")
    script.write_text(ANIMATION)
    animation = None
    try:
        wait_for_socket(XVNC_DISPLAY)
        animation = subprocess.Popen([sys.executable, str(script), "1024", "768", "30", "30"],
                                     env=dict(os.environ, DISPLAY=f":{XVNC_DISPLAY}"))
        time.sleep(3)
        run_viewers(args, port, "Full motion (Xvnc 1024×768, looping noise animation, 30 fps)",
                    log)
    finally:
        if animation:
            stop(animation)
        stop(xvnc)
        script.unlink(missing_ok=True)
        log.unlink(missing_ok=True)


def memtest(args):
    name = f"hangar-console-bench-{os.getpid()}"
    xml = (f"<domain type='qemu'><name>{name}</name><memory unit='MiB'>64</memory>"
           f"<vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type>"
           f"<kernel>{MEMTEST}</kernel><cmdline>nopause</cmdline></os><devices>"
           f"<graphics type='vnc' port='-1' listen='127.0.0.1'/><video><model type='vga'/>"
           f"</video></devices></domain>")
    path = pathlib.Path(tempfile.gettempdir(), f"{name}.xml")
    path.write_text(xml)
    virsh = ["virsh", "-q", "-c", "qemu:///system"]
    subprocess.run(virsh + ["create", str(path)], check=True, stdout=subprocess.DEVNULL)
    try:
        display = subprocess.run(virsh + ["vncdisplay", name], capture_output=True, text=True,
                                 check=True).stdout.strip()
        port = 5900 + int(display.rsplit(":", 1)[1])
        time.sleep(3)
        run_viewers(args, port, "Mostly static (memtest86+ guest, QEMU's VNC server)")
    finally:
        subprocess.run(virsh + ["destroy", name], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        path.unlink(missing_ok=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--window", type=float, default=20)
    parser.add_argument("--cases", default="motion,memtest")
    parser.add_argument("--scaling", default="fit,one-to-one")
    args = parser.parse_args()
    args.scaling = [mode for mode in args.scaling.split(",") if mode]
    if not HANGAR.exists():
        sys.exit("build Hangar first: cargo build --release")
    for tool in ["Xvfb", "Xvnc", "openbox", "gvncviewer", "dbus-daemon", "xdotool"]:
        if not shutil.which(tool):
            sys.exit(f"{tool} is not installed")
    cases = args.cases.split(",")
    if "motion" in cases:
        motion(args)
    if "memtest" in cases:
        memtest(args)


if __name__ == "__main__":
    main()
