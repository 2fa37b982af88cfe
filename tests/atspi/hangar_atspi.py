#!/usr/bin/python3
"""Drives a running Hangar from outside through AT-SPI, for tests/ui_fleet.rs.

Usage: hangar_atspi.py PID COMMAND [ARGS…]; prints one JSON value, exits 1 with a message on
stderr when the command cannot be done.

Commands:
  rows                       every row of the fleet: [{"cells": [[label, …], …], "host": bool}, …]
  actions                    the window's enabled actions (disabled ones are not exposed)
  activate ACTION            activates one of the window's actions (e.g. win.vm-pause)
  select NAME [NAME…]        selects exactly the rows whose first label is NAME (any host)
  click NAME                 clicks the push button with that accessible name
  click-last NAME            the same, the last such button laid out (in the newest window: a
                             dialog's Remove rather than the page's Remove behind it)
  button-extents GROUP NAME  [x, y, width, height] of the laid-out button NAME inside the
                             node named GROUP, relative to its window (to click it with
                             xdotool, as a user would)
  row-extents NAME           [x, y, width, height] of the row whose first label is NAME,
                             relative to the window (to click it with xdotool)
  selected                   the first labels of the selected rows
  menu-items                 the names of the menu items on screen (an open row menu)
  field-extents WINDOW NAME  [x, y, width, height] of the text field with that accessible name
                             in the window titled WINDOW, relative to that window (GTK 4.8
                             ignores AT-SPI's set-text on libadwaita's entry rows, so tests
                             click and type there)
  set-text NAME TEXT         sets the text of the entry with that accessible name
  labels                     every label text outside the fleet table (pages, toasts, dialogs)
  toasts                     the label texts of each toast on screen: [[title, button], …]
  label-names                every label's accessible name outside the fleet table (what a
                             screen reader announces, e.g. a chart's "CPU 97 % …")
  showing NAME               whether a node with that accessible name lies inside the window
                             (GTK 4.8 sets no SHOWING state; the page pane of a folded window,
                             slid away, lies beyond its right edge)
  controls                   every showing button, toggle, check box and entry: [[role, name], …]
  focused                    the accessible name of the node with the keyboard focus ("" if none)
  columns                    the fleet's visible part and its shown column headers, relative to
                             the window: {"viewport": [x, width], "columns": [[title, x, width], …]}
"""

import json
import sys
import time

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi  # noqa: E402


def application(pid):
    # The registry's list of applications can briefly miss one while it re-registers (seen
    # with GTK 4.8 when a toast appears), so look again for a few seconds before giving up.
    deadline = time.monotonic() + 5
    while True:
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            app = desktop.get_child_at_index(i)
            try:
                if app is not None and app.get_process_id() == pid:
                    return app
            except gi.repository.GLib.Error:
                continue
        if time.monotonic() > deadline:
            raise SystemExit(f"no accessible application with pid {pid}")
        time.sleep(0.2)


def walk(node, depth=0, limit=60, skip=None):
    """Yields every descendant (depth first, in order), leaving out subtrees `skip` accepts.
    A live window changes while it is walked (a toast times out, a dialog closes): a subtree
    that vanished meanwhile is left out, as if the walk had started a moment later."""
    try:
        if node is None or depth > limit or (skip is not None and skip(node)):
            return
        count = node.get_child_count()
    except gi.repository.GLib.Error:
        return
    yield node
    for i in range(count):
        try:
            child = node.get_child_at_index(i)
        except gi.repository.GLib.Error:
            continue
        yield from walk(child, depth + 1, limit, skip)


def is_fleet_table(node):
    return node.get_role_name() == "tree table"


def find(root, role, name=None):
    for node in walk(root):
        try:
            if node.get_role_name() == role and (name is None or node.get_name() == name):
                return node
        except gi.repository.GLib.Error:
            continue
    return None


def fleet_list(app):
    table = find(app, "tree table", "Virtual machines of all connections")
    if table is None:
        raise SystemExit("the fleet table is not shown")
    listing = find(table, "list")
    if listing is None:
        raise SystemExit("the fleet table has no rows")
    return listing


def label_texts(node, skip=None):
    texts = []
    for child in walk(node, skip=skip):
        try:
            if child.get_role_name() == "label":
                text = child.get_text_iface()
                value = text.get_text(0, text.get_character_count()) if text else child.get_name()
                texts.append(value)
        except gi.repository.GLib.Error:
            continue  # gone since the walk reached it
    return texts


# libadwaita's toast overlay wraps the window's content, so its toasts sit this close to the
# top; a shallow walk finds them in a fraction of the time a full walk of every page takes (the
# full walk can outlast a toast's few seconds).
TOAST_DEPTH = 6


def toasts(app):
    found = []
    for node in walk(app, limit=TOAST_DEPTH):
        try:
            if node.get_name() == "AdwToastWidget":
                found.append(node)
        except gi.repository.GLib.Error:
            continue  # a toast that timed out while the walk reached it
    return [label_texts(node) for node in found]


def rows(app):
    listing = fleet_list(app)
    result = []
    for i in range(listing.get_child_count()):
        row = listing.get_child_at_index(i)
        if row is None or row.get_role_name() != "table row":
            continue
        cells = [label_texts(row.get_child_at_index(j)) for j in range(row.get_child_count())]
        # Host rows carry the tree expander's button; machine rows do not.
        host = any(n.get_role_name() == "push button" and n.get_name() in ("Expand", "Collapse")
                   for n in walk(row))
        result.append({"cells": cells, "host": host})
    return result


def frame(app):
    window = find(app, "frame")
    if window is None:
        raise SystemExit("no window")
    return window


def actions(app):
    action = frame(app).get_action_iface()
    return [action.get_action_name(i) for i in range(action.get_n_actions())]


def activate(app, name):
    action = frame(app).get_action_iface()
    for i in range(action.get_n_actions()):
        if action.get_action_name(i) == name:
            action.do_action(i)
            return True
    raise SystemExit(f"action {name} is not available (disabled or unknown)")


def select(app, names):
    listing = fleet_list(app)
    selection = listing.get_selection_iface()
    selection.clear_selection()
    wanted = set(names)
    picked = []
    for i in range(listing.get_child_count()):
        row = listing.get_child_at_index(i)
        texts = row_texts(row)
        if texts and texts[0] in wanted:
            selection.select_child(i)
            picked.append(texts[0])
    missing = wanted - set(picked)
    if missing:
        raise SystemExit(f"no rows named {sorted(missing)}")
    return picked


def row_texts(row):
    # The name cell's layout not shown has empty labels (see Row::name_line in session.rs).
    return [text for text in label_texts(row) if text] if row is not None else []


def row_extents(app, name):
    listing = fleet_list(app)
    for i in range(listing.get_child_count()):
        row = listing.get_child_at_index(i)
        texts = row_texts(row)
        if texts and texts[0] == name:
            box = row.get_extents(Atspi.CoordType.WINDOW)
            return [box.x, box.y, box.width, box.height]
    raise SystemExit(f"no row named {name}")


def field_extents(app, window, name):
    frame = find(app, "frame", window)
    if frame is None:
        raise SystemExit(f"no window {window!r}")
    for node in walk(frame):
        if node.get_role_name() in ("entry", "text") and node.get_name() == name:
            # GTK 4.8 gives an entry row's text no size; the nearest ancestor with one is
            # the row, and a click there focuses the text.
            while node is not None:
                try:
                    box = node.get_extents(Atspi.CoordType.WINDOW)
                    if box.width > 0 and box.height > 0:
                        return [box.x, box.y, box.width, box.height]
                except gi.repository.GLib.Error:
                    pass  # no Component interface (a GTK 4.8 list box row)
                node = node.get_parent()
    raise SystemExit(f"no text field named {name!r}")


def menu_items(app):
    found = []
    for node in walk(app):
        try:
            if node.get_role_name() == "menu item" and node.get_state_set().contains(Atspi.StateType.VISIBLE):
                found.append(node.get_name())
        except gi.repository.GLib.Error:
            continue
    return found


def selected(app):
    listing = fleet_list(app)
    selection = listing.get_selection_iface()
    names = []
    for i in range(listing.get_child_count()):
        texts = row_texts(listing.get_child_at_index(i))
        if texts and selection.is_child_selected(i):
            names.append(texts[0])
    return names


def names_match(accessible_name, wanted):
    """GTK 4.8 names a button with a mnemonic label "_Label Label"; accept that form too."""
    return accessible_name == wanted or accessible_name.replace("_", "") == f"{wanted} {wanted}"


def has_size(node):
    try:
        box = node.get_extents(Atspi.CoordType.WINDOW)
    except gi.repository.GLib.Error:
        return False
    return box.width > 0 and box.height > 0


def buttons_named(app, name, last=False):
    buttons = [node for node in walk(app)
               if node.get_role_name() in ("push button", "toggle button", "check box") and names_match(node.get_name(), name)]
    if last:
        # A libadwaita message dialog keeps a second, hidden row of its buttons (for narrow
        # widths); only the laid-out one has a size.
        buttons = [node for node in reversed(buttons) if has_size(node)]
    return buttons


def button_extents(app, group, name):
    for parent in walk(app):
        try:
            if parent.get_name() != group:
                continue
        except gi.repository.GLib.Error:
            continue
        for node in buttons_named(parent, name, last=True):
            box = node.get_extents(Atspi.CoordType.WINDOW)
            return [box.x, box.y, box.width, box.height]
    raise SystemExit(f"no laid-out button named {name!r} in {group!r}")


def click(app, name, last=False):
    for node in buttons_named(app, name, last):
        action = node.get_action_iface()
        for i in range(action.get_n_actions()):
            if action.get_action_name(i) == "click":
                action.do_action(i)
                return True
    raise SystemExit(f"no button named {name!r}")


def set_text(app, name, text):
    for node in walk(app):
        if node.get_role_name() == "entry" and node.get_name() == name:
            editable = node.get_editable_text_iface()
            editable.set_text_contents(text)
            return True
    raise SystemExit(f"no entry named {name!r}")


CONTROL_ROLES = ("push button", "toggle button", "check box", "entry", "page tab")


def focused(app):
    for node in walk(app):
        try:
            if node.get_state_set().contains(Atspi.StateType.FOCUSED):
                return node.get_name()
        except gi.repository.GLib.Error:
            continue
    return ""


def columns(app):
    table = find(app, "tree table", "Virtual machines of all connections")
    if table is None:
        raise SystemExit("the fleet table is not shown")
    # The table is as wide as its columns; what the user sees is its scroll pane.
    viewport = table.get_parent().get_extents(Atspi.CoordType.WINDOW)
    header = table.get_child_at_index(0)
    shown = []
    for i in range(header.get_child_count()):
        title = header.get_child_at_index(i)
        if not title.get_state_set().contains(Atspi.StateType.VISIBLE):
            continue
        box = title.get_extents(Atspi.CoordType.WINDOW)
        shown.append([" ".join(label_texts(title)), box.x, box.width])
    return {"viewport": [viewport.x, viewport.width], "columns": shown}


def controls(app):
    found = []
    for node in walk(app):
        if node.get_role_name() in CONTROL_ROLES:
            states = node.get_state_set()
            if states.contains(Atspi.StateType.VISIBLE):
                found.append([node.get_role_name(), node.get_name()])
    return found


def showing(app, name):
    window = frame(app).get_extents(Atspi.CoordType.WINDOW)
    for node in walk(app, skip=is_fleet_table):
        try:
            if not names_match(node.get_name(), name):
                continue
            if not node.get_state_set().contains(Atspi.StateType.VISIBLE):
                continue
            box = node.get_extents(Atspi.CoordType.WINDOW)
        except gi.repository.GLib.Error:
            continue
        if box.width > 0 and box.x < window.width and box.x + box.width > 0:
            return True
    return False


def main():
    pid, command, args = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    app = application(pid)
    if command == "rows":
        out = rows(app)
    elif command == "actions":
        out = actions(app)
    elif command == "activate":
        out = activate(app, args[0])
    elif command == "select":
        out = select(app, args)
    elif command == "click":
        out = click(app, args[0])
    elif command == "button-extents":
        out = button_extents(app, args[0], args[1])
    elif command == "click-last":
        out = click(app, args[0], last=True)
    elif command == "row-extents":
        out = row_extents(app, args[0])
    elif command == "field-extents":
        out = field_extents(app, args[0], args[1])
    elif command == "menu-items":
        out = menu_items(app)
    elif command == "selected":
        out = selected(app)
    elif command == "set-text":
        out = set_text(app, args[0], args[1])
    elif command == "labels":
        # Rows change all the time; reading them while they do is what `rows` is for.
        out = label_texts(app, skip=is_fleet_table)
    elif command == "toasts":
        out = toasts(app)
    elif command == "label-names":
        out = [node.get_name() for node in walk(app, skip=is_fleet_table)
               if node.get_role_name() == "label"]
    elif command == "showing":
        out = showing(app, args[0])
    elif command == "controls":
        out = controls(app)
    elif command == "columns":
        out = columns(app)
    elif command == "focused":
        out = focused(app)
    else:
        raise SystemExit(f"unknown command {command}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
