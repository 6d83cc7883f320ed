#!/bin/sh
# fuzz-replay.sh - the change-set fuzz target (tests/fuzz/fuzz_changeset.c) replayed over its seed corpus by a
# plain main(), built with the same sanitizers as every test: each input that ever found a bug stays a
# regression test, and the target keeps building without libFuzzer.
#
# Runs under tests/run.sh (SONDEO, TOP, TMPDIR set) or by hand:
#   make MODE=test check-build && SONDEO=$PWD/build/test/sondeo TOP=$PWD sh tests/cli/fuzz-replay.sh
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
. "$TOP/tests/cli/lib.sh"

REPLAY=$(dirname "$SONDEO")/tests/fuzz_changeset_replay
CORPUS=$TOP/tests/fuzz/corpus/changeset

t "the replay program and the seed corpus are there"
check_file_exists "$REPLAY"
n=$(find "$CORPUS" -type f | wc -l)
[ "$n" -ge 8 ] || fail "only $n seed inputs in $CORPUS"

t "every seed input replays without a crash or a sanitizer report"
run "$REPLAY" "$CORPUS"/*
check_rc 0
check_out_has "replayed $n inputs"

t "a directory argument replays the files in it"
run "$REPLAY" "$CORPUS"
check_rc 0
check_out_has "replayed $n inputs"

t "an input that cannot be read fails the replay"
run "$REPLAY" "$CORPUS/does-not-exist"
check_rc 2
check_err_has "cannot read"

t "an empty input is fine"
empty=$(mktemp "${TMPDIR:-/tmp}/fuzz-empty.XXXXXX")
at_exit "rm -f '$empty'"
run "$REPLAY" "$empty"
check_rc 0
check_out_has "replayed 1 inputs"

done_testing
