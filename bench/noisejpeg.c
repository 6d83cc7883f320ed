/* noisejpeg.c - writes COUNT distinct JPEG photos of about BYTES bytes each, for bench/media.sh.
 *
 *   noisejpeg DIR COUNT BYTES SEED     (compile: cc -O2 noisejpeg.c -ljpeg)
 *
 * Each is a real baseline JPEG made by libjpeg (Debian's libjpeg-dev, a build dependency of Sondeo) from
 * random pixels: noise hardly compresses, so its size follows its pixel count, and no two photos share a byte
 * pattern a deduplicating or compressing link could use. The photos are DIR/photo-001.jpg, -002 ... ; photo i's
 * pixels come from SEED and i alone, so a run can be made again. The width is fixed and the height is found once,
 * from a first encoding in memory, so that every photo comes out close to BYTES (within a few kilobytes).
 * Prints the width and height used. Exit status: 0, or 2 on a usage or system error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

#define WIDTH 1280
#define QUALITY 90

/* xorshift64*: fast, and good enough for pixels nobody looks at. */
static uint64_t next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* Encodes a WIDTH x height image of seed's noise, into f when given, else into memory; returns its size. */
static unsigned long encode(FILE *f, unsigned height, uint64_t seed)
{
	struct jpeg_compress_struct c;
	struct jpeg_error_mgr e;
	unsigned char *row = malloc(WIDTH * 3), *mem = NULL;
	unsigned long memlen = 0, size;
	uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
	JSAMPROW rows[1] = { row };

	if (!row) {
		perror("noisejpeg");
		exit(2);
	}
	c.err = jpeg_std_error(&e);   /* libjpeg's own handler prints and exits on an error */
	jpeg_create_compress(&c);
	if (f)
		jpeg_stdio_dest(&c, f);
	else
		jpeg_mem_dest(&c, &mem, &memlen);
	c.image_width = WIDTH;
	c.image_height = height;
	c.input_components = 3;
	c.in_color_space = JCS_RGB;
	jpeg_set_defaults(&c);
	jpeg_set_quality(&c, QUALITY, TRUE);
	jpeg_start_compress(&c, TRUE);
	while (c.next_scanline < height) {
		unsigned i;

		for (i = 0; i + 8 <= WIDTH * 3; i += 8) {
			uint64_t v = next(&s);

			memcpy(row + i, &v, 8);
		}
		jpeg_write_scanlines(&c, rows, 1);
	}
	jpeg_finish_compress(&c);
	jpeg_destroy_compress(&c);
	free(row);
	size = f ? (unsigned long)ftell(f) : memlen;
	free(mem);
	return size;
}

int main(int argc, char **argv)
{
	char path[4096];
	long count, bytes, i;
	unsigned long trial;
	unsigned height;
	uint64_t seed;

	if (argc != 5 || (count = atol(argv[2])) < 1 || count > 999 || (bytes = atol(argv[3])) < 100000) {
		fprintf(stderr, "usage: noisejpeg DIR COUNT(1-999) BYTES(>=100000) SEED\n");
		return 2;
	}
	seed = strtoull(argv[4], NULL, 10);
	/* A strip's size per row, from a first encoding, gives the height for BYTES. */
	trial = encode(NULL, 256, seed);
	height = (unsigned)((double)bytes / trial * 256 + 0.5);
	if (height < 8)
		height = 8;
	for (i = 1; i <= count; i++) {
		FILE *f;

		snprintf(path, sizeof path, "%s/photo-%03ld.jpg", argv[1], i);
		if (!(f = fopen(path, "wb"))) {
			perror(path);
			return 2;
		}
		encode(f, height, seed * 1000 + (uint64_t)i);
		if (fclose(f) != 0) {
			perror(path);
			return 2;
		}
	}
	printf("%u %u\n", WIDTH, height);
	return 0;
}
