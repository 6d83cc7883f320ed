#!/bin/sh
# slowloris.sh - a client trickling header bytes slower than the connection timeout is dropped, while other
# requests keep being answered.
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
SLOW=$(dirname "$SONDEO")/tests/slowloris
hq=$TMPDIR/hq
log=$TMPDIR/serve.log

t "a trickling client is dropped by the timeout; others are served meanwhile"
"$SONDEOD" init --data "$hq" >/dev/null
port=$((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
"$SONDEOD" serve --data "$hq" --listen "127.0.0.1:$port" --timeout 1 2>"$log" &
pid=$!
at_exit "kill $pid 2>/dev/null"
i=0
while [ $i -lt 50 ] && ! grep -q serving "$log"; do sleep 0.1; i=$((i + 1)); done
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

done_testing
