#!/bin/sh
# clocks.sh - wrong clocks against a real sondeod (faked with faketime): a laptop a year ahead loses nothing,
# is dated at headquarters no later than its changes arrived and does not carry the other laptops' dates with
# it; a laptop an hour behind edits what others wrote and syncs; a stamp near 2^63 is refused, one just under
# the wire bound is accepted and moves nobody's dates; sondeod devices shows the clocks that are far off.
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
CSPUSH=$(dirname "$SONDEO")/tests/cspush
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"

if ! command -v faketime >/dev/null 2>&1; then
	t "the packages the clock tests need are installed"
	run sh "$TOP/scripts/deps.sh" faketime
	check_rc 0
	[ "$RC" = 0 ] || done_testing
fi

# dev_at OFFSET NAME ARGS... : the same with the clock moved by OFFSET (faketime's "+365d", "-1h"). The
# sanitizer runtime must not insist on coming first, since libfaketime is preloaded before it; and its allocator
# must not read the clock: libfaketime's first clock call looks up the real one, which allocates, and the
# allocator that asked waits on itself for ever.
dev_at() {
	off=$1
	name=$2
	shift 2
	SONDEO_HOME=$TMPDIR/dev-$name \
		ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:allocator_release_to_os_interval_ms=-1 \
		FAKETIME_DONT_FAKE_MONOTONIC=1 run faketime -f "$off" "$SONDEO" "$@"
}

# now_ms: the true time in milliseconds.
now_ms() {
	echo $(($(date +%s) * 1000 + 1000))
}

# today_is RECORD_JSON WHAT: checks that the record's interview_date (today() when the record was made) is the true
# local date, read before and after (the day may turn between the two).
today_is() {
	_got=$(printf '%s\n' "$1" | sed -n 's/.*"interview_date": "\([0-9-]*\)".*/\1/p')
	[ "$_got" = "$day_before" ] || [ "$_got" = "$(date +%F)" ] ||
		fail "$2: interview_date is '$_got', expected today ($(date +%F))"
}

# created_ms STORE RECORD: the milliseconds of the record's created stamp in a device's store.
created_ms() {
	sqlite3 "$1" "SELECT created >> 16 FROM records WHERE id = '$2'"
}

# hq_created_ms RECORD: the same at headquarters.
hq_created_ms() {
	q "$hq" "SELECT created >> 16 FROM records WHERE id = '$1'"
}

# new_record OFFSET NAME PARTNER: makes a record on device NAME with its clock moved by OFFSET ("" for none);
# sets REC to its id.
new_record() {
	if [ -n "$1" ]; then
		dev_at "$1" "$2" new --set partner_name="$3" --set stakeholder_type=local_government --set country=KEN \
			--set level=local --set thematic_areas=vulnerable_migrants
	else
		dev "$2" new --set partner_name="$3" --set stakeholder_type=local_government --set country=KEN \
			--set level=local --set thematic_areas=vulnerable_migrants
	fi
	check_rc 0
	REC=$OUT
}

hq_init "$hq" >/dev/null
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
code=$("$SONDEOD" enrol-code --data "$hq" --region east --uses 5 | head -n 1)
for d in ahead peer behind late pusher; do
	SONDEO_HOME=$TMPDIR/dev-$d "$SONDEO" init --name "$d" >/dev/null
	SONDEO_HOME=$TMPDIR/dev-$d "$SONDEO" enrol "$URL" "$code" >/dev/null
done
day=86400000

t "a laptop a year ahead syncs: nothing it confirmed is lost, and headquarters dates it no later than received"
new_record +365d ahead "Ahead of Time"
far=$REC
[ "$(created_ms "$TMPDIR/dev-ahead/store.db" "$far")" -gt $(($(now_ms) + 300 * day)) ] ||
	fail "faketime did not move the laptop's clock"
dev_at +365d ahead sync
check_rc 0
check_out_has "sent"
dev_at +365d ahead status
check_out_has "not synced:  0 changes"
check_out_has "clock:       365 d 0 h ahead of the server's (corrected"
check_eq "$(q "$hq" "SELECT value FROM fields f JOIN records r ON r.rid = f.rid
	WHERE r.id = '$far' AND f.field = 'partner_name'")" '"Ahead of Time"' "the record at headquarters"
at=$(hq_created_ms "$far")
[ "$at" -le "$(now_ms)" ] || fail "headquarters dates the record at $at, after now"
[ "$(q "$hq" "SELECT updated >> 16 FROM records WHERE id = '$far'")" -le "$(now_ms)" ] ||
	fail "headquarters dates the record's update in the future"

t "the laptop a year ahead stamps its next records with the server's time, and its forms' today() is today"
day_before=$(date +%F)
new_record +365d ahead "Corrected Clock"
dev_at +365d ahead show "$REC" --json
today_is "$OUT" "the laptop a year ahead"
[ "$(created_ms "$TMPDIR/dev-ahead/store.db" "$REC")" -le $(($(now_ms) + 600000)) ] ||
	fail "the laptop still dates its records a year ahead: $(created_ms "$TMPDIR/dev-ahead/store.db" "$REC")"
dev_at +365d ahead sync
check_rc 0

t "another laptop of the region pulls the records from a year ahead, and dates its own records today"
dev peer sync
check_rc 0
dev peer list
check_out_has "Ahead of Time"
new_record "" peer "Dated Today"
mine=$REC
at=$(created_ms "$TMPDIR/dev-peer/store.db" "$mine")
[ "$at" -le $(($(now_ms) + 300000)) ] || fail "the laptop dates its new record at $at, in the future"
dev peer sync
check_rc 0
check_out_has "sent"

t "a laptop an hour behind edits what another wrote: its edit replaces it (no conflict), and it syncs"
dev_at -1h behind sync
check_rc 0
dev_at -1h behind edit "$mine" --set partner_name="Edited Behind"
check_rc 0
dev_at -1h behind sync
check_rc 0
check_out_has "1 change sent"
dev_at -1h behind status
check_out_has "clock:       1 h 0 min behind the server's (corrected"
dev peer sync
check_rc 0
dev peer show "$mine" --json
check_out_has '"partner_name": "Edited Behind"'
dev peer list --conflicts
check_out_lacks "$(printf %.8s "$mine")"
check_eq "$(q "$hq" "SELECT conflicts FROM records WHERE id = '$mine'")" 0 "conflicts at headquarters"
check_eq "$(q "$hq" "SELECT value FROM fields f JOIN records r ON r.rid = f.rid
	WHERE r.id = '$mine' AND f.field = 'partner_name'")" '"Edited Behind"' "the value at headquarters"

t "a laptop two days behind, once corrected, edits a record dated today and dates its own records today"
dev_at -2d late sync
check_rc 0
day_before=$(date +%F)
dev_at -2d late edit "$mine" --set partner_name="Edited Late"
check_rc 0
new_record -2d late "Late Laptop"
dev_at -2d late show "$REC" --json
today_is "$OUT" "the laptop two days behind"
dev_at -2d late sync
check_rc 0
check_out_has "7 changes sent"

t "the 2^63 poison: a change set stamped just below 2^63 is refused, in an op or in the header"
poison=9223372036854775807
rec=0f8fad5b-d9cb-469f-a165-70867728950e
printf '[{"seq":1,"hlc":%s,"record":"%s","form":"partnership","version":"1","field":"partner_name","value":"Poison","base":[]}]' \
	"$poison" "$rec" >"$TMPDIR/poison.json"
run "$CSPUSH" "$URL" "$TMPDIR/dev-pusher/device.key" 1 "$rec" 'x=1' --body "$TMPDIR/poison.json" --hlc 4611686018427387903
check_rc 0
check_status 400
check_out_has "bad_op"
check_out_has "over 2^62 - 1"
run "$CSPUSH" "$URL" "$TMPDIR/dev-pusher/device.key" 1 "$rec" 'x=1' --body "$TMPDIR/poison.json" --hlc "$poison"
check_rc 0
check_status 400
check_out_has "bad_header"
check_eq "$(q "$hq" "SELECT count(*) FROM records WHERE id = '$rec'")" 0 "poisoned records held"

t "a stamp just under the bound (year 4199) is accepted, and the laptop that pulls it keeps its dates and syncs"
run "$CSPUSH" "$URL" "$TMPDIR/dev-pusher/device.key" 1 "$rec" 'partner_name="Far Future"' \
	'stakeholder_type="local_government"' 'country="KEN"' 'level=["local"]' 'thematic_areas=["vulnerable_migrants"]' \
	'interview_date="2026-01-05"' --hlc 4611686018427387903
check_rc 0
check_status 200
[ "$(hq_created_ms "$rec")" -le "$(now_ms)" ] || fail "headquarters dates it in the far future"
dev peer sync
check_rc 0
check_out_has "received"
dev peer list
check_out_has "Far Future"
new_record "" peer "After the Future"
at=$(created_ms "$TMPDIR/dev-peer/store.db" "$REC")
[ "$at" -le $(($(now_ms) + 300000)) ] || fail "the laptop dates its new record at $at, in the future"
dev peer edit "$rec" --set partner_name="Near Present"
check_rc 0
dev peer sync
check_rc 0
check_out_has "sent"
dev peer show "$rec" --json
check_out_has '"partner_name": "Near Present"'
check_eq "$(q "$hq" "SELECT value FROM fields f JOIN records r ON r.rid = f.rid
	WHERE r.id = '$rec' AND f.field = 'partner_name'")" '"Near Present"' "the value at headquarters"

t "sondeod devices shows the laptops whose clocks are far off, and by how much"
run "$SONDEOD" devices --data "$hq"
check_rc 0
check_out_has "CLOCK"
printf '%s\n' "$OUT" | grep -E "^[0-9a-f]{32} +ahead " | grep -q -- "+365 d 0 h" || fail "the laptop a year ahead: $OUT"
printf '%s\n' "$OUT" | grep -E "^[0-9a-f]{32} +behind " | grep -q -- "-1 h 0 min" || fail "the laptop behind: $OUT"
printf '%s\n' "$OUT" | grep -E "^[0-9a-f]{32} +peer " | grep -Eq -- " -$" || fail "the laptop on time: $OUT"
run "$SONDEOD" devices --data "$hq" --json
check_rc 0
check_eq "$(printf '%s' "$OUT" | python3 -c 'import json, sys
d = {x["name"]: x for x in json.load(sys.stdin)}
print(round(d["ahead"]["clock_off_ms"] / 86400000), round(d["behind"]["clock_off_ms"] / 60000), d["peer"]["clock_off_ms"])')" \
	"365 -60 None" "the clock offsets in --json"

done_testing
