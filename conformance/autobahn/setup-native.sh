#!/usr/bin/env bash
# Installs the Autobahn testsuite (wstest, Python 2.7 only) natively, for
# machines without a Docker engine. Idempotent: a finished environment is
# reused. Prints the path of wstest on its last line.
#
# Facts this relies on (see ../shared/AUTOBAHN.md): Python 2.7 comes from
# Debian bullseye; virtualenv<20.22 still creates 2.7 environments; the
# pins below are the ones the official Docker image uses.
set -euo pipefail

cache="${BAREWS_AUTOBAHN_CACHE:-$HOME/.cache/barews/autobahn}"
env_dir="$cache/py27"
wstest="$env_dir/bin/wstest"
if [ -x "$wstest" ] && "$wstest" -a >/dev/null 2>&1; then
  echo "$wstest"
  exit 0
fi
mkdir -p "$cache"

python27=/usr/bin/python2.7
# The headers too: wsaccel, a dependency of the testsuite, is a C extension.
if [ ! -x "$python27" ] || [ ! -f /usr/include/python2.7/Python.h ]; then
  echo "installing python2.7 and its headers from Debian bullseye" >&2
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  src=/etc/apt/sources.list.d/barews-bullseye.sources
  if [ ! -f "$src" ]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    key=$(awk '/^Signed-By:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
    $sudo tee "$src" >/dev/null <<SOURCES
Types: deb
URIs: ${uri:-http://deb.debian.org/debian}
Suites: bullseye
Components: main
Signed-By: ${key:-/usr/share/keyrings/debian-archive-keyring.gpg}
SOURCES
  fi
  $sudo apt-get update -qq >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -t bullseye python2.7 python2.7-dev >&2
fi

echo "creating the Python 2.7 environment in $env_dir" >&2
python3 -m venv "$cache/venv3" >&2
"$cache/venv3/bin/pip" install -q 'virtualenv<20.22' >&2
rm -rf "$env_dir"
"$cache/venv3/bin/virtualenv" -q -p "$python27" "$env_dir" >&2
"$env_dir/bin/pip" install -q --disable-pip-version-check --no-python-version-warning \
  setuptools==44.0.0 txaio==2.1.0 incremental==16.10.1 pyOpenSSL==19.1.0 \
  cryptography==3.3.2 Twisted==19.10.0 zope.interface==4.6.0 jinja2==2.11.3 \
  markupsafe==1.1.1 Werkzeug==1.0.1 klein==17.10.0 service_identity==18.1.0 \
  unittest2==1.1.0 six==1.16.0 'autobahn[twisted]==0.10.9' >&2
"$env_dir/bin/pip" install -q --disable-pip-version-check --no-python-version-warning --no-build-isolation autobahntestsuite==0.8.2 >&2
"$wstest" -a >&2
echo "$wstest"
