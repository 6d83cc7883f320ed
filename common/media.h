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

/* The type to serve a file of media type `type` with so that a browser shows it in place (an image, a recording or
 * a video of a kind media_sniff tells), as a static string; NULL when it must go as a download
 * (application/octet-stream): nothing else an upload holds is ever opened by a browser. */
const char *media_shown_type(const char *type);

/* Sending an attachment's bytes (media-upload.c). call makes one signed request with the caller's own client (a
 * laptop's, a regional server's): the HTTP status into *status, the answer's body into answer (emptied first); 0, or
 * -1 with err when no answer came. */
struct buf;
typedef int (*media_call_fn)(void *ctx, const char *method, const char *path, const void *body, size_t len,
			     long *status, struct buf *answer, char *err, size_t errlen);
#define MEDIA_CHUNK ((size_t)1 << 20)   /* the largest chunk a request carries */
enum { MEDIA_DOWN = -1, MEDIA_REFUSED = -2, MEDIA_FULL = -3 };
/* Sends the file at path (hash hex, size bytes) from where the server's bytes end: GET /v1/media/offset, then PUT
 * chunks of MEDIA_CHUNK; a 409 moves to the server's offset, a 422 starts again from 0 once. 0 when the server holds
 * it whole (*sent: the bytes sent this time), MEDIA_DOWN when an answer did not come, MEDIA_FULL when the server's disk
 * is full (507: nothing of the chunk kept; the other files would fare no better), MEDIA_REFUSED when the server
 * refused it or the file cannot be read; err says which. */
int media_upload(const char *path, const char *hex, uint64_t size, media_call_fn call, void *ctx, uint64_t *sent,
		 char *err, size_t errlen);

/* 1 if s is MEDIA_HEX lowercase hex characters and nothing more. */
int media_hex_valid(const char *s);

#endif
