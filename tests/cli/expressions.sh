#!/bin/sh
# expressions.sh - a workbook whose calculations use the ODK functions forms bring (format-date, jr:choice-name,
# round, sum, count and max over a repeat, indexed-repeat, position, once(uuid())): imported with `sondeo form
# import`, filled in with `sondeo new --set` and `--parent ID --repeat NAME`, and its worked-out answers read with
# `sondeo show --json`; what a record works out from its instances follows each instance added, changed or
# deleted. A function Sondeo does not have is refused at import, with why.
. "$TOP/tests/cli/lib.sh"
py_start   # one python3 for the whole script: lib.sh's py

MK=$TOP/tests/mkxlsx.py
new_store
"$SONDEO" init --name surveyor >/dev/null

# mk NAME JSON : writes $TMPDIR/NAME.xlsx from the sheets in JSON.
mk() {
	printf '%s' "$2" >"$TMPDIR/$1.json"
	py "$MK" "$TMPDIR/$1.xlsx" "$TMPDIR/$1.json" || fail "mkxlsx could not write $1"
}

# answer FIELD : the answer FIELD of the record in stdout (sondeo show --json), as text ("" when unanswered).
answer() {
	py -c 'import json, sys
v = json.loads(sys.argv[1])["answers"].get(sys.argv[2])
print("" if v is None else v)' "$OUT" "$1"
}

t "a workbook using ODK's functions is imported"
mk household '{"survey": [["type", "name", "label::English (en)", "label::French (fr)", "calculation"],
	["text", "head", "Head", "Chef de ménage", null],
	["select_one colour", "fav", "Colour", "Couleur", null],
	["date", "visit", "Visit", "Visite", null],
	["decimal", "budget", "Budget", "Budget", null],
	["calculate", "visit_text", null, null, "format-date(${visit}, \u0027%e %b %Y\u0027)"],
	["calculate", "fav_label", null, null, "jr:choice-name(${fav}, \u0027${fav}\u0027)"],
	["calculate", "third", null, null, "round(${budget} div 3, 2)"],
	["begin repeat", "member", "Member", "Membre", null],
	["text", "mname", "Name", "Nom", null],
	["integer", "age", "Age", "Âge", null],
	["calculate", "place", null, null, "position(..)"],
	["end repeat", null, null, null, null],
	["calculate", "total_age", null, null, "sum(${age})"],
	["calculate", "members", null, null, "count(${member})"],
	["calculate", "oldest", null, null, "max(${age})"],
	["calculate", "first", null, null, "indexed-repeat(${mname}, ${member}, 1)"],
	["calculate", "key", null, null, "once(uuid())"]],
	"choices": [["list_name", "name", "label::English (en)", "label::French (fr)"],
	["colour", "r", "Red", "Rouge"], ["colour", "g", "Green", "Vert"]],
	"settings": [["form_id", "version", "default_language"], ["household_fn", "1", "English (en)"]]}'
run "$SONDEO" form import "$TMPDIR/household.xlsx"
check_rc 0

t "a record's calculations: a date formatted, a choice's label, a rounded number, and no instances yet"
run "$SONDEO" new household_fn --set head=Okello --set fav=g --set visit=2024-03-05 --set budget=100
check_rc 0
rec=$(printf '%s' "$OUT" | tail -n 1)
run "$SONDEO" show "$rec" --json
check_rc 0
check_eq "$(answer visit_text)" "5 Mar 2024" "visit_text"
check_eq "$(answer fav_label)" "Green" "fav_label"
check_eq "$(answer third)" "33.33" "third"
check_eq "$(answer members)" "0" "members"
check_eq "$(answer total_age)" "0" "total_age"
check_eq "$(answer first)" "" "first"
key=$(answer key)
case $key in
????????-????-4???-????-????????????) ;;
*) fail "key is '$key', not a version 4 UUID" ;;
esac

t "instances added: the record sums, counts and reads them; each knows its place; the key stays"
run "$SONDEO" new --parent "$rec" --repeat member --set mname=Ana --set age=34
check_rc 0
ana=$(printf '%s' "$OUT" | tail -n 1)
run "$SONDEO" new --parent "$rec" --repeat member --set mname=Ben --set age=3
check_rc 0
ben=$(printf '%s' "$OUT" | tail -n 1)
run "$SONDEO" show "$rec" --json
check_eq "$(answer total_age)" "37" "total_age"
check_eq "$(answer members)" "2" "members"
check_eq "$(answer oldest)" "34" "oldest"
check_eq "$(answer first)" "Ana" "first"
check_eq "$(answer key)" "$key" "key"
run "$SONDEO" show "$ana" --json
check_eq "$(answer place)" "1" "Ana's place"
run "$SONDEO" show "$ben" --json
check_eq "$(answer place)" "2" "Ben's place"

t "an instance edited or deleted: the record follows"
run "$SONDEO" edit "$ben" --set age=5
check_rc 0
run "$SONDEO" show "$rec" --json
check_eq "$(answer total_age)" "39" "total_age"
run "$SONDEO" delete "$ana"
check_rc 0
run "$SONDEO" show "$rec" --json
check_eq "$(answer total_age)" "5" "total_age"
check_eq "$(answer members)" "1" "members"
check_eq "$(answer first)" "Ben" "first"
check_eq "$(answer key)" "$key" "key"

t "an instance edited at the terminal: its own questions, its record's answers in view, the record follows"
pty "$SONDEO" edit "$ben" <<'EOF'
expect ] Name
send
expect ] Age
send 6
expect Summary of
expect Saved.
EOF
check_out_lacks "Head"
check_out_has "Age: 6"
run "$SONDEO" show "$rec" --json
check_eq "$(answer total_age)" "6" "total_age"
check_eq "$(answer head)" "Okello" "head"
run "$SONDEO" show "$ben" --json
check_eq "$(answer head)" "" "the instance's head"

t "in the language the form is read in: the choice's label and the month's name"
run "$SONDEO" --lang fr new household_fn --set head=Diallo --set fav=r --set visit=2024-08-11
check_rc 0
run "$SONDEO" show "$(printf '%s' "$OUT" | tail -n 1)" --json
check_eq "$(answer fav_label)" "Rouge" "fav_label"
check_eq "$(answer visit_text)" "11 août 2024" "visit_text"

t "a function Sondeo does not have is refused at import, with why"
mk pull '{"survey": [["type", "name", "label", "calculation"], ["text", "code", "Code", null],
	["calculate", "price", null, "pulldata(\u0027prices\u0027, \u0027price\u0027, \u0027code\u0027, ${code})"]],
	"settings": [["form_id"], ["pull"]]}'
run "$SONDEO" form import "$TMPDIR/pull.xlsx"
check_rc 1
check_err_has "pulldata() is not available in Sondeo: it reads a CSV file attached to the form"
mk badfmt '{"survey": [["type", "name", "label", "calculation"], ["date", "d", "D", null],
	["calculate", "shown", null, "format-date(${d}, \u0027%d/%q\u0027)"]], "settings": [["form_id"], ["badfmt"]]}'
run "$SONDEO" form import "$TMPDIR/badfmt.xlsx"
check_rc 1
check_err_has "format-date(): unknown %q in the format"

t "docs/forms.md lists every function, those refused too"
n=0
for fn in $(sed -n 's/^	{ "\([a-z:0-9-]*\)", [0-9].*/\1/p' "$TOP/common/expr-fn.c"); do
	n=$((n + 1))
	grep -q "\`$fn(" "$TOP/docs/forms.md" || fail "docs/forms.md does not list $fn()"
done
[ "$n" -gt 70 ] || fail "only $n functions read from common/expr-fn.c's table"

done_testing
