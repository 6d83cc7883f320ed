/* mhdlib.h - libmicrohttpd, loaded when a program first serves HTTP (http_start) rather than linked.
 *
 * Both programs carry the HTTP layer (http.c, http-guard.c, http-pool.c): sondeod serves with it, and sondeo serves
 * a page on loopback for one command. Linked, libmicrohttpd and the GnuTLS stack it brings would be loaded at the
 * start of every command for the sake of that one (or of sondeod serve): a trivial program linked with it starts
 * in about 3 ms on this kind of machine, against 1 ms without. Loaded here, sondeo's commands keep their fast
 * start, as net.c and xlsxlib.h keep it from libcurl, libzip and libxlsxwriter. Debian ships libmicrohttpd.so.12
 * as libmicrohttpd12, which libmicrohttpd-dev (the header, for the functions' types) brings.
 *
 * The functions are called through the table: mhd.start_daemon(...) for MHD_start_daemon(...), each member of the
 * type of the header's own declaration (variadic ones stay variadic). A call before mhd_load has returned 0 is a
 * bug, which the first test of that path shows. */
#ifndef SONDEO_MHDLIB_H
#define SONDEO_MHDLIB_H

#include <stddef.h>

#include <microhttpd.h>

/* X(name) for each function MHD_name called: the HTTP layer's, and http_unescape, with which the review API's fuzz
 * target splits query strings as the server does. */
#define MHDLIB_FUNCS(X) \
	X(start_daemon) X(quiesce_daemon) X(stop_daemon) X(get_daemon_info) X(get_connection_info) \
	X(get_connection_values) X(lookup_connection_value) X(suspend_connection) X(resume_connection) \
	X(create_response_from_buffer) X(create_response_from_callback) X(create_response_from_fd64) X(add_response_header) X(queue_response) \
	X(destroy_response) X(http_unescape)

#define MHDLIB_MEMBER(name) __typeof__(&MHD_##name) name;
struct mhd_api { MHDLIB_FUNCS(MHDLIB_MEMBER) };
#undef MHDLIB_MEMBER

/* The functions loaded; read only after a load that returned 0. */
extern struct mhd_api mhd;

/* Loads libmicrohttpd.so.12 once per process (later calls wait for the first, then return its outcome): 0, or -1
 * with err naming the library and the Debian package that has it (libmicrohttpd12). */
int mhd_load(char *err, size_t errlen);

#endif
