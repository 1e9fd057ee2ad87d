#!/usr/bin/env bash
# The firmware on an emulated board against peers written by others: the
# `qemu_client`, `qemu_client_async` and `qemu_server` binaries of
# embedded-adapter/firmware (feature `qemu`) run on QEMU's mps2-an386
# (Cortex-M4F), their UART0 on a host TCP connection, against the Python
# `websockets` package and tungstenite, each as echo server and as client.
# Every run is bounded; the script prints one line per run and exits
# non-zero when any fails.
#
# Installs what it needs: the rustup target, Debian's qemu-system-arm
# (as root, with apt-get) and `websockets` in a virtual environment
# under ~/.cache/barews (pip reads its index from the machine's pip
# configuration).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
target=thumbv7em-none-eabihf
firmware=$root/embedded-adapter/firmware
elf_dir=$firmware/target/$target/release
# The longest a run may take (each flow takes 5-15 s here).
limit=120

rustup target add "$target" >/dev/null 2>&1
if ! command -v qemu-system-arm >/dev/null; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "qemu-firmware: qemu-system-arm is missing; install Debian's qemu-system-arm" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q qemu-system-arm >/dev/null
fi
venv=${XDG_CACHE_HOME:-$HOME/.cache}/barews/peers-venv
if ! "$venv/bin/python" -c 'import websockets' 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet 'websockets>=13,<18'
fi

echo "qemu-firmware: the flows against each other on the host"
(cd "$firmware" && cargo test --quiet --lib --features qemu --target "$(rustc -vV | sed -n 's/^host: //p')")
echo "qemu-firmware: building the firmware and the tungstenite peer"
(cd "$firmware" && cargo build --release --quiet --features qemu \
    --bin qemu_client --bin qemu_client_async --bin qemu_server)
cargo build --release --quiet -p barews-conformance --example tungstenite_peer
tungstenite_peer=$(cargo metadata --format-version 1 --no-deps \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/release/examples/tungstenite_peer

work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

peer() { # peer NAME ARGS...: runs peer NAME (websockets or tungstenite)
    local name=$1
    shift
    case $name in
        websockets) timeout "$limit" "$venv/bin/python" scripts/peers/websockets_peer.py "$@" ;;
        tungstenite) timeout "$limit" "$tungstenite_peer" "$@" ;;
    esac
}

qemu() { # qemu ELF SERIAL: the board running ELF, its UART0 on SERIAL
    timeout "$limit" qemu-system-arm -machine mps2-an386 -cpu cortex-m4 -nographic \
        -monitor none -semihosting-config enable=on,target=native \
        -serial "$2" -kernel "$elf_dir/$1"
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

listening() { # listening PORT: whether something listens on 127.0.0.1:PORT
    python3 - "$1" <<'PY'
import sys
want = "0100007F:%04X" % int(sys.argv[1])
with open("/proc/net/tcp") as table:
    rows = [line.split() for line in table.readlines()[1:]]
sys.exit(0 if any(row[1] == want and row[3] == "0A" for row in rows) else 1)
PY
}

failed=0
report() { # report LABEL START QEMU_STATUS PEER_STATUS LOG
    local verdict=passed
    if [ "$3" != 0 ] || [ "$4" != 0 ]; then
        verdict="FAILED (board exit $3, peer exit $4)"
        failed=1
        sed 's/^/    /' "$5"
    fi
    printf 'qemu-firmware: %-52s %s in %s s\n' "$1" "$verdict" "$((SECONDS - $2))"
}

# The board as client: the peer's echo server listens first, then QEMU
# connects UART0 to it.
client_run() { # client_run ELF PEER
    local log=$work/$1-$2.log start=$SECONDS board=0 status=0 portfile=$work/port
    rm -f "$portfile"
    peer "$2" echo-server "$portfile" >"$log.peer" 2>&1 &
    local peer_pid=$!
    pids+=("$peer_pid")
    for _ in $(seq 100); do [ -s "$portfile" ] && break; sleep 0.1; done
    if [ -s "$portfile" ]; then
        qemu "$1" "tcp:127.0.0.1:$(cat "$portfile")" >"$log" 2>&1 || board=$?
    else
        echo "the $2 echo server did not start" >"$log"
        board=1
    fi
    wait "$peer_pid" || status=$?
    cat "$log.peer" >>"$log"
    report "$1 against the $2 echo server" "$start" "$board" "$status" "$log"
}

# The board as server: QEMU listens for the peer's client on a free
# port (and starts the firmware once it connects).
server_run() { # server_run ELF PEER
    local log=$work/$1-$2.log start=$SECONDS board=0 status=0 port
    port=$(free_port)
    qemu "$1" "tcp:127.0.0.1:$port,server=on,wait=on" >"$log" 2>&1 &
    local board_pid=$!
    pids+=("$board_pid")
    # Wait until QEMU listens (read from the kernel's table: a probe
    # connection would be the one QEMU waits for).
    for _ in $(seq 100); do
        listening "$port" && break
        sleep 0.1
    done
    peer "$2" client "ws://127.0.0.1:$port/" >"$log.peer" 2>&1 || status=$?
    wait "$board_pid" || board=$?
    cat "$log.peer" >>"$log"
    report "$1 against the $2 client" "$start" "$board" "$status" "$log"
}

for peer_name in websockets tungstenite; do
    client_run qemu_client "$peer_name"
    client_run qemu_client_async "$peer_name"
    server_run qemu_server "$peer_name"
done
exit "$failed"
