#!/bin/sh
# export-office.sh - the exports open whole in LibreOffice and pandas (issue 18; GDAL is export-tiers.sh's): a
# laptop's records, synced to a real sondeod, exported as CSV and XLSX from both tiers, the records and a repeat's
# instances. LibreOffice (Debian's libreoffice-calc-nogui, soffice --headless) opens each workbook and saves its
# data sheet as CSV: every cell, the labels and names rows too, is of the kind and value the workbook holds, and
# what the CSV export says for the same record (tests/exportcheck.py office): unicode, commas, quotes and line
# breaks as typed, a formula-like text as that text and never a formula, numbers as numbers, dates as the same
# day and date-times as the same second, a number-like text ("00123") as text. The workbook with --labels too.
# LibreOffice opens the CSV export itself (UTF-8, comma, formulas evaluated) and saves it back with every value
# as written (exportcheck.py office-csv): the apostrophe before a formula-like text stays, and the formula never
# runs; a CSV has no types, so the one value it changes is the number-like text, which only the XLSX keeps.
# pandas (Debian's python3-pandas and python3-openpyxl) reads each workbook with read_excel(header=1) and the
# CSV with read_csv: the same columns and values, dates and numbers typed (exportcheck.py pandas).
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"
py_start
# Debian's python3, whose dist-packages hold python3-pandas: the python3 on PATH (py's) may be another (pyenv, a
# virtualenv) without it.
DEBPY=/usr/bin/python3

# Installed as the suite installs what it needs (as root, through apt-get); without them (not root, no network)
# there is nothing to check with.
if ! sh "$TOP/scripts/deps.sh" libreoffice-calc-nogui python3-pandas python3-openpyxl >"$TMPDIR/deps.out" 2>&1; then
	t "LibreOffice and pandas read the exports"
	skip "libreoffice-calc-nogui, python3-pandas or python3-openpyxl cannot be installed: $(tail -n 1 "$TMPDIR/deps.out")"
	done_testing
fi

dev() {
	SONDEO_HOME=$TMPDIR/dev run "$SONDEO" "$@"
}

# office ARG... : LibreOffice without a screen, in a profile of its own (parallel runs, and root's home, untouched),
# bounded: soffice can hang rather than fail. In C.UTF-8 (as tests/run.sh sets it) it writes numbers with a
# point and dates as ISO dates.
office() {
	HOME=$TMPDIR LANG=C.UTF-8 run timeout 120 soffice -env:UserInstallation="file://$TMPDIR/lo" --headless "$@"
}

# The CSV filter's options (LibreOffice's help, "CSV Filter Options"): comma (44), double quotes (34), UTF-8
# (76). Saving: 7 true = every text cell quoted, so that a text tells itself from a number or a date; 8 true =
# numbers as numbers; 9 false = values raw, not as the cell's format shows them; 10 false = a formula's result
# (a text taken for a formula would show as its result, not as the text); 12 = the first sheet, the data.
SAVE='csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true,false,false,false,1'
# Opening a CSV: from line 1, every column standard, English (US) numbers and dates (1033); 7 false = a quoted
# field is read like any other; 8 true = dates and other special numbers detected; 13 true = formulas evaluated:
# the most an analyst's LibreOffice may make of the file.
OPEN='Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,false,false,false,-1,true'

# A form with a repeat, for the instances' export.
cat >"$TMPDIR/household.json" <<'EOF'
{"id": "household", "version": "1", "title": "Household",
 "groups": [{"name": "member", "label": "Member", "repeat": true}],
 "questions": [
  {"name": "hh", "type": "text", "label": "Household"},
  {"name": "mname", "type": "text", "label": "Name", "group": "member"},
  {"name": "age", "type": "integer", "label": "Age", "group": "member"},
  {"name": "born", "type": "date", "label": "Born", "group": "member"},
  {"name": "height", "type": "decimal", "label": "Height (m)", "group": "member"}]}
EOF
hq_init "$hq" >/dev/null
"$SONDEOD" forms --data "$hq" publish "$TMPDIR/household.json" >/dev/null || fail "the household form was not published"
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
code=$("$SONDEOD" enrol-code --data "$hq" --region east | head -n 1)

t "a laptop's records, and a record's instances of a repeat, reach headquarters"
dev init --name laptop
dev enrol "$URL" "$code"
check_rc 0
dev new --from "$TOP/forms/samples/partnerships.csv"
check_rc 0
# Texts a spreadsheet could take for something else: formulas, signs, a number, quotes, an apostrophe, a tab,
# line breaks, characters beyond Latin-1; a leap day.
dev new --set partner_name='=SUM(A1:A9)' --set stakeholder_type=media --set country=KEN --set level="local national" \
	--set thematic_areas=human_rights --set interview_date=2026-11-01 --set location="-1.5 36.25" \
	--set contact_name='+44 20 7946 0000' --set challenges='-5 % funding' --set good_practices='@home visits' \
	--set achievements='Ça coûte 5 € — 中文; 🌍' --set notes='Line one
line two, with "quotes"'
check_rc 0
dev new --set partner_name=00123 --set stakeholder_type=other --set stakeholder_type_other="'t Hooft & Zoon" \
	--set country=NLD --set level=local --set thematic_areas=human_rights --set scale_up_potential=2 \
	--set interview_date=2024-02-29 --set location="52.37 4.89 -2 5.5" --set notes='a tab	and a space '
check_rc 0
odd=$OUT
dev new household --set hh='Müller-Lüdenscheidt'
check_rc 0
home=$OUT
dev new --parent "$home" --repeat member --set mname=Zoë --set age=34 --set born=1992-02-29 --set height=1.68
check_rc 0
dev new --parent "$home" --repeat member --set mname='=1+1' --set age=0 --set born=2026-01-01 --set height=0.5
check_rc 0
dev new --parent "$home" --repeat member --set mname=Ñandú --set age=7
check_rc 0
dev sync
check_rc 0

t "CSV and XLSX of the records and of the instances, on the laptop and at headquarters"
for fmt in csv xlsx; do
	dev export --format "$fmt" -o "$TMPDIR/dev.$fmt"
	check_rc 0
	check_eq "$ERR" "exported 10 records to $TMPDIR/dev.$fmt"
	dev export --form household --repeat member --format "$fmt" -o "$TMPDIR/dev-member.$fmt"
	check_rc 0
	run "$SONDEOD" export --data "$hq" --form partnership --format "$fmt" -o "$TMPDIR/hq.$fmt"
	check_rc 0
	check_eq "$ERR" "exported 10 records of partnership to $TMPDIR/hq.$fmt"
	run "$SONDEOD" export --data "$hq" --form household --repeat member --format "$fmt" -o "$TMPDIR/hq-member.$fmt"
	check_rc 0
done
run "$SONDEOD" export --data "$hq" --form partnership --format xlsx --labels -o "$TMPDIR/hq-labels.xlsx"
check_rc 0

t "LibreOffice opens each workbook: every cell as the workbook holds it, and as the CSV says"
# One soffice for every workbook: it takes seconds to start.
office --convert-to "$SAVE" --outdir "$TMPDIR/from-xlsx" "$TMPDIR/dev.xlsx" "$TMPDIR/hq.xlsx" \
	"$TMPDIR/dev-member.xlsx" "$TMPDIR/hq-member.xlsx" "$TMPDIR/hq-labels.xlsx"
check_rc 0
said="$OUT $ERR"
for book in dev hq dev-member hq-member; do
	if [ ! -s "$TMPDIR/from-xlsx/$book-data.csv" ]; then
		fail "LibreOffice saved no data sheet of $book.xlsx: $said"
		continue
	fi
	run py "$TOP/tests/exportcheck.py" office "$TMPDIR/$book.xlsx" "$TMPDIR/from-xlsx/$book-data.csv" "$TMPDIR/$book.csv"
	check_rc 0
	case $book in *member) want="same: 3 records, 14 columns" ;; *) want="same: 10 records, 32 columns" ;; esac
	check_eq "$OUT" "$want" "$book.xlsx in LibreOffice"
done
# The values a spreadsheet is most tempted to change, as LibreOffice saved them: texts quoted (the formula-like
# ones as they were typed, the number-like one with its zeros), numbers, dates and date-times bare. (The
# comparisons above see a number or a date the workbook wrongly held as text as that same text.)
when='20[0-9]{2}-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]'
grep -qF '"=SUM(A1:A9)","media",,"KEN","local national","human_rights",,,,"Ça coûte 5 € — 中文; 🌍","-5 % funding","@home visits",,,"+44 20 7946 0000",,2026-11-01,"-1.5 36.25",-1.5,36.25,,,"Line one' \
	"$TMPDIR/from-xlsx/hq-data.csv" || fail "the formula-like texts: $(grep -A 1 'SUM' "$TMPDIR/from-xlsx/hq-data.csv")"
grep -qF 'line two, with ""quotes""","2","final",' "$TMPDIR/from-xlsx/hq-data.csv" ||
	fail "the line break and the quotes: $(grep -A 1 'SUM' "$TMPDIR/from-xlsx/hq-data.csv")"
grep -qF "\"$odd\",\"00123\",\"other\",\"'t Hooft & Zoon\",\"NLD\",\"local\",\"human_rights\",,,,,,,,2,,,2024-02-29,\"52.37 4.89 -2 5.5\",52.37,4.89,-2,5.5,\"a tab	and a space \",\"2\",\"final\"," \
	"$TMPDIR/from-xlsx/hq-data.csv" ||
	fail "the number-like text, the apostrophe, the leap day, the tab: $(grep "^\"$odd\"" "$TMPDIR/from-xlsx/hq-data.csv")"
grep -qE "\"$home\",\"=1\\+1\",0,2026-01-01,0\\.5,\"1\",\"final\",($when),($when),0,\"east\",\"pending\",\$" \
	"$TMPDIR/from-xlsx/hq-member-data.csv" ||
	fail "the instance named =1+1: $(grep '1+1' "$TMPDIR/from-xlsx/hq-member-data.csv")"
grep -qF "\"$home\",\"Zoë\",34,1992-02-29,1.68,\"1\"," "$TMPDIR/from-xlsx/hq-member-data.csv" ||
	fail "the instance named Zoë: $(grep 'Zo' "$TMPDIR/from-xlsx/hq-member-data.csv")"

t "LibreOffice opens the workbook with --labels: every cell as the workbook holds it"
run py "$TOP/tests/exportcheck.py" office "$TMPDIR/hq-labels.xlsx" "$TMPDIR/from-xlsx/hq-labels-data.csv"
check_rc 0
check_eq "$OUT" "same: 10 records, 32 columns"
grep -q '"Ministry or government department",,"Kenya","National; Bilateral",' "$TMPDIR/from-xlsx/hq-labels-data.csv" ||
	fail "the choices' labels: $(grep Ministry "$TMPDIR/from-xlsx/hq-labels-data.csv")"

t "LibreOffice opens the CSV export: every value as written, a formula-like text as text"
office --infilter="$OPEN" --convert-to "$SAVE" --outdir "$TMPDIR/from-csv" "$TMPDIR/dev.csv" "$TMPDIR/hq.csv" \
	"$TMPDIR/dev-member.csv" "$TMPDIR/hq-member.csv"
check_rc 0
said="$OUT $ERR"
for f in dev hq dev-member hq-member; do
	if [ ! -s "$TMPDIR/from-csv/$f-$f.csv" ]; then
		fail "LibreOffice saved nothing of $f.csv: $said"
		continue
	fi
	run py "$TOP/tests/exportcheck.py" office-csv "$TMPDIR/$f.csv" "$TMPDIR/from-csv/$f-$f.csv"
	case $f in
	*member)
		check_rc 0
		check_eq "$OUT" "same: 3 records, 14 columns" "$f.csv in LibreOffice"
		;;
	*)
		# A CSV cannot say that 00123 is a text: LibreOffice takes it for the number 123 (the XLSX keeps it).
		check_rc 1
		check_eq "$OUT" "$odd, partner_name: '123' in LibreOffice, '00123' in the CSV" "$f.csv in LibreOffice"
		;;
	esac
done
# The apostrophe Sondeo puts before a formula-like text is kept as part of the text (not read as "text
# follows", as when typed into a cell), and what follows never runs, though formulas are evaluated.
grep -qF "\"'=SUM(A1:A9)\",\"media\"," "$TMPDIR/from-csv/hq-hq.csv" ||
	fail "the guarded formula: $(grep 'SUM' "$TMPDIR/from-csv/hq-hq.csv")"
grep -qF "\"'=1+1\",0,2026-01-01,0.5," "$TMPDIR/from-csv/hq-member-hq-member.csv" ||
	fail "the guarded =1+1: $(grep '1+1' "$TMPDIR/from-csv/hq-member-hq-member.csv")"

t "pandas: read_excel(header=1) and read_csv give the same columns and the same values"
run "$DEBPY" "$TOP/tests/exportcheck.py" pandas "$TMPDIR/dev.xlsx" "$TMPDIR/dev.csv" "$TMPDIR/hq.xlsx" "$TMPDIR/hq.csv" \
	"$TMPDIR/dev-member.xlsx" "$TMPDIR/dev-member.csv" "$TMPDIR/hq-member.xlsx" "$TMPDIR/hq-member.csv"
check_rc 0
check_eq "$OUT" "same: 10 records, 32 columns
same: 10 records, 32 columns
same: 3 records, 14 columns
same: 3 records, 14 columns"

done_testing
