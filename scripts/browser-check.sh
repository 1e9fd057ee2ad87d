#!/usr/bin/env bash
# A real browser against barews-tokio: headless Chromium loads the
# axum_echo page, whose script opens a WebSocket to /ws (upgraded by
# barews through axum and hyper) and sends a text with non-ASCII
# characters; the check passes when the page's log shows the echo and
# the server logged the HTTP version the WebSocket came over. Twice:
# over cleartext HTTP/1.1 (an upgrade), and over HTTPS with a
# self-signed certificate (accepted by a flag), where Chromium speaks
# HTTP/2 and opens the WebSocket with an extended CONNECT (RFC 8441).
# Installs Chromium from the distribution's packages when it is missing
# (as root with apt-get). Bounded: the server and the browser each get a
# time limit.
set -euo pipefail
cd "$(dirname "$0")/.."

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null
    browser=$(command -v chromium)
  else
    echo "browser check: no Chromium, and no apt-get as root to install it" >&2
    exit 1
  fi
fi

cargo build --release -q -p barews-tokio --features http2,tls --example axum_echo
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
text='héllo from a browser ✓'
query=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$text")
log=$(mktemp)
server=
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT

check() { # check SCHEME VERSION [SERVER FLAGS...]: the echo, over HTTP version VERSION
  local scheme=$1 version=$2 port dom
  shift 2
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  : >"$log"
  timeout 120 "$target_dir/release/examples/axum_echo" "127.0.0.1:$port" "$@" >"$log" 2>&1 &
  server=$!
  for _ in $(seq 1 100); do
    grep -q "listening" "$log" && break
    sleep 0.1
  done
  dom=$(timeout 60 "$browser" --headless --no-sandbox --disable-gpu --ignore-certificate-errors \
    --virtual-time-budget=5000 --dump-dom "$scheme://127.0.0.1:$port/?send=$query" 2>/dev/null)
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  if ! grep -qF "echo: $text" <<<"$dom"; then
    echo "browser check failed over $scheme; the page's log:" >&2
    grep -A4 '<pre' <<<"$dom" >&2 || echo "$dom" | tail -20 >&2
    exit 1
  fi
  if ! grep -qF "websocket over $version" "$log"; then
    echo "browser check failed over $scheme: the server did not see a WebSocket over $version:" >&2
    cat "$log" >&2
    exit 1
  fi
  echo "browser check: $("$browser" --version 2>/dev/null | head -1) got its message echoed by barews-tokio over $scheme, the WebSocket on $version"
}

check http HTTP/1.1
check https HTTP/2.0 --tls-self-signed
