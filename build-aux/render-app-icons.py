#!/usr/bin/env python3
"""Draws the app icon's fixed sizes (data/icons/hicolor/NxN/apps/*.png) from its SVG.

Run it after changing data/icons/hicolor/scalable/apps/io.github.hangar_vm.Hangar.svg. The sizes
are the ones data/meson.build installs (`app_icon_sizes`); tests/packaging.rs checks that each
one exists at its size and is in the resource bundle.

Usage: render-app-icons.py [SOURCE_ROOT]
Needs: python3-gi, gir1.2-gdkpixbuf-2.0 and gdk-pixbuf's SVG loader (librsvg2-common)."""

import pathlib
import re
import sys

import gi

gi.require_version("GdkPixbuf", "2.0")
from gi.repository import GdkPixbuf  # noqa: E402

APP_ID = "io.github.hangar_vm.Hangar"


def icon_sizes(root: pathlib.Path) -> list[int]:
    meson = (root / "data/meson.build").read_text(encoding="utf-8")
    found = re.search(r"^app_icon_sizes = \[([0-9, ]+)\]", meson, re.MULTILINE)
    if not found:
        sys.exit("data/meson.build has no app_icon_sizes list")
    return [int(size) for size in found.group(1).split(",")]


def main() -> int:
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).parent.parent)
    icons = root / "data/icons/hicolor"
    svg = icons / "scalable/apps" / f"{APP_ID}.svg"
    for size in icon_sizes(root):
        target = icons / f"{size}x{size}/apps" / f"{APP_ID}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        GdkPixbuf.Pixbuf.new_from_file_at_size(str(svg), size, size).savev(str(target), "png", [], [])
        print(target.relative_to(root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
