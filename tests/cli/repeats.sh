#!/bin/sh
# repeats.sh - a form with a repeat (XLSForm begin repeat / end repeat): each instance is a record of its own
# naming its record (_parent) and its repeat (_repeat), added with `sondeo new --parent ID --repeat NAME` or at
# the terminal ("Add a Member? [y/N]"), checked with its record's answers in view, listed with its record,
# exported apart (--repeat), synced and merged like any record, kept out of the records table and the dashboard
# at headquarters, and deleted with its record.
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"
py_start   # one python3 for the whole script: lib.sh's py

printf '%s' '{"survey": [["type", "name", "label", "relevant", "constraint"], ["text", "hh", "Household"],
	["integer", "size", "Size"], ["begin repeat", "member", "Member"], ["text", "mname", "Name"],
	["integer", "age", "Age", null, ". <= 120"], ["text", "why", "Why so many?", "${size} > 5"], ["end repeat"],
	["text", "after", "After"]], "settings": [["form_id", "version"], ["household", "1"]]}' >"$TMPDIR/hh.json"
py "$TOP/tests/mkxlsx.py" "$TMPDIR/household.xlsx" "$TMPDIR/hh.json" || fail "mkxlsx failed"
hq_init "$hq" >/dev/null
"$SONDEOD" forms --data "$hq" publish "$TMPDIR/household.xlsx" >/dev/null || fail "the form was not published"
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
code=$("$SONDEOD" enrol-code --data "$hq" --region east --uses 2 | head -n 1)
for d in a b; do
	SONDEO_HOME=$TMPDIR/dev-$d "$SONDEO" init --name "laptop-$d" >/dev/null
	SONDEO_HOME=$TMPDIR/dev-$d "$SONDEO" enrol "$URL" "$code" >/dev/null
done

t "the repeat is read from the workbook, and written back"
dev a form show household --json
check_out_has '"repeat": true'
check_out_has '"group": "member"'
dev a form export household -o "$TMPDIR/back.xlsx"
check_rc 0
run "$(dirname "$SONDEO")/tests/xlsxdump" "$TMPDIR/back.xlsx"
check_out_has "begin repeat"
check_out_has "end repeat"

t "an instance is added to a record with --parent and --repeat, checked with the record's answers in view"
dev a new household --set hh=Okello --set size=6
check_rc 0
parent=$(printf '%s' "$OUT" | tail -n 1)
dev a new --parent "$parent" --repeat member --set mname=Ana --set age=34 --set why="big family"
check_rc 0
ana=$(printf '%s' "$OUT" | tail -n 1)
dev a new --parent "$(printf %.8s "$parent")" --repeat member --set mname=Ben --set age=3
check_rc 0
ben=$(printf '%s' "$OUT" | tail -n 1)
dev a new --parent "$parent" --repeat member --set mname=Old --set age=200
check_rc 1
check_err_has "does not satisfy: . <= 120"
dev a new --parent "$parent" --repeat member --set hh=Other
check_rc 1
check_err_has "--set: hh is not a question of repeat member"
dev a new --parent "$parent" --repeat members --set mname=X
check_rc 1
check_err_has "form 'household' has no repeat 'members'"
dev a new household --set hh=Lone --set mname=Z
check_rc 1
check_err_has "is answered in the records of repeat member, not in the record itself"
dev a new --parent "$parent" --set mname=X
check_rc 2
check_err_has "--parent ID and --repeat NAME go together"

t "list shows records, show lists a record's instances, and an instance names its record"
dev a list --form household
check_out_has "Okello"
check_out_lacks "Ana"
check_eq "$(printf '%s\n' "$OUT" | grep -c household)" 0 "rows naming the form"
check_eq "$(printf '%s\n' "$OUT" | sed 1d | grep -c .)" 1 "records listed"
dev a show "$parent"
check_out_has "  -- Member --"
check_out_has "   1. $(printf %.8s "$ana")  Name: Ana; Age: 34; Why so many?: big family"
check_out_has "Name: Ben; Age: 3"
dev a show "$ana"
check_out_has "Part of: $parent (Member)"
# Unanswered, and relevant by its record's answers (size 6): listed as such.
dev a show "$ben"
check_out_has "Why so many?                             -"

t "editing an instance keeps its record's answers in view; a record cannot take a repeat's answers"
dev a edit "$ana" --set age=35
check_rc 0
check_out_has "1 change"
check_out_lacks "cleared"
dev a show "$ana" --json
check_out_has '"why": "big family"'
check_out_has '"age": 35'
dev a edit "$parent" --set mname=Nobody
check_rc 1
check_err_has "is answered in the records of repeat member, not in the record itself"
dev a edit "$ana" --set age=34

t "sondeo export: the records, or with --repeat the instances and their record"
dev a export --form household --format csv
check_out_has "_id,hh,size,after,_form_version"
check_out_lacks "Ana"
dev a export --form household --format csv --repeat member
check_out_has "_id,_parent,mname,age,why,_form_version"
check_out_has "$ana,$parent,Ana,34,big family,1,final"

t "at the terminal: Add a Member? for each instance, saved as a record of its own"
run env SONDEO_HOME="$TMPDIR/dev-a" "$PTYRUN" -v -t 15 - -- "$SONDEO" new household <<'EOF'
expect [1/6] Household
send Mugisha
expect [2/6] Size
send 2
expect Add a Member? [y/N]
send y
expect [3/6] Name
send Cleo
expect [4/6] Age
send 40
expect Saved Member 1
expect Add another Member? [y/N]
send n
expect [6/6] After
send done
expect [f]inalize (Enter)
send
expect Finalized record
EOF
check_rc 0
check_out_lacks "Why so many?"
second=$(sqlite3 "$TMPDIR/dev-a/store.db" "SELECT r.id FROM records r JOIN fields f ON f.rid = r.rid
	AND f.field = 'hh' WHERE f.value = '\"Mugisha\"'")
dev a show "$second"
check_out_has "Name: Cleo; Age: 40"
# Editing it at the terminal: its instances are counted, and the offer is for another.
run env SONDEO_HOME="$TMPDIR/dev-a" "$PTYRUN" -v -t 15 - -- "$SONDEO" edit "$second" <<'EOF'
expect [1/6] Household
send
expect [2/6] Size
send
expect Member: 1 already
expect Add another Member? [y/N]
send n
expect [6/6] After
send
expect Saved.
EOF
check_rc 0

t "repeat_count: the form fixes how many instances a record takes, from its answers"
printf '%s' '{"survey": [["type", "name", "label", "repeat_count"], ["integer", "n", "Children"],
	["begin repeat", "child", "Child", "${n}"], ["text", "cname", "Name"], ["end repeat"], ["text", "after", "After"]],
	"settings": [["form_id"], ["family"]]}' >"$TMPDIR/family.json"
py "$TOP/tests/mkxlsx.py" "$TMPDIR/family.xlsx" "$TMPDIR/family.json" || fail "mkxlsx failed"
SONDEO_HOME=$TMPDIR/dev-c "$SONDEO" init --name laptop-c >/dev/null
dev c form import "$TMPDIR/family.xlsx"
check_rc 0
dev c form show family --json
check_out_has '"repeat_count": "${n}"'
dev c form show family
check_out_has '-- Child --  how many: ${n}'
dev c new family --set n=2
check_rc 0
fam=$(printf '%s' "$OUT" | tail -n 1)
dev c show "$fam"
check_out_has "  -- Child: 0 of 2 --"
dev c new --parent "$fam" --repeat child --set cname=Ama
check_rc 0
dev c new --parent "$fam" --repeat child --set cname=Kofi
check_rc 0
dev c new --parent "$fam" --repeat child --set cname=Esi
check_rc 1
check_err_has "record $(printf %.8s "$fam") has all 2 instances of child already (repeat_count: \${n})"
dev c show "$fam"
check_out_has "  -- Child: 2 of 2 --"
check_out_lacks "Esi"
# At the terminal: no question whether to add one, each is offered in turn; n leaves the rest for an edit.
run env SONDEO_HOME="$TMPDIR/dev-c" "$PTYRUN" -v -t 15 - -- "$SONDEO" new family <<'EOF'
expect [1/3] Children
send 2
expect Child 1 of 2: Enter fills it, n leaves the rest for later:
send
expect [2/3] Name
send Yaw
expect Saved Child 1
expect Child 2 of 2: Enter fills it, n leaves the rest for later:
send n
expect [3/3] After
send done
expect [f]inalize (Enter)
send
expect Finalized record
EOF
check_rc 0
check_out_lacks "Add a Child"
second=$(sqlite3 "$TMPDIR/dev-c/store.db" "SELECT r.id FROM records r JOIN fields f ON f.rid = r.rid
	AND f.field = 'after' WHERE f.value = '\"done\"'")
run env SONDEO_HOME="$TMPDIR/dev-c" "$PTYRUN" -v -t 15 - -- "$SONDEO" edit "$second" <<'EOF'
expect [1/3] Children
send
expect Child: 1 of 2 already
expect Child 2 of 2: Enter fills it
send
expect [2/3] Name
send Adjoa
expect Saved Child 2
expect [3/3] After
send
expect Saved.
EOF
check_rc 0
dev c show "$second"
check_out_has "  -- Child: 2 of 2 --"
check_out_has "Name: Adjoa"
# Written back with its repeat_count; what cannot be is refused with the row.
dev c form export family -o "$TMPDIR/family-back.xlsx"
check_rc 0
run "$(dirname "$SONDEO")/tests/xlsxdump" "$TMPDIR/family-back.xlsx"
check_out_has "\${n}"
printf '%s' '{"survey": [["type", "name", "label", "repeat_count"], ["integer", "n", "N", "3"]]}' >"$TMPDIR/rc1.json"
py "$TOP/tests/mkxlsx.py" "$TMPDIR/rc1.xlsx" "$TMPDIR/rc1.json" || fail "mkxlsx failed"
dev c form import "$TMPDIR/rc1.xlsx"
check_rc 1
check_err_has "sheet 'survey', row 2, column D (repeat_count): a repeat_count is for a begin repeat row"
printf '%s' '{"survey": [["type", "name", "label", "repeat_count"], ["begin repeat", "r", "R", "${nope}"],
	["text", "a", "A"], ["end repeat"]], "settings": [["form_id"], ["rc2"]]}' >"$TMPDIR/rc2.json"
py "$TOP/tests/mkxlsx.py" "$TMPDIR/rc2.xlsx" "$TMPDIR/rc2.json" || fail "mkxlsx failed"
dev c form import "$TMPDIR/rc2.xlsx"
check_rc 1
check_err_has "sheet 'survey', row 2: group 'r': repeat_count names unknown question 'nope'"

t "instances sync like any record: headquarters and the other laptop hold them, apart from the records"
dev a sync
check_rc 0
dev b sync
check_rc 0
dev b show "$parent"
check_out_has "Name: Ana; Age: 34"
dev b list --form household
check_eq "$(printf '%s\n' "$OUT" | sed 1d | grep -c .)" 2 "records on the other laptop"
printf 'first-password-1\n' >"$TMPDIR/pw"
"$SONDEOD" users --data "$hq" add rita --role reviewer --password-file "$TMPDIR/pw" >/dev/null
curl -s -c "$TMPDIR/jar" -H 'Content-Type: application/json' -d '{"user":"rita","password":"first-password-1"}' \
	"$URL/v1/login" >"$TMPDIR/answer"
csrf=$(sed -n 's/.*"csrf": *"\([0-9a-f]*\)".*/\1/p' "$TMPDIR/answer")
curl -s -b "$TMPDIR/jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
	-d '{"old":"first-password-1","new":"second-password-2"}' "$URL/v1/password" >/dev/null
curl -s -b "$TMPDIR/jar" "$URL/v1/records?form=household" >"$TMPDIR/records.json"
check_eq "$(py -c 'import json, sys; print(json.load(open(sys.argv[1]))["total"])' "$TMPDIR/records.json")" 2 \
	"records of the form at headquarters"
curl -s -b "$TMPDIR/jar" "$URL/v1/dashboard?form=household" >"$TMPDIR/dash.json"
check_eq "$(py -c 'import json, sys; print(json.load(open(sys.argv[1]))["totals"]["records"])' "$TMPDIR/dash.json")" 2 \
	"records on the dashboard"
curl -s -b "$TMPDIR/jar" "$URL/v1/record?id=$parent" >"$TMPDIR/record.json"
check_eq "$(py -c 'import json, sys; print(sorted(i["repeat"] for i in json.load(open(sys.argv[1]))["instances"]))' \
	"$TMPDIR/record.json")" "['member', 'member']" "the record's instances"
run "$SONDEOD" export --data "$hq" --form household --repeat member --format csv
check_rc 0
check_out_has "_id,_parent,mname,age,why"
check_out_has "$ana,$parent,Ana,34,big family"
check_eq "$(printf '%s\n' "$OUT" | sed 1d | grep -c .)" 3 "instances exported"

t "a repeat's export under filters: the instances of the selected records (a search, a review, the dates)"
# instances FILTER... : the names of the members sondeod export gives with those filters, sorted.
instances() {
	run "$SONDEOD" export --data "$hq" --form household --repeat member --format csv "$@"
	check_rc 0
	printf '%s\n' "$OUT" | sed 1d | cut -d, -f3 | LC_ALL=C sort | tr '\n' ' '
}
check_eq "$(instances --search Okello)" "Ana Ben " "the instances of the record a search finds"
check_eq "$(instances --review approved)" "" "approved records' instances, before any review"
curl -s -b "$TMPDIR/jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
	-d "{\"record\": \"$parent\", \"status\": \"approved\", \"comment\": \"\"}" "$URL/v1/review" >"$TMPDIR/answer"
check_eq "$(instances --review approved)" "Ana Ben " "approved records' instances"
check_eq "$(instances --review pending | wc -w)" 1 "the instances of the records pending review"
check_eq "$(instances --from "$(date -u +%F)")" "$(instances)" "the instances of records created today"
check_eq "$(instances --to 2020-01-01)" "" "the instances of records created before 2020"
run "$SONDEOD" export --data "$hq" --form household --repeat member --format csv --date hh
check_rc 1
check_err_has "filter 'date': form 'household' has no date question 'hh'"

if [ "${SONDEO_TEST_ENGINE:-sqlite}" = sqlite ]; then
	t "sondeod backup: a copy of the store taken while it serves, with a view of the records and one of the instances"
	run "$SONDEOD" backup --data "$hq" -o "$TMPDIR/copy.db" --without-secrets
	check_rc 0
	check_err_has "copied the store to $TMPDIR/copy.db"
	check_file_mode "$TMPDIR/copy.db" 600
	check_eq "$(sqlite3 -separator ' ' "$TMPDIR/copy.db" "SELECT _id, _status, _review, hh, size FROM form_household WHERE _id = '$parent'")" \
		"$parent final approved Okello 6" "the record in its view (approved above)"
	check_eq "$(sqlite3 -separator ' ' "$TMPDIR/copy.db" "SELECT _parent, mname, age FROM \"form_household:member\" WHERE _id = '$ana'")" \
		"$parent Ana 34" "the instance in its view"
	check_eq "$(sqlite3 "$TMPDIR/copy.db" "SELECT count(*) FROM users; SELECT count(*) FROM sessions" | tr '\n' ' ')" "0 0 " \
		"accounts and sessions in a copy without secrets"
	[ "$(q "$hq" "SELECT count(*) FROM users")" -gt 0 ] || fail "the server's own accounts are gone"
	run "$SONDEOD" backup --data "$hq" -o "$TMPDIR/copy.db"
	check_rc 1
	check_err_has "cannot create '$TMPDIR/copy.db'"
	run "$SONDEOD" backup --data "$hq"
	check_rc 2
else
	t "sondeod backup of a store on PostgreSQL: refused, naming PostgreSQL's own tools, and no file left"
	run "$SONDEOD" backup --data "$hq" -o "$TMPDIR/copy.db" --without-secrets
	check_rc 1
	check_err_has "PostgreSQL's own tools (pg_dump, pg_basebackup)"
	check_file_absent "$TMPDIR/copy.db"
fi

t "deleting a record deletes its instances, on every replica"
dev a delete "$parent"
check_rc 0
check_out_has "and its 2 repeat instances"
dev a sync
dev b sync
dev b show "$ana"
check_out_has "deleted"
run "$SONDEOD" export --data "$hq" --form household --repeat member --format csv
check_eq "$(printf '%s\n' "$OUT" | sed 1d | grep -c .)" 1 "instances exported after the deletion"

done_testing
