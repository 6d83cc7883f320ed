#!/bin/sh
# server-disk.sh - sondeod on a full disk, on loopback: the devices are told, and so is the operator (the log,
# /healthz, /metrics), until a write succeeds again.
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"
disk=$TMPDIR/disk
mkdir -p "$disk"


if ! unshare -rm sh -c 'mount -t tmpfs -o size=64k tmpfs "$1"' sh "$disk" 2>/dev/null; then
	t "a full disk at the server"
	skip "cannot mount a tmpfs in a private namespace here (unshare -rm)"
	done_testing
fi

# The server's data directory on a 4 MiB tmpfs in a mount namespace of its own; the test reaches the tmpfs through
# /proc/PID/root of the shell that mounted it (df would not: it reads the mounts of its own namespace). Its log stays outside, where there is room.
cat >"$TMPDIR/serve.sh" <<'EOF'
echo $$ >"$5"
mount -t tmpfs -o size=4m tmpfs "$1" || exit 3
"$SONDEOD" init --data "$1/hq" >/dev/null 2>&1 || exit 4
"$SONDEOD" enrol-code --data "$1/hq" --region east | head -n 1 >"$3" || exit 5
"$SONDEOD" serve --data "$1/hq" --listen "127.0.0.1:$2" 2>"$4" &
trap 'kill $!; wait $!' TERM
wait
EOF
server_log "$log"
: >"$log"
ASAN_OPTIONS=$SERVER_ASAN_OPTIONS unshare -rm sh "$TMPDIR/serve.sh" "$disk" 0 "$TMPDIR/code" "$log" "$TMPDIR/inner" &
NSPID=$!
await_serving "$log" "$NSPID" || { t "sondeod starts on a small disk"; fail "it did not: $(cat "$log")"; done_testing; }
# unshare may start the shell as a child of its own: the shell said which process it is.
INNER=$(cat "$TMPDIR/inner")
at_exit "kill $INNER 2>/dev/null; wait $NSPID 2>/dev/null"
URL=$SERVED
inside=/proc/$INNER/root$disk

# healthz : the status and body of /healthz on one line.
healthz() {
	curl -sS -w ' %{http_code}' "$URL/healthz" | tr '\n' ' '
}
# writable : the sondeod_store_writable gauge.
writable() {
	curl -sS "$URL/metrics" | sed -n 's/^sondeod_store_writable //p'
}
# ops : the ops the server holds, as /metrics counts them (sqlite3 would resolve /proc/PID/root away).
ops() {
	curl -sS "$URL/metrics" | sed -n 's/^sondeod_ops_merged_total //p'
}
# records N : N new records on the device.
records() {
	awk -v n="$1" -v from="$2" 'BEGIN {
		print "partner_name,stakeholder_type,country,level,thematic_areas,notes"
		for (i = from; i < from + n; i++)
			printf "Disk Org %d,media,KEN,local,human_rights,%s\n", i, sprintf("%0300d", i)
	}' >"$TMPDIR/records.csv"
	"$SONDEO" new --from "$TMPDIR/records.csv" >/dev/null 2>&1
}

t "a device syncs with the server while its disk has room; /healthz and /metrics say it can write"
check_eq "$(grep -c serving "$log")" 1 "sondeod serving on its tmpfs"
new_store
"$SONDEO" init --name full-1 >/dev/null
run "$SONDEO" enrol "$URL" "$(cat "$TMPDIR/code")"
check_rc 0
records 5 1
run "$SONDEO" sync
check_rc 0
check_eq "$(healthz)" "ok  200" "/healthz"
check_eq "$(writable)" 1 "sondeod_store_writable"

t "a full disk: the device is told, the log names the store and the error, /healthz and /metrics say so"
# Every block the tmpfs has left goes to the filler; the store then cannot grow.
dd if=/dev/zero of="$inside/filler" bs=4k 2>/dev/null
check_eq "$(stat -f -c %a "$inside")" 0 "blocks free on the server's disk"
records 200 6
before=$(ops)
run "$SONDEO" sync
check_rc 1
check_err_has "the disk is full"
check_eq "$(ops)" "$before" "ops held by the server"
check_eq "$(grep -c "sondeod: the store .*/hq/server.db cannot write: the disk is full" "$log")" 1 \
	"log lines naming the store and the error"
check_eq "$(healthz)" '{"error":"store_unwritable","message":"the store cannot write: the disk is full"}  503' \
	"/healthz"
check_eq "$(writable)" 0 "sondeod_store_writable"

t "room again: the next write succeeds, and /healthz, /metrics and the log say the store can write"
rm -f "$inside/filler"
# Nothing has written yet: what the last write met still stands.
check_eq "$(writable)" 0 "sondeod_store_writable before a write"
run "$SONDEO" sync
check_rc 0
check_eq "$(healthz)" "ok  200" "/healthz"
check_eq "$(writable)" 1 "sondeod_store_writable"
check_eq "$(grep -c "sondeod: the store .*/hq/server.db can write again" "$log")" 1 "log lines saying so"
check_eq "$(ops)" "$(sqlite3 "$SONDEO_HOME/store.db" "SELECT count(*) FROM ops")" \
	"ops held by the server and by the device"

done_testing
