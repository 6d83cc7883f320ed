/* test_media.c - attachments' answers and the kinds of files (media.h), and attachment questions in forms: what
 * their answer may be, what each question takes, what a form may say of them. */
#include <stdlib.h>
#include <string.h>

#include "form.h"
#include "media.h"
#include "test.h"

#define H "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char *sniff(const char *bytes, size_t len)
{
	return media_sniff((const unsigned char *)bytes, len);
}

static void test_sniff(void)
{
	/* A track's CodecID (0x86): V_ for video, A_ for audio. */
	static const char webm_video[] = "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm....\xae\x83\x81\x01\x86\x85V_VP8";
	static const char webm_audio[] = "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm....\xae\x83\x81\x02\x86\x86" "A_OPUS";
	/* A recording whose sound happens to hold a video track's bytes, in its first cluster: still audio. */
	static const char webm_noise[] = "\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01webm....\xae\x83\x81\x02\x86\x86" "A_OPUS"
					 "\x1f\x43\xb6\x75\x01\xae\x83\x81\x01\x86\x85V_VP8";
	char odt[80] = "PK\x03\x04";

	CHECK_STR(sniff("\xff\xd8\xff\xe0\0\x10JFIF", 10), "image/jpeg");
	CHECK_STR(sniff("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16), "image/png");
	CHECK_STR(sniff("GIF89a\x01\0\x01\0", 10), "image/gif");
	CHECK_STR(sniff("RIFF\x24\0\0\0WEBPVP8 ", 16), "image/webp");
	CHECK_STR(sniff("RIFF\x24\0\0\0WAVEfmt ", 16), "audio/wav");
	CHECK_STR(sniff("ID3\x04\0\0\0\0\0\0", 10), "audio/mpeg");
	CHECK_STR(sniff("\xff\xfb\x90\x64", 4), "audio/mpeg");
	CHECK_STR(sniff("OggS\0\x02\0\0\0\0\0\0\0\0\x01vorbis", 20), "audio/ogg");
	CHECK_STR(sniff("OggS\0\x02\0\0\0\0\0\0\0\0\x80theora", 21), "video/ogg");
	CHECK_STR(sniff("\0\0\0\x20" "ftypisom\0\0\x02\0", 16), "video/mp4");
	CHECK_STR(sniff("\0\0\0\x20" "ftypM4A \0\0\0\0", 16), "audio/mp4");
	CHECK_STR(sniff("\0\0\0\x14" "ftypqt  \0\0\0\0", 16), "video/quicktime");
	CHECK_STR(sniff(webm_video, sizeof webm_video - 1), "video/webm");
	CHECK_STR(sniff(webm_audio, sizeof webm_audio - 1), "audio/webm");
	CHECK_STR(sniff(webm_noise, sizeof webm_noise - 1), "audio/webm");
	CHECK_STR(sniff("%PDF-1.7\n", 9), "application/pdf");
	memcpy(odt + 30, "mimetypeapplication/vnd.oasis.opendocument.text", 47);
	CHECK_STR(sniff(odt, sizeof odt), "application/vnd.oasis.opendocument.text");
	CHECK_STR(sniff("PK\x03\x04....................[Content_Types].xml....word/document.xml", 68),
		  "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
	CHECK_STR(sniff("PK\x03\x04 a plain zip", 15), "application/zip");
	/* A page or a drawing is text, never an image: nothing uploaded is taken as something a browser runs. */
	CHECK_STR(sniff("<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>", 71), "text/plain");
	CHECK_STR(sniff("<!DOCTYPE html><html>", 21), "text/plain");
	CHECK_STR(sniff("Minutes of the meeting, né à Dakar", 35), "text/plain");
	CHECK_STR(sniff("\x01\x02\x03\0\xfe", 5), "application/octet-stream");
	CHECK_STR(sniff("text\0with a NUL", 15), "application/octet-stream");
	CHECK_STR(sniff("", 0), "application/octet-stream");
	CHECK_STR(sniff("\xff\xd8", 2), "application/octet-stream");   /* too short to be a JPEG */
}

static void test_sniff_long_text(void)
{
	/* Text whose first 4 KiB end inside a character is still text. */
	char *t = malloc(8192);
	size_t i;

	for (i = 0; i + 2 <= 8192; i += 2)
		memcpy(t + i, "\xc3\xa9", 2);
	CHECK_STR(media_sniff((unsigned char *)t + 1, 8191), "application/octet-stream");   /* starts mid-character */
	CHECK_STR(media_sniff((unsigned char *)t, 4095), "text/plain");
	CHECK_STR(media_sniff((unsigned char *)t, 8192), "text/plain");
	free(t);
}

static void test_accepts(void)
{
	json_t *acc = json_pack("[s, s, s]", "image/png", "audio/*", ".PDF");

	CHECK_INT(media_accepts(NULL, "image", "image/jpeg", "a.jpg"), 1);
	CHECK_INT(media_accepts(NULL, "image", "text/plain", "a.svg"), 0);
	CHECK_INT(media_accepts(NULL, "image", "application/octet-stream", "a.png"), 0);
	CHECK_INT(media_accepts(NULL, "audio", "audio/ogg", "a"), 1);
	CHECK_INT(media_accepts(NULL, "audio", "video/mp4", "a.m4a"), 0);
	CHECK_INT(media_accepts(NULL, "video", "video/webm", "a"), 1);
	CHECK_INT(media_accepts(NULL, "file", "application/octet-stream", "a.bin"), 1);
	CHECK_INT(media_accepts(acc, "file", "image/png", "x"), 1);
	CHECK_INT(media_accepts(acc, "file", "image/jpeg", "x.jpg"), 0);
	CHECK_INT(media_accepts(acc, "file", "audio/mpeg", "x"), 1);
	CHECK_INT(media_accepts(acc, "file", "application/pdf", "memorandum.pdf"), 1);
	CHECK_INT(media_accepts(acc, "file", "application/pdf", "memorandum"), 0);
	CHECK_INT(media_accepts(acc, "file", "audiox/mpeg", "x"), 0);
	json_decref(acc);
}

static const char *ref_err(const char *json)
{
	static char err[256];
	json_t *v = json_loads(json, 0, NULL);
	struct media_ref r;

	err[0] = '\0';
	if (!v)
		return "not JSON";
	if (media_ref_read(v, &r, err, sizeof err) == 0)
		strcpy(err, "ok");
	json_decref(v);
	return err;
}

static void test_ref(void)
{
	char name[MEDIA_NAME_MAX + 1], longname[400];
	json_t *v = media_ref_new(H, 12, "image/png", "C:\\Users\\ana\\photo\x01.png");
	struct media_ref r;

	CHECK(v != NULL);
	CHECK_INT(media_ref_read(v, &r, name, sizeof name), 0);
	CHECK_STR(r.blake2b, H);
	CHECK_INT((int)r.size, 12);
	CHECK_STR(r.type, "image/png");
	CHECK_STR(r.name, "photo_.png");
	json_decref(v);

	CHECK_STR(ref_err("{\"blake2b\": \"" H "\", \"size\": 3, \"type\": \"image/png\", \"name\": \"a.png\"}"), "ok");
	CHECK_STR(ref_err("{\"blake2b\": \"" H "\", \"size\": 3, \"type\": \"image/png\"}"),
		  "an attachment is {\"blake2b\", \"size\", \"type\", \"name\"}");
	CHECK_STR(ref_err("{\"blake2b\": \"" H "\", \"size\": 3, \"type\": \"image/png\", \"name\": \"a\", \"x\": 1}"),
		  "an attachment is {\"blake2b\", \"size\", \"type\", \"name\"}");
	CHECK_STR(ref_err("{\"blake2b\": \"0123ABCD\", \"size\": 3, \"type\": \"image/png\", \"name\": \"a.png\"}"),
		  "an attachment's blake2b must be 64 lowercase hex characters");
	CHECK_STR(ref_err("{\"blake2b\": \"" H "\", \"size\": 0, \"type\": \"image/png\", \"name\": \"a.png\"}"),
		  "an attachment's size must be a whole number of bytes above 0");
	CHECK_STR(ref_err("{\"blake2b\": \"" H "\", \"size\": \"3\", \"type\": \"image/png\", \"name\": \"a.png\"}"),
		  "an attachment's size must be a whole number of bytes above 0");
	CHECK_STR(ref_err("{\"blake2b\": \"" H "\", \"size\": 3, \"type\": \"text/html; x\", \"name\": \"a\"}"),
		  "an attachment's type must be a media type such as image/jpeg");
	CHECK_STR(ref_err("{\"blake2b\": \"" H "\", \"size\": 3, \"type\": \"image/png\", \"name\": \"../../etc/passwd\"}"),
		  "an attachment's name must be a file's name, without a folder or a control character, of at most 255 "
		  "bytes");
	CHECK_STR(ref_err("{\"blake2b\": \"" H "\", \"size\": 3, \"type\": \"image/png\", \"name\": \"..\"}"),
		  "an attachment's name must be a file's name, without a folder or a control character, of at most 255 "
		  "bytes");

	media_name_clean("/tmp/", name, sizeof name);
	CHECK_STR(name, "file");
	media_name_clean("réunion à Dakar.jpg", name, sizeof name);
	CHECK_STR(name, "réunion à Dakar.jpg");
	media_name_clean("a\xff\xfe.jpg", name, sizeof name);
	CHECK_STR(name, "a__.jpg");
	memset(longname, 'a', sizeof longname - 3);
	memcpy(longname + 250, "é", 2);   /* a character across the 255th byte */
	longname[sizeof longname - 3] = '\0';
	media_name_clean(longname, name, sizeof name);
	CHECK_INT((int)strlen(name), 255);
	memset(longname, 'a', 300);
	memcpy(longname + 254, "é", 2);   /* bytes 254 and 255: the 255-byte cut would split it */
	media_name_clean(longname, name, sizeof name);
	CHECK_INT((int)strlen(name), 254);   /* the character is not cut in two */
	CHECK_INT(media_hex_valid(H), 1);
	CHECK_INT(media_hex_valid(H "0"), 0);
}

static const char *form_err(const char *questions)
{
	static char err[512];
	char def[4096];
	struct form *f;

	snprintf(def, sizeof def, "{\"id\": \"m\", \"version\": \"1\", \"questions\": [%s]}", questions);
	err[0] = '\0';
	if ((f = form_load(def, strlen(def), err, sizeof err)))
		strcpy(err, "ok");
	form_free(f);
	return err;
}

static void test_form_members(void)
{
	CHECK_STR(form_err("{\"name\": \"p\", \"type\": \"image\", \"label\": \"Photo\", \"max_pixels\": 1024}"), "ok");
	CHECK_STR(form_err("{\"name\": \"p\", \"type\": \"file\", \"label\": \"Memorandum\", \"accept\": [\".pdf\", "
			   "\"application/vnd.oasis.opendocument.text\", \"image/*\"]}"), "ok");
	CHECK_STR(form_err("{\"name\": \"p\", \"type\": \"audio\", \"label\": \"A\", \"max_pixels\": 10}"),
		  "question 'p': max_pixels is an image's, a whole number from 1 to 100000");
	CHECK_STR(form_err("{\"name\": \"p\", \"type\": \"image\", \"label\": \"A\", \"max_pixels\": 0}"),
		  "question 'p': max_pixels is an image's, a whole number from 1 to 100000");
	CHECK_STR(form_err("{\"name\": \"p\", \"type\": \"text\", \"label\": \"A\", \"accept\": [\".pdf\"]}"),
		  "question 'p': only an image, audio, video or file question has accept");
	CHECK_STR(form_err("{\"name\": \"p\", \"type\": \"file\", \"label\": \"A\", \"accept\": []}"),
		  "question 'p': accept must be a list of 1 to 64 media types or extensions");
	CHECK_STR(form_err("{\"name\": \"p\", \"type\": \"file\", \"label\": \"A\", \"accept\": [\"pdf\"]}"),
		  "question 'p': accept: 'pdf' is neither a media type (image/png, audio/*) nor an extension (.pdf)");
	CHECK_STR(form_err("{\"name\": \"p\", \"type\": \"file\", \"label\": \"A\", \"accept\": [\"a b/c\"]}"),
		  "question 'p': accept: 'a b/c' is neither a media type (image/png, audio/*) nor an extension (.pdf)");
	CHECK_STR(form_err("{\"name\": \"p\", \"type\": \"image\", \"label\": \"A\", \"default\": \"'x.jpg'\"}"),
		  "question 'p': an attachment is a file a person gives: it cannot have a calculation or a default");
}

static const char *coerce(const struct form *f, const char *q, const char *json)
{
	static char out[512];
	json_t *in = json_loads(json, JSON_DECODE_ANY, NULL), *v = NULL;
	char *s;

	out[0] = '\0';
	if (form_coerce_answer(f, form_find(f, q), in, &v, out, sizeof out) < 0) {
		json_decref(in);
		return out;
	}
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(out, sizeof out, "%s", s ? s : "(none)");
	free(s);
	json_decref(v);
	json_decref(in);
	return out;
}

static void test_answers(void)
{
	static const char def[] =
		"{\"id\": \"m\", \"version\": \"1\", \"questions\": ["
		"{\"name\": \"photo\", \"type\": \"image\", \"label\": \"Photo\", \"max_pixels\": 1024},"
		"{\"name\": \"mou\", \"type\": \"file\", \"label\": \"Memorandum\", \"accept\": [\".pdf\", \"application/pdf\"]},"
		"{\"name\": \"note\", \"type\": \"audio\", \"label\": \"Recording\","
		" \"relevant\": \"${photo} != ''\"},"
		"{\"name\": \"said\", \"type\": \"text\", \"label\": \"Of ${photo}\", \"relevant\": \"${photo} = 'meeting.jpg'\"}]}";
	char err[512] = "";
	struct form *f = form_load(def, strlen(def), err, sizeof err);
	json_t *answers;

	CHECK_STR(err, "");
	if (!f)
		return;
	CHECK_STR(coerce(f, "photo", "{\"blake2b\": \"" H "\", \"size\": 3, \"type\": \"image/jpeg\", \"name\": \"meeting.jpg\"}"),
		  "{\"blake2b\":\"" H "\",\"name\":\"meeting.jpg\",\"size\":3,\"type\":\"image/jpeg\"}");
	CHECK_STR(coerce(f, "photo", "{\"blake2b\": \"" H "\", \"size\": 3, \"type\": \"text/plain\", \"name\": \"x.svg\"}"),
		  "'x.svg' (text/plain) is not a file this question takes");
	CHECK_STR(coerce(f, "mou", "{\"blake2b\": \"" H "\", \"size\": 3, \"type\": \"application/pdf\", \"name\": \"mou\"}"),
		  "{\"blake2b\":\"" H "\",\"name\":\"mou\",\"size\":3,\"type\":\"application/pdf\"}");
	CHECK_STR(coerce(f, "mou", "{\"blake2b\": \"" H "\", \"size\": 3, \"type\": \"application/zip\", \"name\": \"m.zip\"}"),
		  "'m.zip' (application/zip) is not a file this question takes");
	CHECK_STR(coerce(f, "photo", "\"meeting.jpg\""), "'meeting.jpg' is not a file: give the path of one as @PATH");
	CHECK_STR(coerce(f, "photo", "[1]"), "'[1]' is not an attachment");
	CHECK_STR(coerce(f, "photo", "{\"size\": 3}"), "an attachment is {\"blake2b\", \"size\", \"type\", \"name\"}");
	CHECK_STR(coerce(f, "photo", "null"), "(none)");

	/* In expressions an attachment is its file's name, as in ODK: relevance and labels see it. */
	answers = json_pack("{s:{s:s, s:i, s:s, s:s}}", "photo", "blake2b", H, "size", 3, "type", "image/jpeg", "name",
			    "meeting.jpg");
	CHECK_INT(form_relevant(f, form_find(f, "note"), answers, NULL, 0), 1);
	CHECK_INT(form_relevant(f, form_find(f, "said"), answers, NULL, 0), 1);
	json_object_clear(answers);
	CHECK_INT(form_relevant(f, form_find(f, "note"), answers, NULL, 0), 0);
	json_decref(answers);
	CHECK_INT(form_is_media(FT_IMAGE), 1);
	CHECK_INT(form_is_media(FT_TEXT), 0);
	form_free(f);
}

int main(void)
{
	RUN(test_sniff);
	RUN(test_sniff_long_text);
	RUN(test_accepts);
	RUN(test_ref);
	RUN(test_form_members);
	RUN(test_answers);
	return test_done();
}
