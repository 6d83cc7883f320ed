#!/bin/sh
# sync-faults.sh - kill -9 in the middle of syncing: of sondeod during 20 concurrent uploads, and of sondeo
# during a long upload. After a restart and another sync, every op is held exactly once and the stores pass
# PRAGMA integrity_check (the server's when it is SQLite's: on PostgreSQL, what the killed server had not committed
# is rolled back by the database).
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"
N=20

server_ops() {
	q "$hq" "SELECT count(*) FROM ops"
}

# server_intact WHAT : the server's SQLite file passes PRAGMA integrity_check (PostgreSQL keeps its own).
server_intact() {
	[ "${SONDEO_TEST_ENGINE:-sqlite}" = sqlite ] || return 0
	check_eq "$(sqlite3 "$hq/server.db" "PRAGMA integrity_check")" ok "$1"
}

# The ops all devices made: what the server must end up holding.
device_ops() {
	total=0
	for d in "$TMPDIR"/dev-*; do
		total=$((total + $(sqlite3 "$d/store.db" "SELECT count(*) FROM ops o JOIN devices v ON v.did = o.did
			JOIN meta m ON m.key = 'device' AND m.value = v.id")))
	done
	echo "$total"
}

point_all_at() {
	for d in "$TMPDIR"/dev-*; do
		sqlite3 "$d/store.db" "UPDATE meta SET value = '$1' WHERE key = 'server_url'"
	done
}

hq_init "$hq" >/dev/null
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
code=$("$SONDEOD" enrol-code --data "$hq" --region east --uses $((N + 1)) | head -n 1)
i=1
while [ $i -le $N ]; do
	SONDEO_HOME=$TMPDIR/dev-$i "$SONDEO" init >/dev/null
	SONDEO_HOME=$TMPDIR/dev-$i "$SONDEO" enrol "$URL" "$code" >/dev/null
	SONDEO_HOME=$TMPDIR/dev-$i "$SONDEO" new --set partner_name="Partner $i" --set stakeholder_type=media \
		--set country=KEN --set level=local --set thematic_areas=human_rights >/dev/null 2>&1
	i=$((i + 1))
done

t "kill -9 of sondeod during $N concurrent uploads, restart, sync again: every op held exactly once"
i=1
while [ $i -le $N ]; do
	SONDEO_HOME=$TMPDIR/dev-$i "$SONDEO" sync >/dev/null 2>&1 &
	i=$((i + 1))
done
sleep 0.$(od -An -N1 -tu1 /dev/urandom | tr -d ' ' | cut -c1)
kill -9 "$PID"
wait 2>/dev/null
server_intact "integrity_check after kill -9"
held=$(server_ops)
start_server || fail "sondeod did not start again: $(cat "$log")"
point_all_at "$URL"
i=1
while [ $i -le $N ]; do
	SONDEO_HOME=$TMPDIR/dev-$i "$SONDEO" sync >/dev/null 2>"$TMPDIR/sync-$i.err" || fail "sync $i: $(cat "$TMPDIR/sync-$i.err")"
	i=$((i + 1))
done
check_eq "$(server_ops)" "$(device_ops)" "ops held (had $held when killed)"
check_eq "$(ops_twice "$hq")" 0 "ops held twice"
check_eq "$(q "$hq" "SELECT sum(equivocations) FROM enrolled_devices")" 0 "equivocations"
server_intact "integrity_check"

t "kill -9 of sondeo during a long upload: the next sync completes, nothing lost or duplicated"
big=$TMPDIR/big.csv
head -n 1 "$TOP/forms/samples/partnerships.csv" >"$big"
k=0
while [ $k -lt 125 ]; do
	tail -n +2 "$TOP/forms/samples/partnerships.csv" >>"$big"
	k=$((k + 1))
done
SONDEO_HOME=$TMPDIR/dev-1 "$SONDEO" new --from "$big" >/dev/null 2>&1
SONDEO_HOME=$TMPDIR/dev-1 "$SONDEO" sync >/dev/null 2>&1 &
spid=$!
sleep 0.5
kill -9 "$spid" 2>/dev/null
wait "$spid" 2>/dev/null
check_eq "$(sqlite3 "$TMPDIR/dev-1/store.db" "PRAGMA integrity_check")" ok "the device's store"
run env SONDEO_HOME="$TMPDIR/dev-1" "$SONDEO" sync
check_rc 0
check_eq "$(server_ops)" "$(device_ops)" "ops held"
check_eq "$(ops_twice "$hq")" 0 "ops held twice"
last=$(sqlite3 "$TMPDIR/dev-1/store.db" "SELECT max(seq) FROM ops o JOIN devices v ON v.did = o.did JOIN meta m ON m.key = 'device' AND m.value = v.id")
check_eq "$(sqlite3 "$TMPDIR/dev-1/store.db" "SELECT value FROM meta WHERE key = 'acked_seq'")" "$last" "acknowledged seq"

t "a long sync on a terminal shows its progress"
SONDEO_HOME=$TMPDIR/dev-2 "$SONDEO" new --from "$big" >/dev/null 2>&1
SONDEO_HOME=$TMPDIR/dev-2
export SONDEO_HOME
run "$PTYRUN" -t 120 - -- "$SONDEO" sync <<'SCRIPT'
expect sending changes: 10,000 of 
expect synced with
exit 0
SCRIPT
check_rc 0
unset SONDEO_HOME

t "a disk that fills up during a new device's pull: sync says so, and the next one receives everything once"
# The pull takes in one page while the next is fetched: the store failing on a page must stop the fetching
# too, and leave the cursor at the last page taken. The device's store is on a small tmpfs of its own (a
# private mount namespace), copied out again before that namespace ends.
if ! unshare -rm sh -c 'mount -t tmpfs -o size=64k tmpfs "$1"' sh "$TMPDIR" 2>/dev/null; then
	skip "cannot mount in a private namespace here (unshare -rm)"
else
	code=$("$SONDEOD" enrol-code --data "$hq" --region east | head -n 1)
	SONDEO_HOME=$TMPDIR/newdev "$SONDEO" init >/dev/null
	SONDEO_HOME=$TMPDIR/newdev "$SONDEO" enrol "$URL" "$code" >/dev/null
	mkdir -p "$TMPDIR/small"
	run unshare -rm sh -c 'mount -t tmpfs -o size=2m tmpfs "$1" && cp -a "$2"/. "$1"/ &&
		SONDEO_HOME=$1 "$3" sync; rc=$?; cp -a "$1"/. "$2"/; exit $rc' sh "$TMPDIR/small" "$TMPDIR/newdev" \
		"$SONDEO"
	check_rc 1
	check_err_has "full"
	check_eq "$(sqlite3 "$TMPDIR/newdev/store.db" "PRAGMA integrity_check")" ok "the device's store"
	got=$(sqlite3 "$TMPDIR/newdev/store.db" "SELECT count(*) FROM ops")
	[ "$got" -lt "$(server_ops)" ] || fail "the whole pull fitted in the small disk ($got ops): nothing was tested"
	run env SONDEO_HOME="$TMPDIR/newdev" "$SONDEO" sync
	check_rc 0
	check_eq "$(sqlite3 "$TMPDIR/newdev/store.db" "SELECT count(*) FROM ops")" "$(server_ops)" "ops received"
	check_eq "$(sqlite3 "$TMPDIR/newdev/store.db" "SELECT count(*) FROM records")" \
		"$(q "$hq" "SELECT count(*) FROM records")" "records received"
fi

done_testing
