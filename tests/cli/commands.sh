#!/bin/sh
# commands.sh - every sondeo command used as a person would use it, with its exact results: what it prints, what
# the store holds afterwards (read with the sqlite3 shell), and what the exported files contain.
#
# Runs under tests/run.sh (SONDEO, TOP, TMPDIR set) or by hand:
#   make MODE=test check-build && SONDEO=$PWD/build/test/sondeo TOP=$PWD sh tests/cli/commands.sh
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
# Every command's main paths: their leaks are looked for too (lib.sh says why the other scripts' are not).
LEAK_CHECK=all
. "$TOP/tests/cli/lib.sh"

# English unless a test asks otherwise; "today" fixed so that dates and defaults are exact.
LANG=C.UTF-8
SONDEO_TODAY=2026-11-01
export LANG SONDEO_TODAY
unset LANGUAGE LC_ALL XDG_DATA_HOME

scratch=$(mktemp -d "${TMPDIR:-/tmp}/commands.XXXXXX")
at_exit "rm -rf '$scratch'"
SAMPLES=$TOP/forms/samples/partnerships.csv
HEX32='^[0-9a-f]\{32\}$'
UUID='^[0-9a-f]\{8\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{4\}-[0-9a-f]\{12\}$'
# The answers a minimal valid record needs.
set -- --set stakeholder_type=media --set country=KEN --set level=local --set thematic_areas=human_rights

# q SQL : runs SQL on the current store and prints the result.
q() {
	sqlite3 "$SONDEO_HOME/store.db" "$1"
}

# dump FILE : the whole store as SQL text.
dump() {
	sqlite3 "$SONDEO_HOME/store.db" .dump >"$1"
}

# jsql FILE EXPR : evaluates the SQL expression EXPR, in which j is the text of FILE (a JSON document).
jsql() {
	sqlite3 :memory: "WITH f(j) AS (SELECT CAST(readfile('$1') AS TEXT)) SELECT $2 FROM f"
}

# check_json FILE : FILE is valid JSON (strictly, with python3 when there is one).
check_json() {
	if [ -x /usr/bin/python3 ]; then
		/usr/bin/python3 -c 'import json, sys
def no_const(c): raise ValueError("not JSON: " + c)
json.load(open(sys.argv[1], encoding="utf-8"), parse_constant=no_const)' "$1" 2>"$scratch/json.err" ||
			fail "'$1' is not valid JSON: $(tail -n 1 "$scratch/json.err")"
	else
		[ "$(jsql "$1" "json_valid(j)")" = 1 ] || fail "'$1' is not valid JSON"
	fi
}

# count_lines TEXT : the number of lines of TEXT (0 for none).
count_lines() {
	if [ -z "$1" ]; then echo 0; else printf '%s\n' "$1" | wc -l | tr -d ' '; fi
}

# check_uuids TEXT N : TEXT is exactly N lines, each a record id.
check_uuids() {
	check_eq "$(count_lines "$1")" "$2" "number of ids printed"
	[ -z "$1" ] || [ "$(printf '%s\n' "$1" | grep -cv "$UUID")" = 0 ] || fail "not every line is a record id: $1"
}

# seed : a fresh store holding the 8 sample records.
seed() {
	new_store
	"$SONDEO" init >/dev/null 2>&1 || fail "init failed in $SONDEO_HOME"
	"$SONDEO" new --from "$SAMPLES" >"$scratch/seed.ids" 2>/dev/null || fail "cannot load $SAMPLES"
}

# id_of NAME : the id of the record whose partner_name is NAME.
id_of() {
	q "SELECT r.id FROM records r JOIN fields f ON f.rid = r.rid AND f.field = 'partner_name'
	   WHERE f.value = json_quote('$1')"
}

# ops_of ID : how many ops the record has.
ops_of() {
	q "SELECT count(*) FROM ops WHERE rid = (SELECT rid FROM records WHERE id = '$1')"
}

# form_store NAME <FORM.json : a store of its own, $scratch/NAME-store (now SONDEO_HOME), holding the form read from
# stdin, so that the records the other tests count stay as they are.
form_store() {
	SONDEO_HOME=$scratch/$1-store
	cat >"$scratch/$1.json"
	run "$SONDEO" init
	check_rc 0
	run "$SONDEO" form import "$scratch/$1.json"
	check_rc 0
}

# ----------------------------------------------------------------------------------------------------- init

t "init creates the store, a private key and prints a 32-hex device id"
new_store
run "$SONDEO" init --name kisumu-laptop-3
check_rc 0
check_eq "$(printf '%s\n' "$OUT" | sed -n 1p)" "created store in $SONDEO_HOME"
dev=$(printf '%s\n' "$OUT" | sed -n 's/^device id: //p')
printf '%s\n' "$dev" | grep -q "$HEX32" || fail "device id '$dev' is not 32 hex digits"
check_eq "$(count_lines "$OUT")" 2 "lines printed"
check_file_exists "$SONDEO_HOME/store.db"
check_file_mode "$SONDEO_HOME/device.key" 600
check_file_exists "$SONDEO_HOME/device.pub"
check_eq "$(q "SELECT value FROM meta WHERE key = 'device'")" "$dev" "device id in the store"
check_eq "$(q "SELECT value FROM meta WHERE key = 'name'")" "kisumu-laptop-3" "device name in the store"
check_eq "$(q "PRAGMA journal_mode")" wal "journal mode"
check_eq "$(q "SELECT id || ' ' || version FROM forms")" "partnership 2" "installed forms"
run "$SONDEO" status
check_out_has "device:      $dev (kisumu-laptop-3)"

t "a second init refuses with status 1 and changes nothing"
dump "$scratch/init1.dump"
cp "$SONDEO_HOME/device.key" "$scratch/key1"
cp "$SONDEO_HOME/device.pub" "$scratch/pub1"
run "$SONDEO" init --name another-name
check_rc 1
check_eq "$OUT" "" "stdout"
check_err_has "a store already exists in '$SONDEO_HOME'; nothing was changed"
dump "$scratch/init2.dump"
cmp -s "$scratch/init1.dump" "$scratch/init2.dump" || fail "the store changed"
cmp -s "$scratch/key1" "$SONDEO_HOME/device.key" || fail "device.key changed"
cmp -s "$scratch/pub1" "$SONDEO_HOME/device.pub" || fail "device.pub changed"
check_file_mode "$SONDEO_HOME/device.key" 600

t "--store DIR overrides SONDEO_HOME"
new_store
other=$SONDEO_HOME/elsewhere
run "$SONDEO" --store "$other" init
check_rc 0
check_out_has "created store in $other"
check_file_exists "$other/store.db"
check_file_absent "$SONDEO_HOME/store.db"
run "$SONDEO" --store="$other" new "$@" --set partner_name="Stored Elsewhere"
check_rc 0
check_eq "$(sqlite3 "$other/store.db" "SELECT partner_name FROM form_partnership")" "Stored Elsewhere" "record in --store"
run "$SONDEO" list
check_rc 1
check_err_has "no Sondeo store in '$SONDEO_HOME' (run 'sondeo init' first)"

t "without SONDEO_HOME the store is \$XDG_DATA_HOME/sondeo, else ~/.local/share/sondeo"
fakehome=$scratch/home
mkdir -p "$fakehome"
run env -u SONDEO_HOME HOME="$fakehome" XDG_DATA_HOME="$scratch/xdg" "$SONDEO" init
check_rc 0
check_out_has "created store in $scratch/xdg/sondeo"
check_file_exists "$scratch/xdg/sondeo/store.db"
check_file_mode "$scratch/xdg/sondeo" 700
check_file_absent "$fakehome/.local"
run env -u SONDEO_HOME HOME="$fakehome" XDG_DATA_HOME="$scratch/xdg" "$SONDEO" status
check_rc 0
check_out_has "store:       $scratch/xdg/sondeo"
run env -u SONDEO_HOME -u XDG_DATA_HOME HOME="$fakehome" "$SONDEO" init
check_rc 0
check_out_has "created store in $fakehome/.local/share/sondeo"
check_file_exists "$fakehome/.local/share/sondeo/store.db"
check_file_mode "$fakehome/.local/share/sondeo/device.key" 600

# ---------------------------------------------------------------------------------------------------- forms

t "forms lists the built-in form with its version, record count and title"
new_store
"$SONDEO" init >/dev/null
run "$SONDEO" forms
check_rc 0
check_eq "$OUT" "FORM                 VERSION     RECORDS  TITLE
partnership          2                 0  Inclusive and innovative partnerships on migration"
"$SONDEO" new "$@" --set partner_name=Counted >/dev/null
run "$SONDEO" forms --json
check_rc 0
printf '%s\n' "$OUT" >"$scratch/forms.json"
check_json "$scratch/forms.json"
check_eq "$(jsql "$scratch/forms.json" "json_array_length(j) || ' ' || json_extract(j, '\$[0].id') || ' ' ||
	json_extract(j, '\$[0].version') || ' ' || json_extract(j, '\$[0].records') || ' ' ||
	json_extract(j, '\$[0].title')")" "1 partnership 2 1 Inclusive and innovative partnerships on migration"

t "form show lists every question, its type, rules and choices in English"
run "$SONDEO" form show partnership
check_rc 0
check_eq "$(printf '%s\n' "$OUT" | sed -n 1p)" "Inclusive and innovative partnerships on migration (partnership version 2)"
check_out_has " 1. Name of the partner organization *  [partner_name text]"
check_out_has " 2. What type of stakeholder is the partner? *  [stakeholder_type select_one]"
check_out_has "      asked when: \${stakeholder_type} = 'other'"
check_out_has " 4. Country *  [country select_one]"
check_out_has "      118) KEN                          Kenya"
check_out_has "      default: today()"
check_out_has "      15) other                        Other"
check_out_has "19. Other notes  [notes text]"
check_out_lacks "20. "

t "form show --lang fr, LANG=es_ES.UTF-8; --lang de is refused, a language only the environment asks for falls back"
run "$SONDEO" --lang fr form show partnership
check_rc 0
check_out_has "Partenariats inclusifs et novateurs en matière de migration (partnership version 2)"
check_out_has " 1. Nom de l'organisation partenaire *  [partner_name text]"
check_out_has "       1) national_government          Gouvernement national"
run env LANG=es_ES.UTF-8 "$SONDEO" form show partnership
check_rc 0
check_out_has " 1. Nombre de la organización asociada *  [partner_name text]"
check_out_has "       9) media                        Medios de comunicación"
run env LANG=fr_FR.UTF-8 "$SONDEO" --lang es form show partnership
check_out_has " 1. Nombre de la organización asociada *  [partner_name text]"
run "$SONDEO" --lang de form show partnership
check_rc 2
check_err_has "sondeo form: unknown language 'de': Sondeo speaks en, es, fr"
check_eq "$OUT" "" "output of a refused language"
run env LANG=sw_KE.UTF-8 "$SONDEO" form show partnership
check_rc 0
check_out_has " 1. Name of the partner organization *  [partner_name text]"
check_err_has "form 'partnership' is not written in 'sw': its texts are shown in 'en', its default language"

t "form show --json prints the definition"
run "$SONDEO" form show partnership --json
check_rc 0
printf '%s\n' "$OUT" >"$scratch/form.json"
check_json "$scratch/form.json"
check_eq "$(jsql "$scratch/form.json" "json_extract(j, '\$.id') || ' ' || json_extract(j, '\$.version') || ' ' ||
	json_array_length(j, '\$.questions') || ' ' || json_extract(j, '\$.questions[0].name') || ' ' ||
	json_array_length(j, '\$.questions[1].choices') || ' ' || json_extract(j, '\$.questions[0].label.fr')")" \
	"partnership 2 19 partner_name 15 Nom de l'organisation partenaire"

t "form import installs a form; new FORM --set fills it; its view has one column per question"
cat >"$scratch/household.json" <<'EOF'
{
  "id": "household",
  "version": "3",
  "title": {"en": "Household visit", "fr": "Visite du ménage"},
  "questions": [
    {"name": "head", "type": "text", "label": {"en": "Head of household", "fr": "Chef de ménage"}, "required": true},
    {"name": "size", "type": "integer", "label": {"en": "People living here"},
     "constraint": ". >= 1 and . <= 30", "constraint_message": {"en": "From 1 to 30"}},
    {"name": "water", "type": "select_one", "label": {"en": "Main water source"},
     "choices": [{"name": "well", "label": {"en": "Well"}}, {"name": "tap", "label": {"en": "Tap"}}]},
    {"name": "visited", "type": "date", "label": {"en": "Visit date"}, "default": "today()"}
  ]
}
EOF
run "$SONDEO" form import "$scratch/household.json"
check_rc 0
check_eq "$OUT" "installed form household version 3 (4 questions)"
# A version travels in URLs as the server's do: plain names only, as the server checks them too.
sed 's/"version": "3"/"version": "3 beta"/' "$scratch/household.json" >"$scratch/household-beta.json"
run "$SONDEO" form import "$scratch/household-beta.json"
check_rc 1
check_err_has "household-beta.json: form 'household': version '3 beta' is not valid: letters, digits, _ . - (at most 64)"
check_eq "$(q "SELECT count(*) FROM forms WHERE id = 'household'")" 1 "household versions installed"
run "$SONDEO" forms
check_out_has "household            3                 0  Household visit"
run "$SONDEO" new household --set head="Amina Yusuf" --set size=5 --set water=tap
check_rc 0
check_uuids "$OUT" 1
hid=$OUT
check_eq "$(q "SELECT id, status, head, size, water, visited FROM form_household")" \
	"$hid|final|Amina Yusuf|5|tap|2026-11-01" "the form_household view"
check_eq "$(q "SELECT group_concat(name, ',') FROM pragma_table_info('form_household')")" \
	"id,status,deleted,conflicts,form_version,created,updated,head,size,water,visited" "view columns"
# The dates as show and list print them (local time, here three hours east of UTC), to the millisecond.
run env TZ=EAT-3 "$SONDEO" show "$hid" --json
shown_created=$(jsql "$OUT_FILE" "json_extract(j, '$.created')")
shown_updated=$(jsql "$OUT_FILE" "json_extract(j, '$.updated')")
view_dates=$(TZ=EAT-3 sqlite3 "$SONDEO_HOME/store.db" "SELECT created || '|' || updated FROM form_household")
printf '%s\n' "$view_dates" | grep -q '^[0-9-]\{10\} [0-9:]\{8\}\.[0-9]\{3\}|[0-9-]\{10\} [0-9:]\{8\}\.[0-9]\{3\}$' ||
	fail "the view's created and updated are '$view_dates', expected two YYYY-MM-DD HH:MM:SS.SSS"
check_eq "$(printf '%s' "$view_dates" | cut -c1-16)" "$shown_created" "the view's created, to the minute"
check_eq "$(printf '%s' "$view_dates" | cut -d'|' -f2 | cut -c1-16)" "$shown_updated" "the view's updated, to the minute"
# list shows the same moment as people read it: today's time there (yesterday's when midnight came in between).
run env TZ=EAT-3 "$SONDEO" list --form household
case $OUT in
*"today ${shown_updated#* }"*)
	check_eq "${shown_updated% *}" "$(TZ=EAT-3 date +%F)" "the day list says is today" ;;
*"yesterday ${shown_updated#* }"*)
	check_eq "${shown_updated% *}" "$(TZ=EAT-3 date -d yesterday +%F)" "the day list says is yesterday" ;;
*) fail "list does not show the record updated at today's or yesterday's ${shown_updated#* }" ;;
esac
check_eq "$(q "SELECT count(*) FROM form_household WHERE created IS NULL OR updated IS NULL")" 0 \
	"view rows without dates"
# A store of layout 2 has views that read the dates wrongly: opening it makes them again.
q "DROP VIEW form_household; CREATE VIEW form_household AS SELECT r.id AS id,
	datetime(r.created >> 16, 'unixepoch') AS created FROM records r WHERE r.form = 'household';
	UPDATE meta SET value = '2' WHERE key = 'schema'"
run "$SONDEO" list
check_rc 0
check_eq "$(q "SELECT value FROM meta WHERE key = 'schema'")" 5 "layout after opening a layout 2 store"
check_eq "$(TZ=EAT-3 sqlite3 "$SONDEO_HOME/store.db" "SELECT created || '|' || updated || '|' || head FROM form_household")" \
	"$view_dates|Amina Yusuf" "the view made again"
run "$SONDEO" --lang fr show "$hid"
check_out_has "Visite du ménage (household version 3)"
check_out_has "  Chef de ménage"
check_out_has "Amina Yusuf"
check_out_has "Tap (tap)"
run "$SONDEO" list --form household
check_eq "$(count_lines "$OUT")" 2 "lines of list --form household"
check_out_has "Amina Yusuf"
run "$SONDEO" form import "$scratch/household.json"
check_rc 0
check_eq "$(q "SELECT count(*) FROM forms WHERE id = 'household'")" 1 "household versions after importing it again"

# ------------------------------------------------------------------------------------------------------ new

t "new --set prints one id and show has the answers"
new_store
"$SONDEO" init >/dev/null
run "$SONDEO" new --set partner_name="Nairobi City County" --set stakeholder_type=local_government \
	--set country=KEN --set level=local --set thematic_areas="vulnerable_migrants shared_responsibility"
check_rc 0
check_uuids "$OUT" 1
check_eq "$ERR" "" "stderr"
nid=$OUT
run "$SONDEO" show "$nid"
check_rc 0
check_eq "$(printf '%s\n' "$OUT" | sed -n 1p)" "Record $nid"
check_out_has "State:   final"
check_out_has "  Name of the partner organization         Nairobi City County"
check_out_has "  What type of stakeholder is the partner? Local government (local_government)"
check_out_has "  Country                                  Kenya (KEN)"
check_out_has "Identifying vulnerable migrants who need specialized protection (vulnerable_migrants); Shared responsibilities and opportunities (shared_responsibility)"
check_eq "$(q "SELECT partner_name, stakeholder_type, country, level, thematic_areas FROM form_partnership")" \
	"Nairobi City County|local_government|KEN|local|vulnerable_migrants shared_responsibility" "view row"
# Five answers and the default date: six ops, seqs 1 to 6.
check_eq "$(q "SELECT count(*), min(seq), max(seq) FROM ops")" "6|1|6" "ops"

t "answers default: interview_date is today (SONDEO_TODAY) unless given"
check_eq "$(q "SELECT interview_date FROM form_partnership WHERE id = '$nid'")" 2026-11-01 "default date"
run env SONDEO_TODAY=2026-03-15 "$SONDEO" new "$@" --set partner_name="Another Day"
check_rc 0
check_eq "$(q "SELECT interview_date FROM form_partnership WHERE id = '$OUT'")" 2026-03-15 "default date"
run "$SONDEO" new "$@" --set partner_name="Given Date" --set interview_date=2025-12-31
check_rc 0
check_eq "$(q "SELECT interview_date FROM form_partnership WHERE id = '$OUT'")" 2025-12-31 "given date"

t "new --from the sample CSV saves its 8 records"
new_store
"$SONDEO" init >/dev/null
run "$SONDEO" new --from "$SAMPLES"
check_rc 0
check_uuids "$OUT" 8
check_eq "$ERR" "saved 8 final records" "stderr"
printed=$OUT
run "$SONDEO" list
check_rc 0
check_eq "$(count_lines "$OUT")" 9 "lines of list (header and 8 records)"
for name in "Ministry of Labour and Soci~" "Nairobi City County" "Diaspora Development Network" \
	"University of the Andes Mig~" "Radio Frontera" "Association des Travailleur~" "Gulf Recruitment Partners" \
	"Village Savings and Remitta~"; do
	check_out_has "$name"
done
check_out_has "ID       PARTNER_NAME                 COUNTRY                UPDATED           STATE FLAGS"
check_eq "$(q "SELECT count(*) FROM records WHERE NOT draft")" 8 "final records"
check_eq "$(q "SELECT achievements FROM form_partnership WHERE partner_name = 'Radio Frontera'")" \
	"Listeners call in with questions on rights and regular pathways" "a quoted CSV field"
check_eq "$(q "SELECT notes FROM form_partnership WHERE partner_name = 'Radio Frontera'")" \
	"Recorded in Spanish and K'iche'" "a quoted CSV field with apostrophes"
check_eq "$(q "SELECT stakeholder_type_other, scale_up_potential IS NULL FROM form_partnership
	WHERE partner_name LIKE 'Village%'")" "Community savings cooperative|1" "other type, no scale-up"
# The ids printed are the records saved, in file order.
check_eq "$(printf '%s\n' "$printed" | sed -n 2p)" "$(id_of "Nairobi City County")" "second id printed"

t "new --from a JSON array and a single JSON object"
cat >"$scratch/two.json" <<'EOF'
[
  {"partner_name": "Mexico City Migrant Council", "stakeholder_type": "local_government", "country": "MEX",
   "level": ["local"], "thematic_areas": ["human_rights", "migration_governance"], "scale_up_potential": 4,
   "replicable": "yes", "location": "19.4326 -99.1332"},
  {"partner_name": "Pacific Diaspora Link", "stakeholder_type": "diaspora_organization", "country": "NZL",
   "level": ["regional", "global"], "thematic_areas": ["sustainable_development"]}
]
EOF
run "$SONDEO" new --from "$scratch/two.json"
check_rc 0
check_uuids "$OUT" 2
check_eq "$(q "SELECT partner_name, level, thematic_areas, scale_up_potential, location FROM form_partnership
	WHERE country IN ('MEX', 'NZL') ORDER BY country")" \
	"Mexico City Migrant Council|local|human_rights migration_governance|4|19.4326 -99.1332
Pacific Diaspora Link|regional global|sustainable_development||" "records from JSON"
check_eq "$(q "SELECT json_type(value) FROM fields WHERE field = 'scale_up_potential'
	AND rid = (SELECT rid FROM records WHERE id = '$(printf '%s\n' "$OUT" | sed -n 1p)')")" integer "stored type"
printf '{"partner_name": "Single Object Org", "stakeholder_type": "academia", "country": "PER",
 "level": ["national"], "thematic_areas": ["data_collection"]}\n' >"$scratch/one.json"
run "$SONDEO" new --from "$scratch/one.json"
check_rc 0
check_uuids "$OUT" 1
check_eq "$(q "SELECT partner_name FROM form_partnership WHERE id = '$OUT'")" "Single Object Org" "record"

t "new reads records from standard input (CSV and JSON)"
run "$SONDEO" new <"$SAMPLES"
check_rc 0
check_uuids "$OUT" 8
run "$SONDEO" new <"$scratch/one.json"
check_rc 0
check_uuids "$OUT" 1
check_eq "$(q "SELECT count(*) FROM form_partnership WHERE partner_name = 'Single Object Org'")" 2 "records"
check_eq "$(q "SELECT count(*) FROM records")" 20 "records in all"

t "new --from a spreadsheet's CSV: byte order mark, CRLF, a quoted line break, metadata columns skipped"
printf '\357\273\277_id,partner_name,stakeholder_type,country,level,thematic_areas,notes,_status\r\n' >"$scratch/excel.csv"
printf 'ignored,Excel Partner,media,BRA,local,human_rights,"first line\r\nsecond line",final\r\n' >>"$scratch/excel.csv"
run "$SONDEO" new --from "$scratch/excel.csv"
check_rc 0
check_uuids "$OUT" 1
check_eq "$(q "SELECT partner_name || '|' || country || '|' || replace(notes, char(13), '\r') FROM form_partnership
	WHERE id = '$OUT'")" "Excel Partner|BRA|first line\r
second line" "record from the spreadsheet CSV"

# ----------------------------------------------------------------------------------------------------- drafts

t "new --draft: list --drafts shows it, status counts it, show says draft, export skips it"
seed
run "$SONDEO" new --draft --set partner_name="Radio Sin Fronteras"
check_rc 0
check_uuids "$OUT" 1
did=$OUT
check_eq "$(ops_of "$did")" 0 "ops of a draft"
run "$SONDEO" list --drafts
check_rc 0
check_eq "$(count_lines "$OUT")" 2 "lines of list --drafts"
check_out_has "$(printf '%.8s' "$did") Radio Sin Fronteras"
check_out_has " draft "
run "$SONDEO" status
check_out_has "records:     8 final, 1 draft, 0 deleted"
run "$SONDEO" show "$did"
check_out_has "State:   draft (stays on this device until finalized)"
check_out_has "  Name of the partner organization         Radio Sin Fronteras"
run "$SONDEO" show "$did" --history
check_out_has "History: none yet; a draft's answers become history when it is finalized."
run "$SONDEO" export --format csv
check_rc 0
check_out_lacks "Radio Sin Fronteras"
check_eq "$(count_lines "$OUT")" 9 "exported lines (header and 8 records)"

t "edit --finalize makes a complete draft final and writes its ops"
run "$SONDEO" edit "$did" --finalize
check_rc 1
check_err_has ": stakeholder_type: is required"
check_eq "$(q "SELECT draft FROM records WHERE id = '$did'")" 1 "still a draft"
run "$SONDEO" edit "$did" "$@" --finalize
check_rc 0
check_eq "$OUT" "finalized $did (4 changes)"
# partner_name, the four answers given and the default date.
check_eq "$(ops_of "$did")" 6 "ops of the finalized record"
check_eq "$(q "SELECT status, stakeholder_type, interview_date FROM form_partnership WHERE id = '$did'")" \
	"final|media|2026-11-01" "the finalized record"
run "$SONDEO" show "$did"
check_out_has "State:   final"
run "$SONDEO" export --format csv
check_out_has "Radio Sin Fronteras"
run "$SONDEO" status
check_out_has "records:     9 final, 0 draft, 0 deleted"

# ------------------------------------------------------------------------------------------------------ edit

t "edit --set: only answers that change become ops"
mid=$(id_of "Ministry of Labour and Social Protection")
before=$(q "SELECT count(*) FROM ops")
run "$SONDEO" edit "$mid" --set scale_up_potential=5 --set challenges="Recruitment fees still charged by unlicensed agents"
check_rc 0
check_eq "$OUT" "updated $mid: 1 change"
check_eq "$(q "SELECT count(*) FROM ops")" "$((before + 1))" "ops after one changed answer"
check_eq "$(q "SELECT o.field || '=' || coalesce(nullif(o.value, ''), (SELECT f.value FROM fields f WHERE f.rid = o.rid AND f.field = o.field)) FROM ops o ORDER BY o.id DESC LIMIT 1")" "scale_up_potential=5" "the new op"
run "$SONDEO" edit "$mid" --set scale_up_potential=5
check_rc 0
check_eq "$OUT" "unchanged $mid: 0 changes"
check_eq "$(q "SELECT count(*) FROM ops")" "$((before + 1))" "ops after setting the same value"
run "$SONDEO" edit "$mid" --set notes= --set contact_name="Grace W. Wanjiru"
check_rc 0
check_eq "$OUT" "updated $mid: 2 changes"
check_eq "$(q "SELECT notes IS NULL, contact_name FROM form_partnership WHERE id = '$mid'")" "1|Grace W. Wanjiru" \
	"cleared and changed answers"

t "show --history lists every op with old -> new values"
run "$SONDEO" show "$mid" --history
check_rc 0
dev8=$(q "SELECT substr(value, 1, 8) FROM meta WHERE key = 'device'")
check_out_has "History:"
check_out_has "device $dev8 #"
check_out_has "scale_up_potential     (none) -> 4"
check_out_has "scale_up_potential     4 -> 5"
check_out_has "notes                  Follow up on the hotline statistics -> (cleared)"
check_out_has "contact_name           Grace Wanjiru -> Grace W. Wanjiru"
check_out_has "stakeholder_type       (none) -> Ministry or government department (ministry)"
check_eq "$(printf '%s\n' "$OUT" | grep -c ' -> ')" "$(ops_of "$mid")" "history lines"

t "edit clears stakeholder_type_other when the type is no longer other"
vid=$(id_of "Village Savings and Remittance Group")
run "$SONDEO" edit "$vid" --set stakeholder_type=civil_society
check_rc 0
check_eq "$OUT" "cleared stakeholder_type_other: no longer asked
updated $vid: 2 changes"
check_eq "$(q "SELECT stakeholder_type, stakeholder_type_other IS NULL FROM form_partnership WHERE id = '$vid'")" \
	"civil_society|1" "type and other type"
run "$SONDEO" show "$vid" --history
check_out_has "stakeholder_type_other Community savings cooperative -> (cleared)"
check_out_has "stakeholder_type       Other (other) -> Civil society organization (civil_society)"
run "$SONDEO" show "$vid"
check_out_lacks "What other type of stakeholder?"

t "edit --set works out calculations again, and clears what they no longer make relevant"
main_home=$SONDEO_HOME
form_store budget <<'EOF'
{"id": "budget", "version": "1", "title": {"en": "Budget"},
 "questions": [
  {"name": "budget", "type": "integer", "label": {"en": "Budget"}, "required": true},
  {"name": "staff", "type": "integer", "label": {"en": "Staff"}, "required": true},
  {"name": "per_staff", "type": "calculate", "calculation": "${budget} div ${staff}"},
  {"name": "why", "type": "text", "label": {"en": "Why so much per staff (${per_staff})?"},
   "relevant": "${per_staff} > 1000"},
  {"name": "band", "type": "calculate", "calculation": "if(${why} != '', 'explained', 'plain')"},
  {"name": "notes", "type": "text", "label": {"en": "Notes"}}]}
EOF
run "$SONDEO" new budget --set budget=5000 --set staff=2 --set why=Rent
check_rc 0
bid=$OUT
check_eq "$(q "SELECT per_staff, why, band FROM form_budget WHERE id = '$bid'")" "2500|Rent|explained" "new --set"
run "$SONDEO" edit "$bid" --set budget=100
check_rc 0
check_eq "$OUT" "cleared why: no longer asked
updated $bid: 4 changes" "what edit says"
check_eq "$(q "SELECT budget, per_staff, why IS NULL, band FROM form_budget WHERE id = '$bid'")" "100|50|1|plain" \
	"answers after the edit"
check_eq "$(ops_of "$bid")" 9 "ops: 5 first answers, then budget, per_staff, why and band"
run "$SONDEO" edit "$bid" --set notes="Checked"
check_rc 0
check_eq "$OUT" "updated $bid: 1 change" "an edit that changes no calculation"
check_eq "$(ops_of "$bid")" 10 "ops after it"
printf '[{"budget": 9000, "staff": 3, "why": "Travel"}, {"budget": 10, "staff": 5}]\n' >"$scratch/budget-in.json"
run "$SONDEO" new budget --from "$scratch/budget-in.json"
check_rc 0
check_eq "$(q "SELECT group_concat(per_staff || ':' || band, ' ') FROM (SELECT * FROM form_budget WHERE id != '$bid' ORDER BY budget)")" \
	"2:plain 3000:explained" "new --from"
SONDEO_HOME=$main_home

t "edit --set of a final record: a problem it already had in an answer left alone is said and kept; what the edit breaks is refused"
# A visit dated on a laptop whose day came first (or under an older form): today() is another day here.
form_store visit <<'EOF'
{"id": "visit", "version": "1", "title": {"en": "Visit"},
 "questions": [
  {"name": "start", "type": "date", "label": {"en": "Start"}, "required": true, "constraint": ". <= today()",
   "constraint_message": {"en": "cannot be in the future"}},
  {"name": "end", "type": "date", "label": {"en": "End"}, "constraint": ". >= ${start}",
   "constraint_message": {"en": "cannot be before the start"}},
  {"name": "notes", "type": "text", "label": {"en": "Notes"}}]}
EOF
SONDEO_TODAY=2030-01-11 run "$SONDEO" new visit --set start=2030-01-10 --set end=2030-01-11
check_rc 0
vid=$OUT
SONDEO_TODAY=2030-01-09 run "$SONDEO" edit "$vid" --set notes="Seen the day before"
check_rc 0
check_out_has "updated $vid: 1 change"
check_err_has 'start "2030-01-10": cannot be in the future (so before this edit, and kept as it is)'
check_eq "$(q "SELECT start, notes FROM form_visit WHERE id = '$vid'")" "2030-01-10|Seen the day before" "the edited record"
before=$(q "SELECT count(*) FROM ops")
SONDEO_TODAY=2030-01-09 run "$SONDEO" edit "$vid" --set start=2030-01-11 --set notes="Moved"
check_rc 1
check_err_has 'start "2030-01-11": cannot be in the future'
check_err_lacks "kept as it is"
check_err_has "1 problem found: nothing was changed"
# The start the edit gives is fine on its own; the end it left alone is now before it.
SONDEO_TODAY=2030-01-12 run "$SONDEO" edit "$vid" --set start=2030-01-12
check_rc 1
check_err_has 'end "2030-01-11": cannot be before the start'
check_err_has "1 problem found: nothing was changed"
check_eq "$(q "SELECT start, notes FROM form_visit WHERE id = '$vid'")" "2030-01-10|Seen the day before" "after the refused edits"
check_eq "$(q "SELECT count(*) FROM ops")" "$before" "ops after the refused edits"
SONDEO_HOME=$main_home

# ---------------------------------------------------------------------------------------------------- delete

t "delete: list hides the record, list --deleted shows it, the history has the _deleted op"
gid=$(id_of "Gulf Recruitment Partners")
run "$SONDEO" delete "$gid"
check_rc 0
check_eq "$OUT" "deleted $gid"
run "$SONDEO" list
check_out_lacks "Gulf Recruitment"
check_eq "$(count_lines "$OUT")" 9 "lines of list (header and 8 records)"
run "$SONDEO" list --deleted
check_eq "$(count_lines "$OUT")" 10 "lines of list --deleted"
check_out_has "final deleted"
check_out_has "$(printf '%.8s' "$gid") Gulf Recruitment Partners"
run "$SONDEO" show "$gid" --history
check_out_has "State:   final, deleted"
check_out_has "_deleted               (none) -> true"
run "$SONDEO" status
check_out_has "records:     8 final, 0 draft, 1 deleted"
run "$SONDEO" export --format csv
check_out_lacks "Gulf Recruitment"

t "delete of a draft removes it outright"
run "$SONDEO" new --draft --set partner_name="Draft To Drop"
xid=$OUT
before=$(q "SELECT count(*) FROM ops")
run "$SONDEO" delete "$xid"
check_rc 0
check_eq "$OUT" "deleted $xid (a draft: removed from this device)"
check_eq "$(q "SELECT count(*) FROM records WHERE id = '$xid'") $(q "SELECT count(*) FROM ops")" "0 $before" \
	"records and ops"

# ------------------------------------------------------------------------------------------------------ list

t "list --form and --where on a select_one, a select_multiple and an integer"
run "$SONDEO" list --form partnership
check_eq "$(count_lines "$OUT")" 9 "lines of list --form partnership"
run "$SONDEO" list --where stakeholder_type=ministry
check_rc 0
check_eq "$(count_lines "$OUT")" 2 "lines of --where stakeholder_type=ministry"
check_out_has "$(printf '%.8s' "$mid") Ministry of Labour and Soci~ KEN                    "
run "$SONDEO" list --where level=regional
check_eq "$(printf '%s\n' "$OUT" | sed 1d | cut -c10-37 | sed 's/ *$//' | sort)" "Diaspora Development Network
University of the Andes Mig~" "--where level=regional"
run "$SONDEO" list --where scale_up_potential=4
check_eq "$(printf '%s\n' "$OUT" | sed 1d | cut -c10-37 | sed 's/ *$//' | sort)" "Association des Travailleur~
University of the Andes Mig~" "--where scale_up_potential=4"
run "$SONDEO" list --form partnership --where country=KEN --where level=local
check_eq "$(printf '%s\n' "$OUT" | sed 1d | cut -c10-37 | sed 's/ *$//' | sort)" "Nairobi City County
Radio Sin Fronteras" "two --where"
run "$SONDEO" list --where country=ZZZ
check_rc 0
check_eq "$(count_lines "$OUT")" 1 "lines when nothing matches"

t "list --search: any text answer, case-insensitive"
run "$SONDEO" list --search REMITTANCE
check_rc 0
check_eq "$(printf '%s\n' "$OUT" | sed 1d | cut -c10-37 | sed 's/ *$//' | sort)" "Diaspora Development Network
Village Savings and Remitta~" "--search REMITTANCE"
run "$SONDEO" list --search "complaints hotline"
check_eq "$(printf '%s\n' "$OUT" | sed 1d | cut -c10-37 | sed 's/ *$//')" "Ministry of Labour and Soci~" "--search in free text"
run "$SONDEO" list --search "100%"
check_eq "$(count_lines "$OUT")" 1 "lines for --search 100% (no record has it)"

t "list --search finds text with quotes, backslashes and line breaks as typed"
run "$SONDEO" new "$@" --set partner_name='Centro "Casa del Migrante"' --set notes='path C:\docs\2026
next line'
check_rc 0
qid=$OUT
run "$SONDEO" list --search 'Centro "Casa'
check_out_has "$(printf '%.8s' "$qid")"
run "$SONDEO" list --search 'C:\docs'
check_out_has "$(printf '%.8s' "$qid")"
run "$SONDEO" list --search "$(printf '2026\nnext')"
check_out_has "$(printf '%.8s' "$qid")"
run "$SONDEO" list --search 'Casa del Migrante'
check_out_has "$(printf '%.8s' "$qid")"
"$SONDEO" delete "$qid" >/dev/null

t "list --json is valid JSON with one object per record"
run "$SONDEO" list --json
check_rc 0
printf '%s\n' "$OUT" >"$scratch/list.json"
check_json "$scratch/list.json"
check_eq "$(jsql "$scratch/list.json" "json_array_length(j)")" 8 "records in list --json"
run "$SONDEO" list --json --deleted --where stakeholder_type=employer_recruiter
printf '%s\n' "$OUT" >"$scratch/list2.json"
check_eq "$(jsql "$scratch/list2.json" "json_array_length(j) || ' ' || json_extract(j, '\$[0].id') || ' ' ||
	json_extract(j, '\$[0].deleted') || ' ' || json_extract(j, '\$[0].status') || ' ' ||
	json_extract(j, '\$[0].partner_name')")" "1 $gid 1 final Gulf Recruitment Partners" "list --json --deleted"

# ------------------------------------------------------------------------------------------------------ show

t "show: labels, choice labels with their names, answers of every type"
aid=$(id_of "Association des Travailleurs Migrants")
run "$SONDEO" show "$aid"
check_rc 0
check_out_has "Form:    Inclusive and innovative partnerships on migration (partnership version 2)"
check_out_has "  What type of stakeholder is the partner? Migrant organization (migrant_organization)"
check_out_has "Local (local); National (national)"
check_out_has "International Dialogue on Migration (IDM) (idm); Global Forum on Migration and Development (GFMD) (gfmd)"
check_out_has "  Could the partnership be replicated elsewhere?"
check_out_has "Yes (yes)"
check_out_has "  Date of the interview                    2026-10-14"
check_out_has "  Location of the interview                48.8566 2.3522"
check_out_has "  Contact's e-mail address                 contact@atm.example.fr"
run "$SONDEO" --lang fr show "$aid"
check_out_has "  Pays                                     France (FRA)"
check_out_has "Organisation de migrants (migrant_organization)"

t "show --json"
run "$SONDEO" show "$aid" --json
check_rc 0
printf '%s\n' "$OUT" >"$scratch/show.json"
check_json "$scratch/show.json"
check_eq "$(jsql "$scratch/show.json" "json_extract(j, '\$.id') || ' ' || json_extract(j, '\$.status') || ' ' ||
	json_extract(j, '\$.answers.partner_name') || ' ' || json_extract(j, '\$.answers.level') || ' ' ||
	json_type(j, '\$.answers.scale_up_potential') || ' ' || json_extract(j, '\$.answers.scale_up_potential')")" \
	"$aid final Association des Travailleurs Migrants [\"local\",\"national\"] integer 4" "show --json"
run "$SONDEO" show "$mid" --json --history
printf '%s\n' "$OUT" >"$scratch/showh.json"
check_json "$scratch/showh.json"
check_eq "$(jsql "$scratch/showh.json" "json_array_length(j, '\$.history')")" "$(ops_of "$mid")" "history entries"

t "an unambiguous id prefix works, in any case; an ambiguous one is refused"
full=$(id_of "Radio Frontera")
run "$SONDEO" show "$(printf '%.8s' "$full")"
check_rc 0
check_out_has "Record $full"
run "$SONDEO" show "$(printf '%.8s' "$full" | tr a-f A-F)"
check_rc 0
check_out_has "Record $full"
# The shortest prefix of this id that no other id shares.
k=1
while [ "$k" -lt 8 ] && [ "$(q "SELECT count(*) FROM records WHERE substr(id, 1, $k) = substr('$full', 1, $k)")" != 1 ]; do
	k=$((k + 1))
done
run "$SONDEO" show "$(printf '%s' "$full" | cut -c1-$k)"
check_rc 0
check_out_has "Record $full"
# Records until two ids share their first digit (16 digits: at most 17 records).
n=0
while [ -z "$(q "SELECT substr(id, 1, 1) FROM records GROUP BY 1 HAVING count(*) > 1 LIMIT 1")" ] && [ $n -lt 20 ]; do
	"$SONDEO" new "$@" --set partner_name="Filler $n" >/dev/null
	n=$((n + 1))
done
digit=$(q "SELECT substr(id, 1, 1) FROM records GROUP BY 1 HAVING count(*) > 1 LIMIT 1")
dump "$scratch/amb1.dump"
run "$SONDEO" show "$digit"
check_rc 1
check_err_has "'$digit' matches several records; give more of the id"
run "$SONDEO" delete "$digit"
check_rc 1
check_err_has "matches several records"
run "$SONDEO" edit "$digit" --set notes=x
check_rc 1
check_err_has "matches several records"
dump "$scratch/amb2.dump"
cmp -s "$scratch/amb1.dump" "$scratch/amb2.dump" || fail "the store changed"

# ---------------------------------------------------------------------------------------------------- export

t "export --format csv: RFC 4180, header, quoting, select_multiple as space-separated names"
seed
run "$SONDEO" new "$@" --set partner_name='Comma, "Quote" Org' --set notes='Line one
line two' --set level="local national" --set achievements="  spaced  " --set location="-1.5 36.25"
check_rc 0
tid=$OUT
run "$SONDEO" export --format csv -o "$scratch/out.csv"
check_rc 0
check_eq "$OUT" "" "stdout of export -o"
check_eq "$ERR" "exported 9 records to $scratch/out.csv" "stderr of export -o"
check_file_mode "$scratch/out.csv" 600
check_eq "$(head -n 1 "$scratch/out.csv")" "_id,partner_name,stakeholder_type,stakeholder_type_other,country,level,\
thematic_areas,policy_areas,platforms,partnership_model,achievements,challenges,good_practices,replicable,\
scale_up_potential,contact_name,contact_email,interview_date,location,location/latitude,location/longitude,\
location/altitude,location/accuracy,notes,_form_version,_status,_created,_updated,_conflicts,_region,_review,\
_review_comment$(printf '\r')" "CSV header"
# Every record ends with CRLF; the line break inside the quoted notes is kept as typed.
check_eq "$(grep -c "$(printf '\r')\$" "$scratch/out.csv")" 10 "lines ending in CRLF"
check_eq "$(wc -l <"$scratch/out.csv" | tr -d ' ')" 11 "lines in the file"
mrow=$(grep "^$(id_of "Ministry of Labour and Social Protection")," "$scratch/out.csv" | tr -d '\r')
check_eq "$(printf '%s' "$mrow" | sed 's/,2,final,.*//')" "$(id_of "Ministry of Labour and Social Protection"),\
Ministry of Labour and Social Protection,ministry,,KEN,national bilateral,human_rights vulnerable_migrants,\
employment human_rights,gfmd global_compact,Bilateral labour agreement with a destination country and a joint \
working group,\"Pre-departure orientation for 4,000 workers; a complaints hotline\",Recruitment fees still charged \
by unlicensed agents,Joint monitoring of recruitment agencies with the destination country,yes,4,Grace Wanjiru,\
g.wanjiru@labour.example.ke,2026-10-02,-1.2921 36.8219,-1.2921,36.8219,,,Follow up on the hotline statistics" \
	"the Ministry's row: the location, then its latitude, longitude, altitude and accuracy"
check_eq "$(printf '%s' "$mrow" | sed 's/.*,2,final,[0-9TZ:-]*,[0-9TZ:-]*,//')" "0,,pending," \
	"_conflicts, _region (not enrolled), _review, _review_comment"
check_eq "$(sed -n "/^$tid,/,/line two/p" "$scratch/out.csv" | tr -d '\r' | sed 's/,2,final,.*//')" "$tid,\
\"Comma, \"\"Quote\"\" Org\",media,,KEN,local national,human_rights,,,,\"  spaced  \",,,,,,,2026-11-01,-1.5 36.25,-1.5,\
36.25,,,\"Line one
line two\"" "the row with commas, quotes, spaces and a line break"

t "an exported CSV loads again with new --from and gives the same answers (the location's parts skipped)"
cols="partner_name, stakeholder_type, stakeholder_type_other, country, level, thematic_areas, policy_areas, platforms,
	partnership_model, achievements, challenges, good_practices, replicable, scale_up_potential, contact_name,
	contact_email, interview_date, location, notes"
q "SELECT $cols FROM form_partnership ORDER BY partner_name" >"$scratch/a.rows"
first=$SONDEO_HOME
new_store
"$SONDEO" init >/dev/null
run "$SONDEO" new --from "$scratch/out.csv"
check_rc 0
check_uuids "$OUT" 9
q "SELECT $cols FROM form_partnership ORDER BY partner_name" >"$scratch/b.rows"
cmp -s "$scratch/a.rows" "$scratch/b.rows" || fail "the answers differ: $(diff "$scratch/a.rows" "$scratch/b.rows" | head -5)"
check_eq "$(q "SELECT json_type(value) FROM fields WHERE field = 'level' LIMIT 1") \
$(q "SELECT json_type(value) FROM fields WHERE field = 'scale_up_potential' LIMIT 1")" "array integer" "types"
SONDEO_HOME=$first

t "export --format csv: text a spreadsheet could run goes out after an apostrophe, and new --from reads it as typed"
first=$SONDEO_HOME
new_store
"$SONDEO" init >/dev/null
run "$SONDEO" new --set partner_name='=HYPERLINK("http://x.example","open me")' --set stakeholder_type=media \
	--set country=KEN --set level=local --set thematic_areas=human_rights --set interview_date=2026-11-01 \
	--set notes="'=already quoted" --set achievements="'tis done" --set location="-1.5 36.25"
check_rc 0
run "$SONDEO" export --format csv -o "$scratch/guard.csv"
check_rc 0
row=$(sed -n 2p "$scratch/guard.csv")
case $row in *',"'"'"'=HYPERLINK(""http://x.example"",""open me"")",media,'*) ;; *) fail "partner_name not guarded: $row" ;; esac
case $row in *",''=already quoted"*) ;; *) fail "notes not guarded: $row" ;; esac
case $row in *",'tis done,"*) ;; *) fail "an apostrophe before a letter was changed: $row" ;; esac
case $row in *",-1.5 36.25,-1.5,36.25,,,"*) ;; *) fail "the location or its parts were guarded: $row" ;; esac
q "SELECT partner_name, notes, achievements, location FROM form_partnership" >"$scratch/guard.a"
new_store
"$SONDEO" init >/dev/null
run "$SONDEO" new --from "$scratch/guard.csv"
check_rc 0
q "SELECT partner_name, notes, achievements, location FROM form_partnership" >"$scratch/guard.b"
cmp -s "$scratch/guard.a" "$scratch/guard.b" || fail "read back otherwise: $(cat "$scratch/guard.a") / $(cat "$scratch/guard.b")"
check_eq "$(head -c 10 "$scratch/guard.b")" '=HYPERLINK' "the name as typed"
SONDEO_HOME=$first

t "export --format json: valid, native arrays and numbers"
run "$SONDEO" export --format json
check_rc 0
printf '%s\n' "$OUT" >"$scratch/out.json"
check_json "$scratch/out.json"
mi=$(id_of "Ministry of Labour and Social Protection")
check_eq "$(jsql "$scratch/out.json" "json_array_length(j)")" 9 "records in the JSON export"
check_eq "$(jsql "$scratch/out.json" "(SELECT json_type(value, '\$.level') || ' ' || json_extract(value, '\$.level') || ' ' ||
	json_type(value, '\$.scale_up_potential') || ' ' || json_type(value, '\$.partner_name') || ' ' ||
	json_extract(value, '\$._status') || ' ' || json_type(value, '\$._conflicts') || ' ' ||
	coalesce(json_type(value, '\$.stakeholder_type_other'), 'absent')
	FROM json_each(j) WHERE json_extract(value, '\$._id') = '$mi')")" \
	'array ["national","bilateral"] integer text final integer absent' "types in the JSON export"
run "$SONDEO" export --form partnership --format json -o "$scratch/out2.json"
check_rc 0
check_eq "$ERR" "exported 9 records to $scratch/out2.json"
cmp -s "$scratch/out.json" "$scratch/out2.json" || fail "export -o and export to stdout differ"

t "export --format geojson: a FeatureCollection of the records with a location, as [lon, lat]"
run "$SONDEO" new "$@" --set partner_name="Nowhere Known"
run "$SONDEO" export --format geojson -o "$scratch/out.geojson"
check_rc 0
check_eq "$ERR" "exported 9 records to $scratch/out.geojson"
check_json "$scratch/out.geojson"
check_eq "$(jsql "$scratch/out.geojson" "json_extract(j, '\$.type') || ' ' || json_array_length(j, '\$.features')")" \
	"FeatureCollection 9" "type and features"
check_eq "$(jsql "$scratch/out.geojson" "(SELECT json_extract(value, '\$.type') || ' ' ||
	json_extract(value, '\$.geometry.type') || ' ' || round(json_extract(value, '\$.geometry.coordinates[0]'), 6) ||
	' ' || round(json_extract(value, '\$.geometry.coordinates[1]'), 6) || ' ' ||
	json_array_length(value, '\$.geometry.coordinates') || ' ' || json_extract(value, '\$.properties.country')
	FROM json_each(j, '\$.features') WHERE json_extract(value, '\$.properties._id') = '$mi')")" \
	"Feature Point 36.8219 -1.2921 2 KEN" "the Ministry's feature"
check_eq "$(jsql "$scratch/out.geojson" "(SELECT round(json_extract(value, '\$.geometry.coordinates[0]'), 6) || ' ' ||
	round(json_extract(value, '\$.geometry.coordinates[1]'), 6) FROM json_each(j, '\$.features')
	WHERE json_extract(value, '\$.properties._id') = '$tid')")" "36.25 -1.5" "a negative latitude"
check_eq "$(jsql "$scratch/out.geojson" "(SELECT count(*) FROM json_each(j, '\$.features')
	WHERE json_extract(value, '\$.properties.partner_name') = 'Nowhere Known')")" 0 "a record without a location"

t "export -o replaces an existing file"
echo "old content" >"$scratch/replace.csv"
run "$SONDEO" export --format csv -o "$scratch/replace.csv"
check_rc 0
check_eq "$(head -c 4 "$scratch/replace.csv")" "_id," "start of the replaced file"
check_eq "$(ls "$scratch" | grep -c 'replace.csv.tmp')" 0 "temporary files left"

# ---------------------------------------------------------------------------------------------------- status

t "status and status --json count records, drafts, deletions and unsynced changes"
"$SONDEO" new --draft --set partner_name="Draft Status" >/dev/null
"$SONDEO" delete "$(id_of "Radio Frontera")" >/dev/null
ops=$(q "SELECT count(*) FROM ops")
run "$SONDEO" status
check_rc 0
check_eq "$OUT" "device:      $(q "SELECT value FROM meta WHERE key = 'device'")
store:       $SONDEO_HOME
records:     9 final, 1 draft, 1 deleted
not synced:  $ops changes"
run "$SONDEO" status --json
check_rc 0
printf '%s\n' "$OUT" >"$scratch/status.json"
check_json "$scratch/status.json"
check_eq "$(jsql "$scratch/status.json" "json_extract(j, '\$.records') || ' ' || json_extract(j, '\$.drafts') || ' ' ||
	json_extract(j, '\$.deleted') || ' ' || json_extract(j, '\$.conflicts') || ' ' || json_extract(j, '\$.unsynced_ops')
	|| ' ' || json_extract(j, '\$.store')")" "9 1 1 0 $ops $SONDEO_HOME" "status --json"

t "the sqlite3 view form_partnership has one column per question and the answers"
check_eq "$(q "SELECT group_concat(name, ',') FROM pragma_table_info('form_partnership')")" \
	"id,status,deleted,conflicts,form_version,created,updated,partner_name,stakeholder_type,stakeholder_type_other,\
country,level,thematic_areas,policy_areas,platforms,partnership_model,achievements,challenges,good_practices,\
replicable,scale_up_potential,contact_name,contact_email,interview_date,location,notes" "view columns"
check_eq "$(q "SELECT status, deleted, form_version, partner_name, stakeholder_type, country, level, thematic_areas,
	policy_areas, platforms, replicable, scale_up_potential, typeof(scale_up_potential), contact_email,
	interview_date, location FROM form_partnership WHERE partner_name LIKE 'Diaspora%'")" \
	"final|0|2|Diaspora Development Network|diaspora_organization|SEN|national regional|sustainable_development|\
development employment|gfmd|yes|5|integer|awa.diop@ddn.example.org|2026-10-07|14.7167 -17.4677" "a row of the view"
check_eq "$(q "SELECT count(*), sum(status = 'draft'), sum(deleted) FROM form_partnership")" "11|1|1" "rows"

# -------------------------------------------------------------------------------------------- help and usage

t "--help on every command exits 0 with its usage on stdout"
for c in init forms form new edit delete list show export status; do
	run "$SONDEO" "$c" --help
	check_rc 0
	case $OUT in "usage: sondeo $c"*) ;; *) fail "'$c --help' printed '$OUT'" ;; esac
	check_eq "$ERR" "" "stderr of $c --help"
done
run "$SONDEO" --help
check_rc 0
check_out_has "usage: sondeo [--store DIR] [--lang LANG] COMMAND [ARGS]"
check_out_has "  export   export records"
run "$SONDEO" help list
check_rc 0
check_out_has "usage: sondeo list [--form F]"
run "$SONDEO" show --help "$aid"
check_rc 0
check_out_has "usage: sondeo show ID [--history] [--json]"

t "an unknown command or option exits 2 with the usage on stderr"
run "$SONDEO" frobnicate
check_rc 2
check_eq "$OUT" "" "stdout"
check_err_has "sondeo: unknown command 'frobnicate'"
check_err_has "usage: sondeo [--store DIR] [--lang LANG] COMMAND [ARGS]"
run "$SONDEO" list --frobnicate
check_rc 2
check_eq "$OUT" "" "stdout"
check_err_has "sondeo list: unknown option '--frobnicate'"
check_err_has "usage: sondeo list [--form F]"
run "$SONDEO" --frobnicate status
check_rc 2
check_err_has "sondeo: unknown option '--frobnicate'"
for c in init forms form new edit delete list show export status; do
	run "$SONDEO" "$c" --frobnicate
	check_rc 2
	check_eq "$OUT" "" "stdout of $c --frobnicate"
	check_err_has "sondeo $c: unknown option '--frobnicate'"
	check_err_has "usage: sondeo $c"
	run "$SONDEO" "$c" extra arguments here
	check_rc 2
	check_err_has "usage: sondeo $c"
done
run "$SONDEO" new -x
check_rc 2
check_err_has "sondeo new: unknown option '-x'"
check_err_has "usage: sondeo new [FORM]"
run "$SONDEO"
check_rc 2
check_err_has "usage: sondeo [--store DIR]"
run "$SONDEO" show
check_rc 2
check_err_has "sondeo show: which record? give its id"
run "$SONDEO" export
check_rc 2
check_err_has "which format? give --format csv, xlsx, json or geojson"

done_testing
