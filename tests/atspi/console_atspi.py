#!/usr/bin/python3
"""AT-SPI commands for the console's end-to-end test (tests/ui_console.rs), on top of
hangar_atspi.py's helpers.

Usage: console_atspi.py PID COMMAND [ARGS…]; prints one JSON value, exits 1 with a message on
stderr when the command cannot be done.

Commands:
  extents NAME        [x, y, width, height] of the visible widget with that accessible name
                      and a size, in window coordinates (GTK 4.8 gives no screen coordinates)
  press NAME          activates the first action ("click", "activate", …) of the visible
                      widget with that accessible name, whatever its role (menu items too)
  tree                every visible node as [role, name] (for diagnosing a test)

GTK 4.8 sets no SHOWING state, so "visible" here is AT-SPI's VISIBLE (the widget's own
visibility; a page of a stack that is not shown still counts).
"""

import json
import os
import sys
import warnings

# Atspi's get_action_iface is deprecated in newer versions but the only way in 2.46.
warnings.filterwarnings("ignore", category=DeprecationWarning)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gi  # noqa: E402

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402

from hangar_atspi import application, names_match, walk  # noqa: E402


def visible(node):
    try:
        return node.get_state_set().contains(Atspi.StateType.VISIBLE)
    except gi.repository.GLib.Error:
        return False


def has_action(node):
    action = node.get_action_iface()
    return action is not None and action.get_n_actions() > 0


def find_visible(app, name, sized=False, actionable=False):
    for node in walk(app):
        try:
            if not (names_match(node.get_name(), name) and visible(node)):
                continue
            if actionable and not has_action(node):
                continue
            if sized:
                box = node.get_extents(Atspi.CoordType.WINDOW)
                if box.width <= 0 or box.height <= 0:
                    continue
            return node
        except gi.repository.GLib.Error:
            continue
    raise SystemExit(f"no visible widget named {name!r}")


def extents(app, name):
    node = find_visible(app, name, sized=True)
    box = node.get_extents(Atspi.CoordType.WINDOW)
    return [box.x, box.y, box.width, box.height]


def press(app, name):
    node = find_visible(app, name, actionable=True)
    node.get_action_iface().do_action(0)
    return True


def tree(app):
    out = []
    for node in walk(app):
        try:
            if visible(node):
                out.append([node.get_role_name(), node.get_name()])
        except gi.repository.GLib.Error:
            continue
    return out


def main():
    pid, command, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    app = application(pid)
    if command == "extents":
        out = extents(app, args[0])
    elif command == "press":
        out = press(app, args[0])
    elif command == "tree":
        out = tree(app)
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
