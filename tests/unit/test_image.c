/* test_image.c - image.h: the kind and size of an image from its first bytes, and images scaled down: sizes,
 * formats, colours, alpha, EXIF orientation, metadata gone, and damaged, hostile or oversized input refused.
 *
 * The sample JPEGs and PNGs are made here, and what image_fit writes is read back here, with libjpeg and libpng
 * linked into this program (the Makefile says so); common/image.c loads its own. `test_image --seeds DIR` writes
 * the image seeds of fuzz_client's corpus (tests/fuzz/corpus/client/image-*) with the same makers. */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>
#include <zlib.h>

#include "buf.h"
#include "image.h"
#include "util.h"
#include "test.h"

/* --- Pictures ----------------------------------------------------------------------------------------------- */

/* Decoded pixels, and what the file said about itself. */
struct pic {
	unsigned w, h, ch;      /* ch: bytes a pixel */
	unsigned char *px;
	int png_color, png_depth;   /* a PNG's colour type and bit depth */
	int app1;               /* a JPEG's APP1 segments (EXIF, XMP) */
};

static void pic_free(struct pic *p)
{
	free(p->px);
	memset(p, 0, sizeof(*p));
}

static const unsigned char *pic_at(const struct pic *p, unsigned x, unsigned y)
{
	return p->px + ((size_t)y * p->w + x) * p->ch;
}

/* A pixel of a w x h picture, 3 bytes (RGB), 1 (grey) or 4 (CMYK, or RGBA). */
typedef void (*paint_fn)(unsigned x, unsigned y, unsigned w, unsigned h, unsigned char *px);

/* Red growing from left to right, green from top to bottom, blue 64. */
static void paint_gradient(unsigned x, unsigned y, unsigned w, unsigned h, unsigned char *px)
{
	px[0] = (unsigned char)(w > 1 ? x * 255 / (w - 1) : 0);
	px[1] = (unsigned char)(h > 1 ? y * 255 / (h - 1) : 0);
	px[2] = 64;
}

/* The top left quarter red, the top right green, the bottom half blue. */
static void paint_quarters(unsigned x, unsigned y, unsigned w, unsigned h, unsigned char *px)
{
	static const unsigned char red[3] = { 255, 0, 0 }, green[3] = { 0, 255, 0 }, blue[3] = { 0, 0, 255 };

	memcpy(px, y >= h / 2 ? blue : x < w / 2 ? red : green, 3);
}

static void paint_grey(unsigned x, unsigned y, unsigned w, unsigned h, unsigned char *px)
{
	(void)y, (void)h;
	px[0] = (unsigned char)(x * 255 / (w - 1));
}

/* Red as Adobe's CMYK writes it: inverted, so C 0 M 255 Y 255 K 0 is stored 255 0 0 255. */
static void paint_cmyk_red(unsigned x, unsigned y, unsigned w, unsigned h, unsigned char *px)
{
	(void)x, (void)y, (void)w, (void)h;
	px[0] = 255, px[1] = 0, px[2] = 0, px[3] = 255;
}

/* libjpeg's errors and damaged-data warnings, back to the function that set the jump. */
struct tjerr {
	struct jpeg_error_mgr pub;
	jmp_buf jmp;
};

static void tj_fail(j_common_ptr c)
{
	longjmp(((struct tjerr *)c->err)->jmp, 1);
}

static void tj_message(j_common_ptr c, int level)
{
	if (level < 0)
		tj_fail(c);
}

/* A JPEG of w x h, ch components (1 grey, 3 RGB, 4 CMYK) painted by fn, progressive or not, with an APP1
 * segment of exif[0..exiflen) when exif is not NULL. The caller frees it. libjpeg's default errors end the
 * program, which tests/run.sh counts as a failure. */
static unsigned char *make_jpeg(unsigned w, unsigned h, int ch, paint_fn fn, int progressive,
				const unsigned char *exif, size_t exiflen, size_t *len)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	unsigned char *mem = NULL, *row = malloc((size_t)w * ch);
	unsigned long size = 0;
	unsigned x;
	JSAMPROW r = row;

	c.err = jpeg_std_error(&e);
	jpeg_create_compress(&c);
	jpeg_mem_dest(&c, &mem, &size);
	c.image_width = w;
	c.image_height = h;
	c.input_components = ch;
	c.in_color_space = ch == 1 ? JCS_GRAYSCALE : ch == 4 ? JCS_CMYK : JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, 92, TRUE);
	if (progressive)
		jpeg_simple_progression(&c);
	jpeg_start_compress(&c, TRUE);
	if (exif)
		jpeg_write_marker(&c, JPEG_APP0 + 1, exif, (unsigned)exiflen);
	while (c.next_scanline < h) {
		for (x = 0; x < w; x++)
			fn(x, c.next_scanline, w, h, row + (size_t)x * ch);
		jpeg_write_scanlines(&c, &r, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(row);
	*len = size;
	return mem;
}

struct tjdec {
	struct jpeg_decompress_struct d;
	struct tjerr e;
	unsigned char *px;
};

static int read_jpeg_run(struct tjdec *t, const unsigned char *p, size_t len, struct pic *pic)
{
	jpeg_saved_marker_ptr m;
	JSAMPROW r;

	if (setjmp(t->e.jmp))
		return -1;
	jpeg_mem_src(&t->d, p, (unsigned long)len);
	jpeg_save_markers(&t->d, JPEG_APP0 + 1, 0xFFFF);
	jpeg_read_header(&t->d, TRUE);
	for (m = t->d.marker_list; m; m = m->next)
		pic->app1++;
	jpeg_start_decompress(&t->d);
	pic->w = t->d.output_width;
	pic->h = t->d.output_height;
	pic->ch = (unsigned)t->d.output_components;
	t->px = malloc((size_t)pic->w * pic->h * pic->ch);
	while (t->d.output_scanline < t->d.output_height) {
		r = t->px + (size_t)t->d.output_scanline * pic->w * pic->ch;
		jpeg_read_scanlines(&t->d, &r, 1);
	}
	jpeg_finish_decompress(&t->d);
	pic->px = t->px;
	t->px = NULL;
	return 0;
}

/* Decodes a JPEG strictly (any warning is a failure): 0, or -1 if it is not a whole, valid JPEG. */
static int read_jpeg(const unsigned char *p, size_t len, struct pic *pic)
{
	struct tjdec t;
	int rc;

	memset(&t, 0, sizeof(t));
	memset(pic, 0, sizeof(*pic));
	t.d.err = jpeg_std_error(&t.e.pub);
	t.e.pub.error_exit = tj_fail;
	t.e.pub.emit_message = tj_message;
	jpeg_create_decompress(&t.d);
	rc = read_jpeg_run(&t, p, len, pic);
	jpeg_destroy_decompress(&t.d);
	free(t.px);
	if (rc < 0)
		pic_free(pic);
	return rc;
}

/* A PNG to make: raw holds its rows in the PNG's own layout (16-bit samples big-endian). */
struct png_spec {
	unsigned w, h;
	int color, depth, interlace;
	const unsigned char *raw;
	const png_color *palette;
	int npalette;
	const png_byte *trns;
	int ntrns;
	const char *text;       /* a tEXt chunk's words, when not NULL */
};

static void tp_write(png_structp png, png_bytep data, size_t n)
{
	if (buf_add(png_get_io_ptr(png), data, n) < 0)
		png_error(png, "full");
}

static void tp_flush(png_structp png)
{
	(void)png;
}

static int make_png_run(png_structp png, png_infop info, const struct png_spec *s, struct buf *b)
{
	png_text text;
	size_t rowbytes;
	unsigned y;
	int passes, pass;

	if (setjmp(png_jmpbuf(png)))
		return -1;
	png_set_write_fn(png, b, tp_write, tp_flush);
	png_set_IHDR(png, info, s->w, s->h, s->depth, s->color, s->interlace, PNG_COMPRESSION_TYPE_DEFAULT,
		     PNG_FILTER_TYPE_DEFAULT);
	if (s->palette)
		png_set_PLTE(png, info, s->palette, s->npalette);
	if (s->trns)
		png_set_tRNS(png, info, s->trns, s->ntrns, NULL);
	if (s->text) {
		memset(&text, 0, sizeof(text));
		text.compression = PNG_TEXT_COMPRESSION_NONE;
		text.key = (char *)"Comment";
		text.text = (char *)s->text;
		png_set_text(png, info, &text, 1);
	}
	png_write_info(png, info);
	passes = png_set_interlace_handling(png);
	rowbytes = png_get_rowbytes(png, info);
	for (pass = 0; pass < passes; pass++)
		for (y = 0; y < s->h; y++)
			png_write_row(png, s->raw + y * rowbytes);
	png_write_end(png, info);
	return 0;
}

/* The PNG s describes, in b (emptied first). */
static void make_png(const struct png_spec *s, struct buf *b)
{
	png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	png_infop info = png_create_info_struct(png);

	buf_reset(b);
	CHECK(make_png_run(png, info, s, b) == 0);
	png_destroy_write_struct(&png, &info);
}

/* An 8-bit RGB (ch 3) or RGBA (ch 4) PNG of w x h painted by fn (RGB only; alpha 255), in b. */
static void make_png_painted(unsigned w, unsigned h, paint_fn fn, struct buf *b)
{
	unsigned char *raw = malloc((size_t)w * h * 3);
	struct png_spec s = { w, h, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, raw, NULL, 0, NULL, 0, NULL };
	unsigned x, y;

	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			fn(x, y, w, h, raw + ((size_t)y * w + x) * 3);
	make_png(&s, b);
	free(raw);
}

/* Bytes being read, and how far. */
struct cursor {
	const unsigned char *p;
	size_t len, at;
};

static void tp_read(png_structp png, png_bytep data, size_t n)
{
	struct cursor *src = png_get_io_ptr(png);

	if (n > src->len - src->at)
		png_error(png, "cut short");
	memcpy(data, src->p + src->at, n);
	src->at += n;
}

struct tpdec {
	png_structp png;
	png_infop info;
	unsigned char *px;
};

static int read_png_run(struct tpdec *t, struct cursor *src, struct pic *pic)
{
	png_uint_32 w, h, y;
	int interlace;

	if (setjmp(png_jmpbuf(t->png)))
		return -1;
	png_set_read_fn(t->png, src, tp_read);
	png_read_info(t->png, t->info);
	png_get_IHDR(t->png, t->info, &w, &h, &pic->png_depth, &pic->png_color, &interlace, NULL, NULL);
	if (pic->png_depth != 8 || (pic->png_color != PNG_COLOR_TYPE_RGB && pic->png_color != PNG_COLOR_TYPE_RGBA))
		return -1;
	pic->w = w;
	pic->h = h;
	pic->ch = png_get_channels(t->png, t->info);
	t->px = malloc((size_t)w * h * pic->ch);
	for (y = 0; y < h; y++)
		png_read_row(t->png, t->px + (size_t)y * w * pic->ch, NULL);
	png_read_end(t->png, NULL);
	pic->px = t->px;
	t->px = NULL;
	return 0;
}

/* Decodes a non-interlaced 8-bit RGB or RGBA PNG, which is all image_fit writes: 0, or -1 for anything else. */
static int read_png(const unsigned char *p, size_t len, struct pic *pic)
{
	struct cursor src = { p, len, 0 };
	struct tpdec t;
	int rc;

	memset(pic, 0, sizeof(*pic));
	t.px = NULL;
	t.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
	t.info = png_create_info_struct(t.png);
	rc = read_png_run(&t, &src, pic);
	png_destroy_read_struct(&t.png, &t.info, NULL);
	free(t.px);
	if (rc < 0)
		pic_free(pic);
	return rc;
}

/* Appends v as 2 or 4 bytes in the TIFF byte order. */
static void put(unsigned char *e, size_t *n, uint32_t v, int bytes, int little)
{
	int i;

	for (i = 0; i < bytes; i++)
		e[(*n)++] = (unsigned char)(v >> (8 * (little ? i : bytes - 1 - i)));
}

/* An APP1 Exif segment's content in e: orientation o (0 for none), and a GPS directory whose map datum is
 * GPS_MARK, in big-endian (MM) or little-endian (II) TIFF. Returns its length. */
#define GPS_MARK "SONDEO-GPS-MARK"
static size_t make_exif(int o, int little, unsigned char *e)
{
	size_t n = 0;

	memcpy(e, "Exif\0\0", 6);
	memcpy(e + 6, little ? "II*\0" : "MM\0*", 4);
	n = 10;
	put(e, &n, 8, 4, little);                       /* IFD0 at 8 */
	put(e, &n, 2, 2, little);                       /* two entries: */
	put(e, &n, o ? 0x0112 : 0x010E, 2, little);     /* orientation (or, without, ImageDescription's tag) */
	put(e, &n, 3, 2, little);                       /* a SHORT */
	put(e, &n, 1, 4, little);
	put(e, &n, o ? (uint32_t)o : 1, 2, little);
	put(e, &n, 0, 2, little);
	put(e, &n, 0x8825, 2, little);                  /* the GPS directory, */
	put(e, &n, 4, 2, little);                       /* a LONG: */
	put(e, &n, 1, 4, little);
	put(e, &n, 38, 4, little);                      /* at 38 */
	put(e, &n, 0, 4, little);                       /* no next IFD */
	put(e, &n, 1, 2, little);                       /* GPS: one entry, */
	put(e, &n, 0x0012, 2, little);                  /* GPSMapDatum, */
	put(e, &n, 2, 2, little);                       /* ASCII, */
	put(e, &n, 16, 4, little);                      /* 16 bytes */
	put(e, &n, 56, 4, little);                      /* at 56 */
	put(e, &n, 0, 4, little);
	memcpy(e + n, GPS_MARK, 16);
	return n + 16;
}

/* Where s first is in b, or NULL. */
static char *find(const struct buf *b, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i + n <= b->len; i++)
		if (!memcmp(b->data + i, s, n))
			return b->data + i;
	return NULL;
}

static int contains(const struct buf *b, const char *s)
{
	return find(b, s) != NULL;
}

/* --- Kinds and sizes ---------------------------------------------------------------------------------------- */

static const unsigned char gif_hdr[] = { 'G', 'I', 'F', '8', '9', 'a', 0xF4, 0x01, 0x2C, 0x01, 0x80, 0, 0 };
static const unsigned char webp_lossy[] = {
	'R', 'I', 'F', 'F', 0x24, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', ' ', 0x18, 0, 0, 0,
	0x30, 0x01, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01, 0, 0 };   /* 640 x 480 */
static const unsigned char webp_lossless[] = {
	'R', 'I', 'F', 'F', 0x1A, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'L', 0x0D, 0, 0, 0,
	0x2F, 0x63, 0x40, 0x0C, 0x00, 0, 0 };   /* 100 x 50: (100 - 1) | (50 - 1) << 14 */
static const unsigned char webp_extended[] = {
	'R', 'I', 'F', 'F', 0x24, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X', 0x0A, 0, 0, 0,
	0x10, 0, 0, 0, 0x9F, 0x0F, 0x00, 0xB7, 0x0B, 0x00 };   /* 4000 x 3000, less one each */

static void test_sniff_each_kind(void)
{
	static const unsigned char png_sig[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
	static const unsigned char wave[] = { 'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'A', 'V', 'E' };
	static const unsigned char jpeg[] = { 0xFF, 0xD8, 0xFF, 0xE0 };

	CHECK_INT(image_sniff(jpeg, sizeof(jpeg)), IMAGE_JPEG);
	CHECK_INT(image_sniff(png_sig, sizeof(png_sig)), IMAGE_PNG);
	CHECK_INT(image_sniff((const unsigned char *)"GIF87a", 6), IMAGE_GIF);
	CHECK_INT(image_sniff(gif_hdr, sizeof(gif_hdr)), IMAGE_GIF);
	CHECK_INT(image_sniff(webp_lossy, sizeof(webp_lossy)), IMAGE_WEBP);
	/* Garbage, near misses and prefixes too short to say. */
	CHECK_INT(image_sniff((const unsigned char *)"hello, world", 12), IMAGE_NONE);
	CHECK_INT(image_sniff((const unsigned char *)"", 0), IMAGE_NONE);
	CHECK_INT(image_sniff(wave, sizeof(wave)), IMAGE_NONE);
	CHECK_INT(image_sniff((const unsigned char *)"GIF88a", 6), IMAGE_NONE);
	CHECK_INT(image_sniff(png_sig, 7), IMAGE_NONE);
	CHECK_INT(image_sniff(jpeg, 2), IMAGE_NONE);
	CHECK_INT(image_sniff(webp_lossy, 11), IMAGE_NONE);
	CHECK_INT(image_sniff((const unsigned char *)"<svg xmlns=", 11), IMAGE_NONE);
}

static void test_size_each_kind(void)
{
	struct buf b = BUF_INIT(1 << 20);
	unsigned char *jpeg, exif[128];
	unsigned w = 0, h = 0;
	char err[200] = "";
	size_t len;

	jpeg = make_jpeg(321, 123, 3, paint_gradient, 0, NULL, 0, &len);
	CHECK_INT(image_size(jpeg, len, &w, &h, err, sizeof(err)), 0);
	CHECK_INT(w, 321);
	CHECK_INT(h, 123);
	free(jpeg);
	/* Behind an APP1 segment, progressive (SOF2), and a stored size whatever the orientation says. */
	jpeg = make_jpeg(123, 321, 3, paint_gradient, 1, exif, make_exif(6, 0, exif), &len);
	CHECK_INT(image_size(jpeg, len, &w, &h, err, sizeof(err)), 0);
	CHECK_INT(w, 123);
	CHECK_INT(h, 321);
	free(jpeg);
	make_png_painted(321, 123, paint_gradient, &b);
	CHECK_INT(image_size((unsigned char *)b.data, b.len, &w, &h, err, sizeof(err)), 0);
	CHECK_INT(w, 321);
	CHECK_INT(h, 123);
	CHECK_INT(image_size(gif_hdr, sizeof(gif_hdr), &w, &h, err, sizeof(err)), 0);
	CHECK_INT(w, 500);
	CHECK_INT(h, 300);
	CHECK_INT(image_size(webp_lossy, sizeof(webp_lossy), &w, &h, err, sizeof(err)), 0);
	CHECK_INT(w, 640);
	CHECK_INT(h, 480);
	CHECK_INT(image_size(webp_lossless, sizeof(webp_lossless), &w, &h, err, sizeof(err)), 0);
	CHECK_INT(w, 100);
	CHECK_INT(h, 50);
	CHECK_INT(image_size(webp_extended, sizeof(webp_extended), &w, &h, err, sizeof(err)), 0);
	CHECK_INT(w, 4000);
	CHECK_INT(h, 3000);
	buf_release(&b);
}

static void test_size_refuses_what_has_none(void)
{
	static const unsigned char no_frame[] = { 0xFF, 0xD8, 0xFF, 0xD9 };
	static const unsigned char scan_first[] = { 0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x08, 1, 2, 3, 4, 5, 6, 0xFF, 0xD9 };
	static const unsigned char seg_past_end[] = { 0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xF0, 'E', 'x', 'i', 'f' };
	static const unsigned char zero_gif[] = { 'G', 'I', 'F', '8', '9', 'a', 0, 0, 0x2C, 0x01 };
	struct buf b = BUF_INIT(1 << 20);
	unsigned w = 7, h = 7;
	char err[200];

	err[0] = '\0';
	CHECK_INT(image_size((const unsigned char *)"not an image", 12, &w, &h, err, sizeof(err)), -1);
	CHECK_STR(err, "not a JPEG, PNG, GIF or WebP image");
	err[0] = '\0';
	CHECK_INT(image_size(no_frame, sizeof(no_frame), &w, &h, err, sizeof(err)), -1);
	CHECK_STR(err, "the JPEG image's header is cut short or gives no size");
	CHECK_INT(image_size(scan_first, sizeof(scan_first), &w, &h, err, sizeof(err)), -1);
	CHECK_INT(image_size(seg_past_end, sizeof(seg_past_end), &w, &h, err, sizeof(err)), -1);
	make_png_painted(30, 20, paint_gradient, &b);
	err[0] = '\0';
	CHECK_INT(image_size((unsigned char *)b.data, 23, &w, &h, err, sizeof(err)), -1);
	CHECK_STR(err, "the PNG image's header is cut short or gives no size");
	CHECK_INT(image_size((unsigned char *)b.data, 24, &w, &h, err, sizeof(err)), 0);
	CHECK_INT(image_size(zero_gif, sizeof(zero_gif), &w, &h, err, sizeof(err)), -1);
	CHECK_INT(image_size(gif_hdr, 9, &w, &h, err, sizeof(err)), -1);
	CHECK_INT(image_size(webp_lossy, 29, &w, &h, err, sizeof(err)), -1);
	err[0] = '\0';
	CHECK_INT(image_size(webp_lossy, 12, &w, &h, err, sizeof(err)), -1);
	CHECK_STR(err, "the WebP image's header is cut short or gives no size");
	buf_release(&b);
}

/* --- Scaling JPEGs ------------------------------------------------------------------------------------------ */

/* out's size in pixels when it decodes as a strict JPEG, else 0 x 0. */
static void fitted_jpeg(const struct buf *out, struct pic *pic)
{
	if (read_jpeg((const unsigned char *)out->data, out->len, pic) < 0)
		CHECK(!"the result is a valid JPEG");
}

static void test_jpeg_landscape_to_1024(void)
{
	struct buf out = BUF_INIT(16 << 20);
	struct pic pic;
	unsigned char *in;
	char err[300] = "";
	size_t len;

	in = make_jpeg(4000, 3000, 3, paint_gradient, 0, NULL, 0, &len);
	CHECK_INT(image_fit(in, len, 1024, &out, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_INT(image_sniff((unsigned char *)out.data, out.len), IMAGE_JPEG);
	CHECK(out.len < len);
	fitted_jpeg(&out, &pic);
	CHECK_INT(pic.w, 1024);
	CHECK_INT(pic.h, 768);
	CHECK_INT(pic.ch, 3);
	if (pic.px) {
		/* The gradient where it was: red grows left to right, green top to bottom. */
		CHECK(pic_at(&pic, 2, 384)[0] < 10);
		CHECK(abs(pic_at(&pic, 512, 384)[0] - 128) < 6);
		CHECK(pic_at(&pic, 1021, 384)[0] > 245);
		CHECK(pic_at(&pic, 512, 2)[1] < 10);
		CHECK(pic_at(&pic, 512, 765)[1] > 245);
		CHECK(abs(pic_at(&pic, 300, 300)[2] - 64) < 6);
	}
	pic_free(&pic);
	free(in);
	buf_release(&out);
}

static void test_jpeg_portrait_and_progressive(void)
{
	struct buf out = BUF_INIT(16 << 20);
	struct pic pic;
	unsigned char *in;
	char err[300] = "";
	size_t len;

	in = make_jpeg(1500, 2000, 3, paint_gradient, 1, NULL, 0, &len);
	CHECK_INT(image_fit(in, len, 1024, &out, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	fitted_jpeg(&out, &pic);
	CHECK_INT(pic.w, 768);
	CHECK_INT(pic.h, 1024);
	if (pic.px) {
		CHECK(pic_at(&pic, 1, 512)[0] < 10);
		CHECK(pic_at(&pic, 766, 512)[0] > 245);
		CHECK(pic_at(&pic, 384, 1022)[1] > 245);
	}
	pic_free(&pic);
	free(in);
	buf_release(&out);
}

static void test_jpeg_grey_stays_grey_cmyk_becomes_rgb(void)
{
	struct buf out = BUF_INIT(16 << 20);
	struct pic pic;
	unsigned char *in;
	char err[300] = "";
	size_t len;

	in = make_jpeg(600, 300, 1, paint_grey, 0, NULL, 0, &len);
	CHECK_INT(image_fit(in, len, 200, &out, err, sizeof(err)), 0);
	fitted_jpeg(&out, &pic);
	CHECK_INT(pic.w, 200);
	CHECK_INT(pic.h, 100);
	CHECK_INT(pic.ch, 1);
	if (pic.px)
		CHECK(abs(pic_at(&pic, 100, 50)[0] - 128) < 6);
	pic_free(&pic);
	free(in);

	in = make_jpeg(600, 300, 4, paint_cmyk_red, 0, NULL, 0, &len);
	CHECK_INT(image_fit(in, len, 200, &out, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	fitted_jpeg(&out, &pic);
	CHECK_INT(pic.w, 200);
	CHECK_INT(pic.ch, 3);
	if (pic.px) {
		CHECK(pic_at(&pic, 100, 50)[0] > 240);
		CHECK(pic_at(&pic, 100, 50)[1] < 15);
		CHECK(pic_at(&pic, 100, 50)[2] < 15);
	}
	pic_free(&pic);
	free(in);
	buf_release(&out);
}

/* Where the stored top left (red) and top right (green) quarters are seen once turned upright, for each EXIF
 * orientation: 0 top left, 1 top right, 2 bottom left, 3 bottom right. */
static void test_jpeg_exif_orientation(void)
{
	static const int red_at[9] = { 0, 0, 1, 3, 2, 0, 1, 3, 2 }, green_at[9] = { 0, 1, 0, 2, 3, 2, 3, 1, 0 };
	struct buf out = BUF_INIT(16 << 20);
	unsigned char exif[128], *in;
	char err[300];
	struct pic pic;
	size_t len;
	int o, q;

	for (o = 1; o <= 8; o++) {
		in = make_jpeg(400, 300, 3, paint_quarters, 0, exif, make_exif(o, o == 6 || o == 3, exif), &len);
		err[0] = '\0';
		CHECK_INT(image_fit(in, len, 100, &out, err, sizeof(err)), 0);
		CHECK_STR(err, "");
		fitted_jpeg(&out, &pic);
		/* 5 to 8 turn a quarter: the landscape photo is a portrait. */
		CHECK_INT(pic.w, o >= 5 ? 75 : 100);
		CHECK_INT(pic.h, o >= 5 ? 100 : 75);
		if (!pic.px) {
			free(in);
			continue;
		}
		for (q = 0; q < 4; q++) {
			const unsigned char *px = pic_at(&pic, q & 1 ? pic.w * 3 / 4 : pic.w / 4, q & 2 ? pic.h * 3 / 4 : pic.h / 4);
			int red = px[0] > 200 && px[1] < 60 && px[2] < 60, green = px[0] < 60 && px[1] > 200 && px[2] < 60;

			if (red != (q == red_at[o]) || green != (q == green_at[o])) {
				printf("#   orientation %d, quarter %d: %u %u %u\n", o, q, px[0], px[1], px[2]);
				CHECK(!"the quarters are where the orientation puts them");
			}
		}
		pic_free(&pic);
		free(in);
	}
	buf_release(&out);
}

static void test_jpeg_metadata_gone(void)
{
	struct buf in = BUF_INIT(16 << 20), out = BUF_INIT(16 << 20);
	unsigned char exif[128], *jpeg;
	struct pic pic;
	char err[300] = "";
	size_t len;

	/* No orientation in it: the EXIF does not go for being applied, it goes for being EXIF. */
	jpeg = make_jpeg(800, 600, 3, paint_gradient, 0, exif, make_exif(0, 0, exif), &len);
	buf_add(&in, jpeg, len);
	free(jpeg);
	CHECK(contains(&in, GPS_MARK));
	CHECK(contains(&in, "Exif"));
	CHECK_INT(read_jpeg((unsigned char *)in.data, in.len, &pic), 0);
	CHECK_INT(pic.app1, 1);
	pic_free(&pic);
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 400, &out, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK(out.len > 0);
	CHECK(!contains(&out, GPS_MARK));
	CHECK(!contains(&out, "Exif"));
	fitted_jpeg(&out, &pic);
	CHECK_INT(pic.w, 400);
	CHECK_INT(pic.app1, 0);
	pic_free(&pic);
	buf_release(&in);
	buf_release(&out);
}

/* --- Scaling PNGs ------------------------------------------------------------------------------------------- */

static void test_png_alpha_kept(void)
{
	struct buf in = BUF_INIT(16 << 20), out = BUF_INIT(16 << 20);
	unsigned char *raw = malloc(600 * 400 * 4), *px;
	struct png_spec s = { 600, 400, PNG_COLOR_TYPE_RGBA, 8, PNG_INTERLACE_NONE, raw, NULL, 0, NULL, 0, NULL };
	char err[300] = "";
	struct pic pic;
	unsigned x, y;

	/* The left half opaque red, the right half transparent (and black, which nobody sees). */
	for (y = 0; y < 400; y++) {
		for (x = 0; x < 600; x++) {
			px = raw + ((size_t)y * 600 + x) * 4;
			px[0] = x < 300 ? 255 : 0, px[1] = 0, px[2] = 0, px[3] = x < 300 ? 255 : 0;
		}
	}
	make_png(&s, &in);
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 300, &out, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_INT(image_sniff((unsigned char *)out.data, out.len), IMAGE_PNG);
	CHECK_INT(read_png((unsigned char *)out.data, out.len, &pic), 0);
	CHECK_INT(pic.png_color, PNG_COLOR_TYPE_RGBA);
	CHECK_INT(pic.w, 300);
	CHECK_INT(pic.h, 200);
	if (pic.px) {
		CHECK(!memcmp(pic_at(&pic, 10, 100), "\xff\0\0\xff", 4));
		CHECK_INT(pic_at(&pic, 290, 100)[3], 0);
	}
	pic_free(&pic);
	free(raw);
	buf_release(&in);
	buf_release(&out);
}

/* Colours are averaged weighed by their alpha: white next to transparent black stays white, half transparent. */
static void test_png_alpha_weighs_colour(void)
{
	static const unsigned char raw[] = {
		255, 255, 255, 255, 0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0,
		255, 255, 255, 255, 0, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0 };
	struct png_spec s = { 4, 2, PNG_COLOR_TYPE_RGBA, 8, PNG_INTERLACE_NONE, raw, NULL, 0, NULL, 0, NULL };
	struct buf in = BUF_INIT(1 << 20), out = BUF_INIT(1 << 20);
	char err[300] = "";
	struct pic pic;

	make_png(&s, &in);
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 2, &out, err, sizeof(err)), 0);
	CHECK_INT(read_png((unsigned char *)out.data, out.len, &pic), 0);
	CHECK_INT(pic.w, 2);
	CHECK_INT(pic.h, 1);
	if (pic.px) {
		CHECK(!memcmp(pic_at(&pic, 0, 0), "\xff\xff\xff\x80", 4));
		CHECK(!memcmp(pic_at(&pic, 1, 0), "\xff\xff\xff\x80", 4));
	}
	pic_free(&pic);
	buf_release(&in);
	buf_release(&out);
}

/* Each destination pixel is the mean of the area it covers, partial pixels weighed by how much is covered:
 * stripes 0, 255, 0, 255... shrunk by a third give 85, 85, 170, 170... exactly. */
static void test_area_average_is_exact(void)
{
	struct buf in = BUF_INIT(1 << 20), out = BUF_INIT(1 << 20);
	unsigned char raw[300 * 2 * 3];
	struct png_spec s = { 300, 2, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, raw, NULL, 0, NULL, 0, NULL };
	char err[300] = "";
	struct pic pic;
	unsigned x, bad = 0;

	for (x = 0; x < sizeof(raw); x++)
		raw[x] = (x / 3) % 2 ? 255 : 0;
	make_png(&s, &in);
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 200, &out, err, sizeof(err)), 0);
	CHECK_INT(read_png((unsigned char *)out.data, out.len, &pic), 0);
	CHECK_INT(pic.w, 200);
	CHECK_INT(pic.h, 1);
	for (x = 0; pic.px && x < 200; x++)
		bad += pic_at(&pic, x, 0)[0] != (x % 4 < 2 ? 85 : 170) || pic_at(&pic, x, 0)[2] != pic_at(&pic, x, 0)[0];
	CHECK_INT(bad, 0);
	pic_free(&pic);
	buf_release(&in);
	buf_release(&out);
}

/* Grey, 16-bit, palette with transparency and interlaced PNGs all come out 8-bit RGB or RGBA. */
static void test_png_formats_become_8bit_rgb(void)
{
	static const png_color palette[2] = { { 10, 20, 30 }, { 200, 100, 50 } };
	static const png_byte trns[2] = { 255, 0 };
	unsigned char raw[80 * 40 * 6], again[80 * 40 * 6];
	struct png_spec s = { 80, 40, PNG_COLOR_TYPE_GRAY, 8, PNG_INTERLACE_NONE, raw, NULL, 0, NULL, 0, NULL };
	struct buf in = BUF_INIT(1 << 20), out = BUF_INIT(1 << 20), plain = BUF_INIT(1 << 20);
	char err[300] = "";
	struct pic pic;
	unsigned i;

	memset(raw, 100, sizeof(raw));
	make_png(&s, &in);
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 40, &out, err, sizeof(err)), 0);
	CHECK_INT(read_png((unsigned char *)out.data, out.len, &pic), 0);
	CHECK_INT(pic.png_color, PNG_COLOR_TYPE_RGB);
	CHECK_INT(pic.w, 40);
	CHECK_INT(pic.h, 20);
	if (pic.px)
		CHECK(!memcmp(pic_at(&pic, 20, 10), "\x64\x64\x64", 3));
	pic_free(&pic);

	/* 16 bits a sample, 0x8080: 128 in 8. */
	s.color = PNG_COLOR_TYPE_RGB, s.depth = 16;
	memset(raw, 0x80, sizeof(raw));
	make_png(&s, &in);
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 40, &out, err, sizeof(err)), 0);
	CHECK_INT(read_png((unsigned char *)out.data, out.len, &pic), 0);
	CHECK_INT(pic.png_depth, 8);
	CHECK_INT(pic.png_color, PNG_COLOR_TYPE_RGB);
	if (pic.px)
		CHECK(!memcmp(pic_at(&pic, 20, 10), "\x80\x80\x80", 3));
	pic_free(&pic);

	/* A palette whose second colour is transparent: the left half opaque, the right half not. */
	s.color = PNG_COLOR_TYPE_PALETTE, s.depth = 8, s.palette = palette, s.npalette = 2, s.trns = trns, s.ntrns = 2;
	for (i = 0; i < 80 * 40; i++)
		raw[i] = i % 80 >= 40;
	make_png(&s, &in);
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 40, &out, err, sizeof(err)), 0);
	CHECK_INT(read_png((unsigned char *)out.data, out.len, &pic), 0);
	CHECK_INT(pic.png_color, PNG_COLOR_TYPE_RGBA);
	if (pic.px) {
		CHECK(!memcmp(pic_at(&pic, 5, 10), "\x0a\x14\x1e\xff", 4));
		CHECK_INT(pic_at(&pic, 35, 10)[3], 0);
	}
	pic_free(&pic);

	/* Interlaced (Adam7): the same pixels as the same image plain, so the same bytes out. */
	s.color = PNG_COLOR_TYPE_RGB, s.palette = NULL, s.npalette = 0, s.trns = NULL, s.ntrns = 0;
	for (i = 0; i < 80 * 40 * 3; i++)
		raw[i] = (unsigned char)(i * 7 % 251);
	memcpy(again, raw, sizeof(again));
	make_png(&s, &in);
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 40, &plain, err, sizeof(err)), 0);
	s.interlace = PNG_INTERLACE_ADAM7;
	s.raw = again;
	make_png(&s, &in);
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 40, &out, err, sizeof(err)), 0);
	CHECK(plain.len > 0);
	CHECK(out.len == plain.len && !memcmp(out.data, plain.data, out.len));
	buf_release(&in);
	buf_release(&out);
	buf_release(&plain);
}

static void test_png_metadata_gone(void)
{
	unsigned char raw[64 * 64 * 3];
	struct png_spec s = { 64, 64, PNG_COLOR_TYPE_RGB, 8, PNG_INTERLACE_NONE, raw, NULL, 0, NULL, 0, GPS_MARK };
	struct buf in = BUF_INIT(1 << 20), out = BUF_INIT(1 << 20);
	char err[300] = "";

	memset(raw, 90, sizeof(raw));
	make_png(&s, &in);
	CHECK(contains(&in, GPS_MARK));
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 32, &out, err, sizeof(err)), 0);
	CHECK(out.len > 0);
	CHECK(!contains(&out, GPS_MARK));
	CHECK(!contains(&out, "tEXt"));
	buf_release(&in);
	buf_release(&out);
}

/* --- Sizes, and what is not scaled -------------------------------------------------------------------------- */

/* The size image_fit makes of a w x h PNG with max, as "WxH", or the error. */
static const char *fit_png_size(unsigned w, unsigned h, unsigned max)
{
	static char res[400];
	struct buf in = BUF_INIT(16 << 20), out = BUF_INIT(16 << 20);
	unsigned ow = 0, oh = 0;
	char err[300] = "";
	int rc;

	make_png_painted(w, h, paint_gradient, &in);
	rc = image_fit((unsigned char *)in.data, in.len, max, &out, err, sizeof(err));
	if (rc == 0 && image_size((unsigned char *)out.data, out.len, &ow, &oh, err, sizeof(err)) == 0)
		snprintf(res, sizeof(res), "%ux%u", ow, oh);
	else
		snprintf(res, sizeof(res), "%d %s", rc, err);
	buf_release(&in);
	buf_release(&out);
	return res;
}

static void test_target_rounding(void)
{
	CHECK_STR(fit_png_size(1000, 333, 100), "100x33");
	CHECK_STR(fit_png_size(1000, 335, 100), "100x34");   /* 33.5 rounds up */
	CHECK_STR(fit_png_size(333, 1000, 100), "33x100");
	CHECK_STR(fit_png_size(3, 1000, 10), "1x10");        /* 0.03: at least 1 */
	CHECK_STR(fit_png_size(1001, 1, 100), "100x1");
	CHECK_STR(fit_png_size(300, 300, 299), "299x299");
	CHECK_STR(fit_png_size(300, 200, 1), "1x1");
}

static void test_within_max_untouched(void)
{
	struct buf in = BUF_INIT(1 << 20), out = BUF_INIT(1 << 20);
	unsigned char *jpeg;
	char err[300] = "";
	size_t len;

	buf_adds(&out, "kept");
	make_png_painted(300, 200, paint_gradient, &in);
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 300, &out, err, sizeof(err)), 1);
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 5000, &out, err, sizeof(err)), 1);
	jpeg = make_jpeg(200, 300, 3, paint_gradient, 0, NULL, 0, &len);
	CHECK_INT(image_fit(jpeg, len, 300, &out, err, sizeof(err)), 1);
	CHECK_STR(err, "");
	CHECK_STR(out.data, "kept");
	/* One pixel more and it is scaled, out emptied first. */
	CHECK_INT(image_fit(jpeg, len, 299, &out, err, sizeof(err)), 0);
	CHECK(out.len > 4 && memcmp(out.data, "kept", 4));
	CHECK_INT(image_sniff((unsigned char *)out.data, out.len), IMAGE_JPEG);
	free(jpeg);
	buf_release(&in);
	buf_release(&out);
}

static void test_other_formats_refused(void)
{
	struct buf out = BUF_INIT(1 << 20), in = BUF_INIT(1 << 20);
	unsigned char *jpeg;
	char err[300];
	size_t len;

	buf_adds(&out, "kept");
	err[0] = '\0';
	CHECK_INT(image_fit(gif_hdr, sizeof(gif_hdr), 100, &out, err, sizeof(err)), -1);
	CHECK_STR(err, "Sondeo cannot scale GIF images");
	err[0] = '\0';
	CHECK_INT(image_fit(webp_lossy, sizeof(webp_lossy), 100, &out, err, sizeof(err)), -1);
	CHECK_STR(err, "Sondeo cannot scale WebP images");
	err[0] = '\0';
	CHECK_INT(image_fit((const unsigned char *)"<svg></svg>", 11, 100, &out, err, sizeof(err)), -1);
	CHECK_STR(err, "not a JPEG, PNG, GIF or WebP image");
	make_png_painted(30, 20, paint_gradient, &in);
	err[0] = '\0';
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 0, &out, err, sizeof(err)), -1);
	CHECK_STR(err, "cannot scale an image to 0 pixels");
	/* Past 256 MiB the bytes are not read at all (the sanitizers would see a read past this small JPEG). */
	jpeg = make_jpeg(400, 300, 3, paint_gradient, 0, NULL, 0, &len);
	err[0] = '\0';
	CHECK_INT(image_fit(jpeg, IMAGE_MAX_INPUT + 1, 100, &out, err, sizeof(err)), -1);
	CHECK_STR(err, "the image is larger than 256 MiB");
	/* A result larger than out may hold. */
	buf_release(&in);
	buf_init(&in, 100);
	err[0] = '\0';
	CHECK_INT(image_fit(jpeg, len, 200, &in, err, sizeof(err)), -1);
	CHECK_STR(err, "the scaled image is larger than 100 bytes");
	CHECK_INT(in.len, 0);
	CHECK_STR(out.data, "kept");
	free(jpeg);
	buf_release(&in);
	buf_release(&out);
}

/* --- Damaged and hostile input ------------------------------------------------------------------------------ */

static void test_damaged_jpeg_refused(void)
{
	struct buf out = BUF_INIT(16 << 20);
	unsigned char *jpeg, *bad;
	char err[300];
	size_t len, i;

	buf_adds(&out, "kept");
	jpeg = make_jpeg(800, 600, 3, paint_gradient, 0, NULL, 0, &len);
	/* Cut in half, the copy exactly its length so that a read past it is caught. */
	bad = malloc(len / 2);
	memcpy(bad, jpeg, len / 2);
	err[0] = '\0';
	CHECK_INT(image_fit(bad, len / 2, 100, &out, err, sizeof(err)), -1);
	CHECK_STR(err, "the JPEG image is cut short");
	free(bad);
	/* Cut inside its headers. */
	err[0] = '\0';
	CHECK_INT(image_fit(jpeg, 200, 100, &out, err, sizeof(err)), -1);
	CHECK(err[0] != '\0');
	/* An end of image marker in the middle of the compressed data. */
	bad = malloc(len);
	memcpy(bad, jpeg, len);
	bad[len / 2] = 0xFF, bad[len / 2 + 1] = 0xD9;
	err[0] = '\0';
	CHECK_INT(image_fit(bad, len, 100, &out, err, sizeof(err)), -1);
	CHECK(strstr(err, "cannot read the JPEG image: Corrupt JPEG data") != NULL || strstr(err, "cut short") != NULL);
	/* The compressed data overwritten with bytes no Huffman table has a code for. */
	memcpy(bad, jpeg, len);
	for (i = len / 3; i < len - 2; i++)
		bad[i] = 0xFE;
	err[0] = '\0';
	CHECK_INT(image_fit(bad, len, 100, &out, err, sizeof(err)), -1);
	CHECK(strstr(err, "the JPEG image") != NULL);
	/* The frame header's sampling factors made impossible. */
	memcpy(bad, jpeg, len);
	for (i = 2; i + 12 < len; i++) {
		if (bad[i] == 0xFF && bad[i + 1] == 0xC0) {
			bad[i + 11] = 0x99;
			break;
		}
	}
	err[0] = '\0';
	CHECK_INT(image_fit(bad, len, 100, &out, err, sizeof(err)), -1);
	CHECK(strstr(err, "cannot read the JPEG image: ") != NULL);
	CHECK_STR(out.data, "kept");
	free(bad);
	free(jpeg);
	buf_release(&out);
}

static void test_damaged_png_refused(void)
{
	struct buf in = BUF_INIT(1 << 20), out = BUF_INIT(1 << 20);
	unsigned char *bad;
	char err[300];
	char *idat;

	buf_adds(&out, "kept");
	make_png_painted(300, 200, paint_gradient, &in);
	bad = malloc(in.len / 2);
	memcpy(bad, in.data, in.len / 2);
	err[0] = '\0';
	CHECK_INT(image_fit(bad, in.len / 2, 100, &out, err, sizeof(err)), -1);
	CHECK_STR(err, "the PNG image is cut short");
	free(bad);
	/* A byte of the compressed data changed: zlib or the chunk's CRC says so, whichever libpng reads first. */
	idat = find(&in, "IDAT");
	CHECK(idat != NULL);
	if (idat) {
		idat[40] ^= 0x55;
		err[0] = '\0';
		CHECK_INT(image_fit((unsigned char *)in.data, in.len, 100, &out, err, sizeof(err)), -1);
		CHECK(!strncmp(err, "cannot read the PNG image: IDAT: ", 33));
		idat[40] ^= 0x55;
		CHECK_INT(image_fit((unsigned char *)in.data, in.len, 100, &out, err, sizeof(err)), 0);
		/* The data whole, its CRC (the 4 bytes before IEND's length and name) wrong. */
		in.data[in.len - 13] ^= 0x01;
		err[0] = '\0';
		buf_reset(&out);
		buf_adds(&out, "kept");
		CHECK_INT(image_fit((unsigned char *)in.data, in.len, 100, &out, err, sizeof(err)), -1);
		CHECK_STR(err, "cannot read the PNG image: IDAT: CRC error");
	}
	CHECK_STR(out.data, "kept");
	buf_release(&in);
	buf_release(&out);
}

/* A PNG of nothing but its signature, an IHDR claiming w x h (8-bit RGB) and IEND. */
static void png_header_only(unsigned w, unsigned h, struct buf *b)
{
	unsigned char ihdr[4 + 13] = { 'I', 'H', 'D', 'R' }, be[4];
	uLong crc;

	buf_reset(b);
	buf_add(b, "\x89PNG\r\n\x1a\n\0\0\0\x0d", 12);
	ihdr[4] = w >> 24, ihdr[5] = (w >> 16) & 0xFF, ihdr[6] = (w >> 8) & 0xFF, ihdr[7] = w & 0xFF;
	ihdr[8] = h >> 24, ihdr[9] = (h >> 16) & 0xFF, ihdr[10] = (h >> 8) & 0xFF, ihdr[11] = h & 0xFF;
	ihdr[12] = 8, ihdr[13] = 2;
	buf_add(b, ihdr, sizeof(ihdr));
	crc = crc32(0, ihdr, sizeof(ihdr));
	be[0] = (crc >> 24) & 0xFF, be[1] = (crc >> 16) & 0xFF, be[2] = (crc >> 8) & 0xFF, be[3] = crc & 0xFF;
	buf_add(b, be, 4);
	buf_add(b, "\0\0\0\0IEND\xae\x42\x60\x82", 12);
}

/* A JPEG of nothing but SOI, a baseline frame header claiming w x h (three components) and EOI. */
static void jpeg_header_only(unsigned w, unsigned h, struct buf *b)
{
	unsigned char sof[] = { 0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0, 0, 0, 0, 0x03,
				0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01, 0xFF, 0xD9 };

	sof[7] = h >> 8, sof[8] = h & 0xFF, sof[9] = w >> 8, sof[10] = w & 0xFF;
	buf_reset(b);
	buf_add(b, sof, sizeof(sof));
}

static void test_huge_headers_refused(void)
{
	struct buf in = BUF_INIT(1 << 20), out = BUF_INIT(1 << 20);
	unsigned w = 0, h = 0;
	char err[300];

	/* The header says 60000 x 60000 (10.8 GB of pixels) and image_size says so; image_fit refuses it from
	 * that alone: what it gives is the limit, not the missing pixel data a decoder would have found. */
	jpeg_header_only(60000, 60000, &in);
	CHECK_INT(image_size((unsigned char *)in.data, in.len, &w, &h, err, sizeof(err)), 0);
	CHECK_INT(w, 60000);
	CHECK_INT(h, 60000);
	err[0] = '\0';
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 1024, &out, err, sizeof(err)), -1);
	CHECK_STR(err, "the JPEG image is 60000x60000 pixels: larger than Sondeo decodes (30000 pixels a side, "
		       "100 megapixels)");
	png_header_only(60000, 60000, &in);
	CHECK_INT(image_size((unsigned char *)in.data, in.len, &w, &h, err, sizeof(err)), 0);
	CHECK_INT(w, 60000);
	err[0] = '\0';
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 1024, &out, err, sizeof(err)), -1);
	CHECK_STR(err, "the PNG image is 60000x60000 pixels: larger than Sondeo decodes (30000 pixels a side, "
		       "100 megapixels)");
	/* Each side within 30000, 400 megapixels in all; one side too long, the area small. */
	png_header_only(20000, 20000, &in);
	err[0] = '\0';
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 1024, &out, err, sizeof(err)), -1);
	CHECK(strstr(err, "20000x20000 pixels: larger than Sondeo decodes") != NULL);
	jpeg_header_only(30001, 10, &in);
	err[0] = '\0';
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 1024, &out, err, sizeof(err)), -1);
	CHECK(strstr(err, "30001x10 pixels: larger") != NULL);
	/* At the limit exactly, the header is taken and the decoder finds the pixels missing. */
	png_header_only(10000, 10000, &in);
	err[0] = '\0';
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 1024, &out, err, sizeof(err)), -1);
	CHECK(err[0] != '\0' && !strstr(err, "larger than"));
	jpeg_header_only(10001, 10000, &in);
	err[0] = '\0';
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 1024, &out, err, sizeof(err)), -1);
	CHECK(strstr(err, "larger than Sondeo decodes") != NULL);
	jpeg_header_only(10000, 10000, &in);
	err[0] = '\0';
	CHECK_INT(image_fit((unsigned char *)in.data, in.len, 1024, &out, err, sizeof(err)), -1);
	CHECK_STR(err, "cannot read the JPEG image: Invalid JPEG file structure: missing SOS marker");
	buf_release(&in);
	buf_release(&out);
}

/* Out of memory at each of the module's own allocations in turn: -1 with "out of memory", nothing leaked (the
 * sanitizers' leak check at exit), until there are enough and the image is scaled. */
static void test_out_of_memory_each_step(void)
{
	struct buf out = BUF_INIT(16 << 20), png = BUF_INIT(1 << 20);
	unsigned char exif[128], *jpeg;
	int rc, failed, kind;
	char err[300];
	size_t len;
	long n;

	jpeg = make_jpeg(400, 300, 3, paint_gradient, 0, exif, make_exif(6, 0, exif), &len);
	make_png_painted(400, 300, paint_gradient, &png);
	for (kind = 0; kind < 2; kind++) {
		failed = 0;
		for (n = 0; n < 40; n++) {
			err[0] = '\0';
			mem_fail_after(n);
			rc = kind ? image_fit((unsigned char *)png.data, png.len, 100, &out, err, sizeof(err))
				  : image_fit(jpeg, len, 100, &out, err, sizeof(err));
			mem_fail_after(-1);
			if (rc == 0)
				break;
			failed++;
			CHECK_INT(rc, -1);
			CHECK_STR(err, "out of memory");
		}
		CHECK_INT(rc, 0);
		CHECK(failed >= 5);
	}
	free(jpeg);
	buf_release(&png);
	buf_release(&out);
}

/* --- Fuzz seeds ---------------------------------------------------------------------------------------------- */

/* Writes dir/name: the byte that picks fuzz_client's image reader (6), then p[0..len). */
static int seed(const char *dir, const char *name, const void *p, size_t len)
{
	char path[1024];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "wb")))
		return -1;
	ok = fputc(6, f) != EOF && fwrite(p, 1, len, f) == len;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* The image seeds of tests/fuzz/corpus/client, made again with `test_image --seeds DIR`: small pictures of each
 * kind and shape image_fit reads, with EXIF, damaged, and a header past the limits. */
static int write_seeds(const char *dir)
{
	static const png_color palette[2] = { { 10, 20, 30 }, { 200, 100, 50 } };
	static const png_byte trns[2] = { 255, 0 };
	unsigned char exif[128], raw[40 * 30 * 4], *jpeg;
	struct png_spec s = { 40, 30, PNG_COLOR_TYPE_RGBA, 8, PNG_INTERLACE_NONE, raw, NULL, 0, NULL, 0, NULL };
	struct buf b = BUF_INIT(1 << 20);
	size_t len, i;
	int bad = 0;

	jpeg = make_jpeg(40, 30, 3, paint_gradient, 0, NULL, 0, &len);
	bad |= seed(dir, "image-jpeg", jpeg, len);
	bad |= seed(dir, "image-jpeg-cut", jpeg, len * 2 / 3);
	free(jpeg);
	jpeg = make_jpeg(40, 30, 3, paint_quarters, 1, exif, make_exif(6, 1, exif), &len);
	bad |= seed(dir, "image-jpeg-progressive-exif", jpeg, len);
	free(jpeg);
	jpeg = make_jpeg(24, 20, 1, paint_grey, 0, NULL, 0, &len);
	bad |= seed(dir, "image-jpeg-grey", jpeg, len);
	free(jpeg);
	jpeg = make_jpeg(24, 20, 4, paint_cmyk_red, 0, NULL, 0, &len);
	bad |= seed(dir, "image-jpeg-cmyk", jpeg, len);
	free(jpeg);
	jpeg_header_only(60000, 60000, &b);
	bad |= seed(dir, "image-jpeg-huge", b.data, b.len);
	for (i = 0; i < sizeof(raw); i++)
		raw[i] = (unsigned char)(i * 13 % 256);
	make_png(&s, &b);
	bad |= seed(dir, "image-png-rgba", b.data, b.len);
	s.w = 33, s.h = 20, s.color = PNG_COLOR_TYPE_PALETTE, s.palette = palette, s.npalette = 2, s.trns = trns;
	s.ntrns = 2, s.interlace = PNG_INTERLACE_ADAM7;
	for (i = 0; i < 33 * 20; i++)
		raw[i] = (i / 5) % 2;
	make_png(&s, &b);
	bad |= seed(dir, "image-png-palette-interlaced", b.data, b.len);
	s.w = 20, s.h = 20, s.color = PNG_COLOR_TYPE_GRAY, s.depth = 16, s.palette = NULL, s.npalette = 0;
	s.trns = NULL, s.ntrns = 0, s.interlace = PNG_INTERLACE_NONE, s.text = GPS_MARK;
	make_png(&s, &b);
	bad |= seed(dir, "image-png-grey16-text", b.data, b.len);
	make_png_painted(10, 10, paint_gradient, &b);
	bad |= seed(dir, "image-png-within", b.data, b.len);
	png_header_only(20000, 20000, &b);
	bad |= seed(dir, "image-png-huge", b.data, b.len);
	bad |= seed(dir, "image-gif", gif_hdr, sizeof(gif_hdr));
	bad |= seed(dir, "image-webp-lossy", webp_lossy, sizeof(webp_lossy));
	bad |= seed(dir, "image-webp-lossless", webp_lossless, sizeof(webp_lossless));
	bad |= seed(dir, "image-webp-extended", webp_extended, sizeof(webp_extended));
	buf_release(&b);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--seeds"))
		return write_seeds(argv[2]);
	RUN(test_sniff_each_kind);
	RUN(test_size_each_kind);
	RUN(test_size_refuses_what_has_none);
	RUN(test_jpeg_landscape_to_1024);
	RUN(test_jpeg_portrait_and_progressive);
	RUN(test_jpeg_grey_stays_grey_cmyk_becomes_rgb);
	RUN(test_jpeg_exif_orientation);
	RUN(test_jpeg_metadata_gone);
	RUN(test_png_alpha_kept);
	RUN(test_png_alpha_weighs_colour);
	RUN(test_area_average_is_exact);
	RUN(test_png_formats_become_8bit_rgb);
	RUN(test_png_metadata_gone);
	RUN(test_target_rounding);
	RUN(test_within_max_untouched);
	RUN(test_other_formats_refused);
	RUN(test_damaged_jpeg_refused);
	RUN(test_damaged_png_refused);
	RUN(test_huge_headers_refused);
	RUN(test_out_of_memory_each_step);
	return test_done();
}
