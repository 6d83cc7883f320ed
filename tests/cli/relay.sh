#!/bin/sh
# relay.sh - a regional server enrols at headquarters with a relay code (sondeod enrol-code --relay, sondeod
# enrol), pins headquarters' key, and then makes enrolment codes for its own region only; the two kinds of code
# cannot stand in for each other, and every refusal leaves both servers as they were.
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
reg=$TMPDIR/regional
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"

"$SONDEOD" init --data "$hq" >/dev/null
"$SONDEOD" init --data "$reg" >/dev/null
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
hq_fp=$(grep -o 'server key [0-9a-f]*' "$log" | sed 's/server key //')

# dump DIR: what a refusal must leave as it was (devices, codes, meta).
dump() {
	sqlite3 "$1/server.db" ".dump enrolled_devices" ".dump codes" ".dump meta"
}

t "a relay code is made for one regional server of a region"
run "$SONDEOD" enrol-code --data "$hq" --region north --relay --expires 1h
check_rc 0
check_out_has "region:  north (for the regional server: sondeod enrol --data DIR URL CODE)"
check_out_has "uses:    1"
relay_code=$(printf '%s\n' "$OUT" | head -n 1)
check_eq "$(sqlite3 "$hq/server.db" "SELECT relay || ' ' || uses_left FROM codes")" "1 1" "the code's row"
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
check_eq "$(sqlite3 "$hq/server.db" "SELECT uses_left FROM codes WHERE relay")" 1 "the relay code's uses"

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
reg_id=$(sqlite3 "$hq/server.db" "SELECT id FROM enrolled_devices WHERE relay")
check_out_has "enrolled at $URL as the regional server $reg_id of region north"
check_eq "${#hq_fp}" 32 "length of headquarters' fingerprint from its log"
check_out_has "headquarters' key fingerprint: $hq_fp"
check_eq "$(sqlite3 "$reg/server.db" "SELECT value FROM meta WHERE key = 'upstream_url'")" "$URL" "upstream URL"
check_eq "$(sqlite3 "$reg/server.db" "SELECT value FROM meta WHERE key = 'region'")" north "region"
check_eq "$(sqlite3 "$reg/server.db" "SELECT length(value) FROM meta WHERE key = 'upstream_key'")" 64 \
	"the pinned key (hex)"
run "$SONDEOD" devices --data "$hq"
check_out_has "Gulu office"
check_out_has "relay"
check_eq "$(sqlite3 "$hq/server.db" "SELECT name || ' ' || region || ' ' || relay FROM enrolled_devices")" \
	"Gulu office north 1" "headquarters' row for it"
check_eq "$(sqlite3 "$hq/server.db" "SELECT uses_left FROM codes WHERE relay")" 0 "the relay code's uses"

t "enrolling again after a lost answer is safe; another headquarters is refused"
run "$SONDEOD" enrol --data "$reg" "$URL" "$relay_code" --name "Gulu office"
check_rc 0
check_eq "$(sqlite3 "$hq/server.db" "SELECT count(*) FROM enrolled_devices")" 1 "rows at headquarters"
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
check_eq "$(sqlite3 "$reg/server.db" "SELECT count(*) || ' ' || min(region) || ' ' || max(region) FROM codes")" \
	"2 north north" "codes at the regional server"

done_testing
