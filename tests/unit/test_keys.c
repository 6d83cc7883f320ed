/* test_keys.c - key files (modes, no overwrite, refusals), signatures that fail on one flipped bit, key ids. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys.h"
#include "test.h"

static char dir[256];

static const char *path_of(const char *name)
{
	static char bufs[4][512];
	static int next;
	char *p = bufs[next++ % 4];

	snprintf(p, sizeof(bufs[0]), "%s/%s", dir, name);
	return p;
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

/* Reads a whole small file into out (NUL-terminated); returns its length or -1. */
static long slurp(const char *path, char *out, size_t n)
{
	FILE *f = fopen(path, "rb");
	size_t got;

	if (!f)
		return -1;
	got = fread(out, 1, n - 1, f);
	out[got] = '\0';
	fclose(f);
	return (long)got;
}

static void spit(const char *path, const char *data, int mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_INT(write(fd, data, strlen(data)), (long long)strlen(data));
	CHECK_INT(fchmod(fd, (mode_t)mode), 0);
	close(fd);
}

static void remove_dir(void)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			unlink(path_of(e->d_name));
	if (d)
		closedir(d);
	if (rmdir(dir) < 0)
		fprintf(stdout, "# could not remove %s\n", dir);
}

static void test_generate_modes(void)
{
	char err[256] = "";
	mode_t old = umask(0);   /* the modes must not depend on the caller's umask */

	CHECK_INT(keys_generate(path_of("a.key"), path_of("a.pub"), err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_INT(mode_of(path_of("a.key")), 0600);
	CHECK_INT(mode_of(path_of("a.pub")), 0644);
	umask(077);
	CHECK_INT(keys_generate(path_of("b.key"), path_of("b.pub"), err, sizeof(err)), 0);
	CHECK_INT(mode_of(path_of("b.key")), 0600);
	CHECK_INT(mode_of(path_of("b.pub")), 0644);
	umask(old);
}

static void test_generate_refuses_to_overwrite(void)
{
	char before[512], after[512], err[256] = "";

	CHECK(slurp(path_of("a.key"), before, sizeof(before)) > 0);
	CHECK_INT(keys_generate(path_of("a.key"), path_of("c.pub"), err, sizeof(err)), -1);
	CHECK(strstr(err, "a.key") != NULL);
	CHECK(slurp(path_of("a.key"), after, sizeof(after)) > 0);
	CHECK_STR(after, before);
	CHECK_INT(mode_of(path_of("c.pub")), -1);

	/* An existing public file: refused, and the new secret is not left behind. */
	err[0] = '\0';
	CHECK_INT(keys_generate(path_of("c.key"), path_of("a.pub"), err, sizeof(err)), -1);
	CHECK(strstr(err, "a.pub") != NULL);
	CHECK_INT(mode_of(path_of("c.key")), -1);
}

static void test_load_and_public(void)
{
	char err[256] = "";
	unsigned char pk[KEYS_PK_BYTES];
	struct keys *k = keys_load(path_of("a.key"), err, sizeof(err));

	CHECK(k != NULL);
	CHECK_STR(err, "");
	CHECK_INT(keys_load_public(path_of("a.pub"), pk, err, sizeof(err)), 0);
	if (k)
		CHECK(!memcmp(keys_public(k), pk, KEYS_PK_BYTES));
	keys_free(k);
	keys_free(NULL);
}

static void test_sign_verify(void)
{
	static const char msg[] = "record 7 field name set to \"Ada\"";
	unsigned char sig[KEYS_SIG_BYTES], other_pk[KEYS_PK_BYTES], m[sizeof(msg)];
	char err[256];
	struct keys *k = keys_load(path_of("a.key"), err, sizeof(err));
	struct keys *o = keys_load(path_of("b.key"), err, sizeof(err));
	size_t i;
	int bad = 0;

	CHECK(k != NULL && o != NULL);
	if (!k || !o)
		goto out;
	keys_sign(k, msg, sizeof(msg), sig);
	CHECK_INT(keys_verify(keys_public(k), msg, sizeof(msg), sig), 0);
	/* One flipped bit anywhere in the message or the signature fails. */
	memcpy(m, msg, sizeof(msg));
	for (i = 0; i < sizeof(m) * 8; i++) {
		m[i / 8] ^= (unsigned char)(1u << (i % 8));
		if (keys_verify(keys_public(k), m, sizeof(m), sig) != -1)
			bad++;
		m[i / 8] ^= (unsigned char)(1u << (i % 8));
	}
	for (i = 0; i < sizeof(sig) * 8; i++) {
		sig[i / 8] ^= (unsigned char)(1u << (i % 8));
		if (keys_verify(keys_public(k), msg, sizeof(msg), sig) != -1)
			bad++;
		sig[i / 8] ^= (unsigned char)(1u << (i % 8));
	}
	CHECK_INT(bad, 0);
	CHECK_INT(keys_verify(keys_public(k), msg, sizeof(msg), sig), 0);
	/* A shorter message, another key. */
	CHECK_INT(keys_verify(keys_public(k), msg, sizeof(msg) - 1, sig), -1);
	memcpy(other_pk, keys_public(o), sizeof(other_pk));
	CHECK_INT(keys_verify(other_pk, msg, sizeof(msg), sig), -1);
	/* The empty message is signable. */
	keys_sign(k, "", 0, sig);
	CHECK_INT(keys_verify(keys_public(k), "", 0, sig), 0);
	CHECK_INT(keys_verify(other_pk, "", 0, sig), -1);
out:
	keys_free(k);
	keys_free(o);
}

static void test_ids(void)
{
	unsigned char zero[KEYS_PK_BYTES] = { 0 }, seq[KEYS_PK_BYTES], pa[KEYS_PK_BYTES], pb[KEYS_PK_BYTES];
	char id[KEYS_ID_STRLEN + 1], again[KEYS_ID_STRLEN + 1], other[KEYS_ID_STRLEN + 1], err[256];
	size_t i;

	/* BLAKE2b-128 known answers (from Python's hashlib.blake2b(..., digest_size=16)). */
	keys_id(zero, id);
	CHECK_STR(id, "ff0f22492f44bac4c4b30ae58d0e8daa");
	for (i = 0; i < sizeof(seq); i++)
		seq[i] = (unsigned char)i;
	keys_id(seq, id);
	CHECK_STR(id, "f39a2cad58411cd49f577e5086b8031f");

	CHECK_INT(keys_load_public(path_of("a.pub"), pa, err, sizeof(err)), 0);
	CHECK_INT(keys_load_public(path_of("b.pub"), pb, err, sizeof(err)), 0);
	keys_id(pa, id);
	keys_id(pa, again);
	keys_id(pb, other);
	CHECK_INT(strlen(id), KEYS_ID_STRLEN);
	CHECK_INT(strspn(id, "0123456789abcdef"), KEYS_ID_STRLEN);
	CHECK_STR(id, again);
	CHECK(strcmp(id, other) != 0);
}

static void test_load_refuses_open_modes(void)
{
	char err[256] = "";

	CHECK_INT(chmod(path_of("a.key"), 0644), 0);
	CHECK(keys_load(path_of("a.key"), err, sizeof(err)) == NULL);
	CHECK(strstr(err, "readable by others") != NULL);
	CHECK(strstr(err, "chmod 600") != NULL);
	CHECK_INT(chmod(path_of("a.key"), 0640), 0);
	err[0] = '\0';
	CHECK(keys_load(path_of("a.key"), err, sizeof(err)) == NULL);
	CHECK(strstr(err, "mode 640") != NULL);
	CHECK_INT(chmod(path_of("a.key"), 0600), 0);
	err[0] = '\0';
	CHECK(keys_load(path_of("missing.key"), err, sizeof(err)) == NULL);
	CHECK(strstr(err, "cannot open") != NULL);
	CHECK(strstr(err, "missing.key") != NULL);
}

static void test_load_refuses_corrupt_files(void)
{
	char good[512], bad[520], err[256];
	unsigned char pk[KEYS_PK_BYTES];
	long len = slurp(path_of("a.key"), good, sizeof(good));
	struct keys *k;
	const char *nl;

	CHECK(len > 0);
	if (len <= 0)
		return;
	nl = strchr(good, '\n');
	CHECK(nl != NULL);
	if (!nl)
		return;

	/* Truncated in the middle of the hex. */
	snprintf(bad, sizeof(bad), "%.*s", (int)(len / 2), good);
	spit(path_of("t.key"), bad, 0600);
	err[0] = '\0';
	CHECK((k = keys_load(path_of("t.key"), err, sizeof(err))) == NULL);
	keys_free(k);
	CHECK(strstr(err, "is not a Sondeo key file") != NULL);

	/* A character that is not hex. */
	memcpy(bad, good, (size_t)len + 1);
	bad[nl - good + 10] = 'z';
	spit(path_of("z.key"), bad, 0600);
	CHECK((k = keys_load(path_of("z.key"), err, sizeof(err))) == NULL);
	keys_free(k);

	/* One hex digit of the secret seed changed: still well-formed hex, but no longer the key whose public half
	 * the file carries, so it would sign with a key nobody can verify. */
	memcpy(bad, good, (size_t)len + 1);
	bad[nl - good + 1] = bad[nl - good + 1] == '0' ? '1' : '0';
	spit(path_of("s.key"), bad, 0600);
	CHECK((k = keys_load(path_of("s.key"), err, sizeof(err))) == NULL);
	keys_free(k);

	/* Anything after the key. */
	memcpy(bad, good, (size_t)len);
	memcpy(bad + len, "zz\n", 4);
	spit(path_of("x.key"), bad, 0600);
	CHECK((k = keys_load(path_of("x.key"), err, sizeof(err))) == NULL);
	keys_free(k);

	/* The wrong header: a public key file renamed, or anything else. */
	spit(path_of("h.key"), "not a key at all\n", 0600);
	CHECK((k = keys_load(path_of("h.key"), err, sizeof(err))) == NULL);
	keys_free(k);
	CHECK_INT(chmod(path_of("a.pub"), 0600), 0);
	CHECK((k = keys_load(path_of("a.pub"), err, sizeof(err))) == NULL);
	keys_free(k);
	CHECK_INT(chmod(path_of("a.pub"), 0644), 0);
	spit(path_of("e.key"), "", 0600);
	CHECK((k = keys_load(path_of("e.key"), err, sizeof(err))) == NULL);
	keys_free(k);

	/* The public loader: refuses the secret file and garbage, accepts its own. */
	CHECK_INT(keys_load_public(path_of("a.key"), pk, err, sizeof(err)), -1);
	CHECK_INT(keys_load_public(path_of("h.key"), pk, err, sizeof(err)), -1);
	CHECK(strstr(err, "is not a Sondeo key file") != NULL);
	CHECK_INT(keys_load_public(path_of("none.pub"), pk, err, sizeof(err)), -1);
	CHECK_INT(keys_load_public(path_of("b.pub"), pk, err, sizeof(err)), 0);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "%s/test_keys.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (sodium_init() < 0 || !mkdtemp(dir)) {
		perror("test_keys setup");
		return 1;
	}
	RUN(test_generate_modes);
	RUN(test_generate_refuses_to_overwrite);
	RUN(test_load_and_public);
	RUN(test_sign_verify);
	RUN(test_ids);
	RUN(test_load_refuses_open_modes);
	RUN(test_load_refuses_corrupt_files);
	remove_dir();
	return test_done();
}
