/* sstore-review.c - what the review page reads, and the server's own signed ops (sstore.h). */
#include "sstore.h"
#include "sstore-int.h"
#include "banned.h"

const char *const sstore_review_sql[SSTORE_REVIEW_STMTS] = { NULL };
