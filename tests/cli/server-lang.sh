#!/bin/sh
# server-lang.sh - the languages of sondeod against a real server on loopback: each request's messages in the
# language its Accept-Language header asks for (the first of the highest weight that has a catalog, by its primary
# subtag), else in the server's; a hostile header (garbage, 10 kB) costs nothing and changes nothing; the server's
# own language from --lang or the environment, for its commands and its log; an unknown --lang refused.
#
# The pseudo-language qps of the test builds (every message accented and wrapped in ⟦ ⟧) shows which language a
# message came out in whatever the catalogs hold. The checks of real French and Spanish words need po/fr.po and
# po/es.po to carry the server's translations.
#
# Runs under tests/run.sh (SONDEOD, TOP, TMPDIR set) or by hand:
#   make MODE=test check-build && SONDEOD=$PWD/build/test/sondeod TOP=$PWD sh tests/cli/server-lang.sh
# engines: sqlite postgresql
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
. "$TOP/tests/cli/lib.sh"

LANG=C.UTF-8
export LANG
unset LANGUAGE LC_ALL LC_MESSAGES

if [ -z "${SONDEOD:-}" ] || [ ! -x "$SONDEOD" ]; then
	t "SONDEOD names the sondeod program"
	fail "SONDEOD is '${SONDEOD:-}' (tests/run.sh sets it)"
	done_testing
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/server-lang.XXXXXX")
at_exit "rm -rf '$scratch'"
hq=$scratch/hq
log=$scratch/serve.log
. "$TOP/tests/cli/server.inc"

# The English, pseudo, French and Spanish words of the answer to GET /v1/session without a session.
EN='"message":"log in first"'
QPS='"message":"⟦lóg íñ fírst⟧"'
FR='"message":"connectez-vous d’abord"'
ES='"message":"inicie sesión primero"'

# ask URL [ACCEPT-LANGUAGE] : GET /v1/session without a session, with that header when given; sets CODE and
# BODY (the answer).
ask() {
	if [ $# -gt 1 ]; then
		run curl -sS -o "$scratch/body" -w '%{http_code}' -H "Accept-Language: $2" "$1/v1/session"
	else
		run curl -sS -o "$scratch/body" -w '%{http_code}' "$1/v1/session"
	fi
	CODE=$OUT
	BODY=$(cat "$scratch/body")
}

# answer_has TEXT : the last answer was 401 login_required with TEXT in it.
answer_has() {
	check_eq "$CODE" 401 "status of the answer $BODY"
	case $BODY in *'"error":"login_required"'*"$1"*) ;; *) fail "the answer is $BODY, expected $1" ;; esac
}

# served LOG PID : waits for the server of PID to name its address in LOG, in whatever language it speaks; sets
# SERVED.
served() {
	_w=0
	while [ $_w -lt 2400 ]; do
		SERVED=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$1" | head -n 1)
		[ -n "$SERVED" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
		_w=$((_w + 1))
	done
	return 1
}

run hq_init "$hq"
[ "$RC" = 0 ] || { t "sondeod init"; fail "init failed: $ERR"; done_testing; }
qps=0
"$SONDEOD" --lang qps --help >/dev/null 2>&1 && qps=1

t "sondeod serve answers an API error in English without Accept-Language (the server's language)"
start_server || fail "the server did not start: $(cat "$log")"
ask "$URL"
answer_has "$EN"

t "Accept-Language: qps answers in the pseudo-language; qps-XX by its primary subtag"
[ $qps = 1 ] || skip "not a test build: no pseudo-language"
ask "$URL" qps
answer_has "$QPS"
ask "$URL" "qps-XX"
answer_has "$QPS"

t "the first language of the highest weight that has a catalog wins; q=0 refuses one"
[ $qps = 1 ] || skip "not a test build: no pseudo-language"
ask "$URL" "de, qps;q=0.5"
answer_has "$QPS"
ask "$URL" "qps;q=0.4, en;q=0.9, de"
answer_has "$EN"
ask "$URL" "de, qps;q=0.5, en;q=0.5"
answer_has "$QPS"
ask "$URL" "en;q=0, qps;q=0.001"
answer_has "$QPS"
ask "$URL" "qps;q=0, de"
answer_has "$EN"

t "the endpoints' errors, the HTTP layer's and the password pool's come out in the request's language"
[ $qps = 1 ] || skip "not a test build: no pseudo-language"
run curl -sS -w '%{http_code}' -H "Accept-Language: qps" "$URL/no-such-endpoint"
check_out_has '"error":"not_found","message":"⟦'
check_out_has "404"
run curl -sS -w '%{http_code}' -H "Accept-Language: qps" -H 'Content-Type: application/json' -d 'not json' \
	"$URL/v1/login"
check_out_has '"error":"bad_json","message":"⟦'
check_out_has "400"
run curl -sS -w '%{http_code}' -H "Accept-Language: qps" -H 'Content-Type: application/json' \
	-d '{"user":"nobody","password":"wrong password"}' "$URL/v1/login"
check_out_has '"error":"bad_login","message":"⟦'
# The same worker and pool threads, the next request without the header: the server's language again.
run curl -sS -w '%{http_code}' -H 'Content-Type: application/json' -d '{"user":"nobody","password":"wrong password"}' \
	"$URL/v1/login"
check_out_has '"message":"unknown user, wrong password or disabled account"'
ask "$URL"
answer_has "$EN"

t "a garbage Accept-Language is the server's language, without error"
ask "$URL" ';;;,,, q=, *;q=abc, =fr, fr;q=2, fr;q=0.5x, 1234, é, -'
answer_has "$EN"
ask "$URL" "*"
answer_has "$EN"

t "a 10 kB Accept-Language is the server's language, without error: what comes after its first bytes is not read"
long=$(head -c 10000 /dev/zero | tr '\0' 'x' | sed 's/x\{10\}/xx-yyyyyy,/g')
ask "$URL" "${long}qps"
answer_has "$EN"
long=$(head -c 2000 /dev/zero | tr '\0' 'x' | sed 's/x\{5\}/de, /g')
ask "$URL" "${long}qps"
answer_has "$EN"
run curl -sS -o /dev/null -w '%{http_code}' "$URL/healthz"
check_eq "$OUT" 200 "the server after them"

t "Accept-Language: fr answers in French, es in Spanish, de, fr;q=0.5 in French (po/fr.po, po/es.po)"
ask "$URL" fr
answer_has "$FR"
ask "$URL" fr-CA
answer_has "$FR"
ask "$URL" es
answer_has "$ES"
ask "$URL" "de, fr;q=0.5"
answer_has "$FR"

t "a server started in another language answers in it without the header, and logs in it"
[ $qps = 1 ] || skip "not a test build: no pseudo-language"
kill "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
qlog=$scratch/serve-qps.log
server_log "$qlog"
ASAN_OPTIONS=$SERVER_ASAN_OPTIONS "$SONDEOD" --lang qps serve --data "$hq" --listen 127.0.0.1:0 2>"$qlog" &
QPID=$!
at_exit "kill $QPID 2>/dev/null; wait $QPID 2>/dev/null"
served "$qlog" "$QPID" || fail "the server did not start: $(cat "$qlog")"
QURL=$SERVED
grep -q '^⟦sóñdéód: sérvíñg http://' "$qlog" || fail "its log: $(cat "$qlog")"
ask "$QURL"
answer_has "$QPS"
ask "$QURL" "en-GB, qps;q=0.9"
answer_has "$EN"
ask "$QURL" "de"
answer_has "$QPS"
kill "$QPID"
wait "$QPID" 2>/dev/null
grep -q '^⟦sóñdéód: stóppíñg: ' "$qlog" || fail "its log: $(cat "$qlog")"

t "LANG picks the language of sondeod's commands; --lang before the command overrides it"
[ $qps = 1 ] || skip "not a test build: no pseudo-language"
run env LANG=qps "$SONDEOD" --help
check_rc 0
check_out_has "⟦úságé: sóñdéód "
run env LANG=qps "$SONDEOD" --lang en --help
check_out_has "usage: sondeod COMMAND --data DIR [ARGS]"
run env LANGUAGE=qps "$SONDEOD" users --data "$hq" list
check_out_has "⟦ÑÁMÉ⟧"
run env LANG=qps "$SONDEOD" users --data "$hq" frob
check_rc 2
check_err_has "⟦úñkñówñ áçtíóñ 'frob'"
run "$SONDEOD" --lang=qps devices --data "$hq"
check_out_has "⟦ñó dévíçés éñrólléd"

t "a language without a catalog in the environment is English; with --lang it is refused"
run env LANG=de_DE.UTF-8 "$SONDEOD" --help
check_rc 0
check_out_has "usage: sondeod COMMAND --data DIR [ARGS]"
run "$SONDEOD" --lang de --help
check_rc 2
check_err_has "sondeod: unknown language 'de': there are en, es, fr"
check_out_lacks "usage"
run "$SONDEOD" --lang
check_rc 2
check_err_has "sondeod: --lang needs a language"

t "LANG=fr_FR.UTF-8 sondeod --help is French, LANG=es_ES.UTF-8 Spanish (po/fr.po, po/es.po)"
run env LANG=fr_FR.UTF-8 "$SONDEOD" --help
check_rc 0
check_out_has "  devices     lister les appareils inscrits, ou en révoquer un"
run env LANG=es_ES.UTF-8 "$SONDEOD" --help
check_out_has "  devices     listar los dispositivos inscritos, o revocar uno"
run env LANG=fr_FR.UTF-8 "$SONDEOD" users --data "$hq" frob
check_err_has "action inconnue « frob »"

done_testing
