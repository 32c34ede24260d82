#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/e2e/run-ctl-attack.sh BUILDDIR - hostile clients on the control
# sockets of the REAL pinholed (tests/ctl/run-ctl.sh covers the same
# module inside tools/ctl-testd), in the namespace topology of
# tests/e2e/lib.sh, with tests/e2e/ctl-attack.py as the raw client.
#
#   sockets    modes and owners as docs/control.md says (full 0660
#              root:root, or root:GROUP with --group; read-only 0666)
#   privileges /proc/PID/status after set-up: CapEff = CapPrm = CapBnd =
#              CAP_NET_ADMIN only, CapInh = CapAmb = 0, NoNewPrivs 1;
#              with --user also the uid and gid
#   garbage    junk and bad headers: E_PROTO/E_TOOBIG, closed, logged
#   oversize   declared 4097 bytes and 1 MiB: E_TOOBIG, closed; 4096
#              bytes served; 17 words, a 2000-byte word: E_INVALID
#   split      a request byte by byte, two in one write, header and body
#              1 s apart
#   clear      clear access-list [NAME] counters zeroes hit counts (and
#              clear counters does not, as on a PIX); an unknown ACL is
#              an error; clear service-policy inspect pptp
#   read-only  as user nobody: every WRITE command refused (pinholectl
#              exit 5, the message, a log line with uid/pid, counted),
#              show works; nobody cannot open the full socket
#   crowd      the read-only socket fills up to its share, the full one
#              keeps slots for the operator; past the limit E_BUSY and a
#              log line; 40 clients at once: none hangs or errs
#   no reader  `show conn detail` over 20,000 connections that the client
#              never reads: the packet path keeps going (ping, a UDP
#              stream with no loss), other clients are served, the client
#              is dropped after 10 s (log line); a client that pipelines
#              requests and never reads cannot grow the daemon's memory
#   partial    half a header: dropped after 10 s; idle: after 60 s
# Needs root; prints SKIP and exits 0 otherwise.  Bounded (watchdog).
# Logs are kept in BUILDDIR/e2e-logs/ctl-attack/.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/daemon-lib.sh"

ph_require_root || exit 0
ph_require_cmds ip nft timeout python3 setpriv stat ss getent || exit 0
build=$(readlink -f "${1:-${PH_BUILDDIR:-.}}")
ATK="python3 $here/ctl-attack.py"
TRAFFIC="python3 $here/daemon-traffic.py"
NFLOWS=20000

# attack NAME CMD...: run a raw client, report its last line
attack() {
	local name=$1 rc
	shift
	"$@" >"$T/$name.out" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		ok "$(tail -1 "$T/$name.out")"
	else
		bad "$name: $(tail -3 "$T/$name.out" | tr '\n' ' ')"
	fi
	return $rc
}
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
# a python3 that user nobody may run (not one under root's home)
NOBODY_PY=""
for p in /usr/bin/python3 /usr/local/bin/python3 "$(command -v python3)"; do
	if [ -x "$p" ] && as_nobody "$p" -c '' 2>/dev/null; then
		NOBODY_PY=$p
		break
	fi
done
ATK_NOBODY="$NOBODY_PY $here/ctl-attack.py"

phd_script ctl-attack 240 || exit 1
# nobody must reach the read-only socket
chmod 711 "$T"

phd_rules attack <<'EOF'
hostname pinhole-ctl
nameif outside outside security0
nameif inside inside security100
ip address outside 172.18.124.152 255.255.255.0
ip address inside 10.1.1.1 255.255.255.0
access-list acl-in permit ip any any
access-group acl-in in interface inside
nat (inside) 1 10.1.1.0 255.255.255.0 0 0
global (outside) 1 interface
EOF
chmod 644 "$T/attack.conf"

# ---- helpers ----------------------------------------------------------------

# mode_is PATH MODE USER GROUP
mode_is() {
	local got
	got=$(stat -c '%a %U %G %F' "$1")
	[ "$got" = "$2 $3 $4 socket" ] || {
		echo "    ($1: $got)"
		return 1
	}
}

# caps_only_net_admin PID BOUNDING: the sets of docs/deploy.md
# "Privileges" (the bounding set: CAP_NET_ADMIN as root, empty after
# --user's switch)
caps_only_net_admin() {
	local st=/proc/$1/status f want setpcap
	# without CAP_SETPCAP here (a container) the bounding set stays
	setpcap=$(((0x$(awk '/^CapEff:/ { print $2 }' /proc/$$/status) >> 8) & 1))
	for f in CapEff CapPrm CapBnd; do
		want=0000000000001000
		[ $f = CapBnd ] && want=$2
		if [ $f = CapBnd ] && [ "$setpcap" = 0 ]; then
			echo "    (no CAP_SETPCAP here: bounding set not checked)"
			continue
		fi
		grep -q "^$f:[[:space:]]*$want\$" "$st" || {
			echo "    ($(grep "^$f:" "$st"), want $want)"
			return 1
		}
	done
	for f in CapInh CapAmb; do
		grep -q "^$f:[[:space:]]*0000000000000000\$" "$st" || {
			echo "    ($(grep "^$f:" "$st"))"
			return 1
		}
	done
	grep -q '^NoNewPrivs:[[:space:]]*1$' "$st"
}

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$PHD_PID/status"; }

# ---- steps ------------------------------------------------------------------

step_start() {
	STEP="start"
	phd_start "$T/attack.conf" || return 1
	check "full socket 0660 root:root" mode_is "$PHD_SOCK" 660 root root
	check "read-only socket 0666" mode_is "$PHD_RO" 666 root root
	check "only CAP_NET_ADMIN (eff, perm, bnd), none inheritable or ambient, no_new_privs" \
		caps_only_net_admin "$PHD_PID" 0000000000001000
	IDLE_T0=$(date +%s)
	ph_bg gw "$T/idle.out" $ATK "$PHD_RO" idle 75
	IDLE_PID=$PH_LAST_PID
}

step_garbage() {
	STEP="garbage"
	attack garbage $ATK "$PHD_SOCK" garbage 200
	attack garbage-ro $ATK "$PHD_RO" garbage 50
	check_log "logged with the peer" \
		'control: protocol error from uid 0 gid 0 pid [0-9]+ on the (full|read-only) socket: ERROR: % Protocol error'
	check_log "log lines over 20 a second summed up, not written" \
		'control: [0-9]+ message\(s\) about clients suppressed \(more than 20 a second\)' 3
	STEP="oversize"
	sleep 1.1 # a fresh log budget
	attack oversize $ATK "$PHD_SOCK" oversize
	check_log "logged" 'control: protocol error from .*Request too large \(1048576 bytes, limit 4096\)'
	STEP="split"
	attack split $ATK "$PHD_RO" split
	check "pinholectl still served" bash -c \
		"'$PHD_CTL_BIN' -s '$PHD_SOCK' show version | grep -q '^pinholed'"
}

step_readonly() {
	local c rc
	STEP="read-only"
	sleep 1.1
	for c in "clear conn" "clear xlate" "clear counters" "clear logging" \
		"reload" "debug pptp" "no debug pptp" "undebug all" \
		"clear access-list counters" "clear service-policy"; do
		# shellcheck disable=SC2086
		as_nobody timeout 10 "$PHD_CTL_BIN" -s "$PHD_RO" $c \
			>"$T/ro-out.txt" 2>&1
		rc=$?
		if [ $rc = 5 ] && grep -q "'$c' is not allowed on the read-only socket" "$T/ro-out.txt"; then
			ok "nobody: '$c' refused (exit 5, clear message)"
		else
			bad "nobody: '$c': exit $rc: $(head -1 "$T/ro-out.txt")"
		fi
	done
	check_log "refusal logged with uid and pid" \
		"control: refused 'clear conn' from uid $(id -u nobody) gid $(id -g nobody) pid [0-9]+ on the read-only socket: read-only socket"
	check "refusals counted (one log line each)" [ "$(phd_log_count \
		"control: refused '.*' from uid $(id -u nobody) .*read-only socket")" -ge 10 ]
	attack denied as_nobody $ATK_NOBODY "$PHD_RO" denied
	check "nobody: show conn works" bash -c \
		"setpriv --reuid=nobody --regid=nogroup --clear-groups '$PHD_CTL_BIN' -s '$PHD_RO' show conn | grep -q 'in use'"
	as_nobody timeout 10 "$PHD_CTL_BIN" -s "$PHD_SOCK" show version \
		>"$T/nobody-full.txt" 2>&1
	rc=$?
	check "nobody cannot open the full socket (exit 5: $(head -1 "$T/nobody-full.txt"))" \
		[ $rc = 5 ]
}

hitcnt() { # hitcnt: the permit line's count of acl-in
	phd_ctl show access-list acl-in |
		sed -n 's/^access-list acl-in line 1 permit ip any any (hitcnt=\([0-9]*\))$/\1/p'
}

step_clear() {
	local out rc
	STEP="clear"
	ph_ping cli1 "$PH_SRV" 2 || bad "no ping through the gateway"
	check "acl-in hit by the ping (hitcnt=$(hitcnt))" [ "$(hitcnt)" -ge 1 ]
	phd_ctl clear counters >/dev/null
	check "clear counters leaves the hit counts (as on a PIX)" \
		[ "$(hitcnt)" -ge 1 ]
	out=$(phd_ctl clear access-list acl-in counters 2>&1)
	check "clear access-list acl-in counters: $out" [ "$(hitcnt)" = 0 ]
	check_log "logged with who ran it" \
		"control: uid 0 gid 0 pid [0-9]+ on the full socket executed 'clear access-list acl-in counters'"
	ph_ping cli1 "$PH_SRV" 2
	check "counted again from zero (hitcnt=$(hitcnt))" [ "$(hitcnt)" -ge 1 ]
	phd_ctl clear access-list counters >/dev/null
	check "clear access-list counters: every ACL" [ "$(hitcnt)" = 0 ]
	out=$(phd_ctl clear access-list nosuch counters 2>&1)
	rc=$?
	check "an unknown ACL: exit 1, '$out'" bash -c \
		"[ $rc = 1 ] && grep -q 'access-list nosuch does not exist' <<<'$out'"
	out=$(phd_ctl clear service-policy inspect pptp 2>&1)
	check "clear service-policy inspect pptp: $out" [ $? = 0 ]
}

step_crowd() {
	local ro full idle_ro=1
	STEP="crowd"
	sleep 1.1
	kill -0 "$IDLE_PID" 2>/dev/null || idle_ro=0
	attack crowd $ATK "$PHD_RO" "$PHD_SOCK" crowd
	ro=$(sed -n 's/^crowd: ro=\([0-9]*\) full=.*/\1/p' "$T/crowd.out")
	full=$(sed -n 's/^crowd: ro=[0-9]* full=\([0-9]*\)$/\1/p' "$T/crowd.out")
	check "read-only clients stop at 12 of 16 (with $idle_ro idle one)" \
		[ "${ro:-x}" = $((12 - idle_ro)) ]
	check "the full socket keeps its 4 slots and stops at 16 in all" \
		[ "${full:-x}" = 4 ]
	check_log "refusal logged" \
		'control: refused a client on the read-only socket: 12 of 16 clients connected \(12 on the read-only socket, which may use 12\)'
	check_log "refusal logged (full)" \
		'control: refused a client on the full socket: 16 of 16 clients connected'
	attack burst $ATK "$PHD_RO" burst 40
	check "burst: some refused, never more than 16 in" bash -c \
		"grep -Eq 'ok=([0-9]|1[0-2]) busy=' '$T/burst.out'"
	check "served after the crowd" bash -c \
		"'$PHD_CTL_BIN' -s '$PHD_SOCK' show version | grep -q '^pinholed'"
}

conn_count() {
	phd_ctl show conn | sed -n 's/^\([0-9]*\) in use.*/\1/p' | head -1
}

step_noreader() {
	local n upid spid rss0 rss1 ppid r
	STEP="no reader"
	# no ICMP port unreachable from srv: the flows must stay
	ph_in srv nft -f - <<'EOF'
table ip quiet {
	chain out {
		type filter hook output priority 0; policy accept;
		icmp type destination-unreachable drop
	}
}
EOF
	ph_in cli1 $ATK - udpflows "$PH_SRV" $NFLOWS >"$T/udpflows.out" 2>&1
	sleep 1
	n=$(conn_count)
	check "$n connections for a big show conn (>= 15000)" \
		[ "${n:-0}" -ge 15000 ]
	phd_ctl show conn detail | wc -c >"$T/showconn.bytes"
	ok "show conn detail is $(cat "$T/showconn.bytes") bytes"
	ph_bg srv "$T/udp-recv.log" $TRAFFIC udp-recv 6001 800 5
	upid=$PH_LAST_PID
	wait_listen srv -u 6001 || bad "UDP receiver did not start"
	ph_bg gw "$T/noread.out" $ATK "$PHD_RO" noread 14
	spid=$PH_LAST_PID
	ph_bg gw "$T/partial.out" $ATK "$PHD_RO" partial 20
	ppid=$PH_LAST_PID
	sleep 1
	ph_bg cli1 "$T/udp-send.log" $TRAFFIC udp-send "$PH_SRV" 6001 800 5
	check "ping through the gateway while the reply is stuck" \
		ph_ping cli1 "$PH_SRV" 5
	check "another client is served meanwhile" bash -c \
		"'$PHD_CTL_BIN' -s '$PHD_SOCK' show version | grep -q '^pinholed'"
	ph_wait_exit "$upid" 20
	check "UDP stream through the gateway meanwhile: $(cat "$T/udp-recv.log")" \
		grep -q 'lost=0 ' "$T/udp-recv.log"
	if ph_wait_exit "$spid" 30 && wait "$spid"; then
		ok "$(tail -1 "$T/noread.out")"
	else
		bad "no reader: $(tr '\n' ' ' <"$T/noread.out")"
	fi
	check_log "the stuck client was dropped" \
		'control: dropped a client that stopped reading its reply: uid 0'
	STEP="partial"
	if ph_wait_exit "$ppid" 25 && wait "$ppid"; then
		ok "$(tail -1 "$T/partial.out")"
	else
		bad "partial: $(tr '\n' ' ' <"$T/partial.out")"
	fi
	check_log "dropped and logged" \
		'control: dropped a client that sent a partial request'
	STEP="pipeline"
	rss0=$(rss_kb)
	rss1=$rss0
	ph_bg gw "$T/pipeline.out" $ATK "$PHD_RO" pipeline 5
	ppid=$PH_LAST_PID
	while kill -0 "$ppid" 2>/dev/null; do
		r=$(rss_kb)
		[ "${r:-0}" -gt "$rss1" ] && rss1=$r
		sleep 0.2
	done
	if wait "$ppid"; then
		ok "$(head -1 "$T/pipeline.out"); $(tail -1 "$T/pipeline.out")"
	else
		bad "pipeline: $(tr '\n' ' ' <"$T/pipeline.out")"
	fi
	check "daemon memory at most ${rss1} kB from ${rss0} kB meanwhile (< +8 MiB)" \
		[ $((rss1 - rss0)) -lt 8192 ]
	check_log "the pipelining client was dropped" \
		'control: dropped a client that stopped reading its reply'
}

step_idle() {
	local waited
	STEP="idle"
	if ph_wait_exit "$IDLE_PID" 80 && wait "$IDLE_PID"; then
		waited=$(($(date +%s) - IDLE_T0))
		ok "$(tail -1 "$T/idle.out") (${waited} s after connecting)"
	else
		bad "idle: $(tr '\n' ' ' <"$T/idle.out")"
	fi
	check_log "dropped and logged" 'control: dropped an idle client'
	check "the daemon is alive and serves" bash -c \
		"'$PHD_CTL_BIN' -s '$PHD_SOCK' show version | grep -q '^pinholed'"
	phd_stop TERM
	check "clean stop after the attacks (exit 0)" [ "$PHD_RC" = 0 ]
}

step_user() {
	STEP="--user"
	mkdir -p -m 755 "$T/pub"
	PHD_SOCK=$T/pub/ctl.sock PHD_RO=$T/pub/ro.sock
	phd_start "$T/attack.conf" -u nobody -g nogroup || return
	check "runs as nobody:nogroup" grep -Eq \
		"^Uid:[[:space:]]+$(id -u nobody)[[:space:]]+$(id -u nobody)[[:space:]]+$(id -u nobody)" \
		"/proc/$PHD_PID/status"
	check "gid nogroup" grep -Eq \
		"^Gid:[[:space:]]+$(getent group nogroup | cut -d: -f3)[[:space:]]" \
		"/proc/$PHD_PID/status"
	check "only CAP_NET_ADMIN, bounding set empty, no_new_privs (as nobody)" \
		caps_only_net_admin "$PHD_PID" 0000000000000000
	check "full socket 0660 root:nogroup (--group)" mode_is "$PHD_SOCK" \
		660 root nogroup
	check "read-only socket 0666" mode_is "$PHD_RO" 666 root root
	check "traffic passes" ph_ping cli1 "$PH_SRV"
	attack garbage-user $ATK "$PHD_RO" garbage 20
	attack denied-user as_nobody $ATK_NOBODY "$PHD_RO" denied
	phd_stop TERM
	check "clean stop as nobody" [ "$PHD_RC" = 0 ]
	rm -f "$PHD_SOCK" "$PHD_RO"
}

main() {
	STEP="topology"
	if ! ph_topo_build 1; then
		bad "could not build the namespaces"
		return
	fi
	step_start || return
	step_garbage
	step_readonly
	step_clear
	step_crowd
	step_noreader
	step_idle
	step_user
}

main
if [ "$FAILS" -ne 0 ]; then
	echo "FAILED: $FAILS check(s); logs in $LOGS"
	exit 1
fi
echo "PASS"
exit 0
