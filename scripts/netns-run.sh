#!/usr/bin/env bash
# Run a command inside a private, throw-away network namespace.
#
#   scripts/netns-run.sh <command> [args...]
#
# Why: libwebrtc (and libjuice) never gather loopback candidates, so WebRTC
# tests need a non-loopback address. Instead of touching the machine's real
# interfaces, this creates a namespace "pbtest-<pid>" containing:
#   lo                     up (127.0.0.1, ::1)
#   pb0  10.203.0.1/24     one end of a veth pair
#   pb1  10.203.0.2/24     the other end, in the SAME namespace
# There is no default route, so anything aimed outside (DNS, registries, STUN)
# fails at once with ENETUNREACH instead of timing out. Set
# PATCHBAY_NETNS_DEFAULT_ROUTE=1 to add "default via 10.203.0.2 dev pb0" for
# code that needs a default-route address (e.g. Chromium's default-route-only
# WebRTC IP handling); such packets are then silently dropped at pb1 (IP
# forwarding is off in a new namespace), so they still never leave it.
# IPv6 is disabled on pb0/pb1 only (avoids DAD-tentative link-local addresses
# appearing mid-test); lo keeps ::1. The namespace has no link to the host's
# network, so nothing run inside can send traffic outside it.
#
# Exported to the command: PATCHBAY_NETNS=<name>, PATCHBAY_TEST_IP=10.203.0.1,
# PATCHBAY_TEST_IP2=10.203.0.2. Working directory, environment and stdin are
# preserved; the command's exit status is returned (128+N if killed by signal N).
# If PATCHBAY_NETNS is already set, the command is simply exec'd.
#
# On exit (normal, error, or SIGINT/SIGTERM/SIGHUP, which are forwarded to the
# command), processes still left inside the namespace are terminated (TERM,
# then KILL after 3 s) and the namespace is deleted. Setup failures exit 125.
# Namespaces named pbtest-<pid> whose <pid> is no longer alive (left by a run
# that was SIGKILLed) are deleted at start-up.
set -uo pipefail

readonly SETUP_FAILED=125

die() {
  echo "netns-run: $*" >&2
  exit "$SETUP_FAILED"
}

if [[ $# -eq 0 ]]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 2
fi

if [[ -n "${PATCHBAY_NETNS:-}" ]]; then
  exec "$@"
fi

if [[ "$(id -u)" -ne 0 ]]; then
  die "must run as root (network namespaces need CAP_SYS_ADMIN); try: sudo -E $0 $*"
fi

export PATH="$PATH:/usr/sbin:/sbin"
command -v ip >/dev/null 2>&1 || die "'ip' not found; install iproute2 (apt-get install iproute2)"

# Remove namespaces left behind by runs that could not clean up (SIGKILL).
while read -r stale _; do
  [[ "$stale" =~ ^pbtest-([0-9]+)(-[0-9]+)?$ ]] || continue
  if ! kill -0 "${BASH_REMATCH[1]}" 2>/dev/null; then
    ip netns del "$stale" 2>/dev/null || true
  fi
done < <(ip netns list 2>/dev/null)

NS="pbtest-$$"
if ip netns list 2>/dev/null | grep -qE "^${NS}( |$)"; then
  NS="pbtest-$$-$RANDOM"
fi

child=""
created=0

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [[ $created -eq 1 ]]; then
    local pids
    pids="$(ip netns pids "$NS" 2>/dev/null | tr '\n' ' ')"
    if [[ -n "${pids// /}" ]]; then
      # shellcheck disable=SC2086
      kill -TERM $pids 2>/dev/null || true
      for _ in $(seq 1 30); do
        pids="$(ip netns pids "$NS" 2>/dev/null | tr '\n' ' ')"
        [[ -z "${pids// /}" ]] && break
        sleep 0.1
      done
      # shellcheck disable=SC2086
      [[ -n "${pids// /}" ]] && kill -KILL $pids 2>/dev/null || true
    fi
    ip netns del "$NS" 2>/dev/null || echo "netns-run: warning: could not delete namespace $NS" >&2
  fi
  exit "$rc"
}

on_signal() {
  local sig=$1 num=$2
  if [[ -n "$child" ]]; then
    kill -s "$sig" "$child" 2>/dev/null || true
  else
    exit $((128 + num))
  fi
}

trap cleanup EXIT
trap 'on_signal INT 2' INT
trap 'on_signal TERM 15' TERM
trap 'on_signal HUP 1' HUP

ip netns add "$NS" || die "could not create network namespace $NS"
created=1

nsx() { ip -n "$NS" "$@" || die "setup failed: ip -n $NS $*"; }

nsx link set lo up
# New interfaces inherit conf/default; set it before creating the veth pair.
ip netns exec "$NS" sh -c 'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6' 2>/dev/null || true
nsx link add pb0 type veth peer name pb1
nsx addr add 10.203.0.1/24 dev pb0
nsx addr add 10.203.0.2/24 dev pb1
nsx link set pb0 up
nsx link set pb1 up
if [[ "${PATCHBAY_NETNS_DEFAULT_ROUTE:-0}" == 1 ]]; then
  nsx route add default via 10.203.0.2 dev pb0
fi

export PATCHBAY_NETNS="$NS"
export PATCHBAY_TEST_IP=10.203.0.1
export PATCHBAY_TEST_IP2=10.203.0.2

# Run in the background so signals sent to this script can be forwarded and
# the cleanup trap runs promptly. Without job control bash would give a
# background job /dev/null as stdin, so pass ours explicitly via fd 3.
# Bash also makes background jobs ignore SIGINT/SIGQUIT; undo that with
# env --default-signal (coreutils >= 8.31) so a forwarded Ctrl-C works.
reset_signals=()
if env --default-signal=INT,QUIT true 2>/dev/null; then
  reset_signals=(env --default-signal=INT,QUIT)
fi
{ exec 3<&0; } 2>/dev/null || exec 3</dev/null
ip netns exec "$NS" "${reset_signals[@]}" "$@" <&3 3<&- &
child=$!
exec 3<&-

# `wait` returns early (status > 128) when a trapped signal arrives; keep
# waiting until the child has really gone, then collect its real status.
while kill -0 "$child" 2>/dev/null; do
  wait "$child"
done
wait "$child"
exit $?
