#!/bin/sh
# review-sync.sh - what headquarters decides in the review page reaches the laptops: a review shows in
# `sondeo list` and `sondeo show`, a correction replaces the answer, and the history names the reviewer (and only
# for the server's own ops); a laptop store of layout 1 is brought up to date when opened.
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"
py_start   # one python3 for the whole script: lib.sh's py

# api METHOD PATH [BODY]: a request of the logged-in reviewer; sets OUT (the answer) and CODE (the status).
api() {
	if [ $# -ge 3 ]; then
		CODE=$(curl -s -o "$TMPDIR/answer" -w '%{http_code}' -b "$TMPDIR/jar" -c "$TMPDIR/jar" \
			-H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' -X "$1" -d "$3" "$URL$2")
	else
		CODE=$(curl -s -o "$TMPDIR/answer" -w '%{http_code}' -b "$TMPDIR/jar" "$URL$2")
	fi
	OUT=$(cat "$TMPDIR/answer")
}

# member NAME: the string member NAME of the JSON object in OUT.
member() {
	py -c 'import json, sys; print(json.loads(sys.argv[2])[sys.argv[1]])' "$1" "$OUT"
}

hq_init "$hq" >/dev/null
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
code=$("$SONDEOD" enrol-code --data "$hq" --region east --uses 2 | head -n 1)
for d in a b; do
	SONDEO_HOME=$TMPDIR/dev-$d "$SONDEO" init --name "$d" >/dev/null
	SONDEO_HOME=$TMPDIR/dev-$d "$SONDEO" enrol "$URL" "$code" >/dev/null
done
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" new --from "$TOP/forms/samples/partnerships.csv" >"$TMPDIR/ids"
rec=$(head -n 1 "$TMPDIR/ids")
other=$(sed -n 2p "$TMPDIR/ids")
short=$(printf %.8s "$rec")
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" sync >/dev/null
printf 'first-password-1\n' >"$TMPDIR/pw"
"$SONDEOD" users --data "$hq" add rita --role reviewer --password-file "$TMPDIR/pw" >/dev/null
curl -s -c "$TMPDIR/jar" -H 'Content-Type: application/json' -d '{"user":"rita","password":"first-password-1"}' \
	"$URL/v1/login" >"$TMPDIR/answer"
OUT=$(cat "$TMPDIR/answer")
csrf=$(member csrf)
api POST /v1/password '{"old":"first-password-1","new":"second-password-2"}'

t "a review made at headquarters shows on the laptop after its next sync"
api POST /v1/review "{\"record\":\"$rec\",\"status\":\"has_issues\",\"comment\":\"Check the country\\nand the date\"}"
check_eq "$CODE" 200 "status of the review"
api POST /v1/review "{\"record\":\"$other\",\"status\":\"approved\"}"
check_eq "$CODE" 200 "status of the approval"
dev a list
check_out_lacks "has issues"
dev a sync
check_rc 0
check_out_has "0 changes sent, 2 received"
dev a list
check_out_has "has issues: Check the country and the date"
check_out_has "approved"
dev a show "$short"
check_out_has "Review:  has issues: Check the country and the date"
dev a list --json
check_out_has '"status": "has_issues"'
check_out_has '"comment": "Check the country\nand the date"'

t "a correction at headquarters replaces the answer, and the history names the reviewer"
api POST /v1/resolve "{\"record\":\"$rec\",\"field\":\"country\",\"value\":\"UGA\"}"
check_eq "$CODE" 200 "status of the correction"
dev a sync
dev a show "$short" --json --history
check_out_has '"country": "UGA"'
check_out_has '"by": "rita"'
dev a show "$short" --history
check_out_has "reviewer rita"
check_out_has "Kenya (KEN) -> Uganda (UGA)"
check_out_has "(none) -> has issues: Check the country and the date"
# The device's own ops name no reviewer.
check_out_has "device $(sqlite3 "$TMPDIR/dev-a/store.db" "SELECT substr(value, 1, 8) FROM meta WHERE key = 'device'")"
check_eq "$(sqlite3 "$TMPDIR/dev-a/store.db" "SELECT count(*) FROM op_authors")" 3 "ops with a reviewer on the laptop"

t "the other laptop of the region receives the same reviews and correction"
dev b sync
check_rc 0
dev b show "$short" --json
check_out_has '"country": "UGA"'
check_out_has '"status": "has_issues"'
check_eq "$(sqlite3 "$TMPDIR/dev-b/store.db" "SELECT count(*) FROM op_authors WHERE user = 'rita'")" 3 \
	"ops with a reviewer on the other laptop"

t "a laptop's edit after the review syncs up and keeps the review"
dev a edit "$short" --set country=KEN
check_rc 0
dev a sync
check_rc 0
api GET "/v1/record?id=$rec"
check_eq "$CODE" 200 "status of the record"
check_out_has '"status":"has_issues"'
check_out_has '"new":"KEN"'

t "a store of layout 1 opens after an upgrade in place, keeping everything"
cp -r "$TMPDIR/dev-b" "$TMPDIR/dev-old"
# Layout 1 kept a row for every head of every field, where a single one is now the op its field shows.
heads_before=$(sqlite3 "$TMPDIR/dev-old/store.db" "SELECT rid, field, op FROM heads ORDER BY 1, 2, 3")
sqlite3 "$TMPDIR/dev-old/store.db" "DROP TABLE op_authors; CREATE TABLE old_heads AS SELECT * FROM heads;
	DROP VIEW heads; DROP TABLE multi_heads; ALTER TABLE old_heads RENAME TO heads;
	UPDATE meta SET value = '1' WHERE key = 'schema'"
dev old list
check_rc 0
check_out_has "has issues: Check the country"
check_eq "$(sqlite3 "$TMPDIR/dev-old/store.db" "SELECT value FROM meta WHERE key = 'schema'")" 5 "layout after opening"
check_eq "$(sqlite3 "$TMPDIR/dev-old/store.db" "SELECT count(*) FROM op_authors")" 0 "reviewers known after upgrade"
check_eq "$(sqlite3 "$TMPDIR/dev-old/store.db" "SELECT rid, field, op FROM heads ORDER BY 1, 2, 3")" "$heads_before" \
	"heads after upgrade"
check_eq "$(sqlite3 "$TMPDIR/dev-old/store.db" "SELECT count(*) FROM multi_heads")" \
	"$(sqlite3 "$TMPDIR/dev-old/store.db" "SELECT count(*) FROM heads h WHERE (SELECT count(*) FROM heads g
		WHERE g.rid = h.rid AND g.field = h.field) > 1")" "heads kept in rows: those of fields with several"
sqlite3 "$TMPDIR/dev-old/store.db" "UPDATE meta SET value = '7' WHERE key = 'schema'"
dev old list
check_rc 1
check_err_has "has layout 7; this sondeo reads layout 5"

done_testing
