#!/bin/sh
# fuzz-replay.sh - the fuzz targets (tests/fuzz/fuzz_changeset.c, which reads pull answers too; fuzz_xlsform.c,
# fuzz_answer.c; fuzz_form.c, fuzz_client.c (images too), fuzz_auth.c, fuzz_review.c) replayed over their seed corpora by a
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

t "the laptop's target reads its image seeds through the libraries: JPEGs and PNGs scaled, the others refused with why"
# common/image.c loads libjpeg and libpng itself: were they missing, every image seed would be refused with a message
# and the replay would still pass, having tried none of the decoding.
CREPLAY=$(dirname "$SONDEO")/tests/fuzz_client_replay
CCORPUS=$TOP/tests/fuzz/corpus/client
run env FUZZ_VERBOSE=1 "$CREPLAY" "$CCORPUS/image-jpeg" "$CCORPUS/image-jpeg-progressive-exif" "$CCORPUS/image-png-rgba" \
	"$CCORPUS/image-png-palette-interlaced" "$CCORPUS/image-png-within" "$CCORPUS/image-gif" "$CCORPUS/image-png-text-1gb" \
	"$CCORPUS/image-jpeg-huge"
check_rc 0
check_err_has "image 40x30, image_fit: 0"
check_err_has "image 33x20, image_fit: 0"
check_err_has "image 10x10, image_fit: 1"
check_err_has "image_fit: -1 Sondeo cannot scale GIF images"
check_err_has "image 20x20, image_fit: -1 the PNG image is cut short"
check_err_has "image 60000x60000, image_fit: -1 the JPEG image is 60000x60000 pixels: larger than Sondeo decodes"
[ "$(grep -c 'image_fit: 0' "$ERR_FILE")" -eq 4 ] || fail "not every JPEG and PNG seed was scaled: $ERR"

t "without libjpeg or libpng, an image is refused naming the library and its Debian package"
# Stand-ins that are not the libraries, found first, as tests/cli/xlsform.sh does for libzip.
mkdir -p "$TMPDIR/nolibs"
printf 'int not_it;\n' >"$TMPDIR/nolibs/not.c"
cc -shared -fPIC -o "$TMPDIR/nolibs/libjpeg.so.62" "$TMPDIR/nolibs/not.c" || fail "cannot build the stand-in"
cp "$TMPDIR/nolibs/libjpeg.so.62" "$TMPDIR/nolibs/libpng16.so.16"
run env LD_LIBRARY_PATH="$TMPDIR/nolibs" FUZZ_VERBOSE=1 "$CREPLAY" "$CCORPUS/image-jpeg" "$CCORPUS/image-png-rgba"
check_rc 0
check_err_has "image_fit: -1 libjpeg.so.62 lacks jpeg_std_error (Debian's libjpeg62-turbo is needed)"
check_err_has "image_fit: -1 libpng16.so.16 lacks png_create_read_struct (Debian's libpng16-16 is needed)"

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
