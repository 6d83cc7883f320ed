#!/bin/sh
# pg-server.sh - headquarters on PostgreSQL (sondeod init --store), beside headquarters on SQLite, each a real
# sondeod on loopback with a laptop of the same region sending the same sample records: the laptops enrol and
# sync, a second laptop pulls them back, and what each server answers is the same on both engines: the export
# (against the laptop's own), the review page's dashboard, the search in every form of its language (words,
# prefixes, phrases, AND, OR, NOT, accents folded), the date and answer filters. The database is a throwaway
# PostgreSQL cluster (tests/cli/pg.inc).
. "$TOP/tests/cli/lib.sh"
. "$TOP/tests/cli/pg.inc"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
. "$TOP/tests/cli/server.inc"
py_start

t "a throwaway PostgreSQL cluster starts"
# A cluster of its own: the script names its databases hq and lite.
PG_OWN=1
if ! pg_start; then
	skip "$PG_WHY"
	done_testing
fi
run "$PG_BIN/psql" "$PG_CONNINFO" -qc "CREATE DATABASE hq"
check_rc 0

t "sondeod init --store: the data directory keeps the key and names the database; no database file"
pghq=$TMPDIR/pghq
run "$SONDEOD" init --data "$pghq" --store "host=$PG_DIR dbname=hq user=sondeo"
check_rc 0
check_out_has "created sondeod data in"
check_file_mode "$pghq/store.conf" 600
check_eq "$(ls "$pghq" | tr '\n' ' ')" "server.key server.pub store.conf " "the data directory"
check_eq "$(grep -v '^#' "$pghq/store.conf")" "host=$PG_DIR dbname=hq user=sondeo" "store.conf"
run "$SONDEOD" init --data "$TMPDIR/again" --store "host=$PG_DIR dbname=hq user=sondeo"
check_rc 1
check_err_has "holds a store already; nothing was changed"
[ ! -e "$TMPDIR/again" ] || fail "a refused init left $TMPDIR/again behind"
# A database another application uses (a table of its own, named as one of the store's): refused, naming the table,
# and left as it was.
other="host=$PG_DIR dbname=other user=sondeo"
# other_holds : what the other application's database holds: its relations outside PostgreSQL's own schemas, and
# its table's rows.
other_holds() {
	echo "$("$PG_BIN/psql" "$other" -XAtc "SELECT string_agg(n.nspname || '.' || c.relname, ' ') FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
		AND n.nspname NOT LIKE 'pg_toast%'") $("$PG_BIN/psql" "$other" -XAtc "SELECT x FROM fields")"
}
"$PG_BIN/psql" "$PG_CONNINFO" -qc "CREATE DATABASE other" &&
	"$PG_BIN/psql" "$other" -qc "CREATE TABLE fields(x integer); INSERT INTO fields VALUES(7)" ||
	fail "the other application's database was not made"
run "$SONDEOD" init --data "$TMPDIR/other" --store "$other"
check_rc 1
check_err_has "the PostgreSQL database named in '$TMPDIR/other/store.conf' is not empty (it holds the table 'fields'):"
check_err_has "nothing was changed"
[ ! -e "$TMPDIR/other" ] || fail "a refused init left $TMPDIR/other behind"
check_eq "$(other_holds)" "public.fields 7" "what the other database holds"
chmod 644 "$pghq/store.conf"
run "$SONDEOD" forms --data "$pghq" list
check_rc 1
check_err_has "store.conf' is readable by others (mode 644); run: chmod 600"
chmod 600 "$pghq/store.conf"
# A store.conf that names no database, or two: refused, saying which.
mkdir -p "$TMPDIR/badconf"
for c in "# nothing but a comment" "host=/a dbname=x
host=/b dbname=y"; do
	printf '%s\n' "$c" >"$TMPDIR/badconf/store.conf"
	chmod 600 "$TMPDIR/badconf/store.conf"
	run "$SONDEOD" forms --data "$TMPDIR/badconf" list
	check_rc 1
	case $c in
	"#"*) check_err_has "store.conf' names no database" ;;
	*) check_err_has "store.conf': more than one connection string" ;;
	esac
done

# Headquarters on SQLite, for what both must answer alike.
litehq=$TMPDIR/litehq
"$SONDEOD" init --data "$litehq" >/dev/null

t "laptops enrol and sync with each, a second laptop pulls the records back"
hq=$pghq log=$TMPDIR/pg.log
start_server || { fail "sondeod on PostgreSQL did not start: $(cat "$log")"; done_testing; }
PGURL=$URL
hq=$litehq log=$TMPDIR/lite.log
start_server || { fail "sondeod on SQLite did not start: $(cat "$log")"; done_testing; }
LITEURL=$URL
for side in pg lite; do
	data=$pghq url=$PGURL
	[ $side = lite ] && data=$litehq url=$LITEURL
	code=$("$SONDEOD" enrol-code --data "$data" --region east --uses 2 | head -n 1)
	for d in a b; do
		SONDEO_HOME=$TMPDIR/$side-$d "$SONDEO" init --name "$side-$d" >/dev/null
		run env SONDEO_HOME="$TMPDIR/$side-$d" "$SONDEO" enrol "$url" "$code"
		check_rc 0
	done
	SONDEO_HOME=$TMPDIR/$side-a "$SONDEO" new --from "$TOP/forms/samples/partnerships.csv" >/dev/null 2>&1
	run env SONDEO_HOME="$TMPDIR/$side-a" "$SONDEO" sync
	check_rc 0
	check_out_has "136 changes sent"
	run env SONDEO_HOME="$TMPDIR/$side-b" "$SONDEO" sync
	check_rc 0
	check_out_has "0 changes sent, 136 received"
done

t "/metrics gives the PostgreSQL database's size"
size=$(curl -s "$PGURL/metrics" | sed -n 's/^sondeod_database_size_bytes //p')
[ "${size:-0}" -gt 1000000 ] || fail "the database's size in /metrics: '$size'"

t "the export on PostgreSQL holds what the laptop holds"
SONDEO_HOME=$TMPDIR/pg-a "$SONDEO" export --format csv >"$TMPDIR/laptop.csv"
run "$SONDEOD" export --data "$pghq" --format csv -o "$TMPDIR/pghq.csv"
check_rc 0
# The laptop and headquarters may list the records in their own orders; the review status is the same.
check_eq "$(sed 1d "$TMPDIR/pghq.csv" | LC_ALL=C sort | cut -d, -f1-8)" \
	"$(sed 1d "$TMPDIR/laptop.csv" | LC_ALL=C sort | cut -d, -f1-8)" "the records' first columns"
check_eq "$(head -n 1 "$TMPDIR/pghq.csv")" "$(head -n 1 "$TMPDIR/laptop.csv")" "the header"

t "each server answers the same: the dashboard, and the search in every form of its language"
login "$PGURL" "$pghq" rita "$TMPDIR/pgjar"
login "$LITEURL" "$litehq" rita "$TMPDIR/litejar"
# same QUERY : the answer of GET QUERY on both servers, the ids and times of records left out (each server made
# its own), and of a refusal its code alone (each engine says what it could not read in its words).
same() {
	curl -s -b "$TMPDIR/pgjar" "$PGURL$1" >"$TMPDIR/pg.json"
	curl -s -b "$TMPDIR/litejar" "$LITEURL$1" >"$TMPDIR/lite.json"
	py -c 'import json, sys
def clean(d):
    # A refusal in the words of each engine: the same refusal.
    if isinstance(d, dict) and "error" in d:
        return {"error": d["error"]}
    if isinstance(d, dict):
        return {k: clean(v) for k, v in d.items() if k not in ("id", "created", "updated")}
    if isinstance(d, list):
        return [clean(x) for x in d]
    return d
a, b = (clean(json.load(open(f, encoding="utf-8"))) for f in sys.argv[1:3])
print("same" if a == b else "differ: %s\n%s" % (json.dumps(a)[:600], json.dumps(b)[:600]))' "$TMPDIR/pg.json" "$TMPDIR/lite.json"
}
for q in "/v1/dashboard" "/v1/dashboard?region=east&review=pending" "/v1/dashboard?from=2026-10-05&to=2026-10-09" \
	"/v1/dashboard?f.level=national" "/v1/dashboard?date=_created" "/v1/records?per_page=200&sort=partner_name" \
	"/v1/records?q=ministry" "/v1/records?q=MINISTRY" "/v1/records?q=remit*" "/v1/records?q=%22funding%20cycles%22" \
	"/v1/records?q=ministry%20OR%20county" "/v1/records?q=ministry%20NOT%20labour" "/v1/records?q=migrants%20AND%20labour" \
	"/v1/records?q=(ministry%20OR%20county)%20NOT%20nairobi" "/v1/records?q=m%C3%A9dia" "/v1/records?q=%22unterminated"; do
	check_eq "$(same "$q")" same "GET $q"
done
curl -s -b "$TMPDIR/pgjar" "$PGURL/v1/records?q=remit*" >"$TMPDIR/pg.json"
check_eq "$(py -c 'import json, sys; print(json.load(open(sys.argv[1]))["total"] > 0)' "$TMPDIR/pg.json")" True \
	"a search that finds something"

t "the analysts' views on PostgreSQL: a number question's column is numeric, as its answers"
run "$PG_BIN/psql" "host=$PG_DIR dbname=hq user=sondeo" -XAtq -c "SELECT pg_typeof(scale_up_potential),
	count(*), sum(scale_up_potential) FROM form_partnership WHERE scale_up_potential IS NOT NULL GROUP BY 1"
check_rc 0
check_eq "$OUT" "numeric|$(sqlite3 "$litehq/server.db" "SELECT count(*), sum(scale_up_potential) FROM form_partnership
	WHERE scale_up_potential IS NOT NULL")" "the column's type, its answers and their sum, beside SQLite's"

t "sondeod migrate: the SQLite server moves into PostgreSQL, checked, and serves on as before"
kill "$PID" && wait "$PID" 2>/dev/null
run "$PG_BIN/psql" "$PG_CONNINFO" -qc "CREATE DATABASE lite"
check_rc 0
cp "$litehq/server.db" "$TMPDIR/before.db"
run "$SONDEOD" migrate --data "$litehq" --store "host=$PG_DIR dbname=hq user=sondeo"
check_rc 1
check_err_has "holds a store already; nothing was changed"
cmp -s "$litehq/server.db" "$TMPDIR/before.db" || fail "a refused migration changed the SQLite file"
[ ! -e "$litehq/store.conf" ] || fail "a refused migration wrote store.conf"
run "$SONDEOD" migrate --data "$litehq" --store "$other"
check_rc 1
check_err_has "the PostgreSQL database named in '--store' is not empty (it holds the table 'fields'):"
cmp -s "$litehq/server.db" "$TMPDIR/before.db" || fail "a refused migration changed the SQLite file"
[ ! -e "$litehq/store.conf" ] || fail "a refused migration wrote store.conf"
check_eq "$(other_holds)" "public.fields 7" "what the other database holds after a refused migration"
run "$SONDEOD" migrate --data "$litehq" --store "host=$PG_DIR dbname=nosuchdb user=sondeo"
check_rc 1
check_err_has "cannot connect to PostgreSQL"
cmp -s "$litehq/server.db" "$TMPDIR/before.db" || fail "a refused migration changed the SQLite file"
run "$SONDEOD" migrate --data "$litehq" --store "host=$PG_DIR dbname=lite user=sondeo"
check_rc 0
check_out_has "136 ops, checked) to PostgreSQL; the SQLite file is kept as $litehq/server.db.before-postgresql"
check_out_has "the review page's search index is made"
# Made by the migration, not left to the first serve; every record with text in it, each once.
check_eq "$("$PG_BIN/psql" "host=$PG_DIR dbname=lite user=sondeo" -XAtc "SELECT (SELECT count(*) FROM meta
	WHERE key = 'reindex'), (SELECT count(*) FROM records_fts), (SELECT count(DISTINCT rowid) FROM records_fts)")" \
	"0|$(sqlite3 "$TMPDIR/before.db" "SELECT count(*) FROM records_fts_docsize")|$(sqlite3 "$TMPDIR/before.db" \
	"SELECT count(*) FROM records_fts_docsize")" "the migrated store's search index"
check_eq "$(ls "$litehq" | tr '\n' ' ')" "server.db.before-postgresql server.key server.pub store.conf " \
	"the data directory"
check_file_mode "$litehq/store.conf" 600
run "$SONDEOD" migrate --data "$litehq" --store "host=$PG_DIR dbname=lite user=sondeo"
check_rc 1
check_err_has "is in PostgreSQL already"
# On the port the laptops know.
serve_on "$litehq" "$TMPDIR/lite2.log" "${LITEURL##*:}" ||
	{ fail "the migrated server did not start: $(cat "$TMPDIR/lite2.log")"; done_testing; }
# Its sessions came along; its searches are PostgreSQL's now, and answer as the other's.
for q in "/v1/dashboard" "/v1/records?per_page=200&sort=partner_name" "/v1/records?q=ministry%20OR%20county"; do
	check_eq "$(same "$q")" same "GET $q after the migration"
done
# New changes take ids after the copied ones, and come back to the other laptop.
SONDEO_HOME=$TMPDIR/lite-a "$SONDEO" new partnership --set partner_name=Afterwards --set stakeholder_type=media \
	--set country=KEN --set level=local --set thematic_areas=human_rights >/dev/null 2>&1
run env SONDEO_HOME="$TMPDIR/lite-a" "$SONDEO" sync
check_rc 0
check_out_has "changes sent"
run env SONDEO_HOME="$TMPDIR/lite-b" "$SONDEO" sync
check_rc 0
run env SONDEO_HOME="$TMPDIR/lite-b" "$SONDEO" list
check_out_has "Afterwards"

t "a store PostgreSQL cannot run a statement on: sondeod serve says which and does not start; other commands run"
# PostgreSQL prepares a statement when it is first run; serve has every one prepared as it starts.
run "$PG_BIN/psql" "host=$PG_DIR dbname=hq user=sondeo" -XAtqc "ALTER TABLE dup_dismissed RENAME TO dup_gone"
check_rc 0
run timeout 30 "$SONDEOD" serve --data "$pghq" --listen 127.0.0.1:0
check_rc 1
check_err_has "cannot prepare a statement (SELECT 1 FROM dup_dismissed WHERE"
check_err_has 'relation "dup_dismissed" does not exist'
run "$SONDEOD" forms --data "$pghq" list
check_rc 0
check_out_has "partnership"

done_testing
