#!/bin/sh
# web.sh - sondeo web end to end, with curl against the server it starts on loopback (client/web.h): the address it
# prints and its quiet terminal, the Host check against DNS rebinding, the key exchanged for a session cookie, the
# session on every /api route, the CSRF token and the origin checks on every change (each refusal checked to have
# changed nothing in the store), no CORS, the page's files and their headers, the catalogs, a whole record of the
# built-in partnership form answered, refused, made relevant, finalized and edited as the page does it, the store
# shared with the terminal's commands while the server runs, a repeat's instances, where a draft was left, the body
# limits, --listen, and the stops on SIGINT and SIGTERM.
. "$TOP/tests/cli/lib.sh"
py_start   # one python3 for the whole script: lib.sh's py

. "$TOP/tests/cli/web.inc"

# ------------------------------------------------------------------------------------------------ start and key

t "sondeo web prints its address, on 127.0.0.1 with a 64-hex key, and nothing on stderr"
new_store
run "$SONDEO" init --name field-laptop
check_rc 0
if ! start_web "$TMPDIR/web.out" "$TMPDIR/web.err"; then
	fail "sondeo web did not start: $(cat "$TMPDIR/web.out" "$TMPDIR/web.err")"
	done_testing
fi
matches "$WURL" '^http://127\.0\.0\.1:[0-9]\{1,5\}/?key=[0-9a-f]\{64\}$' "the address printed"
PORT=${WURL#http://127.0.0.1:}
PORT=${PORT%%/*}
KEY=${WURL##*key=}
BASE=http://127.0.0.1:$PORT
matches "$KEY" "$HEX64" "the key"
check_eq "$(wc -c <"$TMPDIR/web.err")" 0 "bytes on sondeo web's stderr"
[ -n "$PORT" ] && [ "$PORT" -gt 0 ] 2>/dev/null || { fail "no port in '$WURL'"; done_testing; }
WEB1=$WPID

t "a wrong key gets 403 and no cookie: another key of the same shape, the key cut short, no key"
for k in "$(other_hex "$KEY")" "$(printf '%.63s' "$KEY")" ""; do
	http "$BASE/?key=$k"
	expect 403 wrong_key
	check_eq "$(header Set-Cookie)" "" "Set-Cookie for the key '$k'"
done

t "the right key: 303 to / with the session cookie sondeo-PORT, HttpOnly and SameSite=Strict, kept out of caches"
http "$BASE/?key=$KEY"
expect 303
check_eq "$(header Location)" / "Location"
cookie=$(header Set-Cookie)
COOKIE=${cookie%%;*}
matches "$COOKIE" "^sondeo-$PORT=[0-9a-f]\{64\}\$" "the cookie"
attrs="; ${cookie#*; };"
case $attrs in *"; HttpOnly;"*) ;; *) fail "the cookie is not HttpOnly: $cookie" ;; esac
case $attrs in *"; SameSite=Strict;"*) ;; *) fail "the cookie is not SameSite=Strict: $cookie" ;; esac
case $attrs in *"; Path=/;"*) ;; *) fail "the cookie's Path is not /: $cookie" ;; esac
case $cookie in *[Dd]omain=*) fail "the cookie names a domain: $cookie" ;; esac
check_eq "$(header Cache-Control)" no-store "Cache-Control"
check_eq "$(header Referrer-Policy)" no-referrer "Referrer-Policy"
SID=${COOKIE#*=}
# A second browser: its own session, and its own CSRF token.
http "$BASE/?key=$KEY"
expect 303
cookie=$(header Set-Cookie)
COOKIE2=${cookie%%;*}
matches "$COOKIE2" "^sondeo-$PORT=[0-9a-f]\{64\}\$" "the second session's cookie"
[ "$COOKIE2" != "$COOKIE" ] || fail "two key exchanges gave the same session: $COOKIE"

t "GET /api/home: this device, the partnership form, the counts, and the session's 64-hex CSRF token"
get /api/home
expect 200
CSRF=$(js 'd["csrf"]')
matches "$CSRF" "$HEX64" "csrf"
check_eq "$(js 'd["device"]')" "$("$SONDEO" status --json | sed -n 's/^ *"device": "\(.*\)",$/\1/p')" "device"
check_eq "$(js 'd["name"]')" field-laptop "name"
check_eq "$(js '[f["id"] for f in d["forms"]]')" '["partnership"]' "forms"
check_eq "$(js 'd["counts"]')" '{"conflicts":0,"deleted":0,"drafts":0,"records":0}' "counts"
check_eq "$(js 'd["sync"]["server"]')" null "sync server"
check_eq "$(header Cache-Control)" no-store "Cache-Control"
http -H "Cookie: $COOKIE2" "$BASE/api/home"
expect 200
CSRF2=$(js 'd["csrf"]')
matches "$CSRF2" "$HEX64" "the second session's csrf"
[ "$CSRF2" != "$CSRF" ] || fail "two sessions share a CSRF token"
[ "$CSRF" != "$SID" ] && [ "$CSRF" != "$KEY" ] || fail "the CSRF token is the session id or the key"

# --------------------------------------------------------------------------------------------------- the guard

t "no session, no API: 401 without a cookie, with a made-up one, with the key, or under another port's name"
keep_state
for c in "" "sondeo-$PORT=$(other_hex "$SID")" "sondeo-$PORT=$KEY" "sondeo-$((PORT + 1))=$SID" "sondeo=$SID"; do
	for p in /api/home /api/records "/api/record?form=partnership"; do
		if [ -n "$c" ]; then
			http -H "Cookie: $c" "$BASE$p"
		else
			http "$BASE$p"
		fi
		expect 401 no_session
	done
	http -H "Cookie: $c" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' \
		--data-binary '{"form": "partnership", "question": "partner_name", "text": "No session"}' "$BASE/api/answer"
	expect 401 no_session
done
check_unchanged "requests without a session"

# Every route of the API, those added since this script was written too: read from sondeo web's table of routes.
routes=$(sed -n 's/^[[:space:]]*{ "\(GET\|POST\)", "\(\/api\/[^"]*\)".*/\1 \2/p' "$TOP/client/cmd-web.c")
t "every /api route of client/cmd-web.c: 421 for another Host, 401 without the session, 403 for a POST without the token"
[ "$(printf '%s\n' "$routes" | grep -c '^GET /api/home$')" = 1 ] &&
	[ "$(printf '%s\n' "$routes" | grep -c '^POST /api/answer$')" = 1 ] ||
	fail "the routes read from client/cmd-web.c lack /api/home or /api/answer: $routes"
keep_state
printf '%s\n' "$routes" >"$TMPDIR/routes"
while read -r method path; do
	if [ "$path" = /api/join ]; then
		# The one change taken without a session (a phone joining the field hub): without --share, refused.
		http -H "Host: evil.example:$PORT" -H 'Content-Type: application/json' --data-binary '{}' "$BASE$path"
		check_eq "$CODE" 421 "status of POST $path for Host evil.example:$PORT"
		http -H 'Content-Type: application/json' --data-binary '{"code": "0000-0000", "name": "x"}' "$BASE$path"
		check_eq "$CODE" 403 "status of POST $path without --share"
		check_eq "$(js 'd.get("error")')" not_shared "error code of POST $path without --share"
	elif [ "$method" = GET ]; then
		http -H "Host: evil.example:$PORT" -H "Cookie: $COOKIE" "$BASE$path"
		check_eq "$CODE" 421 "status of GET $path for Host evil.example:$PORT"
		http "$BASE$path"
		check_eq "$CODE" 401 "status of GET $path without a session"
	else
		http -H "Host: evil.example:$PORT" -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" \
			-H 'Content-Type: application/json' --data-binary '{}' "$BASE$path"
		check_eq "$CODE" 421 "status of POST $path for Host evil.example:$PORT"
		http -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/json' --data-binary '{}' "$BASE$path"
		check_eq "$CODE" 401 "status of POST $path without a session"
		http -H "Cookie: $COOKIE" -H 'Content-Type: application/json' --data-binary '{}' "$BASE$path"
		check_eq "$CODE" 403 "status of POST $path without the CSRF token"
	fi
done <"$TMPDIR/routes"
check_unchanged "the refused requests"

t "DNS rebinding: a Host other than this server's gets 421 on the page, the key exchange and the API"
keep_state
for h in "evil.example:$PORT" evil.example "127.0.0.1.evil.example:$PORT" "127.0.0.1" "localhost" \
	"127.0.0.1:$((PORT + 1))"; do
	http -H "Host: $h" "$BASE/"
	check_eq "$CODE" 421 "status of / for Host $h"
	http -H "Host: $h" "$BASE/?key=$KEY"
	check_eq "$CODE" 421 "status of /?key=KEY for Host $h"
	check_eq "$(header Set-Cookie)" "" "Set-Cookie for Host $h"
	http -H "Host: $h" "$BASE/field.js"
	check_eq "$CODE" 421 "status of /field.js for Host $h"
	get /api/home -H "Host: $h"
	check_eq "$CODE" 421 "status of /api/home for Host $h"
	post /api/answer '{"form": "partnership", "question": "partner_name", "text": "Rebound"}' -H "Host: $h"
	check_eq "$CODE" 421 "status of POST /api/answer for Host $h"
done
check_eq "$(js 'd.get("error")')" wrong_host "error code"
check_unchanged "the requests for another Host"

t "this computer's names for the server are its Host: 127.0.0.1:PORT, localhost:PORT and [::1]:PORT"
for h in "127.0.0.1:$PORT" "localhost:$PORT" "[::1]:$PORT"; do
	get /api/home -H "Host: $h"
	check_eq "$CODE" 200 "status of /api/home for Host $h"
	http -H "Host: $h" "$BASE/"
	check_eq "$CODE" 200 "status of / for Host $h"
done

t "GET /i18n too answers only to this server's Host (421 for another)"
http -H "Host: evil.example:$PORT" "$BASE/i18n"
check_eq "$CODE" 421 "status of /i18n for Host evil.example:$PORT"
http -H "Host: evil.example:$PORT" "$BASE/i18n?lang=fr"
check_eq "$CODE" 421 "status of /i18n?lang=fr for Host evil.example:$PORT"

t "a change needs the session's CSRF token: none, a wrong one, a short one or another session's get 403"
keep_state
forged='{"form": "partnership", "question": "partner_name", "text": "Forged"}'
for tok in - "$(other_hex "$CSRF")" "$(printf '%.63s' "$CSRF")" "$CSRF2" "$SID" ""; do
	if [ "$tok" = - ]; then
		http -H "Cookie: $COOKIE" -H 'Content-Type: application/json' --data-binary "$forged" "$BASE/api/answer"
	else
		http -H "Cookie: $COOKIE" -H "X-CSRF-Token: $tok" -H 'Content-Type: application/json' \
			--data-binary "$forged" "$BASE/api/answer"
	fi
	check_eq "$CODE" 403 "status with the token '$tok'"
	check_eq "$(js 'd.get("error")')" csrf "error code with the token '$tok'"
done
# The other session's token is good with its own cookie only: checked without saving (check: true).
http -H "Cookie: $COOKIE2" -H "X-CSRF-Token: $CSRF2" -H 'Content-Type: application/json' \
	--data-binary '{"form": "partnership", "question": "partner_name", "text": "Mine", "check": true}' \
	"$BASE/api/answer"
expect 200
check_eq "$BODY" '{"ok":true}' "the answer to a check"
check_unchanged "the requests without the right token, and a check"

t "a change from another origin is refused even with the right token: Origin and Sec-Fetch-Site"
keep_state
other=9999
[ "$PORT" != 9999 ] || other=9998
for o in "http://127.0.0.1:$other" "http://localhost:$other" http://evil.example "http://evil.example:$PORT" \
	null "https://127.0.0.1:$PORT" "http://127.0.0.1:$PORT.evil.example" "http://127.0.0.1"; do
	post /api/answer "$forged" -H "Origin: $o"
	check_eq "$CODE" 403 "status for Origin $o"
	check_eq "$(js 'd.get("error")')" cross_origin "error code for Origin $o"
done
for s in cross-site same-site none; do
	post /api/answer "$forged" -H "Sec-Fetch-Site: $s"
	check_eq "$CODE" 403 "status for Sec-Fetch-Site $s"
done
check_unchanged "the requests from other origins"

t "a cross-site form's simple POST (text/plain or form-encoded, the cookie, no token) is refused"
keep_state
http -H "Cookie: $COOKIE" -H 'Content-Type: text/plain' -H 'Origin: http://evil.example' \
	-H 'Sec-Fetch-Site: cross-site' --data-binary "$forged" "$BASE/api/answer"
expect 403
http -H "Cookie: $COOKIE" -H 'Content-Type: text/plain' --data-binary "$forged" "$BASE/api/answer"
expect 403 csrf
http -H "Cookie: $COOKIE" --data-urlencode "x=$forged" "$BASE/api/answer"
expect 403 csrf
http -H "Cookie: $COOKIE" -H 'Content-Type: text/plain' --data-binary '{"id": "x"}' "$BASE/api/finalize"
expect 403 csrf
check_unchanged "the simple POSTs"

t "the page's own origin passes, as a browser sends it (Origin and Sec-Fetch-Site), and a check saves nothing"
keep_state
# The page's origin is the address it was opened at, which its requests name in Host: the two are the same.
for h in "127.0.0.1:$PORT" "localhost:$PORT"; do
	post /api/answer '{"form": "partnership", "question": "country", "text": "KEN", "check": true}' \
		-H "Host: $h" -H "Origin: http://$h" -H 'Sec-Fetch-Site: same-origin'
	expect 200
	check_eq "$BODY" '{"ok":true}' "the answer to a check from http://$h"
done
# Another name of this computer is another origin: a page of http://localhost:PORT does not speak for
# http://127.0.0.1:PORT.
post /api/answer '{"form": "partnership", "question": "country", "text": "KEN", "check": true}' \
	-H "Origin: http://localhost:$PORT" -H 'Sec-Fetch-Site: same-origin'
expect 403 cross_origin
post /api/answer '{"form": "partnership", "question": "country", "text": "Narnia", "check": true}' \
	-H "Origin: http://127.0.0.1:$PORT"
expect 422 invalid
check_unchanged "checks"

# ------------------------------------------------------------------------------------------ the page and i18n

t "the page and its files, without a session: each byte for byte with its type, CSP, DENY, no-referrer, no-cache"
names=$(grep -o '\(src\|href\)="[A-Za-z0-9_.-]*"' "$TOP/web/field/index.html" | sed 's/^[a-z]*="\(.*\)"$/\1/')
for n in field.js field.css i18n.js favicon.svg; do
	case " $(printf '%s\n' "$names" | tr '\n' ' ')" in *" $n "*) ;; *) fail "web/field/index.html does not name $n: $names" ;; esac
done
for n in / $names; do
	if [ "$n" = / ]; then
		src=$TOP/web/field/index.html
		path=/
	else
		src=$TOP/web/field/$n
		[ -f "$src" ] || src=$TOP/web/$n
		path=/$n
	fi
	http "$BASE$path"
	check_eq "$CODE" 200 "status of $path"
	cmp -s "$TMPDIR/body" "$src" || fail "$path is not ${src#"$TOP"/} byte for byte"
	case $n in
	/) type="text/html; charset=utf-8" ;;
	*.js) type="text/javascript; charset=utf-8" ;;
	*.css) type="text/css; charset=utf-8" ;;
	*.svg) type="image/svg+xml" ;;
	*) type="?" ;;
	esac
	check_eq "$(header Content-Type)" "$type" "Content-Type of $path"
	csp=$(header Content-Security-Policy)
	case $csp in "default-src 'self';"*) ;; *) fail "the CSP of $path does not begin with default-src 'self': '$csp'" ;; esac
	case $csp in *"frame-ancestors 'none'"*) ;; *) fail "the CSP of $path lacks frame-ancestors 'none': '$csp'" ;; esac
	case $csp in *"base-uri 'none'"*) ;; *) fail "the CSP of $path lacks base-uri 'none': '$csp'" ;; esac
	case $csp in *unsafe-* | *"*"* | *http:* | *https:*)
		fail "the CSP of $path lets in more than the page's own files: '$csp'" ;;
	esac
	check_eq "$(header X-Frame-Options)" DENY "X-Frame-Options of $path"
	check_eq "$(header Referrer-Policy)" no-referrer "Referrer-Policy of $path"
	check_eq "$(header Cache-Control)" no-cache "Cache-Control of $path"
	check_eq "$(header X-Content-Type-Options)" nosniff "X-Content-Type-Options of $path"
	check_eq "$(header Set-Cookie)" "" "Set-Cookie of $path"
done
http "$BASE/no-such-file.js"
expect 404
http "$BASE/../client/web.h"
check_eq "$CODE" 404 "status of /../client/web.h"

t "GET /i18n lists en, es and fr; /i18n?lang=fr is the French catalog; an unknown language is 404"
http "$BASE/i18n"
expect 200
for l in en es fr; do
	check_eq "$(js "\"$l\" in d")" true "$l in GET /i18n's $BODY"
done
http "$BASE/i18n?lang=fr"
expect 200
check_eq "$(js 'd["lang"]')" fr "lang of /i18n?lang=fr"
check_eq "$(js 'd["messages"]["(no answer)"]')" "(pas de réponse)" "a French message"
http "$BASE/i18n?lang=xx"
expect 404

# ------------------------------------------------------------------------------------------------ a record

t "the first answer makes the draft (record.id), which sondeo list shows while the server runs"
keep_state
get "/api/record?form=partnership"
expect 200
check_eq "$(js 'd["record"]["id"]')" null "record.id before the first answer"
check_eq "$(js '[i["name"] for i in d["items"]][:4]')" \
	'["partner_name","stakeholder_type","stakeholder_type_other","country"]' "the first questions"
check_eq "$(item stakeholder_type_other)" '[[false,null]]' "stakeholder_type_other before any answer"
check_unchanged "GET /api/record?form=partnership"
post /api/answer '{"form": "partnership", "question": "partner_name", "text": "Red Crescent"}'
expect 200
RID=$(js 'd["record"]["id"]')
matches "$RID" "$UUID" "record.id"
check_eq "$(js '[d["record"]["draft"], d["record"]["form"], d["record"]["version"]]')" '[true,"partnership","2"]' \
	"the record"
check_eq "$(item partner_name 'value,text')" '[["Red Crescent","Red Crescent"]]' "partner_name"
run "$SONDEO" list --drafts --json
check_rc 0
check_eq "$(js '[[r["id"], r["status"], r["partner_name"]] for r in d]' "$OUT_FILE")" \
	"[[\"$RID\",\"draft\",\"Red Crescent\"]]" "the drafts sondeo list shows"
get /api/home
check_eq "$(js 'd["counts"]["drafts"]')" 1 "drafts counted by /api/home"

t "answers the form refuses: 422 naming the question with its message (the form's own words), nothing saved"
keep_state
post /api/answer "{\"id\": \"$RID\", \"question\": \"scale_up_potential\", \"text\": \"abc\"}"
expect 422 invalid
check_eq "$(js 'd["question"]')" scale_up_potential "question refused"
case $(js 'd["message"]') in *"not a whole number"*) ;; *) fail "the message for 'abc' is $(js 'd["message"]')" ;; esac
post /api/answer "{\"id\": \"$RID\", \"question\": \"scale_up_potential\", \"value\": 9}"
expect 422 invalid
check_eq "$(js '[d["question"], d["message"]]')" '["scale_up_potential","Enter a whole number from 1 to 5"]' \
	"the refusal of 9"
post /api/answer "{\"id\": \"$RID\", \"question\": \"contact_email\", \"text\": \"grace at labour.ke\"}"
expect 422 invalid
check_eq "$(js '[d["question"], d["message"]]')" \
	'["contact_email","Enter a valid e-mail address, e.g. name@example.org"]' "the refusal of an e-mail address"
post "/api/answer?lang=fr" "{\"id\": \"$RID\", \"question\": \"contact_email\", \"text\": \"grace\"}"
expect 422 invalid
check_eq "$(js 'd["message"]')" "Saisissez une adresse électronique valide, par exemple nom@exemple.org" \
	"the refusal in French"
# A choice is named by its name; text typed in a box may name it by its label too, not by part of one.
post /api/answer "{\"id\": \"$RID\", \"question\": \"country\", \"value\": \"Kenya\"}"
expect 422 invalid
post /api/answer "{\"id\": \"$RID\", \"question\": \"country\", \"text\": \"keny\"}"
expect 422 invalid
post /api/answer "{\"id\": \"$RID\", \"question\": \"partner_name\", \"value\": {\"a\": 1}}"
expect 422 invalid
post /api/answer "{\"id\": \"$RID\", \"question\": \"stakeholder_type\", \"text\": \"no_such_choice\"}"
expect 422 invalid
# A required answer is not cleared.
post /api/answer "{\"id\": \"$RID\", \"question\": \"partner_name\", \"value\": null}"
expect 422 invalid
# A new record refused at its first answer is not made.
post /api/answer '{"form": "partnership", "question": "country", "text": "Narnia"}'
expect 422 invalid
post /api/answer "{\"id\": \"$RID\", \"question\": \"no_such_question\", \"text\": \"x\"}"
expect 400 bad_question
post /api/answer '{"form": "no_such_form", "question": "partner_name", "text": "x"}'
expect 404
post /api/answer '{"id": "00000000-0000-4000-8000-000000000000", "question": "partner_name", "text": "x"}'
expect 404
check_unchanged "the refused answers"

t "relevance: stakeholder_type=other asks stakeholder_type_other; another type clears its answer"
post /api/answer "{\"id\": \"$RID\", \"question\": \"stakeholder_type\", \"value\": \"other\"}"
expect 200
check_eq "$(item stakeholder_type_other 'relevant,value,required')" '[[true,null,true]]' \
	"stakeholder_type_other once the type is other"
check_eq "$(js '[i["name"] for i in d["items"] if i.get("missing")]')" \
	'["stakeholder_type_other","country","level","thematic_areas","interview_date"]' "the questions missing"
post /api/answer "{\"id\": \"$RID\", \"question\": \"stakeholder_type_other\", \"text\": \"Trade union\"}"
expect 200
check_eq "$(item stakeholder_type_other)" '[[true,"Trade union"]]' "stakeholder_type_other answered"
run "$SONDEO" show "$RID" --json
check_eq "$(js 'd["answers"].get("stakeholder_type_other")' "$OUT_FILE")" "Trade union" "the answer saved"
post /api/answer "{\"id\": \"$RID\", \"question\": \"stakeholder_type\", \"text\": \"civil_society\"}"
expect 200
check_eq "$(item stakeholder_type_other)" '[[false,null]]' "stakeholder_type_other once the type is civil_society"
check_eq "$(item stakeholder_type 'value,text')" '[["civil_society","Civil society organization"]]' \
	"stakeholder_type"
run "$SONDEO" show "$RID" --json
check_eq "$(js '[d["answers"].get("stakeholder_type"), "stakeholder_type_other" in d["answers"]]' "$OUT_FILE")" \
	'["civil_society",false]' "stakeholder_type, and whether stakeholder_type_other is still answered"

t "an answer to a question not asked now gets 422, and nothing is saved"
keep_state
post /api/answer "{\"id\": \"$RID\", \"question\": \"stakeholder_type_other\", \"text\": \"Trade union\"}"
expect 422 invalid
check_eq "$(js 'd["question"]')" stakeholder_type_other "question refused"
post /api/answer "{\"id\": \"$RID\", \"question\": \"replicable\", \"value\": \"no\"}"
expect 200
keep_state
post /api/answer "{\"id\": \"$RID\", \"question\": \"scale_up_potential\", \"value\": 3}"
expect 422 invalid
check_unchanged "answers to questions not asked"

t "POST /api/at keeps where the person is: GET /api/record?id=ID says it; a name not of the form is 400"
post /api/at "{\"id\": \"$RID\", \"at\": \"country\"}"
expect 200
get "/api/record?id=$RID"
expect 200
check_eq "$(js 'd["at"]')" country "at"
check_eq "$(js 'd["record"]["id"]')" "$RID" "record.id"
keep_state
post /api/at "{\"id\": \"$RID\", \"at\": \"no_such_question\"}"
expect 400
post /api/at "{\"id\": \"$RID\", \"at\": \"repeat:no_such_repeat\"}"
expect 400
post /api/at '{"id": "00000000-0000-4000-8000-000000000000", "at": "country"}'
expect 404
get "/api/record?id=$RID"
check_eq "$(js 'd["at"]')" country "at after the refusals"
check_unchanged "the refused places"

t "finalize with answers missing: 422 listing them in form order, and it stays a draft"
keep_state
post /api/finalize "{\"id\": \"$RID\"}"
expect 422 incomplete
check_eq "$(js '[p["question"] for p in d["problems"]]')" '["country","level","thematic_areas","interview_date"]' \
	"the problems"
check_unchanged "a refused finalize"

t "the required answers given, finalize makes it final: 200, and sondeo list says final; again is 409"
post /api/answer "{\"id\": \"$RID\", \"question\": \"country\", \"text\": \"KEN\"}"
expect 200
post /api/answer "{\"id\": \"$RID\", \"question\": \"level\", \"value\": [\"local\", \"global\"]}"
expect 200
post /api/answer "{\"id\": \"$RID\", \"question\": \"thematic_areas\", \"text\": \"human_rights data_collection\"}"
expect 200
check_eq "$(item thematic_areas value)" '[[["human_rights","data_collection"]]]' "thematic_areas"
# As the page does: the default shown (today) is taken when the person goes on.
today=$(js '[i.get("default") for i in d["items"] if i.get("name") == "interview_date"][0]')
matches "$today" '^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]$' "interview_date's default"
post /api/answer "{\"id\": \"$RID\", \"question\": \"interview_date\", \"text\": \"$today\"}"
expect 200
check_eq "$(js 'd["problems"]')" 0 "problems left"
post /api/finalize "{\"id\": \"$RID\"}"
expect 200
check_eq "$(js '[d["record"]["id"], d["record"]["draft"]]')" "[\"$RID\",false]" "the record finalized"
run "$SONDEO" list --json
check_eq "$(js "[r['status'] for r in d if r['id'] == '$RID']" "$OUT_FILE")" '["final"]' "its state in sondeo list"
run "$SONDEO" show "$RID" --json
check_eq "$(js '[d["answers"][k] for k in ("partner_name", "stakeholder_type", "country", "level", "interview_date")]' \
	"$OUT_FILE")" "[\"Red Crescent\",\"civil_society\",\"KEN\",[\"local\",\"global\"],\"$today\"]" "its answers"
keep_state
post /api/finalize "{\"id\": \"$RID\"}"
expect 409 not_draft
check_unchanged "finalizing twice"

t "a final record: a change that keeps it complete is saved, as a change to sync"
waiting=$(status_of unsynced_ops)
post /api/answer "{\"id\": \"$RID\", \"question\": \"notes\", \"text\": \"Follow up in May\"}"
expect 200
check_eq "$(js 'd["record"]["draft"]')" false "draft"
run "$SONDEO" show "$RID" --json
check_eq "$(js '[d["status"], d["answers"].get("notes")]' "$OUT_FILE")" '["final","Follow up in May"]' "the record"
[ "$(status_of unsynced_ops)" -gt "$waiting" ] || fail "no change waiting to sync ($waiting before, $(status_of unsynced_ops) now)"

t "a final record edited answer by answer, as at the terminal's prompt: a change that asks a new question is saved and the view names what it now misses, until it is answered"
# stakeholder_type other makes stakeholder_type_other, required, asked and unanswered. sondeo edit --set takes
# every change at once and refuses it; the page, like the prompt, saves each answer as it is given and says what
# the record now misses (its summary lists it) until the next answer completes it.
keep_state
run "$SONDEO" edit "$RID" --set stakeholder_type=other
check_rc 1
check_err_has "nothing was changed"
check_unchanged "sondeo edit"
post /api/answer "{\"id\": \"$RID\", \"question\": \"stakeholder_type\", \"value\": \"other\"}"
expect 200
check_eq "$(js '[[i["relevant"], "missing" in i] for i in d["items"] if i.get("name") == "stakeholder_type_other"]')" \
	'[[true,true]]' "stakeholder_type_other, now asked and missing"
check_eq "$(js 'd["problems"]')" 1 "the problems the view counts"
post /api/answer "{\"id\": \"$RID\", \"question\": \"stakeholder_type_other\", \"text\": \"Faith-based group\"}"
expect 200
check_eq "$(js 'd["problems"]')" 0 "the problems once it is answered"
run "$SONDEO" show "$RID" --json
check_eq "$(js '[d["status"], d["answers"].get("stakeholder_type"), d["answers"].get("stakeholder_type_other")]' \
	"$OUT_FILE")" '["final","other","Faith-based group"]' "the record"

# ---------------------------------------------------------------------------------------- the shared store

t "sondeo new at the terminal while sondeo web runs: the record is in GET /api/records at once"
run "$SONDEO" new --set partner_name="Terminal Partner" --set stakeholder_type=academia --set country=MEX \
	--set level=national --set thematic_areas=migration_governance --set interview_date=2024-05-01
check_rc 0
NID=$(printf '%s\n' "$OUT" | tail -n 1)
matches "$NID" "$UUID" "the new record's id"
get "/api/records?q=Terminal"
expect 200
check_eq "$(js '[[r["id"], r["title"], r["draft"], r["form"]] for r in d["records"]]')" \
	"[[\"$NID\",\"Terminal Partner (MEX)\",false,\"partnership\"]]" "the records found by q=Terminal"
get "/api/records?state=final&where=stakeholder_type=academia"
check_eq "$(js '[r["id"] for r in d["records"]]')" "[\"$NID\"]" "final records of academia"
get "/api/records?sort=title"
check_eq "$(js '[r["title"] for r in d["records"]]')" '["Red Crescent (KEN)","Terminal Partner (MEX)"]' "the records by title"
check_eq "$(js 'd["more"]')" false "more"
get "/api/records?sort=title&limit=1"
check_eq "$(js '[len(d["records"]), d["more"]]')" '[1,true]' "one record of two"
get "/api/records?state=draft"
check_eq "$(js 'd["records"]')" '[]' "drafts"
get "/api/records?state=nonsense"
expect 400
get /api/home
check_eq "$(js '[d["counts"]["records"], [f["records"] for f in d["forms"] if f["id"] == "partnership"]]')" '[2,[2]]' \
	"records counted by /api/home"

t "a record deleted at the terminal is listed as deleted, and an answer to it is 404"
run "$SONDEO" delete "$NID"
check_rc 0
get "/api/records?state=deleted"
check_eq "$(js '[[r["id"], r["deleted"]] for r in d["records"]]')" "[[\"$NID\",true]]" "deleted records"
get "/api/records"
check_eq "$(js "'$NID' in [r['id'] for r in d['records']]")" false "the deleted record among all records"
keep_state
post /api/answer "{\"id\": \"$NID\", \"question\": \"notes\", \"text\": \"too late\"}"
expect 404
check_unchanged "an answer to a deleted record"

t "a form with a repeat, imported at the terminal: an instance made by its first answer (parent and repeat)"
cat >"$TMPDIR/household.json" <<'EOF'
{"id": "household", "version": "1", "title": "Household",
 "groups": [{"name": "member", "label": "Member", "repeat": true}],
 "questions": [
  {"name": "hh", "type": "text", "label": "Household", "required": true},
  {"name": "size", "type": "integer", "label": "Size"},
  {"name": "mname", "type": "text", "label": "Name", "group": "member", "required": true},
  {"name": "age", "type": "integer", "label": "Age", "group": "member", "constraint": ". <= 120"},
  {"name": "why", "type": "text", "label": "Why so many?", "group": "member", "relevant": "${size} > 5"},
  {"name": "after", "type": "text", "label": "After"}]}
EOF
run "$SONDEO" form import "$TMPDIR/household.json"
check_rc 0
get /api/home
check_eq "$(js '[f["id"] for f in d["forms"]]' | tr -d '[]"' | tr ',' '\n' | sort | tr '\n' ' ')" \
	"household partnership " "forms"
post /api/answer '{"form": "household", "question": "hh", "text": "Okello"}'
expect 200
HID=$(js 'd["record"]["id"]')
matches "$HID" "$UUID" "the household's id"
post /api/answer "{\"id\": \"$HID\", \"question\": \"size\", \"value\": 3}"
expect 200
check_eq "$(js '[[i["repeat"], i["instances"]] for i in d["items"] if "repeat" in i]')" '[["member",[]]]' \
	"the repeat in the household's view"
get "/api/record?parent=$HID&repeat=member"
expect 200
check_eq "$(js '[d["record"]["id"], d["record"]["parent"], d["record"]["repeat"]]')" "[null,\"$HID\",\"member\"]" \
	"a new instance's record"
check_eq "$(js '[[i["name"], i["relevant"]] for i in d["items"]]')" '[["mname",true],["age",true],["why",false]]' \
	"its questions, relevant by the household's answers"
keep_state
post /api/answer "{\"parent\": \"$HID\", \"repeat\": \"member\", \"question\": \"age\", \"value\": 300}"
expect 422 invalid
post /api/answer "{\"parent\": \"$HID\", \"repeat\": \"member\", \"question\": \"hh\", \"text\": \"x\"}"
expect 400 bad_question
post /api/answer "{\"parent\": \"$HID\", \"repeat\": \"member\", \"question\": \"why\", \"text\": \"x\"}"
expect 422 invalid
post /api/answer "{\"parent\": \"$HID\", \"repeat\": \"no_such_repeat\", \"question\": \"mname\", \"text\": \"x\"}"
expect 404
post /api/answer "{\"parent\": \"$HID\", \"question\": \"mname\", \"text\": \"x\"}"
expect 400
check_unchanged "the refused instances"
post /api/answer "{\"parent\": \"$HID\", \"repeat\": \"member\", \"question\": \"mname\", \"text\": \"Ana\"}"
expect 200
IID=$(js 'd["record"]["id"]')
matches "$IID" "$UUID" "the instance's id"
check_eq "$(js '[d["record"]["parent"], d["record"]["repeat"], d["record"]["draft"]]')" "[\"$HID\",\"member\",true]" \
	"the instance"
post /api/finalize "{\"id\": \"$IID\"}"
expect 200
get "/api/record?id=$HID"
check_eq "$(js '[i["instances"] for i in d["items"] if "repeat" in i]')" \
	"[[{\"draft\":false,\"id\":\"$IID\",\"title\":\"Ana\"}]]" "the household's instances"
run "$SONDEO" show "$IID"
check_rc 0
check_out_has "Part of: $HID (Member)"
run "$SONDEO" show "$IID" --json
check_eq "$(js '[d["status"], d["answers"]]' "$OUT_FILE")" '["final",{"mname":"Ana"}]' "the instance at the terminal"
get "/api/records?form=household"
check_eq "$(js '[r["id"] for r in d["records"]]')" "[\"$HID\"]" "household records listed (instances with theirs)"

# ---------------------------------------------------------------------------------------------------- bodies

t "a body over WEB_MAX_BODY is 413, one just under is read; a body that is not a JSON object is 400"
max=$(sed -n 's/^#define WEB_MAX_BODY[[:space:]]*\([0-9]*\).*/\1/p' "$TOP/client/web.h")
matches "$max" '^[0-9]\{4,\}$' "WEB_MAX_BODY in client/web.h"
# body FILE SIZE : an answer to notes of exactly SIZE bytes of JSON.
body() {
	py -c 'import sys
head, tail = "{\"id\": \"%s\", \"question\": \"notes\", \"text\": \"" % sys.argv[3], "\"}"
n = int(sys.argv[2]) - len(head) - len(tail)
open(sys.argv[1], "w").write(head + "x" * n + tail)' "$1" "$2" "$RID"
}
keep_state
body "$TMPDIR/big" $((max + 1))
check_eq "$(wc -c <"$TMPDIR/big")" $((max + 1)) "size of the body sent"
post /api/answer @"$TMPDIR/big"
expect 413
body "$TMPDIR/big" "$max"
post /api/answer @"$TMPDIR/big"
# Read, and refused for what it says: an answer is at most 64 KiB of text.
expect 422 invalid
post /api/answer 'not json'
expect 400
post /api/answer '["partner_name", "x"]'
expect 400
post /api/answer "{\"id\": \"$RID\", \"question\": \"notes\", \"text\": \"x\""
expect 400
post /api/finalize ''
expect 400
check_unchanged "the refused bodies"

t "a body over WEB_MAX_BODY sent without a length (chunked) is cut off, quietly: nothing on the person's terminal"
keep_state
body "$TMPDIR/big" $((max + 1))
post /api/answer @"$TMPDIR/big" -H 'Transfer-Encoding: chunked'
case $CODE in 200 | 422) fail "a chunked body over the limit was read: $CODE" ;; esac
check_unchanged "a chunked body over the limit"
get /api/home
expect 200
# The terminal is the person's (http.h's quiet): a request may not write there, whatever it sends.
check_eq "$(cat "$TMPDIR/web.err")" "" "sondeo web's stderr"
errbytes=$(wc -c <"$TMPDIR/web.err")

# ------------------------------------------------------------------------------------------------------ CORS

t "OPTIONS (a CORS preflight) is never a 2xx, and no answer at all carried an Access-Control-Allow-* header"
for p in /api/answer /api/home / /api/finalize; do
	http -X OPTIONS -H "Origin: http://evil.example" -H 'Access-Control-Request-Method: POST' \
		-H 'Access-Control-Request-Headers: x-csrf-token, content-type' "$BASE$p"
	case $CODE in 2??) fail "OPTIONS $p answered $CODE" ;; esac
	case $CODE in [1-5]??) ;; *) fail "OPTIONS $p got no answer ($CODE)" ;; esac
done
post /api/answer "{\"id\": \"$RID\", \"question\": \"notes\", \"text\": \"CORS\"}" -H "Origin: http://127.0.0.1:$PORT"
expect 200
http -H "Origin: http://evil.example" -H "Cookie: $COOKIE" "$BASE/api/home"
expect 200
check_eq "$(grep -ci '^Access-Control-' "$TMPDIR/all-headers")" 0 "Access-Control-* headers in all the answers"
[ "$(grep -ci '^HTTP/' "$TMPDIR/all-headers")" -gt 100 ] ||
	fail "only $(grep -ci '^HTTP/' "$TMPDIR/all-headers") answers' headers were kept"

# ---------------------------------------------------------------------------------------------------- --listen

t "--listen 0.0.0.0:0 and 192.168.1.5:8000 are refused: exit 2, naming the value, nothing served"
for l in 0.0.0.0:0 192.168.1.5:8000 "[::]:0" ":0"; do
	run timeout 60 "$SONDEO" web --no-open --listen "$l"
	check_rc 2
	check_err_has "'$l'"
	check_out_lacks "Sondeo is open"
done

t "--listen 127.0.0.1:PORT serves on that port, with its own key and sessions; SIGTERM stops it, exit 0"
tries=0
while :; do
	lport=$((10000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 22000))
	[ "$lport" != "$PORT" ] && start_web "$TMPDIR/web2.out" "$TMPDIR/web2.err" --listen "127.0.0.1:$lport" && break
	tries=$((tries + 1))
	[ $tries -lt 20 ] || break
done
if [ $tries -ge 20 ]; then
	fail "sondeo web --listen did not start on any of 20 ports: $(cat "$TMPDIR/web2.out" "$TMPDIR/web2.err")"
else
	matches "$WURL" "^http://127\\.0\\.0\\.1:$lport/?key=[0-9a-f]\\{64\\}\$" "the address printed"
	key2=${WURL##*key=}
	[ "$key2" != "$KEY" ] || fail "two servers printed the same key"
	http "http://127.0.0.1:$lport/?key=$KEY"
	check_eq "$CODE" 403 "status of the first server's key"
	http -H "Cookie: sondeo-$lport=$SID" "http://127.0.0.1:$lport/api/home"
	check_eq "$CODE" 401 "status of the first server's session"
	http -H "Host: 127.0.0.1:$PORT" "http://127.0.0.1:$lport/"
	check_eq "$CODE" 421 "status for the first server's Host"
	http "http://127.0.0.1:$lport/?key=$key2"
	check_eq "$CODE" 303 "status of its key"
	c2=$(header Set-Cookie)
	http -H "Cookie: ${c2%%;*}" "http://127.0.0.1:$lport/api/records"
	check_eq "$CODE" 200 "status of /api/records with its session"
	check_eq "$(js 'len(d["records"])')" 2 "records it lists on the same store"
	stop_web "$WPID" TERM
	check_eq "$WRC" 0 "sondeo web's exit status after SIGTERM"
	check_eq "$(tail -n 1 "$TMPDIR/web2.out")" "Stopped. Every answer given was saved." "its last line"
	check_eq "$(wc -c <"$TMPDIR/web2.err")" 0 "bytes on its stderr"
fi

# ------------------------------------------------------------------------------------------------------- stop

t "attachments: a file sent as it is kept as at the terminal (its kind checked, an image scaled) and saved as the answer; served back sandboxed; a file that is not here cannot be named"
cat >"$TMPDIR/visit.json" <<'EOF'
{"id": "visit", "version": "1", "questions": [
 {"name": "site", "type": "text", "label": "Site"},
 {"name": "photo", "type": "image", "label": "Photo", "max_pixels": 16},
 {"name": "mou", "type": "file", "label": "Memorandum", "accept": [".pdf", "application/pdf"]}]}
EOF
run "$SONDEO" form import "$TMPDIR/visit.json"
check_rc 0
tail -c +2 "$TOP/tests/fuzz/corpus/client/image-png-rgba" >"$TMPDIR/pic.png"   # 40x30; the seed's first byte is its mode
printf '%%PDF-1.4\nminutes\n' >"$TMPDIR/mou.pdf"
http -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" -H 'Content-Type: application/octet-stream' \
	--data-binary @"$TMPDIR/pic.png" "$BASE/api/media?form=visit&question=photo&name=r%C3%A9union.png"
expect 200
VID=$(js 'd["record"]["id"]')
check_eq "$(item photo 'here')" '[[true]]' "the photo is on the laptop"
check_eq "$(item photo 'accept')" '[[["image/*"]]]' "what the photo's picker offers"
check_eq "$(js '[[i["value"]["type"], i["value"]["name"]] for i in d["items"] if i.get("name") == "photo"][0]')" \
	'["image/png","réunion.png"]' "the photo's answer"
h=$(js '[i["value"]["blake2b"] for i in d["items"] if i.get("name") == "photo"][0]')
get "/api/media?blake2b=$h"
expect 200
check_eq "$(header Content-Type)" image/png "the photo's type"
check_eq "$(header Content-Security-Policy)" "sandbox; default-src 'none'" "the photo's CSP"
check_eq "$(py -c 'import struct, sys; print("%dx%d" % struct.unpack(">II", open(sys.argv[1], "rb").read()[16:24]))' "$TMPDIR/body")" \
	16x12 "the photo kept, scaled to max-pixels"
keep_state
http -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" --data-binary @"$TMPDIR/mou.pdf" \
	"$BASE/api/media?id=$VID&question=photo&name=mou.pdf"
expect 422 invalid
check_eq "$(js 'd["message"]')" "'mou.pdf' (application/pdf) is not a file this question takes" "the refusal"
http -H "Cookie: $COOKIE" --data-binary @"$TMPDIR/mou.pdf" "$BASE/api/media?id=$VID&question=mou&name=mou.pdf"
expect 403
post /api/answer "{\"id\": \"$VID\", \"question\": \"mou\", \"value\": {\"blake2b\": \"$(printf '%064d' 1)\", \"size\": 9, \"type\": \"application/pdf\", \"name\": \"m.pdf\"}}"
expect 422 invalid
check_eq "$(js 'd["message"]')" "the file it names is not on this laptop" "an answer naming a file not here"
check_unchanged "the refused files"
http -H "Cookie: $COOKIE" -H "X-CSRF-Token: $CSRF" --data-binary @"$TMPDIR/mou.pdf" \
	"$BASE/api/media?id=$VID&question=mou&name=mou.pdf"
expect 200
get "/api/media?blake2b=$(b2sum -l 256 "$TMPDIR/mou.pdf" | cut -c1-64)"
expect 200
check_eq "$(header Content-Type)" application/octet-stream "a PDF's type: a download"
check_eq "$(header Content-Disposition)" attachment "a PDF's disposition"
get "/api/media?blake2b=$(printf '%064d' 2)"
expect 404 not_here

t "Ctrl-C (SIGINT) stops sondeo web: exit 0, it says it stopped, never the key on stderr, every answer is kept"
stop_web "$WEB1" INT
check_eq "$WRC" 0 "sondeo web's exit status after SIGINT"
check_eq "$(sed -n 2p "$TMPDIR/web.out")" \
	"Open it in a browser on this computer. Each answer is saved as it is given. Ctrl-C stops." "its second line"
check_eq "$(tail -n 1 "$TMPDIR/web.out")" "Stopped. Every answer given was saved." "its last line"
check_eq "$(wc -l <"$TMPDIR/web.out")" 3 "lines on its stdout"
grep -q "$KEY" "$TMPDIR/web.err" && fail "the key is on sondeo web's stderr"
# What it wrote there before is the test above's failure; nothing more.
check_eq "$(wc -c <"$TMPDIR/web.err")" "$errbytes" "bytes on sondeo web's stderr ($(cat "$TMPDIR/web.err"))"
http "$BASE/api/home"
case $CODE in 000) ;; *) fail "something still answers on port $PORT: $CODE" ;; esac
run "$SONDEO" list --json
check_rc 0
check_eq "$(js '[r["partner_name"] for r in d if r["form"] == "partnership"]' "$OUT_FILE")" '["Red Crescent"]' \
	"partnership records after the stop"
run "$SONDEO" show "$RID" --json
check_eq "$(js '[d["status"], d["answers"].get("notes")]' "$OUT_FILE")" '["final","CORS"]' "the last answer given"

done_testing
