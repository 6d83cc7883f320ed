/* test_buf.c - the capped buffer's documented invariants: never NULL, always NUL-terminated, the cap exact. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "test.h"

static char dir[256];

/* Writes n bytes of a repeating pattern to dir/name and returns the path (static). */
static const char *make_file(const char *name, size_t n)
{
	static char path[512];
	FILE *f;
	size_t i;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	if (!f)
		return path;
	for (i = 0; i < n; i++)
		fputc("0123456789abcdef"[i % 16], f);
	fclose(f);
	return path;
}

/* Removes the test's flat temporary directory. */
static void remove_dir(void)
{
	char path[600];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	}
	if (d)
		closedir(d);
	if (rmdir(dir) < 0)
		fprintf(stdout, "# could not remove %s\n", dir);
}

static void test_init_is_empty_string(void)
{
	struct buf a = BUF_INIT(10), b;

	CHECK(a.data != NULL);
	CHECK_STR(a.data, "");
	CHECK_INT(a.len, 0);
	CHECK_INT(a.max, 10);
	buf_init(&b, 7);
	CHECK(b.data != NULL);
	CHECK_STR(b.data, "");
	CHECK_INT(b.len, 0);
	CHECK_INT(b.alloc, 0);
	CHECK_INT(b.max, 7);
	buf_release(&b);
	CHECK(b.data != NULL);
	CHECK_INT(b.max, 7);
}

static void test_appends_stay_terminated(void)
{
	struct buf b = BUF_INIT(1000);

	CHECK_INT(buf_adds(&b, "abc"), 0);
	CHECK_INT(b.len, 3);
	CHECK_INT(b.data[3], '\0');
	CHECK_INT(buf_addc(&b, 'd'), 0);
	CHECK_INT(buf_add(&b, "efXX", 2), 0);
	CHECK_STR(b.data, "abcdef");
	CHECK_INT(b.len, 6);
	CHECK_INT(buf_add(&b, "", 0), 0);
	CHECK_INT(b.len, 6);
	/* Binary data: len counts past a NUL, and a NUL still follows the end. */
	CHECK_INT(buf_add(&b, "g\0h", 3), 0);
	CHECK_INT(b.len, 9);
	CHECK(!memcmp(b.data, "abcdefg\0h", 10));
	buf_release(&b);
}

static void test_growth_keeps_contents(void)
{
	struct buf b = BUF_INIT(1 << 20);
	size_t i;
	int bad = 0;

	for (i = 0; i < 100000; i++)
		if (buf_addc(&b, (char)('a' + i % 26)) < 0)
			bad++;
	CHECK_INT(bad, 0);
	CHECK_INT(b.len, 100000);
	for (i = 0; i < 100000; i++)
		if (b.data[i] != (char)('a' + i % 26))
			bad++;
	CHECK_INT(bad, 0);
	CHECK_INT(b.data[100000], '\0');
	CHECK(b.alloc > b.len);
	buf_release(&b);
}

static void test_cap_is_exact(void)
{
	struct buf b = BUF_INIT(8);

	CHECK_INT(buf_adds(&b, "12345678"), 0);
	CHECK_INT(b.len, 8);
	CHECK_STR(b.data, "12345678");
	CHECK(b.alloc <= 9);
	errno = 0;
	CHECK_INT(buf_addc(&b, '9'), -1);
	CHECK_INT(errno, EFBIG);
	CHECK_INT(b.len, 8);
	CHECK_STR(b.data, "12345678");
	CHECK_INT(buf_add(&b, "", 0), 0);
	CHECK_INT(b.len, 8);

	buf_reset(&b);
	CHECK_INT(buf_adds(&b, "12345"), 0);
	CHECK_INT(buf_adds(&b, "6789"), -1);
	CHECK_INT(b.len, 5);
	CHECK_STR(b.data, "12345");
	CHECK_INT(buf_adds(&b, "678"), 0);
	CHECK_STR(b.data, "12345678");
	buf_release(&b);
}

static void test_cap_zero(void)
{
	struct buf b = BUF_INIT(0);

	CHECK_INT(buf_addc(&b, 'x'), -1);
	CHECK_INT(b.len, 0);
	CHECK_STR(b.data, "");
	CHECK_INT(buf_add(&b, "", 0), 0);
	buf_release(&b);
}

static void test_grow_overflow(void)
{
	struct buf b = BUF_INIT(SIZE_MAX - 1);

	CHECK_INT(buf_adds(&b, "ab"), 0);
	CHECK_INT(buf_grow(&b, SIZE_MAX), -1);
	CHECK_INT(buf_grow(&b, SIZE_MAX - 2), -1);
	CHECK_INT(b.len, 2);
	CHECK_STR(b.data, "ab");
	buf_release(&b);
}

static void test_printf(void)
{
	struct buf b = BUF_INIT(12);

	CHECK_INT(buf_printf(&b, "%d-%s", 42, "x"), 0);
	CHECK_STR(b.data, "42-x");
	CHECK_INT(b.len, 4);
	CHECK_INT(buf_printf(&b, "%s", ""), 0);
	CHECK_INT(b.len, 4);
	CHECK_INT(buf_printf(&b, "%08x", 0xbeefu), 0);
	CHECK_STR(b.data, "42-x0000beef");
	CHECK_INT(b.len, 12);
	CHECK_INT(buf_printf(&b, "%c", 'z'), -1);
	CHECK_INT(b.len, 12);
	CHECK_STR(b.data, "42-x0000beef");
	buf_reset(&b);
	CHECK_INT(buf_printf(&b, "%s", "far too long for it"), -1);
	CHECK_INT(b.len, 0);
	CHECK_STR(b.data, "");
	buf_release(&b);
}

static void test_reset_keeps_memory(void)
{
	struct buf b = BUF_INIT(100);
	char *mem;
	size_t alloc;

	CHECK_INT(buf_adds(&b, "hello"), 0);
	mem = b.data;
	alloc = b.alloc;
	buf_reset(&b);
	CHECK_INT(b.len, 0);
	CHECK_STR(b.data, "");
	CHECK(b.data == mem);
	CHECK_INT(b.alloc, alloc);
	buf_reset(&b);
	CHECK_INT(b.len, 0);
	buf_release(&b);
	CHECK_INT(b.alloc, 0);
	CHECK_INT(b.len, 0);
	CHECK_STR(b.data, "");
	CHECK_INT(b.max, 100);
	/* Usable again after release. */
	CHECK_INT(buf_adds(&b, "again"), 0);
	CHECK_STR(b.data, "again");
	buf_release(&b);
}

static void test_detach(void)
{
	struct buf b = BUF_INIT(100);
	size_t len = 99;
	char *p;

	CHECK_INT(buf_adds(&b, "mine now"), 0);
	p = buf_detach(&b, &len);
	CHECK_STR(p, "mine now");
	CHECK_INT(len, 8);
	CHECK_INT(b.len, 0);
	CHECK_INT(b.alloc, 0);
	CHECK_STR(b.data, "");
	CHECK(b.data != p);
	CHECK_INT(b.max, 100);
	free(p);

	/* Nothing added: a fresh empty string the caller frees, not the shared one. */
	len = 99;
	p = buf_detach(&b, &len);
	CHECK(p != NULL);
	CHECK(p != b.data);
	CHECK_STR(p, "");
	CHECK_INT(len, 0);
	free(p);
	p = buf_detach(&b, NULL);
	CHECK(p != NULL);
	free(p);
}

static void test_read_file(void)
{
	struct buf b = BUF_INIT(1 << 20);
	const char *path = make_file("small", 100);

	CHECK_INT(buf_read_file(&b, path), 0);
	CHECK_INT(b.len, 100);
	CHECK(!memcmp(b.data, "0123456789abcdef0123", 20));
	CHECK_INT(b.data[100], '\0');
	buf_release(&b);

	/* Appends to what is there. */
	CHECK_INT(buf_adds(&b, ">>"), 0);
	CHECK_INT(buf_read_file(&b, make_file("three", 3)), 0);
	CHECK_STR(b.data, ">>012");
	buf_release(&b);

	CHECK_INT(buf_read_file(&b, make_file("empty", 0)), 0);
	CHECK_INT(b.len, 0);
	CHECK_STR(b.data, "");
	buf_release(&b);
}

static void test_read_file_at_cap(void)
{
	struct buf b = BUF_INIT(100);
	const char *path = make_file("hundred", 100);

	CHECK_INT(buf_read_file(&b, path), 0);
	CHECK_INT(b.len, 100);
	buf_release(&b);

	path = make_file("hundred-and-one", 101);
	errno = 0;
	CHECK_INT(buf_read_file(&b, path), -1);
	CHECK_INT(errno, EFBIG);
	CHECK(b.len <= b.max);
	CHECK_INT(b.data[b.len], '\0');
	buf_release(&b);

	/* The same across the 64 KiB read size. */
	b.max = 200000;
	CHECK_INT(buf_read_file(&b, make_file("big", 200000)), 0);
	CHECK_INT(b.len, 200000);
	CHECK_INT(b.data[199999], 'f');
	buf_release(&b);
	errno = 0;
	CHECK_INT(buf_read_file(&b, make_file("big-plus", 200001)), -1);
	CHECK_INT(errno, EFBIG);
	buf_release(&b);

	/* Prefilled: the cap counts what was there before. */
	b.max = 10;
	CHECK_INT(buf_adds(&b, "xx"), 0);
	errno = 0;
	CHECK_INT(buf_read_file(&b, make_file("nine", 9)), -1);
	CHECK_INT(errno, EFBIG);
	buf_release(&b);
	CHECK_INT(buf_adds(&b, "xx"), 0);
	CHECK_INT(buf_read_file(&b, make_file("eight", 8)), 0);
	CHECK_STR(b.data, "xx01234567");
	buf_release(&b);
}

static void test_read_file_errors(void)
{
	struct buf b = BUF_INIT(100);
	char path[512];

	snprintf(path, sizeof(path), "%s/does-not-exist", dir);
	errno = 0;
	CHECK_INT(buf_read_file(&b, path), -1);
	CHECK_INT(errno, ENOENT);
	CHECK_INT(b.len, 0);
	errno = 0;
	CHECK_INT(buf_read_file(&b, dir), -1);
	CHECK_INT(errno, EISDIR);
	buf_release(&b);
}

static void test_read_stdin(void)
{
	struct buf b = BUF_INIT(100);
	int saved = dup(0), fd = open(make_file("stdin", 5), O_RDONLY);

	CHECK(saved >= 0 && fd >= 0);
	CHECK_INT(dup2(fd, 0), 0);
	CHECK_INT(buf_read_file(&b, "-"), 0);
	CHECK_STR(b.data, "01234");
	/* Reading "-" leaves stdin open. */
	CHECK(fcntl(0, F_GETFD) >= 0);
	dup2(saved, 0);
	close(saved);
	close(fd);
	buf_release(&b);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "%s/test_buf.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_init_is_empty_string);
	RUN(test_appends_stay_terminated);
	RUN(test_growth_keeps_contents);
	RUN(test_cap_is_exact);
	RUN(test_cap_zero);
	RUN(test_grow_overflow);
	RUN(test_printf);
	RUN(test_reset_keeps_memory);
	RUN(test_detach);
	RUN(test_read_file);
	RUN(test_read_file_at_cap);
	RUN(test_read_file_errors);
	RUN(test_read_stdin);
	remove_dir();
	return test_done();
}
