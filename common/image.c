/* image.c - an image's size from its header, and a JPEG or PNG scaled down (image.h).
 *
 * The file reads top-down: the headers (by hand, bounded: only their sizes), the two libraries and how they are
 * loaded, the area-averaging scaler, EXIF orientation, then the JPEG path, the PNG path and image_fit.
 *
 * Errors inside libjpeg and libpng end in a longjmp back to the function that set the jump (jpeg_run, png_run),
 * which has nothing of its own to lose; everything allocated hangs off the caller's struct job, which
 * job_release frees whatever the point of failure. */
#include "image.h"

#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include "buf.h"
#include "i18n.h"
#include "util.h"
#include "banned.h"

/* A progressive JPEG keeps every coefficient of the image while it is read: at IMAGE_MAX_PIXELS with colour at
 * full resolution that is some 600 MB, and libjpeg-turbo refuses a JPEG that would need more than this instead
 * of setting it aside. */
#define JPEG_MAX_MEMORY ((long)640 << 20)
/* Each scan of a progressive JPEG goes over the whole image again: a few hundred bytes of scans can keep the
 * decoder busy for minutes. Real encoders write about ten; libjpeg-turbo's own fuzzing stops at 500. */
#define JPEG_MAX_SCANS 500
#define JPEG_QUALITY 85
/* The largest PNG chunk held whole: a palette is 768 bytes; image data is read in pieces, whatever its chunks. */
#define PNG_CHUNK_MAX ((png_alloc_size_t)1 << 20)

/* --- Headers ---------------------------------------------------------------------------------------------- */

static unsigned be16(const unsigned char *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static unsigned le16(const unsigned char *p)
{
	return (unsigned)p[1] << 8 | p[0];
}

static uint32_t le24(const unsigned char *p)
{
	return (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[3] << 24 | le24(p);
}

static const char *kind_name(enum image_kind k)
{
	switch (k) {
	case IMAGE_JPEG: return "JPEG";
	case IMAGE_PNG: return "PNG";
	case IMAGE_GIF: return "GIF";
	case IMAGE_WEBP: return "WebP";
	default: return "?";
	}
}

enum image_kind image_sniff(const unsigned char *p, size_t len)
{
	if (len >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF)
		return IMAGE_JPEG;
	if (len >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8))
		return IMAGE_PNG;
	if (len >= 6 && (!memcmp(p, "GIF87a", 6) || !memcmp(p, "GIF89a", 6)))
		return IMAGE_GIF;
	if (len >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4))
		return IMAGE_WEBP;
	return IMAGE_NONE;
}

/* A JPEG's size from its first frame header (SOF), walking the segments from the start as a decoder does and
 * skipping stray bytes between them as libjpeg does. 0, or -1 if there is none before the scan or the end. */
static int jpeg_header(const unsigned char *p, size_t len, unsigned *w, unsigned *h)
{
	size_t i = 2, seg;
	unsigned m;

	while (i + 4 <= len) {
		if (p[i] != 0xFF || p[i + 1] == 0xFF) {
			i++;
			continue;
		}
		m = p[i + 1];
		i += 2;
		if (m == 0x00 || m == 0x01 || (m >= 0xD0 && m <= 0xD7))
			continue;   /* a stuffed byte, TEM or RSTn: no length follows */
		if (m == 0xD8 || m == 0xD9 || m == 0xDA)
			return -1;  /* SOI again, EOI or SOS before any frame header */
		seg = be16(p + i);
		if (seg < 2 || seg > len - i)
			return -1;
		/* SOF0-3, 5-7, 9-11, 13-15: C4 (DHT), C8 (JPG) and CC (DAC) are not frames. */
		if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
			if (seg < 7)
				return -1;
			*h = be16(p + i + 3);
			*w = be16(p + i + 5);
			return *w && *h ? 0 : -1;   /* a height of 0 is given later (DNL), which libjpeg refuses */
		}
		i += seg;
	}
	return -1;
}

/* A WebP's size from its first chunk: lossy (VP8), lossless (VP8L) or extended (VP8X, the canvas). */
static int webp_header(const unsigned char *p, size_t len, unsigned *w, unsigned *h)
{
	uint32_t bits;

	if (len >= 30 && !memcmp(p + 12, "VP8 ", 4)) {
		/* A key frame's tag (bit 0 clear), its start code, then 14 bits of width and of height. */
		if ((p[20] & 1) || memcmp(p + 23, "\x9d\x01\x2a", 3))
			return -1;
		*w = le16(p + 26) & 0x3FFF;
		*h = le16(p + 28) & 0x3FFF;
	} else if (len >= 25 && !memcmp(p + 12, "VP8L", 4)) {
		if (p[20] != 0x2F)
			return -1;
		bits = le32(p + 21);
		*w = (bits & 0x3FFF) + 1;
		*h = ((bits >> 14) & 0x3FFF) + 1;
	} else if (len >= 30 && !memcmp(p + 12, "VP8X", 4)) {
		*w = le24(p + 24) + 1;
		*h = le24(p + 27) + 1;
	} else {
		return -1;
	}
	return *w && *h ? 0 : -1;
}

int image_size(const unsigned char *p, size_t len, unsigned *w, unsigned *h, char *err, size_t errlen)
{
	enum image_kind k = image_sniff(p, len);
	int rc = -1;

	switch (k) {
	case IMAGE_JPEG:
		rc = jpeg_header(p, len, w, h);
		break;
	case IMAGE_PNG:
		/* The first chunk is IHDR, 13 bytes, starting with the width and height: each 1 to 2^31 - 1. */
		if (len >= 24 && be32(p + 8) == 13 && !memcmp(p + 12, "IHDR", 4)) {
			*w = be32(p + 16);
			*h = be32(p + 20);
			rc = *w && *h && *w <= 0x7FFFFFFF && *h <= 0x7FFFFFFF ? 0 : -1;
		}
		break;
	case IMAGE_GIF:
		/* The logical screen's width and height follow the signature. */
		if (len >= 10) {
			*w = le16(p + 6);
			*h = le16(p + 8);
			rc = *w && *h ? 0 : -1;
		}
		break;
	case IMAGE_WEBP:
		rc = webp_header(p, len, w, h);
		break;
	default:
		return errf(err, errlen, _("not a JPEG, PNG, GIF or WebP image"));
	}
	if (rc < 0)
		/* TRANSLATORS: %s is an image format: JPEG, PNG, GIF or WebP. */
		return errf(err, errlen, _("the %s image's header is cut short or gives no size"), kind_name(k));
	return 0;
}

/* The size an image of w x h is scaled to, its longer side max: the other side rounded, at least 1. */
static void fit_size(unsigned w, unsigned h, unsigned max, unsigned *tw, unsigned *th)
{
	unsigned long long lng = w >= h ? w : h, shrt = w >= h ? h : w, s;

	s = (shrt * max * 2 + lng) / (2 * lng);
	if (!s)
		s = 1;
	*tw = w >= h ? max : (unsigned)s;
	*th = w >= h ? (unsigned)s : max;
}

/* -1 with err when an image of w x h is larger than image_fit decodes. */
static int check_limits(enum image_kind k, unsigned w, unsigned h, char *err, size_t errlen)
{
	if (w > IMAGE_MAX_SIDE || h > IMAGE_MAX_SIDE || (unsigned long long)w * h > IMAGE_MAX_PIXELS)
		/* TRANSLATORS: an image format (JPEG, PNG), the image's width and height, the largest side and the
		 * most megapixels Sondeo decodes. */
		return errf(err, errlen, _("the %s image is %ux%u pixels: larger than Sondeo decodes (%u pixels a side, "
					   "%llu megapixels)"), kind_name(k), w, h, IMAGE_MAX_SIDE,
			    IMAGE_MAX_PIXELS / 1000000);
	return 0;
}

/* --- The libraries ---------------------------------------------------------------------------------------- */

/* X(name) for each function jpeg_name and png_name called, each member of the type of the header's own
 * declaration. The headers' macros that call a function by its name (jpeg_create_decompress, png_jmpbuf) are
 * not used: those names are not linked. */
#define LIBJPEG_FUNCS(X) \
	X(std_error) X(CreateDecompress) X(destroy_decompress) X(mem_src) X(save_markers) X(read_header) \
	X(calc_output_dimensions) X(start_decompress) X(read_scanlines) X(CreateCompress) X(destroy_compress) \
	X(set_defaults) X(set_quality) X(start_compress) X(write_scanlines) X(finish_compress)
#define LIBPNG_FUNCS(X) \
	X(create_read_struct) X(create_write_struct) X(create_info_struct) X(destroy_read_struct) \
	X(destroy_write_struct) X(set_read_fn) X(set_write_fn) X(get_io_ptr) X(get_error_ptr) X(error) \
	X(set_user_limits) X(set_chunk_malloc_max) X(set_keep_unknown_chunks) X(read_info) X(get_IHDR) X(set_expand) X(set_scale_16) X(set_gray_to_rgb) \
	X(set_interlace_handling) X(read_update_info) X(get_channels) X(get_rowbytes) X(read_row) X(set_IHDR) \
	X(write_info) X(write_row) X(write_end)

#define LIBJPEG_MEMBER(name) __typeof__(&jpeg_##name) name;
#define LIBPNG_MEMBER(name) __typeof__(&png_##name) name;
static struct libjpeg_api { LIBJPEG_FUNCS(LIBJPEG_MEMBER) } libjpeg;
static struct libpng_api { LIBPNG_FUNCS(LIBPNG_MEMBER) } libpng;

#define LIBJPEG_SYM(name) { "jpeg_" #name, offsetof(struct libjpeg_api, name) },
#define LIBPNG_SYM(name) { "png_" #name, offsetof(struct libpng_api, name) },
static const struct lib_sym libjpeg_syms[] = { LIBJPEG_FUNCS(LIBJPEG_SYM) };
static const struct lib_sym libpng_syms[] = { LIBPNG_FUNCS(LIBPNG_SYM) };

/* Each library is loaded once per process, by whichever thread asks first; the others wait for it. */
static pthread_once_t libjpeg_once = PTHREAD_ONCE_INIT, libpng_once = PTHREAD_ONCE_INIT;
static int libjpeg_rc, libpng_rc;
static char libjpeg_err[512], libpng_err[512];

static void libjpeg_load(void)
{
	libjpeg_rc = lib_load("libjpeg.so.62", "libjpeg62-turbo", libjpeg_syms,
			      sizeof(libjpeg_syms) / sizeof(libjpeg_syms[0]), &libjpeg, sizeof(libjpeg), libjpeg_err,
			      sizeof(libjpeg_err)) ? 0 : -1;
}

static void libpng_load(void)
{
	libpng_rc = lib_load("libpng16.so.16", "libpng16-16", libpng_syms, sizeof(libpng_syms) / sizeof(libpng_syms[0]),
			     &libpng, sizeof(libpng), libpng_err, sizeof(libpng_err)) ? 0 : -1;
}

static int lib_ready(enum image_kind k, char *err, size_t errlen)
{
	if (k == IMAGE_JPEG) {
		pthread_once(&libjpeg_once, libjpeg_load);
		return libjpeg_rc < 0 ? errf(err, errlen, "%s", libjpeg_err) : 0;
	}
	pthread_once(&libpng_once, libpng_load);
	return libpng_rc < 0 ? errf(err, errlen, "%s", libpng_err) : 0;
}

/* --- Scaling ---------------------------------------------------------------------------------------------- */

/* Area averaging (a box filter with exact partial weights), fed one source row at a time so that a large image
 * never has to be held whole: each destination pixel is the mean of the source area it covers, the pixels on its
 * edges weighed by how much of them it covers. Positions are counted in units of 1/(dw * sw) of the width (and
 * likewise the height) so that every weight is an integer: source column i spans [i*dw, (i+1)*dw), destination
 * column x spans [x*sw, (x+1)*sw). Shrinking, a source pixel falls into at most two destination pixels each
 * way. With alpha (the fourth channel), colours are averaged weighed by their alpha, so that transparent pixels
 * (whose colour nobody sees) do not darken the edges of what is opaque. */
struct scaler {
	unsigned sw, sh, dw, dh, ch;
	uint32_t *col;     /* per source column: the destination column it starts in */
	uint32_t *colw;    /* and its weight there; the rest (dw - colw) goes to the next */
	uint64_t *hrow;    /* the current source row, reduced to dw pixels */
	uint64_t *acc[2];  /* destination rows y and y + 1 as summed so far */
	unsigned sy, y;    /* source rows taken; destination row being summed */
	unsigned char *out;   /* dw x dh pixels of ch bytes */
};

static void scaler_release(struct scaler *s)
{
	free(s->col);
	free(s->colw);
	free(s->hrow);
	free(s->acc[0]);
	free(s->acc[1]);
	free(s->out);
	memset(s, 0, sizeof(*s));
}

/* Sets s up to scale sw x sh pixels of ch channels (1, 3, or 4 with alpha) to dw x dh (no larger): 0, or -1 out
 * of memory. */
static int scaler_init(struct scaler *s, unsigned sw, unsigned sh, unsigned dw, unsigned dh, unsigned ch)
{
	unsigned i;
	size_t n = (size_t)dw * ch;

	s->sw = sw, s->sh = sh, s->dw = dw, s->dh = dh, s->ch = ch;
	s->sy = s->y = 0;
	s->col = mem_calloc(sw, sizeof(*s->col));
	s->colw = mem_calloc(sw, sizeof(*s->colw));
	s->hrow = mem_calloc(n, sizeof(*s->hrow));
	s->acc[0] = mem_calloc(n, sizeof(uint64_t));
	s->acc[1] = mem_calloc(n, sizeof(uint64_t));
	s->out = mem_alloc((size_t)dw * dh * ch);
	if (!s->col || !s->colw || !s->hrow || !s->acc[0] || !s->acc[1] || !s->out)
		return -1;
	for (i = 0; i < sw; i++) {
		uint64_t at = (uint64_t)i * dw, x = at / sw, edge = (x + 1) * sw;

		s->col[i] = (uint32_t)x;
		s->colw[i] = (uint32_t)((edge < at + dw ? edge : at + dw) - at);
	}
	return 0;
}

/* Destination row s->y, summed, divided into pixels. */
static void scaler_emit(struct scaler *s)
{
	const uint64_t *a = s->acc[0];
	unsigned char *o = s->out + (size_t)s->y * s->dw * s->ch;
	uint64_t total = (uint64_t)s->sw * s->sh, v, alpha;
	size_t x, n = (size_t)s->dw * s->ch;
	unsigned k;

	if (s->ch != 4) {
		for (x = 0; x < n; x++) {
			v = (a[x] + total / 2) / total;
			o[x] = (unsigned char)(v > 255 ? 255 : v);
		}
		return;
	}
	for (x = 0; x < n; x += 4) {
		alpha = a[x + 3];
		for (k = 0; k < 3; k++) {
			v = alpha ? (a[x + k] + alpha / 2) / alpha : 0;
			o[x + k] = (unsigned char)(v > 255 ? 255 : v);
		}
		v = (alpha + total / 2) / total;
		o[x + 3] = (unsigned char)(v > 255 ? 255 : v);
	}
}

/* Takes the next source row (sw pixels of ch bytes). */
static void scaler_row(struct scaler *s, const unsigned char *row)
{
	size_t n = (size_t)s->dw * s->ch, x;
	uint64_t at, y0, edge, w0, w1, v[4];
	unsigned i, k, ch = s->ch;
	uint64_t *t;

	if (s->sy >= s->sh)
		return;
	memset(s->hrow, 0, n * sizeof(*s->hrow));
	for (i = 0; i < s->sw; i++, row += ch) {
		uint64_t *h = s->hrow + (size_t)s->col[i] * ch;

		w0 = s->colw[i];
		w1 = s->dw - w0;
		for (k = 0; k < ch; k++)
			v[k] = ch == 4 && k < 3 ? (uint64_t)row[k] * row[3] : row[k];
		for (k = 0; k < ch; k++)
			h[k] += v[k] * w0;
		if (w1 && s->col[i] + 1 < s->dw)
			for (k = 0; k < ch; k++)
				h[ch + k] += v[k] * w1;
	}
	at = (uint64_t)s->sy * s->dh;
	y0 = at / s->sh;
	edge = (y0 + 1) * s->sh;
	w0 = (edge < at + s->dh ? edge : at + s->dh) - at;
	w1 = s->dh - w0;
	/* Shrinking, this row starts at most one destination row past the last: that one is whole. */
	if (y0 > s->y) {
		scaler_emit(s);
		t = s->acc[0];
		s->acc[0] = s->acc[1];
		s->acc[1] = t;
		memset(s->acc[1], 0, n * sizeof(uint64_t));
		s->y++;
	}
	for (x = 0; x < n; x++)
		s->acc[0][x] += s->hrow[x] * w0;
	if (w1 && s->y + 1 < s->dh)
		for (x = 0; x < n; x++)
			s->acc[1][x] += s->hrow[x] * w1;
	if (++s->sy == s->sh)
		scaler_emit(s);
}

/* --- EXIF orientation ------------------------------------------------------------------------------------- */

/* The orientation (1 to 8) an APP1 Exif segment's first directory gives, 1 if none or anything is amiss. Only
 * tag 0x0112 is read; everything is bounded by the segment. */
static int exif_orientation(const unsigned char *p, size_t len)
{
	const unsigned char *t = p + 6;   /* the TIFF structure after "Exif\0\0" */
	size_t n, at, count, i;
	int le;

	if (len < 6 + 8 || memcmp(p, "Exif\0\0", 6))
		return 1;
	n = len - 6;
	if (!memcmp(t, "II*\0", 4))
		le = 1;
	else if (!memcmp(t, "MM\0*", 4))
		le = 0;
	else
		return 1;
	at = le ? le32(t + 4) : be32(t + 4);
	if (at > n - 2)
		return 1;
	count = le ? le16(t + at) : be16(t + at);
	at += 2;
	for (i = 0; i < count && at + 12 <= n; i++, at += 12) {
		const unsigned char *e = t + at;
		unsigned tag = le ? le16(e) : be16(e), type = le ? le16(e + 2) : be16(e + 2), v;

		if (tag != 0x0112)
			continue;
		/* A SHORT, its value in the entry's first two value bytes. */
		v = le ? le16(e + 8) : be16(e + 8);
		return type == 3 && v >= 1 && v <= 8 ? (int)v : 1;
	}
	return 1;
}

/* src (w x h pixels of ch bytes) turned upright into dst, as EXIF orientation o (2 to 8) says: for 5 to 8 dst is
 * h x w. Turning the scaled pixels rather than the stored ones gives the same pixels (the area average does not
 * care which way up it counts), for far less memory. */
static void orient(const unsigned char *src, unsigned w, unsigned h, unsigned ch, int o, unsigned char *dst)
{
	unsigned uw = o >= 5 ? h : w, uh = o >= 5 ? w : h, x, y, sx, sy;

	for (y = 0; y < uh; y++) {
		for (x = 0; x < uw; x++) {
			switch (o) {
			case 2: sx = w - 1 - x, sy = y; break;           /* mirrored left to right */
			case 3: sx = w - 1 - x, sy = h - 1 - y; break;   /* upside down */
			case 4: sx = x, sy = h - 1 - y; break;           /* mirrored top to bottom */
			case 5: sx = y, sy = x; break;                   /* transposed */
			case 6: sx = y, sy = h - 1 - x; break;           /* a quarter turn clockwise to be upright */
			case 7: sx = w - 1 - y, sy = h - 1 - x; break;   /* transverse */
			default: sx = w - 1 - y, sy = x; break;          /* 8: a quarter turn anticlockwise */
			}
			memcpy(dst + ((size_t)y * uw + x) * ch, src + ((size_t)sy * w + sx) * ch, ch);
		}
	}
}

/* --- One scaling, whatever the format ---------------------------------------------------------------------- */

struct job;

/* libjpeg's error manager, with the way back. */
struct jpeg_err {
	struct jpeg_error_mgr pub;
	struct job *job;
};

/* libjpeg's destination: the encoded bytes go into job->enc, within its cap. */
struct jpeg_out {
	struct jpeg_destination_mgr pub;
	struct job *job;
	JOCTET chunk[16384];
};

struct job {
	jmp_buf jmp;
	const unsigned char *p;
	size_t len, at;          /* at: how far libpng has read */
	unsigned max;
	enum image_kind kind;
	int writing;             /* decoding done: a library's error is the encoder's */
	char *err;
	size_t errlen;
	struct scaler sc;
	unsigned char *row;      /* one decoded row */
	unsigned char *whole;    /* an interlaced PNG's decoded pixels */
	unsigned char *upright;  /* the scaled pixels turned upright */
	struct buf enc;          /* the encoded result, capped as the caller's out */

	struct jpeg_err derr, cerr;
	struct jpeg_decompress_struct d;
	struct jpeg_compress_struct c;
	int d_live, c_live;
	struct jpeg_progress_mgr progress;
	struct jpeg_out out;

	png_structp rpng, wpng;
	png_infop rinfo, winfo;
};

static void job_release(struct job *j)
{
	if (j->d_live)
		libjpeg.destroy_decompress(&j->d);
	if (j->c_live)
		libjpeg.destroy_compress(&j->c);
	if (j->rpng)
		libpng.destroy_read_struct(&j->rpng, &j->rinfo, NULL);
	if (j->wpng)
		libpng.destroy_write_struct(&j->wpng, &j->winfo);
	j->d_live = j->c_live = 0;
	scaler_release(&j->sc);
	free(j->row);
	free(j->whole);
	free(j->upright);
	j->row = j->whole = j->upright = NULL;
	buf_release(&j->enc);
}

/* A library's reason for giving up, in err unless a reason of ours is there already. */
static void job_fail(struct job *j, const char *why)
{
	if (j->err && j->errlen && j->err[0])
		return;
	if (j->writing)
		/* TRANSLATORS: an image format (JPEG, PNG), then the library's reason, in English. */
		errf(j->err, j->errlen, _("cannot write the scaled %s image: %s"), kind_name(j->kind), why);
	else
		/* TRANSLATORS: an image format (JPEG, PNG), then the library's reason, in English. */
		errf(j->err, j->errlen, _("cannot read the %s image: %s"), kind_name(j->kind), why);
}

static void job_cut_short(struct job *j)
{
	/* TRANSLATORS: %s is an image format: JPEG or PNG. */
	errf(j->err, j->errlen, _("the %s image is cut short"), kind_name(j->kind));
}

static void job_too_big(struct job *j)
{
	errf(j->err, j->errlen, _("the scaled image is larger than %zu bytes"), j->enc.max);
}

/* The upright result's pixels: the scaled ones, or those turned into j->upright. NULL out of memory. */
static unsigned char *job_upright(struct job *j, int o)
{
	struct scaler *s = &j->sc;

	if (o <= 1)
		return s->out;
	if (!(j->upright = mem_alloc((size_t)s->dw * s->dh * s->ch)))
		return NULL;
	orient(s->out, s->dw, s->dh, s->ch, o, j->upright);
	return j->upright;
}

/* --- JPEG ------------------------------------------------------------------------------------------------- */

static void jpeg_fail(j_common_ptr c)
{
	struct job *j = ((struct jpeg_err *)c->err)->job;
	char msg[JMSG_LENGTH_MAX];

	c->err->format_message(c, msg);
	job_fail(j, msg);
	longjmp(j->jmp, 1);
}

/* Warnings that mean the pixels are not the picture (the file cut short, bad entropy-coded data) end the
 * reading as errors do: storing a photo half grey is worse than saying it is damaged. The others (stray bytes
 * between segments, an unknown JFIF revision) are let be, as viewers do. Nothing is printed. */
static void jpeg_message(j_common_ptr c, int level)
{
	struct job *j = ((struct jpeg_err *)c->err)->job;

	if (level >= 0)
		return;
	switch (c->err->msg_code) {
	case JWRN_JPEG_EOF:
		job_cut_short(j);
		longjmp(j->jmp, 1);
	case JWRN_HIT_MARKER: case JWRN_HUFF_BAD_CODE: case JWRN_ARITH_BAD_CODE: case JWRN_MUST_RESYNC:
	case JWRN_NOT_SEQUENTIAL: case JWRN_BOGUS_PROGRESSION:
		jpeg_fail(c);
		break;
	default:
		break;
	}
}

static void jpeg_quiet(j_common_ptr c)
{
	(void)c;
}

static void jpeg_progress(j_common_ptr c)
{
	struct job *j = ((struct jpeg_err *)c->err)->job;

	if (c->is_decompressor && ((j_decompress_ptr)c)->input_scan_number > JPEG_MAX_SCANS) {
		errf(j->err, j->errlen, _("the JPEG image has more than %d scans"), JPEG_MAX_SCANS);
		longjmp(j->jmp, 1);
	}
}

static struct jpeg_error_mgr *jpeg_errors(struct job *j, struct jpeg_err *e)
{
	libjpeg.std_error(&e->pub);
	e->pub.error_exit = jpeg_fail;
	e->pub.emit_message = jpeg_message;
	e->pub.output_message = jpeg_quiet;
	e->job = j;
	return &e->pub;
}

static void jpeg_out_init(j_compress_ptr c)
{
	struct jpeg_out *o = (struct jpeg_out *)c->dest;

	o->pub.next_output_byte = o->chunk;
	o->pub.free_in_buffer = sizeof(o->chunk);
}

static boolean jpeg_out_empty(j_compress_ptr c)
{
	struct jpeg_out *o = (struct jpeg_out *)c->dest;

	if (buf_add(&o->job->enc, o->chunk, sizeof(o->chunk)) < 0) {
		job_too_big(o->job);
		longjmp(o->job->jmp, 1);
	}
	jpeg_out_init(c);
	return TRUE;
}

static void jpeg_out_term(j_compress_ptr c)
{
	struct jpeg_out *o = (struct jpeg_out *)c->dest;

	if (buf_add(&o->job->enc, o->chunk, sizeof(o->chunk) - o->pub.free_in_buffer) < 0) {
		job_too_big(o->job);
		longjmp(o->job->jmp, 1);
	}
}

/* CMYK (as Adobe writes it, inverted, when its marker is there; plain otherwise) to RGB, n pixels in place. */
static void cmyk_to_rgb(unsigned char *p, size_t n, int adobe)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned c = p[4 * i], m = p[4 * i + 1], y = p[4 * i + 2], k = p[4 * i + 3];

		if (!adobe)
			c = 255 - c, m = 255 - m, y = 255 - y, k = 255 - k;
		p[3 * i] = (unsigned char)((c * k + 127) / 255);
		p[3 * i + 1] = (unsigned char)((m * k + 127) / 255);
		p[3 * i + 2] = (unsigned char)((y * k + 127) / 255);
	}
}

/* The JPEG decoded at the smallest of libjpeg's DCT scales (1/8 to 8/8) that is still at least the target, area
 * averaged to the target, turned upright and encoded again. The new JPEG is written from pixels alone: no EXIF,
 * XMP, ICC or comment of the original reaches it, so neither does where a phone says the photo was taken. 0, 1
 * (within max after all), or -1 with err; longjmps to jpeg_run on the libraries' errors. */
static int jpeg_work(struct job *j)
{
	struct jpeg_decompress_struct *d = &j->d;
	struct jpeg_compress_struct *c = &j->c;
	jpeg_saved_marker_ptr m;
	unsigned tw, th, dw, dh, ch, ow, oh, scale;
	int o = 1, cmyk = 0;
	unsigned char *px;
	JSAMPROW r;
	unsigned y;

	d->err = jpeg_errors(j, &j->derr);
	j->d_live = 1;
	libjpeg.CreateDecompress(d, JPEG_LIB_VERSION, sizeof(*d));
	d->mem->max_memory_to_use = JPEG_MAX_MEMORY;
	j->progress.progress_monitor = jpeg_progress;
	d->progress = &j->progress;
	libjpeg.mem_src(d, j->p, (unsigned long)j->len);
	libjpeg.save_markers(d, JPEG_APP0 + 1, 0xFFFF);
	libjpeg.read_header(d, TRUE);
	if (check_limits(IMAGE_JPEG, d->image_width, d->image_height, j->err, j->errlen) < 0)
		return -1;
	for (m = d->marker_list; m; m = m->next) {
		if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 && !memcmp(m->data, "Exif\0\0", 6)) {
			o = exif_orientation(m->data, m->data_length);
			break;
		}
	}
	ow = o >= 5 ? d->image_height : d->image_width;
	oh = o >= 5 ? d->image_width : d->image_height;
	if ((ow >= oh ? ow : oh) <= j->max)
		return 1;
	fit_size(ow, oh, j->max, &tw, &th);
	/* The target as stored, before it is turned. */
	dw = o >= 5 ? th : tw;
	dh = o >= 5 ? tw : th;
	if (d->out_color_space == JCS_GRAYSCALE) {
		ch = 1;
	} else if (d->out_color_space == JCS_CMYK) {
		ch = 3;
		cmyk = 1;
	} else {
		d->out_color_space = JCS_RGB;
		ch = 3;
	}
	for (scale = 1; scale <= 8; scale++) {
		d->scale_num = scale;
		d->scale_denom = 8;
		libjpeg.calc_output_dimensions(d);
		if (d->output_width >= dw && d->output_height >= dh)
			break;
	}
	libjpeg.start_decompress(d);
	if ((unsigned)d->output_components != (cmyk ? 4 : ch) || d->output_width < dw || d->output_height < dh)
		return errf(j->err, j->errlen, _("cannot read the %s image: %s"), "JPEG", "unexpected output");
	if (scaler_init(&j->sc, d->output_width, d->output_height, dw, dh, ch) < 0 ||
	    !(j->row = mem_alloc((size_t)d->output_width * d->output_components)))
		return err_oom(j->err, j->errlen), -1;
	while (d->output_scanline < d->output_height) {
		r = j->row;
		if (libjpeg.read_scanlines(d, &r, 1) != 1)
			return job_cut_short(j), -1;
		if (cmyk)
			cmyk_to_rgb(j->row, d->output_width, d->saw_Adobe_marker);
		scaler_row(&j->sc, j->row);
	}
	libjpeg.destroy_decompress(d);
	j->d_live = 0;

	if (!(px = job_upright(j, o)))
		return err_oom(j->err, j->errlen), -1;
	j->writing = 1;
	c->err = jpeg_errors(j, &j->cerr);
	j->c_live = 1;
	libjpeg.CreateCompress(c, JPEG_LIB_VERSION, sizeof(*c));
	j->out.pub.init_destination = jpeg_out_init;
	j->out.pub.empty_output_buffer = jpeg_out_empty;
	j->out.pub.term_destination = jpeg_out_term;
	j->out.job = j;
	c->dest = &j->out.pub;
	c->image_width = tw;
	c->image_height = th;
	c->input_components = (int)ch;
	c->in_color_space = ch == 1 ? JCS_GRAYSCALE : JCS_RGB;
	libjpeg.set_defaults(c);
	libjpeg.set_quality(c, JPEG_QUALITY, TRUE);
	c->optimize_coding = TRUE;
	libjpeg.start_compress(c, TRUE);
	for (y = 0; y < th; y++) {
		r = px + (size_t)y * tw * ch;
		libjpeg.write_scanlines(c, &r, 1);
	}
	libjpeg.finish_compress(c);
	return 0;
}

/* Where libjpeg's errors come back to: nothing here lives across the jump. */
static int jpeg_run(struct job *j)
{
	if (setjmp(j->jmp))
		return -1;
	return jpeg_work(j);
}

/* --- PNG -------------------------------------------------------------------------------------------------- */

__attribute__((noreturn)) static void png_fail(png_structp png, png_const_charp msg)
{
	struct job *j = libpng.get_error_ptr(png);

	job_fail(j, msg);
	longjmp(j->jmp, 1);
}

static void png_quiet(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void png_read_mem(png_structp png, png_bytep data, size_t n)
{
	struct job *j = libpng.get_io_ptr(png);

	if (n > j->len - j->at) {
		job_cut_short(j);
		libpng.error(png, "cut short");
		return;
	}
	memcpy(data, j->p + j->at, n);
	j->at += n;
}

static void png_write_mem(png_structp png, png_bytep data, size_t n)
{
	struct job *j = libpng.get_io_ptr(png);

	if (buf_add(&j->enc, data, n) < 0) {
		job_too_big(j);
		libpng.error(png, "too big");
	}
}

static void png_flush_none(png_structp png)
{
	(void)png;
}

/* The PNG decoded as 8-bit RGB or RGBA (palettes, grey and transparency expanded, 16 bits scaled to 8), area
 * averaged and encoded again with none of the original's other chunks (text, EXIF, times). An interlaced PNG is
 * decoded whole first, as its passes need; any other row by row. 0, 1 (within max after all), or -1 with err;
 * longjmps to png_run on libpng's errors. */
static int png_work(struct job *j)
{
	png_uint_32 w, h, y;
	int depth, color, interlace, passes, pass;
	unsigned tw, th, ch;
	size_t rowbytes;

	j->rpng = libpng.create_read_struct(PNG_LIBPNG_VER_STRING, j, png_fail, png_quiet);
	if (!j->rpng || !(j->rinfo = libpng.create_info_struct(j->rpng)))
		return errf(j->err, j->errlen, _("cannot read the %s image: %s"), "PNG",
			    "libpng " PNG_LIBPNG_VER_STRING " does not start (out of memory, or another libpng)");
	libpng.set_read_fn(j->rpng, j, png_read_mem);
	libpng.set_user_limits(j->rpng, IMAGE_MAX_SIDE, IMAGE_MAX_SIDE);
	/* Only the chunks that make the pixels are read (IHDR, PLTE, tRNS, IDAT, IEND): the others (text, EXIF,
	 * colour profiles) are skipped unread, so that a chunk declaring a gigabyte of text is not allocated for, and
	 * no chunk but those is held in memory larger than this. */
	libpng.set_keep_unknown_chunks(j->rpng, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
	libpng.set_chunk_malloc_max(j->rpng, PNG_CHUNK_MAX);
	libpng.read_info(j->rpng, j->rinfo);
	libpng.get_IHDR(j->rpng, j->rinfo, &w, &h, &depth, &color, &interlace, NULL, NULL);
	if (check_limits(IMAGE_PNG, w, h, j->err, j->errlen) < 0)
		return -1;
	if ((w >= h ? w : h) <= j->max)
		return 1;
	fit_size(w, h, j->max, &tw, &th);
	libpng.set_expand(j->rpng);
	if (depth == 16)
		libpng.set_scale_16(j->rpng);
	if (!(color & PNG_COLOR_MASK_COLOR))
		libpng.set_gray_to_rgb(j->rpng);
	passes = libpng.set_interlace_handling(j->rpng);
	libpng.read_update_info(j->rpng, j->rinfo);
	ch = libpng.get_channels(j->rpng, j->rinfo);
	rowbytes = libpng.get_rowbytes(j->rpng, j->rinfo);
	if ((ch != 3 && ch != 4) || rowbytes != (size_t)w * ch)
		return errf(j->err, j->errlen, _("cannot read the %s image: %s"), "PNG", "unexpected output");
	if (scaler_init(&j->sc, w, h, tw, th, ch) < 0)
		return err_oom(j->err, j->errlen), -1;
	if (passes > 1) {
		if (!(j->whole = mem_calloc(h, rowbytes)))
			return err_oom(j->err, j->errlen), -1;
		for (pass = 0; pass < passes; pass++)
			for (y = 0; y < h; y++)
				libpng.read_row(j->rpng, j->whole + (size_t)y * rowbytes, NULL);
		for (y = 0; y < h; y++)
			scaler_row(&j->sc, j->whole + (size_t)y * rowbytes);
	} else {
		if (!(j->row = mem_alloc(rowbytes)))
			return err_oom(j->err, j->errlen), -1;
		for (y = 0; y < h; y++) {
			libpng.read_row(j->rpng, j->row, NULL);
			scaler_row(&j->sc, j->row);
		}
	}
	libpng.destroy_read_struct(&j->rpng, &j->rinfo, NULL);

	j->writing = 1;
	j->wpng = libpng.create_write_struct(PNG_LIBPNG_VER_STRING, j, png_fail, png_quiet);
	if (!j->wpng || !(j->winfo = libpng.create_info_struct(j->wpng)))
		return err_oom(j->err, j->errlen), -1;
	libpng.set_write_fn(j->wpng, j, png_write_mem, png_flush_none);
	libpng.set_IHDR(j->wpng, j->winfo, tw, th, 8, ch == 4 ? PNG_COLOR_TYPE_RGB_ALPHA : PNG_COLOR_TYPE_RGB,
			PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	libpng.write_info(j->wpng, j->winfo);
	for (y = 0; y < th; y++)
		libpng.write_row(j->wpng, j->sc.out + (size_t)y * tw * ch);
	libpng.write_end(j->wpng, NULL);
	return 0;
}

/* Where libpng's errors come back to: nothing here lives across the jump. */
static int png_run(struct job *j)
{
	if (setjmp(j->jmp))
		return -1;
	return png_work(j);
}

/* --- image_fit -------------------------------------------------------------------------------------------- */

int image_fit(const unsigned char *p, size_t len, unsigned max, struct buf *out, char *err, size_t errlen)
{
	enum image_kind k = image_sniff(p, len);
	struct job j;
	unsigned w, h;
	size_t cap;
	int rc;

	if (err && errlen)
		err[0] = '\0';
	if (max == 0)
		return errf(err, errlen, _("cannot scale an image to 0 pixels"));
	if (len > IMAGE_MAX_INPUT)
		return errf(err, errlen, _("the image is larger than %zu MiB"), IMAGE_MAX_INPUT >> 20);
	if (k == IMAGE_GIF || k == IMAGE_WEBP)
		/* TRANSLATORS: %s is an image format: GIF or WebP. */
		return errf(err, errlen, _("Sondeo cannot scale %s images"), kind_name(k));
	if (image_size(p, len, &w, &h, err, errlen) < 0 || check_limits(k, w, h, err, errlen) < 0)
		return -1;
	if ((w >= h ? w : h) <= max)
		return 1;
	if (lib_ready(k, err, errlen) < 0)
		return -1;
	memset(&j, 0, sizeof(j));
	j.p = p;
	j.len = len;
	j.max = max;
	j.kind = k;
	j.err = err;
	j.errlen = errlen;
	buf_init(&j.enc, out->max);
	rc = k == IMAGE_JPEG ? jpeg_run(&j) : png_run(&j);
	if (rc < 0 && err && errlen && !err[0])
		errf(err, errlen, _("cannot read the %s image: %s"), kind_name(k), "?");
	if (rc == 0) {
		/* The new image's memory becomes out's, which gives up what it held. */
		cap = out->max;
		buf_release(out);
		*out = j.enc;
		out->max = cap;
		buf_init(&j.enc, 0);
	}
	job_release(&j);
	return rc;
}
