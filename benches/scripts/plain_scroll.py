#!/usr/bin/env python3
"""A plain GTK 4 list, for comparison with Hangar's scrolling figures: 2000 two-line rows in a
GtkListView, scrolled at 2000 px/s for 10 s like fleet_window.py scrolls the fleet. Prints the
frame count, the median frame interval and the intervals over 25 ms.

Usage: benches/scripts/plain_scroll.py [--display x11|wayland]   (a private Xvfb or headless
Weston, as in fleet_window.py; GSK_RENDERER=cairo)
Needs: python3-gi with GTK 4 (gir1.2-gtk-4.0), Xvfb or weston."""

import argparse
import statistics
import subprocess
import sys

from benchlib import Session


def child():
    import gi
    gi.require_version("Gtk", "4.0")
    from gi.repository import GLib, Gtk
    app = Gtk.Application()
    def activate(app):
        win = Gtk.ApplicationWindow(application=app, default_width=1440, default_height=860)
        model = Gtk.StringList.new([f"machine-{i:05d}\nsubtitle {i}" for i in range(2000)])
        factory = Gtk.SignalListItemFactory()
        factory.connect("setup", lambda f, item: item.set_child(Gtk.Label(xalign=0)))
        factory.connect("bind", lambda f, item: item.get_child().set_label(item.get_item().get_string()))
        view = Gtk.ListView(model=Gtk.NoSelection(model=model), factory=factory)
        sw = Gtk.ScrolledWindow(child=view)
        win.set_child(sw)
        win.present()
        times = []
        state = {"start": None}
        def tick(widget, clock):
            t = clock.get_frame_time() / 1e6
            if state["start"] is None:
                state["start"] = t
            adj = sw.get_vadjustment()
            span = max(adj.get_upper() - adj.get_page_size(), 1.0)
            adj.set_value((t - state["start"]) * 2000 % span)
            times.append(t)
            if t - state["start"] > 10:
                d = [1000 * (b - a) for a, b in zip(times, times[1:])]
                print(f"frames={len(times)} median={statistics.median(d):.1f} missed={sum(x > 25 for x in d)}")
                sys.stdout.flush()
                app.quit()
                return False
            return True
        # Start once the window has settled, as fleet_window.py scrolls after its CPU window.
        GLib.timeout_add(3000, lambda: (view.add_tick_callback(tick), False)[1])
    app.connect("activate", activate)
    app.run([])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--display", choices=("x11", "wayland"), default="x11")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child()
        return 0
    session = Session("cairo", wayland=args.display == "wayland")
    try:
        # GTK's own Python bindings come with Debian's python3, whichever python runs this.
        out = subprocess.run(["/usr/bin/python3", __file__, "--child"], env=session.env,
                             capture_output=True, text=True, timeout=60)
    finally:
        session.close()
    print(f"{args.display}: {out.stdout.strip()}")
    return out.returncode


if __name__ == "__main__":
    sys.exit(main())
