#!/bin/sh
# review-auth.sh - the review page's accounts and sessions against a real sondeod on loopback, with curl
# (docs/review-api.md, "Accounts, sessions and roles" and "Administration"): login and its refusals, the delays
# after failed logins (429 with Retry-After, decided before the password is looked at), the session cookie and its
# attributes, logout, expiry (sessions aged in the store with its own shell, sqlite3 or psql), CSRF, a pending
# password change, password changes ending other sessions, the roles, account management and the audit log. Every
# refused request is checked to have changed nothing.
# engines: sqlite postgresql
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
. "$TOP/tests/cli/lib.sh"

if [ -z "${SONDEOD:-}" ] || [ ! -x "$SONDEOD" ]; then
	t "SONDEOD names the sondeod program"
	fail "SONDEOD is '${SONDEOD:-}' (tests/run.sh sets it)"
	done_testing
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/review-auth.XXXXXX")
at_exit "rm -rf '$scratch'"
hq=$scratch/hq
log=$scratch/serve.log
. "$TOP/tests/cli/server.inc"
HEX64='^[0-9a-f]\{64\}$'

db() {
	q "$hq" "$1"
}

# users_dump : the accounts as the database holds them, to compare before and after a refusal.
users_dump() {
	db "SELECT * FROM users ORDER BY name"
}

# req JAR METHOD PATH [BODY [CSRF]] : a request with the cookies of JAR (a file; updated from the answer; "-"
# for none) and, when given, the X-CSRF-Token header. Sets CODE (the status), BODY and HDRS (the headers).
req() {
	_jar=$1
	_method=$2
	_path=$3
	_body=${4-}
	_csrf=${5-}
	[ "$_jar" = - ] && _jar=$scratch/nojar && rm -f "$_jar"
	printf '%s' "$_body" >"$scratch/req.json"
	if [ -n "$_csrf" ]; then
		run curl -sS -D "$scratch/headers" -o "$scratch/body" -w '%{http_code}' -b "$_jar" -c "$_jar" \
			-X "$_method" -H 'Content-Type: application/json' -H "X-CSRF-Token: $_csrf" \
			--data-binary @"$scratch/req.json" "$URL$_path"
	elif [ "$_method" = POST ]; then
		run curl -sS -D "$scratch/headers" -o "$scratch/body" -w '%{http_code}' -b "$_jar" -c "$_jar" \
			-X "$_method" -H 'Content-Type: application/json' --data-binary @"$scratch/req.json" "$URL$_path"
	else
		run curl -sS -D "$scratch/headers" -o "$scratch/body" -w '%{http_code}' -b "$_jar" -c "$_jar" \
			"$URL$_path"
	fi
	CODE=$OUT
	BODY=$(cat "$scratch/body")
	HDRS=$(tr -d '\r' <"$scratch/headers")
}

# expect STATUS [ERROR_CODE] : checks the last answer's status and error code.
expect() {
	check_eq "$CODE" "$1" "status of the answer $BODY"
	if [ -n "${2-}" ]; then
		case $BODY in *"\"error\":\"$2\""*) ;; *) fail "the answer is $BODY, expected error $2" ;; esac
	fi
}

# field NAME : a string member of the last answer (a compact JSON object).
field() {
	printf '%s' "$BODY" | sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"
}

# header NAME : the value of a header of the last answer.
header() {
	printf '%s\n' "$HDRS" | sed -n "s/^$1: //Ip" | head -n 1
}

# login JAR NAME PASSWORD : logs in; the session's CSRF token goes in CSRF.
login() {
	req "$1" POST /v1/login "{\"user\": \"$2\", \"password\": \"$3\"}"
	CSRF=$(field csrf)
}

# token_of JAR : the session token kept in a cookie jar.
token_of() {
	awk '$6 == "sondeo_session" {print $7}' "$1"
}

# ahead KEY : moves the last failure of KEY (u:NAME or a:IP) ten minutes ahead, so that its delay is certainly still
# running at the next request however slow this machine is, and prints that time (epoch ms). A delay of D ms
# then answers Retry-After ceil((that + D - the request's time) / 1000): check_retry tells which D it was.
ahead() {
	_at=$(($(date +%s%3N) + 600000))
	db "UPDATE login_failures SET last = $_at WHERE key = '$1'"
	echo "$_at"
}

# check_retry AT SENT DELAY : the last answer's Retry-After is what a delay of DELAY s gives when the failure was at
# AT (from ahead) and the request went between SENT and the answer (epoch ms): a slower machine only widens the
# range toward smaller values, and it never takes the value of a delay twice as long.
check_retry() {
	_got=$(header Retry-After)
	_hi=$((($1 + $3 * 1000 - $2 + 999) / 1000))
	_lo=$((($1 + $3 * 1000 - $(date +%s%3N) + 999) / 1000))
	[ -n "$_got" ] && [ "$_got" -le "$_hi" ] && [ "$_got" -ge "$_lo" ] ||
		fail "Retry-After is '$_got', expected $_lo..$_hi (a delay of $3 s)"
}

# behind KEY : moves the last failure of KEY an hour back: its delay has run out.
behind() {
	db "UPDATE login_failures SET last = $(($(date +%s%3N) - 3600000)) WHERE key = '$1'"
}

# audit_count ACTION USER : entries of the audit log.
audit_count() {
	db "SELECT count(*) FROM audit WHERE action = '$1' AND \"user\" = '$2'"
}

t "setup: a data directory with accounts of each role, and sondeod serving it"
run hq_init "$hq"
check_rc 0
adminpw=$(sed -n 's/^admin password (shown once, change it at first login): //p' "$OUT_FILE")
[ ${#adminpw} -ge 20 ] || fail "no admin password in: $OUT"
for u in view:viewer rev:reviewer; do
	printf '%s password 1\n' "${u%%:*}" >"$scratch/pw"
	run "$SONDEOD" users --data "$hq" add "${u%%:*}" --role "${u#*:}" --password-file "$scratch/pw"
	check_rc 0
done
start_server || fail "sondeod did not start: $(cat "$log")"

t "login: 200 with user, role, CSRF token and must_change, and an HttpOnly SameSite=Strict cookie"
login "$scratch/admin.jar" admin "$adminpw"
expect 200
check_eq "$(field user)" admin "user"
check_eq "$(field role)" admin "role"
check_eq "$(printf '%s' "$CSRF" | grep -c "$HEX64")" 1 "CSRF token is 64 hex digits"
case $BODY in *'"must_change":true'*) ;; *) fail "must_change is not true in $BODY" ;; esac
cookie=$(header Set-Cookie)
check_eq "$(printf '%s' "$cookie" | sed 's/^sondeo_session=[0-9a-f]\{64\}; /TOKEN; /')" \
	"TOKEN; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200" "Set-Cookie"
check_eq "$(header Cache-Control)" no-store "Cache-Control"
tok=$(token_of "$scratch/admin.jar")
check_eq "$(printf '%s' "$tok" | grep -c "$HEX64")" 1 "token in the jar"
check_eq "$(db "SELECT count(*) FROM sessions WHERE \"user\" = 'admin' AND length(token) = 32")" 1 "stored session"
check_eq "$(db "SELECT count(*) FROM sessions WHERE lower($(sql_hex token)) = '$tok' OR csrf LIKE '%$tok%'")" 0 \
	"the token itself in the database"
check_eq "$(db "SELECT ip || ' ' || target FROM audit WHERE action = 'login' AND \"user\" = 'admin'")" "127.0.0.1 admin" \
	"audit entry"

t "bad logins: an unknown user, a wrong password and a disabled account get the same 401 bad_login"
"$SONDEOD" users --data "$hq" add gone --role viewer --password-file "$scratch/pw" >/dev/null
"$SONDEOD" users --data "$hq" disable gone >/dev/null
req - POST /v1/login '{"user": "nobody", "password": "view password 1"}'
expect 401 bad_login
b1=$BODY
req - POST /v1/login '{"user": "view", "password": "view password 2"}'
expect 401 bad_login
check_eq "$BODY" "$b1" "answer for a wrong password"
req - POST /v1/login '{"user": "gone", "password": "rev password 1"}'
expect 401 bad_login
check_eq "$BODY" "$b1" "answer for a disabled account"
check_eq "$(header Set-Cookie)" "" "cookie on a refusal"
check_eq "$(db "SELECT count(*) FROM sessions WHERE \"user\" != 'admin'")" 0 "sessions made"
check_eq "$(db "SELECT count(*) FROM audit WHERE action = 'login_failed' AND ip = '127.0.0.1'")" 3 "login_failed entries"
# The details are codes, worded by the page in its reader's language.
check_eq "$(db "SELECT detail FROM audit WHERE action = 'login_failed' ORDER BY id" | tr '\n' ,)" \
	'{"why":"unknown_user"},{"why":"wrong_password"},{"why":"account_disabled"},' "their details"
req - POST /v1/login '{"user": "-no such name", "password": "view password 1"}'
expect 401 bad_login
check_eq "$(db "SELECT \"user\" || '|' || target || '|' || json_extract(detail, '\$.why') FROM audit
	WHERE action = 'login_failed' ORDER BY id DESC LIMIT 1")" "||invalid_name" "an invalid name's entry"

t "malformed logins: 400, and GET is not allowed, and a large body is refused before it is read"
req - POST /v1/login '{"user": "view"}'
expect 400 bad_request
req - POST /v1/login '{"user": "view", "password": "view password 1", "extra": 1}'
expect 400 bad_request
req - POST /v1/login '{"user": "view", "user": "view", "password": "view password 1"}'
expect 400 bad_json
req - POST /v1/login '["view", "view password 1"]'
expect 400 bad_json
req - POST /v1/login '{"user": "view", "password": "view password 1\u0000x"}'
expect 400 bad_json
req - GET /v1/login
expect 405
head -c 5000 /dev/zero | tr '\0' x >"$scratch/big"
run curl -sS -o /dev/null -w '%{http_code}' --data-binary @"$scratch/big" "$URL/v1/login"
check_eq "$OUT" 413 "status for a 5000-byte body"
check_eq "$(db "SELECT count(*) FROM sessions WHERE \"user\" = 'view'")" 0 "view's sessions"

t "after three failures a name waits (429, Retry-After), even with the right password; the delay doubles"
db "DELETE FROM login_failures"
for i in 1 2 3; do
	req - POST /v1/login '{"user": "rev", "password": "wrong password"}'
	expect 401 bad_login
done
# The delays run on the server's clock: the last failure is moved ahead rather than trusting this machine to send
# the next request within the second.
at=$(ahead u:rev)
sent=$(date +%s%3N)
req - POST /v1/login '{"user": "rev", "password": "rev password 1"}'
expect 429 too_many_attempts
check_retry "$at" "$sent" 1
check_eq "$(header Set-Cookie)" "" "cookie"
check_eq "$(db "SELECT count(*) FROM sessions WHERE \"user\" = 'rev'")" 0 "rev's sessions"
# Refused before the password was looked at: no login_failed entry for it, and the count did not grow.
check_eq "$(audit_count login_failed rev)" 3 "login_failed entries for rev"
check_eq "$(db "SELECT failures FROM login_failures WHERE key = 'u:rev'")" 3 "rev's failures"
behind u:rev
req - POST /v1/login '{"user": "rev", "password": "wrong again"}'
expect 401 bad_login
at=$(ahead u:rev)
sent=$(date +%s%3N)
req - POST /v1/login '{"user": "rev", "password": "rev password 1"}'
expect 429 too_many_attempts
check_retry "$at" "$sent" 2
behind u:rev
login "$scratch/rev.jar" rev "rev password 1"
expect 200
check_eq "$(db "SELECT count(*) FROM login_failures WHERE key = 'u:rev'")" 0 "rev's count after a success"

t "parallel attempts on one name cannot check more than three passwords"
db "DELETE FROM login_failures"
# One curl makes the ten requests at once (--parallel): ten curls started one after another could, on a busy
# machine, reach the server after the first delay has already run out.
set -- -sS --parallel --parallel-immediate --parallel-max 10
i=0
while [ $i -lt 10 ]; do
	[ $i = 0 ] || set -- "$@" --next
	set -- "$@" -o /dev/null -w '%{http_code}\n' --data-binary '{"user": "view", "password": "guess '$i'"}' "$URL/v1/login"
	i=$((i + 1))
done
curl "$@" >"$scratch/par" || fail "curl failed"
check_eq "$(grep -c 401 "$scratch/par")" 3 "attempts answered 401"
check_eq "$(grep -c 429 "$scratch/par")" 7 "attempts answered 429"
check_eq "$(audit_count login_failed view)" 4 "login_failed entries for view (one from before)"
db "DELETE FROM login_failures"

t "the session comes from the cookie: GET /v1/session"
req "$scratch/admin.jar" GET /v1/session
expect 200
check_eq "$(field user)" admin "user"
check_eq "$(field csrf)" "$(db "SELECT csrf FROM sessions WHERE \"user\" = 'admin'")" "CSRF token"
admincsrf=$(field csrf)
req - GET /v1/session
expect 401 login_required
run curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: sondeo_session=$(printf '%064d' 7)" "$URL/v1/session"
check_eq "$OUT" 401 "a made-up token"
run curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: sondeo_session=$(printf '%s' "$tok" | tr a-f A-F)" \
	"$URL/v1/session"
check_eq "$OUT" 401 "the token in upper case"
run curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: sondeo_session=${tok}0" "$URL/v1/session"
check_eq "$OUT" 401 "the token with a character more"
stored=$(db "SELECT lower($(sql_hex token)) FROM sessions WHERE \"user\" = 'admin'")
run curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: sondeo_session=$stored" "$URL/v1/session"
check_eq "$OUT" 401 "the hash stored in the database, used as a token"
run curl -sS -o "$scratch/body" -w '%{http_code}' -H "Cookie: theme=dark; sondeo_session=bad; sondeo_session=$tok; x=y" \
	"$URL/v1/session"
check_eq "$OUT" 200 "the session cookie among others"
big=$(head -c 6000 /dev/zero | tr '\0' a)
run curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: junk=$big; sondeo_session=$tok" "$URL/v1/session"
check_eq "$OUT" 200 "the session cookie after 6000 bytes of other cookies"

t "CSRF: a POST without the X-CSRF-Token header, or with another, is 403 csrf and changes nothing"
before=$(users_dump)
sessions=$(db "SELECT count(*) FROM sessions")
body='{"name": "eve", "role": "admin", "password": "eve password 1"}'
req "$scratch/admin.jar" POST /v1/users "$body"
expect 403 csrf
req "$scratch/admin.jar" POST /v1/users "$body" "$(printf '%064d' 0)"
expect 403 csrf
req "$scratch/admin.jar" POST /v1/users "$body" "$(db "SELECT csrf FROM sessions WHERE \"user\" = 'rev'")"
expect 403 csrf
req "$scratch/admin.jar" POST /v1/users "$body" "${admincsrf}0"
expect 403 csrf
req "$scratch/admin.jar" POST /v1/users/disable '{"name": "view"}'
expect 403 csrf
req "$scratch/admin.jar" POST /v1/password "{\"old\": \"$adminpw\", \"new\": \"a new admin password\"}"
expect 403 csrf
req "$scratch/admin.jar" POST /v1/logout '{}'
expect 403 csrf
check_eq "$(users_dump)" "$before" "users table"
check_eq "$(db "SELECT count(*) FROM sessions")" "$sessions" "sessions"
req "$scratch/admin.jar" GET /v1/session
expect 200

t "a new account may only see its session, change its password or log out (403 password_change_required)"
before=$(users_dump)
req "$scratch/admin.jar" GET /v1/users
expect 403 password_change_required
req "$scratch/admin.jar" GET /v1/audit
expect 403 password_change_required
req "$scratch/admin.jar" POST /v1/users '{"name": "eve", "role": "admin", "password": "eve password 1"}' "$admincsrf"
expect 403 password_change_required
check_eq "$(users_dump)" "$before" "users table"
req "$scratch/admin.jar" POST /v1/password '{"old": "not the password", "new": "a new admin password"}' "$admincsrf"
expect 403 bad_login
req "$scratch/admin.jar" POST /v1/password "{\"old\": \"$adminpw\", \"new\": \"too short\"}" "$admincsrf"
expect 400 bad_password
req "$scratch/admin.jar" POST /v1/password "{\"old\": \"$adminpw\", \"new\": \"$adminpw\"}" "$admincsrf"
expect 400 bad_password
req "$scratch/admin.jar" POST /v1/password "{\"old\": \"$adminpw\"}" "$admincsrf"
expect 400 bad_request
check_eq "$(users_dump)" "$before" "users table"

t "changing one's password ends one's other sessions and clears must_change"
login "$scratch/admin2.jar" admin "$adminpw"
expect 200
admin2csrf=$CSRF
req "$scratch/admin.jar" POST /v1/password "{\"old\": \"$adminpw\", \"new\": \"a new admin password\"}" "$admincsrf"
expect 200
case $BODY in *'"must_change":false'*) ;; *) fail "must_change is not false in $BODY" ;; esac
req "$scratch/admin2.jar" GET /v1/session
expect 401 login_required
req "$scratch/admin.jar" GET /v1/session
expect 200
check_eq "$(field csrf)" "$admincsrf" "the CSRF token of the session kept"
check_eq "$(db "SELECT count(*) FROM sessions WHERE \"user\" = 'admin'")" 1 "admin's sessions"
check_eq "$(db "SELECT must_change FROM users WHERE name = 'admin'")" 0 "must_change"
req "$scratch/admin.jar" GET /v1/users
expect 200
req - POST /v1/login "{\"user\": \"admin\", \"password\": \"$adminpw\"}"
expect 401 bad_login
db "DELETE FROM login_failures"
check_eq "$(audit_count password admin)" 2 "password entries (the refused one and the change)"
check_eq "$(db "SELECT detail FROM audit WHERE action = 'password' ORDER BY id" | tr '\n' ,)" \
	'{"refused":"wrong_current_password"},{},' "the refused one's entry and the change's"

t "a session is no faster way to guess a password: wrong current passwords count toward the login delays"
for i in 1 2 3; do
	req "$scratch/admin.jar" POST /v1/password "{\"old\": \"guess number $i\", \"new\": \"whatever new one\"}" \
		"$admincsrf"
	expect 403 bad_login
done
ahead u:admin >/dev/null
req "$scratch/admin.jar" POST /v1/password '{"old": "a new admin password", "new": "whatever new one"}' "$admincsrf"
expect 429 too_many_attempts
[ -n "$(header Retry-After)" ] || fail "no Retry-After header in: $HDRS"
req - POST /v1/login '{"user": "admin", "password": "a new admin password"}'
expect 429 too_many_attempts
check_eq "$(db "SELECT must_change FROM users WHERE name = 'admin'")" 0 "must_change after the refusals"
login "$scratch/admin3.jar" admin "a new admin password"
expect 429
db "DELETE FROM login_failures"
req "$scratch/admin.jar" GET /v1/session
expect 200

t "roles: a viewer and a reviewer get 403 forbidden on /v1/users and /v1/audit, and nothing changes"
db "UPDATE users SET must_change = 0 WHERE name IN ('view', 'rev')"
login "$scratch/view.jar" view "view password 1"
expect 200
viewcsrf=$CSRF
login "$scratch/rev.jar" rev "rev password 1"
expect 200
revcsrf=$CSRF
before=$(users_dump)
for who in view rev; do
	eval "c=\$${who}csrf"
	req "$scratch/$who.jar" GET /v1/users
	expect 403 forbidden
	req "$scratch/$who.jar" GET /v1/audit
	expect 403 forbidden
	req "$scratch/$who.jar" POST /v1/users '{"name": "eve", "role": "admin", "password": "eve password 1"}' "$c"
	expect 403 forbidden
	req "$scratch/$who.jar" POST /v1/users/disable '{"name": "admin"}' "$c"
	expect 403 forbidden
	req "$scratch/$who.jar" POST /v1/users/enable '{"name": "gone"}' "$c"
	expect 403 forbidden
	req "$scratch/$who.jar" GET /v1/session
	expect 200
done
check_eq "$(users_dump)" "$before" "users table"
check_eq "$(db "SELECT count(*) FROM audit WHERE action LIKE 'user_%' AND \"user\" != '(command line)'")" 0 "audit entries"

t "an admin lists, adds, disables and enables accounts"
req "$scratch/admin.jar" GET /v1/users
expect 200
check_eq "$(printf '%s' "$BODY" | grep -o '"name":"[^"]*","role":"[^"]*","disabled":[a-z]*' | tr '\n' ' ')" \
	'"name":"admin","role":"admin","disabled":false "name":"gone","role":"viewer","disabled":true "name":"rev","role":"reviewer","disabled":false "name":"view","role":"viewer","disabled":false ' \
	"the accounts"
case $BODY in *'"created":1'*) ;; *) fail "no created time (epoch ms) in $BODY" ;; esac
req "$scratch/admin.jar" POST /v1/users '{"name": "eve", "role": "reviewer", "password": "eve password 1"}' \
	"$admincsrf"
expect 200
check_eq "$(field name) $(field role)" "eve reviewer" "the new account"
case $BODY in *'"must_change":true'*) ;; *) fail "must_change is not true in $BODY" ;; esac
check_eq "$(db "SELECT role || must_change || disabled FROM users WHERE name = 'eve'")" reviewer10 "eve's row"
check_eq "$(db "SELECT ip || ' ' || target || ' ' || detail FROM audit WHERE action = 'user_add' AND \"user\" = 'admin'")" \
	'127.0.0.1 eve {"role":"reviewer"}' "audit entry"
login "$scratch/eve.jar" eve "eve password 1"
expect 200
case $BODY in *'"must_change":true'*) ;; *) fail "eve's must_change is not true in $BODY" ;; esac
before=$(users_dump)
for b in '{"name": "eve", "role": "viewer", "password": "eve password 2"} 409 user_exists' \
	'{"name": "mal", "role": "root", "password": "mal password 1"} 400 bad_role' \
	'{"name": "mal", "role": "viewer", "password": "short"} 400 bad_password' \
	'{"name": "m a l", "role": "viewer", "password": "mal password 1"} 400 bad_name' \
	'{"name": "mal", "role": "viewer"} 400 bad_request' \
	'{"name": "mal", "role": "viewer", "password": "mal password 1", "admin": true} 400 bad_request' \
	'{"name": "mal", "role": "viewer", "password": 12345678901} 400 bad_request' \
	'{"name": "mal", 400 bad_json'; do
	code=${b##* }
	rest=${b% *}
	status=${rest##* }
	json=${rest% *}
	req "$scratch/admin.jar" POST /v1/users "$json" "$admincsrf"
	expect "$status" "$code"
done
check_eq "$(users_dump)" "$before" "users table"

req "$scratch/admin.jar" POST /v1/users/disable '{"name": "admin"}' "$admincsrf"
expect 400 own_account
req "$scratch/admin.jar" POST /v1/users/disable '{"name": "nobody"}' "$admincsrf"
expect 404 no_user
req "$scratch/admin.jar" POST /v1/users/disable '{"name": "view", "x": 1}' "$admincsrf"
expect 400 bad_request
check_eq "$(users_dump)" "$before" "users table"
req "$scratch/admin.jar" POST /v1/users/disable '{"name": "view"}' "$admincsrf"
expect 200
case $BODY in *'"name":"view"'*'"disabled":true'*) ;; *) fail "view is not disabled in $BODY" ;; esac
req "$scratch/view.jar" GET /v1/session
expect 401 login_required
req - POST /v1/login '{"user": "view", "password": "view password 1"}'
expect 401 bad_login
req "$scratch/admin.jar" POST /v1/users/enable '{"name": "view"}' "$admincsrf"
expect 200
case $BODY in *'"disabled":false'*) ;; *) fail "view is not enabled in $BODY" ;; esac
login "$scratch/view.jar" view "view password 1"
expect 200
check_eq "$(db "SELECT action || ' ' || target FROM audit WHERE \"user\" = 'admin' AND action IN ('user_disable', 'user_enable')
	ORDER BY id" | tr '\n' ,)" "user_disable view,user_enable view," "audit entries"

t "a session ends 2 hours after its last request, and 12 hours after login (aged in the database)"
db "DELETE FROM sessions WHERE \"user\" = 'eve'"
login "$scratch/eve.jar" eve "eve password 1"
expect 200
db "UPDATE sessions SET last_used = last_used - 2 * 3600 * 1000 + 60000 WHERE \"user\" = 'eve'"
req "$scratch/eve.jar" GET /v1/session
expect 200
db "UPDATE sessions SET last_used = last_used - 2 * 3600 * 1000 WHERE \"user\" = 'eve'"
req "$scratch/eve.jar" GET /v1/session
expect 401 login_required
check_eq "$(db "SELECT count(*) FROM sessions WHERE \"user\" = 'eve'")" 0 "eve's idle session"
login "$scratch/eve.jar" eve "eve password 1"
expect 200
db "UPDATE sessions SET created = created - 12 * 3600 * 1000 + 60000 WHERE \"user\" = 'eve'"
req "$scratch/eve.jar" GET /v1/session
expect 200
db "UPDATE sessions SET created = created - 60000 WHERE \"user\" = 'eve'"
req "$scratch/eve.jar" GET /v1/session
expect 401 login_required
check_eq "$(db "SELECT count(*) FROM sessions WHERE \"user\" = 'eve'")" 0 "eve's old session"

t "logout ends the session and clears the cookie"
login "$scratch/rev2.jar" rev "rev password 1"
expect 200
rev2csrf=$CSRF
rev2tok=$(token_of "$scratch/rev2.jar")
req "$scratch/rev2.jar" POST /v1/logout '{}' "$rev2csrf"
expect 200
check_eq "$BODY" "{}" "answer"
check_eq "$(header Set-Cookie)" "sondeo_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0" "Set-Cookie"
check_eq "$(token_of "$scratch/rev2.jar")" "" "the cookie kept by curl"
run curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: sondeo_session=$rev2tok" "$URL/v1/session"
check_eq "$OUT" 401 "the old token"
req "$scratch/rev.jar" GET /v1/session
expect 200
check_eq "$(db "SELECT ip || ' ' || target FROM audit WHERE action = 'logout' AND \"user\" = 'rev'")" "127.0.0.1 rev" \
	"audit entry"
req - POST /v1/logout '{}'
expect 401 login_required

t "the audit log: newest first, in pages, every action of this script, for admins"
req "$scratch/admin.jar" GET '/v1/audit?per_page=200'
expect 200
total=$(printf '%s' "$BODY" | sed -n 's/.*"total":\([0-9]*\).*/\1/p')
check_eq "$total" "$(db "SELECT count(*) FROM audit")" "total"
for a in login login_failed logout password user_add user_disable user_enable; do
	case $BODY in *"\"action\":\"$a\""*) ;; *) fail "no $a entry in the audit log" ;; esac
done
first=$(printf '%s' "$BODY" | grep -o '"action":"[a-z_]*","target":"[^"]*"' | head -n 1)
check_eq "$first" '"action":"logout","target":"rev"' "the newest entry"
req "$scratch/admin.jar" GET '/v1/audit?page=2&per_page=3'
expect 200
check_eq "$(printf '%s' "$BODY" | grep -o '"at":' | wc -l | tr -d ' ')" 3 "entries on page 2"
check_eq "$(printf '%s' "$BODY" | grep -o '"target":"[^"]*"' | tr '\n' ' ')" \
	"$(db "SELECT '\"target\":\"' || target || '\"' FROM audit ORDER BY id DESC LIMIT 3 OFFSET 3" | tr '\n' ' ')" \
	"page 2"
for bad in 'page=0' 'per_page=0' 'per_page=201' 'page=x' 'page=-1' 'per_page=99999999999999999999'; do
	req "$scratch/admin.jar" GET "/v1/audit?$bad"
	expect 400 bad_request
done
req - GET /v1/audit
expect 401 login_required

t "over HTTPS the session cookie is Secure"
if openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$scratch/key.pem" \
	-out "$scratch/cert.pem" -days 2 -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null; then
	tlslog=$scratch/tls.log
	serve_on "$hq" "$tlslog" 0 --tls-cert "$scratch/cert.pem" --tls-key "$scratch/key.pem" ||
		fail "sondeod did not start with TLS: $(cat "$tlslog")"
	TPID=$SPID tport=$SPORT
	run curl -sS -D - -o /dev/null --cacert "$scratch/cert.pem" --data-binary \
		'{"user": "rev", "password": "rev password 1"}' "https://127.0.0.1:$tport/v1/login"
	check_out_has "HTTP/1.1 200"
	check_eq "$(printf '%s\n' "$OUT" | tr -d '\r' | sed -n 's/^Set-Cookie: sondeo_session=[0-9a-f]\{64\}; //p')" \
		"HttpOnly; SameSite=Strict; Path=/; Max-Age=43200; Secure" "Set-Cookie over HTTPS"
	kill "$TPID"
	wait "$TPID" 2>/dev/null
else
	fail "openssl could not make a certificate"
fi

t "the server logged no sanitizer report and no password"
kill "$PID"
wait "$PID" 2>/dev/null
check_eq "$(grep -cE 'ERROR: [A-Za-z]+Sanitizer|runtime error' "$log")" 0 "sanitizer reports"
check_eq "$(grep -c 'password 1' "$log")" 0 "passwords in the log"
check_eq "$(grep -c "$tok" "$log")" 0 "tokens in the log"

done_testing
