#!/bin/sh
# review-api.sh - the review API of docs/review-api.md against a real sondeod on loopback, fed by real sondeo
# devices: three laptops in two regions send the sample partnerships and a few records of their own, and a
# viewer, a reviewer and an admin (each logged in with a cookie jar, password changed at first login)
# read the catalog, the dashboard and the records table with every filter, open records with their verified
# history (and a change set tampered with in the server's database), review, resolve a real conflict,
# bulk-review, settle duplicates, revoke a device and make an enrolment code, and find all of it in the audit
# log. Every answer's status and error code is checked, every refused change leaves the server's data as it was,
# and what headquarters decides reaches the laptops at their next sync. (Accounts, logins, sessions and CSRF on
# the user endpoints are tests/cli/review-auth.sh's.) Run on both engines (tests/cli/server.inc):
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"
csv=$TOP/forms/samples/partnerships.csv
DAY_MS=86400000
start_ms=$(date +%s%3N)

# One python3 for the whole script (lib.sh's py): the checks below read JSON with it some 160 times, and make
# some 120 requests through it, where a curl each cost more than the request.
py_start

# api.py WHO METHOD URL DIR : what curl -s -o DIR/body -w '%{http_code}' -b DIR/jar-WHO -c DIR/jar-WHO does (the jar
# in curl's format, which the few curl calls below read), with for a POST the body of DIR/request as JSON and WHO's
# CSRF token from DIR/csrf-WHO when there is one. No redirect is followed; 000 when nothing answered.
cat >"$TMPDIR/api.py" <<'PY'
import http.cookiejar, sys, urllib.error, urllib.request
who, method, url, d = sys.argv[1:5]
jar = http.cookiejar.MozillaCookieJar(f"{d}/jar-{who}")
try:
    jar.load(ignore_discard=True, ignore_expires=True)
except FileNotFoundError:
    pass
class Stay(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a):
        return None
rq = urllib.request.Request(url, method=method)
if method == "POST":
    rq.data = open(f"{d}/request", "rb").read()
    rq.add_header("Content-Type", "application/json")
    try:
        csrf = open(f"{d}/csrf-{who}", encoding="utf-8").read().strip()
    except FileNotFoundError:
        csrf = ""
    if csrf:
        rq.add_header("X-CSRF-Token", csrf)
try:
    rq.add_header("Accept-Language", open(f"{d}/lang-{who}", encoding="utf-8").read().strip())
except FileNotFoundError:
    pass
try:
    r = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), Stay).open(rq, timeout=60)
except urllib.error.HTTPError as e:
    r = e
except OSError:
    print("000")
    sys.exit(0)
open(f"{d}/body", "wb").write(r.read())
jar.save(ignore_discard=True, ignore_expires=True)
print(r.status)
PY

# api WHO METHOD PATH [BODY] : a request with WHO's cookie jar (and, for a POST, WHO's CSRF token). Sets CODE to the
# HTTP status; the body is in $TMPDIR/body, read with js.
api() {
	# The body goes through a file: one argument may not be longer than 128 KiB.
	[ "$2" != POST ] || printf '%s' "$4" >"$TMPDIR/request"
	run py "$TMPDIR/api.py" "$1" "$2" "$URL$3" "$TMPDIR"
	CODE=$OUT
}
# js EXPR : EXPR evaluated in Python with d = the last answer's JSON; a string as it is, anything else as JSON.
js() {
	py -c 'import json, sys
d = json.load(open(sys.argv[1], encoding="utf-8"))
r = eval(sys.argv[2])
print(r if isinstance(r, str) else json.dumps(r, sort_keys=True, ensure_ascii=False))' "$TMPDIR/body" "$1" 2>&1
}

# check_api STATUS [ERROR] : the last answer's HTTP status, and its error code.
check_api() {
	if [ "$CODE" != "$1" ]; then
		fail "HTTP status $CODE, expected $1: $(head -c 400 "$TMPDIR/body")"
		return 0
	fi
	[ -z "${2:-}" ] || check_eq "$(js 'd.get("error")')" "$2" "error code"
	return 0
}

# account NAME ROLE : makes the account, logs in and changes the password as a new account must first; the session
# and its CSRF token are kept for api NAME.
account() {
	printf 'first-%s-pass\n' "$1" >"$TMPDIR/pw-$1"
	"$SONDEOD" users --data "$hq" add "$1" --role "$2" --password-file "$TMPDIR/pw-$1" >/dev/null 2>&1 || return 1
	api "$1" POST /v1/login "{\"user\": \"$1\", \"password\": \"first-$1-pass\"}"
	[ "$CODE" = 200 ] || return 1
	js 'd["csrf"]' >"$TMPDIR/csrf-$1"
	api "$1" POST /v1/password "{\"old\": \"first-$1-pass\", \"new\": \"second-$1-pass\"}"
	[ "$CODE" = 200 ] || return 1
	js 'd["csrf"]' >"$TMPDIR/csrf-$1"
}

# snapshot FILE : the server's data that a refused request must leave as it was.
snapshot() {
	{
		for table in ops:1 op_base:1,2,3 heads:1,2,3 fields:1,2 record_regions:1 changesets:1 op_authors:1 \
			dup_dismissed:1,2; do
			q "$hq" "SELECT * FROM ${table%:*} ORDER BY ${table#*:}"
		done
		q "$hq" "SELECT key, value FROM meta WHERE key LIKE 'own_%' ORDER BY 1"
	} >"$1"
}

# check_unchanged FILE : the server's data is as snapshot FILE found it.
check_unchanged() {
	snapshot "$1.now"
	cmp -s "$1" "$1.now" || fail "the server's data changed: $(diff "$1" "$1.now" | head -n 8)"
}

# expect ARGS : what the test itself counts in the records the devices sent (expect.py below).
expect() {
	py "$TMPDIR/expect.py" "$csv" "$TMPDIR/west.json" "$TOP/forms/partnership.json" "$@"
}

# ymd MS : the UTC day of an epoch-ms time; monday MS : the Monday of its week.
ymd() {
	date -u -d "@$(($1 / 1000))" +%F
}
monday() {
	_s=$(($1 / 1000))
	date -u -d "@$((_s - ($(date -u -d "@$_s" +%u) - 1) * 86400))" +%F
}

# field_on NAME RECORD FIELD : the stored value of a field on device NAME.
field_on() {
	sqlite3 "$TMPDIR/dev-$1/store.db" "SELECT f.value FROM fields f JOIN records r ON r.rid = f.rid
		WHERE r.id = '$2' AND f.field = '$3'"
}

# --- What the devices send, and what the test expects of it ---------------------------------------------------

# The west laptop's partnerships: two spellings of one ministry in one country, the same name in another country,
# an accented name, and a second spelling of a partner the east laptop has.
cat >"$TMPDIR/west.json" <<'JSON'
[
 {"partner_name": "Ministère du Travail", "stakeholder_type": "ministry", "country": "FRA", "level": ["national"],
  "thematic_areas": ["migration_governance"], "policy_areas": ["employment"], "replicable": "yes",
  "scale_up_potential": 2, "interview_date": "2026-10-05"},
 {"partner_name": "ministere du  travail", "stakeholder_type": "ministry", "country": "FRA", "level": ["local"],
  "thematic_areas": ["human_rights"], "interview_date": "2026-10-06"},
 {"partner_name": "Ministere du travail", "stakeholder_type": "national_government", "country": "BEL",
  "level": ["national"], "thematic_areas": ["human_rights"], "interview_date": "2026-10-06"},
 {"partner_name": "Fundación Pérez", "stakeholder_type": "civil_society", "country": "COL",
  "level": ["local", "regional"], "thematic_areas": ["vulnerable_migrants"], "platforms": ["other"],
  "achievements": "Legal aid for 300 families", "replicable": "partly", "scale_up_potential": 5,
  "interview_date": "2026-10-08"},
 {"partner_name": "Radio  Frontera!", "stakeholder_type": "media", "country": "GTM", "level": ["local"],
  "thematic_areas": ["shared_responsibility"]}
]
JSON
# A second form, with an integer question whose values sort differently as text.
cat >"$TMPDIR/visit.json" <<'JSON'
{"id": "visit", "version": "1", "title": {"en": "Site visit"},
 "questions": [{"name": "place", "type": "text", "label": {"en": "Place"}, "required": true},
               {"name": "visitors", "type": "integer", "label": {"en": "Visitors"}}]}
JSON
cat >"$TMPDIR/visits.json" <<'JSON'
[{"place": "Kisumu", "visitors": 9}, {"place": "Gulu", "visitors": 100}, {"place": "Mombasa", "visitors": 10},
 {"place": "GULU", "visitors": 50}]
JSON

# expect.py CSV WEST FORM count FILTER... | charts FILTER... | weeks FILTER... : the records the east laptop sends
# (the sample CSV) and the west laptop's (west.json), counted here. FILTERs: region=R, f.Q=CHOICE, word=W (a word
# of a text answer, accents and case folded), prefix=P, from=DAY and to=DAY (the interview date, included). charts
# prints every select question's counts in form order and the country's counts, as the dashboard draws them;
# weeks the records per week of their interview date ([MONDAY, COUNT], in order) and those without one.
cat >"$TMPDIR/expect.py" <<'PY'
import csv, json, re, sys, unicodedata
form = json.load(open(sys.argv[3], encoding="utf-8"))
qs = {q["name"]: q for q in form["questions"]}
rows = []
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")):
    r = {k: v for k, v in r.items() if v != ""}
    r["_region"] = "east"
    rows.append(r)
for r in json.load(open(sys.argv[2], encoding="utf-8")):
    r = {k: " ".join(v) if isinstance(v, list) else str(v) for k, v in r.items()}
    r["_region"] = "west"
    # The form's default: the day the laptop wrote the record (UTC here, as the tests run).
    r.setdefault("interview_date", __import__("datetime").datetime.utcnow().date().isoformat())
    rows.append(r)

def words(r):
    out = []
    for k, v in r.items():
        if k in qs and qs[k]["type"] == "text":
            t = "".join(c for c in unicodedata.normalize("NFKD", v.lower()) if not unicodedata.combining(c))
            out += re.findall(r"[a-z0-9]+", t)
    return out

def match(r, filters):
    for f in filters:
        k, v = f.split("=", 1)
        if k == "region" and r["_region"] != v: return False
        if k.startswith("f.") and v not in r.get(k[2:], "").split(): return False
        if k == "word" and v not in words(r): return False
        if k == "prefix" and not any(w.startswith(v) for w in words(r)): return False
        if k == "from" and not r.get("interview_date", "0") >= v: return False
        if k == "to" and not r.get("interview_date", "9") <= v: return False
    return True

sel = [r for r in rows if match(r, sys.argv[5:])]
if sys.argv[4] == "count":
    print(len(sel))
elif sys.argv[4] == "weeks":
    import datetime
    weeks = {}
    for r in sel:
        if "interview_date" in r:
            d = datetime.date.fromisoformat(r["interview_date"])
            m = (d - datetime.timedelta(days=d.weekday())).isoformat()
            weeks[m] = weeks.get(m, 0) + 1
    print(json.dumps([sorted([k, v] for k, v in weeks.items()), sum(1 for r in sel if "interview_date" not in r)]))
else:
    charts = {}
    for q in form["questions"]:
        if q["type"] in ("select_one", "select_multiple"):
            charts[q["name"]] = [[c["name"], sum(1 for r in sel if c["name"] in r.get(q["name"], "").split())]
                                 for c in q["choices"]]
    countries = {}
    for r in sel:
        if "country" in r:
            countries[r["country"]] = countries.get(r["country"], 0) + 1
    charts["country"] = sorted([k, v] for k, v in countries.items())
    print(json.dumps(charts, sort_keys=True))
PY
# The same shape from a dashboard answer.
charts_js='{c["question"]: (sorted([x["value"], x["count"]] for x in c["counts"] if x["count"]) if c["question"] == "country" else [[x["value"], x["count"]] for x in c["counts"]]) for c in d["charts"]}'

# --- The server, three laptops in two regions, and three accounts -----------------------------------------------

hq_init "$hq" >/dev/null
"$SONDEOD" forms --data "$hq" publish "$TMPDIR/visit.json" >/dev/null
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
east=$("$SONDEOD" enrol-code --data "$hq" --region east --uses 2 | head -n 1)
west=$("$SONDEOD" enrol-code --data "$hq" --region west | head -n 1)

t "three laptops in two regions enrol, send their records and receive their region's"
for d in a b c; do
	dev "$d" init --name "$d"
	check_rc 0
done
dev a enrol "$URL" "$east"
check_rc 0
server_id=$(sed -n 's/^server key fingerprint: //p' "$OUT_FILE")
dev b enrol "$URL" "$east"
check_rc 0
dev c enrol "$URL" "$west"
check_rc 0
dev a new --from "$csv"
check_rc 0
cp "$OUT_FILE" "$TMPDIR/east-ids"
check_eq "$(wc -l <"$TMPDIR/east-ids")" 8 "records made from the sample"
r1=$(sed -n 1p "$TMPDIR/east-ids")
r2=$(sed -n 2p "$TMPDIR/east-ids")
r3=$(sed -n 3p "$TMPDIR/east-ids")
r4=$(sed -n 4p "$TMPDIR/east-ids")
r5=$(sed -n 5p "$TMPDIR/east-ids")
r6=$(sed -n 6p "$TMPDIR/east-ids")
r7=$(sed -n 7p "$TMPDIR/east-ids")
r8=$(sed -n 8p "$TMPDIR/east-ids")
dev c new --from "$TMPDIR/west.json"
check_rc 0
cp "$OUT_FILE" "$TMPDIR/west-ids"
check_eq "$(wc -l <"$TMPDIR/west-ids")" 5 "west records made"
w1=$(sed -n 1p "$TMPDIR/west-ids")
w2=$(sed -n 2p "$TMPDIR/west-ids")
w3=$(sed -n 3p "$TMPDIR/west-ids")
w5=$(sed -n 5p "$TMPDIR/west-ids")
dev c new visit --from "$TMPDIR/visits.json"
check_rc 0
# The west laptop's records were written ten days ago, offline: their ops carry that time (ms << 16 in the
# hybrid clock stamp) when they are signed and sent.
sqlite3 "$TMPDIR/dev-c/store.db" "UPDATE ops SET hlc = hlc - ($DAY_MS * 10 << 16);
	UPDATE fields SET hlc = hlc - ($DAY_MS * 10 << 16);
	UPDATE records SET created = created - ($DAY_MS * 10 << 16), updated = updated - ($DAY_MS * 10 << 16)" ||
	fail "cannot date the west records back"
dev a sync
check_rc 0
dev c sync
check_rc 0
check_out_has "$(sqlite3 "$TMPDIR/dev-c/store.db" "SELECT count(*) FROM ops") changes sent, 0 received"
dev b sync
check_rc 0
check_out_has "0 changes sent, 136 received"
id_a=$(sqlite3 "$TMPDIR/dev-a/store.db" "SELECT value FROM meta WHERE key = 'device'")
id_b=$(sqlite3 "$TMPDIR/dev-b/store.db" "SELECT value FROM meta WHERE key = 'device'")
id_c=$(sqlite3 "$TMPDIR/dev-c/store.db" "SELECT value FROM meta WHERE key = 'device'")

t "a viewer, a reviewer and an admin log in and change their first password"
account view viewer || fail "the viewer cannot log in: HTTP $CODE $(head -c 300 "$TMPDIR/body")"
account rev reviewer || fail "the reviewer cannot log in: HTTP $CODE $(head -c 300 "$TMPDIR/body")"
account boss admin || fail "the admin cannot log in: HTTP $CODE $(head -c 300 "$TMPDIR/body")"

# --- Reading ----------------------------------------------------------------------------------------------------

t "the catalog lists every version of both forms with its definition, both regions and the server"
sed 's/"version": "1", "title": {"en": "Site visit"}/"version": "2", "title": {"en": "Site visit (2)"}/' \
	"$TMPDIR/visit.json" >"$TMPDIR/visit2.json"
run "$SONDEOD" forms --data "$hq" publish "$TMPDIR/visit2.json"
check_rc 0
api view GET /v1/catalog
check_api 200
check_eq "$(js 'sorted([f["id"], f["version"], f["definition"]["id"], f["definition"]["version"]] for f in d["forms"])')" \
	'[["partnership", "2", "partnership", "2"], ["visit", "1", "visit", "1"], ["visit", "2", "visit", "2"]]' "forms"
check_eq "$(js 'sorted(f["title"] for f in d["forms"] if f["id"] == "visit")')" '["Site visit", "Site visit (2)"]' \
	"the visit form's titles"
check_eq "$(js '[len(f["definition"]["questions"]) for f in d["forms"] if f["id"] == "partnership"]')" \
	"[$(py -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["questions"]))' "$TOP/forms/partnership.json")]" \
	"questions of the partnership definition"
check_eq "$(js 'sorted(d["regions"])')" '["east", "west"]' "regions"
check_eq "$(js 'd["server"]["id"]')" "$server_id" "the server's id (the key fingerprint the devices pinned)"

t "dashboard totals and every chart count what the devices sent"
api view GET /v1/dashboard
check_api 200
check_eq "$(js 'd["form"]')" partnership "the default form (the one with the most records)"
# (totals.devices: see the known bugs at the end)
check_eq "$(js '{k: v for k, v in d["totals"].items() if k != "devices"}')" \
	"{\"conflicts\": 0, \"partners\": 10, \"pending\": $(expect count), \"records\": $(expect count), \"regions\": 2}" \
	"totals"
check_eq "$(js "$charts_js")" "$(expect charts)" "charts"
check_eq "$(js '[c["question"] for c in d["charts"]]')" \
	'["stakeholder_type", "country", "level", "thematic_areas", "policy_areas", "platforms", "replicable"]' \
	"charts drawn, in form order"
api view GET "/v1/dashboard?region=east"
check_api 200
check_eq "$(js "$charts_js")" "$(expect charts region=east)" "charts of the east region"
check_eq "$(js '{k: v for k, v in d["totals"].items() if k != "devices"}')" \
	"{\"conflicts\": 0, \"partners\": 8, \"pending\": 8, \"records\": 8, \"regions\": 1}" \
	"totals of the east region"
api view GET "/v1/dashboard?f.level=national&f.thematic_areas=human_rights"
check_api 200
check_eq "$(js "$charts_js")" "$(expect charts f.level=national f.thematic_areas=human_rights)" "charts of a selection by answers"
api view GET "/v1/dashboard?form=visit"
check_api 200
check_eq "$(js '[d["form"], d["totals"]["records"], d["totals"]["regions"], d["charts"]]')" \
	'["visit", 4, 1, []]' "the visit form's dashboard"

t "records are dated when they were made, and counted by week"
api view "GET" "/v1/records?per_page=200&sort=created&dir=asc"
check_api 200
now_ms=$(date +%s%3N)
east_created=$(js '[r["created"] for r in d["records"] if r["region"] == "east"]')
west_created=$(js '[r["created"] for r in d["records"] if r["region"] == "west"]')
check_eq "$(js "all($start_ms <= r['created'] <= $now_ms for r in d['records'] if r['region'] == 'east')")" true \
	"east records created during the test: $east_created"
check_eq "$(js "all($start_ms - 10 * $DAY_MS <= r['created'] <= $now_ms - 10 * $DAY_MS for r in d['records'] if r['region'] == 'west')")" \
	true "west records created ten days ago: $west_created"
east_ms=$(js '[r["created"] for r in d["records"] if r["region"] == "east"][0]')
west_ms=$(js '[r["created"] for r in d["records"] if r["region"] == "west"][0]')
d0=$(ymd "$east_ms")
d1=$(ymd "$west_ms")
api view GET /v1/dashboard?date=_created
check_eq "$(js '[d["date"], "undated" in d]')" '["_created", false]' "dated by their creation"
check_eq "$(js 'sorted((w for w in d["weeks"] if w["count"]), key=lambda w: w["week"])')" \
	"[{\"count\": 5, \"week\": \"$(monday "$west_ms")\"}, {\"count\": 8, \"week\": \"$(monday "$east_ms")\"}]" "weeks"

t "by default the form's first date question dates the records: per week of the interview, and those without one"
for q in "" "region=west" "f.level=national" "q=ministere" "from=2026-10-06&to=2026-10-08"; do
	api view GET "/v1/dashboard?$q"
	check_api 200
	check_eq "$(js '[d["date"], sorted([w["week"], w["count"]] for w in d["weeks"]), d["undated"]]')" \
		"$(expect weeks $(echo "$q" | sed 's/q=/word=/; s/&/ /g') | sed 's/^\[\(.*\)\]$/["interview_date", \1]/')" \
		"dashboard?$q: the date question, the weeks and the undated records"
done
api view GET "/v1/records?per_page=1"
check_eq "$(js 'd["date"]')" interview_date "the table's records are dated by the same question"
api view GET "/v1/dashboard?form=visit"
check_eq "$(js '[d["date"], sum(w["count"] for w in d["weeks"]), "undated" in d]')" '["_created", 4, false]' \
	"a form without a date question: its records by their creation"

t "each filter selects what the devices sent: region, review, from/to, search, conflicts, select questions"
# filter QUERY EXPECTED : the dashboard's and the table's totals for one query.
filter() {
	api view GET "/v1/dashboard?$1"
	if [ "$CODE" != 200 ]; then
		fail "dashboard?$1: HTTP $CODE $(head -c 300 "$TMPDIR/body")"
		return 0
	fi
	check_eq "$(js 'd["totals"]["records"]')" "$2" "dashboard?$1 records"
	api view GET "/v1/records?per_page=200&$1"
	if [ "$CODE" != 200 ]; then
		fail "records?$1: HTTP $CODE $(head -c 300 "$TMPDIR/body")"
		return 0
	fi
	check_eq "$(js '[d["total"], len(d["records"])]')" "[$2, $2]" "records?$1 total and rows"
}
filter "region=east" 8
filter "region=west" 5
filter "region=north" 0
filter "form=partnership&region=west" 5
filter "form=visit&region=west" 4
filter "review=pending" 13
filter "review=approved" 0
filter "date=_created&from=$d0" 8
filter "date=_created&to=$d1" 5
filter "date=_created&from=$d1&to=$d1" 5
filter "date=_created&to=$d0" 13
filter "date=_created&from=$(date -u -d "$d0 + 1 day" +%F)" 0
filter "date=_created&to=$(date -u -d "$d1 - 1 day" +%F)" 0
# By default the form's first date question dates the records: its answer's day, whenever the record was made.
for q in "from=2026-10-06" "to=2026-10-06" "from=2026-10-06&to=2026-10-08" "from=2026-10-06&region=west" \
	"to=2026-10-31&f.level=national" "from=2026-10-01&q=ministere" "date=interview_date&from=2026-10-12"; do
	filter "$q" "$(expect count $(echo "$q" | sed 's/date=[^&]*&//; s/q=/word=/; s/&/ /g'))"
done
filter "from=2030-01-01" 0
filter "to=9999-12-31" 13
filter "q=perez" "$(expect count word=perez)"
filter "q=P%C3%A9rez" "$(expect count word=perez)"
filter "q=PEREZ" "$(expect count word=perez)"
filter "q=fundacion" "$(expect count word=fundacion)"
filter "q=remittance" "$(expect count word=remittance)"
filter "q=remit*" "$(expect count prefix=remit)"
filter "q=%22funding%20cycles%22" 1
filter "q=%22cycles%20funding%22" 0
filter "q=ministere" "$(expect count word=ministere)"
filter "conflicts=1" 0
filter "f.stakeholder_type=ministry" "$(expect count f.stakeholder_type=ministry)"
filter "f.stakeholder_type=national_government" 1
filter "f.level=national" "$(expect count f.level=national)"
filter "f.level=national&region=east" "$(expect count f.level=national region=east)"
filter "f.level=local&f.thematic_areas=human_rights" "$(expect count f.level=local f.thematic_areas=human_rights)"
filter "f.platforms=gmg" 0
api view GET "/v1/records?f.level=regional&per_page=200&columns=level"
check_eq "$(js 'all("regional" in r["answers"]["level"] for r in d["records"])')" true "every record chose 'regional'"
api view GET "/v1/records?q=perez&columns=partner_name,contact_name"
check_eq "$(js 'sorted(r["answers"]["partner_name"] + " " + r["answers"].get("contact_name", "") for r in d["records"])')" \
	"$(py -c 'import csv, json, sys; print(json.dumps(sorted([r["partner_name"] + " " + r["contact_name"] for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")) if "Pérez" in r["contact_name"]] + ["Fundación Pérez "]), ensure_ascii=False))' "$csv")" \
	"what perez finds (in a name and a contact)"

t "a bad filter is 400 bad_filter naming the parameter, on the dashboard and the table"
# bad QUERY PARAM : 400 bad_filter whose message names PARAM.
bad() {
	for _e in dashboard records; do
		api view GET "/v1/$_e?$1"
		check_api 400 bad_filter
		case $(js 'd.get("message", "")') in *"$2"*) ;; *) fail "$_e?$1: the message does not name '$2'" ;; esac
	done
}
bad "form=nope" form
bad "f.nope=x" f.nope
bad "f.stakeholder_type=ngo" f.stakeholder_type
bad "f.partner_name=x" f.partner_name
bad "f.level=everywhere" f.level
bad "review=great" review
bad "from=2026-13-01" from
bad "from=yesterday" from
bad "to=2026-1-5" to
bad "date=partner_name" date
bad "date=nope" date
bad "date=created" date
bad "q=%22unterminated" q
bad "q=AND" q
bad "q=(" q
bad "conflicts=2" conflicts

t "records: paging, total, page and per_page"
seen=""
for page in 1 2 3 4; do
	api view GET "/v1/records?per_page=5&page=$page"
	check_api 200
	check_eq "$(js '[d["total"], d["page"], d["per_page"]]')" "[13, $page, 5]" "total, page, per_page of page $page"
	case $page in 1 | 2) n=5 ;; 3) n=3 ;; 4) n=0 ;; esac
	check_eq "$(js 'len(d["records"])')" "$n" "rows on page $page"
	seen="$seen $(js '" ".join(r["id"] for r in d["records"])')"
done
check_eq "$(echo "$seen" | tr ' ' '\n' | grep . | sort)" "$(sort "$TMPDIR/east-ids" "$TMPDIR/west-ids")" \
	"the records over the pages, each once"
api view GET /v1/records
check_eq "$(js '[d["per_page"], d["page"], len(d["records"])]')" "[50, 1, 13]" "the default page"
check_eq "$(js 'd["columns"]')" '["partner_name", "stakeholder_type", "stakeholder_type_other", "country"]' \
	"the default columns (the first four questions that are not notes)"
check_eq "$(js "[[r['region'], r['version'], r['review'], r['deleted'], r['answers']] for r in d['records'] if r['id'] == '$r2']")" \
	'[["east", "2", "pending", false, {"country": "KEN", "partner_name": "Nairobi City County", "stakeholder_type": "local_government"}]]' \
	"a row of the table"

t "records: sorting by updated, created, region and a question, chosen columns"
api view GET "/v1/records?per_page=200"
check_eq "$(js '[r["updated"] for r in d["records"]] == sorted([r["updated"] for r in d["records"]], reverse=True)')" true \
	"newest first by default"
check_eq "$(js '"".join(r["region"][0] for r in d["records"])')" eeeeeeeewwwww "the east records (newer) first"
api view GET "/v1/records?per_page=200&sort=created&dir=asc"
check_eq "$(js '[r["created"] for r in d["records"]] == sorted(r["created"] for r in d["records"])')" true "oldest first"
check_eq "$(js '[r["region"] for r in d["records"]][:5]')" '["west", "west", "west", "west", "west"]' "west first"
api view GET "/v1/records?per_page=200&sort=region&dir=desc"
check_eq "$(js '"".join(r["region"][0] for r in d["records"])')" wwwwweeeeeeee "regions Z to A"
api view GET "/v1/records?per_page=200&sort=region"
check_eq "$(js '"".join(r["region"][0] for r in d["records"])')" eeeeeeeewwwww "regions A to Z by default"
api view GET "/v1/records?per_page=200&sort=partner_name&columns=partner_name"
check_eq "$(js '[r["answers"]["partner_name"] for r in d["records"]][:3]')" \
	'["Association des Travailleurs Migrants", "Diaspora Development Network", "Fundación Pérez"]' "partner names A to Z"
api view GET "/v1/records?per_page=200&sort=scale_up_potential&columns=scale_up_potential"
check_api 200
check_eq "$(js '[r["answers"]["scale_up_potential"] for r in d["records"] if "scale_up_potential" in r["answers"]]')" \
	'[2, 3, 3, 3, 4, 4, 4, 5, 5]' "scale_up_potential ascending (answered records)"
check_eq "$(js '(lambda s: s == "".join(sorted(s)) or s == "".join(sorted(s, reverse=True)))("".join("a" if "scale_up_potential" in r["answers"] else "u" for r in d["records"]))')" \
	true "unanswered records together at one end"
api view GET "/v1/records?form=visit&sort=visitors&dir=asc&columns=visitors,place"
check_api 200
check_eq "$(js '[r["answers"]["visitors"] for r in d["records"]]')" '[9, 10, 50, 100]' "an integer question sorts as numbers"
check_eq "$(js 'd["columns"]')" '["visitors", "place"]' "the columns asked for, in order"
check_eq "$(js 'sorted(set(k for r in d["records"] for k in r["answers"]))')" '["place", "visitors"]' "answers given"
api view GET "/v1/records?form=visit&sort=visitors&dir=desc&columns=place"
check_eq "$(js '[r["answers"]["place"] for r in d["records"]]')" '["Gulu", "GULU", "Mombasa", "Kisumu"]' "descending"
check_eq "$(js 'sorted(set(k for r in d["records"] for k in r["answers"]))')" '["place"]' "only the column asked for"

t "records: a bad sort, dir, page, per_page or column is 400 bad_request"
# Bytes that are not UTF-8 are quoted in the message as something that is, so the error body is there (it was
# empty when a message could not be JSON: found by fuzz_review).
for q in sort=nope sort=_review dir=up page=0 page=-1 page=abc page=1.5 per_page=0 per_page=201 per_page=x \
	columns=nope columns=partner_name,nope "form=visit&sort=partner_name" sort=%DD%8A columns=%FF; do
	api view GET "/v1/records?$q"
	check_api 400 bad_request
done
api view GET "/v1/records?per_page=200&page=1"
check_api 200

t "a record by its full id and by an 8-character prefix: fields and history, every op verified"
api view GET "/v1/record?id=$r1"
check_api 200
cp "$TMPDIR/body" "$TMPDIR/full.json"
check_eq "$(js '[d["id"], d["form"], d["version"], d["region"], d["deleted"], d["conflicts"], d["review"]]')" \
	"[\"$r1\", \"partnership\", \"2\", \"east\", false, 0, null]" "the record"
check_eq "$(js '{f["name"]: f["value"] for f in d["fields"]}["partner_name"]')" "Ministry of Labour and Social Protection" \
	"partner_name"
check_eq "$(js '[[f["value"], f["conflict"], f["heads"]] for f in d["fields"] if f["name"] in ("level", "scale_up_potential")]')" \
	'[[["national", "bilateral"], false, []], [4, false, []]]' "level and scale_up_potential"
ops_r1=$(sqlite3 "$TMPDIR/dev-a/store.db" "SELECT count(*) FROM ops o JOIN records r ON r.rid = o.rid WHERE r.id = '$r1'")
check_eq "$(js 'len(d["history"])')" "$ops_r1" "history entries (the ops the laptop made)"
check_eq "$(js 'sorted(set((h["device"], h["device_name"], h["by"], h["verified"], len(h["old"])) for h in d["history"]))')" \
	"[[\"$id_a\", \"a\", null, true, 0]]" "every op: device a, no reviewer, verified, nothing replaced"
check_eq "$(js '[h["seq"] for h in d["history"]] == sorted(h["seq"] for h in d["history"])')" true "oldest first"
check_eq "$(js '[h["new"] for h in d["history"] if h["field"] == "country"]')" '["KEN"]' "the country's op"
api view GET "/v1/record?id=$(printf %.8s "$r1")"
check_api 200
check_eq "$(js 'd["id"]')" "$r1" "the record named by its prefix"
cmp -s "$TMPDIR/body" "$TMPDIR/full.json" || fail "the answers by full id and by prefix differ"

t "an unknown record is 404 no_record"
for q in id=00000000-0000-4000-8000-000000000000 id=zzzzzzzz "id=$(printf %.8s "$r1")x"; do
	api view GET "/v1/record?$q"
	check_api 404 no_record
done

# --- Reviewing ------------------------------------------------------------------------------------------------

t "a reviewer approves a record, and marks another as having issues"
api rev POST /v1/review "{\"record\": \"$r1\", \"status\": \"approved\"}"
check_api 200
check_eq "$(js '[d["record"], d["status"], d["comment"], d["by"]]')" "[\"$r1\", \"approved\", \"\", \"rev\"]" "the answer"
api rev POST /v1/review "{\"record\": \"$(printf %.8s "$r2")\", \"status\": \"has_issues\", \"comment\": \"Check the figures\"}"
check_api 200
check_eq "$(js '[d["record"], d["status"], d["comment"], d["by"]]')" "[\"$r2\", \"has_issues\", \"Check the figures\", \"rev\"]" \
	"the answer"
api view GET "/v1/record?id=$r2"
check_eq "$(js '[d["review"]["status"], d["review"]["comment"], d["review"]["by"]]')" '["has_issues", "Check the figures", "rev"]' \
	"the record's review"
check_eq "$(js "$start_ms <= d['review']['at'] <= $(date +%s%3N)")" true "the review's time"
check_eq "$(js '[[h["device"], h["by"], h["new"], h["verified"]] for h in d["history"] if h["field"] == "_review"]')" \
	"[[\"$server_id\", \"rev\", {\"comment\": \"Check the figures\", \"status\": \"has_issues\"}, true]]" "the review op"
# A comment of exactly 2,000 characters (4,000 bytes) is taken.
long=$(py -c 'print("é" * 2000)')
api rev POST /v1/review "{\"record\": \"$r4\", \"status\": \"approved\", \"comment\": \"$long\"}"
check_api 200
api view GET "/v1/record?id=$r4"
check_eq "$(js '[d["review"]["status"], d["review"]["comment"] == "é" * 2000]')" '["approved", true]' "the long comment, whole"
# A review set back to pending.
api rev POST /v1/review "{\"record\": \"$r6\", \"status\": \"rejected\", \"comment\": \"Not a partnership\"}"
check_api 200
api rev POST /v1/review "{\"record\": \"$r6\", \"status\": \"pending\", \"comment\": \"Reopened\"}"
check_api 200
api view GET "/v1/record?id=$r6"
check_eq "$(js '[d["review"]["status"], d["review"]["comment"]]')" '["pending", "Reopened"]' "the reopened review"
check_eq "$(js 'len([h for h in d["history"] if h["field"] == "_review"])')" 2 "review ops in the history"
filter review=rejected 0
filter review=approved 2
filter review=has_issues 1
filter review=pending 10
api view GET "/v1/dashboard"
check_eq "$(js 'd["totals"]["pending"]')" 10 "pending on the dashboard"
api view GET "/v1/records?per_page=200&sort=review"
check_eq "$(js '(lambda s: all(s.index(x) + s.count(x) == len(s) - s[::-1].index(x) for x in set(s)))([r["review"] for r in d["records"]])')" \
	true "records with the same review together"

t "the laptops of the region receive the review at their next sync"
dev a sync
check_rc 0
check_eq "$(field_on a "$r2" _review)" '{"comment":"Check the figures","status":"has_issues"}' "_review on the laptop"
check_eq "$(field_on a "$r1" _review)" '{"comment":"","status":"approved"}' "_review of the approved record"
dev a show "$r2"
check_out_has "has issues: Check the figures"

t "a bad review is 400 and changes nothing"
snapshot "$TMPDIR/before-review"
over=$(py -c 'print("a" * 2001)')
for body in "{\"record\": \"$r3\", \"status\": \"great\"}" \
	"{\"record\": \"$r3\", \"status\": \"has_issues\"}" \
	"{\"record\": \"$r3\", \"status\": \"has_issues\", \"comment\": \"\"}" \
	"{\"record\": \"$r3\", \"status\": \"rejected\"}" \
	"{\"record\": \"$r3\", \"status\": \"approved\", \"comment\": \"$over\"}" \
	"{\"record\": \"$r3\", \"status\": \"approved\", \"comment\": \"bell\\u0007\"}" \
	"{\"record\": \"$r3\", \"status\": \"has_issues\", \"comment\": \"esc \\u001b[31m\"}" \
	"{\"record\": \"$r3\", \"status\": \"approved\", \"comment\": 5}" \
	"{\"record\": \"$r3\"}" "{\"status\": \"approved\"}"; do
	api rev POST /v1/review "$body"
	check_api 400 bad_request
done
api rev POST /v1/review '{"record": "00000000-0000-4000-8000-000000000000", "status": "approved"}'
check_api 404 no_record
api rev POST /v1/review 'not json'
check_api 400 bad_json
api rev POST /v1/review "$(printf '{"record": "\\\335\212"}')"
check_api 400 bad_json
check_unchanged "$TMPDIR/before-review"

t "a viewer may not review: 403 forbidden, nothing changes"
snapshot "$TMPDIR/before-viewer"
api view POST /v1/review "{\"record\": \"$r3\", \"status\": \"approved\"}"
check_api 403 forbidden
api view POST /v1/review "{\"record\": \"$r3\", \"status\": \"has_issues\", \"comment\": \"Not mine to say\"}"
check_api 403 forbidden
check_unchanged "$TMPDIR/before-viewer"

t "a review without the CSRF token, or with another, is 403 csrf and changes nothing"
snapshot "$TMPDIR/before-csrf"
run curl -s -o "$TMPDIR/body" -w '%{http_code}' -b "$TMPDIR/jar-rev" -H 'Content-Type: application/json' \
	--data-binary "{\"record\": \"$r3\", \"status\": \"approved\"}" "$URL/v1/review"
CODE=$OUT
check_api 403 csrf
run curl -s -o "$TMPDIR/body" -w '%{http_code}' -b "$TMPDIR/jar-rev" -H 'Content-Type: application/json' \
	-H "X-CSRF-Token: $(cat "$TMPDIR/csrf-boss")" --data-binary "{\"record\": \"$r3\", \"status\": \"approved\"}" \
	"$URL/v1/review"
CODE=$OUT
check_api 403 csrf
# The same for every other change, even by an admin.
for req in "/v1/resolve {\"record\": \"$r3\", \"field\": \"country\", \"value\": \"KEN\"}" \
	"/v1/bulk-review {\"filter\": {}, \"status\": \"approved\"}" \
	"/v1/duplicates {\"records\": [\"$w1\", \"$w2\"], \"decision\": \"dismiss\"}" \
	"/v1/devices/revoke {\"id\": \"$id_c\"}" "/v1/codes {\"region\": \"north\"}"; do
	run curl -s -o "$TMPDIR/body" -w '%{http_code}' -b "$TMPDIR/jar-boss" -H 'Content-Type: application/json' \
		--data-binary "${req#* }" "$URL${req%% *}"
	CODE=$OUT
	check_api 403 csrf
done
check_unchanged "$TMPDIR/before-csrf"
check_eq "$(q "$hq" "SELECT count(*) FROM codes")" 2 "codes (the two made on the command line)"
check_eq "$(q "$hq" "SELECT count(*) FROM enrolled_devices WHERE revoked <> 0")" 0 "revoked devices"
api view GET "/v1/record?id=$r3"
check_eq "$(js 'd["review"]')" null "the record's review"

t "a body over 64 KiB is 413 too_large and changes nothing"
snapshot "$TMPDIR/before-big"
pad=$(py -c 'print(" " * 70000)')
for req in "rev /v1/review {\"record\": \"$r3\", \"status\": \"approved\"$pad}" \
	"rev /v1/bulk-review {\"filter\": {}, \"status\": \"approved\"$pad}" \
	"rev /v1/duplicates {\"records\": [\"$w1\", \"$w2\"], \"decision\": \"dismiss\"$pad}" \
	"boss /v1/devices/revoke {\"id\": \"$id_c\"$pad}" "boss /v1/codes {\"region\": \"north\"$pad}"; do
	who=${req%% *}
	req=${req#* }
	api "$who" POST "${req%% *}" "${req#* }"
	check_api 413 too_large
done
check_unchanged "$TMPDIR/before-big"
check_eq "$(q "$hq" "SELECT count(*) FROM codes")" 2 "codes"

# --- Resolving ------------------------------------------------------------------------------------------------

t "two laptops of one region change the same answer: the record shows the conflict with both heads"
dev a edit "$r3" --set country=UGA
check_rc 0
dev b edit "$r3" --set country=TZA
check_rc 0
dev a sync
check_rc 0
dev b sync
check_rc 0
check_out_has "1 new record in conflict"
api view GET "/v1/record?id=$r3"
check_api 200
check_eq "$(js 'd["conflicts"]')" 1 "conflicts of the record"
check_eq "$(js '[[f["value"] in ("UGA", "TZA"), f["conflict"]] for f in d["fields"] if f["name"] == "country"]')" \
	'[[true, true]]' "the country's value and conflict"
check_eq "$(js '[sorted([h["device_name"], h["device"], h["value"], h["by"]] for h in f["heads"]) for f in d["fields"] if f["name"] == "country"][0]')" \
	"$(py -c 'import json, sys; print(json.dumps(sorted([["a", sys.argv[1], "UGA", None], ["b", sys.argv[2], "TZA", None]])))' \
	"$id_a" "$id_b")" "the two heads"
check_eq "$(js '[f["heads"][0]["value"] == f["value"] for f in d["fields"] if f["name"] == "country"]')" '[true]' \
	"the head shown comes first"
check_eq "$(js '[h["verified"] for h in d["history"] if h["field"] == "country"]')" '[true, true, true]' "the country's history"
api view GET /v1/dashboard
check_eq "$(js 'd["totals"]["conflicts"]')" 1 "conflicts on the dashboard"
filter conflicts=1 1
api view GET "/v1/records?conflicts=1"
check_eq "$(js '[[r["id"], r["conflicts"]] for r in d["records"]]')" "[[\"$r3\", 1]]" "the record in conflict"

t "a bad resolution is refused and the conflict stays: bad_value, unknown field, unknown record"
snapshot "$TMPDIR/before-resolve"
api rev POST /v1/resolve "{\"record\": \"$r3\", \"field\": \"country\", \"value\": \"Kenya\"}"
check_api 400 bad_value
api rev POST /v1/resolve "{\"record\": \"$r3\", \"field\": \"country\", \"value\": [\"KEN\"]}"
check_api 400 bad_value
api rev POST /v1/resolve "{\"record\": \"$r3\", \"field\": \"country\", \"value\": {\"code\": \"KEN\"}}"
check_api 400 bad_value
api rev POST /v1/resolve "{\"record\": \"$r3\", \"field\": \"country\", \"value\": null}"
check_api 400 bad_value
api rev POST /v1/resolve "{\"record\": \"$r3\", \"field\": \"scale_up_potential\", \"value\": \"many\"}"
check_api 400 bad_value
api rev POST /v1/resolve "{\"record\": \"$r3\", \"field\": \"scale_up_potential\", \"value\": 9}"
check_api 400 bad_value
api rev POST /v1/resolve "{\"record\": \"$r3\", \"field\": \"stakeholder_type\", \"value\": \"ngo\"}"
check_api 400 bad_value
api rev POST /v1/resolve "{\"record\": \"$r3\", \"field\": \"level\", \"value\": [\"national\", \"nowhere\"]}"
check_api 400 bad_value
api rev POST /v1/resolve "{\"record\": \"$r3\", \"field\": \"nope\", \"value\": \"KEN\"}"
check_api 400 bad_request
api rev POST /v1/resolve "{\"record\": \"$r3\", \"field\": \"_review\", \"value\": \"KEN\"}"
check_api 400 use_review
api rev POST /v1/resolve '{"record": "00000000-0000-4000-8000-000000000000", "field": "country", "value": "KEN"}'
check_api 404 no_record
api rev POST /v1/resolve "{\"record\": \"$r3\", \"field\": \"country\"}"
check_api 400 bad_request
api view POST /v1/resolve "{\"record\": \"$r3\", \"field\": \"country\", \"value\": \"KEN\"}"
check_api 403 forbidden
check_unchanged "$TMPDIR/before-resolve"
api view GET /v1/dashboard
check_eq "$(js 'd["totals"]["conflicts"]')" 1 "conflicts on the dashboard"

t "the reviewer resolves the conflict: one value, named in the history, the dashboard's conflicts drop"
api rev POST /v1/resolve "{\"record\": \"$(printf %.8s "$r3")\", \"field\": \"country\", \"value\": \"KEN\"}"
check_api 200
check_eq "$(js '[d["name"], d["value"], d["conflict"], d["heads"]]')" '["country", "KEN", false, []]' "the field"
api view GET "/v1/record?id=$r3"
check_eq "$(js '[d["conflicts"], [[f["value"], f["conflict"]] for f in d["fields"] if f["name"] == "country"]]')" \
	'[0, [["KEN", false]]]' "the record"
check_eq "$(js '[[h["device"], h["device_name"], h["by"], sorted(h["old"]), h["new"], h["verified"]] for h in d["history"] if h["field"] == "country"][-1]')" \
	"[\"$server_id\", \"server\", \"rev\", [\"TZA\", \"UGA\"], \"KEN\", true]" "the resolution in the history"
api view GET /v1/dashboard
check_eq "$(js 'd["totals"]["conflicts"]')" 0 "conflicts on the dashboard"
filter conflicts=1 0
# A field not in conflict: a correction.
api rev POST /v1/resolve "{\"record\": \"$r5\", \"field\": \"notes\", \"value\": \"Corrected at headquarters\"}"
check_api 200
check_eq "$(js '[d["name"], d["value"], d["conflict"]]')" '["notes", "Corrected at headquarters", false]' "the corrected field"
api rev POST /v1/resolve "{\"record\": \"$r7\", \"field\": \"level\", \"value\": [\"bilateral\", \"global\"]}"
check_api 200
check_eq "$(js '[d["value"], d["conflict"]]')" '[["bilateral", "global"], false]' "a select_multiple corrected"
api rev POST /v1/resolve "{\"record\": \"$r7\", \"field\": \"scale_up_potential\", \"value\": 5}"
check_api 200
check_eq "$(js 'd["value"]')" 5 "an integer corrected"
api rev POST /v1/resolve "{\"record\": \"$r7\", \"field\": \"notes\", \"value\": null}"
check_api 200
check_eq "$(js '[d["name"], d["value"], d["conflict"]]')" '["notes", null, false]' "an optional answer cleared"
api view GET "/v1/records?per_page=200&columns=level,scale_up_potential"
check_eq "$(js "[[r['answers']['level'], r['answers']['scale_up_potential']] for r in d['records'] if r['id'] == '$r7']")" \
	'[[["bilateral", "global"], 5]]' "the corrections in the table"
api view GET "/v1/dashboard?region=east"
check_eq "$(js '[x["count"] for c in d["charts"] if c["question"] == "level" for x in c["counts"] if x["value"] == "global"]')" '[1]' \
	"the correction in the charts"

t "both laptops converge on the resolution at their next sync"
dev a sync
check_rc 0
dev b sync
check_rc 0
for d in a b; do
	check_eq "$(field_on "$d" "$r3" country)" '"KEN"' "country on laptop $d"
	check_eq "$(sqlite3 "$TMPDIR/dev-$d/store.db" "SELECT count(*) FROM fields WHERE conflict")" 0 "fields in conflict on laptop $d"
	check_eq "$(field_on "$d" "$r5" notes)" '"Corrected at headquarters"' "the correction on laptop $d"
	dev "$d" list --conflicts
	check_rc 0
	check_out_lacks "$(printf %.8s "$r3")"
done
check_eq "$(field_on b "$r7" level)" '["bilateral","global"]' "the select_multiple correction on laptop b"

t "a correction at headquarters and an edit on a laptop that had not seen it: a conflict, resolved again"
api rev POST /v1/resolve "{\"record\": \"$r6\", \"field\": \"challenges\", \"value\": \"Written at headquarters\"}"
check_api 200
dev b edit "$r6" --set challenges="Written in the field"
check_rc 0
dev b sync
check_rc 0
api view GET "/v1/record?id=$r6"
cp "$TMPDIR/body" "$TMPDIR/r6.json"
check_eq "$(js '[[f["conflict"], sorted([h["device"], h["value"]] for h in f["heads"])] for f in d["fields"] if f["name"] == "challenges"]')" \
	"[[true, $(py -c 'import json, sys; print(json.dumps(sorted([[sys.argv[1], "Written at headquarters"], [sys.argv[2], "Written in the field"]])))' "$server_id" "$id_b")]]" \
	"the two heads"
api rev POST /v1/resolve "{\"record\": \"$r6\", \"field\": \"challenges\", \"value\": \"Written in the field\"}"
check_api 200
check_eq "$(js '[d["value"], d["conflict"], d["heads"]]')" '["Written in the field", false, []]' "the field"

t "a head written at headquarters names its reviewer in by"
cp "$TMPDIR/r6.json" "$TMPDIR/body"
check_eq "$(js 'sorted([h["device_name"], h["by"]] for f in d["fields"] if f["name"] == "challenges" for h in f["heads"])')" \
	'[["b", null], ["server", "rev"]]' "the heads' devices and reviewers"

# --- Bulk review --------------------------------------------------------------------------------------------

t "bulk review: every record the filter selects gets the review"
api rev POST /v1/bulk-review '{"filter": {"form": "partnership", "region": "west"}, "status": "approved", "comment": "Checked in bulk"}'
check_api 200
check_eq "$(js 'd["count"]')" 5 "count"
api view GET "/v1/records?region=west&per_page=200"
check_eq "$(js 'sorted(set(r["review"] for r in d["records"]))')" '["approved"]' "the reviews of the west records"
for w in "$w1" "$w5"; do
	api view GET "/v1/record?id=$w"
	check_eq "$(js '[d["review"]["status"], d["review"]["comment"], d["review"]["by"]]')" '["approved", "Checked in bulk", "rev"]' \
		"the review of $w"
done
api view GET "/v1/records?form=visit"
check_eq "$(js 'sorted(set(r["review"] for r in d["records"]))')" '["pending"]' "the visit records, not selected"
filter review=approved 7
api rev POST /v1/bulk-review '{"filter": {"form": "partnership", "f.stakeholder_type": "ministry", "q": "travail"}, "status": "has_issues", "comment": "Which ministry?"}'
check_api 200
check_eq "$(js 'd["count"]')" 2 "count of the ministries of labour"
filter review=has_issues 3

t "bulk review with a bad filter or status is 400 and changes nothing"
snapshot "$TMPDIR/before-bulk"
for f in '{"f.level": "nowhere"}' '{"colour": "red"}' '{"from": "yesterday"}' '{"form": "nope"}' '{"q": "\"open"}' \
	'{"region": 5}'; do
	api rev POST /v1/bulk-review "{\"filter\": $f, \"status\": \"approved\"}"
	check_api 400 bad_filter
done
api rev POST /v1/bulk-review '{"filter": {"region": "east"}, "status": "has_issues"}'
check_api 400 bad_request
api rev POST /v1/bulk-review '{"filter": {"region": "east"}, "status": "done"}'
check_api 400 bad_request
api view POST /v1/bulk-review '{"filter": {"region": "east"}, "status": "approved"}'
check_api 403 forbidden
check_unchanged "$TMPDIR/before-bulk"

# --- Duplicates ------------------------------------------------------------------------------------------------

t "duplicates: one partner written two ways in one country is a group, across regions too"
api view GET "/v1/duplicates?form=partnership"
check_api 200
check_eq "$(js 'sorted(sorted(r["id"] for r in g["records"]) for g in d["groups"])')" \
	"$(py -c 'import json, sys; print(json.dumps(sorted([sorted(sys.argv[1:3]), sorted(sys.argv[3:5])])))' \
	"$w1" "$w2" "$r5" "$w5")" "the groups"
check_eq "$(js 'sorted(g["details"] for g in d["groups"])')" '["France", "Guatemala"]' "the groups' countries"
check_eq "$(js 'sorted(r["name"] for g in d["groups"] for r in g["records"] if g["details"] == "France")')" \
	'["Ministère du Travail", "ministere du  travail"]' "the names as typed"
check_eq "$(js 'sorted(r["region"] for g in d["groups"] for r in g["records"] if g["details"] == "Guatemala")')" '["east", "west"]' \
	"regions of the radio's records"

t "dismissing a group removes it from the list"
snapshot "$TMPDIR/before-dup"
api view POST /v1/duplicates "{\"records\": [\"$w1\", \"$w2\"], \"decision\": \"dismiss\"}"
check_api 403 forbidden
api rev POST /v1/duplicates "{\"records\": [\"$w1\", \"$w2\"], \"decision\": \"maybe\"}"
check_api 400 bad_request
api rev POST /v1/duplicates "{\"records\": [\"$w1\", \"$w2\"], \"decision\": \"confirm\", \"keep\": \"$r1\"}"
check_api 400 bad_request
api rev POST /v1/duplicates "{\"records\": [\"$w1\", \"00000000-0000-4000-8000-000000000000\"], \"decision\": \"dismiss\"}"
check_api 404 no_record
check_unchanged "$TMPDIR/before-dup"
api rev POST /v1/duplicates "{\"records\": [\"$w1\", \"$w2\"], \"decision\": \"dismiss\"}"
check_api 200
check_eq "$(js 'd["count"]')" 2 "count"
api view GET "/v1/duplicates?form=partnership"
check_eq "$(js '[sorted(r["id"] for r in g["records"]) for g in d["groups"]]')" \
	"$(py -c 'import json, sys; print(json.dumps([sorted(sys.argv[1:3])]))' "$r5" "$w5")" "the groups left"
api view GET "/v1/record?id=$w1"
check_eq "$(js 'd["review"]["status"]')" has_issues "the dismissed records' reviews are untouched"

t "confirming a group rejects the others as duplicates of the one kept, said in the reviewer's language"
printf es >"$TMPDIR/lang-rev"
api rev POST /v1/duplicates "{\"records\": [\"$r5\", \"$w5\"], \"decision\": \"confirm\", \"keep\": \"$r5\"}"
rm -f "$TMPDIR/lang-rev"
check_api 200
check_eq "$(js 'd["count"]')" 1 "count"
api view GET "/v1/record?id=$w5"
check_eq "$(js '[d["review"]["status"], d["review"]["comment"], d["review"]["by"]]')" \
	"[\"rejected\", \"duplicado de $r5\", \"rev\"]" "the duplicate's review"
api view GET "/v1/record?id=$r5"
check_eq "$(js 'd["review"]')" null "the review of the record kept"
api view GET "/v1/duplicates?form=partnership"
check_eq "$(js 'd["groups"]')" '[]' "the groups left"
filter review=rejected 1
# A new record joins the dismissed group: it is listed again.
dev c new --set partner_name="MINISTÈRE DU TRAVAIL" --set stakeholder_type=ministry --set country=FRA --set level=national \
	--set thematic_areas=human_rights --set interview_date=2026-10-20
check_rc 0
w6=$(cat "$OUT_FILE")
dev c sync
check_rc 0
api view GET "/v1/duplicates?form=partnership"
check_eq "$(js '[sorted(r["id"] for r in g["records"]) for g in d["groups"]]')" \
	"$(py -c 'import json, sys; print(json.dumps([sorted(sys.argv[1:4])]))' "$w1" "$w2" "$w6")" \
	"the group with its new record"
check_eq "$(field_on c "$w5" _review)" "{\"comment\":\"duplicado de $r5\",\"status\":\"rejected\"}" "the review on the west laptop"
check_eq "$(field_on c "$w3" _review)" '{"comment":"Checked in bulk","status":"approved"}' "the bulk review on the west laptop"
check_eq "$(sqlite3 "$TMPDIR/dev-c/store.db" "SELECT count(*) FROM records")" 10 "records on the west laptop (its own only)"

# --- Devices and codes ----------------------------------------------------------------------------------------

t "devices: the admin sees every laptop with the ops it sent"
api boss GET /v1/devices
check_api 200
for d in a b c; do
	did=$(sqlite3 "$TMPDIR/dev-$d/store.db" "SELECT value FROM meta WHERE key = 'device'")
	ops=$(sqlite3 "$TMPDIR/dev-$d/store.db" "SELECT count(*) FROM ops o JOIN devices v ON v.did = o.did WHERE v.id = '$did'")
	region=east
	[ "$d" = c ] && region=west
	check_eq "$(js "[[x['name'], x['region'], x['ops'], x['revoked'], x['equivocations'], x['enrolled'] >= $start_ms, x['last_seen'] >= x['enrolled']] for x in d['devices'] if x['id'] == '$did']")" \
		"[[\"$d\", \"$region\", $ops, 0, 0, true, true]]" "laptop $d"
done
check_eq "$(js 'len(d["devices"])')" 3 "devices"

t "a reviewer or a viewer may not manage devices or codes: 403 forbidden"
snapshot "$TMPDIR/before-devices"
codes_before=$(q "$hq" "SELECT count(*) FROM codes")
for who in rev view; do
	api "$who" GET /v1/devices
	check_api 403 forbidden
	api "$who" POST /v1/devices/revoke "{\"id\": \"$id_c\"}"
	check_api 403 forbidden
	api "$who" POST /v1/codes '{"region": "north", "uses": 1, "expires": "1h"}'
	check_api 403 forbidden
	api "$who" GET /v1/audit
	check_api 403 forbidden
done
check_unchanged "$TMPDIR/before-devices"
check_eq "$(q "$hq" "SELECT count(*) FROM codes")" "$codes_before" "codes"
check_eq "$(q "$hq" "SELECT count(*) FROM enrolled_devices WHERE revoked <> 0")" 0 "revoked devices"

t "a revoked laptop is refused at its next sync, the others go on"
api boss POST /v1/devices/revoke '{"id": "0123456789abcdef0123456789abcdef"}'
check_api 404 no_device
api boss POST /v1/devices/revoke "{\"id\": \"$id_c\"}"
check_api 200
api boss GET /v1/devices
check_eq "$(js "[x['revoked'] >= $start_ms for x in d['devices'] if x['id'] == '$id_c']")" '[true]' "c revoked"
check_eq "$(js "[x['revoked'] for x in d['devices'] if x['id'] != '$id_c']")" '[0, 0]' "the others"
dev c sync
check_rc 1
check_err_has "revoked"
grep -q "403" "$log" || fail "the server's log shows no 403: $(tail -n 3 "$log")"
dev a sync
check_rc 0

t "an enrolment code made by the admin enrols a new laptop in its region"
api boss POST /v1/codes '{"region": "north", "uses": 1, "expires": "1h"}'
check_api 201
check_eq "$(js '[d["region"], d["uses"]]')" '["north", 1]' "the code's region and uses"
check_eq "$(js "3500000 < d['expires'] - $(date +%s%3N) <= 3600000")" true "expires in an hour"
code=$(js 'd["code"]')
dev d init --name d
dev d enrol "$URL" "$code"
check_rc 0
check_out_has "in region north"
dev d sync
check_rc 0
api boss GET /v1/devices
check_eq "$(js "[[x['name'], x['region']] for x in d['devices'] if x['name'] == 'd']")" '[["d", "north"]]' "the new laptop"
api view GET /v1/catalog
check_eq "$(js 'sorted(d["regions"])')" '["east", "north", "west"]' "regions (with devices or records)"

t "a bad region, number of uses or expiry is 400 and makes no code"
codes_before=$(q "$hq" "SELECT count(*) FROM codes")
for body in '{"region": "no/slash", "expires": "1h"}' '{"region": "", "expires": "1h"}' '{"region": 5}' '{"uses": 1}' \
	'{"region": "north", "expires": "forever"}' '{"region": "north", "expires": "0m"}' \
	'{"region": "north", "expires": "400d"}' '{"region": "north", "expires": "-1h"}' \
	'{"region": "north", "uses": 0}' '{"region": "north", "uses": "two"}'; do
	api boss POST /v1/codes "$body"
	check_api 400 bad_request
done
check_eq "$(q "$hq" "SELECT count(*) FROM codes")" "$codes_before" "codes"

# --- Audit ------------------------------------------------------------------------------------------------------

t "the audit log names who reviewed, resolved, bulk-reviewed, settled duplicates, revoked and made a code"
# An answer and a comment longer than the log keeps (400 and 900 bytes), which it cuts between characters; the
# answer is cleared again, and the bulk review selects nothing. And an export.
api rev POST /v1/resolve "{\"record\": \"$r7\", \"field\": \"notes\", \"value\": \"$(py -c 'print("é" * 300)')\"}"
check_api 200
api rev POST /v1/resolve "{\"record\": \"$r7\", \"field\": \"notes\", \"value\": null}"
check_api 200
api rev POST /v1/bulk-review "{\"filter\": {\"form\": \"partnership\", \"q\": \"nowhereatall\"}, \"status\": \"approved\",
	\"comment\": \"$(py -c 'print("é" * 600)')\"}"
check_api 200
check_eq "$(js 'd["count"]')" 0 "records of the empty bulk review"
api view GET "/v1/records?form=partnership&region=west"
west_records=$(js 'd["total"]')
api rev GET "/v1/export?format=csv&form=partnership&region=west"
check_api 200
api boss GET "/v1/audit?per_page=200"
check_api 200
cp "$TMPDIR/body" "$TMPDIR/audit.json"
# detail ACTION [TARGET] : the details of ACTION's entries (on TARGET), oldest first. They are machine fields, which
# the page words in its reader's language.
detail() {
	js "[e['detail'] for e in reversed(d['entries']) if e['action'] == '$1' and '${2:-}' in e['target']]"
}
check_eq "$(detail review "$r1")" '[{"comment": "", "status": "approved"}]' "the approval's detail"
check_eq "$(detail review "$r2")" '[{"comment": "Check the figures", "status": "has_issues"}]' "a review's detail"
check_eq "$(js "[e['detail']['comment'] == 'é' * 2000 for e in d['entries'] if e['target'] == '$r4']")" '[true]' \
	"a comment of 2,000 characters, whole"
check_eq "$(detail resolve "$r3")" '[{"field": "country", "value": "KEN"}]' "the resolution's detail"
check_eq "$(detail resolve "$r7" | sed 's/"é*"/"(long)"/')" \
	'[{"field": "level", "value": ["bilateral", "global"]}, {"field": "scale_up_potential", "value": 5}, '\
'{"field": "notes", "value": null}, {"cut": true, "field": "notes", "value": "\"(long)"}, {"field": "notes", "value": null}]' \
	"corrections' details: a list, a number, an answer cleared, a long one"
check_eq "$(js "[e['detail']['value'] == '\"' + 'é' * 199 for e in d['entries'] if e['action'] == 'resolve' and
	e['detail'].get('cut')]")" '[true]' "a long answer's JSON, cut at 400 bytes"
check_eq "$(detail bulk_review | sed 's/"é*"/"(long)"/')" \
	'[{"comment": "Checked in bulk", "form": "partnership", "records": 5, "status": "approved"}, '\
'{"comment": "Which ministry?", "form": "partnership", "records": 2, "status": "has_issues"}, '\
'{"comment": "(long)", "cut": true, "form": "partnership", "records": 0, "status": "approved"}]' "the bulk reviews' details"
check_eq "$(js "[e['detail']['comment'] == 'é' * 450 for e in d['entries'] if e['action'] == 'bulk_review' and
	e['detail'].get('cut')]")" '[true]' "a long comment, cut at 900 bytes"
check_eq "$(detail duplicates)" \
	"[{\"decision\": \"dismiss\", \"records\": 2}, {\"decision\": \"confirm\", \"kept\": \"$r5\", \"records\": 2}]" \
	"the duplicate decisions' details"
check_eq "$(detail revoke "$id_c")" '[{"device": "c", "region": "west"}]' "the revocation's detail"
check_eq "$(detail export)" "[{\"format\": \"csv\", \"records\": $west_records}]" "the export's detail"
check_eq "$(js "[[e['user'], e['detail']['region'], e['detail']['uses'], e['detail']['relay'],
	0 < e['detail']['expires'] - e['at'] <= 3600000 * (1 if e['user'] == 'boss' else 24 * 7)]
	for e in reversed(d['entries']) if e['action'] == 'code']")" \
	'[["(command line)", "east", 2, false, true], ["(command line)", "west", 1, false, true], ["boss", "north", 1, false, true]]' \
	"the codes' details: region, uses, for a regional server, expiry (epoch ms: 7 days, 1 hour)"
# has ACTION USER TARGET : entries with that action, user and target (any target when empty).
has() {
	check_eq "$(js "len([e for e in d['entries'] if e['action'] == '$1' and e['user'] == '$2' and '$3' in e['target']]) > 0")" \
		true "an entry $1 by $2 on '$3'"
}
has review rev "$r1"
has review rev "$r2"
has resolve rev "$r3"
has resolve rev "$r5"
has bulk_review rev ""
has duplicates rev ""
has revoke boss "$id_c"
has code boss north
has code "(command line)" east
check_eq "$(js 'len([e for e in d["entries"] if e["action"] == "bulk_review"])')" 3 "bulk reviews"
check_eq "$(js 'len([e for e in d["entries"] if e["action"] == "duplicates"])')" 2 "duplicate decisions"
check_eq "$(js 'len([e for e in d["entries"] if e["action"] == "review"])')" 5 "reviews (the refused ones are not there)"
check_eq "$(js 'len([e for e in d["entries"] if e["action"] == "resolve"])')" 9 "resolutions"
check_eq "$(js 'len([e for e in d["entries"] if e["action"] == "code" and e["user"] == "boss"])')" 1 "codes made by the admin"
check_eq "$(js 'sorted(set(e["user"] for e in d["entries"] if e["action"] in ("review", "resolve", "bulk_review", "duplicates")))')" \
	'["rev"]' "who changed records"
check_eq "$(js 'sorted(set(e["ip"] for e in d["entries"] if e["action"] == "review"))')" '["127.0.0.1"]' "the reviewer's address"
check_eq "$(js '[e["at"] for e in d["entries"]] == sorted([e["at"] for e in d["entries"]], reverse=True)')" true "newest first"
check_eq "$(js "all($start_ms <= e['at'] <= $(date +%s%3N) for e in d['entries'])")" true "times"
check_eq "$(js 'd["total"] == len(d["entries"])')" true "total"
api boss GET "/v1/audit?per_page=2&page=2"
check_api 200
check_eq "$(js 'len(d["entries"])')" 2 "a page of two"
check_eq "$(js 'd["entries"]')" "$(py -c 'import json, sys; print(json.dumps(json.load(open(sys.argv[1]))["entries"][2:4], sort_keys=True, ensure_ascii=False))' "$TMPDIR/audit.json")" \
	"the second page"

t "a record deleted on a laptop leaves the selections unless deleted=1 asks for it"
dev a delete "$r8"
check_rc 0
dev a sync
check_rc 0
filter "" 13
filter "deleted=1" 14
filter "deleted=1&region=east" 8
api view GET "/v1/records?deleted=1&per_page=200"
check_eq "$(js "[r['deleted'] for r in d['records'] if r['id'] == '$r8']")" '[true]' "the deleted record in the table"
check_eq "$(js '[r["deleted"] for r in d["records"]].count(True)')" 1 "deleted records in the table"
api view GET "/v1/record?id=$r8"
check_api 200
check_eq "$(js '[d["deleted"], [h["new"] for h in d["history"] if h["field"] == "_deleted"]]')" '[true, [true]]' \
	"the record and its deletion op"
api view GET "/v1/dashboard"
check_eq "$(js '[d["totals"]["records"], d["totals"]["partners"]]')" '[13, 9]' "records and partners on the dashboard"

# --- Found by these tests, fixed since --------------------------------------------------------------------------

t "dashboard: totals.devices counts the devices that sent records in the selection"
for q in "region=west 1" "form=visit 1" "date=_created&to=$(date -u -d "$d1 - 1 day" +%F) 0"; do
	api view GET "/v1/dashboard?${q% *}"
	check_api 200
	check_eq "$(js 'd["totals"]["devices"]')" "${q#* }" "devices of dashboard?${q% *}"
done

t "a form without partner_name: its first text question names the partner (dashboard partners, duplicates)"
api view GET "/v1/dashboard?form=visit"
check_api 200
check_eq "$(js 'd["totals"]["partners"]')" 3 "partners of the visit form (Kisumu, Gulu, Mombasa)"
api view GET "/v1/duplicates?form=visit"
check_api 200
check_eq "$(js '[sorted(r["name"] for r in g["records"]) for g in d["groups"]]')" '[["GULU", "Gulu"]]' "the visit form's groups"

t "a body over 128 KiB to /v1/resolve is 413 too_large (it takes 128 KiB, for a 64 KiB answer with escapes)"
snapshot "$TMPDIR/before-big-resolve"
bigpad=$(py -c 'print(" " * 140000)')
api rev POST /v1/resolve "{\"record\": \"$r3\", \"field\": \"notes\", \"value\": \"padded\"$bigpad}"
check_api 413 too_large
check_unchanged "$TMPDIR/before-big-resolve"

t "a day that does not exist (2026-02-30) is 400 bad_filter"
bad "to=2026-02-30" to
bad "from=2026-04-31" from

t "a dateTime question added to a form: the day its answer names, as written; records without it undated"
sed 's/"version": "1", "title": {"en": "Site visit"}/"version": "3", "title": {"en": "Site visit (3)"}/;
	s/"label": {"en": "Visitors"}}/"label": {"en": "Visitors"}}, {"name": "visited", "type": "dateTime", "label": {"en": "Visited"}}/' \
	"$TMPDIR/visit.json" >"$TMPDIR/visit3.json"
run "$SONDEOD" forms --data "$hq" publish "$TMPDIR/visit3.json"
check_rc 0
dev b sync
check_rc 0
printf '%s\n' '[{"place": "Lodwar", "visitors": 3, "visited": "2026-10-07 23:30"}]' >"$TMPDIR/visit3-rec.json"
dev b new visit --from "$TMPDIR/visit3-rec.json"
check_rc 0
dev b sync
check_rc 0
api view GET "/v1/dashboard?form=visit"
check_api 200
check_eq "$(js '[d["date"], d["totals"]["records"], d["weeks"], d["undated"]]')" \
	'["visited", 5, [{"count": 1, "week": "2026-10-05"}], 4]' "the visit form's dates"
for q in "from=2026-10-07&to=2026-10-07 1" "from=2026-10-08 0" "to=2026-10-06 0" "date=_created&from=2026-10-08 5"; do
	api view GET "/v1/records?form=visit&${q% *}"
	check_api 200
	check_eq "$(js 'd["total"]')" "${q#* }" "visits with ${q% *}"
done

# --- Verification ---------------------------------------------------------------------------------------------

t "a change set altered in the server's database: exactly its ops show verified false"
cs=$(q "$hq" "SELECT id, first_seq, last_seq, length(bytes) FROM changesets WHERE device = '$id_a' AND first_seq = 1")
cs_id=${cs%%|*}
rest=${cs#*|}
cs_first=${rest%%|*}
rest=${rest#*|}
cs_last=${rest%%|*}
cs_len=${rest#*|}
pos=$((cs_len / 2))
# byte_set HEX : the change set's byte at pos becomes HEX, each engine's way.
byte_set() {
	if [ -f "$hq/store.conf" ]; then
		q "$hq" "UPDATE changesets SET bytes = set_byte(bytes, $((pos - 1)), $((0x$1))) WHERE id = $cs_id"
	else
		q "$hq" "UPDATE changesets SET bytes = CAST(substr(bytes, 1, $((pos - 1))) || x'$1' || substr(bytes, $((pos + 1)))
			AS BLOB) WHERE id = $cs_id"
	fi
}
if [ -f "$hq/store.conf" ]; then
	orig=$(q "$hq" "SELECT upper(encode(substring(bytes FROM $pos FOR 1), 'hex')) FROM changesets WHERE id = $cs_id")
else
	orig=$(q "$hq" "SELECT hex(substr(bytes, $pos, 1)) FROM changesets WHERE id = $cs_id")
fi
flip=$(printf %02X $((0x$orig ^ 0x01)))
byte_set "$flip" >/dev/null || fail "cannot change the change set"
check_eq "$(q "$hq" "SELECT length(bytes) FROM changesets WHERE id = $cs_id")" "$cs_len" "the altered change set's length"
api view GET "/v1/record?id=$r3"
check_api 200
sel="h['device'] == '$id_a' and $cs_first <= h['seq'] <= $cs_last"
check_eq "$(js "sorted(set(h['verified'] for h in d['history'] if $sel))")" '[false]' "the altered change set's ops"
check_eq "$(js "len([h for h in d['history'] if $sel])")" \
	"$(sqlite3 "$TMPDIR/dev-a/store.db" "SELECT count(*) FROM ops o JOIN records r ON r.rid = o.rid JOIN devices v ON v.did = o.did
		WHERE r.id = '$r3' AND v.id = '$id_a' AND o.seq BETWEEN $cs_first AND $cs_last")" \
	"ops of the altered change set"
check_eq "$(js "sorted(set(h['verified'] for h in d['history'] if not ($sel)))")" '[true]' "the other ops"
check_eq "$(js "sorted(set(h['device_name'] for h in d['history'] if not ($sel)))")" '["a", "b", "server"]' \
	"the other ops' devices"
api view GET "/v1/record?id=$w1"
check_eq "$(js 'sorted(set(h["verified"] for h in d["history"]))')" '[true]' "a record of another laptop"
byte_set "$orig" >/dev/null || fail "cannot restore the change set"
api view GET "/v1/record?id=$r3"
check_eq "$(js 'sorted(set(h["verified"] for h in d["history"]))')" '[true]' "every op once the bytes are restored"

t "the server ran and stopped without a sanitizer report"
kill "$PID"
wait "$PID"
if grep -Eq 'ERROR: [A-Za-z]+Sanitizer|runtime error: ' "$log"; then
	fail "the server's log has a sanitizer report: $(grep -E -A 12 'ERROR: [A-Za-z]+Sanitizer|runtime error: ' "$log" | head -n 20)"
fi

done_testing
