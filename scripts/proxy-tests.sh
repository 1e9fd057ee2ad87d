#!/usr/bin/env bash
# The clients through real proxy servers: tinyproxy (HTTP CONNECT) and
# microsocks (SOCKS5) from Debian's packages, installed here when missing
# (as root, with apt-get), on 127.0.0.1 only. Runs the proxy tests of
# barews-std and barews-tokio (ignored by a plain `cargo test`, as they
# need these programs), then both `client` examples end to end: through a
# proxy named with --proxy, and through one named by the environment
# (--proxy-from-env).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v tinyproxy >/dev/null || missing+=(tinyproxy)
command -v microsocks >/dev/null || missing+=(microsocks)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        echo "proxy-tests: install ${missing[*]} (Debian packages)" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

cargo test -q -p barews-std --features tls --test proxy -- --include-ignored
cargo test -q -p barews-tokio --all-features --test proxy -- --include-ignored

# The examples: an echo server, a SOCKS5 proxy and an HTTP proxy, each
# on a port of its own, stopped at the end.
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

cargo build -q -p barews-std --example echo_server --example client
cp target/debug/examples/client "$work/std-client"
cargo build -q -p barews-tokio --example client
cp target/debug/examples/client "$work/tokio-client"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_for() { # wait_for PORT: until something listens on 127.0.0.1:PORT (5 s at most)
    for _ in $(seq 50); do
        python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2).close()" \
            2>/dev/null && return 0
        sleep 0.1
    done
    echo "proxy-tests: nothing listens on port $1" >&2
    return 1
}

echo_port=$(free_port)
target/debug/examples/echo_server "127.0.0.1:$echo_port" >/dev/null &
pids+=($!)
socks_port=$(free_port)
# microsocks logs each connection ("connected to HOST:PORT") on stderr.
microsocks -i 127.0.0.1 -p "$socks_port" >/dev/null 2>"$work/microsocks.log" &
pids+=($!)
http_port=$(free_port)
printf 'Port %s\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nLogLevel Critical\n' \
    "$http_port" >"$work/tinyproxy.conf"
tinyproxy -d -c "$work/tinyproxy.conf" >/dev/null 2>&1 &
pids+=($!)
wait_for "$echo_port"
wait_for "$socks_port"
wait_for "$http_port"

check() { # check LABEL COMMAND...: the client echoes two lines and exits 0
    local output
    output=$(printf 'one\ntwo\n' | timeout 30 "$@")
    if [ "$output" != "$(printf 'one\ntwo')" ]; then
        echo "proxy-tests: $1: unexpected output: $output" >&2
        exit 1
    fi
    echo "proxy-tests: $(basename "$1") ${*:2}: echoed"
}

url="ws://localhost:$echo_port/"
for client in "$work/std-client" "$work/tokio-client"; do
    check "$client" "$url" --proxy "socks5h://127.0.0.1:$socks_port"
    check "$client" "$url" --proxy "http://127.0.0.1:$http_port"
    # socks5:// resolves here and hands the proxy an address: its log
    # shows that this connection went through it.
    ALL_PROXY="socks5://127.0.0.1:$socks_port" check "$client" "ws://127.0.0.1:$echo_port/" \
        --proxy-from-env
    # NO_PROXY exempts the host: the connection goes direct, past a proxy
    # that does not exist.
    HTTP_PROXY="http://127.0.0.1:1" NO_PROXY=localhost check "$client" "$url" --proxy-from-env
done
through_env=$(grep -c "connected to 127.0.0.1:$echo_port" "$work/microsocks.log" || true)
if [ "$through_env" != 2 ]; then
    echo "proxy-tests: $through_env of the 2 ALL_PROXY connections went through the proxy" >&2
    exit 1
fi
echo "proxy-tests: passed"
