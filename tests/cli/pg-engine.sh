#!/bin/sh
# pg-engine.sh - what runs on SQLite as unit tests, run again on a throwaway PostgreSQL cluster (tests/cli/pg.inc):
# db.h's contract (test_dbengine), and the merge rule with its convergence property, each replica a schema of its
# own (test_merge; fewer seeds than on SQLite, whose replicas live in memory), and the convergence property over the
# three tiers with headquarters' store in PostgreSQL (test_tiers), and the server store's own unit tests with
# every store they make in PostgreSQL (tests/unit/teststore.h).
. "$TOP/tests/cli/lib.sh"
. "$TOP/tests/cli/pg.inc"

ENGINE_TEST=$(dirname "$SONDEO")/tests/test_dbengine
MERGE_TEST=$(dirname "$SONDEO")/tests/test_merge
TIERS_TEST=$(dirname "$SONDEO")/tests/test_tiers

t "a throwaway PostgreSQL cluster starts"
if ! pg_start; then
	skip "$PG_WHY"
	done_testing
fi

t "test_dbengine: every check on SQLite and on PostgreSQL"
run env SONDEO_TEST_PG="$PG_CONNINFO" "$ENGINE_TEST"
check_rc 0
check_out_has "# engine: postgresql"
case $OUT in *"not ok"*) fail "$(printf '%s\n' "$OUT" | grep -A3 "^#   \|^not ok" | head -20)" ;; esac
# Each test once on each engine.
check_eq "$(printf '%s\n' "$OUT" | grep -c '^ok ')" "$(($(grep -c '^	RUN(' "$TOP/tests/unit/test_dbengine.c") * 2))" \
	"tests passed"

t "test_merge: the merge rule on PostgreSQL, its examples and its convergence property"
run env SONDEO_TEST_PG="$PG_CONNINFO" SONDEO_SOAK_SEEDS=10 "$MERGE_TEST"
check_rc 0
check_out_has "# engine: postgresql"
check_out_has "# convergence: seeds 1..10: 0 failed"
case $OUT in *"not ok"*) fail "$(printf '%s\n' "$OUT" | grep -A3 "^#   \|^not ok" | head -20)" ;; esac
check_eq "$(printf '%s\n' "$OUT" | grep -c '^ok ')" "$(grep -c '^	RUN(' "$TOP/tests/unit/test_merge.c")" "tests passed"

t "test_tiers: the three tiers converge with headquarters on PostgreSQL"
run env SONDEO_TEST_PG="$PG_CONNINFO" SONDEO_SOAK_SEEDS=20 "$TIERS_TEST"
check_rc 0
check_out_has "# headquarters' engine: postgresql"
check_out_has "# tiers: seeds 1..20: 0 failed"
check_out_has "ok test_three_tiers_converge"

for unit in test_sstore test_ingest test_users test_review test_relay; do
	t "$unit: the server store's tests on PostgreSQL"
	run env SONDEO_TEST_PG="$PG_CONNINFO" "$(dirname "$SONDEO")/tests/$unit"
	check_rc 0
	check_out_has "# stores in PostgreSQL"
	case $OUT in *"not ok"*) fail "$(printf '%s\n' "$OUT" | grep -A3 "^#   \|^not ok" | head -20)" ;; esac
	check_eq "$(printf '%s\n' "$OUT" | grep -c '^ok ')" "$(grep -c '^	RUN(' "$TOP/tests/unit/$unit.c")" "tests passed"
done

t "a wrong connection string is refused, naming what libpq said"
run env SONDEO_TEST_PG="host=$PG_DIR dbname=nosuchdb user=sondeo" "$ENGINE_TEST"
check_rc 1
check_out_has "cannot connect to PostgreSQL"
check_out_has "nosuchdb"

done_testing
