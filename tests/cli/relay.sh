#!/bin/sh
# relay.sh - a regional server enrols at headquarters with a relay code (sondeod enrol-code --relay, sondeod
# enrol), pins headquarters' key, and then makes enrolment codes for its own region only; the two kinds of code
# cannot stand in for each other, and every refusal leaves both servers as they were. Headquarters takes a
# regional server's word for the devices of its region (POST /v1/vouch, tests/vouch.c) and the change sets it
# forwards for them, checked against each device's own key (tests/cspush.c).
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
CSPUSH=$(dirname "$SONDEO")/tests/cspush
VOUCH=$(dirname "$SONDEO")/tests/vouch
hq=$TMPDIR/hq
reg=$TMPDIR/regional
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"

hq_init "$hq" >/dev/null
hq_init "$reg" >/dev/null
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
hq_fp=$(grep -o 'server key [0-9a-f]*' "$log" | sed 's/server key //')

# dump DIR: what a refusal must leave as it was (devices but the time they were last seen, codes, meta, ops).
dump() {
	q "$1" "SELECT id, pk, name, region, enrolled, revoked, next_seq, relay, via FROM enrolled_devices ORDER BY id"
	q "$1" "SELECT * FROM codes ORDER BY 1"
	q "$1" "SELECT * FROM meta ORDER BY key"
	q "$1" "SELECT count(*) FROM ops"
}

t "a relay code is made for one regional server of a region"
run "$SONDEOD" enrol-code --data "$hq" --region north --relay --expires 1h
check_rc 0
check_out_has "region:  north (for the regional server: sondeod enrol --data DIR URL CODE)"
check_out_has "uses:    1"
relay_code=$(printf '%s\n' "$OUT" | head -n 1)
check_eq "$(q "$hq" "SELECT relay || ' ' || uses_left FROM codes")" "1 1" "the code's row"
run "$SONDEOD" enrol-code --data "$hq" --region north --relay --uses 3
check_rc 2
check_err_has "a relay code enrols one regional server: --uses is 1"

t "a device code cannot enrol a regional server, and nothing changes on either side"
device_code=$("$SONDEOD" enrol-code --data "$hq" --region north | head -n 1)
dump "$hq" >"$TMPDIR/hq.before"
dump "$reg" >"$TMPDIR/reg.before"
run "$SONDEOD" enrol --data "$reg" "$URL" "$device_code"
check_rc 1
check_err_has "this code enrols devices, not a regional server: make one with sondeod enrol-code --relay"
check_err_has "nothing was saved"
dump "$hq" >"$TMPDIR/hq.after"
dump "$reg" >"$TMPDIR/reg.after"
cmp -s "$TMPDIR/hq.before" "$TMPDIR/hq.after" || fail "headquarters' data changed"
cmp -s "$TMPDIR/reg.before" "$TMPDIR/reg.after" || fail "the regional server's data changed"

t "a relay code cannot enrol a device"
new_store
"$SONDEO" init --name laptop >/dev/null
run "$SONDEO" enrol "$URL" "$relay_code"
check_rc 1
check_err_has "this code enrols a regional server (sondeod enrol), not a device"
check_eq "$(q "$hq" "SELECT uses_left FROM codes WHERE relay <> 0")" 1 "the relay code's uses"

t "a mistyped code is refused before the network, an unreachable headquarters exits 3; nothing is saved"
run "$SONDEOD" enrol --data "$reg" "$URL" "K7QF-2MZX"
check_rc 1
check_err_has "the enrolment code:"
run "$SONDEOD" enrol --data "$reg" "http://127.0.0.1:1" "$relay_code"
check_rc 3
run "$SONDEOD" enrol --data "$reg" "ftp://example.org" "$relay_code"
check_rc 2
dump "$reg" >"$TMPDIR/reg.after"
cmp -s "$TMPDIR/reg.before" "$TMPDIR/reg.after" || fail "the regional server's data changed"

t "the regional server enrols with its relay code and pins headquarters' key"
run "$SONDEOD" enrol --data "$reg" "$URL/" "$relay_code" --name "Gulu office"
check_rc 0
reg_id=$(q "$hq" "SELECT id FROM enrolled_devices WHERE relay <> 0")
check_out_has "enrolled at $URL as the regional server $reg_id of region north"
check_eq "${#hq_fp}" 32 "length of headquarters' fingerprint from its log"
check_out_has "headquarters' key fingerprint: $hq_fp"
check_eq "$(q "$reg" "SELECT value FROM meta WHERE key = 'upstream_url'")" "$URL" "upstream URL"
check_eq "$(q "$reg" "SELECT value FROM meta WHERE key = 'region'")" north "region"
check_eq "$(q "$reg" "SELECT length(value) FROM meta WHERE key = 'upstream_key'")" 64 \
	"the pinned key (hex)"
run "$SONDEOD" devices --data "$hq"
check_out_has "Gulu office"
check_out_has "relay"
check_eq "$(q "$hq" "SELECT name || ' ' || region || ' ' || relay FROM enrolled_devices")" \
	"Gulu office north 1" "headquarters' row for it"
check_eq "$(q "$hq" "SELECT uses_left FROM codes WHERE relay <> 0")" 0 "the relay code's uses"

t "enrolling again after a lost answer is safe; another headquarters is refused"
run "$SONDEOD" enrol --data "$reg" "$URL" "$relay_code" --name "Gulu office"
check_rc 0
check_eq "$(q "$hq" "SELECT count(*) FROM enrolled_devices")" 1 "rows at headquarters"
dump "$reg" >"$TMPDIR/reg.before"
run "$SONDEOD" enrol --data "$reg" "http://127.0.0.1:9" "$relay_code"
check_rc 1
check_err_has "this server is already enrolled at $URL (region north)"
dump "$reg" >"$TMPDIR/reg.after"
cmp -s "$TMPDIR/reg.before" "$TMPDIR/reg.after" || fail "the regional server's data changed"

t "a regional server makes codes for its own region only, and no relay codes"
run "$SONDEOD" enrol-code --data "$reg" --uses 5
check_rc 0
check_out_has "region:  north"
run "$SONDEOD" enrol-code --data "$reg" --region north
check_rc 0
run "$SONDEOD" enrol-code --data "$reg" --region south
check_rc 1
check_err_has "this server relays region north to $URL: its codes are for region north only"
run "$SONDEOD" enrol-code --data "$reg" --relay
check_rc 1
check_err_has "regional servers enrol at headquarters"
check_eq "$(q "$reg" "SELECT count(*) || ' ' || min(region) || ' ' || max(region) FROM codes")" \
	"2 north north" "codes at the regional server"

# --- Vouching and forwarded change sets ---------------------------------------------------------------------

# The field laptops of the region: their keys are what the regional server vouches for.
for d in amina bruno; do
	SONDEO_HOME=$TMPDIR/dev-$d "$SONDEO" init --name "$d" >/dev/null
done
akey=$TMPDIR/dev-amina/device.key
apub=$TMPDIR/dev-amina/device.pub
bpub=$TMPDIR/dev-bruno/device.pub
aid=$(SONDEO_HOME=$TMPDIR/dev-amina "$SONDEO" status | sed -n 's/^device: *\([0-9a-f]*\).*/\1/p')
rec=0a9ea3ab-8ee7-4a39-8e3b-2a0b5a4c3a10

# status_of: the HTTP status the last tool run printed first.
status_of() {
	printf '%s\n' "$OUT" | head -n 1
}

t "a regional server vouches for a device of its region: headquarters enrols its key, as vouched for by it"
run "$VOUCH" "$URL" "$reg/server.key" enrol "$apub" amina north
check_rc 0
check_eq "$(status_of)" 200 "status"
check_out_has "\"device\":\"$aid\""
check_eq "$(q "$hq" "SELECT name || ' ' || region || ' ' || via || ' ' || relay FROM enrolled_devices
	WHERE id = '$aid'")" "amina north $reg_id 0" "the device's row"
check_eq "$(q "$hq" "SELECT count(*) FROM audit WHERE action = 'vouch' AND target = '$aid'")" 1 \
	"audit entries"
# The entry names the regional server by its id and name (the page words them); again: the key was known.
reg_name=$(q "$hq" "SELECT name FROM enrolled_devices WHERE id = '$reg_id'")
vouched() {
	q "$hq" "SELECT \"user\" || ' ' || json_extract(detail, '\$.by') || ' ' || json_extract(detail, '\$.name')
		|| ' ' || coalesce($(sql_bool "json_extract(detail, '\$.again')"), '-') FROM audit WHERE action = '$1' AND target = '$aid'
		ORDER BY id DESC LIMIT 1"
}
check_eq "$(vouched vouch)" "(regional server) $reg_id $reg_name 0" "the audit entry's user and detail"
run "$VOUCH" "$URL" "$reg/server.key" enrol "$apub" amina north
check_eq "$(status_of)" 200 "status of vouching again"
check_eq "$(vouched vouch)" "(regional server) $reg_id $reg_name 1" "the audit entry of vouching again"
check_eq "$(q "$hq" "SELECT count(*) FROM enrolled_devices")" 2 "rows at headquarters"

t "refused vouches change nothing: another region, an altered statement, a device that is not a relay"
dump "$hq" >"$TMPDIR/hq.before"
run "$VOUCH" "$URL" "$reg/server.key" enrol "$bpub" bruno south
check_eq "$(status_of)" 403 "status for another region"
check_out_has '"error":"vouch_refused"'
check_out_has "serves region north, not south"
run "$VOUCH" "$URL" "$reg/server.key" enrol "$bpub" bruno north --flip
check_eq "$(status_of)" 400 "status for an altered statement"
check_out_has '"error":"bad_signature"'
run "$VOUCH" "$URL" "$akey" enrol "$bpub" bruno north
check_eq "$(status_of)" 403 "status for a device"
check_out_has '"error":"not_a_relay"'
run "$VOUCH" "$URL" "$reg/server.key" revoke "$bpub" bruno north
check_eq "$(status_of)" 403 "status for revoking a device it did not vouch for"
check_out_has "was not vouched for by regional server $reg_id"
dump "$hq" >"$TMPDIR/hq.after"
cmp -s "$TMPDIR/hq.before" "$TMPDIR/hq.after" || fail "headquarters' data changed"

t "the regional server forwards the vouched device's change set: taken in as the device's, checked with its key"
run "$CSPUSH" "$URL" "$reg/server.key" 1 "$rec" 'partner_name="Radio Frontera"' 'country="GTM"' --cs-key "$akey"
check_eq "$(status_of)" 200 "status"
check_out_has '"accepted":2'
check_eq "$(q "$hq" "SELECT d.id FROM ops o JOIN devices d ON d.did = o.did GROUP BY d.id")" "$aid" \
	"the ops' device"
check_eq "$(q "$hq" "SELECT region || ' ' || device FROM record_regions")" "north $aid" \
	"the record's region and maker"
run "$CSPUSH" "$URL" "$reg/server.key" 1 "$rec" 'partner_name="Radio Frontera"' 'country="GTM"' --cs-key "$akey"
check_out_has '"accepted":0,"duplicates":2'

t "the device itself may send to headquarters directly the next day: nothing is counted twice"
run "$CSPUSH" "$URL" "$akey" 1 "$rec" 'partner_name="Radio Frontera"' 'country="GTM"'
check_eq "$(status_of)" 200 "status"
check_out_has '"accepted":0,"duplicates":2'
run "$CSPUSH" "$URL" "$akey" 3 "$rec" 'notes="sent straight to headquarters"'
check_out_has '"accepted":1'
check_eq "$(q "$hq" "SELECT count(*) FROM ops")" 3 "ops at headquarters"

t "a change set altered on the way is refused, naming the regional server that forwarded it"
dump "$hq" >"$TMPDIR/hq.before"
run "$CSPUSH" "$URL" "$reg/server.key" 4 "$rec" 'notes="altered"' --cs-key "$akey" --flip 100
check_eq "$(status_of)" 400 "status"
check_out_has '"error":"bad_signature"'
check_out_has "altered by regional server $reg_id"
dump "$hq" >"$TMPDIR/hq.after"
cmp -s "$TMPDIR/hq.before" "$TMPDIR/hq.after" || fail "headquarters' data changed"
grep -q "regional server $reg_id (Gulu office) forwarded a change set of device $aid (seqs 4..4)" "$log" ||
	fail "the log does not name the regional server and the device: $(tail -n 3 "$log")"

t "a relay cannot forward the change set of a device it did not vouch for"
run "$CSPUSH" "$URL" "$reg/server.key" 1 "$rec" 'notes="x"' --cs-key "$TMPDIR/dev-bruno/device.key"
check_eq "$(status_of)" 403 "status"
check_out_has '"error":"signer_mismatch"'

t "the regional server revokes its device: headquarters refuses it from then on, directly or forwarded"
run "$VOUCH" "$URL" "$reg/server.key" revoke "$apub" amina north
check_eq "$(status_of)" 200 "status"
check_out_has '"revoked":true'
check_eq "$(vouched revoke)" "(regional server) $reg_id $reg_name -" "the revocation's audit entry"
run "$CSPUSH" "$URL" "$akey" 4 "$rec" 'notes="after the revocation"'
check_eq "$(status_of)" 403 "status of the device's own upload"
check_out_has '"error":"revoked"'
run "$CSPUSH" "$URL" "$reg/server.key" 4 "$rec" 'notes="after the revocation"' --cs-key "$akey"
check_eq "$(status_of)" 403 "status of a forwarded upload"
check_out_has '"error":"revoked"'
run "$VOUCH" "$URL" "$reg/server.key" enrol "$apub" amina north
check_out_has '"revoked":true'
check_eq "$(q "$hq" "SELECT count(*) FROM ops")" 3 "ops at headquarters"

done_testing
