#!/usr/bin/env bash
# Installs wstest (AutobahnTestSuite 0.8.2, Python 2.7 only) into DIR/py27
# with the pins the official Docker image uses. The one recipe shared by
# the native install (setup-native.sh) and the local Docker image
# (docker/build-image.sh), so both get exactly the same packages.
#
#   install-wstest.sh DIR [PYTHON2.7]
#
# Needs python3 with the venv module, Python 2.7 with its headers (wsaccel,
# a dependency of the testsuite, is a C extension) and a C compiler. Pip
# honours PIP_CERT / SSL_CERT_FILE for a proxy's CA. Progress goes to
# stderr; the last line on stdout is the path of wstest.
set -euo pipefail

dir=${1:?usage: install-wstest.sh DIR [PYTHON2.7]}
python27=${2:-/usr/bin/python2.7}
# Each pip step is bounded, so a stalled index cannot hang the caller.
limit=${BAREWS_PIP_TIMEOUT:-600}

mkdir -p "$dir"
python3 -m venv "$dir/venv3" >&2
timeout "$limit" "$dir/venv3/bin/pip" install -q --disable-pip-version-check 'virtualenv<20.22' >&2
rm -rf "$dir/py27"
# virtualenv before 20.22 still creates 2.7 environments (it seeds pip 20.3.4).
"$dir/venv3/bin/virtualenv" -q -p "$python27" "$dir/py27" >&2
pip27=("$dir/py27/bin/pip" install -q --disable-pip-version-check --no-python-version-warning)
timeout "$limit" "${pip27[@]}" \
  setuptools==44.0.0 txaio==2.1.0 incremental==16.10.1 pyOpenSSL==19.1.0 \
  cryptography==3.3.2 Twisted==19.10.0 zope.interface==4.6.0 jinja2==2.11.3 \
  markupsafe==1.1.1 Werkzeug==1.0.1 klein==17.10.0 service_identity==18.1.0 \
  unittest2==1.1.0 six==1.16.0 'autobahn[twisted]==0.10.9' >&2
timeout "$limit" "${pip27[@]}" --no-build-isolation autobahntestsuite==0.8.2 >&2
"$dir/py27/bin/wstest" -a >&2
echo "$dir/py27/bin/wstest"
