#!/bin/sh
# sync-wire.sh - what a sync costs on the wire (proto/PROTOCOL.md, GET /v1/pull): one kept-alive connection per
# sync, pull answers gzip-compressed to a device that asks, the forms downloaded only when they changed (a no-op
# sync is one small request), pages bounded by a window of positions whatever the cursor, and a device from
# before version 2 served exactly as before.
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
SIGNEDGET=$(dirname "$SONDEO")/tests/signedget
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"

hq_init "$hq" >/dev/null
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
east=$("$SONDEOD" enrol-code --data "$hq" --region east --uses 2 | head -n 1)
west=$("$SONDEOD" enrol-code --data "$hq" --region west | head -n 1)
for d in a b c; do
	SONDEO_HOME=$TMPDIR/dev-$d "$SONDEO" init --name "$d" >/dev/null
done
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" enrol "$URL" "$east" >/dev/null
SONDEO_HOME=$TMPDIR/dev-b "$SONDEO" enrol "$URL" "$east" >/dev/null
SONDEO_HOME=$TMPDIR/dev-c "$SONDEO" enrol "$URL" "$west" >/dev/null

# snap : the server's /metrics now, into $TMPDIR/metrics (its own connection is counted in it).
snap() {
	curl -sS --max-time 10 "$URL/metrics" >"$TMPDIR/metrics"
}

# metric NAME : a counter of the last snap.
metric() {
	sed -n "s/^$1 //p" "$TMPDIR/metrics"
}

# sent PATH : the body bytes the server's log says it sent for the last request to PATH.
sent() {
	grep " GET $1" "$log" | tail -n 1 | sed -n 's/.* out=\([0-9]*\) .*/\1/p'
}

# requests : how many requests the last sync --verbose made, and to what ("GET /v1/pull ..." per line).
requests() {
	printf '%s\n' "$ERR" | sed -n 's|^> \([A-Z]*\) http://[^/]*\(/v1/[a-z]*\).*|\1 \2|p'
}

LC_ALL=C awk -v n=120 -v seed=7 -f "$TOP/bench/gen.awk" >"$TMPDIR/records.csv"
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" new --from "$TMPDIR/records.csv" >/dev/null 2>&1
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" sync >/dev/null

t "a new device's sync is one connection; its pull comes compressed, and the forms enrolment brought are not fetched again"
snap
conns=$(metric sondeod_http_connections_total)
dev b sync --verbose
check_rc 0
check_out_has "0 changes sent, "
check_eq "$(requests)" "GET /v1/pull" "requests"
snap
# One for the sync, one for this snap.
check_eq "$(($(metric sondeod_http_connections_total) - conns))" 2 "connections since the last snap"
# What the device decoded (its verbose line) against what the server sent: JSON of ops compresses severalfold.
decoded=$(printf '%s\n' "$ERR" | sed -n 's/^> GET .*pull.* -> 200 (\([0-9]*\) bytes)$/\1/p')
[ "${decoded:-0}" -gt 100000 ] || fail "the device decoded only ${decoded:-no} bytes"
[ $(($(sent /v1/pull) * 4)) -lt "${decoded:-0}" ] || fail "the server sent $(sent /v1/pull) bytes for $decoded"
dev a status --json
a_records=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["records"])' "$OUT")
dev b status --json
check_eq "$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["records"])' "$OUT")" "$a_records" "records on b"

t "a no-op sync is one small request: the forms are not downloaded again"
dev b sync --verbose
check_rc 0
check_out_has "0 changes sent, 0 received"
check_eq "$(requests)" "GET /v1/pull" "requests"
[ "$(sent /v1/pull)" -lt 200 ] || fail "a no-op sync's answer is $(sent /v1/pull) bytes"

t "forms published at the server are downloaded at the next sync, and only then"
cat >"$TMPDIR/water.json" <<'EOF'
{"id": "water", "version": "1", "title": "Water points",
 "questions": [{"name": "site", "type": "text", "label": "Site"}]}
EOF
"$SONDEOD" forms --data "$hq" publish "$TMPDIR/water.json" >/dev/null
dev b sync --verbose
check_rc 0
check_eq "$(requests)" "GET /v1/pull${_t_nl}GET /v1/forms" "requests"
dev b form show water
check_rc 0
check_out_has "Water points"
dev b sync --verbose
check_eq "$(requests)" "GET /v1/pull" "requests after"

t "a sync that sends a change is one exchange: the upload's answer brings what the others sent"
dev a new --set partner_name="From a" --set stakeholder_type=media --set country=KEN --set level=local \
	--set thematic_areas=human_rights
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" sync >/dev/null
dev b new --set partner_name="From b" --set stakeholder_type=media --set country=KEN --set level=local \
	--set thematic_areas=human_rights
dev b sync --verbose
check_rc 0
check_out_has "changes sent, 6 received"
check_eq "$(requests)" "POST /v1/changesets" "requests"
dev b list --search "From a"
check_out_has "From a"
grep -q "POST /v1/changesets?pull=[0-9]* 200" "$log" || fail "the upload did not ask for the pull page"

t "an upload's pull must be a cursor and its limit 1 to 5000: otherwise 400, and nothing is taken"
held=$(q "$hq" "SELECT count(*) FROM ops")
for query in pull=x pull=-1 'pull=1&limit=0' 'pull=1&limit=5001'; do
	run "$(dirname "$SONDEO")/tests/cspush" "$URL" "$TMPDIR/dev-c/device.key" 1 0f8fad5b-d9cb-469f-a165-70867728950e \
		'notes="not taken"' --query "$query"
	check_status 400
	check_out_has '"error":"bad_request"'
done
check_eq "$(q "$hq" "SELECT count(*) FROM ops")" "$held" "ops held"

key=$TMPDIR/dev-b/device.key
t "a device from before version 2 is answered as before: no forms tag, at most 2000 ops, not compressed"
run "$SIGNEDGET" "$URL" "$key" "/v1/pull?after=0&limit=2000"
check_rc 0
check_eq "$(sed -n 1,2p "$OUT_FILE" | tr '\n' ' ')" "status 200 encoding identity " "status and encoding"
sed -n '4,$p' "$OUT_FILE" >"$TMPDIR/v1.json"
check_eq "$(python3 -c 'import json,sys; a = json.load(open(sys.argv[1])); print(sorted(a), len(a["ops"]) > 0)' \
	"$TMPDIR/v1.json")" "['more', 'next', 'ops'] True" "members"
run "$SIGNEDGET" "$URL" "$key" "/v1/pull?after=0&limit=2001"
check_status "status 400"
run "$SIGNEDGET" "$URL" "$key" "/v1/pull?after=0&limit=5000&v=2"
check_status "status 200"
check_out_has '"forms":"'
run "$SIGNEDGET" "$URL" "$key" "/v1/pull?after=0&limit=5001&v=2"
check_status "status 400"
run "$SIGNEDGET" "$URL" "$key" "/v1/pull?after=0&v=3"
check_status "status 400"

t "gzip only to a device that asks, and only for answers worth it"
run "$SIGNEDGET" "$URL" "$key" "/v1/pull?after=0&limit=2000" --gzip
check_eq "$(sed -n 2p "$OUT_FILE")" "encoding gzip" "encoding"
plain=$(wc -c <"$TMPDIR/v1.json")
zipped=$(sed -n 's/^bytes //p' "$OUT_FILE")
[ $((zipped * 4)) -lt "$plain" ] || fail "gzip made $plain bytes into $zipped"
last=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["next"])' "$TMPDIR/v1.json")
run "$SIGNEDGET" "$URL" "$key" "/v1/pull?after=$last&limit=10&v=2" --gzip
check_status "status 200"
check_eq "$(sed -n 2p "$OUT_FILE")" "encoding identity" "a small answer's encoding"

t "a page looks at no more than 8 positions per op asked for, so it costs the same whatever the cursor"
# Device c is the only one in west: every op held is another region's. One op asked for: 8 positions seen, none
# of them west's, and more to come from position 8.
run "$SIGNEDGET" "$URL" "$TMPDIR/dev-c/device.key" "/v1/pull?after=0&limit=1&v=2"
check_status "status 200"
check_out_has '{"ops":[],"devices":[],"records":[],"next":8,"more":true,"forms":"'
dev c sync
check_rc 0
check_out_has "0 changes sent, 0 received"
dev c new --set partner_name="West partner" --set stakeholder_type=academia --set country=SEN \
	--set level=national --set thematic_areas=labour_migration
SONDEO_HOME=$TMPDIR/dev-c "$SONDEO" sync >/dev/null
dev b sync
check_out_has "0 changes sent, 0 received"

t "devices behind one address wait their turn instead of failing"
# A server that takes 2 connections from one address, and 8 devices syncing at once from 127.0.0.1: the
# connections it turns away are tried again after a growing, random wait, until every device is through.
hq2=$TMPDIR/hq2
hq_init "$hq2" >/dev/null
serve_any "$hq2" "$TMPDIR/serve2.log" --per-ip 2 || fail "the second sondeod did not start: $(cat "$TMPDIR/serve2.log")"
code=$("$SONDEOD" enrol-code --data "$hq2" --region east --uses 8 | head -n 1)
for i in 1 2 3 4 5 6 7 8; do
	SONDEO_HOME=$TMPDIR/nat-$i "$SONDEO" init >/dev/null
	SONDEO_HOME=$TMPDIR/nat-$i "$SONDEO" enrol "$SURL" "$code" >/dev/null 2>&1 ||
		SONDEO_HOME=$TMPDIR/nat-$i "$SONDEO" enrol "$SURL" "$code" >/dev/null 2>&1
done
pids=""
for i in 1 2 3 4 5 6 7 8; do
	SONDEO_HOME=$TMPDIR/nat-$i "$SONDEO" sync --verbose >"$TMPDIR/nat-$i.out" 2>&1 &
	pids="$pids $!"
done
failed=0
for p in $pids; do
	wait "$p" || failed=$((failed + 1))
done
check_eq "$failed" 0 "syncs that failed"
check_eq "$(cat "$TMPDIR"/nat-*.out | grep -c '^synced with ')" 8 "syncs done"
cat "$TMPDIR"/nat-*.out >"$ERR_FILE"
ERR=$(cat "$ERR_FILE")
check_err_has "the connection was cut"
check_err_has "; trying again in "

done_testing
