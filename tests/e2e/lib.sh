# tests/e2e/lib.sh - network-namespace topology helpers for end-to-end tests.
# Source it from bash; it defines functions and variables, runs nothing.
#
# Topology (ph_topo_build N), every namespace named ph-<pid>-<role> so
# parallel runs never collide, and traffic stays between these namespaces:
#
#   cli1 10.1.1.11 --+
#   cli2 10.1.1.12 --+-- [sw: bridge br0] -- inside  [gw] outside -- eth0 [srv]
#   ...  10.1.1.1N --+                       10.1.1.1  172.18.124.152  172.18.124.99
#
#   - clients: eth0 10.1.1.(10+i)/24, default via 10.1.1.1
#   - sw: a bridge in its own namespace, so bridged client traffic never
#     meets the gateway's netfilter hooks (br_netfilter is built in here)
#   - gw: "inside" 10.1.1.1/24 and "outside" 172.18.124.152/24 (the PIX
#     seed's addresses and nameif names), ip_forward=1, accept_local=1 on
#     inside, rp_filter=0 (see docs/architecture.md, "Data plane")
#   - srv: eth0 172.18.124.99/24, default via 172.18.124.152 (so un-NATed
#     test traffic can return; NAT tests remove it with ph_srv_no_return)
#
# Use:
#   . "$PH_SRCDIR/tests/e2e/lib.sh"
#   ph_require_root || exit 0
#   ph_trap_cleanup
#   ph_topo_build 2
#   ph_in cli1 ping -c1 -W1 172.18.124.99
#
# Background processes started with ph_bg are killed by the cleanup; the
# cleanup deletes every namespace this shell created, on any exit.

PH_NS_PREFIX="ph-$$-"
PH_NS_MADE=()
PH_BG_PIDS=()
PH_TMP=""

PH_IN_NET=10.1.1
PH_GW_IN=10.1.1.1
PH_OUT_NET=172.18.124
PH_GW_OUT=172.18.124.152
PH_SRV=172.18.124.99

ph_log() {
	printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

# Exit status 1 with a SKIP line when not root (callers: `|| exit 0`).
ph_require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: not root (network namespaces and nftables need root)"
		return 1
	fi
	return 0
}

# ph_require_cmds CMD...: SKIP line and status 1 when one is missing.
ph_require_cmds() {
	local c
	for c in "$@"; do
		if ! command -v "$c" >/dev/null 2>&1; then
			echo "SKIP: $c not installed"
			return 1
		fi
	done
	return 0
}

# Full namespace name of a role.
ph_ns() {
	printf '%s%s' "$PH_NS_PREFIX" "$1"
}

# ph_in ROLE CMD...: run CMD inside the role's namespace.
ph_in() {
	local role=$1
	shift
	ip netns exec "$(ph_ns "$role")" "$@"
}

ph_ns_add() {
	local ns
	ns=$(ph_ns "$1")
	ip netns add "$ns" || return 1
	PH_NS_MADE+=("$ns")
	ip -n "$ns" link set lo up
}

# ph_bg ROLE LOGFILE CMD...: start CMD in the background inside ROLE;
# its pid is in $PH_LAST_PID and it is killed on cleanup.
ph_bg() {
	local role=$1 log=$2
	shift 2
	ip netns exec "$(ph_ns "$role")" "$@" >"$log" 2>&1 &
	PH_LAST_PID=$!
	PH_BG_PIDS+=("$PH_LAST_PID")
}

# Make the temporary directory $PH_TMP, removed on cleanup.  Call it
# directly (not in $(...), whose subshell would lose the variable).
ph_mktemp() {
	if [ -z "$PH_TMP" ]; then
		PH_TMP=$(mktemp -d "/tmp/ph-e2e-$$-XXXXXX") || return 1
	fi
}

ph_cleanup() {
	local pid ns
	for pid in "${PH_BG_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	sleep 0.2
	for pid in "${PH_BG_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	PH_BG_PIDS=()
	for ns in "${PH_NS_MADE[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	PH_NS_MADE=()
	# belt and braces: anything with our prefix (e.g. a half-built run)
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' |
		grep "^${PH_NS_PREFIX}"); do
		ip netns del "$ns" 2>/dev/null
	done
	if [ -n "$PH_TMP" ]; then
		rm -rf "$PH_TMP"
		PH_TMP=""
	fi
}

ph_trap_cleanup() {
	trap 'ph_cleanup' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# ph_veth NS_ROLE_A NAME_A NS_ROLE_B NAME_B: a veth pair between namespaces
# (created inside A, so no name ever appears in the caller's namespace).
ph_veth() {
	ip -n "$(ph_ns "$1")" link add "$2" type veth peer name "$4" \
		netns "$(ph_ns "$3")" || return 1
	ip -n "$(ph_ns "$1")" link set "$2" up
	ip -n "$(ph_ns "$3")" link set "$4" up
}

# Gateway sysctls (the daemon sets none itself; see docs/architecture.md).
ph_gw_sysctls() {
	ph_in gw sysctl -qw net.ipv4.ip_forward=1
	ph_in gw sysctl -qw net.ipv4.conf.all.rp_filter=0
	ph_in gw sysctl -qw net.ipv4.conf.inside.rp_filter=0
	ph_in gw sysctl -qw net.ipv4.conf.inside.accept_local=1
	ph_in gw sysctl -qw net.ipv4.conf.outside.rp_filter=0
}

# ph_topo_build [NCLIENTS=2]
ph_topo_build() {
	local n=${1:-2} i
	ph_ns_add gw && ph_ns_add srv && ph_ns_add sw || return 1
	ph_in sw ip link add br0 type bridge || return 1
	ph_in sw ip link set br0 up
	ph_veth gw inside sw gwport || return 1
	ph_in sw ip link set gwport master br0
	ph_veth gw outside srv eth0 || return 1
	ph_in gw ip addr add "$PH_GW_IN/24" dev inside
	ph_in gw ip addr add "$PH_GW_OUT/24" dev outside
	ph_in srv ip addr add "$PH_SRV/24" dev eth0
	ph_in srv ip route add default via "$PH_GW_OUT"
	for i in $(seq 1 "$n"); do
		ph_ns_add "cli$i" || return 1
		ph_veth "cli$i" eth0 sw "c$i" || return 1
		ph_in sw ip link set "c$i" master br0
		ph_in "cli$i" ip addr add "$(ph_cli_addr "$i")/24" dev eth0
		ph_in "cli$i" ip route add default via "$PH_GW_IN"
	done
	ph_gw_sysctls
	PH_NCLIENTS=$n
}

# Address of client i.
ph_cli_addr() {
	printf '%s.%d' "$PH_IN_NET" $((10 + $1))
}

# The server no longer routes the inside network back (NAT tests).
ph_srv_no_return() {
	ph_in srv ip route del default 2>/dev/null
	return 0
}

# ph_wait_line FILE REGEX SECONDS: wait until FILE has a line matching.
ph_wait_line() {
	local file=$1 re=$2 secs=$3 t=0
	while [ "$t" -lt $((secs * 10)) ]; do
		grep -Eq -- "$re" "$file" 2>/dev/null && return 0
		sleep 0.1
		t=$((t + 1))
	done
	return 1
}

# ph_wait_exit PID SECONDS: wait for a background child to exit.
ph_wait_exit() {
	local pid=$1 secs=$2 t=0
	while kill -0 "$pid" 2>/dev/null; do
		[ "$t" -ge $((secs * 10)) ] && return 1
		sleep 0.1
		t=$((t + 1))
	done
	wait "$pid" 2>/dev/null
	return 0
}

# ICMP echo without ping(8), which the CI image lacks.
PH_ICMP_ECHO="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/icmp_echo.py"

# ph_ping ROLE DST [COUNT]: true when every echo comes back.
ph_ping() {
	ph_in "$1" timeout 20 python3 "$PH_ICMP_ECHO" -c "${3:-3}" -W 1 "$2" \
		>/dev/null 2>&1
}

# ph_ping_none ROLE DST: true when not one of 3 echoes comes back.
ph_ping_none() {
	ph_in "$1" timeout 20 python3 "$PH_ICMP_ECHO" -c 3 -W 1 "$2" 2>&1 |
		grep -q 'received=0$'
}

# Check results: ok/bad print one line each under the current $STEP, bad
# counts it in $FAILS; check runs a command and reports its status.  A
# script that labels its lines otherwise defines its own after sourcing.
ok() { printf 'ok   %s: %s\n' "$STEP" "$1"; }
bad() {
	printf 'FAIL %s: %s\n' "$STEP" "$1"
	FAILS=$((FAILS + 1))
}
check() { # check DESCRIPTION CMD...
	local d=$1
	shift
	if "$@"; then ok "$d"; else bad "$d"; fi
}
