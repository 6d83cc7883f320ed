#!/bin/sh
# edge.sh - what sondeod's HTTP edge refuses before a handler runs: control bytes in a path, a chunked body past
# its cap (read no further than about the cap); and a request log that a request target cannot forge.
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"

# mark, then since: the log's lines written after the mark (the server writes on at its own offset, so the log
# is never truncated under it).
mark() {
	marked=$(wc -l <"$log")
}
since() {
	tail -n +$((marked + 1)) "$log"
}

"$SONDEOD" init --data "$hq" >/dev/null
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }

t "a NUL or another control byte in a path: 400, the page is not served"
run curl -sS -o "$TMPDIR/page" -w '%{http_code}' "$URL/index.html%00.js"
check_eq "$OUT" 400 "GET /index.html%00.js"
grep -q '"error":"bad_path"' "$TMPDIR/page" || fail "no bad_path error: $(head -c 200 "$TMPDIR/page")"
run curl -sS -o /dev/null -w '%{http_code}' "$URL/healthz%0d"
check_eq "$OUT" 400 "GET /healthz%0d"
run curl -sS -o /dev/null -w '%{http_code}' "$URL/healthz%7f"
check_eq "$OUT" 400 "GET /healthz%7f"
run curl -sS -o /dev/null -w '%{http_code}' "$URL/index.html"
check_eq "$OUT" 200 "GET /index.html"

t "the request log shows the target as sent, escaped: one request, one line, no terminal escapes"
mark
run curl -sS -o /dev/null -w '%{http_code}' \
	"$URL/healthz?x=%0a2026-01-01T00:00:00Z%2010.9.9.9%20POST%20/v1/login%20200&y=%1b%5b31m"
check_eq "$OUT" 200 "the forging request"
wait_eq "log lines" 1 5 eval 'since | grep -ac healthz'
since | grep -aq '^2026-01-01T00:00:00Z 10.9.9.9' && fail "a forged line in the log: $(since | cat -v)"
since | grep -aq "$(printf '\033')" && fail "an escape byte reached the log"
# '%' is escaped too, so that every %XX in the log is one the log made.
since | grep -aq 'GET /healthz?x=%250a2026-01-01T00:00:00Z%252010.9.9.9%2520POST%2520/v1/login%2520200&y=%251b%255b31m 200' ||
	fail "the target is not logged as sent: $(since | cat -v)"
# Raw bytes outside 0x21-0x7E, and '%' itself, are escaped the same way.
printf 'GET /healthz?a=\001\177\200%%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >"$TMPDIR/raw"
mark
python3 - "$port" "$TMPDIR/raw" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(open(sys.argv[2], "rb").read())
while s.recv(4096):
    pass
EOF
wait_eq "log lines" 1 5 eval 'since | grep -ac healthz'
since | grep -aq 'GET /healthz?a=%01%7F%80%25zz ' || fail "raw bytes are not escaped: $(since | cat -v)"

t "a chunked body far over the cap: refused after reading about the cap, not the whole body"
mark
# 64 MiB sent without a length to an endpoint that takes 4 KiB, through a pipe: run's OUT stays in this shell.
# libmicrohttpd 0.9.75 cannot answer before a body's end, so the server closes the connection at the cap.
mkfifo "$TMPDIR/zeros"
head -c 67108864 /dev/zero >"$TMPDIR/zeros" 2>/dev/null &
zeros=$!
run curl -sS --max-time 30 -o "$TMPDIR/answer" -w '%{size_upload}' -H 'Transfer-Encoding: chunked' \
	-H 'Content-Type: application/json' --data-binary @- "$URL/v1/login" <"$TMPDIR/zeros"
kill "$zeros" 2>/dev/null
wait "$zeros"
[ "$RC" != 0 ] || fail "curl sent the whole body"
[ "${OUT%.*}" -lt 16777216 ] || fail "curl sent $OUT bytes of 64 MiB"
wait_eq "log lines" 1 10 eval "since | grep -ac 'POST /v1/login'"
line=$(since | grep -a 'POST /v1/login')
case $line in *" 413 in="*) ;; *) fail "not refused with 413: $line" ;; esac
read_in=$(printf '%s\n' "$line" | sed -n 's/.* in=\([0-9]*\) .*/\1/p')
[ -n "$read_in" ] && [ "$read_in" -lt 1048576 ] || fail "the server read $read_in bytes of 64 MiB: $line"
run curl -sS -o /dev/null -w '%{http_code}' "$URL/healthz"
check_eq "$OUT" 200 "healthz after the large body"

done_testing
