/* xlsxlib.c - libzip and libxlsxwriter, loaded on first use (xlsxlib.h). */
#define XLSXLIB_LOADER
#include "xlsxlib.h"

#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "util.h"
#include "banned.h"

struct xlsxlib_zip xlsxlib_zip;
struct xlsxlib_lxw xlsxlib_lxw;

#define SYM_ZIP(name) { #name, offsetof(struct xlsxlib_zip, name) },
#define SYM_LXW(name) { #name, offsetof(struct xlsxlib_lxw, name) },
static const struct lib_sym zip_syms[] = { XLSXLIB_ZIP_FUNCS(SYM_ZIP) };
static const struct lib_sym lxw_syms[] = { XLSXLIB_LXW_FUNCS(SYM_LXW) };

/* Each library is loaded once per process, by whichever thread asks first; the others wait for it. */
static pthread_once_t zip_once = PTHREAD_ONCE_INIT, lxw_once = PTHREAD_ONCE_INIT;
static int zip_rc, lxw_rc;
static char zip_err[512], lxw_err[512];

static void zip_load(void)
{
	zip_rc = lib_load("libzip.so.4", "libzip4", zip_syms, sizeof(zip_syms) / sizeof(zip_syms[0]), &xlsxlib_zip,
			  sizeof(xlsxlib_zip), zip_err, sizeof(zip_err)) ? 0 : -1;
}

static void lxw_load(void)
{
	lxw_rc = lib_load("libxlsxwriter.so.4", "libxlsxwriter4", lxw_syms, sizeof(lxw_syms) / sizeof(lxw_syms[0]),
			  &xlsxlib_lxw, sizeof(xlsxlib_lxw), lxw_err, sizeof(lxw_err)) ? 0 : -1;
}

int xlsxlib_load_zip(char *err, size_t errlen)
{
	pthread_once(&zip_once, zip_load);
	return zip_rc < 0 ? errf(err, errlen, "%s", zip_err) : 0;
}

int xlsxlib_load_lxw(char *err, size_t errlen)
{
	pthread_once(&lxw_once, lxw_load);
	return lxw_rc < 0 ? errf(err, errlen, "%s", lxw_err) : 0;
}
