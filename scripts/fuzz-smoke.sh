#!/usr/bin/env bash
# Runs every cargo-fuzz target for a short, bounded time (30 s each by
# default), starting from the committed seeds, and fails on any crash,
# leak, timeout or out-of-memory. Installs nightly and cargo-fuzz if they
# are missing. Generated inputs go to a temporary folder, not the repo.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-30}"

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
cargo +nightly fuzz build

for target in $(cargo +nightly fuzz list); do
  work=$(mktemp -d)
  cp corpus/"$target"/* "$work"/ 2>/dev/null || true
  args=(-max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1)
  case "$target" in
    handshake_* | proxy) args+=(-dict=dict/http.dict) ;;
  esac
  echo "== fuzz $target for ${seconds}s"
  if ! cargo +nightly fuzz run "$target" "$work" -- "${args[@]}" >"$work.log" 2>&1; then
    tail -n 60 "$work.log"
    echo "fuzz target $target failed; the crashing input is under fuzz/artifacts/$target/"
    exit 1
  fi
  grep -E '^stat::number_of_executed_units|^Done' "$work.log" || true
  rm -rf "$work" "$work.log"
done
