/* form-osm.c - osm answers: an OpenStreetMap feature and its tags, read from what a person typed and taken apart
 * again for exports. */
#include "form.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "form-priv.h"
#include "i18n.h"
#include "util.h"

#include "banned.h"

/* An OpenStreetMap feature as node/N, way/N or relation/N, or a link to it (https://www.openstreetmap.org/way/N,
 * whatever follows: #map=..., /history), or as n123, w123, r123 (JOSM's way): written as "way/N" into out. 0 if it
 * is none of these. */
static int osm_feature(const char *s, size_t n, char *out, size_t outn)
{
	static const char *const kinds[] = { "node", "way", "relation" };
	size_t k, i, at = (size_t)-1, kind = 0;
	unsigned long long id = 0;

	for (k = 0; k < 3; k++) {
		size_t kl = strlen(kinds[k]);

		/* the last "kind/" that starts the text or follows a '/' */
		for (i = 0; i + kl + 1 < n; i++)
			if (!memcmp(s + i, kinds[k], kl) && s[i + kl] == '/' && (i == 0 || s[i - 1] == '/') &&
			    (at == (size_t)-1 || i + kl + 1 > at)) {
				at = i + kl + 1;
				kind = k;
			}
	}
	if (at == (size_t)-1 && n >= 2 && strchr("nwrNWR", s[0]) && form_is_digit(s[1])) {
		at = 1;
		kind = s[0] == 'n' || s[0] == 'N' ? 0 : s[0] == 'w' || s[0] == 'W' ? 1 : 2;
	}
	if (at == (size_t)-1 || at >= n)
		return 0;
	for (i = at; i < n && form_is_digit(s[i]); i++) {
		if (i - at == 19)
			return 0;
		id = id * 10 + (unsigned)(s[i] - '0');
	}
	/* A link may go on: ".../way/4242#map=19/-1.29/36.82", ".../node/5/history". */
	if (id == 0 || (i < n && !strchr("#?/", s[i])))
		return 0;
	snprintf(out, outn, "%s/%llu", kinds[kind], id);
	return 1;
}

/* The next part of an osm answer from *pos: up to a ';' that is not doubled, with ";;" read as ';' and the
 * blanks around it dropped, into b. 0 at the end. */
static int osm_next(const char *s, size_t len, size_t *pos, struct buf *b)
{
	size_t i = *pos;

	buf_reset(b);
	if (i >= len)
		return 0;
	for (; i < len; i++) {
		if (s[i] == ';' && i + 1 < len && s[i + 1] == ';') {
			buf_addc(b, ';');
			i++;
		} else if (s[i] == ';') {
			i++;
			break;
		} else {
			buf_addc(b, s[i]);
		}
	}
	*pos = i;
	while (b->len && form_is_blank(b->data[b->len - 1]))
		b->len--;
	buf_addc(b, '\0');
	b->len--;
	return 1;
}

static void osm_escaped(struct buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == ';')
			buf_addc(b, ';');
		buf_addc(b, *v);
	}
}

/* A part of the answer without '=' (or a link): the feature, into feature[0..n) unless another one is there.
 * 0, or -1 with err. */
static int osm_feature_part(const char *p, char *feature, size_t n, char *err, size_t errlen)
{
	char f2[40], qv[64];

	if (!osm_feature(p, strlen(p), f2, sizeof f2))
		return errf(err, errlen, _("'%s' is neither an OpenStreetMap feature (node/N, way/N or relation/N) nor "
					   "a tag (key=value)"), form_quote(p, strlen(p), qv, sizeof qv));
	if (feature[0] && strcmp(feature, f2))
		return errf(err, errlen, _("two features, %s and %s: an answer is about one"), feature, f2);
	strlcpy_s(feature, f2, n);
	return 0;
}

/* The index of q's tag whose key is p[0..kl): as written, else in any case; q->ntags when there is none. */
static size_t osm_tag_find(const struct form_question *q, const char *p, size_t kl)
{
	size_t i, k;

	for (k = 0; k < q->ntags; k++)
		if (strlen(q->tags[k].name) == kl && !memcmp(q->tags[k].name, p, kl))
			break;
	for (i = 0; k == q->ntags && i < q->ntags; i++)
		if (strlen(q->tags[i].name) == kl && !strncasecmp(q->tags[i].name, p, kl))
			k = i;
	return k;
}

/* A part "key=value" (eq at its '='): the value into vals[] at its tag's place, a tag with choices taking the
 * choice's name. 1 when a value was taken, 0 for "key=" (the tag left out), -1 or ERR_OOM with err. */
static int osm_tag_part(const struct form_question *q, const char *p, const char *eq, char **vals, char *err,
			size_t errlen)
{
	size_t kl = (size_t)(eq - p), i, k;
	const char *v = eq + 1;
	char qv[64];
	long c;

	while (kl && form_is_blank(p[kl - 1]))
		kl--;
	while (form_is_blank(*v))
		v++;
	if ((k = osm_tag_find(q, p, kl)) == q->ntags) {
		struct buf names = BUF_INIT(1024);

		for (i = 0; i < q->ntags; i++)
			buf_printf(&names, "%s%s", i ? ", " : "", q->tags[i].name);
		if (q->ntags)
			errf(err, errlen, _("'%s' is not one of this question's tags (%s)"),
			     form_quote(p, kl, qv, sizeof qv), names.data);
		else
			errf(err, errlen, _("'%s': this question takes the feature only, no tags"),
			     form_quote(p, kl, qv, sizeof qv));
		buf_release(&names);
		return -1;
	}
	if (vals[k])
		return errf(err, errlen, _("the tag %s is given twice"), q->tags[k].name);
	if (!*v)
		return 0;         /* "key=" leaves the tag out */
	if (q->tags[k].nchoices) {
		/* The tag's values are looked up as a select_one's choices. */
		struct form_question tq = { .name = q->tags[k].name, .choices = q->tags[k].choices,
					    .nchoices = q->tags[k].nchoices };
		char why[480];

		if ((c = form_find_choice(&tq, v, strlen(v), 0)) < 0) {
			form_not_a_choice(&tq, v, strlen(v), c, why, sizeof why);
			return errf(err, errlen, "%s: %s", q->tags[k].name, why);
		}
		v = tq.choices[c].name;
	}
	if (!(vals[k] = mem_strdup(v)))
		return err_oom(err, errlen);
	return 1;
}

/* The answer as it is stored: the feature, then each tag given in the question's order, into *out. 0, -1 or
 * ERR_OOM with err. */
static int osm_canonical(const struct form_question *q, const char *feature, char *const *vals, json_t **out,
			 char *err, size_t errlen)
{
	struct buf canon = BUF_INIT(2 * FORM_MAX_ANSWER + 64);
	size_t i;
	int rc;

	if (feature[0])
		buf_adds(&canon, feature);
	for (i = 0; i < q->ntags; i++) {
		if (!vals[i])
			continue;
		buf_printf(&canon, "%s%s=", canon.len ? "; " : "", q->tags[i].name);
		osm_escaped(&canon, vals[i]);
	}
	if (canon.len > FORM_MAX_ANSWER || buf_addc(&canon, '\0') < 0) {
		buf_release(&canon);
		return errf(err, errlen, _("the answer is longer than %d bytes"), FORM_MAX_ANSWER);
	}
	*out = json_string(canon.data);
	rc = *out ? 0 : err_oom(err, errlen);
	buf_release(&canon);
	return rc;
}

/* "way/123; building=yes; name=Central Market" (see form.h) from what a person typed: the parts in any order,
 * keys in any case, a value of a tag with choices by the choice's name. */
int form_parse_osm(const struct form_question *q, const char *s, size_t len, json_t **out, char *err,
		     size_t errlen)
{
	struct buf part = BUF_INIT(FORM_MAX_ANSWER + 1);
	char **vals = mem_calloc(q->ntags + 1, sizeof *vals), feature[40] = "";
	size_t pos = 0, i;
	int rc = 0, any = 0;

	if (!vals)
		return err_oom(err, errlen);

	while (rc >= 0 && osm_next(s, len, &pos, &part)) {
		const char *p = part.data, *eq;

		while (form_is_blank(*p))
			p++;
		if (!*p)
			continue;
		/* a part without '=' is the feature; so is a link, whose address may hold one */
		if (!(eq = strchr(p, '=')) || !strncasecmp(p, "http", 4))
			rc = osm_feature_part(p, feature, sizeof feature, err, errlen) < 0 ? -1 : 1;
		else
			rc = osm_tag_part(q, p, eq, vals, err, errlen);
		any |= rc > 0;
	}
	if (rc >= 0)
		rc = any ? osm_canonical(q, feature, vals, out, err, errlen) : 0;
	for (i = 0; i < q->ntags; i++)
		free(vals[i]);
	free(vals);
	buf_release(&part);
	return rc;
}

char *form_osm_part(const char *answer, const char *key)
{
	struct buf part = BUF_INIT(FORM_MAX_ANSWER + 1);
	size_t pos = 0, len = answer ? strlen(answer) : 0;
	char *r = NULL;

	while (!r && osm_next(answer, len, &pos, &part)) {
		const char *p = part.data, *eq;

		while (form_is_blank(*p))
			p++;
		eq = strchr(p, '=');
		if (!key && !eq && *p)
			r = mem_strdup(p);
		else if (key && eq && (size_t)(eq - p) == strlen(key) && !memcmp(p, key, strlen(key)))
			r = mem_strdup(eq + 1);
		else
			continue;
		break;     /* found, or out of memory */
	}
	buf_release(&part);
	return r;
}
