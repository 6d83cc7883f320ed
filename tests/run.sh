#!/bin/sh
# run.sh BUILD_DIR [NAME...] - runs every unit test (BUILD_DIR/tests/test_*) and every CLI script (tests/cli/*.sh),
# counts their "ok" / "not ok" lines and ends with exactly one line "N passed, N failed" (exit 1 if any failed).
#
# A test program or script that exits non-zero without a "not ok" line, prints no result at all, times out or
# dies by a signal counts as one more failure under its own name: a crash must never look like a pass.
# TEST_TIMEOUT (seconds, default 600) bounds each program and script; TEST_JOBS (default: the cores and one)
# run side by side, and their outputs are shown in order once all have ended. With NAMEs, runs only the tests
# whose file name contains one of them (sh tests/run.sh build/test users test_sstore). A script whose head says
# "# engines: sqlite postgresql" runs a second time as NAME.sh@postgresql, its servers' stores in PostgreSQL
# (tests/cli/server.inc), in one throwaway cluster the run's scripts share (tests/pgcluster.sh).
set -u

if [ $# -lt 1 ] || [ ! -d "$1" ]; then
	echo "usage: sh tests/run.sh BUILD_DIR [NAME...]" >&2
	exit 2
fi
TOP=$(cd "$(dirname "$0")/.." && pwd) || exit 2
BUILD=$(cd "$1" && pwd) || exit 2
shift
only="$*"

# wanted NAME: 0 if NAME is to be run (no NAMEs given, or NAME contains one of them).
wanted() {
	[ -z "$only" ] && return 0
	for w in $only; do
		case "$1" in *"$w"*) return 0 ;; esac
	done
	return 1
}
limit=${TEST_TIMEOUT:-600}

# Sanitizer reports must fail the process that made them; exitcode 99 tells them apart from a test's own 1.
# intercept_tls_get_addr=0: the leak check at exit otherwise walks the dynamic TLS blocks it saw handed out, and on
# Debian 12 (gcc 12's sanitizers, glibc 2.36) it reads a garbage block for a library loaded with dlopen that has
# thread-local data (GnuTLS, under libcurl and libmicrohttpd), crashes ("Tracer caught signal 11: ... LeakSanitizer
# has encountered a fatal error") and exits 99 without a leak; whether it does depends on the program's layout. Our
# own thread-local data is in the programs' static TLS, which the check still scans: this hides no leak of ours.
ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=1:exitcode=99:intercept_tls_get_addr=0"
UBSAN_OPTIONS="halt_on_error=1:abort_on_error=0:print_stacktrace=1:exitcode=99"
LSAN_OPTIONS="exitcode=99"
SONDEO="$BUILD/sondeo"
SONDEOD="$BUILD/sondeod"
PTYRUN="$BUILD/tests/ptyrun"
# The programs start non-dumpable (common/secret.h), which makes their /proc/PID/environ root's: run.sh finds what a
# test left running through that file, so the tests' processes stay dumpable (tests/cli/hardening.sh checks the
# default without it).
SONDEO_CORE_DUMPS=1
export ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS SONDEO SONDEOD PTYRUN TOP SONDEO_CORE_DUMPS
# The tests read English unless they ask for another language, whatever the machine's own.
unset LANGUAGE LC_ALL LC_MESSAGES
LANG=C.UTF-8
export LANG

work=$(mktemp -d "${TMPDIR:-/tmp}/sondeo-run.XXXXXX") || exit 2
pid=""
token=""
runs=0
# Independent tests run side by side, TEST_JOBS at a time (default: two more than the cores, since many tests wait
# on their servers, their proxies or their timeouts much of the time): each has its own temporary directory, its
# own servers on ports it picks, and its own token.
jobs=${TEST_JOBS:-$(($(nproc 2>/dev/null || echo 2) + 2))}
pgdir=""
trap 'rm -rf "$work"; [ -z "$pgdir" ] || { sh "$TOP/tests/pgcluster.sh" stop "$pgdir"; rm -rf "$pgdir"; }' EXIT
trap 'stop_all; exit 130' INT TERM HUP
: >"$work/failed"
passed=0
failed=0
skipped=0

# timeout leads a process group of its own: ending the group also ends servers a script left behind. Some leave
# the group (setsid, ptyrun's terminal session); they still carry the test's token in their environment, so
# they are found in /proc and killed too, before they can write into another test's output or directory.
stop() {
	[ -n "$pid" ] && kill -s TERM -- "-$pid" 2>/dev/null
	pid=""
	[ -n "$token" ] || return 0
	left=$(grep -lzxF "SONDEO_TEST_RUN=$token" /proc/[0-9]*/environ 2>/dev/null | sed 's|^/proc/||; s|/environ$||')
	[ -z "$left" ] || kill -s KILL $left 2>/dev/null   # unquoted: one pid per word
	token=""
}

# stop_all : on an interrupt, ends every test still running and whatever they started.
stop_all() {
	kill $(jobs -p) 2>/dev/null
	all=$(grep -lzE "^SONDEO_TEST_RUN=$$-[0-9]+\$" /proc/[0-9]*/environ 2>/dev/null | sed 's|^/proc/||; s|/environ$||')
	[ -z "$all" ] || kill -s KILL $all 2>/dev/null
}

# run_one N NAME CMD... : runs test number N (a program or script) with its output in out.N, its exit status in
# rc.N and the processes it left behind (killed) in left.N; report N shows and counts them afterwards.
run_one() {
	n=$1 name=$2
	shift 2
	token="$$-$n"
	tmp=$(mktemp -d "$work/tmp.XXXXXX")
	began=$(date +%s)
	# Output goes to a file of its own rather than a pipe, so a leftover process can neither hold us up nor
	# write into another test's output.
	(cd "$TOP" && SONDEO_TEST_RUN=$token TMPDIR=$tmp exec timeout -k 10 "$limit" "$@") </dev/null \
		>"$work/out.$n" 2>&1 &
	pid=$!
	wait "$pid" 2>/dev/null
	rc=$?
	left=""
	stop
	printf '%s\n' "$left" >"$work/left.$n"
	chmod -R u+rwx "$tmp" 2>/dev/null
	rm -rf "$tmp"
	echo "$rc" >"$work/rc.$n"
	# CPU time (user + system) of the test and of every process it waited for: on a shared machine the wall
	# time says little about what a test costs. This subshell ran nothing else of note.
	# times runs here, not in a pipe's subshell (which would have waited for nobody).
	times >"$work/times.$n"
	cpu=$(awk 'NR == 2 { split($1, u, "m"); split($2, s, "m"); printf "%.1f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' \
		"$work/times.$n")
	took=$(($(date +%s) - began))
	# A test that timed out or was stopped has no time worth keeping: it stays among the first to start.
	[ "$rc" -eq 124 ] || [ "$rc" -gt 128 ] || echo "$name $took" >"$work/took.$n"
	echo "# finished $name in $took s, CPU $cpu s"
}

# start NAME CMD... : runs the test as soon as one of the job slots is free.
start() {
	runs=$((runs + 1))
	printf '%s\n' "$1" >"$work/name.$runs"
	read -r _ <&3
	(run_one "$runs" "$@"; echo >&3) &
}

# report N : shows test N's output and counts its results.
report() {
	name=$(cat "$work/name.$1")
	out=$work/out.$1
	rc=$(cat "$work/rc.$1" 2>/dev/null || echo 125)
	left=$(cat "$work/left.$1" 2>/dev/null)
	echo "== $name"
	size=$(wc -c <"$out")
	if [ "$size" -gt 4000000 ]; then
		echo "# $name wrote $size bytes: showing its result and diagnostic lines, then its last 20000 bytes"
		grep -aE '^(ok|not ok|#)' "$out" | head -n 5000 | cut -c 1-2000
		echo "# ..."
		tail -c 20000 "$out"
		echo
	else
		cat "$out"
	fi
	[ -z "$left" ] || echo "# $name left processes running, now killed:" $left
	ok=$(grep -aEc '^ok( |$)' "$out")
	bad=$(grep -aEc '^not ok( |$)' "$out")
	# A skipped test proved nothing: it is counted apart, never as passed.
	skip=$(grep -aEc '^ok .*# SKIP' "$out")
	skipped=$((skipped + skip))
	ok=$((ok - skip))
	passed=$((passed + ok))
	failed=$((failed + bad))
	grep -aE '^not ok( |$)' "$out" | while IFS= read -r line; do
		printf '%s: %s\n' "$name" "${line#not ok }"
	done >>"$work/failed"
	rm -f "$out"
	why=""
	if [ "$rc" -eq 124 ]; then
		why="timed out after ${limit}s"
	elif [ "$rc" -eq 99 ]; then
		why="sanitizer error (exit status 99)"
	elif [ "$rc" -gt 128 ]; then
		why="killed by signal $((rc - 128))"
	elif [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		why="exit status $rc without a failed test"
	elif [ "$ok" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$skip" -eq 0 ]; then
		why="no test results"
	fi
	if [ -n "$why" ]; then
		echo "not ok $name: $why"
		echo "$name: $why" >>"$work/failed"
		failed=$((failed + 1))
	fi
}

# The job slots: a token in the pipe for each test that may run now.
mkfifo "$work/slots" || exit 2
exec 3<>"$work/slots"
i=0
while [ $i -lt "$jobs" ]; do
	echo >&3
	i=$((i + 1))
done
# The longest tests start first, so that the last slot to empty is not waiting on one that started late: how
# long each took is kept from the last run in BUILD_DIR/tests/times (a test not found there counts as the
# longest: it is new, or it has never finished).
times_file=$BUILD/tests/times
# A fresh build directory (a clean clone, as CI runs) has no times yet: tests/times.seed, kept from a run on a
# 2-core machine, orders that first run (refresh it with `sort -k2,2nr build/test/tests/times > tests/times.seed`
# when tests come and go).
order_file=$times_file
[ -s "$order_file" ] || order_file=$TOP/tests/times.seed
# queue NAME : one line of the list to sort: the seconds NAME took last time, and NAME (the path of a test program
# under BUILD_DIR, or of a script under TOP).
queue() {
	_secs=$(awk -v n="$1" '$1 == n { print $2; exit }' "$order_file" 2>/dev/null)
	printf '%s\t%s\n' "${_secs:-99999}" "$1" >>"$work/queue"
}
: >"$work/queue"
for t in "$BUILD"/tests/test_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	wanted "${t##*/}" || continue
	queue "${t#"$BUILD"/}"
done
for s in "$TOP"/tests/cli/*.sh; do
	[ -f "$s" ] || continue
	# lib.sh is the library the scripts source, not a test.
	[ "${s##*/}" = lib.sh ] && continue
	wanted "${s##*/}" || continue
	queue "${s#"$TOP"/}"
	# A script that says so runs a second time with its servers' stores in PostgreSQL (tests/cli/server.inc).
	if grep -qx '# engines: sqlite postgresql' "$s"; then
		queue "${s#"$TOP"/}@postgresql"
	fi
done
sort -t "$(printf '\t')" -k1,1nr -k2,2 "$work/queue" >"$work/order"

# One PostgreSQL cluster for the run, when a test to run uses one: the scripts share it, each in databases of its
# own (tests/cli/pg.inc), rather than each making its own. If it cannot be made, each script tries its own and
# says why it skips.
if grep -q '@postgresql\|pg-' "$work/order" && pgdir=$(mktemp -d /tmp/sondeo-pg.XXXXXX); then
	[ "$(id -u)" != 0 ] || chown postgres "$pgdir"
	if sh "$TOP/tests/pgcluster.sh" start "$pgdir" 2>/dev/null; then
		SONDEO_TEST_PG_DIR=$pgdir
		export SONDEO_TEST_PG_DIR
	fi
fi
while IFS="$(printf '\t')" read -r _ name; do
	case $name in
	tests/cli/*@postgresql) start "$name" env SONDEO_TEST_ENGINE=postgresql sh "$TOP/${name%@postgresql}" ;;
	tests/cli/*) start "$name" sh "$TOP/$name" ;;
	*) start "$name" "$BUILD/$name" ;;
	esac
done <"$work/order"
wait
exec 3>&-
i=1
while [ $i -le "$runs" ]; do
	report $i
	i=$((i + 1))
done
# This run's times replace those of the same tests in the times file; the others are kept.
if [ -d "$BUILD/tests" ]; then
	cat "$work"/took.* 2>/dev/null >"$work/times.new"
	awk 'NR == FNR { seen[$1] = 1; print; next } !($1 in seen)' "$work/times.new" "$times_file" \
		>"$work/times.all" 2>/dev/null || cp "$work/times.new" "$work/times.all"
	cp "$work/times.all" "$times_file" 2>/dev/null
fi

if [ $((passed + failed)) -eq 0 ]; then
	echo "no tests found under $BUILD/tests or $TOP/tests/cli" >>"$work/failed"
	failed=1
fi
if [ "$failed" -gt 0 ]; then
	echo "failed:"
	sed 's/^/  /' "$work/failed"
fi
if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
