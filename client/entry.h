/* entry.h - answers that arrive from the command line or from files, checked before anything is saved.
 *
 * Every problem is printed to stderr as "WHERE: QUESTION 'VALUE': message", where WHERE names the source
 * (--set, or FILE:LINE), and counted; callers save nothing when the count is not zero. */
#ifndef SONDEO_ENTRY_H
#define SONDEO_ENTRY_H

#include <jansson.h>
#include <stddef.h>

#include "form.h"

#define ENTRY_MAX_FILE ((size_t)256 << 20)   /* bytes in one --from file */

/* One record's worth of input. */
struct entry {
	json_t *answers;    /* question name -> value; owned */
	json_t *bad;        /* names whose value could not be read (already reported); owned */
	json_t *named;      /* attachments a file gave as answers naming a file (entry_attach checks it is here) */
	int unreadable;     /* the whole row or object could not be read (already reported) */
	char where[300];    /* "--set", "people.csv:4", "people.json:12" */
};

/* Sets up e with answers (a new reference is taken; NULL for none) and where. */
void entry_init(struct entry *e, json_t *answers, const char *where);
/* Applies NAME=VALUE strings to e (an empty VALUE clears the answer); an attachment's VALUE is the path of its file,
 * '@' before it or not, read by entry_attach. Returns the number of errors. */
int entry_apply_sets(const struct form *f, struct entry *e, char **sets, size_t nsets);
/* Reads records from path ("-" for standard input): CSV with a header row of question names, a JSON object,
 * or a JSON array of objects (told apart by the first character). Columns and keys starting with '_' are
 * metadata (as in Sondeo's own exports) and skipped. *out is an array of the *n entries read, even when
 * some values could not be read (they are in each entry's bad set), so that every record can still be
 * checked; the caller releases it with entry_free(). Returns the number of errors printed, or -1 if the
 * file could not be read at all. */
int entry_load(const struct form *f, const char *path, struct entry **out, size_t *n);
/* The same for the len bytes at data (NUL-terminated at data[len], as buf.h keeps them), named name in the
 * messages. */
int entry_load_data(const struct form *f, const char *name, const char *data, size_t len, struct entry **out,
		    size_t *n);
/* Releases n entries and the array. */
void entry_free(struct entry *e, size_t n);
/* Reads the files e's attachments name (their paths relative to dir, or to the current folder when dir is NULL)
 * into the store s, and makes each answer the one naming its file (media.h); an answer that already names a file
 * must name one this laptop has. Not inside a transaction (store_media_add). Returns the number of errors printed.
 * A file kept for a record that is then refused is swept when the store is next alone (store-media.c). */
struct store;
int entry_attach(const struct form *f, struct entry *e, struct store *s, const char *dir);
/* Checks e's answers against the form (relevance, constraints, and required unless draft), printing every
 * problem except for the questions already reported as unreadable. Returns the number of problems. before is,
 * for an edit of a final record, its answers as they were (else NULL): a problem the record already had, in an
 * answer the edit left as it was, is printed as kept and not counted (the edit did not make it). */
int entry_check(const struct form *f, const struct entry *e, const json_t *before, const char *lang, int draft);

#endif
