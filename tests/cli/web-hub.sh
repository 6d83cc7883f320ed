#!/bin/sh
# web-hub.sh - sondeo web --share, the field hub, with curl: the team lead's laptop serves its forms on the local
# network, phones (here another loopback address, 127.0.0.2 and its neighbours) join with the code it printed and a
# name, fill forms whose records carry that name as their username, see and open only what they made, cannot do what
# only the team lead may (sync, delete, history, the phones), and end when the team lead ends them. Wrong codes are
# few a minute from one address and few in all. Without --share, nothing but 127.0.0.1 is served.
. "$TOP/tests/cli/lib.sh"
py_start
. "$TOP/tests/cli/web.inc"

PHONE=127.0.0.2

# phone_post IP PATH JSON [CURL_ARGS...] : a POST from a phone at IP, as its page sends it (its own cookie jar). The
# request leaves from IP too (--interface): to another loopback address, it would otherwise leave from 127.0.0.1.
phone_post() {
	_ip=$1 _p=$2 _b=$3
	shift 3
	http --interface "$_ip" -b "$TMPDIR/jar.$_ip" -c "$TMPDIR/jar.$_ip" -H "Origin: http://$_ip:$PORT" \
		-H 'Content-Type: application/json' --data-binary "$_b" "$@" "http://$_ip:$PORT$_p"
}

# phone_get IP PATH : a GET from the phone at IP.
phone_get() {
	http --interface "$1" -b "$TMPDIR/jar.$1" -c "$TMPDIR/jar.$1" "http://$1:$PORT$2"
}

# A form that records who collected each record (XLSForm's username), and a record of the team lead's own.
new_store
run "$SONDEO" init --name lead-laptop
cat >"$TMPDIR/visit.json" <<'EOF'
{"id": "visit", "version": "1", "title": "Site visit",
 "questions": [{"name": "collector", "type": "username"},
               {"name": "place", "type": "text", "label": "Place visited", "required": true},
               {"name": "people", "type": "integer", "label": "People met"}]}
EOF
run "$SONDEO" form import "$TMPDIR/visit.json"
run "$SONDEO" new visit --set place="Lead's own visit"
LEAD_REC=$(printf '%s\n' "$OUT" | tail -n 1)

t "without --share only 127.0.0.1 is served: another address of this computer gets no answer"
start_web "$TMPDIR/plain.out" "$TMPDIR/plain.err" || { fail "sondeo web did not start"; done_testing; }
PORT=${WURL#http://127.0.0.1:}
PORT=${PORT%%/*}
run curl -sS --max-time 10 -o /dev/null -w '%{http_code}' "http://$PHONE:$PORT/"
[ "$RC" != 0 ] || fail "http://$PHONE:$PORT/ answered $OUT"
stop_web "$WPID" INT
check_eq "$WRC" 0 "sondeo web's exit status"

t "sondeo web --share prints the team lead's address on 127.0.0.1 and the join code, eight digits"
start_web "$TMPDIR/web.out" "$TMPDIR/web.err" --share || { fail "sondeo web --share did not start"; done_testing; }
matches "$WURL" '^http://127\.0\.0\.1:[0-9]\{1,5\}/?key=[0-9a-f]\{64\}$' "the team lead's address"
PORT=${WURL#http://127.0.0.1:}
PORT=${PORT%%/*}
KEY=${WURL##*key=}
BASE=http://127.0.0.1:$PORT
# Wait for the lines after the first: the code is on each line about joining.
_w=0
while ! grep -q 'code [0-9]\{4\}-[0-9]\{4\}' "$TMPDIR/web.out" && [ $_w -lt 200 ]; do
	sleep 0.05
	_w=$((_w + 1))
done
JOIN=$(sed -n 's/.* the code \([0-9]\{4\}-[0-9]\{4\}\).*/\1/p' "$TMPDIR/web.out" | head -n 1)
matches "$JOIN" '^[0-9]\{4\}-[0-9]\{4\}$' "the join code"
grep -q "^Phones on this network join at http://[0-9.]*:$PORT/ with the code $JOIN\$" "$TMPDIR/web.out" ||
	grep -q "once it is, phones join at its address, port $PORT, with the code $JOIN" "$TMPDIR/web.out" ||
	fail "no line saying where phones join: $(cat "$TMPDIR/web.out")"
case $(cat "$TMPDIR/web.out" "$TMPDIR/web.err") in *"$KEY"*"$KEY"*) fail "the key is printed twice" ;; esac
http "$BASE/?key=$KEY"
expect 303
cookie=$(header Set-Cookie)
COOKIE=${cookie%%;*}
get /api/home
expect 200
CSRF=$(js 'd["csrf"]')
check_eq "$(js '[d["role"], d["share"]]')" '["lead",true]' "the team lead's role, and the hub shared"
get /api/phones
expect 200
check_eq "$(js '[d["share"], d["code"], d["phones"]]')" "[true,\"$JOIN\",[]]" "the hub before any phone"

t "a phone on the network gets the page's files and, without a session, an answer that offers it to join"
http "http://$PHONE:$PORT/"
expect 200
http "http://$PHONE:$PORT/field.js"
expect 200
phone_get $PHONE /api/home
expect 401 no_session
check_eq "$(js 'd["join"]')" true "join offered"

t "a wrong code is refused, and after five in a minute from one address even the right one waits"
keep_state
for c in 0000-0000 1111-1111 "" "$(printf '%s' "$JOIN" | tr 0-9 1-90)" 12345678; do
	phone_post $PHONE /api/join "{\"code\": \"$c\", \"name\": \"Amina\"}"
	expect 403 wrong_code
	check_eq "$(header Set-Cookie)" "" "a cookie for the code '$c'"
done
phone_post $PHONE /api/join "{\"code\": \"$JOIN\", \"name\": \"Amina\"}"
expect 429 too_many
check_eq "$(header Retry-After)" 60 "Retry-After"
check_unchanged "wrong codes"

t "a join from another site, or with the lead's Host forged as a name, is refused"
http -H "Origin: http://evil.example" -H 'Content-Type: application/json' \
	--data-binary "{\"code\": \"$JOIN\", \"name\": \"Mallory\"}" "http://127.0.0.3:$PORT/api/join"
expect 403 cross_origin
http -H "Host: hub.evil.example:$PORT" -H 'Content-Type: application/json' \
	--data-binary "{\"code\": \"$JOIN\", \"name\": \"Mallory\"}" "http://127.0.0.3:$PORT/api/join"
expect 421 wrong_host

t "a phone joins with the code as typed (spaces, no dash) and its name; a name empty or with a control byte is refused"
phone_post 127.0.0.3 /api/join "{\"code\": \"$JOIN\", \"name\": \"   \"}"
expect 400 bad_name
phone_post 127.0.0.3 /api/join "{\"code\": \"$JOIN\", \"name\": \"Ami\\u001bna\"}"
expect 400 bad_name
spaced=$(printf '%s' "$JOIN" | sed 's/-/ /')
phone_post 127.0.0.3 /api/join "{\"code\": \" $spaced \", \"name\": \"  Amina Okello \"}"
expect 200
check_eq "$(js 'd["name"]')" "Amina Okello" "the name, trimmed"
cookie=$(header Set-Cookie)
matches "${cookie%%;*}" "^sondeo-$PORT=[0-9a-f]\{64\}\$" "the phone's cookie"
case "; ${cookie#*; };" in *"; HttpOnly;"*) ;; *) fail "the phone's cookie is not HttpOnly: $cookie" ;; esac
case "; ${cookie#*; };" in *"; SameSite=Strict;"*) ;; *) fail "the phone's cookie is not SameSite=Strict: $cookie" ;; esac
PCSRF=$(js 'd["csrf"]')
phone_get 127.0.0.3 /api/home
expect 200
check_eq "$(js '[d["role"], d["name"], "counts" in d, "sync" in d, [f["id"] for f in d["forms"]]]')" \
	'["phone","Amina Okello",false,false,["partnership","visit"]]' "a phone's home: its name and the forms only"

t "a phone's record carries its name as the username, and the phone sees and opens only what it made"
phone_post 127.0.0.3 /api/answer '{"form": "visit", "question": "place", "text": "Market of Kisumu"}' \
	-H "X-CSRF-Token: $PCSRF"
expect 200
PREC=$(js 'd["record"]["id"]')
matches "$PREC" "$UUID" "the phone's record"
phone_post 127.0.0.3 /api/answer "{\"id\": \"$PREC\", \"question\": \"people\", \"text\": \"12\"}" -H "X-CSRF-Token: $PCSRF"
expect 200
phone_post 127.0.0.3 /api/finalize "{\"id\": \"$PREC\"}" -H "X-CSRF-Token: $PCSRF"
expect 200
run "$SONDEO" show "$PREC" --json
check_eq "$(js '[d["status"], d["answers"].get("collector"), d["answers"].get("place"), d["answers"].get("people")]' \
	"$OUT_FILE")" '["final","Amina Okello","Market of Kisumu",12]' "the record, as the laptop holds it"
phone_get 127.0.0.3 /api/records
expect 200
check_eq "$(js '[r["id"] for r in d["records"]]')" "[\"$PREC\"]" "the phone's records"
keep_state
phone_get 127.0.0.3 "/api/record?id=$LEAD_REC"
expect 404 no_record
phone_post 127.0.0.3 /api/answer "{\"id\": \"$LEAD_REC\", \"question\": \"place\", \"text\": \"Overwritten\"}" \
	-H "X-CSRF-Token: $PCSRF"
expect 404 no_record
check_unchanged "a phone reaching for the team lead's record"

t "what only the team lead may do is refused to a phone: sync, delete, undo, history, the phones"
keep_state
for r in "GET /api/phones" "GET /api/sync" "GET /api/history?id=$PREC"; do
	phone_get 127.0.0.3 "${r#GET }"
	check_eq "$CODE" 403 "status of $r from a phone"
	check_eq "$(js 'd.get("error")')" lead_only "error of $r from a phone"
done
for p in /api/sync /api/delete /api/undelete /api/phones/end; do
	phone_post 127.0.0.3 "$p" "{\"id\": \"$PREC\", \"sid\": \"x\"}" -H "X-CSRF-Token: $PCSRF"
	check_eq "$CODE" 403 "status of POST $p from a phone"
	check_eq "$(js 'd.get("error")')" lead_only "error of POST $p from a phone"
done
check_unchanged "a phone doing the team lead's work"

t "the team lead sees the phone, by name and with its record, and ends its session: its records stay"
get /api/phones
expect 200
check_eq "$(js '[[p["name"], p["records"]] for p in d["phones"]]')" '[["Amina Okello",1]]' "the phones"
SID=$(js 'd["phones"][0]["sid"]')
post /api/phones/end "{\"sid\": \"$SID\"}"
expect 200
phone_get 127.0.0.3 /api/home
expect 401 no_session
get /api/phones
check_eq "$(js 'd["phones"]')" '[]' "the phones after the end"
run "$SONDEO" list --json
check_eq "$(js "[r['status'] for r in d if r['id'] == '$PREC']" "$OUT_FILE")" '["final"]' "the phone's record"
post /api/phones/end "{\"sid\": \"$SID\"}"
expect 404 no_phone

t "a hundred wrong codes in all, from any addresses, and the code stops working; the team lead's page says so"
n=0
for a in 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29; do
	for k in 1 2 3 4 5; do
		phone_post "127.0.0.$a" /api/join '{"code": "0000-0001", "name": "Guess"}'
		[ "$CODE" = 403 ] && n=$((n + 1))   # CODE: the HTTP status (web.inc)
	done
done
check_eq "$n" 100 "wrong codes refused"
phone_post 127.0.0.40 /api/join "{\"code\": \"$JOIN\", \"name\": \"Late\"}"
expect 403 code_spent
get /api/phones
check_eq "$(js 'd["code"]')" "" "the code on the team lead's page"

t "Ctrl-C stops the hub: exit 0"
stop_web "$WPID" INT
check_eq "$WRC" 0 "exit status"
done_testing
