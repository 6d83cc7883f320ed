/* review.c - a record's review states (review.h). */
#include "review.h"

#include <string.h>

#include "i18n.h"
#include "banned.h"

static const char *const states[] = { "pending", "approved", "has_issues", "rejected" };

int review_state_valid(const char *s)
{
	size_t i;

	for (i = 0; s && i < sizeof(states) / sizeof(states[0]); i++)
		if (!strcmp(s, states[i]))
			return 1;
	return 0;
}

const char *review_status_text(const char *code)
{
	if (!strcmp(code, "pending"))
		/* TRANSLATORS: a record's review status, shown beside it: not reviewed yet. French and Spanish agree
		 * with the record ("fiche", "registro"), as do the other statuses. */
		return C_("review status", "pending");
	if (!strcmp(code, "approved"))
		/* TRANSLATORS: a record's review status. */
		return C_("review status", "approved");
	if (!strcmp(code, "has_issues"))
		/* TRANSLATORS: a record's review status: the reviewer found something to correct. */
		return C_("review status", "has issues");
	if (!strcmp(code, "rejected"))
		/* TRANSLATORS: a record's review status. */
		return C_("review status", "rejected");
	return code;
}
