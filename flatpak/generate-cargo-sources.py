#!/usr/bin/env python3
"""Writes flatpak/cargo-sources.json from Cargo.lock, so flatpak-builder can vendor every crate
offline: one archive per crate (checked against Cargo.lock's checksum), its
`.cargo-checksum.json`, and a cargo config that points crates.io at the vendored copies.

Usage: flatpak/generate-cargo-sources.py [Cargo.lock] [output.json]
Run it after every change to Cargo.lock (the packaging test fails while they disagree).
"""

import json
import pathlib
import sys
import tomllib

CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"
VENDOR_DIR = "cargo/vendor"


def sources_for(lock: dict) -> list[dict]:
    sources = []
    packages = sorted(lock.get("package", []), key=lambda p: (p["name"], p["version"]))
    for package in packages:
        if package.get("source") != CRATES_IO:
            continue  # the workspace's own crate, or a path dependency
        name, version, checksum = package["name"], package["version"], package["checksum"]
        dest = f"{VENDOR_DIR}/{name}-{version}"
        sources.append({
            "type": "archive",
            "archive-type": "tar-gzip",
            "url": f"https://static.crates.io/crates/{name}/{name}-{version}.crate",
            "sha256": checksum,
            "dest": dest,
        })
        sources.append({
            "type": "inline",
            "contents": json.dumps({"package": checksum, "files": {}}),
            "dest": dest,
            "dest-filename": ".cargo-checksum.json",
        })
    sources.append({
        "type": "inline",
        "contents": (
            "[source.crates-io]\nreplace-with = \"vendored-sources\"\n\n"
            f"[source.vendored-sources]\ndirectory = \"{VENDOR_DIR}\"\n"
        ),
        "dest": "cargo",
        "dest-filename": "config.toml",
    })
    return sources


def main() -> int:
    here = pathlib.Path(__file__).resolve().parent
    lock_path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else here.parent / "Cargo.lock"
    out_path = pathlib.Path(sys.argv[2]) if len(sys.argv) > 2 else here / "cargo-sources.json"
    with open(lock_path, "rb") as lock_file:
        lock = tomllib.load(lock_file)
    out_path.write_text(json.dumps(sources_for(lock), indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
