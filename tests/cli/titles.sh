#!/bin/sh
# titles.sh - a record's columns and title come from its form: the questions its instance_name names, else its
# first questions every record is asked; never the built-in form's question names.
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
. "$TOP/tests/cli/lib.sh"

LANG=C.UTF-8
SONDEO_TODAY=2026-12-06
export LANG SONDEO_TODAY
unset LANGUAGE LC_ALL XDG_DATA_HOME

XLSXDUMP=$(dirname "$SONDEO")/tests/xlsxdump
dir=$(mktemp -d "$_t_dir/forms.XXXXXX")
new_store
"$SONDEO" init >/dev/null

# orgs: a date first, then the organisation and its city; its instance_name names the organisation and city.
cat >"$dir/orgs.json" <<'JSON'
{"id": "orgs", "version": "1", "instance_name": "concat(${org}, ' (', ${city}, ')')", "questions": [
 {"name": "visited", "type": "date", "label": "Visit"},
 {"name": "kind", "type": "select_one", "label": "Kind", "choices": [{"name": "ngo", "label": "NGO"}, {"name": "gov", "label": "Government"}]},
 {"name": "org", "type": "text", "label": "Organisation"},
 {"name": "city", "type": "text", "label": "City"}]}
JSON
# plain: no instance_name: a note, a question asked only sometimes and a calculation are not columns.
cat >"$dir/plain.json" <<'JSON'
{"id": "plain", "version": "1", "questions": [
 {"name": "intro", "type": "note", "label": "Hello"},
 {"name": "site", "type": "text", "label": "Site"},
 {"name": "staff", "type": "integer", "label": "Staff"},
 {"name": "why", "type": "text", "label": "Why so many?", "relevant": "${staff} > 100"},
 {"name": "twice", "type": "calculate", "calculation": "${staff} * 2"},
 {"name": "head", "type": "text", "label": "Head"}]}
JSON

t "an imported form's instance_name names its columns"
run "$SONDEO" form import "$dir/orgs.json"
check_rc 0
run "$SONDEO" new orgs --set visited=2026-12-01 --set kind=ngo --set org=Caritas --set city=Mombasa
check_rc 0
run "$SONDEO" list --form orgs
check_rc 0
check_out_has "ID       ORG                          CITY                   UPDATED"
check_out_has "Caritas                      Mombasa"
check_out_lacks "PARTNER"
check_out_lacks "2026-12-01"

t "list --json carries the same answers"
run "$SONDEO" list --form orgs --json
check_rc 0
check_out_has '"org": "Caritas"'
check_out_has '"city": "Mombasa"'
check_out_lacks '"visited"'

t "without instance_name: the first questions every record is asked"
run "$SONDEO" form import "$dir/plain.json"
check_rc 0
run "$SONDEO" new plain --set site=Kisumu --set staff=120 --set why=Growth --set head=Achieng
check_rc 0
run "$SONDEO" list --form plain
check_rc 0
check_out_has "ID       SITE                         STAFF                  HEAD         UPDATED"
check_out_has "Kisumu                       120                    Achieng"
check_out_lacks "Growth"
check_out_lacks "240"

t "records of several forms: each run of one form under its own header"
run "$SONDEO" new --set partner_name="Red Crescent" --set stakeholder_type=civil_society --set country=KEN \
	--set level=local --set thematic_areas=human_rights
check_rc 0
run "$SONDEO" list
check_rc 0
check_out_has "PARTNER_NAME                 COUNTRY                UPDATED"
check_out_has "Red Crescent                 KEN                    "
check_out_has "ORG                          CITY"
check_out_has "SITE                         STAFF"
check_eq "$(printf '%s\n' "$OUT" | grep -c '^ID ')" 3 "headers"

t "nothing listed says so"
run "$SONDEO" list --form orgs --where city=Lamu
check_rc 0
check_eq "$OUT" "0 records" "output"

t "an instance_name naming an unknown question is refused with the form and the name"
cat >"$dir/bad.json" <<'JSON'
{"id": "bad", "version": "1", "instance_name": "${nope}", "questions": [{"name": "a", "type": "text", "label": "A"}]}
JSON
run "$SONDEO" form import "$dir/bad.json"
check_rc 1
check_err_has "form 'bad': instance_name names unknown question 'nope'"
run "$SONDEO" forms
check_out_lacks "bad"

t "an XLSForm's settings instance_name is the form's, and goes back out with form export"
cat >"$dir/visits.json" <<'JSON'
{"survey": [["type", "name", "label"], ["date", "day", "Day"], ["text", "place", "Place"], ["integer", "people", "People"]],
 "settings": [["form_id", "version", "instance_name"], ["visits", "1", "concat(${place}, ' ', ${day})"]]}
JSON
python3 "$TOP/tests/mkxlsx.py" "$dir/visits.xlsx" "$dir/visits.json" || fail "mkxlsx could not write visits.xlsx"
run "$SONDEO" form import "$dir/visits.xlsx"
check_rc 0
run "$SONDEO" form show visits --json
check_out_has '"instance_name": "concat(${place}, '"' '"', ${day})"'
run "$SONDEO" new visits --set day=2026-12-02 --set place=Lamu --set people=4
check_rc 0
run "$SONDEO" list --form visits
check_out_has "ID       PLACE                        DAY                    UPDATED"
check_out_has "Lamu                         2026-12-02"
run "$SONDEO" form export visits -o "$dir/visits-out.xlsx"
check_rc 0
run "$XLSXDUMP" "$dir/visits-out.xlsx"
check_out_has "concat(\${place}, ' ', \${day})"

done_testing
