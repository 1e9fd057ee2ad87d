#!/usr/bin/env bash
# Builds the project's own Autobahn testsuite image, for machines where the
# official one (crossbario/autobahn-testsuite) can be neither found nor
# pulled. No registry is involved:
#
#   1. debootstrap a minimal Debian bullseye (the last release with Python
#      2.7) from the Debian archive the machine's apt sources name;
#   2. copy in the host's CA bundle (SSL_CERT_FILE / PIP_CERT honoured), so
#      that pip works behind a TLS-inspecting proxy, and remove it again;
#   3. run install-wstest.sh in a chroot (the pins setup-native.sh uses);
#   4. `tar | docker import` the tree as NAME, with wstest on PATH.
#
#   build-image.sh [NAME]      (default barews/autobahn-testsuite:0.8.2)
#
# Needs root (debootstrap, chroot; re-runs itself with `sudo -n` if it can)
# and a Docker engine. Built once per machine: when NAME exists already it
# only says so. A lock keeps two concurrent builds from racing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
name=${1:-barews/autobahn-testsuite:0.8.2}

say() { echo "build-image: $*" >&2; }
die() { say "$*"; exit 1; }

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    exec sudo -n --preserve-env=SSL_CERT_FILE,PIP_CERT,BAREWS_DEBIAN_MIRROR \
      bash "$0" "$name"
  fi
  die "building $name needs root (debootstrap and chroot); run as root, pass" \
    "--image NAME for an image you have, or use --native"
fi
docker info >/dev/null 2>&1 || die "no Docker engine answers (docker info failed)"

lock=/run/lock/barews-autobahn-image.lock
if [ ! -d /run/lock ]; then lock=/tmp/barews-autobahn-image.lock; fi
exec 9>"$lock"
flock -w 1800 9 || die "another build of $name held $lock for 30 minutes"
if docker image inspect "$name" >/dev/null 2>&1; then
  say "$name is already built"
  exit 0
fi

work=$(mktemp -d "${TMPDIR:-/var/tmp}/barews-autobahn-image.XXXXXX")
rootfs=$work/rootfs
# Nothing is ever mounted inside, so the tree goes with one rm.
trap 'rm -rf --one-file-system "$work"' EXIT

if ! command -v debootstrap >/dev/null; then
  command -v apt-get >/dev/null || die "debootstrap is missing and apt-get is not available to install it"
  say "installing debootstrap"
  apt_get() { timeout 600 env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get "$@" >>"$work/apt.log" 2>&1; }
  apt_get install -y -qq debootstrap || { apt_get update -qq && apt_get install -y -qq debootstrap; } ||
    { tail -n 20 "$work/apt.log" >&2; die "installing debootstrap failed"; }
fi

# shellcheck source=../apt-mirror.sh
source "$here/../apt-mirror.sh"
mirror=$(debian_mirror) || die "cannot debootstrap without a Debian archive; see the message above"
read -r uri keyring <<<"$mirror"
keyring_option=()
if [ -f "$keyring" ]; then keyring_option=(--keyring="$keyring"); fi

ca=${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}

start=$SECONDS
say "debootstrap bullseye from $uri into $rootfs"
timeout 1200 debootstrap --variant=minbase "${keyring_option[@]}" \
  --include=python2.7,python2.7-dev,gcc,libc6-dev,ca-certificates,python3-venv \
  bullseye "$rootfs" "$uri" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
say "root file system ready after $((SECONDS - start)) s"

step=$SECONDS
cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
mkdir -p "$rootfs/opt/autobahn"
cp "$here/../install-wstest.sh" "$rootfs/opt/autobahn/install-wstest.sh"
cert_env=()
if [ -f "$ca" ]; then
  cp "$ca" "$rootfs/opt/autobahn/host-ca.crt"
  cert_env=(PIP_CERT=/opt/autobahn/host-ca.crt SSL_CERT_FILE=/opt/autobahn/host-ca.crt)
else
  say "no CA bundle at $ca; pip uses the image's own"
fi
timeout 1500 chroot "$rootfs" /usr/bin/env -i HOME=/root LANG=C.UTF-8 \
  PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "${cert_env[@]}" \
  bash /opt/autobahn/install-wstest.sh /opt/autobahn /usr/bin/python2.7 >/dev/null ||
  die "installing wstest in the root file system failed"
ln -sf /opt/autobahn/py27/bin/wstest "$rootfs/usr/local/bin/wstest"
# What only the build needed: the host's CA bundle and resolver, the
# Python 3 environment that made the 2.7 one, package caches.
rm -rf "$rootfs/opt/autobahn/host-ca.crt" "$rootfs/opt/autobahn/venv3" \
  "$rootfs/root/.cache" "$rootfs/var/cache/apt/archives/"*.deb "$rootfs/var/lib/apt/lists/"*
: >"$rootfs/etc/resolv.conf"
say "wstest installed after $((SECONDS - step)) s"

step=$SECONDS
tar -C "$rootfs" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' -c . |
  docker import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["wstest", "-a"]' \
    --message "AutobahnTestSuite 0.8.2 on Debian bullseye, built by conformance/autobahn/docker/build-image.sh" \
    - "$name" >/dev/null
say "imported as $name after $((SECONDS - step)) s"

if ! docker run --rm --network host "$name" wstest -a >&2; then
  docker rmi "$name" >/dev/null 2>&1 || true
  die "$name was built but wstest does not run in it; image removed"
fi
say "$name built in $((SECONDS - start)) s"
