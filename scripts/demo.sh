#!/bin/sh
# demo.sh SONDEO - the offline part of Sondeo's story on the built-in form, in a temporary store:
# a field worker's laptop with no network creates records from the bundled sample data, lists, shows, edits,
# deletes and exports them. Each step prints the command it runs and what it answered.
set -eu
sondeo=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sondeo-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
export SONDEO_HOME="$work/store"

# The commands are echoed on descriptor 3, the terminal, even when their output is captured.
exec 3>&1
step() {
	printf '\n\033[1m==> %s\033[0m\n' "$1"
}
run() {
	{ printf '$ sondeo'; for a in "$@"; do case $a in *' '*) printf " '%s'" "$a" ;; *) printf ' %s' "$a" ;; esac; done; echo; } >&3
	"$sondeo" "$@"
}

step "A field laptop gets its own store and key pair"
run init --name demo-laptop

step "The built-in partnership survey, in English, French and Spanish"
run forms
run --lang fr form show partnership | head -n 12

step "Eight interviews typed up in a spreadsheet become eight records (validated first, saved all at once)"
cp "$top/forms/samples/partnerships.csv" "$work/interviews.csv"
run new --from "$work/interviews.csv" > "$work/ids"
cat "$work/ids"
first=$(head -n 1 "$work/ids")
short=$(printf %.8s "$first")

step "A record with a mistake is refused, with every problem named, and nothing is saved"
run new --set partner_name="Red Cross branch" --set stakeholder_type=ngo --set country=Kenya --set level=local \
	--set thematic_areas=human_rights || echo "(exit status $?: nothing saved)"

step "One record filled from the command line, kept as a draft"
run new --draft --set partner_name="Ministry of Foreign Affairs" --set stakeholder_type=ministry --set country=MEX

step "What is on the laptop"
run list

step "Searching and filtering"
run list --search remittance
run list --where level=bilateral

step "One record, every answer with its label"
run show "$short"

step "A correction after a phone call: only the changed answers become new changes"
run edit "$short" --set scale_up_potential=5 --set challenges="Unlicensed agents still charge recruitment fees"
run show "$short" --history

step "A duplicate entry is deleted (the deletion is a change too, and will sync)"
dup=$(sed -n 2p "$work/ids")
run delete "$(printf %.8s "$dup")"

step "Exports for headquarters' spreadsheets and maps"
run export --format csv -o "$work/partnerships.csv"
head -n 3 "$work/partnerships.csv"
run export --format geojson -o "$work/partnerships.geojson"
run export --format json | head -n 8

step "Status: everything is kept safely until the next sync"
run status

step "Readable without Sondeo: the store is SQLite, with a view per form"
echo "$ sqlite3 \$SONDEO_HOME/store.db 'SELECT partner_name, country, level FROM form_partnership LIMIT 3'"
sqlite3 "$SONDEO_HOME/store.db" 'SELECT partner_name, country, level FROM form_partnership WHERE NOT deleted LIMIT 3'

printf '\nDone: the demo store in %s has been removed.\n' "$work"
