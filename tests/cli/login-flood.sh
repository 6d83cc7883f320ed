#!/bin/sh
# login-flood.sh - a flood of logins (each an Argon2id hash) from 16 addresses while a device syncs: the sync
# keeps close to its idle latency, since hashes run on a small pool of their own, and every login is answered.
# Run on both engines (tests/cli/server.inc): on PostgreSQL the logins' throttling is counted in the database.
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"

# How much slower a sync may be under the flood than idle (medians of three, measured here).
FACTOR=4

hq_init "$hq" >/dev/null || { t "sondeod init"; fail "sondeod init failed"; done_testing; }
serve_any "$hq" "$log" || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
code=$("$SONDEOD" enrol-code --data "$hq" --region east | head -n 1)
export SONDEO_HOME="$TMPDIR/dev"
"$SONDEO" init --name flooded >/dev/null
"$SONDEO" enrol "$SURL" "$code" >/dev/null
printf 'flood-password-1\n' >"$TMPDIR/pw"
"$SONDEOD" users --data "$hq" add flood --role viewer --password-file "$TMPDIR/pw" >/dev/null
# A login costs what its stored hash says. The test build stores hashes at libsodium's minimum cost
# (server/sstore-int.h), so the flood's user gets the hash of its password at the cost a release build stores:
# interactive limits, 64 MiB and two passes, as in the field.
q "$hq" "UPDATE users SET pwhash = '\$argon2id\$v=19\$m=65536,t=2,p=1\$yNHzlCrMijeIAFya8nxS9g\$vqVpDOeZQNFPswb/rL5s3m50bZEP4RE1anOip8fw5nA' WHERE name = 'flood'"

# sync_ms : makes a record and syncs it; prints the milliseconds the sync took, or "failed".
n=0
sync_ms() {
	n=$((n + 1))
	"$SONDEO" new --set partner_name="Partner $n" --set stakeholder_type=media --set country=KEN --set level=local \
		--set thematic_areas=human_rights >/dev/null
	t0=$(date +%s%N)
	"$SONDEO" sync >"$TMPDIR/sync.out" 2>&1 || { echo failed; return; }
	echo $((($(date +%s%N) - t0) / 1000000))
}

median3() {
	printf '%s\n' "$@" | sort -n | sed -n 2p
}

# flood I : logins from 127.0.0.I, six at once, until $TMPDIR/stop appears (at most 30 rounds); one status a
# line in $TMPDIR/flood.I.
flood() {
	r=0
	while [ ! -f "$TMPDIR/stop" ] && [ $r -lt 30 ]; do
		curl -s --no-progress-meter --interface "127.0.0.$1" --max-time 60 --parallel --parallel-max 6 -w '%{http_code}\n' \
			-H 'Content-Type: application/json' -d '{"user":"flood","password":"flood-password-1"}' \
			-o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null -o /dev/null \
			"$SURL/v1/login" "$SURL/v1/login" "$SURL/v1/login" "$SURL/v1/login" "$SURL/v1/login" "$SURL/v1/login"
		r=$((r + 1))
	done >"$TMPDIR/flood.$1"
}

t "under a login flood from 16 addresses, a device's sync stays within $FACTOR times its idle latency"
idle=$(median3 "$(sync_ms)" "$(sync_ms)" "$(sync_ms)")
pids=""
for i in 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17; do
	flood "$i" &
	pids="$pids $!"
done
at_exit "touch '$TMPDIR/stop'; kill $pids 2>/dev/null"
# The flood is on once the server is hashing.
wait_eq "logins answered" yes 20 sh -c "grep -q 'POST /v1/login 200' '$log' && echo yes"
busy=$(median3 "$(sync_ms)" "$(sync_ms)" "$(sync_ms)")
touch "$TMPDIR/stop"
wait $pids
case "$idle $busy" in
*failed*) fail "a sync failed (idle $idle ms, under the flood $busy ms): $(cat "$TMPDIR/sync.out")" ;;
*) [ "$busy" -le $((FACTOR * idle)) ] || fail "sync took $busy ms under the flood, $idle ms idle" ;;
esac
echo "# sync: $idle ms idle, $busy ms under the flood"

t "every login of the flood was answered: 200, 401, 429 or 503, never a hang"
cat "$TMPDIR"/flood.* >"$TMPDIR/statuses"
[ -s "$TMPDIR/statuses" ] || fail "no login was answered"
bad=$(grep -cv '^\(200\|401\|429\|503\)$' "$TMPDIR/statuses")
check_eq "$bad" 0 "logins answered otherwise ($(sort "$TMPDIR/statuses" | uniq -c | tr '\n' ' '))"
echo "# logins: $(sort "$TMPDIR/statuses" | uniq -c | tr '\n' ' ')"

done_testing
