/* pqlib.h - libpq, PostgreSQL's client library, loaded when a program first opens a PostgreSQL store rather than
 * linked: only a headquarters that asks for PostgreSQL uses it, and neither sondeo nor a server on SQLite should
 * carry it (as mhdlib.h keeps libmicrohttpd out of every start). Debian ships libpq.so.5 as libpq5, which
 * libpq-dev (the header, for the functions' types) brings.
 *
 * The functions are called through the table: pq.exec(...) for PQexec(...). A call before pq_load has returned 0
 * is a bug. */
#ifndef SONDEO_PQLIB_H
#define SONDEO_PQLIB_H

#include <stddef.h>

#include <libpq-fe.h>

#define PQLIB_FUNCS(X) \
	X(connectdb) X(finish) X(status) X(errorMessage) X(exec) X(prepare) X(execPrepared) X(resultStatus) \
	X(resultErrorField) X(resultErrorMessage) X(clear) X(ntuples) X(nfields) X(getvalue) X(getlength) \
	X(getisnull) X(ftype) X(cmdTuples) X(cmdStatus) X(transactionStatus) X(unescapeBytea) X(freemem) \
	X(setClientEncoding) X(setNoticeProcessor) X(describePrepared) X(execParams) X(reset) \
	X(consumeInput) X(enterPipelineMode) X(exitPipelineMode) X(pipelineSync) X(sendQueryPrepared) X(getResult) \
	X(sendQueryParams) X(nparams) X(paramtype)

#define PQLIB_MEMBER(name) __typeof__(&PQ##name) name;
struct pq_api { PQLIB_FUNCS(PQLIB_MEMBER) };
#undef PQLIB_MEMBER

/* The functions loaded; read only after a load that returned 0. */
extern struct pq_api pq;

/* Loads libpq.so.5 once per process: 0, or -1 with err naming the library and its Debian package (libpq5). */
int pq_load(char *err, size_t errlen);

#endif
