#!/bin/bash
# setup.sh - make a fresh Debian 12 machine ready for parclass, then build it
#
# usage: build-aux/setup.sh BUILDDIR [configure options...]
#
# Installs the Debian packages parclass needs when any is missing (after
# apt-get update), generates the build system, configures BUILDDIR and builds.
# Sourced by demo.sh and check.sh; safe to run again.
set -euo pipefail

srcdir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# One list: what configure, the tests (cupsd, lpadmin and ipptool for the
# end-to-end suite, cupstestppd for the PPDs, CUPS's pstops and rastertohp
# and cups-filters' PDF and raster filters for the PPD queues; dbus-daemon,
# busctl, gdbus and python3-dbusmock's polkitd for the service's private
# bus), the benchmarks, the fuzz harnesses (clang with libFuzzer), make lint
# (cppcheck) and the checks of the service's unit, user, polkit actions and
# udev rule (systemd-analyze and systemd-sysusers, udev's pkg-config file,
# xmllint, polkit's DTD) need.
packages=(
	build-essential autoconf automake libtool pkg-config
	libglib2.0-dev libieee1284-3-dev libcups2-dev libpolkit-gobject-1-dev
	libcriterion-dev libumockdev-dev umockdev valgrind
	cups cups-client cups-ipp-utils cups-filters
	dbus-daemon systemd udev polkitd libglib2.0-bin python3-dbusmock libxml2-utils
	clang libclang-rt-14-dev cppcheck
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	sudo=
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	echo "setup: installing ${missing[*]}"
	$sudo apt-get update -q
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

builddir=$1
shift
if [ ! -x "$srcdir/configure" ] || [ "$srcdir/configure.ac" -nt "$srcdir/configure" ] ||
   [ "$srcdir/Makefile.am" -nt "$srcdir/Makefile.in" ]; then
	(cd "$srcdir" && mkdir -p m4 && autoreconf -fi)
fi
mkdir -p "$builddir"
cd "$builddir"
if [ ! -f Makefile ] || [ "$srcdir/configure" -nt config.status ]; then
	"$srcdir/configure" -q "$@"
fi
make -s -j"$(nproc)"
