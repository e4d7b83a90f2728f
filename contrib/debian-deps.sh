#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# debian-deps.sh - install what building and testing egress-supervise needs
# on Debian 12 (run as root).
#   --list          print the package names only
#   --build         only what building needs (the Containerfile's build stage)
#   --list --build  print those names
# The build needs the -dev libraries; the tests build network namespaces
# with real servers and clients.
set -eu
build="build-essential autoconf automake libtool pkg-config
	libseccomp-dev libcap-dev libc-ares-dev libssl-dev libyaml-dev check"
tests="gcc-multilib clang clang-tools cppcheck
	iproute2 nftables procps util-linux python3
	socat curl dnsutils netcat-openbsd busybox-static openssl nodejs
	nginx-light dnsmasq vsftpd openssh-server openssh-client
	golang-go"
list=
packages="$build $tests"
for a in "$@"; do
	case $a in
	--list) list=1 ;;
	--build) packages=$build ;;
	*) echo "usage: $0 [--list] [--build]" >&2; exit 2 ;;
	esac
done
if [ -n "$list" ]; then
	echo $packages
	exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $packages >/dev/null
