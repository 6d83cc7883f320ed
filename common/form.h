/* form.h - survey forms in XLSForm terms, loaded from their JSON definition.
 *
 * A form is JSON (see docs/forms.md):
 *   { "id": "partnership", "version": "1", "title": TEXT, "default_language": "en",
 *     "groups": [ { "name", "label": TEXT, "relevant": EXPR, "group": PARENT, "repeat": true|false,
 *                   "repeat_count": EXPR, "appearance": "field-list" (its questions on one screen) } ],
 *     "questions": [ { "name", "type", "label": TEXT, "hint": TEXT, "required": true|false, "group": NAME,
 *                      "required_message": TEXT, "relevant": EXPR, "constraint": EXPR,
 *                      "constraint_message": TEXT, "default": EXPR, "appearance": "multiline"...,
 *                      "range": {"start": N, "end": N, "step": N} (integer and decimal: XLSForm's range),
 *                      "choices": [ { "name", "label": TEXT } ] } ] }
 * where TEXT is either a string or an object of language code -> string ({"en": "...", "fr": "..."}) and EXPR
 * is an expression (expr.h). Types: text, integer, decimal, select_one, select_multiple, date, geopoint, note,
 * time, dateTime, acknowledge, osm, rank, barcode, geotrace, geoshape; and calculate, start, end, today, deviceid, username, simserial,
 * subscriberid, phonenumber and email, filled in by the device. An osm question may have
 *   "tags": [ { "name": KEY, "label": TEXT, "choices": [ { "name", "label" } ] } ],
 * the OpenStreetMap keys asked about the feature (with the values offered for a key, or any text without them).
 * A question of any type but note may have a "calculation": it is then filled in by the device too.
 *
 * Answers are JSON: text (and barcode: the code, scanned or typed), select_one, date ("YYYY-MM-DD"), time ("HH:MM" or "HH:MM:SS"), dateTime
 * ("YYYY-MM-DDTHH:MM" or "...:SS") and acknowledge ("OK") as strings, integer and decimal as numbers,
 * select_multiple as an array of choice names, rank as an array of every choice offered, first the one ranked
 * highest, geopoint as the string "lat lon" (optionally "lat lon alt acc"), geotrace and geoshape as points so
 * written, joined by "; " (a line of two or more; a shape of three or more, closed: its last point its first),
 * osm as the string "way/123456; building=yes; name=Central Market": the OpenStreetMap feature (node/N, way/N or
 * relation/N; absent for one not mapped yet), then the question's tags as key=value in the form's order, each
 * part separated by "; " and a ';' inside a value doubled (as OpenStreetMap itself escapes it).
 * A record's answers are a JSON object of question name -> value; names starting with '_' are the store's own
 * pseudo-fields and the form ignores them. Two are for expressions, given by whoever holds a record's instances
 * (the laptop's store) and never saved: "_instances", an object of repeat name -> array of the answers of its
 * instances, in order (each with its own "_instances" for the repeats inside it), which sum(), count(),
 * indexed-repeat() and a question of a repeat named from outside it read; and on an instance's answers,
 * "_position", its place among its repeat's instances from 1 (position(..)). Without them a record has no
 * instances (count() of a repeat is 0) and an instance no known place. */
#ifndef SONDEO_FORM_H
#define SONDEO_FORM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "expr.h"

#define FORM_MAX_ANSWER 65536   /* bytes in one text answer */

enum form_type {
	FT_TEXT, FT_INTEGER, FT_DECIMAL, FT_SELECT_ONE, FT_SELECT_MULTIPLE, FT_DATE, FT_GEOPOINT, FT_NOTE, FT_TIME,
	FT_DATETIME, FT_ACKNOWLEDGE, FT_OSM, FT_RANK, FT_BARCODE, FT_GEOTRACE, FT_GEOSHAPE,
	/* Attachments: the answer names a file kept apart from the record (media.h). */
	FT_IMAGE, FT_AUDIO, FT_VIDEO, FT_FILE,
	/* Filled in by the device, never asked (form_settle): a calculation's result, and the metadata of XLSForm;
	 * the last four are a phone's (its SIM's serial, its subscriber id, its number, its account's address): a
	 * laptop has none of them and leaves them unanswered, as ODK Collect does on recent phones. */
	FT_CALCULATE, FT_START, FT_END, FT_TODAY, FT_DEVICEID, FT_USERNAME, FT_SIMSERIAL, FT_SUBSCRIBERID, FT_PHONENUMBER,
	FT_EMAIL
};

struct form_choice {
	const char *name;
	const json_t *label;          /* TEXT */
	const json_t *data;           /* the choice's other columns (column -> string), for choice_filter; or NULL */
	const struct expr *filter;    /* the question's choice_filter with this choice's columns put in; or NULL */
};

/* A tag of an osm question (XLSForm's osm sheet): an OpenStreetMap key asked about the feature. */
struct form_tag {
	const char *name;             /* the key, such as "building" or "addr:street" */
	const json_t *label;          /* TEXT */
	const struct form_choice *choices;   /* the values offered, or none (nchoices 0): any text */
	size_t nchoices;
};

/* A group of questions (an XLSForm group), shown as a section; groups nest. Its relevant applies to every
 * question in it and in the groups inside it. */
struct form_group {
	const char *name;
	const json_t *label;                  /* TEXT or NULL */
	const char *relevant_src;             /* NULL when absent */
	const struct expr *relevant;
	const struct form_group *parent;      /* the group it is in, or NULL */
	const char *appearance;               /* "field-list": a page shows its questions together; or NULL */
	int repeat;                           /* a repeat: its questions are answered in child records, one per
						 instance, each with _parent (the record's id) and _repeat (this name) */
	const char *repeat_count_src;         /* a repeat's number of instances, when the form fixes it; or NULL */
	const struct expr *repeat_count;
};

/* Read-only views into the form; they live as long as the form. */
struct form_question {
	const char *name;
	enum form_type type;
	const json_t *label, *hint, *required_message, *constraint_message;   /* TEXT or NULL */
	int required;
	const char *relevant_src, *constraint_src, *default_src;             /* NULL when absent */
	const struct expr *relevant, *constraint, *def;                       /* compiled, NULL when absent */
	const char *calculation_src;          /* a calculate, or a question of another type worked out the same way */
	const struct expr *calculation;
	int readonly;                 /* shown, never asked or set: its value is its default */
	const char *appearance;       /* how a page shows it, in XLSForm's words ("multiline", "minimal"...), or NULL:
				       * a hint to a page, never a rule */
	int has_range;                /* an XLSForm range: a page shows a slider from range_start to range_end by
				       * range_step; its constraint keeps the answer there */
	double range_start, range_end, range_step;
	const struct form_group *group;       /* the innermost group it is in, or NULL */
	int automatic;                /* filled in by form_settle (calculate and metadata types) */
	const struct form_choice *choices;
	size_t nchoices;
	const char *choice_filter_src;        /* NULL when absent */
	const struct form_tag *tags;          /* osm only */
	size_t ntags;
	unsigned max_pixels;          /* an image's longer side at most, scaled down to it when stored; 0: as given */
	const json_t *accept;         /* an attachment's accepted media types and extensions (media_accepts), or NULL */
};

/* 1 if t is an attachment's type: image, audio, video or file. */
int form_is_media(enum form_type t);

/* 1 if name is one of the store's own members of a record (_parent, _repeat, _review) or a column exports add
 * (_id, _status, _created...): names no question may take. Others may start with '_', as Kobo's form builder
 * writes them (__version__, _1_2_where); a key starting with '_' that names no question of the form is the
 * store's, and left alone where answers are read. */
int form_meta_name(const char *name);

struct form;

/* Parses and validates a form definition: every name unique and a valid identifier, known types, choices on
 * select questions only and with unique names, every expression compiles and names only questions of this
 * form. Returns NULL on error with a message naming the question and the problem in err, errno ENOMEM when
 * memory ran out ("out of memory"), EINVAL otherwise. Caller frees with form_free().
 *
 * Out of memory (util.h's rule): the functions below that return an int return ERR_OOM with "out of memory" in
 * err when memory runs out, never abort, so that a server answers 503 for that one request. */
struct form *form_load(const char *json, size_t len, char *err, size_t errlen);
void form_free(struct form *f);

const char *form_id(const struct form *f);
const char *form_version(const struct form *f);
/* The definition as loaded (borrowed). */
const json_t *form_json(const struct form *f);
size_t form_count(const struct form *f);
const struct form_question *form_question(const struct form *f, size_t i);
/* The question called name, or NULL. */
const struct form_question *form_find(const struct form *f, const char *name);
const char *form_type_name(enum form_type t);

/* The text of t in lang: exact code ("fr"), then its first two letters ("fr_FR.UTF-8" -> "fr"), then the
 * form's default language, then English, then any. NULL if t is NULL. */
const char *form_text(const struct form *f, const json_t *t, const char *lang);
/* 1 if the form is written in lang (a code, "fr"): its default language, or a language its title or a question's
 * label has. The form's default language, "en" unless it names one. */
int form_has_language(const struct form *f, const char *lang);
const char *form_default_language(const struct form *f);
/* The label in lang of q's choice called name, or NULL when q has no such choice. */
const char *form_choice_label(const struct form *f, const struct form_question *q, const char *name,
			      const char *lang);
/* text with each ${name} in it (as XLSForm labels, hints and messages have them: "How old is ${mname}?") replaced
 * by that question's answer as a person reads it: a choice by its label in lang, several joined by ", ", a number
 * as written, nothing when unanswered. A new string the caller frees; NULL for NULL. */
char *form_interpolate(const struct form *f, const char *text, const json_t *answers, const char *lang);
/* The form's title in lang (its id if it has none). */
const char *form_title(const struct form *f, const char *lang);
#define FORM_TITLE_MAX 3
/* The questions that tell one record from another, as tables show them: those the form's instance_name names
 * (XLSForm's settings column: "concat(${name}, ' - ', ${country})"), in order, else its first questions asked of
 * every record (not conditional, not worked out, not notes, not in a repeat); at most FORM_TITLE_MAX. Returns
 * how many, their names in *names (borrowed from the form). */
size_t form_title_fields(const struct form *f, const char *const **names);
/* A record's title: the value of the form's instance_name when it has one and it is not empty, else the answer
 * to its first title field as text; NULL when there is none, or when memory ran out. Caller frees. */
char *form_record_title(const struct form *f, const json_t *answers);

/* How form_parse_answer reads text. */
/* How a person may name a choice besides its name: by its 1-based number as typed at a prompt, by its label in any
 * of the form's languages whatever its case and accents ("cote d'ivoire", as typed or written in a spreadsheet).
 * Values from programs (JSON, ops) take names only. */
enum { FORM_PARSE_NUMBERS = 1, FORM_PARSE_LABELS = 2 };

/* Converts text typed by a person (or read from CSV) into the answer for q. Empty or all-blank text gives
 * *out = NULL (no answer). select_multiple takes names (or numbers with FORM_PARSE_NUMBERS) separated by
 * spaces or commas. Checks type, choices, UTF-8, NUL and size, but not required/relevant/constraint.
 * Returns 0 and a new reference in *out, or -1 with a message such as "'abc' is not a whole number" in err
 * (ERR_OOM: out of memory). */
int form_parse_answer(const struct form *f, const struct form_question *q, const char *text, int flags,
		      json_t **out, char *err, size_t errlen);
/* The same for a value from a JSON file: a JSON value of the question's type (a number for integer/decimal, an
 * array or space-separated string for select_multiple; a string is also accepted for numbers); null means no
 * answer. */
int form_coerce_answer(const struct form *f, const struct form_question *q, const json_t *in, json_t **out,
		       char *err, size_t errlen);

/* The GeoJSON geometry of a stored answer of type t: a geopoint's Point, a geotrace's LineString, a geoshape's
 * Polygon (longitude first, as GeoJSON has it), appended to out. 1 if written, 0 if the answer is not such a
 * location (nothing written), -1 if out is full. */
int form_geojson_geometry(enum form_type t, const char *answer, struct buf *out);

/* A part of an osm answer as stored: the feature (key NULL) or the value of the tag key, unescaped. Returns a
 * new string the caller frees, or NULL when the answer has no such part (or memory ran out). */
char *form_osm_part(const char *answer, const char *key);

/* The innermost repeat q is in, or NULL for a question of the record itself. */
const struct form_group *form_repeat_of(const struct form_question *q);
#define FORM_MAX_REPEAT_COUNT 1000
#define FORM_MAX_PIXELS 100000        /* the largest max_pixels */   /* instances a repeat_count may ask for */

/* How many instances repeat g takes given its record's answers: its repeat_count's value, a whole number from 0
 * to FORM_MAX_REPEAT_COUNT; -1 when g has no repeat_count or it gives no such number (the record then takes as
 * many as its people add). */
int form_repeat_count(const struct form *f, const struct form_group *g, const json_t *answers);
/* The repeat called name, or NULL. */
const struct form_group *form_repeat_find(const struct form *f, const char *name);

/* 1 if choice k of q is offered given the answers: always, unless q has a choice_filter that is false for it. */
int form_choice_offered(const struct form *f, const struct form_question *q, size_t k, const json_t *answers);

/* 1 if q is relevant given the answers (a question without `relevant` always is), and so are the groups it is
 * in; 0 if not, -1 with err on an evaluation error. */
int form_relevant(const struct form *f, const struct form_question *q, const json_t *answers, char *err,
		  size_t errlen);
/* Checks value (NULL for no answer) for q against required and constraint, given the other answers. Returns 0
 * if acceptable, else -1 with the message to show (the form's constraint or required message in lang when it
 * has one, else a plain one) in err. */
int form_check_answer(const struct form *f, const struct form_question *q, const json_t *value,
		      const json_t *answers, const char *lang, char *err, size_t errlen);
/* The default for q (NULL if none, or out of memory), a new reference. */
json_t *form_default(const struct form *f, const struct form_question *q, const json_t *answers);

/* What form_settle needs to know of the device and the moment. */
struct form_env {
	const char *device;           /* the device's id (deviceid) */
	const char *username;         /* the device's name (username) */
	uint64_t now_ms;              /* now (start, end, today, now()), in UTC */
	const char *lang;             /* the language the person reads the form in, for jr:choice-name() and
				       * format-date(); NULL: the form's default language */
};
/* How form_settle works answers out. */
enum {
	FORM_SETTLE_FINAL = 1,      /* the record is being finalized: end is now */
	FORM_SETTLE_DEFAULTS = 2,   /* unanswered relevant questions take their default (a new record, or finalizing) */
	FORM_SETTLE_PRUNE = 4       /* answers to questions no longer relevant are removed */
};
/* Brings the questions of scope (a repeat, whose instance answers is; NULL for a record's own questions) up to
 * date with the answers as they now are, the one place every way of answering (prompt, --set, files, repeats)
 * does it after each change: start, today, deviceid and username when absent (the record is new), end with
 * FORM_SETTLE_FINAL; every calculation from the other answers (none when it is not relevant, fails or is empty);
 * a readonly question's default when it has no answer; and, as flags ask, the defaults of the others and the
 * removal of answers no longer relevant, whose names are appended to cleared (when not NULL). Repeats until
 * nothing changes, since a calculation may decide a relevance and a removed answer a calculation. answers may
 * hold other scopes' answers (an instance's record's), which are read but never changed. Returns the number of
 * answers removed, or ERR_OOM when memory ran out, the answers then half settled: the caller drops them. */
int form_settle(const struct form *f, json_t *answers, const struct form_env *env, const struct form_group *scope,
		int flags, json_t *cleared);

/* Checks a whole record: every key names a question (or starts with '_'), every value has the right type and
 * choice, no answer to a question that is not relevant or is a note, every relevant required question
 * answered, every constraint holds. Calls fn(ctx, question, message) once per error, in form order, and
 * returns the number of errors (0: valid). */
typedef void (*form_error_fn)(void *ctx, const char *question, const char *message);
int form_check(const struct form *f, const json_t *answers, const char *lang, form_error_fn fn, void *ctx);

#endif
