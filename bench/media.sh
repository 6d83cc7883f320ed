#!/bin/sh
# media.sh SONDEO SONDEOD - the attachments benchmark (`make bench`, after bench/sync.sh): 100 photos of 2 MB
# synced by `sondeo sync` to a fresh sondeod over loopback and through a link limited to 1 Mbit/s, with the time
# and the bytes each way, and the bytes sent again when the sync's connection is cut at 50%. Each measure runs
# BENCH_RUNS times (default 3), the four interleaved run by run, and the median is printed with the range.
#
# These machines are shared and noisy: nothing is enforced. The bench fails (exit 1) only when something is
# actually broken: a command fails where it must not, a count is wrong, or the server does not hold every photo
# whole and byte for byte after a sync (each file under its data's media/ is hashed with `b2sum -l 256` and must be
# the BLAKE2b-256 its name and the photo's own bytes give; /metrics must count them whole, none partial).
#
# Everything goes through the real commands. The photos are BENCH_MEDIA_PHOTOS (default 100) JPEGs of about
# 2,000,000 bytes, each different, made once per bench run by bench/noisejpeg.c (libjpeg, random pixels: noise that
# no compression on the way could shrink). A form with an image question without max-pixels (so that a photo is
# kept as it is given) is published on each fresh sondeod; each laptop is made afresh (`sondeo init`, `sondeo
# enrol` through the proxy, one record a photo from a CSV by `sondeo new visit --from`). What is timed is `sondeo
# sync` alone: the records' change sets, then the photos in chunks of 1 MiB. The bytes are counted by
# bench/linkproxy.c between the laptop and its server (application bytes, HTTP headers included).
#   loopback  the 100 photos through linkproxy, not shaped: wall time, bytes up and down, and the bytes up over the
#             photos' own (the overhead).
#             baseline: the same files sent through the same proxy by bench/rawcopy.c, each over its own
#             connection, to a receiver that writes it to a file and fsyncs it before it answers: the cost of the
#             bytes alone reaching another disk durably, without HTTP, signatures, hashes or chunks.
#   1 Mbit/s  BENCH_MEDIA_SLOW photos (default 3: about a minute a run) of the 100, through linkproxy --rate
#             1000000: at that rate the 100 would take 27 minutes. The wall time, and the same scaled to the 100.
#             baseline: the line-rate floor, the photos' bytes * 8 / 1,000,000 s; the figure is the ratio to it.
#   cut       the 100 photos through linkproxy, then tests/cutproxy.c, which cuts the sync's connection once after
#             half the photos' bytes have passed it (the laptop enrols through the same proxies, with a cutproxy
#             that cuts nothing, replaced on the same port before the sync); `sondeo sync` then goes on as it does
#             (it retries a cut request), and is run once more to the end. The bytes up of both syncs beside those
#             of the uncut loopback sync of the same run: the difference is what the cut made the laptop send again.
# Needs cc, libjpeg's headers (libjpeg-dev, which `make` installs with Sondeo's other build dependencies), curl
# and b2sum. Everything happens in a temporary directory, removed on exit; every server and proxy it started is
# stopped on the way out, Ctrl-C included. The whole takes about 4 minutes on a 2-core machine.
set -eu

PHOTOS=${BENCH_MEDIA_PHOTOS:-100}
SLOW=${BENCH_MEDIA_SLOW:-3}
RUNS=${BENCH_RUNS:-3}
# A photo's size, and the shaped link's rate in bits a second (linkproxy --rate), as the issue gives them.
PHOTO_BYTES=2000000
RATE=1000000
# The size of an attachment's chunk (MEDIA_CHUNK, common/media.h): what a cut may cost at most, headers aside.
CHUNK=1048576
SEED=2018
REGION=east

here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
root=$(cd "$here/.." && pwd)

bench_programs media.sh bench "$@"
need_count BENCH_MEDIA_PHOTOS "$PHOTOS"
need_count BENCH_MEDIA_SLOW "$SLOW"
need_count BENCH_RUNS "$RUNS"
[ "$PHOTOS" -le 999 ] || { echo "bench: BENCH_MEDIA_PHOTOS must be at most 999" >&2; exit 2; }
[ "$SLOW" -le "$PHOTOS" ] || SLOW=$PHOTOS
need_tools cc:gcc curl:curl b2sum:coreutils

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sondeo-media-bench.XXXXXX")
# What this bench starts (pid: a server being started; srv_pid: the server; lp_pid: linkproxy; cp_pid: cutproxy;
# rc_pid: the baseline's receiver): every one still running is stopped on the way out, however the bench ends.
# A cutproxy's forked connections end by themselves when either side closes.
pid="" srv_pid="" lp_pid="" cp_pid="" rc_pid=""
cleanup() {
	stop_pid "$pid"
	stop_pid "$lp_pid"
	stop_pid "$cp_pid"
	stop_pid "$rc_pid"
	stop_pid "$srv_pid"
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

rss_build
linkproxy_build
cc -O2 -o "$tmp/cutproxy" "$root/tests/cutproxy.c" 2>"$tmp/cc.err" ||
	die "cannot compile tests/cutproxy.c with cc" "$tmp/cc.err"
cc -O2 -o "$tmp/rawcopy" "$here/rawcopy.c" 2>"$tmp/cc.err" || die "cannot compile bench/rawcopy.c with cc" "$tmp/cc.err"
cc -O2 -o "$tmp/noisejpeg" "$here/noisejpeg.c" -ljpeg 2>"$tmp/cc.err" ||
	die "cannot compile bench/noisejpeg.c with cc -ljpeg (libjpeg-dev, which make installs, is missing?)" "$tmp/cc.err"

# --- servers, laptops and proxies ----------------------------------------------------------------------------

cat >"$tmp/visit.json" <<'JSON'
{"id": "visit", "version": "1", "questions": [
 {"name": "site", "type": "text", "label": "Site", "required": true},
 {"name": "photo", "type": "image", "label": "Photo"}]}
JSON

# fresh_server DIR : a new sondeod, the form published, serving on loopback; sets srv_pid and srv_port.
fresh_server() {
	"$sondeod" init --data "$1/hq" >"$tmp/init.out" 2>&1 || die "sondeod init failed" "$tmp/init.out"
	"$sondeod" forms --data "$1/hq" publish "$tmp/visit.json" >"$tmp/init.out" 2>&1 ||
		die "sondeod forms publish failed" "$tmp/init.out"
	start_server "$1/hq" "$1/serve.log" || die "sondeod serve did not start" "$1/serve.log"
	srv_pid=$pid pid=""
	srv_port=${url##*:}
}

stop_server() {
	stop_pid "$srv_pid"
	srv_pid=""
}

# new_laptop HOME DATA PORT CSV : `sondeo init`, enrolled at the server whose data is DATA through the proxy on
# PORT, and a record for each line of CSV, with its photo; untimed.
new_laptop() {
	SONDEO_HOME=$1 "$sondeo" init --name "bench-$(basename "$1")" >"$tmp/init.out" 2>&1 ||
		die "sondeo init failed" "$tmp/init.out"
	_code=$("$sondeod" enrol-code --data "$2" --region "$REGION" --uses 1 --expires 1h 2>"$tmp/code.err" | head -n 1)
	[ -n "$_code" ] || die "sondeod enrol-code failed" "$tmp/code.err"
	SONDEO_HOME=$1 "$sondeo" enrol "http://127.0.0.1:$3" "$_code" >"$tmp/enrol.out" 2>&1 ||
		die "sondeo enrol failed" "$tmp/enrol.out"
	SONDEO_HOME=$1 "$sondeo" new visit --from "$4" >"$tmp/ids" 2>"$tmp/new.err" ||
		die "sondeo new visit --from failed" "$tmp/new.err"
	_got=$(lines "$tmp/ids")
	[ "$_got" = "$(($(lines "$4") - 1))" ] || die "sondeo new --from made $_got records from $4" "$tmp/new.err"
}

# start_cutproxy LISTEN_PORT CUT : tests/cutproxy.c on LISTEN_PORT (0: a free one) to the server, cutting its first
# connection after CUT bytes (0: never); sets cp_pid and cp_port.
start_cutproxy() {
	: >"$tmp/cp.out"
	if [ "$2" = 0 ]; then
		"$tmp/cutproxy" "$1" "$srv_port" 0 0 >"$tmp/cp.out" 2>"$tmp/cp.err" &
	else
		"$tmp/cutproxy" "$1" "$srv_port" "$2" 1 >"$tmp/cp.out" 2>"$tmp/cp.err" &
	fi
	cp_pid=$!
	_i=0
	while [ $_i -lt 100 ] && ! grep -q "^ready " "$tmp/cp.out" && kill -0 "$cp_pid" 2>/dev/null; do
		sleep 0.05
		_i=$((_i + 1))
	done
	cp_port=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$tmp/cp.out")
	[ -n "$cp_port" ] || die "cutproxy did not start on port $1" "$tmp/cp.err"
}

# synced FILE COUNT : dies unless `sondeo sync`'s words in FILE say it sent COUNT records' changes and photos.
synced() {
	grep -q ": $(with_commas $(($2 * 2))) changes sent, 0 received, $2 attachments\{0,1\} sent" "$1" ||
		die "sondeo sync did not say it sent $(($2 * 2)) changes and $2 attachments" "$1"
}

# held DATA HASHES : dies unless the server whose data is DATA holds each file of HASHES (BLAKE2b-256 in hex, one a
# line) whole under media/, with those bytes, and its /metrics count them all whole with their bytes, none partial.
held() {
	_want=$(lines "$2")
	# The paths are hexadecimal names, safe to pass through xargs.
	(cd "$1/media" && sed 's/^\(..\)/\1\/\1/' "$2" | xargs b2sum -l 256) >"$tmp/held.sums" 2>"$tmp/held.err" || true
	_bad=$(LC_ALL=C awk -v want="$_want" '{ n = split($2, p, "/"); if ($1 == p[n]) ok++ }
		END { print want - ok }' "$tmp/held.sums")
	[ "$_bad" = 0 ] ||
		die "the server lacks $_bad of the $_want photos whole, or holds other bytes under their names" "$tmp/held.err"
	curl -fsS --max-time 30 "$url/metrics" >"$tmp/metrics" 2>"$tmp/metrics.err" ||
		die "GET /metrics failed" "$tmp/metrics.err"
	# "bytes=B partial=P whole=W ", from the metrics sondeod_attachment_bytes and sondeod_attachments{state}.
	_m=$(sed -n 's/^sondeod_attachments{state="\(whole\|partial\)"} \([0-9]*\)$/\1=\2/p
		s/^sondeod_attachment_bytes \([0-9]*\)$/bytes=\1/p' "$tmp/metrics" | LC_ALL=C sort | tr '\n' ' ')
	[ "$_m" = "bytes=$3 partial=0 whole=$_want " ] ||
		die "sondeod's /metrics say '$_m' for $_want photos of $3 bytes in all" "$tmp/metrics"
}

# --- the machine and the photos ------------------------------------------------------------------------------

echo "Sondeo attachments benchmark: $PHOTOS photos of 2 MB synced by sondeo sync to a fresh sondeod, over loopback," \
	"at 1 Mbit/s and cut at 50%; median and range of $RUNS run$([ "$RUNS" = 1 ] || echo s)"
cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
echo "machine: $(nproc 2>/dev/null || echo '?') CPUs, $cpu; $(uname -sr); load average $(load)"
echo "tools:   $("$sondeod" --version) ($sondeod), $("$sondeo" --version); scratch on" \
	"$(stat -f -c %T "$tmp" 2>/dev/null || echo "?")"

photos=$tmp/photos
mkdir -p "$photos"
t0=$(clock)
"$tmp/noisejpeg" "$photos" "$PHOTOS" "$PHOTO_BYTES" "$SEED" >"$tmp/dims" 2>"$tmp/gen.err" ||
	die "bench/noisejpeg.c could not make the photos" "$tmp/gen.err"
gen_s=$(secs_since "$t0")
# The CSVs name the photos beside them; the first SLOW photos are the slow link's.
{
	echo "site,photo"
	for f in "$photos"/photo-*.jpg; do
		echo "site $(basename "$f" .jpg),$(basename "$f")"
	done
} >"$photos/all.csv"
head -n $((SLOW + 1)) "$photos/all.csv" >"$photos/slow.csv"
(cd "$photos" && b2sum -l 256 photo-*.jpg) | cut -c 1-64 >"$tmp/all.hashes"
head -n "$SLOW" "$tmp/all.hashes" >"$tmp/slow.hashes"
[ "$(LC_ALL=C sort -u "$tmp/all.hashes" | wc -l | tr -d ' ')" = "$PHOTOS" ] || die "two photos came out the same"
all_bytes=$(cat "$photos"/photo-*.jpg | wc -c | tr -d ' ')
slow_bytes=$(cd "$photos" && sed '1d; s/.*,//' slow.csv | xargs cat | wc -c | tr -d ' ')
echo "data:    $PHOTOS JPEG photos of random pixels, $(sed 's/ /x/' "$tmp/dims") at quality 90," \
	"$(with_commas "$((all_bytes / PHOTOS))") bytes on average ($(with_commas "$all_bytes") in all), made by" \
	"bench/noisejpeg.c in $gen_s s; one record each, on a form whose image question has no max-pixels"
echo "timed:   sondeo sync alone: the records' $((PHOTOS * 2)) changes in change sets, then the photos in chunks of" \
	"1 MiB (the records are made before, untimed, by sondeo new visit --from)"
echo

# --- the runs --------------------------------------------------------------------------------------------------

loop_t="" loop_up="" loop_down="" base_t="" base_up="" slow_t="" slow_up="" slow_down=""
cut_up="" cut_resent="" cut_t="" cut_first="" cut_second="" loads_loop="" loads_slow="" loads_cut=""

# loop_run : the photos over loopback, through the counting proxy; sets up (this run's bytes up).
loop_run() {
	rm -rf "$tmp/run"
	mkdir -p "$tmp/run"
	fresh_server "$tmp/run"
	start_proxy "$srv_port"
	new_laptop "$tmp/run/laptop" "$tmp/run/hq" "$lp_port" "$photos/all.csv"
	loads_loop="$loads_loop $(load | cut -d ' ' -f 1)"
	snap
	_u=$snap_up _d=$snap_down
	timed /dev/null "$tmp/sync.out" "$tmp/sync.err" env SONDEO_HOME="$tmp/run/laptop" "$sondeo" sync
	snap
	synced "$tmp/sync.out" "$PHOTOS"
	held "$tmp/run/hq" "$tmp/all.hashes" "$all_bytes"
	up=$((snap_up - _u))
	loop_t="$loop_t $t" loop_up="$loop_up $up" loop_down="$loop_down $((snap_down - _d))"
	stop_pid "$lp_pid"
	lp_pid=""
	stop_server
	rm -rf "$tmp/run"
}

# base_run : the same files through the same proxy by rawcopy, into a directory on the same disk.
base_run() {
	rm -rf "$tmp/sink"
	mkdir -p "$tmp/sink"
	: >"$tmp/rc.out"
	"$tmp/rawcopy" recv "$tmp/sink" >"$tmp/rc.out" 2>"$tmp/rc.err" &
	rc_pid=$!
	_i=0
	while [ $_i -lt 100 ] && ! grep -q "^ready " "$tmp/rc.out" && kill -0 "$rc_pid" 2>/dev/null; do
		sleep 0.05
		_i=$((_i + 1))
	done
	_port=$(sed -n 's/^ready \([0-9]*\)$/\1/p' "$tmp/rc.out")
	[ -n "$_port" ] || die "bench/rawcopy.c's receiver did not start" "$tmp/rc.err"
	start_proxy "$_port"
	snap
	_u=$snap_up
	timed /dev/null /dev/null "$tmp/base.err" "$tmp/rawcopy" send "$lp_port" "$photos"/photo-*.jpg
	snap
	_got=$(cat "$tmp/sink"/* | wc -c | tr -d ' ')
	[ "$_got" = "$all_bytes" ] || die "bench/rawcopy.c's receiver kept $_got bytes of $all_bytes" "$tmp/rc.err"
	base_t="$base_t $t" base_up="$base_up $((snap_up - _u))"
	stop_pid "$lp_pid"
	lp_pid=""
	stop_pid "$rc_pid"
	rc_pid=""
	rm -rf "$tmp/sink"
}

# slow_run : the first SLOW photos through linkproxy at RATE bits a second.
slow_run() {
	rm -rf "$tmp/run"
	mkdir -p "$tmp/run"
	fresh_server "$tmp/run"
	start_proxy "$srv_port" --rate "$RATE"
	new_laptop "$tmp/run/laptop" "$tmp/run/hq" "$lp_port" "$photos/slow.csv"
	loads_slow="$loads_slow $(load | cut -d ' ' -f 1)"
	snap
	_u=$snap_up _d=$snap_down
	timed /dev/null "$tmp/sync.out" "$tmp/sync.err" env SONDEO_HOME="$tmp/run/laptop" "$sondeo" sync
	snap
	synced "$tmp/sync.out" "$SLOW"
	held "$tmp/run/hq" "$tmp/slow.hashes" "$slow_bytes"
	slow_t="$slow_t $t" slow_up="$slow_up $((snap_up - _u))" slow_down="$slow_down $((snap_down - _d))"
	stop_pid "$lp_pid"
	lp_pid=""
	stop_server
	rm -rf "$tmp/run"
}

# cut_run UP : the photos through linkproxy and a cutproxy that cuts the sync's connection once at half the
# photos' bytes; then a second sync. UP is the uncut sync's bytes up in this run.
cut_run() {
	_uncut=$1
	rm -rf "$tmp/run"
	mkdir -p "$tmp/run"
	fresh_server "$tmp/run"
	# The laptop enrols through a cutproxy that cuts nothing; the one that cuts takes its port afterwards, so that
	# its first connection is the sync's, however many the enrolment opened.
	start_cutproxy 0 0
	start_proxy "$cp_port"
	new_laptop "$tmp/run/laptop" "$tmp/run/hq" "$lp_port" "$photos/all.csv"
	stop_pid "$cp_pid"
	cp_pid=""
	start_cutproxy "$cp_port" $((all_bytes / 2))
	loads_cut="$loads_cut $(load | cut -d ' ' -f 1)"
	snap
	_u=$snap_up _c=$snap_conns
	# The cut sync may end either way (it retries a cut request a few times): its status is reported, not judged.
	# shellcheck disable=SC2046
	set -- $("$rss" -o "$tmp/cut1.out" -e "$tmp/cut1.err" env SONDEO_HOME="$tmp/run/laptop" "$sondeo" sync) ||
		die "cannot time the cut sync"
	[ $# -eq 3 ] || die "cannot time the cut sync"
	_t1=$1 _s1=$3
	timed /dev/null "$tmp/cut2.out" "$tmp/cut2.err" env SONDEO_HOME="$tmp/run/laptop" "$sondeo" sync
	snap
	[ $((snap_conns - _c)) -ge 2 ] ||
		die "the sync's connection was not cut (one connection through the proxy)" "$tmp/cut1.err"
	held "$tmp/run/hq" "$tmp/all.hashes" "$all_bytes"
	_sent=$(sed -n 's/.* \([0-9][0-9]*\) attachments\{0,1\} sent.*/\1/p' "$tmp/cut2.out")
	cut_up="$cut_up $((snap_up - _u))" cut_resent="$cut_resent $((snap_up - _u - _uncut))"
	cut_t="$cut_t $(calc "print $_t1 + $t")" cut_first="$cut_first $_s1" cut_second="$cut_second ${_sent:-0}"
	stop_pid "$lp_pid"
	lp_pid=""
	stop_pid "$cp_pid"
	cp_pid=""
	stop_server
	rm -rf "$tmp/run"
}

run=1
while [ $run -le "$RUNS" ]; do
	t0=$(clock)
	loop_run
	base_run
	slow_run
	cut_run "$up"
	echo "run $run of $RUNS: $(secs_since "$t0") s"
	run=$((run + 1))
done
echo

# --- the figures ---------------------------------------------------------------------------------------------

# row LABEL TEXT : one line of figures, the labels aligned.
row() {
	printf '  %-44s %s\n' "$1" "$2"
}
# over LIST BYTES : each number of LIST over BYTES, less one, in percent: the bytes beyond BYTES.
over() {
	for _x in $1; do calc "print ($_x / $2 - 1) * 100"; done | tr '\n' ' '
}
# scaled LIST FACTOR : each number of LIST times FACTOR.
scaled() {
	for _x in $1; do calc "print $_x * $2"; done | tr '\n' ' '
}

mb=$(calc "printf \"%.1f\", $all_bytes / 1000000")
echo "loopback: $PHOTOS photos, $mb MB, through bench/linkproxy.c not shaped ($(loads "$loads_loop"))"
row "sondeo sync" "$(figure "$loop_t" "%.2f") s; $(figure "$(per "$loop_t" "$all_bytes / 1e6")" "%.1f") MB/s"
row "baseline: the files by bench/rawcopy.c" \
	"$(figure "$base_t" "%.2f") s; $(figure "$(per "$base_t" "$all_bytes / 1e6")" "%.1f") MB/s"
row "ratio, sondeo / rawcopy" "$(figure "$(ratios "$loop_t" "$base_t")" "%.2f")"
row "bytes up (sondeo; rawcopy)" "$(figure "$loop_up" int); $(figure "$base_up" int)"
row "bytes up beyond the photos' (overhead)" "$(figure "$(over "$loop_up" "$all_bytes")" "%.3f")%"
row "bytes down" "$(figure "$loop_down" int)"
echo "          rawcopy: each file over its own connection through the same proxy, written and fsync'ed by the"
echo "          receiver before it answers; no HTTP, signature, hash or chunks"
echo

floor=$(calc "print $slow_bytes * 8 / $RATE")
all_floor=$(calc "printf \"%.1f\", $all_bytes * 8 / $RATE / 60")
echo "1 Mbit/s: $SLOW of the photos (BENCH_MEDIA_SLOW), $(with_commas "$slow_bytes") bytes, through linkproxy" \
	"--rate $RATE ($(loads "$loads_slow"))"
row "sondeo sync, $SLOW photo$([ "$SLOW" = 1 ] || echo s)" "$(figure "$slow_t" "%.1f") s"
row "baseline: line-rate floor, the photos' bytes" \
	"$(calc "printf \"%.1f\", $floor") s ($(with_commas "$slow_bytes") bytes * 8 / $(with_commas "$RATE") bit/s)"
row "ratio to the floor" "$(figure "$(scaled "$slow_t" "1 / $floor")" "%.3f")"
row "scaled to $PHOTOS photos" \
	"$(figure "$(scaled "$slow_t" "$PHOTOS / $SLOW / 60")" "%.1f") min; floor for their bytes $all_floor min"
row "bytes up; down" "$(figure "$slow_up" int); $(figure "$slow_down" int)"
echo

echo "cut at 50%: $PHOTOS photos through linkproxy and tests/cutproxy.c, the sync's connection cut once after" \
	"$(with_commas $((all_bytes / 2))) bytes; then sondeo sync again ($(loads "$loads_cut"))"
row "bytes up, both syncs" "$(figure "$cut_up" int)"
row "the uncut loopback sync's, same run" "$(figure "$loop_up" int)"
# shellcheck disable=SC2086
row "bytes sent again" "$(figure "$cut_resent" int)   target <= one chunk, $(with_commas $CHUNK) (+ 4 KiB of headers)$(
	verdict "$(median $cut_resent)" "<=" $((CHUNK + 4096)))"
row "wall time, both syncs" "$(figure "$cut_t" "%.2f") s (the loopback sync: $(figure "$loop_t" "%.2f") s)"
row "the cut sync's exit status, each run" "$(echo "$cut_first" | sed 's/^ *//; s/ /, /g') (0: it finished by retrying)"
row "photos the second sync sent, each run" "$(echo "$cut_second" | sed 's/^ *//; s/ /, /g')"
echo
echo "checked: after each sync the server held every photo whole, its file's BLAKE2b-256 (b2sum -l 256) the photo's," \
	"and /metrics counted them whole with their bytes, none partial"
