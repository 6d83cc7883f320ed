#!/bin/sh
# web-browser.sh - sondeo web's field page in headless Chromium, against a real sondeod on loopback: two laptops
# enrolled in one region share the sample records and put one in conflict (both change the same answer after a
# sync, then both sync), the server publishes a form from an XLSForm workbook (a field-list group, a choice_filter,
# a calculation shown in a note, a repeat) and a form of attachments, and `sondeo web --no-open` serves laptop A.
# Then tests/browser/field.mjs fills, resumes, finalizes, resolves, syncs, deletes and undoes as a person would with
# the keyboard, picks files, signs, takes a photo and records with Chromium's fake camera and microphone, comparing
# the page with `sondeo show --json` and the stores, runs axe-core on each kind of screen, and walks the page
# in French, Spanish and the test build's pseudo-language (qps). With SONDEO_SCREENSHOTS (make screenshots),
# screenshots of every screen, at 1366x768 and 390x844, go to the folder it names (field-NN-*.png: review.mjs's
# NN-*.png are left alone).
# Run on both engines (tests/cli/server.inc): the server the laptops sync with keeps its store in PostgreSQL in the
# second run.
# engines: sqlite postgresql
#
# Needs what browser.sh needs (Debian's chromium-headless-shell, Node.js 18 or later and npm), and playwright-core
# and axe-core from tests/browser/package-lock.json (npm ci into tests/browser/node_modules when one is missing or
# another version), each pinned to a release whose engines accept Node.js 18.
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"
py_start   # one python3 for the whole script: lib.sh's py
. "$TOP/tests/cli/web.inc"

. "$TOP/tests/cli/browser.inc"
browser_deps

t "setup: a server, two laptops of one region with the sample records and one in conflict, a form from a workbook"
hq_init "$hq" >/dev/null 2>&1 || fail "sondeod init failed"
start_server || { fail "sondeod did not start: $(cat "$log")"; done_testing; }
code=$("$SONDEOD" enrol-code --data "$hq" --region east --uses 2 | head -n 1)
for d in a b; do
	dev "$d" init --name "laptop-$d"
	dev "$d" enrol "$URL" "$code"
done
# A household visit: a field-list group whose city is filtered by its country, a calculation shown in a note, a
# repeat of visits.
printf '%s' '{"survey": [["type", "name", "label", "appearance", "choice_filter", "calculation", "required"],
	["text", "site", "Site name", null, null, null, "yes"],
	["begin group", "place", "Place", "field-list"],
	["select_one countries", "country", "Country", null, null, null, "yes"],
	["select_one cities", "city", "City", null, "country=${country}", null, "yes"],
	["end group"],
	["integer", "adults", "Adults", null, null, null, "yes"],
	["integer", "children", "Children", null, null, null, "yes"],
	["calculate", "total", null, null, null, "${adults} + ${children}"],
	["note", "total_note", "People in the household: ${total}"],
	["begin repeat", "visit", "Visit"],
	["text", "visitor", "Who visited?", null, null, null, "yes"],
	["select_one yn", "useful", "Was it useful?"],
	["end repeat"],
	["text", "remarks", "Remarks", "multiline"]],
 "choices": [["list_name", "name", "label", "country"],
	["countries", "ke", "Kenya"], ["countries", "ug", "Uganda"],
	["cities", "nairobi", "Nairobi", "ke"], ["cities", "mombasa", "Mombasa", "ke"],
	["cities", "kampala", "Kampala", "ug"], ["cities", "gulu", "Gulu", "ug"],
	["yn", "yes", "Yes"], ["yn", "no", "No"]],
 "settings": [["form_id", "form_title"], ["visit", "Household visit"]]}' >"$TMPDIR/visit.json"
py "$TOP/tests/mkxlsx.py" "$TMPDIR/visit.xlsx" "$TMPDIR/visit.json" || fail "mkxlsx failed"
"$SONDEOD" forms --data "$hq" publish "$TMPDIR/visit.xlsx" >/dev/null || fail "the visit form was not published"
# Attachments: a photo scaled to 64 pixels, a signature, a memorandum, a recording.
printf '%s' '{"id": "files", "version": "1", "title": "Files", "questions": [
 {"name": "photo", "type": "image", "label": "Photo of the meeting", "max_pixels": 64},
 {"name": "sig", "type": "image", "label": "Signature of the partner", "appearance": "signature"},
 {"name": "mou", "type": "file", "label": "Memorandum", "accept": [".pdf", "application/pdf"]},
 {"name": "voice", "type": "audio", "label": "Recording of the meeting"}]}' >"$TMPDIR/files.json"
"$SONDEOD" forms --data "$hq" publish "$TMPDIR/files.json" >/dev/null || fail "the files form was not published"
dev a new --from "$TOP/forms/samples/partnerships.csv"
rec=$(sed -n 1p "$TMPDIR/dev.out")
victim=$(sed -n 2p "$TMPDIR/dev.out")
dev a sync
dev b sync
# Both change the same answer after a sync; B's change reaches A at A's next sync: A holds both values.
dev a edit "$rec" --set country=UGA
dev b edit "$rec" --set country=TZA
dev b sync
dev a sync
dev a list --conflicts --json
check_eq "$(py -c 'import json, sys; print(" ".join(r["id"] for r in json.load(open(sys.argv[1]))))' "$TMPDIR/dev.out")" \
	"$rec" "laptop A's records in conflict"
dev a list --form visit --json
check_eq "$(cat "$TMPDIR/dev.out")" "[]" "laptop A's visits (the form came with the sync)"
ok

t "sondeo web --no-open serves laptop A's store on 127.0.0.1, printing the address with its key"
SONDEO_HOME=$TMPDIR/dev-a
export SONDEO_HOME
start_web "$TMPDIR/web.out" "$TMPDIR/web.err" ||
	{ fail "sondeo web did not start: $(cat "$TMPDIR/web.out" "$TMPDIR/web.err")"; done_testing; }
matches "$WURL" '^http://127\.0\.0\.1:[0-9]\{1,5\}/?key=[0-9a-f]\{64\}$' "the address printed"
cat >"$TMPDIR/setup.json" <<EOF
{
  "url": "$WURL",
  "top": "$TOP",
  "sondeo": "$SONDEO",
  "sondeod": "$SONDEOD",
  "hq": "$hq",
  "server": "$URL",
  "home_a": "$TMPDIR/dev-a",
  "home_b": "$TMPDIR/dev-b",
  "conflict": "$rec",
  "victim": "$victim"
}
EOF
ok

# field.mjs prints its own "ok N - ..." lines; its last line says how many passed. Bounded: a page that never
# draws what a test waits for fails that test after its own timeout, but a hung browser must not hold the suite.
(cd "$TOP/tests/browser" && exec timeout -k 5 300 node field.mjs "$TMPDIR/setup.json") >"$TMPDIR/browser.out" 2>&1
brc=$?
cat "$TMPDIR/browser.out"

t "field.mjs runs to its end"
tail -n 1 "$TMPDIR/browser.out" | grep -Eq '^# [0-9]+ passed, [0-9]+ failed$' ||
	fail "field.mjs stopped early (exit status $brc)"

t "Ctrl-C stops sondeo web: exit 0, its last line says every answer was saved, nothing on its stderr"
stop_web "$WPID" INT
check_eq "$WRC" 0 "sondeo web's exit status"
check_eq "$(tail -n 1 "$TMPDIR/web.out")" "Stopped. Every answer given was saved." "its last line"
check_eq "$(cat "$TMPDIR/web.err")" "" "sondeo web's stderr"

t "sondeod served the whole session without a sanitizer report, and stops cleanly"
kill -TERM "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
grep -Eq 'ERROR: [A-Za-z]+Sanitizer|runtime error: ' "$log" &&
	fail "sanitizer report in the server's log: $(grep -m 3 -E 'Sanitizer|runtime error' "$log")"
grep -q "sondeod: stopped" "$log" || fail "sondeod did not say it stopped: $(tail -n 3 "$log")"
done_testing
