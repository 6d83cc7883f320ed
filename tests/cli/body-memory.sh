#!/bin/sh
# body-memory.sh - sondeod holds no memory for requests it has not authenticated: a signed request's headers are
# checked before its body is read, a body must be the one its Sondeo-Body-Hash names, and the bodies of all
# requests in flight share a budget past which the server answers 503 with Retry-After.
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
CSPUSH=$(dirname "$SONDEO")/tests/cspush
HOLD=$(dirname "$SONDEO")/tests/bodyhold
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"

# The peak resident memory of sondeod so far, in KiB.
peak() {
	sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"
}
ops() {
	q "$hq" "SELECT count(*) FROM ops"
}

"$SONDEOD" init --data "$hq" >/dev/null
serve_any "$hq" "$log" || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
code=$("$SONDEOD" enrol-code --data "$hq" --region east --uses 2 | head -n 1)
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" init --name a >/dev/null
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" enrol "$SURL" "$code" >/dev/null
SONDEO_HOME=$TMPDIR/dev-b "$SONDEO" init --name b >/dev/null
SONDEO_HOME=$TMPDIR/dev-b "$SONDEO" enrol "$SURL" "$code" >/dev/null
key=$TMPDIR/dev-b/device.key
rec=$(cat /proc/sys/kernel/random/uuid)

t "128 connections from 8 addresses hold change set bodies: refused before the body, memory stays low, a device syncs"
dev a new --set partner_name="Before the attack" --set stakeholder_type=media --set country=KEN --set level=local \
	--set thematic_areas=human_rights
dev a sync
check_rc 0
before=$(peak "$SPID")
# Each sends 2 MiB of a declared 4 MiB body (unsigned, from a device nobody enrolled, or with a real device's
# signature over another body) then trickles the rest: today's buffering held 128 x 2 MiB.
"$HOLD" "$SPORT" 8 128 2097152 30 unsigned,stranger,badsig "$key" >"$TMPDIR/hold" 2>&1 &
hold=$!
at_exit "kill $hold 2>/dev/null"
dev a new --set partner_name="During the attack" --set stakeholder_type=media --set country=KEN --set level=local \
	--set thematic_areas=human_rights
dev a sync
check_rc 0
check_out_has "changes sent"
wait "$hold"
check_eq "$(sed -n 's/^open //p' "$TMPDIR/hold")" 0 "connections still held at the end"
check_eq "$(sed -n 's/^answered 401 //p' "$TMPDIR/hold")" 128 "connections refused with 401"
grep -q '^answered [^4]' "$TMPDIR/hold" && fail "answers other than 401: $(cat "$TMPDIR/hold")"
after=$(peak "$SPID")
[ -n "$before" ] && [ -n "$after" ] || fail "cannot read sondeod's peak memory ('$before', '$after')"
# The bound: 48 MiB more than before the attack at the peak (buffering it cost 580 MiB under the sanitizers).
[ $((after - before)) -lt 49152 ] || fail "sondeod's peak memory grew by $(((after - before) / 1024)) MiB under the attack"
check_eq "$(q "$hq" "SELECT count(*) FROM records")" 2 "records held"

t "a body other than the one Sondeo-Body-Hash names: 401 bad_body_hash, nothing changes, the nonce stays unused"
held=$(ops)
run "$CSPUSH" "$SURL" "$key" 1 "$rec" 'partner_name="Altered on the way"' --tamper 100 --print-nonce
check_eq "$(sed -n 2p "$OUT_FILE")" 401 "HTTP status"
check_out_has '"error":"bad_body_hash"'
check_eq "$(ops)" "$held" "ops held"
nonce=$(head -n 1 "$OUT_FILE")
run "$CSPUSH" "$SURL" "$key" 1 "$rec" 'partner_name="Altered on the way"' --nonce "$nonce"
check_out_has "200"
check_out_has '"accepted":1'

t "a signed request without Sondeo-Body-Hash: 401 unsigned"
held=$(ops)
run "$CSPUSH" "$SURL" "$key" 2 "$rec" 'notes="no hash"' --no-body-hash
check_out_has "401"
check_out_has '"error":"unsigned"'
check_out_has "Sondeo-Body-Hash"
check_eq "$(ops)" "$held" "ops held"

t "past the body budget: 503 with Retry-After, not an abort; the budget comes back when a request ends"
kill "$SPID"
wait "$SPID" 2>/dev/null
# libmicrohttpd notices a client gone in the middle of a body only at the idle timeout: a short one here, so that
# the upload left behind ends, and gives its share back, within the wait below.
serve_any "$hq" "$log" --body-budget 5 --timeout 3 || fail "sondeod --body-budget 5 did not start: $(cat "$log")"
# Two real uploads of 4 MiB that never end: one fits in 5 MiB and is read, the other is told to come back.
"$HOLD" "$SPORT" 1 2 65536 20 signed "$key" 1 >"$TMPDIR/hold" 2>&1
check_eq "$(sed -n 's/^answered 503 //p' "$TMPDIR/hold")" 1 "uploads answered 503"
check_eq "$(sed -n 's/^retry-after //p' "$TMPDIR/hold")" 1 "answers with Retry-After"
check_eq "$(sed -n 's/^open //p' "$TMPDIR/hold")" 1 "uploads still being read"
held() {
	curl -sS --max-time 5 "$SURL/metrics" | sed -n 's/^sondeod_http_body_held_bytes //p'
}
check_eq "$(curl -sS --max-time 5 "$SURL/metrics" | sed -n 's/^sondeod_http_body_budget_bytes //p')" 5242880 \
	"the budget in /metrics"
wait_eq "body bytes held once the uploads have gone" 0 20 held
run "$CSPUSH" "$SURL" "$key" 2 "$rec" 'notes="after the budget"'
check_status 200

t "--body-budget takes MiB from 5"
run "$SONDEOD" serve --data "$hq" --body-budget 4
check_rc 2
check_err_has "--body-budget takes a number of MiB from 5"

done_testing
