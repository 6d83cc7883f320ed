#!/bin/sh
# fuzz-replay.sh - the fuzz targets (tests/fuzz/fuzz_changeset.c, which reads pull answers too; fuzz_xlsform.c,
# fuzz_answer.c; fuzz_form.c, fuzz_client.c, fuzz_auth.c, fuzz_review.c) replayed over their seed corpora by a
# plain main(), built with the same sanitizers as every test: each input that ever found a bug stays a
# regression test, and the targets keep building without libFuzzer.
#
# Runs under tests/run.sh (SONDEO, TOP, TMPDIR set) or by hand:
#   make MODE=test check-build && SONDEO=$PWD/build/test/sondeo TOP=$PWD sh tests/cli/fuzz-replay.sh
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
# The replays are unit tests of the parsers: their leaks are looked for, as run.sh does for the others.
LEAK_CHECK=all
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

t "the change set target reads its inputs as pull answers too, through the same op decoder"
run env FUZZ_VERBOSE=1 "$REPLAY" "$CORPUS/pull-by"
check_rc 0
check_err_has "as a pull answer: 0"
run env FUZZ_VERBOSE=1 "$REPLAY" "$CORPUS/pull-bad-hlc"
check_rc 0
check_err_has "as a pull answer: 1: op 1: member 'hlc': 4611686018427387904 is over 2^62 - 1"

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

t "every workbook of the XLSForm target's corpus replays without a crash or a sanitizer report"
XREPLAY=$(dirname "$SONDEO")/tests/fuzz_xlsform_replay
n=$(find "$TOP/tests/fuzz/corpus/xlsform" -type f | wc -l)
[ "$n" -ge 11 ] || fail "only $n seed workbooks"
run "$XREPLAY" "$TOP/tests/fuzz/corpus/xlsform"
check_rc 0
check_out_has "replayed $n inputs"
run "$XREPLAY" "$empty"
check_rc 0

t "every input of the answers target's corpus replays without a crash, a sanitizer report or an answer that reads back otherwise"
AREPLAY=$(dirname "$SONDEO")/tests/fuzz_answer_replay
n=$(find "$TOP/tests/fuzz/corpus/answer" -type f | wc -l)
[ "$n" -ge 16 ] || fail "only $n seed answers"
run "$AREPLAY" "$TOP/tests/fuzz/corpus/answer"
check_rc 0
check_out_has "replayed $n inputs"
run "$AREPLAY" "$empty"
check_rc 0

t "every input of the other targets' corpora replays without a crash, a sanitizer report or a broken invariant"
# form definitions and expressions; the laptop's files and answers; the server's cookie, signed requests, vouch
# statements and codes; the review API's bodies and query strings (against a store of its own).
for name in form client auth review; do
	n=$(find "$TOP/tests/fuzz/corpus/$name" -type f | wc -l)
	[ "$n" -ge 15 ] || fail "only $n seed inputs for fuzz_$name"
	run "$(dirname "$SONDEO")/tests/fuzz_${name}_replay" "$TOP/tests/fuzz/corpus/$name"
	check_rc 0
	check_out_has "replayed $n inputs"
	run "$(dirname "$SONDEO")/tests/fuzz_${name}_replay" "$empty"
	check_rc 0
done

done_testing
