#!/bin/sh
# sync.sh SONDEO SONDEOD - issue 14's own sync benchmarks (`make bench`, after bench/relay.sh): the server's
# ingest beside raw SQLite writes of the same rows, a new device's pull at two sizes, and many laptops syncing
# at once from one address. Each figure is printed with its target and the machine's load; each measure runs
# BENCH_RUNS times (default 3), the three interleaved run by run, and the median is printed with the range.
#
# These machines are shared and noisy: nothing is enforced. The bench fails (exit 1) only when something is
# actually broken: a command fails where it must not, a count is wrong. Syncs that fail in the many-laptops
# measure are its figure, not a failure of the bench.
#
# Everything goes through the real commands (the sync code changes under this bench; it measures only what a
# user runs):
#   ingest  a laptop (`sondeo init`, BENCH_RECORDS records, default 10,000, from bench/gen.awk imported with
#           `sondeo new --from`, made once and copied for each run) enrols at a fresh sondeod, alone in its
#           region so that nothing comes back, and `sondeo sync` uploads its ops: the sync's wall time (bench/
#           rss.c), and the server's own time on POST /v1/changesets (the sum of its log's times). The count is
#           checked three ways: the sync's "N changes sent", sondeod's /metrics sondeod_ops_merged_total and the
#           laptop's ops.
#           baseline: the sqlite3 shell writing the same ops, read from the laptop's store, as rows (device,
#           seq, hlc, record, form, version, field, value) into a fresh database in WAL mode with
#           synchronous=FULL, one transaction of 10,000 rows (the size of the client's change sets) per .import
#           of a CSV file; the table is a rowid table with three indexes, as many index entries per op as the
#           server's ops table (UNIQUE(did, seq), ops_record) and its fields_by_field index: UNIQUE(device, seq),
#           (record), (field, substr(value, 1, 16)). Only the load is timed (the schema is made before).
#           Ratio: sondeod's ops/s over sqlite3's.
#   pull    a new device of the same region (`sondeo init`, `sondeo enrol`, untimed) runs `sondeo sync`, which
#           pulls everything: at BENCH_RECORDS, on the ingest run's server; and at 10 times that, on a copy of
#           a server that took in those records from one laptop. Building that takes minutes, so it is kept in
#           build/bench-sync (BENCH_SYNC_CACHE overrides) keyed by the record count and bench/gen.awk's
#           checksum, as bench/relay.sh does; every run works on a copy. BENCH_BIG_RUNS (default BENCH_RUNS)
#           runs the big pull in only the first that many runs, as it is the slow one.
#   many    BENCH_DEVICES laptops (default 200), each with three records of its own (made once), enrol at a
#           fresh sondeod with one code (--uses BENCH_DEVICES), then all run `sondeo sync` at once from
#           127.0.0.1, one address, as behind an office's NAT. Printed: the syncs that failed, sondeod's peak
#           RSS (VmHWM from /proc/PID/status after the run) and the slowest sync's wall time.
# Needs cc, the sqlite3 shell and curl (for /metrics). Everything happens in a temporary directory, removed on
# exit; every server it started is stopped on the way out, Ctrl-C included.
set -eu

# Change this when the setup changes in a way the cache must not survive.
KEY=sync-bench-2
REGION=nakuru
SEED=2018
# The ops in one change set the client sends (PUSH_OPS in client/cmd-sync.c): the baseline's transactions.
TXN=10000
N=${BENCH_RECORDS:-10000}
RUNS=${BENCH_RUNS:-3}
BIG_RUNS=${BENCH_BIG_RUNS:-$RUNS}
DEVICES=${BENCH_DEVICES:-200}
# How long the concurrent syncs may take, all together, before the bench stops waiting for them (seconds).
MANY_TIMEOUT=${BENCH_MANY_TIMEOUT:-900}

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
CACHE=${BENCH_SYNC_CACHE:-$root/build/bench-sync}

bench_programs sync.sh bench "$@"
need_count BENCH_RECORDS "$N"
need_count BENCH_RUNS "$RUNS"
need_count BENCH_BIG_RUNS "$BIG_RUNS" 0
need_count BENCH_DEVICES "$DEVICES"
need_count BENCH_MANY_TIMEOUT "$MANY_TIMEOUT"
[ "$BIG_RUNS" -le "$RUNS" ] || BIG_RUNS=$RUNS
BIG=$((N * 10))
need_tools sqlite3:sqlite3 cc:gcc curl:curl

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sondeo-sync-bench.XXXXXX")
# The server being run (pid, set by start_server) and the concurrent syncs (many_pids, the
# rss processes that run them) are stopped or waited for on the way out, however the bench ends.
pid="" many_pids="" building=""
cleanup() {
	stop_pid "$pid"
	# Their server is gone, so the syncs still running end soon; removing their files under them would not.
	for _p in $many_pids; do
		wait "$_p" 2>/dev/null || true
	done
	[ -z "$building" ] || rm -rf "$building"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# timed IN OUT ERR CMD [ARG]... : runs CMD under rss; sets t (its wall time, seconds). Fails the whole
# bench if the command does not exit 0.
timed() {
	_in=$1 _out=$2 _err=$3
	shift 3
	_what=$*
	# Splitting rss's "SECONDS KB STATUS" into words is the point here.
	# shellcheck disable=SC2046
	set -- $("$rss" -i "$_in" -o "$_out" -e "$_err" "$@") || die "cannot time '$_what'"
	[ $# -eq 3 ] || die "cannot time '$_what'"
	[ "$3" = 0 ] || die "'$_what' exited with status $3" "$_err"
	t=$1
}

rss_build

# --- sondeod on loopback ----------------------------------------------------------------------------------


stop_server() {
	stop_pid "$pid"
	pid=""
}

# hwm PID : a running sondeod's peak RSS (VmHWM), in KiB; 0 when the kernel does not say.
hwm() {
	_v=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	echo "${_v:-0}"
}

# merged : the ops the running server holds, from its /metrics.
merged() {
	curl -fsS --max-time 30 "$url/metrics" >"$tmp/metrics" 2>"$tmp/metrics.err" ||
		die "GET /metrics failed" "$tmp/metrics.err"
	_m=$(sed -n 's/^sondeod_ops_merged_total \([0-9][0-9]*\)$/\1/p' "$tmp/metrics")
	[ -n "$_m" ] || die "no sondeod_ops_merged_total in /metrics" "$tmp/metrics"
	echo "$_m"
}

# code DATA USES : a code for region REGION at the server whose data is DATA.
code() {
	"$sondeod" enrol-code --data "$1" --region "$REGION" --uses "$2" --expires 1h 2>"$tmp/code.err" | head -n 1
}

# enrol HOME CODE : enrols the laptop at the running server.
enrol() {
	SONDEO_HOME=$1 "$sondeo" enrol "$url" "$2" >"$tmp/enrol.out" 2>&1 || die "sondeo enrol failed" "$tmp/enrol.out"
}

# sent_received FILE : what `sondeo sync` said it did, as "SENT RECEIVED"; dies when it did not say.
sent_received() {
	_s=$(sed -n 's/.*: \([0-9][0-9,]*\) changes\{0,1\} sent.*/\1/p' "$1" | tr -d ,)
	_r=$(sed -n 's/.* sent, \([0-9][0-9,]*\) received.*/\1/p' "$1" | tr -d ,)
	if [ -z "$_s" ] || [ -z "$_r" ]; then
		die "cannot read what sondeo sync did" "$1"
	fi
	echo "$_s $_r"
}

# new_laptop HOME NAME CSV : `sondeo init` and the records of CSV imported; untimed.
new_laptop() {
	SONDEO_HOME=$1 "$sondeo" init --name "$2" >"$tmp/init.out" 2>&1 || die "sondeo init failed" "$tmp/init.out"
	SONDEO_HOME=$1 "$sondeo" new --from "$3" >"$tmp/ids" 2>"$tmp/new.err" || die "sondeo new --from failed" "$tmp/new.err"
}

# pull_new DATA : a new device of region REGION enrols at the running server whose data is DATA and pulls
# everything; sets t and checks that it received every op the server holds.
pull_new() {
	rm -rf "$tmp/newdev"
	SONDEO_HOME=$tmp/newdev "$sondeo" init --name newcomer >"$tmp/init.out" 2>&1 ||
		die "sondeo init failed" "$tmp/init.out"
	_c=$(code "$1" 1) || die "sondeod enrol-code failed" "$tmp/code.err"
	enrol "$tmp/newdev" "$_c"
	_want=$(merged)
	timed /dev/null "$tmp/pull.out" "$tmp/pull.err" env SONDEO_HOME="$tmp/newdev" "$sondeo" sync
	[ "$(sent_received "$tmp/pull.out")" = "0 $_want" ] ||
		die "the new device's sync did not receive the $_want ops the server holds" "$tmp/pull.out"
	rm -rf "$tmp/newdev"
}

gensum=$(cksum <"$here/gen.awk" | cut -d ' ' -f 1)
echo "Sondeo sync benchmarks: ingest and pull of $(with_commas "$N") records, a pull of $(with_commas "$BIG"), and" \
	"$DEVICES laptops syncing at once from one address; median and range of $RUNS run$([ "$RUNS" = 1 ] || echo s)"
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
echo "machine: $(nproc 2>/dev/null || echo '?') CPUs, $cpu; $(uname -sr); load average $(load)"
echo "tools:   $("$sondeod" --version) ($sondeod), $("$sondeo" --version), sqlite3 $(sqlite3 --version | cut -d ' ' -f 1);" \
	"scratch on $(stat -f -c %T "$tmp" 2>/dev/null || echo "?")"

# --- the big data set: a server that took in BIG records, made through the real sync, or reused -----------

key="$KEY records=$BIG region=$REGION seed=$SEED gen.awk=$gensum"
data=$CACHE/data-$BIG

cache_ok() {
	[ -f "$data/key" ] && [ "$(cat "$data/key")" = "$key" ] && [ -f "$data/ops" ] && [ -f "$data/hq/server.db" ]
}

build_cache() {
	cache_building "$CACHE"
	_t0=$(clock)
	echo "setup:   $(with_commas "$BIG") records synced from one laptop to a sondeod, into $data (key: $key)"
	LC_ALL=C awk -v n="$BIG" -v seed="$SEED" -f "$here/gen.awk" >"$tmp/big.csv" ||
		die "cannot generate the data (bench/gen.awk)"
	new_laptop "$tmp/biglaptop" big-laptop "$tmp/big.csv"
	rm -f "$tmp/big.csv"
	"$sondeod" init --data "$building/hq" >"$tmp/init.out" 2>&1 || die "sondeod init failed" "$tmp/init.out"
	start_server "$building/hq" "$tmp/big.log" || die "sondeod serve did not start" "$tmp/big.log"
	_c=$(code "$building/hq" 1) || die "sondeod enrol-code failed" "$tmp/code.err"
	enrol "$tmp/biglaptop" "$_c"
	SONDEO_HOME=$tmp/biglaptop "$sondeo" sync >"$tmp/sync.out" 2>&1 || die "sondeo sync failed" "$tmp/sync.out"
	_ops=$(merged)
	[ "$(sent_received "$tmp/sync.out")" = "$_ops 0" ] ||
		die "the laptop's sync and the server's $_ops ops do not agree" "$tmp/sync.out"
	stop_server
	rm -rf "$tmp/biglaptop"
	echo "$_ops" >"$building/ops"
	echo "$key" >"$building/key"
	rm -rf "$data"
	mv "$building" "$data"
	building=""
	echo "setup:   built in $(secs_since "$_t0") s: $(with_commas "$_ops") ops"
}

big_ops=0
if [ "$BIG_RUNS" = 0 ]; then
	:
elif cache_ok; then
	echo "data:    $(with_commas "$BIG") records for the big pull reused from $data (delete it to rebuild)"
else
	[ ! -e "$data" ] || echo "setup:   the cached data in $data has another key or is incomplete: rebuilding"
	build_cache
fi
[ "$BIG_RUNS" = 0 ] || big_ops=$(cat "$data/ops")

# --- the laptops, made once --------------------------------------------------------------------------------

LC_ALL=C awk -v n="$N" -v seed="$SEED" -f "$here/gen.awk" >"$tmp/records.csv" ||
	die "cannot generate the data (bench/gen.awk)"
new_laptop "$tmp/laptop" laptop "$tmp/records.csv"
ops=$(sqlite3 "$tmp/laptop/store.db" "SELECT count(*) FROM ops") || die "cannot count the laptop's ops"

# The baseline's rows: the laptop's ops as CSV, one file per transaction, in the order they are sent.
chunks=$(((ops + TXN - 1) / TXN))
{
	echo ".mode csv"
	echo ".headers off"
	_k=0
	while [ $_k -lt "$chunks" ]; do
		echo ".output '$tmp/rows-$_k.csv'"
		# A shown op's value is kept in fields alone (common/merge.h).
		echo "SELECT d.id, o.seq, o.hlc, r.id, r.form, o.form_version, o.field,"
		echo " coalesce(nullif(o.value, ''), (SELECT f.value FROM fields f WHERE f.rid = o.rid AND f.field = o.field)) FROM ops o"
		echo " JOIN devices d ON d.did = o.did JOIN records r ON r.rid = o.rid"
		echo " ORDER BY o.did, o.seq LIMIT $TXN OFFSET $((_k * TXN));"
		_k=$((_k + 1))
	done
} >"$tmp/rows.sql"
sqlite3 -bail "$tmp/laptop/store.db" <"$tmp/rows.sql" >"$tmp/rows.err" 2>&1 ||
	die "cannot read the laptop's ops (client/store.c and common/merge.c changed?)" "$tmp/rows.err"
cat >"$tmp/schema.sql" <<EOF
PRAGMA journal_mode=WAL;
CREATE TABLE ops(device TEXT NOT NULL, seq INTEGER NOT NULL, hlc INTEGER NOT NULL, record TEXT NOT NULL,
	form TEXT NOT NULL, version TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, UNIQUE(device, seq));
CREATE INDEX ops_record ON ops(record);
CREATE INDEX ops_field ON ops(field, substr(value, 1, 16));
EOF
{
	echo "PRAGMA synchronous=FULL;"
	echo ".mode csv"
	_k=0
	while [ $_k -lt "$chunks" ]; do
		echo "BEGIN;"
		echo ".import '$tmp/rows-$_k.csv' ops"
		echo "COMMIT;"
		_k=$((_k + 1))
	done
} >"$tmp/load.sql"

# The many laptops, three records each; their own seeds, so that no two hold the same records.
t0=$(clock)
i=1
while [ $i -le "$DEVICES" ]; do
	LC_ALL=C awk -v n=3 -v seed=$((SEED * 1000 + i)) -f "$here/gen.awk" >"$tmp/few.csv" ||
		die "cannot generate the data (bench/gen.awk)"
	new_laptop "$tmp/many/laptop-$i" "office-$i" "$tmp/few.csv"
	i=$((i + 1))
done
many_ops=0
i=1
while [ $i -le "$DEVICES" ]; do
	many_ops=$((many_ops + $(sqlite3 "$tmp/many/laptop-$i/store.db" "SELECT count(*) FROM ops")))
	i=$((i + 1))
done
echo "data:    $(with_commas "$N") records ($(with_commas "$ops") ops) on one laptop, $(with_commas "$big_ops") ops for the" \
	"big pull; $DEVICES laptops with 3 records each ($(with_commas "$many_ops") ops), made in $(secs_since "$t0") s;" \
	"bench/gen.awk seed $SEED"
echo

# --- the runs ------------------------------------------------------------------------------------------------

in_t="" in_srv="" base_t="" pull_t="" big_t="" fails="" peaks="" slowest="" loads_in="" loads_pull="" loads_many=""

# ingest_run : the laptop's upload to a fresh sondeod, then a new device's pull from it.
ingest_run() {
	rm -rf "$tmp/run"
	mkdir -p "$tmp/run"
	"$sondeod" init --data "$tmp/run/hq" >"$tmp/init.out" 2>&1 || die "sondeod init failed" "$tmp/init.out"
	start_server "$tmp/run/hq" "$tmp/run.log" || die "sondeod serve did not start" "$tmp/run.log"
	cp -Rp "$tmp/laptop" "$tmp/run/laptop"
	_c=$(code "$tmp/run/hq" 1) || die "sondeod enrol-code failed" "$tmp/code.err"
	enrol "$tmp/run/laptop" "$_c"
	loads_in="$loads_in $(load | cut -d ' ' -f 1)"
	timed /dev/null "$tmp/sync.out" "$tmp/sync.err" env SONDEO_HOME="$tmp/run/laptop" "$sondeo" sync
	[ "$(sent_received "$tmp/sync.out")" = "$ops 0" ] ||
		die "the laptop's sync did not send its $ops ops, or received some" "$tmp/sync.out"
	_m=$(merged)
	[ "$_m" = "$ops" ] || die "sondeod holds $_m ops after the upload of $ops" "$tmp/run.log"
	in_t="$in_t $t"
	# The server's own time on the change sets: its log's "... POST /v1/changesets[?pull=N] 200 in=N out=N Tms"
	# lines.
	_ms=$(LC_ALL=C awk '$4 ~ /^\/v1\/changesets(\?|$)/ && $8 ~ /^[0-9]+ms$/ {
		if ($5 != 200) bad++; ms += $8 + 0 } END { print (bad ? -1 : ms + 0) }' "$tmp/run.log")
	[ "$_ms" -gt 0 ] || die "sondeod's log shows no change set taken in, or one refused" "$tmp/run.log"
	in_srv="$in_srv $(calc "print $_ms / 1000")"
	loads_pull="$loads_pull $(load | cut -d ' ' -f 1)"
	pull_new "$tmp/run/hq"
	pull_t="$pull_t $t"
	stop_server
	rm -rf "$tmp/run"
}

# base_run : the same rows into a fresh database with the sqlite3 shell.
base_run() {
	rm -f "$tmp/base.db" "$tmp/base.db-wal" "$tmp/base.db-shm"
	sqlite3 -bail "$tmp/base.db" <"$tmp/schema.sql" >/dev/null 2>"$tmp/base.err" ||
		die "sqlite3 cannot make the baseline's table" "$tmp/base.err"
	timed "$tmp/load.sql" /dev/null "$tmp/base.err" sqlite3 -bail "$tmp/base.db"
	[ ! -s "$tmp/base.err" ] || die "sqlite3 .import complained" "$tmp/base.err"
	_got=$(sqlite3 "$tmp/base.db" "SELECT count(*) FROM ops")
	[ "$_got" = "$ops" ] || die "the baseline's table holds $_got rows for $ops ops"
	base_t="$base_t $t"
}

# big_run : a new device's pull from a copy of the big data set's server.
big_run() {
	rm -rf "$tmp/big"
	mkdir -p "$tmp/big"
	cp -Rp "$data/hq" "$tmp/big/hq"
	if ! start_server "$tmp/big/hq" "$tmp/big.log"; then
		# A cache the current sondeod cannot serve (an older layout it refuses): made again, once.
		echo "setup:   sondeod cannot serve the cached data ($(tail -n 1 "$tmp/big.log")): rebuilding"
		rm -rf "$tmp/big"
		build_cache
		big_ops=$(cat "$data/ops")
		mkdir -p "$tmp/big"
		cp -Rp "$data/hq" "$tmp/big/hq"
		start_server "$tmp/big/hq" "$tmp/big.log" || die "sondeod serve did not start on the new data" "$tmp/big.log"
	fi
	_m=$(merged)
	[ "$_m" = "$big_ops" ] || die "the big data set's server holds $_m ops; it took in $big_ops"
	pull_new "$tmp/big/hq"
	big_t="$big_t $t"
	stop_server
	rm -rf "$tmp/big"
}

# many_run : DEVICES laptops enrolled at a fresh sondeod, then all syncing at once.
many_run() {
	rm -rf "$tmp/m"
	mkdir -p "$tmp/m/res"
	"$sondeod" init --data "$tmp/m/hq" >"$tmp/init.out" 2>&1 || die "sondeod init failed" "$tmp/init.out"
	start_server "$tmp/m/hq" "$tmp/many.log" || die "sondeod serve did not start" "$tmp/many.log"
	_c=$(code "$tmp/m/hq" "$DEVICES") || die "sondeod enrol-code failed" "$tmp/code.err"
	_i=1
	while [ $_i -le "$DEVICES" ]; do
		cp -Rp "$tmp/many/laptop-$_i" "$tmp/m/laptop-$_i"
		enrol "$tmp/m/laptop-$_i" "$_c"
		_i=$((_i + 1))
	done
	loads_many="$loads_many $(load | cut -d ' ' -f 1)"
	_i=1
	while [ $_i -le "$DEVICES" ]; do
		"$rss" -o "$tmp/m/res/out-$_i" -e "$tmp/m/res/err-$_i" env SONDEO_HOME="$tmp/m/laptop-$_i" "$sondeo" sync \
			>"$tmp/m/res/rss-$_i" 2>&1 &
		many_pids="$many_pids $!"
		_i=$((_i + 1))
	done
	# shellcheck disable=SC2086
	wait_all "$MANY_TIMEOUT" "the $DEVICES syncs" $many_pids
	many_pids=""
	_kb=$(hwm "$pid")
	_m=$(merged)
	stop_server
	# rss's line for each: "SECONDS KB STATUS".
	_bad=0 _slow=0 _sent=0
	_i=1
	while [ $_i -le "$DEVICES" ]; do
		# shellcheck disable=SC2046
		set -- $(cat "$tmp/m/res/rss-$_i")
		[ $# -eq 3 ] || die "bench/rss.c could not time a sync" "$tmp/m/res/rss-$_i"
		_slow=$(calc "print ($1 > $_slow) ? $1 : $_slow")
		if [ "$3" = 0 ]; then
			_sr=$(sent_received "$tmp/m/res/out-$_i")
			_sent=$((_sent + ${_sr% *}))
		else
			[ $_bad -gt 0 ] || cp "$tmp/m/res/err-$_i" "$tmp/many-first-failure"
			_bad=$((_bad + 1))
		fi
		_i=$((_i + 1))
	done
	# What the syncs that succeeded sent is held; those that failed may have sent part of theirs.
	if [ "$_m" -lt "$_sent" ] || [ "$_m" -gt "$many_ops" ]; then
		die "sondeod holds $_m ops; the syncs that succeeded sent $_sent, the laptops made $many_ops" "$tmp/many.log"
	fi
	fails="$fails $_bad" peaks="$peaks $_kb" slowest="$slowest $_slow"
	rm -rf "$tmp/m"
}

run=1
while [ $run -le "$RUNS" ]; do
	t0=$(clock)
	ingest_run
	base_run
	[ "$run" -gt "$BIG_RUNS" ] || big_run
	many_run
	echo "run $run of $RUNS: $(secs_since "$t0") s"
	run=$((run + 1))
done
echo

# --- the figures ---------------------------------------------------------------------------------------------

# row LABEL TEXT : one line of figures, the labels aligned.
row() {
	printf '  %-40s %s\n' "$1" "$2"
}

in_rate=$(per "$in_t" "$ops") srv_rate=$(per "$in_srv" "$ops") base_rate=$(per "$base_t" "$ops")
in_ratio=$(ratios "$in_rate" "$base_rate") srv_ratio=$(ratios "$srv_rate" "$base_rate")
echo "ingest:  $(with_commas "$ops") ops in $chunks change sets, uploaded by sondeo sync to a fresh sondeod"
echo "         ($(loads "$loads_in"))"
row "sondeod, by the sync's wall time" "$(figure "$in_rate" int) ops/s; $(figure "$in_t" "%.2f") s"
row "sondeod, by its log's time on them" "$(figure "$srv_rate" int) ops/s; $(figure "$in_srv" "%.2f") s"
row "sqlite3 .import of the same rows" "$(figure "$base_rate" int) ops/s; $(figure "$base_t" "%.2f") s"
# shellcheck disable=SC2086
row "ratio, sondeod / sqlite3" "$(figure "$in_ratio" "%.2f")   target >= 0.5$(verdict "$(median $in_ratio)" ">=" 0.5)"
# shellcheck disable=SC2086
row "ratio by sondeod's log" "$(figure "$srv_ratio" "%.2f")   target >= 0.5$(verdict "$(median $srv_ratio)" ">=" 0.5)"
echo "         sqlite3: a fresh database, WAL, synchronous=FULL, $TXN rows a transaction, UNIQUE(device, seq) and"
echo "         indexes on (record) and (field, first 16 characters of value): the server's ops table's two and its"
echo "         fields_by_field"
echo

echo "pull:    a new device of the region runs sondeo sync and receives everything"
echo "         ($(loads "$loads_pull"))"
row "$(with_commas "$N") records ($(with_commas "$ops") ops)" "$(figure "$pull_t" "%.2f") s"
if [ -n "$big_t" ]; then
	# shellcheck disable=SC2086
	pull_ratio=$(calc "print $(median $big_t) / $(median $pull_t)")
	row "$(with_commas "$BIG") records ($(with_commas "$big_ops") ops)" "$(figure "$big_t" "%.2f") s$([ "$BIG_RUNS" = "$RUNS" ] ||
		echo " ($BIG_RUNS run$([ "$BIG_RUNS" = 1 ] || echo s) of $RUNS)")"
	row "time grows, for 10x the records" "$(calc "printf \"%.1fx\", $pull_ratio") (medians)   target <= 12x$(verdict \
		"$pull_ratio" "<=" 12)"
else
	row "$(with_commas "$BIG") records" "not run (BENCH_BIG_RUNS=0)"
fi
echo

echo "many:    $DEVICES laptops enrolled at one sondeod, all running sondeo sync at once from 127.0.0.1"
echo "         ($(loads "$loads_many"))"
# shellcheck disable=SC2086
row "syncs that failed" "$(figure "$fails" "%d") of $DEVICES   target 0$(verdict "$(median $fails)" "<=" 0)"
# shellcheck disable=SC2086
row "sondeod's peak RSS (VmHWM)" "$(figure "$peaks" "%.1f" "1/1024") MiB   target <= 96 MiB$(verdict \
	"$(median $peaks)" "<=" $((96 * 1024)))"
row "the slowest sync's wall time" "$(figure "$slowest" "%.2f") s"
if [ -s "$tmp/many-first-failure" ]; then
	echo "         the first failure said: $(grep . "$tmp/many-first-failure" | tail -n 1)"
fi
