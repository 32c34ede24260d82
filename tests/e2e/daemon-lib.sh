# tests/e2e/daemon-lib.sh - run pinholed in the gateway namespace of
# tests/e2e/lib.sh and talk to it.  Source it after lib.sh; it defines
# functions and variables, runs nothing.
#
#   phd_init BUILDDIR DIR     binaries, and where logs and sockets go
#   phd_start CONF [ARGS...]  pinholed -d -f CONF in gw; waits for
#                             "started:" (10 s); 1 if it failed (log shown);
#                             $PH_PHD_EXTRA is added to every start
#   phd_stop [SIGNAL]         signal it (TERM), wait (10 s); sets PHD_RC
#   phd_ctl ARGS...           pinholectl on the full socket
#   phd_ctl_ro ARGS...        pinholectl on the read-only socket
#   phd_wait_log REGEX [SECS] wait for a line in the daemon's output
#   phd_log_count REGEX       how many lines match
#   phd_rules NAME <<EOF      write a rule file DIR/NAME.conf from stdin
#   wait_listen NS -u|-t PORT a listener on PORT in NS (5 s)
#   peer_seen PROTO CLIENT DST PORT EXPECT [SERVER_NS]
#                             the server (srv unless told) saw the client
#                             as EXPECT ($TRAFFIC peer-echo)
#   phd_script NAME SECS      the frame of a daemon e2e script, after
#                             $build is set: check_log here and
#                             ok/bad/check from lib.sh (FAILS, STEP), logs
#                             kept in
#                             $build/e2e-logs/NAME ($LOGS), a temp dir ($T)
#                             with phd_init done, a watchdog of SECS and
#                             the clean-up on exit (daemon, namespaces)
#
# The daemon's stderr (-d: every PIX line and its own messages) is in
# $PHD_LOG; each start appends a "=== start N" marker so later greps can
# use phd_log_since.

PHD_BIN=""
PHD_CTL_BIN=""
PHD_DIR=""
PHD_LOG=""
PHD_PID=""
PHD_RC=""
PHD_SOCK=""
PHD_RO=""
PHD_STARTS=0

phd_init() {
	PHD_BIN=$1/pinholed
	PHD_CTL_BIN=$1/pinholectl
	PHD_DIR=$2
	PHD_LOG=$PHD_DIR/pinholed.log
	PHD_SOCK=$PHD_DIR/ctl.sock
	PHD_RO=$PHD_DIR/ctl-ro.sock
	: >"$PHD_LOG"
	[ -x "$PHD_BIN" ] && [ -x "$PHD_CTL_BIN" ]
}

phd_rules() {
	cat >"$PHD_DIR/$1.conf"
}

phd_start() {
	local conf=$1
	shift
	PHD_STARTS=$((PHD_STARTS + 1))
	echo "=== start $PHD_STARTS" >>"$PHD_LOG"
	# PH_PHD_EXTRA: more options for every start (e.g. "--queues 2" to
	# run a whole e2e script against the threaded daemon)
	# shellcheck disable=SC2086 # split on purpose
	ip netns exec "$(ph_ns gw)" "$PHD_BIN" -d -f "$conf" \
		-c "$PHD_SOCK" -r "$PHD_RO" "$@" ${PH_PHD_EXTRA:-} \
		>>"$PHD_LOG" 2>&1 &
	PHD_PID=$!
	PH_BG_PIDS+=("$PHD_PID")
	local t=0
	while [ $t -lt 100 ]; do
		if phd_log_since | grep -q 'pinholed: started:'; then
			return 0
		fi
		if ! kill -0 "$PHD_PID" 2>/dev/null; then
			break
		fi
		sleep 0.1
		t=$((t + 1))
	done
	echo "pinholed did not start; its output:"
	phd_log_since | sed 's/^/    | /'
	return 1
}

phd_stop() {
	local sig=${1:-TERM}
	PHD_RC=""
	[ -n "$PHD_PID" ] || return 1
	# (stderr off: bash reports "Killed" when it reaps a kill -9 victim)
	{
		kill -"$sig" "$PHD_PID"
		local t=0
		while kill -0 "$PHD_PID"; do
			[ $t -ge 100 ] && return 1
			sleep 0.1
			t=$((t + 1))
		done
		wait "$PHD_PID"
		PHD_RC=$?
	} 2>/dev/null
	PHD_PID=""
	return 0
}

# Output of the current (last) run only.
phd_log_since() {
	awk -v n="=== start $PHD_STARTS" '$0 == n { on = 1; next } on' \
		"$PHD_LOG"
}

phd_wait_log() {
	local re=$1 secs=${2:-5} t=0
	while [ $t -lt $((secs * 10)) ]; do
		phd_log_since | grep -Eq -- "$re" && return 0
		sleep 0.1
		t=$((t + 1))
	done
	return 1
}

phd_log_count() {
	phd_log_since | grep -Ec -- "$1"
}

phd_ctl() {
	timeout 20 "$PHD_CTL_BIN" -s "$PHD_SOCK" "$@"
}

phd_ctl_ro() {
	timeout 20 "$PHD_CTL_BIN" -s "$PHD_RO" "$@"
}

check_log() { # check_log DESCRIPTION REGEX [SECS]
	if phd_wait_log "$2" "${3:-5}"; then
		ok "$1: $(phd_log_since | grep -E -- "$2" | tail -1 | cut -c1-160)"
	else
		bad "$1 (no line matching: $2)"
	fi
}

phd_cleanup() {
	trap - EXIT INT TERM
	[ -n "${PHD_WATCHDOG:-}" ] && kill "$PHD_WATCHDOG" 2>/dev/null
	if [ -n "$PHD_PID" ]; then
		kill -CONT "$PHD_PID" 2>/dev/null # a test may have stopped it
		kill -TERM "$PHD_PID" 2>/dev/null
		sleep 0.5
	fi
	[ -d "${T:-}" ] && cp -a "$T/." "$LOGS/" 2>/dev/null
	ph_cleanup
}

phd_script() { # phd_script NAME SECS
	FAILS=0
	STEP=""
	LOGS=$build/e2e-logs/$1
	trap phd_cleanup EXIT
	trap 'echo "FAIL: interrupted or watchdog fired"; FAILS=1; exit 1' \
		INT TERM
	(
		trap 'kill "$s" 2>/dev/null; exit 0' TERM
		sleep "$2" &
		s=$!
		wait "$s" && kill -TERM $$
	) >/dev/null 2>&1 </dev/null &
	PHD_WATCHDOG=$!
	ph_mktemp || return 1
	T=$PH_TMP
	rm -rf "$LOGS"
	mkdir -p "$LOGS"
	if ! phd_init "$build" "$T"; then
		echo "FAIL: $build/pinholed or pinholectl not built"
		return 1
	fi
}

wait_listen() { # wait_listen NS -u|-t PORT
	local t=0
	while [ $t -lt 50 ]; do
		ph_in "$1" ss -Hln "$2" "sport = :$3" 2>/dev/null | grep -q . &&
			return 0
		sleep 0.1
		t=$((t + 1))
	done
	return 1
}

# peer_seen PROTO CLIENT DST PORT EXPECT [SERVER_NS]: the server's view
# of the client's address is EXPECT.  The client command runs as
# "$PEER_RUN CLIENT CMD..." (default ph_in: CLIENT is a namespace role).
peer_seen() {
	local proto=$1 cli=$2 dst=$3 port=$4 want=$5 srvns=${6:-srv} got pid
	ph_bg "$srvns" "$T/peer-$port.log" $TRAFFIC peer-echo "$proto" \
		"$port" 8
	pid=$PH_LAST_PID
	wait_listen "$srvns" "-${proto:0:1}" "$port"
	if [ "$proto" = udp ]; then
		got=$(echo probe | ${PEER_RUN:-ph_in} "$cli" timeout 5 socat \
			-t 3 - "UDP4-SENDTO:$dst:$port" 2>/dev/null | head -1)
	else
		got=$(${PEER_RUN:-ph_in} "$cli" timeout 5 socat -u \
			"TCP4:$dst:$port" - 2>/dev/null | head -1)
	fi
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ "$got" = "$want" ] || {
		echo "    (server saw '$got', expected '$want')"
		return 1
	}
}

# Packets the kernel dropped from its per-CPU input backlogs (all
# namespaces; /proc/net/softnet_stat column 2): a busy machine's losses.
softnet_drops() {
	local sum=0 a b rest
	while read -r a b rest; do
		sum=$((sum + 16#$b))
	done </proc/net/softnet_stat
	echo "$sum"
}

# pinhole's own losses: engine drops, kernel queue drops (JSON counters).
pinhole_drops() {
	phd_ctl -j show counters | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["engine"]["pkts_dropped"] + d["queue"]["kernel_queue_dropped"]
      + d["queue"]["kernel_user_dropped"] + d["queue"]["enobufs"])'
}
