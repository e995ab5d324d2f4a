#!/usr/bin/env bash
# Install everything Ferrite needs on a fresh machine; idempotent and quick when
# everything is already there. Called by run.sh, test.sh and bench.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLCHAIN=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
say() { printf '\033[1msetup:\033[0m %s\n' "$*" >&2; }

# --- Rust toolchain, components, target --------------------------------------
if ! command -v rustup >/dev/null 2>&1; then
    say "rustup is not installed; install it from https://rustup.rs and re-run."
    exit 1
fi
have_component() { rustup component list --installed --toolchain "$TOOLCHAIN" 2>/dev/null | grep -q "^$1"; }
if ! rustup toolchain list | grep -q "^$TOOLCHAIN"; then
    say "installing Rust $TOOLCHAIN ..."
    rustup toolchain install "$TOOLCHAIN" --profile minimal
fi
for c in rust-src llvm-tools clippy rustfmt; do
    if ! have_component "$c"; then
        say "adding component $c ..."
        rustup component add --toolchain "$TOOLCHAIN" "$c"
    fi
done
for t in x86_64-unknown-none x86_64-unknown-linux-musl; do
    if ! rustup target list --installed --toolchain "$TOOLCHAIN" | grep -q "^$t\$"; then
        say "adding target $t ..."
        rustup target add --toolchain "$TOOLCHAIN" "$t"
    fi
done

# --- QEMU (and OVMF for the UEFI image, optional) ----------------------------
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null 2>&1; then
        say "qemu-system-x86_64 is missing; install Debian's qemu-system-x86 package."
        exit 1
    fi
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    say "installing QEMU (Debian package qemu-system-x86) ..."
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq qemu-system-x86 >/dev/null
    command -v qemu-system-x86_64 >/dev/null 2>&1 || { say "QEMU install failed"; exit 1; }
fi

# --- BusyBox for `run.sh --shell` (optional) ----------------------------------
# Debian's busybox-static, unmodified: `apt-get download` (no root needed)
# into target/busybox/ (ignored by git), unpacked with dpkg-deb. Without a
# network (or apt) the shell is unavailable and nothing else fails; a failed
# fetch is retried after an hour, so offline runs do not wait for apt each time.
BUSYBOX_DIR=target/busybox
fetch_busybox() {
    command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1 || {
        say "no apt-get/dpkg-deb: cannot fetch busybox-static (run.sh --shell is unavailable)"
        return 1
    }
    mkdir -p "$BUSYBOX_DIR/deb" || return 1
    rm -f "$BUSYBOX_DIR"/deb/*.deb
    say "fetching Debian's busybox-static (for run.sh --shell) ..."
    if ! (cd "$BUSYBOX_DIR/deb" && apt-get download -qq busybox-static 2>/dev/null); then
        # The package lists may be missing or stale (a fresh container).
        local sudo=""
        [ "$(id -u)" -ne 0 ] && sudo="sudo -n"
        $sudo apt-get update -qq >/dev/null 2>&1 || true
        (cd "$BUSYBOX_DIR/deb" && apt-get download -qq busybox-static 2>/dev/null) || return 1
    fi
    local deb
    deb=$(ls "$BUSYBOX_DIR"/deb/busybox-static_*.deb 2>/dev/null | head -n 1)
    [ -n "$deb" ] || return 1
    rm -rf "$BUSYBOX_DIR/root"
    dpkg-deb -x "$deb" "$BUSYBOX_DIR/root" || return 1
    [ -x "$BUSYBOX_DIR/root/bin/busybox" ] && "$BUSYBOX_DIR/root/bin/busybox" true
}
if [ ! -x "$BUSYBOX_DIR/root/bin/busybox" ]; then
    if [ -n "$(find "$BUSYBOX_DIR/unavailable" -mmin -60 2>/dev/null)" ]; then
        :   # failed less than an hour ago; run.sh --shell says so
    elif fetch_busybox; then
        rm -f "$BUSYBOX_DIR/unavailable"
    else
        mkdir -p "$BUSYBOX_DIR" && touch "$BUSYBOX_DIR/unavailable"
        say "could not fetch busybox-static (network or apt unavailable): run.sh --shell" \
            "and its test are unavailable; everything else works"
    fi
fi
exit 0
