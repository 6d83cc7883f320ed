#!/bin/sh
# demo.sh - make demo's story runs to the end with the test build: offline work, enrolment, sync in two regions,
# a conflict raised, shown, resolved, every replica converged, and a review at headquarters reaching the laptop.
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}

t "the demo runs the whole story and ends converged"
DEMO_EXIT=1 run sh "$TOP/scripts/demo.sh" "$SONDEO" "$SONDEOD"
check_rc 0
check_out_has "sondeod is serving http://127.0.0.1:"
check_out_has "the east laptops now hold 5 records each; the west one 3"
check_out_has "sondeod_conflicts_open 1"
check_out_has "2 values replaced by one"
check_out_has "sondeod_conflicts_open 0"
check_out_has "converged: every replica holds the same value and the same history"
check_out_has "1 conflict raised and resolved, all converged;"
check_out_has "has issues: Please confirm the country code"
check_err_has "exported 8 records of partnership to"
check_out_has "one record reviewed at headquarters and flagged on the laptop that made it."
check_out_lacks "NOT converged"

# demo_stopped_by SIGNAL WHEN [server] : runs the demo until it prints WHEN (its server serving, mid-story, or
# the final wait for Ctrl-C), sends the demo (or with server, its sondeod) SIGNAL, and checks that the demo ended,
# took its server with it and left no temporary folder (it holds the server's secret key and a password).
demo_stopped_by() {
	dtmp=$TMPDIR/demo-$1${3:+-$3}
	mkdir -p "$dtmp"
	# A background job of a script starts with SIGINT ignored, and a shell cannot trap a signal ignored on
	# entry: the demo gets the default disposition back, as it has when started from a terminal.
	TMPDIR=$dtmp env --default-signal=INT sh "$TOP/scripts/demo.sh" "$SONDEO" "$SONDEOD" >"$dtmp/out" 2>&1 &
	dpid=$!
	i=0
	while [ $i -lt 1200 ] && ! grep -q "$2" "$dtmp/out"; do
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.1
		i=$((i + 1))
	done
	grep -q "$2" "$dtmp/out" || fail "the demo did not print '$2': $(tail -n 5 "$dtmp/out")"
	durl=$(sed -n 's/^sondeod is serving //p' "$dtmp/out")
	check_eq "$(curl -s "$durl/healthz")" ok "the demo's server before the signal"
	if [ "${3:-}" = server ]; then
		# pgrep leaves itself out, as a grep or sed over ps's lines, which hold the same words, cannot.
		spid=$(pgrep -f "sondeod serve --data $dtmp/")
		[ -n "$spid" ] || fail "no sondeod of the demo found"
		kill -s "$1" $spid
	else
		kill -s "$1" "$dpid"
	fi
	wait "$dpid"
	check_eq "$(ls -A "$dtmp" | grep -c sondeo-demo)" 0 "temporary folders left after SIG$1"
	run curl -s "$durl/healthz"
	check_eq "$OUT" "" "the demo's server after SIG$1"
	pgrep -f "sondeod serve --data $dtmp/" >/dev/null && fail "sondeod still runs after SIG$1"
}

# Ctrl-C at the end is how the demo is meant to stop; the other signals arrive mid-story, while the laptops are
# still at work, which the same clean-up must cover.
t "the demo stopped by Ctrl-C while its server waits removes its folder and stops its server"
demo_stopped_by INT "Ctrl-C stops it"

t "the same with SIGTERM mid-story"
demo_stopped_by TERM "sondeod is serving"

t "the same with SIGHUP (the terminal closed) mid-story"
demo_stopped_by HUP "sondeod is serving"

t "the demo whose server is stopped by a signal mid-story removes its folder"
demo_stopped_by TERM "sondeod is serving" server

t "a demo whose server cannot serve stops there, says so, and removes its folder"
# A sondeod that sets up its data but whose serve ends at once, as one that cannot listen would.
printf '#!/bin/sh\n[ "$1" = serve ] && { echo "sondeod: cannot listen (a server that never serves)" >&2; exit 1; }\nexec "%s" "$@"\n' \
	"$SONDEOD" >"$TMPDIR/deaf-sondeod"
chmod 755 "$TMPDIR/deaf-sondeod"
mkdir -p "$TMPDIR/deaf"
run env TMPDIR="$TMPDIR/deaf" DEMO_EXIT=1 sh "$TOP/scripts/demo.sh" "$SONDEO" "$TMPDIR/deaf-sondeod"
check_rc 1
check_err_has "demo: sondeod did not start serving"
check_err_has "a server that never serves"
check_out_lacks "sondeod is serving"
check_eq "$(ls -A "$TMPDIR/deaf" | grep -c sondeo-demo)" 0 "temporary folders left"

done_testing
