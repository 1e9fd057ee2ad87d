#!/usr/bin/env bash
# Installs the Autobahn testsuite (wstest, Python 2.7 only) natively, for
# machines without a Docker engine. Idempotent: a finished environment is
# reused. Prints the path of wstest on its last line.
#
# Python 2.7 is not in Debian bookworm but is in bullseye, so a bullseye
# apt source is added, on the same Debian archive (and keyring) that the
# machine's apt sources already name: no mirror is written here. Without
# such a source the script stops and says so (BAREWS_DEBIAN_MIRROR can
# name one). The packages come from install-wstest.sh, the recipe the
# local Docker image uses too.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

cache="${BAREWS_AUTOBAHN_CACHE:-$HOME/.cache/barews/autobahn}"
wstest="$cache/py27/bin/wstest"
if [ -x "$wstest" ] && "$wstest" -a >/dev/null 2>&1; then
  echo "$wstest"
  exit 0
fi

python27=/usr/bin/python2.7
if [ ! -x "$python27" ] || [ ! -f /usr/include/python2.7/Python.h ]; then
  echo "installing python2.7 and its headers from Debian bullseye" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  src=/etc/apt/sources.list.d/barews-bullseye.sources
  if [ ! -f "$src" ]; then
    # shellcheck source=apt-mirror.sh
    source "$here/apt-mirror.sh"
    if ! mirror=$(debian_mirror); then
      echo "setup-native.sh: cannot add a bullseye source without a Debian archive" \
        "to take it from; see the message above" >&2
      exit 1
    fi
    read -r uri keyring <<<"$mirror"
    echo "adding $src (bullseye from $uri)" >&2
    $sudo tee "$src" >/dev/null <<SOURCES
Types: deb
URIs: $uri
Suites: bullseye
Components: main
Signed-By: $keyring
SOURCES
  fi
  timeout 600 $sudo apt-get update -qq >&2
  timeout 900 $sudo env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq -t bullseye python2.7 python2.7-dev >&2
fi

echo "creating the Python 2.7 environment in $cache/py27" >&2
exec bash "$here/install-wstest.sh" "$cache" "$python27"
