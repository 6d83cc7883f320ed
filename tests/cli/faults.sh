#!/bin/sh
# faults.sh - the store under faults: kill -9 in the middle of writing, a store locked by another program, a
# read-only store, a full disk. Whatever happens, the store stays a valid SQLite database, a bulk load is all or
# nothing, an id that was printed is on disk, and the message says what went wrong.
#
# The read-only store and the full disk are made with mounts the test owns, in a private mount namespace
# (unshare -rm: works as root and, where user namespaces are allowed, as anyone): a read-only bind mount of the
# store (root ignores file permissions, not a read-only mount), and a 600 KiB tmpfs filled up with a filler file.
#
# Runs under tests/run.sh (SONDEO, TOP, TMPDIR set) or by hand:
#   make MODE=test check-build && SONDEO=$PWD/build/test/sondeo TOP=$PWD sh tests/cli/faults.sh
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
. "$TOP/tests/cli/lib.sh"

LANG=C.UTF-8
SONDEO_TODAY=2026-11-01
export LANG SONDEO_TODAY
unset LANGUAGE LC_ALL

scratch=$(mktemp -d "${TMPDIR:-/tmp}/faults.XXXXXX")
at_exit "rm -rf '$scratch'"
SAMPLES=$TOP/forms/samples/partnerships.csv

# new_named NAME : runs new for a valid record called NAME.
new_named() {
	run "$SONDEO" new --set partner_name="$1" --set stakeholder_type=media --set country=KEN --set level=local \
		--set thematic_areas=human_rights
}

# Random delays, reproducible: FAULTS_SEED=N sh tests/cli/faults.sh runs the same delays again.
seed=${FAULTS_SEED:-$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')}
echo "# FAULTS_SEED=$seed"
# rand_delay LOW HIGH INDEX : a number of seconds between LOW and HIGH, the same for the same seed and INDEX.
rand_delay() {
	awk -v s="$seed" -v i="$3" -v lo="$1" -v hi="$2" 'BEGIN { srand(s * 31 + i); printf "%.2f", lo + rand() * (hi - lo) }'
}

# A process just killed may hold the store's lock for a moment longer: wait for it as sondeo does.
q() {
	sqlite3 -cmd ".timeout 5000" "$SONDEO_HOME/store.db" "$1"
}

dump() {
	sqlite3 "$SONDEO_HOME/store.db" .dump >"$1"
}

# fresh : a new store with the 8 sample records.
fresh() {
	new_store
	"$SONDEO" init >/dev/null 2>&1 || fail "init failed in $SONDEO_HOME"
	"$SONDEO" new --from "$SAMPLES" >/dev/null 2>&1 || fail "cannot load the samples"
}

# check_consistent : the store passes SQLite's integrity check, every final record has all of its first ops, and
# the next seq is past every op (a seq is never handed out twice).
check_consistent() {
	check_eq "$(q "PRAGMA integrity_check")" ok "integrity_check"
	check_eq "$(q "PRAGMA foreign_key_check")" "" "foreign_key_check"
	check_eq "$(q "SELECT count(*) FROM records r WHERE NOT draft AND NOT EXISTS
		(SELECT 1 FROM ops o WHERE o.rid = r.rid AND o.field = 'partner_name')")" 0 "final records without ops"
	check_eq "$(q "SELECT (SELECT value FROM meta WHERE key = 'next_seq') = coalesce(max(seq), 0) + 1 FROM ops")" 1 \
		"next_seq is one past the last op"
	check_eq "$(q "SELECT count(*) FROM fields f WHERE NOT EXISTS (SELECT 1 FROM records r WHERE r.rid = f.rid)")" 0 \
		"answers without a record"
}

# Processes this script starts in the background, ended when it ends however it ends (and forgotten once waited
# for, so that a pid used again by another program is never touched).
bulk_pid="" finish_pid="" loop_pgid="" lock_pid=""
at_exit '[ -z "$bulk_pid" ] || kill -s KILL "$bulk_pid" 2>/dev/null'
at_exit '[ -z "$finish_pid" ] || kill -s KILL "$finish_pid" 2>/dev/null'
at_exit '[ -z "$loop_pgid" ] || kill -s KILL -- "-$loop_pgid" 2>/dev/null'
at_exit '[ -z "$lock_pid" ] || kill -s TERM "$lock_pid" 2>/dev/null'

# alive PID : running and not a zombie (read from /proc without starting a process).
alive() {
	{ read -r _a_pid _a_comm _a_state _a_rest <"/proc/$1/stat"; } 2>/dev/null && [ "$_a_state" != Z ]
}

# ------------------------------------------------------------------------------------------------ kill -9

# 3000 valid records, 7 answers each plus the default interview date: 8 ops per record.
awk 'BEGIN {
	print "partner_name,stakeholder_type,country,level,thematic_areas,scale_up_potential,notes"
	for (i = 1; i <= 3000; i++)
		printf "Bulk Org %d,media,KEN,local national,human_rights,%d,\"Note %d, with a comma\"\n", i, i % 5 + 1, i
}' >"$scratch/big.csv"

# bulk_start : starts loading big.csv into a fresh store (SONDEO_HOME), in the background (pid in bpid).
bulk_start() {
	new_store
	"$SONDEO" init >/dev/null 2>&1 || fail "init failed"
	"$SONDEO" new --from "$scratch/big.csv" >"$SONDEO_HOME.out" 2>"$SONDEO_HOME.err" &
	bpid=$!
}

# bulk_end HOW : unless HOW is "finish", kills the load started by bulk_start with SIGKILL: after a delay of HOW
# seconds, or (HOW = "commit") as soon as it starts writing its transaction to the WAL. Then checks the store.
bulk_end() {
	case $1 in
	finish) ;;
	commit)
		# The answers are checked and kept in memory first; the WAL, empty until then, grows only when the
		# transaction is written, which takes some tens of milliseconds.
		while alive "$bpid" && [ ! -s "$SONDEO_HOME/store.db-wal" ]; do
			sleep 0.01
		done
		kill -9 "$bpid" 2>/dev/null
		;;
	*)
		sleep "$1"
		kill -9 "$bpid" 2>/dev/null
		;;
	esac
	wal=$(stat -c %s "$SONDEO_HOME/store.db-wal" 2>/dev/null || echo none)
	if wait "$bpid"; then brc=0; else brc=$?; fi
	n=$(q "SELECT count(*) FROM records")
	echo "# $1: exit status $brc, WAL $wal bytes when it ended, $n records after recovery"
	check_consistent
	case $n in 0 | 3000) ;; *) fail "$n records after kill -9: expected 0 or 3000" ;; esac
	check_eq "$(q "SELECT count(*) FROM ops")" "$((n * 8))" "ops for $n records"
	check_eq "$(q "SELECT count(*) FROM fields")" "$((n * 8))" "answers for $n records"
	if [ "$brc" = 0 ]; then
		check_eq "$n" 3000 "records after a finished load"
		check_eq "$(wc -l <"$SONDEO_HOME.out" | tr -d ' ')" 3000 "ids printed"
	elif [ "$brc" != 137 ]; then
		fail "new exited with status $brc: $(cat "$SONDEO_HOME.err")"
	fi
	# Ids are printed only once saved: every id printed is in the store (a kill while they are being printed
	# leaves some of them unprinted, or the last one cut short, never one that was not saved).
	if [ -s "$SONDEO_HOME.out" ]; then
		q "SELECT id FROM records" | sort >"$scratch/bulk.store"
		# A line cut off by the kill is not a whole id.
		grep -E '^[0-9a-f-]{36}$' "$SONDEO_HOME.out" | sort | comm -23 - "$scratch/bulk.store" >"$scratch/bulk.unsaved"
		[ ! -s "$scratch/bulk.unsaved" ] || fail "ids printed but not saved: $(head -n 3 "$scratch/bulk.unsaved")"
	fi
	[ "$n" = 0 ] || check_eq "$(q "SELECT partner_name || '|' || scale_up_potential || '|' || notes FROM form_partnership
		WHERE partner_name = 'Bulk Org 2999'")" "Bulk Org 2999|5|Note 2999, with a comma" "record 2999"
	new_named "After The Crash"
	check_rc 0
	check_eq "$(q "SELECT count(*) FROM records")" "$((n + 1))" "records after one more new"
	check_eq "$(q "SELECT max(seq) FROM ops")" "$((n * 8 + 6))" "seq of the last op"
	check_consistent
}

# The load left to finish runs meanwhile, in its own store.
bulk_start
finish_pid=$bpid finish_home=$SONDEO_HOME

t "kill -9 early in a bulk load of 3000 records: all or nothing, store sound, new works"
bulk_start
bulk_pid=$bpid
bulk_end "$(rand_delay 0.05 0.4 1)"
bulk_pid=""

t "kill -9 later in a bulk load: all or nothing"
bulk_start
bulk_pid=$bpid
bulk_end "$(rand_delay 0.4 3 2)"
bulk_pid=""

t "kill -9 while the bulk load writes its transaction: all or nothing"
bulk_start
bulk_pid=$bpid
bulk_end commit
bulk_pid=""

t "a bulk load left to finish saves all 3000 records"
SONDEO_HOME=$finish_home bpid=$finish_pid
bulk_end finish
finish_pid=""
check_eq "$n" 3000 "records"

t "every id printed before kill -9 is in the store with its answers"
for round in 1 2; do
	new_store
	"$SONDEO" init >/dev/null 2>&1 || fail "init failed"
	: >"$scratch/loop.ids"
	# One record after another, each id printed by sondeo itself once the record is saved. setsid makes the loop
	# a process group of its own, so that one kill -9 ends the loop and the sondeo it is running.
	# A new that fails ends the loop (rather than spinning), and is reported below.
	setsid sh -c 'i=0
		while [ $i -lt 5000 ]; do
			i=$((i + 1))
			"$SONDEO" new --set partner_name="Loop $i" --set notes="Note $i" --set scale_up_potential=$((i % 5 + 1)) \
				--set stakeholder_type=media --set country=KEN --set level=local --set thematic_areas=human_rights \
				>>"$0" 2>>"$0.err" || exit 1
		done' "$scratch/loop.ids" &
	lpid=$!
	loop_pgid=$lpid
	# The background job starts in this script's group and setsid moves it a moment later: wait for that rather
	# than reading the group at once (on a busy machine ps could see the job before setsid ran).
	pg=0
	while [ "$(ps -o pgid= -p "$lpid" | tr -d ' ')" != "$lpid" ] && alive "$lpid" && [ $pg -lt 100 ]; do
		sleep 0.05
		pg=$((pg + 1))
	done
	check_eq "$(ps -o pgid= -p "$lpid" | tr -d ' ')" "$lpid" "process group of the loop"
	waited=0
	while alive "$lpid" && [ "$(wc -l <"$scratch/loop.ids")" -lt $((3 * round)) ] && [ $waited -lt 300 ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
	sleep "$(rand_delay 0 0.5 $((10 + round)))"
	kill -s KILL -- "-$lpid" 2>/dev/null || fail "could not kill the loop: $(head -c 300 "$scratch/loop.ids.err")"
	wait "$lpid" 2>/dev/null
	loop_pgid=""
	check_consistent
	printed=$(wc -l <"$scratch/loop.ids" | tr -d ' ')
	[ "$printed" -ge $((3 * round)) ] || fail "only $printed ids printed in 30 s: $(head -c 300 "$scratch/loop.ids.err")"
	saved=$(q "SELECT count(*) FROM records")
	# The one killed may have saved its record without printing its id; it cannot have saved half of it.
	[ "$saved" = "$printed" ] || [ "$saved" = $((printed + 1)) ] || fail "$saved records saved, $printed ids printed"
	check_eq "$(q "SELECT count(*) FROM ops")" "$((saved * 8))" "ops for $saved records"
	while read -r id; do
		run "$SONDEO" show "$id" --json
		check_rc 0
		printf '%s\n' "$OUT" >"$scratch/loop.json"
		k=$(sqlite3 :memory: "SELECT substr(json_extract(CAST(readfile('$scratch/loop.json') AS TEXT),
			'\$.answers.partner_name'), 6)")
		case $k in '' | *[!0-9]*) fail "record $id has no 'Loop N' name: '$k'" ; continue ;; esac
		check_eq "$(sqlite3 :memory: "WITH f(j) AS (SELECT CAST(readfile('$scratch/loop.json') AS TEXT))
			SELECT json_extract(j, '\$.status') || '|' || json_extract(j, '\$.answers.notes') || '|' ||
			json_extract(j, '\$.answers.scale_up_potential') || '|' || json_extract(j, '\$.answers.country') FROM f")" \
			"final|Note $k|$((k % 5 + 1))|KEN" "answers of record $id (Loop $k)"
	done <"$scratch/loop.ids"
done

# ---------------------------------------------------------------------------------------------- locked store

t "a store locked by another writer: new waits, then fails with 'busy' and saves nothing"
fresh
dump "$scratch/lock.before"
mkfifo "$scratch/lock.fifo"
sqlite3 "$SONDEO_HOME/store.db" <"$scratch/lock.fifo" >"$scratch/lock.out" 2>&1 &
lockpid=$!
lock_pid=$lockpid
exec 3>"$scratch/lock.fifo"
printf "BEGIN IMMEDIATE;\nSELECT 'locked';\n" >&3
waited=0
until grep -q locked "$scratch/lock.out" || [ $waited -ge 100 ]; do
	sleep 0.1
	waited=$((waited + 1))
done
grep -q locked "$scratch/lock.out" || fail "the sqlite3 shell did not take the lock: $(cat "$scratch/lock.out")"
start=$(date +%s)
new_named "Blocked"
elapsed=$(($(date +%s) - start))
check_rc 1
check_eq "$OUT" "" "stdout"
check_err_has "sondeo: the store is busy: another program is writing to it (try again)"
[ "$elapsed" -ge 4 ] || fail "gave up after ${elapsed}s: expected to wait about 5 s"
[ "$elapsed" -le 30 ] || fail "waited ${elapsed}s: expected about 5 s"
# Readers are not blocked by a writer (WAL).
run "$SONDEO" list
check_rc 0
check_eq "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 9 "lines of list while locked"
exec 3>&-
wait "$lockpid"
lock_pid=""
dump "$scratch/lock.after"
cmp -s "$scratch/lock.before" "$scratch/lock.after" || fail "the store changed while locked"

t "once the lock is released, the same new works"
new_named "Blocked"
check_rc 0
check_eq "$(q "SELECT count(*) FROM form_partnership WHERE partner_name = 'Blocked'")" 1 "records saved"
check_consistent

# -------------------------------------------------------------------------------------------- read-only store

# ro_run DIR CMD... : runs CMD with DIR (a file or a directory) bind-mounted read-only over itself.
ro_run() {
	_ro=$1
	shift
	run unshare -rm sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"' \
		sh "$_ro" "$@"
}

if unshare -rm sh -c 'mount -t tmpfs -o size=64k tmpfs "$1"' sh "$scratch" 2>/dev/null; then
	can_mount=1
else
	can_mount=0
fi

t "a store on a read-only mount: new fails, says read-only, saves nothing"
if [ "$can_mount" = 0 ]; then
	skip "cannot mount in a private namespace here (unshare -rm)"
else
	fresh
	dump "$scratch/ro.before"
	ro_run "$SONDEO_HOME" sh -c 'echo x >"$SONDEO_HOME/probe"'
	[ "$RC" != 0 ] || fail "could write in the read-only mount"
	check_err_has "Read-only file system"
	ro_run "$SONDEO_HOME" "$SONDEO" new --set partner_name="Read Only" --set stakeholder_type=media \
		--set country=KEN --set level=local --set thematic_areas=human_rights
	check_rc 1
	check_eq "$OUT" "" "stdout"
	case $ERR in *read-only* | *"cannot write"*) ;; *) fail "the message does not say read-only or cannot write" ;; esac
	ro_run "$SONDEO_HOME" "$SONDEO" delete "$(q "SELECT id FROM records LIMIT 1")"
	check_rc 1
	case $ERR in *read-only* | *"cannot write"*) ;; *) fail "the message does not say read-only or cannot write" ;; esac
	dump "$scratch/ro.after"
	cmp -s "$scratch/ro.before" "$scratch/ro.after" || fail "the store changed"
fi

t "a store on a read-only mount can still be listed, shown and exported"
if [ "$can_mount" = 0 ]; then
	skip "cannot mount in a private namespace here (unshare -rm)"
else
	rid=$(q "SELECT id FROM records LIMIT 1")
	ro_run "$SONDEO_HOME" "$SONDEO" list
	check_rc 0
	check_eq "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 9 "lines of list"
	ro_run "$SONDEO_HOME" "$SONDEO" show "$rid"
	check_rc 0
	check_out_has "Record $rid"
	ro_run "$SONDEO_HOME" "$SONDEO" export --format csv -o "$scratch/ro-export.csv"
	check_rc 0
	check_eq "$(cat "$scratch/ro-export.csv" 2>/dev/null | wc -l | tr -d ' ')" 9 "lines exported"
fi

t "a read-only store.db in a writable directory: new says read-only once, list and show work"
if [ "$can_mount" = 0 ]; then
	skip "cannot mount in a private namespace here (unshare -rm)"
else
	fresh
	dump "$scratch/rof.before"
	ro_run "$SONDEO_HOME/store.db" "$SONDEO" new --set partner_name="Read Only" --set stakeholder_type=media \
		--set country=KEN --set level=local --set thematic_areas=human_rights
	check_rc 1
	check_eq "$OUT" "" "stdout"
	check_eq "$ERR" "sondeo: the store is read-only: nothing was saved" "the message"
	ro_run "$SONDEO_HOME/store.db" "$SONDEO" edit "$(q "SELECT id FROM records LIMIT 1")" --set notes=changed
	check_rc 1
	check_err_has "read-only"
	check_err_lacks "nothing was saved: nothing was changed"
	ro_run "$SONDEO_HOME/store.db" "$SONDEO" list
	check_rc 0
	check_eq "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 9 "lines of list"
	rid=$(q "SELECT id FROM records LIMIT 1")
	ro_run "$SONDEO_HOME/store.db" "$SONDEO" show "$rid"
	check_rc 0
	check_out_has "Record $rid"
	dump "$scratch/rof.after"
	cmp -s "$scratch/rof.before" "$scratch/rof.after" || fail "the store changed"
fi

# ------------------------------------------------------------------------------------------------- full disk

# 400 valid records: more than a nearly full 600 KiB disk can take.
awk 'BEGIN {
	print "partner_name,stakeholder_type,country,level,thematic_areas,notes"
	for (i = 1; i <= 400; i++)
		printf "Full Disk Org %d,media,KEN,local national,human_rights,Notes long enough to need room in the store %d\n", i, i
}' >"$scratch/four-hundred.csv"

# The whole story in one private mount namespace (the tmpfs vanishes with it): a store on a 600 KiB tmpfs with the
# sample records, a filler file taking all but FREE KiB, the bulk load, the filler removed, then the checks.
cat >"$scratch/full.sh" <<'EOF'
set -u
D=$1 FREE=$2 R=$3 BULK=$4 SAMPLES=$5
mount -t tmpfs -o size=600k tmpfs "$D" || exit 3
SONDEO_HOME=$D/store
export SONDEO_HOME
"$SONDEO" init >/dev/null 2>&1 || exit 4
"$SONDEO" new --from "$SAMPLES" >/dev/null 2>&1 || exit 5
sqlite3 "$SONDEO_HOME/store.db" .dump >"$R.before"
[ "$FREE" -gt 0 ] && dd if=/dev/zero of="$D/keep" bs=1k count="$FREE" 2>/dev/null
dd if=/dev/zero of="$D/filler" bs=4k 2>/dev/null
rm -f "$D/keep"
df -k "$D" | awk 'NR == 2 { print $4 }' >"$R.free"
"$SONDEO" new --from "$BULK" >"$R.out" 2>"$R.err"
echo $? >"$R.rc"
"$SONDEO" export --format csv -o "$D/export.csv" >/dev/null 2>"$R.export-err"
echo $? >"$R.export-rc"
ls "$D" >"$R.files"
cat "$D/export.csv" 2>/dev/null | wc -l >"$R.export-lines"
rm -f "$D/filler"
sqlite3 "$SONDEO_HOME/store.db" "PRAGMA integrity_check" >"$R.integrity" 2>&1
sqlite3 "$SONDEO_HOME/store.db" .dump >"$R.after"
"$SONDEO" new --set partner_name="After The Disk Was Full" --set stakeholder_type=media --set country=KEN \
	--set level=local --set thematic_areas=human_rights >"$R.later" 2>&1
echo $? >>"$R.later"
sqlite3 "$SONDEO_HOME/store.db" "SELECT count(*) FROM records" >"$R.count"
EOF

# full_round FREE : runs full.sh with FREE KiB left on the disk, and checks what it recorded.
full_round() {
	mkdir -p "$scratch/disk"
	r=$scratch/full-$1
	run unshare -rm sh "$scratch/full.sh" "$scratch/disk" "$1" "$r" "$scratch/four-hundred.csv" "$SAMPLES"
	check_rc 0
	[ "$(cat "$r.free" 2>/dev/null)" -le $(($1 + 8)) ] 2>/dev/null || fail "the disk was not full: $(cat "$r.free" 2>/dev/null) KiB free"
	check_eq "$(cat "$r.rc" 2>/dev/null)" 1 "exit status of new"
	check_eq "$(cat "$r.out" 2>/dev/null)" "" "ids printed"
	case $(cat "$r.err" 2>/dev/null) in
	# Refused while opening the store, or while saving: either way nothing was written.
	"sondeo: the disk is full" | "sondeo: the disk is full: nothing was saved" | \
		"sondeo: cannot write the store ("*"): nothing was saved") ;;
	*) fail "the message is '$(cat "$r.err" 2>/dev/null)', expected 'the disk is full' or 'cannot write'" ;;
	esac
	check_eq "$(cat "$r.integrity" 2>/dev/null)" ok "integrity_check after removing the filler"
	cmp -s "$r.before" "$r.after" || fail "the store changed: $(diff "$r.before" "$r.after" | head -n 4 | tr '\n' ' ')"
	# An export on the full disk either fits, whole, or fails and leaves no file, not even its temporary one.
	if [ "$(cat "$r.export-rc" 2>/dev/null)" = 0 ]; then
		check_eq "$(tr -d ' ' <"$r.export-lines")" 9 "lines of the export made on the full disk"
	else
		check_eq "$(grep -c export "$r.files")" 0 "export files left on the full disk"
	fi
	check_eq "$(sed -n 2p "$r.later" 2>/dev/null)" 0 "exit status of new once there is room"
	check_eq "$(cat "$r.count" 2>/dev/null)" 9 "records at the end"
}

t "a full disk: new --from fails with 'disk is full', and the store is unchanged"
if [ "$can_mount" = 0 ]; then
	skip "cannot mount a tmpfs in a private namespace here (unshare -rm)"
else
	full_round 100
fi

t "a completely full disk: the same, even before the first page is written"
if [ "$can_mount" = 0 ]; then
	skip "cannot mount a tmpfs in a private namespace here (unshare -rm)"
else
	full_round 0
fi

t "export -o to a full disk fails and keeps the old file"
if [ "$can_mount" = 0 ]; then
	skip "cannot mount a tmpfs in a private namespace here (unshare -rm)"
else
	fresh
	mkdir -p "$scratch/small"
	run unshare -rm sh -c 'mount -t tmpfs -o size=128k tmpfs "$1" && echo "old export" >"$1/out.csv" &&
		{ dd if=/dev/zero of="$1/filler" bs=4k 2>/dev/null; "$SONDEO" export --format csv -o "$1/out.csv";
		  echo "rc=$?"; cat "$1/out.csv"; ls "$1"; }' sh "$scratch/small"
	check_out_has "rc=1"
	check_out_has "old export"
	check_eq "$(printf '%s\n' "$OUT" | grep -c 'out.csv.tmp')" 0 "temporary files left"
	check_err_has "sondeo: cannot write"
	check_err_has "No space left on device"
	check_err_lacks "exported"
fi

t "output to a full device: list and export fail with status 1"
run sh -c '"$SONDEO" list >/dev/full'
check_rc 1
check_err_has "sondeo: cannot write output: No space left on device"
run sh -c '"$SONDEO" export --format json >/dev/full'
check_rc 1
check_err_has "No space left on device"
run sh -c '"$SONDEO" status --json >/dev/full'
check_rc 1

done_testing
