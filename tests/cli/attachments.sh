#!/bin/sh
# attachments.sh - photos, recordings and files on the laptop (docs/attachments-design.md): given by path at the
# terminal and in files, checked for their kind and size before anything is kept, stored once by their BLAKE2b
# hash and synced to disk before the op that names them, shown with whether they are here, and swept when
# nothing names them (a record refused, a draft deleted, a crash before the op) but never while another process
# has the store open.
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
. "$TOP/tests/cli/lib.sh"

LANG=C.UTF-8
SONDEO_TODAY=2026-12-06
export LANG SONDEO_TODAY
unset LANGUAGE LC_ALL XDG_DATA_HOME

dir=$(mktemp -d "$_t_dir/files.XXXXXX")
new_store
"$SONDEO" init >/dev/null
py_start

cat >"$dir/visit.json" <<'JSON'
{"id": "visit", "version": "1", "questions": [
 {"name": "site", "type": "text", "label": "Site", "required": true},
 {"name": "photo", "type": "image", "label": "Photo of the meeting"},
 {"name": "mou", "type": "file", "label": "Memorandum", "accept": [".pdf", "application/pdf"]},
 {"name": "voice", "type": "audio", "label": "Recording"}]}
JSON
"$SONDEO" form import "$dir/visit.json" >/dev/null || fail "the form was not installed"

# A small PNG, a PDF, an Ogg page header, and what is none of them.
py -c 'import struct, sys, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
raw = b"".join(b"\0" + b"\xff\x00\x00" * 20 for _ in range(10))
open(sys.argv[1] + "/red.png", "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 20, 10, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
open(sys.argv[1] + "/mou.pdf", "wb").write(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
open(sys.argv[1] + "/voice.ogg", "wb").write(b"OggS\0\x02" + b"\0" * 20 + b"\x01vorbis" + b"\0" * 100)
open(sys.argv[1] + "/page.svg", "wb").write(b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>")' "$dir"

# The file kept for bytes: its path under the store's media folder.
kept() {
	h=$(b2sum -l 256 "$1" | cut -c1-64)
	printf '%s/media/%.2s/%s' "$SONDEO_HOME" "$h" "$h"
}
# The files under media/XX/, as "HASH" lines, sorted.
media_files() {
	find "$SONDEO_HOME/media" -mindepth 2 -type f -path '*/media/[0-9a-f][0-9a-f]/*' 2>/dev/null | sed 's|.*/||' | sort
}
store_dump() {
	sqlite3 "$SONDEO_HOME/store.db" .dump | grep -v "INSERT INTO meta VALUES('media_sweep'"
	media_files
}

t "--set NAME=@PATH keeps the file by its hash, byte for byte, and the answer names its hash, size, kind and name"
run "$SONDEO" new visit --set site=Dakar --set photo=@"$dir/red.png" --set mou="$dir/mou.pdf" --set voice=@"$dir/voice.ogg"
check_rc 0
id=$(printf '%s\n' "$OUT" | tail -n 1)
for f in red.png mou.pdf voice.ogg; do
	check_file_exists "$(kept "$dir/$f")"
	cmp -s "$dir/$f" "$(kept "$dir/$f")" || fail "the file kept for $f differs from it"
	check_file_mode "$(kept "$dir/$f")" 600
done
run "$SONDEO" show "$id" --json
check_eq "$(py -c 'import json, sys; a = json.load(open(sys.argv[1]))["answers"]
print(json.dumps([a["photo"]["type"], a["photo"]["size"], a["photo"]["name"], a["mou"]["type"], a["voice"]["type"]]))' "$OUT_FILE")" \
	'["image/png", 78, "red.png", "application/pdf", "audio/ogg"]' "the answers"
check_eq "$(py -c 'import json, sys; print(json.load(open(sys.argv[1]))["answers"]["photo"]["blake2b"])' "$OUT_FILE")" \
	"$(b2sum -l 256 "$dir/red.png" | cut -c1-64)" "the photo's hash (BLAKE2b-256 of its bytes)"
run "$SONDEO" show "$id"
check_out_has "red.png (image/png, 78 bytes), on this laptop"
check_out_has "mou.pdf (application/pdf, 48 bytes), on this laptop"

t "the same bytes given twice are kept once"
before=$(media_files | wc -l)
run "$SONDEO" new visit --set site=Thiès --set photo=@"$dir/red.png"
check_rc 0
check_eq "$(media_files | wc -l)" "$before" "files kept"

t "a file the question does not take, a missing one, an empty one, a folder or one past the size limit is refused, and the store is as it was"
store_dump >"$TMPDIR/before"
cp "$dir/red.png" "$dir/other.png" && printf 'x' >>"$dir/other.png"
run "$SONDEO" new visit --set site=A --set photo=@"$dir/page.svg"
check_rc 1
check_err_has "--set: photo: '$dir/page.svg' (text/plain) is not a file this question takes"
run "$SONDEO" new visit --set site=A --set mou=@"$dir/red.png"
check_err_has "--set: mou: '$dir/red.png' (image/png) is not a file this question takes"
run "$SONDEO" new visit --set site=A --set mou=@"$dir/nothere.pdf"
check_err_has "--set: mou: cannot open '$dir/nothere.pdf': No such file or directory"
: >"$dir/empty.pdf"
run "$SONDEO" new visit --set site=A --set mou=@"$dir/empty.pdf"
check_err_has "--set: mou: '$dir/empty.pdf' is empty"
run "$SONDEO" new visit --set site=A --set mou=@"$dir"
check_err_has "is not a file"
truncate -s 65M "$dir/huge.ogg"
run "$SONDEO" new visit --set site=A --set voice=@"$dir/huge.ogg"
check_err_has "--set: voice: '$dir/huge.ogg' is 68 MB: larger than the 64 MB a file may be"
run "$SONDEO" new visit --set site=A --set voice=@
check_err_has "--set: voice \"@\": no file named: give its path"
# The photo was good, the memorandum not: the photo kept for it is gone with the record refused.
run "$SONDEO" new visit --set site=A --set photo=@"$dir/other.png" --set mou=@"$dir/red.png"
check_rc 1
check_err_has "1 problem found: nothing was saved"
store_dump >"$TMPDIR/after"
cmp -s "$TMPDIR/before" "$TMPDIR/after" || fail "the store changed: $(diff "$TMPDIR/before" "$TMPDIR/after" | head -5)"

t "from a CSV file, paths are the file's neighbours; from JSON, a path or an answer naming a file this laptop has"
mkdir -p "$dir/batch/photos"
cp "$dir/red.png" "$dir/batch/photos/one.png"
cp "$dir/other.png" "$dir/batch/photos/two.png"
printf 'site,photo\nKaolack,photos/one.png\nZiguinchor,@photos/two.png\n' >"$dir/batch/visits.csv"
run "$SONDEO" new visit --from "$dir/batch/visits.csv"
check_rc 0
check_file_exists "$(kept "$dir/batch/photos/two.png")"
run "$SONDEO" list --form visit --json
check_eq "$(py -c 'import json, sys; print(sorted(r["site"] for r in json.load(open(sys.argv[1]))))' "$OUT_FILE")" \
	"['Dakar', 'Kaolack', 'Thiès', 'Ziguinchor']" "the records"
h=$(b2sum -l 256 "$dir/red.png" | cut -c1-64)
printf '[{"site": "Louga", "photo": {"blake2b": "%s", "size": 78, "type": "image/png", "name": "same.png"}},
 {"site": "Matam", "photo": "photos/one.png"}]\n' "$h" >"$dir/batch/visits.json"
run "$SONDEO" new visit --from "$dir/batch/visits.json"
check_rc 0
printf '[{"site": "Podor", "photo": {"blake2b": "%064d", "size": 78, "type": "image/png", "name": "gone.png"}}]\n' 0 \
	>"$dir/batch/missing.json"
store_dump >"$TMPDIR/before"
run "$SONDEO" new visit --from "$dir/batch/missing.json"
check_rc 1
check_err_has "missing.json:1: photo: the file it names is not on this laptop"
store_dump >"$TMPDIR/after"
cmp -s "$TMPDIR/before" "$TMPDIR/after" || fail "the store changed"

t "a draft's attachments go when the draft is deleted; a final record's stay when it is"
cp "$dir/red.png" "$dir/draft.png" && printf 'draft' >>"$dir/draft.png"
run "$SONDEO" new visit --draft --set site=Draft --set photo=@"$dir/draft.png"
check_rc 0
did=$(printf '%s\n' "$OUT" | tail -n 1)
check_file_exists "$(kept "$dir/draft.png")"
run "$SONDEO" delete "$did"
check_rc 0
check_file_absent "$(kept "$dir/draft.png")"
run "$SONDEO" delete "$id"
check_rc 0
check_file_exists "$(kept "$dir/mou.pdf")"

t "after a crash, a file no op names is swept at the next start; one another process may still need is kept until it is alone"
orphan="$SONDEO_HOME/media/ab/ab$(printf '%062d' 0)"
# While sondeo web has the store open, nothing is swept.
"$SONDEO" web --no-open --listen 127.0.0.1:0 >"$TMPDIR/web.out" 2>&1 &
web=$!
at_exit "kill $web 2>/dev/null"
until grep -q "Sondeo is open at" "$TMPDIR/web.out" 2>/dev/null || ! kill -0 $web 2>/dev/null; do sleep 0.05; done
mkdir -p "$SONDEO_HOME/media/ab" "$SONDEO_HOME/media/tmp"
echo partial >"$SONDEO_HOME/media/tmp/addXXXX01"
echo orphan >"$orphan"
# A crash between the file and its op leaves the note that a sweep is due.
sqlite3 "$SONDEO_HOME/store.db" "INSERT OR REPLACE INTO meta VALUES('media_sweep', '1')"
run "$SONDEO" list
check_rc 0
check_file_exists "$orphan"
check_file_exists "$SONDEO_HOME/media/tmp/addXXXX01"
kill -9 $web   # a crash: no sweep at its close either
wait $web 2>/dev/null
check_file_exists "$orphan"
run "$SONDEO" list
check_rc 0
check_file_absent "$orphan"
check_file_absent "$SONDEO_HOME/media/tmp/addXXXX01"
check_file_exists "$(kept "$dir/mou.pdf")"
check_file_exists "$(kept "$dir/batch/photos/two.png")"
check_eq "$(sqlite3 "$SONDEO_HOME/store.db" "SELECT value FROM meta WHERE key = 'media_sweep'")" 0 "the note"

t "an image over the question's max-pixels is scaled down to it (its metadata gone); within it, kept as given; a GIF over it is refused"
cat >"$dir/small.json" <<'JSON'
{"id": "small", "version": "1", "questions": [
 {"name": "site", "type": "text", "label": "Site"},
 {"name": "pic", "type": "image", "label": "Picture", "max_pixels": 16}]}
JSON
"$SONDEO" form import "$dir/small.json" >/dev/null || fail "the form was not installed"
corpus=$TOP/tests/fuzz/corpus/client
for f in image-jpeg-progressive-exif image-png-rgba image-png-within image-gif; do
	tail -c +2 "$corpus/$f" >"$dir/$f"   # the fuzz seeds' first byte is their mode
done
# Width and height from a JPEG's or PNG's header.
dims='import struct, sys
b = open(sys.argv[1], "rb").read()
if b[:8] == b"\x89PNG\r\n\x1a\n":
    print("%dx%d" % struct.unpack(">II", b[16:24]))
else:
    i = 2
    while i < len(b) and b[i] == 0xff:
        m, n = b[i + 1], struct.unpack(">H", b[i + 2:i + 4])[0]
        if m in (0xc0, 0xc1, 0xc2):
            h, w = struct.unpack(">HH", b[i + 5:i + 9])
            print("%dx%d" % (w, h))
            break
        i += 2 + n'
# The JPEG is 40x30 with an EXIF orientation that turns it: upright, it is 12x16.
for f in image-jpeg-progressive-exif:12x16 image-png-rgba:16x12 image-png-within:10x10; do
	run "$SONDEO" new small --set site=S --set pic=@"$dir/${f%%:*}"
	check_rc 0
	run "$SONDEO" show "$(printf '%s\n' "$OUT" | tail -n 1)" --json
	h=$(py -c 'import json, sys; print(json.load(open(sys.argv[1]))["answers"]["pic"]["blake2b"])' "$OUT_FILE")
	k=$SONDEO_HOME/media/$(printf %.2s "$h")/$h
	check_eq "$(py -c "$dims" "$k")" "${f#*:}" "the size kept of ${f%%:*}"
done
cmp -s "$dir/image-png-within" "$(kept "$dir/image-png-within")" || fail "the image within max-pixels was changed"
grep -q Exif "$dir/image-jpeg-progressive-exif" || fail "the sample has no EXIF"
h=$(b2sum -l 256 "$dir/image-jpeg-progressive-exif" | cut -c1-64)
check_file_absent "$SONDEO_HOME/media/$(printf %.2s "$h")/$h"
run "$SONDEO" new small --set site=S --set pic=@"$dir/image-gif"
check_rc 1
check_err_has "is 500x300 pixels, more than the 16 this question takes, and Sondeo scales only JPEG and PNG images: give one of those"

t "at the prompt, the path of a file (quoted as a file manager drops it) is the answer"
cp "$dir/red.png" "$dir/my photo.png" && printf 'prompt' >>"$dir/my photo.png"
pty "$SONDEO" new visit <<EOF
expect [1/4] Site *
send Tambacounda
expect [2/4] Photo of the meeting
expect (the path of the file: drop it here from the file manager, or type it)
send $dir/nothere.png
expect cannot open '$dir/nothere.png': No such file or directory
send '$dir/my photo.png'
expect [3/4] Memorandum
send $dir/red.png
expect '$dir/red.png' (image/png) is not a file this question takes
send
expect [4/4] Recording
send
expect [f]inalize
send f
expect Finalized record
exit 0
EOF
check_rc 0
check_file_exists "$(kept "$dir/my photo.png")"
run "$SONDEO" list --form visit --search Tambacounda --json
tid=$(py -c 'import json, sys; print(json.load(open(sys.argv[1]))[0]["id"])' "$OUT_FILE")
run "$SONDEO" show "$tid"
check_out_has "my photo.png (image/png, 84 bytes), on this laptop"

t "exports name each attachment by its file's name; JSON keeps the whole answer"
run "$SONDEO" export --form visit --format csv -o "$dir/visits.csv"
check_rc 0
check_eq "$(py -c 'import csv, sys; print(sorted((r["site"], r["photo"]) for r in csv.DictReader(open(sys.argv[1], encoding="utf-8")) if r["photo"]))' "$dir/visits.csv")" \
	"[('Kaolack', 'one.png'), ('Louga', 'same.png'), ('Matam', 'one.png'), ('Tambacounda', 'my photo.png'), ('Thiès', 'red.png'), ('Ziguinchor', 'two.png')]" \
	"the photos in the CSV"
run "$SONDEO" export --form visit --format json -o "$dir/visits.json"
check_rc 0
check_eq "$(py -c 'import json, sys; print(sorted(r["photo"]["type"] for r in json.load(open(sys.argv[1])) if r.get("photo")))' "$dir/visits.json")" \
	"['image/png', 'image/png', 'image/png', 'image/png', 'image/png', 'image/png']" "the photos in the JSON"

done_testing
