/* test_zipstream.c - the streamed ZIP (zipstream.h), read back by libzip, which checks what another reader would:
 * the directory, every entry's bytes and its CRC-32. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "buf.h"
#include "test.h"
#include "xlsxlib.h"
#include "zipstream.h"

static char dir[512];

static void put(const char *name, const void *data, size_t len)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (f) {
		CHECK_INT(fwrite(data, 1, len, f), len);
		fclose(f);
	}
}

static const char *at(const char *name)
{
	static char path[1024];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* The whole archive, read in reads of step bytes. */
static unsigned char *read_all(struct zipstream *z, size_t step, size_t *len)
{
	uint64_t total = zipstream_size(z), pos = 0;
	unsigned char *b = malloc(total ? total : 1);
	ssize_t got;

	while (pos < total && (got = zipstream_read(z, pos, b + pos, total - pos < step ? total - pos : step)) > 0)
		pos += (uint64_t)got;
	CHECK_INT(pos, total);
	CHECK_INT(zipstream_read(z, pos, b, 1), 0);
	*len = pos;
	return b;
}

/* Opens data as a zip with libzip; NULL (and a failed check) if it will not. */
static zip_t *open_zip(unsigned char *data, size_t len)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *zip = NULL;
	char err[256];

	CHECK_INT(xlsxlib_load_zip(err, sizeof(err)), 0);
	zip_error_init(&ze);
	src = zip_source_buffer_create(data, len, 0, &ze);
	if (src && !(zip = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze))) {
		fprintf(stderr, "libzip: %s\n", zip_error_strerror(&ze));
		zip_source_free(src);
	}
	zip_error_fini(&ze);
	CHECK(zip != NULL);
	return zip;
}

/* The entry's bytes, read to its end (where libzip checks the CRC-32): 1 if they are want[0..len). */
static int entry_is(zip_t *zip, const char *name, const void *want, size_t len)
{
	zip_int64_t i = zip_name_locate(zip, name, 0);
	zip_file_t *f = i >= 0 ? zip_fopen_index(zip, (zip_uint64_t)i, 0) : NULL;
	char *got = malloc(len + 16);
	zip_int64_t n = 0, r;
	int same;

	if (!f) {
		fprintf(stderr, "no entry '%s'\n", name);
		free(got);
		return 0;
	}
	while ((r = zip_fread(f, got + n, len + 16 - (zip_uint64_t)n)) > 0)
		n += r;
	if (r < 0)
		fprintf(stderr, "'%s': %s\n", name, zip_file_strerror(f));
	same = r == 0 && (size_t)n == len && !memcmp(got, want, len);
	zip_fclose(f);
	free(got);
	return same;
}

static void test_archive(void)
{
	static const char csv[] = "_id,name\r\nr1,\"Ministère de l'Intérieur\"\r\nr2,Kenya\r\n";
	unsigned char *photo = malloc(300000), *a, *b;
	struct zipstream *z = zipstream_new(1791000000), *z2 = zipstream_new(1791000000);
	char err[256];
	size_t la, lb, i;
	int fd;
	zip_t *zip;
	DIR *d;
	struct dirent *de;
	int left = 0;

	for (i = 0; i < 300000; i++)
		photo[i] = (unsigned char)(i * 2654435761u >> 13);
	put("data.csv", csv, sizeof(csv) - 1);
	put("photo", photo, 300000);
	put("empty", "", 0);
	for (i = 0; i < 2; i++) {
		struct zipstream *x = i ? z2 : z;

		fd = open(at("data.csv"), O_RDONLY);
		CHECK_INT(zipstream_add_deflated(x, "partnership.csv", fd, dir, err, sizeof(err)), 0);
		close(fd);
		CHECK_INT(zipstream_add_file(x, "media/r1/meeting é.jpg", at("photo"), 300000, err, sizeof(err)), 0);
		CHECK_INT(zipstream_add_file(x, "media/r2/empty.txt", at("empty"), 0, err, sizeof(err)), 0);
	}
	CHECK_INT(zipstream_count(z), 3);
	/* The deflated copy is in no folder: nothing is left behind whatever happens. */
	d = opendir(dir);
	while (d && (de = readdir(d)))
		left += !strncmp(de->d_name, "zip-", 4);
	if (d)
		closedir(d);
	CHECK_INT(left, 0);
	/* Read whole, or a few bytes at a time across every boundary: the same bytes. */
	a = read_all(z, 1 << 20, &la);
	b = read_all(z2, 7, &lb);
	CHECK_INT(la, lb);
	CHECK(la == lb && !memcmp(a, b, la));
	CHECK(la > 300000);
	zip = open_zip(a, la);
	if (zip) {
		CHECK_INT(zip_get_num_entries(zip, 0), 3);
		CHECK(entry_is(zip, "partnership.csv", csv, sizeof(csv) - 1));
		CHECK(entry_is(zip, "media/r1/meeting é.jpg", photo, 300000));
		CHECK(entry_is(zip, "media/r2/empty.txt", "", 0));
		zip_discard(zip);
	}
	/* One byte of the photo altered: its CRC-32 no longer matches, and libzip says so. */
	{
		unsigned char *p = NULL;
		size_t k;

		for (k = 0; !p && k + 64 <= la; k++)
			if (!memcmp(a + k, photo, 64))
				p = a + k;

		CHECK(p != NULL);
		if (p) {
			p[1000] ^= 1;
			zip = open_zip(a, la);
			if (zip) {
				CHECK(!entry_is(zip, "media/r1/meeting é.jpg", photo, 300000));
				zip_discard(zip);
			}
		}
	}
	/* Read out of order: refused, not bytes from the wrong place. */
	CHECK_INT(zipstream_read(z, 5, a, 10), -1);
	CHECK(strstr(zipstream_error(z), "in order") != NULL);
	free(a);
	free(b);
	free(photo);
	zipstream_free(z);
	zipstream_free(z2);
}

static void test_short_file(void)
{
	struct zipstream *z = zipstream_new(1791000000);
	unsigned char b[4096];
	char err[256];
	uint64_t pos = 0;
	ssize_t got;

	put("short", "abc", 3);
	CHECK_INT(zipstream_add_file(z, "media/x/short.txt", at("short"), 10, err, sizeof(err)), 0);
	CHECK_INT(zipstream_add_file(z, "", at("short"), 3, err, sizeof(err)), -1);
	while ((got = zipstream_read(z, pos, b, sizeof(b))) > 0)
		pos += (uint64_t)got;
	/* The file holds fewer bytes than the archive announced: the read fails and says which file. */
	CHECK_INT(got, -1);
	CHECK(strstr(zipstream_error(z), "short") != NULL);
	zipstream_free(z);
}

static void test_many_entries(void)
{
	/* Past 65,535 entries the end of the directory needs ZIP64's records. */
	struct zipstream *z = zipstream_new(1791000000);
	char name[32], err[256];
	unsigned char *a;
	size_t la, i, n = 70000;
	zip_t *zip;

	put("one", "x", 1);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "media/%06zu.txt", i);
		if (zipstream_add_file(z, name, at("one"), 1, err, sizeof(err)) < 0)
			break;
	}
	CHECK_INT(zipstream_count(z), n);
	a = read_all(z, 1 << 16, &la);
	zip = open_zip(a, la);
	if (zip) {
		CHECK_INT(zip_get_num_entries(zip, 0), n);
		CHECK(entry_is(zip, "media/069999.txt", "x", 1));
		zip_discard(zip);
	}
	free(a);
	zipstream_free(z);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "%s/test_zipstream.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_archive);
	RUN(test_short_file);
	RUN(test_many_entries);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return test_done();
}
