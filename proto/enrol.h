/* enrol.h - the enrolling side of POST /v1/enrol (PROTOCOL.md, "Enrolment codes and MACs"): a device, or a
 * regional server enrolling at headquarters, proves that it holds a one-time code and pins the key of the server
 * that made the code. */
#ifndef SONDEO_ENROL_H
#define SONDEO_ENROL_H

#include <stddef.h>

#include "auth.h"
#include "keys.h"
#include "net.h"

struct enrol_result {
	char device[KEYS_ID_STRLEN + 1];           /* the id the server enrolled: the key's own */
	char region[AUTH_NAME_MAX + 1];
	unsigned char server_pk[KEYS_PK_BYTES];    /* the server's key, proven by the answer's MAC */
	char server_key[2 * KEYS_PK_BYTES + 1];    /* the same, hex */
};

/* Enrols key pair k under name at the server url (no trailing slash) with code, as typed (any case, with or
 * without dashes). relay: as a regional server, which needs a relay code. cacert: a PEM file for a server with
 * its own certificate, or NULL. Returns 0 with out filled once the answer's MAC, under the same code, covers
 * this request's nonce, the server's key, and k's id. Otherwise -1 with err, and *st says whether the server
 * answered (NET_OK: it refused, or its answer does not prove it made the code) or could not be reached. */
int enrol_exchange(const char *url, const char *code, const struct keys *k, const char *name, int relay,
		   const char *cacert, int verbose, struct enrol_result *out, enum net_status *st, char *err,
		   size_t errlen);

/* Reads the server's answer body[0..len) to an enrolment request that carried nonce, under the code's MAC key:
 * {"device", "region", "server_key", "mac"}, whose MAC must cover the nonce, the server's key, the device id and
 * the region (auth_enrol_answer_text), and whose device must be k's id. 0 with out filled; -1 when the answer
 * does not prove that its server made the code; -2 when it enrolled another device; err says which. */
int enrol_answer_read(const char *body, size_t len, const unsigned char key[AUTH_KEY_BYTES], const char *nonce,
		      const struct keys *k, struct enrol_result *out, char *err, size_t errlen);

#endif
