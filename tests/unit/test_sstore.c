/* test_sstore.c - the server's store: init and its refusals, file modes, the admin password, enrolment codes
 * (format, alphabet, uniqueness, redraw on an id collision), enrolment (MAC, expiry, uses, retries), revocation,
 * form publishing and list orders. */
#include <dirent.h>
#include <fcntl.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "sstore.h"
#include "sstore-int.h"
#include "test.h"
#include "teststore.h"
#include "util.h"
#include "banned.h"

/* Passwords' alphabet as sstore.c documents it (no 0 O 1 I L U); codes use the protocol's (proto/auth.h). */
static const char alphabet[] = "ABCDEFGHJKMNPQRSTVWXYZ23456789";
static const char code_alphabet[] = AUTH_CODE_ALPHABET;

static char top[256];

/* --- a scriptable random source: randombytes_uniform draws from a list, else from the system --- */

static const unsigned char *script;   /* alphabet indexes */
static size_t script_len, script_pos;

static const char *rng_name(void)
{
	return "test_sstore";
}

static uint32_t rng_random(void)
{
	/* randombytes_uniform(n) rejects values under 2^32 mod n (16 for 30, 0 for 32), then takes r % n:
	 * 96000 is a multiple of both 30 and 32, so the scripted index comes out as it is. */
	if (script && script_pos < script_len)
		return 96000u + script[script_pos++];
	return randombytes_sysrandom_implementation.random();
}

static void rng_stir(void)
{
	randombytes_sysrandom_implementation.stir();
}

static void rng_buf(void *buf, size_t n)
{
	randombytes_sysrandom_implementation.buf(buf, n);
}

static int rng_close(void)
{
	return randombytes_sysrandom_implementation.close();
}

static struct randombytes_implementation rng = {
	.implementation_name = rng_name, .random = rng_random, .stir = rng_stir, .uniform = NULL,
	.buf = rng_buf, .close = rng_close
};

/* Plays s (codes without dashes, concatenated) to the next draws. */
static void play(const char *s)
{
	static unsigned char idx[1 << 16];
	size_t i, n = strlen(s);

	for (i = 0; i < n && i < sizeof(idx); i++)
		idx[i] = (unsigned char)(strchr(code_alphabet, s[i]) - code_alphabet);
	script = idx;
	script_len = i;
	script_pos = 0;
}

static void unplay(void)
{
	script = NULL;
}

/* --- files --- */

static const char *path_of(const char *dir, const char *name)
{
	static char bufs[4][600];
	static int next;
	char *p = bufs[next++ % 4];

	snprintf(p, sizeof(bufs[0]), "%s/%s", dir, name);
	return p;
}

/* A fresh path under the test directory, not yet created. */
static const char *new_dir(const char *name)
{
	static char bufs[8][400];
	static int next;
	char *p = bufs[next % 8];

	snprintf(p, sizeof(bufs[0]), "%s/%s-%d", top, name, next);
	next++;
	return p;
}

static int mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) < 0 ? -1 : (int)(st.st_mode & 07777);
}

/* The whole file into a malloc'd buffer (NUL-terminated), its length in *len; NULL if unreadable. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)n + 1)) && fread(p, 1, (size_t)n, f) == (size_t)n) {
		p[n] = '\0';
		*len = (size_t)n;
	} else {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

static int same_file(const char *a_bytes, size_t a_len, const char *path)
{
	size_t n = 0;
	char *b = slurp(path, &n);
	int same = b && n == a_len && !memcmp(a_bytes, b, n);

	free(b);
	return same;
}

/* 1 if needle (n bytes) occurs in hay (len bytes). */
static int contains(const char *hay, size_t len, const char *needle, size_t n)
{
	size_t i;

	for (i = 0; i + n <= len; i++)
		if (!memcmp(hay + i, needle, n))
			return 1;
	return 0;
}

static void rm_rf(const char *path)
{
	struct stat st;
	struct dirent *e;
	DIR *d;

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	chmod(path, 0700);
	if ((d = opendir(path))) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				char sub[1024];

				snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
				rm_rf(sub);
			}
		closedir(d);
	}
	rmdir(path);
}

/* --- reading the database behind the store's back --- */

/* The first column of the first row of sql with one text parameter (or none), as an integer; -999 if none. */
static long long q_int(const char *dir, const char *sql, const char *param)
{
	long long v = teststore_int(dir, sql, param);

	return v == -1 ? -999 : v;
}

/* The same as text into out ("" if none). */
static const char *q_text(const char *dir, const char *sql, const char *param, char *out, size_t n)
{
	if (!strcmp(teststore_text(dir, sql, param, out, n), "(error)"))
		out[0] = '\0';
	return out;
}

/* --- a store to work in --- */

static char password[32];

static struct sstore *fresh(const char *name, const char **dirp)
{
	const char *dir = new_dir(name);
	char err[512] = "";
	struct sstore *s;

	if (teststore_init(dir, password, sizeof(password), err, sizeof(err)) < 0) {
		printf("#   sstore_init('%s'): %s\n", dir, err);
		return NULL;
	}
	s = sstore_open(dir, err, sizeof(err));
	if (!s)
		printf("#   sstore_open('%s'): %s\n", dir, err);
	*dirp = dir;
	return s;
}

/* The code without dashes (20 symbols) into out. */
static void normalize(const char *code, char out[21])
{
	size_t i, o = 0;

	for (i = 0; code[i] && o < 20; i++)
		if (code[i] != '-')
			out[o++] = code[i];
	out[o] = '\0';
}

/* The code's id: the first five symbols of the normalized code (the dashes are not part of it). */
static void code_id(const char *code, char out[6])
{
	char raw[21];

	normalize(code, raw);
	memcpy(out, raw, 5);
	out[5] = '\0';
}

static void derive(const char *code, unsigned char key[32])
{
	char raw[21];

	normalize(code, raw);
	crypto_generichash(key, 32, (const unsigned char *)raw, strlen(raw), (const unsigned char *)"sondeo enrol v1",
			   15);
}

/* The device's side of the exchange: a MAC over its request, keyed with the key it derived from the code;
 * the store hands check() the key it holds, and check() verifies the MAC with it, as the server will. */
struct mac_ctx {
	unsigned char mac[32];
	unsigned char seen[32];
	int calls;
};

static const char request[] = "{\"pk\":\"...\",\"name\":\"kisumu-3\",\"nonce\":\"...\"}";

static void mac_for(struct mac_ctx *m, const char *code)
{
	unsigned char key[32];

	memset(m, 0, sizeof(*m));
	derive(code, key);
	crypto_generichash(m->mac, 32, (const unsigned char *)request, sizeof(request) - 1, key, 32);
}

static int check_mac(void *ctx, const unsigned char key[32])
{
	struct mac_ctx *m = ctx;
	unsigned char mac[32];

	m->calls++;
	memcpy(m->seen, key, 32);
	crypto_generichash(mac, 32, (const unsigned char *)request, sizeof(request) - 1, key, 32);
	return sodium_memcmp(mac, m->mac, 32) == 0 ? 0 : -1;
}

static void new_pk(unsigned char pk[KEYS_PK_BYTES])
{
	unsigned char sk[crypto_sign_SECRETKEYBYTES];

	crypto_sign_keypair(pk, sk);
	sodium_memzero(sk, sizeof(sk));
}

static int enrol(struct sstore *s, const char *code, const unsigned char *pk, const char *name,
		 struct sstore_device *d, char *err, size_t errlen)
{
	struct mac_ctx m;
	char id[6];

	mac_for(&m, code);
	code_id(code, id);
	return sstore_enrol(s, id, check_mac, &m, pk, name, d, err, errlen);
}

static long long uses_left(const char *dir, const char *code)
{
	char id[6];

	code_id(code, id);
	return q_int(dir, "SELECT uses_left FROM codes WHERE code_id = ?1", id);
}

/* --- tests --- */

static void test_init_makes_private_files(void)
{
	const char *dir = new_dir("modes");
	char err[512] = "";
	unsigned char pk[KEYS_PK_BYTES];
	mode_t old = umask(0);   /* the modes must not depend on the caller's umask */
	struct sstore *s;

	CHECK_INT(sstore_init(dir, NULL, password, sizeof(password), err, sizeof(err)), 0);
	umask(old);
	CHECK_STR(err, "");
	CHECK_INT(mode_of(dir), 0700);
	CHECK_INT(mode_of(path_of(dir, "server.key")), 0600);
	CHECK_INT(mode_of(path_of(dir, "server.pub")), 0644);
	CHECK_INT(mode_of(path_of(dir, "server.db")), 0600);
	s = sstore_open(dir, err, sizeof(err));
	CHECK(s != NULL);
	CHECK_INT(keys_load_public(path_of(dir, "server.pub"), pk, err, sizeof(err)), 0);
	if (s)
		CHECK(!memcmp(keys_public(sstore_keys(s)), pk, KEYS_PK_BYTES));
	sstore_close(s);
	/* Parents it had to make are private too; an existing empty directory is made private. */
	dir = new_dir("parent");
	CHECK_INT(sstore_init(path_of(dir, "data"), NULL, password, sizeof(password), err, sizeof(err)), 0);
	CHECK_INT(mode_of(dir), 0700);
	dir = new_dir("empty");
	CHECK_INT(mkdir(dir, 0755), 0);
	CHECK_INT(chmod(dir, 0755), 0);
	CHECK_INT(sstore_init(dir, NULL, password, sizeof(password), err, sizeof(err)), 0);
	CHECK_INT(mode_of(dir), 0700);
}

static void test_init_twice_refuses(void)
{
	const char *dir = new_dir("twice");
	char err[512] = "", pw2[32] = "unchanged";
	char *key = NULL, *db = NULL;
	size_t klen = 0, dlen = 0;

	CHECK_INT(sstore_init(dir, NULL, password, sizeof(password), err, sizeof(err)), 0);
	key = slurp(path_of(dir, "server.key"), &klen);
	db = slurp(path_of(dir, "server.db"), &dlen);
	CHECK(key != NULL && db != NULL);
	CHECK_INT(sstore_init(dir, NULL, pw2, sizeof(pw2), err, sizeof(err)), -1);
	CHECK(strstr(err, "already exists") != NULL);
	CHECK(strstr(err, "nothing was changed") != NULL);
	CHECK_STR(pw2, "");
	if (key && db) {
		CHECK(same_file(key, klen, path_of(dir, "server.key")));
		CHECK(same_file(db, dlen, path_of(dir, "server.db")));
	}
	free(key);
	free(db);
	CHECK_INT(mode_of(path_of(dir, "server.key")), 0600);
}

static void test_init_refuses_other_things(void)
{
	const char *dir = new_dir("busy");
	char err[512] = "";
	FILE *f;

	/* A directory with someone's files in it: refused, left exactly as it was. */
	CHECK_INT(mkdir(dir, 0750), 0);
	CHECK_INT(chmod(dir, 0750), 0);
	f = fopen(path_of(dir, "notes.txt"), "w");
	CHECK(f != NULL);
	if (f) {
		fputs("keep me\n", f);
		fclose(f);
	}
	CHECK_INT(sstore_init(dir, NULL, password, sizeof(password), err, sizeof(err)), -1);
	CHECK(strstr(err, "not empty") != NULL);
	CHECK_INT(mode_of(dir), 0750);
	{
		size_t n = 0;
		char *kept = slurp(path_of(dir, "notes.txt"), &n);

		CHECK(kept && !strcmp(kept, "keep me\n"));
		free(kept);
	}
	CHECK_INT(mode_of(path_of(dir, "server.key")), -1);
	CHECK_INT(mode_of(path_of(dir, "server.db")), -1);
	/* A file where the directory should be. */
	err[0] = '\0';
	CHECK_INT(sstore_init(path_of(dir, "notes.txt"), NULL, password, sizeof(password), err, sizeof(err)), -1);
	CHECK(strstr(err, "not a directory") != NULL);
	/* A password buffer too small for the contract. */
	{
		const char *small_dir = new_dir("small");
		char small[8];

		CHECK_INT(sstore_init(small_dir, NULL, small, sizeof(small), err, sizeof(err)), -1);
		CHECK_INT(mode_of(small_dir), -1);
	}
}

static void test_admin_password(void)
{
	const char *dir = new_dir("admin");
	char err[512] = "", hash[256], role[32], wrong[32];
	size_t i;

	CHECK_INT(sstore_init(dir, NULL, password, sizeof(password), err, sizeof(err)), 0);
	CHECK_INT(strlen(password), 20);
	for (i = 0; password[i]; i++)
		CHECK(strchr(alphabet, password[i]) != NULL);
	q_text(dir, "SELECT pwhash FROM users WHERE name = 'admin'", NULL, hash, sizeof(hash));
	CHECK(!strncmp(hash, "$argon2id$", 10));
	CHECK(strstr(hash, password) == NULL);
	CHECK_INT(crypto_pwhash_str_verify(hash, password, strlen(password)), 0);
	snprintf(wrong, sizeof(wrong), "%s", password);
	wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
	CHECK_INT(crypto_pwhash_str_verify(hash, wrong, strlen(wrong)), -1);
	/* Hashed at the store's cost (SSTORE_PWHASH_*): nothing to rehash with it. */
	CHECK_INT(crypto_pwhash_str_needs_rehash(hash, SSTORE_PWHASH_OPS, SSTORE_PWHASH_MEM), 0);
	CHECK_INT(q_int(dir, "SELECT must_change FROM users WHERE name = 'admin'", NULL), 1);
	CHECK_INT(q_int(dir, "SELECT disabled FROM users WHERE name = 'admin'", NULL), 0);
	CHECK_STR(q_text(dir, "SELECT role FROM users WHERE name = 'admin'", NULL, role, sizeof(role)), "admin");
	CHECK_INT(q_int(dir, "SELECT count(*) FROM users", NULL), 1);
	/* Two inits, two passwords. */
	snprintf(wrong, sizeof(wrong), "%s", password);
	CHECK_INT(sstore_init(new_dir("admin2"), NULL, password, sizeof(password), err, sizeof(err)), 0);
	CHECK(strcmp(wrong, password) != 0);
}

static void test_open_refusals(void)
{
	const char *dir = new_dir("open");
	char err[512] = "";
	sqlite3 *db;
	struct sstore *s;

	CHECK(sstore_open(dir, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "no sondeod data") != NULL);
	/* A database that is not sondeod's (a device's store has a meta table too). */
	CHECK_INT(mkdir(dir, 0700), 0);
	CHECK_INT(sqlite3_open(path_of(dir, "server.db"), &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
			       "INSERT INTO meta VALUES('schema', '1');", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	err[0] = '\0';
	CHECK(sstore_open(dir, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "does not hold sondeod data") != NULL);
	/* A secret key others can read. */
	s = fresh("openkey", &dir);
	sstore_close(s);
	CHECK_INT(chmod(path_of(dir, "server.key"), 0644), 0);
	err[0] = '\0';
	CHECK(sstore_open(dir, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "readable by others") != NULL);
	CHECK_INT(chmod(path_of(dir, "server.key"), 0600), 0);
	s = sstore_open(dir, err, sizeof(err));
	CHECK(s != NULL);
	sstore_close(s);
}

static int code_shape(const char *code)
{
	size_t i;

	if (strlen(code) != 24)
		return 0;
	for (i = 0; i < 24; i++)
		if (i % 5 == 4 ? code[i] != '-' : !strchr(code_alphabet, code[i]) || !code[i])
			return 0;
	return 1;
}

static void test_code_format(void)
{
	const char *dir;
	struct sstore *s = fresh("codes", &dir);
	char code[32], raw[21], err[512] = "", *bytes;
	unsigned char key[32];
	size_t n = 0;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(sstore_code_new(s, "kisumu", 3, 0, code, sizeof(code), err, sizeof(err)), 0);
	CHECK(code_shape(code));
	CHECK(strpbrk(code, "ILOU") == NULL);   /* Crockford base32: no letters that read as digits */
	/* Stored: the first five symbols, the derived MAC key, the region, uses and expiry; never the code. */
	normalize(code, raw);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM codes WHERE code_id = substr(?1, 1, 5)", raw), 1);
	CHECK_INT(q_int(dir, "SELECT uses_left FROM codes WHERE code_id = substr(?1, 1, 5)", raw), 3);
	CHECK_INT(q_int(dir, "SELECT expires FROM codes WHERE code_id = substr(?1, 1, 5)", raw), 0);
	derive(code, key);
	{
		struct db *db = teststore_db(dir);
		struct db_stmt *st = db ? db_prepare(db, "SELECT mac_key, region FROM codes", NULL, 0) : NULL;

		CHECK(st != NULL);
		if (st && db_step(st) == DB_ROW) {
			CHECK_INT(db_bytes(st, 0), 32);
			CHECK(!memcmp(db_blob(st, 0), key, 32));
			CHECK_STR(db_text(st, 1), "kisumu");
		} else {
			CHECK(!"no code row");
		}
		db_finalize(st);
		db_close(db);
	}
	sstore_close(s);
	/* On SQLite, nothing of the code in the file's bytes (PostgreSQL's files are the server's own). */
	bytes = teststore_pg() ? NULL : slurp(path_of(dir, "server.db"), &n);
	CHECK(teststore_pg() || bytes != NULL);
	if (bytes) {
		CHECK(!contains(bytes, n, raw, 20));
		CHECK(!contains(bytes, n, code, 24));
		CHECK(!contains(bytes, n, raw + 5, 15));
		/* ...while the search itself finds what is there. */
		CHECK(contains(bytes, n, raw, 5));
	}
	free(bytes);
	/* The derivation is plain keyed BLAKE2b-256, as any other implementation computes it (this vector is
	 * from Python's hashlib.blake2b(b"ABCDEFGHJKMNPQRSTVWX", key=b"sondeo enrol v1", digest_size=32)). */
	{
		char hex[65];

		derive("ABCD-EFGH-JKMN-PQRS-TVWX", key);
		hex_encode(hex, key, 32);
		CHECK_STR(hex, "66811b54c728572a578eb1ba0db9e1d7c7744e2e2a7545d65f2d68400ccd6023");
	}
}

static void test_code_refusals(void)
{
	const char *dir;
	struct sstore *s = fresh("badcodes", &dir);
	char code[32], err[512] = "", long_region[80];

	CHECK(s != NULL);
	if (!s)
		return;
	memset(long_region, 'r', 65);
	long_region[65] = '\0';
	CHECK_INT(sstore_code_new(s, "", 1, 0, code, sizeof(code), err, sizeof(err)), -1);
	CHECK(strstr(err, "region") != NULL);
	CHECK_INT(sstore_code_new(s, long_region, 1, 0, code, sizeof(code), err, sizeof(err)), -1);
	CHECK_INT(sstore_code_new(s, "east africa", 1, 0, code, sizeof(code), err, sizeof(err)), -1);
	CHECK_INT(sstore_code_new(s, "a/b", 1, 0, code, sizeof(code), err, sizeof(err)), -1);
	CHECK_INT(sstore_code_new(s, "x", 0, 0, code, sizeof(code), err, sizeof(err)), -1);
	CHECK(strstr(err, "at least one use") != NULL);
	CHECK_INT(sstore_code_new(s, "x", 1, 0, code, 24, err, sizeof(err)), -1);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM codes", NULL), 0);
	/* The longest region that is allowed, and every allowed kind of character. */
	long_region[64] = '\0';
	CHECK_INT(sstore_code_new(s, long_region, 1, 0, code, sizeof(code), err, sizeof(err)), 0);
	CHECK_INT(sstore_code_new(s, "Nairobi_HQ-2.b", 1, 0, code, sizeof(code), err, sizeof(err)), 0);
	sstore_close(s);
}

/* The region rule, which callers check before asking for a code, so that a bad region is told apart from a
 * store error without reading the message. */
static void test_region_check(void)
{
	char err[256] = "", long_region[80];

	memset(long_region, 'r', 65);
	long_region[65] = '\0';
	CHECK_INT(sstore_region_check("", err, sizeof(err)), -1);
	CHECK_STR(err, "region '' is not valid: 1 to 64 letters, digits, '_', '.' or '-'");
	CHECK_INT(sstore_region_check(long_region, err, sizeof(err)), -1);
	CHECK_INT(sstore_region_check("east africa", err, sizeof(err)), -1);
	CHECK_INT(sstore_region_check("a/b", NULL, 0), -1);
	long_region[64] = '\0';
	CHECK_INT(sstore_region_check(long_region, err, sizeof(err)), 0);
	CHECK_INT(sstore_region_check("Nairobi_HQ-2.b", err, sizeof(err)), 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

static void test_codes_unique_and_spread(void)
{
	enum { N = 300 };
	static char codes[N][32], ids[N][6];
	const char *dir;
	struct sstore *s = fresh("many", &dir);
	char err[512] = "";
	int seen[32] = { 0 }, i, dup_codes = 0, dup_ids = 0, unused = 0;
	size_t k;

	CHECK(s != NULL);
	if (!s)
		return;
	for (i = 0; i < N; i++) {
		CHECK_INT(sstore_code_new(s, "default", 1, 0, codes[i], sizeof(codes[i]), err, sizeof(err)), 0);
		CHECK(code_shape(codes[i]));
		/* The id is the first five symbols: the shown code has a dash after the fourth. */
		memcpy(ids[i], codes[i], 4);
		ids[i][4] = codes[i][5];
		ids[i][5] = '\0';
		for (k = 0; k < 24; k++) {
			const char *at = strchr(code_alphabet, codes[i][k]);

			if (codes[i][k] != '-' && at && *at)
				seen[at - code_alphabet]++;
		}
	}
	qsort(codes, N, sizeof(codes[0]), cmp_str);
	qsort(ids, N, sizeof(ids[0]), cmp_str);
	for (i = 1; i < N; i++) {
		dup_codes += !strcmp(codes[i], codes[i - 1]);
		dup_ids += !strcmp(ids[i], ids[i - 1]);
	}
	CHECK_INT(dup_codes, 0);
	CHECK_INT(dup_ids, 0);
	CHECK_INT(q_int(dir, "SELECT count(DISTINCT code_id) FROM codes", NULL), N);
	/* 6000 draws over 32 symbols: each is expected about 190 times; none may be missing. */
	for (i = 0; i < 32; i++)
		unused += seen[i] == 0;
	CHECK_INT(unused, 0);
	sstore_close(s);
}

static void test_code_id_collision_redraws(void)
{
	const char *dir;
	struct sstore *s = fresh("collide", &dir);
	char code[32], err[512] = "";
	static char many[1000 * 20 + 1];
	size_t i;

	CHECK(s != NULL);
	if (!s)
		return;
	play("ABCDEFGHJKMNPQRSTVWX");
	CHECK_INT(sstore_code_new(s, "default", 1, 0, code, sizeof(code), err, sizeof(err)), 0);
	CHECK_STR(code, "ABCD-EFGH-JKMN-PQRS-TVWX");
	/* The same first five symbols with another tail: a collision on the id, so drawn again. */
	play("ABCDE" "ZZZZZZZZZZZZZZZ" "23456789ABCDEFGHJKMN");
	CHECK_INT(sstore_code_new(s, "default", 1, 0, code, sizeof(code), err, sizeof(err)), 0);
	CHECK_STR(code, "2345-6789-ABCD-EFGH-JKMN");
	CHECK_INT(script_pos, 40);
	/* Nothing but collisions: refused after a bounded number of draws, nothing stored. */
	for (i = 0; i < 1000; i++)
		memcpy(many + i * 20, "ABCDEFGHJKMNPQRSTVWX", 20);
	many[sizeof(many) - 1] = '\0';
	play(many);
	CHECK_INT(sstore_code_new(s, "default", 1, 0, code, sizeof(code), err, sizeof(err)), -1);
	CHECK(strstr(err, "no free enrolment code id") != NULL);
	unplay();
	CHECK_INT(q_int(dir, "SELECT count(*) FROM codes", NULL), 2);
	/* The store is still usable after the refusal. */
	CHECK_INT(sstore_code_new(s, "default", 1, 0, code, sizeof(code), err, sizeof(err)), 0);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM codes", NULL), 3);
	sstore_close(s);
}

static void test_enrol_good_mac(void)
{
	const char *dir;
	struct sstore *s = fresh("enrol", &dir);
	char code[32], err[512] = "", id[KEYS_ID_STRLEN + 1];
	unsigned char pk[KEYS_PK_BYTES], key[32];
	struct sstore_device d, f;
	struct mac_ctx m;
	uint64_t before = now_ms();

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(sstore_code_new(s, "kisumu", 2, now_ms() + 3600 * 1000, code, sizeof(code), err, sizeof(err)), 0);
	new_pk(pk);
	keys_id(pk, id);
	mac_for(&m, code);
	{
		char cid[6];

		code_id(code, cid);
		CHECK_INT(sstore_enrol(s, cid, check_mac, &m, pk, "kisumu-laptop-3", &d, err, sizeof(err)), 0);
	}
	CHECK_INT(m.calls, 1);
	derive(code, key);
	CHECK(!memcmp(m.seen, key, 32));
	CHECK_STR(d.id, id);
	CHECK(!memcmp(d.pk, pk, KEYS_PK_BYTES));
	CHECK_STR(d.name, "kisumu-laptop-3");
	CHECK_STR(d.region, "kisumu");
	CHECK(d.enrolled_ms >= before && d.enrolled_ms <= now_ms());
	CHECK_INT(d.last_seen_ms, 0);
	CHECK_INT(d.revoked_ms, 0);
	CHECK_INT(d.next_seq, 1);
	CHECK_INT(d.ops, 0);
	CHECK_INT(d.equivocations, 0);
	CHECK_INT(uses_left(dir, code), 1);
	/* What find answers is what enrol answered. */
	CHECK_INT(sstore_device_find(s, id, &f, err, sizeof(err)), 1);
	CHECK(!memcmp(&f, &d, sizeof(d)));
	CHECK_INT(sstore_device_find(s, "00000000000000000000000000000000", &f, err, sizeof(err)), 0);
	/* The code id is read in any case. */
	new_pk(pk);
	{
		char cid[6];
		size_t i;

		code_id(code, cid);
		for (i = 0; i < 5; i++)
			cid[i] = (char)(cid[i] >= 'A' && cid[i] <= 'Z' ? cid[i] - 'A' + 'a' : cid[i]);
		mac_for(&m, code);
		CHECK_INT(sstore_enrol(s, cid, check_mac, &m, pk, "", &d, err, sizeof(err)), 0);
		CHECK_STR(d.name, "");
	}
	CHECK_INT(uses_left(dir, code), 0);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM enrolled_devices", NULL), 2);
	sstore_close(s);
}

static void test_enrol_bad_mac(void)
{
	const char *dir;
	struct sstore *s = fresh("badmac", &dir);
	char code[32], other[32], err[512] = "";
	unsigned char pk[KEYS_PK_BYTES];
	struct sstore_device d;
	struct mac_ctx m;
	char cid[6];

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(sstore_code_new(s, "kisumu", 1, 0, code, sizeof(code), err, sizeof(err)), 0);
	new_pk(pk);
	/* A MAC made with a code that differs in its last symbol. */
	snprintf(other, sizeof(other), "%s", code);
	other[23] = other[23] == 'A' ? 'B' : 'A';
	mac_for(&m, other);
	code_id(code, cid);
	CHECK_INT(sstore_enrol(s, cid, check_mac, &m, pk, "x", &d, err, sizeof(err)), -1);
	CHECK_STR(err, "unknown or used enrolment code, or a MAC that does not match it");
	CHECK_INT(m.calls, 1);
	CHECK_INT(uses_left(dir, code), 1);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM enrolled_devices", NULL), 0);
	/* The right MAC still enrols: the bad one used nothing up. */
	CHECK_INT(enrol(s, code, pk, "x", &d, err, sizeof(err)), 0);
	CHECK_INT(uses_left(dir, code), 0);
	sstore_close(s);
}

static void test_enrol_unknown_code(void)
{
	const char *dir;
	struct sstore *s = fresh("unknown", &dir);
	char code[32], err[512] = "";
	unsigned char pk[KEYS_PK_BYTES];
	struct sstore_device d;
	struct mac_ctx m;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(sstore_code_new(s, "kisumu", 1, 0, code, sizeof(code), err, sizeof(err)), 0);
	new_pk(pk);
	mac_for(&m, code);
	/* Another id: told as a bad MAC is, after checking the MAC as for a known code (against a random key), so
	 * that neither the words nor the work tell which ids exist. */
	CHECK_INT(sstore_enrol(s, code[0] == 'A' ? "BBBBB" : "AAAAA", check_mac, &m, pk, "x", &d, err,
			       sizeof(err)), -1);
	CHECK_STR(err, "unknown or used enrolment code, or a MAC that does not match it");
	CHECK_INT(m.calls, 1);
	/* Ids of the wrong length or with symbols outside the alphabet, which no code has: the same words, and the
	 * MAC is never asked. */
	CHECK_INT(sstore_enrol(s, "", check_mac, &m, pk, "x", &d, err, sizeof(err)), -1);
	CHECK_INT(sstore_enrol(s, "ABCD", check_mac, &m, pk, "x", &d, err, sizeof(err)), -1);
	CHECK_INT(sstore_enrol(s, "ABCDEF", check_mac, &m, pk, "x", &d, err, sizeof(err)), -1);
	CHECK_INT(sstore_enrol(s, "0OIL1", check_mac, &m, pk, "x", &d, err, sizeof(err)), -1);
	CHECK_STR(err, "unknown or used enrolment code, or a MAC that does not match it");
	CHECK_INT(m.calls, 1);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM enrolled_devices", NULL), 0);
	sstore_close(s);
}

static void test_enrol_expired(void)
{
	const char *dir;
	struct sstore *s = fresh("expired", &dir);
	char code[32], err[512] = "";
	unsigned char pk[KEYS_PK_BYTES];
	struct sstore_device d;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(sstore_code_new(s, "kisumu", 5, now_ms() - 1, code, sizeof(code), err, sizeof(err)), 0);
	new_pk(pk);
	CHECK_INT(enrol(s, code, pk, "late", &d, err, sizeof(err)), -1);
	CHECK_STR(err, "enrolment code expired");
	CHECK_INT(uses_left(dir, code), 5);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM enrolled_devices", NULL), 0);
	/* Unexpired a moment ago is fine. */
	CHECK_INT(sstore_code_new(s, "kisumu", 1, now_ms() + 60000, code, sizeof(code), err, sizeof(err)), 0);
	CHECK_INT(enrol(s, code, pk, "on time", &d, err, sizeof(err)), 0);
	sstore_close(s);
}

static void test_enrol_uses_exhausted(void)
{
	const char *dir;
	struct sstore *s = fresh("exhausted", &dir);
	char code[32], err[512] = "";
	unsigned char a[KEYS_PK_BYTES], b[KEYS_PK_BYTES], c[KEYS_PK_BYTES];
	struct sstore_device d;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(sstore_code_new(s, "kisumu", 2, 0, code, sizeof(code), err, sizeof(err)), 0);
	new_pk(a);
	new_pk(b);
	new_pk(c);
	CHECK_INT(enrol(s, code, a, "a", &d, err, sizeof(err)), 0);
	CHECK_INT(enrol(s, code, b, "b", &d, err, sizeof(err)), 0);
	CHECK_INT(uses_left(dir, code), 0);
	CHECK_INT(enrol(s, code, c, "c", &d, err, sizeof(err)), -1);
	CHECK_STR(err, "unknown or used enrolment code");
	CHECK_INT(q_int(dir, "SELECT count(*) FROM enrolled_devices", NULL), 2);
	CHECK_INT(uses_left(dir, code), 0);
	sstore_close(s);
}

static void test_enrol_same_key_twice(void)
{
	const char *dir;
	struct sstore *s = fresh("retry", &dir);
	char code[32], code2[32], err[512] = "";
	unsigned char pk[KEYS_PK_BYTES];
	struct sstore_device d1, d2;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(sstore_code_new(s, "kisumu", 1, 0, code, sizeof(code), err, sizeof(err)), 0);
	new_pk(pk);
	CHECK_INT(enrol(s, code, pk, "first", &d1, err, sizeof(err)), 0);
	CHECK_INT(uses_left(dir, code), 0);
	/* The answer was lost; the device asks again with the same code: the same device, no use spent. */
	err[0] = '\0';
	CHECK_INT(enrol(s, code, pk, "second", &d2, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK(!memcmp(&d1, &d2, sizeof(d1)));
	CHECK_STR(d2.name, "first");
	CHECK_INT(uses_left(dir, code), 0);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM enrolled_devices", NULL), 1);
	/* Through another code (of another region) as well: the same device, that code untouched. */
	CHECK_INT(sstore_code_new(s, "mombasa", 1, 0, code2, sizeof(code2), err, sizeof(err)), 0);
	CHECK_INT(enrol(s, code2, pk, "third", &d2, err, sizeof(err)), 0);
	CHECK_STR(d2.region, "kisumu");
	CHECK_INT(uses_left(dir, code2), 1);
	/* A retry still needs the code: a bad MAC is refused even for a known key. */
	{
		struct mac_ctx m;
		char cid[6];

		mac_for(&m, code2);
		m.mac[0] ^= 1;
		code_id(code, cid);
		CHECK_INT(sstore_enrol(s, cid, check_mac, &m, pk, "x", &d2, err, sizeof(err)), -1);
		CHECK_STR(err, "unknown or used enrolment code, or a MAC that does not match it");
	}
	sstore_close(s);
}

static void test_enrol_bad_input(void)
{
	const char *dir;
	struct sstore *s = fresh("badinput", &dir);
	char code[32], err[512] = "", name[80];
	unsigned char pk[KEYS_PK_BYTES], zero[KEYS_PK_BYTES] = { 0 };
	struct sstore_device d;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(sstore_code_new(s, "kisumu", 5, 0, code, sizeof(code), err, sizeof(err)), 0);
	new_pk(pk);
	memset(name, 'n', 65);
	name[65] = '\0';
	CHECK_INT(enrol(s, code, pk, name, &d, err, sizeof(err)), -1);
	CHECK(strstr(err, "device name") != NULL);
	CHECK_INT(enrol(s, code, pk, "tab\there", &d, err, sizeof(err)), -1);
	CHECK_INT(enrol(s, code, pk, "\xff\xfe", &d, err, sizeof(err)), -1);
	CHECK_INT(enrol(s, code, zero, "zero key", &d, err, sizeof(err)), -1);
	CHECK(strstr(err, "public key") != NULL);
	CHECK_INT(uses_left(dir, code), 5);
	name[64] = '\0';
	CHECK_INT(enrol(s, code, pk, name, &d, err, sizeof(err)), 0);
	new_pk(pk);
	CHECK_INT(enrol(s, code, pk, "Radio Frontera — équipe 2", &d, err, sizeof(err)), 0);
	CHECK_STR(d.name, "Radio Frontera — équipe 2");
	sstore_close(s);
}

static void test_revoke(void)
{
	const char *dir;
	struct sstore *s = fresh("revoke", &dir);
	char code[32], err[512] = "";
	unsigned char pk[KEYS_PK_BYTES];
	struct sstore_device d, f;
	uint64_t before;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(sstore_code_new(s, "kisumu", 3, 0, code, sizeof(code), err, sizeof(err)), 0);
	new_pk(pk);
	CHECK_INT(enrol(s, code, pk, "lost laptop", &d, err, sizeof(err)), 0);
	before = now_ms();
	CHECK_INT(sstore_device_revoke(s, d.id, err, sizeof(err)), 1);
	CHECK_INT(sstore_device_find(s, d.id, &f, err, sizeof(err)), 1);
	CHECK(f.revoked_ms >= before && f.revoked_ms <= now_ms());
	CHECK_INT(sstore_device_revoke(s, d.id, err, sizeof(err)), 0);
	{
		struct sstore_device g;

		CHECK_INT(sstore_device_find(s, d.id, &g, err, sizeof(err)), 1);
		CHECK_INT(g.revoked_ms, f.revoked_ms);
	}
	err[0] = '\0';
	CHECK_INT(sstore_device_revoke(s, "0123456789abcdef0123456789abcdef", err, sizeof(err)), -1);
	CHECK(strstr(err, "no device") != NULL);
	/* A prefix is not an id here: the command resolves prefixes. */
	CHECK_INT(sstore_device_revoke(s, "0", err, sizeof(err)), -1);
	/* A revoked key cannot come back with the code (which has uses left). */
	CHECK_INT(enrol(s, code, pk, "lost laptop", &f, err, sizeof(err)), -1);
	CHECK(strstr(err, "revoked") != NULL);
	CHECK_INT(uses_left(dir, code), 2);
	sstore_close(s);
}

struct seen_devices {
	int n;
	char ids[8][KEYS_ID_STRLEN + 1];
};

static void on_device(void *ctx, const struct sstore_device *d)
{
	struct seen_devices *sd = ctx;

	if (sd->n < 8)
		snprintf(sd->ids[sd->n], sizeof(sd->ids[0]), "%s", d->id);
	sd->n++;
}

static void test_device_list_order(void)
{
	const char *dir;
	struct sstore *s = fresh("order", &dir);
	char code[32], err[512] = "", want[5][KEYS_ID_STRLEN + 1];
	unsigned char pk[KEYS_PK_BYTES];
	struct sstore_device d;
	struct seen_devices sd = { 0 };
	int i;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_INT(sstore_device_list(s, on_device, &sd, err, sizeof(err)), 0);
	CHECK_INT(sd.n, 0);
	CHECK_INT(sstore_code_new(s, "kisumu", 5, 0, code, sizeof(code), err, sizeof(err)), 0);
	for (i = 0; i < 5; i++) {
		new_pk(pk);
		CHECK_INT(enrol(s, code, pk, "d", &d, err, sizeof(err)), 0);
		snprintf(want[i], sizeof(want[i]), "%s", d.id);
	}
	/* Enrolment order, not id order, even when the clock said otherwise. */
	CHECK_INT(teststore_exec(dir, "UPDATE enrolled_devices SET enrolled = 1000000 - rowid"), 0);
	CHECK_INT(sstore_device_list(s, on_device, &sd, err, sizeof(err)), 0);
	CHECK_INT(sd.n, 5);
	for (i = 0; i < 5 && i < sd.n; i++)
		CHECK_STR(sd.ids[i], want[i]);
	sstore_close(s);
}

struct seen_forms {
	int n;
	char text[512];
};

static void on_form(void *ctx, const char *id, const char *version, const char *json)
{
	struct seen_forms *sf = ctx;
	size_t used = strlen(sf->text);

	snprintf(sf->text + used, sizeof(sf->text) - used, "%s@%s%s ", id, version,
		 strstr(json, "\"questions\"") ? "" : "(no questions)");
	sf->n++;
}

static const char survey_v1[] =
	"{\"id\": \"water\", \"version\": \"1\", \"title\": \"Water points\","
	" \"questions\": [{\"name\": \"site\", \"type\": \"text\", \"label\": \"Site\"}]}";
/* The same definition, written with its keys in another order and other spacing. */
static const char survey_v1_again[] =
	"{\"questions\":[{\"label\":\"Site\",\"type\":\"text\",\"name\":\"site\"}],"
	"\"title\":\"Water points\",\"version\":\"1\",\"id\":\"water\"}";
static const char survey_v1_changed[] =
	"{\"id\": \"water\", \"version\": \"1\", \"title\": \"Water points\","
	" \"questions\": [{\"name\": \"site\", \"type\": \"text\", \"label\": \"Site name\"}]}";
static const char survey_v2[] =
	"{\"id\": \"water\", \"version\": \"2\", \"title\": \"Water points\","
	" \"questions\": [{\"name\": \"site\", \"type\": \"text\", \"label\": \"Site name\"},"
	" {\"name\": \"working\", \"type\": \"integer\", \"label\": \"Taps working\"}]}";
static const char survey_bad[] =
	"{\"id\": \"water\", \"version\": \"3\", \"title\": \"Water points\","
	" \"questions\": [{\"name\": \"taps\", \"type\": \"integer\", \"label\": \"Taps\", \"constraint\": \". >\"}]}";
static const char survey_early[] =
	"{\"id\": \"clinics\", \"version\": \"2026.1\", \"title\": \"Clinics\","
	" \"questions\": [{\"name\": \"beds\", \"type\": \"integer\", \"label\": \"Beds\"}]}";

static void test_form_publish(void)
{
	const char *dir;
	struct sstore *s = fresh("forms", &dir);
	char err[512] = "";
	struct seen_forms sf = { 0, "" };

	CHECK(s != NULL);
	if (!s)
		return;
	/* init published the built-in form. */
	CHECK_INT(sstore_form_list(s, on_form, &sf, err, sizeof(err)), 0);
	CHECK_STR(sf.text, "partnership@2 ");
	CHECK_INT(sstore_form_publish(s, survey_v1, strlen(survey_v1), err, sizeof(err)), 0);
	CHECK_INT(sstore_form_publish(s, survey_v1, strlen(survey_v1), err, sizeof(err)), 0);
	CHECK_INT(sstore_form_publish(s, survey_v1_again, strlen(survey_v1_again), err, sizeof(err)), 0);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM forms WHERE id = 'water'", NULL), 1);
	err[0] = '\0';
	CHECK_INT(sstore_form_publish(s, survey_v1_changed, strlen(survey_v1_changed), err, sizeof(err)), -1);
	CHECK(strstr(err, "already published with a different definition") != NULL);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM forms WHERE id = 'water'", NULL), 1);
	CHECK_INT(sstore_form_publish(s, survey_v2, strlen(survey_v2), err, sizeof(err)), 0);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM forms WHERE id = 'water'", NULL), 2);
	/* A bad form: refused with the question and the problem, nothing stored. */
	err[0] = '\0';
	CHECK_INT(sstore_form_publish(s, survey_bad, strlen(survey_bad), err, sizeof(err)), -1);
	CHECK(strstr(err, "taps") != NULL);
	CHECK(strstr(err, "constraint") != NULL);
	CHECK_INT(sstore_form_publish(s, "{\"id\": \"water\"", 15, err, sizeof(err)), -1);
	CHECK_INT(sstore_form_publish(s, "", 0, err, sizeof(err)), -1);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM forms WHERE id = 'water'", NULL), 2);
	/* The list: one line per form, at its newest version, by id. */
	CHECK_INT(sstore_form_publish(s, survey_early, strlen(survey_early), err, sizeof(err)), 0);
	sf.n = 0;
	sf.text[0] = '\0';
	CHECK_INT(sstore_form_list(s, on_form, &sf, err, sizeof(err)), 0);
	CHECK_STR(sf.text, "clinics@2026.1 partnership@2 water@2 ");
	/* Publishing version 1 again changes nothing, so version 2 stays the newest. */
	CHECK_INT(sstore_form_publish(s, survey_v1, strlen(survey_v1), err, sizeof(err)), 0);
	sf.text[0] = '\0';
	CHECK_INT(sstore_form_list(s, on_form, &sf, err, sizeof(err)), 0);
	CHECK_STR(sf.text, "clinics@2026.1 partnership@2 water@2 ");
	sstore_close(s);
}

static void test_schema(void)
{
	const char *dir;
	struct sstore *s = fresh("schema", &dir);
	char v[64];

	CHECK(s != NULL);
	sstore_close(s);
	CHECK_STR(q_text(dir, "SELECT value FROM meta WHERE key = 'schema'", NULL, v, sizeof(v)), "10");
	CHECK(q_int(dir, "SELECT value FROM meta WHERE key = 'created'", NULL) > 1700000000000LL);
	if (teststore_pg()) {
		/* The same tables in the store's schema, and the feed of several writers (layout 10). */
		CHECK_INT(q_int(dir, "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
				" AND table_type = 'BASE TABLE' AND table_name IN ('devices', 'records', 'ops', 'op_base',"
				" 'multi_heads', 'fields', 'enrolled_devices', 'codes', 'nonces', 'changesets', 'forms',"
				" 'users', 'meta', 'sessions', 'login_failures', 'audit', 'op_authors', 'dup_dismissed',"
				" 'records_fts', 'feed')", NULL), 20);
		CHECK_INT(q_int(dir, "SELECT count(*) FROM information_schema.views WHERE table_schema = current_schema()"
				" AND table_name = 'heads'", NULL), 1);
		return;
	}
	/* The merge tables and every table of the server's own. */
	CHECK_INT(q_int(dir, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('devices',"
			" 'records', 'ops', 'op_base', 'multi_heads', 'fields', 'enrolled_devices', 'codes', 'nonces',"
			" 'changesets', 'forms', 'users', 'meta', 'sessions', 'login_failures', 'audit', 'op_authors',"
			" 'dup_dismissed', 'records_fts')", NULL), 19);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM sqlite_schema WHERE type = 'view' AND name = 'heads'", NULL), 1);
	CHECK_STR(q_text(dir, "PRAGMA journal_mode", NULL, v, sizeof(v)), "wal");
}

/* Layout 9 to 10: on PostgreSQL the feed of several writers is added (FEED_PG), under the upgrade's lock; on SQLite
 * the layout's number moves alone. */
static void test_upgrade_from_layout_9(void)
{
	const char *dir;
	struct sstore *s = fresh("upgrade9", &dir);
	char v[64], err[512] = "";

	CHECK(s != NULL);
	sstore_close(s);
	if (teststore_pg())
		CHECK_INT(teststore_exec(dir, "DROP TRIGGER ops_feed ON ops; DROP TRIGGER changesets_feed ON changesets;"
					 " DROP FUNCTION sondeo_feed(); DROP TABLE feed; ALTER TABLE ops DROP COLUMN pos;"
					 " ALTER TABLE changesets DROP COLUMN pos"), 0);
	CHECK_INT(teststore_exec(dir, "UPDATE meta SET value = '9' WHERE key = 'schema'"), 0);
	s = sstore_open(dir, err, sizeof(err));
	CHECK(s != NULL);
	sstore_close(s);
	CHECK_STR(q_text(dir, "SELECT value FROM meta WHERE key = 'schema'", NULL, v, sizeof(v)), "10");
	if (teststore_pg()) {
		CHECK_INT(q_int(dir, "SELECT count(*) FROM feed", NULL), 1);
		CHECK_INT(q_int(dir, "SELECT count(*) FROM information_schema.columns WHERE table_schema = current_schema()"
				" AND column_name = 'pos' AND table_name IN ('ops', 'changesets')", NULL), 2);
	}
}

/* A data directory of layout 1 (as sondeod 0.1 made it) is brought up to layout 2 when opened, and what it
 * held is indexed for the review page. */
static void test_upgrade_from_layout_1(void)
{
	const char *dir;
	struct sstore *s = fresh("upgrade", &dir);
	char v[64], err[512] = "";
	sqlite3 *db = NULL;

	CHECK(s != NULL);
	sstore_close(s);
	if (teststore_pg()) {
		/* A store in PostgreSQL is made at layout 9 or later: none was ever at layout 1. */
		printf("# skipped on PostgreSQL: an upgrade from layout 1\n");
		return;
	}
	CHECK_INT(sqlite3_open_v2(path_of(dir, "server.db"), &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "DROP VIEW form_partnership; DROP TRIGGER relay_changeset; DROP TRIGGER relay_enrol;"
				   " DROP TRIGGER relay_adopt;"
			       " DROP TRIGGER relay_revoke; DROP TABLE relay_queue; DROP INDEX changesets_region;"
			       " DROP INDEX record_regions_form; DROP INDEX record_choices_choice; DROP INDEX fields_by_number; DROP TABLE sessions; DROP TABLE login_failures; DROP TABLE audit;"
			       " DROP TABLE op_authors; DROP TABLE dup_dismissed; DROP TABLE records_fts;"
			       " DROP INDEX record_regions_dupkey; DROP INDEX fields_by_field;"
			       " ALTER TABLE record_regions DROP COLUMN fts;"
			       " ALTER TABLE record_regions DROP COLUMN review; ALTER TABLE record_regions DROP COLUMN namekey;"
			       " ALTER TABLE record_regions DROP COLUMN dupkey; ALTER TABLE record_regions DROP COLUMN device;"
			       " DROP TABLE record_choices; DROP TABLE record_counts;"
			       " DROP TABLE choice_counts; ALTER TABLE record_regions DROP COLUMN counted;"
			       " ALTER TABLE record_regions DROP COLUMN form; ALTER TABLE record_regions DROP COLUMN day;"
			       " ALTER TABLE record_regions DROP COLUMN conflict; ALTER TABLE record_regions DROP COLUMN deleted;"
			       " ALTER TABLE codes DROP COLUMN relay; ALTER TABLE enrolled_devices DROP COLUMN relay;"
			       " ALTER TABLE enrolled_devices DROP COLUMN via;"
			       " ALTER TABLE enrolled_devices DROP COLUMN upstream; ALTER TABLE record_regions DROP COLUMN rep;"
			       " ALTER TABLE enrolled_devices DROP COLUMN altered;"
			       " ALTER TABLE enrolled_devices DROP COLUMN clock_off;"
			       " ALTER TABLE enrolled_devices DROP COLUMN clock_off_at; DROP TABLE altered_changesets;"
			       " ALTER TABLE changesets DROP COLUMN region; ALTER TABLE changesets DROP COLUMN via;"
			       " ALTER TABLE changesets DROP COLUMN author;"
			       " UPDATE meta SET value = '1' WHERE key = 'schema';"
			       /* Every head had its row then, and a field from before values were kept once
				* names no op (fields.op 0). */
			       " DROP VIEW heads; DROP TABLE multi_heads;"
			       " CREATE TABLE heads(rid INTEGER NOT NULL, field TEXT NOT NULL, op INTEGER NOT NULL,"
			       "  PRIMARY KEY(rid, field, op)) WITHOUT ROWID;"
			       " INSERT INTO devices(did, id) VALUES(1, 'f2b0c3a1d4e5f60718293a4b5c6d7e8f');"
			       " INSERT INTO records(id, form, form_version, created, updated) VALUES"
			       "  ('0a9ea3ab-8ee7-4a39-8e3b-2a0b5a4c3a10', 'partnership', '2', 1, 1);"
			       " INSERT INTO record_regions(rid, region) VALUES(1, 'north');"
			       " INSERT INTO ops(id, did, seq, hlc, rid, form_version, field, value) VALUES"
			       "  (1, 1, 1, 1, 1, '2', 'partner_name', '\"Radio Frontera\"'),"
			       "  (2, 1, 2, 1, 1, '2', 'level', ''), (3, 1, 3, 1, 1, '2', 'country', '\"KEN\"'),"
			       "  (4, 1, 4, 1, 1, '2', 'country', '\"UGA\"');"
			       " INSERT INTO heads(rid, field, op) VALUES(1, 'partner_name', 1), (1, 'level', 2),"
			       "  (1, 'country', 3), (1, 'country', 4);"
			       " INSERT INTO fields(rid, field, value, hlc, did) VALUES(1, 'partner_name',"
			       "  '\"Radio Frontera\"', 1, 1);"
			       " INSERT INTO fields(rid, field, value, hlc, did, op) VALUES(1, 'level', '\"local\"', 1, 1, 2);"
			       " INSERT INTO fields(rid, field, value, hlc, did, conflict, op) VALUES(1, 'country',"
			       "  '\"UGA\"', 1, 1, 1, 4);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	s = sstore_open(dir, err, sizeof(err));
	CHECK(s != NULL);
	if (!s)
		printf("#   %s\n", err);
	sstore_close(s);
	CHECK_STR(q_text(dir, "SELECT value FROM meta WHERE key = 'schema'", NULL, v, sizeof(v)), "10");
	/* The analysts' views come with the upgrade, for the forms published before it. */
	CHECK_INT(q_int(dir, "SELECT count(*) FROM sqlite_schema WHERE type = 'view' AND name = 'form_partnership'", NULL), 1);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM meta WHERE key = 'reindex'", NULL), 0);
	CHECK_INT(q_int(dir, "SELECT count(*) FROM sqlite_schema WHERE name = 'fields_by_number' AND sql LIKE"
			" '%value >= ''-'' AND value < '':''%'", NULL), 1);
	/* The same heads, a single one kept as the op its field shows. */
	CHECK_STR(q_text(dir, "SELECT group_concat(field || '=' || op, ' ') FROM (SELECT * FROM heads ORDER BY 2, 3)",
			 NULL, v, sizeof(v)), "country=3 country=4 level=2 partner_name=1");
	CHECK_STR(q_text(dir, "SELECT group_concat(field || '=' || op, ' ') FROM (SELECT * FROM multi_heads"
			 " ORDER BY 2, 3)", NULL, v, sizeof(v)), "country=3 country=4 partner_name=1");
	CHECK_STR(q_text(dir, "SELECT namekey FROM record_regions WHERE rid = 1", NULL, v, sizeof(v)), "radio frontera");
	CHECK_STR(q_text(dir, "SELECT review FROM record_regions WHERE rid = 1", NULL, v, sizeof(v)), "pending");
	/* Counted for the dashboard as a record of its form, on its day. */
	CHECK_INT(q_int(dir, "SELECT n FROM record_counts WHERE form = 'partnership' AND region = 'north'", NULL), 1);
	CHECK_INT(q_int(dir, "SELECT rowid FROM records_fts WHERE records_fts MATCH 'frontera'", NULL), 1);
}

/* A stored value read without the parser (strings, lists of strings, whole numbers) is what the parser reads;
 * anything else is left to it. */
static void test_value_json(void)
{
	static const char *const texts[] = {
		"\"x\"", "\"\"", "\"caf\xc3\xa9\"", "12", "-3", "0", "true", "null", "[]", "[\"a\"]", "[\"a\",\"b c\"]",
		"[\"\",\"\"]", "[\"a\",]", "[,\"a\"]", "[\"a\" ,\"b\"]", "[\"a\\\"b\"]", "[\"a\",1]", "[\"a\"", "[\"a\"]]",
		"[\"a\",,\"b\"]", "[\"a\"\"b\"]", "{\"a\":1}", "1.5", "\"a\\nb\"",
	};
	size_t i;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		json_t *fast = sstore_value_json(texts[i], strlen(texts[i]));
		json_t *full = json_loadb(texts[i], strlen(texts[i]), JSON_DECODE_ANY, NULL);

		if (!fast != !full || (fast && !json_equal(fast, full))) {
			printf("#   %s: read as %s, the parser reads %s\n", texts[i], fast ? "a value" : "nothing",
			       full ? "a value" : "nothing");
			CHECK(0);
		}
		json_decref(fast);
		json_decref(full);
	}
}

int main(void)
{
	/* Before sodium_init, as libsodium requires. */
	randombytes_set_implementation(&rng);
	snprintf(top, sizeof(top), "%s/test_sstore.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (sodium_init() < 0 || !mkdtemp(top)) {
		perror("test_sstore setup");
		return 1;
	}
	RUN(test_value_json);
	RUN(test_init_makes_private_files);
	RUN(test_init_twice_refuses);
	RUN(test_init_refuses_other_things);
	RUN(test_admin_password);
	RUN(test_open_refusals);
	RUN(test_schema);
	RUN(test_upgrade_from_layout_1);
	RUN(test_upgrade_from_layout_9);
	RUN(test_code_format);
	RUN(test_code_refusals);
	RUN(test_region_check);
	RUN(test_codes_unique_and_spread);
	RUN(test_code_id_collision_redraws);
	RUN(test_enrol_good_mac);
	RUN(test_enrol_bad_mac);
	RUN(test_enrol_unknown_code);
	RUN(test_enrol_expired);
	RUN(test_enrol_uses_exhausted);
	RUN(test_enrol_same_key_twice);
	RUN(test_enrol_bad_input);
	RUN(test_revoke);
	RUN(test_device_list_order);
	RUN(test_form_publish);
	rm_rf(top);
	return test_done();
}
