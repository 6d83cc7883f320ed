#!/bin/sh
# review-conflict.sh - a review that is itself in conflict, across the tiers: headquarters approves a record of
# a regional office's region while the office, before it has pulled that, says it has issues. After both
# sync the record's review has two heads everywhere: the review API shows both with their reviewers, the
# laptop's show prints a conflict block and its resolve refuses (a device never writes a review); a reviewer
# at headquarters settles it with one new review whose base names both, and every tier then holds one.
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
north=$TMPDIR/north
log=$TMPDIR/hq.log
. "$TOP/tests/cli/server.inc"
py_start   # one python3 for the whole script: lib.sh's py

dev() {
	SONDEO_HOME=$TMPDIR/dev-n1 run "$SONDEO" "$@"
}

# jq_py FILE EXPR : EXPR (Python, over j, the JSON document in FILE) printed.
jq_py() {
	py -c 'import json, sys; j = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# resolve URL JAR CSRF VALUE : posts a resolution of $rec's _review to VALUE (JSON); prints the HTTP status.
resolve() {
	curl -s -o "$TMPDIR/answer" -w '%{http_code}' -b "$2" -H "X-CSRF-Token: $3" -H 'Content-Type: application/json' \
		-d "{\"record\":\"$rec\",\"field\":\"_review\",\"value\":$4}" "$1/v1/resolve"
}

# review_heads URL JAR : the heads of $rec's _review at URL, one "status comment by" line each, sorted.
review_heads() {
	curl -s -o "$TMPDIR/rec.json" -b "$2" "$1/v1/record?id=$rec"
	py -c 'import json, sys
j = json.load(open(sys.argv[1]))
for f in j["fields"]:
    if f["name"] == "_review":
        hs = f["heads"] if f["conflict"] else [{"value": f["value"], "by": "-"}]
        for h in sorted(hs, key=lambda h: h["value"]["status"]):
            print(h["value"]["status"], h["value"]["comment"], h.get("by"))' "$TMPDIR/rec.json"
}

hq_init "$hq" >/dev/null
serve_any "$hq" "$log" || { t "headquarters starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
HQ_URL=$SURL
hq_init "$north" >/dev/null
code=$("$SONDEOD" enrol-code --data "$hq" --region north --relay | head -n 1)
"$SONDEOD" enrol --data "$north" --name office-north "$HQ_URL" "$code" >/dev/null
# The office pulls rarely at first, so that its reviewer decides before it has seen headquarters' decision.
serve_low "$north" "$TMPDIR/north.log" --upstream "$HQ_URL" --pull-every 3600 --retry-max 1 ||
	fail "the office did not start: $(cat "$TMPDIR/north.log")"
NURL=$SURL NPID=$SPID
ncode=$("$SONDEOD" enrol-code --data "$north" | head -n 1)
SONDEO_HOME=$TMPDIR/dev-n1 "$SONDEO" init --name n1 >/dev/null
SONDEO_HOME=$TMPDIR/dev-n1 "$SONDEO" enrol "$NURL" "$ncode" >/dev/null || fail "the laptop did not enrol"

t "headquarters approves and the office says has issues, each before seeing the other"
SONDEO_HOME=$TMPDIR/dev-n1 "$SONDEO" new --set partner_name="Gulu District" --set stakeholder_type=local_government \
	--set country=UGA --set level=local --set thematic_areas=human_rights >"$TMPDIR/ids" 2>/dev/null
rec=$(head -n 1 "$TMPDIR/ids")
dev sync
check_rc 0
wait_eq "the record at headquarters" 1 20 q "$hq" "SELECT count(*) FROM records WHERE id = '$rec'"
login "$HQ_URL" "$hq" rita "$TMPDIR/jar"
HCSRF=$CSRF
login "$NURL" "$north" nadia "$TMPDIR/njar"
NCSRF=$CSRF
check_eq "$(review "$HQ_URL" "$TMPDIR/jar" "$HCSRF" "$rec" approved "Fine")" 200 "headquarters' review"
check_eq "$(review "$NURL" "$TMPDIR/njar" "$NCSRF" "$rec" has_issues "Which ministry?")" 200 "the office's review"
wait_eq "the relay queue" 0 20 q "$north" "SELECT count(*) FROM relay_queue"

t "headquarters' review API shows both reviews with their reviewers, and counts the record as a conflict"
wait_eq "the review heads at headquarters" "approved Fine rita
has_issues Which ministry? nadia" 10 review_heads "$HQ_URL" "$TMPDIR/jar"
curl -s -o "$TMPDIR/list.json" -b "$TMPDIR/jar" "$HQ_URL/v1/records?conflicts=1"
check_eq "$(jq_py "$TMPDIR/list.json" 'j["total"]')" 1 "records in conflict at headquarters"
check_eq "$(jq_py "$TMPDIR/list.json" '[r.get("review_conflict") for r in j["records"]]')" "[True]" \
	"the records list flags the review in conflict"

t "POST /v1/resolve of _review is refused, pointing to POST /v1/review, and changes nothing"
before=$(q "$hq" "SELECT count(*) FROM ops")
check_eq "$(resolve "$HQ_URL" "$TMPDIR/jar" "$HCSRF" '{"status":"approved","comment":"Fine"}')" 400 "resolving the review"
check_eq "$(jq_py "$TMPDIR/answer" 'j["error"]')" use_review "the error code"
check_eq "$(jq_py "$TMPDIR/answer" 'j["message"]')" \
	"a review is set with POST /v1/review (status and comment), which also settles a review in conflict" "the message"
check_eq "$(resolve "$HQ_URL" "$TMPDIR/jar" "$HCSRF" '"approved"')" 400 "resolving the review with a bare status"
check_eq "$(jq_py "$TMPDIR/answer" 'j["error"]')" use_review "the error code for a bare status"
check_eq "$(q "$hq" "SELECT count(*) FROM ops")" "$before" "ops at headquarters"
check_eq "$(review_heads "$HQ_URL" "$TMPDIR/jar")" "approved Fine rita
has_issues Which ministry? nadia" "the review heads after the refused resolve"

t "once the office has pulled, it shows both too; the laptop's show prints a conflict block"
kill "$NPID"
wait "$NPID" 2>/dev/null
serve_on "$north" "$TMPDIR/north2.log" "${NURL##*:}" --upstream "$HQ_URL" --pull-every 1 --retry-max 1 ||
	fail "the office did not start again: $(cat "$TMPDIR/north2.log")"
wait_eq "the review heads at the office" "approved Fine rita
has_issues Which ministry? nadia" 20 review_heads "$NURL" "$TMPDIR/njar"
dev sync
check_rc 0
dev list
check_out_has "conflict"
dev show "$(printf %.8s "$rec")"
check_rc 0
check_out_has "CONFLICT: reviewed differently"
check_out_has "- approved: Fine   (by rita, "
check_out_has "- has issues: Which ministry?   (by nadia, "
dev show "$(printf %.8s "$rec")" --json
check_out_has '"_review": ['
check_out_has '"by": "nadia"'

t "the laptop's resolve of the review shows both, names who settles it, and changes nothing"
before=$(sqlite3 "$TMPDIR/dev-n1/store.db" "SELECT count(*) FROM ops")
dev resolve "$(printf %.8s "$rec")" _review approved
check_rc 1
check_out_has "- approved: Fine   (by rita, "
check_out_has "- has issues: Which ministry?   (by nadia, "
check_err_has "a review conflict is settled by a reviewer, on the review page at headquarters or at the regional office"
check_eq "$(sqlite3 "$TMPDIR/dev-n1/store.db" "SELECT count(*) FROM ops")" "$before" "ops on the laptop"

t "a reviewer at headquarters settles it; after sync every tier holds one review"
check_eq "$(review "$HQ_URL" "$TMPDIR/jar" "$HCSRF" "$rec" has_issues "Which ministry exactly?")" 200 "the settling review"
check_eq "$(review_heads "$HQ_URL" "$TMPDIR/jar")" "has_issues Which ministry exactly? -" "the review at headquarters"
curl -s -o "$TMPDIR/list.json" -b "$TMPDIR/jar" "$HQ_URL/v1/records"
check_eq "$(jq_py "$TMPDIR/list.json" '[(r["review"], r.get("review_conflict")) for r in j["records"]]')" \
	"[('has_issues', False)]" "the records list after the settling review"
wait_eq "the review at the office" "has_issues Which ministry exactly? -" 20 review_heads "$NURL" "$TMPDIR/njar"
dev sync
check_rc 0
dev show "$(printf %.8s "$rec")"
check_out_lacks "CONFLICT"
check_out_has "Review:  has issues: Which ministry exactly?"

t "sondeod status at headquarters counts the laptop's ops the office forwarded on the office"
run "$SONDEOD" status --data "$hq" --json
check_rc 0
check_out_lacks '"ops": 0,'
printf '%s\n' "$OUT" >"$TMPDIR/status.json"
check_eq "$(jq_py "$TMPDIR/status.json" 'j["relays"][0]["ops"] >= 6')" True "the office's ops"

done_testing
