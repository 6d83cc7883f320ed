/* remote.h - signed requests from this device to the server it is enrolled with (PROTOCOL.md, "Signed
 * requests" and "Signed responses").
 *
 * The server's address, its pinned key and the CA file come from the store. A request refused for clock skew
 * is retried once with the offset the server's time shows, and the offset is remembered.
 *
 * A device enrolled at a regional server also knows headquarters (docs/relay-design.md, "A device that changes
 * servers"): its address and key come in the regional server's signed forms answer and are kept under the
 * meta prefix "hq_", with headquarters' own cursors, so that sync can turn to it when the region's server
 * cannot be reached. */
#ifndef SONDEO_REMOTE_H
#define SONDEO_REMOTE_H

#include <jansson.h>

#include "net.h"
#include "store.h"

struct remote {
	struct store *s;
	char url[1024];              /* the server's base URL, no trailing slash */
	unsigned char server_pk[KEYS_PK_BYTES];
	char cacert[1024];           /* "" for the system's */
	long long offset_ms;         /* added to our clock to match the server's */
	int verbose;
	const char *prefix;          /* of its meta keys: "" for the server enrolled with, "hq_" for headquarters */
	struct net_conn *conn;       /* kept open between this remote's requests; owned, remote_close frees it */
	int detached;                /* used by a thread other than the store's: remote_call leaves the store alone,
				      * and a clock it corrects waits in clock_pending for remote_clock_save */
	int clock_pending;
};

/* Loads the enrolment from the store. -1 with err if the device is not enrolled. */
int remote_open(struct remote *r, struct store *s, int verbose, char *err, size_t errlen);
/* Loads headquarters, as the regional server made it known: 1 done, 0 when none is known. */
int remote_open_hq(struct remote *r, struct store *s, int verbose);
/* Keeps in the store the clock offset a detached remote_call learned (clock_pending), from the store's thread;
 * nothing when there is none. The store's errors are not the exchange's: they are dropped, and the offset is
 * learned again next time. */
void remote_clock_save(struct remote *r);
/* Closes the connection a remote kept open, if any. The remote may be opened again. */
void remote_close(struct remote *r);
/* The meta key of this server's own value name ("acked_seq" -> "hq_acked_seq"), in out. */
const char *remote_key(const struct remote *r, const char *name, char *out, size_t n);
/* What remote_call checks of a 200's signature: nothing, that it is there and verifies, or that it verifies if it
 * is there (rs->signature is then "" when there was none: nothing of the answer may be trusted for it). */
enum { REMOTE_UNSIGNED = 0, REMOTE_SIGNED = 1, REMOTE_SIGNED_IF_ANY = 2 };
/* Sends a signed request for path ("/v1/..."); on a 200 checks the response's signature with the pinned key as
 * want_signed says. Returns the net status; an unverifiable answer is NET_FAILED with err. */
enum net_status remote_call(struct remote *r, const char *method, const char *path, const void *body,
			    size_t body_len, const char *content_type, int want_signed, struct net_response *rs,
			    char *err, size_t errlen);
/* Downloads the server's forms (signed) and installs them in one transaction, with headquarters' address and
 * key when the server is a regional one. Returns how many, or -1 with err; *st says whether the server was
 * reached. */
int remote_forms(struct remote *r, enum net_status *st, char *err, size_t errlen);

/* A /v1/forms answer read, before anything is installed: {"forms": [DEFINITION...], "upstream": {"url", "key"}}
 * (upstream from a regional server only). */
struct remote_forms {
	json_t *root;                 /* owned */
	const json_t *forms;          /* the array of definitions, in root; each still to be checked (form_load) */
	const char *up_url, *up_key;  /* headquarters, an http(s) URL and 64 lowercase hex; NULL when not named */
	int up_bad;                   /* upstream is there but not so */
	const char *tag;              /* the forms' tag (PULL_FORMS_TAG_LEN lowercase hex), or NULL */
};
/* Reads body[0..len) (duplicate keys refused). 0 with out filled (release it with remote_forms_release), or -1
 * with err when it is no list of forms. */
int remote_forms_read(const char *body, size_t len, struct remote_forms *out, char *err, size_t errlen);
void remote_forms_release(struct remote_forms *rf);

#endif
