"""Shared helpers of the window benchmarks: a private Xvfb (or headless Weston) + D-Bus session
with throwaway settings, the fleet generator, and CPU / RSS readings from /proc.

Used by fleet_window.py (Hangar and virt-manager side by side) and perf_tab.py (charts)."""

import os
import pathlib
import select
import shutil
import signal
import subprocess
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLK_TCK = os.sysconf("SC_CLK_TCK")
HANGAR_SCHEMA_PATH = "io/github/hangar_vm/Hangar"


def cpu_ticks(pid: int) -> int:
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_mib(pid: int) -> float:
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_percent(pid: int, seconds: float) -> float:
    """The process's utime + stime over the next `seconds`, in % of one core."""
    t0, c0 = time.monotonic(), cpu_ticks(pid)
    time.sleep(seconds)
    t1, c1 = time.monotonic(), cpu_ticks(pid)
    return 100.0 * (c1 - c0) / CLK_TCK / (t1 - t0)


def make_fleet(vms: int) -> pathlib.Path:
    """A test-driver node XML with `vms` generated domains (made once, then reused)."""
    out = pathlib.Path(tempfile.gettempdir()) / f"hangar-bench-fleet-{vms}.xml"
    if not out.exists():
        subprocess.run(["cargo", "run", "--quiet", "--release", "--example", "make_fleet", "--",
                        "--vms", str(vms), "--out", str(out)], cwd=ROOT, check=True)
    return out


class Session:
    """A private display (Xvfb, or a headless Weston with `wayland=True`) and session bus with
    throwaway settings (GSettings keyfile backend)."""

    def __init__(self, renderer: str, first_display: int = 70, size: str = "1600x1000",
                 wayland: bool = False):
        self.dir = tempfile.mkdtemp(prefix="hangar-bench-")
        self.wayland = wayland
        display_env = self._start_weston(size) if wayland else self._start_xvfb(first_display, size)
        self.env = dict(os.environ, **display_env, GSETTINGS_BACKEND="keyfile",
                        XDG_CONFIG_HOME=f"{self.dir}/config", XDG_DATA_HOME=f"{self.dir}/data",
                        XDG_CACHE_HOME=f"{self.dir}/cache", GSK_RENDERER=renderer,
                        # Accessibility off in both toolkits: measure the apps, not the AT-SPI bridge.
                        NO_AT_BRIDGE="1", GTK_A11Y="none")
        if wayland:
            self.env.pop("DISPLAY", None)
        out = subprocess.run(["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
                             env=self.env, capture_output=True, text=True, check=True).stdout.split()
        self.env["DBUS_SESSION_BUS_ADDRESS"], self.bus_pid = out[0], int(out[1])

    def _start_xvfb(self, first_display: int, size: str) -> dict:
        n = first_display
        # Two sessions started at once can both find the same free number; the one whose
        # server loses the race tries the next numbers.
        for _ in range(10):
            while os.path.exists(f"/tmp/.X11-unix/X{n}") or os.path.exists(f"/tmp/.X{n}-lock"):
                n += 1
            if self._try_xvfb(n, size):
                self.display = n
                return {"DISPLAY": f":{n}"}
            n += 1
        raise RuntimeError(f"Xvfb did not start on :{first_display} to :{n - 1}")

    def _try_xvfb(self, n: int, size: str) -> bool:
        # Xvfb writes its display number to -displayfd once it accepts clients: waiting for the
        # socket file alone raced with the server's start (a client saw "cannot open display").
        ready_read, ready_write = os.pipe()
        self.server = subprocess.Popen(["Xvfb", f":{n}", "-screen", "0", f"{size}x24", "-nolisten", "tcp",
                                        "-noreset", "-displayfd", str(ready_write)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                       pass_fds=(ready_write,))
        os.close(ready_write)
        with os.fdopen(ready_read) as ready:
            ready_fds, _, _ = select.select([ready], [], [], 10)
            if not ready_fds or not ready.readline().strip():
                self.server.kill()
                self.server.wait()
                return False
        return True

    def _start_weston(self, size: str) -> dict:
        runtime = pathlib.Path(self.dir) / "run"
        runtime.mkdir(mode=0o700)
        width, height = size.split("x")
        env = {"XDG_RUNTIME_DIR": str(runtime), "WAYLAND_DISPLAY": "wayland-bench", "GDK_BACKEND": "wayland"}
        self.server = subprocess.Popen(["weston", "--backend=headless-backend.so", "--socket=wayland-bench",
                                        f"--width={width}", f"--height={height}", "--idle-time=0"],
                                       env=dict(os.environ, XDG_RUNTIME_DIR=str(runtime)),
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Weston makes its socket once it takes clients.
        deadline = time.monotonic() + 10
        while not (runtime / "wayland-bench").exists():
            if time.monotonic() > deadline or self.server.poll() is not None:
                self.server.kill()
                raise RuntimeError("Weston did not start")
            time.sleep(0.05)
        return env

    def gsettings(self, schema: str, key: str, value: str):
        subprocess.run(["gsettings", "set", schema, key, value], env=self.env, check=True)

    def hangar_settings(self, values: dict):
        """Writes Hangar's keys (GVariant text) straight into the keyfile backend: an uninstalled
        build's schema is not known to the gsettings tool."""
        keyfile = pathlib.Path(self.env["XDG_CONFIG_HOME"]) / "glib-2.0" / "settings" / "keyfile"
        keyfile.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"[{HANGAR_SCHEMA_PATH}]"] + [f"{key}={value}" for key, value in values.items()]
        keyfile.write_text("\n".join(lines) + "\n")

    def screenshot(self, path: str):
        subprocess.run(["import", "-window", "root", path], env=self.env, check=False)

    def close(self):
        os.kill(self.bus_pid, signal.SIGTERM)
        self.server.terminate()
        self.server.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def visible_window(env: dict, pid: int) -> bool:
    out = subprocess.run(["xdotool", "search", "--onlyvisible", "--pid", str(pid)],
                         env=env, capture_output=True, text=True)
    return out.returncode == 0 and out.stdout.strip() != ""


def wait_for_listed(events: pathlib.Path, proc: subprocess.Popen, timeout: float = 120) -> float:
    """Seconds until Hangar reports (through $HANGAR_BENCH_EVENTS) that every connection's
    machines are in the tree."""
    start = time.monotonic()
    while time.monotonic() - start < timeout and proc.poll() is None:
        if events.exists() and "listed" in events.read_text():
            return time.monotonic() - start
        time.sleep(0.01)
    raise RuntimeError("Hangar did not list its machines in time")


def stop(proc: subprocess.Popen):
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
