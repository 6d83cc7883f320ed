#!/bin/sh
# sync-cut.sh - connections cut mid-upload and mid-download by a proxy (tests/cutproxy.c): sondeo sync tries
# again by itself and completes, with every op held once on both sides.
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"

# proxy CUT_BYTES CUT_CONNECTIONS : starts a proxy to the server that cuts its first connections; sets PURL.
proxy() {
	start_proxy "${URL##*:}" "$1" "$2" || { fail "the proxy did not start: $(cat "$TMPDIR/proxy.out")"; }
	ppid_=$PROXY_PID
}

hq_init "$hq" >/dev/null
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
code=$("$SONDEOD" enrol-code --data "$hq" --region east --uses 2 | head -n 1)
for d in a b; do
	SONDEO_HOME=$TMPDIR/dev-$d "$SONDEO" init >/dev/null
	SONDEO_HOME=$TMPDIR/dev-$d "$SONDEO" enrol "$URL" "$code" >/dev/null
done

t "an upload cut twice mid-way: sync tries again and completes"
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" new --from "$TOP/forms/samples/partnerships.csv" >/dev/null
proxy 1500 2
sqlite3 "$TMPDIR/dev-a/store.db" "UPDATE meta SET value = '$PURL' WHERE key = 'server_url'"
run env SONDEO_HOME="$TMPDIR/dev-a" "$SONDEO" sync --verbose
check_rc 0
check_out_has "136 changes sent"
check_err_has "the connection was cut"
check_eq "$(q "$hq" "SELECT count(*) FROM ops")" 136 "ops held"
kill "$ppid_"

t "a download cut twice mid-way: sync tries again and receives everything once"
proxy 2500 2
sqlite3 "$TMPDIR/dev-b/store.db" "UPDATE meta SET value = '$PURL' WHERE key = 'server_url'"
run env SONDEO_HOME="$TMPDIR/dev-b" "$SONDEO" sync --verbose
check_rc 0
check_out_has "136 received"
check_err_has "the connection was cut"
check_eq "$(sqlite3 "$TMPDIR/dev-b/store.db" "SELECT count(*) FROM ops")" 136 "ops on the other device"
kill "$ppid_"

t "a link that keeps dropping: exit 3 after five tries with growing, random waits, everything kept"
proxy 300 100
sqlite3 "$TMPDIR/dev-b/store.db" "UPDATE meta SET value = '$PURL' WHERE key = 'server_url'"
SONDEO_HOME=$TMPDIR/dev-b "$SONDEO" new --set partner_name="Offline partner" --set stakeholder_type=media \
	--set country=KEN --set level=local --set thematic_areas=human_rights >/dev/null
run env SONDEO_HOME="$TMPDIR/dev-b" "$SONDEO" sync --verbose
check_rc 3
check_err_has "server unreachable; 6 changes kept for the next sync"
# Four retries, after waits drawn from half to one and a half of 1, 2, 4 and 8 s: laptops cut off together do
# not come back together.
waits=$(printf '%s\n' "$ERR" | sed -n 's/.*; trying again in \([0-9.]*\) s$/\1/p' | tr '\n' ' ')
check_eq "$(printf '%s\n' $waits | wc -l | tr -d ' ')" 4 "retries ($waits)"
check_eq "$(printf '%s\n' $waits | awk '{ lo = 2 ^ (NR - 1) / 2; if ($1 < lo - 0.05 || $1 > 3 * lo + 0.05) bad++ }
	END { print bad + 0 }')" 0 "waits out of their ranges ($waits)"

done_testing
