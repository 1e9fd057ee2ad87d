#!/usr/bin/env bash
# A Docker engine for the Autobahn runs of scripts/test.sh.
#
#   docker-engine.sh up     makes sure `docker info` answers. When it does
#                           not and this runs as root with apt-get, installs
#                           docker.io if dockerd is missing and starts
#                           `dockerd --bridge=none` (host networking only:
#                           no bridge, so no private-range addresses).
#                           Prints the PID of a daemon it started (nothing
#                           when an engine already answered). Exits 3 when
#                           none answers and it may not install one (not
#                           root, or no apt-get), 1 when starting one failed;
#                           it says why either way.
#   docker-engine.sh down PID
#                           stops the daemon `up` started (TERM, then KILL
#                           after 30 s).
#
# Every wait is bounded. The daemon's log goes to
# ${TMPDIR:-/tmp}/barews-dockerd.log.
set -euo pipefail

say() { echo "docker-engine: $*" >&2; }

answers() { timeout 30 docker info >/dev/null 2>&1; }

up() {
  if command -v docker >/dev/null && answers; then
    return 0
  fi
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    say "no Docker engine answers, and only root with apt-get can install and start one here"
    return 3
  fi
  if ! command -v dockerd >/dev/null; then
    say "installing docker.io"
    local log="${TMPDIR:-/tmp}/barews-apt-docker.log"
    local install=(timeout 900 env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
      apt-get install -y -qq docker.io)
    if ! "${install[@]}" >"$log" 2>&1; then
      timeout 600 apt-get update -qq >>"$log" 2>&1 || true
      "${install[@]}" >>"$log" 2>&1 || { tail -n 20 "$log" >&2; say "installing docker.io failed"; return 1; }
    fi
  fi
  local log="${TMPDIR:-/tmp}/barews-dockerd.log"
  say "starting dockerd --bridge=none (log: $log)"
  # Detached from this script's output, so that $(docker-engine.sh up)
  # returns while the daemon runs on.
  dockerd --bridge=none </dev/null >"$log" 2>&1 &
  local pid=$! start=$SECONDS
  until answers; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 20 "$log" >&2
      say "dockerd exited before it answered"
      return 1
    fi
    if [ $((SECONDS - start)) -ge 60 ]; then
      tail -n 20 "$log" >&2
      kill "$pid" 2>/dev/null || true
      say "dockerd did not answer within 60 s; stopped"
      return 1
    fi
    sleep 1
  done
  say "dockerd (PID $pid) answers after $((SECONDS - start)) s"
  echo "$pid"
}

down() {
  local pid=${1:?usage: docker-engine.sh down PID}
  kill -TERM "$pid" 2>/dev/null || return 0
  local start=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    if [ $((SECONDS - start)) -ge 30 ]; then
      say "dockerd (PID $pid) still running after 30 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 1
  done
  say "dockerd (PID $pid) stopped"
}

case "${1:-}" in
  up) up ;;
  down) down "${2:-}" ;;
  *) echo "usage: docker-engine.sh up | down PID" >&2; exit 2 ;;
esac
