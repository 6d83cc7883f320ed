/* review.h - a record's review: the value of its `_review` field, {"status": STATE, "comment": TEXT}, written by
 * reviewers at a server and synced like any answer. The one list of its states. */
#ifndef SONDEO_REVIEW_H
#define SONDEO_REVIEW_H

/* 1 if s is a review state: pending, approved, has_issues or rejected. */
int review_state_valid(const char *s);
/* A state's words for people in this thread's language ("has_issues" -> "has issues" in English); the code itself
 * if it is not a state. The stored codes never change: this is only for showing them. */
const char *review_status_text(const char *code);

#endif
