#!/bin/sh
# demo.sh SONDEO SONDEOD - Sondeo's story on the built-in form, in a temporary directory:
# a field worker's laptop with no network creates records from the bundled sample data, lists, shows, edits,
# deletes and exports them; then headquarters starts sondeod on loopback, three laptops in two regions enrol,
# sync, change the same answer of the same record, see the conflict, resolve it, and all converge.
# Each step prints the command it runs and what it answered. The server then keeps running until Ctrl-C,
# unless DEMO_EXIT=1.
set -eu
# The story is told in English, and it reads the programs' words (the server's address, the status's counts,
# a label): they speak English here whatever the machine's language (`sondeo --lang fr` shows the others).
unset LANGUAGE LC_ALL LC_MESSAGES
LANG=C.UTF-8
export LANG
sondeo=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
sondeod=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/sondeo-demo.XXXXXX")
server=""
# The folder holds the server's secret key and a password: it goes on every way out, the server with it. The
# clean-up must not stop half-way under set -e (waiting for a server that already ended fails).
cleanup() {
	set +e
	if [ -n "$server" ]; then
		kill "$server" 2>/dev/null
		wait "$server" 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
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
run new --set partner_name="Red Cross branch" --set stakeholder_type=ngo --set country=Narnia --set level=local \
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

# --- The whole story: headquarters, three laptops in two regions -----------------------------------------------

# on NAME ARGS... : runs sondeo on laptop NAME, echoing the command.
on() {
	name=$1
	shift
	printf '[%s] ' "$name" >&3
	SONDEO_HOME="$work/$name" run "$@"
}

step "Headquarters sets up sondeod and starts it on loopback"
printf '$ sondeod init --data hq\n' >&3
"$sondeod" init --data "$work/hq"
# The log exists before the server starts: the background job opens it in its own time, and a loop that reads
# it first would find no file (and stop the demo, under set -e).
: >"$work/server.log"
"$sondeod" serve --data "$work/hq" --listen 127.0.0.1:0 2>"$work/server.log" &
server=$!
# Port 0: the system picks a free one, which sondeod names once it serves. A server that ends before saying so
# could not start, and the demo stops there rather than talking to nobody; so does one silent for two minutes.
url="" i=0
while [ -z "$url" ]; do
	url=$(sed -n 's/^sondeod: serving \([^ ]*\) for .*/\1/p' "$work/server.log")
	[ -n "$url" ] && break
	if ! kill -0 "$server" 2>/dev/null || [ $i -ge 2400 ]; then
		cat "$work/server.log" >&2
		echo "demo: sondeod did not start serving" >&2
		exit 1
	fi
	sleep 0.05
	i=$((i + 1))
done
echo "sondeod is serving $url"

step "Enrolment codes: two laptops in the east region, one in the west"
east=$("$sondeod" enrol-code --data "$work/hq" --region east --uses 2 | head -n 1)
west=$("$sondeod" enrol-code --data "$work/hq" --region west | head -n 1)
echo "east: $east (2 uses)   west: $west"
for name in amina bruno chen; do
	SONDEO_HOME="$work/$name" "$sondeo" init --name "$name" >/dev/null
done
on amina enrol "$url" "$east"
on bruno enrol "$url" "$east"
on chen enrol "$url" "$west"

step "Each fills surveys offline from the sample data"
sed -n '1p;2,4p' "$top/forms/samples/partnerships.csv" >"$work/amina.csv"
sed -n '1p;5,6p' "$top/forms/samples/partnerships.csv" >"$work/bruno.csv"
sed -n '1p;7,9p' "$top/forms/samples/partnerships.csv" >"$work/chen.csv"
for name in amina bruno chen; do
	on "$name" new --from "$work/$name.csv" >/dev/null
	echo "$name: $(SONDEO_HOME="$work/$name" "$sondeo" status | sed -n 's/^records: *//p')"
done

step "Everyone syncs when a network appears"
on amina sync
on bruno sync
on chen sync
on amina sync
echo "the east laptops now hold $(sqlite3 "$work/amina/store.db" "SELECT count(*) FROM records") records each; the west one $(sqlite3 "$work/chen/store.db" "SELECT count(*) FROM records")"

step "Amina and Bruno both correct the same answer, without seeing each other's change"
rec=$(SONDEO_HOME="$work/amina" "$sondeo" list --json | sed -n 's/.*"id": "\([0-9a-f-]*\)".*/\1/p' | tail -n 1)
short=$(printf %.8s "$rec")
on amina edit "$short" --set scale_up_potential=5
on bruno edit "$short" --set scale_up_potential=2
on amina sync
on bruno sync
on amina sync

step "The conflict shows at headquarters and on both laptops: both values are kept"
printf '$ curl %s/metrics | grep conflicts\n' "$url" >&3
curl -s "$url/metrics" | grep '^sondeod_conflicts_open'
on amina list --conflicts
on bruno show "$short" | grep -A4 "scaled up"

step "Bruno resolves it after a phone call; everyone syncs and converges"
on bruno resolve "$short" scale_up_potential 4
on bruno sync
on amina sync
a=$(SONDEO_HOME="$work/amina" "$sondeo" show "$short" --json | grep '"scale_up_potential"')
b=$(SONDEO_HOME="$work/bruno" "$sondeo" show "$short" --json | grep '"scale_up_potential"')
echo "amina:$a"
echo "bruno:$b"
curl -s "$url/metrics" | grep '^sondeod_conflicts_open'
if [ "$a" = "$b" ]; then
	echo "converged: every replica holds the same value and the same history"
else
	echo "NOT converged" >&2
	exit 1
fi

step "Headquarters reviews: a reviewer flags one of Chen's records, and Chen sees it at the next sync"
printf 'demo-review-1\n' >"$work/rita.pw"
printf '$ sondeod users --data hq add rita --role reviewer --password-file rita.pw\n' >&3
"$sondeod" users --data "$work/hq" add rita --role reviewer --password-file "$work/rita.pw"
jar=$work/rita.cookies
# json_field NAME: the string member NAME of the JSON object on standard input.
json_field() {
	sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"
}
csrf=$(curl -s -c "$jar" -H 'Content-Type: application/json' \
	-d '{"user":"rita","password":"demo-review-1"}' "$url/v1/login" | json_field csrf)
# A new account chooses its own password first, as in the web page.
curl -s -b "$jar" -c "$jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
	-d '{"old":"demo-review-1","new":"demo-review-2"}' "$url/v1/password" >/dev/null
flag=$(SONDEO_HOME="$work/chen" "$sondeo" list --json | sed -n 's/.*"id": "\([0-9a-f-]*\)".*/\1/p' | head -n 1)
printf '$ curl -X POST %s/v1/review -d {"record": "%.8s", "status": "has_issues", ...}\n' "$url" "$flag" >&3
curl -s -b "$jar" -H "X-CSRF-Token: $csrf" -H 'Content-Type: application/json' \
	-d "{\"record\":\"$flag\",\"status\":\"has_issues\",\"comment\":\"Please confirm the country code\"}" \
	"$url/v1/review"
echo
on chen sync
on chen list
printf '$ sondeod export --data hq --format xlsx -o partnerships.xlsx\n' >&3
"$sondeod" export --data "$work/hq" --format xlsx -o "$work/partnerships.xlsx"

printf '\nSummary: 3 laptops in 2 regions, %s ops at headquarters, 1 conflict raised and resolved, all converged;\n' \
	"$(curl -s "$url/metrics" | sed -n 's/^sondeod_ops_merged_total //p')"
printf 'one record reviewed at headquarters and flagged on the laptop that made it.\n'
if [ "${DEMO_EXIT:-0}" = 1 ]; then
	printf 'Done: the demo directory %s has been removed.\n' "$work"
	exit 0
fi
printf '\nsondeod keeps serving %s (data in %s); Ctrl-C stops it and removes everything.\n' "$url" "$work"
printf 'Open %s/ in a browser and log in as rita with the password demo-review-2 to review the data.\n' "$url"
wait "$server" || true
server=""
