# Shared by scripts/run and scripts/test: package installation and the Rust toolchain.
# shellcheck shell=bash

# Packages needed to build Hangar, by package manager.
BUILD_PACKAGES_APT="build-essential pkg-config libgtk-4-dev libadwaita-1-dev libgtksourceview-5-dev libvirt-dev gettext libglib2.0-dev-bin meson ninja-build desktop-file-utils appstream curl ca-certificates"
BUILD_PACKAGES_DNF="gcc pkgconf-pkg-config gtk4-devel libadwaita-devel gtksourceview5-devel libvirt-devel gettext glib2-devel meson ninja-build desktop-file-utils appstream curl"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# apt_missing "apt packages": those of the list that dpkg does not have installed.
apt_missing() {
    local pkg
    for pkg in $1; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || printf '%s ' "$pkg"
    done
}

# install_packages "apt packages" "dnf packages": installs what is missing.
install_packages() {
    local apt_list=$1 dnf_list=$2 missing=()
    if command -v dpkg-query >/dev/null && command -v apt-get >/dev/null; then
        read -ra missing <<<"$(apt_missing "$apt_list")"
        [ ${#missing[@]} -eq 0 ] && return 0
        say "Installing ${missing[*]}"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
        # One batch first; if the resolver gives up (it can, with backported packages around),
        # install one by one so it sees each package's dependencies alone.
        if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; then
            for pkg in "${missing[@]}"; do
                as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null \
                    || { say "Could not install $pkg"; return 1; }
            done
        fi
        # The resolver may remove a listed package that was there before: Debian 12's
        # qemu-system-x86 removes a backported qemu-utils. Install Debian's own of those.
        read -ra missing <<<"$(apt_missing "$apt_list")"
        [ ${#missing[@]} -eq 0 ] && return 0
        say "Installing again ${missing[*]} (removed while installing the rest)"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null \
            || { say "Could not install ${missing[*]}"; return 1; }
    elif command -v rpm >/dev/null && command -v dnf >/dev/null; then
        for pkg in $dnf_list; do rpm -q "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
        [ ${#missing[@]} -eq 0 ] && return 0
        say "Installing ${missing[*]}"
        as_root dnf install -y "${missing[@]}"
    else
        say "Unknown package manager. Please install the equivalents of: $apt_list"
        return 1
    fi
}

# ensure_rust: a cargo new enough for edition 2024 (Rust ≥ 1.85), from rustup.
ensure_rust() {
    [ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"
    if command -v cargo >/dev/null; then
        local minor
        minor=$(rustc --version | sed -E 's/^rustc 1\.([0-9]+).*/\1/')
        [ "${minor:-0}" -ge 85 ] && return 0
        command -v rustup >/dev/null && { rustup update stable && rustup default stable; return; }
        say "rustc $(rustc --version) is too old (Hangar needs 1.85 or newer); installing rustup"
    fi
    say "Installing the Rust toolchain with rustup (https://rustup.rs)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal \
        --component clippy,rustfmt
    . "$HOME/.cargo/env"
}
