#!/bin/sh
# browser.sh - the review page in headless Chromium against a real sondeod on loopback: three laptops in two
# regions send the sample records and make a conflict, a regional office's laptop sends one record (whose review
# review.mjs puts in conflict), accounts of each role are made with `sondeod users add`,
# then tests/browser/review.mjs logs in, reads the dashboard, filters, searches, opens records, resolves,
# reviews, bulk-reviews, exports and manages devices and users, comparing the page with the API, and walks every
# page in French, in Spanish and in the test build's pseudo-language (qps), whose catalogs GET /i18n serves.
# With SONDEO_SCREENSHOTS (make screenshots), a screenshot of every page goes to the folder it names (NN-fr-*.png,
# NN-es-*.png and NN-qps-*.png for the languages).
# Run on both engines (tests/cli/server.inc): headquarters and the office keep their stores in PostgreSQL in the
# second run.
# engines: sqlite postgresql
#
# Needs Debian's chromium-headless-shell and qrencode (installed when missing, as root), Node.js 18 or later
# (Debian 12's own nodejs is 18), and playwright-core from tests/browser/package-lock.json (npm ci into tests/browser/node_modules
# when it is not there), pinned to the last release whose engines accept Node.js 18.
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"
py_start   # one python3 for the whole script: lib.sh's py

. "$TOP/tests/cli/browser.inc"
qr=""
command -v qrencode >/dev/null 2>&1 || qr=qrencode   # the enrolment codes' QR codes are checked against it
browser_deps $qr

t "setup: a server, three laptops in two regions with the sample records and a conflict, one account of each role"
hq_init "$hq" >/dev/null 2>&1 || fail "sondeod init failed"
start_server || { fail "sondeod did not start: $(cat "$log")"; done_testing; }
east=$("$SONDEOD" enrol-code --data "$hq" --region east --uses 2 | head -n 1)
west=$("$SONDEOD" enrol-code --data "$hq" --region west | head -n 1)
for d in a b c; do
	dev "$d" init --name "laptop-$d"
done
dev a enrol "$URL" "$east"
dev b enrol "$URL" "$east"
dev c enrol "$URL" "$west"
dev a new --from "$TOP/forms/samples/partnerships.csv"
rec=$(head -n 1 "$TMPDIR/dev.out")
dev c new --from "$TOP/forms/samples/partnerships.csv"
dev a sync
dev b sync
dev c sync
dev a edit "$rec" --set country=UGA
dev b edit "$rec" --set country=TZA
dev a sync
dev b sync
# A form with nested groups, from an XLSForm workbook, and one record of it.
printf '%s' '{"survey": [["type", "name", "label", "relevant"], ["select_one yn", "works", "Does it work?"],
	["begin group", "details", "Details", "${works} = '"'"'yes'"'"'"], ["integer", "staff", "Staff"],
	["begin group", "more", "More", "${staff} > 10"], ["text", "why", "Why so many?"], ["end group"], ["end group"],
	["text", "after", "After"]], "choices": [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]}' \
	>"$TMPDIR/groups.json"
py "$TOP/tests/mkxlsx.py" "$TMPDIR/groups.xlsx" "$TMPDIR/groups.json" || fail "mkxlsx failed"
"$SONDEOD" forms --data "$hq" publish "$TMPDIR/groups.xlsx" >/dev/null || fail "the grouped form was not published"
dev a sync
dev a new groups --set works=yes --set staff=12 --set why=growth --set after=later
grouped=$(head -n 1 "$TMPDIR/dev.out")
# A form with a repeat: one household and two members, each a record of its own.
printf '%s' '{"survey": [["type", "name", "label"], ["text", "hh", "Household"], ["begin repeat", "member", "Member"],
	["text", "mname", "Name of a member of ${hh}"], ["end repeat"]], "settings": [["form_id"], ["household"]]}' >"$TMPDIR/hh.json"
py "$TOP/tests/mkxlsx.py" "$TMPDIR/household.xlsx" "$TMPDIR/hh.json" || fail "mkxlsx failed"
"$SONDEOD" forms --data "$hq" publish "$TMPDIR/household.xlsx" >/dev/null || fail "the household form was not published"
dev a sync
dev a new household --set hh=Okello
household=$(head -n 1 "$TMPDIR/dev.out")
dev a new --parent "$household" --repeat member --set mname=Ana
member=$(head -n 1 "$TMPDIR/dev.out")
dev a new --parent "$household" --repeat member --set mname=Ben
# A form with an OpenStreetMap question, and one record of it.
printf '%s' '{"survey": [["type", "name", "label"], ["text", "site", "Site"], ["osm bt", "bldg", "Building at ${site}"]], "osm": [["list_name", "name",
	"label"], ["bt", "building", "Kind"], ["bt", "name", "Name"]], "settings": [["form_id"], ["sites"]]}' >"$TMPDIR/sites.json"
py "$TOP/tests/mkxlsx.py" "$TMPDIR/sites.xlsx" "$TMPDIR/sites.json" || fail "mkxlsx failed"
"$SONDEOD" forms --data "$hq" publish "$TMPDIR/sites.xlsx" >/dev/null || fail "the sites form was not published"
dev a sync
dev a new sites --set site=Mombasa --set "bldg=way/4242; name=Clinic"
site=$(head -n 1 "$TMPDIR/dev.out")
dev a sync
# Attachments: a record with a photo, a recording and a memorandum the server holds, and one whose file has not
# reached it yet (laptop A is made to believe it sent it).
printf '%s' '{"id": "files", "version": "1", "title": "Files", "questions": [
 {"name": "site", "type": "text", "label": "Site"}, {"name": "photo", "type": "image", "label": "Photo"},
 {"name": "rec", "type": "audio", "label": "Recording"}, {"name": "mou", "type": "file", "label": "Memorandum"}]}' \
	>"$TMPDIR/files.json"
"$SONDEOD" forms --data "$hq" publish "$TMPDIR/files.json" >/dev/null || fail "the files form was not published"
tail -c +2 "$TOP/tests/fuzz/corpus/client/image-png-rgba" >"$TMPDIR/meeting.png"
printf 'OggS\0\002%020d\001vorbis%0100d' 0 0 >"$TMPDIR/voice.ogg"
printf '%%PDF-1.4\nminutes of the meeting\n' >"$TMPDIR/mou.pdf"
printf '%%PDF-1.4\nnot sent yet\n' >"$TMPDIR/later.pdf"
dev a sync
dev a new files --set site=Kisumu --set photo=@"$TMPDIR/meeting.png" --set rec=@"$TMPDIR/voice.ogg" --set mou=@"$TMPDIR/mou.pdf"
filesrec=$(head -n 1 "$TMPDIR/dev.out")
dev a new files --set site=Later --set mou=@"$TMPDIR/later.pdf"
pendingrec=$(head -n 1 "$TMPDIR/dev.out")
sqlite3 "$TMPDIR/dev-a/store.db" "INSERT INTO media_sent VALUES('', '$(b2sum -l 256 "$TMPDIR/later.pdf" | cut -c1-64)')"
dev a sync
# A regional office (region south, pulling rarely so that its reviewer decides before it sees headquarters'
# review) with a laptop of its own and one record, which review.mjs reviews at both servers to put the review in
# conflict. Its reviewer's account is at the office.
south=$TMPDIR/south
hq_init "$south" >/dev/null 2>&1 || fail "sondeod init of the office failed"
rcode=$("$SONDEOD" enrol-code --data "$hq" --region south --relay | head -n 1)
"$SONDEOD" enrol --data "$south" --name office-south "$URL" "$rcode" >/dev/null || fail "the office did not enrol"
serve_any "$south" "$TMPDIR/south.log" --upstream "$URL" --pull-every 3600 --retry-max 1 ||
	fail "the office did not start: $(cat "$TMPDIR/south.log")"
OFFICE_URL=$SURL
dcode=$("$SONDEOD" enrol-code --data "$south" | head -n 1)
dev d init --name laptop-d
dev d enrol "$OFFICE_URL" "$dcode"
dev d new --set partner_name="Gulu District" --set stakeholder_type=local_government --set country=UGA \
	--set level=local --set thematic_areas=human_rights
southrec=$(head -n 1 "$TMPDIR/dev.out")
dev d sync
i=0
while [ "$(q "$hq" "SELECT count(*) FROM records WHERE id = '$southrec'")" != 1 ] && [ $i -lt 100 ]; do
	sleep 0.2
	i=$((i + 1))
done
[ $i -lt 100 ] || fail "the office's record did not reach headquarters"
printf 'first-nadia-password\n' >"$TMPDIR/pw-nadia"
"$SONDEOD" users --data "$south" add nadia --role reviewer --password-file "$TMPDIR/pw-nadia" >/dev/null ||
	fail "the office's reviewer was not added"
for who in admin:amina reviewer:rita viewer:victor; do
	role=${who%%:*}
	name=${who#*:}
	printf 'first-%s-password\n' "$name" >"$TMPDIR/pw-$name"
	run "$SONDEOD" users --data "$hq" add "$name" --role "$role" --password-file "$TMPDIR/pw-$name"
	check_rc 0
done
cat >"$TMPDIR/setup.json" <<EOF
{
  "url": "$URL",
  "top": "$TOP",
  "sondeo": "$SONDEO",
  "conflict": "$rec",
  "grouped": "$grouped",
  "household": "$household",
  "member": "$member",
  "site": "$site",
  "files": "$filesrec",
  "pending": "$pendingrec",
  "review_conflict": "$southrec",
  "office": {"url": "$OFFICE_URL", "name": "nadia", "password": "first-nadia-password"},
  "users": {
    "admin": {"name": "amina", "password": "first-amina-password"},
    "reviewer": {"name": "rita", "password": "first-rita-password"},
    "viewer": {"name": "victor", "password": "first-victor-password"}
  }
}
EOF
ok

t "sondeod serves every file of web/ byte for byte, with its type, no-cache and the security headers"
csp="default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
for f in "$TOP"/web/* /; do
	[ -d "$f" ] && continue   # web/field/ is sondeo's page (web.sh)
	if [ "$f" = / ]; then
		path=/
		f=$TOP/web/index.html
	else
		path=/${f##*/}
	fi
	curl -s -D "$TMPDIR/head" -o "$TMPDIR/body" "$URL$path" || fail "GET $path failed"
	tr -d '\r' <"$TMPDIR/head" >"$TMPDIR/head.txt"
	grep -q '^HTTP/1.1 200' "$TMPDIR/head.txt" || fail "GET $path: $(head -n 1 "$TMPDIR/head.txt")"
	cmp -s "$f" "$TMPDIR/body" || fail "GET $path is not $f as it is now (is it in WEB_ASSETS in the Makefile?)"
	for h in "Content-Security-Policy: $csp" "Cache-Control: no-cache" "X-Frame-Options: DENY" \
		"Referrer-Policy: no-referrer" "X-Content-Type-Options: nosniff"; do
		grep -qixF "$h" "$TMPDIR/head.txt" || fail "GET $path lacks the header '$h'"
	done
	case $path in
	/ | /index.html) type="text/html; charset=utf-8" ;;
	*.js) type="text/javascript; charset=utf-8" ;;
	*.css) type="text/css; charset=utf-8" ;;
	*.svg) type="image/svg+xml" ;;
	*) type="?" ;;
	esac
	grep -qixF "Content-Type: $type" "$TMPDIR/head.txt" || fail "GET $path: $(grep -i '^content-type' "$TMPDIR/head.txt")"
done
check_eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/server.db")" 404 "GET /server.db"
check_eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/web/app.js")" 404 "GET /web/app.js"
check_eq "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$URL/")" 405 "POST /"
ok

t "GET /i18n lists the page's languages; GET /i18n?lang=LANG gives one's messages, kept and cacheable, as the files are"
check_eq "$(curl -s "$URL/i18n")" '["en","es","fr","qps"]' "GET /i18n in the test build"
curl -s -D "$TMPDIR/head" -o "$TMPDIR/body" "$URL/i18n?lang=qps" || fail "GET /i18n?lang=qps failed"
tr -d '\r' <"$TMPDIR/head" >"$TMPDIR/head.txt"
grep -q '^HTTP/1.1 200' "$TMPDIR/head.txt" || fail "GET /i18n?lang=qps: $(head -n 1 "$TMPDIR/head.txt")"
for h in "Content-Security-Policy: $csp" "Cache-Control: no-cache" "X-Frame-Options: DENY" "Referrer-Policy: no-referrer" \
	"X-Content-Type-Options: nosniff" "Content-Type: application/json"; do
	grep -qixF "$h" "$TMPDIR/head.txt" || fail "GET /i18n?lang=qps lacks the header '$h'"
done
# Its messages: those of web/ only, a plural one as its forms, one with a context under "context\004msgid".
run py -c '
import json, sys
c = json.load(open(sys.argv[1]))
m = c["messages"]
print(c["lang"], c["nplurals"], c["plural"])
print(m["Dashboard"], m["review status\u0004Approved"], " | ".join(m["{count} record"]))
print("usage" in " ".join(m).lower(), len(m) > 200)' "$TMPDIR/body"
check_rc 0
check_eq "$OUT" "qps 2 (n != 1)
⟦Dáshbóárd⟧ ⟦Áppróvéd⟧ ⟦{count} réçórd⟧ | ⟦{count} réçórds⟧
False True" "the pseudo-language's catalog for the page"
etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: //p' "$TMPDIR/head.txt")
check_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$URL/i18n?lang=qps")" 304 "GET /i18n?lang=qps again"
check_eq "$(curl -s "$URL/i18n?lang=en")" '{"lang":"en","nplurals":2,"plural":"n != 1","messages":{}}' "GET /i18n?lang=en"
curl -s -o "$TMPDIR/body" "$URL/i18n?lang=fr_FR.UTF-8"
check_eq "$(py -c 'import json, sys; print(json.load(open(sys.argv[1]))["lang"])' "$TMPDIR/body")" fr "GET /i18n?lang=fr_FR.UTF-8"
check_eq "$(curl -s -o "$TMPDIR/body" -w '%{http_code}' "$URL/i18n?lang=de")" 404 "GET /i18n?lang=de"
check_eq "$(cat "$TMPDIR/body")" '{"error":"unknown_language","message":"there is no catalog for the language '"'de'"'"}' \
	"GET /i18n?lang=de's answer"
check_eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/i18n/fr")" 404 "GET /i18n/fr"
ok

# review.mjs prints its own "ok N - ..." lines; its last line says how many passed.
(cd "$TOP/tests/browser" && exec node review.mjs "$TMPDIR/setup.json") >"$TMPDIR/browser.out" 2>&1
brc=$?
cat "$TMPDIR/browser.out"

t "review.mjs runs to its end"
tail -n 1 "$TMPDIR/browser.out" | grep -Eq '^# [0-9]+ passed, [0-9]+ failed$' ||
	fail "review.mjs stopped early (exit status $brc)"

t "sondeod served the whole session without a sanitizer report, and stops cleanly"
kill -TERM "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
for l in "$log" "$TMPDIR/south.log"; do
	grep -Eq 'ERROR: [A-Za-z]+Sanitizer|runtime error: ' "$l" &&
		fail "sanitizer report in the server's log $l: $(grep -m 3 -E 'Sanitizer|runtime error' "$l")"
done
grep -q "sondeod: stopped" "$log" || fail "sondeod did not say it stopped: $(tail -n 3 "$log")"
done_testing
