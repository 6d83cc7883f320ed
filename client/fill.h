/* fill.h - a record being filled in, whichever way its answers come (the terminal's prompt, the browser's page):
 * each answer saved at once with everything it implies, so that closing the page or a crash loses nothing. */
#ifndef SONDEO_FILL_H
#define SONDEO_FILL_H

#include <jansson.h>
#include <stddef.h>

#include "form.h"
#include "store.h"

struct fill {
	struct store *s;
	const struct form *f;
	struct store_record *rec;           /* the record; set by fill_create when the first answer makes it */
	int created;                        /* the record exists in the store */
	const struct form_group *scope;     /* the repeat whose instance this is, or NULL for a record */
	const char *parent;                 /* with scope: the id of the record it belongs to */
	json_t *answers;                    /* what is saved, kept in step with the store; owned */
	const char *username;               /* who collects it (XLSForm's username): NULL for the device's name; a
					     * phone's name at sondeo web's field hub */
	const char *lang;                   /* the language the form is read in, for what its calculations write
					     * (jr:choice-name()); NULL: the form's default language */
};

/* Creates the record as a draft now (an instance names its parent and repeat), in a transaction of its own: the
 * first answer does it, and a repeat's instances need their record to exist. Nothing is done if it exists. */
int fill_create(struct fill *fl, char *err, size_t errlen);
/* Saves value (NULL clears; borrowed) as q's answer with everything it implies, worked out by form_settle from the
 * answers as they now are: calculations, metadata and readonly values, and answers no longer asked cleared, so that
 * what is shown next (a note, a label naming an answer, whether a question is asked at all) follows this answer.
 * q NULL saves only what the answers imply; final: the record is being finalized (end is set). One transaction,
 * creating the record first if needed; a changed result is written like any answer (an op on a final record), an
 * unchanged one not at all. 0, or -1 with err and nothing saved (fl->answers as before). */
int fill_save(struct fill *fl, const struct form_question *q, const json_t *value, int final, char *err,
	      size_t errlen);
/* Finalizes the draft: its last answers saved (end is set), then one op per answer. 0, or -1 with err. */
int fill_finalize(struct fill *fl, char *err, size_t errlen);
/* Works record id out again (form_settle, in a transaction of its own) with its repeats' instances as they now
 * are, and saves what changed (an op on a final record): what a record fills in from its instances (sum(),
 * count()...) follows an instance added, changed or deleted. An instance's own record is then worked out too,
 * and so up. 0, or -1 with err. */
int fill_resettle(struct store *s, const struct form *f, const char *id, const struct form_env *env, char *err,
		  size_t errlen);
/* The same for record id, with the newest version of its form the store holds: after a deletion, whose record
 * is known by its id alone. 0, or -1 with err. */
int fill_resettle_id(struct store *s, const char *id, const struct form_env *env, char *err, size_t errlen);
/* The record instance id belongs to (a new string the caller frees), or NULL for a record (or one not read). */
char *fill_parent_of(struct store *s, const char *id);

#endif
