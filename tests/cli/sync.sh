#!/bin/sh
# sync.sh - sondeo sync against a real sondeod: changes go up once, come down to the devices of the same
# region only, concurrent edits become a conflict on every device, a resolution converges them all, drafts
# never leave, and a server out of reach keeps everything for the next sync.
# engines: sqlite postgresql
# Every command's main paths: their leaks are looked for too (lib.sh says why the other scripts' are not).
LEAK_CHECK=all
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"

hq_init "$hq" >/dev/null
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
east=$("$SONDEOD" enrol-code --data "$hq" --region east --uses 2 | head -n 1)
west=$("$SONDEOD" enrol-code --data "$hq" --region west | head -n 1)
for d in a b c; do
	SONDEO_HOME=$TMPDIR/dev-$d "$SONDEO" init --name "$d" >/dev/null
done
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" enrol "$URL" "$east" >/dev/null
SONDEO_HOME=$TMPDIR/dev-b "$SONDEO" enrol "$URL" "$east" >/dev/null
SONDEO_HOME=$TMPDIR/dev-c "$SONDEO" enrol "$URL" "$west" >/dev/null

t "--listen 127.0.0.1:0: sondeod names the free port the system gave it, and serves there"
case $port in
'' | 0 | *[!0-9]*) fail "the serving line names port '$port': $(cat "$log")" ;;
*) check_eq "$(curl -s "$URL/healthz")" ok "healthz at $URL" ;;
esac

t "--listen with a port out of range, not a number, or no port at all is refused, naming it"
for bad in 127.0.0.1:65536 127.0.0.1:x 127.0.0.1: 127.0.0.1; do
	run timeout 20 "$SONDEOD" serve --data "$hq" --listen "$bad"
	check_rc 1
	check_err_has "--listen '$bad'"
done

t "a device's records go up once, and reach the other device of its region only"
dev a new --from "$TOP/forms/samples/partnerships.csv"
check_rc 0
head -n 1 "$OUT_FILE" >"$TMPDIR/rec"
rec=$(cat "$TMPDIR/rec")
dev a new --draft --set partner_name="Kept on the laptop"
dev a sync
check_rc 0
check_out_has "136 changes sent, 0 received"
dev a sync
check_out_has "0 changes sent, 0 received"
dev b sync
check_rc 0
check_out_has "0 changes sent, 136 received"
dev b list
check_out_has "Ministry of Labour and Soci"
check_out_lacks "Kept on the laptop"
dev c sync
check_out_has "0 changes sent, 0 received"
check_eq "$(sqlite3 "$TMPDIR/dev-c/store.db" "SELECT count(*) FROM records")" 0 "records on the west device"
check_eq "$(q "$hq" "SELECT count(*) FROM records WHERE draft <> 0")" 0 "drafts on the server"

t "a record begun as a draft has the same creation stamp on its laptop, the other laptop and headquarters"
# Its creation is its first ops' stamp, made when it is finalized: the draft's own start never leaves the laptop.
dev a new --draft --set partner_name="Begun as a draft" --set stakeholder_type=media
check_rc 0
drec=$OUT
dev a edit "$drec" --set country=KEN --set level=local --set thematic_areas=human_rights --finalize
check_rc 0
dev a sync
check_rc 0
dev b sync
check_rc 0
created_of() {
	sqlite3 "$1" "SELECT created FROM records WHERE id = '$drec'"
}
hq_created=$(q "$hq" "SELECT created FROM records WHERE id = '$drec'")
[ -n "$hq_created" ] || fail "headquarters does not hold the record"
check_eq "$(created_of "$TMPDIR/dev-a/store.db")" "$hq_created" "created on the laptop that made it, against headquarters"
check_eq "$(created_of "$TMPDIR/dev-b/store.db")" "$hq_created" "created on the other laptop, against headquarters"
check_eq "$hq_created" "$(q "$hq" "SELECT min(o.hlc) FROM ops o JOIN records r ON r.rid = o.rid
	WHERE r.id = '$drec'")" "created at headquarters, against the record's first op"
dev a show "$drec" --json
a_json=$OUT
dev b show "$drec" --json
check_eq "$(printf '%s\n' "$OUT" | grep '"created"')" "$(printf '%s\n' "$a_json" | grep '"created"')" "created as show prints it"

t "the same answer changed on two devices: a conflict on both, with both values"
dev a edit "$rec" --set country=UGA
dev b edit "$rec" --set country=TZA
dev a sync
dev b sync
check_out_has "1 new record in conflict"
dev a sync
check_out_has "1 new record in conflict"
for d in a b; do
	dev "$d" list --conflicts
	check_out_has "conflict"
	dev "$d" show "$rec"
	check_out_has "UGA"
	check_out_has "TZA"
	check_out_has "CONFLICT"
done

t "one device resolves it, and after syncing every device holds one value and the same history"
dev b resolve "$rec" country KEN
check_rc 0
check_out_has "2 values replaced by one"
dev b sync
dev a sync
for d in a b; do
	dev "$d" list --conflicts
	check_out_lacks "$(printf %.8s "$rec")"
	dev "$d" show "$rec" --json
	check_out_has '"country": "KEN"'
done
check_eq "$(sqlite3 "$TMPDIR/dev-a/store.db" "SELECT group_concat(value, ' ') FROM (SELECT coalesce(nullif(o.value, ''), (SELECT f.value FROM fields f WHERE f.rid = o.rid AND f.field = o.field)) AS value FROM ops o JOIN records r ON r.rid = o.rid WHERE r.id = '$rec' AND o.field = 'country' ORDER BY 1)")" \
	"$(sqlite3 "$TMPDIR/dev-b/store.db" "SELECT group_concat(value, ' ') FROM (SELECT coalesce(nullif(o.value, ''), (SELECT f.value FROM fields f WHERE f.rid = o.rid AND f.field = o.field)) AS value FROM ops o JOIN records r ON r.rid = o.rid WHERE r.id = '$rec' AND o.field = 'country' ORDER BY 1)")" \
	"the country's history on both devices"
dev a resolve "$rec" country KEN
check_rc 1
check_err_has "not in conflict"

t "a server out of reach: exit 3, every change kept, and the next sync sends them"
dev a edit "$rec" --set notes="Written offline"
kill "$PID"
wait "$PID" 2>/dev/null
dev a sync
check_rc 3
check_err_has "server unreachable; 1 change kept for the next sync"
start_server || fail "sondeod did not start again"
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" status | grep -q "not synced:  1 change" || fail "status does not count the change"
# The device remembers the old address; the restarted server listens elsewhere.
sqlite3 "$TMPDIR/dev-a/store.db" "UPDATE meta SET value = '$URL' WHERE key = 'server_url'"
for d in b c; do
	sqlite3 "$TMPDIR/dev-$d/store.db" "UPDATE meta SET value = '$URL' WHERE key = 'server_url'"
done
dev a sync
check_rc 0
check_out_has "1 change sent"
dev b sync
check_out_has "1 received"
dev b show "$rec"
check_out_has "Written offline"

t "an interrupted sync resumes: what the server acknowledged is not sent again"
# The server already holds the device's ops: forget the acknowledgement and sync; the server answers them as
# held, and nothing is duplicated.
sqlite3 "$TMPDIR/dev-a/store.db" "UPDATE meta SET value = '0' WHERE key = 'acked_seq'"
before=$(q "$hq" "SELECT count(*) FROM ops")
dev a sync
check_rc 0
check_out_has "0 changes sent"
check_eq "$(q "$hq" "SELECT count(*) FROM ops")" "$before" "ops on the server"

t "a device clock an hour off: the server says its time, the device corrects itself and syncs"
sqlite3 "$TMPDIR/dev-b/store.db" "INSERT INTO meta(key, value) VALUES('clock_offset_ms', '-3600000')
	ON CONFLICT(key) DO UPDATE SET value = excluded.value"
dev b edit "$rec" --set notes="Clock fixed"
dev b sync --verbose
check_rc 0
check_out_has "1 change sent"
check_err_has "clock is"
off=$(sqlite3 "$TMPDIR/dev-b/store.db" "SELECT value FROM meta WHERE key = 'clock_offset_ms'")
[ "${off#-}" -lt 60000 ] || fail "the offset was not corrected: $off"
grep -q "clock_skew\|401" "$log" || fail "the server did not refuse the first try: $(tail -n 3 "$log")"

t "a form published at headquarters reaches the devices at their next sync"
cat >"$TMPDIR/visit.json" <<'JSON'
{"id": "visit", "version": "1", "title": {"en": "Site visit"},
 "questions": [{"name": "place", "type": "text", "label": {"en": "Place"}, "required": true}]}
JSON
run "$SONDEOD" forms --data "$hq" publish "$TMPDIR/visit.json"
check_rc 0
dev c forms
check_out_lacks "visit"
dev c sync
check_rc 0
dev c forms
check_out_has "visit"
dev c new visit --set place=Kisumu
check_rc 0

t "the server says it misses changes the device thought sent (a gap): the device resends from there"
dev a new --set partner_name="Gap partner" --set stakeholder_type=media --set country=KEN --set level=local \
	--set thematic_areas=human_rights
last=$(sqlite3 "$TMPDIR/dev-a/store.db" "SELECT max(seq) FROM ops o JOIN devices v ON v.did = o.did JOIN meta m ON m.key = 'device' AND m.value = v.id")
sqlite3 "$TMPDIR/dev-a/store.db" "UPDATE meta SET value = '$((last - 3))' WHERE key = 'acked_seq'"
dev a sync
check_rc 0
check_out_has "6 changes sent"
check_eq "$(sqlite3 "$TMPDIR/dev-a/store.db" "SELECT value FROM meta WHERE key = 'acked_seq'")" "$last" "acknowledged seq"
grep -Eq "POST /v1/changesets(\?[^ ]*)? 409" "$log" || fail "the server did not answer a gap"

t "changes too long for one change set go up in several: long answers sync whole"
# 60 records of five answers of 5,000 random words each: about 10 MB of ops, over a change set's limits.
LC_ALL=C awk 'BEGIN { srand(3); print "partner_name,stakeholder_type,country,level,thematic_areas,notes,challenges," \
	"achievements,good_practices,partnership_model"; for (r = 1; r <= 60; r++) { printf "Long %d,media,SEN,local,human_rights", r
	for (f = 0; f < 5; f++) { printf ","; for (i = 0; i < 5000; i++) printf "w%d ", int(rand() * 100000) }
	printf "\n" } }' >"$TMPDIR/long.csv"
SONDEO_HOME=$TMPDIR/dev-c "$SONDEO" new --from "$TMPDIR/long.csv" >/dev/null 2>&1
own=$(sqlite3 "$TMPDIR/dev-c/store.db" "SELECT count(*) FROM ops")
dev c sync
check_rc 0
check_out_has "$own changes sent"
cdev=$(sqlite3 "$TMPDIR/dev-c/store.db" "SELECT value FROM meta WHERE key = 'device'")
sets=$(q "$hq" "SELECT count(*) FROM changesets WHERE device = '$cdev'")
[ "$sets" -ge 2 ] || fail "device c's ops went up in $sets change set"
check_eq "$(q "$hq" "SELECT count(*) FROM records WHERE id IN (SELECT r.id FROM records r
	JOIN fields f ON f.rid = r.rid WHERE f.field = 'partner_name' AND f.value LIKE '\"Long %')")" 60 "long records held"

if [ "${SONDEO_TEST_ENGINE:-sqlite}" = sqlite ]; then
	t "sondeod copies a full WAL back into its database on a thread of its own, while it serves"
	# Some 10 MB went into the WAL: past 1,000 pages, the checkpointer's connection copies them into server.db
	# (requests no longer do it). Were it not running, server.db would stay as it was until sondeod stops.
	# big_db : "yes" once server.db holds over 8 MB.
	big_db() {
		[ "$(stat -c %s "$hq/server.db")" -gt 8000000 ] && echo yes
	}
	wait_eq "server.db past 8 MB while sondeod runs" yes 20 big_db
	kill -0 "$PID" || fail "sondeod stopped"
fi

t "a device that is not enrolled is told so"
SONDEO_HOME=$TMPDIR/dev-z "$SONDEO" init >/dev/null
dev z sync
check_rc 1
check_err_has "not enrolled"

t "without a loadable libcurl, offline work goes on, and sync says what is missing and keeps every change"
# libcurl is loaded when a command first needs the network (common/net.c): a library of that name that is not
# libcurl stands for one that is missing or damaged.
mkdir -p "$TMPDIR/nocurl"
printf 'int not_curl;\n' >"$TMPDIR/nocurl/not.c"
cc -shared -fPIC -o "$TMPDIR/nocurl/libcurl.so.4" "$TMPDIR/nocurl/not.c" || fail "cannot build the stand-in"
dev a edit "$rec" --set notes="Written without libcurl"
check_rc 0
LD_LIBRARY_PATH=$TMPDIR/nocurl dev a list
check_rc 0
check_out_has "$(printf %.8s "$rec")"
before=$(sqlite3 "$TMPDIR/dev-a/store.db" .dump)
LD_LIBRARY_PATH=$TMPDIR/nocurl dev a sync
check_rc 1
check_err_has "libcurl.so.4 lacks curl_global_init"
[ "$(sqlite3 "$TMPDIR/dev-a/store.db" .dump)" = "$before" ] || fail "the laptop's store changed"
printf 'not an ELF file\n' >"$TMPDIR/nocurl/libcurl.so.4"
LD_LIBRARY_PATH=$TMPDIR/nocurl dev a sync
check_rc 1
check_err_has "cannot load libcurl.so.4 (Debian's libcurl4)"
dev a sync
check_rc 0
check_out_has "1 change sent"

done_testing
