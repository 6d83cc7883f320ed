#!/bin/sh
# regions.sh - every tier converges and no device speaks for another (PROTOCOL.md, "Authority"; docs/relay-
# design.md). Headquarters, a regional office for region west (sondeod serve --upstream) and laptops of three
# regions: east and south syncing with headquarters, west with its office. Headquarters' reviews reach every
# region whatever order they are made in, a change set the office refuses from headquarters holds its pull
# instead of being passed over, and the servers refuse (403, or 400 for what can never be taken) a device's
# review, a device's or an office's change to another region's record, and an op naming another form than its
# record's; every refusal leaves the stores as they were. Run on both engines (tests/cli/server.inc):
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
CSPUSH=$(dirname "$SONDEO")/tests/cspush
hq=$TMPDIR/hq
west=$TMPDIR/west
log=$TMPDIR/hq.log
wlog=$TMPDIR/west.log
. "$TOP/tests/cli/server.inc"
py_start   # one python3 for the whole script: lib.sh's py

# state DIR REGION : the merged data a server holds of a region's records: values and heads.
state() {
	q "$1" "SELECT r.id, f.field, f.value FROM fields f JOIN records r ON r.rid = f.rid
		JOIN record_regions rr ON rr.rid = r.rid WHERE rr.region = '$2' ORDER BY 1, 2"
	q "$1" "SELECT r.id, h.field, d.id, o.seq FROM heads h JOIN records r ON r.rid = h.rid JOIN ops o ON o.id = h.op
		JOIN devices d ON d.did = o.did JOIN record_regions rr ON rr.rid = r.rid WHERE rr.region = '$2'
		ORDER BY 1, 2, 3, 4"
}

# dump DIR : what a refusal must leave as it was.
dump() {
	q "$1" "SELECT count(*) FROM ops"
	q "$1" "SELECT count(*) FROM changesets"
	q "$1" "SELECT id, next_seq FROM enrolled_devices ORDER BY id"
	q "$1" "SELECT * FROM fields ORDER BY rid, field"
}

# --- Headquarters, the west office enrolled there, and a laptop in each region ----------------------------
hq_init "$hq" >/dev/null
serve_any "$hq" "$log" || { t "headquarters starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
HQ_URL=$SURL
hq_init "$west" >/dev/null
code=$("$SONDEOD" enrol-code --data "$hq" --region west --relay | head -n 1)
"$SONDEOD" enrol --data "$west" --name office-west "$HQ_URL" "$code" >/dev/null
serve_low "$west" "$wlog" --upstream "$HQ_URL" --pull-every 1 --retry-max 1 ||
	{ t "the west office starts"; fail "sondeod did not start: $(cat "$wlog")"; done_testing; }
W_URL=$SURL W_PID=$SPID W_PORT=$SPORT
for d in e1:$HQ_URL:east w1:$W_URL: s1:$HQ_URL:south; do
	name=${d%%:*} rest=${d#*:} region=${d##*:}
	url=${rest%:*}
	if [ -n "$region" ]; then
		c=$("$SONDEOD" enrol-code --data "$hq" --region "$region" | head -n 1)
	else
		c=$("$SONDEOD" enrol-code --data "$west" | head -n 1)
	fi
	SONDEO_HOME=$TMPDIR/dev-$name "$SONDEO" init --name "$name" >/dev/null
	SONDEO_HOME=$TMPDIR/dev-$name "$SONDEO" enrol "$url" "$c" >/dev/null || fail "laptop $name did not enrol"
done
for name in e1 w1 s1; do
	SONDEO_HOME=$TMPDIR/dev-$name "$SONDEO" new --set partner_name="Partner of $name" --set stakeholder_type=media \
		--set country=KEN --set level=local --set thematic_areas=human_rights >/dev/null
	SONDEO_HOME=$TMPDIR/dev-$name "$SONDEO" new --set partner_name="Second of $name" --set stakeholder_type=academia \
		--set country=UGA --set level=national --set thematic_areas=human_rights >/dev/null
	dev "$name" sync
	check_rc 0
	eval "recs_$name=\"\$(sqlite3 \"\$TMPDIR/dev-$name/store.db\" \"SELECT id FROM records ORDER BY id\")\""
done
e_rec=$(printf '%s\n' "$recs_e1" | head -n 1)
w_rec=$(printf '%s\n' "$recs_w1" | head -n 1)
w_rec2=$(printf '%s\n' "$recs_w1" | sed -n 2p)
s_rec=$(printf '%s\n' "$recs_s1" | head -n 1)
wait_eq "west's ops at headquarters" 12 20 q "$hq" "SELECT count(*) FROM ops o JOIN record_regions rr
	ON rr.rid = o.rid WHERE rr.region = 'west'"
login "$HQ_URL" "$hq" rita "$TMPDIR/jar"
HQ_CSRF=$CSRF
login "$W_URL" "$west" wanda "$TMPDIR/wjar"
W_CSRF=$CSRF

t "headquarters' reviews reach a relayed region after it reviewed another region first"
check_eq "$(review "$HQ_URL" "$TMPDIR/jar" "$HQ_CSRF" "$e_rec" approved)" 200 "the review of east's record"
check_eq "$(review "$HQ_URL" "$TMPDIR/jar" "$HQ_CSRF" "$w_rec" approved)" 200 "the review of west's record"
wait_eq "the review at the west office" approved 20 q "$west" "SELECT rr.review FROM record_regions rr
	JOIN records r ON r.rid = rr.rid WHERE r.id = '$w_rec'"
dev w1 sync
check_rc 0
dev w1 list
check_out_has "approved"
dev e1 sync
dev e1 list
check_out_has "approved"
grep -q "refused here" "$wlog" && fail "the office refused a change set from headquarters: $(grep 'refused here' "$wlog")"

t "a review made at the office after headquarters' leaves both tiers with the same data"
check_eq "$(review "$W_URL" "$TMPDIR/wjar" "$W_CSRF" "$w_rec" has_issues "Which ministry?")" 200 "the office's review"
check_eq "$(review "$HQ_URL" "$TMPDIR/jar" "$HQ_CSRF" "$w_rec2" rejected "Duplicate")" 200 "headquarters' second review"
wait_eq "the office's review at headquarters" has_issues 20 q "$hq" "SELECT rr.review FROM record_regions rr
	JOIN records r ON r.rid = rr.rid WHERE r.id = '$w_rec'"
wait_eq "headquarters' second review at the office" rejected 20 q "$west" "SELECT rr.review FROM record_regions rr
	JOIN records r ON r.rid = rr.rid WHERE r.id = '$w_rec2'"
check_eq "$(state "$west" west)" "$(state "$hq" west)" "west's data at the office and at headquarters"
dev w1 sync
check_rc 0
check_eq "$(sqlite3 "$TMPDIR/dev-w1/store.db" "SELECT count(*) FROM ops")" "$(q "$hq" "SELECT count(*) FROM ops o
	JOIN record_regions rr ON rr.rid = o.rid WHERE rr.region = 'west'")" "west's ops on its laptop and at headquarters"

t "a change set from headquarters the office refuses holds its pull there, shown, until it can be taken"
kill "$W_PID"
wait "$W_PID" 2>/dev/null
check_eq "$(review "$HQ_URL" "$TMPDIR/jar" "$HQ_CSRF" "$w_rec2" approved "Checked again")" 200 "the review"
bad=$(q "$hq" "SELECT max(id) FROM changesets WHERE region = 'west' AND author = 'rita'")
# The change set's bytes in hex, damaged in their last byte, and put back, each engine's way.
if [ -f "$hq/store.conf" ]; then
	HEX="upper(encode(bytes, 'hex'))"
	DAMAGE="set_byte(bytes, length(bytes) - 1, CASE WHEN get_byte(bytes, length(bytes) - 1) = 0 THEN 1 ELSE 0 END)"
	PUT="decode('%s', 'hex')"
else
	HEX="hex(bytes)"
	DAMAGE="CAST(substr(bytes, 1, length(bytes) - 1) || CASE WHEN hex(substr(bytes, -1)) = '00' THEN X'01' ELSE X'00' END
		AS BLOB)"
	PUT="X'%s'"
fi
good=$(q "$hq" "SELECT $HEX FROM changesets WHERE id = $bad")
q "$hq" "UPDATE changesets SET bytes = $DAMAGE WHERE id = $bad" >/dev/null
[ "$(q "$hq" "SELECT $HEX FROM changesets WHERE id = $bad")" != "$good" ] ||
	fail "the change set at headquarters could not be damaged for the test"
cursor=$(q "$west" "SELECT value FROM meta WHERE key = 'relay_cursor'")
check_eq "$(review "$HQ_URL" "$TMPDIR/jar" "$HQ_CSRF" "$w_rec" approved "After all")" 200 "a later review"
serve_on "$west" "$wlog" "$W_PORT" --upstream "$HQ_URL" --pull-every 1 --retry-max 1 || fail "the office did not start"
W_PID=$SPID
wait_eq "the office's log" yes 20 sh -c "grep -q 'refused here: a change set of device .* does not verify; the pull waits' '$wlog' && echo yes"
run "$SONDEOD" status --data "$west"
check_out_has "pull held:          a change set from headquarters was refused here"
check_eq "$(q "$west" "SELECT value FROM meta WHERE key = 'relay_cursor'")" "$cursor" "the office's pull cursor"
check_eq "$(q "$west" "SELECT rr.review FROM record_regions rr JOIN records r ON r.rid = rr.rid WHERE r.id = '$w_rec'")" \
	has_issues "the later review at the office (it waits behind the refused one)"
q "$hq" "UPDATE changesets SET bytes = $(printf "$PUT" "$good") WHERE id = $bad" >/dev/null
check_eq "$(q "$hq" "SELECT $HEX FROM changesets WHERE id = $bad")" "$good" "the change set at headquarters, mended"
wait_eq "the later review at the office" approved 20 q "$west" "SELECT rr.review FROM record_regions rr
	JOIN records r ON r.rid = rr.rid WHERE r.id = '$w_rec'"
check_eq "$(q "$west" "SELECT rr.review FROM record_regions rr JOIN records r ON r.rid = rr.rid WHERE r.id = '$w_rec2'")" \
	approved "the held review at the office"
# pull_held : what sondeod status --json says of the office's held pull.
pull_held() {
	"$SONDEOD" status --data "$west" --json >"$TMPDIR/status.json" &&
		py -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["pull_held"]))' "$TMPDIR/status.json"
}
wait_eq "the office's status" "null" 10 pull_held
check_eq "$(state "$west" west)" "$(state "$hq" west)" "west's data at the office and at headquarters"

t "a laptop's review is refused with 403, and changes nothing"
e1_key=$TMPDIR/dev-e1/device.key
e1_next=$(q "$hq" "SELECT next_seq FROM enrolled_devices WHERE name = 'e1'")
e_rec2=$(printf '%s\n' "$recs_e1" | sed -n 2p)
dump "$hq" >"$TMPDIR/before"
run "$CSPUSH" "$HQ_URL" "$e1_key" "$e1_next" "$e_rec2" '_review={"comment":"","status":"approved"}'
check_status 403
check_out_has '"error":"not_allowed"'
check_out_has "reviews come from a reviewer at a server"
dump "$hq" >"$TMPDIR/after"
cmp -s "$TMPDIR/before" "$TMPDIR/after" || fail "headquarters' data changed"
check_eq "$(q "$hq" "SELECT review FROM record_regions rr JOIN records r ON r.rid = rr.rid WHERE r.id = '$e_rec2'")" \
	pending "the record's review"

t "a laptop's change to another region's record is refused with 403, an edit as a deletion"
for op in 'partner_name="Taken over"' '_deleted=true'; do
	dump "$hq" >"$TMPDIR/before"
	run "$CSPUSH" "$HQ_URL" "$e1_key" "$e1_next" "$s_rec" "$op"
	check_status 403
	check_out_has '"error":"wrong_region"'
	check_out_has "belongs to region south"
	dump "$hq" >"$TMPDIR/after"
	cmp -s "$TMPDIR/before" "$TMPDIR/after" || fail "headquarters' data changed after $op"
done
dev s1 sync
check_rc 0
dev s1 list
check_out_has "Partner of s1"

t "a regional office's change to another region's record is refused with 403"
dump "$hq" >"$TMPDIR/before"
w_next=$(q "$hq" "SELECT next_seq FROM enrolled_devices WHERE name = 'office-west'")
run "$CSPUSH" "$HQ_URL" "$west/server.key" "$w_next" "$e_rec2" '_review={"comment":"","status":"approved"}' --by wanda
check_status 403
check_out_has '"error":"wrong_region"'
dump "$hq" >"$TMPDIR/after"
cmp -s "$TMPDIR/before" "$TMPDIR/after" || fail "headquarters' data changed"

t "a review's value is checked (a known status, a bounded comment) and it names its reviewer"
for v in '{"comment":"","status":"great"}' '{"status":"approved"}' "{\"comment\":\"$(head -c 2001 /dev/zero | tr '\0' x)\",\"status\":\"approved\"}"; do
	run "$CSPUSH" "$HQ_URL" "$west/server.key" "$w_next" "$w_rec2" "_review=$v" --by wanda
	check_status 400
	check_out_has '"error":"bad_op"'
done
# A review names who made it: an office's own change set without its reviewer is refused.
run "$CSPUSH" "$HQ_URL" "$west/server.key" "$w_next" "$w_rec2" '_review={"comment":"Seen","status":"approved"}'
check_status 400
check_out_has "names its reviewer"
run "$CSPUSH" "$HQ_URL" "$west/server.key" "$w_next" "$w_rec2" '_review={"comment":"Seen","status":"approved"}' --by wanda
check_status 200
check_eq "$(q "$hq" "SELECT a.user FROM op_authors a JOIN ops o ON o.id = a.op JOIN devices d ON d.did = o.did
	WHERE d.id = (SELECT id FROM enrolled_devices WHERE name = 'office-west') AND o.seq = $w_next")" wanda \
	"the review's reviewer at headquarters"

t "an op naming another form than its record's is refused with 400, never 503"
sed 's/"id": "partnership"/"id": "other"/' "$TOP/forms/partnership.json" >"$TMPDIR/other.json"
"$SONDEOD" forms --data "$hq" publish "$TMPDIR/other.json" >/dev/null || fail "the second form was not published"
dump "$hq" >"$TMPDIR/before"
run "$CSPUSH" "$HQ_URL" "$e1_key" "$e1_next" "$e_rec2" 'partner_name="Other form"' --form other:2
check_status 400
check_out_has '"error":"bad_op"'
check_out_has "names form 'other'"
dump "$hq" >"$TMPDIR/after"
cmp -s "$TMPDIR/before" "$TMPDIR/after" || fail "headquarters' data changed"

t "no server reported a sanitizer error"
if grep -l -E '^==[0-9]+==ERROR: [A-Za-z]+Sanitizer|runtime error: ' "$TMPDIR"/*.log >/dev/null 2>&1; then
	fail "$(grep -l -E 'Sanitizer|runtime error' "$TMPDIR"/*.log)"
fi

done_testing
