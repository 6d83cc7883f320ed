#!/bin/sh
# pg-engine.sh - db.h's contract on PostgreSQL: test_dbengine, whose checks run on SQLite as a unit test, run
# again on a throwaway PostgreSQL cluster (tests/cli/pg.inc).
. "$TOP/tests/cli/lib.sh"
. "$TOP/tests/cli/pg.inc"

ENGINE_TEST=$(dirname "$SONDEO")/tests/test_dbengine

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
[ "$(printf '%s\n' "$OUT" | grep -c '^ok ')" -ge 14 ] || fail "fewer checks than expected passed: $OUT"

t "a wrong connection string is refused, naming what libpq said"
run env SONDEO_TEST_PG="host=$PG_DIR dbname=nosuchdb user=sondeo" "$ENGINE_TEST"
check_rc 1
check_out_has "cannot connect to PostgreSQL"
check_out_has "nosuchdb"

done_testing
