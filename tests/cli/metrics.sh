#!/bin/sh
# metrics.sh - GET /metrics as Prometheus takes it (README, "Monitoring"): after real traffic (laptops that enrol
# and sync, refused change sets, failed and throttled logins, a regional office whose headquarters goes down and
# comes back), the output of a real sondeod passes promtool check metrics, and each figure says what happened: the
# request histogram counts the requests the log shows, the refusals are counted by their code, the records and
# those awaiting review per form, devices by their last sync, the office's queue and how long headquarters has
# been silent, the database's size and the free disk. The sample alert rules (docs/prometheus-alerts.yml) pass
# promtool check rules, the Grafana dashboard (docs/grafana-dashboard.json) is JSON whose queries parse, and
# every metric and label value either of them names is one sondeod writes.
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
CSPUSH=$(dirname "$SONDEO")/tests/cspush
hq=$TMPDIR/hq
office=$TMPDIR/office
log=$TMPDIR/hq.log
. "$TOP/tests/cli/server.inc"
py_start

# promtool is Debian's prometheus package's, installed as the suite installs what it needs; without it (not root,
# no network) there is nothing to check with.
if ! command -v promtool >/dev/null 2>&1; then
	sh "$TOP/scripts/deps.sh" prometheus >"$TMPDIR/deps.out" 2>&1
	if ! command -v promtool >/dev/null 2>&1; then
		t "promtool checks /metrics, the sample alert rules and the dashboard's queries"
		skip "promtool cannot be installed (Debian's prometheus package): $(tail -n 1 "$TMPDIR/deps.out")"
		done_testing
	fi
fi

# scrape URL FILE : the server's /metrics into FILE.
scrape() {
	curl -sS --max-time 10 "$1/metrics" >"$2"
}

# value FILE SERIES : the value of SERIES, its name and labels as sondeod writes them, in FILE ("" if absent).
value() {
	awk -v s="$2" '$1 == s { print $2 }' "$1"
}

# now_ms : the wall clock in ms, as the servers read it.
now_ms() {
	date +%s%3N
}

# changesets_logged STATUS : the POST /v1/changesets requests of headquarters' log answered STATUS ("" for any).
changesets_logged() {
	awk -v want="$1" '$3 == "POST" && $4 ~ /^\/v1\/changesets([?]|$)/ && (want == "" || $5 == want) { n++ }
		END { print n + 0 }' "$log"
}

hq_init "$hq" >/dev/null
# On a port below the kernel's range of outgoing ports: headquarters stops and starts again on it.
serve_low "$hq" "$log" || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
HQ_URL=$SURL HQ_PORT=$SPORT HQ_PID=$SPID
code=$("$SONDEOD" enrol-code --data "$hq" --region north --uses 3 | head -n 1)

t "a laptop enrols and syncs, and /metrics passes promtool check metrics"
dev a init --name a
dev a enrol "$HQ_URL" "$code"
check_rc 0
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" new --from "$TOP/forms/samples/partnerships.csv" >"$TMPDIR/a.ids" 2>/dev/null
dev a sync
check_rc 0
curl -sS -o /dev/null "$HQ_URL/no/such/path"
scrape "$HQ_URL" "$TMPDIR/m1"
run promtool check metrics <"$TMPDIR/m1"
check_rc 0
check_eq "$ERR" "" "promtool's findings"

t "the request histogram counts what the log shows, per route, and its buckets add up"
check_eq "$(value "$TMPDIR/m1" 'sondeod_http_request_duration_seconds_count{method="POST",path="/v1/changesets"}')" \
	"$(changesets_logged "")" "POST /v1/changesets in the histogram"
check_eq "$(value "$TMPDIR/m1" 'sondeod_http_request_duration_seconds_count{method="POST",path="/v1/enrol"}')" 1 \
	"POST /v1/enrol in the histogram"
check_eq "$(value "$TMPDIR/m1" 'sondeod_http_request_duration_seconds_count{method="other",path="other"}')" 1 \
	"requests that match no route"
grep -q 'no/such' "$TMPDIR/m1" && fail "a path a client sent is a label"
run py -c '
import re, sys
series = {}
for line in open(sys.argv[1]):
    m = re.match(r"sondeod_http_request_duration_seconds_(bucket|count|sum)\{(.*?)(?:,le=\"([^\"]*)\")?\} (\S+)$", line)
    if m:
        series.setdefault(m.group(2), []).append((m.group(1), m.group(3), float(m.group(4))))
if not series:
    print("no histogram")
for route, rows in series.items():
    buckets = [(le, v) for kind, le, v in rows if kind == "bucket"]
    count = [v for kind, le, v in rows if kind == "count"]
    les = [float(le) for le, v in buckets]
    if les != sorted(les) or buckets[-1][0] != "+Inf":
        print(route, "buckets out of order", les)
    if [v for le, v in buckets] != sorted(v for le, v in buckets):
        print(route, "buckets not cumulative")
    if count != [buckets[-1][1]]:
        print(route, "count", count, "+Inf", buckets[-1][1])
' "$TMPDIR/m1"
check_rc 0
check_eq "$OUT" "" "the histogram's flaws"

t "change sets accepted and refused by the code of the refusal, in the handler and in the check of the headers"
dev p init --name pusher
dev p enrol "$HQ_URL" "$code"
key=$TMPDIR/dev-p/device.key
rec=$(cat /proc/sys/kernel/random/uuid)
run "$CSPUSH" "$HQ_URL" "$key" 1 "$rec" 'partner_name="Radio Frontera"' 'stakeholder_type="media"' 'country="GTM"'
check_status 200
run "$CSPUSH" "$HQ_URL" "$key" 9 "$rec" 'notes="later"'
check_status 409
check_out_has '"error":"gap"'
run "$CSPUSH" "$HQ_URL" "$key" 4 "$rec" 'notes="late"' --skew-ms 900000
check_status 401
check_out_has '"error":"clock_skew"'
run "$CSPUSH" "$HQ_URL" "$key" 9 "$rec" 'notes="later"'
check_status 409
scrape "$HQ_URL" "$TMPDIR/m2"
check_eq "$(value "$TMPDIR/m2" 'sondeod_changesets_refused_total{reason="gap"}')" 2 "refused: gap"
check_eq "$(value "$TMPDIR/m2" 'sondeod_changesets_refused_total{reason="clock_skew"}')" 1 "refused: clock_skew"
check_eq "$(value "$TMPDIR/m2" 'sondeod_changesets_accepted_total')" "$(changesets_logged 200)" \
	"accepted, as the log's 200s"
check_eq "$(awk '$1 ~ /^sondeod_changesets_refused_total/ { n += $2 } END { print n + 0 }' "$TMPDIR/m2")" \
	"$(($(changesets_logged "") - $(changesets_logged 200)))" "refused, as the log's other answers"
check_eq "$(value "$TMPDIR/m2" 'sondeod_http_request_duration_seconds_count{method="POST",path="/v1/changesets"}')" \
	"$(changesets_logged "")" "POST /v1/changesets in the histogram"

t "logins ok, failed and throttled"
login "$HQ_URL" "$hq" rita "$TMPDIR/jar"
failed=0 throttled=0 i=0
while [ $i -lt 12 ] && [ $throttled = 0 ]; do
	st=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
		-d '{"user":"nobody","password":"not-the-password"}' "$HQ_URL/v1/login")
	case $st in
	401) failed=$((failed + 1)) ;;
	429) throttled=$((throttled + 1)) ;;
	*) fail "a wrong login answered $st" ;;
	esac
	i=$((i + 1))
done
check_eq "$throttled" 1 "logins throttled"
scrape "$HQ_URL" "$TMPDIR/m3"
check_eq "$(value "$TMPDIR/m3" 'sondeod_logins_total{result="ok"}')" 1 "logins ok"
check_eq "$(value "$TMPDIR/m3" 'sondeod_logins_total{result="failed"}')" "$failed" "logins failed"
check_eq "$(value "$TMPDIR/m3" 'sondeod_logins_total{result="throttled"}')" 1 "logins throttled"

t "records and those awaiting review, per published form"
st=$(review "$HQ_URL" "$TMPDIR/jar" "$CSRF" "$(head -n 1 "$TMPDIR/a.ids")" approved)
check_eq "$st" 200 "the review's status"
scrape "$HQ_URL" "$TMPDIR/m4"
# Counted from the records themselves, not from the kept counts /metrics reads.
check_eq "$(value "$TMPDIR/m4" 'sondeod_form_records{form="partnership"}')" \
	"$(q "$hq" "SELECT count(*) FROM records r JOIN record_regions rr ON rr.rid = r.rid WHERE r.form = 'partnership'
		AND rr.rep = '' AND r.deleted = 0")" "partnership's records"
check_eq "$(value "$TMPDIR/m4" 'sondeod_form_records{form="partnership"}')" 9 "partnership's records (8 of a, 1 pushed)"
check_eq "$(value "$TMPDIR/m4" 'sondeod_form_records_pending{form="partnership"}')" 8 "partnership's records pending"
check_eq "$(grep -c '^sondeod_form_records{' "$TMPDIR/m4")" \
	"$(q "$hq" "SELECT count(DISTINCT id) FROM forms")" "forms with a series"

t "devices by how long since they last synced"
dev b init --name b
dev b enrol "$HQ_URL" "$code"
scrape "$HQ_URL" "$TMPDIR/m5"
check_eq "$(value "$TMPDIR/m5" 'sondeod_devices_silent{longer_than="1h"}')" 0 "silent for an hour, all just synced"
# b was enrolled nine days ago and last synced eight days ago.
t9=$(($(now_ms) - 9 * 86400000)) t8=$(($(now_ms) - 8 * 86400000))
q "$hq" "UPDATE enrolled_devices SET enrolled = $t9, last_seen = $t8 WHERE name = 'b'"
scrape "$HQ_URL" "$TMPDIR/m5"
for w in 1h:1 1d:1 7d:1 30d:0; do
	check_eq "$(value "$TMPDIR/m5" "sondeod_devices_silent{longer_than=\"${w%:*}\"}")" "${w#*:}" "silent for ${w%:*}"
done

t "the release, the database's size and the disk of the data directory"
check_eq "$(value "$TMPDIR/m5" "sondeod_build_info{version=\"$("$SONDEOD" --version | sed 's/^sondeod //')\"}")" 1 \
	"build info"
# db_size : "same" once /metrics gives the size of the database and its WAL as stat does (a checkpoint may move
# bytes from one to the other between the two); on PostgreSQL, the database's size as PostgreSQL gives it, and no
# WAL of its own (the cluster's is shared by its databases).
db_size() {
	scrape "$HQ_URL" "$TMPDIR/m6"
	if [ -f "$hq/store.conf" ]; then
		size=$(q "$hq" "SELECT pg_database_size(current_database())")
		wal=0
	else
		wal=$(stat -c %s "$hq/server.db-wal" 2>/dev/null || echo 0)
		size=$(($(stat -c %s "$hq/server.db") + wal))
	fi
	if [ "$(value "$TMPDIR/m6" sondeod_database_size_bytes)" = "$size" ] &&
		[ "$(value "$TMPDIR/m6" sondeod_database_wal_bytes)" = "$wal" ]; then
		echo same
	else
		echo "$(value "$TMPDIR/m6" sondeod_database_size_bytes) (WAL $(value "$TMPDIR/m6" sondeod_database_wal_bytes))"
	fi
}
wait_eq "the database's size" same 60 db_size
check_eq "$(value "$TMPDIR/m6" sondeod_disk_size_bytes)" "$(df -B1 --output=size "$hq" | tail -n 1 | tr -d ' ')" \
	"the disk's size"
# The tests beside this one write to the same disk: within 1 GB of what df says.
free=$(value "$TMPDIR/m6" sondeod_disk_free_bytes) avail=$(df -B1 --output=avail "$hq" | tail -n 1 | tr -d ' ')
[ -n "$free" ] && [ $((free - avail)) -lt 1000000000 ] && [ $((avail - free)) -lt 1000000000 ] ||
	fail "free bytes $free, df says $avail"
check_eq "$(value "$TMPDIR/m6" sondeod_relay_enrolled)" 0 "relay enrolled, at headquarters"
grep -q '^sondeod_relay_queue' "$TMPDIR/m6" && fail "headquarters has queue series"

# --- A regional office ---------------------------------------------------------------------------------------

# office_metric SERIES : the office's value of SERIES now.
office_metric() {
	scrape "$OFFICE_URL" "$TMPDIR/om"
	value "$TMPDIR/om" "$1"
}
# queued : what waits in the office's queue, as /metrics says.
queued() {
	scrape "$OFFICE_URL" "$TMPDIR/om"
	awk '$1 ~ /^sondeod_relay_queue_entries[{]/ { n += $2 } END { print n + 0 }' "$TMPDIR/om"
}
# answered : "yes" once headquarters has answered the office (the age is a number, not +Inf).
answered() {
	case $(office_metric sondeod_relay_upstream_answer_age_seconds) in
	'' | +Inf) echo no ;;
	*) echo yes ;;
	esac
}

t "a regional office: its queue empty while headquarters answers, and promtool takes its /metrics"
hq_init "$office" >/dev/null
rcode=$("$SONDEOD" enrol-code --data "$hq" --region south --relay | head -n 1)
"$SONDEOD" enrol --data "$office" --name office-south "$HQ_URL" "$rcode" >/dev/null || fail "the office did not enrol"
serve_any "$office" "$TMPDIR/office.log" --upstream "$HQ_URL" --pull-every 1 --retry-max 1 ||
	fail "the office did not start: $(cat "$TMPDIR/office.log")"
OFFICE_URL=$SURL
wait_eq "headquarters' answer, at the office" yes 60 answered
check_eq "$(value "$TMPDIR/om" sondeod_relay_enrolled)" 1 "relay enrolled, at the office"
check_eq "$(queued)" 0 "entries queued"
check_eq "$(value "$TMPDIR/om" sondeod_relay_queue_oldest_age_seconds)" 0.000 "the oldest entry's age"
run promtool check metrics <"$TMPDIR/om"
check_rc 0
check_eq "$ERR" "" "promtool's findings"

t "headquarters down: the office's queue grows and ages, and it counts how long headquarters has been silent"
kill "$HQ_PID"
wait "$HQ_PID" 2>/dev/null
down=$(now_ms)
ocode=$("$SONDEOD" enrol-code --data "$office" | head -n 1)
before=$(now_ms)
dev c init --name c
dev c enrol "$OFFICE_URL" "$ocode"
check_rc 0
SONDEO_HOME=$TMPDIR/dev-c "$SONDEO" new --set partner_name="Gulu radio" --set stakeholder_type=media \
	--set country=UGA --set level=local --set thematic_areas=human_rights >/dev/null
dev c sync
check_rc 0
asked=$(now_ms)
s0=$(now_ms)
scrape "$OFFICE_URL" "$TMPDIR/om"
s1=$(now_ms)
cs=$(value "$TMPDIR/om" 'sondeod_relay_queue_entries{kind="changeset"}')
check_eq "$cs" "$(q "$office" "SELECT count(*) FROM relay_queue WHERE kind = 'changeset'")" "change sets queued"
check_eq "$(value "$TMPDIR/om" 'sondeod_relay_queue_entries{kind="vouch"}')" \
	"$(q "$office" "SELECT count(*) FROM relay_queue WHERE kind IN ('enrol', 'revoke')")" "vouches queued"
[ "${cs:-0}" -ge 1 ] || fail "no change set queued"
check_eq "$(value "$TMPDIR/om" 'sondeod_relay_queue_entries{kind="vouch"}')" 1 "vouches queued (c's enrolment)"
# The entries were queued between before and asked, the office answered between s0 and s1, and headquarters last
# answered before down (2 ms for the rounding of each clock).
run py -c '
import sys
age, silent = float(sys.argv[1]), float(sys.argv[2])
before, asked, down, s0, s1 = (int(a) / 1000 for a in sys.argv[3:8])
if not s0 - asked - 0.002 <= age <= s1 - before + 0.002:
    print("oldest entry", age, "s: expected", s0 - asked, "to", s1 - before)
if silent < s0 - down - 0.002:
    print("silent for", silent, "s, headquarters has been down at least", s0 - down, "s")
' "$(value "$TMPDIR/om" sondeod_relay_queue_oldest_age_seconds)" \
	"$(value "$TMPDIR/om" sondeod_relay_upstream_answer_age_seconds)" "$before" "$asked" "$down" "$s0" "$s1"
check_eq "$OUT" "" "the ages"

t "headquarters back: the queue drains to 0, and headquarters counts what the office forwarded"
up=$(now_ms)
serve_on "$hq" "$log" "$HQ_PORT" || fail "headquarters did not start again: $(cat "$log")"
wait_eq "entries queued at the office" 0 60 queued
check_eq "$(value "$TMPDIR/om" sondeod_relay_queue_oldest_age_seconds)" 0.000 "the oldest entry's age"
# answered_since_up : "yes" once the office says headquarters answered after it came back (the relay notes it as
# soon as the link is back, in the same round as the entries it sent).
answered_since_up() {
	py -c '
import sys
silent, up, now = float(sys.argv[1]), int(sys.argv[2]) / 1000, int(sys.argv[3]) / 1000
print("yes" if 0 <= silent <= now - up + 0.002 else "silent for %.3f s; headquarters came back %.3f s ago" % (silent, now - up))
' "$(office_metric sondeod_relay_upstream_answer_age_seconds)" "$up" "$(now_ms)"
}
wait_eq "how long headquarters has been silent" yes 60 answered_since_up
# At headquarters c is the office's, vouched for: enrolled there nine days ago, it has never synced there.
q "$hq" "UPDATE enrolled_devices SET enrolled = $t9 WHERE name = 'c'"
scrape "$HQ_URL" "$TMPDIR/m7"
check_eq "$(value "$TMPDIR/m7" sondeod_changesets_accepted_total)" "$(changesets_logged 200)" \
	"change sets accepted by headquarters, as its log's 200s"
check_eq "$(value "$TMPDIR/m7" 'sondeod_http_request_duration_seconds_count{method="POST",path="/v1/vouch"}')" 1 \
	"the office's vouch for c"
# The office's devices are the office's to watch: c is not among headquarters' silent devices.
for w in 1h:1 1d:1 7d:1 30d:0; do
	check_eq "$(value "$TMPDIR/m7" "sondeod_devices_silent{longer_than=\"${w%:*}\"}")" "${w#*:}" "silent for ${w%:*}"
done
run promtool check metrics <"$TMPDIR/m7"
check_rc 0
check_eq "$ERR" "" "promtool's findings"

t "the sample alert rules pass promtool check rules"
run promtool check rules "$TOP/docs/prometheus-alerts.yml"
check_rc 0
check_out_has "SUCCESS"

t "the Grafana dashboard is JSON, and its queries parse as PromQL"
run py -c '
import json, sys
d = json.load(open(sys.argv[1]))
rules = []
for p in d["panels"]:
    for t in p.get("targets", []):
        e = t["expr"].replace("$__rate_interval", "5m").replace("$instance", ".*")
        rules.append("      - record: panel_%d_%s\n        expr: %s\n" % (p["id"], t["refId"], json.dumps(e)))
if not rules:
    sys.exit("no queries")
open(sys.argv[2], "w").write("groups:\n  - name: dashboard\n    rules:\n" + "".join(rules))
' "$TOP/docs/grafana-dashboard.json" "$TMPDIR/dashboard-rules.yml"
check_rc 0
run promtool check rules "$TMPDIR/dashboard-rules.yml"
check_rc 0
check_out_has "SUCCESS"

t "every metric and label value the alert rules and the dashboard name is one sondeod writes"
cat "$TMPDIR/m7" "$TMPDIR/om" >"$TMPDIR/all"
run py -c '
import json, re, sys
have = {}
for line in open(sys.argv[1]):
    m = re.match(r"(sondeod_\w+)(?:\{(.*)\})? ", line)
    if m:
        have.setdefault(m.group(1), []).append(dict(re.findall(r"(\w+)=\"([^\"]*)\"", m.group(2) or "")))
exprs = [l.split("expr:", 1)[1] for l in open(sys.argv[2]) if l.strip().startswith("expr:")]
exprs += [t["expr"] for p in json.load(open(sys.argv[3]))["panels"] for t in p.get("targets", [])]
names = set()
for e in exprs:
    for name, sel in re.findall(r"(sondeod_\w+)(?:\{([^}]*)\})?", e):
        names.add(name)
        if name not in have:
            print("unknown metric", name)
            continue
        for label, op, val in re.findall(r"(\w+)\s*(=~|!~|!=|=)\s*\"([^\"]*)\"", sel):
            if label in ("instance", "job"):
                continue
            for v in val.split("|") if "~" in op else [val]:
                if not any(s.get(label) == v for s in have[name]):
                    print("%s has no series with %s=\"%s\"" % (name, label, v))
if len(names) < 20:
    print("only", len(names), "metrics named")
' "$TMPDIR/all" "$TOP/docs/prometheus-alerts.yml" "$TOP/docs/grafana-dashboard.json"
check_rc 0
check_eq "$OUT" "" "what the rules and the dashboard name that sondeod does not write"

done_testing
