#!/bin/sh
# xlsform-conformance.sh - rules of pyxform's that the workbooks of tests/xlsform/made check beyond
# xlsform-pyxform.sh's: the other names of its columns and settings, the rows it leaves out or names itself, the
# parameters each type takes, and what it refuses (a question with nothing to show, a label without a type, or_other
# with a choice_filter, a group named as a question beside it), or Sondeo cannot do (randomize=true, a trigger).
# Imported on a laptop; no server.
. "$TOP/tests/cli/lib.sh"

MADE=$TOP/tests/xlsform/made
py_start
LANG=C.UTF-8
export LANG
unset LANGUAGE LC_ALL
new_store
"$SONDEO" init >/dev/null
# def FORM EXPR : EXPR over the form's definition d (q: its questions by name, g: its groups by name).
def() {
	"$SONDEO" form show "$1" --json >"$TMPDIR/def.json"
	py -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
q = {x["name"]: x for x in d["questions"]}
g = {x["name"]: x for x in d.get("groups", [])}
print(json.dumps(eval(sys.argv[2]), ensure_ascii=False, sort_keys=True))' "$TMPDIR/def.json" "$2"
}

t "pyxform's other names for columns and settings: command, value, caption, requiredMsg, count, set form id"
run "$SONDEO" form import "$MADE/column_aliases.xlsx"
check_rc 0
check_out_has "installed form water_points version 3"
check_eq "$(def water_points '[d["title"], [[x["name"], x["type"], x["label"]] for x in d["questions"]], q["village"]["required_message"], q["pumps"]["constraint_message"], g["pump"]["repeat_count"], [[c["name"], c["label"]] for c in q["working"]["choices"]]]')" \
	'["Water points", [["village", "text", "Village"], ["pumps", "integer", "Pumps"], ["working", "select_one", "Working?"]], "Name the village", "Not fewer than none", "${pumps}", [["yes", "It works"], ["no", "Broken"]]]' \
	"the form as read"

t "rows pyxform leaves out or names itself: disabled rows, comments, notes without a name; the parameters a type takes"
run "$SONDEO" form import "$MADE/rows_skipped.xlsx"
check_rc 0
check_out_has "installed form well_census version 2"
check_eq "$(def well_census '[[x["name"], x["type"], x["label"]] for x in d["questions"]]')" \
	'[["generated_note_name_2", "note", "Thank the household first"], ["village", "text", "Village"], ["wells", "integer", "Wells"], ["spot", "geopoint", "Where"], ["fenced", "select_one", "Fenced?"], ["generated_note_name_9", "note", "Goodbye"]]' \
	"the questions"

t "what pyxform refuses, Sondeo refuses: every problem with its sheet, row and column, and nothing installed"
run "$SONDEO" form import "$MADE/refused_rows.xlsx"
check_rc 1
check_err_has "refused_rows.xlsx: 8 problems:"
check_err_has "  sheet 'survey', row 2, column C (label): question 'village' has no label and no hint: it would be asked with nothing to say what"
check_err_has "  sheet 'survey', row 4, column C (label): a label without a type: give the row its type, or leave the row empty"
check_err_has "  sheet 'survey', row 5, column F (choice_filter): or_other with a choice_filter: the choice 'other' it adds has no column to filter on; put 'other' in the list instead"
check_err_has "  sheet 'survey', row 6, column E (parameters): 'rows=many': rows is a whole number"
check_err_has "  sheet 'survey', row 7, column E (parameters): 'randomize=true': Sondeo offers choices in the form's order, the same in every interview"
check_err_has "  sheet 'survey', row 8, column E (parameters): 'precision=3': a geopoint takes capture-accuracy=, warning-accuracy= and allow-mock-accuracy="
check_err_has "  sheet 'survey', row 9, column B (name): group 'village' is named as the question of row 2 beside it"
check_err_has "  sheet 'survey', row 10, column G (trigger): a trigger sets a value when another question changes, which Sondeo does not do yet: a calculation is worked out again after every answer"
run "$SONDEO" forms
check_out_lacks "refused_rows"

t "one name in two groups, which pyxform takes: refused, naming the row and saying why"
printf '%s' '{"survey": [["type", "name", "label"], ["begin group", "head", "Head"], ["text", "name", "Name"],
	["end group"], ["begin group", "spouse", "Spouse"], ["text", "name", "Name"], ["end group"]],
	"settings": [["form_id"], ["families"]]}' >"$TMPDIR/twice.json"
py "$TOP/tests/mkxlsx.py" "$TMPDIR/twice.xlsx" "$TMPDIR/twice.json" || fail "mkxlsx failed"
run "$SONDEO" form import "$TMPDIR/twice.xlsx"
check_rc 1
check_err_has "sheet 'survey', row 6: question 'name': the name appears twice (questions 1 and 2); an answer is kept under its question's name alone, so each name is used once in the whole form, whatever its group"

done_testing
