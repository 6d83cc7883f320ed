#!/bin/sh
# media-sync.sh - attachments go up to a real sondeod on loopback (docs/attachments-design.md, "Sync"): after the
# change sets that name them, in signed chunks the server keeps as they come; byte for byte; never twice; a cut
# and a kill -9 of the server resume where the server's bytes end; bytes altered on the way, bytes of another
# file and a file no op names are refused; past the limits, refused before a byte is read; a draft's stay home.
# engines: sqlite postgresql
. "$TOP/tests/cli/lib.sh"

SONDEOD=${SONDEOD:-$(dirname "$SONDEO")/sondeod}
SIGNEDGET=$(dirname "$SONDEO")/tests/signedget
hq=$TMPDIR/hq
log=$TMPDIR/serve.log
. "$TOP/tests/cli/server.inc"
py_start
LANG=C.UTF-8
export LANG
unset LANGUAGE LC_ALL

cat >"$TMPDIR/visit.json" <<'JSON'
{"id": "visit", "version": "1", "questions": [
 {"name": "site", "type": "text", "label": "Site", "required": true},
 {"name": "photo", "type": "image", "label": "Photo"},
 {"name": "clip", "type": "video", "label": "Clip"},
 {"name": "mou", "type": "file", "label": "Memorandum"}]}
JSON
hq_init "$hq" >/dev/null
"$SONDEOD" forms --data "$hq" publish "$TMPDIR/visit.json" >/dev/null
start_server || { t "sondeod starts"; fail "sondeod did not start: $(cat "$log")"; done_testing; }
code=$("$SONDEOD" enrol-code --data "$hq" --region east --uses 2 | head -n 1)
for d in a b; do
	SONDEO_HOME=$TMPDIR/dev-$d "$SONDEO" init >/dev/null
	SONDEO_HOME=$TMPDIR/dev-$d "$SONDEO" enrol "$URL" "$code" >/dev/null
done
# A 3 MB file of a PDF's first bytes, a 20 MB video (an MP4's first bytes), and a small one.
head -c 3000000 /dev/urandom | { printf '%%PDF-1.7\n'; cat; } >"$TMPDIR/mou.pdf"
head -c 20000000 /dev/urandom | { printf '\0\0\0\040ftypisom\0\0\002\0'; cat; } >"$TMPDIR/clip.mp4"
printf '%%PDF-1.4\nsmall\n' >"$TMPDIR/small.pdf"

hash_of() { b2sum -l 256 "$1" | cut -c1-64; }
held() { h=$(hash_of "$1"); printf '%s/media/%.2s/%s' "$hq" "$h" "$h"; }
partial() { printf '%s/media/partial/%s' "$hq" "$(hash_of "$1")"; }
size_of() { if [ -f "$1" ]; then wc -c <"$1" | tr -d ' '; else echo 0; fi; }
# The offsets of the chunks of file $1 the server took, in the order they came (from its log).
puts_of() { grep -a "PUT /v1/media?blake2b=$(hash_of "$1")&offset=" "$log" | sed 's/.*&offset=\([0-9]*\) \([0-9]*\).*/\1:\2/'; }
dev() { d=$1; shift; SONDEO_HOME=$TMPDIR/dev-$d "$@"; }

t "sync sends a final record's attachments after its change sets; the server keeps them byte for byte; a second sync sends nothing again"
dev a "$SONDEO" new visit --set site=Dakar --set mou=@"$TMPDIR/mou.pdf" --set photo=@"$TMPDIR/small.pdf" >/dev/null 2>&1
run dev a "$SONDEO" new visit --set site=Dakar --set mou=@"$TMPDIR/mou.pdf"
check_rc 0
# What waits for the sync, the file too: until then it is only on this laptop.
run dev a "$SONDEO" status
check_out_has "not synced:  2 changes, 1 file (3 MB)"
run dev a "$SONDEO" status --json
check_out_has '"unsynced_files": 1'
run dev a "$SONDEO" sync
check_rc 0
check_out_has "synced with $URL: 2 changes sent, 0 received, 1 attachment sent (3 MB)"
run dev a "$SONDEO" status
check_out_has "not synced:  0 changes"
check_out_lacks " file"
check_file_exists "$(held "$TMPDIR/mou.pdf")"
cmp -s "$TMPDIR/mou.pdf" "$(held "$TMPDIR/mou.pdf")" || fail "the server's copy differs"
check_eq "$(puts_of "$TMPDIR/mou.pdf" | tr '\n' ' ')" "0:200 1048576:200 2097152:201 " "the chunks and their answers"
check_eq "$(q "$hq" "SELECT size || ' ' || type || ' ' || whole FROM media WHERE blake2b = '$(hash_of "$TMPDIR/mou.pdf")'")" \
	"3000009 application/pdf 1" "what the server knows of it"
run dev a "$SONDEO" sync
check_rc 0
check_out_has "0 changes sent, 0 received"
check_out_lacks "attachment"
check_eq "$(puts_of "$TMPDIR/mou.pdf" | wc -l | tr -d ' ')" 3 "chunks after a second sync"

t "a draft's attachments never leave the laptop"
dev a "$SONDEO" new visit --draft --set site=Draft --set mou=@"$TMPDIR/small.pdf" >/dev/null
run dev a "$SONDEO" sync
check_rc 0
check_file_absent "$(held "$TMPDIR/small.pdf")"
check_eq "$(q "$hq" "SELECT count(*) FROM media WHERE blake2b = '$(hash_of "$TMPDIR/small.pdf")'")" 0 "the server knows of it"

t "a file the server holds already (another laptop's, same bytes) is not sent again"
dev b "$SONDEO" new visit --set site=Thiès --set mou=@"$TMPDIR/mou.pdf" >/dev/null
run dev b "$SONDEO" sync
check_rc 0
check_out_lacks "attachment"
check_eq "$(puts_of "$TMPDIR/mou.pdf" | wc -l | tr -d ' ')" 3 "chunks of the file held"

t "a 20 MB video: sondeo sync and sondeod both killed (kill -9) mid-upload; the next sync resumes where the server's bytes end, byte for byte"
dev a "$SONDEO" new visit --set site=Louga --set clip=@"$TMPDIR/clip.mp4" >/dev/null
# Slowed to 4 MB/s, so that the upload is still going when the kills come.
start_proxy "$port" 0 0 4000000 || fail "the proxy did not start: $(cat "$TMPDIR/proxy.out")"
sqlite3 "$TMPDIR/dev-a/store.db" "UPDATE meta SET value = '$PURL' WHERE key = 'server_url'"
SONDEO_HOME=$TMPDIR/dev-a "$SONDEO" sync >"$TMPDIR/killed.out" 2>&1 &
syncing=$!
# Until the server holds at least 3 chunks of it.
i=0
until [ "$(size_of "$(partial "$TMPDIR/clip.mp4")")" -ge 3145728 ] || [ $i -ge 1200 ]; do
	sleep 0.05
	i=$((i + 1))
done
kill -9 "$syncing" "$PID"
wait "$syncing" 2>/dev/null
wait "$PID" 2>/dev/null
kill "$PROXY_PID"
part=$(size_of "$(partial "$TMPDIR/clip.mp4")")
[ "$part" -ge 3145728 ] && [ "$part" -lt 20000016 ] || fail "the server holds $part bytes of the video, not part of it"
[ $((part % 1048576)) -eq 0 ] || fail "the server holds $part bytes: not whole chunks"
start_server || fail "sondeod did not start again: $(cat "$log")"
for d in a b; do sqlite3 "$TMPDIR/dev-$d/store.db" "UPDATE meta SET value = '$URL' WHERE key = 'server_url'"; done
run dev a "$SONDEO" sync
check_rc 0
check_out_has "1 attachment sent"
check_eq "$(puts_of "$TMPDIR/clip.mp4" | head -n 1)" "$part:200" "the first chunk after the kill"
cmp -s "$TMPDIR/clip.mp4" "$(held "$TMPDIR/clip.mp4")" || fail "the server's copy of the video differs"
check_file_absent "$(partial "$TMPDIR/clip.mp4")"

t "bytes altered on the way, bytes of another file, and a file no op names are refused; nothing wrong is kept"
printf '%%PDF-1.4\nthe right bytes, 41 of them......\n' >"$TMPDIR/right.pdf"
printf '%%PDF-1.4\nthe wrong bytes, 41 of them......\n' >"$TMPDIR/wrong.pdf"
dev b "$SONDEO" new visit --set site=Kolda --set mou=@"$TMPDIR/right.pdf" >/dev/null
# The change set only, so that the server knows of the file and waits for its bytes.
sqlite3 "$TMPDIR/dev-b/store.db" "INSERT INTO media_sent VALUES('', '$(hash_of "$TMPDIR/right.pdf")')"
dev b "$SONDEO" sync >/dev/null
h=$(hash_of "$TMPDIR/right.pdf")
run "$SIGNEDGET" "$URL" "$TMPDIR/dev-b/device.key" "/v1/media?blake2b=$h&offset=0" --put "$TMPDIR/right.pdf" --altered
check_out_has "status 401"
check_out_has "bad_body_hash"
check_file_absent "$(partial "$TMPDIR/right.pdf")"
run "$SIGNEDGET" "$URL" "$TMPDIR/dev-b/device.key" "/v1/media?blake2b=$h&offset=0" --put "$TMPDIR/wrong.pdf"
check_out_has "status 422"
check_out_has "hash_mismatch"
check_file_absent "$(partial "$TMPDIR/right.pdf")"
check_file_absent "$(held "$TMPDIR/right.pdf")"
run "$SIGNEDGET" "$URL" "$TMPDIR/dev-b/device.key" "/v1/media?blake2b=$(printf '%064d' 7)&offset=0" --put "$TMPDIR/wrong.pdf"
check_out_has "status 404"
check_out_has "unknown_media"
run "$SIGNEDGET" "$URL" "$TMPDIR/dev-b/device.key" "/v1/media?blake2b=$h&offset=5" --put "$TMPDIR/wrong.pdf"
check_out_has "status 409"
check_out_has '"offset":0'
# The laptop's own sync then sends the right bytes.
sqlite3 "$TMPDIR/dev-b/store.db" "DELETE FROM media_sent"
run dev b "$SONDEO" sync
check_rc 0
cmp -s "$TMPDIR/right.pdf" "$(held "$TMPDIR/right.pdf")" || fail "the server's copy differs"

t "past the server's limits, a file is refused with 413 before its bytes are read, and the changes still sync"
kill "$PID"
wait "$PID" 2>/dev/null
server_log "$log"
: >"$log"
ASAN_OPTIONS=$SERVER_ASAN_OPTIONS "$SONDEOD" serve --data "$hq" --listen 127.0.0.1:0 --max-media-file 2 2>"$log" &
PID=$!
at_exit "kill $PID 2>/dev/null; wait $PID 2>/dev/null"
await_serving "$log" "$PID" || fail "sondeod did not start: $(cat "$log")"
URL=$SERVED
for d in a b; do sqlite3 "$TMPDIR/dev-$d/store.db" "UPDATE meta SET value = '$URL' WHERE key = 'server_url'"; done
head -c 2500000 /dev/urandom | { printf '%%PDF-1.7\n'; cat; } >"$TMPDIR/over.pdf"
dev a "$SONDEO" new visit --set site=Matam --set mou=@"$TMPDIR/over.pdf" >/dev/null
run dev a "$SONDEO" sync
check_rc 1
check_err_has "the file is 3 MB, larger than the 2 MB this server takes"
check_eq "$(grep -a "PUT /v1/media?blake2b=$(hash_of "$TMPDIR/over.pdf")" "$log" | sed 's/.* \(413\) in=\([0-9]*\).*/\1 \2/')" \
	"413 0" "the refusal, and the bytes it read"
check_file_absent "$(partial "$TMPDIR/over.pdf")"
check_eq "$(q "$hq" "SELECT count(*) FROM records WHERE id IN (SELECT r.id FROM records r JOIN fields f ON f.rid = r.rid WHERE f.field = 'site' AND f.value = '\"Matam\"')")" 1 \
	"the record, synced without its file"

t "a regional office keeps a laptop's attachments and forwards them to headquarters, byte for byte"
reg=$TMPDIR/regional
hq_init "$reg" >/dev/null
rcode=$("$SONDEOD" enrol-code --data "$hq" --region west --relay | head -n 1)
"$SONDEOD" enrol --data "$reg" --name office-west "$URL" "$rcode" >/dev/null || fail "the office did not enrol"
serve_any "$reg" "$TMPDIR/reg.log" --upstream "$URL" --pull-every 1 --retry-max 1 || fail "the office did not start"
# The office has the form once it has pulled from headquarters.
wait_eq "the office's forms" 1 60 q "$reg" "SELECT count(*) FROM forms WHERE id = 'visit'"
wcode=$("$SONDEOD" enrol-code --data "$reg" | head -n 1)
SONDEO_HOME=$TMPDIR/dev-c "$SONDEO" init >/dev/null
SONDEO_HOME=$TMPDIR/dev-c "$SONDEO" enrol "$SURL" "$wcode" >/dev/null || fail "the laptop did not enrol at the office"
dev c "$SONDEO" sync >/dev/null
head -c 1500000 /dev/urandom | { printf '%%PDF-1.7
'; cat; } >"$TMPDIR/west.pdf"
run dev c "$SONDEO" new visit --set site=Tiznit --set mou=@"$TMPDIR/west.pdf"
check_rc 0
run dev c "$SONDEO" sync
check_rc 0
check_out_has "1 attachment sent (2 MB)"
h=$(hash_of "$TMPDIR/west.pdf")
cmp -s "$TMPDIR/west.pdf" "$reg/media/$(printf %.2s "$h")/$h" || fail "the office's copy differs"
wait_eq "the file at headquarters" yes 60 sh -c "cmp -s '$TMPDIR/west.pdf' '$(held "$TMPDIR/west.pdf")' && echo yes"
check_eq "$(q "$reg" "SELECT count(*) FROM relay_queue")" 0 "the office's queue"
check_eq "$(grep -ac "PUT /v1/media?blake2b=$h" "$log")" 2 "chunks headquarters took"

t "sync --media brings the region's attachments a laptop lacks, checked against their hash; another region's are not served"
louga=$(sqlite3 "$TMPDIR/dev-b/store.db" "SELECT r.id FROM records r JOIN fields f ON f.rid = r.rid WHERE f.field = 'site' AND f.value = '\"Louga\"'")
[ -n "$louga" ] || fail "laptop b has not received the record with the video"
kb=$TMPDIR/dev-b/media/$(printf %.2s "$(hash_of "$TMPDIR/clip.mp4")")/$(hash_of "$TMPDIR/clip.mp4")
check_file_absent "$kb"
run dev b "$SONDEO" show "$louga"
check_out_has "clip.mp4 (video/mp4, 20 MB), not on this laptop yet"
run dev b "$SONDEO" sync --media
check_rc 0
check_out_has "attachment received"
cmp -s "$TMPDIR/clip.mp4" "$kb" || fail "laptop b's copy of the video differs"
run dev b "$SONDEO" show "$louga"
check_out_has "clip.mp4 (video/mp4, 20 MB), on this laptop"
run dev b "$SONDEO" sync --media
check_rc 0
check_out_lacks "received ("
run "$SIGNEDGET" "$SURL" "$TMPDIR/dev-c/device.key" "/v1/media?blake2b=$(hash_of "$TMPDIR/clip.mp4")"
check_out_has "status 404"
# Headquarters knows laptop c (its office vouched for it), and serves it its own region's only.
run "$SIGNEDGET" "$URL" "$TMPDIR/dev-c/device.key" "/v1/media?blake2b=$(hash_of "$TMPDIR/clip.mp4")"
check_out_has "status 404"
check_out_has "unknown_media"
run "$SIGNEDGET" "$URL" "$TMPDIR/dev-c/device.key" "/v1/media?blake2b=$(hash_of "$TMPDIR/west.pdf")"
check_out_has "status 200"
check_out_has "bytes $(size_of "$TMPDIR/west.pdf")"

t "the review page serves attachments to signed-in users only: images, audio and video shown with their type, the rest downloaded, never run"
login "$URL" "$hq" rita "$TMPDIR/jar"
h=$(hash_of "$TMPDIR/mou.pdf")
get() { curl -s -D "$TMPDIR/h" -o "$TMPDIR/body" -w '%{http_code}' "$@"; }
check_eq "$(get "$URL/v1/attachment?blake2b=$h")" 401 "without a session"
check_eq "$(get -b "$TMPDIR/jar" "$URL/v1/attachment?blake2b=$h&name=m%C3%A9mo%20sign%C3%A9.pdf")" 200 "a PDF"
cmp -s "$TMPDIR/mou.pdf" "$TMPDIR/body" || fail "the PDF served differs"
headers=$(tr -d '\r' <"$TMPDIR/h")
for want in "Content-Type: application/octet-stream" "X-Content-Type-Options: nosniff" \
	"Content-Security-Policy: sandbox; default-src 'none'" \
	"Content-Disposition: attachment; filename=\"m_mo sign_.pdf\"; filename*=UTF-8''m%C3%A9mo%20sign%C3%A9.pdf"; do
	case $headers in *"$want"*) ;; *) fail "the PDF's headers lack '$want': $headers" ;; esac
done
v=$(hash_of "$TMPDIR/clip.mp4")
check_eq "$(get -b "$TMPDIR/jar" "$URL/v1/attachment?blake2b=$v&name=clip.mp4")" 200 "the video"
case $(tr -d '\r' <"$TMPDIR/h") in *"Content-Type: video/mp4"*"Content-Disposition: inline; "*) ;; *) fail "the video's headers: $(cat "$TMPDIR/h")" ;; esac
check_eq "$(get -b "$TMPDIR/jar" "$URL/v1/attachment?blake2b=$v&download=1")" 200 "the video to download"
case $(tr -d '\r' <"$TMPDIR/h") in *"Content-Type: application/octet-stream"*"Content-Disposition: attachment; "*) ;; *) fail "the download's headers" ;; esac
check_eq "$(get -b "$TMPDIR/jar" "$URL/v1/attachment?blake2b=$(printf '%064d' 3)")" 404 "a file not held"
check_eq "$(get -b "$TMPDIR/jar" "$URL/v1/attachment?blake2b=../../server.key")" 400 "a path for a hash"
# The record says which of its files the server holds.
rec=$(q "$hq" "SELECT r.id FROM records r JOIN fields f ON f.rid = r.rid WHERE f.field = 'site' AND f.value = '\"Louga\"'")
check_eq "$(get -b "$TMPDIR/jar" "$URL/v1/record?id=$rec")" 200 "the record"
check_eq "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["attachments"])' "$TMPDIR/body")" "{'$v': True}" \
	"the record's attachments"

t "a correction at headquarters may name only a file some laptop gave"
rec=$(q "$hq" "SELECT r.id FROM records r JOIN fields f ON f.rid = r.rid WHERE f.field = 'site' AND f.value = '\"Louga\"'")
CSRF_RITA=$CSRF
curl -s -o "$TMPDIR/answer" -w '%{http_code}' -b "$TMPDIR/jar" -H "X-CSRF-Token: $CSRF_RITA" -H 'Content-Type: application/json' \
	-d "{\"record\": \"$rec\", \"field\": \"mou\", \"value\": {\"blake2b\": \"$(printf '%064d' 4)\", \"size\": 9, \"type\": \"application/pdf\", \"name\": \"x.pdf\"}}" \
	"$URL/v1/resolve" >"$TMPDIR/code"
check_eq "$(cat "$TMPDIR/code")" 400 "a correction naming a file nobody gave"
check_eq "$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["message"])' "$TMPDIR/answer")" \
	"mou: no laptop gave the file this answer names" "its refusal"

t "sondeo web brings a file of the region from the server when it is opened, and keeps it only if of its hash"
printf '%%PDF-1.4\nthe agenda\n' >"$TMPDIR/agenda.pdf"
dev a "$SONDEO" new visit --set site=Fatick --set mou=@"$TMPDIR/agenda.pdf" >/dev/null
dev a "$SONDEO" sync >/dev/null
dev b "$SONDEO" sync >/dev/null
h=$(hash_of "$TMPDIR/agenda.pdf")
check_file_absent "$TMPDIR/dev-b/media/$(printf %.2s "$h")/$h"
. "$TOP/tests/cli/web.inc"
SONDEO_HOME=$TMPDIR/dev-b start_web "$TMPDIR/web.out" "$TMPDIR/web.err" || fail "sondeo web did not start: $(cat "$TMPDIR/web.err")"
base=${WURL%%/?key=*}
cookie=$(curl -s -D - -o /dev/null "$WURL" | tr -d '\r' | sed -n 's/^Set-Cookie: \([^;]*\).*/\1/Ip')
check_eq "$(curl -s -o "$TMPDIR/got" -w '%{http_code}' -H "Cookie: $cookie" "$base/api/media?blake2b=$h")" 200 "the file opened"
cmp -s "$TMPDIR/agenda.pdf" "$TMPDIR/got" || fail "the file served differs"
cmp -s "$TMPDIR/agenda.pdf" "$TMPDIR/dev-b/media/$(printf %.2s "$h")/$h" || fail "the file kept on laptop b differs"
check_eq "$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base/api/media?blake2b=$(hash_of "$TMPDIR/west.pdf")")" 404 \
	"another region's file"
kill "$WPID"

t "bytes that are not a file's, served by a server whose copy was altered, are not kept by a laptop"
printf '%%PDF-1.4\nthe budget\n' >"$TMPDIR/budget.pdf"
dev a "$SONDEO" new visit --set site=Kolda --set mou=@"$TMPDIR/budget.pdf" >/dev/null
dev a "$SONDEO" sync >/dev/null
h=$(hash_of "$TMPDIR/budget.pdf")
printf '%%PDF-1.4\nthe fudget\n' >"$(held "$TMPDIR/budget.pdf")"   # the same size, other bytes
run dev b "$SONDEO" sync --media
check_rc 1
check_err_has "the bytes received for attachment $(printf %.8s "$h") are not of its hash"
check_file_absent "$TMPDIR/dev-b/media/$(printf %.2s "$h")/$h"
cp "$TMPDIR/budget.pdf" "$(held "$TMPDIR/budget.pdf")"

t "/metrics and sondeod status count the attachments held whole, their bytes, and those still coming"
# Whole: the memorandum, the video, the right bytes, the office's file, the agenda, the budget; still coming: the
# one past the limit.
bytes=$(( $(size_of "$TMPDIR/mou.pdf") + $(size_of "$TMPDIR/clip.mp4") + $(size_of "$TMPDIR/right.pdf") + $(size_of "$TMPDIR/west.pdf") + $(size_of "$TMPDIR/agenda.pdf") + $(size_of "$TMPDIR/budget.pdf") ))
run curl -s "$URL/metrics"
check_out_has 'sondeod_attachments{state="whole"} 6'
check_out_has 'sondeod_attachments{state="partial"} 1'
check_out_has "sondeod_attachment_bytes $bytes"
run "$SONDEOD" status --data "$hq"
check_rc 0
check_out_has "attachments:        6 held ($(( (bytes + 500000) / 1000000 )) MB), 1 still coming"
run "$SONDEOD" status --data "$hq" --json
check_eq "$(py -c 'import json, sys; print(json.load(open(sys.argv[1]))["attachments"])' "$OUT_FILE")" \
	"{'whole': 6, 'bytes': $bytes, 'partial': 1}" "status --json"

done_testing
