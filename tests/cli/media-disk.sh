#!/bin/sh
# media-disk.sh - a full disk at sondeod during an attachment's upload, on loopback (docs/attachments-design.md,
# "Sync"): the change sets are taken, the chunk that does not fit is answered 507 with nothing of it kept, the
# laptop says so and keeps its file; once there is room, the next sync resumes where the server's bytes end.
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"
disk=$TMPDIR/disk
mkdir -p "$disk"

if ! unshare -rm sh -c 'mount -t tmpfs -o size=64k tmpfs "$1"' sh "$disk" 2>/dev/null; then
	t "a full disk during an attachment's upload"
	skip "cannot mount a tmpfs in a private namespace here (unshare -rm)"
	done_testing
fi

cat >"$TMPDIR/visit.json" <<'JSON'
{"id": "visit", "version": "1", "questions": [
 {"name": "site", "type": "text", "label": "Site", "required": true},
 {"name": "mou", "type": "file", "label": "Memorandum"}]}
JSON

# The server's data directory on an 8 MiB tmpfs in a mount namespace of its own (as in server-disk.sh), reached
# through /proc/PID/root of the shell that mounted it; its log stays outside.
cat >"$TMPDIR/serve.sh" <<'EOF'
echo $$ >"$5"
mount -t tmpfs -o size=8m tmpfs "$1" || exit 3
"$SONDEOD" init --data "$1/hq" >/dev/null 2>&1 || exit 4
"$SONDEOD" forms --data "$1/hq" publish "$6" >/dev/null 2>&1 || exit 4
"$SONDEOD" enrol-code --data "$1/hq" --region east | head -n 1 >"$3" || exit 5
"$SONDEOD" serve --data "$1/hq" --listen "127.0.0.1:$2" 2>"$4" &
trap 'kill $!; wait $!' TERM
wait
EOF
server_log "$log"
: >"$log"
ASAN_OPTIONS=$SERVER_ASAN_OPTIONS unshare -rm sh "$TMPDIR/serve.sh" "$disk" 0 "$TMPDIR/code" "$log" "$TMPDIR/inner" \
	"$TMPDIR/visit.json" &
NSPID=$!
await_serving "$log" "$NSPID" || { t "sondeod starts on a small disk"; fail "it did not: $(cat "$log")"; done_testing; }
INNER=$(cat "$TMPDIR/inner")
at_exit "kill $INNER 2>/dev/null; wait $NSPID 2>/dev/null"
URL=$SERVED
inside=/proc/$INNER/root$disk
hq=$inside/hq

# inns CMD... : CMD in the server's namespaces, where its data directory is at its own path (sqlite3 would
# resolve /proc/PID/root away).
inns() {
	nsenter -t "$INNER" -U -m --preserve-credentials "$@"
}
hash_of() { b2sum -l 256 "$1" | cut -c1-64; }
size_of() { if [ -f "$1" ]; then wc -c <"$1" | tr -d ' '; else echo 0; fi; }
free_bytes() { echo $(($(stat -f -c '%a * %S' "$inside"))); }
# The offsets and answers of the chunks of the file the server was sent, in the order they came (from its log).
puts() { grep -a "PUT /v1/media?blake2b=$h&offset=" "$log" | sed 's/.*&offset=\([0-9]*\) \([0-9]*\).*/\1:\2/' | tr '\n' ' '; }

new_store
"$SONDEO" init --name disk-1 >/dev/null
"$SONDEO" enrol "$URL" "$(cat "$TMPDIR/code")" >/dev/null || { t "the laptop enrols"; fail "it did not"; done_testing; }
"$SONDEO" sync >/dev/null
# A 4 MB file (a PDF's first bytes): four chunks, where the disk will have room for one and a half.
head -c 4000000 /dev/urandom | { printf '%%PDF-1.7\n'; cat; } >"$TMPDIR/mou.pdf"
h=$(hash_of "$TMPDIR/mou.pdf")
size=$(size_of "$TMPDIR/mou.pdf")
part=$hq/media/partial/$h
whole=$hq/media/$(printf %.2s "$h")/$h
mine=$SONDEO_HOME/media/$(printf %.2s "$h")/$h

t "the disk fills during the upload: the change sets are taken, the chunk that does not fit is answered 507, the laptop says so and keeps its file"
run "$SONDEO" new visit --set site=Dakar --set mou=@"$TMPDIR/mou.pdf"
check_rc 0
rec=$(sqlite3 "$SONDEO_HOME/store.db" "SELECT id FROM records")
# All but 1.5 MiB of the disk goes to a filler: the change sets fit, the file does not.
dd if=/dev/zero of="$inside/filler" bs=4096 count=$((($(free_bytes) - 1572864) / 4096)) 2>/dev/null
free=$(free_bytes)
[ "$free" -gt 1048576 ] && [ "$free" -lt 2097152 ] || fail "the disk has $free bytes free, not between one and two chunks"
run "$SONDEO" sync
check_rc 1
check_out_has "synced with $URL: 2 changes sent, 0 received"
check_out_lacks "attachment"
check_eq "$ERR" "sondeo: attachment $(printf %.8s "$h"): the server's disk is full; the file is kept for the next sync" \
	"what the laptop says"
check_eq "$(puts)" "0:200 1048576:507 " "the chunks and their answers"
check_eq "$(grep -c "^sondeod: the disk is full: attachment $(printf %.16s "$h")\.\.\. stays at 1048576 of its $size bytes until there is room$" "$log")" \
	1 "log lines telling the operator"
run "$SONDEO" show "$rec"
check_out_has "mou.pdf (application/pdf, 4 MB), on this laptop"
cmp -s "$TMPDIR/mou.pdf" "$mine" || fail "the laptop's copy differs from the file given"

t "the server keeps the chunks it took, nothing of the one that failed, and the rest of its store as it was"
held=$(size_of "$part")
check_eq "$held" 1048576 "the bytes the server holds"
[ "$held" -gt 0 ] && [ $((held % 1048576)) -eq 0 ] || fail "the server holds $held bytes: not whole chunks"
head -c "$held" "$TMPDIR/mou.pdf" >"$TMPDIR/prefix"
cmp "$TMPDIR/prefix" "$part" >"$TMPDIR/cmp" 2>&1 || fail "the server's bytes are not the file's first: $(cat "$TMPDIR/cmp")"
check_file_absent "$whole"
check_eq "$(curl -sS -w ' %{http_code}' "$URL/healthz" | tr '\n' ' ')" "ok  200" "/healthz"
run curl -sS "$URL/metrics"
check_out_has 'sondeod_attachments{state="partial"} 1'
check_out_has 'sondeod_attachments{state="whole"} 0'
run inns sqlite3 "$disk/hq/server.db" "PRAGMA integrity_check; SELECT count(*) FROM records WHERE id = '$rec';"
check_rc 0
check_eq "$OUT" "$(printf 'ok\n1')" "the server's store: its integrity, and the record"
run inns "$SONDEOD" status --data "$disk/hq"
check_rc 0
check_out_has "attachments:        0 held (0 MB), 1 still coming"

t "room again: the next sync resumes where the server's bytes end, and the server's file is the laptop's, byte for byte"
rm -f "$inside/filler"
run "$SONDEO" sync
check_rc 0
check_out_has "synced with $URL: 0 changes sent, 0 received, 1 attachment sent (3 MB)"
check_err_lacks "attachment"
check_eq "$(puts)" "0:200 1048576:507 1048576:200 2097152:200 3145728:201 " "the chunks and their answers"
check_file_exists "$whole"
cmp -s "$TMPDIR/mou.pdf" "$whole" || fail "the server's copy differs from the laptop's"
check_eq "$(hash_of "$whole")" "$h" "the hash of the server's copy"
check_file_absent "$part"
run inns "$SONDEOD" status --data "$disk/hq"
check_rc 0
check_out_has "attachments:        1 held (4 MB), 0 still coming"
run "$SONDEO" sync
check_rc 0
check_out_lacks "attachment"
check_eq "$(puts | wc -w | tr -d ' ')" 5 "chunks sent after the file was whole"

t "a full disk stops the laptop's uploads at the first file: the others wait on the laptop, untried, for the next sync"
head -c 1200000 /dev/urandom | { printf '%%PDF-1.7\n'; cat; } >"$TMPDIR/one.pdf"
head -c 1200000 /dev/urandom | { printf '%%PDF-1.7\n'; cat; } >"$TMPDIR/two.pdf"
run "$SONDEO" new visit --set site=Thiès --set mou=@"$TMPDIR/one.pdf"
check_rc 0
run "$SONDEO" new visit --set site=Kolda --set mou=@"$TMPDIR/two.pdf"
check_rc 0
# Room for the change sets, not for a chunk.
dd if=/dev/zero of="$inside/filler" bs=4096 count=$((($(free_bytes) - 524288) / 4096)) 2>/dev/null
run "$SONDEO" sync
check_rc 1
check_out_has "4 changes sent"
check_eq "$(printf '%s\n' "$ERR" | grep -c "the server's disk is full")" 1 "files said to wait"
# Every request about either file, from the offset asked to the last chunk.
tried=0
for f in one two; do
	grep -aq "blake2b=$(hash_of "$TMPDIR/$f.pdf")" "$log" && tried=$((tried + 1))
done
check_eq "$tried" 1 "files the laptop tried to send"
rm -f "$inside/filler"
run "$SONDEO" sync
check_rc 0
check_out_has "2 attachments sent"
for f in one two; do
	g=$(hash_of "$TMPDIR/$f.pdf")
	cmp -s "$TMPDIR/$f.pdf" "$hq/media/$(printf %.2s "$g")/$g" || fail "the server's copy of $f.pdf differs"
done

done_testing
