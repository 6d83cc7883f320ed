#!/bin/sh
# hardening.sh - sondeod's edge as an attacker meets it, on loopback: TLS versions and ciphers, processes that hold
# secrets and cannot be dumped, and enrolment answers that do not tell which codes exist.
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
# tests/run.sh keeps every test's processes dumpable so that it can find them; here the default is what is checked.
unset SONDEO_CORE_DUMPS
hq=$TMPDIR/hq
log=$TMPDIR/serve.log

. "$TOP/tests/cli/server.inc"

"$SONDEOD" init --data "$hq" >/dev/null 2>&1 || fail "sondeod init failed"

# ------------------------------------------------------------------------------------------------------------ TLS

t "HTTPS: TLS 1.0 and 1.1 are refused, TLS 1.2 and 1.3 accepted, a weak cipher at TLS 1.2 refused"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$TMPDIR/key.pem" \
	-out "$TMPDIR/cert.pem" -days 2 -subj "/CN=localhost" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null ||
	fail "openssl could not make a certificate"
if serve_any "$hq" "$TMPDIR/tls.log" --tls-cert "$TMPDIR/cert.pem" --tls-key "$TMPDIR/key.pem"; then
	# hello VERSION [CIPHER] : the protocol openssl s_client agreed with the server, or "refused". Debian's openssl
	# offers TLS 1.0 and 1.1 only at security level 0: it offers them here, so a refusal is the server's.
	hello() {
		if openssl s_client -brief -connect "127.0.0.1:$SPORT" "$1" -cipher "${2:-DEFAULT@SECLEVEL=0}" \
			</dev/null >"$TMPDIR/hello" 2>&1; then
			sed -n 's/^Protocol version: //p' "$TMPDIR/hello"
		else
			echo refused
		fi
	}
	check_eq "$(hello -tls1)" refused "TLS 1.0"
	check_eq "$(hello -tls1_1)" refused "TLS 1.1"
	check_eq "$(hello -tls1_2)" TLSv1.2 "TLS 1.2"
	check_eq "$(hello -tls1_3)" TLSv1.3 "TLS 1.3"
	# CBC with SHA-1, and CBC with SHA-384: each offered alone, so the server takes it or nothing.
	check_eq "$(hello -tls1_2 'ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0')" refused "ECDHE-ECDSA-AES128-SHA at TLS 1.2"
	check_eq "$(hello -tls1_2 'ECDHE-ECDSA-AES256-SHA384:@SECLEVEL=0')" refused "ECDHE-ECDSA-AES256-SHA384 at TLS 1.2"
	check_eq "$(hello -tls1_2 'ECDHE-ECDSA-AES128-GCM-SHA256')" TLSv1.2 "ECDHE-ECDSA-AES128-GCM-SHA256 at TLS 1.2"
	run curl -sS --cacert "$TMPDIR/cert.pem" "https://127.0.0.1:$SPORT/healthz"
	check_eq "$OUT" ok "healthz over HTTPS"
	kill "$SPID"
	wait "$SPID" 2>/dev/null
else
	fail "sondeod did not serve HTTPS: $(cat "$TMPDIR/tls.log")"
fi

# ----------------------------------------------------------------------------------------------------- core dumps

# /proc/PID/mem and /proc/PID/environ belong to the process's user while it is dumpable, and to root once it is not
# (proc(5)). As root that
# tells nothing, so the programs then run as nobody, in a directory nobody can reach (TMPDIR's parents are private).
if [ "$(id -u)" = 0 ]; then
	AS="setpriv --reuid=65534 --regid=65534 --clear-groups"
	user=65534
else
	AS=""
	user=$(id -u)
fi
open=$(mktemp -d /tmp/sondeo-dump.XXXXXX) || fail "cannot make a directory in /tmp"
at_exit "rm -rf '$open'"
chmod 755 "$open"
"$SONDEOD" init --data "$open/hq" >/dev/null 2>&1 || fail "sondeod init failed"
SONDEO_HOME=$open/dev "$SONDEO" init >/dev/null 2>&1 || fail "sondeo init failed"
mkfifo "$open/stdin"
[ "$user" = "$(id -u)" ] || chown -R "$user:$user" "$open"

# serve_as LOG [ENV...] : sondeod serve on $open/hq as that user, with ENV; sets DPID, or returns 1.
serve_as() {
	dlog=$1
	shift
	: >"$dlog"
	$AS env "$@" "$SONDEOD" serve --data "$open/hq" --listen 127.0.0.1:0 2>"$dlog" &
	DPID=$!
	await_serving "$dlog" "$DPID" && return 0
	kill "$DPID" 2>/dev/null
	wait "$DPID" 2>/dev/null
	return 1
}

t "sondeod serve cannot be dumped: its /proc/PID/mem belongs to root, not to its user"
if serve_as "$TMPDIR/dump.log"; then
	check_eq "$(stat -c %u "/proc/$DPID/mem")" 0 "owner of /proc/$DPID/mem"
	check_eq "$(stat -c %u "/proc/$DPID/environ")" 0 "owner of /proc/$DPID/environ"
	kill "$DPID"
	wait "$DPID" 2>/dev/null
else
	fail "sondeod did not start: $(cat "$TMPDIR/dump.log")"
fi

t "SONDEO_CORE_DUMPS=1 keeps sondeod dumpable, for an operator who wants its cores"
if serve_as "$TMPDIR/dump.log" SONDEO_CORE_DUMPS=1; then
	check_eq "$(stat -c %u "/proc/$DPID/mem")" "$user" "owner of /proc/$DPID/mem"
	kill "$DPID"
	wait "$DPID" 2>/dev/null
else
	fail "sondeod did not start: $(cat "$TMPDIR/dump.log")"
fi

# exe_state PID : the program PID runs and its state letter (S while it waits for input).
exe_state() {
	printf '%s %s' "$(readlink "/proc/$1/exe")" "$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status")"
}

# owner_of_sondeo [ENV...] : sets owner to the owner of /proc/PID of a sondeo, run as that user with ENV, while it
# waits for records on a pipe (started, so past main's first lines, and holding its store open).
owner_of_sondeo() {
	$AS env "$@" SONDEO_HOME="$open/dev" "$SONDEO" new --from - <"$open/stdin" >/dev/null 2>&1 &
	epid=$!
	exec 9>"$open/stdin"
	wait_eq "sondeo's program and state" "$SONDEO S" 5 exe_state "$epid"
	owner=$(stat -c %u "/proc/$epid/mem")
	exec 9>&-
	wait "$epid" 2>/dev/null
}

t "sondeo cannot be dumped either, unless SONDEO_CORE_DUMPS=1"
owner_of_sondeo
check_eq "$owner" 0 "owner of sondeo's /proc files"
owner_of_sondeo SONDEO_CORE_DUMPS=1
check_eq "$owner" "$user" "owner of sondeo's /proc files with SONDEO_CORE_DUMPS=1"

# ------------------------------------------------------------------------------------------------------ enrolment

t "an unknown code and a known code with a bad MAC get the very same answer"
start_server || fail "sondeod did not start: $(cat "$log")"
code=$("$SONDEOD" enrol-code --data "$hq" | head -n 1)
known=$(printf '%s' "$code" | tr -d - | cut -c 1-5)
unknown=ZZZZZ
[ "$known" != ZZZZZ ] || unknown=YYYYY
pk=$(sed -n 2p "$hq/server.pub")
# answer ID : the whole HTTP answer (status line, headers, body) to an enrolment with code ID and a MAC that is
# not the code's, Date removed: it says when, not what.
answer() {
	curl -sS -i -H 'Content-Type: application/json' --data "{\"code\":\"$1\",\"public_key\":\"$pk\",\"name\":\"probe\",\
\"nonce\":\"0123456789abcdef0123456789abcdef\",\"mac\":\"$(printf '%064d' 0)\"}" "$URL/v1/enrol" | grep -iv '^date:'
}
answer "$known" >"$TMPDIR/known"
answer "$unknown" >"$TMPDIR/unknown"
cmp -s "$TMPDIR/known" "$TMPDIR/unknown" ||
	fail "the answers differ: $(diff "$TMPDIR/known" "$TMPDIR/unknown" | tr '\n' ' ')"
check_eq "$(head -n 1 "$TMPDIR/known" | tr -d '\r')" "HTTP/1.1 403 Forbidden" "status"
# The code is still usable: a bad MAC used nothing.
new_store
"$SONDEO" init >/dev/null
run "$SONDEO" enrol "$URL" "$code"
check_rc 0

done_testing
