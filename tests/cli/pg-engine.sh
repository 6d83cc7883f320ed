#!/bin/sh
# pg-engine.sh - what runs on SQLite as unit tests, run again on a throwaway PostgreSQL cluster (tests/cli/pg.inc):
# db.h's contract (test_dbengine), and the merge rule with its convergence property, each replica a schema of its
# own (test_merge; fewer seeds than on SQLite, whose replicas live in memory), and the convergence property over the
# three tiers with headquarters' store in PostgreSQL (test_tiers), and the server store's own unit tests with
# every store they make in PostgreSQL (tests/unit/teststore.h).
. "$TOP/tests/cli/lib.sh"
. "$TOP/tests/cli/pg.inc"

ENGINE_TEST=$(dirname "$SONDEO")/tests/test_dbengine

t "a throwaway PostgreSQL cluster starts"
if ! pg_start; then
	skip "$PG_WHY"
	done_testing
fi

# The programs run side by side (each in schemas or databases of its own), their results read afterwards.
# start NAME ENV... : runs tests/NAME with SONDEO_TEST_PG and the ENV given, into $TMPDIR/NAME.out and .rc.
start() {
	_name=$1
	shift
	(env SONDEO_TEST_PG="$PG_CONNINFO" "$@" "$(dirname "$SONDEO")/tests/$_name" >"$TMPDIR/$_name.out" 2>&1
	 echo $? >"$TMPDIR/$_name.rc") &
	started="$started $!"
}
# ran NAME : OUT and RC of a program start ran, as run would set them.
ran() {
	OUT=$(cat "$TMPDIR/$1.out")
	RC=$(cat "$TMPDIR/$1.rc" 2>/dev/null || echo 125)
	ERR=""
}
# passed NAME : every test of tests/unit/NAME.c ran once per engine it names (TIMES, default 1) and none failed.
passed() {
	case $OUT in *"not ok"*) fail "$(printf '%s\n' "$OUT" | grep -A3 "^#   \|^not ok" | head -20)" ;; esac
	check_eq "$(printf '%s\n' "$OUT" | grep -c '^ok ')" "$(($(grep -c '^	RUN(' "$TOP/tests/unit/$1.c") * ${2:-1}))" \
		"tests passed"
}
started=""
start test_tiers SONDEO_SOAK_SEEDS=8
start test_merge SONDEO_SOAK_SEEDS=5
for unit in test_sstore test_review test_ingest test_users test_relay test_dbengine; do
	start $unit
done
wait $started

t "test_dbengine: every check on SQLite and on PostgreSQL"
ran test_dbengine
check_rc 0
check_out_has "# engine: postgresql"
# Each test once on each engine.
passed test_dbengine 2

t "test_merge: the merge rule on PostgreSQL, its examples and its convergence property"
ran test_merge
check_rc 0
check_out_has "# engine: postgresql"
check_out_has "# convergence: seeds 1..5: 0 failed"
passed test_merge

t "test_tiers: the three tiers converge with headquarters on PostgreSQL"
ran test_tiers
check_rc 0
check_out_has "# headquarters' engine: postgresql"
check_out_has "# tiers: seeds 1..8: 0 failed"
check_out_has "ok test_three_tiers_converge"

for unit in test_sstore test_ingest test_users test_review test_relay; do
	t "$unit: the server store's tests on PostgreSQL"
	ran $unit
	check_rc 0
	check_out_has "# stores in PostgreSQL"
	passed $unit
done

t "a wrong connection string is refused, naming what libpq said"
run env SONDEO_TEST_PG="host=$PG_DIR dbname=nosuchdb user=sondeo" "$ENGINE_TEST"
check_rc 1
check_out_has "cannot connect to PostgreSQL"
check_out_has "nosuchdb"

done_testing
