#!/bin/sh
# peers.sh SONDEO SONDEOD - issue 14's benchmark: Sondeo's sync side by side with PouchDB 9 replicating to
# pouchdb-server 4.2 (leveldb), on the same records, on this machine, in one run (`make bench-peers`).
#
# PouchDB and pouchdb-server come from the npm registry into build/peers (never into the tree), installed once
# with npm and kept (delete build/peers to install again); they run on Node.js (`node` and `npm`: Debian's
# nodejs and npm packages, installed through apt-get as root, else the line to run is printed).
#
# The data: BENCH_RECORDS (default 10000) records from bench/gen.awk, seed 2018, as bench/run.sh makes them.
# Sondeo imports them with `sondeo new --from FILE.csv` (its ops are counted by `sondeo status` and printed);
# the PouchDB laptop puts one document a record, the row's non-empty columns as members, with bulkDocs
# (bench/peers/pouch.js, which says how it drives PouchDB).
#
# Every byte between a laptop and its server goes through bench/linkproxy.c, which counts the application bytes
# (TCP payload, HTTP headers included) each way, the same measure for both systems.
#
# BENCH_RUNS (default 5) runs of each system, interleaved (Sondeo run 1, PouchDB run 1, Sondeo run 2, ...), each
# on a fresh server and fresh laptops: import and enrolment (for PouchDB, creating the remote database) untimed,
# then:
#   first   the first sync: `sondeo sync`; PouchDB: replicate.to(remote), then replicate.from(remote)
#   one     one field of one record changed (`sondeo edit ID --set notes=...`; a put), untimed, then a sync
#   noop    a sync with nothing new
#   pull    a new laptop pulls everything: a second device of the same region enrolled (untimed), `sondeo sync`;
#           a new local PouchDB, replicate.from(remote). It must end up with every record, and the changed
#           field's new value, on both systems.
#   written the bytes the server process sent to the storage layer (/proc/PID/io: write_bytes less
#           cancelled_write_bytes, its threads' included) from the moment it serves until it is stopped, and
#           the same per byte it received (the laptops' bytes up through the proxy over the same phases): how
#           much disk each byte of a change costs. The first sync is nearly all of it.
#   data    the size on disk (du) of the server's data directory (sondeod's --data; pouchdb-server's -d, with
#           its config and log kept outside it), once the server has been stopped cleanly at the end of the run.
#           That is the first sync's data plus the later phases' one changed field and checkpoints: stopping the
#           server right after the first sync would give the next phases, which are timed, a cold server.
# Sondeo's wall time is the command's (bench/rss.c: fork to exit); PouchDB's is measured inside the laptop's
# Node process (its application is running already, as a PouchDB user's is), so Node's start is not counted.
#
# Then the slow link: the first sync and the new laptop's pull again, once for each system, through linkproxy
# limited to 1 Mbit/s each way with 300 ms round trips (a new connection also pays one round trip for its
# handshake), on BENCH_SLOW_RECORDS (default 2000) records to keep the run short; BENCH_SLOW=0 skips it.
#
# Figures are printed with the targets of issue 14 beside them (ratios Sondeo/PouchDB of the medians), never
# enforced: the machine is shared and noisy. The bench fails (exit 1) only when something is broken: a command
# fails, a server does not start, a laptop does not end up with every record. Everything happens in a temporary
# directory under $TMPDIR, removed on exit; every server and proxy started here is stopped on exit and on Ctrl-C.
set -eu

REGION=kisumu
SEED=2018
N=${BENCH_RECORDS:-10000}
RUNS=${BENCH_RUNS:-5}
SLOW_N=${BENCH_SLOW_RECORDS:-2000}
SLOW=${BENCH_SLOW:-1}
SLOW_RATE=1000000
SLOW_DELAY=300
POUCHDB=9
POUCHDB_SERVER=4.2
# The longest one PouchDB run may take before the bench gives up (seconds): the slow link's pull is the longest.
NODE_TIMEOUT=1800

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
peers=$root/build/peers

bench_programs peers.sh bench-peers "$@"
need_count BENCH_RECORDS "$N"
need_count BENCH_RUNS "$RUNS"
need_count BENCH_SLOW_RECORDS "$SLOW_N"

# --- the tools: cc and curl (scripts/deps.sh), node and npm -------------------------------------------------
need_tools --install cc:gcc curl:curl node:nodejs npm:npm

# version_of PACKAGE : the version of build/peers' PACKAGE, empty when it is not there.
version_of() {
	sed -n 's/^  "version": "\([^"]*\)".*/\1/p' "$peers/node_modules/$1/package.json" 2>/dev/null | head -n 1
}
# Installed once into build/peers. --ignore-scripts: the only install scripts build native add-ons; leveldown,
# the one used here, ships prebuilt ones for Linux on x64 and arm64 (loaded by node-gyp-build when it is
# required), and sqlite3's (pouchdb-server --sqlite, not used) would fetch a binary from outside the registry.
case "$(version_of pouchdb) $(version_of pouchdb-server)" in
"$POUCHDB".*" $POUCHDB_SERVER".*) ;;
*)
	echo "bench: installing pouchdb@$POUCHDB and pouchdb-server@$POUCHDB_SERVER from the npm registry into $peers"
	mkdir -p "$peers"
	npm install --prefix "$peers" --no-audit --no-fund --ignore-scripts --loglevel=error \
		"pouchdb@$POUCHDB" "pouchdb-server@$POUCHDB_SERVER" >"$peers/npm-install.log" 2>&1 || {
		echo "bench: FAILED: npm install (the last lines of $peers/npm-install.log):" >&2
		tail -n 20 "$peers/npm-install.log" >&2
		exit 1
	}
	;;
esac
NODE_PATH=$peers/node_modules
export NODE_PATH
pouchdb_server=$peers/node_modules/pouchdb-server/bin/pouchdb-server

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sondeo-peers-bench.XXXXXX")
# The processes this bench starts (pid: the one being started; srv_pid: a server; lp_pid: the proxy): every
# one still running is stopped on the way out, however the bench ends.
pid="" srv_pid="" lp_pid=""
cleanup() {
	stop_pid "$pid"
	stop_pid "$lp_pid"
	stop_pid "$srv_pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM


rss_build
linkproxy_build

# timed OUT ERR CMD [ARG]... : runs CMD under rss; sets t (seconds). Fails the whole bench if it does not exit 0.
timed() {
	_out=$1 _err=$2
	shift 2
	_what=$*
	# Splitting rss's "SECONDS KB STATUS" into words is the point here.
	# shellcheck disable=SC2046
	set -- $("$rss" -i /dev/null -o "$_out" -e "$_err" "$@") || die "cannot time '$_what'"
	[ $# -eq 3 ] || die "cannot time '$_what'"
	[ "$3" = 0 ] || die "'$_what' exited with status $3" "$_err"
	t=$1
}

# --- servers and the proxy ----------------------------------------------------------------------------------

# start_pouchdb DIR LOG : pouchdb-server on loopback, its databases in DIR/data (leveldb), its config and log
# beside it; sets pid and port once it answers.
start_pouchdb() {
	mkdir -p "$1/data"
	printf '{"log": {"file": "%s/log.txt"}}\n' "$1" >"$1/config.json"
	_tries=0
	while [ $_tries -lt 20 ]; do
		port=$(random_port)
		: >"$2"
		node "$pouchdb_server" -p "$port" -o 127.0.0.1 -d "$1/data" -c "$1/config.json" -n >"$2" 2>&1 &
		pid=$!
		_i=0
		while [ $_i -lt 300 ] && kill -0 "$pid" 2>/dev/null; do
			curl -sf -o /dev/null "http://127.0.0.1:$port/" && return 0
			sleep 0.1
			_i=$((_i + 1))
		done
		stop_pid "$pid" int
		pid=""
		# A port another process took between random_port and the listen. pouchdb-server 4.2 says so only when
		# it tails its log: otherwise its listen error handler stops at an undefined stopTailingLog first.
		grep -q "already in use\|stopTailingLog is not a function" "$2" || return 1
		_tries=$((_tries + 1))
	done
	return 1
}

# io_written PID : the bytes process PID has written to the storage layer so far, less those cancelled (a file
# truncated or deleted before its dirty pages were written out).
io_written() {
	LC_ALL=C awk '$1 == "write_bytes:" { w = $2 } $1 == "cancelled_write_bytes:" { c = $2 }
		END { if (w == "") exit 1; printf "%d\n", w - c }' "/proc/$1/io" 2>/dev/null || die "cannot read /proc/$1/io"
}

# written SYSTEM BEFORE AFTER UP : results lines for a run's server writes: the bytes, and the bytes per byte up.
written() {
	[ "$4" -gt 0 ] || die "no bytes went up in the $1 run"
	echo "$1 written $(($3 - $2))" >>"$results"
	LC_ALL=C awk -v s="$1" -v w="$(($3 - $2))" -v up="$4" 'BEGIN { printf "%s wpb %.6f\n", s, w / up }' >>"$results"
}

# --- the data -------------------------------------------------------------------------------------------------
LC_ALL=C awk -v n="$N" -v seed="$SEED" -f "$here/gen.awk" >"$tmp/records.csv" || die "cannot generate the data"
LC_ALL=C awk -v n="$SLOW_N" -v seed="$SEED" -f "$here/gen.awk" >"$tmp/slow.csv" || die "cannot generate the data"

# Results, one line a measure: "SYSTEM PHASE SECONDS UP DOWN CONNECTIONS" (bytes, and connections opened), or
# "SYSTEM data BYTES", "SYSTEM written BYTES" and "SYSTEM wpb BYTES-WRITTEN-PER-BYTE-UP".
results=$tmp/results
: >"$results"

# --- one Sondeo run ---------------------------------------------------------------------------------------------

# sondeo_run CSV RECORDS PREFIX [PROXY-ARG]... : fresh sondeod and laptops; the phases (all, or for the slow
# link first and pull) written to results as PREFIXfirst ...; sets s_ops (the ops of the import).
sondeo_run() {
	_csv=$1 _n=$2 _pre=$3
	shift 3
	_r=$tmp/sondeo
	rm -rf "$_r"
	mkdir -p "$_r"
	"$sondeod" init --data "$_r/srv" >"$_r/init.out" 2>&1 || die "sondeod init failed" "$_r/init.out"
	start_server "$_r/srv" "$_r/srv.log" || die "sondeod serve did not start" "$_r/srv.log"
	srv_pid=$pid pid=""
	_w0=$(io_written "$srv_pid") s_up=0
	start_proxy "${url##*:}" "$@"
	_url=http://127.0.0.1:$lp_port
	SONDEO_HOME=$_r/d1 "$sondeo" init >"$_r/out" 2>&1 || die "sondeo init failed" "$_r/out"
	SONDEO_HOME=$_r/d1 "$sondeo" new --from "$_csv" >"$_r/ids" 2>"$_r/err" || die "sondeo new --from failed" "$_r/err"
	_id=$(head -n 1 "$_r/ids")
	case $_id in *-*-*-*-*) ;; *) die "sondeo new --from printed no record id" "$_r/ids" ;; esac
	SONDEO_HOME=$_r/d1 "$sondeo" status >"$_r/status" 2>&1 || die "sondeo status failed" "$_r/status"
	s_ops=$(sed -n 's/^not synced: *\([0-9][0-9,]*\) change.*/\1/p' "$_r/status" | tr -d ,)
	[ -n "$s_ops" ] || die "cannot read the changes to sync in sondeo status" "$_r/status"
	"$sondeod" enrol-code --data "$_r/srv" --region "$REGION" --uses 2 --expires 1h >"$_r/code" 2>&1 ||
		die "sondeod enrol-code failed" "$_r/code"
	_code=$(awk 'NR == 1 { print $1 }' "$_r/code")
	SONDEO_HOME=$_r/d1 "$sondeo" enrol "$_url" "$_code" >"$_r/out" 2>&1 || die "sondeo enrol failed" "$_r/out"

	sondeo_phase "${_pre}first" "$_r/d1"
	SONDEO_HOME=$_r/d1 "$sondeo" status >"$_r/status" 2>&1 || die "sondeo status failed" "$_r/status"
	grep -q "^not synced: *0 change" "$_r/status" || die "changes are left to sync after the first sync" "$_r/status"
	_value=""
	if [ -z "$_pre" ]; then
		_value="changed-by-bench-peers-$$-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')"
		SONDEO_HOME=$_r/d1 "$sondeo" edit "$_id" --set "notes=$_value" >"$_r/out" 2>&1 || die "sondeo edit failed" "$_r/out"
		sondeo_phase one "$_r/d1"
		sondeo_phase noop "$_r/d1"
	fi
	SONDEO_HOME=$_r/d2 "$sondeo" init >"$_r/out" 2>&1 || die "sondeo init failed" "$_r/out"
	SONDEO_HOME=$_r/d2 "$sondeo" enrol "$_url" "$_code" >"$_r/out" 2>&1 || die "sondeo enrol of the new laptop failed" "$_r/out"
	sondeo_phase "${_pre}pull" "$_r/d2"
	SONDEO_HOME=$_r/d2 "$sondeo" status >"$_r/status" 2>&1 || die "sondeo status failed" "$_r/status"
	_got=$(sed -n 's/^records: *\([0-9][0-9,]*\) final.*/\1/p' "$_r/status" | tr -d ,)
	[ "$_got" = "$_n" ] || die "the new laptop holds ${_got:-?} final records after its sync; the first made $_n" "$_r/status"
	if [ -n "$_value" ]; then
		SONDEO_HOME=$_r/d2 "$sondeo" show "$_id" >"$_r/out" 2>&1 || die "sondeo show on the new laptop failed" "$_r/out"
		grep -q "$_value" "$_r/out" || die "the new laptop does not hold the changed field's new value" "$_r/out"
	fi

	[ -n "$_pre" ] || written sondeo "$_w0" "$(io_written "$srv_pid")" "$s_up"
	stop_pid "$lp_pid"
	lp_pid=""
	stop_pid "$srv_pid"
	srv_pid=""
	[ -n "$_pre" ] || echo "sondeo data $(($(du -sk "$_r/srv" | cut -f 1) * 1024))" >>"$results"
	rm -rf "$_r"
}

# sondeo_phase NAME HOME : one timed `sondeo sync`, with the proxy's counts around it.
sondeo_phase() {
	snap
	_up=$snap_up _down=$snap_down _conns=$snap_conns
	timed "$tmp/sondeo/sync.out" "$tmp/sondeo/sync.err" env SONDEO_HOME="$2" "$sondeo" sync
	snap
	echo "sondeo $1 $t $((snap_up - _up)) $((snap_down - _down)) $((snap_conns - _conns))" >>"$results"
	s_up=$((s_up + snap_up - _up))
}

# --- one PouchDB run ------------------------------------------------------------------------------------------

# pouch_run CSV RECORDS PREFIX all|slow [PROXY-ARG]... : fresh pouchdb-server and laptops (bench/peers/pouch.js).
pouch_run() {
	_csv=$1 _n=$2 _pre=$3 _phases=$4
	shift 4
	_r=$tmp/pouchdb
	rm -rf "$_r"
	mkdir -p "$_r/laptops"
	start_pouchdb "$_r/server" "$_r/server.out" || die "pouchdb-server did not start" "$_r/server.out"
	srv_pid=$pid pid=""
	_w0=$(io_written "$srv_pid")
	start_proxy "$port" "$@"
	timeout "$NODE_TIMEOUT" node "$here/peers/pouch.js" "$_csv" "$_r/laptops" "http://127.0.0.1:$lp_port/bench" \
		"$lp_pid" "$tmp/count" "$_phases" >"$_r/out" 2>"$_r/err" || die "the PouchDB laptop failed (bench/peers/pouch.js)" "$_r/err"
	# The two figures of the docs line, split into words on purpose.
	# shellcheck disable=SC2046
	set -- $(sed -n 's/^docs //p' "$_r/out")
	[ "${1:-}" = "$_n" ] || die "the new PouchDB laptop holds ${1:-?} documents after its pull; the first put $_n" "$_r/out"
	[ "${2:-}" = 1 ] || die "the new PouchDB laptop does not hold the changed field's new value" "$_r/out"
	LC_ALL=C awk -v pre="$_pre" '$1 ~ /^(first|one|noop|pull)$/ { printf "pouchdb %s%s %.6f %d %d %d\n", pre, $1, $2 / 1000, $3, $4, $5 }' \
		"$_r/out" >>"$results"
	[ -n "$_pre" ] || written pouchdb "$_w0" "$(io_written "$srv_pid")" \
		"$(LC_ALL=C awk '$1 ~ /^(first|one|noop|pull)$/ { up += $3 } END { printf "%d\n", up }' "$_r/out")"
	stop_pid "$lp_pid"
	lp_pid=""
	stop_pid "$srv_pid" int
	srv_pid=""
	[ -n "$_pre" ] || echo "pouchdb data $(($(du -sk "$_r/server/data" | cut -f 1) * 1024))" >>"$results"
	rm -rf "$_r"
}

# --- the runs -------------------------------------------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
load0=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo "?")
echo "Sondeo beside PouchDB: $(with_commas "$N") records (bench/gen.awk seed $SEED), $RUNS run$([ "$RUNS" = 1 ] || echo s)" \
	"of each, interleaved"
echo "machine: $(nproc 2>/dev/null || echo '?') CPUs, $cpu; $(uname -sr); load average $load0 at the start"
echo "tools:   $("$sondeo" --version), $("$sondeod" --version); PouchDB $(version_of pouchdb) (leveldb) and" \
	"pouchdb-server $(version_of pouchdb-server) (leveldb) on Node.js $(node --version) from $peers"
t_start=$(date +%s)
run=1
while [ $run -le "$RUNS" ]; do
	sondeo_run "$tmp/records.csv" "$N" ""
	ops=$s_ops
	pouch_run "$tmp/records.csv" "$N" "" all
	echo "run $run of $RUNS done ($(($(date +%s) - t_start)) s)"
	run=$((run + 1))
done
if [ "$SLOW" != 0 ]; then
	sondeo_run "$tmp/slow.csv" "$SLOW_N" slow- --rate "$SLOW_RATE" --delay "$SLOW_DELAY"
	slow_ops=$s_ops
	pouch_run "$tmp/slow.csv" "$SLOW_N" slow- slow --rate "$SLOW_RATE" --delay "$SLOW_DELAY"
	echo "slow link done ($(($(date +%s) - t_start)) s)"
fi
load1=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo "?")

# --- the table ------------------------------------------------------------------------------------------------

# stat SYSTEM PHASE COLUMN : "MEDIAN MIN MAX RUNS" of a column of results (3 seconds, 4 up, 5 down, 6
# connections; data, written and wpb: 3).
stat() {
	LC_ALL=C awk -v s="$1" -v p="$2" -v c="$3" '$1 == s && $2 == p { v[++n] = $c + 0 }
		END {
			if (!n) { print "- - - 0"; exit }
			for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { x = v[j]; v[j] = v[j - 1]; v[j - 1] = x }
			printf "%.6f %.6f %.6f %d\n", v[int((n + 1) / 2)], v[1], v[n], n
		}' "$results"
}

# row LABEL PHASE COLUMN UNIT TARGET : one line of the table. UNIT s, B or x (a plain ratio); TARGET "ratio X" (Sondeo/PouchDB at
# most X), "bytes X" (Sondeo at most X bytes), or "-".
row() {
	# shellcheck disable=SC2046
	set -- "$1" "$2" "$3" "$4" "$5" $(stat sondeo "$2" "$3") $(stat pouchdb "$2" "$3")
	LC_ALL=C awk -v label="$1" -v unit="$4" -v target="$5" -v sm="$6" -v slo="$7" -v shi="$8" -v sn="$9" \
		-v pm="${10}" -v plo="${11}" -v phi="${12}" -v pn="${13}" '
		function f(x) {
			if (x == "-") return "-"
			if (unit == "s") return x < 1 ? sprintf("%.0f ms", x * 1000) : sprintf("%.2f s", x)
			if (unit == "x") return sprintf("%.1f", x)
			if (x >= 1e6) return sprintf("%.2f MB", x / 1e6)
			if (x >= 1e4) return sprintf("%.1f kB", x / 1e3)
			return sprintf("%d B", x)
		}
		function cell(m, lo, hi, n) {
			if (m == "-") return "-"
			return n == 1 ? f(m) : f(m) " [" f(lo) "-" f(hi) "]"
		}
		BEGIN {
			ratio = (sm != "-" && pm != "-" && pm > 0) ? sm / pm : ""
			split(target, t, " ")
			if (t[1] == "ratio") {
				goal = sprintf("<= %sx", t[2])
				verdict = ratio == "" ? "" : (ratio <= t[2] + 0 ? "met" : "over")
			} else if (t[1] == "bytes") {
				goal = sprintf("<= %d B", t[2])
				verdict = sm == "-" ? "" : (sm <= t[2] + 0 ? "met" : "over")
			} else {
				goal = "-"
				verdict = ""
			}
			printf "%-34s %-28s %-28s %8s  %-10s %s\n", label, cell(sm, slo, shi, sn), cell(pm, plo, phi, pn),
				ratio == "" ? "-" : sprintf("%.2fx", ratio), goal, verdict
		}' | sed 's/ *$//'
}

echo
printf '%-34s %-28s %-28s %8s  %-10s %s\n' "phase" "Sondeo median [min-max]" "PouchDB median [min-max]" \
	"ratio" "target" ""
row "first sync, wall" first 3 s "ratio 0.25"
row "first sync, bytes up" first 4 B -
row "first sync, bytes down" first 5 B -
row "one changed field, wall" one 3 s "ratio 1"
row "one changed field, bytes up" one 4 B "bytes 1024"
row "one changed field, bytes down" one 5 B "bytes 1024"
row "no-op sync, wall" noop 3 s "ratio 1"
row "no-op sync, bytes up" noop 4 B "bytes 1024"
row "no-op sync, bytes down" noop 5 B "bytes 1024"
row "new device pulls everything, wall" pull 3 s "ratio 0.2"
row "new device pulls everything, down" pull 5 B "ratio 1"
row "new device pulls everything, up" pull 4 B -
row "server data after the run (du)" data 3 B "ratio 2"
row "server bytes written in the run" written 3 B -
row "  written per byte received" wpb 3 x -
# conns PHASE : "Sondeo's/PouchDB's" median connections opened in PHASE.
conns() {
	echo "$(stat sondeo "$1" 6 | cut -d ' ' -f 1 | cut -d . -f 1)/$(stat pouchdb "$1" 6 | cut -d ' ' -f 1 | cut -d . -f 1)"
}
echo
echo "connections opened (median, Sondeo/PouchDB): first sync $(conns first), one changed field $(conns one)," \
	"no-op $(conns noop), new device $(conns pull)"
echo "load average: $load0 at the start, $load1 at the end; $(($(date +%s) - t_start)) s in all"
echo "data:    Sondeo imported $(with_commas "$N") records as $(with_commas "$ops") ops (sondeo status); PouchDB put" \
	"$(with_commas "$N") documents (bulkDocs)"
echo "bytes:   application bytes through bench/linkproxy.c (HTTP headers included), each way; wall: sondeo's" \
	"command, PouchDB's calls inside its running Node process"
echo "PouchDB: a sync is replicate.to(remote), then replicate.from(remote); the new device is a new local" \
	"PouchDB, replicate.from(remote); server data is du of pouchdb-server's -d directory"
if [ "$SLOW" != 0 ]; then
	echo
	echo "Slow link: $(with_commas "$SLOW_N") records (BENCH_SLOW_RECORDS; Sondeo: $(with_commas "$slow_ops") ops), one run" \
		"of each, through linkproxy --rate $SLOW_RATE --delay $SLOW_DELAY (1 Mbit/s each way, 300 ms round trips)"
	printf '%-34s %-28s %-28s %8s\n' "phase" "Sondeo" "PouchDB" "ratio"
	row "first sync, wall" slow-first 3 s -
	row "first sync, bytes up" slow-first 4 B -
	row "first sync, bytes down" slow-first 5 B -
	row "new device pulls everything, wall" slow-pull 3 s -
	row "new device pulls everything, down" slow-pull 5 B -
	row "new device pulls everything, up" slow-pull 4 B -
	echo "connections opened (Sondeo/PouchDB): first sync $(conns slow-first), new device $(conns slow-pull)"
fi
