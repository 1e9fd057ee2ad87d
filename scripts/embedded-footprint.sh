#!/usr/bin/env bash
# Code size, RAM and stack of barews-embedded on a Cortex-M4F, next to the
# embedded-websocket crate doing the same client and server flows, checked
# against embedded-adapter/footprint-budget.toml. Prints Markdown; exits
# non-zero when a barews number is over its budget.
#
# Builds embedded-adapter/firmware (its own Cargo project) four times:
# the measured release build (stable), the same with the `detailed-errors`
# feature (to price it), the `deflate` build (the client flow with
# permessage-deflate, `client_deflate`, measured on its own so that the
# other flows are measured without the feature), and a nightly build with
# -Z emit-stack-sizes for the stack analysis (the deflate flow's added to
# it). Also runs barews-embedded's own tests with its `deflate` feature,
# which the workspace-wide `cargo test` leaves off. Installs what it needs
# with rustup. Takes about 5 minutes on 2 cores from a cold cache.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
firmware=$root/embedded-adapter/firmware
target=thumbv7em-none-eabihf

step() { printf '\n==> %s\n' "$*" >&2; }

step "toolchain: $target, llvm-tools (stable); nightly for the stack analysis"
rustup target add "$target" >/dev/null 2>&1
rustup component add llvm-tools >/dev/null 2>&1 || rustup component add llvm-tools-preview >/dev/null 2>&1 || true
llvm_bin=$(dirname "$(ls "$(rustc --print sysroot)"/lib/rustlib/*/bin/llvm-size 2>/dev/null | head -n1)" 2>/dev/null || true)
if [ -z "$llvm_bin" ] || [ ! -x "$llvm_bin/llvm-objdump" ]; then
    echo "llvm-size and llvm-objdump not found: rustup component add llvm-tools failed" >&2
    exit 1
fi
stack=yes
if ! rustup toolchain list | grep -q '^nightly'; then
    rustup toolchain install nightly --profile minimal >/dev/null 2>&1 || stack=no
fi
if [ "$stack" = yes ]; then
    rustup target add "$target" --toolchain nightly >/dev/null 2>&1 || stack=no
fi

step "barews-embedded: cargo test --features deflate (permessage-deflate, blocking and async)"
cargo test --quiet -p barews-embedded --features deflate >&2

cd "$firmware"
# The firmware's builds go to its own target folder, where the report
# reads them, whatever CARGO_TARGET_DIR says.
export CARGO_TARGET_DIR=$firmware/target
step "firmware: cargo build --release (stable)"
cargo build --release --quiet
step "firmware: cargo build --release --features detailed-errors"
cargo build --release --quiet --features detailed-errors --target-dir target/detailed
step "firmware: cargo build --release --features deflate (the permessage-deflate client flow)"
cargo build --release --quiet --features deflate --target-dir target/deflate \
    --bin baseline --bin client --bin client_deflate --bin type_sizes
step "firmware: host run of every flow (cargo test --lib on the host, without and with deflate)"
host=$(rustc -vV | sed -n 's/^host: //p')
cargo test --lib --quiet --target "$host" >&2
cargo test --lib --quiet --target "$host" --features deflate >&2

stack_dir=-
if [ "$stack" = yes ]; then
    step "firmware: nightly build with -Z emit-stack-sizes"
    if RUSTFLAGS="-C link-arg=-Tlink.x -Z emit-stack-sizes" \
        cargo +nightly build --release --quiet --target-dir target/stack-sizes &&
        RUSTFLAGS="-C link-arg=-Tlink.x -Z emit-stack-sizes" \
            cargo +nightly build --release --quiet --target-dir target/stack-sizes \
            --features deflate --bin client_deflate; then
        stack_dir=$firmware/target/stack-sizes/$target/release
    else
        echo "the nightly build failed: no stack analysis" >&2
    fi
else
    echo "no nightly toolchain: no stack analysis" >&2
fi

step "report"
python3 "$firmware/footprint.py" \
    "$firmware/target/$target/release" \
    "$firmware/target/detailed/$target/release" \
    "$stack_dir" \
    "$root/embedded-adapter/footprint-budget.toml" \
    "$llvm_bin" \
    "$firmware/target/deflate/$target/release"
