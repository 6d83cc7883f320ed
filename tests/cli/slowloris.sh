#!/bin/sh
# slowloris.sh - a client trickling header bytes slower than the connection timeout is dropped, while other
# requests keep being answered; and a thousand trickling connections from 64 addresses leave room for a device
# to sync.
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
SLOW=$(dirname "$SONDEO")/tests/slowloris
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"

t "a trickling client is dropped by the timeout; others are served meanwhile"
"$SONDEOD" init --data "$hq" >/dev/null
serve_on "$hq" "$log" 0 --timeout 1 || fail "sondeod did not start: $(cat "$log")"
port=$SPORT pid=$SPID
"$SLOW" "$port" 1500 10 >"$TMPDIR/slow1" &
s1=$!
"$SLOW" "$port" 1500 10 >"$TMPDIR/slow2" &
s2=$!
sleep 0.3
run curl -sS --max-time 5 "http://127.0.0.1:$port/healthz"
check_rc 0
check_eq "$OUT" ok "healthz while two clients trickle"
wait "$s1" "$s2"
for f in slow1 slow2; do
	case $(cat "$TMPDIR/$f") in
	"dropped after "[0-4]" s") ;;
	*) fail "the trickling client was not dropped in time: $(cat "$TMPDIR/$f")" ;;
	esac
done
run "$SONDEOD" serve --data "$hq" --timeout 0
check_rc 2
check_err_has "--timeout takes a number of seconds"
run "$SONDEOD" serve --data "$hq" --header-timeout 0
check_rc 2
check_err_has "--header-timeout takes a number of seconds from 1 to 3600"
run "$SONDEOD" serve --data "$hq" --body-rate 1k
check_rc 2
check_err_has "--body-rate takes a number of bytes per second"
kill "$pid"
wait "$pid" 2>/dev/null

t "1,024 connections trickling headers from 64 addresses: a device still syncs"
# The server's defaults: 1,000 connections, 16 from one address. One header line a second from each of
# 16 x 64 connections (more than the limit) never ends its headers; dropped connections are opened again.
serve_any "$hq" "$log" || fail "sondeod did not start: $(cat "$log")"
code=$("$SONDEOD" enrol-code --data "$hq" --region east | head -n 1)
export SONDEO_HOME="$TMPDIR/dev"
"$SONDEO" init --name trickled >/dev/null
"$SONDEO" enrol "$SURL" "$code" >/dev/null
"$SONDEO" new --set partner_name="Under siege" --set stakeholder_type=media --set country=KEN --set level=local \
	--set thematic_areas=human_rights >/dev/null
"$SLOW" -n 1024 -a 64 "$SPORT" 1000 60 >"$TMPDIR/many" &
many=$!
at_exit "kill $many 2>/dev/null"
wait_eq "the trickling clients" ready 20 cat "$TMPDIR/many"
# The connections are open once the server holds them all (or as many as it lets in).
wait_eq "connections held" yes 20 sh -c "[ \$(ss -Htn state established '( sport = :$SPORT )' | wc -l) -ge 800 ] && echo yes"
run "$SONDEO" sync
check_rc 0
check_out_has "changes sent"
run curl -sS --max-time 10 "$SURL/metrics"
check_out_has 'sondeod_http_dropped_total{reason="room"}'
kill "$many"
wait "$many" 2>/dev/null

done_testing
