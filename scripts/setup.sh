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
exit 0
