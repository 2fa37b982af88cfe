#!/bin/sh
# Builds Hangar with cargo for meson: cargo-build.sh SOURCE_ROOT TARGET_DIR PROFILE OUTPUT [VAR=VALUE…]
# The VAR=VALUE pairs become the environment that src/config.rs reads with option_env!.
set -eu
source_root=$1 target_dir=$2 profile=$3 output=$4
shift 4
for pair in "$@"; do
    export "$pair"
done
if [ "$profile" = release ]; then
    cargo build --manifest-path "$source_root/Cargo.toml" --target-dir "$target_dir" --release --bin hangar
else
    cargo build --manifest-path "$source_root/Cargo.toml" --target-dir "$target_dir" --bin hangar
fi
cp "$target_dir/$profile/hangar" "$output"
