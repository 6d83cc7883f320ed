# lib.sh - what the benchmarks share (sourced by bench/*.sh after they set `here`): failing with the evidence,
# arithmetic and formatting in the C locale, medians and ranges, wall clocks, sizes, one value from JSON text,
# sondeod on loopback and the counting proxy (bench/linkproxy.c) in front of it, and the at_exit of the test
# suite's lib, so that a bench can source what the tests share (tests/cli/pg.inc's PostgreSQL cluster).

# The benches read what sondeo and sondeod print (counts in `sondeo status`, the server's first log line): in
# English, whatever language the machine speaks.
unset LANGUAGE LC_ALL LC_MESSAGES
LANG=C.UTF-8
export LANG

# abspath PATH : PATH made absolute, from the current directory.
abspath() {
	case $1 in
	/*) echo "$1" ;;
	*) echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" ;;
	esac
}

# bench_programs SCRIPT TARGET ARG... : the two arguments of a bench, sondeo and sondeod, made absolute into
# $sondeo and $sondeod; else SCRIPT's usage (run by `make TARGET`), and exit 2.
bench_programs() {
	_bp_script=$1 _bp_target=$2
	shift 2
	if [ $# -ne 2 ] || [ ! -x "$1" ] || [ ! -x "$2" ]; then
		echo "usage: sh bench/$_bp_script path/to/sondeo path/to/sondeod   (normally: make $_bp_target)" >&2
		exit 2
	fi
	sondeo=$(abspath "$1")
	sondeod=$(abspath "$2")
}

# need_count NAME VALUE [LEAST] : exits 2, naming the setting NAME, unless VALUE is a whole number of at least
# LEAST (default 1).
need_count() {
	case $2 in
	'' | *[!0-9]*) ;;
	*) [ "$2" -lt "${3:-1}" ] || return 0 ;;
	esac
	echo "bench: $1 must be a number >= ${3:-1}" >&2
	exit 2
}

# need_tools [--install] COMMAND:PACKAGE... : the commands a bench runs, from their Debian packages. When some
# are missing: with --install, as root, their packages are installed through apt-get; otherwise the apt-get
# line to run is printed and the bench exits 1.
need_tools() {
	_nt_install=0
	if [ "$1" = --install ]; then
		_nt_install=1
		shift
	fi
	_nt_missing=""
	for _nt in "$@"; do
		command -v "${_nt%%:*}" >/dev/null 2>&1 || _nt_missing="$_nt_missing ${_nt#*:}"
	done
	[ -n "$_nt_missing" ] || return 0
	if [ $_nt_install = 1 ] && [ "$(id -u)" = 0 ]; then
		echo "bench: installing missing Debian packages:$_nt_missing" >&2
		# The package names are split into words on purpose.
		# shellcheck disable=SC2086
		if ! DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 ||
			! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $_nt_missing >&2; then
			echo "bench: apt-get could not install:$_nt_missing" >&2
			exit 1
		fi
		return 0
	fi
	echo "bench: missing Debian packages:$_nt_missing" >&2
	echo "run as root:  apt-get install -y$_nt_missing" >&2
	exit 1
}

# at_exit CMD : runs CMD (with eval) when the bench calls run_at_exit from its cleanup; the last registered runs
# first. The same contract as tests/cli/lib.sh's, for the files of tests/cli a bench sources (pg.inc).
at_exit() {
	_at_exit="$1
${_at_exit:-}"
}
run_at_exit() {
	_ae=${_at_exit:-}
	_at_exit=""
	eval "$_ae"
}

# die MESSAGE [FILE] : the bench is broken (not slow): says so, with FILE's last lines, and exits 1.
die() {
	echo "bench: FAILED: $1" >&2
	if [ $# -gt 1 ] && [ -s "$2" ]; then
		echo "--- $2 (last 20 lines):" >&2
		tail -n 20 "$2" >&2
	fi
	exit 1
}

# Numbers are formatted by awk in the C locale, whatever the user's locale says about decimal points.
calc() {
	LC_ALL=C awk "BEGIN { $1 }" </dev/null
}
median() {
	printf '%s\n' "$@" | LC_ALL=C sort -g | sed -n "$((($# + 1) / 2))p"
}
minimum() {
	printf '%s\n' "$@" | LC_ALL=C sort -g | head -n 1
}
maximum() {
	printf '%s\n' "$@" | LC_ALL=C sort -g | tail -n 1
}
# with_commas 1234567 : 1,234,567.
with_commas() {
	calc "s = \"$1\"; t = \"\"; while (length(s) > 3) { t = \",\" substr(s, length(s) - 2) t; s = substr(s, 1, length(s) - 3) }
		print s t"
}
# figure LIST FORMAT [SCALE] : "median (min-max)" of a space-separated list, each number multiplied by SCALE
# and printed with the printf FORMAT, or as a whole number with thousands' commas when FORMAT is "int"; only
# the median when there is one run.
figure() {
	# shellcheck disable=SC2086
	_md=$(median $1) _lo=$(minimum $1) _hi=$(maximum $1)
	set -- "$_md" "$_lo" "$_hi" "$2" "${3:-1}" "$(echo "$1" | wc -w | tr -d ' ')"
	LC_ALL=C awk "function f(x,    s, t) {
			if (\"$4\" != \"int\")
				return sprintf(\"$4\", x)
			s = sprintf(\"%.0f\", x); t = \"\"
			while (length(s) > 3) { t = \",\" substr(s, length(s) - 2) t; s = substr(s, 1, length(s) - 3) }
			return s t
		}
		BEGIN { s = $5; m = f($1 * s); if ($6 > 1) m = m \" (\" f($2 * s) \"-\" f($3 * s) \")\"; print m }" </dev/null
}
# per LIST AMOUNT : AMOUNT / each number of LIST.
per() {
	for _x in $1; do calc "print $2 / $_x"; done | tr '\n' ' '
}
# ratios A B : A_i / B_i for two lists of the same length.
ratios() {
	calc "n = split(\"$1\", a, \" \"); split(\"$2\", b, \" \"); for (i = 1; i <= n; i++) printf \"%s \", a[i] / b[i]"
}
# verdict VALUE OP TARGET : "" when VALUE meets the target, "  (short of it)" otherwise.
verdict() {
	calc "v = $1; t = $3; ok = (\"$2\" == \">=\") ? v >= t : v <= t; print ok ? \"\" : \"  (short of it)\""
}
# load : the load averages (1, 5 and 15 minutes).
load() {
	cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo "?"
}
# loads LIST : the 1-minute load average at the start of each run's measure.
loads() {
	echo "1-minute load average at each run's start: $(echo "$1" | sed 's/^ *//; s/ /, /g')"
}
file_size() {
	if [ -e "$1" ]; then wc -c <"$1" | tr -d ' '; else echo 0; fi
}
lines() {
	wc -l <"$1" | tr -d ' '
}

# Wall-clock seconds with fractions (date +%s.%N is GNU; fall back to whole seconds).
clock() {
	_clk=$(date +%s.%N 2>/dev/null)
	case $_clk in *N* | '') date +%s ;; *) echo "$_clk" ;; esac
}
secs_since() {
	calc "printf \"%.1f\", $(clock) - $1"
}

# cache_building DIR : makes DIR and in it this shell's fresh folder for a cache being built, building
# (DIR/building.PID, moved into place once whole), after removing what an interrupted build left (its shell gone).
cache_building() {
	mkdir -p "$1"
	for _cb in "$1"/building.*; do
		[ -d "$_cb" ] || continue
		kill -0 "${_cb##*.}" 2>/dev/null || rm -rf "$_cb"
	done
	building=$1/building.$$
	rm -rf "$building"
	mkdir -p "$building"
}

# wait_all SECONDS WHAT PID... : waits for every PID (bench/rss.c, each running a sync); dies naming WHAT when they
# have not all ended after SECONDS (each sync is bounded by libcurl's timeouts; this bounds them all, in case not),
# or when one could not run.
wait_all() {
	_wa_limit=$1 _wa_what=$2
	shift 2
	_wa_t0=$(clock)
	for _wa_p in "$@"; do
		while kill -0 "$_wa_p" 2>/dev/null; do
			[ "$(calc "print ($(clock) - $_wa_t0 > $_wa_limit) ? 1 : 0")" = 0 ] ||
				die "$_wa_what did not all end within $_wa_limit s"
			sleep 0.05
		done
		wait "$_wa_p" 2>/dev/null || die "bench/rss.c could not run one of $_wa_what"
	done
}

# json_get KEY FILE : the first value of member KEY in FILE's JSON text (a string without its quotes, or a
# number), for the flat answers sondeod gives; empty when there is none.
json_get() {
	LC_ALL=C awk -v k="\"$1\":" '{
		i = index($0, k)
		if (!i)
			next
		v = substr($0, i + length(k))
		sub(/^[ \t]*/, "", v)
		if (substr(v, 1, 1) == "\"") {
			v = substr(v, 2)
			sub(/".*/, "", v)
		} else {
			sub(/[],} \t].*/, "", v)
		}
		print v
		exit
	}' "$2"
}

# stop_pid PID [int] : SIGTERM (sondeod finishes the requests in progress; linkproxy writes its counts), or SIGINT
# with int (pouchdb-server stops on it), then wait for it, at most 10 s before SIGKILL; nothing when PID is empty.
stop_pid() {
	[ -n "$1" ] || return 0
	if [ "${2:-}" = int ]; then
		kill -INT "$1" 2>/dev/null || true
	else
		kill "$1" 2>/dev/null || true
	fi
	_sp_i=0
	while kill -0 "$1" 2>/dev/null && [ $_sp_i -lt 100 ]; do
		sleep 0.1
		_sp_i=$((_sp_i + 1))
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# A port picked at random for a server (one that is taken is tried again with another).
random_port() {
	echo $((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
}

# start_server DATA LOG [ARG]... : $sondeod serve on a free loopback port with the extra ARGs; sets pid (the
# server's) and url.
# The caller moves pid into its own name in one assignment (hq_pid=$pid pid=""), so that a signal at any moment
# finds every server in one of the names cleanup stops.
start_server() {
	_data=$1 _log=$2
	shift 2
	_tries=0
	while [ $_tries -lt 20 ]; do
		_port=$(random_port)
		: >"$_log"
		"$sondeod" serve --data "$_data" --listen "127.0.0.1:$_port" "$@" 2>"$_log" &
		pid=$!
		_ss_i=0
		while [ $_ss_i -lt 100 ]; do
			grep -q "serving" "$_log" && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
			_ss_i=$((_ss_i + 1))
		done
		if grep -q "serving" "$_log"; then
			url=http://127.0.0.1:$_port
			return 0
		fi
		stop_pid "$pid"
		pid=""
		# A server that cannot open its data (rather than a port in use) will not do better next time.
		grep -q "address already in use\|Address already in use\|address in use\|cannot listen" "$_log" || return 1
		_tries=$((_tries + 1))
	done
	return 1
}

# linkproxy_build : bench/linkproxy.c (a counting, shaping proxy) compiled into $tmp, its path in linkproxy.
linkproxy_build() {
	cc -O2 -o "$tmp/linkproxy" "$here/linkproxy.c" 2>"$tmp/cc.err" || die "cannot compile bench/linkproxy.c with cc" "$tmp/cc.err"
	linkproxy=$tmp/linkproxy
}

# start_proxy TARGET [ARG]... : linkproxy (linkproxy_build) on a free port to TARGET, counting into $tmp/count; sets
# lp_pid and lp_port. The caller stops lp_pid on its way out.
start_proxy() {
	: >"$tmp/lp.out"
	"$linkproxy" 0 "$@" --count "$tmp/count" >"$tmp/lp.out" 2>"$tmp/lp.err" &
	lp_pid=$!
	_i=0
	while [ $_i -lt 100 ] && ! grep -q "^ready " "$tmp/lp.out" && kill -0 "$lp_pid" 2>/dev/null; do
		sleep 0.05
		_i=$((_i + 1))
	done
	lp_port=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$tmp/lp.out")
	[ -n "$lp_port" ] || die "linkproxy did not start" "$tmp/lp.err"
}

# snap : the proxy's counts now, in snap_up, snap_down and snap_conns.
snap() {
	rm -f "$tmp/count"
	kill -USR1 "$lp_pid" 2>/dev/null || die "linkproxy stopped" "$tmp/lp.err"
	_i=0
	while [ ! -s "$tmp/count" ]; do
		[ $_i -lt 500 ] || die "linkproxy wrote no counts"
		sleep 0.01
		_i=$((_i + 1))
	done
	read -r snap_up snap_down snap_conns <"$tmp/count"
}

# rss_build : bench/rss.c (a command's wall time and peak memory) compiled into $tmp, its path in rss. Needs cc,
# and the bench's $here and $tmp.
rss_build() {
	cc -O2 -o "$tmp/rss" "$here/rss.c" 2>"$tmp/cc.err" || die "cannot compile bench/rss.c with cc" "$tmp/cc.err"
	rss=$tmp/rss
}

# timed IN OUT ERR CMD [ARG]... : runs CMD under rss (rss_build); sets t (seconds) and kb (peak RSS, KiB). Fails the
# whole bench if the command does not exit 0. (peers.sh and sync.sh, which time other things, have their own.)
timed() {
	_in=$1 _out=$2 _err=$3
	shift 3
	_what=$*
	# Splitting rss's "SECONDS KB STATUS" into words is the point here.
	# shellcheck disable=SC2046
	set -- $("$rss" -i "$_in" -o "$_out" -e "$_err" "$@") || die "cannot time '$_what'"
	[ $# -eq 3 ] || die "cannot time '$_what'"
	[ "$3" = 0 ] || die "'$_what' exited with status $3" "$_err"
	t=$1 kb=$2
}
