#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# run-fuzz.sh - build the libFuzzer targets with clang and run each one
#
#   FUZZ_SECONDS=60 tests/fuzz/run-fuzz.sh SRCDIR BUILDDIR
#
# Each target runs FUZZ_SECONDS (default 60) on a copy of its seed corpus
# (new inputs stay in BUILDDIR, the tree is not touched), with
# tests/fuzz/<target>.dict as its dictionary when there is one.  Exit status
# 1 if any target crashed, leaked or timed out; the crash input is kept and
# named.
set -u
src=$(cd "${1:?source dir}" && pwd)
build=${2:?build dir}
secs=${FUZZ_SECONDS:-60}

mkdir -p "$build"
build=$(cd "$build" && pwd)
if [ ! -f "$build/Makefile" ]; then
	(cd "$build" && CC=clang "$src/configure" --enable-fuzz >/dev/null) ||
		{ echo "fuzz: configure with clang failed"; exit 1; }
fi

# target:corpus directory
targets="fuzz_policy:policy/yaml fuzz_policy_spec:policy/spec
	fuzz_dns_msg:dns fuzz_tls_hello:tls fuzz_quic_initial:quic
	fuzz_http_req:http fuzz_ftp_ctl:ftp fuzz_ssh_banner:ssh
	fuzz_suggest:suggest"
progs=""
for t in $targets; do
	progs="$progs tests/fuzz/${t%%:*}"
done
make -C "$build" -j"$(nproc)" $progs >"$build/fuzz-build.log" 2>&1 ||
	{ tail -30 "$build/fuzz-build.log"; echo "fuzz: build failed"; exit 1; }

failed=0
for t in $targets; do
	name=${t%%:*}
	seeds="$src/tests/fuzz/corpus/${t#*:}"
	work="$build/fuzz-corpus/$name"
	mkdir -p "$work" "$build/fuzz-crashes"
	[ -d "$seeds" ] && cp -n "$seeds"/* "$work"/ 2>/dev/null
	dict=()
	[ -f "$src/tests/fuzz/$name.dict" ] &&
		dict=(-dict="$src/tests/fuzz/$name.dict")
	if "$build/tests/fuzz/$name" "${dict[@]}" -max_total_time="$secs" \
		-timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$build/fuzz-crashes/$name-" -print_final_stats=1 \
		"$work" >"$build/$name.fuzz.log" 2>&1; then
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' \
			"$build/$name.fuzz.log" | grep -o '[0-9]*$')
		echo "fuzz: $name: ${secs}s, ${runs:-?} runs, clean"
	else
		failed=1
		echo "fuzz: $name: FAILED"
		grep -E 'ERROR|SUMMARY|Test unit written' "$build/$name.fuzz.log" |
			head -5
	fi
done
exit $failed
