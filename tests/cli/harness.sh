#!/bin/sh
# harness.sh - proves the test machinery can fail: lib.sh's checks, tests/run.sh's counting, and ptyrun.
# Each case runs a small script or program whose verdict is known, and checks that verdict, not just "it ran".
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
. "$TOP/tests/cli/lib.sh"

scratch=$(mktemp -d "${TMPDIR:-/tmp}/harness.XXXXXX")
at_exit "rm -rf '$scratch'"
# The inner scripts below are quoted here-documents: they find the scratch directory through the environment.
HARNESS_SCRATCH=$scratch
export HARNESS_SCRATCH

# inner NAME : runs the script on stdin, which gets lib.sh sourced first, as a separate sh.
inner() {
	{ echo '. "$TOP/tests/cli/lib.sh"'; cat; } >"$scratch/$1.sh"
	run sh "$scratch/$1.sh"
}

# --- lib.sh

t "lib: passing checks print ok and exit 0"
inner pass <<'EOF'
t "first"
run true
check_rc 0
t "second"
run echo hello world
check_out_has "lo wo"
check_out_lacks "bye"
done_testing
EOF
check_rc 0
check_eq "$OUT" "ok first
ok second
# 2 passed, 0 failed" "inner output"

t "lib: check_rc fails and shows the command, status and output"
inner rc <<'EOF'
t "wrong status"
run sh -c 'echo to-out; echo to-err >&2; exit 3'
check_rc 0
done_testing
EOF
check_rc 1
check_out_has "not ok wrong status"
check_out_has "#   wrong status: exit status 3, expected 0"
check_out_has "#   command: sh -c 'echo to-out; echo to-err >&2; exit 3'"
check_out_has "#   exit status: 3"
check_out_has "#     to-out"
check_out_has "#     to-err"

t "lib: text checks fail when they should, and match literally"
inner text <<'EOF'
t "has"; run echo hello; check_out_has hello
t "has missing"; run echo hello; check_out_has bye
t "lacks present"; run echo hello; check_out_lacks ell
t "no globbing"; run echo abc; check_out_has 'a*c'
t "no brackets"; run echo b; check_out_has '[abc]'
t "err has"; run sh -c 'echo oops >&2'; check_err_has oops
t "err missing"; run sh -c 'echo oops >&2'; check_err_has nope
t "err lacks present"; run sh -c 'echo oops >&2'; check_err_lacks oop
t "stdout is not stderr"; run sh -c 'echo oops >&2'; check_out_has oops
done_testing
EOF
check_rc 1
check_eq "$(printf '%s\n' "$OUT" | grep -E '^(not )?ok')" "ok has
not ok has missing
not ok lacks present
not ok no globbing
not ok no brackets
ok err has
not ok err missing
not ok err lacks present
not ok stdout is not stderr" "verdicts"
check_out_has "# 2 passed, 7 failed"

t "lib: check_eq, fail, ok and skip"
inner eq <<'EOF'
t "equal"; check_eq abc abc
t "different"; check_eq abc abd "the thing"
t "empty vs space"; check_eq "" " "
t "explicit fail"; fail "because I said so"
t "ends early"; ok
check_eq 1 2
t "skipped"; skip "no network"
t 'back\slash \n name'; fail 'reason with \t'
t "multi-line values"; check_eq "ok a
ok b" "ok a"
done_testing
EOF
check_rc 1
check_out_has 'not ok back\slash \n name'
check_out_has '#   back\slash \n name: reason with \t'
check_eq "$(printf '%s\n' "$OUT" | grep -c '^ok')" 3 "ok lines"
check_out_has "#   ok b', expected 'ok a'"
check_out_has "ok equal"
check_out_has "not ok different"
check_out_has "#   different: the thing is 'abc', expected 'abd'"
check_out_has "not ok empty vs space"
check_out_has "not ok explicit fail"
check_out_has "#   explicit fail: because I said so"
check_out_has "ok ends early"
check_out_has "not ok (outside any test)"
check_out_has "ok skipped # SKIP no network"

t "lib: check_file_mode, check_file_exists, check_file_absent"
inner mode <<'EOF'
d=$(mktemp -d)
umask 077
: >"$d/secret"; chmod 600 "$d/secret"
: >"$d/open"; chmod 644 "$d/open"
t "600"; check_file_mode "$d/secret" 600
t "0600"; check_file_mode "$d/secret" 0600
t "644 is not 600"; check_file_mode "$d/open" 600
t "missing"; check_file_mode "$d/none" 600
t "exists"; check_file_exists "$d/open"
t "exists missing"; check_file_exists "$d/none"
t "absent"; check_file_absent "$d/none"
t "absent present"; check_file_absent "$d/open"
rm -rf "$d"
done_testing
EOF
check_rc 1
check_eq "$(printf '%s\n' "$OUT" | grep -E '^(not )?ok')" "ok 600
ok 0600
not ok 644 is not 600
not ok missing
ok exists
not ok exists missing
ok absent
not ok absent present" "verdicts"
check_out_has "has mode 644, expected 600"

t "lib: run never aborts a set -e script, and keeps exact bytes"
printf 'one\ntwo\n' >"$scratch/input"
inner sete <<'EOF'
set -eu
t "statuses"
run false
check_rc 1
run sh -c 'exit 7'
check_rc 7
run /nonexistent/program
check_rc 127
t "failing check goes on"
check_rc 0
t "stdin passes through"
run cat <"$HARNESS_SCRATCH/input"
check_eq "$OUT" "one
two"
check_eq "$(wc -c <"$OUT_FILE" | tr -d ' ')" 8 "bytes in OUT_FILE"
done_testing
EOF
check_rc 1
check_out_has "ok statuses"
check_out_has "not ok failing check goes on"
check_out_has "ok stdin passes through"

t "lib: a script that stops before done_testing fails"
inner early <<'EOF'
t "fine so far"
run true
exit 0
EOF
check_rc 1
check_out_has "not ok fine so far"
check_out_has "before done_testing"
inner noend <<'EOF'
t "a"
t "b"
EOF
check_rc 1
check_out_has "ok a"
check_out_has "not ok b"
inner nothing <<'EOF'
true
EOF
check_rc 1
check_out_has "not ok nothing.sh runs to done_testing"

t "lib: a sanitizer report fails the test whatever the status"
inner asan <<'EOF'
t "asan"
run sh -c 'echo "==42==ERROR: AddressSanitizer: heap-use-after-free" >&2; exit 0'
check_rc 0
t "ubsan"
run sh -c 'echo "x.c:3:5: runtime error: signed integer overflow" >&2; exit 1'
check_rc 1
t "on stdout, as through a terminal"
run sh -c 'printf "screen\r\n==7==ERROR: LeakSanitizer: detected memory leaks\r\n"'
check_rc 0
t "clean"
run sh -c 'echo "an ordinary error" >&2; echo "the words runtime error: and ==1==ERROR: in text"; exit 1'
check_rc 1
done_testing
EOF
check_rc 1
check_out_has "not ok asan"
check_out_has "not ok ubsan"
check_out_has "not ok on stdout, as through a terminal"
check_out_has "ok clean"
check_out_has "sanitizer report in the output"

t "lib: at_exit runs cleanup even when the script fails"
inner cleanup <<'EOF'
at_exit "echo first-registered >>'$HARNESS_SCRATCH/cleaned'"
at_exit "echo second-registered >>'$HARNESS_SCRATCH/cleaned'"
t "fails"; fail "on purpose"
done_testing
EOF
check_rc 1
check_eq "$(cat "$scratch/cleaned" 2>/dev/null)" "second-registered
first-registered" "cleanup order"

t "lib: new_store makes a fresh private directory each time"
old=${SONDEO_HOME:-}
new_store
first=$SONDEO_HOME
new_store
check_file_exists "$first"
check_file_mode "$SONDEO_HOME" 700
case $SONDEO_HOME in "${TMPDIR:-/tmp}"/*) ;; *) fail "SONDEO_HOME '$SONDEO_HOME' is not under TMPDIR" ;; esac
[ "$first" != "$SONDEO_HOME" ] || fail "new_store gave '$first' twice"
check_eq "$(ls -A "$SONDEO_HOME")" "" "contents of a new store"
check_eq "$(sh -c 'echo "$SONDEO_HOME"')" "$SONDEO_HOME" "exported SONDEO_HOME"
inner store <<'EOF'
new_store
echo "$SONDEO_HOME" >"$HARNESS_SCRATCH/store-seen"
mkdir "$SONDEO_HOME/locked" && chmod 000 "$SONDEO_HOME/locked"
t "made"; check_file_exists "$SONDEO_HOME/locked"
done_testing
EOF
check_rc 0
check_file_exists "$scratch/store-seen"
check_file_absent "$(cat "$scratch/store-seen" 2>/dev/null || echo "$scratch/none")"
SONDEO_HOME=$old

t "lib: py answers as python3 would (stdout, stderr, exit status, arguments), from one python3 for the script"
inner py <<'EOF'
py_start
t "py"
check_eq "$(py -c 'import sys; print(sys.argv[1:])' a 'b c' "d
e" "")" "['a', 'b c', 'd\ne', '']" "the arguments"
check_eq "$(py -c 'print("back\\slash \\n \\0 é"); print("two")')" 'back\slash \n \0 é
two' "the output"
py -c 'import sys; sys.exit(3)'
check_eq "$?" 3 "the exit status of sys.exit(3)"
check_eq "$(py -c 'raise ValueError("bad value")' 2>&1 >/dev/null | tail -n 1)" "ValueError: bad value" "the traceback"
py -c 'raise ValueError("x")' 2>/dev/null
check_eq "$?" 1 "the exit status of an exception"
printf 'import sys\nprint(sys.argv)\nsys.exit("boom")\n' >"$HARNESS_SCRATCH/s.py"
check_eq "$(py "$HARNESS_SCRATCH/s.py" q 2>/dev/null)" "['$HARNESS_SCRATCH/s.py', 'q']" "a file's arguments"
check_eq "$(py "$HARNESS_SCRATCH/s.py" 2>&1 >/dev/null)" boom "sys.exit with a message"
check_eq "$(cd "$HARNESS_SCRATCH" && py -c 'import os; print(os.getcwd())')" "$(cd "$HARNESS_SCRATCH" && pwd -P)" "the directory"
check_eq "$(py -c 'x = 1')$(py -c 'print("x" in globals())')" False "globals left from an earlier call"
check_eq "$(py -c 'import os; print(os.getpid())')" "$(py -c 'import os; print(os.getpid())')" "python3's pid"
check_eq "$(py -c 'print("y" * 100000)' | wc -c)" 100001 "a long line"
done_testing
EOF
check_rc 0
check_out_has "ok py"
inner nopy <<'EOF'
t "py without py_start"
py -c 'print(1)'
check_eq "$?" 1 "the exit status"
done_testing
EOF
check_rc 0
check_err_has "py_start was not called"

# --- tests/run.sh, on a fake tree: its own copy under a fake TOP, with fake unit tests and scripts.

fake=$scratch/top
mkdir -p "$fake/tests/cli" "$fake/build/tests"
cp "$TOP/tests/run.sh" "$fake/tests/run.sh"
unit() {
	{ echo '#!/bin/sh'; cat; } >"$fake/build/tests/$1"
	chmod +x "$fake/build/tests/$1"
}
unit test_good <<'EOF'
echo "ok one"; echo "ok two"
EOF
unit test_bad <<'EOF'
echo "ok one"; echo "not ok two"; echo "#   why"; exit 1
EOF
unit test_crash <<'EOF'
echo "ok one"; kill -SEGV $$
EOF
unit test_exit <<'EOF'
echo "ok one"; exit 2
EOF
unit test_silent <<'EOF'
exit 0
EOF
unit test_sanitizer <<'EOF'
echo "ok one"; echo "(a sanitizer report)" >&2; exit 99
EOF
printf '#!/bin/sh\necho "ok ignored"\n' >"$fake/build/tests/test_notexec"
echo 'echo "ok a library, not a test"' >"$fake/tests/cli/lib.sh"
cat >"$fake/tests/cli/env.sh" <<'EOF'
case $SONDEO in /*/build/sondeo) echo "ok sondeo" ;; *) echo "not ok sondeo $SONDEO" ;; esac
case $PTYRUN in /*/build/tests/ptyrun) echo "ok ptyrun" ;; *) echo "not ok ptyrun $PTYRUN" ;; esac
[ "$TOP" = "$(pwd)" ] && echo "ok top and cwd" || echo "not ok top $TOP, cwd $(pwd)"
[ -d "$TMPDIR" ] && [ -z "$(ls -A "$TMPDIR")" ] && echo "ok tmpdir" || echo "not ok tmpdir $TMPDIR"
echo "$TMPDIR" >"$TOP/tmpdir-seen"
case $ASAN_OPTIONS in *detect_leaks=1*halt_on_error* | *halt_on_error=1*detect_leaks=1*) echo "ok asan" ;;
*) echo "not ok asan $ASAN_OPTIONS" ;; esac
case $UBSAN_OPTIONS in *print_stacktrace=1*) echo "ok ubsan" ;; *) echo "not ok ubsan" ;; esac
read -r x && echo "not ok stdin was not empty" || echo "ok stdin empty"
EOF
unit test_big <<'EOF'
echo "ok before"; head -c 5000000 /dev/zero | tr '\0' x; echo; echo "ok after"
EOF
# A process that leaves the process group, as setsid and ptyrun's terminal session do, and would write into
# the next tests' output and directory if it lived on.
cat >"$fake/tests/cli/leak.sh" <<'EOF'
setsid sh -c ': >"$1/started"; sleep 0.5; while :; do echo LEAKED; : >"$1/leaked"; sleep 0.05; done' sh "$TOP" &
# Once it has written "started" it runs in a session of its own.
while [ ! -f "$TOP/started" ]; do sleep 0.01; done
echo "ok leak"
EOF
cat >"$fake/tests/cli/leftover.sh" <<'EOF'
sleep 1000 &
echo $! >"$TOP/leftover.pid"
echo "ok left a process behind"
EOF

t "run.sh: counts, extra failures, and the last line"
run sh "$fake/tests/run.sh" "$fake/build"
check_rc 1
check_eq "$(printf '%s\n' "$OUT" | tail -n 1)" "17 passed, 5 failed" "last line"
check_out_has "# tests/test_big wrote 50000"
check_out_has "bytes: showing its result and diagnostic lines"
[ "${#OUT}" -lt 100000 ] || fail "the 5 MB output was shown whole (${#OUT} bytes)"
check_out_has "# tests/cli/leak.sh left processes running, now killed:"
sleep 1
check_out_lacks "LEAKED"
check_file_absent "$fake/leaked"
check_out_has "== tests/test_bad"
check_out_has "#   why"
check_out_has "not ok tests/test_crash: killed by signal 11"
check_out_has "not ok tests/test_exit: exit status 2 without a failed test"
check_out_has "not ok tests/test_silent: no test results"
check_out_has "not ok tests/test_sanitizer: sanitizer error (exit status 99)"
check_out_has "(a sanitizer report)"
check_out_has "  tests/test_bad: two"
check_out_lacks "ignored"
check_out_lacks "a library, not a test"
check_out_lacks "not ok sondeo"
check_out_lacks "not ok ptyrun"
check_out_lacks "not ok top"
check_out_lacks "not ok tmpdir"
check_out_lacks "not ok asan"
check_out_lacks "not ok stdin"
check_file_absent "$(cat "$fake/tmpdir-seen" 2>/dev/null || echo "$fake/none")"
# alive PID : running and not a zombie waiting for its new parent to reap it.
alive() {
	kill -0 "$1" 2>/dev/null && case $(ps -o stat= -p "$1" 2>/dev/null) in Z* | "") false ;; esac
}
pid=$(cat "$fake/leftover.pid" 2>/dev/null)
check_eq "${pid:+set}" set "the leftover script's pid"
n=0
while [ -n "$pid" ] && alive "$pid" && [ $n -lt 20 ]; do
	sleep 0.1
	n=$((n + 1))
done
if [ -n "$pid" ] && alive "$pid"; then
	fail "process $pid that a script left behind is still running"
	kill "$pid"
fi

t "run.sh: all passing exits 0"
rm -f "$fake"/build/tests/test_* "$fake/tests/cli/leftover.sh" "$fake/tests/cli/leak.sh"
unit test_good <<'EOF'
echo "ok one"; echo "ok two"
EOF
run sh "$fake/tests/run.sh" "$fake/build"
check_rc 0
check_eq "$(printf '%s\n' "$OUT" | tail -n 1)" "9 passed, 0 failed" "last line"
check_out_lacks "failed:"

t "run.sh: the longest tests of the last run start first, new ones before them; each says its CPU time"
unit test_long <<'EOF'
echo "ok long"
EOF
unit test_short <<'EOF'
echo "ok short"
EOF
unit test_new <<'EOF'
echo "ok new"
EOF
printf 'tests/test_good 5\ntests/test_long 90\ntests/test_short 1\ntests/test_gone 7\n' >"$fake/build/tests/times"
run env TEST_JOBS=1 sh "$fake/tests/run.sh" "$fake/build" test_
check_rc 0
check_eq "$(printf '%s\n' "$OUT" | sed -n 's/^== //p' | tr '\n' ' ')" \
	"tests/test_new tests/test_long tests/test_good tests/test_short " "the order"
printf '%s\n' "$OUT" | grep -Eq '^# finished tests/test_long in [0-9]+ s, CPU [0-9]+\.[0-9] s$' ||
	fail "no '# finished ... CPU' line: $OUT"
check_eq "$(sort "$fake/build/tests/times" | cut -d' ' -f1 | tr '\n' ' ')" \
	"tests/test_gone tests/test_good tests/test_long tests/test_new tests/test_short " "the tests in the times file"
check_eq "$(awk '$1 == "tests/test_gone" { print $2 }' "$fake/build/tests/times")" 7 "a time kept from before"
rm -f "$fake"/build/tests/test_long "$fake"/build/tests/test_short "$fake"/build/tests/test_new

t "run.sh: a hanging test times out and counts"
unit test_hang <<'EOF'
echo "ok before"; sleep 60; echo "ok after"
EOF
rm -f "$fake"/tests/cli/env.sh
run env TEST_TIMEOUT=1 sh "$fake/tests/run.sh" "$fake/build"
check_rc 1
check_out_has "not ok tests/test_hang: timed out after 1s"
check_eq "$(printf '%s\n' "$OUT" | tail -n 1)" "3 passed, 1 failed" "last line"

t "run.sh: no tests at all is a failure"
mkdir -p "$scratch/emptytop/tests/cli" "$scratch/emptybuild/tests"
cp "$TOP/tests/run.sh" "$scratch/emptytop/tests/run.sh"
run sh "$scratch/emptytop/tests/run.sh" "$scratch/emptybuild"
check_rc 1
check_eq "$(printf '%s\n' "$OUT" | tail -n 1)" "0 passed, 1 failed" "last line"
run sh "$TOP/tests/run.sh" "$scratch/does-not-exist"
check_rc 2
check_err_has "usage"

# --- ptyrun

if [ -z "${PTYRUN:-}" ] || [ ! -x "$PTYRUN" ]; then
	t "ptyrun is built"
	fail "PTYRUN='${PTYRUN:-}' is not an executable (make MODE=test build/test/tests/ptyrun)"
	done_testing
fi

t "ptyrun: a line typed into read"
run_pty sh -c 'printf "name? "; read x; echo "got <$x>"' <<'EOF'
expect name?
send Ada Lovelace
expect got <Ada Lovelace>
exit 0
EOF
check_rc 0
check_eq "$ERR" "" "stderr"
check_eq "$(printf '%s' "$OUT" | tr -d '\r')" "name? Ada Lovelace
got <Ada Lovelace>" "transcript"

t "ptyrun: cat echoes, Ctrl-D ends it"
run_pty cat <<'EOF'
send first line
expect first line
expect first line
sendraw second\x04
expect second
sendraw \x04
exit 0
EOF
check_rc 0

t "ptyrun: a failed expect names the line, shows the output, and times out"
run "$PTYRUN" -t 1 - -- sh -c 'printf "hello\033[0m\\tthere\n"; sleep 20' <<'EOF'
# a comment

expect hello
expect goodbye
EOF
check_rc 1
check_err_has "script line 4 failed: expect goodbye"
check_err_has "timed out after 1s"
check_err_has 'hello\e[0m\x09there\r\n'

t "ptyrun: output that ends without the text fails at once"
run "$PTYRUN" -t 20 - -- sh -c 'echo bye' <<'EOF'
expect never
EOF
check_rc 1
check_err_has "output ended without \"never\" (child exited with status 0)"

t "ptyrun: colour codes do not break a match"
run_pty sh -c 'printf "\033[1;31mred\033[0m alert \033]0;title\007done\n"' <<'EOF'
expect red alert done
EOF
check_rc 0

t "ptyrun: exit status is checked"
run_pty sh -c 'echo x; exit 3' <<'EOF'
exit 3
EOF
check_rc 0
run_pty sh -c 'echo x; exit 3' <<'EOF'
expect x
EOF
check_rc 1
check_err_has "child exited with status 3, expected exit status 0"
run_pty sh -c 'exit 0' <<'EOF'
exit signal
EOF
check_rc 1
check_err_has "expected it to die by a signal"

t "ptyrun: Ctrl-C and signals"
# Started with SIGINT ignored, as background jobs are: the program must still get a terminal's defaults. cat
# has shown it is reading (it copied a line) before the Ctrl-C, so there is no race with its start.
run sh -c 'trap "" INT; exec "$PTYRUN" - -- cat' <<'EOF'
send hello
expect hello
expect hello
sendraw \x03
exit signal
EOF
check_rc 0
run_pty sh -c 'trap "echo caught; exit 5" TERM; echo ready; while :; do sleep 0.1; done' <<'EOF'
expect ready
signal TERM
expect caught
exit 5
EOF
check_rc 0

t "ptyrun: a terminal of 80x24 with TERM set"
run_pty sh -c 'stty size; echo "term=$TERM"; tty' <<'EOF'
expect 24 80
expect term=xterm
expect /dev/pts/
EOF
check_rc 0
saved_term=${TERM:-}
TERM=vt100
export TERM
run_pty sh -c 'echo "term=$TERM"' <<'EOF'
expect term=vt100
EOF
check_rc 0
TERM=$saved_term

t "ptyrun: -v copies the output, sleep waits"
run "$PTYRUN" -v - -- sh -c 'echo one; sleep 0.3; echo two' <<'EOF'
sleep 100
expect two
EOF
check_rc 0
check_out_has "one"
check_out_has "two"

t "ptyrun: a child that never exits fails the implicit exit 0"
run "$PTYRUN" -t 1 - -- sleep 30 <<'EOF'
sleep 10
EOF
check_rc 1
check_err_has "implicit"
check_err_has "timed out after 1s waiting for the child to exit"

t "ptyrun: script errors are refused before running"
run "$PTYRUN" - -- sh -c 'echo ran >"$0"' "$scratch/ran" <<'EOF'
expect ok
frobnicate now
EOF
check_rc 2
check_err_has "-:2: cannot understand: frobnicate now"
check_file_absent "$scratch/ran"
for bad in "sendraw \\q" "sendraw \\x4" "signal QUIT" "exit -1" "exit" "sleep x" "expect"; do
	printf '%s\n' "$bad" >"$scratch/bad"
	run "$PTYRUN" "$scratch/bad" -- true
	check_rc 2
done
run "$PTYRUN" "$scratch/bad"
check_rc 2
check_err_has "usage"

t "ptyrun: a program that cannot start"
run_pty /nonexistent/program <<'EOF'
expect cannot run
exit 127
EOF
check_rc 0

done_testing
