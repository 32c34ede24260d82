#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# tests/e2e/run-shed.sh BUILDDIR - pinholed's overload shedding (--shed,
# docs/deploy.md) in the namespace topology of tests/e2e/lib.sh, PAT of
# 10.1.1.0/24 to the outside interface.  Behavioural, nothing timed:
#
#   auto       the table has the shedding chain (limit rate over
#              10000000/second, counter "shed") and one `jump shed` in
#              front of each queue rule; `show counters` shows it
#   overload   the daemon stopped (SIGSTOP) while 12,000 datagrams arrive:
#              the kernel queue (8192) drops the rest; after SIGCONT the
#              controller sees the drops, logs "shedding started" and
#              lowers the limit; with no more traffic it logs "shedding
#              stopped" and the limit is back at 10000000
#   fixed      --shed 20: 600 datagrams at once, the rule's counter counts
#              the excess (and `show counters` shows it), some still pass
#   stop       SIGTERM removes the table, shedding chain included
#   off        --shed off: no shedding chain; --shed bogus: exit 2
# Needs root; prints SKIP and exits 0 otherwise.  Bounded (watchdog), and
# everything is cleaned up on exit.  Logs in BUILDDIR/e2e-logs/shed/.
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"
. "$here/daemon-lib.sh"

ph_require_root || exit 0
ph_require_cmds ip nft timeout python3 || exit 0
build=$(readlink -f "${1:-${PH_BUILDDIR:-.}}")


phd_script shed 120 || exit 1
phd_rules shed <<EOF
hostname pinhole-shed
nameif outside outside security0
nameif inside inside security100
ip address outside $PH_GW_OUT 255.255.255.0
ip address inside $PH_GW_IN 255.255.255.0
access-list acl-in permit ip any any
access-group acl-in in interface inside
nat (inside) 1 10.1.1.0 255.255.255.0 0 0
global (outside) 1 interface
EOF
CONF=$T/shed.conf

# ---- helpers ----------------------------------------------------------------

table() { ph_in gw nft list table ip pinhole 2>/dev/null; }
shed_chain() { ph_in gw nft list chain ip pinhole shed 2>/dev/null; }
# packets counted by the named counter "shed"
shed_count() {
	ph_in gw nft list counter ip pinhole shed 2>/dev/null |
		awk '/packets/ { print $2; exit }'
}
limit_rate() { shed_chain | sed -n 's/.*limit rate over \([0-9]*\)\/second.*/\1/p'; }
# flood N: N 32-byte datagrams from cli1 to the server's port 9999
flood() {
	ph_in cli1 timeout 20 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[1])):
    s.sendto(b"x" * 32, (sys.argv[2], 9999))
' "$1" "$PH_SRV"
}
srv_count() { # datagrams to port 9999 counted in srv
	ph_in srv nft list counter inet phshed rx 2>/dev/null |
		awk '/packets/ { print $2; exit }'
}
jumps_before_queue() { # every queue rule is preceded by its jump
	ph_in gw nft list chain ip pinhole prerouting 2>/dev/null | awk '
		/jump shed/ { j[$2] = 1 }
		/queue|NFQUEUE/ { n++; if (!j[$2]) bad = 1 }
		END { exit !(n == 2 && !bad) }'
}

ph_topo_build 1 || {
	echo "FAIL: topology"
	exit 1
}
ph_in srv nft -f - <<'EOF'
table inet phshed {
	counter rx {
	}
	chain in {
		type filter hook input priority 0;
		udp dport 9999 counter name "rx" drop
	}
}
EOF

# ---- auto -------------------------------------------------------------------

STEP=auto
if ! phd_start "$CONF"; then
	echo "FAIL: pinholed did not start"
	exit 1
fi
check "shedding chain installed: $(shed_chain | grep limit | xargs)" \
	test "$(limit_rate)" = 10000000
check "counter object \"shed\" exists" test -n "$(shed_count)"
check "a jump to the shedding chain in front of each queue rule" \
	jumps_before_queue
out=$(phd_ctl show counters)
check "show counters: Overload shedding (auto), limit 10000000" \
	grep -Eq 'limit \(pps.*10000000' <<<"$out"
check "show counters names the mode" grep -q 'Overload shedding (auto' \
	<<<"$out"

STEP=overload
kill -STOP "$PHD_PID"
flood 12000
q=$(ph_in gw awk '{ print $6 }' /proc/net/netfilter/nfnetlink_queue | head -1)
kill -CONT "$PHD_PID"
check "the kernel queue dropped while the daemon was stopped ($q)" \
	test "${q:-0}" -gt 0
check_log "controller saw the drops" \
	'overload: the kernel dropped packets at the queue; shedding started at [0-9]+ pps' 10
r=$(limit_rate)
check "limit lowered ($r pps)" test "${r:-10000000}" -lt 10000000
check "show counters: shedding now or started once" \
	grep -Eq 'times shedding started +1' <<<"$(phd_ctl show counters)"
check_log "no traffic: shedding stopped" \
	'overload: shedding stopped after [0-9]+ ms' 15
check "limit back at 10000000" test "$(limit_rate)" = 10000000

STEP=stop
phd_stop TERM
check "SIGTERM: exit 0" test "${PHD_RC:-x}" = 0
check "table removed, shedding chain with it" test -z "$(table)"

# ---- fixed ------------------------------------------------------------------

STEP=fixed
if phd_start "$CONF" --shed 20; then
	check "limit rate over 20/second" test "$(limit_rate)" = 20
	before=$(srv_count)
	flood 600
	sleep 1
	n=$(shed_count)
	got=$(($(srv_count) - ${before:-0}))
	check "600 datagrams at once: the rule shed ${n:-0}" \
		test "${n:-0}" -ge 300
	check "the rest passed through PAT ($got)" test "$got" -gt 0
	check "shed + passed = sent ($n + $got)" test $((n + got)) -eq 600
	check "show counters: packets shed" grep -Eq \
		"packets shed.* $n\$" <<<"$(phd_ctl show counters)"
	phd_stop TERM
	check "table removed" test -z "$(table)"
else
	bad "pinholed --shed 20 did not start"
fi

# ---- off --------------------------------------------------------------------

STEP=off
if phd_start "$CONF" --shed off; then
	check "no shedding chain" test -z "$(shed_chain)"
	check "queue rules still there" \
		grep -Eq 'queue|NFQUEUE' <<<"$(table 2>&1)"
	check "show counters: limit 0 (no rule)" grep -Eq \
		'limit \(pps, 0: no rule\) +0$' <<<"$(phd_ctl show counters)"
	phd_stop TERM
else
	bad "pinholed --shed off did not start"
fi
"$PHD_BIN" -f "$CONF" --shed bogus >/dev/null 2>&1
check "--shed bogus: exit 2" test $? = 2

if [ "$FAILS" -gt 0 ]; then
	echo "FAIL: $FAILS check(s) failed (logs: $LOGS)"
	exit 1
fi
echo "PASS: run-shed"
exit 0
