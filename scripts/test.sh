#!/usr/bin/env bash
# The whole test suite: the one command CI runs (through .ci/run) and the
# one a newcomer runs. It installs what it needs with rustup first.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each step's heading also gives how long the step before it took, so a
# CI log shows where the time goes (docs/conformance.md keeps the figures).
last=$SECONDS
step() {
    printf '\n==> %s (previous step: %ss, total: %ss)\n' "$*" "$((SECONDS - last))" "$SECONDS"
    last=$SECONDS
}

step "toolchain components and targets"
rustup component add rustfmt clippy >/dev/null
rustup target add thumbv7em-none-eabihf >/dev/null

step "format"
cargo fmt --all --check

step "clippy (all targets, warnings denied)"
cargo clippy --workspace --all-targets -- -D warnings
cargo clippy --workspace --all-targets --all-features -- -D warnings
cargo clippy -p barews --no-default-features --all-targets -- -D warnings

step "tests"
cargo test --workspace
cargo test -p barews-std --features tls
cargo test -p barews-std --features deflate
cargo test -p barews-tokio --all-features
cargo test -p barews --features deflate
cargo test -p barews --no-default-features

step "proxies: both clients through tinyproxy and microsocks (installed if missing), tests and examples"
bash scripts/proxy-tests.sh

step "docs (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features

step "no_std build for thumbv7em-none-eabihf"
cargo build -p barews --no-default-features --target thumbv7em-none-eabihf
cargo build -p barews --no-default-features --features alloc --target thumbv7em-none-eabihf

step "minimum supported Rust version (1.87) builds the core"
rustup toolchain install 1.87 --profile minimal >/dev/null 2>&1
cargo +1.87 check -p barews --no-default-features
cargo +1.87 check -p barews --all-features

step "benchmarks build (runs are manual: see docs/performance.md)"
cargo bench -p barews-bench --no-run

step "examples build; the in-memory handshake runs"
cargo build -p barews-std --examples --all-features
cargo build -p barews-tokio --examples --all-features
cargo run -q -p barews --example handshake >/dev/null

step "a real browser: headless Chromium through axum_echo's /ws (installed if missing)"
bash scripts/browser-check.sh

step "embedded: firmware example for thumbv7em-none-eabihf, footprint against its budget"
bash scripts/embedded-footprint.sh

step "fuzz smoke: every cargo-fuzz target for 30 s (nightly, installed if missing); beside it, the 32-bit ARM tests under qemu-user and the firmware on an emulated Cortex-M4 against websockets and tungstenite"
# The fuzz targets run one at a time on one core for a fixed time, so
# the emulated runs take the other core meanwhile.
emulated_log=$(mktemp)
(bash scripts/arm32-tests.sh && bash scripts/qemu-firmware.sh) >"$emulated_log" 2>&1 &
emulated=$!
bash scripts/fuzz-smoke.sh 30
emulated_status=0
wait "$emulated" || emulated_status=$?
cat "$emulated_log"
rm -f "$emulated_log"
if [ "$emulated_status" != 0 ]; then
    echo "the 32-bit ARM tests or the QEMU firmware runs failed" >&2
    exit 1
fi

step "Autobahn: a Docker engine (installed and started here, as root, when none answers)"
# Through Docker: the image is the official one if present or pullable,
# else built here once (conformance/autobahn/docker/build-image.sh). The
# streaming server run stays native, so that both ways keep working.
autobahn=(--docker --native-runs server-stream)
engine=0
dockerd_pid=$(bash scripts/docker-engine.sh up) || engine=$?
case $engine in
    0) if [ -n "$dockerd_pid" ]; then
           trap 'bash scripts/docker-engine.sh down "$dockerd_pid"' EXIT
       fi ;;
    3) echo "no Docker engine here: every Autobahn run goes native"
       autobahn=(--native) ;;
    *) exit 1 ;;
esac

step "Autobahn testsuite, both roles and both adapters: through Docker, the 512-byte streaming server natively"
cargo run --release -p barews-conformance -- autobahn all "${autobahn[@]}"

step "done"
printf '\nall checks passed\n'
