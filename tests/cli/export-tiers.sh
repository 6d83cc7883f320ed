#!/bin/sh
# export-tiers.sh - one exporter on both tiers: a laptop and the headquarters it synced to write the same
# columns and the same values for the same records, in CSV, JSON and XLSX (the laptop's XLSX read back by
# tests/xlsxdump), the region and the review included.
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"
XLSXDUMP=$(dirname "$SONDEO")/tests/xlsxdump

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

"$SONDEOD" init --data "$hq" >/dev/null
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
