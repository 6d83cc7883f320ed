#!/bin/sh
# input.sh - every kind of bad input is refused with a message that names the file, the line, the question and the
# value; the command exits non-zero, prints no record id, and the store is byte for byte what it was (compared as
# `sqlite3 store.db .dump`).
#
# Runs under tests/run.sh (SONDEO, TOP, TMPDIR set) or by hand:
#   make MODE=test check-build && SONDEO=$PWD/build/test/sondeo TOP=$PWD sh tests/cli/input.sh
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
. "$TOP/tests/cli/lib.sh"

LANG=C.UTF-8
SONDEO_TODAY=2026-11-01
export LANG SONDEO_TODAY
unset LANGUAGE LC_ALL

scratch=$(mktemp -d "${TMPDIR:-/tmp}/input.XXXXXX")
at_exit "rm -rf '$scratch'"
cd "$scratch" || exit 1
# The answers a valid record needs, as --set options and as CSV.
set -- --set stakeholder_type=media --set country=KEN --set level=local --set thematic_areas=human_rights
HEAD=partner_name,stakeholder_type,country,level,thematic_areas
ROW=media,KEN,local,human_rights

dump() {
	sqlite3 "$SONDEO_HOME/store.db" .dump >"$1"
}

# same_store : the store is exactly what it was at the last snapshot.
same_store() {
	dump "$scratch/after.dump"
	cmp -s "$scratch/before.dump" "$scratch/after.dump" ||
		fail "the store changed: $(diff "$scratch/before.dump" "$scratch/after.dump" | head -n 6 | tr '\n' ' ')"
}

# refused MESSAGE... : the last command exited 1, printed nothing on stdout, printed every MESSAGE (a whole line or
# part of one) on stderr, and changed nothing.
refused() {
	check_rc 1
	check_eq "$OUT" "" "stdout"
	for m in "$@"; do
		check_err_has "$m"
	done
	same_store
}

# A store with records in every state, so that "unchanged" means something.
new_store
"$SONDEO" init --name input-tests >/dev/null || fail "init failed"
"$SONDEO" new --from "$TOP/forms/samples/partnerships.csv" >ids 2>/dev/null || fail "cannot load the samples"
"$SONDEO" new --draft --set partner_name="A Draft" >/dev/null || fail "cannot make a draft"
gone=$(sed -n 8p ids)
"$SONDEO" delete "$gone" >/dev/null || fail "cannot delete"
keep=$(sed -n 1p ids)
short=$(printf '%.8s' "$keep")
dump "$scratch/before.dump"

# ------------------------------------------------------------------------------------------------ unknown names

t "an unknown form"
run "$SONDEO" new nosuchform --set partner_name=x
refused "sondeo: unknown form 'nosuchform' (see 'sondeo forms')"
printf '%s\nA,%s\n' "$HEAD" "$ROW" >good.csv
run "$SONDEO" new nosuchform --from good.csv
refused "sondeo: unknown form 'nosuchform'"
run "$SONDEO" list --form nosuchform
refused "sondeo: unknown form 'nosuchform'"
run "$SONDEO" export --form nosuchform --format csv -o never.csv
refused "sondeo: unknown form 'nosuchform'"
check_file_absent never.csv

t "an unknown question in --set, in a CSV column and in a JSON key"
run "$SONDEO" new "$@" --set partner_name=P --set budget=100
refused "--set: unknown question 'budget' in form 'partnership'" "sondeo: 1 problem found: nothing was saved"
printf '%s,budget\nA,%s,100\n' "$HEAD" "$ROW" >col.csv
run "$SONDEO" new --from col.csv
refused "col.csv:1: column 6: unknown question 'budget' in form 'partnership'"
cat >key.json <<'EOF'
[
  {"partner_name": "A", "stakeholder_type": "media", "country": "KEN", "level": ["local"], "thematic_areas": ["human_rights"]},
  {"partner_name": "B", "stakeholder_type": "media", "country": "KEN", "level": ["local"], "thematic_areas": ["human_rights"],
   "budget": 100}
]
EOF
run "$SONDEO" new --from key.json
refused "key.json:3: unknown question 'budget' in form 'partnership'"
run "$SONDEO" edit "$keep" --set budget=100
refused "$short: unknown question 'budget' in form 'partnership'" "sondeo: 1 problem found: nothing was changed"
run "$SONDEO" list --where budget=100
refused "sondeo: --where: unknown question 'budget'"

t "a value of the wrong type: integer, date, geopoint"
run "$SONDEO" new "$@" --set partner_name=P --set scale_up_potential=abc
refused "--set: scale_up_potential \"abc\": 'abc' is not a whole number"
run "$SONDEO" new "$@" --set partner_name=P --set scale_up_potential=1.5
refused "--set: scale_up_potential \"1.5\": '1.5' is not a whole number"
run "$SONDEO" new "$@" --set partner_name=P --set interview_date=2026-02-30
refused "--set: interview_date \"2026-02-30\": '2026-02-30' is not a real date"
run "$SONDEO" new "$@" --set partner_name=P --set interview_date=31/10/2026
refused "--set: interview_date \"31/10/2026\": "
run "$SONDEO" new "$@" --set partner_name=P --set location="91 10"
refused "--set: location \"91 10\": latitude 91 is out of range (-90 to 90)"
run "$SONDEO" new "$@" --set partner_name=P --set location="10 -181"
refused "--set: location \"10 -181\": longitude -181 is out of range (-180 to 180)"
run "$SONDEO" new "$@" --set partner_name=P --set location=nowhere
refused "--set: location \"nowhere\": 'nowhere' is not a location"
printf '%s,scale_up_potential\nA,%s,4\nB,%s,four\n' "$HEAD" "$ROW" "$ROW" >type.csv
run "$SONDEO" new --from type.csv
refused "type.csv:3: scale_up_potential \"four\": 'four' is not a whole number"
printf '{"partner_name": "A", "stakeholder_type": "media", "country": "KEN", "level": ["local"],
 "thematic_areas": ["human_rights"], "scale_up_potential": 2.5}\n' >type.json
run "$SONDEO" new --from type.json
refused "type.json:1: scale_up_potential 2.5: '2.5' is not a whole number"
printf '{"partner_name": {"name": "A"}, "stakeholder_type": "media", "country": "KEN", "level": 7,
 "thematic_areas": ["human_rights"]}\n' >type2.json
run "$SONDEO" new --from type2.json
refused "type2.json:1: partner_name {\"name\":\"A\"}: '{\"name\":\"A\"}' is not text" \
	"type2.json:1: level 7: '7' is not a list of choices" "sondeo: 2 problems found: nothing was saved"

t "a choice not in the list, and a select_multiple with one bad choice"
run "$SONDEO" new "$@" --set partner_name=P --set stakeholder_type=ngo
refused "--set: stakeholder_type \"ngo\": 'ngo' is not a choice (choose from: national_government, local_government,"
run "$SONDEO" new "$@" --set partner_name=P --set level="local galactic national"
refused "--set: level \"local galactic national\": 'galactic' is not a choice (choose from: local, national, bilateral, regional, interregional, global)"
printf '%s\nA,media,KEN,local,human_rights\nB,media,KEN,local,human_rights space_travel\n' "$HEAD" >choice.csv
run "$SONDEO" new --from choice.csv
refused "choice.csv:3: thematic_areas \"human_rights space_travel\": 'space_travel' is not a choice"
printf '[{"partner_name": "A", "stakeholder_type": "NGO", "country": "KEN", "level": ["local", "lunar"],
  "thematic_areas": ["human_rights"]}]\n' >choice.json
run "$SONDEO" new --from choice.json
refused "choice.json:1: stakeholder_type \"NGO\": 'NGO' is not a choice" "choice.json:1: level [\"local\",\"lunar\"]: 'lunar' is not a choice"

t "a country by its code or its name in any of the form's languages, any case or accents; another word is refused with a few codes"
run "$SONDEO" new --draft --set partner_name=P1 --set country=Kenya
check_rc 0
id1=$(printf '%s\n' "$OUT" | tail -n 1)
run "$SONDEO" new --draft --set partner_name=P2 --set country=allemagne
check_rc 0
id2=$(printf '%s\n' "$OUT" | tail -n 1)
run "$SONDEO" new --draft --set partner_name=P3 --set country=mex
check_rc 0
id3=$(printf '%s\n' "$OUT" | tail -n 1)
run "$SONDEO" new --draft --set partner_name=P4 --set country="cote d'ivoire"
check_rc 0
id4=$(printf '%s\n' "$OUT" | tail -n 1)
for p in "$id1 KEN" "$id2 DEU" "$id3 MEX" "$id4 CIV"; do
	run "$SONDEO" show "${p% *}" --json
	check_out_has "\"country\": \"${p#* }\""
done
run "$SONDEO" delete "$id1"
run "$SONDEO" delete "$id2"
run "$SONDEO" delete "$id3"
run "$SONDEO" delete "$id4"
dump "$scratch/before.dump"   # the store as the refusals below must leave it
run "$SONDEO" new "$@" --set partner_name=P --set country=Narnia
refused "--set: country \"Narnia\": 'Narnia' is not a choice (choose from: AFG, ALA, ALB, DZA, ASM, AND, AGO, AIA, ATA, ATG, ARG, ARM, ABW, AUS, AUT, AZE, BHS, BHR, BGD, BRB, ...)"

t "a constraint violated: e-mail, scale-up potential, a future date"
run "$SONDEO" new "$@" --set partner_name=P --set contact_email="grace at labour.ke"
refused "--set: contact_email \"grace at labour.ke\": Enter a valid e-mail address, e.g. name@example.org"
run "$SONDEO" new "$@" --set partner_name=P --set scale_up_potential=7
refused "--set: scale_up_potential 7: Enter a whole number from 1 to 5"
run "$SONDEO" new "$@" --set partner_name=P --set scale_up_potential=0
refused "--set: scale_up_potential 0: Enter a whole number from 1 to 5"
run "$SONDEO" new "$@" --set partner_name=P --set interview_date=2026-11-02
refused "--set: interview_date \"2026-11-02\": The date cannot be in the future"
printf '%s,interview_date\nA,%s,2026-11-01\nB,%s,2027-01-01\n' "$HEAD" "$ROW" "$ROW" >future.csv
run "$SONDEO" new --from future.csv
refused "future.csv:3: interview_date \"2027-01-01\": The date cannot be in the future"
run "$SONDEO" edit "$keep" --set scale_up_potential=9
refused "$short: scale_up_potential 9: Enter a whole number from 1 to 5" "sondeo: 1 problem found: nothing was changed"

t "a required answer missing, with --set and in a CSV row"
run "$SONDEO" new --set partner_name=P
refused "--set: stakeholder_type: is required" "--set: country: is required" "--set: level: is required" \
	"--set: thematic_areas: is required" "sondeo: 4 problems found: nothing was saved"
run "$SONDEO" new "$@" --set partner_name="   "
refused "--set: partner_name: is required"
printf '%s\nA,%s\n,%s\nC,media,,local,human_rights\n' "$HEAD" "$ROW" "$ROW" >required.csv
run "$SONDEO" new --from required.csv
refused "required.csv:3: partner_name: is required" "required.csv:4: country: is required" \
	"sondeo: 2 problems found: nothing was saved"
run "$SONDEO" edit "$keep" --set partner_name=
refused "$short: partner_name: is required" "nothing was changed"

t "an answer to a question that is not asked (relevant is false)"
run "$SONDEO" new "$@" --set partner_name=P --set stakeholder_type_other="Trade union"
refused "--set: stakeholder_type_other \"Trade union\": is answered but does not apply here (relevant: \${stakeholder_type} = 'other')"
run "$SONDEO" new "$@" --set partner_name=P --set replicable=no --set scale_up_potential=3
refused "--set: scale_up_potential 3: is answered but does not apply here (relevant: \${replicable} != 'no')"
run "$SONDEO" new --draft --set partner_name=P --set stakeholder_type=media --set stakeholder_type_other=x
refused "stakeholder_type_other" "is not asked given the other answers (relevant is false)"
run "$SONDEO" new --set partner_name=P --set stakeholder_type=other --set country=KEN --set level=local \
	--set thematic_areas=human_rights
refused "--set: stakeholder_type_other: is required"

t "--set without NAME=VALUE"
run "$SONDEO" new "$@" --set partner_name
refused "--set 'partner_name': expected NAME=VALUE"
run "$SONDEO" new "$@" --set =P
refused "--set '=P': expected NAME=VALUE"

# ------------------------------------------------------------------------------------------------- bad files

t "malformed JSON: the message has line and column"
printf '[\n  {"partner_name": "A",\n   "country": "KEN" "level": ["local"]}\n]\n' >broken.json
run "$SONDEO" new --from broken.json
refused "broken.json:3:27: '}' expected near '\"level\"'"
printf '{"partner_name": "A", "notes": "unterminated\n' >broken2.json
run "$SONDEO" new --from broken2.json
refused "broken2.json:1:"
printf '[{"partner_name": "A"},]\n' >trailing.json
run "$SONDEO" new --from trailing.json
refused "trailing.json:1:"
printf '[{"partner_name": "A"}, 5]\n' >notobj.json
run "$SONDEO" new --from notobj.json
refused "notobj.json:1: record 2 is not a JSON object"

t "malformed CSV: an unterminated quote, a stray quote, a short row"
printf '%s\nA,%s\n"B,%s\nC,%s\n' "$HEAD" "$ROW" "$ROW" "$ROW" >unterminated.csv
run "$SONDEO" new --from unterminated.csv
refused "unterminated.csv: line 3: unterminated quoted field"
printf '%s\nA "the best",%s\n' "$HEAD" "$ROW" >stray.csv
run "$SONDEO" new --from stray.csv
refused "stray.csv: line 2: quote inside an unquoted field"
printf '%s\n"A"B,%s\n' "$HEAD" "$ROW" >after.csv
run "$SONDEO" new --from after.csv
refused "after.csv: line 2: unexpected character 'B' after closing quote"
printf '%s\nA,%s\nB,media,KEN,local\nC,%s\n' "$HEAD" "$ROW" "$ROW" >short.csv
run "$SONDEO" new --from short.csv
refused "short.csv:3: has 4 fields, the header has 5"
printf '%s\nA,%s\nC,%s,extra\n' "$HEAD" "$ROW" "$ROW" >wide.csv
run "$SONDEO" new --from wide.csv
refused "wide.csv:3: has 6 fields, the header has 5"

t "duplicate CSV columns and duplicate JSON keys"
printf '%s,country\nA,%s,SEN\n' "$HEAD" "$ROW" >dupcol.csv
run "$SONDEO" new --from dupcol.csv
refused "dupcol.csv:1: column 'country' appears twice (columns 3 and 6)"
printf '{"partner_name": "A", "country": "KEN",\n "country": "SEN"}\n' >dupkey.json
run "$SONDEO" new --from dupkey.json
refused "dupkey.json:2:" "duplicate object key"

t "text that is not UTF-8, and NUL bytes"
printf '%s\nA,%s\nCaf\351 Solidaire,%s\n' "$HEAD" "$ROW" "$ROW" >latin1.csv
run "$SONDEO" new --from latin1.csv
refused "latin1.csv:3: text is not valid UTF-8 (byte 94)"
printf '{"partner_name": "Caf\351"}\n' >latin1.json
run "$SONDEO" new --from latin1.json
refused "latin1.json:1: text is not valid UTF-8 (byte 22)"
# A UTF-16 surrogate encoded in UTF-8 is not UTF-8 either.
printf '%s\nA\355\240\200,%s\n' "$HEAD" "$ROW" >surrogate.csv
run "$SONDEO" new --from surrogate.csv
refused "surrogate.csv:2: text is not valid UTF-8"
run "$SONDEO" new "$@" --set partner_name="$(printf 'Caf\351')"
refused "--set: partner_name: the answer is not valid UTF-8 (at byte 4)"
run "$SONDEO" edit "$keep" --set notes="$(printf '\377')"
refused "$short: notes: the answer is not valid UTF-8 (at byte 1)"
printf '%s\nA,%s\nB\000C,%s\n' "$HEAD" "$ROW" "$ROW" >nul.csv
run "$SONDEO" new --from nul.csv
refused "nul.csv:3: contains a NUL byte (byte 92)"
printf '{"partner_name": "A\000B"}\n' >nul.json
run "$SONDEO" new --from nul.json
refused "nul.json:1: contains a NUL byte (byte 20)"
printf '{"partner_name": "A\\u0000B"}\n' >nulescape.json
run "$SONDEO" new --from nulescape.json
refused "nulescape.json:1:27: a NUL character (\\u0000) is not allowed in text"

t "an answer longer than 64 KiB, in --set, CSV and JSON"
long=$(head -c 65537 /dev/zero | tr '\0' x)
run "$SONDEO" new "$@" --set partner_name=P --set notes="$long"
refused "--set: notes \"xxxxxxxx" "is longer than 65536 bytes"
check_eq "$(wc -c <"$ERR_FILE" | tr -d ' ')" 208 "bytes of the message (the value is shortened)"
{ echo "$HEAD,notes"; echo "A,$ROW,short"; echo "B,$ROW,$long"; } >long.csv
run "$SONDEO" new --from long.csv
refused "long.csv:3: notes \"xxxxxxxx" "is longer than 65536 bytes"
printf '{"partner_name": "%s"}\n' "$long" >long.json
run "$SONDEO" new --from long.json
refused "long.json:1: partner_name \"xxxxxxxx" "is longer than 65536 bytes"

t "an empty file, a header without rows, an empty array, an empty standard input"
: >empty.csv
run "$SONDEO" new --from empty.csv
refused "empty.csv: empty file: expected a header row of question names"
printf '\r\n\n' >blank.csv
run "$SONDEO" new --from blank.csv
refused "blank.csv: empty file: expected a header row of question names"
printf '%s\n' "$HEAD" >header.csv
run "$SONDEO" new --from header.csv
refused "sondeo: header.csv: no records in the file"
echo '[]' >none.json
run "$SONDEO" new --from none.json
refused "sondeo: none.json: no records in the file"
run "$SONDEO" new </dev/null
refused "<stdin>: empty file: expected a header row of question names"

t "a file that does not exist, or is a directory"
run "$SONDEO" new --from "$scratch/missing.csv"
refused "sondeo: cannot read '$scratch/missing.csv': No such file or directory"
run "$SONDEO" new --from "$scratch"
refused "sondeo: cannot read '$scratch': Is a directory"
run "$SONDEO" form import "$scratch/missing.json"
refused "sondeo: cannot read '$scratch/missing.json': No such file or directory"

t "a bulk file where only record 3 of 5 is bad: nothing is saved, the message names its line"
{
	echo "$HEAD,notes"
	echo "One,$ROW,first"
	echo "Two,$ROW,\"second, with a comma"
	echo "and a line break\""
	echo "Three,media,Narnia,local,human_rights,third"
	echo "Four,$ROW,fourth"
	echo "Five,$ROW,fifth"
} >bulk.csv
run "$SONDEO" new --from bulk.csv
refused "bulk.csv:5: country \"Narnia\": 'Narnia' is not a choice (choose from: AFG, " \
	"sondeo: 1 problem found: nothing was saved"
check_eq "$(grep -c '^bulk.csv:' "$ERR_FILE")" 1 "problems listed"
cat >bulk.json <<'EOF'
[
  {"partner_name": "One", "stakeholder_type": "media", "country": "KEN", "level": ["local"],
   "thematic_areas": ["human_rights"]},
  {"partner_name": "Two", "stakeholder_type": "media", "country": "KEN", "level": ["local"],
   "thematic_areas": ["human_rights"]},
  {"partner_name": "Three", "stakeholder_type": "media", "country": "KEN", "level": ["local"],
   "thematic_areas": ["human_rights"], "contact_email": "three-at-example.org"},
  {"partner_name": "Four", "stakeholder_type": "media", "country": "KEN", "level": ["local"],
   "thematic_areas": ["human_rights"]},
  {"partner_name": "Five", "stakeholder_type": "media", "country": "KEN", "level": ["local"],
   "thematic_areas": ["human_rights"]}
]
EOF
run "$SONDEO" new --from bulk.json
refused "bulk.json:6: contact_email \"three-at-example.org\": Enter a valid e-mail address, e.g. name@example.org" \
	"sondeo: 1 problem found: nothing was saved"
check_eq "$(grep -c '^bulk.json:' "$ERR_FILE")" 1 "problems listed"
run "$SONDEO" new --draft --from bulk.json
refused "bulk.json:6: contact_email \"three-at-example.org\""
# --set applies to every record: one bad --set is a problem in each of them.
run "$SONDEO" new --from good.csv --set scale_up_potential=8
refused "good.csv:2: scale_up_potential 8: Enter a whole number from 1 to 5"

t "every problem in a file is listed, not only the first (README: interviews.csv lines 4 and 9)"
{
	echo "$HEAD"
	for i in 2 3; do echo "Row $i,$ROW"; done
	echo "Row 4,media,Narnia,local,human_rights"
	for i in 5 6 7 8; do echo "Row $i,$ROW"; done
	echo "Row 9,ngo,KEN,local,human_rights"
	echo "Row 10,media,KEN,local"
	echo "Row 11,media,KEN,local,human_rights space_travel"
} >interviews.csv
run "$SONDEO" new --from interviews.csv
refused "interviews.csv:4: country \"Narnia\": 'Narnia' is not a choice (choose from: AFG, " \
	"interviews.csv:9: stakeholder_type \"ngo\": 'ngo' is not a choice (choose from: national_government, " \
	"interviews.csv:10: has 4 fields, the header has 5" \
	"interviews.csv:11: thematic_areas \"human_rights space_travel\": 'space_travel' is not a choice" \
	"sondeo: 4 problems found: nothing was saved"
cat >interviews.json <<'EOF'
[
  {"partner_name": "A", "stakeholder_type": "media", "country": "Narnia", "level": ["local"], "thematic_areas": ["human_rights"]},
  {"partner_name": "B", "stakeholder_type": "ngo", "country": "KEN", "level": ["local"], "thematic_areas": ["human_rights"]}
]
EOF
run "$SONDEO" new --from interviews.json
refused "interviews.json:2: country \"Narnia\": 'Narnia' is not a choice (choose from: AFG, " \
	"interviews.json:3: stakeholder_type \"ngo\": 'ngo' is not a choice" "sondeo: 2 problems found: nothing was saved"

# --------------------------------------------------------------------------------------------- bad forms

t "form import refuses a bad form and names the question"
cat >dupq.json <<'EOF'
{"id": "visit", "version": "1", "title": "Visit", "questions": [
  {"name": "size", "type": "integer", "label": "Size"},
  {"name": "size", "type": "text", "label": "Size again"}]}
EOF
run "$SONDEO" form import dupq.json
refused "sondeo: dupq.json: question 'size': the name appears twice (questions 1 and 2); an answer is kept under its question's name alone, so each name is used once in the whole form, whatever its group"
cat >badtype.json <<'EOF'
{"id": "visit", "version": "1", "title": "Visit", "questions": [
  {"name": "size", "type": "number", "label": "Size"}]}
EOF
run "$SONDEO" form import badtype.json
refused "sondeo: badtype.json: question 'size': unknown type 'number' (use text, integer, decimal, select_one, select_multiple, rank, date, time, dateTime, geopoint, geotrace, geoshape, acknowledge, note, osm, barcode, image, audio, video, file, calculate, start, end, today, deviceid, username, simserial, subscriberid, phonenumber or email)"
cat >badexpr.json <<'EOF'
{"id": "visit", "version": "1", "title": "Visit", "questions": [
  {"name": "head", "type": "text", "label": "Head"},
  {"name": "size", "type": "integer", "label": "Size", "constraint": ". >= "}]}
EOF
run "$SONDEO" form import badexpr.json
refused "sondeo: badexpr.json: question 'size': constraint: at column 6: expected a value"
cat >badref.json <<'EOF'
{"id": "visit", "version": "1", "title": "Visit", "questions": [
  {"name": "size", "type": "integer", "label": "Size", "relevant": "${nosuch} = 1"}]}
EOF
run "$SONDEO" form import badref.json
refused "sondeo: badref.json: question 'size': relevant names unknown question 'nosuch'"
printf '{"id": "visit", "version": "1",' >badjson.json
run "$SONDEO" form import badjson.json
refused "sondeo: badjson.json: not valid JSON: line 1, column"
cat >clash.json <<'EOF'
{"id": "partnership", "version": "2", "title": "Not the real one", "questions": [
  {"name": "size", "type": "integer", "label": "Size"}]}
EOF
run "$SONDEO" form import clash.json
refused "sondeo: clash.json: form 'partnership' version '2' is already installed with a different definition; give the new definition a new version"

# ------------------------------------------------------------------------------------------- unknown ids

t "edit, show and delete of an unknown id"
run "$SONDEO" show 0000
refused "sondeo: no record '0000'"
run "$SONDEO" edit 0000 --set notes=x
refused "sondeo: no record '0000'"
run "$SONDEO" delete 0000
refused "sondeo: no record '0000'"
run "$SONDEO" show nothex
refused "sondeo: 'nothex' is not a record id"
run "$SONDEO" delete "$keep-0"
refused "is not a record id"

t "a deleted record cannot be edited or deleted again"
run "$SONDEO" edit "$gone" --set notes=x
refused "sondeo: record $(printf '%.8s' "$gone") is deleted"
run "$SONDEO" delete "$gone"
refused "sondeo: record $(printf '%.8s' "$gone") is already deleted"

t "delete twice: the second is refused and changes nothing"
victim=$(sed -n 7p ids)
run "$SONDEO" delete "$victim"
check_rc 0
check_eq "$OUT" "deleted $victim"
dump "$scratch/before.dump"
run "$SONDEO" delete "$victim"
refused "sondeo: record $(printf '%.8s' "$victim") is already deleted"
check_eq "$(sqlite3 "$SONDEO_HOME/store.db" "SELECT count(*) FROM ops WHERE field = '_deleted'")" 2 "_deleted ops"

t "usage errors exit 2 and change nothing"
run "$SONDEO" new --from
check_rc 2
check_err_has "sondeo new: option '--from' needs a value"
same_store
run "$SONDEO" edit "$keep" "$victim" --set notes=x
check_rc 2
check_err_has "sondeo edit: expected one record id"
same_store
run "$SONDEO" export --format xml
check_rc 2
check_err_has "sondeo export: unknown format 'xml' (csv, xlsx, json or geojson)"
run "$SONDEO" list --where country
check_rc 2
check_err_has "sondeo list: --where 'country': expected NAME=VALUE"
same_store

t "an answer of exactly 64 KiB is accepted"
run "$SONDEO" new "$@" --set partner_name=P --set notes="$(head -c 65536 /dev/zero | tr '\0' y)"
check_rc 0
check_eq "$(sqlite3 "$SONDEO_HOME/store.db" "SELECT length(notes) FROM form_partnership WHERE id = '$OUT'")" 65536 \
	"length of the saved answer"

done_testing
