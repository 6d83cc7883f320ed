#!/bin/sh
# upload.sh - POST /v1/changesets against a real sondeod: a device's change sets are taken in once, and every
# kind of bad upload is refused with its code and changes nothing.
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
CSPUSH=$(dirname "$SONDEO")/tests/cspush
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"

ops() {
	q "$hq" "SELECT count(*) FROM ops"
}

hq_init "$hq" >/dev/null
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
code=$("$SONDEOD" enrol-code --data "$hq" --region east | head -n 1)
new_store
"$SONDEO" init --name uploader >/dev/null
"$SONDEO" enrol "$URL" "$code" >/dev/null
key=$SONDEO_HOME/device.key
rec=$(cat /proc/sys/kernel/random/uuid)

t "a change set is taken in: accepted, and the next seq the server expects"
run "$CSPUSH" "$URL" "$key" 1 "$rec" 'partner_name="Radio Frontera"' 'stakeholder_type="media"' 'country="GTM"'
check_rc 0
check_status 200
check_out_has '"accepted":3'
check_out_has '"next_seq":4'
check_eq "$(ops)" 3 "ops held"

t "the same change set again: success, nothing changes"
run "$CSPUSH" "$URL" "$key" 1 "$rec" 'partner_name="Radio Frontera"' 'stakeholder_type="media"' 'country="GTM"'
check_status 200
check_out_has '"accepted":0'
check_eq "$(ops)" 3 "ops held"

t "a gap in seqs: 409 with the seq expected"
run "$CSPUSH" "$URL" "$key" 9 "$rec" 'notes="later"'
check_status 409
check_out_has '"error":"gap"'
check_out_has '"expected_seq":4'
check_eq "$(ops)" 3 "ops held"

t "the same seq with other content: 409 equivocation, logged and counted"
run "$CSPUSH" "$URL" "$key" 1 "$rec" 'partner_name="Someone else"'
check_status 409
check_out_has '"error":"equivocation"'
check_eq "$(ops)" 3 "ops held"
check_eq "$(q "$hq" "SELECT equivocations FROM enrolled_devices")" 1 "equivocations"
run "$SONDEOD" devices --data "$hq"
check_out_has "  1"
run "$SONDEOD" devices --data "$hq" --json
check_out_has '"equivocations": 1'
grep -q "equivocation by device" "$log" || fail "the equivocation is not in the log"

t "a tampered byte in the body or the signature: refused, nothing changes"
run "$CSPUSH" "$URL" "$key" 4 "$rec" 'notes="tampered"' --flip 100
check_status 400
check_out_has '"error":"bad_signature"'
run "$CSPUSH" "$URL" "$key" 4 "$rec" 'notes="tampered"' --flip 2
check_out_has '"error":"bad_magic"'
run "$CSPUSH" "$URL" "$key" 4 "$rec" 'notes="v2"' --flip 4
check_out_has '"error":"unsupported_version"'
run "$CSPUSH" "$URL" "$key" 4 "$rec" 'notes="cut"' --cut 10
check_out_has '"error":"truncated"'
check_eq "$(ops)" 3 "ops held"

t "a question the form does not have, or a value of the wrong type: 400 bad_op"
run "$CSPUSH" "$URL" "$key" 4 "$rec" 'budget=5'
check_out_has '"error":"bad_op"'
check_out_has "has no question 'budget'"
run "$CSPUSH" "$URL" "$key" 4 "$rec" 'scale_up_potential="five"'
check_out_has '"error":"bad_op"'
check_eq "$(ops)" 3 "ops held"

t "a clock an hour off: 401 clock_skew with the server's time"
run "$CSPUSH" "$URL" "$key" 4 "$rec" 'notes="late"' --skew-ms 3600000
check_status 401
check_out_has '"error":"clock_skew"'

t "a replayed request: 401 replay"
run "$CSPUSH" "$URL" "$key" 4 "$rec" 'notes="once"' --print-nonce
nonce=$(head -n 1 "$OUT_FILE")
check_eq "$(sed -n 2p "$OUT_FILE")" 200 "HTTP status after the nonce"
run "$CSPUSH" "$URL" "$key" 4 "$rec" 'notes="once"' --nonce "$nonce"
check_status 401
check_out_has '"error":"replay"'
check_eq "$(ops)" 4 "ops held"

t "bad bodies inside validly signed change sets: refused with their code, the server's data unchanged"
dump() {
	for _table in ops op_base heads fields records changesets; do
		q "$hq" "SELECT * FROM $_table" | sort
	done
}
before=$(dump)
printf '[{"seq":5,"hlc":1,"record":"%s","form":"partnership"' "$rec" >"$TMPDIR/broken.json"
run "$CSPUSH" "$URL" "$key" 5 "$rec" --body "$TMPDIR/broken.json"
check_out_has '"error":"bad_json"'
printf '[{"seq":5,"seq":5,"hlc":1,"record":"%s","form":"partnership","version":"1","field":"notes","value":"x","base":[]}]' \
	"$rec" >"$TMPDIR/dup.json"
run "$CSPUSH" "$URL" "$key" 5 "$rec" --body "$TMPDIR/dup.json"
check_out_has '"error":"bad_json"'
check_out_has "duplicate"
{
	printf '[{"seq":5,"hlc":1,"record":"%s","form":"partnership","version":"1","field":"notes","value":"' "$rec"
	head -c 60000 /dev/urandom | base64 -w 0 | head -c 70000
	printf '","base":[]}]'
} >"$TMPDIR/long.json"
run "$CSPUSH" "$URL" "$key" 5 "$rec" --body "$TMPDIR/long.json"
check_status 400
check_out_has '"error":"bad_op"'
check_out_has "over the limit of 65536"
check_eq "$(dump)" "$before" "the server's data after refusals"

t "an inflate bomb is refused without the server's memory growing by 32 MiB"
head -c $((64 * 1024 * 1024)) /dev/zero >"$TMPDIR/zeros"
rss_before=$(sed -n 's/^VmRSS: *\([0-9]*\) kB/\1/p' "/proc/$PID/status")
run "$CSPUSH" "$URL" "$key" 5 "$rec" --body "$TMPDIR/zeros" --raw 1048576
check_status 400
check_out_has '"error":"bad_body"'
run "$CSPUSH" "$URL" "$key" 5 "$rec" --body "$TMPDIR/zeros"
check_out_has '"error":"too_large"'
rss_after=$(sed -n 's/^VmRSS: *\([0-9]*\) kB/\1/p' "/proc/$PID/status")
[ $((rss_after - rss_before)) -lt 32768 ] || fail "the server's RSS grew by $((rss_after - rss_before)) kB"
rm -f "$TMPDIR/zeros"
check_eq "$(dump)" "$before" "the server's data after the bomb"

t "a change set over the size limit is refused with 413 before its body is read"
head -c 5000000 /dev/zero >"$TMPDIR/huge"
run curl -sS -w '\n%{http_code}' -H 'Content-Type: application/octet-stream' --data-binary @"$TMPDIR/huge" \
	"$URL/v1/changesets"
check_out_has '"error":"too_large"'
check_out_has "413"
rm -f "$TMPDIR/huge"
check_eq "$(dump)" "$before" "the server's data"

t "ops claiming another device: the change set's signer must be the requesting device"
other2=$TMPDIR/other2
mkdir -p "$other2"
SONDEO_HOME=$other2 "$SONDEO" init >/dev/null
run "$CSPUSH" "$URL" "$key" 1 "$rec" --cs-key "$other2/device.key" 'notes="not mine"'
check_status 403
check_out_has '"error":"signer_mismatch"'
check_eq "$(dump)" "$before" "the server's data"

t "a key that is not enrolled: 401; a revoked device: 403"
other=$TMPDIR/other
mkdir -p "$other"
SONDEO_HOME=$other "$SONDEO" init >/dev/null
run "$CSPUSH" "$URL" "$other/device.key" 1 "$rec" 'notes="stranger"'
check_status 401
check_out_has '"error":"unknown_device"'
"$SONDEOD" devices --data "$hq" --revoke "$(sqlite3 "$SONDEO_HOME/store.db" "SELECT value FROM meta WHERE key = 'device'")" >/dev/null
run "$CSPUSH" "$URL" "$key" 5 "$rec" 'notes="after revocation"'
check_status 403
check_out_has '"error":"revoked"'
check_eq "$(ops)" 4 "ops held"

t "/metrics counts the ops held"
run curl -sS "$URL/metrics"
check_out_has "sondeod_ops_merged_total 4"

done_testing
