#!/bin/sh
# users.sh - sondeod users (add, list, disable, enable, passwd) as an admin would use it: passwords from a file,
# standard input or the terminal (asked twice, not echoed), what the store holds afterwards (read with its own
# shell, sqlite3 or psql), logins against a real sondeod with the passwords set, the audit entries, and every refusal
# with nothing changed. Also the audit entries of devices --revoke and enrol-code.
# engines: sqlite postgresql
#
# Runs under tests/run.sh (SONDEOD, TOP, TMPDIR, PTYRUN set) or by hand:
#   make MODE=test BUILD_DIR=build/x check-build && SONDEOD=$PWD/build/x/sondeod PTYRUN=$PWD/build/x/tests/ptyrun \
#     TOP=$PWD sh tests/cli/users.sh
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
. "$TOP/tests/cli/lib.sh"

LANG=C.UTF-8
export LANG
unset LANGUAGE LC_ALL

if [ -z "${SONDEOD:-}" ] || [ ! -x "$SONDEOD" ]; then
	t "SONDEOD names the sondeod program"
	fail "SONDEOD is '${SONDEOD:-}' (tests/run.sh sets it)"
	done_testing
fi

scratch=$(mktemp -d "${TMPDIR:-/tmp}/users.XXXXXX")
at_exit "rm -rf '$scratch'"
hq=$scratch/hq
log=$scratch/serve.log
. "$TOP/tests/cli/server.inc"

# db SQL : runs SQL on the server's store.
db() {
	q "$hq" "$1"
}

# snapshot : the accounts, sessions and audit log, to compare before and after a refusal.
snapshot() {
	db "SELECT name, role, pwhash, must_change, disabled, created FROM users ORDER BY name"
	db "SELECT $(sql_hex token), \"user\" FROM sessions ORDER BY 1"
	db "SELECT count(*) FROM audit"
}

# pwfile NAME TEXT : a file holding TEXT and a newline; prints its path.
pwfile() {
	printf '%s\n' "$2" >"$scratch/$1"
	printf '%s' "$scratch/$1"
}

# status_of NAME PASSWORD [JAR] : the HTTP status of a login (the server must run), keeping its cookie in JAR.
status_of() {
	printf '{"user": "%s", "password": "%s"}' "$1" "$2" >"$scratch/login.json"
	curl -sS -o /dev/null -w '%{http_code}' -c "${3:-/dev/null}" -H 'Content-Type: application/json' \
		--data-binary @"$scratch/login.json" "$URL/v1/login"
}

t "sondeod --help lists users; users --help shows every action"
hq_init "$hq" >"$scratch/init.out" 2>&1 || fail "init: $(cat "$scratch/init.out")"
run "$SONDEOD" --help
check_rc 0
check_out_has "  users "
run "$SONDEOD" users --help
check_rc 0
for a in "users --data DIR add NAME --role viewer|reviewer|admin [--password-file FILE]" "list [--json]" \
	"disable NAME" "enable NAME" "passwd NAME [--password-file FILE]"; do
	check_out_has "$a"
done

t "add with --password-file: a viewer that must change its password, an Argon2id hash, an audit entry"
f=$(pwfile amina.pw "amina's first password")
run "$SONDEOD" users --data "$hq" add amina --role reviewer --password-file "$f"
check_rc 0
check_out_has "added amina (reviewer)"
check_eq "$(db "SELECT role, must_change, disabled FROM users WHERE name = 'amina'")" "reviewer|1|0" "amina's row"
check_eq "$(db "SELECT substr(pwhash, 1, 10) FROM users WHERE name = 'amina'")" '$argon2id$' "hash kind"
check_eq "$(db "SELECT count(*) FROM users WHERE pwhash LIKE '%first password%'")" 0 "password in clear"
check_eq "$(db "SELECT \"user\", ip, action, target, detail FROM audit ORDER BY id DESC LIMIT 1")" \
	'(command line)||user_add|amina|{"role":"reviewer"}' "audit entry"

t "add from standard input, and the options after the name or before the action"
run sh -c "printf 'kofi password 1\n' | \"\$0\" users add kofi --data \"\$1\" --role viewer" "$SONDEOD" "$hq"
check_rc 0
check_out_has "added kofi (viewer)"
run sh -c "printf 'admin2 password\r\n' | \"\$0\" users --role admin --data \"\$1\" add ama" "$SONDEOD" "$hq"
check_rc 0
check_eq "$(db "SELECT role FROM users WHERE name = 'ama'")" admin "ama's role"

t "the passwords set work for logging in; others do not"
start_server || fail "sondeod did not start: $(cat "$log")"
check_eq "$(status_of amina "amina's first password")" 200 "amina's login"
check_eq "$(status_of kofi "kofi password 1")" 200 "kofi's login"
check_eq "$(status_of ama "admin2 password")" 200 "ama's login (\\r\\n stripped)"
check_eq "$(status_of kofi "kofi password 2")" 401 "kofi with a wrong password"

t "on a terminal the password is asked twice and not echoed"
run_pty "$SONDEOD" users --data "$hq" add zawadi --role viewer <<'EOF'
expect New password for zawadi:
send zawadi's secret words
expect Type it again:
send zawadi's secret words
expect added zawadi (viewer)
exit 0
EOF
check_rc 0
check_out_lacks "secret words"
check_eq "$(db "SELECT role, must_change FROM users WHERE name = 'zawadi'")" "viewer|1" "zawadi's row"
check_eq "$(status_of zawadi "zawadi's secret words")" 200 "zawadi's login"

t "on a terminal, two different passwords are refused and nothing is changed"
before=$(snapshot)
run_pty "$SONDEOD" users --data "$hq" add juma --role viewer <<'EOF'
expect New password for juma:
send juma's first try
expect Type it again:
send juma's other try
expect the two passwords typed differ
exit 1
EOF
check_rc 0
check_out_lacks "first try"
check_eq "$(snapshot)" "$before" "accounts, sessions and audit"
run_pty "$SONDEOD" users --data "$hq" passwd kofi <<'EOF'
expect New password for kofi:
send short
expect 10 to 256 bytes
exit 1
EOF
check_rc 0
check_eq "$(snapshot)" "$before" "accounts, sessions and audit"

t "list shows every account; --json as an array"
run "$SONDEOD" users --data "$hq" list
check_rc 0
check_eq "$(printf '%s\n' "$OUT" | head -n 1 | tr -s ' ')" "NAME ROLE STATE PASSWORD CREATED" "header"
check_eq "$(printf '%s\n' "$OUT" | sed 1d | awk '{print $1 "/" $2 "/" $3}' | tr '\n' ' ')" \
	"admin/admin/active ama/admin/active amina/reviewer/active kofi/viewer/active zawadi/viewer/active " "rows"
check_out_has "must change"
run "$SONDEOD" users --data "$hq" list --json
check_rc 0
check_eq "$(printf '%s' "$OUT" | grep -v '"created"' | tr -d ' \n')" \
	'[{"name":"admin","role":"admin","disabled":false,"must_change":true,},{"name":"ama","role":"admin","disabled":false,"must_change":true,},{"name":"amina","role":"reviewer","disabled":false,"must_change":true,},{"name":"kofi","role":"viewer","disabled":false,"must_change":true,},{"name":"zawadi","role":"viewer","disabled":false,"must_change":true,}]' \
	"JSON list without the times"
check_eq "$(printf '%s\n' "$OUT" | grep -c '"created": "[0-9-]*T[0-9:]*Z"')" 5 "created as ISO 8601"

t "refusals: exit 1 with the reason, nothing changed"
before=$(snapshot)
f=$(pwfile good.pw "a good long password")
run "$SONDEOD" users --data "$hq" add amina --role viewer --password-file "$f"
check_rc 1
check_err_has "already an account named 'amina'"
run "$SONDEOD" users --data "$hq" add "bad name" --role viewer --password-file "$f"
check_rc 1
check_err_has "'bad name' is not a valid user name"
run "$SONDEOD" users --data "$hq" add --role viewer --password-file "$f" -- -dash
check_rc 1
check_err_has "not a valid user name"
run "$SONDEOD" users --data "$hq" add juma --role viewer --password-file "$(pwfile short.pw 123456789)"
check_rc 1
check_err_has "has 9 bytes; a password has 10 to 256 bytes"
run "$SONDEOD" users --data "$hq" add juma --role viewer --password-file "$(pwfile long.pw "$(head -c 257 /dev/zero | tr '\0' p)")"
check_rc 1
check_err_has "has 257 bytes; a password has 10 to 256 bytes"
run "$SONDEOD" users --data "$hq" add juma --role viewer --password-file "$(pwfile long.pw "$(head -c 5000 /dev/zero | tr '\0' p)")"
check_rc 1
check_err_has "longer than 256 bytes"
: >"$scratch/empty.pw"
run "$SONDEOD" users --data "$hq" add juma --role viewer --password-file "$scratch/empty.pw"
check_rc 1
check_err_has "is empty"
run "$SONDEOD" users --data "$hq" add juma --role viewer --password-file "$scratch/missing.pw"
check_rc 1
check_err_has "cannot open the password file '$scratch/missing.pw'"
run "$SONDEOD" users --data "$hq" add juma --role viewer </dev/null
check_rc 1
check_err_has "no password on standard input"
printf 'nul\000in the password\n' >"$scratch/nul.pw"
run "$SONDEOD" users --data "$hq" add juma --role viewer --password-file "$scratch/nul.pw"
check_rc 1
check_err_has "NUL"
run "$SONDEOD" users --data "$hq" disable nobody
check_rc 1
check_err_has "there is no account named 'nobody'"
run "$SONDEOD" users --data "$hq" enable nobody
check_rc 1
run "$SONDEOD" users --data "$hq" passwd nobody --password-file "$f"
check_rc 1
check_err_has "there is no account named 'nobody'"
run "$SONDEOD" users --data "$scratch/nowhere" list
check_rc 1
check_err_has "no sondeod data in"
check_eq "$(snapshot)" "$before" "accounts, sessions and audit"

t "usage errors: exit 2, nothing changed"
before=$(snapshot)
for args in "users --data $hq" "users --data $hq frobnicate" "users --data $hq add" \
	"users --data $hq add juma" "users --data $hq add juma --role superuser --password-file $f" \
	"users --data $hq list extra" "users --data $hq disable" "users --data $hq disable amina kofi" \
	"users --data $hq list --role viewer" "users --data $hq disable amina --json" \
	"users --data $hq list --password-file $f" "users --data $hq add juma --role viewer --bogus" \
	"users list"; do
	# shellcheck disable=SC2086 # the arguments are words
	run "$SONDEOD" $args
	check_rc 2
	check_err_has "usage: sondeod users"
done
check_eq "$(snapshot)" "$before" "accounts, sessions and audit"

t "disable ends the account's sessions and refuses its logins; enable lets it in again"
check_eq "$(status_of kofi "kofi password 1" "$scratch/kofi.jar")" 200 "kofi's login"
check_eq "$(curl -sS -b "$scratch/kofi.jar" -o /dev/null -w '%{http_code}' "$URL/v1/session")" 200 "kofi's session"
run "$SONDEOD" users --data "$hq" disable kofi
check_rc 0
check_out_has "disabled kofi; their sessions have ended"
check_eq "$(db "SELECT disabled FROM users WHERE name = 'kofi'")" 1 "kofi disabled"
check_eq "$(db "SELECT count(*) FROM sessions WHERE \"user\" = 'kofi'")" 0 "kofi's sessions"
check_eq "$(curl -sS -b "$scratch/kofi.jar" -o /dev/null -w '%{http_code}' "$URL/v1/session")" 401 "kofi's old session"
check_eq "$(status_of kofi "kofi password 1")" 401 "kofi's login while disabled"
run "$SONDEOD" users --data "$hq" disable kofi
check_rc 0
check_out_has "kofi was already disabled"
run "$SONDEOD" users --data "$hq" list
check_eq "$(printf '%s\n' "$OUT" | awk '$1 == "kofi" {print $3}')" disabled "kofi's state in the list"
run "$SONDEOD" users --data "$hq" enable kofi
check_rc 0
check_out_has "enabled kofi"
run "$SONDEOD" users --data "$hq" enable kofi
check_out_has "kofi was already enabled"
check_eq "$(status_of kofi "kofi password 1")" 200 "kofi's login once enabled"
check_eq "$(db "SELECT action || ' ' || target FROM audit WHERE \"user\" = '(command line)' AND action LIKE 'user_%able'
	ORDER BY id" | tr '\n' ,)" "user_disable kofi,user_enable kofi," "audit entries (one per change)"

t "passwd sets a new password that must be changed, and ends the account's sessions"
check_eq "$(status_of amina "amina's first password" "$scratch/amina.jar")" 200 "amina's login"
check_eq "$(curl -sS -b "$scratch/amina.jar" -o /dev/null -w '%{http_code}' "$URL/v1/session")" 200 "amina's session"
db "UPDATE users SET must_change = 0 WHERE name = 'amina'"
run sh -c "printf 'amina reset password\n' | \"\$0\" users --data \"\$1\" passwd amina" "$SONDEOD" "$hq"
check_rc 0
check_out_has "set a new password for amina"
check_eq "$(db "SELECT must_change FROM users WHERE name = 'amina'")" 1 "must_change"
check_eq "$(db "SELECT count(*) FROM sessions WHERE \"user\" = 'amina'")" 0 "amina's sessions"
check_eq "$(curl -sS -b "$scratch/amina.jar" -o /dev/null -w '%{http_code}' "$URL/v1/session")" 401 "amina's old session"
check_eq "$(status_of amina "amina's first password")" 401 "the old password"
check_eq "$(status_of amina "amina reset password")" 200 "the new password"
check_eq "$(db "SELECT \"user\", action, target, detail FROM audit WHERE action = 'user_passwd'")" \
	"(command line)|user_passwd|amina|{}" "audit entry"

t "devices --revoke and enrol-code write audit entries (and the code stays out of the log)"
db "INSERT INTO enrolled_devices(id, pk, name, region, enrolled) VALUES('5f0c2e9a41d7b3c8e6a19f04d2b7c531',
	$(sql_random32), 'tablet-1', 'east', 1)"
run "$SONDEOD" devices --data "$hq" --revoke 5f0c2e9a
check_rc 0
check_eq "$(db "SELECT \"user\", ip, action, target, detail FROM audit ORDER BY id DESC LIMIT 1")" \
	'(command line)||revoke|5f0c2e9a41d7b3c8e6a19f04d2b7c531|{"device":"tablet-1","region":"east"}' "revoke entry"
run "$SONDEOD" devices --data "$hq" --revoke 5f0c2e9a
check_rc 0
check_eq "$(db "SELECT count(*) FROM audit WHERE action = 'revoke'")" 1 "a second revoke changes nothing"
run "$SONDEOD" enrol-code --data "$hq" --region west --uses 3 --expires 12h
check_rc 0
code=$(printf '%s\n' "$OUT" | head -n 1)
check_eq "$(db "SELECT \"user\", action, target FROM audit ORDER BY id DESC LIMIT 1")" "(command line)|code|west" "code entry"
made=$(date +%s%3N)
check_eq "$(db "SELECT json_extract(detail, '\$.region') || ' ' || json_extract(detail, '\$.uses') || ' ' ||
	$(sql_bool "json_extract(detail, '\$.relay')") FROM audit ORDER BY id DESC LIMIT 1")" "west 3 0" "code entry's region, uses, relay"
expires=$(db "SELECT json_extract(detail, '\$.expires') FROM audit ORDER BY id DESC LIMIT 1")
# 12 hours from when it was made, in epoch ms: at most a minute before $made plus 12 hours.
late=$((made + 43200000 - expires))
[ "$late" -ge 0 ] && [ "$late" -lt 60000 ] || fail "the code entry's expiry is $expires, $late ms before $made + 12 h"
run "$SONDEOD" enrol-code --data "$hq" --region south --relay
check_rc 0
check_eq "$(db "SELECT target || ' ' || json_extract(detail, '\$.uses') || ' ' || $(sql_bool "json_extract(detail, '\$.relay')") FROM audit
	ORDER BY id DESC LIMIT 1")" "south 1 1" "a relay code's entry"
check_eq "$(db "SELECT count(*) FROM audit WHERE detail || target LIKE '%$code%'
	OR detail || target LIKE '%$(printf %s "$code" | tr -d -)%'")" 0 "the code in the log"

# The server goes before the script ends, so that nothing of it outlives the test.
kill "$PID" 2>/dev/null
wait "$PID" 2>/dev/null
done_testing
