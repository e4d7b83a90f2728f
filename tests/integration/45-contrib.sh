#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# 45-contrib.sh - what contrib/ and policy/examples/ ship is consistent:
# every example policy passes `egress-supervise check`, every Kubernetes
# manifest parses (libyaml) and the pieces refer to each other, the quadlet
# unit and the Containerfile name what exists, the scripts parse, the
# rootless podman test skips cleanly without podman, and --help, the man
# page and the README agree on the options.
. "$(dirname "$0")/lib.sh"

SRC=$ES_TESTDIR/../..
YAML=$ES_HELPERS/es-yaml
[ -x "$ES_BIN" ] || bail_out "ES_BIN=$ES_BIN is not an executable"
[ -x "$YAML" ] || bail_out "helper $YAML missing (make check builds it)"
tmpdir

# --- policies
n=0
for f in "$SRC"/policy/examples/*.yaml "$SRC"/contrib/default-policy.yaml; do
	if "$ES_BIN" check "$f" >"$T/check.out" 2>&1; then
		ok "check $(basename "$f")"
	else
		not_ok "check $(basename "$f")"
		diag_file "$T/check.out"
	fi
	n=$((n + 1))
done
check "at least the seven example policies ($n)" test "$n" -ge 8
for f in github debian-packages npm ai-agent; do
	check "policy/examples/$f.yaml exists" test -f "$SRC/policy/examples/$f.yaml"
done
"$YAML" "$SRC/contrib/k8s/configmap.yaml" 0 data policy.yaml >"$T/cm-policy.yaml"
RC=$?
is "$RC" 0 "the ConfigMap has data.policy.yaml"
"$ES_BIN" check "$T/cm-policy.yaml" >"$T/cm.out" 2>&1
RC=$?
is "$RC" 0 "the ConfigMap's policy passes check"
[ "$RC" = 0 ] || diag_file "$T/cm.out"
# the example files and what is documented stay the same policy
grep -q 'api.anthropic.com' "$T/cm-policy.yaml" && grep -q 'api.anthropic.com' "$SRC/policy/examples/ai-agent.yaml"
is "$?" 0 "the ConfigMap and ai-agent.yaml both allow the model API"

# --- Kubernetes manifests
for f in "$SRC"/contrib/k8s/*.yaml; do
	out=$("$YAML" "$f" 2>&1)
	like "$out" "^documents [1-9]" "$(basename "$f") parses"
	check "$(basename "$f") has apiVersion and kind" \
		sh -c '"$1" "$2" 0 apiVersion >/dev/null && "$1" "$2" 0 kind >/dev/null' sh "$YAML" "$f"
done
if "$PYTHON" -c 'import yaml' 2>/dev/null; then
	check "the manifests parse with PyYAML too" "$PYTHON" -c '
import sys, yaml
for f in sys.argv[1:]:
    list(yaml.safe_load_all(open(f)))' "$SRC"/contrib/k8s/*.yaml
fi
cm=$("$YAML" "$SRC/contrib/k8s/configmap.yaml" 0 metadata name)
D=$SRC/contrib/k8s/deployment.yaml
is "$("$YAML" "$D" 0 kind)" Deployment "deployment.yaml is a Deployment"
is "$("$YAML" "$D" 0 spec template spec volumes 1 configMap name)" "$cm" "the Deployment mounts the ConfigMap $cm"
is "$("$YAML" "$D" 0 spec template spec volumes 0 emptyDir 2>/dev/null; echo $?)" 1 \
	"the binary volume is an emptyDir (a mapping)"
is "$("$YAML" "$D" 0 spec template spec initContainers 0 command 2)" /opt/egress-supervise/ \
	"the init container copies the binary into the emptyDir"
is "$("$YAML" "$D" 0 spec template spec initContainers 0 volumeMounts 0 mountPath)" /opt/egress-supervise \
	"which it mounts at /opt/egress-supervise"
is "$("$YAML" "$D" 0 spec template spec containers 0 command 0)" /opt/egress-supervise/egress-supervise \
	"the application's entrypoint is egress-supervise"
is "$("$YAML" "$D" 0 spec template spec containers 0 command 2)" /etc/egress-supervise/policy.yaml \
	"with the policy from the ConfigMap's mount"
is "$("$YAML" "$D" 0 spec template spec containers 0 volumeMounts 1 mountPath)" /etc/egress-supervise \
	"mounted at /etc/egress-supervise"
is "$("$YAML" "$D" 0 spec template spec containers 0 command 5)" -- \
	"and the command after --"
check "nothing privileged in the manifests" \
	sh -c '! grep -Eq "privileged: *true|hostPath|hostNetwork|hostPID|add: *\[|CAP_SYS_ADMIN|SYS_ADMIN" "$@"' sh "$SRC"/contrib/k8s/*.yaml
is "$("$YAML" "$SRC/contrib/k8s/pod.yaml" 0 spec volumes 0 configMap name)" "$cm" "the Pod mounts the ConfigMap too"

# --- quadlet, Containerfile, scripts
Q=$SRC/contrib/podman/egress-supervise.container
for s in Unit Container Install; do
	check "the quadlet unit has [$s]" grep -q "^\[$s\]$" "$Q"
done
check "the quadlet unit names an image and a command" \
	sh -c 'grep -q "^Image=" "$1" && grep -q "^Exec=.* -- " "$1"' sh "$Q"
check "every quadlet line is a section, KEY=VALUE, a comment or empty" \
	sh -c '! grep -Evq "^(\[[A-Za-z]+\]|[A-Za-z]+=.*|#.*|)$" "$1"' sh "$Q"
C=$SRC/contrib/Containerfile
is "$(grep -c '^FROM ' "$C")" 2 "the Containerfile has two stages"
missing=$(grep -E '^COPY ' "$C" | grep -v -- '--from' | awk '{ print $2 }' |
	while read -r p; do [ -e "$SRC/$p" ] || echo "$p"; done)
is "$missing" "" "every COPY source of the Containerfile exists"
check "the Containerfile builds with the build dependencies of debian-deps.sh" \
	grep -q 'debian-deps.sh --build' "$C"
check "the runtime stage has the binary, the shim's directory and a policy" \
	sh -c 'grep -q "COPY --from=build /out/usr/bin/egress-supervise" "$1" &&
	       grep -q "/usr/lib/egress-supervise/" "$1" &&
	       grep -q "/etc/egress-supervise/" "$1"' sh "$C"
check "debian-deps.sh --list --build lists only build packages" \
	sh -c '! "$1" --list --build | grep -q nginx' sh "$SRC/contrib/debian-deps.sh"
for s in podman/run.sh podman/test-rootless.sh debian-deps.sh demo.sh; do
	check "contrib/$s parses" sh -c 'bash -n "$1"' sh "$SRC/contrib/$s"
done
check "run.sh has the exact rootless command" \
	grep -q 'podman --runtime runc --cgroup-manager=cgroupfs run .*--ulimit host --rootfs' "$SRC/contrib/podman/run.sh"
if command -v podman >/dev/null 2>&1; then
	skip "test-rootless.sh skips without podman" "podman is installed: run contrib/podman/test-rootless.sh"
else
	ES_BUILDDIR=$(dirname "$ES_BIN") bash "$SRC/contrib/podman/test-rootless.sh" >"$T/rootless.out" 2>&1
	is "$?" 77 "contrib/podman/test-rootless.sh skips (77) where podman is missing"
	check "and says why" grep -q '^1..0 # SKIP podman is not installed' "$T/rootless.out"
fi

# --- --help, the man page and the README agree
"$ES_BIN" --help >"$T/help.out"
is "$?" 0 "--help exits 0"
opts=$(grep -Eo '^  (-[a-zA-Z], )?--[a-z-]+' "$T/help.out" | grep -Eo -- '--[a-z-]+' | sort -u)
check "--help lists options ($(echo $opts | wc -w))" test "$(echo $opts | wc -w)" -ge 14
for o in $opts; do
	m=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
	if grep -q -- "$m" "$SRC/supervisor/egress-supervise.1" &&
		grep -q -- "\`$o" "$SRC/README.md"; then
		ok "$o is in egress-supervise(1) and the README"
	else
		not_ok "$o is in egress-supervise(1) and the README"
	fi
done
for c in check suggest exec; do
	check "egress-supervise(1) documents the $c subcommand" grep -q "^\.B egress-supervise $c" "$SRC/supervisor/egress-supervise.1"
	check "the README documents the $c subcommand" grep -q "egress-supervise $c" "$SRC/README.md"
done
"$ES_BIN" --version >"$T/version.out"
like "$(head -n 1 "$T/version.out")" "^egress-supervise [0-9]+\.[0-9]+" "--version: NAME VERSION on the first line"
"$ES_BIN" suggest --help >/dev/null && "$ES_BIN" exec --help >/dev/null && "$ES_BIN" check --help >/dev/null
is "$?" 0 "every subcommand has --help"

done_testing
