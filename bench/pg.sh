#!/bin/sh
# pg.sh SONDEO SONDEOD - issue 19's benchmark (`make bench`, after the others): headquarters on PostgreSQL with
# 1, 2 and 4 sondeod processes on one database, beside one sondeod on SQLite, in the same run on the same data;
# then the review page's dashboard and the exports of 100,000 records on both engines. Each PostgreSQL figure is
# printed beside the SQLite one as a ratio. There are no targets: PostgreSQL is there for availability (several
# processes, a database that replicates and backs up while it serves), not for raw speed on one small machine,
# and on one machine its processes share the same cores as the database. Each measure runs BENCH_RUNS times
# (default 3), the engines interleaved run by run, and the median is printed with the range and the machine's
# load at each run's start.
#
# The bench fails (exit 1) only when something is actually broken: a command fails, a sync fails, a count is
# wrong (the ops held differ from the ops sent, a pull misses some), the two engines' exports differ.
#
# The PostgreSQL cluster is a throwaway one, made by tests/cli/pg.inc as for the tests (Debian's postgresql,
# initdb --no-sync, a Unix socket only) and it runs with fsync=off, synchronous_commit=off and
# full_page_writes=off: its commits never wait for the disk. SQLite runs with sondeod's normal settings (WAL,
# synchronous=FULL: an fsync of the WAL at each commit). So PostgreSQL skips a durability cost SQLite pays: on a
# slow disk the ratios flatter PostgreSQL; a production cluster with fsync on pays at least one WAL flush a commit.
#
#   ingest  BENCH_PG_LAPTOPS laptops (default 8), each with BENCH_PG_RECORDS / BENCH_PG_LAPTOPS records (default
#           2,400 in all) from bench/gen.awk, each with its own seed, imported with `sondeo new --from` (made once,
#           copied for each run), each enrolled alone in a region of its own so that nothing comes back, enrol
#           at a fresh headquarters through a load balancer (tests/balancer.c, a random backend per connection,
#           in front of every configuration, SQLite's one process included), then all run `sondeo sync` at once.
#           Figure: all the ops sent / the slowest sync's wall time (bench/rss.c). Checked: each sync's "N
#           changes sent, 0 received" against its laptop's ops, sondeod_ops_merged_total in every process's
#           /metrics (the ops the store holds, the same for all) and count(*) of the ops table (psql or sqlite3).
#   pull    then BENCH_PG_PULLERS new laptops (default 4; `sondeo init`, enrolled through the balancer, untimed),
#           the k-th in the k-th laptop's region, all run `sondeo sync` at once and each receives its region's
#           every op. Figure: the slowest pull's wall time. Checked: each received exactly its region's ops.
#   review  bench/review.sh's cached server of BENCH_REVIEW_RECORDS records (default 100,000; build/bench-review,
#           built by running bench/review.sh when it is missing or stale) is copied, never changed, and served as
#           it is on SQLite. The same data on PostgreSQL is a copy moved by `sondeod migrate`: that takes minutes
#           (its time and peak RSS are printed), so it is done once and kept in build/bench-pg (BENCH_PG_CACHE
#           overrides) as a pg_dump and the data directory, keyed by the review data's key (and PGKEY below);
#           each run restores it into a fresh database. One process on each engine; the reviewer logs in to both.
#             dashboard  GET /v1/dashboard, BENCH_RUNS times on each, interleaved: sondeod's own time (its log
#                        line's "NNNms") and curl's time_total; the record counts of both answers must agree.
#             exports    `sondeod export --format csv` and `--format xlsx` -o FILE on each, BENCH_PG_EXPORT_RUNS
#                        times (default BENCH_RUNS), interleaved, servers stopped: wall time and peak RSS (bench/
#                        rss.c). The two engines' CSV files must hold the same rows.
#           BENCH_PG_REVIEW=0 leaves this part out.
# BENCH_PG_PROCS (default "1 2 4") lists the process counts on PostgreSQL. Needs cc, curl, the sqlite3 shell and
# Debian's postgresql (installed by tests/cli/pg.inc through scripts/deps.sh when missing, as root). Everything
# happens in a temporary directory, removed on exit; every server, the balancer and the cluster are stopped on
# the way out, Ctrl-C included.
set -eu

REGION=pg
SEED=2018
LAPTOPS=${BENCH_PG_LAPTOPS:-8}
NREC=${BENCH_PG_RECORDS:-2400}
PULLERS=${BENCH_PG_PULLERS:-4}
RUNS=${BENCH_RUNS:-3}
XRUNS=${BENCH_PG_EXPORT_RUNS:-$RUNS}
PROCS=${BENCH_PG_PROCS:-1 2 4}
REVIEW=${BENCH_PG_REVIEW:-1}
NBIG=${BENCH_REVIEW_RECORDS:-100000}
# How long the concurrent syncs may take, all together, before the bench stops waiting for them (seconds).
SYNC_TIMEOUT=${BENCH_PG_TIMEOUT:-900}

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
CACHE=${BENCH_REVIEW_CACHE:-$root/build/bench-review}
PGCACHE=${BENCH_PG_CACHE:-$root/build/bench-pg}
# Change this when the PostgreSQL cache (below) must not survive a change.
PGKEY=pg-bench-2     # 2: sondeod migrate makes the search index itself

bench_programs pg.sh bench "$@"
need_count BENCH_PG_LAPTOPS "$LAPTOPS"
need_count BENCH_PG_RECORDS "$NREC" "$LAPTOPS"
need_count BENCH_PG_PULLERS "$PULLERS"
need_count BENCH_RUNS "$RUNS"
need_count BENCH_PG_EXPORT_RUNS "$XRUNS"
need_count BENCH_REVIEW_RECORDS "$NBIG"
need_count BENCH_PG_TIMEOUT "$SYNC_TIMEOUT"
case $REVIEW in 0 | 1) ;; *) echo "bench: BENCH_PG_REVIEW must be 0 or 1" >&2 && exit 2 ;; esac
for _p in $PROCS; do need_count "BENCH_PG_PROCS (each)" "$_p"; done
[ -n "$PROCS" ] || need_count BENCH_PG_PROCS ""
need_tools sqlite3:sqlite3 cc:gcc curl:curl

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sondeo-pg-bench.XXXXXX")
# The servers (srv_pids, and pid while start_backend runs), the balancer (lb_pid) and the syncs running at once
# (sync_pids) are stopped or waited for on the way out, then the PostgreSQL cluster (run_at_exit: pg.inc's), then
# the files go.
srv_pids="" pid="" lb_pid="" sync_pids="" building=""
cleanup() {
	for _p in $pid $srv_pids; do stop_pid "$_p"; done
	for _p in $sync_pids; do wait "$_p" 2>/dev/null || true; done
	stop_pid "$lb_pid"
	run_at_exit
	[ -z "$building" ] || rm -rf "$building"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# tests/cli/pg.inc's contract: TOP, TMPDIR and at_exit (bench/lib.sh's).
TOP=$root TMPDIR=$tmp
export TMPDIR
# The tests' lean settings are not the bench's: its planner needs the statistics autovacuum gathers.
PG_LEAN=""
# A cluster of the bench's own, whatever the environment says.
PG_OWN=1
. "$root/tests/cli/pg.inc"

rss_build
cc -O2 -o "$tmp/balancer" "$root/tests/balancer.c" 2>"$tmp/cc.err" || die "cannot compile tests/balancer.c with cc" "$tmp/cc.err"

# --- the cluster, the balancer, the servers ----------------------------------------------------------------

pg_start || die "$PG_WHY"
# psql* ARGS : the cluster's psql on its socket, quiet, unaligned; dies with psql's words on failure.
psqlq() {
	"$PG_BIN/psql" -XAtq -v ON_ERROR_STOP=1 "$@" 2>"$tmp/psql.err" || die "psql $*" "$tmp/psql.err"
}
conninfo() {
	echo "host=$PG_DIR dbname=$1 user=sondeo"
}
# newdb NAME : a fresh empty database NAME (dropped first if there).
newdb() {
	psqlq "$PG_CONNINFO" -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1 TEMPLATE template0"
}

# The balancer, one for the whole bench, in front of whatever $tmp/ports lists.
: >"$tmp/ports"
"$tmp/balancer" "$tmp/ports" >"$tmp/lb.out" 2>&1 &
lb_pid=$!
_i=0
while [ $_i -lt 100 ] && ! grep -q "^ready " "$tmp/lb.out" && kill -0 "$lb_pid" 2>/dev/null; do
	sleep 0.05
	_i=$((_i + 1))
done
lb_port=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$tmp/lb.out")
[ -n "$lb_port" ] || die "tests/balancer.c did not start" "$tmp/lb.out"
LB=http://127.0.0.1:$lb_port

# start_backend DATA LOG : one more `sondeod serve` of DATA on a port the system picks; its pid joins srv_pids,
# its URL urls, its port the balancer's list.
start_backend() {
	: >"$2"
	"$sondeod" serve --data "$1" --listen 127.0.0.1:0 2>"$2" &
	pid=$!
	_sb_i=0 _sb_url=""
	# A server that upgrades its store's layout first says nothing until done: wait as long as it lives.
	while [ $_sb_i -lt 12000 ]; do
		_sb_url=$(sed -n 's/^sondeod: serving \([^ ]*\) for .*/\1/p' "$2")
		[ -z "$_sb_url" ] || break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
		_sb_i=$((_sb_i + 1))
	done
	srv_pids="$srv_pids $pid" pid=""
	[ -n "$_sb_url" ] || die "sondeod serve did not start" "$2"
	urls="$urls $_sb_url"
	echo "${_sb_url##*:}" >>"$tmp/ports"
}
stop_backends() {
	: >"$tmp/ports"
	for _p in $srv_pids; do stop_pid "$_p"; done
	srv_pids="" urls=""
}
urls=""

# merged_each : sondeod_ops_merged_total of each running process's /metrics, one a line. It is the ops the
# store holds (a count of the database, not of what the process merged): every process must say the same.
merged_each() {
	for _u in $urls; do
		curl -fsS --max-time 30 "$_u/metrics" >"$tmp/metrics" 2>"$tmp/metrics.err" ||
			die "GET $_u/metrics failed" "$tmp/metrics.err"
		_m=$(sed -n 's/^sondeod_ops_merged_total \([0-9][0-9]*\)$/\1/p' "$tmp/metrics")
		[ -n "$_m" ] || die "no sondeod_ops_merged_total in $_u/metrics" "$tmp/metrics"
		echo "$_m"
	done
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

# --- the laptops, made once --------------------------------------------------------------------------------

echo "Sondeo on PostgreSQL (issue 19): ingest and pull with $(echo "$PROCS" | sed 's/ /, /g') sondeod on PostgreSQL" \
	"beside one on SQLite; median and range of $RUNS run$([ "$RUNS" = 1 ] || echo s), interleaved"
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
echo "machine: $(nproc 2>/dev/null || echo '?') CPUs, $cpu; $(uname -sr); load average $(load)"
echo "tools:   $("$sondeod" --version) ($sondeod), $("$sondeo" --version), sqlite3 $(sqlite3 --version | cut -d ' ' -f 1)," \
	"$("$PG_BIN/postgres" --version); scratch on $(stat -f -c %T "$tmp" 2>/dev/null || echo "?")"
echo "         PostgreSQL: a throwaway cluster on a Unix socket, fsync=off, synchronous_commit=off," \
	"full_page_writes=off (no wait for the disk);"
echo "         SQLite: sondeod's own settings (WAL, synchronous=FULL: an fsync a commit). PostgreSQL is spared that."

t0=$(clock)
per_laptop=$((NREC / LAPTOPS))
lap_ops="" all_ops=0
i=1
while [ $i -le "$LAPTOPS" ]; do
	n=$per_laptop
	[ $i -lt "$LAPTOPS" ] || n=$((NREC - (LAPTOPS - 1) * per_laptop))
	LC_ALL=C awk -v n="$n" -v seed=$((SEED * 1000 + i)) -f "$here/gen.awk" >"$tmp/records.csv" ||
		die "cannot generate the data (bench/gen.awk)"
	SONDEO_HOME=$tmp/laptops/$i "$sondeo" init --name "laptop-$i" >"$tmp/init.out" 2>&1 ||
		die "sondeo init failed" "$tmp/init.out"
	SONDEO_HOME=$tmp/laptops/$i "$sondeo" new --from "$tmp/records.csv" >"$tmp/ids" 2>"$tmp/new.err" ||
		die "sondeo new --from failed" "$tmp/new.err"
	[ "$(lines "$tmp/ids")" = "$n" ] || die "sondeo new --from saved $(lines "$tmp/ids") records for $n"
	_o=$(sqlite3 "$tmp/laptops/$i/store.db" "SELECT count(*) FROM ops") || die "cannot count a laptop's ops"
	lap_ops="$lap_ops $_o" all_ops=$((all_ops + _o))
	i=$((i + 1))
done
rm -f "$tmp/records.csv"
# The pullers' empty stores, each its own key (a key enrolled again keeps its first region).
k=1
while [ $k -le "$PULLERS" ]; do
	SONDEO_HOME=$tmp/pullers/$k "$sondeo" init --name "newcomer-$k" >"$tmp/init.out" 2>&1 ||
		die "sondeo init failed" "$tmp/init.out"
	k=$((k + 1))
done
# laptop_ops K : the ops laptop K made (its region's every op).
laptop_ops() {
	echo "$lap_ops" | awk -v k="$1" '{ print $k }'
}
pulled=0
k=1
while [ $k -le "$PULLERS" ]; do
	pulled=$((pulled + $(laptop_ops $(((k - 1) % LAPTOPS + 1)))))
	k=$((k + 1))
done
echo "data:    $LAPTOPS laptops, $(with_commas "$NREC") records ($(with_commas "$all_ops") ops) in all, made in" \
	"$(secs_since "$t0") s; bench/gen.awk seed $SEED*1000+laptop"
echo

# --- ingest and pull -----------------------------------------------------------------------------------------

# code DATA REGION USES : an enrolment code of REGION from the server whose data is DATA.
code() {
	"$sondeod" enrol-code --data "$1" --region "$2" --uses "$3" --expires 1h 2>"$tmp/code.err" | head -n 1
}

# at_once PREFIX HOME... : `sondeo sync` on every HOME at once, each under bench/rss.c; waits for them all (at
# most SYNC_TIMEOUT s). Results in $tmp/res/PREFIX-K.{rss,out,err}, K the HOME's place; slowest set to the
# slowest sync's wall time. Dies when one fails.
# enrol_copies KIND N : copies the stores made once, $tmp/KINDs/1..N, to $tmp/run/KIND-k, and enrols each through
# the balancer at $tmp/run/hq in region REGION-j, j the k-th laptop's (k itself for a laptop); their homes in
# _homes.
enrol_copies() {
	_homes=""
	_k=1
	while [ $_k -le "$2" ]; do
		cp -Rp "$tmp/${1}s/$_k" "$tmp/run/$1-$_k"
		_c=$(code "$tmp/run/hq" "$REGION-$(((_k - 1) % LAPTOPS + 1))" 1) || die "sondeod enrol-code failed" "$tmp/code.err"
		SONDEO_HOME=$tmp/run/$1-$_k "$sondeo" enrol "$LB" "$_c" >"$tmp/enrol.out" 2>&1 ||
			die "sondeo enrol failed" "$tmp/enrol.out"
		_homes="$_homes $tmp/run/$1-$_k"
		_k=$((_k + 1))
	done
}

at_once() {
	_pre=$1
	shift
	mkdir -p "$tmp/res"
	_k=0
	for _h in "$@"; do
		_k=$((_k + 1))
		"$rss" -o "$tmp/res/$_pre-$_k.out" -e "$tmp/res/$_pre-$_k.err" env SONDEO_HOME="$_h" "$sondeo" sync \
			>"$tmp/res/$_pre-$_k.rss" 2>&1 &
		sync_pids="$sync_pids $!"
	done
	# shellcheck disable=SC2086
	wait_all "$SYNC_TIMEOUT" "the syncs" $sync_pids
	sync_pids=""
	slowest=0
	_k=1
	while [ $_k -le $# ]; do
		# rss's line: "SECONDS KB STATUS".
		_st=""
		read -r _s _kb _st <"$tmp/res/$_pre-$_k.rss" || true
		[ -n "$_st" ] || die "bench/rss.c could not time a sync" "$tmp/res/$_pre-$_k.rss"
		[ "$_st" = 0 ] || die "sondeo sync ($_pre $_k) exited with status $_st" "$tmp/res/$_pre-$_k.err"
		slowest=$(calc "print ($_s > $slowest) ? $_s : $slowest")
		_k=$((_k + 1))
	done
}

# ops_held ENGINE DATA DB : count(*) of the ops table of that headquarters.
ops_held() {
	if [ "$1" = sqlite ]; then
		sqlite3 -cmd ".timeout 5000" "$2/server.db" "SELECT count(*) FROM ops" 2>"$tmp/count.err" ||
			die "sqlite3 cannot count the ops" "$tmp/count.err"
	else
		psqlq "$(conninfo "$3")" -c "SELECT count(*) FROM ops"
	fi
}

# config_run ENGINE PROCS RUN : a fresh headquarters (SQLite, or a fresh PostgreSQL database) served by PROCS
# processes behind the balancer; the laptops' ingest, then the pullers' pull. Appends to in_ENGINE_PROCS and
# pull_ENGINE_PROCS.
config_run() {
	_eng=$1 _np=$2 _run=$3
	_tag=${_eng}_$_np
	rm -rf "$tmp/run"
	mkdir -p "$tmp/run"
	_db=""
	if [ "$_eng" = sqlite ]; then
		"$sondeod" init --data "$tmp/run/hq" >"$tmp/init.out" 2>&1 || die "sondeod init failed" "$tmp/init.out"
	else
		_db=ingest_$_np
		newdb "$_db"
		"$sondeod" init --data "$tmp/run/hq" --store "$(conninfo "$_db")" >"$tmp/init.out" 2>&1 ||
			die "sondeod init --store failed" "$tmp/init.out"
	fi
	_k=1
	while [ $_k -le "$_np" ]; do
		start_backend "$tmp/run/hq" "$tmp/run/hq-$_k.log"
		_k=$((_k + 1))
	done
	# The laptops, each alone in its region, enrolled through the balancer.
	enrol_copies laptop "$LAPTOPS"
	eval "ld_in_$_tag=\"\${ld_in_$_tag:-} $(load | cut -d ' ' -f 1)\""
	# shellcheck disable=SC2086
	at_once "in-$_tag" $_homes
	_k=1
	while [ $_k -le "$LAPTOPS" ]; do
		_o=$(laptop_ops $_k)
		[ "$(sent_received "$tmp/res/in-$_tag-$_k.out")" = "$_o 0" ] ||
			die "laptop $_k's sync did not send its $_o ops, or received some ($_eng, $_np processes)" \
				"$tmp/res/in-$_tag-$_k.out"
		_k=$((_k + 1))
	done
	for _m in $(merged_each); do
		[ "$_m" = "$all_ops" ] || die "a process's /metrics says $_m ops held for $all_ops sent ($_eng, $_np processes)" \
			"$tmp/run/hq-1.log"
	done
	_h=$(ops_held "$_eng" "$tmp/run/hq" "$_db")
	[ "$_h" = "$all_ops" ] || die "headquarters holds $_h ops for $all_ops sent ($_eng, $_np processes)" "$tmp/run/hq-1.log"
	eval "in_$_tag=\"\${in_$_tag:-} $slowest\""

	# The pullers, the k-th in the k-th laptop's region.
	enrol_copies puller "$PULLERS"
	eval "ld_pull_$_tag=\"\${ld_pull_$_tag:-} $(load | cut -d ' ' -f 1)\""
	# shellcheck disable=SC2086
	at_once "pull-$_tag" $_homes
	_k=1
	while [ $_k -le "$PULLERS" ]; do
		_o=$(laptop_ops $(((_k - 1) % LAPTOPS + 1)))
		[ "$(sent_received "$tmp/res/pull-$_tag-$_k.out")" = "0 $_o" ] ||
			die "puller $_k did not receive its region's $_o ops ($_eng, $_np processes)" "$tmp/res/pull-$_tag-$_k.out"
		_k=$((_k + 1))
	done
	eval "pull_$_tag=\"\${pull_$_tag:-} $slowest\""
	stop_backends
	if grep -l "ERROR\|FATAL\|PANIC" "$PG_DIR/log" >/dev/null 2>&1; then
		cp "$PG_DIR/log" "$tmp/pg-errors.log" 2>/dev/null || true
	fi
	[ -z "$_db" ] || psqlq "$PG_CONNINFO" -c "DROP DATABASE $_db"
	rm -rf "$tmp/run" "$tmp/res"
}

configs="sqlite:1"
for _p in $PROCS; do configs="$configs pg:$_p"; done
run=1
while [ $run -le "$RUNS" ]; do
	t0=$(clock)
	for c in $configs; do
		config_run "${c%%:*}" "${c#*:}" "$run"
	done
	echo "run $run of $RUNS: $(secs_since "$t0") s"
	run=$((run + 1))
done
echo

# load_line NAME : the 1-minute load at the start of each run of each configuration (the lists NAME_ENGINE_PROCS).
load_line() {
	_ll=""
	for _c in $configs; do
		eval "_v=\$$1_${_c%%:*}_${_c#*:}"
		# shellcheck disable=SC2154
		_ll="$_ll; $([ "${_c%%:*}" = sqlite ] && echo SQLite || echo "PostgreSQL x${_c#*:}") $(echo $_v | sed 's/ /, /g')"
	done
	echo "         1-minute load average at each run's start:${_ll#;}"
}

# row LABEL TEXT : one line of figures, the labels aligned.
row() {
	printf '  %-34s %s\n' "$1" "$2"
}

echo "ingest:  $LAPTOPS laptops ($(with_commas "$all_ops") ops in all) upload at once through the balancer to a fresh"
echo "         headquarters; ops/s = all ops / the slowest sync's wall time. Ratio: PostgreSQL's ops/s over SQLite's"
echo "         (above 1: faster)."
base_rate=$(per "$in_sqlite_1" "$all_ops")
# shellcheck disable=SC2154
row "SQLite, 1 sondeod" "$(figure "$base_rate" int) ops/s; $(figure "$in_sqlite_1" "%.2f") s"
for _p in $PROCS; do
	eval "_t=\$in_pg_$_p"
	_r=$(per "$_t" "$all_ops")
	row "PostgreSQL, $_p sondeod" "$(figure "$_r" int) ops/s; $(figure "$_t" "%.2f") s   ratio $(figure "$(ratios "$_r" "$base_rate")" "%.2f")"
done
load_line ld_in
echo

echo "pull:    $PULLERS new laptops, each in one of those regions, enrol and pull at once through the balancer"
echo "         ($(with_commas "$pulled") ops in all); the slowest pull's wall time. Ratio: PostgreSQL's time over"
echo "         SQLite's (below 1: faster)."
# shellcheck disable=SC2154
row "SQLite, 1 sondeod" "$(figure "$pull_sqlite_1" "%.2f") s"
for _p in $PROCS; do
	eval "_t=\$pull_pg_$_p"
	row "PostgreSQL, $_p sondeod" "$(figure "$_t" "%.2f") s   ratio $(figure "$(ratios "$_t" "$pull_sqlite_1")" "%.2f")"
done
load_line ld_pull
if [ -s "$tmp/pg-errors.log" ]; then
	echo "         PostgreSQL's log had errors (last 5):"
	grep "ERROR\|FATAL\|PANIC" "$tmp/pg-errors.log" | tail -n 5 | sed 's/^/           /'
fi

[ "$REVIEW" = 1 ] || exit 0
echo

# --- the review page and the exports on 100,000 records ---------------------------------------------------

# bench/review.sh's cache, and its key computed as it computes it (its KEY and REGIONS lines).
rkey=$(sed -n 's/^KEY=//p' "$here/review.sh")
rregions=$(sed -n 's/^REGIONS="\([^"]*\)".*/\1/p' "$here/review.sh")
rkey="$rkey records=$NBIG regions=$rregions seed=$SEED gen.awk=$(cksum <"$here/gen.awk" | cut -d ' ' -f 1)"
big=$CACHE/data
big_ok() {
	[ -f "$big/key" ] && [ "$(cat "$big/key")" = "$rkey" ] && [ -f "$big/hq/server.db" ] && [ -f "$big/reviewer.pw" ]
}
if ! big_ok; then
	echo "setup:   no $(with_commas "$NBIG") records in $big for this key: bench/review.sh builds them (its output in"
	echo "         the failure message, if any)"
	BENCH_REVIEW_RUNS=1 BENCH_REVIEW_EXPORT_RUNS=1 sh "$here/review.sh" "$sondeo" "$sondeod" >"$tmp/review.out" 2>&1 ||
		die "bench/review.sh could not build its data" "$tmp/review.out"
	big_ok || die "bench/review.sh ran but left no data for the key $rkey" "$tmp/review.out"
fi
REVIEWER=$(sed -n 's/^REVIEWER=//p' "$here/review.sh")
cp "$big/reviewer.pw" "$tmp/reviewer.pw"
cp -Rp "$big/hq" "$tmp/lite"
newdb big
bigdb=$(conninfo big)

# The PostgreSQL side: `sondeod migrate` of a copy, which takes minutes, so its result is kept in PGCACHE as a
# pg_dump of the database and the data directory beside it, keyed by the review data's key; each run restores it
# into a fresh database (pg_restore) and points the directory's store.conf there.
pkey="$PGKEY $rkey"
pgc=$PGCACHE/data
pgc_ok() {
	[ -f "$pgc/key" ] && [ "$(cat "$pgc/key")" = "$pkey" ] && [ -f "$pgc/big.dump" ] && [ -f "$pgc/hq/store.conf" ] &&
		[ -f "$pgc/migrate.txt" ]
}
pgc_build() {
	cache_building "$PGCACHE"
	echo "setup:   sondeod migrate of a copy of $big/hq into PostgreSQL, kept as a pg_dump in $pgc (minutes, once)"
	cp -Rp "$big/hq" "$building/hq"
	timed /dev/null "$tmp/migrate.out" "$tmp/migrate.err" "$sondeod" migrate --data "$building/hq" --store "$bigdb"
	rm -f "$building/hq"/server.db.before-postgresql*
	"$PG_BIN/pg_dump" -Fc -Z1 -f "$building/big.dump" "$bigdb" 2>"$tmp/dump.err" || die "pg_dump failed" "$tmp/dump.err"
	{
		echo "built=$(date -u +%Y-%m-%dT%H:%MZ)"
		echo "seconds=$t"
		echo "kb=$kb"
		echo "said=$(grep '^moved ' "$tmp/migrate.out")"
		echo "sondeod=$("$sondeod" --version 2>/dev/null || echo '?')"
	} >"$building/migrate.txt"
	echo "$pkey" >"$building/key"
	rm -rf "$pgc"
	mv "$building" "$pgc"
	building=""
	pgc_fresh=1
}
pgc_fresh=0
pgc_ok || pgc_build
if [ "$pgc_fresh" = 0 ]; then
	t0=$(clock)
	"$PG_BIN/pg_restore" --no-owner --exit-on-error -d "$bigdb" "$pgc/big.dump" >"$tmp/restore.err" 2>&1 ||
		die "pg_restore of $pgc/big.dump failed (remove $pgc to build it again)" "$tmp/restore.err"
	restore_s=$(secs_since "$t0")
fi
cp -Rp "$pgc/hq" "$tmp/pghq"
rm -f "$tmp/pghq/store.conf"
(umask 077 && { grep '^#' "$pgc/hq/store.conf"; echo "$bigdb"; } >"$tmp/pghq/store.conf")
mget() {
	sed -n "s/^$1=//p" "$pgc/migrate.txt"
}
bigops=$(psqlq "$bigdb" -c "SELECT count(*) FROM ops")
[ "$bigops" = "$(sqlite3 "$tmp/lite/server.db" "SELECT count(*) FROM ops")" ] ||
	die "the PostgreSQL database holds $bigops ops, the SQLite file another count"
echo "review:  $(with_commas "$NBIG") records ($(with_commas "$bigops") ops) of bench/review.sh's data ($big), copied, and"
echo "         on PostgreSQL by sondeod migrate of a copy: $(calc "printf \"%.1f\", $(mget seconds)") s, peak RSS" \
	"$(calc "printf \"%.0f\", $(mget kb) / 1024") MB ($(mget built), $(mget sondeod)$([ "$pgc_fresh" = 1 ] ||
		echo "; restored now from $pgc in $restore_s s"))"
echo "         it said: $(mget said | sed 's/; the SQLite file is kept as .*//')"
echo "         database sizes: SQLite $(calc "printf \"%.0f\", ($(file_size "$tmp/lite/server.db") + $(file_size "$tmp/lite/server.db-wal")) / 1048576") MB," \
	"PostgreSQL $(psqlq "$bigdb" -c "SELECT pg_database_size('big') / 1048576") MB"

# login URL JAR : the reviewer's session at URL in JAR (its password changed already by bench/review.sh).
login() {
	printf '{"user": "%s", "password": "%s"}' "$REVIEWER" "$(head -n 1 "$tmp/reviewer.pw")" >"$tmp/login.json"
	_code=$(curl -s -o "$tmp/login.out" -w '%{http_code}' -c "$2" -b "$2" \
		-H 'Content-Type: application/json' --data-binary @"$tmp/login.json" "$1/v1/login") || _code=000
	rm -f "$tmp/login.json"
	[ "$_code" = 200 ] || die "POST /v1/login as $REVIEWER answered $_code: $(cat "$tmp/login.out" 2>/dev/null)"
	[ "$(json_get must_change "$tmp/login.out")" != true ] || die "the cached reviewer must still change its password"
}
t0=$(clock)
start_backend "$tmp/lite" "$tmp/lite.log"
lite_start=$(secs_since "$t0") t0=$(clock)
lite_url=$(echo "$urls" | awk '{ print $1 }')
start_backend "$tmp/pghq" "$tmp/pg.log"
pg_start_s=$(secs_since "$t0")
pg_url=$(echo "$urls" | awk '{ print $2 }')
echo "         sondeod serve started in $lite_start s on SQLite, $pg_start_s s on PostgreSQL"
login "$lite_url" "$tmp/lite.jar"
login "$pg_url" "$tmp/pg.jar"

# dash URL JAR LOG : one GET /v1/dashboard; sets st (the server's ms from its log) and ct (curl's, ms); the
# answer in $tmp/dash.json.
dash() {
	_n0=$(lines "$3")
	_w=$(curl -s -o "$tmp/dash.json" -w '%{http_code} %{time_total}' -b "$2" "$1/v1/dashboard") || _w="000 0"
	[ "${_w%% *}" = 200 ] || die "GET /v1/dashboard answered ${_w%% *}: $(head -c 300 "$tmp/dash.json")" "$3"
	ct=$(calc "print ${_w#* } * 1000")
	_i=0 st=""
	while [ $_i -lt 100 ]; do
		st=$(tail -n +"$((_n0 + 1))" "$3" | grep " GET /v1/dashboard[? ]" | tail -n 1 | sed -n 's/.* \([0-9][0-9]*\)ms$/\1/p')
		[ -z "$st" ] || break
		sleep 0.05
		_i=$((_i + 1))
	done
	[ -n "$st" ] || die "no log line from sondeod for GET /v1/dashboard" "$3"
}
ds_l="" dc_l="" ds_p="" dc_p="" ld_dash=""
r=1
while [ $r -le "$RUNS" ]; do
	ld_dash="$ld_dash $(load | cut -d ' ' -f 1)"
	dash "$lite_url" "$tmp/lite.jar" "$tmp/lite.log"
	ds_l="$ds_l $st" dc_l="$dc_l $ct"
	lrec=$(json_get records "$tmp/dash.json")
	dash "$pg_url" "$tmp/pg.jar" "$tmp/pg.log"
	ds_p="$ds_p $st" dc_p="$dc_p $ct"
	prec=$(json_get records "$tmp/dash.json")
	if [ -z "$lrec" ] || [ "$lrec" != "$prec" ]; then
		die "the dashboards count $lrec records on SQLite, $prec on PostgreSQL"
	fi
	r=$((r + 1))
done
stop_backends

echo
echo "dashboard: GET /v1/dashboard ($(with_commas "$lrec") records), logged in, one sondeod on each; sondeod's own"
echo "         time (its log) and curl's. Ratio: PostgreSQL's time over SQLite's (below 1: faster)."
row "SQLite" "$(figure "$ds_l" "%.0f") ms (curl $(figure "$dc_l" "%.0f") ms)"
row "PostgreSQL" "$(figure "$ds_p" "%.0f") ms (curl $(figure "$dc_p" "%.0f") ms)   ratio $(figure "$(ratios "$ds_p" "$ds_l")" "%.2f")"
echo "         ($(loads "$ld_dash"))"

# The exports, servers stopped: `sondeod export`, each engine in turn.
for fmt in csv xlsx; do
	xl_t="" xl_kb="" xp_t="" xp_kb="" ld_x=""
	r=1
	while [ $r -le "$XRUNS" ]; do
		ld_x="$ld_x $(load | cut -d ' ' -f 1)"
		timed /dev/null /dev/null "$tmp/export.err" "$sondeod" export --data "$tmp/lite" --format "$fmt" -o "$tmp/lite.$fmt"
		xl_t="$xl_t $t" xl_kb="$xl_kb $kb"
		timed /dev/null /dev/null "$tmp/export.err" "$sondeod" export --data "$tmp/pghq" --format "$fmt" -o "$tmp/pg.$fmt"
		xp_t="$xp_t $t" xp_kb="$xp_kb $kb"
		r=$((r + 1))
	done
	echo
	echo "export $(echo "$fmt" | tr '[:lower:]' '[:upper:]'): sondeod export --format $fmt -o FILE, servers stopped; SQLite" \
		"$(calc "printf \"%.1f\", $(file_size "$tmp/lite.$fmt") / 1048576") MB, PostgreSQL" \
		"$(calc "printf \"%.1f\", $(file_size "$tmp/pg.$fmt") / 1048576") MB. Ratio: time over SQLite's."
	# shellcheck disable=SC2086
	row "SQLite" "$(figure "$xl_t" "%.2f") s, peak RSS $(calc "printf \"%.0f\", $(maximum $xl_kb) / 1024") MB"
	# shellcheck disable=SC2086
	row "PostgreSQL" "$(figure "$xp_t" "%.2f") s, peak RSS $(calc "printf \"%.0f\", $(maximum $xp_kb) / 1024") MB   ratio $(figure "$(ratios "$xp_t" "$xl_t")" "%.2f")"
	echo "         ($(loads "$ld_x"))"
done
[ "$(head -c 2 "$tmp/pg.xlsx")" = PK ] || die "sondeod export --format xlsx on PostgreSQL did not give a zip file"
[ "$(head -c 2 "$tmp/lite.xlsx")" = PK ] || die "sondeod export --format xlsx on SQLite did not give a zip file"
# The two CSV files must hold the same rows (their order aside) and every record.
printf '.mode csv\n.import "%s" lite\n.import "%s" pg\n' "$tmp/lite.csv" "$tmp/pg.csv" |
	sqlite3 -bail "$tmp/check.db" 2>"$tmp/check.err" || die "sqlite3 cannot read the CSV exports back" "$tmp/check.err"
got=$(sqlite3 "$tmp/check.db" "SELECT count(*) FROM pg")
[ "$got" = "$lrec" ] || die "the CSV export on PostgreSQL holds $got records for $lrec"
diff=$(sqlite3 "$tmp/check.db" "SELECT (SELECT count(*) FROM (SELECT * FROM lite EXCEPT SELECT * FROM pg))
	+ (SELECT count(*) FROM (SELECT * FROM pg EXCEPT SELECT * FROM lite))")
[ "$diff" = 0 ] || die "the CSV exports of the two engines differ in $diff rows"
echo "         checked: the two engines' CSV exports hold the same $(with_commas "$got") rows"
