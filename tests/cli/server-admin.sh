#!/bin/sh
# server-admin.sh - sondeod's admin commands (init, enrol-code, devices, forms) as an admin would use them, with
# what they print, what the data directory holds afterwards (read with the sqlite3 shell), and every refusal.
#
# Runs under tests/run.sh (SONDEO, SONDEOD, TOP, TMPDIR set) or by hand:
#   make MODE=test check-build && SONDEO=$PWD/build/test/sondeo SONDEOD=$PWD/build/test/sondeod TOP=$PWD \
#	sh tests/cli/server-admin.sh
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
. "$TOP/tests/cli/lib.sh"

LANG=C.UTF-8
export LANG
unset LANGUAGE LC_ALL

scratch=$(mktemp -d "${TMPDIR:-/tmp}/server-admin.XXXXXX")
at_exit "rm -rf '$scratch'"
HEX32='^[0-9a-f]\{32\}$'
# The code alphabet: Crockford's base32, digits and upper-case letters without I L O U.
SYM='[0-9ABCDEFGHJKMNPQRSTVWXYZ]'
CODE="^$SYM$SYM$SYM$SYM-$SYM$SYM$SYM$SYM-$SYM$SYM$SYM$SYM-$SYM$SYM$SYM$SYM-$SYM$SYM$SYM$SYM\$"

if [ -z "${SONDEOD:-}" ] || [ ! -x "$SONDEOD" ]; then
	t "SONDEOD names the sondeod program"
	fail "SONDEOD is '${SONDEOD:-}' (tests/run.sh sets it)"
	done_testing
fi
if [ -z "${SONDEO:-}" ] || [ ! -x "$SONDEO" ]; then
	t "SONDEO names the sondeo program"
	fail "SONDEO is '${SONDEO:-}' (tests/run.sh sets it)"
	done_testing
fi

# q DIR SQL : runs SQL on the server database in DIR.
q() {
	sqlite3 "$1/server.db" "$2"
}

# line N : line N of the last command's stdout.
line() {
	printf '%s\n' "$OUT" | sed -n "$1p"
}

# blake2b128_of_pub FILE : the id of the public key in a key file, computed without sondeod (BLAKE2b-128).
blake2b128_of_pub() {
	_esc=$(sed -n 2p "$1" | LC_ALL=C awk '{ for (i = 1; i <= length($0); i += 2) printf "\\0%03o", \
		index("0123456789abcdef", substr($0, i, 1)) * 16 + index("0123456789abcdef", substr($0, i + 1, 1)) - 17 }')
	printf '%b' "$_esc" | b2sum -l 128 | cut -d ' ' -f 1
}

# a fresh data directory path (not created)
n=0
new_data() {
	n=$((n + 1))
	DATA=$scratch/data$n
}

# ------------------------------------------------------------------------------------------------ general

t "sondeod --help lists the commands; no command is a usage error"
run "$SONDEOD" --help
check_rc 0
for c in init enrol-code devices forms; do check_out_has "  $c "; done
run "$SONDEOD"
check_rc 2
check_err_has "usage: sondeod"
run "$SONDEOD" frobnicate --data "$scratch/x"
check_rc 2
check_err_has "unknown command 'frobnicate'"
run "$SONDEOD" --version
check_rc 0
check_out_has "sondeod 0.1"

t "--help works on every command, whatever else is on the line"
for c in init enrol-code devices forms; do
	run "$SONDEOD" "$c" --help
	check_rc 0
	check_out_has "usage: sondeod $c --data DIR"
	run "$SONDEOD" "$c" --bogus --help
	check_rc 0
	check_out_has "usage: sondeod $c"
	run "$SONDEOD" help "$c"
	check_rc 0
	check_out_has "usage: sondeod $c"
done
run "$SONDEOD" enrol-code --help
check_out_has "--expires DURATION"

t "every command needs --data (usage error, status 2)"
for c in init enrol-code devices "forms list"; do
	# shellcheck disable=SC2086 # the forms subcommand is a second word
	run "$SONDEOD" $c
	check_rc 2
	check_err_has "--data DIR is required"
	check_err_has "usage: sondeod ${c%% *}"
done
run "$SONDEOD" init --data ""
check_rc 2
check_err_has "--data needs a directory"
run "$SONDEOD" init --data
check_rc 2
check_err_has "needs a value"

t "unknown options and stray arguments are usage errors"
new_data
run "$SONDEOD" init --data "$DATA" --force
check_rc 2
check_err_has "unknown option '--force'"
run "$SONDEOD" init --data "$DATA" extra
check_rc 2
check_err_has "unexpected argument 'extra'"
check_file_absent "$DATA"
run "$SONDEOD" devices --data "$DATA" -x
check_rc 2

t "commands other than init need an initialised directory"
new_data
for c in enrol-code devices "forms list"; do
	# shellcheck disable=SC2086
	run "$SONDEOD" $c --data "$DATA"
	check_rc 1
	check_err_has "no sondeod data in '$DATA' (run 'sondeod init --data $DATA' first)"
done
check_file_absent "$DATA"

# --------------------------------------------------------------------------------------------------- init

t "init creates a private data directory, the key pair and the admin account, and says so"
new_data
run "$SONDEOD" init --data "$DATA"
check_rc 0
check_eq "$(line 1)" "created sondeod data in $(cd "$DATA" 2>/dev/null && pwd -P)"
fp=$(printf '%s\n' "$OUT" | sed -n 's/^server key fingerprint: //p')
printf '%s\n' "$fp" | grep -q "$HEX32" || fail "fingerprint '$fp' is not 32 hex digits"
check_eq "$fp" "$(blake2b128_of_pub "$DATA/server.pub")" "fingerprint (BLAKE2b-128 of server.pub)"
pw=$(printf '%s\n' "$OUT" | sed -n 's/^admin password (shown once, change it at first login): //p')
printf '%s\n' "$pw" | grep -q "^$SYM\{20\}\$" || fail "password '$pw' is not 20 symbols of the code alphabet"
check_out_has "admin user: admin"
check_eq "$ERR" "" "stderr"
check_file_mode "$DATA" 700
check_file_mode "$DATA/server.key" 600
check_file_mode "$DATA/server.db" 600
check_file_mode "$DATA/server.pub" 644
check_eq "$(q "$DATA" "SELECT name || ' ' || role || ' ' || must_change || ' ' || disabled FROM users")" \
	"admin admin 1 0" "users"
check_eq "$(q "$DATA" "SELECT substr(pwhash, 1, 10) FROM users")" '$argon2id$' "password hash"
[ -z "$pw" ] || [ "$(q "$DATA" "SELECT count(*) FROM users WHERE instr(pwhash, '$pw')")" = 0 ] ||
	fail "the password is stored in clear"
check_eq "$(q "$DATA" "PRAGMA journal_mode")" wal "journal mode"
check_eq "$(q "$DATA" "SELECT id || ' ' || version FROM forms")" "partnership 2" "published forms"
FIRST=$DATA

t "a second init refuses with status 1 and changes nothing"
cp "$FIRST/server.key" "$scratch/key1"
cp "$FIRST/server.pub" "$scratch/pub1"
q "$FIRST" .dump >"$scratch/dump1"
run "$SONDEOD" init --data "$FIRST"
check_rc 1
check_eq "$OUT" "" "stdout"
check_err_has "sondeod data already exists in '$FIRST'; nothing was changed"
cmp -s "$scratch/key1" "$FIRST/server.key" || fail "server.key changed"
cmp -s "$scratch/pub1" "$FIRST/server.pub" || fail "server.pub changed"
q "$FIRST" .dump >"$scratch/dump2"
cmp -s "$scratch/dump1" "$scratch/dump2" || fail "the database changed"
check_file_mode "$FIRST/server.key" 600

t "init refuses a directory with other files in it, and a file, touching neither"
new_data
mkdir -p "$DATA"
chmod 755 "$DATA"
echo "keep" >"$DATA/notes.txt"
run "$SONDEOD" init --data "$DATA"
check_rc 1
check_err_has "'$DATA' is not empty"
check_file_mode "$DATA" 755
check_eq "$(cat "$DATA/notes.txt")" keep "notes.txt"
check_file_absent "$DATA/server.key"
check_file_absent "$DATA/server.db"
run "$SONDEOD" init --data "$DATA/notes.txt"
check_rc 1
check_err_has "is not a directory"

t "init takes an empty directory and makes it private; --data may come before the command"
new_data
mkdir -p "$DATA"
chmod 755 "$DATA"
run "$SONDEOD" --data "$DATA" init
check_rc 0
check_file_mode "$DATA" 700
check_file_mode "$DATA/server.key" 600

t "init where the directory cannot be made fails with the reason, leaving nothing"
new_data
mkdir -p "$DATA"
echo "a file" >"$DATA/file"
run "$SONDEOD" init --data "$DATA/file/sub"
check_rc 1
check_err_has "'$DATA/file/sub'"
check_err_has "Not a directory"
check_eq "$(ls "$DATA")" file "what is in the parent"

# --------------------------------------------------------------------------------------------- enrol-code

t "enrol-code prints a code in five groups of four, with its region, uses and expiry"
run "$SONDEOD" enrol-code --data "$FIRST"
check_rc 0
code1=$(line 1)
printf '%s\n' "$code1" | grep -q "$CODE" || fail "code '$code1' is not XXXX-XXXX-XXXX-XXXX-XXXX in the code alphabet"
check_eq "$(line 2)" "region:  default"
check_eq "$(line 3)" "uses:    1"
case $(line 4) in
"expires: "[0-9]*" "[A-Z][a-z][a-z]" "[0-9][0-9][0-9][0-9]" "[0-9][0-9]:[0-9][0-9]" (in 7d)") ;;
*) fail "expiry line is '$(line 4)'" ;;
esac
id1=$(printf '%s' "$code1" | tr -d '-' | cut -c 1-5)
check_eq "$(q "$FIRST" "SELECT region || ' ' || uses_left || ' ' || length(mac_key) FROM codes WHERE code_id = '$id1'")" \
	"default 1 32" "stored code"
check_eq "$(q "$FIRST" "SELECT (expires - created) BETWEEN 7 * 86400000 - 5000 AND 7 * 86400000 FROM codes")" 1 \
	"expiry 7 days after creation"

t "enrol-code --region --uses --expires are stored as given; the code itself is not stored"
run "$SONDEOD" enrol-code --data "$FIRST" --region kisumu --uses 3 --expires 12h
check_rc 0
code2=$(line 1)
check_eq "$(line 2)" "region:  kisumu"
check_eq "$(line 3)" "uses:    3"
check_out_has "(in 12h)"
id2=$(printf '%s' "$code2" | tr -d '-' | cut -c 1-5)
check_eq "$(q "$FIRST" "SELECT region || ' ' || uses_left FROM codes WHERE code_id = '$id2'")" "kisumu 3" "stored code"
check_eq "$(q "$FIRST" "SELECT (expires - created) BETWEEN 43200000 - 5000 AND 43200000 FROM codes WHERE code_id = '$id2'")" \
	1 "expiry 12 hours after creation"
run "$SONDEOD" enrol-code --data "$FIRST" --region Nairobi_HQ-2.b --expires 30m
check_rc 0
check_out_has "(in 30m)"
check_eq "$(q "$FIRST" "SELECT count(*) FROM codes")" 3 "codes"
[ "$code1" != "$code2" ] || fail "two codes are the same"
raw2=$(printf '%s' "$code2" | tr -d '-')
check_eq "$(q "$FIRST" .dump | grep -c -e "$raw2" -e "$code2" -e "$(printf '%s' "$raw2" | cut -c 6-)")" 0 \
	"dump lines holding the code"
check_eq "$(grep -c -a -e "$raw2" -e "$code2" "$FIRST/server.db")" 0 "database lines holding the code"

t "enrol-code refuses bad durations, regions and uses with status 2, and makes no code"
before=$(q "$FIRST" "SELECT count(*) FROM codes")
for d in 7 0d 7w -1d 366d 1.5h "" d 12H 7d1 99999999999999999999m; do
	run "$SONDEOD" enrol-code --data "$FIRST" --expires "$d"
	check_rc 2
	check_err_has "--expires '$d'"
done
run "$SONDEOD" enrol-code --data "$FIRST" --expires 365d
check_rc 0
before=$((before + 1))
long=$(printf '%065d' 0 | tr 0 r)
for r in "east africa" "" "a/b" "$long" "région" "x;y"; do
	run "$SONDEOD" enrol-code --data "$FIRST" --region "$r"
	check_rc 2
	check_err_has "--region '$r'"
done
run "$SONDEOD" enrol-code --data "$FIRST" --region "$(printf '%064d' 0 | tr 0 r)"
check_rc 0
before=$((before + 1))
for u in 0 -1 abc 100001 1x ""; do
	run "$SONDEOD" enrol-code --data "$FIRST" --uses "$u"
	check_rc 2
	check_err_has "--uses '$u'"
done
run "$SONDEOD" enrol-code --data "$FIRST" --uses 100000
check_rc 0
before=$((before + 1))
check_eq "$(q "$FIRST" "SELECT count(*) FROM codes")" "$before" "codes made"

# ------------------------------------------------------------------------------------------------ devices

t "devices with none enrolled says so; --json is an empty array"
run "$SONDEOD" devices --data "$FIRST"
check_rc 0
check_out_has "no devices enrolled"
run "$SONDEOD" devices --data "$FIRST" --json
check_rc 0
check_eq "$OUT" "[]" "JSON"

# Enrolment arrives with the HTTP API; until then devices are put in as that step will store them.
add_device() {   # add_device DIR ID NAME REGION ENROLLED_MS NEXT_SEQ
	q "$1" "INSERT INTO enrolled_devices(id, pk, name, region, enrolled, next_seq)
		VALUES('$2', randomblob(32), '$3', '$4', $5, $6)"
}
add_device "$FIRST" 5f0c2e9a41d7b3c8e6a19f04d2b7c531 kisumu-laptop-3 kisumu 1790000000000 215
add_device "$FIRST" 5f0c99990000000000000000000000aa "" mombasa 1790000100000 1
add_device "$FIRST" 0a1b2c3d4e5f60718293a4b5c6d7e8f9 "Radio Frontera" default 1790000200000 1

t "devices lists every device with its id, name, region, dates, ops, revocation and equivocations"
q "$FIRST" "UPDATE enrolled_devices SET last_seen = 1790000300000, equivocations = 2 WHERE name = 'kisumu-laptop-3'"
run env TZ=UTC "$SONDEOD" devices --data "$FIRST"
check_rc 0
check_eq "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 4 "lines (header and three devices)"
check_out_has "ID"
check_out_has "NAME"
check_out_has "LAST SEEN"
check_out_has "EQUIVOCATIONS"
check_out_has "KIND"
set -- $(line 2)
check_eq "$1 $2 $3 $4" "5f0c2e9a41d7b3c8e6a19f04d2b7c531 kisumu-laptop-3 kisumu device" "first device"
check_eq "$5 $6 $7 $8" "21 Sep 2026 14:13" "enrolled, as people write a moment"
check_eq "$9 ${10} ${11} ${12}" "21 Sep 2026 14:18" "last seen"
check_eq "${13} ${14} ${15}" "214 - 2" "ops, revoked, equivocations"
set -- $(line 3)
check_eq "$1 $2 $3" "5f0c99990000000000000000000000aa - mombasa" "second device (no name)"
check_eq "$9 ${10}" "never 0" "never seen, no ops"
check_eq "$(line 4 | cut -c 1-32)" 0a1b2c3d4e5f60718293a4b5c6d7e8f9 "third device, in enrolment order"
check_out_has "Radio Frontera"

t "devices --json has every field, for scripts"
run "$SONDEOD" devices --data "$FIRST" --json
check_rc 0
printf '%s\n' "$OUT" >"$scratch/devices.json"
check_eq "$(sqlite3 :memory: "SELECT json_array_length(readfile('$scratch/devices.json'))")" 3 "devices"
check_eq "$(sqlite3 :memory: "SELECT json_extract(readfile('$scratch/devices.json'),
	'\$[0].id', '\$[0].name', '\$[0].region', '\$[0].ops', '\$[0].next_seq', '\$[0].equivocations',
	'\$[0].enrolled', '\$[0].last_seen', '\$[0].revoked', '\$[1].last_seen')")" \
	'["5f0c2e9a41d7b3c8e6a19f04d2b7c531","kisumu-laptop-3","kisumu",214,215,2,"2026-09-21T14:13:20Z","2026-09-21T14:18:20Z",null,null]' \
	"fields of the JSON"
check_eq "$(sqlite3 :memory: "SELECT length(json_extract(readfile('$scratch/devices.json'), '\$[0].public_key'))")" 64 \
	"public key hex"

t "devices --revoke takes an unambiguous prefix, says so, and is shown as revoked"
run "$SONDEOD" devices --data "$FIRST" --revoke 0A1B
check_rc 0
check_out_has "revoked device 0a1b2c3d4e5f60718293a4b5c6d7e8f9 (Radio Frontera, region default)"
check_eq "$(q "$FIRST" "SELECT revoked > 0 FROM enrolled_devices WHERE id = '0a1b2c3d4e5f60718293a4b5c6d7e8f9'")" 1 \
	"revoked in the database"
check_eq "$(q "$FIRST" "SELECT count(*) FROM enrolled_devices WHERE revoked > 0")" 1 "revoked devices"
run "$SONDEOD" devices --data "$FIRST"
set -- $(line 4)
[ "$8" != "-" ] || fail "the revoked device shows no revocation date: $(line 4)"
run "$SONDEOD" devices --data "$FIRST" --json
printf '%s\n' "$OUT" >"$scratch/devices.json"
check_eq "$(sqlite3 :memory: "SELECT json_type(readfile('$scratch/devices.json'), '\$[2].revoked')")" text "revoked in JSON"

t "revoking again says it already was, and keeps the first date"
first_date=$(q "$FIRST" "SELECT revoked FROM enrolled_devices WHERE id = '0a1b2c3d4e5f60718293a4b5c6d7e8f9'")
run "$SONDEOD" devices --data "$FIRST" --revoke 0a1b2c3d4e5f60718293a4b5c6d7e8f9
check_rc 0
check_out_has "was already revoked"
check_eq "$(q "$FIRST" "SELECT revoked FROM enrolled_devices WHERE id = '0a1b2c3d4e5f60718293a4b5c6d7e8f9'")" \
	"$first_date" "revocation date"

t "devices --revoke refuses unknown, ambiguous and malformed ids with status 1, revoking nothing"
run "$SONDEOD" devices --data "$FIRST" --revoke ffff
check_rc 1
check_err_has "no device 'ffff'"
run "$SONDEOD" devices --data "$FIRST" --revoke 5f0c
check_rc 1
check_err_has "'5f0c' matches 2 devices; give more of the id"
run "$SONDEOD" devices --data "$FIRST" --revoke "xyz"
check_rc 1
check_err_has "'xyz' is not a device id"
run "$SONDEOD" devices --data "$FIRST" --revoke 5f0c2e9a41d7b3c8e6a19f04d2b7c5310
check_rc 1
check_err_has "is not a device id"
check_eq "$(q "$FIRST" "SELECT count(*) FROM enrolled_devices WHERE revoked > 0")" 1 "revoked devices"
run "$SONDEOD" devices --data "$FIRST" --revoke 5f0c2 --json
check_rc 2
check_err_has "do not go together"
run "$SONDEOD" devices --data "$FIRST" --revoke
check_rc 2
check_err_has "needs a value"
check_eq "$(q "$FIRST" "SELECT count(*) FROM enrolled_devices WHERE revoked > 0")" 1 "revoked devices"

# -------------------------------------------------------------------------------------------------- forms

cat >"$scratch/water.json" <<'EOF'
{"id": "water", "version": "1", "title": {"en": "Water points", "fr": "Points d'eau"},
 "questions": [{"name": "site", "type": "text", "label": "Site", "required": true},
               {"name": "taps", "type": "integer", "label": "Taps working", "constraint": ". >= 0"}]}
EOF
cat >"$scratch/water-changed.json" <<'EOF'
{"id": "water", "version": "1", "title": "Water points",
 "questions": [{"name": "site", "type": "text", "label": "Site name"}]}
EOF
cat >"$scratch/water-2.json" <<'EOF'
{"id": "water", "version": "2", "title": "Water points",
 "questions": [{"name": "site", "type": "text", "label": "Site name"}]}
EOF
cat >"$scratch/bad-constraint.json" <<'EOF'
{"id": "water", "version": "3", "title": "Water points",
 "questions": [{"name": "taps", "type": "integer", "label": "Taps", "constraint": ". >"}]}
EOF
cat >"$scratch/bad-name.json" <<'EOF'
{"id": "water", "version": "3", "title": "Water points",
 "questions": [{"name": "taps", "type": "integer", "label": "Taps", "relevant": "${nowhere} = 1"}]}
EOF
printf '{"id": "water", "version": "3", "questions": [' >"$scratch/truncated.json"

t "forms list shows the built-in form after init"
run "$SONDEOD" forms --data "$FIRST" list
check_rc 0
check_eq "$(line 1 | tr -s ' ')" "FORM VERSION QUESTIONS TITLE" "header"
check_eq "$(line 2 | tr -s ' ')" "partnership 2 19 Inclusive and innovative partnerships on migration" "built-in form"
check_eq "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 2 "lines"

t "forms publish checks and publishes a form, which list then shows"
run "$SONDEOD" forms --data "$FIRST" publish "$scratch/water.json"
check_rc 0
check_eq "$OUT" "published form water version 1 (2 questions)" "stdout"
check_eq "$(q "$FIRST" "SELECT count(*) FROM forms WHERE id = 'water' AND version = '1'")" 1 "stored"
run "$SONDEOD" forms list --data "$FIRST"
check_eq "$(line 3 | tr -s ' ')" "water 1 2 Water points" "listed after partnership"

t "publishing the same definition again changes nothing; another one under the same version is refused"
run "$SONDEOD" forms --data "$FIRST" publish "$scratch/water.json"
check_rc 0
check_eq "$(q "$FIRST" "SELECT count(*) FROM forms WHERE id = 'water'")" 1 "versions of water"
run "$SONDEOD" forms --data "$FIRST" publish "$scratch/water-changed.json"
check_rc 1
check_err_has "$scratch/water-changed.json: form 'water' version '1' is already published with a different definition"
check_eq "$(q "$FIRST" "SELECT count(*) FROM forms WHERE id = 'water'")" 1 "versions of water"
run "$SONDEOD" forms --data "$FIRST" publish "$scratch/water-2.json"
check_rc 0
run "$SONDEOD" forms --data "$FIRST" list
check_eq "$(line 3 | tr -s ' ')" "water 2 1 Water points" "newest version listed"
check_eq "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 3 "lines"

t "forms publish refuses bad forms with the file, question and problem, storing nothing"
before=$(q "$FIRST" "SELECT count(*) FROM forms")
run "$SONDEOD" forms --data "$FIRST" publish "$scratch/bad-constraint.json"
check_rc 1
check_err_has "$scratch/bad-constraint.json: question 'taps': constraint"
run "$SONDEOD" forms --data "$FIRST" publish "$scratch/bad-name.json"
check_rc 1
check_err_has "question 'taps'"
check_err_has "nowhere"
run "$SONDEOD" forms --data "$FIRST" publish "$scratch/truncated.json"
check_rc 1
check_err_has "$scratch/truncated.json: "
run "$SONDEOD" forms --data "$FIRST" publish "$scratch/missing.json"
check_rc 1
check_err_has "cannot read '$scratch/missing.json'"
run "$SONDEOD" forms --data "$FIRST" publish "$scratch"
check_rc 1
check_err_has "cannot read '$scratch'"
check_eq "$(q "$FIRST" "SELECT count(*) FROM forms")" "$before" "forms stored"

t "forms without publish FILE or list is a usage error"
run "$SONDEOD" forms --data "$FIRST"
check_rc 2
check_err_has "expected 'publish FILE' or 'list'"
run "$SONDEOD" forms --data "$FIRST" remove water
check_rc 2
check_err_has "not 'remove'"
run "$SONDEOD" forms --data "$FIRST" publish
check_rc 2
check_err_has "publish takes one FILE (.json or .xlsx)"
run "$SONDEOD" forms --data "$FIRST" publish a.json b.json
check_rc 2
run "$SONDEOD" forms --data "$FIRST" list extra
check_rc 2
check_err_has "unexpected argument 'extra'"

t "a data directory that is not sondeod's is refused"
new_data
mkdir -p "$DATA"
sqlite3 "$DATA/server.db" "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES('schema', '1')"
run "$SONDEOD" devices --data "$DATA"
check_rc 1
check_err_has "'$DATA' does not hold sondeod data"

t "sondeo refuses a server's data directory and sondeod a device's store, naming the file and changing nothing"
new_data
run "$SONDEOD" init --data "$DATA"
check_rc 0
cp "$DATA/server.db" "$scratch/server.db.before"
run "$SONDEO" --store "$DATA" list
check_rc 1
check_err_has "'$DATA/server.db' is a server's data (sondeod), not a device's store (sondeo); nothing was changed"
run "$SONDEO" --store "$DATA" init
check_rc 1
check_err_has "'$DATA/server.db' is a server's data (sondeod), not a device's store (sondeo); nothing was changed"
cmp -s "$scratch/server.db.before" "$DATA/server.db" || fail "server.db changed"
check_file_absent "$DATA/store.db"
check_file_absent "$DATA/device.key"
# The file says what it is whatever its name: a server's layout 2, which sondeo used to take for its own older
# layout and try to upgrade, is refused as what it is.
mkdir "$scratch/moved"
cp "$DATA/server.db" "$scratch/moved/store.db"
run "$SONDEO" --store "$scratch/moved" list
check_rc 1
check_err_has "'$scratch/moved/store.db' is a server's data (sondeod), not a device's store (sondeo); nothing was changed"
cmp -s "$scratch/server.db.before" "$scratch/moved/store.db" || fail "the moved server.db changed"
run "$SONDEO" --store "$scratch/device" init
check_rc 0
run "$SONDEOD" devices --data "$scratch/device"
check_rc 1
check_err_has "'$scratch/device/store.db' is a device's store (sondeo), not a server's data (sondeod); nothing was changed"
check_file_absent "$scratch/device/server.db"

t "a secret key readable by others is refused, with the fix"
chmod 644 "$FIRST/server.key"
run "$SONDEOD" devices --data "$FIRST"
check_rc 1
check_err_has "readable by others"
check_err_has "chmod 600"
chmod 600 "$FIRST/server.key"
run "$SONDEOD" devices --data "$FIRST"
check_rc 0

t "make install puts sondeod and its man page under DESTDIR/PREFIX, and they work from there"
dest=$scratch/dest
# One build at a time, the tests' own (the Makefile says why): the other test of make install waits for it.
mkdir -p "$TOP/build"
run flock "$TOP/build/.install-test.lock" make -C "$TOP" --no-print-directory -j2 install DESTDIR="$dest" PREFIX=/opt/sondeo \
	BUILD_DIR=build/install-test BIN=build/install-test/bin CFLAGS="-O0 -g0"
check_rc 0
check_file_mode "$dest/opt/sondeo/bin/sondeod" 755
check_file_mode "$dest/opt/sondeo/share/man/man8/sondeod.8" 644
run "$dest/opt/sondeo/bin/sondeod" --version
check_rc 0
check_out_has "sondeod 0.1"
new_data
run "$dest/opt/sondeo/bin/sondeod" init --data "$DATA"
check_rc 0
check_out_has "server key fingerprint: "
# The test build hashes passwords at libsodium's minimum cost to save the suite's time; the installed build
# must store them at the interactive limits (64 MiB, two passes).
check_eq "$(q "$DATA" "SELECT substr(pwhash, 1, 31) FROM users WHERE name = 'admin'")" \
	'$argon2id$v=19$m=65536,t=2,p=1$' "the installed build's password cost"
if command -v man >/dev/null 2>&1; then
	run man -l "$dest/opt/sondeo/share/man/man8/sondeod.8"
	check_rc 0
	check_out_has "enrol-code --data DIR"
else
	run head -n 3 "$dest/opt/sondeo/share/man/man8/sondeod.8"
	check_out_has "sondeod \\- the Sondeo survey server"
fi

done_testing
