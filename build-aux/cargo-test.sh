#!/bin/sh
# Runs the whole cargo test suite for `meson test`: cargo-test.sh SOURCE_ROOT TARGET_DIR
set -eu
exec cargo test --manifest-path "$1/Cargo.toml" --target-dir "$2" --no-fail-fast
