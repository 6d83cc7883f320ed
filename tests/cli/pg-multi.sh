#!/bin/sh
# pg-multi.sh - headquarters as several sondeod serving one PostgreSQL database behind a load balancer
# (tests/balancer.c picks a process at random for each connection), as docs/sync-design.md's "Several writers"
# says: a session or a login failure counted by one process holds on every other; a code good for N devices
# enrols N whichever process each reaches; laptops upload through random processes while others pull, and
# processes are killed with -9 mid-upload: every op is held exactly once and every laptop ends with
# headquarters' data; reviews made at once through every process sign one gapless sequence; PostgreSQL restarts
# under them and they serve on; a pull never steps past a transaction that commits after later ones (held open by a
# trigger of the test's own); and of a regional office's processes, one relays at a time, another taking over
# when it dies. The database is a throwaway cluster (tests/cli/pg.inc).
. "$TOP/tests/cli/lib.sh"
. "$TOP/tests/cli/pg.inc"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
. "$TOP/tests/cli/server.inc"
N=4          # laptops
ROUNDS=3     # rounds of changes, uploads and kills

t "a throwaway PostgreSQL cluster starts"
# A cluster of its own, which it restarts under its servers.
PG_OWN=1
if ! pg_start; then
	skip "$PG_WHY"
	done_testing
fi
run "$PG_BIN/psql" "$PG_CONNINFO" -qc "CREATE DATABASE hq"
check_rc 0
run "$PG_BIN/psql" "$PG_CONNINFO" -qc "CREATE DATABASE east"
check_rc 0
HQDB="host=$PG_DIR dbname=hq user=sondeo"
hq=$TMPDIR/hq
"$SONDEOD" init --data "$hq" --store "$HQDB" >/dev/null || fail "sondeod init --store failed"

# pq SQL : runs SQL in headquarters' database, one row a line, columns separated by |.
pq() {
	"$PG_BIN/psql" "$HQDB" -XAtq -c "$1"
}

# backend K : starts process K of headquarters (again) on a port the system picks, and gives the balancer the
# ports of those running.
backend() {
	serve_any "$hq" "$TMPDIR/hq-$1.log" || return 1
	eval "pid_$1=\$SPID port_$1=\$SPORT"
	ports
}
# down K : kill -9 of process K, which the balancer no longer lists.
down() {
	eval "kill -9 \$pid_$1; wait \$pid_$1 2>/dev/null; port_$1="
	ports
}
ports() {
	: >"$TMPDIR/ports.new"
	for k in 1 2 3; do
		eval "p=\${port_$k:-}"
		[ -z "$p" ] || echo "$p" >>"$TMPDIR/ports.new"
	done
	mv "$TMPDIR/ports.new" "$TMPDIR/ports"
}

t "three sondeod serve one PostgreSQL database behind a load balancer"
for k in 1 2 3; do
	backend $k || fail "process $k did not start: $(cat "$TMPDIR/hq-$k.log")"
done
"$(dirname "$SONDEO")/tests/balancer" "$TMPDIR/ports" >"$TMPDIR/balancer.out" 2>&1 &
at_exit "kill $! 2>/dev/null"
wait_eq "the balancer" yes 60 sh -c "grep -q '^ready' '$TMPDIR/balancer.out' && echo yes"
LB=http://127.0.0.1:$(sed -n 's/^ready //p' "$TMPDIR/balancer.out")
check_eq "$(sed -n 's/.*(server key \([0-9a-f]*\)).*/\1/p' "$TMPDIR"/hq-[123].log | sort -u | wc -l)" 1 \
	"server keys the three processes sign with"
run curl -s -o /dev/null -w '%{http_code}' "$LB/healthz"
check_out_has 200

t "a session made by one process is good on every other; failed logins count across them all"
login "http://127.0.0.1:$port_1" "$hq" rita "$TMPDIR/jar"
for k in 1 2 3; do
	eval "u=http://127.0.0.1:\$port_$k"
	run curl -s -b "$TMPDIR/jar" "$u/v1/session"
	check_out_has '"user":"rita"'
done
# A name gets three failures before a delay, whichever processes they reach.
for k in 1 2 3; do
	eval "u=http://127.0.0.1:\$port_$k"
	run curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-d '{"user":"rita","password":"wrong-password-0"}' "$u/v1/login"
	check_out_has 401
done
run curl -s -w '\n%{http_code}' -H 'Content-Type: application/json' \
	-d '{"user":"rita","password":"second-password-2"}' "http://127.0.0.1:$port_2/v1/login"
check_out_has 429
check_out_has "too many failed logins"

t "a code for $N devices enrols $N of $((N + 1)) laptops enrolling at once through the balancer"
code=$("$SONDEOD" enrol-code --data "$hq" --region east --uses $N | head -n 1)
i=0 jobs=""
while [ $i -le $N ]; do
	SONDEO_HOME=$TMPDIR/e-$i "$SONDEO" init --name "laptop $i" >/dev/null
	SONDEO_HOME=$TMPDIR/e-$i "$SONDEO" enrol "$LB" "$code" >"$TMPDIR/enrol-$i.out" 2>&1 &
	jobs="$jobs $!"
	i=$((i + 1))
done
wait $jobs
# Those enrolled are the laptops dev-1 .. dev-N from here on.
enrolled=0 refused=0
i=0
while [ $i -le $N ]; do
	if grep -q "unknown or used enrolment code" "$TMPDIR/enrol-$i.out"; then
		refused=$((refused + 1))
	elif grep -q "^enrolled with" "$TMPDIR/enrol-$i.out"; then
		enrolled=$((enrolled + 1))
		mv "$TMPDIR/e-$i" "$TMPDIR/dev-$enrolled"
	else
		fail "laptop $i: $(cat "$TMPDIR/enrol-$i.out")"
	fi
	i=$((i + 1))
done
check_eq "$enrolled $refused" "$N 1" "laptops enrolled and refused"
check_eq "$(pq "SELECT count(*) FROM enrolled_devices")" "$N" "devices headquarters holds"

# sync_all : every laptop syncs at once through the balancer, the processes' ids in $syncs (the script's servers
# run in the background too: a bare wait would wait for them); the failures are listed in $TMPDIR/failed.
sync_all() {
	i=1 syncs=""
	while [ $i -le $N ]; do
		(SONDEO_HOME=$TMPDIR/dev-$i "$SONDEO" sync >"$TMPDIR/sync-$i.out" 2>&1 || echo "$i" >>"$TMPDIR/failed") &
		syncs="$syncs $!"
		i=$((i + 1))
	done
}

# settle : syncs every laptop until each sync succeeds (a process killed mid-sync fails it), then once more, so
# that each pulls what the others sent last.
settle() {
	tries=0
	while :; do
		: >"$TMPDIR/failed"
		sync_all
		wait $syncs
		[ -s "$TMPDIR/failed" ] || break
		tries=$((tries + 1))
		[ $tries -lt 10 ] || { fail "syncs still failing: $(for f in $(cat "$TMPDIR/failed"); do
			cat "$TMPDIR/sync-$f.out"; done)"; break; }
	done
	: >"$TMPDIR/failed"
	sync_all
	wait $syncs
	[ ! -s "$TMPDIR/failed" ] || fail "the last syncs failed: $(cat "$TMPDIR/failed")"
}

t "laptops upload through random processes while others pull, and processes die with kill -9 mid-upload"
# Five records every laptop will change, so that processes merge into the same records at once.
shared=$(SONDEO_HOME=$TMPDIR/dev-1 "$SONDEO" new --set partner_name="Shared 1" --set stakeholder_type=media \
	--set country=KEN --set level=local --set thematic_areas=human_rights 2>/dev/null)
for s in 2 3 4 5; do
	shared="$shared $(SONDEO_HOME=$TMPDIR/dev-1 "$SONDEO" new --set partner_name="Shared $s" \
		--set stakeholder_type=media --set country=KEN --set level=local --set thematic_areas=human_rights \
		2>/dev/null)"
done
check_eq "$(echo $shared | wc -w)" 5 "shared records made"
settle
r=1
killed=0
while [ $r -le $ROUNDS ]; do
	i=1
	while [ $i -le $N ]; do
		SONDEO_HOME=$TMPDIR/dev-$i "$SONDEO" new --set partner_name="Partner $r-$i" --set stakeholder_type=media \
			--set country=KEN --set level=local --set thematic_areas=human_rights >/dev/null 2>&1
		for id in $shared; do
			SONDEO_HOME=$TMPDIR/dev-$i "$SONDEO" edit "$id" --set partner_name="Shared by $i in round $r" \
				>/dev/null 2>&1 || fail "laptop $i could not edit $id"
		done
		i=$((i + 1))
	done
	: >"$TMPDIR/failed"
	sync_all
	# A random process dies while the uploads are in flight, and comes back.
	victim=$(( $(od -An -N1 -tu1 /dev/urandom) % 3 + 1 ))
	sleep 0.$(od -An -N1 -tu1 /dev/urandom | tr -d ' ' | cut -c1)
	down $victim
	killed=$((killed + 1))
	wait $syncs
	backend $victim || fail "process $victim did not start again: $(cat "$TMPDIR/hq-$victim.log")"
	r=$((r + 1))
done
settle
check_eq "$killed" "$ROUNDS" "processes killed"

t "every op is held exactly once, and every laptop holds what headquarters holds"
total=0
i=1
while [ $i -le $N ]; do
	total=$((total + $(sqlite3 "$TMPDIR/dev-$i/store.db" "SELECT count(*) FROM ops o JOIN devices v ON v.did = o.did
		JOIN meta m ON m.key = 'device' AND m.value = v.id")))
	i=$((i + 1))
done
check_eq "$(pq "SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did JOIN enrolled_devices e ON e.id = d.id")" \
	"$total" "the laptops' ops headquarters holds"
check_eq "$(ops_twice "$hq")" 0 \
	"ops held twice"
check_eq "$(pq "SELECT sum(equivocations) FROM enrolled_devices")" 0 "equivocations"
check_eq "$(pq "SELECT count(*) FROM ops WHERE pos IS NULL")" 0 "ops without a place in the feed"
# Uploads merging into the same records take them all first, in one order (records_lock, db_lock): without that
# two that reach shared records in other orders deadlock, and PostgreSQL fails one of them (then tried again).
check_eq "$(grep -c "deadlock detected" "$PG_DIR/log")" 0 "deadlocks PostgreSQL reported while the laptops uploaded"
STATE="SELECT r.id, f.field, f.value FROM fields f JOIN records r ON r.rid = f.rid WHERE r.draft = 0 ORDER BY 1, 2;
SELECT r.id, h.field, d.id, o.seq FROM heads h JOIN records r ON r.rid = h.rid JOIN ops o ON o.id = h.op
JOIN devices d ON d.did = o.did WHERE r.draft = 0 ORDER BY 1, 2, 3, 4"
# converged : every laptop holds headquarters' values and heads (headquarters' in $TMPDIR/hq.state).
converged() {
	pq "$STATE" >"$TMPDIR/hq.state"
	i=1
	while [ $i -le $N ]; do
		sqlite3 "$TMPDIR/dev-$i/store.db" "$STATE" >"$TMPDIR/dev-$i.state"
		cmp -s "$TMPDIR/hq.state" "$TMPDIR/dev-$i.state" ||
			fail "laptop $i differs from headquarters: $(diff "$TMPDIR/hq.state" "$TMPDIR/dev-$i.state" | head -n 5)"
		i=$((i + 1))
	done
}
converged
lines=$(wc -l <"$TMPDIR/hq.state")
[ "$lines" -gt $((N * ROUNDS * 5)) ] || fail "headquarters' state is short: $lines lines"
# The shared records hold every laptop's last change side by side: concurrent edits kept, none lost.
check_eq "$(pq "SELECT count(*) FROM heads h JOIN records r ON r.rid = h.rid WHERE h.field = 'partner_name'
	AND r.id = '$(echo $shared | cut -d' ' -f1)'")" "$N" "heads of a shared record's name"

t "reviews made at once through every process: the server's own ops take one sequence, none twice, none lost"
own=$(sed -n 's/.*(server key \([0-9a-f]*\)).*/\1/p' "$TMPDIR/hq-1.log" | head -n 1)
OWN_OPS="SELECT count(*), count(DISTINCT o.seq), coalesce(min(o.seq), 0), coalesce(max(o.seq), 0) FROM ops o
	JOIN devices d ON d.did = o.did WHERE d.id = '$own'"
before=$(q "$hq" "$OWN_OPS")
k=0 reviews=""
for id in $(q "$hq" "SELECT r.id FROM records r JOIN record_regions rr ON rr.rid = r.rid WHERE r.draft = 0
	AND rr.rep = '' ORDER BY r.id LIMIT 12"); do
	k=$((k + 1))
	eval "u=http://127.0.0.1:\$port_$((k % 3 + 1))"
	status=approved
	[ $((k % 2)) = 0 ] || status=has_issues
	(curl -s -o /dev/null -w '%{http_code}\n' -b "$TMPDIR/jar" -H "X-CSRF-Token: $CSRF" \
		-H 'Content-Type: application/json' -d "{\"record\":\"$id\",\"status\":\"$status\",\"comment\":\"$k\"}" \
		"$u/v1/review" >"$TMPDIR/review-$k") &
	reviews="$reviews $!"
done
wait $reviews
check_eq "$(cat "$TMPDIR"/review-* | sort | uniq -c | tr -s ' ')" " 12 200" "the reviews' answers"
n=${before%%|*}
check_eq "$(q "$hq" "$OWN_OPS")" "$((n + 12))|$((n + 12))|1|$((n + 12))" \
	"the server's own ops: how many, distinct seqs, the first and the last (was $before)"
check_eq "$(q "$hq" "SELECT count(*) FROM changesets WHERE device = '$own' AND first_seq > $n")" 12 \
	"the server's change sets of the reviews"
settle
converged

t "PostgreSQL restarts under the running processes: they serve on, without a restart of their own"
pg_restart || fail "PostgreSQL did not restart: $(tail -n 3 "$PG_DIR/log")"
SONDEO_HOME=$TMPDIR/dev-1 "$SONDEO" edit "$(echo $shared | cut -d' ' -f3)" --set partner_name="After the restart" \
	>/dev/null 2>&1
run env SONDEO_HOME="$TMPDIR/dev-1" "$SONDEO" sync
check_rc 0
check_out_has "1 change sent"
run env SONDEO_HOME="$TMPDIR/dev-2" "$SONDEO" sync
check_rc 0
check_out_has "1 received"
for k in 1 2 3; do
	eval "u=http://127.0.0.1:\$port_$k"
	run curl -s -b "$TMPDIR/jar" "$u/v1/session"
	check_out_has '"user":"rita"'
done

t "a pull never steps past a transaction that commits after later ones"
# Laptop 1's next upload is held open by the test, after its ops have been given their ids, until the gate opens.
did1=$(pq "SELECT did FROM devices WHERE id = '$(sqlite3 "$TMPDIR/dev-1/store.db" \
	"SELECT value FROM meta WHERE key = 'device'")'")
pq "CREATE TABLE test_gate(open boolean NOT NULL); INSERT INTO test_gate VALUES(false);
CREATE FUNCTION test_hold() RETURNS trigger LANGUAGE plpgsql AS \$f\$ BEGIN
 FOR i IN 1..1200 LOOP EXIT WHEN (SELECT open FROM test_gate); PERFORM pg_sleep(0.05); END LOOP;
 RETURN NULL; END \$f\$;
CREATE TRIGGER test_hold AFTER INSERT ON ops FOR EACH ROW
 WHEN (NEW.did = $did1) EXECUTE FUNCTION test_hold();" ||
	fail "the test's trigger could not be made"
first=$(echo $shared | cut -d' ' -f1) second=$(echo $shared | cut -d' ' -f2)
SONDEO_HOME=$TMPDIR/dev-1 "$SONDEO" edit "$first" --set partner_name="Late" >/dev/null 2>&1
SONDEO_HOME=$TMPDIR/dev-1 "$SONDEO" sync >"$TMPDIR/late.out" 2>&1 &
late=$!
wait_eq "uploads held open" 1 60 pq "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
# Meanwhile laptop 2's change commits, and laptop 3 pulls it.
SONDEO_HOME=$TMPDIR/dev-2 "$SONDEO" edit "$second" --set partner_name="Early" >/dev/null 2>&1
run env SONDEO_HOME="$TMPDIR/dev-2" "$SONDEO" sync
check_rc 0
run env SONDEO_HOME="$TMPDIR/dev-3" "$SONDEO" sync
check_rc 0
name_at() {
	sqlite3 "$TMPDIR/dev-$1/store.db" "SELECT f.value FROM fields f JOIN records r ON r.rid = f.rid
		WHERE r.id = '$2' AND f.field = 'partner_name'"
}
check_eq "$(name_at 3 "$second")" '"Early"' "laptop 3's copy of the change that committed"
check_eq "$(pq "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'")" 1 \
	"uploads still held open when laptop 3 pulled"
pq "UPDATE test_gate SET open = true"
wait "$late" || fail "the held upload failed: $(cat "$TMPDIR/late.out")"
run env SONDEO_HOME="$TMPDIR/dev-3" "$SONDEO" sync
check_rc 0
check_eq "$(name_at 3 "$first")" '"Late"' "laptop 3's copy of the change that committed late"

t "two changes of one field at once: the second merge waits for the first and keeps both"
# Every laptop holds the same heads of a shared record's name. Laptop 1's change of it is held open after its op
# went in; laptop 2 changes the same field meanwhile. Its merge must wait for the first and read what it wrote,
# not decide on the heads as they stood before: both changes stay, side by side, as on every laptop.
third=$(echo $shared | cut -d' ' -f3)
settle
pq "UPDATE test_gate SET open = false"
SONDEO_HOME=$TMPDIR/dev-1 "$SONDEO" edit "$third" --set partner_name="One at once" >/dev/null 2>&1
SONDEO_HOME=$TMPDIR/dev-1 "$SONDEO" sync >"$TMPDIR/one.out" 2>&1 &
one=$!
wait_eq "uploads held open" 1 60 pq "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
SONDEO_HOME=$TMPDIR/dev-2 "$SONDEO" edit "$third" --set partner_name="Two at once" >/dev/null 2>&1
SONDEO_HOME=$TMPDIR/dev-2 "$SONDEO" sync >"$TMPDIR/two.out" 2>&1 &
two=$!
wait_eq "uploads waiting for the held one" 1 60 pq "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
pq "UPDATE test_gate SET open = true"
wait "$one" || fail "the held upload failed: $(cat "$TMPDIR/one.out")"
wait "$two" || fail "the upload that waited failed: $(cat "$TMPDIR/two.out")"
HEADS_OF_THIRD="SELECT count(*) FROM heads h JOIN records r ON r.rid = h.rid WHERE r.id = '$third'
	AND h.field = 'partner_name'"
CONFLICT_OF_THIRD="SELECT f.conflict FROM fields f JOIN records r ON r.rid = f.rid WHERE r.id = '$third'
	AND f.field = 'partner_name'"
# Both changes stand on the one head every laptop held: two heads now, in conflict.
check_eq "$(sqlite3 "$TMPDIR/dev-3/store.db" "$HEADS_OF_THIRD")" 1 "the name's heads before, on laptop 3"
check_eq "$(pq "$HEADS_OF_THIRD")|$(pq "$CONFLICT_OF_THIRD")" "2|1" "the name's heads at headquarters, and its conflict"
settle
check_eq "$(sqlite3 "$TMPDIR/dev-3/store.db" "$HEADS_OF_THIRD")|$(sqlite3 "$TMPDIR/dev-3/store.db" \
	"$CONFLICT_OF_THIRD")" "$(pq "$HEADS_OF_THIRD")|$(pq "$CONFLICT_OF_THIRD")" "the name's heads and conflict on laptop 3"
converged
pq "DROP TRIGGER test_hold ON ops; DROP FUNCTION test_hold(); DROP TABLE test_gate"

t "of a regional office's two processes one relays; when it dies the other takes over"
east=$TMPDIR/east
"$SONDEOD" init --data "$east" --store "host=$PG_DIR dbname=east user=sondeo" >/dev/null
rcode=$("$SONDEOD" enrol-code --data "$hq" --region east --relay | head -n 1)
run "$SONDEOD" enrol --data "$east" "$LB" "$rcode" --name east-office
check_rc 0
serve_any "$east" "$TMPDIR/east-1.log" || fail "office process 1 did not start: $(cat "$TMPDIR/east-1.log")"
e1=$SPID u1=$SURL
serve_any "$east" "$TMPDIR/east-2.log" || fail "office process 2 did not start: $(cat "$TMPDIR/east-2.log")"
e2=$SPID u2=$SURL
wait_eq "office processes standing by" 1 60 sh -c "grep -l 'this one stands by' '$TMPDIR'/east-[12].log | wc -l"
if grep -q "this one stands by" "$TMPDIR/east-1.log"; then
	lead=$e2 standby=1 url=$u1
else
	lead=$e1 standby=2 url=$u2
fi
ecode=$("$SONDEOD" enrol-code --data "$east" | head -n 1)
SONDEO_HOME=$TMPDIR/field "$SONDEO" init --name field >/dev/null
run env SONDEO_HOME="$TMPDIR/field" "$SONDEO" enrol "$url" "$ecode"
check_rc 0
SONDEO_HOME=$TMPDIR/field "$SONDEO" new --set partner_name="Office 1" --set stakeholder_type=media --set country=KEN \
	--set level=local --set thematic_areas=human_rights >/dev/null 2>&1
run env SONDEO_HOME="$TMPDIR/field" "$SONDEO" sync
check_rc 0
# The field laptop's own ops, as counted in its store and in headquarters' database (fieldops).
OWN="SELECT count(*) FROM ops o JOIN devices d ON d.did = o.did WHERE d.id = '$(sqlite3 "$TMPDIR/field/store.db" \
	"SELECT value FROM meta WHERE key = 'device'")'"
fieldops() {
	pq "$OWN"
}
held=$(sqlite3 "$TMPDIR/field/store.db" "$OWN")
wait_eq "the field laptop's ops at headquarters" "$held" 60 fieldops
kill -9 "$lead"
wait "$lead" 2>/dev/null
wait_eq "the standing-by process taking over" 1 60 sh -c \
	"grep -c 'this process relays region east now' '$TMPDIR/east-$standby.log'" ||
	fail "$(cat "$TMPDIR/east-1.log" "$TMPDIR/east-2.log")"
SONDEO_HOME=$TMPDIR/field "$SONDEO" new --set partner_name="Office 2" --set stakeholder_type=media --set country=KEN \
	--set level=local --set thematic_areas=human_rights >/dev/null 2>&1
run env SONDEO_HOME="$TMPDIR/field" "$SONDEO" sync
check_rc 0
held=$(sqlite3 "$TMPDIR/field/store.db" "$OWN")
wait_eq "the field laptop's ops at headquarters after the takeover" "$held" 60 fieldops

done_testing
