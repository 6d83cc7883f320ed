/* prompt.h - filling a record at the terminal, one question at a time, saving each answer as it is given. */
#ifndef SONDEO_PROMPT_H
#define SONDEO_PROMPT_H

#include "form.h"
#include "store.h"

/* Asks every relevant question of f in order and saves each confirmed answer at once (a new record is
 * created as a draft with the first answer). rec is the record to edit, or NULL for a new one; on return it
 * holds the record. Returns 0 when the person finished (finalized or kept as draft), 1 if they stopped early
 * (end of input), -1 on a store error (printed). */
int prompt_fill(struct store *s, const struct form *f, struct store_record *rec, int is_new, const char *lang);

#endif
