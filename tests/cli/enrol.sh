#!/bin/sh
# enrol.sh - a real sondeod on loopback: serving, enrolment with one-time codes, signed form downloads, limits.
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log

. "$TOP/tests/cli/server.inc"

t "sondeod serve starts and answers /healthz"
run hq_init "$hq"
check_rc 0
fp=$(sed -n 's/^server key fingerprint: //p' "$OUT_FILE")
start_server || fail "sondeod did not start: $(cat "$log")"
run curl -sS "$URL/healthz"
check_rc 0
check_eq "$OUT" "ok" "healthz"
check_err_lacks "error"

t "a device enrols with a code, pins the server's key and receives the forms"
code=$("$SONDEOD" enrol-code --data "$hq" --region east | head -n 1)
new_store
"$SONDEO" init --name tablet-1 >/dev/null
run "$SONDEO" enrol "$URL" "$code"
check_rc 0
check_out_has "in region east"
check_out_has "server key fingerprint: $fp"
check_out_has "forms: 1 received"
check_eq "$(sqlite3 "$SONDEO_HOME/store.db" "SELECT value FROM meta WHERE key = 'region'")" east "stored region"
check_eq "$(sqlite3 "$SONDEO_HOME/store.db" "SELECT value FROM meta WHERE key = 'server_key'")" \
	"$(sed -n 2p "$hq/server.pub")" "pinned server key"
run "$SONDEOD" devices --data "$hq" --json
check_out_has '"name": "tablet-1"'
check_out_has '"region": "east"'
dev1=$SONDEO_HOME

t "enrolling again with the same code is answered the same, without using the code again"
run "$SONDEO" enrol "$URL" "$code"
check_rc 0
check_out_has "in region east"
check_eq "$("$SONDEOD" devices --data "$hq" --json | grep -c '"id"')" 1 "devices"

t "a used code, an unknown code and a malformed code are refused, and nothing is stored"
new_store
"$SONDEO" init --name tablet-2 >/dev/null
before=$(sqlite3 "$SONDEO_HOME/store.db" .dump)
run "$SONDEO" enrol "$URL" "$code"
check_rc 1
check_err_has "enrolment refused:"
run "$SONDEO" enrol "$URL" "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ"
check_rc 1
check_err_has "enrolment refused:"
run "$SONDEO" enrol "$URL" "not-a-code"
check_rc 1
check_err_has "the enrolment code:"
check_eq "$(sqlite3 "$SONDEO_HOME/store.db" .dump)" "$before" "the device's store"
check_eq "$("$SONDEOD" devices --data "$hq" --json | grep -c '"id"')" 1 "devices"

t "an expired code is refused, and nothing is stored"
codex=$("$SONDEOD" enrol-code --data "$hq" --expires 1m | head -n 1)
# A minute is the shortest expiry; move this one's into the past rather than wait.
q "$hq" "UPDATE codes SET expires = 1 WHERE code_id = '$(printf %s "$codex" | tr -d - | cut -c1-5)'"
before=$(sqlite3 "$SONDEO_HOME/store.db" .dump)
run "$SONDEO" enrol "$URL" "$codex"
check_rc 1
check_err_has "expired"
check_eq "$(sqlite3 "$SONDEO_HOME/store.db" .dump)" "$before" "the device's store"

t "a code's letters may be typed in lower case, with spaces, and with O for 0 and I or L for 1"
code2=$("$SONDEOD" enrol-code --data "$hq" --region west | head -n 1)
typed=$(printf '%s' "$code2" | tr 'A-Z-' 'a-z ' | sed 's/0/o/g; s/1/l/g')
run "$SONDEO" enrol "$URL" "$typed"
check_rc 0
check_out_has "in region west"

t "a server that cannot be reached: exit 3, nothing stored"
new_store
"$SONDEO" init >/dev/null
before=$(sqlite3 "$SONDEO_HOME/store.db" .dump)
code3=$("$SONDEOD" enrol-code --data "$hq" | head -n 1)
run "$SONDEO" enrol "http://127.0.0.1:9" "$code3"
check_rc 3
check_eq "$(sqlite3 "$SONDEO_HOME/store.db" .dump)" "$before" "the device's store"

t "a revoked device cannot enrol again"
SONDEO_HOME=$dev1
export SONDEO_HOME
dev1_id=$(sqlite3 "$dev1/store.db" "SELECT value FROM meta WHERE key = 'device'")
run "$SONDEOD" devices --data "$hq" --revoke "$dev1_id"
check_rc 0
run "$SONDEO" enrol "$URL" "$code"
check_rc 1
check_err_has "revoked"

t "HTTP limits and errors: 404, 405, 413 before reading, 401 for an unsigned request"
run curl -sS -o /dev/null -w '%{http_code}' "$URL/nowhere"
check_eq "$OUT" 404 "unknown path"
run curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$URL/v1/enrol"
check_eq "$OUT" 405 "wrong method"
head -c 10000 /dev/zero | tr '\0' x >"$TMPDIR/big"
run curl -sS -w '\n%{http_code}' -H 'Content-Type: application/json' --data-binary @"$TMPDIR/big" "$URL/v1/enrol"
check_out_has '"error":"too_large"'
check_out_has "413"
run curl -sS -w '\n%{http_code}' "$URL/v1/forms"
check_out_has '"error":"unsigned"'
check_out_has "401"
run curl -sS -w '\n%{http_code}' -H 'Content-Type: application/json' --data '{"code": 1}' "$URL/v1/enrol"
check_out_has '"error":"bad_request"'
check_out_has "400"

t "/metrics counts requests by status and devices"
run curl -sS "$URL/metrics"
check_rc 0
check_out_has 'sondeod_http_requests_total{status="200"}'
check_out_has 'sondeod_http_requests_total{status="413"} 1'
check_out_has 'sondeod_devices{state="active"} 1'
check_out_has 'sondeod_devices{state="revoked"} 1'

t "the code from standard input (- or no CODE) and from a prompt, kept out of ps and the shell's history"
new_store
"$SONDEO" init --name tablet-stdin >/dev/null
code5=$("$SONDEOD" enrol-code --data "$hq" --region north --uses 3 | head -n 1)
run sh -c 'printf "%s\n" "$1" | "$SONDEO" enrol "$2" -' sh "$code5" "$URL"
check_rc 0
check_out_has "in region north"
check_eq "$(sqlite3 "$SONDEO_HOME/store.db" "SELECT value FROM meta WHERE key = 'region'")" north "stored region"
new_store
"$SONDEO" init --name tablet-line >/dev/null
run sh -c 'printf "%s" "$1" | "$SONDEO" enrol "$2"' sh "$code5" "$URL"
check_rc 0
check_out_has "in region north"
new_store
"$SONDEO" init --name tablet-prompt >/dev/null
run_pty "$SONDEO" enrol "$URL" <<EOF
expect Enrolment code:
send $code5
expect in region north
exit 0
EOF
check_rc 0
# The terminal did not echo the code.
check_out_lacks "$code5"
check_eq "$(sqlite3 "$SONDEO_HOME/store.db" "SELECT value FROM meta WHERE key = 'region'")" north "stored region"

t "no code on standard input, or a bad one there: refused before the network, nothing stored"
new_store
"$SONDEO" init >/dev/null
before=$(sqlite3 "$SONDEO_HOME/store.db" .dump)
run "$SONDEO" enrol "$URL" - </dev/null
check_rc 1
check_err_has "no enrolment code on standard input"
run sh -c 'echo not-a-code | "$SONDEO" enrol "$1"' sh "$URL"
check_rc 1
check_err_has "the enrolment code:"
check_eq "$(sqlite3 "$SONDEO_HOME/store.db" .dump)" "$before" "the device's store"

t "HTTPS with a certificate the test makes: enrols with --cacert, refuses without it"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMPDIR/key.pem" \
	-out "$TMPDIR/cert.pem" -days 2 -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null ||
	fail "openssl could not make a certificate"
tlslog=$TMPDIR/tls.log
serve_on "$hq" "$tlslog" 0 --tls-cert "$TMPDIR/cert.pem" --tls-key "$TMPDIR/key.pem" ||
	fail "sondeod did not start with TLS: $(cat "$tlslog")"
TPID=$SPID tport=$SPORT
check_eq "$(grep -c "serving https://127.0.0.1:$tport" "$tlslog")" 1 "sondeod serving HTTPS"
code4=$("$SONDEOD" enrol-code --data "$hq" --region south | head -n 1)
new_store
"$SONDEO" init >/dev/null
run "$SONDEO" enrol "https://127.0.0.1:$tport" "$code4"
check_rc 1
check_err_has "certificate"
run "$SONDEO" enrol "https://127.0.0.1:$tport" "$code4" --cacert "$TMPDIR/cert.pem"
check_rc 0
check_out_has "in region south"
check_out_has "forms: 1 received"
"$SONDEO" new --set partner_name="Over TLS" --set stakeholder_type=media --set country=KEN --set level=local \
	--set thematic_areas=human_rights >/dev/null
run "$SONDEO" sync
check_rc 0
check_out_has "6 changes sent"
kill "$TPID"

t "one log line per request, and SIGTERM stops the server cleanly, its data one file again"
for line in 'GET /healthz 200' 'GET /nowhere 404' 'DELETE /v1/enrol 405' 'POST /v1/enrol 413' \
	'POST /v1/enrol 400' 'GET /v1/forms 401' 'GET /v1/forms 200'; do
	grep -q "$line" "$log" || fail "no log line '$line'"
done
kill -TERM "$PID"
wait "$PID"
# The log goes with a failure: the next start_server empties it, and with it a sanitizer's report.
rc=$?
[ "$rc" = 0 ] || fail "sondeod's exit status is $rc: $(tail -n 40 "$log")"
grep -q "sondeod: stopped" "$log" || fail "sondeod did not say it stopped: $(tail -n 3 "$log")"
# Its workers close their connections together; SQLite's WAL must still be folded back at the stop.
[ ! -e "$hq/server.db-wal" ] || fail "sondeod left server.db-wal ($(stat -c %s "$hq/server.db-wal") bytes) after it stopped"

# SQLite's own: a file another program can lock.
[ "${SONDEO_TEST_ENGINE:-sqlite}" = sqlite ] || done_testing

t "right after a restart, a store locked for a moment is waited for, not answered with 503"
start_server || fail "sondeod did not start again: $(cat "$log")"
# Another program holds the store in exclusive locking mode for about a second (as a sqlite3 shell can); the
# first request of a fresh worker opens the store while it is held.
rm -f "$TMPDIR/locked"
sqlite3 "$hq/server.db" >"$TMPDIR/lock.out" 2>&1 <<EOF &
PRAGMA locking_mode=EXCLUSIVE;
BEGIN IMMEDIATE;
UPDATE meta SET value = value WHERE key = 'kind';
.shell touch '$TMPDIR/locked'; sleep 1
COMMIT;
EOF
lockpid=$!
i=0
while [ $i -lt 100 ] && [ ! -f "$TMPDIR/locked" ]; do sleep 0.05; i=$((i + 1)); done
check_file_exists "$TMPDIR/locked"
run curl -sS -o /dev/null -w '%{http_code}' "$URL/healthz"
check_eq "$OUT" 200 "healthz while the store was locked"
wait "$lockpid"
check_eq "$?" 0 "the lock holder's exit status ($(cat "$TMPDIR/lock.out"))"
grep -q "busy" "$log" && fail "sondeod said the store is busy: $(grep busy "$log")"
kill -TERM "$PID"
wait "$PID"

done_testing
