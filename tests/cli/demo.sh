#!/bin/sh
# demo.sh - make demo's story runs to the end with the test build: offline work, enrolment, sync in two regions,
# a conflict raised, shown, resolved, every replica converged, and a review at headquarters reaching the laptop.
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}

t "the demo runs the whole story and ends converged"
DEMO_EXIT=1 run sh "$TOP/scripts/demo.sh" "$SONDEO" "$SONDEOD"
check_rc 0
check_out_has "sondeod is serving http://127.0.0.1:"
check_out_has "the east laptops now hold 5 records each; the west one 3"
check_out_has "sondeod_conflicts_open 1"
check_out_has "2 values replaced by one"
check_out_has "sondeod_conflicts_open 0"
check_out_has "converged: every replica holds the same value and the same history"
check_out_has "1 conflict raised and resolved, all converged;"
check_out_has "has issues: Please confirm the country code"
check_err_has "exported 8 records of partnership to"
check_out_has "one record reviewed at headquarters and flagged on the laptop that made it."
check_out_lacks "NOT converged"

done_testing
