/* pqlib.c - libpq, loaded on first use (pqlib.h). */
#include "pqlib.h"

#include <pthread.h>
#include <stddef.h>

#include "util.h"
#include "banned.h"

struct pq_api pq;

#define PQLIB_SYM(name) { "PQ" #name, offsetof(struct pq_api, name) },
static const struct lib_sym syms[] = { PQLIB_FUNCS(PQLIB_SYM) };

/* Loaded once, by whichever thread asks first; the others wait for it. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int load_rc;
static char load_err[512];

static void load(void)
{
	load_rc = lib_load("libpq.so.5", "libpq5", syms, sizeof(syms) / sizeof(syms[0]), &pq, sizeof(pq), load_err,
			   sizeof(load_err)) ? 0 : -1;
}

int pq_load(char *err, size_t errlen)
{
	pthread_once(&once, load);
	return load_rc < 0 ? errf(err, errlen, "%s", load_err) : 0;
}
