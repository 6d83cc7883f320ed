#!/bin/sh
# export-media.sh - exports with their attachments, from a real sondeod on loopback (docs/attachments-design.md,
# "At headquarters"): `sondeod export --with-media` and GET /v1/export?media=1 give a ZIP of the records, of each
# repeat's instances and of the files they name, streamed; every export links each attachment held (a column
# QUESTION/url; "url" in JSON; in GeoJSON the file's name and a property QUESTION/url, which GDAL keeps). The
# archives are read back by Info-ZIP's unzip and by Python's zipfile, which check every entry's CRC-32.
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"
py_start
LANG=C.UTF-8
export LANG
unset LANGUAGE LC_ALL

printf '%s' '{"survey": [["type", "name", "label"], ["text", "site", "Site"], ["image", "photo", "Photo"],
	["file", "mou", "Memorandum"], ["geopoint", "place", "Place"], ["begin repeat", "person", "Person"], ["text", "who", "Name"],
	["image", "portrait", "Portrait"], ["end repeat"]], "settings": [["form_id", "version"], ["visit", "1"]]}' \
	>"$TMPDIR/visit.json"
py "$TOP/tests/mkxlsx.py" "$TMPDIR/visit.xlsx" "$TMPDIR/visit.json" || fail "mkxlsx failed"
hq_init "$hq" >/dev/null
"$SONDEOD" forms --data "$hq" publish "$TMPDIR/visit.xlsx" >/dev/null || fail "the form was not published"
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
code=$("$SONDEOD" enrol-code --data "$hq" --region east | head -n 1)
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" init >/dev/null
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" enrol "$URL" "$code" >/dev/null

# JPEGs and PDFs as Sondeo tells them from their first bytes; two different files both called meeting.jpg.
jpeg() { head -c "$2" /dev/urandom | { printf '\377\330\377\340\0\020JFIF\0'; cat; } >"$1"; }
mkdir -p "$TMPDIR/f/a" "$TMPDIR/f/b"
jpeg "$TMPDIR/f/photo.jpg" 300000
jpeg "$TMPDIR/f/face.jpg" 40000
jpeg "$TMPDIR/f/a/meeting.jpg" 1000
jpeg "$TMPDIR/f/b/meeting.jpg" 2000
head -c 200000 /dev/urandom | { printf '%%PDF-1.7\n'; cat; } >"$TMPDIR/f/mou.pdf"
printf '%%PDF-1.4\nnever sent\n' >"$TMPDIR/f/kept.pdf"
hash_of() { b2sum -l 256 "$1" | cut -c1-64; }
last() { printf '%s' "$OUT" | tail -n 1; }

dev a new visit --set site=Dakar --set photo=@"$TMPDIR/f/photo.jpg" --set mou=@"$TMPDIR/f/mou.pdf" \
	--set place="14.6928 -17.4467 12 4.5"
dakar=$(last)
dev a new --parent "$dakar" --repeat person --set who=Awa --set portrait=@"$TMPDIR/f/face.jpg"
awa=$(last)
dev a new visit --set site=Thiès --set photo=@"$TMPDIR/f/a/meeting.jpg" --set mou=@"$TMPDIR/f/b/meeting.jpg" \
	--set place="14.79 -16.93"
thies=$(last)
dev a new visit --set site=Kolda --set mou=@"$TMPDIR/f/kept.pdf"
kolda=$(last)
# Kolda's file stays on the laptop: the server knows of it (its op) but does not hold it.
sqlite3 "$TMPDIR/dev-a/store.db" "INSERT INTO media_sent VALUES('', '$(hash_of "$TMPDIR/f/kept.pdf")')"
dev a sync
check_rc 0
check_out_has "5 attachments sent"

# The names in an archive, sorted, on one line.
names() { unzip -Z1 "$1" | LC_ALL=C sort | tr '\n' '|'; }
want_names=$(printf '%s\n' "media/$awa/face.jpg" "media/$dakar/mou.pdf" "media/$dakar/photo.jpg" \
	"media/$thies/meeting (2).jpg" "media/$thies/meeting.jpg" visit-person.csv visit.csv | LC_ALL=C sort | tr '\n' '|')
# check_zip ZIP : the archive is whole (every CRC-32, by two readers), holds what it must, byte for byte.
check_zip() {
	unzip -tq "$1" >"$TMPDIR/unzip.out" 2>&1 || fail "unzip -t: $(cat "$TMPDIR/unzip.out")"
	check_eq "$(py -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).testzip())' "$1")" None "zipfile's test"
	check_eq "$(names "$1")" "$want_names" "the archive's entries"
	for p in "$dakar/photo.jpg:photo.jpg" "$dakar/mou.pdf:mou.pdf" "$awa/face.jpg:face.jpg" \
		"$thies/meeting.jpg:a/meeting.jpg" "$thies/meeting (2).jpg:b/meeting.jpg"; do
		unzip -p "$1" "media/${p%%:*}" | cmp -s - "$TMPDIR/f/${p#*:}" || fail "media/${p%%:*} is not ${p#*:}"
	done
	unzip -p "$1" visit.csv >"$TMPDIR/in.csv"
	check_eq "$(head -n 1 "$TMPDIR/in.csv" | cut -d, -f1-6)" "_id,site,photo,photo/url,mou,mou/url" "the header"
	check_eq "$(grep -a "^$dakar," "$TMPDIR/in.csv" | cut -d, -f3-6)" \
		"photo.jpg,media/$dakar/photo.jpg,mou.pdf,media/$dakar/mou.pdf" "Dakar's files and their places"
	check_eq "$(grep -a "^$thies," "$TMPDIR/in.csv" | cut -d, -f3-6)" \
		"meeting.jpg,media/$thies/meeting.jpg,meeting.jpg,media/$thies/meeting (2).jpg" "Thiès's two meeting.jpg"
	check_eq "$(grep -a "^$kolda," "$TMPDIR/in.csv" | cut -d, -f3-6)" ",,kept.pdf," "Kolda's file, not at the server"
	check_eq "$(unzip -p "$1" visit-person.csv | grep -a "^$awa," | cut -d, -f2-5)" \
		"$dakar,Awa,face.jpg,media/$awa/face.jpg" "the instance's portrait"
}

t "sondeod export --with-media: a ZIP of the records, each repeat's instances and the files the server holds"
run "$SONDEOD" export --data "$hq" --form visit --format csv --with-media -o "$TMPDIR/out.zip"
check_rc 0
check_err_has "exported 3 records of visit and 5 attachment(s) to $TMPDIR/out.zip"
check_file_mode "$TMPDIR/out.zip" 600
check_zip "$TMPDIR/out.zip"
# To standard output, as it is made: the same archive.
"$SONDEOD" export --data "$hq" --form visit --format csv --with-media >"$TMPDIR/stdout.zip" 2>"$TMPDIR/err" ||
	fail "to standard output: $(cat "$TMPDIR/err")"
check_zip "$TMPDIR/stdout.zip"
run "$SONDEOD" export --data "$hq" --form visit --format xlsx --with-media -o "$TMPDIR/x.zip"
check_rc 0
check_eq "$(unzip -Z1 "$TMPDIR/x.zip" | grep -c '^visit.*\.xlsx$')" 2 "workbooks of the records and of the instances"
# In the workbook, each file's place in the ZIP, as text.
unzip -p "$TMPDIR/x.zip" visit.xlsx >"$TMPDIR/x.xlsx"
unzip -p "$TMPDIR/x.xlsx" | grep -aq "media/$thies/meeting (2).jpg" ||
	fail "media/$thies/meeting (2).jpg is not in the workbook"
run "$SONDEOD" export --data "$hq" --form visit --format csv --with-media --repeat person -o "$TMPDIR/p.zip"
check_rc 0
check_eq "$(names "$TMPDIR/p.zip")" "media/$awa/face.jpg|visit-person.csv|" "a repeat's instances and their files only"

t "a file that is not what the server holds (shorter on its disk) fails the export, which leaves no file behind"
h=$(hash_of "$TMPDIR/f/face.jpg")
cp "$hq/media/$(printf %.2s "$h")/$h" "$TMPDIR/face.keep"
head -c 1000 "$TMPDIR/face.keep" >"$hq/media/$(printf %.2s "$h")/$h"
run "$SONDEOD" export --data "$hq" --form visit --format csv --with-media -o "$TMPDIR/bad.zip"
check_rc 1
check_err_has "is shorter than it was"
check_file_absent "$TMPDIR/bad.zip"
check_eq "$(ls "$TMPDIR" | grep -c 'bad.zip')" 0 "files left beside it"
cp "$TMPDIR/face.keep" "$hq/media/$(printf %.2s "$h")/$h"

t "GET /v1/export?media=1: the same ZIP, streamed to a signed-in reviewer with its length; refused without a session"
login "$URL" "$hq" rev "$TMPDIR/jar"
status=$(curl -s -b "$TMPDIR/jar" -D "$TMPDIR/h" -o "$TMPDIR/web.zip" -w '%{http_code}' \
	"$URL/v1/export?format=csv&form=visit&media=1")
check_eq "$status" 200 "HTTP status"
check_eq "$(grep -i '^content-type:' "$TMPDIR/h" | tr -d '\r')" "Content-Type: application/zip" "its type"
check_eq "$(grep -i '^content-length:' "$TMPDIR/h" | tr -d '\r' | sed 's/.*: //')" "$(wc -c <"$TMPDIR/web.zip" | tr -d ' ')" \
	"its length, said before the files were read"
grep -qi "^content-disposition: attachment; filename=\"visit-[0-9-]*\.zip\"" "$TMPDIR/h" || fail "no file name: $(cat "$TMPDIR/h")"
check_zip "$TMPDIR/web.zip"
check_eq "$(curl -s -o /dev/null -w '%{http_code}' "$URL/v1/export?format=csv&form=visit&media=1")" 401 "without a session"
check_eq "$(curl -s -o /dev/null -w '%{http_code}' -b "$TMPDIR/jar" "$URL/v1/export?format=csv&form=visit&media=yes")" 400 \
	"media=yes"
check_eq "$(q "$hq" "SELECT detail FROM audit WHERE action = 'export' ORDER BY id DESC LIMIT 1" |
	sed 's/.*"attachments": *\([0-9]*\).*/\1/')" 5 "the attachments in the audit log"

t "an export without the files links each attachment the server holds to it, at the address the reviewer used"
curl -s -b "$TMPDIR/jar" -o "$TMPDIR/l.csv" "$URL/v1/export?format=csv&form=visit"
link=$(grep -a "^$dakar," "$TMPDIR/l.csv" | cut -d, -f4)
check_eq "$link" "$URL/v1/attachment?blake2b=$(hash_of "$TMPDIR/f/photo.jpg")&name=photo.jpg" "Dakar's photo's link"
curl -s -b "$TMPDIR/jar" -o "$TMPDIR/got.jpg" "$link"
cmp -s "$TMPDIR/got.jpg" "$TMPDIR/f/photo.jpg" || fail "the link does not give the photo"
check_eq "$(grep -a "^$kolda," "$TMPDIR/l.csv" | cut -d, -f5-6)" "kept.pdf," "a file not at the server: no link"
run "$SONDEOD" export --data "$hq" --form visit --format json --url "https://hq.example.org/"
check_rc 0
check_out_has "\"url\":\"https://hq.example.org/v1/attachment?blake2b=$(hash_of "$TMPDIR/f/b/meeting.jpg")&name=meeting.jpg\""
run "$SONDEOD" export --data "$hq" --form visit --format xlsx --url "https://hq.example.org" -o "$TMPDIR/l.xlsx"
check_rc 0
unzip -p "$TMPDIR/l.xlsx" xl/worksheets/_rels/sheet1.xml.rels >"$TMPDIR/rels"
grep -q "Target=\"https://hq.example.org/v1/attachment?blake2b=$(hash_of "$TMPDIR/f/photo.jpg")&amp;name=photo.jpg\"" \
	"$TMPDIR/rels" || fail "no link to the photo in the workbook: $(cat "$TMPDIR/rels")"
run "$SONDEOD" export --data "$hq" --form visit --format csv
check_rc 0
check_out_lacks "/url"

t "GeoJSON: an attachment as its file's name, its link as the property QUESTION/url, which GDAL keeps"
run "$SONDEOD" export --data "$hq" --form visit --format geojson --url "https://hq.example.org" -o "$TMPDIR/v.geojson"
check_rc 0
check_eq "$ERR" "exported 2 records of visit to $TMPDIR/v.geojson" "the records with a place"
# prop ID NAME : the property NAME of record ID's feature.
prop() {
	py -c 'import json, sys
for f in json.load(open(sys.argv[1]))["features"]:
    if f["properties"]["_id"] == sys.argv[2]:
        print(f["properties"].get(sys.argv[3], "(none)"))' "$TMPDIR/v.geojson" "$1" "$2"
}
check_eq "$(prop "$dakar" photo)|$(prop "$dakar" photo/url)" \
	"photo.jpg|https://hq.example.org/v1/attachment?blake2b=$(hash_of "$TMPDIR/f/photo.jpg")&name=photo.jpg" "Dakar's photo"
check_eq "$(prop "$thies" mou)|$(prop "$thies" mou/url)" \
	"meeting.jpg|https://hq.example.org/v1/attachment?blake2b=$(hash_of "$TMPDIR/f/b/meeting.jpg")&name=meeting.jpg" \
	"Thiès's memorandum"
command -v ogr2ogr >/dev/null 2>&1 || sh "$TOP/scripts/deps.sh" gdal-bin >"$TMPDIR/deps.out" 2>&1
if ! command -v ogr2ogr >/dev/null 2>&1; then
	skip "gdal-bin cannot be installed: $(tail -n 1 "$TMPDIR/deps.out")"
else
	run ogr2ogr -f GPKG "$TMPDIR/v.gpkg" "$TMPDIR/v.geojson"
	check_rc 0
	run ogr2ogr -f "ESRI Shapefile" -fieldTypeToString DateTime "$TMPDIR/shp" "$TMPDIR/v.geojson"
	check_rc 0
	run ogrinfo -ro -al -q -where "site = 'Dakar'" "$TMPDIR/v.gpkg"
	check_out_has "photo (String) = photo.jpg"
	check_out_has "photo/url (String) = https://hq.example.org/v1/attachment?blake2b=$(hash_of "$TMPDIR/f/photo.jpg")&name=photo.jpg"
	check_out_has "POINT (-17.4467 14.6928)"
	ogr2ogr -f GeoJSON "$TMPDIR/gpkg.geojson" "$TMPDIR/v.gpkg" 2>/dev/null || fail "the GeoPackage back to GeoJSON"
	ogr2ogr -f GeoJSON "$TMPDIR/shp.geojson" "$TMPDIR/shp" 2>/dev/null || fail "the Shapefile back to GeoJSON"
	run py "$TOP/tests/exportcheck.py" gis "$TMPDIR/v.geojson" "$TMPDIR/gpkg.geojson" "$TMPDIR/shp.geojson"
	check_rc 0
	check_eq "$OUT" "same: 2 features, 15 properties"
fi
run "$SONDEOD" export --data "$hq" --form visit --format csv --url "ftp://hq"
check_rc 2
check_err_has "--url is the server's address"

done_testing
