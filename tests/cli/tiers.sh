#!/bin/sh
# tiers.sh - headquarters, two regional servers relaying to it (sondeod serve --upstream, through a proxy that
# refuses or cuts connections: tests/cutproxy.c) and laptops of both regions, all real processes on loopback
# (docs/relay-design.md). What a regional server accepts goes up byte for byte, vouched for; what headquarters
# holds of a region comes down, reviews included. Then the link cut, kill -9 at each tier (office, headquarters,
# laptop), an altered change set, a revocation at either tier, a laptop that syncs with its region one day and
# headquarters the next, and random sync orders: every tier ends with the same data, nothing lost or held twice.
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
north=$TMPDIR/north
south=$TMPDIR/south
log=$TMPDIR/hq.log
. "$TOP/tests/cli/server.inc"
py_start   # one python3 for the whole script: lib.sh's py

# waiting DIR : change sets and vouches waiting in a regional server's queue.
waiting() {
	q "$1" "SELECT count(*) FROM relay_queue"
}

# state REPLICA [WHERE] : the merged data of a replica (a server's data directory, or a laptop's store.db): every
# field's value and heads, of the records WHERE selects.
state() {
	_fields="SELECT r.id, f.field, f.value FROM fields f JOIN records r ON r.rid = f.rid
		WHERE r.draft = 0 ${2:-} ORDER BY 1, 2"
	_heads="SELECT r.id, h.field, d.id, o.seq FROM heads h
		JOIN records r ON r.rid = h.rid JOIN ops o ON o.id = h.op JOIN devices d ON d.did = o.did
		WHERE r.draft = 0 ${2:-} ORDER BY 1, 2, 3, 4"
	if [ -d "$1" ]; then
		q "$1" "$_fields"
		q "$1" "$_heads"
	else
		sqlite3 "$1" "$_fields" "$_heads"
	fi
}
NORTH="AND r.rid IN (SELECT rid FROM record_regions WHERE region = 'north')"

# north_caught_up : "same" once the north office holds what headquarters holds of region north.
north_caught_up() {
	if [ "$(state "$hq" "$NORTH")" = "$(state "$north" "$NORTH")" ]; then
		echo same
	else
		echo different
	fi
}

# proxy_up / proxy_down : the link between the regional servers and headquarters (one proxy each, on ports
# fixed at the start so that the regional servers keep their --upstream).
proxy_up() {
	: >"$TMPDIR/proxy-$1.out"   # now: the shell empties it for the new proxy only once that has started
	"$(dirname "$SONDEO")/tests/cutproxy" "$1" "$HQ_PORT" "${2:-0}" "${3:-0}" >"$TMPDIR/proxy-$1.out" 2>&1 &
	eval "proxy_$1=\$!"
	at_exit "kill $! 2>/dev/null"
	i=0
	while [ $i -lt 1200 ] && ! grep -q "^ready" "$TMPDIR/proxy-$1.out" 2>/dev/null; do
		eval "kill -0 \$proxy_$1" 2>/dev/null || break
		sleep 0.05
		i=$((i + 1))
	done
	grep -q "^ready" "$TMPDIR/proxy-$1.out" ||
		fail "the proxy on port $1 did not start: $(cat "$TMPDIR/proxy-$1.out")"
}
# proxy_down PORT : the link goes down: the proxy stops, and so do the connections it carries (each served by a
# child of its own), as they would: the office keeps its connection to headquarters open between requests.
proxy_down() {
	eval "pkill -P \$proxy_$1 2>/dev/null; kill \$proxy_$1 2>/dev/null; wait \$proxy_$1 2>/dev/null"
}

# free_port : a port nothing listens on now, below the kernel's range of outgoing ports: a client that keeps
# connecting to a port of that range while nothing listens there can end up connected to itself, holding it.
free_port() {
	py -c 'import random, socket
while True:
    p = random.randint(10000, 32000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        print(p)
        s.close()
        break
    except OSError:
        pass'
}

# regional NAME : (re)starts regional server NAME on its port, relaying through its proxy.
regional() {
	eval "rport=\$port_$1 pport=\$pport_$1"
	rlog=$TMPDIR/$1.log.$(date +%s%N)
	serve_on "$TMPDIR/$1" "$rlog" "$rport" --upstream "http://127.0.0.1:$pport" \
		--pull-every 1 --retry-max 1 || fail "regional server $1 did not start"
	eval "pid_$1=\$SPID log_$1=\$rlog"
}

# --- Headquarters, and the two regional servers enrolled there -------------------------------------------
hq_init "$hq" >/dev/null
serve_low "$hq" "$log" || { t "headquarters starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
HQ_URL=$SURL HQ_PORT=$SPORT HQ_PID=$SPID
for r in north south; do
	hq_init "$TMPDIR/$r" >/dev/null
	code=$("$SONDEOD" enrol-code --data "$hq" --region "$r" --relay | head -n 1)
	"$SONDEOD" enrol --data "$TMPDIR/$r" --name "office-$r" "$HQ_URL" "$code" >/dev/null
	eval "port_$r=$(free_port) pport_$r=$(free_port)"
	eval "proxy_up \$pport_$r"
	regional "$r"
done
printf 'first-password-1\n' >"$TMPDIR/pw"

# Laptops: n1, n2 of the north office, s1 of the south office, h1 of region north enrolled at headquarters.
ncode=$("$SONDEOD" enrol-code --data "$north" --uses 2 | head -n 1)
scode=$("$SONDEOD" enrol-code --data "$south" | head -n 1)
hcode=$("$SONDEOD" enrol-code --data "$hq" --region north | head -n 1)
for d in n1:$port_north:$ncode n2:$port_north:$ncode s1:$port_south:$scode h1:$HQ_PORT:$hcode; do
	name=${d%%:*} rest=${d#*:}
	SONDEO_HOME=$TMPDIR/dev-$name "$SONDEO" init --name "$name" >/dev/null
	SONDEO_HOME=$TMPDIR/dev-$name "$SONDEO" enrol "http://127.0.0.1:${rest%%:*}" "${rest#*:}" >/dev/null ||
		fail "laptop $name did not enrol"
done

t "a laptop's change sets reach headquarters through its regional server, byte for byte and vouched for"
SONDEO_HOME=$TMPDIR/dev-n1 "$SONDEO" new --from "$TOP/forms/samples/partnerships.csv" >"$TMPDIR/n1.ids" 2>/dev/null
dev n1 sync
check_rc 0
check_out_has "136 changes sent"
n1=$(q "$north" "SELECT id FROM enrolled_devices WHERE name = 'n1'")
wait_eq "ops of n1 at headquarters" 136 20 q "$hq" "SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = '$n1'"
check_eq "$(q "$hq" "SELECT $(sql_hex bytes) FROM changesets WHERE device = '$n1' ORDER BY first_seq")" \
	"$(q "$north" "SELECT $(sql_hex bytes) FROM changesets WHERE device = '$n1' ORDER BY first_seq")" "the change sets' bytes"
relay_n=$(q "$hq" "SELECT id FROM enrolled_devices WHERE name = 'office-north'")
check_eq "$(q "$hq" "SELECT name || ' ' || region || ' ' || via FROM enrolled_devices WHERE id = '$n1'")" \
	"n1 north $relay_n" "n1 at headquarters"
check_eq "$(q "$hq" "SELECT DISTINCT via FROM changesets WHERE device = '$n1'")" "$relay_n" "who forwarded them"
wait_eq "the north queue" 0 10 waiting "$north"

t "sondeod status shows the link at both tiers"
run "$SONDEOD" status --data "$north"
check_rc 0
check_out_has "regional server of region north, relaying to $HQ_URL"
check_out_has "headquarters' key:  $(grep -o 'server key [0-9a-f]*' "$log" | sed 's/server key //')"
check_out_has "waiting:            nothing"
check_out_lacks "last contact:       never"
run "$SONDEOD" status --data "$north" --json
check_out_has '"changesets_waiting": 0'
check_out_has '"region": "north"'
run "$SONDEOD" status --data "$hq"
check_rc 0
check_out_has "2 regional servers enrolled here"
check_out_has "office-north"
check_out_has "office-south"

t "headquarters' data of the region comes down: another laptop's ops and a reviewer's decision, with its name"
SONDEO_HOME=$TMPDIR/dev-h1 "$SONDEO" new --set partner_name="Direct partner" --set stakeholder_type=media \
	--set country=KEN --set level=local --set thematic_areas=human_rights >/dev/null
dev h1 sync
check_out_has "6 changes sent, 136 received"
"$SONDEOD" users --data "$hq" add rita --role reviewer --password-file "$TMPDIR/pw" >/dev/null
curl -s -c "$TMPDIR/jar" -H 'Content-Type: application/json' -d '{"user":"rita","password":"first-password-1"}' \
	"$HQ_URL/v1/login" >"$TMPDIR/answer"
csrf=$(sed -n 's/.*"csrf": *"\([0-9a-f]*\)".*/\1/p' "$TMPDIR/answer")
curl -s -b "$TMPDIR/jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
	-d '{"old":"first-password-1","new":"second-password-2"}' "$HQ_URL/v1/password" >/dev/null
rec=$(head -n 1 "$TMPDIR/n1.ids")
code=$(curl -s -o "$TMPDIR/answer" -w '%{http_code}' -b "$TMPDIR/jar" -H "X-CSRF-Token: $csrf" \
	-H 'Content-Type: application/json' -d "{\"record\":\"$rec\",\"status\":\"has_issues\",\"comment\":\"Which ministry?\"}" \
	"$HQ_URL/v1/review")
check_eq "$code" 200 "the review's status"
wait_eq "ops at the north office" 143 20 q "$north" "SELECT count(*) FROM ops"
check_eq "$(q "$north" "SELECT kind FROM (SELECT CASE WHEN upstream <> 0 THEN 'hq-only' ELSE 'ours' END kind
	FROM enrolled_devices WHERE name = 'h1') AS t")" "hq-only" "h1 at the north office"
dev n1 sync
check_out_has "0 changes sent, 7 received"
dev n1 show "$(printf %.8s "$rec")" --json --history
check_out_has '"by": "rita"'
dev n1 list
check_out_has "has issues: Which ministry?"

t "a laptop known at the office only through headquarters may not sign requests there"
cp -r "$TMPDIR/dev-h1" "$TMPDIR/dev-h1x"
sqlite3 "$TMPDIR/dev-h1x/store.db" "UPDATE meta SET value = 'http://127.0.0.1:$port_north' WHERE key = 'server_url'"
dev h1x sync
check_rc 1
check_err_has "is not enrolled here"

t "a reviewer at the regional office works on the region's data, and headquarters gets the decision"
"$SONDEOD" users --data "$north" add nadia --role reviewer --password-file "$TMPDIR/pw" >/dev/null
NURL=http://127.0.0.1:$port_north
curl -s -c "$TMPDIR/njar" -H 'Content-Type: application/json' -d '{"user":"nadia","password":"first-password-1"}' \
	"$NURL/v1/login" >"$TMPDIR/answer"
ncsrf=$(sed -n 's/.*"csrf": *"\([0-9a-f]*\)".*/\1/p' "$TMPDIR/answer")
curl -s -b "$TMPDIR/njar" -H "X-CSRF-Token: $ncsrf" -H 'Content-Type: application/json' \
	-d '{"old":"first-password-1","new":"second-password-2"}' "$NURL/v1/password" >/dev/null
curl -s -o "$TMPDIR/answer" -b "$TMPDIR/njar" "$NURL/v1/records?limit=50"
check_eq "$(py -c 'import json, sys; print(json.load(open(sys.argv[1]))["total"])' "$TMPDIR/answer")" 9 \
	"records on the office's page (8 of n1, 1 of h1)"
rec2=$(sed -n 2p "$TMPDIR/n1.ids")
code=$(curl -s -o "$TMPDIR/answer" -w '%{http_code}' -b "$TMPDIR/njar" -H "X-CSRF-Token: $ncsrf" \
	-H 'Content-Type: application/json' -d "{\"record\":\"$rec2\",\"status\":\"approved\"}" "$NURL/v1/review")
check_eq "$code" 200 "the office's review"
north_id=$relay_n
wait_eq "the office's review at headquarters" "nadia" 20 q "$hq" "SELECT a.\"user\" FROM op_authors a JOIN ops o ON o.id = a.op
	JOIN devices d ON d.did = o.did WHERE d.id = '$north_id'"
check_eq "$(q "$hq" "SELECT review FROM record_regions rr JOIN records r ON r.rid = rr.rid WHERE r.id = '$rec2'")" \
	approved "the record's review at headquarters"
dev h1 sync
dev h1 list
check_out_has "approved"

t "a region sees only its own: the south office holds none of the north's records"
SONDEO_HOME=$TMPDIR/dev-s1 "$SONDEO" new --set partner_name="South partner" --set stakeholder_type=academia \
	--set country=TZA --set level=national --set thematic_areas=human_rights >/dev/null
dev s1 sync
check_out_has "6 changes sent, 0 received"
wait_eq "ops of s1 at headquarters" 6 20 q "$hq" "SELECT count(*) FROM ops o JOIN record_regions rr ON rr.rid = o.rid
	WHERE rr.region = 'south'"
# The office pulls headquarters' changes in the order headquarters took them: once it holds a north record made
# after s1's ops reached headquarters, it has pulled past them (rather than sleeping and hoping it has).
SONDEO_HOME=$TMPDIR/dev-h1 "$SONDEO" new --set partner_name="After the south" --set stakeholder_type=media \
	--set country=KEN --set level=local --set thematic_areas=human_rights >"$TMPDIR/marker.id"
dev h1 sync
check_rc 0
wait_eq "the north office's copy of a record made after s1's" 1 20 q "$north" \
	"SELECT count(*) FROM records WHERE id = '$(head -n 1 "$TMPDIR/marker.id")'"
check_eq "$(q "$south" "SELECT count(*) FROM ops")" 6 "ops at the south office"
check_eq "$(q "$north" "SELECT count(*) FROM ops o JOIN record_regions rr ON rr.rid = o.rid WHERE rr.region = 'south'")" 0 \
	"south's ops at the north office"

t "the link refused for a while: the office keeps accepting, the queue waits, and all goes up once it is back"
proxy_down "$pport_north"
for i in 1 2 3; do
	SONDEO_HOME=$TMPDIR/dev-n2 "$SONDEO" new --set partner_name="Cut partner $i" --set stakeholder_type=media \
		--set country=KEN --set level=local --set thematic_areas=human_rights >/dev/null
	dev n2 sync
	check_rc 0
done
n2=$(q "$north" "SELECT id FROM enrolled_devices WHERE name = 'n2'")
# The office has tried to forward since the link went down (its last error is newer than the last sync).
since=$(date +%s%3N)
wait_eq "a refused attempt of the office after the link went down" 1 20 \
	q "$north" "SELECT count(*) FROM meta WHERE key = 'relay_error_at' AND CAST(value AS BIGINT) >= $since"
check_eq "$(q "$hq" "SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = '$n2'")" 0 "n2's ops at headquarters"
# An attachment waiting too (a row as the office queues one; it names no file the office holds, so once the link is
# back the relay finds nothing to send and lets it go): counted as an attachment, not as a vouch.
q "$north" "INSERT INTO relay_queue(kind, ref, queued) VALUES('media', '$(printf '%064d' 0)', 1)"
run "$SONDEOD" status --data "$north"
check_out_has "waiting:            3 change sets, 0 vouches, 1 attachment"
check_out_has "last error:"
check_out_has "cannot connect to the server (no network, or the server is not running?)"
run "$SONDEOD" status --data "$north" --json
check_out_has '"attachments_waiting": 1'
check_out_has '"vouches_waiting": 0,'
proxy_up "$pport_north"
wait_eq "n2's ops at headquarters" 18 20 q "$hq" "SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = '$n2'"
wait_eq "the north queue" 0 10 waiting "$north"

t "a link that drops connections mid-way: the office tries again, and everything arrives once"
proxy_down "$pport_north"
proxy_up "$pport_north" 700 4
for i in 1 2; do
	SONDEO_HOME=$TMPDIR/dev-n2 "$SONDEO" new --set partner_name="Dropped partner $i" --set stakeholder_type=media \
		--set country=KEN --set level=local --set thematic_areas=human_rights >/dev/null
done
dev n2 sync
check_rc 0
wait_eq "n2's ops at headquarters" 30 30 q "$hq" "SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = '$n2'"
wait_eq "the north queue" 0 10 waiting "$north"
check_eq "$(ops_twice "$hq")" 0 \
	"ops held twice at headquarters"

t "kill -9 of the regional server with change sets queued: restarted, it forwards them, none lost or twice"
proxy_down "$pport_north"
for i in 1 2 3 4; do
	SONDEO_HOME=$TMPDIR/dev-n1 "$SONDEO" new --set partner_name="Killed partner $i" --set stakeholder_type=media \
		--set country=KEN --set level=local --set thematic_areas=human_rights >/dev/null
	dev n1 sync
done
before=$(waiting "$north")
check_eq "$before" 4 "change sets queued"
kill -9 "$pid_north"
wait "$pid_north" 2>/dev/null
proxy_up "$pport_north"
regional north
wait_eq "n1's ops at headquarters" 160 20 q "$hq" "SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = '$n1'"
wait_eq "the north queue" 0 10 waiting "$north"

t "kill -9 of headquarters while the office forwards: restarted, the office catches up"
proxy_down "$pport_north"
for i in 1 2 3 4 5 6; do
	SONDEO_HOME=$TMPDIR/dev-n1 "$SONDEO" new --set partner_name="Second kill $i" --set stakeholder_type=media \
		--set country=KEN --set level=local --set thematic_areas=human_rights >/dev/null
	dev n1 sync
done
proxy_up "$pport_north"
i=0
while [ "$(waiting "$north")" -ge 5 ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 "$HQ_PID"
wait "$HQ_PID" 2>/dev/null
serve_on "$hq" "$log" "$HQ_PORT" || fail "headquarters did not start again"
HQ_PID=$SPID
wait_eq "n1's ops at headquarters" 196 30 q "$hq" "SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = '$n1'"
wait_eq "the north queue" 0 10 waiting "$north"

t "a regional server that alters a change set it forwards: refused, and headquarters says whose data and by whom"
proxy_down "$pport_north"
SONDEO_HOME=$TMPDIR/dev-n2 "$SONDEO" new --set partner_name="Tampered partner" --set stakeholder_type=media \
	--set country=KEN --set level=local --set thematic_areas=human_rights >/dev/null
dev n2 sync
check_rc 0
kill "$pid_north"
wait "$pid_north" 2>/dev/null
csid=$(q "$north" "SELECT ref FROM relay_queue WHERE kind = 'changeset'")
# One bit of the change set's byte 100 flipped where the office keeps it.
if [ "${SONDEO_TEST_ENGINE:-sqlite}" = postgresql ]; then
	q "$north" "UPDATE changesets SET bytes = set_byte(bytes, 100, get_byte(bytes, 100) # 1) WHERE id = $csid" >/dev/null
else
	python3 - "$north/server.db" "$csid" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
b = bytearray(db.execute("SELECT bytes FROM changesets WHERE id = ?", (int(sys.argv[2]),)).fetchone()[0])
b[100] ^= 0x01
db.execute("UPDATE changesets SET bytes = ? WHERE id = ?", (bytes(b), int(sys.argv[2])))
db.commit()
EOF
fi
held=$(q "$hq" "SELECT count(*) FROM ops")
proxy_up "$pport_north"
regional north
wait_eq "the refusal at the office" 1 20 q "$north" "SELECT count(*) FROM relay_queue WHERE error != ''"
check_eq "$(q "$hq" "SELECT count(*) FROM ops")" "$held" "ops at headquarters"
grep -q "sondeod: regional server $relay_n (office-north) forwarded a change set of device $n2 (seqs 31..36) whose signature does not verify: altered on the way" "$log" ||
	fail "headquarters' log does not name the relay and the device: $(grep altered "$log")"
check_eq "$(q "$hq" "SELECT altered FROM enrolled_devices WHERE id = '$relay_n'")" 1 "altered change sets counted on the relay"
run "$SONDEOD" status --data "$north"
check_out_has "refused:            1"
check_out_has "altered by regional server $relay_n"
run "$SONDEOD" status --data "$hq"
printf '%s\n' "$OUT" | grep office-north | grep -q ' 1$' || fail "status at headquarters: $OUT"
run "$SONDEOD" status --data "$hq" --json
check_out_has '"role": "headquarters"'
check_out_has '"altered": 1'
check_out_has '"name": "office-south"'
# The laptop still holds the true ops: with its office down, it syncs with headquarters and puts them there.
kill "$pid_north"
wait "$pid_north" 2>/dev/null
dev n2 sync
check_rc 0
check_err_has "syncing with headquarters at $HQ_URL instead"
check_eq "$(q "$hq" "SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = '$n2'")" 36 "n2's ops at headquarters"
# The office's copy is damaged and headquarters has the true one: a person drops the refused entry.
q "$north" "DELETE FROM relay_queue WHERE error != ''"
regional north

t "a laptop syncs with its region one day and with headquarters the next: nothing twice, nothing lost"
kill "$pid_north"
wait "$pid_north" 2>/dev/null
SONDEO_HOME=$TMPDIR/dev-n1 "$SONDEO" new --set partner_name="Switching partner" --set stakeholder_type=media \
	--set country=KEN --set level=local --set thematic_areas=human_rights >/dev/null
dev n1 sync
check_rc 0
check_err_has "cannot be reached"
check_err_has "syncing with headquarters at $HQ_URL instead"
check_out_has "synced with $HQ_URL"
check_eq "$(q "$hq" "SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = '$n1'")" 202 "n1's ops at headquarters"
regional north
wait_eq "n1's ops at the office" 202 20 q "$north" "SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = '$n1'"
dev n1 sync
check_rc 0
check_out_has "synced with http://127.0.0.1:$port_north: 0 changes sent"
check_eq "$(q "$north" "SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = '$n1'")" 202 "n1's ops at the office"

t "kill -9 of a laptop while it sends to its office: the next sync completes, every op held once at both tiers"
i=0
while [ $i -lt 16 ]; do
	SONDEO_HOME=$TMPDIR/dev-n2 "$SONDEO" new --from "$TOP/forms/samples/partnerships.csv" >/dev/null 2>&1
	i=$((i + 1))
done
posts=$(grep -c "POST /v1/changesets" "$log_north")
SONDEO_HOME=$TMPDIR/dev-n2 "$SONDEO" sync >/dev/null 2>&1 &
spid=$!
i=0
while [ "$(grep -c "POST /v1/changesets" "$log_north")" -le "$posts" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
kill -9 $spid 2>/dev/null
wait $spid 2>/dev/null
dev n2 sync
check_rc 0
wait_eq "n2's ops at headquarters" 2212 30 q "$hq" "SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = '$n2'"
check_eq "$(q "$north" "SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = '$n2'")" 2212 "n2's ops at the office"
check_eq "$(q "$hq" "SELECT max(seq) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = '$n2'")" 2212 "n2's last seq at headquarters"

t "a revocation at the regional office takes effect at headquarters, and one at headquarters at the office"
run "$SONDEOD" devices --data "$north" --revoke "$n2"
check_rc 0
wait_eq "n2 at headquarters" 1 20 q "$hq" "SELECT count(*) FROM enrolled_devices WHERE id = '$n2' AND revoked <> 0"
run "$SONDEOD" devices --data "$hq" --revoke "$n1"
check_rc 0
wait_eq "n1 at the office" 1 20 q "$north" "SELECT count(*) FROM enrolled_devices WHERE id = '$n1' AND revoked <> 0"
dev n1 sync
check_rc 1
check_err_has "has been revoked"

t "random sync orders across the tiers: every replica ends with the same data"
# Two new laptops of the north office and h1 edit the same records in a random order, syncing with their
# server (the office sometimes down, so that they turn to headquarters) between edits.
rcode=$("$SONDEOD" enrol-code --data "$north" --uses 2 | head -n 1)
for name in r1 r2; do
	SONDEO_HOME=$TMPDIR/dev-$name "$SONDEO" init --name "$name" >/dev/null
	SONDEO_HOME=$TMPDIR/dev-$name "$SONDEO" enrol "http://127.0.0.1:$port_north" "$rcode" >/dev/null
done
dev r1 sync
dev r2 sync
dev h1 sync
recs=$(sed -n 3,6p "$TMPDIR/n1.ids")
seed=${SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "# random sync orders: SEED=$seed"
up=1
step=0
while [ $step -lt 40 ]; do
	pick=$(( (seed * 1103515245 + 12345 + step * 7919) % 65536 ))
	who=$(echo "r1 r2 h1" | cut -d' ' -f$((pick % 3 + 1)))
	what=$(( (pick / 3) % 4 ))
	if [ $what -lt 2 ]; then
		rec=$(echo "$recs" | sed -n "$(( (pick / 12) % 4 + 1 ))p")
		field=$(echo "partner_name country" | cut -d' ' -f$((what + 1)))
		value="v$step-$who"
		[ "$field" = country ] && value=$(echo "KEN UGA TZA RWA" | cut -d' ' -f$(( (pick / 48) % 4 + 1 )))
		SONDEO_HOME=$TMPDIR/dev-$who "$SONDEO" edit "$(printf %.8s "$rec")" --set "$field=$value" >/dev/null 2>&1 ||
			fail "step $step: $who could not edit $rec"
	elif [ $what -eq 2 ]; then
		SONDEO_HOME=$TMPDIR/dev-$who "$SONDEO" sync >/dev/null 2>&1 || fail "step $step: $who could not sync"
	elif [ $up = 1 ] && [ $((pick % 5)) = 0 ]; then
		kill "$pid_north"
		wait "$pid_north" 2>/dev/null
		up=0
	elif [ $up = 0 ]; then
		regional north
		up=1
	fi
	step=$((step + 1))
done
[ $up = 1 ] || regional north
# Everyone syncs until the tiers have nothing left to exchange.
for round in 1 2 3; do
	for who in r1 r2 h1; do
		SONDEO_HOME=$TMPDIR/dev-$who "$SONDEO" sync >/dev/null 2>&1 || fail "round $round: $who could not sync"
	done
	wait_eq "the north queue" 0 20 waiting "$north"
	# The office has pulled all that headquarters holds of the region before the next round.
	wait_eq "the north office's data, beside headquarters'" same 30 north_caught_up
done
state "$hq" "$NORTH" >"$TMPDIR/state.hq"
state "$north" "$NORTH" >"$TMPDIR/state.north"
[ "$(grep -c . "$TMPDIR/state.hq")" -gt 100 ] || fail "headquarters holds too little: $(wc -l <"$TMPDIR/state.hq")"
cmp -s "$TMPDIR/state.hq" "$TMPDIR/state.north" || fail "headquarters and the north office differ (SEED=$seed):
$(diff "$TMPDIR/state.hq" "$TMPDIR/state.north" | head -n 10)"
for who in r1 r2 h1; do
	state "$TMPDIR/dev-$who/store.db" >"$TMPDIR/state.$who"
	cmp -s "$TMPDIR/state.hq" "$TMPDIR/state.$who" || fail "laptop $who differs from headquarters (SEED=$seed):
$(diff "$TMPDIR/state.hq" "$TMPDIR/state.$who" | head -n 10)"
done
check_eq "$(ops_twice "$hq")" 0 \
	"ops held twice at headquarters"

t "no server reported a sanitizer error"
if grep -l -E '^==[0-9]+==ERROR: [A-Za-z]+Sanitizer|runtime error: ' "$TMPDIR"/*.log* >/dev/null 2>&1; then
	fail "$(grep -l -E 'Sanitizer|runtime error' "$TMPDIR"/*.log*)"
fi

done_testing
