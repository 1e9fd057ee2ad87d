#!/usr/bin/env bash
# The core's and the embedded adapter's tests on 32-bit ARM: built for
# armv7-unknown-linux-gnueabihf and run under qemu-user, so that every
# `target_pointer_width = "32"` path (byte-wise masking, the packed
# layouts, the 32-bit length checks) runs. Installs what it needs: the
# rustup target, and Debian's qemu-user and ARM cross linker when
# missing (as root, with apt-get).
set -euo pipefail
cd "$(dirname "$0")/.."

target=armv7-unknown-linux-gnueabihf
rustup target add "$target" >/dev/null 2>&1
if ! command -v qemu-arm >/dev/null || ! command -v arm-linux-gnueabihf-gcc >/dev/null; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "arm32-tests: qemu-arm and arm-linux-gnueabihf-gcc are missing; install qemu-user and gcc-arm-linux-gnueabihf" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q qemu-user gcc-arm-linux-gnueabihf libc6-dev-armhf-cross >/dev/null
fi

export CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_LINKER=arm-linux-gnueabihf-gcc
export CARGO_TARGET_ARMV7_UNKNOWN_LINUX_GNUEABIHF_RUNNER="qemu-arm -L /usr/arm-linux-gnueabihf"
# Fewer property-test cases than on the host: the emulator is several
# times slower, and the point here is the 32-bit code paths.
export PROPTEST_CASES=${PROPTEST_CASES:-64}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
run() {
    local start=$SECONDS
    if cargo test --target "$target" "$@" >"$log" 2>&1; then
        echo "arm32-tests: cargo test $* passed: $(grep -c '^test .* ok$' "$log") tests in $((SECONDS - start)) s"
    else
        cat "$log" >&2
        echo "arm32-tests: cargo test $* FAILED on $target" >&2
        exit 1
    fi
}

# The core with every feature combination the host runs use.
run -p barews
run -p barews --all-features
run -p barews --no-default-features
# The core's property tests (they live in the conformance crate).
run -p barews-conformance --test frame_props --test handshake_props --test driver_props \
    --test utf8_props --test deflate_props
run -p barews-embedded
