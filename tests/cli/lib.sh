# lib.sh - what the CLI test scripts share: one test at a time, checks that explain their failures, a fresh store.
#
#	. "$TOP/tests/cli/lib.sh"
#	t "init writes a private key"          starts a test (and ends the one before)
#	new_store                              SONDEO_HOME = a fresh empty directory under $TMPDIR, exported, removed
#	                                       when the script ends
#	run "$SONDEO" init                     never aborts the script: sets OUT, ERR (text) and RC; OUT_FILE and
#	                                       ERR_FILE keep the exact bytes; stdin is passed through (run cmd <file)
#	run_pty "$SONDEO" new <<'EOF'          the same through a terminal: ptyrun reads its script from stdin, OUT
#	                                       is the whole screen transcript (with what the terminal echoed); pty
#	                                       also bounds each expect and fails on a sanitizer report
#	check_rc 0 / check_out_has TEXT / check_out_lacks TEXT / check_err_has TEXT / check_err_lacks TEXT
#	check_eq ACTUAL EXPECTED [WHAT] / check_file_mode FILE 600 / check_file_exists F / check_file_absent F
#	check_status 200                       the first line of stdout, the HTTP status tests/cspush prints
#	fail "reason" / ok (ends the test now) / skip "reason" / at_exit "cleanup command" / done_testing
#	py_start, then py -c CODE [ARG...] /   python3 as on the command line (stdout, stderr, exit status; no
#	py FILE [ARG...]                       stdin), run by the one python3 that py_start started
#	ASAN_OPTIONS=$SERVER_ASAN_OPTIONS \    a server: LeakSanitizer on, and its log read for sanitizer reports
#	  "$SONDEOD" serve ... 2>LOG &         when the script ends (server_log LOG; server.inc does both)
#
# A test passes when none of its checks failed. "ok NAME" / "not ok NAME" lines are what tests/run.sh counts; a
# failed check prints "#   " lines with the reason, the last command, its exit status and the tails of its
# output. Texts are matched literally (no patterns). Checks always return 0, so `set -e` scripts go on after a
# failure and report it. Register cleanup with at_exit rather than `trap ... EXIT`, which lib.sh needs: it
# reports a script that stops before done_testing as a failure.

_t_name=""
_t_active=0
_t_fails=0
_t_passed=0
_t_failed=0
_t_cmd=""
_t_serial=0
_t_shown=-1
_t_cleanup=""
_t_done=0
_t_nl='
'
OUT=""
ERR=""
RC=""
_t_logs=""

# LeakSanitizer's look for leaks at a process's exit costs a fifth of the suite's time (some 50 ms in each of its
# thousands of commands), and a leak matters where a process lives: the servers. Each server a script starts
# keeps it (SERVER_ASAN_OPTIONS), and its log is read for sanitizer reports when the script ends (server_log);
# the unit tests and fuzz replays keep it too (tests/run.sh). A script's own commands, which end in milliseconds,
# run under ASan and UBSan without it, unless the script sets LEAK_CHECK=all before sourcing this file: the
# scripts that run every command's main paths do (commands.sh, sync.sh, interactive.sh, help.sh). Those commands
# also keep no stack of where each block was allocated (malloc_context_size=0): storing each new one touches a
# fresh page of ASan's table, a quarter of a short command's time. A report still names the bad access and its
# stack; run the script with LEAK_CHECK=all for where the block was allocated and freed.
# A script's run on PostgreSQL (tests/run.sh: NAME.sh@postgresql) checks its commands' leaks once, on SQLite: the
# commands do the same there, but for the servers' stores.
SERVER_ASAN_OPTIONS=${ASAN_OPTIONS:-}
[ "${SONDEO_TEST_ENGINE:-sqlite}" = sqlite ] || LEAK_CHECK=""
[ "${LEAK_CHECK:-}" = all ] || ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:malloc_context_size=0"
export ASAN_OPTIONS SERVER_ASAN_OPTIONS

_t_dir=$(mktemp -d "${TMPDIR:-/tmp}/cli-lib.XXXXXX") || exit 1
OUT_FILE=$_t_dir/stdout
ERR_FILE=$_t_dir/stderr
: >"$OUT_FILE"
: >"$ERR_FILE"

# Prints the result of the running test, if any.
_t_end() {
	[ "$_t_active" = 1 ] || return 0
	_t_active=0
	if [ "$_t_fails" -eq 0 ]; then
		printf 'ok %s\n' "$_t_name"
		_t_passed=$((_t_passed + 1))
	else
		printf 'not ok %s\n' "$_t_name"
		_t_failed=$((_t_failed + 1))
	fi
}

t() {
	_t_end
	_t_name=$1
	_t_active=1
	_t_fails=0
	_t_cmd=""
	OUT=""
	ERR=""
	RC=""
}

ok() {
	_t_end
}

skip() {
	[ "$_t_active" = 1 ] || t "(skipped outside a test)"
	_t_active=0
	printf 'ok %s # SKIP %s\n' "$_t_name" "${1:-}"
	_t_passed=$((_t_passed + 1))
}

# Prints the last lines of a file as diagnostics.
_t_tail() {
	if [ -s "$2" ]; then
		printf '#   %s (last 20 lines):\n' "$1"
		tail -n 20 "$2" | sed 's/^/#     /'
		# A last line without a newline would run into the next diagnostic.
		[ -z "$(tail -c 1 "$2")" ] || echo
	else
		printf '#   %s: (empty)\n' "$1"
	fi
}

fail() {
	[ "$_t_active" = 1 ] || t "(outside any test)"
	_t_fails=$((_t_fails + 1))
	# Every line of a message is a "#" line: a value's second line must never read as a result.
	printf '%s: %s\n' "$_t_name" "$1" | sed 's/^/#   /'
	# The command behind the failure, once per command.
	if [ -n "$_t_cmd" ] && [ "$_t_shown" != "$_t_serial" ]; then
		_t_shown=$_t_serial
		printf 'command: %s\n' "$_t_cmd" | sed 's/^/#   /'
		printf '#   exit status: %s\n' "$RC"
		_t_tail stdout "$OUT_FILE"
		_t_tail stderr "$ERR_FILE"
	fi
	return 0
}

# _t_quote ARG : appends ARG to _t_cmd, quoted for display as it could be typed again. Without a subshell unless
# ARG holds a single quote: run is called thousands of times, and here a fork costs more than the check it serves.
_t_quote() {
	case $1 in
	'' | *[!A-Za-z0-9_./=:,+@%-]*)
		case $1 in
		*\'*) _t_q="'$(printf '%s' "$1" | sed "s/'/'\\\\''/g")'" ;;
		*) _t_q="'$1'" ;;
		esac
		;;
	*) _t_q=$1 ;;
	esac
	_t_cmd="$_t_cmd${_t_cmd:+ }$_t_q"
}

run() {
	_t_cmd=""
	for _t_a in "$@"; do
		_t_quote "$_t_a"
	done
	_t_serial=$((_t_serial + 1))
	if "$@" >"$OUT_FILE" 2>"$ERR_FILE"; then RC=0; else RC=$?; fi
	# An empty stream is read without starting cat: most commands leave one of the two empty.
	OUT=""
	ERR=""
	[ ! -s "$OUT_FILE" ] || OUT=$(cat "$OUT_FILE")
	[ ! -s "$ERR_FILE" ] || ERR=$(cat "$ERR_FILE")
	# Sanitizer reports fail the test even when the exit status was the one expected. Both streams are read:
	# through ptyrun the program's stderr is the terminal, which ptyrun -v copies to stdout. grep, which knows
	# where a line begins, is started only for a text that may hold a report.
	case $OUT$ERR in
	*'==ERROR: '*Sanitizer* | *': runtime error: '*)
		if grep -Eq "$_t_report" "$OUT_FILE" "$ERR_FILE"; then
			fail "sanitizer report in the output"
		fi
		;;
	esac
	return 0
}

# What a sanitizer's report begins with, at the start of a line.
_t_report='^==[0-9]+==ERROR: [A-Za-z]+Sanitizer|^[^ #]+:[0-9]+:[0-9]+: runtime error: '

# server_log LOG : LOG is a server's stderr: fails the running test if it holds a sanitizer report already (a
# server started before with the same log, now stopped), and has it read again when the script ends, once every
# server has stopped (done_testing). Called before the server starts, which empties LOG.
server_log() {
	[ -s "$1" ] && grep -Eq "$_t_report" "$1" &&
		fail "sanitizer report in the server's log $1: $(grep -m 3 -E "$_t_report" "$1")"
	case $_t_nl$_t_logs in *"$_t_nl$1$_t_nl"*) ;; *) _t_logs="$_t_logs$1$_t_nl" ;; esac
	return 0
}

run_pty() {
	if [ -z "${PTYRUN:-}" ] || [ ! -x "$PTYRUN" ]; then
		fail "PTYRUN does not name the ptyrun program (tests/run.sh sets it)"
		return 0
	fi
	run "$PTYRUN" -v - -- "$@"
}

# pty CMD... : run_pty with each expect bounded to 15 s, and no sanitizer report: the child's stderr is the
# terminal too, so a report would be in OUT, not in ERR or a log.
pty() {
	if [ -z "${PTYRUN:-}" ] || [ ! -x "$PTYRUN" ]; then
		fail "PTYRUN does not name the ptyrun program (tests/run.sh sets it)"
		return 0
	fi
	run "$PTYRUN" -v -t 15 - -- "$@"
	check_out_lacks "Sanitizer"
	check_out_lacks "runtime error:"
}

check_rc() {
	[ "$RC" = "$1" ] || fail "exit status $RC, expected $1"
	return 0
}

check_out_has() {
	case $OUT in *"$1"*) ;; *) fail "stdout lacks '$1'" ;; esac
	return 0
}

check_out_lacks() {
	case $OUT in *"$1"*) fail "stdout has '$1'" ;; esac
	return 0
}

check_err_has() {
	case $ERR in *"$1"*) ;; *) fail "stderr lacks '$1'" ;; esac
	return 0
}

check_err_lacks() {
	case $ERR in *"$1"*) fail "stderr has '$1'" ;; esac
	return 0
}

check_eq() {
	[ "$1" = "$2" ] || fail "${3:-value} is '$1', expected '$2'"
	return 0
}

# check_status CODE : the first line of stdout is CODE, the HTTP status tests/cspush prints before the answer's body
# (a body may hold the same digits, in a device's id say).
check_status() {
	_t_first=${OUT%%"$_t_nl"*}
	[ "$_t_first" = "$1" ] || fail "HTTP status '$_t_first', expected $1"
	return 0
}

check_file_exists() {
	[ -e "$1" ] || fail "'$1' does not exist"
	return 0
}

check_file_absent() {
	[ ! -e "$1" ] && [ ! -L "$1" ] || fail "'$1' exists"
	return 0
}

# check_file_mode FILE 600 : the permission bits, in octal (0600 and 600 are the same).
check_file_mode() {
	if [ ! -e "$1" ]; then
		fail "'$1' does not exist"
		return 0
	fi
	_t_m=$(stat -c %a "$1")
	_t_w=$(printf '%s' "$2" | sed 's/^0*//')
	[ "$_t_m" = "${_t_w:-0}" ] || fail "'$1' has mode $_t_m, expected $2"
	return 0
}

# dev NAME ARGS... : runs sondeo (with run) on device NAME's store, $TMPDIR/dev-NAME. A script with a single
# device may define its own dev.
dev() {
	_t_dev=$1
	shift
	SONDEO_HOME=$TMPDIR/dev-$_t_dev run "$SONDEO" "$@"
}

# new_store : a fresh empty SONDEO_HOME, inside lib.sh's own directory so that it goes when the script ends.
new_store() {
	SONDEO_HOME=$(mktemp -d "$_t_dir/store.XXXXXX") || fail "cannot make a store directory"
	export SONDEO_HOME
}

# python3 is Debian's own when there is one (scripts/deps.sh installs it): the suite runs on what a fresh Debian 12
# has, and an interpreter found first on PATH may start through a version manager's shim, several times slower.
if [ -x /usr/bin/python3 ]; then
	python3() { /usr/bin/python3 "$@"; }
fi

# py -c CODE [ARG...] | py FILE [ARG...] : what python3 would print and exit with, from one python3 that stays up
# for the whole script: starting python3 for every JSON check costs more than most of the checks. Each call
# runs in fresh globals with its own sys.argv and the caller's directory; its stdin is empty.
_t_py_pid=""
_t_py_src='import io, os, sys, traceback
rd, wr = sys.stdin.buffer, sys.stdout
def arg():
    b = bytearray()
    while True:
        c = rd.read(1)
        if not c:
            sys.exit(0)
        if c == b"\0":
            return b.decode("utf-8", "surrogateescape")
        b += c
def line(t):
    wr.write(t.replace("\\", "\\\\").replace("\n", "\\n") + "\n")
while True:
    args = [arg() for _ in range(int(arg()))]
    os.chdir(args[0])
    out, err, status = io.StringIO(), io.StringIO(), 0
    sys.stdout, sys.stderr, sys.stdin = out, err, io.StringIO()
    try:
        if args[1] == "-c":
            sys.argv = ["-c"] + args[3:]
            exec(compile(args[2], "<string>", "exec"), {"__name__": "__main__"})
        else:
            sys.argv = args[1:]
            exec(compile(open(args[1], encoding="utf-8").read(), args[1], "exec"), {"__name__": "__main__", "__file__": args[1]})
    except SystemExit as e:
        if isinstance(e.code, int):
            status = e.code
        elif e.code is not None:
            print(e.code, file=err)
            status = 1
    except BaseException:
        traceback.print_exc(file=err)
        status = 1
    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
    line(str(status))
    line(out.getvalue())
    line(err.getvalue())
    wr.flush()'

# py_start : starts that python3, on file descriptors 7 and 8. Call it at the script's top level: py is mostly
# called inside $(...), a subshell, where a python3 started on demand would be lost at the next call.
py_start() {
	[ -z "$_t_py_pid" ] || return 0
	mkfifo "$_t_dir/py.in" "$_t_dir/py.out" || return 1
	python3 -c "$_t_py_src" <"$_t_dir/py.in" >"$_t_dir/py.out" &
	_t_py_pid=$!
	exec 7>"$_t_dir/py.in" 8<"$_t_dir/py.out"
	at_exit "exec 7>&- 8<&-; kill $_t_py_pid 2>/dev/null"
}

py() {
	if [ -z "$_t_py_pid" ]; then
		echo "py: py_start was not called at the top of the script" >&2
		return 1
	fi
	# Each argument ends with a NUL, which no shell string can hold; the answer is three lines, with newlines
	# and backslashes escaped: the exit status, stdout, stderr.
	{
		printf '%s\0%s\0' "$(($# + 1))" "$PWD"
		for _t_a in "$@"; do printf '%s\0' "$_t_a"; done
	} >&7
	IFS= read -r _t_py_rc <&8 || { echo "py: python3 is gone" >&2; return 1; }
	IFS= read -r _t_py_out <&8
	IFS= read -r _t_py_err <&8
	printf '%b' "$_t_py_out"
	printf '%b' "$_t_py_err" >&2
	return "$_t_py_rc"
}

# at_exit CMD : runs CMD (with eval) when the script ends, however it ends; the last registered runs first.
at_exit() {
	_t_cleanup="$1
$_t_cleanup"
}

done_testing() {
	_t_end
	if [ -n "$_t_logs" ]; then
		# The servers stop first (at_exit), so that what they report as they end, leaks, is in their logs.
		eval "$_t_cleanup"
		_t_cleanup=""
		t "the servers ${0##*/} started ended without a sanitizer report"
		printf '%s' "$_t_logs" | while IFS= read -r _t_l; do
			[ -s "$_t_l" ] && grep -Eq "$_t_report" "$_t_l" &&
				echo "$_t_l: $(grep -m 3 -E "$_t_report" "$_t_l")"
		done >"$_t_dir/reports"
		[ -s "$_t_dir/reports" ] && fail "sanitizer reports in the servers' logs: $(cat "$_t_dir/reports")"
		_t_end
	fi
	_t_done=1
	echo "# $_t_passed passed, $_t_failed failed"
	[ "$_t_failed" -eq 0 ] && exit 0
	exit 1
}

_t_exit() {
	_t_rc=$?
	set +e
	if [ "$_t_done" != 1 ]; then
		[ "$_t_active" = 1 ] || t "${0##*/} runs to done_testing"
		fail "the script stopped (status $_t_rc) before done_testing"
		_t_end
		_t_rc=1
	fi
	eval "$_t_cleanup"
	chmod -R u+rwx "$_t_dir" 2>/dev/null
	rm -rf "$_t_dir"
	exit "$_t_rc"
}

trap _t_exit EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
