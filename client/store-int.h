/* store-int.h - the inside of the device's store, shared by the files that implement store.h: store.c (set-up,
 * meta, transactions, clock, forms), store-records.c (one record), store-query.c (selections, history, counts),
 * store-sync.c (ops to push, ops pulled) and store-media.c (attachments' files). Nothing outside these files includes it. */
#ifndef SONDEO_STORE_INT_H
#define SONDEO_STORE_INT_H


#include "keys.h"
#include "merge.h"
#include "store.h"

/* Each file keeps the statements it runs often in a table of its own, prepared when the store opens. */
#define STORE_CORE_STMTS 1
#define STORE_RECORDS_STMTS 11
#define STORE_SYNC_STMTS 5

extern const char *const store_records_sql[STORE_RECORDS_STMTS];
extern const char *const store_sync_sql[STORE_SYNC_STMTS];

struct store {
	char *dir;
	struct dbstore *base; /* the file, meta and forms (dbstore.h) */
	struct db *db;          /* base's connection */
	struct merge *merge;
	char device[KEYS_ID_STRLEN + 1];
	char *name;
	uint64_t next_seq;   /* loaded by store_begin, saved by store_commit */
	uint64_t last_hlc;
	struct keys *keys;   /* loaded on first use */
	struct op *ops;      /* room for one record's first ops, reused: an op carries its whole base */
	size_t ops_cap;
	struct db_stmt *st[STORE_CORE_STMTS];      /* store.c's */
	struct db_stmt *rst[STORE_RECORDS_STMTS];  /* store-records.c's */
	struct db_stmt *yst[STORE_SYNC_STMTS];     /* store-sync.c's */
	int media_lock;      /* DIR/media/.lock, held shared while open (store-media.c), or -1 */
};

/* store-media.c: takes the media lock, and sweeps what nothing names when alone with the store. -1 with err. */
int store_media_open(struct store *s, char *err, size_t errlen);
/* Sweeps when alone, and lets the lock go. */
void store_media_close(struct store *s);

/* The columns a struct store_record is read from, of records r, in the order store_record_read takes them. */
#define STORE_RECORD_COLUMNS \
	"r.id, r.form, r.form_version, r.draft, r.deleted, r.conflicts, r.created, r.updated, r.rid"
/* store-records.c: fills rec from a row of STORE_RECORD_COLUMNS starting at column 0. */
void store_record_read(struct db_stmt *st, struct store_record *rec);

#endif
