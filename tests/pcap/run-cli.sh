#!/usr/bin/env bash
# tests/pcap/run-cli.sh - pinhole-replay's command line: options, errors,
# exit codes, determinism, link layers, the clock.
#
# usage: run-cli.sh BUILDDIR
# Captures are written by tools/gen/phgen.py (as a library) into
# BUILDDIR/pcap-cli; every check prints "ok: ..." or "FAIL: ...".
set -u

build=${1:?usage: run-cli.sh BUILDDIR}
src=${PH_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
build=$(cd "$build" && pwd)
replay=$build/pinhole-replay
dump=$src/tools/gen/phdump.py
w=$build/pcap-cli
rules=$src/tests/pcap/common/pat.conf
fails=0

rm -rf "$w"
mkdir -p "$w"
cd "$w" || exit 1

ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }

# expect RC LABEL CMD...: run CMD, check its exit status
expect() {
	local want=$1 label=$2
	shift 2
	"$@" >out.txt 2>err.txt
	local rc=$?
	if [ $rc -eq "$want" ]; then
		ok "$label (exit $rc)"
	else
		bad "$label: exit $rc, want $want"
		sed 's/^/    /' err.txt | head -5
	fi
}

# has FILE REGEX LABEL
has() {
	if grep -Eq -- "$2" "$1"; then ok "$3"; else
		bad "$3: no /$2/ in $1"
		sed 's/^/    /' "$1" | head -5
	fi
}

[ -x "$replay" ] || { echo "FAIL: no $replay"; exit 1; }

# --- captures -----------------------------------------------------------
PYTHONPATH=$src/tools/gen python3 - <<'EOF' || { echo "FAIL: capture generation"; exit 1; }
import phgen as g
T0 = g.T0_NS

def write(path, linktype, frames, nano=False, ng=False, snap=None):
    cls = g.PcapngWriter if ng else g.PcapWriter
    wr = cls(path, linktype, nano)
    for t, data in frames:
        if snap is not None and len(data) > snap:
            wr.write(t, data[:snap], orig_len=len(data))
        else:
            wr.write(t, data)
    wr.close()

cli, srv = '10.48.66.106', '192.168.201.25'
eth = lambda ip, et=0x0800: g.frame(1, ip, ethertype=et)
syn = g.tcp(cli, srv, 4644, 80, 1000, 0, g.SYN, ipid=1)
q = g.udp(cli, srv, 1025, 53, b'query', ipid=2)
ping = g.icmp_echo(cli, srv, 512, 1, ipid=3)
# inside: SYN, UDP, ping, an ARP frame; outside: nothing
write('in.pcap', 1, [(T0, eth(syn)), (T0 + 10**6, eth(q)),
                     (T0 + 2 * 10**6, eth(ping)),
                     (T0 + 3 * 10**6,
                      eth(g.arp_request(b'\x02' * 6, cli, '10.48.66.47'),
                          0x0806))])
write('empty.pcap', 1, [])
# two inputs on one interface, interleaved in time
write('a.pcap', 1, [(T0, eth(g.udp(cli, srv, 2001, 53, b'a1'))),
                    (T0 + 2 * 10**6, eth(g.udp(cli, srv, 2001, 53, b'a2')))])
write('b.pcap', 1, [(T0 + 10**6, eth(g.udp(cli, srv, 2002, 53, b'b1'))),
                    (T0 + 3 * 10**6, eth(g.udp(cli, srv, 2002, 53, b'b2')))])
# snap length shorter than the packet; nanosecond pcapng; raw IPv4
big = g.udp(cli, srv, 3000, 53, b'x' * 200)
write('snap.pcap', 1, [(T0, eth(big))], snap=64)
write('nano.pcapng', 1, [(T0 + 123456789, eth(q))], nano=True, ng=True)
write('raw.pcap', 101, [(T0, q)])
EOF
printf 'PIX Version 6.3(1)\nnameif ethernet0 outside security0\nnameif ethernet1 inside security100\nnat (inside) 1 0.0.0.0 0.0.0.0 0 0\nglobal (outside) 1 bogus\n' >bad.conf

base=(-f "$rules" --in inside=in.pcap --in outside=empty.pcap)

# --- options and errors -----------------------------------------------------
expect 0 "--help" "$replay" --help
has out.txt 'EXIT STATUS' "--help is the manual"
expect 2 "no arguments" "$replay"
expect 2 "no rule file" "$replay" --in inside=in.pcap
expect 2 "no input" "$replay" -f "$rules"
expect 2 "bad --in syntax" "$replay" -f "$rules" --in in.pcap
expect 2 "bad --seed" "$replay" "${base[@]}" --seed 12x
expect 2 "bad --level" "$replay" "${base[@]}" --level loud
expect 2 "unknown interface" "$replay" -f "$rules" --in dmz=in.pcap
has err.txt "no interface 'dmz' in .*pat.conf \(interfaces: outside inside\)" \
	"unknown interface names the valid ones"
expect 2 "--out twice" "$replay" "${base[@]}" --out inside=x.pcap \
	--out ethernet1=y.pcap
expect 3 "missing capture" "$replay" -f "$rules" --in inside=nope.pcap
has err.txt 'nope.pcap: No such file' "missing capture is named"
expect 3 "not a capture" "$replay" -f "$rules" --in inside=bad.conf
expect 1 "rule file errors" "$replay" -f bad.conf --in inside=in.pcap
has err.txt '^bad.conf:5:[0-9]+: error: ' "errors as FILE:LINE:COL"
expect 1 "missing rule file" "$replay" -f nope.conf --in inside=in.pcap

# --- interface names ----------------------------------------------------------
expect 0 "hardware id as interface name" "$replay" -f "$rules" \
	--in ethernet1=in.pcap --summary
expect 0 "Linux name from -i" "$replay" -f "$rules" -i ethernet1=eth7 \
	--in eth7=in.pcap --summary
has err.txt '^inside +4 +1 +3 ' "-i: frames counted on inside"

# --- what comes out ---------------------------------------------------------------
expect 0 "basic run" "$replay" "${base[@]}" --seed 7 --out outside=o1.pcap \
	--summary --trace t1.txt
cp out.txt log1.txt
has log1.txt '^%PIX-6-302013: Built outbound TCP' "syslog lines on stdout"
has err.txt 'check: ipv4 3 = accepted 3 \+ dropped 0 \+ still held 0: ok' \
	"summary adds up"
has err.txt 'non-ipv4 +1' "ARP skipped and counted"
has t1.txt '^1000000000\.003000000 inside#4 skip non-ipv4$' "trace: skip"
has t1.txt '^1000000000\.000000000 inside#1 accept outside#1 rewritten$' \
	"trace: accept"
"$replay" "${base[@]}" --seed 7 --out outside=o2.pcap >log2.txt 2>/dev/null
if cmp -s o1.pcap o2.pcap && cmp -s log1.txt log2.txt; then
	ok "same --seed, same output"
else
	bad "same --seed gave different output"
fi
"$replay" "${base[@]}" --seed 8 --out outside=o3.pcap >log3.txt 2>/dev/null
if cmp -s o1.pcap o3.pcap; then
	bad "--seed 8 gave the same ports as --seed 7"
else
	ok "another --seed, other ports"
fi
python3 "$dump" o1.pcap >o1.txt
has o1.txt '^# pcap link EN10MB, usec$' "output keeps Ethernet, usec"
has o1.txt '^1 1000000000\.000000 TCP 209\.165\.201\.1:[0-9]+ > 192\.168\.201\.25:80 \[S\].* csum=ok$' \
	"SYN leaves translated with valid checksums"

expect 0 "--level errors" "$replay" "${base[@]}" --level errors
[ -s out.txt ] && bad "--level errors printed lines" || ok "--level errors: none"
expect 0 "--level off" "$replay" "${base[@]}" --level off
[ -s out.txt ] && bad "--level off printed lines" || ok "--level off: none"
expect 0 "--timestamps" "$replay" "${base[@]}" --timestamps
has out.txt '^Sep  ?0?9 2001 01:46:40: %PIX-6-' "timestamps from the capture"

expect 0 "--drain" "$replay" "${base[@]}" --drain 200
has out.txt '302016: Teardown UDP connection' "drain lets the UDP flow expire"
expect 0 "no drain" "$replay" "${base[@]}"
grep -q 302016 out.txt && bad "teardown without --drain" || ok "no drain, no teardown"

# --- inputs -------------------------------------------------------------------------
expect 0 "two inputs on one interface" "$replay" -f "$rules" \
	--in inside=a.pcap --in inside=b.pcap --trace t2.txt --out outside=o4.pcap
python3 "$dump" o4.pcap | awk 'NR > 1 { split($4, a, ":"); print a[2] }' | tr '\n' ' ' >ports.txt
if [ "$(awk '{print $1 == $3 && $2 == $4 && $1 != $2}' ports.txt)" = 1 ]; then
	ok "merged by timestamp (a, b, a, b)"
else
	bad "merge order: $(cat ports.txt)"
fi
has t2.txt 'inside#2 accept outside#4 rewritten in=b.pcap$' \
	"trace names the file when an interface has several"
expect 0 "snap length" "$replay" -f "$rules" --in inside=snap.pcap --summary
has err.txt 'truncated +1' "packet cut by the snap length is skipped"
expect 0 "pcapng nanoseconds" "$replay" -f "$rules" --in inside=nano.pcapng \
	--in outside=empty.pcap --out inside=n-in.pcap --out outside=n-out.pcap
python3 "$dump" n-out.pcap >n.txt
has n.txt '^# pcap link EN10MB, usec$' "outside output keeps its own input's precision"
expect 0 "raw IPv4, no input on outside" "$replay" -f "$rules" \
	--in inside=raw.pcap --out outside=r-out.pcap
python3 "$dump" r-out.pcap >r.txt
has r.txt '^# pcap link RAW, usec$' "interface without input: raw IPv4"
has r.txt '^1 1000000000\.000000 UDP 209\.165\.201\.1:' "raw output translated"
expect 0 "standard input" sh -c "'$replay' -f '$rules' --in inside=- --summary <in.pcap"
has err.txt '^inside +4 +1 +3 ' "reads a capture from standard input"

echo "run-cli: $fails failure(s)"
[ $fails -eq 0 ]
