#!/bin/sh
# xlsform-pyxform.sh - workbooks read as pyxform reads them (tests/xlsform/made, made with tests/mkxlsx.py by its
# make.sh): spaces around cells, names starting with '_' as Kobo's form builder writes them, pyxform's other type
# names, begin loop, choice names such as >150, a calculate with only a default; a workbook with several problems
# says them all. The answers go through a laptop and a real sondeod on loopback, and come out in their exports.
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
MADE=$TOP/tests/xlsform/made
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"
py_start
LANG=C.UTF-8
export LANG
unset LANGUAGE LC_ALL

"$SONDEOD" init --data "$hq" >/dev/null
for w in kobo_names trailing_spaces type_aliases begin_loop choice_names calculate_default; do
	"$SONDEOD" forms --data "$hq" publish "$MADE/$w.xlsx" >"$TMPDIR/publish.out" 2>&1 ||
		{ t "sondeod publishes $w.xlsx"; fail "$(cat "$TMPDIR/publish.out")"; }
done
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
code=$("$SONDEOD" enrol-code --data "$hq" --region east | head -n 1)
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" init >/dev/null
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" enrol "$URL" "$code" >/dev/null
last() { printf '%s' "$OUT" | tail -n 1; }
# answer ID NAME : the record's answer to NAME, as JSON.
answer() {
	SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" show "$1" --json >"$TMPDIR/show.json"
	py -c 'import json, sys
print(json.dumps(json.load(open(sys.argv[1], encoding="utf-8"))["answers"].get(sys.argv[2]), ensure_ascii=False))' \
		"$TMPDIR/show.json" "$2"
}
# def FORM EXPR : EXPR over the form's definition d, as the laptop holds it.
def() {
	SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" form show "$1" --json >"$TMPDIR/def.json"
	py -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
q = {x["name"]: x for x in d["questions"]}
print(json.dumps(eval(sys.argv[2]), ensure_ascii=False, sort_keys=True))' "$TMPDIR/def.json" "$2"
}

t "names starting with '_', as Kobo's form builder writes them: asked, calculated, synced and exported"
dev a new kobo_names --set _1_2_Where_do_you_live=Mombasa --set _2_1_How_many_partners=4
check_rc 0
rec=$(last)
check_eq "$(answer "$rec" _summary)" '"Mombasa: 4"' "the calculation over them"
check_eq "$(answer "$rec" __version__)" '"vSuNgKq6AddsZL"' "__version__"
dev a sync
check_rc 0
run "$SONDEOD" export --data "$hq" --form kobo_names --format csv
check_rc 0
check_out_has "_id,_1_2_Where_do_you_live,_2_1_How_many_partners,__version__,_summary,_form_version"
check_out_has "$rec,Mombasa,4,vSuNgKq6AddsZL,Mombasa: 4,1,"
dev a export --form kobo_names --format csv
check_out_has ",Mombasa,4,vSuNgKq6AddsZL,Mombasa: 4,"

t "spaces around headers, settings and cells are not part of them"
check_eq "$(def trailing_spaces '[d["id"], d["version"], d["title"], q["office"]["label"], q["office"].get("required"), q["active"]["type"], [c["name"] for c in q["active"]["choices"]]]')" \
	'["trailing_spaces", "2", "Offices", "Office name", true, "select_one", ["yes", "no"]]' "the form as read"

t "pyxform's other names for types are the types they name"
check_eq "$(def type_aliases '[[n, q[n]["type"]] for n in ["started", "device", "office", "contact", "where", "where_else", "staff", "budget", "met", "active", "funded", "areas", "sector", "share", "tag", "thanks"]]')" \
	'[["started", "start"], ["device", "deviceid"], ["office", "text"], ["contact", "text"], ["where", "geopoint"], ["where_else", "geopoint"], ["staff", "integer"], ["budget", "decimal"], ["met", "date"], ["active", "select_one"], ["funded", "select_one"], ["areas", "select_multiple"], ["sector", "select_one"], ["share", "integer"], ["tag", "calculate"], ["thanks", "note"]]' \
	"each question's type"
check_eq "$(def type_aliases '[q["share"]["constraint"], [c["name"] for c in q["sector"]["choices"]], "sector_other" in q]')" \
	'["0 <= . and . <= 100", ["public", "private", "other"], true]' "a percentage's bounds; or other"
dev a new type_aliases --set office=Kisumu --set staff=12 --set share=140
check_rc 1
check_err_has "share"
dev a new type_aliases --set office=Kisumu --set staff=12 --set share=40
check_rc 0
check_eq "$(answer "$(last)" tag)" '"Kisumu-12"' "the hidden question's calculation"

t "begin loop over a list: its questions once for each choice, labels and references filled in"
check_eq "$(def begin_loop '[[x["name"], x.get("group"), x["label"], x.get("relevant")] for x in d["questions"][1:]]')" \
	'[["price_maize", "crop_maize", {"en": "Price of Maize", "fr": "Prix du maïs"}, null], ["why_maize", "crop_maize", {"en": "Why is maize so dear?", "fr": "Pourquoi maize est-il si cher ?"}, "${price_maize} > 100"], ["price_beans", "crop_beans", {"en": "Price of Beans", "fr": "Prix du haricot"}, null], ["why_beans", "crop_beans", {"en": "Why is beans so dear?", "fr": "Pourquoi beans est-il si cher ?"}, "${price_beans} > 100"]]' \
	"the questions of each pass"
dev a new begin_loop --set farm=Kitale --set price_maize=120 --set why_maize=drought --set price_beans=50
check_rc 0
dev a new begin_loop --set farm=Eldoret --set price_beans=50 --set why_beans=no
check_rc 1
check_err_has "why_beans"

t "choice names are values: >150, <18, 2+"
dev a new choice_names --set band='>150' --set sizes='1 2+'
check_rc 0
rec=$(last)
check_eq "$(answer "$rec" band)" '">150"' "the choice kept"
check_eq "$(answer "$rec" sizes)" '["1", "2+"]' "the choices kept"
dev a sync
check_rc 0
run "$SONDEOD" export --data "$hq" --form choice_names --format csv --choice-columns
check_out_has "band,sizes,sizes/1,sizes/2+"
check_out_has "$rec,>150,1 2+,1,1"

t "a calculate with only a default takes it once, when the record is made"
dev a new calculate_default --set office=Nakuru
check_rc 0
rec=$(last)
today=$(date -u +%Y-%m-%d)
check_eq "$(answer "$rec" first_seen)" "\"$today\"" "its value"
dev a edit "$rec" --set office=Naivasha
check_rc 0
check_eq "$(answer "$rec" first_seen)" "\"$today\"" "its value after an edit"

t "a workbook with several problems: every one said, with its sheet, row and column, and nothing installed"
run "$SONDEOD" forms --data "$hq" publish "$MADE/many_problems.xlsx"
check_rc 1
check_err_has "many_problems.xlsx: 5 problems:"
check_err_has "  sheet 'survey', row 3, column A (type): unknown type 'telepathy'"
check_err_has "  sheet 'survey', row 4, column A (type): no choices of list 'nosuchlist' in the choices sheet"
check_err_has "  sheet 'survey', row 5, column B (name): a question of type integer without a name"
check_err_has "  sheet 'survey', row 6, column A (type): 'background-audio'"
check_err_has "  sheet 'survey', row 7: a calculate question needs a calculation, or a default it takes once"
run "$SONDEOD" forms --data "$hq" list
check_out_lacks "many_problems"

done_testing
