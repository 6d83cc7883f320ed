#!/bin/sh
# pseudo.sh - no English reaches the terminal without a catalog: sondeo's and sondeod's commands, their help, their
# errors and the interactive prompts, run in the test build's pseudo-language qps (scripts/pseudo.awk: every
# message accented and wrapped in ⟦ ⟧), and every word left outside ⟦ ⟧ that is not data the test put in (the
# form's own texts, answers, names) fails, with the command and the line it was seen on (unwrapped.awk).
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
. "$TOP/tests/cli/lib.sh"

unset LANGUAGE LC_ALL LC_MESSAGES XDG_DATA_HOME
LANG=qps
SONDEO_TODAY=2024-05-06
export LANG SONDEO_TODAY

scratch=$(mktemp -d "${TMPDIR:-/tmp}/pseudo.XXXXXX")
at_exit "rm -rf '$scratch'"
new_store

# The data: every string of the built-in form (its texts are shown as they are, in its default language), and
# what the test types.
grep -o '"\([^"\\]\|\\.\)*"' "$TOP/forms/partnership.json" | sed 's/^"//; s/"$//' >"$scratch/data"
cat >>"$scratch/data" <<'DATA'
Nairobi City County
Radio Frontera
kisumu-laptop-3
Short funding cycles
pseudo-hq
reviewer-ana
kenya
nowhere
KEN
KE
admin
DATA
# The roles, shown as the words --role takes.
printf '%s\n' admin reviewer viewer >>"$scratch/data"
# The questions' names, as list heads its columns with them.
sed -n 's/^ *"name": "\([a-z_]*\)".*/\1/p' "$TOP/forms/partnership.json" | tr a-z A-Z >>"$scratch/data"
# The commands' names, which people type as they are.
{ LANG=C.UTF-8 "$SONDEO" --help; LANG=C.UTF-8 "$SONDEOD" --help; } 2>&1 | sed -n 's/^  \([a-z-]*\)  .*/\1/p' >>"$scratch/data"

# Longest first, as unwrapped.awk takes them, sorted once here rather than at each of its runs (the form has
# some three thousand strings).
awk 'length($0) > 1 { print length($0) "\t" $0 }' "$scratch/data" | sort -t "$(printf '\t')" -k1,1nr -k2 | uniq |
	cut -f 2- >"$scratch/data.sorted"
mv "$scratch/data.sorted" "$scratch/data"

# said WHAT : the last command's output and errors have no word outside the catalogs' messages and the data.
said() {
	printf '%s\n%s\n' "$OUT" "$ERR" >"$scratch/said"
	found=$(awk -v where="$1" -v data="$scratch/data" -f "$TOP/tests/cli/unwrapped.awk" "$scratch/said")
	[ -z "$found" ] || fail "English outside the catalogs:
$found"
	# And something was said in the pseudo-language: a command that printed nothing proves nothing.
	grep -q '⟦' "$scratch/said" || fail "$1 said nothing in the pseudo-language: $(head -c 300 "$scratch/said")"
}

t "sondeo's help: the list of commands, and each command's --help"
run "$SONDEO" --help
check_rc 0
said "sondeo --help"
for c in $(printf '%s\n' "$OUT" | sed -n 's/^  \([a-z-]*\)  .*/\1/p'); do
	run "$SONDEO" "$c" --help
	check_rc 0
	said "sondeo $c --help"
done

t "sondeo's usage errors"
run "$SONDEO" frob
check_rc 2
said "sondeo frob"
run "$SONDEO" list --frob
check_rc 2
said "sondeo list --frob"
run "$SONDEO" --store
check_rc 2
said "sondeo --store"
run "$SONDEO" --lang de list
check_rc 2
said "sondeo --lang de list"

t "init, forms, form show and form export"
run "$SONDEO" list
check_rc 1
said "sondeo list before init"
run "$SONDEO" init --name kisumu-laptop-3
check_rc 0
said "sondeo init"
run "$SONDEO" init
check_rc 1
said "sondeo init again"
run "$SONDEO" forms
check_rc 0
said "sondeo forms"
run "$SONDEO" form show partnership
check_rc 0
said "sondeo form show"
run "$SONDEO" form show nope
check_rc 1
said "sondeo form show nope"
run "$SONDEO" form export partnership -o "$scratch/form.xlsx"
check_rc 0
said "sondeo form export"
printf 'not a workbook' >"$scratch/bad.xlsx"
run "$SONDEO" form import "$scratch/bad.xlsx"
check_rc 1
said "sondeo form import of a bad file"

t "new, edit, list, show, delete, with their refusals"
run "$SONDEO" new --set partner_name="Nairobi City County" --set stakeholder_type=local_government \
	--set country=KEN --set level=local --set thematic_areas=vulnerable_migrants
check_rc 0
id=$(printf '%s\n' "$OUT" | tail -n 1)
run "$SONDEO" new --set partner_name="Radio Frontera" --set country=kenya --set level=nowhere
check_rc 1
said "sondeo new with bad answers"
printf 'partner_name,country\nRadio Frontera,KE\n' >"$scratch/in.csv"
run "$SONDEO" new --from "$scratch/in.csv"
check_rc 1
said "sondeo new --from a bad file"
run "$SONDEO" new --draft --set partner_name="Radio Frontera"
check_rc 0
run "$SONDEO" edit "$id" --set challenges="Short funding cycles"
check_rc 0
said "sondeo edit --set"
run "$SONDEO" edit "$id" --set scale_up_potential=9
check_rc 1
said "sondeo edit with a bad answer"
run "$SONDEO" list
check_rc 0
said "sondeo list"
run "$SONDEO" list --drafts
check_rc 0
said "sondeo list --drafts"
run "$SONDEO" list --where nope=1
check_rc 1
said "sondeo list --where an unknown question"
run "$SONDEO" show "$id" --history
check_rc 0
said "sondeo show --history"
run "$SONDEO" show ffff
check_rc 1
said "sondeo show of no record"
run "$SONDEO" resolve "$id"
said "sondeo resolve without a conflict"
run "$SONDEO" status
check_rc 0
said "sondeo status"

t "export, sync and enrol, and what they refuse"
run "$SONDEO" export --format csv -o "$scratch/out.csv"
check_rc 0
said "sondeo export"
run "$SONDEO" export --format xlsx -o "$scratch/out.xlsx"
check_rc 0
said "sondeo export --format xlsx"
run "$SONDEO" export --format frob
check_rc 2
said "sondeo export --format frob"
run "$SONDEO" sync
check_rc 1
said "sondeo sync before enrolment"
run "$SONDEO" enrol http://127.0.0.1:9 K7QF-2MZX-9RTA-HB4E-WCJ8
check_rc 3
said "sondeo enrol with no server"
run "$SONDEO" delete "$id"
check_rc 0
said "sondeo delete"

t "new at a terminal: the prompts, the hints of the keys, help, a refused answer, Ctrl-D"
run "$PTYRUN" -v -t 15 - -- "$SONDEO" new <<'PTY'
expect [1/19]
send Radio Frontera
expect [2/19]
send 99
expect 15)
send ?
expect Çtrl-D
sendraw \x04
expect édít
exit 0
PTY
check_rc 0
said "sondeo new at a terminal"

t "sondeod's help, commands and errors"
run "$SONDEOD" --help
check_rc 0
said "sondeod --help"
for c in $(printf '%s\n' "$OUT" | sed -n 's/^  \([a-z-]*\)  .*/\1/p'); do
	run "$SONDEOD" "$c" --help
	check_rc 0
	said "sondeod $c --help"
done
run "$SONDEOD" frob
check_rc 2
said "sondeod frob"
run "$SONDEOD" status --data "$scratch/hq"
check_rc 1
said "sondeod status without a store"
run "$SONDEOD" init --data "$scratch/hq"
check_rc 0
said "sondeod init"
run "$SONDEOD" status --data "$scratch/hq"
check_rc 0
said "sondeod status"
run "$SONDEOD" users add reviewer-ana --role reviewer --data "$scratch/hq" </dev/null
said "sondeod users add"
run "$SONDEOD" users list --data "$scratch/hq"
check_rc 0
said "sondeod users list"
run "$SONDEOD" devices --data "$scratch/hq"
check_rc 0
said "sondeod devices"
run "$SONDEOD" forms list --data "$scratch/hq"
check_rc 0
said "sondeod forms list"
run "$SONDEOD" enrol-code --data "$scratch/hq"
check_rc 0
said "sondeod enrol-code"
run "$SONDEOD" export --data "$scratch/hq" --format frob
check_rc 2
said "sondeod export --format frob"

t "sondeod serve's log, from its start to its stop"
"$SONDEOD" serve --data "$scratch/hq" --listen 127.0.0.1:0 2>"$scratch/serve.log" &
spid=$!
at_exit "kill $spid 2>/dev/null"
w=0
until grep -q 'http://127.0.0.1:' "$scratch/serve.log" || [ $w -ge 2400 ] || ! kill -0 $spid 2>/dev/null; do
	sleep 0.05
	w=$((w + 1))
done
kill -TERM $spid
wait $spid
OUT=$(cat "$scratch/serve.log")
ERR=""
check_eq "$(grep -c 'http://127.0.0.1:' "$scratch/serve.log")" 1 "lines naming the address served"
check_eq "$(wc -l <"$scratch/serve.log" | tr -d ' ')" 3 "lines of the log (serving, stopping, stopped)"
said "sondeod serve"

done_testing
