#!/bin/sh
# run.sh SONDEO - benchmarks for the field client, each beside this machine's own baseline measured in the same
# run on the same data and the same disk (`make bench`).
#
# These machines are shared and noisy, so the figure to compare across runs and machines is the ratio to the
# baseline, not the seconds. Each measurement is run BENCH_RUNS times (default 3), interleaved with its
# baseline, and the median is printed with the runs beside it. The targets come from the issues (for 10,000
# records on a 2-core machine); they are printed, never enforced: the bench fails (exit 1) only when something
# is actually broken - a command fails, a count is wrong, the export does not give back what was imported.
#
#   import  sondeo new --from FILE.csv, into a fresh store each run
#           baseline: sqlite3 CLI, .import of the same CSV into a plain table, WAL, synchronous=FULL, one
#           transaction (the raw cost of getting those bytes into SQLite durably)
#   list    sondeo list > /dev/null                    baseline: sqlite3 SELECT * FROM the plain table > /dev/null
#   export  sondeo export --format csv > FILE          baseline: sqlite3 -csv -header SELECT * ... > FILE
#
# Wall time and peak RSS come from bench/rss.c (clock_gettime(CLOCK_MONOTONIC) around fork/exec, ru_maxrss from
# wait4), compiled here with cc, so nothing beyond cc and the sqlite3 CLI is needed. The data are BENCH_RECORDS
# (default 10000) generated records (bench/gen.awk, fixed seed). Everything happens in a temporary directory
# under $TMPDIR (default /tmp) with SONDEO_HOME pointing into it; it is removed on exit.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
N=${BENCH_RECORDS:-10000}
RUNS=${BENCH_RUNS:-3}
SEED=2018

if [ $# -ne 1 ] || [ ! -x "$1" ]; then
	echo "usage: sh bench/run.sh path/to/sondeo   (normally: make bench)" >&2
	exit 2
fi
sondeo=$(abspath "$1")
need_count BENCH_RECORDS "$N" 0
need_count BENCH_RUNS "$RUNS"

need_tools sqlite3:sqlite3 cc:gcc

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sondeo-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# Never the user's own store: every sondeo command here works on this one, made afresh for each import run.
SONDEO_HOME=$tmp/store
export SONDEO_HOME

mb() {
	calc "printf \"%.1f\", $1 / 1048576"
}
# Lines of a file, without the surrounding blanks some wc implementations print.

# report LABEL : prints the result lines. Uses the lists s_t, s_kb, b_t, b_kb and the names base_label, target.
report() {
	# The lists are space-separated numbers, split into arguments on purpose.
	# shellcheck disable=SC2086
	st=$(median $s_t) bt=$(median $b_t) skb=$(maximum $s_kb) bkb=$(maximum $b_kb)
	# The targets are for 10,000 records: other sizes have none.
	[ "$N" = 10000 ] || target=""
	calc "s = $st; b = $bt; tg = \"$target\";
		printf \"%-30s %6.2f s   baseline %-17s %5.2f s   ratio %5.1fx   peak RSS %4.0f MB   target %s%s\\n\",
			\"$1\", s, \"$base_label\", b, (b > 0 ? s / b : 0), $skb / 1024, (tg == \"\" ? \"-\" : tg \" s\"),
			(tg != \"\" && s > tg + 0 ? \"  (over)\" : \"\")"
	calc "printf \"    runs: sondeo\"; n = split(\"$s_t\", a, \" \"); for (i = 1; i <= n; i++) printf \" %.2f\", a[i];
		printf \" s, baseline\"; n = split(\"$b_t\", a, \" \"); for (i = 1; i <= n; i++) printf \" %.2f\", a[i];
		printf \" s; baseline peak RSS %.0f MB\\n\", $bkb / 1024"
}

# --- the machine and the tools ----------------------------------------------------------------------------
rss_build

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
fs=$(stat -f -c %T "$tmp" 2>/dev/null || echo "?")
load=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo "?")
echo "Sondeo benchmarks: $(with_commas "$N") records, median of $RUNS run$([ "$RUNS" = 1 ] || echo s), each beside its sqlite3 baseline"
echo "machine: $(nproc 2>/dev/null || echo '?') CPUs, $cpu; $(uname -sr); load average $load"
echo "tools:   $("$sondeo" --version) ($sondeo), sqlite3 $(sqlite3 --version | cut -d ' ' -f 1); scratch on $fs ($tmp)"

# --- the data ----------------------------------------------------------------------------------------------
data=$tmp/records.csv
LC_ALL=C awk -v n="$N" -v seed="$SEED" -f "$here/gen.awk" >"$data" || die "cannot generate the data (bench/gen.awk)"
data_bytes=$(file_size "$data")
echo "data:    $(mb "$data_bytes") MB of CSV ($(calc "printf \"%.0f\", $data_bytes / $N") bytes a record:" \
	"quoted commas, quotes and line breaks, UTF-8), bench/gen.awk seed $SEED"
echo

cat >"$tmp/import.sql" <<EOF
PRAGMA journal_mode=WAL;
PRAGMA synchronous=FULL;
BEGIN;
.mode csv
.import "$data" plain
COMMIT;
EOF
base=$tmp/plain.db

# --- import ------------------------------------------------------------------------------------------------
s_t="" s_kb="" b_t="" b_kb=""
i=1
while [ $i -le "$RUNS" ]; do
	rm -rf "$tmp/store"
	"$sondeo" init --name bench >/dev/null 2>"$tmp/init.err" ||
		die "'sondeo init' failed" "$tmp/init.err"
	timed /dev/null "$tmp/ids" "$tmp/import.err" "$sondeo" new --from "$data"
	s_t="$s_t $t" s_kb="$s_kb $kb"
	got=$(lines "$tmp/ids")
	[ "$got" = "$N" ] || die "'sondeo new --from' printed $got record ids for $N records" "$tmp/import.err"

	rm -f "$base" "$base-wal" "$base-shm"
	timed "$tmp/import.sql" /dev/null "$tmp/base.err" sqlite3 -bail "$base"
	[ ! -s "$tmp/base.err" ] || die "sqlite3 .import complained" "$tmp/base.err"
	b_t="$b_t $t" b_kb="$b_kb $kb"
	i=$((i + 1))
done
got=$(sqlite3 "$base" 'SELECT count(*) FROM plain')
[ "$got" = "$N" ] || die "the baseline table holds $got rows for $N records (bench/gen.awk wrote bad CSV?)"
store_db=$tmp/store/store.db
got=$(sqlite3 "$store_db" 'SELECT count(*) FROM records WHERE NOT draft AND NOT deleted')
[ "$got" = "$N" ] || die "the store holds $got final records after importing $N"
base_label="sqlite3 .import" target=2
report "import $(with_commas "$N") records (CSV)"

store_bytes=$(($(file_size "$store_db") + $(file_size "$store_db-wal")))
base_bytes=$(($(file_size "$base") + $(file_size "$base-wal")))
ops=$(sqlite3 "$store_db" 'SELECT count(*) FROM ops' 2>/dev/null || echo "?")
echo "    store after import: $(mb "$store_bytes") MB ($(calc "printf \"%.1f\", $store_bytes / $N / 1024") KB a record," \
	"$(with_commas "$ops") ops), $(calc "printf \"%.1f\", $store_bytes / $base_bytes")x the plain table's" \
	"$(mb "$base_bytes") MB, $(calc "printf \"%.1f\", $store_bytes / $data_bytes")x the CSV"

# --- list --------------------------------------------------------------------------------------------------
s_t="" s_kb="" b_t="" b_kb=""
i=1
while [ $i -le "$RUNS" ]; do
	timed /dev/null /dev/null "$tmp/list.err" "$sondeo" list
	s_t="$s_t $t" s_kb="$s_kb $kb"
	timed /dev/null /dev/null "$tmp/base.err" sqlite3 -bail "$base" 'SELECT * FROM plain'
	b_t="$b_t $t" b_kb="$b_kb $kb"
	i=$((i + 1))
done
# Once more into a file, untimed, to check it: a header and one line a record.
"$sondeo" list >"$tmp/list.out" 2>"$tmp/list.err" || die "'sondeo list' failed" "$tmp/list.err"
got=$(lines "$tmp/list.out")
[ "$got" = $((N + 1)) ] || die "'sondeo list' printed $got lines for $N records (expected $((N + 1)))"
base_label="sqlite3 SELECT *" target=0.5
report "list $(with_commas "$N") records"

# --- export ------------------------------------------------------------------------------------------------
s_t="" s_kb="" b_t="" b_kb=""
i=1
while [ $i -le "$RUNS" ]; do
	timed /dev/null "$tmp/export.csv" "$tmp/export.err" "$sondeo" export --format csv
	s_t="$s_t $t" s_kb="$s_kb $kb"
	timed /dev/null "$tmp/base-export.csv" "$tmp/base.err" sqlite3 -bail -csv -header "$base" 'SELECT * FROM plain'
	b_t="$b_t $t" b_kb="$b_kb $kb"
	i=$((i + 1))
done
base_label="sqlite3 -csv" target=0.5
report "export $(with_commas "$N") records (CSV)"

# The export must give back every record and every answer exactly as imported: read it back with sqlite3 and
# compare the question columns both ways (EXCEPT compares sets; the record count is checked first).
cols=$(head -n 1 "$data" | tr -d '\r')
check=$tmp/check.db
printf '.mode csv\n.import "%s" exported\n.import "%s" plain\n' "$tmp/export.csv" "$data" |
	sqlite3 -bail "$check" 2>"$tmp/check.err" || die "sqlite3 cannot read the export back" "$tmp/check.err"
got=$(sqlite3 "$check" 'SELECT count(*) FROM exported')
[ "$got" = "$N" ] || die "'sondeo export --format csv' wrote $got records for $N"
diff=$(sqlite3 "$check" "SELECT (SELECT count(*) FROM (SELECT $cols FROM plain EXCEPT SELECT $cols FROM exported))
	+ (SELECT count(*) FROM (SELECT $cols FROM exported EXCEPT SELECT $cols FROM plain))") ||
	die "cannot compare the export with the data"
if [ "$diff" != 0 ]; then
	echo "bench: rows imported but not exported as they were (first 3):" >&2
	sqlite3 -line "$check" "SELECT $cols FROM plain EXCEPT SELECT $cols FROM exported LIMIT 3" >&2
	die "the export differs from the imported data in $diff rows"
fi
echo "    export checked: $(with_commas "$N") records, every answer as imported ($(mb "$(file_size "$tmp/export.csv")") MB of CSV)"
