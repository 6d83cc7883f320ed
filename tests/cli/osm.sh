#!/bin/sh
# osm.sh - OpenStreetMap questions (XLSForm `osm TAGS`, with the tags on the osm sheet): an answer is the
# feature (node/N, way/N or relation/N, or its link) and its tags as key=value. Read from the workbook and written
# back; answered with --set and at the terminal, written one way whatever the order and case; wrong answers
# refused with what is wrong; synced; exported on the laptop and at headquarters with a column for the feature and
# each tag.
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"
py_start   # one python3 for the whole script: lib.sh's py

dev() {
	SONDEO_HOME=$TMPDIR/dev run "$SONDEO" "$@"
}

# records : how many records the laptop holds, drafts and deleted ones included.
records() {
	sqlite3 "$TMPDIR/dev/store.db" "SELECT count(*) FROM records"
}

printf '%s' '{"survey": [["type", "name", "label::English (en)", "label::French (fr)", "required"],
	["text", "site", "Site", "Site"], ["osm building_tags", "bldg", "The building", "Le bâtiment", "yes"]],
	"osm": [["list_name", "name", "label::English (en)", "label::French (fr)"],
	["building_tags", "building", "Kind of building", "Type de bâtiment"], ["building_tags", "name", "Name", "Nom"],
	["building_tags", "building:levels", "Floors", "Étages"], ["building", "yes", "Any", "Quelconque"],
	["building", "school", "School", "École"], ["building", "hospital", "Hospital", "Hôpital"]],
	"settings": [["form_id", "version", "default_language"], ["sites", "1", "en"]]}' >"$TMPDIR/sites.json"
py "$TOP/tests/mkxlsx.py" "$TMPDIR/sites.xlsx" "$TMPDIR/sites.json" || fail "mkxlsx failed"
hq_init "$hq" >/dev/null
"$SONDEOD" forms --data "$hq" publish "$TMPDIR/sites.xlsx" >/dev/null || fail "the form was not published"
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
code=$("$SONDEOD" enrol-code --data "$hq" --region east | head -n 1)
SONDEO_HOME=$TMPDIR/dev "$SONDEO" init --name laptop >/dev/null
SONDEO_HOME=$TMPDIR/dev "$SONDEO" enrol "$URL" "$code" >/dev/null

t "the osm sheet is read: each tag with its labels per language, and the values offered for it"
dev form show sites --json
check_out_has '"type": "osm"'
check_out_has '"name": "building:levels"'
check_out_has '"fr": "Étages"'
check_out_has '"name": "hospital"'
dev form show sites
check_out_has "2. The building *  [bldg osm]"
check_out_has "tag building                 Kind of building: yes, school, hospital"
check_out_has "tag building:levels          Floors"
dev --lang fr form show sites
check_out_has "tag building                 Type de bâtiment: yes, school, hospital"

t "an answer is written one way, whatever the order, the case and the form of the feature"
dev new sites --set site=A --set "bldg=name = Clinic;;Annex ; BUILDING=School; https://www.openstreetmap.org/way/4242"
check_rc 0
a=$(printf '%s' "$OUT" | tail -n 1)
dev show "$a"
check_out_has "way/4242; building=school; name=Clinic;;Annex"
dev new sites --set site=B --set "bldg=building:levels=3"
check_rc 0
dev new sites --set site=C --set "bldg=n77"
check_rc 0
dev export --form sites --format json
check_out_has '"bldg":"way/4242; building=school; name=Clinic;;Annex"'
check_out_has '"bldg":"building:levels=3"'
check_out_has '"bldg":"node/77"'
dev export --form sites --format csv
check_out_has "_id,site,bldg,bldg/feature,bldg/building,bldg/name,bldg/building:levels,_form_version"
check_out_has ",A,way/4242; building=school; name=Clinic;;Annex,way/4242,school,Clinic;Annex,,1,final,"
check_out_has ",B,building:levels=3,,,,3,1,final,"
# Read back by new --from: the parts' columns are the answer's own, taken whole from its column.
printf '%s\n' "$OUT" >"$TMPDIR/sites.csv"
n=$(records)
dev new sites --from "$TMPDIR/sites.csv"
check_rc 0
check_eq "$(records)" "$((n + 3))" "records after reading the export back"

t "a wrong answer is refused, saying what is wrong, and nothing is saved"
before=$(records)
dev new sites --set site=D --set "bldg=way/1; colour=red"
check_rc 1
check_err_has "'colour' is not one of this question's tags (building, name, building:levels)"
dev new sites --set site=D --set "bldg=way/1; building=castle"
check_rc 1
check_err_has "building: 'castle' is not a choice (choose from: yes, school, hospital)"
dev new sites --set site=D --set "bldg=the old mill"
check_rc 1
check_err_has "'the old mill' is neither an OpenStreetMap feature (node/N, way/N or relation/N) nor a tag (key=value)"
dev new sites --set site=D --set "bldg=way/1; node/2"
check_rc 1
check_err_has "two features, way/1 and node/2: an answer is about one"
dev new sites --set site=D --set "bldg=name=a; Name=b"
check_rc 1
check_err_has "the tag name is given twice"
dev new sites --set site=D --set "bldg=way/0"
check_rc 1
dev new sites --set site=D
check_rc 1
check_err_has "bldg"
check_eq "$(records)" "$before" "records after the refusals"

t "at the terminal: the tags are listed with their values, a wrong answer is asked again"
SONDEO_HOME=$TMPDIR/dev run_pty "$SONDEO" new sites <<'EOF'
expect [1/2] Site
send D
expect building:levels      Floors
expect > 
send relation/9; building=mill
expect 'mill' is not a choice
send relation/9; building=2; building:levels=1
expect building: '2' is not a choice
send relation/9; building=hospital; building:levels=1
expect [f]inalize (Enter)
send
expect Finalized record
EOF
check_rc 0
check_out_has "building             Kind of building: yes, school, hospital"
dev list --form sites --json
check_out_has "relation/9; building=hospital; building:levels=1"

t "written back as XLSForm with its osm sheet, and read back as the same form"
dev form export sites -o "$TMPDIR/back.xlsx"
check_rc 0
run "$(dirname "$SONDEO")/tests/xlsxdump" "$TMPDIR/back.xlsx"
check_out_has "survey!A3	osm bldg"
check_out_has "osm!A1	list_name"
check_out_has "osm!B4	building:levels"
check_out_has "osm!A2	bldg"
check_out_has "osm!A5	building"
check_out_has "osm!B7	hospital"
SONDEO_HOME=$TMPDIR/dev "$SONDEO" form show sites --json >"$TMPDIR/sites.before"
SONDEO_HOME=$TMPDIR/other "$SONDEO" init >/dev/null
run env SONDEO_HOME="$TMPDIR/other" "$SONDEO" form import "$TMPDIR/back.xlsx"
check_rc 0
SONDEO_HOME=$TMPDIR/other "$SONDEO" form show sites --json >"$TMPDIR/sites.after"
cmp -s "$TMPDIR/sites.before" "$TMPDIR/sites.after" || fail "the form read back differs:
$(diff "$TMPDIR/sites.before" "$TMPDIR/sites.after" | head -n 20)"

t "an osm question whose tags are not on the osm sheet is refused with its row"
printf '%s' '{"survey": [["type", "name", "label"], ["text", "a", "A"], ["osm nothere", "b", "B"]],
	"osm": [["list_name", "name", "label"], ["other", "k", "K"]]}' >"$TMPDIR/nothere.json"
py "$TOP/tests/mkxlsx.py" "$TMPDIR/nothere.xlsx" "$TMPDIR/nothere.json" || fail "mkxlsx failed"
dev form import "$TMPDIR/nothere.xlsx"
check_rc 1
check_err_has "nothere.xlsx: sheet 'survey', row 3, column A (type): no tags of list 'nothere' in the osm sheet"
printf '%s' '{"survey": [["type", "name", "label"], ["osm t", "b", "B"]],
	"osm": [["list_name", "name", "label"], ["t", "bad key", "K"]]}' >"$TMPDIR/badkey.json"
py "$TOP/tests/mkxlsx.py" "$TMPDIR/badkey.xlsx" "$TMPDIR/badkey.json" || fail "mkxlsx failed"
dev form import "$TMPDIR/badkey.xlsx"
check_rc 1
check_err_has "sheet 'survey', row 2: question 'b': tag 'bad key' may hold only letters, digits"

t "at headquarters: merged like any answer, exported with a column for the feature and each tag"
dev sync
check_rc 0
run "$SONDEOD" export --data "$hq" --form sites --format csv
check_rc 0
check_out_has "bldg,bldg/feature,bldg/building,bldg/name,bldg/building:levels,"
check_out_has ",A,way/4242; building=school; name=Clinic;;Annex,way/4242,school,Clinic;Annex,,1,final,"
check_out_has ",D,relation/9; building=hospital; building:levels=1,relation/9,hospital,,1,1,final,"
check_out_has ",B,building:levels=3,,,,3,1,final,"
check_out_has ",C,node/77,node/77,,,,1,final,"
run "$SONDEOD" export --data "$hq" --form sites --format xlsx -o "$TMPDIR/sites-hq.xlsx"
check_rc 0
run "$(dirname "$SONDEO")/tests/xlsxdump" "$TMPDIR/sites-hq.xlsx"
check_out_has "The building/Kind of building"
check_out_has "The building/feature"
check_out_has "	Clinic;Annex"

t "sondeod export --format geojson reports and audits the features it wrote, not every record"
# The sites form has no geopoint, line or shape: none of its records has a place.
run "$SONDEOD" export --data "$hq" --form sites --format geojson -o "$TMPDIR/sites.geojson"
check_rc 0
check_eq "$ERR" "exported 0 records of sites to $TMPDIR/sites.geojson"
check_eq "$(py -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["features"]))' \
	"$TMPDIR/sites.geojson")" 0 "features written"
check_eq "$(q "$hq" "SELECT detail FROM audit WHERE action = 'export' ORDER BY id DESC LIMIT 1")" \
	'{"format":"geojson","records":0}' "the audit entry"
run "$SONDEOD" export --data "$hq" --form sites --format csv -o "$TMPDIR/sites.csv"
check_err_has "exported 7 records of sites"

done_testing
