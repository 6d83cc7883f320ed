/* review.c - a record's review states (review.h). */
#include "review.h"

#include <string.h>

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
