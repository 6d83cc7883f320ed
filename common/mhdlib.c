/* mhdlib.c - libmicrohttpd, loaded on first use (mhdlib.h). */
#include "mhdlib.h"

#include <pthread.h>
#include <stddef.h>

#include "util.h"
#include "banned.h"

struct mhd_api mhd;

#define MHDLIB_SYM(name) { "MHD_" #name, offsetof(struct mhd_api, name) },
static const struct lib_sym syms[] = { MHDLIB_FUNCS(MHDLIB_SYM) };

/* Loaded once, by whichever thread asks first; the others wait for it. */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int load_rc;
static char load_err[512];

static void load(void)
{
	load_rc = lib_load("libmicrohttpd.so.12", "libmicrohttpd12", syms, sizeof(syms) / sizeof(syms[0]), &mhd,
			   sizeof(mhd), load_err, sizeof(load_err)) ? 0 : -1;
}

int mhd_load(char *err, size_t errlen)
{
	pthread_once(&once, load);
	return load_rc < 0 ? errf(err, errlen, "%s", load_err) : 0;
}
