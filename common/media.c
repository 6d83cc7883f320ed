/* media.c - attachments' answers, and the kind of file bytes are (media.h). */
#include "media.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "i18n.h"
#include "image.h"
#include "util.h"

#include "banned.h"

#define SNIFF_SPAN 4096   /* the first bytes looked at: enough for every signature below */

static int at(const unsigned char *p, size_t len, size_t off, const char *magic, size_t n)
{
	return len >= off + n && !memcmp(p + off, magic, n);
}

/* 1 if needle (n bytes) is within the first SNIFF_SPAN bytes of p. */
static int within(const unsigned char *p, size_t len, const char *needle, size_t n)
{
	size_t i, end = len < SNIFF_SPAN ? len : SNIFF_SPAN;

	for (i = 0; i + n <= end; i++)
		if (p[i] == (unsigned char)needle[0] && !memcmp(p + i, needle, n))
			return 1;
	return 0;
}

/* 1 if a WebM or Matroska file has a video track: a CodecID element (0x86, a one-byte size, "V_...": V_VP8, V_VP9,
 * V_AV1...) among its tracks, which come before the first Cluster (0x1F43B675). Only the header is looked at: the
 * sound in a recording's clusters holds any bytes at all, a video track's type among them. */
static int webm_video(const unsigned char *p, size_t len)
{
	size_t i, end = len < SNIFF_SPAN ? len : SNIFF_SPAN;

	for (i = 4; i + 4 <= end; i++) {
		if (!memcmp(p + i, "\x1f\x43\xb6\x75", 4))
			return 0;
		if (p[i] == 0x86 && p[i + 1] > 0x81 && p[i + 2] == 'V' && p[i + 3] == '_')
			return 1;
	}
	return 0;
}

/* An ISO base media file (MP4, QuickTime, 3GP, M4A) by its ftyp box's major brand. */
static const char *ftyp(const unsigned char *p, size_t len)
{
	if (at(p, len, 8, "M4A ", 4) || at(p, len, 8, "M4B ", 4))
		return "audio/mp4";
	if (at(p, len, 8, "qt  ", 4))
		return "video/quicktime";
	if (at(p, len, 8, "3gp", 3) || at(p, len, 8, "3g2", 3))
		return "video/3gpp";
	return "video/mp4";
}

/* A ZIP: an ODF document names its type in its first member, "mimetype", stored as is; an OOXML one is known by
 * the folders of its members. */
static const char *zip(const unsigned char *p, size_t len)
{
	static const char *const odf[] = { "application/vnd.oasis.opendocument.text",
					   "application/vnd.oasis.opendocument.spreadsheet",
					   "application/vnd.oasis.opendocument.presentation" };
	size_t i;

	if (at(p, len, 30, "mimetype", 8))
		for (i = 0; i < sizeof odf / sizeof odf[0]; i++)
			if (at(p, len, 38, odf[i], strlen(odf[i])))
				return odf[i];
	if (within(p, len, "word/", 5))
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
	if (within(p, len, "xl/", 3))
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
	if (within(p, len, "ppt/", 4))
		return "application/vnd.openxmlformats-officedocument.presentationml.presentation";
	return "application/zip";
}

const char *media_sniff(const unsigned char *p, size_t len)
{
	size_t bad;

	static const char *const images[] = { [IMAGE_JPEG] = "image/jpeg", [IMAGE_PNG] = "image/png",
					      [IMAGE_GIF] = "image/gif", [IMAGE_WEBP] = "image/webp" };
	enum image_kind k = image_sniff(p, len);   /* the images, by image.c's own signatures */

	if (k != IMAGE_NONE)
		return images[k];
	if (at(p, len, 0, "RIFF", 4) && at(p, len, 8, "WAVE", 4))
		return "audio/wav";
	if (at(p, len, 0, "fLaC", 4))
		return "audio/flac";
	if (at(p, len, 0, "ID3", 3) || (len >= 2 && p[0] == 0xff && (p[1] & 0xe6) == 0xe2))   /* MPEG audio frame */
		return "audio/mpeg";
	if (at(p, len, 0, "OggS", 4))
		return within(p, len, "\x80theora", 7) ? "video/ogg" : "audio/ogg";
	if (at(p, len, 4, "ftyp", 4))
		return ftyp(p, len);
	if (at(p, len, 0, "\x1a\x45\xdf\xa3", 4))   /* EBML: WebM and Matroska */
		return webm_video(p, len) ? "video/webm" : "audio/webm";
	if (at(p, len, 0, "%PDF-", 5))
		return "application/pdf";
	if (at(p, len, 0, "PK\x03\x04", 4))
		return zip(p, len);
	/* Text: the span looked at is UTF-8 with no NUL, a character cut at its end forgiven. */
	if (len > 0 && (utf8_valid((const char *)p, utf8_cut((const char *)p, len, SNIFF_SPAN), &bad) ||
			(len > SNIFF_SPAN - 4 && bad >= SNIFF_SPAN - 4)))
		return "text/plain";
	return "application/octet-stream";
}

/* The extension of name, with its dot, or "" */
static const char *extension(const char *name)
{
	const char *dot = name ? strrchr(name, '.') : NULL;

	return dot && dot != name ? dot : "";
}

static int accepts_one(const char *a, const char *type, const char *name)
{
	size_t n = strlen(a);

	if (a[0] == '.')
		return !strcasecmp(a, extension(name));
	if (n >= 2 && !strcmp(a + n - 2, "/*"))
		return !strncmp(type, a, n - 1);
	return !strcmp(a, type);
}

int media_accepts(const json_t *accept, const char *kind, const char *type, const char *name)
{
	static const char *const images[] = { "image/jpeg", "image/png", "image/gif", "image/webp" };
	const json_t *a;
	size_t i;

	if (json_is_array(accept) && json_array_size(accept) > 0) {
		json_array_foreach(accept, i, a)
			if (json_is_string(a) && accepts_one(json_string_value(a), type, name))
				return 1;
		return 0;
	}
	if (!strcmp(kind, "image")) {
		for (i = 0; i < sizeof images / sizeof images[0]; i++)
			if (!strcmp(type, images[i]))
				return 1;
		return 0;
	}
	if (!strcmp(kind, "audio"))
		return !strncmp(type, "audio/", 6);
	if (!strcmp(kind, "video"))
		return !strncmp(type, "video/", 6);
	return 1;
}

const char *media_shown_type(const char *type)
{
	static const char *const shown[] = {
		"image/jpeg", "image/png", "image/gif", "image/webp", "audio/mpeg", "audio/ogg", "audio/wav", "audio/flac",
		"audio/mp4", "audio/webm", "video/mp4", "video/webm", "video/ogg", "video/quicktime",
	};
	size_t i;

	for (i = 0; i < sizeof shown / sizeof shown[0]; i++)
		if (!strcmp(type, shown[i]))
			return shown[i];
	return NULL;
}

int media_hex_valid(const char *s)
{
	size_t i;

	for (i = 0; i < MEDIA_HEX; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[MEDIA_HEX] == '\0';
}

/* 1 if type looks like a media type: "family/subtype" of letters, digits and . + - only, at most 127 bytes. */
static int type_valid(const char *t)
{
	size_t i, slash = 0;

	for (i = 0; t[i]; i++) {
		char c = t[i];

		if (c == '/' && !slash && i > 0)
			slash = i;
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '+' || c == '-'))
			return 0;
	}
	return slash && i > slash + 1 && i < 128;
}

int media_ref_read(const json_t *v, struct media_ref *r, char *err, size_t errlen)
{
	const json_t *h = json_object_get(v, "blake2b"), *s = json_object_get(v, "size"),
		     *t = json_object_get(v, "type"), *n = json_object_get(v, "name");
	char clean[MEDIA_NAME_MAX + 1];

	if (!json_is_object(v) || json_object_size(v) != 4 || !h || !s || !t || !n)
		return errf(err, errlen, "%s", _("an attachment is {\"blake2b\", \"size\", \"type\", \"name\"}"));
	if (!json_is_string(h) || !media_hex_valid(json_string_value(h)))
		return errf(err, errlen, "%s", _("an attachment's blake2b must be 64 lowercase hex characters"));
	if (!json_is_integer(s) || json_integer_value(s) < 1 || (uint64_t)json_integer_value(s) > MEDIA_SIZE_MAX)
		return errf(err, errlen, "%s", _("an attachment's size must be a whole number of bytes above 0"));
	if (!json_is_string(t) || !type_valid(json_string_value(t)))
		return errf(err, errlen, "%s", _("an attachment's type must be a media type such as image/jpeg"));
	if (!json_is_string(n))
		return errf(err, errlen, "%s", _("an attachment's name must be a file's name"));
	media_name_clean(json_string_value(n), clean, sizeof clean);
	if (strcmp(clean, json_string_value(n)))
		return errf(err, errlen, "%s", _("an attachment's name must be a file's name, without a folder or a "
						 "control character, of at most 255 bytes"));
	r->blake2b = json_string_value(h);
	r->size = (uint64_t)json_integer_value(s);
	r->type = json_string_value(t);
	r->name = json_string_value(n);
	return 0;
}

json_t *media_ref_new(const char *hex, uint64_t size, const char *type, const char *name)
{
	char clean[MEDIA_NAME_MAX + 1];

	media_name_clean(name, clean, sizeof clean);
	return json_pack("{s:s, s:I, s:s, s:s}", "blake2b", hex, "size", (json_int_t)size, "type", type, "name",
			 clean);
}

void media_name_clean(const char *name, char *out, size_t n)
{
	const char *base = name, *p;
	size_t len, i, bad;

	for (p = name; *p; p++)
		if (*p == '/' || *p == '\\')
			base = p + 1;
	len = strlen(base);
	if (n <= MEDIA_NAME_MAX) {
		if (n)
			out[0] = '\0';
		return;
	}
	len = utf8_cut(base, len, MEDIA_NAME_MAX);
	memcpy(out, base, len);
	out[len] = '\0';
	/* What is not UTF-8 becomes '_', byte by byte, until the whole is. */
	while (!utf8_valid(out, len, &bad))
		out[bad] = '_';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)out[i];

		if (c < 0x20 || c == 0x7f || strchr("<>:\"|?*", c))
			out[i] = '_';
	}
	/* Not "", ".", "..": no name that a folder could be taken for. */
	if (!out[strspn(out, ".")])
		snprintf(out, n, "file");
}
