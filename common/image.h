/* image.h - an image's size, and the image scaled down so that its longer side is at most max pixels (an image
 * question's max-pixels: a photo of 12 megapixels stored and synced as the 1 megapixel the form asks for).
 *
 * Everything read is taken as hostile: a size comes from the header's bytes with every read bounded, and decoding
 * goes through libjpeg-turbo and libpng, never code of ours, inside limits set before anything is allocated.
 * The libraries are loaded when image_fit first needs them rather than linked (as mhdlib.h says for libmicrohttpd),
 * so that sondeo's other commands keep their fast start. The functions are safe from any thread. */
#ifndef SONDEO_IMAGE_H
#define SONDEO_IMAGE_H

#include <stddef.h>

#include "buf.h"

/* What image_fit takes at most, and the largest image it decodes: 100 megapixels, and 30000 pixels a side. Larger
 * ones are refused from their header, before any memory is set aside for their pixels. */
#define IMAGE_MAX_INPUT ((size_t)256 << 20)
#define IMAGE_MAX_PIXELS 100000000ULL
#define IMAGE_MAX_SIDE 30000u

enum image_kind { IMAGE_NONE, IMAGE_JPEG, IMAGE_PNG, IMAGE_GIF, IMAGE_WEBP };

/* The kind of image the bytes are, from their first bytes (magic numbers), never from a file's name;
 * IMAGE_NONE if none of these. */
enum image_kind image_sniff(const unsigned char *p, size_t len);

/* Width and height of a JPEG, PNG, GIF or WebP from its header, without decoding it: 0, or -1 with err (not one of
 * these, a header cut short or without a size). The size is as stored: a JPEG whose EXIF says to turn it a
 * quarter is shown with the two swapped (image_fit turns it). Sizes past IMAGE_MAX_SIDE are told as they are. */
int image_size(const unsigned char *p, size_t len, unsigned *w, unsigned *h, char *err, size_t errlen);

/* p[0..len), a JPEG or PNG, scaled down so that its longer side is max pixels, proportions kept (the other side
 * rounded, at least 1), into out in the same format: JPEG at quality 85, PNG as 8-bit RGB or RGBA.
 *   0: scaled; out holds the new image alone (what it held before is gone). A JPEG comes out upright, turned as
 *      its EXIF orientation said, and with no metadata at all: its EXIF (a phone's GPS position among it) does
 *      not survive. Neither does a PNG's text or EXIF.
 *   1: within max already; out untouched, and nothing decoded. The caller keeps the bytes as they are,
 *      metadata and all.
 *  -1: with err: not an image Sondeo can scale (GIF and WebP are told by name, for the caller to decide), damaged
 *      or cut short, too large to decode, larger scaled than out may hold, out of memory, or the library missing
 *      (err names its Debian package); out untouched. */
int image_fit(const unsigned char *p, size_t len, unsigned max, struct buf *out, char *err, size_t errlen);

#endif
