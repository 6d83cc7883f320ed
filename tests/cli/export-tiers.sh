#!/bin/sh
# export-tiers.sh - one exporter on both tiers: a laptop and the headquarters it synced to write the same
# columns and the same values for the same records, in CSV, JSON and XLSX (the laptop's XLSX read back by
# tests/xlsxdump), the region and the review included. And the exports open whole in the tools analysts use:
# the XLSX read back against the CSV with Python's standard library, the GeoJSON taken by GDAL's ogr2ogr to a
# Shapefile and a GeoPackage with every feature and value (tests/exportcheck.py); LibreOffice and pandas read the
# CSV and the XLSX in export-office.sh.
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"
XLSXDUMP=$(dirname "$SONDEO")/tests/xlsxdump
py_start

dev() {
	SONDEO_HOME=$TMPDIR/dev run "$SONDEO" "$@"
}

# rows FILE : the lines of FILE after its header, in one order whatever the order of the records (each tier
# lists them in its own: the laptop as they reached it, headquarters by creation).
rows() {
	sed 1d "$1" | LC_ALL=C sort
}

# cells FILE.xlsx : what xlsxdump reads of the workbook, each cell's text without its place, sorted; and the
# header row of the data sheet, in order.
cells() {
	"$XLSXDUMP" "$1" | sed 's/^[^	]*	//' | LC_ALL=C sort
}
header() {
	"$XLSXDUMP" "$1" | grep '^data![A-Z]*1	'
}

hq_init "$hq" >/dev/null
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
code=$("$SONDEOD" enrol-code --data "$hq" --region east | head -n 1)
SONDEO_HOME=$TMPDIR/dev "$SONDEO" init --name laptop >/dev/null
SONDEO_HOME=$TMPDIR/dev "$SONDEO" enrol "$URL" "$code" >/dev/null
SONDEO_HOME=$TMPDIR/dev "$SONDEO" new --from "$TOP/forms/samples/partnerships.csv" >"$TMPDIR/ids"
SONDEO_HOME=$TMPDIR/dev "$SONDEO" new --set partner_name='=SUM(A1:A9)' --set stakeholder_type=media \
	--set country=KEN --set level="local national" --set thematic_areas=human_rights --set interview_date=2026-11-01 \
	--set notes='Line one
line two' --set location="-1.5 36.25" >>"$TMPDIR/ids"
first=$(head -n 1 "$TMPDIR/ids")
second=$(sed -n 2p "$TMPDIR/ids")
SONDEO_HOME=$TMPDIR/dev "$SONDEO" delete "$(sed -n 3p "$TMPDIR/ids")" >/dev/null
login "$URL" "$hq" rita "$TMPDIR/jar"

t "a review made at headquarters reaches the laptop"
dev sync
check_rc 0
check_eq "$(review "$URL" "$TMPDIR/jar" "$CSRF" "$first" has_issues 'Check the, country')" 200 "review status"
check_eq "$(review "$URL" "$TMPDIR/jar" "$CSRF" "$second" approved)" 200 "approval status"
dev sync
check_rc 0
check_out_has "2 received"

t "CSV: the same header and the same rows on the laptop and at headquarters"
dev export --format csv -o "$TMPDIR/dev.csv"
check_rc 0
check_eq "$ERR" "exported 8 records to $TMPDIR/dev.csv"
run "$SONDEOD" export --data "$hq" --form partnership --format csv -o "$TMPDIR/hq.csv"
check_rc 0
check_eq "$(head -n 1 "$TMPDIR/dev.csv")" "$(head -n 1 "$TMPDIR/hq.csv")" "the header"
case $(head -n 1 "$TMPDIR/dev.csv") in
*,_form_version,_status,_created,_updated,_conflicts,_region,_review,_review_comment"$(printf '\r')") ;;
*) fail "the underscore columns: $(head -n 1 "$TMPDIR/dev.csv")" ;;
esac
rows "$TMPDIR/dev.csv" >"$TMPDIR/dev.rows"
rows "$TMPDIR/hq.csv" >"$TMPDIR/hq.rows"
cmp -s "$TMPDIR/dev.rows" "$TMPDIR/hq.rows" ||
	fail "the rows differ: $(diff "$TMPDIR/dev.rows" "$TMPDIR/hq.rows" | head -6)"
check_eq "$(grep -c "^$first,.*,east,has_issues,\"Check the, country\"" "$TMPDIR/dev.csv")" 1 \
	"the reviewed record's region, review and comment on the laptop"
check_eq "$(grep -c "^$second,.*,east,approved,$(printf '\r')\$" "$TMPDIR/dev.csv")" 1 "the approved record"
check_eq "$(grep -c "'=SUM(A1:A9)" "$TMPDIR/dev.csv")" 1 "the formula guarded on the laptop"
# A location, then its latitude, longitude, altitude and accuracy (none given here), as ODK's and Kobo's exports.
case $(head -n 1 "$TMPDIR/dev.csv") in
*,interview_date,location,location/latitude,location/longitude,location/altitude,location/accuracy,notes,*) ;;
*) fail "the location's columns: $(head -n 1 "$TMPDIR/dev.csv")" ;;
esac
check_eq "$(grep -c ',-1.5 36.25,-1.5,36.25,,,"Line one' "$TMPDIR/dev.csv")" 1 "the location's parts"

t "JSON: the same objects on the laptop and at headquarters"
dev export --format json -o "$TMPDIR/dev.json"
check_rc 0
run "$SONDEOD" export --data "$hq" --form partnership --format json -o "$TMPDIR/hq.json"
check_rc 0
sed 's/,$//' "$TMPDIR/dev.json" | LC_ALL=C sort >"$TMPDIR/dev.jrows"
sed 's/,$//' "$TMPDIR/hq.json" | LC_ALL=C sort >"$TMPDIR/hq.jrows"
cmp -s "$TMPDIR/dev.jrows" "$TMPDIR/hq.jrows" ||
	fail "the objects differ: $(diff "$TMPDIR/dev.jrows" "$TMPDIR/hq.jrows" | head -6)"
check_eq "$(grep -c '"_region":"east","_review":"approved"' "$TMPDIR/dev.json")" 1 "the approved record in JSON"

t "XLSX on the laptop: a workbook xlsxdump reads, with the cells headquarters writes"
dev export --format xlsx -o "$TMPDIR/dev.xlsx"
check_rc 0
check_eq "$ERR" "exported 8 records to $TMPDIR/dev.xlsx"
check_file_mode "$TMPDIR/dev.xlsx" 600
run "$XLSXDUMP" "$TMPDIR/dev.xlsx"
check_rc 0
check_out_has "data!A1	_id"
check_out_has "data!B1	Name of the partner organization"
check_out_has "	=SUM(A1:A9)"
check_out_has "	Check the, country"
check_out_has "choices!A1	question"
run "$SONDEOD" export --data "$hq" --form partnership --format xlsx -o "$TMPDIR/hq.xlsx"
check_rc 0
check_eq "$(header "$TMPDIR/dev.xlsx")" "$(header "$TMPDIR/hq.xlsx")" "the data sheet's header row"
cells "$TMPDIR/dev.xlsx" >"$TMPDIR/dev.cells"
cells "$TMPDIR/hq.xlsx" >"$TMPDIR/hq.cells"
cmp -s "$TMPDIR/dev.cells" "$TMPDIR/hq.cells" ||
	fail "the cells differ: $(diff "$TMPDIR/dev.cells" "$TMPDIR/hq.cells" | head -6)"

t "XLSX read back with Python's standard library: under the labels, the CSV's names; every value the CSV's"
for tier in dev hq; do
	run py "$TOP/tests/exportcheck.py" xlsx "$TMPDIR/$tier.xlsx" "$TMPDIR/$tier.csv"
	check_rc 0
	check_eq "$OUT" "same: 8 records, 32 columns" "$tier.xlsx read back"
done
run "$XLSXDUMP" "$TMPDIR/hq.xlsx"
check_out_has "data!S1	Location of the interview"
check_out_has "data!T1	Location of the interview/latitude"
check_out_has "data!W2	location/accuracy"
check_out_has "data!F2	level"

t "XLSX with --labels (laptop, headquarters) and labels=1 (GET /v1/export): the choices by their labels"
dev export --format xlsx --labels -o "$TMPDIR/dev-labels.xlsx"
check_rc 0
run "$SONDEOD" export --data "$hq" --form partnership --format xlsx --labels -o "$TMPDIR/hq-labels.xlsx"
check_rc 0
cells "$TMPDIR/dev-labels.xlsx" >"$TMPDIR/dev-labels.cells"
cells "$TMPDIR/hq-labels.xlsx" >"$TMPDIR/hq-labels.cells"
cmp -s "$TMPDIR/dev-labels.cells" "$TMPDIR/hq-labels.cells" ||
	fail "the cells differ: $(diff "$TMPDIR/dev-labels.cells" "$TMPDIR/hq-labels.cells" | head -6)"
run "$XLSXDUMP" "$TMPDIR/hq-labels.xlsx"
check_out_has "	Media"
check_out_has "	Local; National"
check_out_has "data!F2	level"
check_out_lacks "	local national"
check_eq "$(curl -s -b "$TMPDIR/jar" -o "$TMPDIR/api-labels.xlsx" -w '%{http_code}' \
	"$URL/v1/export?format=xlsx&form=partnership&labels=1&lang=fr")" 200 "GET /v1/export?labels=1"
run "$XLSXDUMP" "$TMPDIR/api-labels.xlsx"
check_out_has "	Médias"
check_out_has "données!F2	level"
check_eq "$(curl -s -b "$TMPDIR/jar" -o "$TMPDIR/answer" -w '%{http_code}' \
	"$URL/v1/export?format=csv&form=partnership&labels=1")" 400 "labels=1 with CSV"
grep -q "labels=1 is for format=xlsx" "$TMPDIR/answer" || fail "labels=1 with CSV: $(cat "$TMPDIR/answer")"
check_eq "$(curl -s -b "$TMPDIR/jar" -o /dev/null -w '%{http_code}' \
	"$URL/v1/export?format=xlsx&form=partnership&labels=yes")" 400 "labels=yes"
run "$SONDEOD" export --data "$hq" --form partnership --format csv --labels
check_rc 2
check_err_has "--labels is for --format xlsx"
dev export --format json --labels
check_rc 2
check_err_has "--labels is for --format xlsx"

t "GeoJSON to a Shapefile and a GeoPackage with ogr2ogr: every feature, every property at its value"
command -v ogr2ogr >/dev/null 2>&1 || sh "$TOP/scripts/deps.sh" gdal-bin >"$TMPDIR/deps.out" 2>&1
if ! command -v ogr2ogr >/dev/null 2>&1; then
	skip "gdal-bin cannot be installed: $(tail -n 1 "$TMPDIR/deps.out")"
else
	run "$SONDEOD" export --data "$hq" --form partnership --format geojson -o "$TMPDIR/hq.geojson"
	check_rc 0
	check_eq "$ERR" "exported 8 records of partnership to $TMPDIR/hq.geojson"
	run ogr2ogr -f GPKG "$TMPDIR/hq.gpkg" "$TMPDIR/hq.geojson"
	check_rc 0
	check_eq "$ERR" "" "ogr2ogr's warnings for the GeoPackage"
	# dBase has no date-time: as text, or ogr2ogr keeps only the day.
	run ogr2ogr -f "ESRI Shapefile" -fieldTypeToString DateTime "$TMPDIR/shp" "$TMPDIR/hq.geojson"
	check_rc 0
	check_eq "$(printf '%s\n' "$ERR" | grep -v "Normalized/laundered field name")" "" "ogr2ogr's other warnings"
	run ogrinfo -ro -so "$TMPDIR/hq.gpkg" hq
	check_out_has "Feature Count: 8"
	check_out_has "level: String"
	check_out_has "scale_up_potential: Integer"
	check_out_has "_created: DateTime"
	run ogrinfo -ro -so "$TMPDIR/shp" hq
	check_out_has "Feature Count: 8"
	check_out_has "thematic_a: String"
	run ogrinfo -ro -al -q -where "\"_id\" = '$first'" "$TMPDIR/shp"
	check_out_has "_review_co (String) = Check the, country"
	check_out_has "level (String) = national bilateral"
	ogr2ogr -f GeoJSON "$TMPDIR/gpkg.geojson" "$TMPDIR/hq.gpkg" 2>/dev/null || fail "the GeoPackage back to GeoJSON"
	ogr2ogr -f GeoJSON "$TMPDIR/shp.geojson" "$TMPDIR/shp" 2>/dev/null || fail "the Shapefile back to GeoJSON"
	run py "$TOP/tests/exportcheck.py" gis "$TMPDIR/hq.geojson" "$TMPDIR/gpkg.geojson" "$TMPDIR/shp.geojson"
	check_rc 0
	check_eq "$OUT" "same: 8 features, 28 properties"
fi

t "XLSX on the laptop: headers in the language asked for, to standard output when it is not a terminal"
SONDEO_HOME=$TMPDIR/dev run sh -c '"$SONDEO" --lang fr export --format xlsx >"$1"' sh "$TMPDIR/fr.xlsx"
check_rc 0
run "$XLSXDUMP" "$TMPDIR/fr.xlsx"
check_rc 0
check_out_has "données!A1	identifiant"
check_out_has "données!B1	Nom de l'organisation partenaire"
check_eq "$(ls "$TMPDIR" | grep -c '\.tmp-')" 0 "temporary files left"

t "XLSX at headquarters: --lang, or sondeod's own language, heads the labels, metadata and sheets in it"
run "$SONDEOD" export --data "$hq" --form partnership --format xlsx --lang es -o "$TMPDIR/hq-es.xlsx"
check_rc 0
run "$XLSXDUMP" "$TMPDIR/hq-es.xlsx"
check_rc 0
check_out_has "datos!A1	identificador"
check_out_has "datos!B1	Nombre de la organización asociada"
run env LANG=fr_FR.UTF-8 "$SONDEOD" export --data "$hq" --form partnership --format xlsx -o "$TMPDIR/hq-fr.xlsx"
check_rc 0
run "$XLSXDUMP" "$TMPDIR/hq-fr.xlsx"
check_out_has "données!A1	identifiant"
check_out_has "données!B1	Nom de l'organisation partenaire"
# Below the headings, the same cells as in English: dates stay ISO dates and numbers numbers.
"$XLSXDUMP" "$TMPDIR/hq.xlsx" | sed -n 's/^data!\([A-Z]*[0-9]*\)/\1/p' | grep -v '^[A-Z]*1	' >"$TMPDIR/hq-en.rows"
"$XLSXDUMP" "$TMPDIR/hq-fr.xlsx" | sed -n 's/^données!\([A-Z]*[0-9]*\)/\1/p' | grep -v '^[A-Z]*1	' >"$TMPDIR/hq-fr.rows"
cmp -s "$TMPDIR/hq-en.rows" "$TMPDIR/hq-fr.rows" ||
	fail "the French data sheet's cells differ: $(diff "$TMPDIR/hq-en.rows" "$TMPDIR/hq-fr.rows" | head -6)"
[ "$(grep -c '	20[0-9][0-9]-[01][0-9]-[0-3][0-9]' "$TMPDIR/hq-en.rows")" -gt 0 ] || fail "no date in the data sheet"
check_eq "$(grep -c '	20[0-9][0-9]-[01][0-9]-[0-3][0-9]' "$TMPDIR/hq-fr.rows")" \
	"$(grep -c '	20[0-9][0-9]-[01][0-9]-[0-3][0-9]' "$TMPDIR/hq-en.rows")" "ISO dates in the French sheet"

t "XLSX to a terminal is refused, naming what to do"
SONDEO_HOME=$TMPDIR/dev run_pty "$SONDEO" export --format xlsx <<'EOF'
exit 2
EOF
check_rc 0
check_out_has "an XLSX file is not for a terminal: give -o FILE.xlsx"

done_testing
