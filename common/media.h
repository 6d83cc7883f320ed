/* media.h - attachments (photos, recordings, files): the answer that names one, and what kind of file bytes are.
 *
 * An attachment's answer is a JSON object, in ops and change sets as any other value:
 *   {"blake2b": "<64 lowercase hex>", "size": N, "type": "image/jpeg", "name": "meeting.jpg"}
 * blake2b is the BLAKE2b-256 (no key) of the bytes: the attachment's identity in every store, inside the op so
 * that the device's signature covers it. type is what the bytes are (media_sniff), never what a file's name claims;
 * name is the file's base name as the person gave it, for exports and downloads only, never a path on any disk.
 * docs/attachments-design.md has the whole design. */
#ifndef SONDEO_MEDIA_H
#define SONDEO_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define MEDIA_HEX 64                 /* characters of an attachment's hash */
#define MEDIA_NAME_MAX 255           /* bytes of a file's name */
#define MEDIA_SIZE_MAX ((uint64_t)1 << 36)   /* the largest size an answer may name, whatever the limits say */

/* What an answer names, pointing into the JSON it was read from (valid while that lives). */
struct media_ref {
	const char *blake2b;          /* MEDIA_HEX lowercase hex */
	uint64_t size;
	const char *type, *name;
};

/* The media type the bytes are, from their first bytes (len may be just the first few KiB of a file):
 * "image/jpeg", "image/png", "image/gif", "image/webp", "audio/mpeg", "audio/ogg", "audio/wav", "audio/flac",
 * "audio/mp4", "audio/webm", "video/mp4", "video/quicktime", "video/webm", "video/ogg", "application/pdf",
 * an OOXML or ODF office type, "application/zip", "text/plain" (UTF-8 without NUL), else
 * "application/octet-stream". Never NULL; SVG and HTML are text/plain: nothing uploaded is ever taken as a page. */
const char *media_sniff(const unsigned char *p, size_t len);

/* 1 if a file of media type `type` named `name` is taken by a question that accepts accept: a JSON array of media
 * types ("image/png"), families (a type with '*' for its subtype: any audio) and extensions (".pdf", any case), or
 * NULL for the question type's own default (image: JPEG, PNG, GIF, WebP; audio: any audio; video: any video;
 * file: anything). kind is the question's type name ("image", "audio", "video", "file"). */
int media_accepts(const json_t *accept, const char *kind, const char *type, const char *name);

/* Reads an attachment's answer: 0 with r set (pointing into v), -1 with err saying what is wrong ("blake2b must be
 * 64 lowercase hex characters"). Checks the shape only, not what the question accepts. */
int media_ref_read(const json_t *v, struct media_ref *r, char *err, size_t errlen);

/* The answer naming bytes whose hash is hex, of size and type, given as file name `name` (cleaned with
 * media_name_clean): a new JSON object, or NULL when out of memory. */
json_t *media_ref_new(const char *hex, uint64_t size, const char *type, const char *name);

/* name as a file's name is kept: its last part after any '/' or '\', control characters and the characters
 * Windows forbids in names made '_', cut to MEDIA_NAME_MAX bytes on a character boundary, "file" when nothing is
 * left; into out (n bytes, at least MEDIA_NAME_MAX + 1). Invalid UTF-8 bytes are made '_' too. */
void media_name_clean(const char *name, char *out, size_t n);

/* 1 if s is MEDIA_HEX lowercase hex characters and nothing more. */
int media_hex_valid(const char *s);

#endif
