# shellcheck shell=bash
# tests/e2e/pptp-lib.sh - run REAL PPTP peers (Debian's pptpd and pptp-linux)
# in network namespaces, with pinhole-fakeppp standing in for pppd, for the
# end-to-end tests of pinhole. Source it from a bash test script (as root);
# docs/e2e.md explains how it works and what was observed.
#
# Every peer runs as
#   timeout -> ip netns exec NS -> unshare --mount --pid (private ns) -> peer
# In its private mount namespace /dev is a small tmpfs (null, zero, urandom,
# tty, a private devpts, /dev/log -> a syslog sink socket), /proc belongs to
# its pid namespace and /run is an empty tmpfs, so each pptp client has its own /var/run/pptp (call manager
# socket) and many clients can share one network namespace. The peer is
# pid 1 of its pid namespace: when it ends, or when the timeout fires, the
# kernel kills everything it left behind.
#
# Public functions (all return 0 on success, non-zero on failure):
#   pptp_lib_init BUILDDIR
#   pptp_server_start NS ADDR LOGDIR [pptpd.conf lines...]
#   pptp_client_start NS SERVER LOCALADDR LOGDIR [pptp options...]
#       env: PPTP_CALL_ID=N (1..65535) forces the client's call ID
#            PPTP_HOLD=SEC  client hangs up SEC s after LCP is up (0: never)
#   pptp_wait_established LOGDIR [TIMEOUT]
#   pptp_wait_all TIMEOUT LOGDIR...      (sets PPTP_N_OK, PPTP_N_FAILED)
#   pptp_client_ids LOGDIR               (prints "CALLID PEERCALLID")
#   pptp_server_sessions LOGDIR          (prints number of calls with LCP up)
#   pptp_check_pairing SERVER_LOGDIR CLIENT_LOGDIR...
#   pptp_client_stop LOGDIR / pptp_server_stop LOGDIR
#   pptp_stop_all
# The namespaces themselves come from tests/e2e/lib.sh (ph_topo_build,
# ph_ns, ph_cli_addr); any namespace works, and several clients may share
# one (give each its own LOCALADDR).
#
# Knobs (environment, read when a peer starts):
#   PPTP_RUN_TIMEOUT  hard cap in seconds on any peer process (default 90)
#   PPTP_GRACE        seconds a stopping client waits for pptp's call
#                     manager to send Call-Clear/Stop-Control (default 5)
#   PPTP_ECHO         fakeppp LCP echo interval in seconds (default 1)

PPTP_LIB=${BASH_SOURCE[0]}
PPTP_RUN_TIMEOUT=${PPTP_RUN_TIMEOUT:-90}
PPTP_GRACE=${PPTP_GRACE:-5}
PPTP_ECHO=${PPTP_ECHO:-1}

_pptp_log() {
	echo "pptp-lib: $*" >&2
}

# pptp_lib_init BUILDDIR: find the tools, make the state directory (sink
# sockets and the list of started processes). Call once per test script.
pptp_lib_init() {
	local builddir=$1 tool
	PPTP_FAKEPPP=${PPTP_FAKEPPP:-$builddir/pinhole-fakeppp}
	PPTP_SINK=${PPTP_SINK:-$(dirname "$PPTP_LIB")/syslog-sink.py}
	# /usr/bin/python3 first: a pyenv shim costs 0.3 s per start
	if [ -z "${PPTP_PYTHON:-}" ]; then
		PPTP_PYTHON=/usr/bin/python3
		[ -x "$PPTP_PYTHON" ] || PPTP_PYTHON=$(command -v python3)
	fi
	PPTP_LIB=$(readlink -f "$PPTP_LIB")
	if [ ! -x "$PPTP_FAKEPPP" ]; then
		_pptp_log "no $PPTP_FAKEPPP (build target pinhole-fakeppp)"
		return 1
	fi
	for tool in pptpd pptpctrl pptp unshare timeout ss "$PPTP_PYTHON"; do
		if ! command -v "$tool" >/dev/null 2>&1 &&
			[ ! -x "/usr/sbin/$tool" ]; then
			_pptp_log "missing $tool"
			return 1
		fi
	done
	PPTP_STATE=$(mktemp -d /tmp/pinhole-pptp.XXXXXX) || return 1
	: >"$PPTP_STATE/procs"
	PPTP_NSINK=0
	PPTP_SINKS=()
	return 0
}

# --- inside the private namespaces ---------------------------------------

# _pptp_ns_enter PIDFILE SINKSOCK CALLID CMD...: runs inside unshare (pid 1
# of a new pid namespace, private mount namespace). Builds the private /dev
# and /run, records our host pid (for a clean stop), then execs CMD.
_pptp_ns_enter() {
	local pidfile=$1 sink=$2 callid=$3 hostpid
	shift 3
	if ! _pptp_wait_file "$sink" 10; then
		echo "pptp-lib: syslog sink $sink did not start" >&2
		exit 126
	fi
	set -e
	mount -t tmpfs -o mode=755,size=1m pinhole-dev /dev
	mknod -m 666 /dev/null c 1 3
	mknod -m 666 /dev/zero c 1 5
	mknod -m 666 /dev/full c 1 7
	mknod -m 666 /dev/urandom c 1 9
	mknod -m 666 /dev/tty c 5 0
	if [ -n "$callid" ]; then
		# pptp-linux 1.10 takes its call ID from two bytes of
		# /dev/random (host order); a file makes it what we want.
		printf '%b' "\\0$(printf %03o $((callid & 255)))" \
			"\\0$(printf %03o $((callid >> 8)))" >/dev/random
	else
		mknod -m 666 /dev/random c 1 8
	fi
	mkdir /dev/pts /dev/shm
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts /dev/pts
	ln -s pts/ptmx /dev/ptmx
	ln -s /proc/self/fd /dev/fd
	ln -s "$sink" /dev/log
	mount -t tmpfs -o mode=755,size=4m pinhole-run /run
	# /proc is still the host's, so /proc/self is our host pid; then a
	# /proc of our own pid namespace (for tools that look up their pid)
	read -r hostpid _ </proc/self/stat
	echo "$hostpid" >"$pidfile"
	mount -t proc -o nosuid,nodev,noexec pinhole-proc /proc
	set +e
	exec "$@"
}

# _pptp_spawn NS PIDFILE SINKSOCK CALLID OUTFILE CMD...: start CMD in the
# background inside NS as described at the top; sets PPTP_SPAWNED_PID.
_pptp_spawn() {
	local ns=$1 pidfile=$2 sink=$3 callid=$4 out=$5
	shift 5
	rm -f "$pidfile"
	timeout -k 2 "$PPTP_RUN_TIMEOUT" \
		ip netns exec "$ns" \
		unshare --mount --pid --fork --kill-child --propagation private \
		bash "$PPTP_LIB" __ns_enter "$pidfile" "$sink" "$callid" "$@" \
		>"$out" 2>&1 </dev/null &
	PPTP_SPAWNED_PID=$!
}

# _pptp_wait_file FILE SECONDS: wait until FILE exists and is not empty.
_pptp_wait_file() {
	local f=$1 n=$(($2 * 20))
	while [ ! -s "$f" ] && [ ! -S "$f" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.05
	done
	return 0
}

# _pptp_sink_start LOGDIR: one syslog sink per log directory, writing
# LOGDIR/syslog.log (truncated first); sets PPTP_SINK_SOCK. Idempotent
# within one pptp_lib_init.
declare -gA PPTP_SINKS=()
_pptp_sink_start() {
	local logdir=$1 sock
	if [ -n "${PPTP_SINKS[$logdir]:-}" ]; then
		PPTP_SINK_SOCK=${PPTP_SINKS[$logdir]}
		return 0
	fi
	PPTP_NSINK=$((PPTP_NSINK + 1))
	sock=$PPTP_STATE/s$PPTP_NSINK.sock
	: >"$logdir/syslog.log"
	timeout -k 2 "$((PPTP_RUN_TIMEOUT + 5))" "$PPTP_PYTHON" "$PPTP_SINK" \
		--socket "$sock" --out "$logdir/syslog.log" \
		--timeout "$((PPTP_RUN_TIMEOUT + 3))" \
		>"$logdir/sink.out" 2>&1 </dev/null &
	echo "sink $! $logdir" >>"$PPTP_STATE/procs"
	# no waiting here: _pptp_ns_enter waits for the socket, so many
	# peers can be started at once
	PPTP_SINKS[$logdir]=$sock
	PPTP_SINK_SOCK=$sock
}

# --- server ----------------------------------------------------------------

# pptp_server_start NS ADDR LOGDIR [pptpd.conf lines...]: run pptpd in NS,
# listening on ADDR:1723, its "ppp" program being pinhole-fakeppp (one
# frame log per call in LOGDIR/calls/server-PID.log). pptpd's syslog goes
# to LOGDIR/syslog.log. Waits until the port listens (5 s at most).
pptp_server_start() {
	local ns=$1 addr=$2 logdir=$3 sock line n=100
	shift 3
	mkdir -p "$logdir/calls" || return 1
	logdir=$(readlink -f "$logdir")
	_pptp_sink_start "$logdir" || return 1
	sock=$PPTP_SINK_SOCK
	cat >"$logdir/ppp-wrapper" <<EOF
#!/bin/sh
# pptpctrl runs this instead of pppd, with the pty on stdin/stdout.
exec "$PPTP_FAKEPPP" --role server --log-dir "$logdir/calls" \\
	--timeout $((PPTP_RUN_TIMEOUT - 5)) --echo $PPTP_ECHO "\$@"
EOF
	chmod 755 "$logdir/ppp-wrapper"
	: >"$logdir/ppp-options"
	{
		echo "ppp $logdir/ppp-wrapper"
		echo "option $logdir/ppp-options"
		echo "debug"
		echo "stimeout 10"
		echo "listen $addr"
		echo "pidfile /run/pptpd.pid"
		echo "connections 240"
		echo "localip 192.168.77.1"
		echo "remoteip 192.168.77.10-250"
		for line in "$@"; do
			echo "$line"
		done
	} >"$logdir/pptpd.conf"
	_pptp_spawn "$ns" "$logdir/server.pid" "$sock" "" "$logdir/pptpd.out" \
		/usr/sbin/pptpd --fg --conf "$logdir/pptpd.conf"
	echo "server $PPTP_SPAWNED_PID $logdir" >>"$PPTP_STATE/procs"
	while ! ip netns exec "$ns" ss -Hltn "sport = :1723" 2>/dev/null |
		grep -q .; do
		n=$((n - 1))
		if [ "$n" -le 0 ] || ! kill -0 "$PPTP_SPAWNED_PID" 2>/dev/null
		then
			_pptp_log "pptpd in $ns did not start; see $logdir"
			return 1
		fi
		sleep 0.05
	done
	return 0
}

# pptp_server_sessions LOGDIR: print how many calls reached LCP up on the
# server side (one fakeppp frame log per call).
pptp_server_sessions() {
	local logdir=$1
	grep -l " event lcp-up " "$logdir"/calls/server-*.log 2>/dev/null |
		wc -l
}

# --- client ----------------------------------------------------------------

# pptp_client_start NS SERVER LOCALADDR LOGDIR [pptp options...]: run
# "pptp SERVER --nolaunchpppd --localbind LOCALADDR" under pinhole-fakeppp
# in NS. Frame log: LOGDIR/frames.log; pptp's syslog: LOGDIR/syslog.log.
# Returns at once; use pptp_wait_established.
pptp_client_start() {
	local ns=$1 server=$2 laddr=$3 logdir=$4 sock name
	shift 4
	mkdir -p "$logdir" || return 1
	logdir=$(readlink -f "$logdir")
	rm -f "$logdir/frames.log"
	_pptp_sink_start "$logdir" || return 1
	sock=$PPTP_SINK_SOCK
	if [ -n "${PPTP_CALL_ID:-}" ] &&
		{ [ "$PPTP_CALL_ID" -lt 1 ] || [ "$PPTP_CALL_ID" -gt 65535 ]; }
	then
		_pptp_log "PPTP_CALL_ID must be 1..65535 (0 means random)"
		return 1
	fi
	name=$(basename "$logdir")
	_pptp_spawn "$ns" "$logdir/client.pid" "$sock" "${PPTP_CALL_ID:-}" \
		"$logdir/client.out" \
		"$PPTP_FAKEPPP" --role client --log "$logdir/frames.log" \
		--timeout "$((PPTP_RUN_TIMEOUT - 5))" --hold "${PPTP_HOLD:-0}" \
		--grace "$PPTP_GRACE" --echo "$PPTP_ECHO" --exec -- \
		pptp "$server" --nolaunchpppd --localbind "$laddr" \
		--nohostroute --logstring "$name" "$@"
	echo "client $PPTP_SPAWNED_PID $logdir" >>"$PPTP_STATE/procs"
	return 0
}

# _pptp_client_state LOGDIR: print "ok", "fail:<why>" or "wait:<what>".
_pptp_client_state() {
	local d=$1
	if grep -q "Outgoing call established" "$d/syslog.log" 2>/dev/null &&
		grep -q " event lcp-up " "$d/frames.log" 2>/dev/null &&
		grep -q " rx LCP " "$d/frames.log" &&
		grep -q " tx LCP " "$d/frames.log"; then
		echo "ok"
	elif grep -q "has not been accepted" "$d/syslog.log" 2>/dev/null; then
		echo "fail:OCRP-not-accepted"
	elif grep -q "peer has closed" "$d/syslog.log" 2>/dev/null; then
		echo "fail:control-connection-closed-by-server"
	elif grep -q " exit status=[1-9]" "$d/frames.log" 2>/dev/null; then
		echo "fail:fakeppp-$(sed -n 's/.* exit status=\([0-9]*\) reason=\([^ ]*\).*/\1-\2/p' "$d/frames.log")"
	elif ! grep -q "Outgoing call established" "$d/syslog.log" 2>/dev/null
	then
		echo "wait:no-OCRP-result-1"
	else
		echo "wait:no-LCP-both-ways"
	fi
}

# pptp_wait_established LOGDIR [TIMEOUT]: wait (default 20 s) until the
# client's call is established (pptp logged "Outgoing call established",
# i.e. OCRP result code 1) and LCP frames went both ways (fakeppp logged
# lcp-up: our Configure-Request acked and the peer's acked by us).
pptp_wait_established() {
	local d=$1 n=$((${2:-20} * 10)) st
	while :; do
		st=$(_pptp_client_state "$d")
		case $st in
		ok) return 0 ;;
		fail:*) break ;;
		esac
		n=$((n - 1))
		[ "$n" -gt 0 ] || break
		sleep 0.1
	done
	_pptp_log "$d: ${st#*:}"
	return 1
}

# pptp_wait_all TIMEOUT LOGDIR...: wait for all clients together; prints
# one line per client ("name ok callid=.. peer=.." or "name FAIL why").
# Sets PPTP_N_OK and PPTP_N_FAILED; returns 0 when all are established.
pptp_wait_all() {
	local n=$(($1 * 10)) d st pending ids
	shift
	while :; do
		pending=0
		for d in "$@"; do
			case $(_pptp_client_state "$d") in
			wait:*) pending=1 ;;
			esac
		done
		[ "$pending" -eq 0 ] && break
		n=$((n - 1))
		[ "$n" -gt 0 ] || break
		sleep 0.1
	done
	PPTP_N_OK=0
	PPTP_N_FAILED=0
	for d in "$@"; do
		st=$(_pptp_client_state "$d")
		if [ "$st" = ok ]; then
			PPTP_N_OK=$((PPTP_N_OK + 1))
			ids=$(pptp_client_ids "$d")
			echo "  $(basename "$d") ok callid=${ids% *} peer=${ids#* }"
		else
			PPTP_N_FAILED=$((PPTP_N_FAILED + 1))
			echo "  $(basename "$d") FAIL ${st#*:}"
		fi
	done
	[ "$PPTP_N_FAILED" -eq 0 ]
}

# pptp_client_ids LOGDIR: print "CALLID PEERCALLID" of the established call
# (our PNS call ID as pptp chose it, and the server's PAC call ID).
pptp_client_ids() {
	sed -n "s/.*Outgoing call established (call ID \([0-9]*\), peer's call ID \([0-9]*\)).*/\1 \2/p" \
		"$1/syslog.log" 2>/dev/null | head -n 1
}

# _pptp_magics FILE: print "LOCAL PEER" magic numbers from a frame log.
_pptp_magics() {
	sed -n 's/.* event lcp-up local-magic=\(0x[0-9a-f]*\) peer-magic=\(0x[0-9a-f]*\).*/\1 \2/p' \
		"$1" 2>/dev/null | head -n 1
}

# pptp_check_pairing SERVER_LOGDIR CLIENT_LOGDIR...: check that each
# client's LCP peer is exactly one server call whose LCP peer is that
# client (by LCP magic numbers), i.e. no GRE went to the wrong call.
pptp_check_pairing() {
	local sdir=$1 d f cm sm bad=0 hits
	shift
	for d in "$@"; do
		cm=$(_pptp_magics "$d/frames.log")
		if [ -z "$cm" ]; then
			echo "  $(basename "$d"): no LCP up"
			bad=1
			continue
		fi
		hits=0
		for f in "$sdir"/calls/server-*.log; do
			sm=$(_pptp_magics "$f")
			[ "$sm" = "${cm#* } ${cm% *}" ] && hits=$((hits + 1))
		done
		if [ "$hits" -ne 1 ]; then
			echo "  $(basename "$d"): $hits server calls match magic $cm"
			bad=1
		fi
	done
	return "$bad"
}

# --- stopping --------------------------------------------------------------

# _pptp_stop KIND PID LOGDIR: TERM the peer itself (graceful: the client
# sends LCP Terminate, closes the pty, pptp clears the call), then the
# wrapper; KILL what is left after the grace time.
_pptp_stop() {
	local kind=$1 pid=$2 logdir=$3 inner=""
	case $kind in
	client) inner=$(cat "$logdir/client.pid" 2>/dev/null) ;;
	server) inner=$(cat "$logdir/server.pid" 2>/dev/null) ;;
	esac
	if [ -n "$inner" ]; then
		kill -TERM "$inner" 2>/dev/null
	else
		kill -TERM "$pid" 2>/dev/null
	fi
}

# _pptp_reap PID SECONDS: wait for PID to go, then kill it.
_pptp_reap() {
	local pid=$1 n=$(($2 * 10))
	while kill -0 "$pid" 2>/dev/null && [ "$n" -gt 0 ]; do
		n=$((n - 1))
		sleep 0.1
	done
	kill -TERM "$pid" 2>/dev/null
	sleep 0.1
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 0
}

# _pptp_stop_kind KIND [LOGDIR]: stop all registered processes of a kind
# (or just the one for LOGDIR), in parallel, bounded by the grace time.
_pptp_stop_kind() {
	local kind=$1 only=${2:-} k pid dir pids=()
	[ -f "${PPTP_STATE:-}/procs" ] || return 0
	while read -r k pid dir; do
		[ "$k" = "$kind" ] || continue
		[ -z "$only" ] || [ "$dir" = "$only" ] || continue
		_pptp_stop "$k" "$pid" "$dir"
		pids+=("$pid")
	done <"$PPTP_STATE/procs"
	for pid in "${pids[@]}"; do
		_pptp_reap "$pid" "$((PPTP_GRACE + 3))"
	done
	return 0
}

# pptp_client_stop LOGDIR: hang up one client and wait until it is gone.
pptp_client_stop() {
	_pptp_stop_kind client "$(readlink -f "$1")"
}

# pptp_server_stop LOGDIR: stop pptpd (its calls die with its namespace).
pptp_server_stop() {
	_pptp_stop_kind server "$(readlink -f "$1")"
}

# pptp_stop_all: stop every client, then every server, then the syslog
# sinks started through this library, and remove the state directory.
# Safe to call more than once (e.g. from an EXIT trap).
pptp_stop_all() {
	[ -n "${PPTP_STATE:-}" ] && [ -d "$PPTP_STATE" ] || return 0
	_pptp_stop_kind client
	_pptp_stop_kind server
	_pptp_stop_kind sink
	rm -f "$PPTP_STATE"/procs "$PPTP_STATE"/*.sock
	rmdir "$PPTP_STATE" 2>/dev/null
	PPTP_SINKS=()
	PPTP_STATE=
	return 0
}

# Entry point for the inside of the namespaces (see _pptp_spawn).
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "${1:-}" = __ns_enter ]; then
	shift
	_pptp_ns_enter "$@"
	exit 127
fi
