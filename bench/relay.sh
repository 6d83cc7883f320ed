#!/bin/sh
# relay.sh SONDEO SONDEOD - issue 5's benchmark: a region's 100,000 ops, held by its regional server through a
# week with headquarters out of reach, relayed to headquarters once it is back; wall time and bytes on the wire,
# beside this machine's own baseline measured in the same run: the same laptops syncing the same ops directly
# to a fresh headquarters (`make bench`, after bench/review.sh).
#
# These machines are shared and noisy: the figures to compare across runs and machines are the ratios
# (relay/direct, relay/uploads below), not the seconds. Nothing is enforced; the bench fails (exit 1) only when
# something is actually broken: a command fails, the queue does not drain, headquarters does not end up with
# exactly the ops the laptops made.
#
# The data are made through the real paths, never by writing a database by hand (docs/relay-design.md):
#   - headquarters: `sondeod init`, a relay code for region REGION (`sondeod enrol-code --relay`), the regional
#     server enrolled with it (`sondeod enrol`); then headquarters stops: the week offline begins.
#   - the regional server serves (`sondeod serve`, relaying to the headquarters it enrolled at, which is down);
#     DEVICES laptops (`sondeo init`) each make their share of BENCH_RELAY_OPS ops (default 100,000):
#     records from bench/gen.awk (`sondeo new --from FILE.csv`) until one more batch could overshoot, then
#     one-answer edits (`sondeo edit ID --set notes=...`, one op each) to reach the share exactly; each enrols
#     at the regional server and syncs. The regional server now holds every change set and vouch in its
#     relay_queue (checked with `sondeod status --json`).
# That takes about 20 s on a 2-core machine (mostly the syncs), so it is kept in build/bench-relay/data
# (BENCH_RELAY_CACHE overrides build/bench-relay) and reused while its key (KEY below, the op and laptop counts,
# the region and bench/gen.awk's checksum) is unchanged; change KEY to force a rebuild, or remove the directory.
# The laptops are kept as they were before their first sync, for the direct baseline. Data that the sondeod
# being measured cannot serve (another layout) is rebuilt once. Every run works on copies in a temporary
# directory: the cache itself never changes.
#
# The measures:
#   relay   headquarters starts on its copy; then the regional server starts on its copy (`--upstream` gives it
#           this run's address; starting it after headquarters is up keeps its backoff, up to 5 minutes while
#           the link was down, out of the figure). Timed from the regional server's start until its queue is
#           empty (`sondeod status --json`: changesets_waiting and vouches_waiting 0) and headquarters' server.db
#           holds all the ops, both polled every POLL seconds (so the time is good to about that much).
#   direct  a fresh headquarters, a code for region REGION, copies of the laptops as they were before their
#           first sync enrolled there (untimed), then `sondeo sync` of each, one after the other: the sum of
#           their wall times (bench/rss.c). Each laptop after the first also receives the ops of those before it
#           (GET /v1/pull), as it would at headquarters; the relay's laptops got those from their regional
#           server during the week, so that traffic is shown apart, and:
#   uploads the same again on another fresh headquarters, each laptop with a code of a region of its own, so
#           that nobody pulls anyone's ops and each sync is its upload: the like-for-like baseline of the
#           relay's time (that pull down grows with the square of the laptops, and would flatter the relay).
# Bytes on the wire are the body bytes headquarters' log gives for each request (in= the request's body,
# out= the answer's; HTTP headers are not counted), summed over every request it answered in the measured
# part: for the relay, its vouches, change sets and pulls (GET /v1/relay/pull) until it is stopped; for the
# direct sync, the laptops' requests after their enrolment. Peak RSS is VmHWM from /proc/PID/status of each
# sondeod just before it is stopped, and ru_maxrss of the largest `sondeo sync`. Needs cc and the sqlite3 shell.
set -eu

# Change this when the setup changes in a way the cache must not survive.
KEY=relay-bench-1
REGION=kisumu
OPS=${BENCH_RELAY_OPS:-100000}
DEVICES=${BENCH_RELAY_DEVICES:-4}
# How long the relay may take to drain before the bench gives up and says so (seconds), and how long without any
# progress at all (longer than the relay's longest backoff, 5 minutes).
TIMEOUT=${BENCH_RELAY_TIMEOUT:-1800}
STALL=360
POLL=0.2
SEED=2018

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)
CACHE=${BENCH_RELAY_CACHE:-$root/build/bench-relay}

bench_programs relay.sh bench "$@"
need_count BENCH_RELAY_OPS "$OPS"
need_count BENCH_RELAY_DEVICES "$DEVICES"
need_count BENCH_RELAY_TIMEOUT "$TIMEOUT"
[ $((OPS / DEVICES)) -ge 100 ] || { echo "bench: at least 100 ops a laptop (BENCH_RELAY_OPS / BENCH_RELAY_DEVICES)" >&2; exit 2; }

need_tools sqlite3:sqlite3 cc:gcc

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sondeo-relay-bench.XXXXXX")
# The servers this bench runs (headquarters, the regional server, the direct baseline's headquarters, and pid,
# the one being started): every one still running is stopped on the way out, however the bench ends.
pid="" hq_pid="" reg_pid="" direct_pid=""
building=""
cleanup() {
	stop_pid "$pid"
	stop_pid "$reg_pid"
	stop_pid "$hq_pid"
	stop_pid "$direct_pid"
	[ -z "$building" ] || rm -rf "$building"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mb() {
	calc "printf \"%.2f\", $1 / 1048576"
}

# The JSON member NAME of a compact or spaced JSON text in FILE (a string's value without quotes, or a number,
# boolean or null), the first one found.

# sqlite3 on a server.db that a running sondeod may be writing: wait for its lock rather than fail.
query() {
	sqlite3 -cmd '.timeout 10000' "$@"
}

rss_build

# --- sondeod on loopback ----------------------------------------------------------------------------------

# hwm PID : a running sondeod's peak RSS (VmHWM), in KiB; 0 when the kernel does not say.
hwm() {
	_v=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	echo "${_v:-0}"
}

# wire LOG SKIP : what headquarters' log says of the requests it answered after the first SKIP, one line per
# kind of request ("METHOD PATH" without the query): "KIND COUNT IN OUT MS NOT200", then "all" for the sum.
# A request line is "TIME ADDRESS METHOD PATH STATUS in=N out=N Tms" (common/http.c).
wire() {
	LC_ALL=C awk -v skip="$2" '
		$6 ~ /^in=[0-9]+$/ && $7 ~ /^out=[0-9]+$/ && $8 ~ /^[0-9]+ms$/ {
			if (++n <= skip)
				next
			path = $4
			sub(/\?.*/, "", path)
			k = $3 " " path
			if (!(k in count))
				order[++kinds] = k
			count[k]++; bin[k] += substr($6, 4); bout[k] += substr($7, 5); ms[k] += $8 + 0
			if ($5 != 200)
				bad[k]++
		}
		END {
			for (i = 1; i <= kinds; i++) {
				k = order[i]
				printf "%s %d %d %d %d %d\n", k, count[k], bin[k], bout[k], ms[k], bad[k]
				c += count[k]; a += bin[k]; b += bout[k]; m += ms[k]; x += bad[k]
			}
			printf "all all %d %d %d %d %d\n", c, a, b, m, x
		}' "$1"
}
# field WIRE-FILE KIND COLUMN : one figure of wire's output (COLUMN 1 count, 2 in, 3 out, 4 ms, 5 not 200); 0
# when no request of that kind was made.
field() {
	LC_ALL=C awk -v k="$2" -v c="$3" '$1 " " $2 == k { v = $(2 + c) } END { print v + 0 }' "$1"
}
# The requests of a wire file as "N POST /v1/changesets, M POST /v1/vouch, ..." (and those not answered 200).
kinds_text() {
	LC_ALL=C awk '$1 != "all" { printf "%s%d %s %s%s", (n++ ? ", " : ""), $3, $1, $2,
		($7 > 0 ? " (" $7 " not answered 200)" : "") } END { print "" }' "$1"
}

# The ops a server holds, as text ordered by device and seq, reduced to a checksum: two servers holding the
# same ops (same devices, seqs, stamps, fields and values) give the same line.
ops_sum() {
	query "$1" "SELECT d.id, o.seq, o.hlc, o.field,
		coalesce(nullif(o.value, ''), (SELECT f.value FROM fields f WHERE f.rid = o.rid AND f.field = o.field))
		FROM ops o JOIN devices d USING (did) ORDER BY d.id, o.seq" | cksum
}

# --- the week offline: made through the real paths, or reused ---------------------------------------------

gensum=$(cksum <"$here/gen.awk" | cut -d ' ' -f 1)
key="$KEY ops=$OPS devices=$DEVICES region=$REGION seed=$SEED gen.awk=$gensum"
data=$CACHE/data

cache_ok() {
	[ -f "$data/key" ] && [ "$(cat "$data/key")" = "$key" ] && [ -f "$data/setup.txt" ] &&
		[ -f "$data/week/hq/server.db" ] && [ -f "$data/week/regional/server.db" ] &&
		[ -f "$data/laptops/laptop-$DEVICES/store.db" ]
}

# ops_of HOME : the ops a laptop holds.
ops_of() {
	sqlite3 "$1/store.db" "SELECT count(*) FROM ops"
}

# fill HOME SHARE I : laptop I makes exactly SHARE ops. A record makes one op per answer, so at most one per
# column of the CSV: batches of SHARE-left / columns records never overshoot, and the few ops left at the end
# are one-answer edits (also what a week in the field looks like).
fill() {
	_home=$1 _share=$2 _i=$3
	_have=0 _batch=0
	: >"$tmp/ids"
	while [ $((_share - _have)) -gt $((2 * cols)) ]; do
		_batch=$((_batch + 1))
		LC_ALL=C awk -v n=$(((_share - _have) / cols)) -v seed=$((SEED * 1000 + _i * 100 + _batch)) \
			-f "$here/gen.awk" >"$tmp/records.csv" || die "cannot generate the data (bench/gen.awk)"
		SONDEO_HOME=$_home "$sondeo" new --from "$tmp/records.csv" >>"$tmp/ids" 2>"$tmp/dev.out" ||
			die "sondeo new --from failed on laptop-$_i" "$tmp/dev.out"
		_have=$(ops_of "$_home")
		[ "$_have" -le "$_share" ] || die "laptop-$_i made $_have ops, over its share of $_share: a record made" \
			"more ops than the CSV has columns ($cols); fill() in bench/relay.sh needs another bound"
	done
	_nids=$(lines "$tmp/ids")
	_e=0
	while [ "$_have" -lt "$_share" ]; do
		_e=$((_e + 1))
		_id=$(sed -n "$(((_e - 1) % _nids + 1))p" "$tmp/ids")
		SONDEO_HOME=$_home "$sondeo" edit "$_id" --set "notes=Follow-up $_e after the week in the field" \
			>"$tmp/dev.out" 2>&1 || die "sondeo edit failed on laptop-$_i" "$tmp/dev.out"
		_have=$((_have + 1))
	done
	_got=$(ops_of "$_home")
	[ "$_got" = "$_share" ] || die "laptop-$_i holds $_got ops; it should have made $_share"
	records=$((records + _nids)) edits=$((edits + _e))
}

build_cache() {
	cache_building "$CACHE"
	mkdir -p "$building/laptops" "$building/week" "$tmp/dev"
	w=$building
	t_setup=$(clock)
	echo "setup: $(with_commas "$OPS") ops on $DEVICES laptops of region $REGION, queued at its regional server" \
		"while headquarters is down, into $data (key: $key)"

	# Headquarters enrols the regional server, then goes down for the week.
	"$sondeod" init --data "$w/week/hq" >"$tmp/init.out" 2>&1 || die "sondeod init failed" "$tmp/init.out"
	"$sondeod" init --data "$w/week/regional" >"$tmp/init.out" 2>&1 || die "sondeod init failed" "$tmp/init.out"
	start_server "$w/week/hq" "$tmp/setup-hq.log" || die "sondeod serve did not start" "$tmp/setup-hq.log"
	hq_pid=$pid pid=""
	hq_url=$url
	code=$("$sondeod" enrol-code --data "$w/week/hq" --region "$REGION" --relay --expires 1h 2>"$tmp/code.err" |
		head -n 1) || die "sondeod enrol-code --relay failed" "$tmp/code.err"
	"$sondeod" enrol --data "$w/week/regional" "$hq_url" "$code" --name "$REGION office" >"$tmp/enrol.out" 2>&1 ||
		die "sondeod enrol failed" "$tmp/enrol.out"
	stop_pid "$hq_pid"
	hq_pid=""

	# The laptops, each with its share; kept as they are now, before any sync, for the direct baseline.
	cols=$(LC_ALL=C awk -v n=1 -v seed="$SEED" -f "$here/gen.awk" | head -n 1 | LC_ALL=C awk -F, '{ print NF }')
	records=0 edits=0
	t0=$(clock)
	i=1
	while [ $i -le "$DEVICES" ]; do
		share=$((OPS / DEVICES))
		[ $i -lt "$DEVICES" ] || share=$((OPS - (DEVICES - 1) * (OPS / DEVICES)))
		home=$w/laptops/laptop-$i
		SONDEO_HOME=$home "$sondeo" init --name "$REGION-laptop-$i" >"$tmp/dev.out" 2>&1 ||
			die "sondeo init failed" "$tmp/dev.out"
		fill "$home" "$share" "$i"
		i=$((i + 1))
	done
	t_fill=$(secs_since "$t0")
	echo "setup: $DEVICES laptops made $(with_commas "$OPS") ops ($(with_commas "$records") records from bench/gen.awk," \
		"$edits one-answer edits) in $t_fill s"

	# The week: the regional server serves its laptops; its link to headquarters is down, so everything they
	# send waits in its queue.
	start_server "$w/week/regional" "$tmp/setup-regional.log" ||
		die "the regional sondeod serve did not start" "$tmp/setup-regional.log"
	reg_pid=$pid pid=""
	reg_url=$url
	code=$("$sondeod" enrol-code --data "$w/week/regional" --uses "$DEVICES" --expires 1h 2>"$tmp/code.err" |
		head -n 1) || die "sondeod enrol-code at the regional server failed" "$tmp/code.err"
	sent=0 t_sync=0
	i=1
	while [ $i -le "$DEVICES" ]; do
		d=$tmp/dev/laptop-$i
		cp -Rp "$w/laptops/laptop-$i" "$d"
		SONDEO_HOME=$d "$sondeo" enrol "$reg_url" "$code" >"$tmp/dev.out" 2>&1 ||
			die "sondeo enrol at the regional server failed on laptop-$i" "$tmp/dev.out"
		t0=$(clock)
		SONDEO_HOME=$d "$sondeo" sync >"$tmp/sync.out" 2>&1 || die "sondeo sync failed on laptop-$i" "$tmp/sync.out"
		t_sync=$(calc "print $t_sync + $(clock) - $t0")
		s=$(sed -n 's/.*: \([0-9][0-9,]*\) changes\{0,1\} sent.*/\1/p' "$tmp/sync.out" | tr -d ,)
		[ -n "$s" ] || die "cannot read what sondeo sync did" "$tmp/sync.out"
		sent=$((sent + s))
		i=$((i + 1))
	done
	[ "$sent" = "$OPS" ] || die "the laptops sent $sent ops to the regional server; they made $OPS"
	# Its relay thread saw headquarters down (and backs off): wait for it to say so, so the week is a real one.
	_i=0
	while ! grep -q "headquarters cannot be reached" "$tmp/setup-regional.log" && [ $_i -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	stop_pid "$reg_pid"
	reg_pid=""
	"$sondeod" status --data "$w/week/regional" --json >"$tmp/status.json" 2>"$tmp/status.err" ||
		die "sondeod status failed at the regional server" "$tmp/status.err"
	queued=$(json_get changesets_waiting "$tmp/status.json") vouches=$(json_get vouches_waiting "$tmp/status.json")
	[ "$vouches" = "$DEVICES" ] || die "the regional server holds $vouches vouches for $DEVICES laptops" "$tmp/status.json"
	[ "${queued:-0}" -gt 0 ] || die "the regional server's queue holds no change set" "$tmp/status.json"
	got=$(query "$w/week/regional/server.db" "SELECT count(*) FROM ops")
	[ "$got" = "$OPS" ] || die "the regional server holds $got ops; the laptops sent $OPS"
	queued_bytes=$(query "$w/week/regional/server.db" "SELECT total(length(c.bytes)) FROM relay_queue q
		JOIN changesets c ON c.id = CAST(q.ref AS INTEGER) WHERE q.kind = 'changeset'" | sed 's/\.0$//')
	t_total=$(secs_since "$t_setup")
	echo "setup: $DEVICES x sondeo sync to the regional server in $(calc "printf \"%.1f\", $t_sync") s; its queue:" \
		"$queued change sets ($(mb "$queued_bytes") MB) and $vouches vouches"

	cat >"$w/setup.txt" <<EOF
built=$(date -u +%Y-%m-%dT%H:%MZ)
setup_s=$t_total
fill_s=$t_fill
records=$records
edits=$edits
sync_s=$(calc "printf \"%.1f\", $t_sync")
queued=$queued
queued_bytes=$queued_bytes
vouches=$vouches
sondeod=$("$sondeod" --version 2>/dev/null || echo '?')
EOF
	echo "$key" >"$w/key"
	rm -rf "$data" "${tmp:?}/dev"
	mv "$building" "$data"
	building=""
	setup_note="built now in $t_total s"
}

setup_note=""
if cache_ok; then
	setup_note="reused (built $(sed -n 's/^built=//p' "$data/setup.txt"); delete $data to rebuild)"
else
	[ ! -e "$data" ] || echo "setup: the cached data in $data has another key or is incomplete: rebuilding"
	build_cache
fi
get() {
	sed -n "s/^$1=//p" "$data/setup.txt"
}

# --- relay: headquarters comes back, then the regional server ---------------------------------------------

# relay_run : one measured relay on fresh copies of the week; 1 when the sondeod being measured cannot serve
# the cached data. Sets t_relay, t_first, rl_hq_kb, rl_reg_kb, refused_max and leaves headquarters' log in
# $tmp/relay-hq.log.
relay_run() {
	rm -rf "$tmp/relay"
	mkdir -p "$tmp/relay"
	cp -Rp "$data/week/hq" "$tmp/relay/hq"
	cp -Rp "$data/week/regional" "$tmp/relay/regional"
	start_server "$tmp/relay/hq" "$tmp/relay-hq.log" || return 1
	hq_pid=$pid pid=""
	t0=$(clock)
	start_server "$tmp/relay/regional" "$tmp/relay-regional.log" --upstream "$url" || {
		stop_pid "$hq_pid"
		hq_pid=""
		return 1
	}
	reg_pid=$pid pid=""
	# Poll until the queue is empty and headquarters holds every op; any progress (ops arriving, the queue
	# shrinking) restarts the stall clock.
	t_first="" refused_max=0 last="" t_progress=$t0
	while :; do
		kill -0 "$reg_pid" 2>/dev/null || die "the regional sondeod stopped while relaying" "$tmp/relay-regional.log"
		kill -0 "$hq_pid" 2>/dev/null || die "headquarters' sondeod stopped while the relay ran" "$tmp/relay-hq.log"
		if "$sondeod" status --data "$tmp/relay/regional" --json >"$tmp/status.json" 2>"$tmp/status.err"; then
			cw=$(json_get changesets_waiting "$tmp/status.json") vw=$(json_get vouches_waiting "$tmp/status.json")
			rf=$(json_get refused "$tmp/status.json")
		else
			cw="?" vw="?" rf=0
		fi
		got=$(query "$tmp/relay/hq/server.db" "SELECT count(*) FROM ops" 2>/dev/null) || got="?"
		now=$(clock)
		[ -n "$t_first" ] || [ "$got" = "?" ] || [ "$got" = 0 ] || t_first=$(calc "print $now - $t0")
		[ "${rf:-0}" -le "$refused_max" ] || refused_max=$rf
		[ "$cw" != 0 ] || [ "$vw" != 0 ] || [ "$got" != "$OPS" ] || break
		if [ "$got $cw $vw" != "$last" ]; then
			last="$got $cw $vw" t_progress=$now
		fi
		if [ "$(calc "print (($now - $t_progress > $STALL || $now - $t0 > $TIMEOUT) ? 1 : 0)")" = 1 ]; then
			echo "bench: headquarters holds $got of $OPS ops; the regional server still has $cw change sets and" \
				"$vw vouches waiting, $(calc "printf \"%.0f\", $now - $t0") s after it started. Its status:" >&2
			cat "$tmp/status.json" >&2
			echo "--- headquarters' log (last 10 lines):" >&2
			tail -n 10 "$tmp/relay-hq.log" >&2
			die "the relay did not drain its queue" "$tmp/relay-regional.log"
		fi
		sleep "$POLL"
	done
	t_relay=$(calc "print $(clock) - $t0")
	rl_reg_kb=$(hwm "$reg_pid") rl_hq_kb=$(hwm "$hq_pid")
	stop_pid "$reg_pid"
	reg_pid=""
	stop_pid "$hq_pid"
	hq_pid=""
	return 0
}

if ! relay_run; then
	# A cache the current sondeod cannot serve (an older layout it refuses): made again, once.
	echo "setup: sondeod cannot serve the cached data ($(tail -n 1 "$tmp/relay-hq.log" "$tmp/relay-regional.log" 2>/dev/null |
		grep -v '^==>' | grep . | tail -n 1)): rebuilding"
	build_cache
	relay_run || die "sondeod serve did not start on the new data" "$tmp/relay-regional.log"
fi
wire "$tmp/relay-hq.log" 0 >"$tmp/relay.wire"
hq_sum=$(ops_sum "$tmp/relay/hq/server.db")
reg_sum=$(ops_sum "$tmp/relay/regional/server.db")
[ "$hq_sum" = "$reg_sum" ] || die "headquarters' ops differ from the regional server's (same count, not the same ops)"
[ "$(query "$tmp/relay/regional/server.db" "SELECT count(*) FROM relay_queue")" = 0 ] ||
	die "the regional server's relay_queue is not empty after the relay"
# Change sets go up byte for byte: what headquarters received is what the queue held, unless some were sent
# twice (a gap resend, a retry after a cut answer), which is worth seeing.
relay_cs_in=$(field "$tmp/relay.wire" "POST /v1/changesets" 2)
relay_notes=$(grep "sondeod: relay: .*\(refused\|resending\)" "$tmp/relay-regional.log" | head -n 3 || true)
rm -rf "$tmp/relay"

# --- direct: the same laptops, before their first sync, to a fresh headquarters -----------------------------

# direct_run NAME OWN : a fresh headquarters, the laptops' copies enrolled there (untimed), then `sondeo sync` of
# each, one after the other. OWN 0: all in region REGION, as the issue's baseline asks, so each laptop after the
# first also pulls down the ops of those before it. OWN 1: each laptop in a region of its own, so that its sync
# is its upload and little else, like for like with the relay. Leaves $tmp/NAME.wire and sets d_t (the syncs'
# wall time), d_runs, d_kb (the largest sync's peak RSS), d_hq_kb, d_sent, d_received.
direct_run() {
	_dir=$tmp/$1
	mkdir -p "$_dir"
	"$sondeod" init --data "$_dir/hq" >"$tmp/init.out" 2>&1 || die "sondeod init failed" "$tmp/init.out"
	start_server "$_dir/hq" "$tmp/$1-hq.log" || die "sondeod serve did not start" "$tmp/$1-hq.log"
	direct_pid=$pid pid=""
	_url=$url
	_i=1
	while [ $_i -le "$DEVICES" ]; do
		if [ "$2" = 1 ]; then
			_region=$REGION-$_i _uses=1
		else
			_region=$REGION _uses=$DEVICES
		fi
		if [ "$2" = 1 ] || [ $_i = 1 ]; then
			_code=$("$sondeod" enrol-code --data "$_dir/hq" --region "$_region" --uses "$_uses" --expires 1h \
				2>"$tmp/code.err" | head -n 1) || die "sondeod enrol-code failed" "$tmp/code.err"
		fi
		cp -Rp "$data/laptops/laptop-$_i" "$_dir/laptop-$_i"
		SONDEO_HOME=$_dir/laptop-$_i "$sondeo" enrol "$_url" "$_code" >"$tmp/dev.out" 2>&1 ||
			die "sondeo enrol failed on laptop-$_i" "$tmp/dev.out"
		_i=$((_i + 1))
	done
	# The enrolments' requests (POST /v1/enrol, GET /v1/forms) are not part of the sync: wait for their log
	# lines (written just after each answer), and count the syncs' requests from there.
	_skip=$((2 * DEVICES))
	_i=0
	while :; do
		wire "$tmp/$1-hq.log" 0 >"$tmp/enrol.wire"
		if [ "$(field "$tmp/enrol.wire" "all all" 1)" -ge $_skip ] || [ $_i -ge 100 ]; then
			break
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	[ "$(field "$tmp/enrol.wire" "all all" 1)" = $_skip ] ||
		die "headquarters logged $(field "$tmp/enrol.wire" "all all" 1) requests for $DEVICES enrolments;" \
			"expected $_skip" "$tmp/$1-hq.log"
	d_t=0 d_kb=0 d_sent=0 d_received=0 d_runs=""
	_i=1
	while [ $_i -le "$DEVICES" ]; do
		timed /dev/null "$tmp/sync.out" "$tmp/sync.err" env SONDEO_HOME="$_dir/laptop-$_i" "$sondeo" sync
		d_t=$(calc "print $d_t + $t")
		d_runs="$d_runs $(calc "printf \"%.2f\", $t")"
		[ "$kb" -le "$d_kb" ] || d_kb=$kb
		_s=$(sed -n 's/.*: \([0-9][0-9,]*\) changes\{0,1\} sent.*/\1/p' "$tmp/sync.out" | tr -d ,)
		_r=$(sed -n 's/.* sent, \([0-9][0-9,]*\) received.*/\1/p' "$tmp/sync.out" | tr -d ,)
		if [ -z "$_s" ] || [ -z "$_r" ]; then
			die "cannot read what sondeo sync did on laptop-$_i" "$tmp/sync.out"
		fi
		d_sent=$((d_sent + _s)) d_received=$((d_received + _r))
		_i=$((_i + 1))
	done
	[ "$d_sent" = "$OPS" ] || die "the laptops sent $d_sent ops to headquarters; they made $OPS"
	_got=$(query "$_dir/hq/server.db" "SELECT count(*) FROM ops")
	[ "$_got" = "$OPS" ] || die "headquarters holds $_got ops after the direct syncs of $OPS"
	d_hq_kb=$(hwm "$direct_pid")
	stop_pid "$direct_pid"
	direct_pid=""
	wire "$tmp/$1-hq.log" "$_skip" >"$tmp/$1.wire"
	[ "$(ops_sum "$_dir/hq/server.db")" = "$hq_sum" ] ||
		die "the ops headquarters holds after the direct syncs differ from those the relay brought"
	rm -rf "$_dir"
}

direct_run direct 0
dr_t=$d_t dr_runs=$d_runs dr_kb=$d_kb dr_hq_kb=$d_hq_kb dr_sent=$d_sent dr_received=$d_received
direct_run uploads 1
up_t=$d_t up_runs=$d_runs up_kb=$d_kb up_hq_kb=$d_hq_kb up_received=$d_received

# --- the figures --------------------------------------------------------------------------------------------

cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
load=$(cut -d ' ' -f 1-3 /proc/loadavg 2>/dev/null || echo "?")
fs=$(stat -f -c %T "$tmp" 2>/dev/null || echo "?")
echo
echo "Sondeo relay benchmark: $(with_commas "$OPS") ops from $DEVICES laptops of region $REGION, held by the regional" \
	"server while headquarters was down, then relayed; beside the same laptops syncing directly"
echo "machine: $(nproc 2>/dev/null || echo '?') CPUs, $cpu; $(uname -sr); load average $load"
echo "tools:   $("$sondeod" --version) ($sondeod), $("$sondeo" --version), sqlite3 $(sqlite3 --version | cut -d ' ' -f 1);" \
	"scratch on $fs"
echo "data:    $data; $setup_note"
echo "setup:   $(get setup_s) s in all: $(with_commas "$(get records)") records and $(get edits) edits made in $(get fill_s) s;" \
	"$DEVICES x sondeo sync to the regional server $(get sync_s) s;"
echo "         its queue: $(get queued) change sets ($(mb "$(get queued_bytes)") MB) and $(get vouches) vouches"
echo

rw=$tmp/relay.wire dw=$tmp/direct.wire uw=$tmp/uploads.wire
# row LABEL RELAY DIRECT UPLOADS [RATIO-TO-DIRECT RATIO-TO-UPLOADS] : one line of the table; the figures already
# formatted, the ratios numbers or empty.
row() {
	calc "a = \"${5:-}\"; b = \"${6:-}\";
		printf \"%-44s %16s %16s %16s %13s %13s\\n\", \"$1\", \"$2\", \"$3\", \"$4\",
			(a == \"\" ? \"\" : sprintf(\"%.2fx\", a)), (b == \"\" ? \"\" : sprintf(\"%.2fx\", b))" | sed 's/ *$//'
}
# ratio A B : A / B, or nothing when B is 0.
ratio() {
	calc "a = $1; b = $2; if (b > 0) print a / b"
}
secs() {
	calc "printf \"%.2f s\", $1"
}
rate() {
	with_commas "$(calc "printf \"%.0f\", $OPS / $1")"
}
mbs() {
	echo "$(mb "$1") MB"
}
rss_mb() {
	calc "printf \"%.0f MB\", $1 / 1024"
}
# sum WIRE-FILE COLUMN [KIND] : a column of wire's output (1 requests, 2 bytes in, 3 bytes out, 4 ms) for one
# kind of request, or for all.
sum() {
	field "$1" "${3:-all all}" "$2"
}
# both WIRE-FILE [KIND] : bytes both ways.
both() {
	echo $(($(sum "$1" 2 "${2:-all all}") + $(sum "$1" 3 "${2:-all all}")))
}
# line LABEL FORMAT COLUMN [KIND] : a row of one log figure, formatted by FORMAT (mbs, or secs of ms / 1000).
line() {
	_a=$(sum "$rw" "$3" "${4:-}") _b=$(sum "$dw" "$3" "${4:-}") _c=$(sum "$uw" "$3" "${4:-}")
	row "$1" "$($2 "$_a")" "$($2 "$_b")" "$($2 "$_c")" "$(ratio "$_a" "$_b")" "$(ratio "$_a" "$_c")"
}
ms_secs() {
	secs "$(calc "print $1 / 1000")"
}
plain() {
	echo "$1"
}
cs="POST /v1/changesets"

printf '%-44s %16s %16s %16s %13s %13s\n' "" relay direct "direct, uploads" relay/direct relay/uploads
row "wall time until headquarters holds them all" "$(secs "$t_relay")" "$(secs "$dr_t")" "$(secs "$up_t")" \
	"$(ratio "$t_relay" "$dr_t")" "$(ratio "$t_relay" "$up_t")"
row "ops a second" "$(rate "$t_relay")" "$(rate "$dr_t")" "$(rate "$up_t")" \
	"$(ratio "$dr_t" "$t_relay")" "$(ratio "$up_t" "$t_relay")"
line "headquarters' time on the change sets (log)" ms_secs 4 "$cs"
line "requests to headquarters" plain 1
line "bytes up (request bodies)" mbs 2
line "bytes down (answer bodies)" mbs 3
r=$(both "$rw") d=$(both "$dw") u=$(both "$uw")
row "bytes on the wire, both ways" "$(mbs "$r")" "$(mbs "$d")" "$(mbs "$u")" "$(ratio "$r" "$d")" "$(ratio "$r" "$u")"
row "bytes on the wire an op" "$(calc "printf \"%.1f\", $r / $OPS")" "$(calc "printf \"%.1f\", $d / $OPS")" \
	"$(calc "printf \"%.1f\", $u / $OPS")" "$(ratio "$r" "$d")" "$(ratio "$r" "$u")"
r=$(both "$rw" "$cs") d=$(both "$dw" "$cs") u=$(both "$uw" "$cs")
row "  of which POST /v1/changesets" "$(mbs "$r")" "$(mbs "$d")" "$(mbs "$u")" "$(ratio "$r" "$d")" "$(ratio "$r" "$u")"
row "  of which GET /v1/pull (laptops' pull down)" "-" "$(mbs "$(both "$dw" "GET /v1/pull")")" \
	"$(mbs "$(both "$uw" "GET /v1/pull")")"
row "peak RSS, headquarters' sondeod" "$(rss_mb "$rl_hq_kb")" "$(rss_mb "$dr_hq_kb")" "$(rss_mb "$up_hq_kb")" \
	"$(ratio "$rl_hq_kb" "$dr_hq_kb")" "$(ratio "$rl_hq_kb" "$up_hq_kb")"
row "peak RSS, regional sondeod / largest sync" "$(rss_mb "$rl_reg_kb")" "$(rss_mb "$dr_kb")" "$(rss_mb "$up_kb")"
echo
echo "relay:   headquarters started first, then the regional server; first op at headquarters after" \
	"$(calc "printf \"%.2f\", ${t_first:-0}") s, all there and the queue empty after $(calc "printf \"%.2f\", $t_relay") s" \
	"(polled every $POLL s)"
echo "         requests: $(kinds_text "$rw")"
if [ "$relay_cs_in" = "$(get queued_bytes)" ]; then
	echo "         byte for byte: $(with_commas "$relay_cs_in") bytes of change sets up, as many as the queue held;" \
		"headquarters holds the same ops as the regional server and as after each direct sync"
else
	echo "         NOTE: $(with_commas "$relay_cs_in") bytes of change sets went up for the $(with_commas "$(get queued_bytes)")" \
		"the queue held (some sent more than once); headquarters holds the same ops as the regional server"
fi
if [ "$refused_max" -gt 0 ] || [ -n "$relay_notes" ]; then
	echo "         NOTE: headquarters refused some of the relay's requests on the way (status showed up to $refused_max refused):"
	printf '%s\n' "$relay_notes" | sed 's/^/           /'
fi
echo "direct:  $DEVICES x sondeo sync to a fresh headquarters, one after the other, all in region $REGION:" \
	"$(echo "$dr_runs" | sed 's/^ //; s/ /, /g') s;"
echo "         $(with_commas "$dr_sent") changes sent, $(with_commas "$dr_received") received (each laptop also pulls down" \
	"the ops of those before it, which the relay's laptops got from their regional server during the week)"
echo "         requests: $(kinds_text "$dw")"
echo "uploads: the same, each laptop in a region of its own, so that its sync is its upload (like for like with the" \
	"relay): $(echo "$up_runs" | sed 's/^ //; s/ /, /g') s; $(with_commas "$up_received") received"
echo "         requests: $(kinds_text "$uw")"
