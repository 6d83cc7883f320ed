/* test_form.c - unit tests for forms (common/form.c) and the built-in partnership form. */
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>

#include "expr.h"
#include "form.h"
#include "i18n.h"
#include "test.h"
#include "util.h"

#include "banned.h"

extern const unsigned char form_partnership_json[];
extern const size_t form_partnership_json_len;

static struct form *builtin(void)
{
	char err[512] = "";
	struct form *f = form_load((const char *)form_partnership_json, form_partnership_json_len, err, sizeof err);

	if (!f)
		fprintf(stdout, "#   built-in form refused: %s\n", err);
	return f;
}

static struct form *load_str(const char *json, char *err, size_t errlen)
{
	return form_load(json, strlen(json), err, errlen);
}

static const struct {
	const char *name, *type;
	int required;
	const char *choices;   /* space-separated, in order */
} expected[] = {
	{ "partner_name", "text", 1, "" },
	{ "stakeholder_type", "select_one", 1,
	  "national_government local_government ministry civil_society private_sector migrant_organization "
	  "diaspora_organization academia media international_organization un_agency employer_recruiter "
	  "finance_sector local_community other" },
	{ "stakeholder_type_other", "text", 1, "" },
	{ "country", "select_one", 1, NULL },   /* the 249 countries: checked apart */
	{ "level", "select_multiple", 1, "local national bilateral regional interregional global" },
	{ "thematic_areas", "select_multiple", 1,
	  "human_rights vulnerable_migrants sustainable_development shared_responsibility data_collection "
	  "migration_governance" },
	{ "policy_areas", "select_multiple", 0,
	  "human_rights humanitarian education health employment security environment development" },
	{ "platforms", "select_multiple", 0, "idm gfmd rcp gmg global_compact other" },
	{ "partnership_model", "text", 0, "" },
	{ "achievements", "text", 0, "" },
	{ "challenges", "text", 0, "" },
	{ "good_practices", "text", 0, "" },
	{ "replicable", "select_one", 0, "yes partly no" },
	{ "scale_up_potential", "integer", 0, "" },
	{ "contact_name", "text", 0, "" },
	{ "contact_email", "text", 0, "" },
	{ "interview_date", "date", 1, "" },
	{ "location", "geopoint", 0, "" },
	{ "notes", "text", 0, "" },
};
#define NEXPECTED (sizeof expected / sizeof expected[0])

static void test_builtin_questions(void)
{
	struct form *f = builtin();
	size_t i, j;

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_STR(form_id(f), "partnership");
	CHECK_STR(form_version(f), "2");
	CHECK_INT(form_count(f), NEXPECTED);
	for (i = 0; i < NEXPECTED && i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);
		char names[1024] = "";
		size_t at = 0;

		CHECK_STR(q->name, expected[i].name);
		CHECK_STR(form_type_name(q->type), expected[i].type);
		CHECK_INT(q->required, expected[i].required);
		for (j = 0; j < q->nchoices && at < sizeof names; j++)
			at += (size_t)snprintf(names + at, sizeof names - at, "%s%s", j ? " " : "", q->choices[j].name);
		if (expected[i].choices)
			CHECK_STR(names, expected[i].choices);
		CHECK(form_find(f, expected[i].name) == q);
	}
	CHECK(form_question(f, form_count(f)) == NULL);
	CHECK(form_find(f, "nope") == NULL);
	CHECK_STR(form_find(f, "stakeholder_type_other")->relevant_src, "${stakeholder_type} = 'other'");
	/* The countries of ISO 3166-1 by their alpha-3 codes, named in the form's three languages (scripts/countries.sh). */
	CHECK_INT(form_find(f, "country")->nchoices, 249);
	CHECK_STR(form_choice_label(f, form_find(f, "country"), "KEN", "en"), "Kenya");
	CHECK_STR(form_choice_label(f, form_find(f, "country"), "DEU", "fr"), "Allemagne");
	CHECK_STR(form_choice_label(f, form_find(f, "country"), "MEX", "es"), "México");
	CHECK(form_find(f, "country")->constraint_src == NULL);
	CHECK_STR(form_find(f, "scale_up_potential")->constraint_src, ". >= 1 and . <= 5");
	CHECK_STR(form_find(f, "scale_up_potential")->relevant_src, "${replicable} != 'no'");
	CHECK_STR(form_find(f, "interview_date")->default_src, "today()");
	CHECK_STR(form_find(f, "interview_date")->constraint_src, ". <= today()");
	CHECK(form_find(f, "contact_email")->constraint != NULL);
	form_free(f);
}

/* t has non-empty en, fr and es texts, which differ between English and French (so none is a copy). */
static int three_languages(const json_t *t, int may_match)
{
	const char *en = json_string_value(json_object_get(t, "en"));
	const char *fr = json_string_value(json_object_get(t, "fr"));
	const char *es = json_string_value(json_object_get(t, "es"));

	return en && fr && es && *en && *fr && *es && (may_match || strcmp(en, fr));
}

static void test_builtin_languages(void)
{
	struct form *f = builtin();
	size_t i, j;

	if (!f) {
		CHECK(f != NULL);
		return;
	}
	CHECK(three_languages(json_object_get(form_json(f), "title"), 0));
	CHECK_STR(form_title(f, "fr"), "Partenariats inclusifs et novateurs en matière de migration");
	CHECK_STR(form_title(f, "es_MX.UTF-8"), "Alianzas inclusivas e innovadoras en materia de migración");
	for (i = 0; i < form_count(f); i++) {
		const struct form_question *q = form_question(f, i);

		if (!three_languages(q->label, 0) || !three_languages(q->hint, 0))
			fprintf(stdout, "#   question '%s'\n", q->name);
		CHECK(three_languages(q->label, 0));
		CHECK(three_languages(q->hint, 0));
		if (q->constraint)
			CHECK(three_languages(q->constraint_message, 0));
		/* short words such as "Local" and "No" are the same in two languages */
		for (j = 0; j < q->nchoices; j++)
			CHECK(three_languages(q->choices[j].label, 1));
	}
	CHECK_STR(form_text(f, form_find(f, "country")->label, "fr"), "Pays");
	CHECK_STR(form_text(f, form_find(f, "country")->label, "es"), "País");
	CHECK_STR(form_text(f, form_find(f, "replicable")->choices[0].label, "es"), "Sí");
	form_free(f);
}

static void test_text(void)
{
	struct form *f = load_str("{\"id\":\"t\",\"version\":\"1\",\"default_language\":\"fr\","
				   "\"questions\":[{\"name\":\"a\",\"type\":\"note\",\"label\":\"x\"}]}", NULL, 0);
	json_t *t = json_pack("{s:s,s:s,s:s}", "sw", "Habari", "fr", "Bonjour", "en", "Hello");
	json_t *only = json_pack("{s:s}", "sw", "Habari");
	json_t *s = json_string("plain");

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_STR(form_text(f, t, "sw"), "Habari");
	CHECK_STR(form_text(f, t, "en_GB.UTF-8"), "Hello");
	CHECK_STR(form_text(f, t, "de"), "Bonjour");         /* the form's default language */
	CHECK_STR(form_text(f, t, NULL), "Bonjour");
	CHECK_STR(form_text(f, only, "fr"), "Habari");       /* any, as a last resort */
	CHECK_STR(form_text(f, s, "fr"), "plain");
	CHECK(form_text(f, NULL, "fr") == NULL);
	CHECK_STR(form_title(f, "fr"), "t");                  /* no title: the id */
	json_decref(t);
	json_decref(only);
	json_decref(s);
	form_free(f);
	/* without a default language, English comes before any other */
	f = load_str("{\"id\":\"t\",\"version\":\"1\",\"title\":{\"sw\":\"Fomu\",\"en\":\"Form\"},"
		      "\"questions\":[{\"name\":\"a\",\"type\":\"note\",\"label\":\"x\"}]}", NULL, 0);
	CHECK(f != NULL);
	if (f)
		CHECK_STR(form_title(f, "de"), "Form");
	form_free(f);
}

/* Loads a form whose questions array is qs and returns the error ("(loaded)" if it loaded). */
static const char *load_error(const char *qs)
{
	static char err[512];
	char json[4096];
	struct form *f;

	snprintf(json, sizeof json, "{\"id\": \"t\", \"version\": \"1\", \"questions\": [%s]}", qs);
	err[0] = '\0';
	f = form_load(json, strlen(json), err, sizeof err);
	if (f) {
		form_free(f);
		return "(loaded)";
	}
	return err;
}

#define YN "\"choices\": [{\"name\": \"yes\", \"label\": \"Yes\"}, {\"name\": \"no\", \"label\": \"No\"}]"

static void test_load_refusals(void)
{
	char err[256];

	CHECK_STR(load_error("{\"name\": \"a\", \"type\": \"text\", \"label\": \"A\"}"), "(loaded)");
	CHECK_STR(load_error("{\"name\": \"a\", \"type\": \"text\", \"label\": \"A\"},"
			     "{\"name\": \"a\", \"type\": \"integer\", \"label\": \"B\"}"),
		  "question 'a': the name appears twice (questions 1 and 2); an answer is kept under its question's name"
		  " alone, so each name is used once in the whole form, whatever its group");
	CHECK_STR(load_error("{\"name\": \"level\", \"type\": \"select_one\", \"label\": \"L\", \"choices\": ["
			     "{\"name\": \"local\", \"label\": \"Local\"}, {\"name\": \"local\", \"label\": \"L\"}]}"),
		  "question 'level': choice 'local' appears twice");
	CHECK(!strncmp(load_error("{\"name\": \"x\", \"type\": \"texte\", \"label\": \"X\"}"),
		       "question 'x': unknown type 'texte'", 33));
	CHECK_STR(load_error("{\"name\": \"x\", \"type\": \"text\", \"label\": \"X\", \"relevant\": \"1 = (2\"}"),
		  "question 'x': relevant: at column 7: expected ')'");
	/* the rest of the message is the C library's regerror() text */
	CHECK(!strncmp(load_error("{\"name\": \"x\", \"type\": \"text\", \"label\": \"X\", "
				  "\"constraint\": \"regex(., '[')\"}"),
		       "question 'x': constraint: at column 10: bad regular expression '[': ", 67));
	CHECK_STR(load_error("{\"name\": \"x\", \"type\": \"text\", \"label\": \"X\"},"
			     "{\"name\": \"y\", \"type\": \"text\", \"label\": \"Y\", \"constraint\": \". != ${zz}\"}"),
		  "question 'y': constraint names unknown question 'zz'");
	CHECK_STR(load_error("{\"name\": \"y\", \"type\": \"text\", \"label\": \"Y\", \"relevant\": \"${z} = 1\"},"
			     "{\"name\": \"z\", \"type\": \"integer\", \"label\": \"Z\", \"default\": \"${y} + ${q}\"}"),
		  "question 'z': default names unknown question 'q'");
	CHECK_STR(load_error("{\"name\": \"t\", \"type\": \"text\", \"label\": \"T\", " YN "}"),
		  "question 't': choices are only for select_one, select_multiple and rank questions");
	CHECK_STR(load_error("{\"name\": \"s\", \"type\": \"select_multiple\", \"label\": \"S\"}"),
		  "question 's': a select_multiple question needs choices");
	CHECK_STR(load_error("{\"name\": \"s\", \"type\": \"select_one\", \"label\": \"S\", \"choices\": []}"),
		  "question 's': choices must be a non-empty array");
	CHECK_STR(load_error("{\"name\": \"s\", \"type\": \"select_one\", \"label\": \"S\", \"choices\": ["
			     "{\"name\": \"a b\", \"label\": \"A\"}]}"),
		  "question 's': choice name 'a b' may not hold a space or a control character: a select_multiple's "
		  "answer is its choices' names separated by spaces");
	/* A choice name is a value: pyxform takes ">150" and "18-25", so does Sondeo. */
	CHECK_STR(load_error("{\"name\": \"s\", \"type\": \"select_one\", \"label\": \"S\", \"choices\": ["
			     "{\"name\": \">150\", \"label\": \"A\"}, {\"name\": \"18-25\", \"label\": \"B\"}]}"),
		  "(loaded)");
	CHECK_STR(load_error("{\"name\": \"s\", \"type\": \"select_one\", \"label\": \"S\", \"choices\": ["
			     "{\"name\": \"a\"}]}"),
		  "question 's': choice 'a': missing label");
	CHECK_STR(load_error("{\"name\": \"a\", \"type\": \"text\", \"label\": \"A\"}, {\"type\": \"text\"}"),
		  "question 2: missing name");
	/* Kobo's form builder names questions _1_2_where and __version__; the store's own names stay its own. */
	CHECK_STR(load_error("{\"name\": \"_a\", \"type\": \"text\", \"label\": \"A\"}, "
			     "{\"name\": \"__version__\", \"type\": \"calculate\", \"calculation\": \"'3'\"}"), "(loaded)");
	CHECK_STR(load_error("{\"name\": \"_review\", \"type\": \"text\", \"label\": \"A\"}"),
		  "question 1: name '_review' is one of the store's own fields (_id, _parent, _repeat, _review, _status, "
		  "_created, _updated...)");
	CHECK_STR(load_error("{\"name\": \"2a\", \"type\": \"text\", \"label\": \"A\"}"),
		  "question 1: name '2a' must start with an ASCII letter (a-z, A-Z) or '_'");
	CHECK_STR(load_error("{\"name\": \"été\", \"type\": \"text\", \"label\": \"A\"}"),
		  "question 1: name 'été' must start with an ASCII letter (a-z, A-Z) or '_'");
	CHECK_STR(load_error("{\"name\": \"année\", \"type\": \"text\", \"label\": \"A\"}"),
		  "question 1: name 'année' may hold only ASCII letters (a-z, A-Z), digits, '_', '.' and '-'");
	/* A calculate without a calculation takes its default once (pyxform's dynamic default); without either, no. */
	CHECK_STR(load_error("{\"name\": \"c\", \"type\": \"calculate\", \"default\": \"today()\"}"), "(loaded)");
	CHECK_STR(load_error("{\"name\": \"c\", \"type\": \"calculate\"}"),
		  "question 'c': a calculate question needs a calculation, or a default it takes once");
	CHECK_STR(load_error("{\"name\": \"a\", \"label\": \"A\"}"), "question 'a': missing type");
	/* the question's own type, not another's */
	CHECK_STR(load_error("{\"name\": \"s\", \"type\": \"start\", \"required\": true}"),
		  "question 's': a start question is filled in by the device: it cannot be required, have a constraint, a"
		  " default or be readonly");
	CHECK_STR(load_error("{\"name\": \"a\", \"type\": \"text\"}"), "question 'a': missing label");
	CHECK_STR(load_error("{\"name\": \"a\", \"type\": \"text\", \"label\": {\"fr\": 3}}"),
		  "question 'a': label: the 'fr' text is not a string");
	CHECK_STR(load_error("{\"name\": \"a\", \"type\": \"text\", \"label\": \"A\", \"relevent\": \"1\"}"),
		  "question 'a': unknown key 'relevent'");
	CHECK_STR(load_error("{\"name\": \"a\", \"type\": \"text\", \"label\": \"A\", \"required\": \"yes\"}"),
		  "question 'a': required must be true or false");
	CHECK_STR(load_error("{\"name\": \"n\", \"type\": \"note\", \"label\": \"N\", \"required\": true}"),
		  "question 'n': a note cannot be required");
	CHECK_STR(load_error("3"), "question 1: not a JSON object");
	CHECK_STR(load_error(""), "form 't': questions must be a non-empty array");
	/* a 65-character name is one too many */
	CHECK_STR(load_error("{\"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", "
			     "\"type\": \"text\", \"label\": \"A\"}"),
		  "question 1: name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is longer than 64 "
		  "characters");
	/* jansson refuses a repeated key before any question is read: the message gives its line and key */
	CHECK(strstr(load_error("{\"name\": \"a\", \"type\": \"text\",\n \"type\": \"integer\", \"label\": \"A\"}"),
		     "duplicate object key") != NULL);
	CHECK(!strncmp(load_error("{\"name\": \"a\", \"type\": \"text\",\n \"type\": \"integer\", \"label\": \"A\"}"),
		       "not valid JSON: line 2, ", 24));
	CHECK(load_str("{\"id\": ", err, sizeof err) == NULL);
	CHECK(!strncmp(err, "not valid JSON: line 1, column 7: ", 34));
	CHECK(load_str("[]", err, sizeof err) == NULL);
	CHECK_STR(err, "a form must be a JSON object");
	CHECK(load_str("{\"version\": \"1\", \"questions\": []}", err, sizeof err) == NULL);
	CHECK_STR(err, "form: missing id");
	CHECK(load_str("{\"id\": \"x\", \"questions\": []}", err, sizeof err) == NULL);
	CHECK_STR(err, "form 'x': missing version (a string such as \"1\")");
	CHECK(load_str("{\"id\": \"x\", \"version\": \"1\", \"questons\": []}", err, sizeof err) == NULL);
	CHECK_STR(err, "form: unknown key 'questons'");
}

/* The answer parsed from text, as compact JSON, or "ERR: message". */
static const char *parse(const struct form *f, const char *qname, const char *text, int flags)
{
	static char out[512];
	char err[256] = "";
	json_t *v = NULL;

	if (form_parse_answer(f, form_find(f, qname), text, flags, &v, err, sizeof err) < 0) {
		snprintf(out, sizeof out, "ERR: %s", err);
		CHECK(v == NULL);
	} else if (!v) {
		snprintf(out, sizeof out, "(none)");
	} else {
		char *d = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		snprintf(out, sizeof out, "%s", d);
		free(d);
	}
	json_decref(v);
	return out;
}

static void test_parse_text(void)
{
	struct form *f = builtin();
	char *big;

	if (!f) {
		CHECK(f != NULL);
		return;
	}
	CHECK_STR(parse(f, "notes", "  two  spaces  ", 0), "\"  two  spaces  \"");
	CHECK_STR(parse(f, "notes", "line\r\n", 0), "\"line\"");
	CHECK_STR(parse(f, "notes", "a\nb\n", 0), "\"a\\nb\"");
	CHECK_STR(parse(f, "notes", "Zoë", 0), "\"Zoë\"");
	CHECK_STR(parse(f, "notes", "", 0), "(none)");
	CHECK_STR(parse(f, "notes", " \t \r\n", 0), "(none)");
	CHECK_STR(parse(f, "notes", NULL, 0), "(none)");
	CHECK_STR(parse(f, "notes", "bad \xff byte", 0), "ERR: the answer is not valid UTF-8 (at byte 5)");
	big = malloc(FORM_MAX_ANSWER + 2);
	memset(big, 'x', FORM_MAX_ANSWER + 1);
	big[FORM_MAX_ANSWER] = '\0';
	CHECK(parse(f, "notes", big, 0)[0] == '"');
	big[FORM_MAX_ANSWER] = 'x';
	big[FORM_MAX_ANSWER + 1] = '\0';
	CHECK_STR(parse(f, "notes", big, 0),
		  "ERR: 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...' is longer than 65536 bytes");
	free(big);
	form_free(f);
}

static void test_parse_numbers(void)
{
	struct form *f = builtin();

	if (!f) {
		CHECK(f != NULL);
		return;
	}
	CHECK_STR(parse(f, "scale_up_potential", "3", 0), "3");
	CHECK_STR(parse(f, "scale_up_potential", " -12 ", 0), "-12");
	CHECK_STR(parse(f, "scale_up_potential", "+7", 0), "7");
	CHECK_STR(parse(f, "scale_up_potential", "007", 0), "7");
	CHECK_STR(parse(f, "scale_up_potential", "9223372036854775807", 0), "9223372036854775807");
	CHECK_STR(parse(f, "scale_up_potential", "-9223372036854775808", 0), "-9223372036854775808");
	CHECK_STR(parse(f, "scale_up_potential", "9223372036854775808", 0),
		  "ERR: '9223372036854775808' is too large for a whole number");
	CHECK_STR(parse(f, "scale_up_potential", "1.0", 0), "ERR: '1.0' is not a whole number");
	CHECK_STR(parse(f, "scale_up_potential", "abc", 0), "ERR: 'abc' is not a whole number");
	CHECK_STR(parse(f, "scale_up_potential", "1e3", 0), "ERR: '1e3' is not a whole number");
	CHECK_STR(parse(f, "scale_up_potential", "-", 0), "ERR: '-' is not a whole number");
	CHECK_STR(parse(f, "scale_up_potential", "1 2", 0), "ERR: '1 2' is not a whole number");
	CHECK_STR(parse(f, "scale_up_potential", "  ", 0), "(none)");
	form_free(f);

	f = load_str("{\"id\":\"d\",\"version\":\"1\",\"questions\":[{\"name\":\"d\",\"type\":\"decimal\","
		      "\"label\":\"D\"},{\"name\":\"n\",\"type\":\"note\",\"label\":\"N\"}]}", NULL, 0);
	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_STR(parse(f, "d", "2.5", 0), "2.5");
	CHECK_STR(parse(f, "d", "-.5", 0), "-0.5");
	CHECK_STR(parse(f, "d", "3", 0), "3.0");
	CHECK_STR(parse(f, "d", "1e3", 0), "1000.0");
	CHECK_STR(parse(f, "d", "3,5", 0), "ERR: '3,5' is not a number (write decimals with a point, as in 3.5)");
	/* In a language that writes decimals with a comma, a person may. */
	CHECK_INT(i18n_set("fr"), 0);
	CHECK_STR(parse(f, "d", "3,5", 0), "3.5");
	CHECK_STR(parse(f, "d", "-0,25", 0), "-0.25");
	CHECK_STR(parse(f, "d", "2.5", 0), "2.5");
	CHECK(strncmp(parse(f, "d", "1,2,3", 0), "ERR: ", 5) == 0);
	CHECK(strncmp(parse(f, "d", "1.5,2", 0), "ERR: ", 5) == 0);
	CHECK(strncmp(parse(f, "d", ",", 0), "ERR: ", 5) == 0);
	i18n_set(NULL);
	CHECK_STR(parse(f, "d", "nan", 0), "ERR: 'nan' is not a number");
	CHECK_STR(parse(f, "d", "inf", 0), "ERR: 'inf' is not a number");
	CHECK_STR(parse(f, "d", "0x10", 0), "ERR: '0x10' is not a number");
	CHECK_STR(parse(f, "d", "1e999", 0), "ERR: '1e999' is too large a number");
	CHECK_STR(parse(f, "d", "1e", 0), "ERR: '1e' is not a number");
	CHECK_STR(parse(f, "n", "hello", 0), "ERR: 'hello' cannot be given: this question is a note and takes no answer");
	CHECK_STR(parse(f, "n", "", 0), "(none)");
	form_free(f);
}

static void test_parse_date_geopoint(void)
{
	struct form *f = builtin();

	if (!f) {
		CHECK(f != NULL);
		return;
	}
	CHECK_STR(parse(f, "interview_date", "2018-04-26", 0), "\"2018-04-26\"");
	CHECK_STR(parse(f, "interview_date", " 2024-02-29 ", 0), "\"2024-02-29\"");
	CHECK_STR(parse(f, "interview_date", "2023-02-29", 0), "ERR: '2023-02-29' is not a real date");
	CHECK_STR(parse(f, "interview_date", "1900-02-29", 0), "ERR: '1900-02-29' is not a real date");
	CHECK_STR(parse(f, "interview_date", "2000-02-29", 0), "\"2000-02-29\"");
	CHECK_STR(parse(f, "interview_date", "2018-04-31", 0), "ERR: '2018-04-31' is not a real date");
	CHECK_STR(parse(f, "interview_date", "2018-13-01", 0), "ERR: '2018-13-01' is not a real date");
	CHECK_STR(parse(f, "interview_date", "2018-00-10", 0), "ERR: '2018-00-10' is not a real date");
	CHECK_STR(parse(f, "interview_date", "26/04/2018", 0), "ERR: '26/04/2018' is not a date (write it as YYYY-MM-DD)");
	CHECK_STR(parse(f, "interview_date", "2018-4-26", 0), "ERR: '2018-4-26' is not a date (write it as YYYY-MM-DD)");

	CHECK_STR(parse(f, "location", "-1.2921 36.8219", 0), "\"-1.2921 36.8219\"");
	CHECK_STR(parse(f, "location", " -1.2921,  36.8219 ", 0), "\"-1.2921 36.8219\"");
	CHECK_STR(parse(f, "location", "14.69 -17.44 22 5", 0), "\"14.69 -17.44 22 5\"");
	CHECK_STR(parse(f, "location", "90 180", 0), "\"90 180\"");
	CHECK_STR(parse(f, "location", "-90 -180", 0), "\"-90 -180\"");
	CHECK_STR(parse(f, "location", "95 10", 0), "ERR: latitude 95 is out of range (-90 to 90)");
	CHECK_STR(parse(f, "location", "10 -180.5", 0), "ERR: longitude -180.5 is out of range (-180 to 180)");
	CHECK_STR(parse(f, "location", "10 10 0 -3", 0), "ERR: accuracy -3 cannot be negative");
	CHECK_STR(parse(f, "location", "10", 0),
		  "ERR: '10' is not a location (give latitude and longitude in decimal degrees, e.g. -1.2921 36.8219)");
	CHECK_STR(parse(f, "location", "1 2 3 4 5", 0),
		  "ERR: '1 2 3 4 5' is not a location (give latitude and longitude, and optionally altitude and "
		  "accuracy)");
	CHECK_STR(parse(f, "location", "1 north", 0), "ERR: '1 north' is not a location: the longitude 'north' is "
		  "not a number");
	form_free(f);
}

static void ignore_error(void *ctx, const char *question, const char *message)
{
	(void)ctx;
	(void)question;
	(void)message;
}

static void test_parse_time_datetime_acknowledge(void)
{
	static const char def[] = "{\"id\": \"t\", \"version\": \"1\", \"questions\": ["
		"{\"name\": \"at\", \"type\": \"time\", \"label\": \"At\"},"
		"{\"name\": \"when\", \"type\": \"dateTime\", \"label\": \"When\", \"constraint\": \". >= '2020-01-01'\"},"
		"{\"name\": \"ack\", \"type\": \"acknowledge\", \"label\": \"I agree\", \"required\": true}]}";
	char err[512] = "";
	struct form *f = load_str(def, err, sizeof err);
	json_t *a;
	int n;

	CHECK_STR(err, "");
	if (!f)
		return;
	CHECK_STR(form_type_name(form_find(f, "when")->type), "dateTime");
	CHECK_STR(parse(f, "at", "9:05", 0), "\"09:05\"");
	CHECK_STR(parse(f, "at", " 23:59:30 ", 0), "\"23:59:30\"");
	CHECK_STR(parse(f, "at", "00:00", 0), "\"00:00\"");
	CHECK_STR(parse(f, "at", "24:00", 0), "ERR: '24:00' is not a time (write it as HH:MM, from 00:00 to 23:59)");
	CHECK_STR(parse(f, "at", "12:60", 0), "ERR: '12:60' is not a time (write it as HH:MM, from 00:00 to 23:59)");
	CHECK_STR(parse(f, "at", "noon", 0), "ERR: 'noon' is not a time (write it as HH:MM, from 00:00 to 23:59)");
	CHECK_STR(parse(f, "at", "12:30:5", 0), "ERR: '12:30:5' is not a time (write it as HH:MM, from 00:00 to 23:59)");
	CHECK_STR(parse(f, "when", "2024-02-29 14:05", 0), "\"2024-02-29T14:05\"");
	CHECK_STR(parse(f, "when", "2024-02-29T14:05:09", 0), "\"2024-02-29T14:05:09\"");
	CHECK_STR(parse(f, "when", "2023-02-29 14:05", 0),
		  "ERR: '2023-02-29 14:05' is not a date and time (write it as YYYY-MM-DD HH:MM)");
	CHECK_STR(parse(f, "when", "2024-02-29", 0),
		  "ERR: '2024-02-29' is not a date and time (write it as YYYY-MM-DD HH:MM)");
	CHECK_STR(parse(f, "ack", "ok", 0), "\"OK\"");
	CHECK_STR(parse(f, "ack", "Y", 0), "\"OK\"");
	CHECK_STR(parse(f, "ack", "no", 0), "ERR: 'no' is not OK (type OK to acknowledge, or leave it blank)");
	CHECK_STR(parse(f, "ack", "", 0), "(none)");
	/* Stored values must be exact; expressions compare them as text, in order. */
	a = json_pack("{s:s, s:s, s:s}", "at", "09:05", "when", "2024-02-29T14:05", "ack", "OK");
	CHECK_INT(form_check(f, a, "en", ignore_error, NULL), 0);
	json_object_set_new(a, "at", json_string("9:05"));
	json_object_set_new(a, "when", json_string("2019-12-31T23:00"));
	json_object_set_new(a, "ack", json_string("ok"));
	n = form_check(f, a, "en", ignore_error, NULL);
	CHECK_INT(n, 3);
	json_decref(a);
	form_free(f);
}

static const char *coerce(const struct form *f, const char *qname, const char *json);

static void test_parse_select(void)
{
	struct form *f = builtin();

	if (!f) {
		CHECK(f != NULL);
		return;
	}
	CHECK_STR(parse(f, "replicable", "partly", 0), "\"partly\"");
	CHECK_STR(parse(f, "replicable", " no ", 0), "\"no\"");
	CHECK_STR(parse(f, "replicable", "Yes", 0), "\"yes\"");
	CHECK_STR(parse(f, "replicable", "blue", 0), "ERR: 'blue' is not a choice (choose from: yes, partly, no)");
	CHECK_STR(parse(f, "replicable", "2", 0), "ERR: '2' is not a choice (choose from: yes, partly, no)");
	CHECK_STR(parse(f, "replicable", "2", FORM_PARSE_NUMBERS), "\"partly\"");
	CHECK_STR(parse(f, "replicable", "3", FORM_PARSE_NUMBERS), "\"no\"");
	CHECK_STR(parse(f, "replicable", "0", FORM_PARSE_NUMBERS), "ERR: '0' is not a choice (choose a number from 1 to 3)");
	CHECK_STR(parse(f, "replicable", "4", FORM_PARSE_NUMBERS), "ERR: '4' is not a choice (choose a number from 1 to 3)");
	CHECK_STR(parse(f, "replicable", "99999999999999999999999", FORM_PARSE_NUMBERS),
		  "ERR: '99999999999999999999999' is not a choice (choose a number from 1 to 3)");
	CHECK_STR(parse(f, "replicable", "yes no", 0), "ERR: 'yes no' is not a choice (choose from: yes, partly, no)");
	CHECK_STR(parse(f, "replicable", "", 0), "(none)");

	CHECK_STR(parse(f, "level", "regional global", 0), "[\"regional\",\"global\"]");
	CHECK_STR(parse(f, "level", "global, local,national", 0), "[\"global\",\"local\",\"national\"]");
	CHECK_STR(parse(f, "level", "local global local", 0), "[\"local\",\"global\"]");
	CHECK_STR(parse(f, "level", "6 1 2", FORM_PARSE_NUMBERS), "[\"global\",\"local\",\"national\"]");
	CHECK_STR(parse(f, "level", "1 local", FORM_PARSE_NUMBERS), "[\"local\"]");
	CHECK_STR(parse(f, "level", "1 7", FORM_PARSE_NUMBERS), "ERR: '7' is not a choice (choose a number from 1 to 6)");
	CHECK_STR(parse(f, "level", "local town", 0), "ERR: 'town' is not a choice (choose from: local, national, "
		  "bilateral, regional, interregional, global)");
	CHECK_STR(parse(f, "level", " , ,", 0), "(none)");

	/* A person may name a choice by its label in any of the form's languages, whatever its case and accents;
	 * a program names it by its name only. */
	CHECK_STR(parse(f, "country", "Kenya", FORM_PARSE_LABELS), "\"KEN\"");
	CHECK_STR(parse(f, "country", "KENIA", FORM_PARSE_LABELS), "\"KEN\"");
	CHECK_STR(parse(f, "country", "cote d'ivoire", FORM_PARSE_LABELS), "\"CIV\"");
	CHECK_STR(parse(f, "country", "Côte d'Ivoire", FORM_PARSE_LABELS), "\"CIV\"");
	CHECK_STR(parse(f, "country", "Sénégal", FORM_PARSE_LABELS), "\"SEN\"");
	CHECK_STR(parse(f, "country", "ken", FORM_PARSE_LABELS), "\"KEN\"");
	CHECK_STR(parse(f, "country", "Keny", FORM_PARSE_LABELS), "ERR: 'Keny' is not a choice (choose from: AFG, ALA, "
		  "ALB, DZA, ASM, AND, AGO, AIA, ATA, ATG, ARG, ARM, ABW, AUS, AUT, AZE, BHS, BHR, BGD, BRB, ...)");
	CHECK_STR(parse(f, "country", "Kenya", 0), "ERR: 'Kenya' is not a choice (choose from: AFG, ALA, ALB, DZA, "
		  "ASM, AND, AGO, AIA, ATA, ATG, ARG, ARM, ABW, AUS, AUT, AZE, BHS, BHR, BGD, BRB, ...)");
	CHECK_STR(parse(f, "level", "Global Local", FORM_PARSE_LABELS), "[\"global\",\"local\"]");
	CHECK_STR(coerce(f, "country", "\"Kenya\""), "ERR: 'Kenya' is not a choice (choose from: AFG, ALA, ALB, DZA, "
		  "ASM, AND, AGO, AIA, ATA, ATG, ARG, ARM, ABW, AUS, AUT, AZE, BHS, BHR, BGD, BRB, ...)");
	form_free(f);
}

static const char *coerce(const struct form *f, const char *qname, const char *json)
{
	static char out[512];
	char err[256] = "";
	json_t *in = json_loads(json, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL), *v = NULL;

	if (form_coerce_answer(f, form_find(f, qname), in, &v, err, sizeof err) < 0) {
		snprintf(out, sizeof out, "ERR: %s", err);
	} else if (!v) {
		snprintf(out, sizeof out, "(none)");
	} else {
		char *d = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);

		snprintf(out, sizeof out, "%s", d);
		free(d);
	}
	json_decref(v);
	json_decref(in);
	return out;
}

static void test_coerce(void)
{
	struct form *f = builtin();

	if (!f) {
		CHECK(f != NULL);
		return;
	}
	CHECK_STR(coerce(f, "scale_up_potential", "4"), "4");
	CHECK_STR(coerce(f, "scale_up_potential", "4.0"), "4");
	CHECK_STR(coerce(f, "scale_up_potential", "4.5"), "ERR: '4.5' is not a whole number");
	CHECK_STR(coerce(f, "scale_up_potential", "\"12\""), "12");
	CHECK_STR(coerce(f, "scale_up_potential", "\"x\""), "ERR: 'x' is not a whole number");
	CHECK_STR(coerce(f, "scale_up_potential", "true"), "ERR: 'true' is not a whole number");
	CHECK_STR(coerce(f, "scale_up_potential", "null"), "(none)");
	CHECK_STR(coerce(f, "level", "[\"global\", \"local\", \"global\"]"), "[\"global\",\"local\"]");
	CHECK_STR(coerce(f, "level", "\"local regional\""), "[\"local\",\"regional\"]");
	CHECK_STR(coerce(f, "level", "[]"), "(none)");
	CHECK_STR(coerce(f, "level", "[\"2\"]"), "ERR: '2' is not a choice (choose from: local, national, bilateral, "
		  "regional, interregional, global)");
	CHECK_STR(coerce(f, "level", "[1]"), "ERR: '[1]' is not a list of choices");
	CHECK_STR(coerce(f, "replicable", "[\"yes\"]"), "ERR: '[\"yes\"]' is not a choice");
	CHECK_STR(coerce(f, "notes", "\"a\\u0000b\""), "ERR: 'a' contains a NUL byte");
	CHECK_STR(coerce(f, "notes", "42"), "ERR: '42' is not text");
	CHECK_STR(coerce(f, "interview_date", "\"2018-02-30\""), "ERR: '2018-02-30' is not a real date");
	CHECK_STR(coerce(f, "location", "\"10 20\""), "\"10 20\"");
	form_free(f);
}

struct errors {
	int n;
	char list[16][512];
};

static void collect(void *ctx, const char *question, const char *message)
{
	struct errors *e = ctx;

	if (e->n < 16)
		snprintf(e->list[e->n], sizeof e->list[0], "%s: %s", question, message);
	e->n++;
}

static json_t *valid_record(void)
{
	return json_pack("{s:s, s:s, s:s, s:[s,s], s:[s], s:s, s:s, s:i, s:s, s:s, s:s, s:b}",
			 "partner_name", "Asociación de Migrantes del Sur",
			 "stakeholder_type", "migrant_organization",
			 "country", "MEX",
			 "level", "local", "regional",
			 "thematic_areas", "human_rights",
			 "replicable", "partly",
			 "achievements", "Legal clinics in three cities",
			 "scale_up_potential", 4,
			 "contact_email", "ana@example.org",
			 "interview_date", "2018-04-26",
			 "location", "19.4326 -99.1332",
			 "_deleted", 0);
}

static int check(const struct form *f, const json_t *rec, const char *lang, struct errors *e)
{
	memset(e, 0, sizeof *e);
	return form_check(f, rec, lang, collect, e);
}

static void test_check_valid(void)
{
	struct form *f = builtin();
	json_t *rec = valid_record();
	struct errors e;

	if (!f) {
		CHECK(f != NULL);
		return;
	}
	setenv("SONDEO_TODAY", "2018-06-01", 1);
	CHECK_INT(check(f, rec, "en", &e), 0);
	CHECK_INT(e.n, 0);
	if (e.n)
		fprintf(stdout, "#   first error: %s\n", e.list[0]);
	/* an empty string, empty array and null are all unanswered */
	json_object_set_new(rec, "notes", json_string(""));
	json_object_set_new(rec, "platforms", json_array());
	json_object_set_new(rec, "contact_name", json_null());
	CHECK_INT(check(f, rec, "en", &e), 0);
	json_decref(rec);
	unsetenv("SONDEO_TODAY");
	form_free(f);
}

static void test_check_many(void)
{
	struct form *f = builtin();
	json_t *rec;
	struct errors e;

	if (!f) {
		CHECK(f != NULL);
		return;
	}
	setenv("SONDEO_TODAY", "2018-06-01", 1);
	rec = json_pack("{s:s, s:s, s:[s], s:s, s:i, s:s, s:s, s:s, s:b}",
			"stakeholder_type", "ngo",
			"country", "Kenya",
			"level", "planetary",
			"thematic_areas", "human_rights",     /* a string where an array belongs */
			"scale_up_potential", 9,
			"contact_email", "not an address",
			"interview_date", "2018-06-02",
			"colour", "blue",
			"_deleted", 1);
	CHECK_INT(check(f, rec, "en", &e), 9);
	CHECK_STR(e.list[0], "partner_name: is required");
	CHECK_STR(e.list[1], "stakeholder_type: 'ngo' is not a choice (choose from: national_government, "
		  "local_government, ministry, civil_society, private_sector, migrant_organization, diaspora_organization, "
		  "academia, media, international_organization, un_agency, employer_recruiter, finance_sector, "
		  "local_community, other)");
	CHECK_STR(e.list[2], "country: 'Kenya' is not a choice (choose from: AFG, ALA, ALB, DZA, ASM, AND, AGO, AIA, ATA, "
		  "ATG, ARG, ARM, ABW, AUS, AUT, AZE, BHS, BHR, BGD, BRB, ...)");
	CHECK_STR(e.list[3], "level: 'planetary' is not a choice (choose from: local, national, bilateral, regional, "
		  "interregional, global)");
	CHECK_STR(e.list[4], "thematic_areas: '\"human_rights\"' is not a list of choices");
	CHECK_STR(e.list[5], "scale_up_potential: Enter a whole number from 1 to 5");
	CHECK_STR(e.list[6], "contact_email: Enter a valid e-mail address, e.g. name@example.org");
	CHECK_STR(e.list[7], "interview_date: The date cannot be in the future");
	CHECK_STR(e.list[8], "colour: is not a question of form 'partnership'");
	json_decref(rec);
	/* not a record at all */
	rec = json_array();
	CHECK_INT(check(f, rec, "en", &e), 1);
	CHECK_STR(e.list[0], ": the record is not a JSON object");
	json_decref(rec);
	unsetenv("SONDEO_TODAY");
	form_free(f);
}

static void test_check_exact(void)
{
	struct form *f = builtin();
	json_t *rec = valid_record();
	struct errors e;

	if (!f) {
		CHECK(f != NULL);
		return;
	}
	setenv("SONDEO_TODAY", "2018-06-01", 1);
	/* what a prompt forgives, a stored record may not hold */
	json_object_set_new(rec, "replicable", json_string("Yes"));
	json_object_set_new(rec, "level", json_pack("[s,s]", "local", "local"));
	json_object_set_new(rec, "interview_date", json_string(" 2018-04-26"));
	json_object_set_new(rec, "scale_up_potential", json_string("5"));
	json_object_set_new(rec, "location", json_string("1,2"));
	json_object_set_new(rec, "notes", json_integer(3));
	CHECK_INT(check(f, rec, "en", &e), 6);
	CHECK_STR(e.list[0], "level: 'local' is chosen twice");
	CHECK_STR(e.list[1], "replicable: 'Yes' is not a choice (choose from: yes, partly, no)");
	CHECK_STR(e.list[2], "scale_up_potential: '5' is text, not a whole number");
	CHECK_STR(e.list[3], "interview_date: ' 2018-04-26' is not written as YYYY-MM-DD");
	CHECK_STR(e.list[4], "location: '1,2' is not written as 'latitude longitude [altitude accuracy]'");
	CHECK_STR(e.list[5], "notes: '3' is not text");
	json_decref(rec);
	unsetenv("SONDEO_TODAY");
	form_free(f);
}

static void test_check_relevant(void)
{
	struct form *f = builtin();
	json_t *rec = valid_record();
	struct errors e;
	char err[256];

	if (!f) {
		CHECK(f != NULL);
		return;
	}
	setenv("SONDEO_TODAY", "2018-06-01", 1);
	/* other: the description becomes relevant and required */
	json_object_set_new(rec, "stakeholder_type", json_string("other"));
	CHECK_INT(form_relevant(f, form_find(f, "stakeholder_type_other"), rec, err, sizeof err), 1);
	CHECK_INT(check(f, rec, "en", &e), 1);
	CHECK_STR(e.list[0], "stakeholder_type_other: is required");
	json_object_set_new(rec, "stakeholder_type_other", json_string("Trade union"));
	CHECK_INT(check(f, rec, "en", &e), 0);
	/* back to a listed type: the description must go */
	json_object_set_new(rec, "stakeholder_type", json_string("academia"));
	CHECK_INT(form_relevant(f, form_find(f, "stakeholder_type_other"), rec, err, sizeof err), 0);
	CHECK_INT(check(f, rec, "en", &e), 1);
	CHECK_STR(e.list[0], "stakeholder_type_other: is answered but does not apply here "
		  "(relevant: ${stakeholder_type} = 'other')");
	json_object_del(rec, "stakeholder_type_other");
	/* not replicable: no scale-up rating */
	json_object_set_new(rec, "replicable", json_string("no"));
	CHECK_INT(check(f, rec, "en", &e), 1);
	CHECK_STR(e.list[0], "scale_up_potential: is answered but does not apply here (relevant: ${replicable} != 'no')");
	json_object_del(rec, "scale_up_potential");
	CHECK_INT(check(f, rec, "en", &e), 0);
	CHECK_INT(form_relevant(f, form_find(f, "partner_name"), rec, err, sizeof err), 1);
	json_decref(rec);
	unsetenv("SONDEO_TODAY");
	form_free(f);
}

static void test_check_languages(void)
{
	struct form *f = builtin();
	json_t *rec = valid_record();
	struct errors e;
	char err[256];

	if (!f) {
		CHECK(f != NULL);
		return;
	}
	setenv("SONDEO_TODAY", "2018-06-01", 1);
	json_object_set_new(rec, "country", json_string("KEN"));
	json_object_set_new(rec, "scale_up_potential", json_integer(0));
	json_object_set_new(rec, "interview_date", json_string("2019-01-01"));
	CHECK_INT(check(f, rec, "fr", &e), 2);
	CHECK_STR(e.list[0], "scale_up_potential: Saisissez un nombre entier de 1 à 5");
	CHECK_STR(e.list[1], "interview_date: La date ne peut pas être dans le futur");
	CHECK_INT(check(f, rec, "es_ES.UTF-8", &e), 2);
	CHECK_STR(e.list[1], "interview_date: La fecha no puede estar en el futuro");
	/* the same date is fine once that day has come */
	setenv("SONDEO_TODAY", "2019-01-01", 1);
	CHECK_INT(check(f, rec, "en", &e), 1);
	json_decref(rec);

	/* form_check_answer on its own; a form without messages gives plain ones */
	rec = valid_record();
	{
		json_t *v = json_integer(6);

		CHECK_INT(form_check_answer(f, form_find(f, "scale_up_potential"), v, rec, "en", err, sizeof err), -1);
		CHECK_STR(err, "Enter a whole number from 1 to 5");
		json_decref(v);
		v = json_integer(5);
		CHECK_INT(form_check_answer(f, form_find(f, "scale_up_potential"), v, rec, "en", err, sizeof err), 0);
		json_decref(v);
		CHECK_INT(form_check_answer(f, form_find(f, "partner_name"), NULL, rec, "en", err, sizeof err), -1);
		CHECK_STR(err, "is required");
		CHECK_INT(form_check_answer(f, form_find(f, "notes"), NULL, rec, "en", err, sizeof err), 0);
	}
	json_decref(rec);
	form_free(f);

	f = load_str("{\"id\":\"m\",\"version\":\"1\",\"questions\":[{\"name\":\"a\",\"type\":\"integer\","
		      "\"label\":\"A\",\"required\":true,\"required_message\":{\"en\":\"Say it\",\"fr\":\"Dites-le\"},"
		      "\"constraint\":\". > ${b}\"},{\"name\":\"b\",\"type\":\"integer\",\"label\":\"B\"}]}", err, sizeof err);
	CHECK(f != NULL);
	if (f) {
		json_t *ans = json_pack("{s:i,s:i}", "a", 1, "b", 2), *v = json_integer(3);

		CHECK_INT(form_check_answer(f, form_find(f, "a"), NULL, ans, "fr", err, sizeof err), -1);
		CHECK_STR(err, "Dites-le");
		CHECK_INT(form_check_answer(f, form_find(f, "a"), json_object_get(ans, "a"), ans, "en", err,
					    sizeof err), -1);
		CHECK_STR(err, "does not satisfy: . > ${b}");
		CHECK_INT(form_check_answer(f, form_find(f, "a"), v, ans, "en", err, sizeof err), 0);
		json_decref(v);
		json_decref(ans);
	}
	form_free(f);
	unsetenv("SONDEO_TODAY");
}

static void test_defaults(void)
{
	struct form *f = builtin();
	json_t *v;

	if (!f) {
		CHECK(f != NULL);
		return;
	}
	setenv("SONDEO_TODAY", "2018-04-26", 1);
	v = form_default(f, form_find(f, "interview_date"), NULL);
	CHECK(json_is_string(v));
	CHECK_STR(json_string_value(v), "2018-04-26");
	json_decref(v);
	CHECK(form_default(f, form_find(f, "partner_name"), NULL) == NULL);
	unsetenv("SONDEO_TODAY");
	form_free(f);

	f = load_str("{\"id\":\"d\",\"version\":\"1\",\"questions\":["
		      "{\"name\":\"n\",\"type\":\"integer\",\"label\":\"N\",\"default\":\"${m} * 2\"},"
		      "{\"name\":\"m\",\"type\":\"integer\",\"label\":\"M\"},"
		      "{\"name\":\"t\",\"type\":\"text\",\"label\":\"T\",\"default\":\"1 div 4\"},"
		      "{\"name\":\"s\",\"type\":\"select_one\",\"label\":\"S\",\"default\":\"'b'\","
		      "\"choices\":[{\"name\":\"a\",\"label\":\"A\"},{\"name\":\"b\",\"label\":\"B\"}]},"
		      "{\"name\":\"bad\",\"type\":\"select_one\",\"label\":\"S\",\"default\":\"'zz'\","
		      "\"choices\":[{\"name\":\"a\",\"label\":\"A\"}]}]}", NULL, 0);
	CHECK(f != NULL);
	if (f) {
		json_t *ans = json_pack("{s:i}", "m", 21);

		v = form_default(f, form_find(f, "n"), ans);
		CHECK(json_is_integer(v) && json_integer_value(v) == 42);
		json_decref(v);
		v = form_default(f, form_find(f, "t"), ans);
		CHECK(json_is_string(v) && !strcmp(json_string_value(v), "0.25"));
		json_decref(v);
		v = form_default(f, form_find(f, "s"), ans);
		CHECK(json_is_string(v) && !strcmp(json_string_value(v), "b"));
		json_decref(v);
		CHECK(form_default(f, form_find(f, "bad"), ans) == NULL);
		json_decref(ans);
	}
	form_free(f);
}

/* osm: the feature and the tags, read in any order and case and written one way; what a tag offers; the stored
 * form exact; the parts read back one by one; what a definition may not hold. */
static void test_osm(void)
{
	static const char def[] =
		"{\"id\": \"sites\", \"version\": \"1\", \"questions\": ["
		"{\"name\": \"bldg\", \"type\": \"osm\", \"label\": \"Building\", \"tags\": ["
		" {\"name\": \"building\", \"label\": {\"en\": \"Kind\", \"fr\": \"Type\"},"
		"  \"choices\": [{\"name\": \"yes\", \"label\": \"Any\"}, {\"name\": \"school\", \"label\": \"School\"}]},"
		" {\"name\": \"name\", \"label\": \"Name\"}, {\"name\": \"addr:street\", \"label\": \"Street\"}]},"
		"{\"name\": \"bare\", \"type\": \"osm\", \"label\": \"Feature only\"}]}";
	static const struct {
		const char *json, *err;
	} bad[] = {
		{ "[{\"name\": \"t\", \"type\": \"text\", \"label\": \"T\", \"tags\": []}]", "question 't': tags are only for osm questions" },
		{ "[{\"name\": \"t\", \"type\": \"osm\", \"label\": \"T\", \"tags\": [{\"name\": \"a b\", \"label\": \"A\"}]}]",
		  "question 't': tag 'a b' may hold only letters, digits, '_', ':', '.' and '-'" },
		{ "[{\"name\": \"t\", \"type\": \"osm\", \"label\": \"T\", \"tags\": [{\"name\": \"a\", \"label\": \"A\"},"
		  "{\"name\": \"a\", \"label\": \"B\"}]}]", "question 't': tag 'a' appears twice" },
		{ "[{\"name\": \"t\", \"type\": \"osm\", \"label\": \"T\", \"tags\": [{\"name\": \"a\"}]}]",
		  "question 't': tag 'a': missing label" },
		{ "[{\"name\": \"t\", \"type\": \"osm\", \"label\": \"T\", \"tags\": [{\"name\": \"a\", \"label\": \"A\","
		  "\"choices\": []}]}]", "question 't': tag 'a': choices must be a non-empty array" },
		{ "[{\"name\": \"t\", \"type\": \"osm\", \"label\": \"T\", \"tags\": [{\"name\": \"a\", \"label\": \"A\","
		  "\"colour\": \"red\"}]}]", "question 't': tag 'a': unknown key 'colour'" },
	};
	char err[512] = "", *part;
	struct form *f = load_str(def, err, sizeof err);
	json_t *rec;
	struct errors e;
	size_t i;

	if (!f) {
		fprintf(stdout, "#   refused: %s\n", err);
		CHECK(f != NULL);
		return;
	}
	CHECK_INT(form_find(f, "bldg")->ntags, 3);
	CHECK_INT(form_find(f, "bldg")->tags[0].nchoices, 2);
	CHECK_STR(form_text(f, form_find(f, "bldg")->tags[0].label, "fr"), "Type");
	CHECK_STR(parse(f, "bldg", "way/12", 0), "\"way/12\"");
	CHECK_STR(parse(f, "bldg", " name = Clinic;;Annex ; BUILDING=School; https://www.openstreetmap.org/node/5 ", 0),
		  "\"node/5; building=school; name=Clinic;;Annex\"");
	CHECK_STR(parse(f, "bldg", "w7;addr:street=Rue 12;;;", 0), "\"way/7; addr:street=Rue 12;;\"");
	CHECK_STR(parse(f, "bldg", "R3; name=", 0), "\"relation/3\"");
	CHECK_STR(parse(f, "bldg", " ; ; ", 0), "(none)");
	CHECK_STR(parse(f, "bldg", "way/0", 0), "ERR: 'way/0' is neither an OpenStreetMap feature (node/N, way/N or "
		  "relation/N) nor a tag (key=value)");
	CHECK_STR(parse(f, "bldg", "way/99999999999999999999", 0), "ERR: 'way/99999999999999999999' is neither an "
		  "OpenStreetMap feature (node/N, way/N or relation/N) nor a tag (key=value)");
	CHECK_STR(parse(f, "bldg", "way/1; way/2", 0), "ERR: two features, way/1 and way/2: an answer is about one");
	CHECK_STR(parse(f, "bldg", "way/1; w1", 0), "\"way/1\"");
	CHECK_STR(parse(f, "bldg", "https://www.openstreetmap.org/way/4242#map=19/-1.29/36.82; name=x", 0),
		  "\"way/4242; name=x\"");
	CHECK_STR(parse(f, "bldg", "https://www.openstreetmap.org/node/5/history", 0), "\"node/5\"");
	CHECK_STR(parse(f, "bldg", "way/12x", 0), "ERR: 'way/12x' is neither an OpenStreetMap feature (node/N, way/N "
		  "or relation/N) nor a tag (key=value)");
	CHECK_STR(parse(f, "bldg", "colour=red", 0), "ERR: 'colour' is not one of this question's tags (building, "
		  "name, addr:street)");
	CHECK_STR(parse(f, "bldg", "building=castle", 0), "ERR: building: 'castle' is not a choice (choose from: yes, "
		  "school)");
	CHECK_STR(parse(f, "bldg", "name=a; NAME=b", 0), "ERR: the tag name is given twice");
	CHECK_STR(parse(f, "bare", "node/1", 0), "\"node/1\"");
	CHECK_STR(parse(f, "bare", "node/1; name=x", 0), "ERR: 'name': this question takes the feature only, no tags");

	/* stored: exactly as written, the tags in the form's order */
	rec = json_pack("{s:s, s:s}", "bldg", "way/1; name=x; building=yes", "bare", "node/1");
	CHECK_INT(check(f, rec, "en", &e), 1);
	CHECK_STR(e.list[0], "bldg: 'way/1; name=x; building=yes' is not written as 'way/N; key=value; ...' with the "
		  "tags in the form's order");
	json_object_set_new(rec, "bldg", json_string("way/1; building=yes; name=x"));
	CHECK_INT(check(f, rec, "en", &e), 0);
	json_decref(rec);

	part = form_osm_part("way/4; building=school; name=Clinic;;Annex", NULL);
	CHECK_STR(part, "way/4");
	free(part);
	part = form_osm_part("way/4; building=school; name=Clinic;;Annex", "name");
	CHECK_STR(part, "Clinic;Annex");
	free(part);
	part = form_osm_part("building=school", NULL);
	CHECK(part == NULL);
	free(part);
	part = form_osm_part("way/4; building=school", "addr:street");
	CHECK(part == NULL);
	free(part);
	form_free(f);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char json[1024];

		snprintf(json, sizeof json, "{\"id\": \"x\", \"version\": \"1\", \"questions\": %s}", bad[i].json);
		err[0] = '\0';
		f = load_str(json, err, sizeof err);
		CHECK(f == NULL);
		if (!strstr(err, bad[i].err))
			fprintf(stdout, "#   case %zu: '%s' lacks '%s'\n", i, err, bad[i].err);
		CHECK(strstr(err, bad[i].err) != NULL);
		form_free(f);
	}
}

/* repeat_count: the number of instances from the record's answers, only a whole number in range; only on a
 * repeat, naming questions of the form. */
static void test_repeat_count(void)
{
	static const char def[] =
		"{\"id\": \"fam\", \"version\": \"1\", \"groups\": [{\"name\": \"kids\", \"repeat\": true,"
		" \"repeat_count\": \"${n}\"}, {\"name\": \"pets\", \"repeat\": true}], \"questions\": ["
		"{\"name\": \"n\", \"type\": \"decimal\", \"label\": \"N\"},"
		"{\"name\": \"kid\", \"type\": \"text\", \"label\": \"Kid\", \"group\": \"kids\"},"
		"{\"name\": \"pet\", \"type\": \"text\", \"label\": \"Pet\", \"group\": \"pets\"}]}";
	char err[512] = "";
	struct form *f = load_str(def, err, sizeof err);
	const struct form_group *kids, *pets;
	json_t *a;

	if (!f) {
		fprintf(stdout, "#   refused: %s\n", err);
		CHECK(f != NULL);
		return;
	}
	kids = form_repeat_find(f, "kids");
	pets = form_repeat_find(f, "pets");
	CHECK_STR(kids->repeat_count_src, "${n}");
	a = json_pack("{s:i}", "n", 3);
	CHECK_INT(form_repeat_count(f, kids, a), 3);
	CHECK_INT(form_repeat_count(f, pets, a), -1);
	json_object_set_new(a, "n", json_real(0));
	CHECK_INT(form_repeat_count(f, kids, a), 0);
	json_object_set_new(a, "n", json_real(2.5));
	CHECK_INT(form_repeat_count(f, kids, a), -1);
	json_object_set_new(a, "n", json_integer(-1));
	CHECK_INT(form_repeat_count(f, kids, a), -1);
	json_object_set_new(a, "n", json_integer(FORM_MAX_REPEAT_COUNT + 1));
	CHECK_INT(form_repeat_count(f, kids, a), -1);
	json_object_set_new(a, "n", json_string("4"));
	CHECK_INT(form_repeat_count(f, kids, a), 4);
	json_object_del(a, "n");
	CHECK_INT(form_repeat_count(f, kids, a), -1);
	json_decref(a);
	form_free(f);

	f = load_str("{\"id\": \"x\", \"version\": \"1\", \"groups\": [{\"name\": \"g\", \"repeat_count\": \"2\"}],"
		     " \"questions\": [{\"name\": \"a\", \"type\": \"text\", \"label\": \"A\", \"group\": \"g\"}]}", err, sizeof err);
	CHECK(f == NULL);
	CHECK_STR(err, "group 'g': only a repeat has a repeat_count");
	form_free(f);
	f = load_str("{\"id\": \"x\", \"version\": \"1\", \"groups\": [{\"name\": \"g\", \"repeat\": true, \"repeat_count\":"
		     " \"${b} + 1\"}], \"questions\": [{\"name\": \"a\", \"type\": \"text\", \"label\": \"A\", \"group\": \"g\"}]}",
		     err, sizeof err);
	CHECK(f == NULL);
	CHECK_STR(err, "group 'g': repeat_count names unknown question 'b'");
	form_free(f);
}

/* Labels, hints and messages that name answers: put in as a person reads them; unknown names refused. */
static void test_interpolate(void)
{
	static const char def[] =
		"{\"id\": \"g\", \"version\": \"1\", \"questions\": ["
		"{\"name\": \"pname\", \"type\": \"text\", \"label\": \"Name\"},"
		"{\"name\": \"plang\", \"type\": \"select_multiple\", \"label\": \"Languages\", \"choices\": ["
		" {\"name\": \"fr\", \"label\": {\"en\": \"French\", \"es\": \"Francés\"}}, {\"name\": \"sw\", \"label\": \"Swahili\"}]},"
		"{\"name\": \"age\", \"type\": \"integer\", \"label\": {\"en\": \"How old is ${pname}?\", \"es\": \"¿Edad de ${pname}?\"},"
		" \"hint\": \"${pname} speaks ${plang}\"},"
		"{\"name\": \"w\", \"type\": \"decimal\", \"label\": \"Weight, ${age} years\"}]}";
	char err[512] = "", *t;
	struct form *f = load_str(def, err, sizeof err);
	json_t *a;

	if (!f) {
		fprintf(stdout, "#   refused: %s\n", err);
		CHECK(f != NULL);
		return;
	}
	a = json_pack("{s:s, s:[s,s], s:i, s:f}", "pname", "Ana", "plang", "fr", "sw", "age", 34, "w", 61.5);
	t = form_interpolate(f, form_text(f, form_find(f, "age")->label, "es"), a, "es");
	CHECK_STR(t, "¿Edad de Ana?");
	free(t);
	t = form_interpolate(f, form_text(f, form_find(f, "age")->hint, "es"), a, "es");
	CHECK_STR(t, "Ana speaks Francés, Swahili");
	free(t);
	t = form_interpolate(f, "${age} and ${w} and ${nope} and ${", a, "en");
	CHECK_STR(t, "34 and 61.5 and ${nope} and ${");
	free(t);
	t = form_interpolate(f, "How old is ${pname}?", NULL, "en");
	CHECK_STR(t, "How old is ?");
	free(t);
	CHECK(form_interpolate(f, NULL, a, "en") == NULL);
	json_decref(a);
	form_free(f);

	f = load_str("{\"id\": \"x\", \"version\": \"1\", \"questions\": [{\"name\": \"a\", \"type\": \"text\", \"label\": \"A\"},"
		     " {\"name\": \"b\", \"type\": \"text\", \"label\": {\"en\": \"B\", \"fr\": \"B de ${zz}\"}}]}", err, sizeof err);
	CHECK(f == NULL);
	CHECK_STR(err, "question 'b': label names unknown question 'zz'");
	form_free(f);
	f = load_str("{\"id\": \"x\", \"version\": \"1\", \"groups\": [{\"name\": \"g\", \"label\": \"About ${a}${q}\"}],"
		     " \"questions\": [{\"name\": \"a\", \"type\": \"text\", \"label\": \"A\", \"group\": \"g\"}]}", err, sizeof err);
	CHECK(f == NULL);
	CHECK_STR(err, "group 'g': label names unknown question 'q'");
	form_free(f);
}

/* rank: every choice offered, in order, each once; read by names or numbers; stored exactly. */
static void test_rank(void)
{
	static const char def[] =
		"{\"id\": \"r\", \"version\": \"1\", \"questions\": ["
		"{\"name\": \"region\", \"type\": \"select_one\", \"label\": \"Region\", \"choices\": ["
		" {\"name\": \"east\", \"label\": \"East\"}, {\"name\": \"west\", \"label\": \"West\"}]},"
		"{\"name\": \"prio\", \"type\": \"rank\", \"label\": \"Priorities\", \"choice_filter\": \"zone = ${region} or zone = 'all'\","
		" \"choices\": [{\"name\": \"jobs\", \"label\": \"Jobs\", \"data\": {\"zone\": \"all\"}},"
		" {\"name\": \"health\", \"label\": \"Health\", \"data\": {\"zone\": \"all\"}},"
		" {\"name\": \"ports\", \"label\": \"Ports\", \"data\": {\"zone\": \"east\"}}]}]}";
	char err[512] = "";
	struct form *f = load_str(def, err, sizeof err);
	json_t *rec;
	struct errors e;

	if (!f) {
		fprintf(stdout, "#   refused: %s\n", err);
		CHECK(f != NULL);
		return;
	}
	CHECK_STR(form_type_name(form_find(f, "prio")->type), "rank");
	CHECK_STR(parse(f, "prio", "health jobs ports", 0), "[\"health\",\"jobs\",\"ports\"]");
	CHECK_STR(parse(f, "prio", "3 1 2", FORM_PARSE_NUMBERS), "[\"ports\",\"jobs\",\"health\"]");
	CHECK_STR(parse(f, "prio", "jobs jobs", 0), "ERR: 'jobs' is ranked twice");
	CHECK_STR(parse(f, "prio", "jobs roads", 0), "ERR: 'roads' is not a choice (choose from: jobs, health, ports)");
	/* every choice offered, given the other answers */
	rec = json_pack("{s:s, s:[s,s]}", "region", "west", "prio", "health", "jobs");
	CHECK_INT(check(f, rec, "en", &e), 0);
	json_object_set_new(rec, "region", json_string("east"));
	CHECK_INT(check(f, rec, "en", &e), 1);
	CHECK_STR(e.list[0], "prio: rank every choice: ports is missing");
	json_object_set_new(rec, "prio", json_pack("[s,s,s]", "ports", "health", "jobs"));
	CHECK_INT(check(f, rec, "en", &e), 0);
	json_object_set_new(rec, "prio", json_pack("[s,s,s]", "ports", "health", "ports"));
	CHECK_INT(check(f, rec, "en", &e), 1);
	CHECK_STR(e.list[0], "prio: 'ports' is ranked twice");
	json_decref(rec);
	form_free(f);
}

/* geotrace and geoshape: points separated by ';', written one way; a shape closed; GeoJSON geometries. */
static void test_geolines(void)
{
	static const char def[] =
		"{\"id\": \"g\", \"version\": \"1\", \"questions\": ["
		"{\"name\": \"road\", \"type\": \"geotrace\", \"label\": \"Road\"},"
		"{\"name\": \"plot\", \"type\": \"geoshape\", \"label\": \"Plot\"}]}";
	char err[512] = "";
	struct form *f = load_str(def, err, sizeof err);
	struct buf b = BUF_INIT(4096);

	if (!f) {
		fprintf(stdout, "#   refused: %s\n", err);
		CHECK(f != NULL);
		return;
	}
	CHECK_STR(parse(f, "road", " -1.29 36.82 ;-1.30, 36.83 1700 5; ", 0), "\"-1.29 36.82; -1.30 36.83 1700 5\"");
	CHECK_STR(parse(f, "road", "-1.29 36.82", 0), "ERR: '-1.29 36.82' has 1 point: a line needs 2 or more");
	CHECK_STR(parse(f, "road", "-1.29 36.82; 95 1", 0), "ERR: point 2: latitude 95 is out of range (-90 to 90)");
	CHECK_STR(parse(f, "road", " ; ", 0), "(none)");
	CHECK_STR(parse(f, "plot", "1 1; 1 2; 2 2", 0), "\"1 1; 1 2; 2 2; 1 1\"");
	CHECK_STR(parse(f, "plot", "1 1; 1 2; 2 2; 1 1", 0), "\"1 1; 1 2; 2 2; 1 1\"");
	CHECK_STR(parse(f, "plot", "1 1; 1 2; 1 1", 0), "ERR: '1 1; 1 2; 1 1' has 2 points: a shape needs 3 or more");
	CHECK_STR(parse(f, "plot", "1 1", 0), "ERR: '1 1' has 1 point: a shape needs 3 or more");
	CHECK_INT(form_geojson_geometry(FT_GEOTRACE, "-1.29 36.82; -1.3 36.83 1700 5", &b), 1);
	CHECK_STR(b.data, "{\"type\":\"LineString\",\"coordinates\":[[36.82,-1.29],[36.83,-1.3]]}");
	buf_reset(&b);
	CHECK_INT(form_geojson_geometry(FT_GEOSHAPE, "1 1; 1 2; 2 2; 1 1", &b), 1);
	CHECK_STR(b.data, "{\"type\":\"Polygon\",\"coordinates\":[[[1,1],[2,1],[2,2],[1,1]]]}");
	buf_reset(&b);
	CHECK_INT(form_geojson_geometry(FT_GEOPOINT, "14.69 -17.44 22 5", &b), 1);
	CHECK_STR(b.data, "{\"type\":\"Point\",\"coordinates\":[-17.44,14.69]}");
	buf_reset(&b);
	CHECK_INT(form_geojson_geometry(FT_GEOPOINT, "1 2; 3 4", &b), 0);
	CHECK_INT(form_geojson_geometry(FT_GEOTRACE, "1 north; 3 4", &b), 0);
	CHECK_INT(form_geojson_geometry(FT_TEXT, "1 2", &b), 0);
	CHECK_INT(b.len, 0);
	buf_release(&b);
	form_free(f);
}

/* form_settle: relevance is judged on calculations at rest, even on a question placed before them; a cleared answer
 * changes a calculation; flags choose defaults, pruning and end; a repeat's instance changes only its own
 * questions. */
static void test_settle(void)
{
	static const char def[] =
		"{\"id\": \"b\", \"version\": \"1\", \"groups\": [{\"name\": \"kids\", \"repeat\": true}], \"questions\": ["
		"{\"name\": \"why\", \"type\": \"text\", \"label\": \"Why\", \"relevant\": \"${per} > 1000\"},"
		"{\"name\": \"budget\", \"type\": \"integer\", \"label\": \"B\"},"
		"{\"name\": \"band\", \"type\": \"calculate\", \"calculation\": \"if(${why} != '', 'explained', ${half})\"},"
		"{\"name\": \"half\", \"type\": \"calculate\", \"calculation\": \"${per} div 2\"},"
		"{\"name\": \"per\", \"type\": \"integer\", \"label\": \"P\", \"calculation\": \"${budget} div 2\"},"
		"{\"name\": \"place\", \"type\": \"text\", \"label\": \"Place\", \"default\": \"'Kisumu'\"},"
		"{\"name\": \"fin\", \"type\": \"end\"},"
		"{\"name\": \"kid\", \"type\": \"text\", \"label\": \"Kid\", \"group\": \"kids\"},"
		"{\"name\": \"kidcalc\", \"type\": \"calculate\", \"calculation\": \"concat(${kid}, '@', ${budget})\","
		" \"group\": \"kids\"}]}";
	struct form_env env = { "dev1", "laptop", 1700000000000ULL, NULL };
	char err[512] = "";
	struct form *f = load_str(def, err, sizeof err);
	json_t *a, *cleared, *expect;

	if (!f) {
		fprintf(stdout, "#   refused: %s\n", err);
		CHECK(f != NULL);
		return;
	}
	/* Stale results, as a record holds them before budget changed from 5000 to 100. */
	a = json_pack("{s:i, s:i, s:s, s:s, s:s}", "budget", 100, "per", 2500, "why", "Rent", "band", "explained",
		      "half", "1250");
	cleared = json_array();
	CHECK_INT(form_settle(f, a, &env, NULL, FORM_SETTLE_PRUNE, cleared), 1);
	expect = json_pack("{s:i, s:i, s:s, s:s}", "budget", 100, "per", 50, "band", "25", "half", "25");
	CHECK(json_equal(a, expect));
	CHECK_INT((int)json_array_size(cleared), 1);
	CHECK_STR(json_string_value(json_array_get(cleared, 0)), "why");
	json_decref(expect);
	json_decref(cleared);
	/* Without PRUNE an answer stays, however irrelevant; with DEFAULTS and FINAL the default and end come. */
	json_object_set_new(a, "why", json_string("Rent"));
	CHECK_INT(form_settle(f, a, &env, NULL, FORM_SETTLE_DEFAULTS | FORM_SETTLE_FINAL, NULL), 0);
	CHECK_STR(json_string_value(json_object_get(a, "why")), "Rent");
	CHECK_STR(json_string_value(json_object_get(a, "band")), "explained");
	CHECK_STR(json_string_value(json_object_get(a, "place")), "Kisumu");
	CHECK(json_is_string(json_object_get(a, "fin")));
	CHECK(json_object_get(a, "kidcalc") == NULL);
	json_decref(a);
	/* An instance: its own calculation, reading its record's answers, which stay as they are. */
	a = json_pack("{s:i, s:s, s:s}", "budget", 7, "kid", "Ana", "per", "stale");
	CHECK_INT(form_settle(f, a, &env, form_repeat_find(f, "kids"), FORM_SETTLE_PRUNE | FORM_SETTLE_DEFAULTS, NULL), 0);
	CHECK_STR(json_string_value(json_object_get(a, "kidcalc")), "Ana@7");
	CHECK_STR(json_string_value(json_object_get(a, "per")), "stale");
	CHECK(json_object_get(a, "place") == NULL);
	json_decref(a);
	form_free(f);
}

/* util.h's rule on the server's paths: out of memory at any allocation of form loading, answer reading and
 * checking, form_settle or expression evaluation is an error ("out of memory", ERR_OOM or errno ENOMEM), never
 * an abort; and nothing leaks (the sanitizers' leak check). Each step is run with its first allocation failing,
 * then its second, and so on until it succeeds; jansson allocates through the same counter but while loading. */
static const char oom_form[] =
	"{\"id\": \"m\", \"version\": \"1\", \"groups\": [{\"name\": \"g\", \"relevant\": \"${n} > 0\"}], \"questions\": ["
	"{\"name\": \"n\", \"type\": \"integer\", \"label\": {\"en\": \"N\", \"fr\": \"N\"}, \"constraint\":"
	" \"regex(string(.), '^[0-9]+$') and . < 100\", \"default\": \"concat('1', '2')\"},"
	"{\"name\": \"state\", \"type\": \"select_one\", \"label\": \"S\", \"choices\": ["
	"{\"name\": \"wa\", \"label\": \"WA\"}, {\"name\": \"or\", \"label\": \"OR\"}]},"
	"{\"name\": \"county\", \"type\": \"select_multiple\", \"label\": \"C\", \"group\": \"g\","
	" \"choice_filter\": \"st = ${state}\", \"choices\": [{\"name\": \"king\", \"label\": \"King\", \"data\":"
	" {\"st\": \"wa\"}}, {\"name\": \"lane\", \"label\": \"Lane\", \"data\": {\"st\": \"or\"}}]},"
	"{\"name\": \"place\", \"type\": \"osm\", \"label\": \"P\", \"tags\": [{\"name\": \"building\", \"label\": \"B\"}]},"
	"{\"name\": \"sum\", \"type\": \"calculate\", \"calculation\": \"if(selected(${county}, 'king'),"
	" ${n} * 2, string-length(${state}))\"},"
	"{\"name\": \"start\", \"type\": \"start\"}]}";

enum oom_step { OOM_LOAD, OOM_COERCE, OOM_OSM, OOM_CHECK, OOM_SETTLE, OOM_EVAL, OOM_PARSE };

/* Runs step once with memory failing after `after` allocations: 1 done, 0 failed as out of memory, -1 failed
 * otherwise (a test failure). */
static int oom_run(enum oom_step step, long after)
{
	const struct form *f0 = NULL;
	struct form *f = NULL;
	json_t *in = NULL, *out = NULL, *answers = NULL;
	struct expr *e = NULL;
	struct form_env env = { "dev1", "laptop", 1700000000000ULL, NULL };
	char err[512] = "";
	int r = 0, ok;

	/* What the step works on is made with memory to spare. */
	if (step != OOM_LOAD) {
		f0 = f = form_load(oom_form, strlen(oom_form), err, sizeof err);
		if (!f) {
			fprintf(stdout, "#   refused: %s\n", err);
			return -1;
		}
		answers = json_pack("{s:i, s:s, s:[s]}", "n", 7, "state", "wa", "county", "king");
		in = json_pack("[s, s]", "king", "king");
	}
	if (step == OOM_PARSE || step == OOM_EVAL)
		e = expr_parse("concat(${state}, '-', string(${n} + 1), if(selected(${county}, 'king'), 'k', ''))",
			       err, sizeof err);
	mem_fail_after(after);
	switch (step) {
	case OOM_LOAD:
		f = form_load(oom_form, strlen(oom_form), err, sizeof err);
		r = f ? 0 : errno == ENOMEM ? ERR_OOM : -1;
		break;
	case OOM_COERCE:
		r = form_coerce_answer(f0, form_find(f0, "county"), in, &out, err, sizeof err);
		break;
	case OOM_OSM:
		r = form_parse_answer(f0, form_find(f0, "place"), "building=yes; way/42", 0, &out, err, sizeof err);
		break;
	case OOM_CHECK:
		r = form_check_answer(f0, form_find(f0, "county"), json_object_get(answers, "county"), answers, "en", err,
				      sizeof err);
		if (r == 0)
			r = form_check_answer(f0, form_find(f0, "n"), json_object_get(answers, "n"), answers, "en", err,
					      sizeof err);
		break;
	case OOM_SETTLE:
		r = form_settle(f0, answers, &env, NULL, FORM_SETTLE_DEFAULTS | FORM_SETTLE_FINAL, NULL);
		if (r == ERR_OOM)
			snprintf(err, sizeof err, "out of memory");
		break;
	case OOM_EVAL:
		r = expr_eval(e, answers, NULL, &out, err, sizeof err);
		break;
	case OOM_PARSE:
		expr_free(e);
		e = expr_parse("regex(${state}, '^w') and count-selected(${county}) < 3 or -${n} = 1", err, sizeof err);
		r = e ? 0 : errno == ENOMEM ? ERR_OOM : -1;
		break;
	}
	mem_fail_after(-1);
	ok = r >= 0 ? 1 : r == ERR_OOM && !strcmp(err, "out of memory") ? 0 : -1;
	if (ok < 0)
		fprintf(stdout, "#   step %d failing after %ld: %d, '%s'\n", (int)step, after, r, err);
	if (ok == 1 && step == OOM_EVAL && !json_equal(out, json_string_value(out) ? out : NULL))
		ok = -1;
	if (ok == 1 && (step == OOM_COERCE || step == OOM_OSM) && !out)
		ok = -1;
	json_decref(out);
	json_decref(in);
	json_decref(answers);
	expr_free(e);
	form_free(f);
	return ok;
}

static void test_out_of_memory(void)
{
	enum oom_step step;

	for (step = OOM_LOAD; step <= OOM_PARSE; step++) {
		long after;
		int r = 0, failed = 0;

		/* jansson's parser reports some failed allocations as syntax errors: loading counts only the
		 * form's own allocations. */
		json_set_alloc_funcs(step == OOM_LOAD ? malloc : mem_alloc, free);

		for (after = 0; after < 100000 && (r = oom_run(step, after)) == 0; after++)
			failed++;
		CHECK_INT(r, 1);          /* it succeeds once memory suffices, */
		CHECK(failed > 0);        /* and failed cleanly, as out of memory, before */
	}
	json_set_alloc_funcs(malloc, free);
}

/* A record's title: the questions instance_name names (XLSForm's settings column), else the first questions every
 * record is asked; the built-in form's are its partner's name, type and country. */
static void test_title(void)
{
	static const char def[] =
		"{\"id\": \"orgs\", \"version\": \"1\", \"instance_name\": \"concat(${org}, ' (', ${city}, ')')\","
		" \"groups\": [{\"name\": \"staff\", \"repeat\": true}], \"questions\": ["
		"{\"name\": \"when\", \"type\": \"date\", \"label\": \"Date\"},"
		"{\"name\": \"org\", \"type\": \"text\", \"label\": \"Organisation\"},"
		"{\"name\": \"city\", \"type\": \"text\", \"label\": \"City\"},"
		"{\"name\": \"member\", \"type\": \"text\", \"label\": \"Member\", \"group\": \"staff\"}]}";
	char err[512] = "", *t;
	const char *const *names;
	struct form *f = builtin();
	json_t *a;

	CHECK(f != NULL);
	if (f) {
		/* Its instance_name names the partner and its country: what tells one partner from another. */
		CHECK_INT((int)form_title_fields(f, &names), 2);
		CHECK_STR(names[0], "partner_name");
		CHECK_STR(names[1], "country");
		a = json_pack("{s:s, s:s}", "partner_name", "Red Crescent", "country", "KEN");
		t = form_record_title(f, a);
		CHECK_STR(t, "Red Crescent (KEN)");
		free(t);
		json_object_del(a, "country");   /* a draft not yet so far */
		t = form_record_title(f, a);
		CHECK_STR(t, "Red Crescent");
		free(t);
		json_decref(a);
		form_free(f);
	}
	f = load_str(def, err, sizeof err);
	if (!f) {
		fprintf(stdout, "#   refused: %s\n", err);
		CHECK(f != NULL);
		return;
	}
	CHECK_INT((int)form_title_fields(f, &names), 2);
	CHECK_STR(names[0], "org");
	CHECK_STR(names[1], "city");
	a = json_pack("{s:s, s:s, s:s}", "when", "2026-12-06", "org", "Caritas", "city", "Mombasa");
	t = form_record_title(f, a);
	CHECK_STR(t, "Caritas (Mombasa)");
	free(t);
	json_decref(a);
	form_free(f);

	/* Without instance_name: the first questions, whatever their names. */
	f = load_str("{\"id\": \"x\", \"version\": \"1\", \"questions\": [{\"name\": \"n\", \"type\": \"note\", \"label\": \"Hi\"},"
		     " {\"name\": \"a\", \"type\": \"integer\", \"label\": \"A\"}, {\"name\": \"b\", \"type\": \"text\","
		     " \"label\": \"B\", \"relevant\": \"${a} > 1\"}, {\"name\": \"c\", \"type\": \"calculate\","
		     " \"calculation\": \"${a} + 1\"}, {\"name\": \"d\", \"type\": \"text\", \"label\": \"D\"}]}", err, sizeof err);
	CHECK(f != NULL);
	if (f) {
		CHECK_INT((int)form_title_fields(f, &names), 2);
		CHECK_STR(names[0], "a");
		CHECK_STR(names[1], "d");
		a = json_pack("{s:i}", "a", 7);
		t = form_record_title(f, a);
		CHECK_STR(t, "7");
		free(t);
		json_decref(a);
		CHECK(form_record_title(f, NULL) == NULL);
		form_free(f);
	}
	f = load_str("{\"id\": \"x\", \"version\": \"1\", \"instance_name\": \"concat(${a}, ${zz})\", \"questions\": ["
		     "{\"name\": \"a\", \"type\": \"text\", \"label\": \"A\"}]}", err, sizeof err);
	CHECK(f == NULL);
	CHECK_STR(err, "form 'x': instance_name names unknown question 'zz'");
	form_free(f);
	f = load_str("{\"id\": \"x\", \"version\": \"1\", \"instance_name\": \"${m}\", \"groups\": [{\"name\": \"r\","
		     " \"repeat\": true}], \"questions\": [{\"name\": \"a\", \"type\": \"text\", \"label\": \"A\"},"
		     " {\"name\": \"m\", \"type\": \"text\", \"label\": \"M\", \"group\": \"r\"}]}", err, sizeof err);
	CHECK(f == NULL);
	CHECK_STR(err, "form 'x': instance_name names the repeated question 'm'");
	form_free(f);
	f = load_str("{\"id\": \"x\", \"version\": \"1\", \"instance_name\": \"concat(\", \"questions\": ["
		     "{\"name\": \"a\", \"type\": \"text\", \"label\": \"A\"}]}", err, sizeof err);
	CHECK(f == NULL);
	CHECK(strstr(err, "form: instance_name: ") == err);
	form_free(f);
}

/* A form whose calculations read its repeat's instances, a choice's label, the instance's place, and keep a value
 * once made: the answers carry the instances (_instances) and an instance its place (_position), as the laptop's
 * store gives them. */
static const char repeat_form[] =
	"{\"id\": \"hh\", \"version\": \"1\", \"default_language\": \"en\","
	" \"groups\": [{\"name\": \"member\", \"repeat\": true}], \"questions\": ["
	"{\"name\": \"head\", \"type\": \"text\", \"label\": \"Head\"},"
	"{\"name\": \"colour\", \"type\": \"select_one\", \"label\": \"Colour\", \"choices\": ["
	" {\"name\": \"r\", \"label\": {\"en\": \"Red\", \"fr\": \"Rouge\"}},"
	" {\"name\": \"g\", \"label\": {\"en\": \"Green\", \"fr\": \"Vert\"}}]},"
	"{\"name\": \"name\", \"type\": \"text\", \"label\": \"Name\", \"group\": \"member\"},"
	"{\"name\": \"age\", \"type\": \"integer\", \"label\": \"Age\", \"group\": \"member\","
	" \"constraint\": \". < ${oldest_allowed}\"},"
	"{\"name\": \"place\", \"type\": \"calculate\", \"calculation\": \"position(..)\", \"group\": \"member\"},"
	"{\"name\": \"before\", \"type\": \"calculate\", \"group\": \"member\","
	" \"calculation\": \"indexed-repeat(${name}, ${member}, position(..) - 1)\"},"
	"{\"name\": \"siblings\", \"type\": \"calculate\", \"calculation\": \"count(${member})\", \"group\": \"member\"},"
	"{\"name\": \"own_sum\", \"type\": \"calculate\", \"calculation\": \"sum(${age})\", \"group\": \"member\"},"
	"{\"name\": \"oldest_allowed\", \"type\": \"integer\", \"label\": \"Oldest\"},"
	"{\"name\": \"total\", \"type\": \"calculate\", \"calculation\": \"sum(${age})\"},"
	"{\"name\": \"n\", \"type\": \"calculate\", \"calculation\": \"count(${member})\"},"
	"{\"name\": \"first\", \"type\": \"calculate\", \"calculation\": \"indexed-repeat(${name}, ${member}, 1)\"},"
	"{\"name\": \"names\", \"type\": \"calculate\", \"calculation\": \"join(', ', ${name})\"},"
	"{\"name\": \"oldest\", \"type\": \"calculate\", \"calculation\": \"max(${age})\"},"
	"{\"name\": \"colour_label\", \"type\": \"calculate\","
	" \"calculation\": \"jr:choice-name(${colour}, '${colour}')\"},"
	"{\"name\": \"key\", \"type\": \"calculate\", \"calculation\": \"once(uuid())\"},"
	"{\"name\": \"draw\", \"type\": \"calculate\", \"calculation\": \"random()\"},"
	"{\"name\": \"big\", \"type\": \"text\", \"label\": \"Why so many?\", \"relevant\": \"count(${member}) > 2\"}"
	"]}";

static void test_repeat_functions(void)
{
	struct form_env env = { "dev1", "laptop", 1700000000000ULL, NULL };
	char err[512] = "", key[64];
	struct form *f = load_str(repeat_form, err, sizeof err);
	const struct form_group *member;
	json_t *rec, *inst;
	double draw;

	if (!f) {
		fprintf(stdout, "#   refused: %s\n", err);
		CHECK(f != NULL);
		return;
	}
	member = form_repeat_find(f, "member");
	/* The record, with its two instances in view. */
	rec = json_pack("{s:s, s:s, s:i, s:{s:[{s:s, s:i}, {s:s, s:i}]}}", "head", "Okello", "colour", "g",
			"oldest_allowed", 120, "_instances", "member", "name", "Ana", "age", 34, "name", "Ben", "age", 3);
	CHECK_INT(form_settle(f, rec, &env, NULL, 0, NULL), 0);
	CHECK_STR(json_string_value(json_object_get(rec, "total")), "37");
	CHECK_STR(json_string_value(json_object_get(rec, "n")), "2");
	CHECK_STR(json_string_value(json_object_get(rec, "first")), "Ana");
	CHECK_STR(json_string_value(json_object_get(rec, "names")), "Ana, Ben");
	CHECK_STR(json_string_value(json_object_get(rec, "oldest")), "34");
	CHECK_STR(json_string_value(json_object_get(rec, "colour_label")), "Green");
	CHECK_INT((int)json_string_length(json_object_get(rec, "key")), 36);
	draw = strtod(json_string_value(json_object_get(rec, "draw")) ? json_string_value(json_object_get(rec, "draw"))
								      : "-1", NULL);
	CHECK(draw >= 0 && draw < 1);
	CHECK_INT(form_relevant(f, form_find(f, "big"), rec, NULL, 0), 0);
	/* Worked out again: the key stays (once()), the language chosen names the choice. */
	snprintf(key, sizeof key, "%s", json_string_value(json_object_get(rec, "key")));
	env.lang = "fr";
	CHECK_INT(form_settle(f, rec, &env, NULL, 0, NULL), 0);
	CHECK_STR(json_string_value(json_object_get(rec, "key")), key);
	CHECK_STR(json_string_value(json_object_get(rec, "colour_label")), "Vert");
	env.lang = NULL;
	/* A third instance: the relevance that counts them follows. */
	json_array_append_new(json_object_get(json_object_get(rec, "_instances"), "member"),
			      json_pack("{s:s, s:i}", "name", "Cleo", "age", 70));
	CHECK_INT(form_relevant(f, form_find(f, "big"), rec, NULL, 0), 1);
	CHECK_INT(form_settle(f, rec, &env, NULL, 0, NULL), 0);
	CHECK_STR(json_string_value(json_object_get(rec, "total")), "107");
	CHECK_STR(json_string_value(json_object_get(rec, "key")), key);

	/* The second instance, its record's answers under its own: its place, the one before it, its siblings; its
	 * own ${age} is one answer. */
	inst = json_deep_copy(rec);
	json_object_set_new(inst, "_repeat", json_string("member"));
	json_object_set_new(inst, "_position", json_integer(2));
	json_object_set_new(inst, "name", json_string("Ben"));
	json_object_set_new(inst, "age", json_integer(4));
	CHECK_INT(form_settle(f, inst, &env, member, 0, NULL), 0);
	CHECK_STR(json_string_value(json_object_get(inst, "place")), "2");
	CHECK_STR(json_string_value(json_object_get(inst, "before")), "Ana");
	CHECK_STR(json_string_value(json_object_get(inst, "siblings")), "3");
	CHECK_STR(json_string_value(json_object_get(inst, "own_sum")), "4");
	/* its constraint reads its record's answer */
	CHECK_INT(form_check_answer(f, form_find(f, "age"), json_object_get(inst, "age"), inst, "en", err, sizeof err), 0);
	json_object_set_new(inst, "oldest_allowed", json_integer(4));
	CHECK_INT(form_check_answer(f, form_find(f, "age"), json_object_get(inst, "age"), inst, "en", err, sizeof err),
		  -1);
	json_decref(inst);
	/* A new instance, not among those saved: the fourth. */
	inst = json_deep_copy(rec);
	json_object_set_new(inst, "_repeat", json_string("member"));
	json_object_set_new(inst, "_position", json_integer(4));
	json_object_set_new(inst, "name", json_string("Dan"));
	CHECK_INT(form_settle(f, inst, &env, member, 0, NULL), 0);
	CHECK_STR(json_string_value(json_object_get(inst, "place")), "4");
	CHECK_STR(json_string_value(json_object_get(inst, "before")), "Cleo");
	CHECK_STR(json_string_value(json_object_get(inst, "siblings")), "4");
	json_decref(inst);
	json_decref(rec);

	/* Without instances in view (a new record, or headquarters checking one): none. */
	rec = json_pack("{s:s}", "head", "Lone");
	CHECK_INT(form_settle(f, rec, &env, NULL, 0, NULL), 0);
	CHECK_STR(json_string_value(json_object_get(rec, "total")), "0");
	CHECK_STR(json_string_value(json_object_get(rec, "n")), "0");
	CHECK(json_object_get(rec, "first") == NULL);           /* empty: unanswered */
	CHECK(json_object_get(rec, "colour_label") == NULL);
	json_decref(rec);
	form_free(f);
}

/* What names a question where expressions need a particular one is checked when the form is loaded. */
static void test_repeat_function_refusals(void)
{
	static const struct {
		const char *calc, *msg;
	} cases[] = {
		{ "jr:choice-name(${t}, '${t}')",
		  "question 'c': calculation: jr:choice-name() names 't', which is not a select question" },
		{ "jr:choice-name(${s}, '${zz}')", "question 'c': calculation names unknown question 'zz'" },
		{ "indexed-repeat(${t}, ${rep}, 1)",
		  "question 'c': calculation: indexed-repeat() reads 't', which is not a question of a repeat" },
		{ "indexed-repeat(${inside}, ${t}, 1)",
		  "question 'c': calculation: indexed-repeat() names 't', which is not a repeat" },
		{ "count(${rep}) + sum(${inside}) + indexed-repeat(${inside}, ${rep}, 1)", NULL },
		{ "format-date(${t}, '%Q')", "question 'c': calculation: at column 19: format-date(): unknown %Q in the "
		  "format (it knows %Y %y %m %n %b %d %e %a %H %h %M %S %3 and %%)" },
		{ "pulldata('a', 'b', 'c', 'd')", "question 'c': calculation: at column 1: pulldata() is not available in "
		  "Sondeo: it reads a CSV file attached to the form, and Sondeo forms have no attached files" },
	};
	char def[2048], err[512];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct form *f;

		snprintf(def, sizeof def, "{\"id\": \"r\", \"version\": \"1\", \"groups\": [{\"name\": \"rep\", \"repeat\": "
			 "true}], \"questions\": [{\"name\": \"t\", \"type\": \"text\", \"label\": \"T\"}, {\"name\": \"s\", "
			 "\"type\": \"select_one\", \"label\": \"S\", \"choices\": [{\"name\": \"a\", \"label\": \"A\"}]}, "
			 "{\"name\": \"inside\", \"type\": \"integer\", \"label\": \"I\", \"group\": \"rep\"}, "
			 "{\"name\": \"c\", \"type\": \"calculate\", \"calculation\": \"%s\"}]}", cases[i].calc);
		err[0] = '\0';
		f = load_str(def, err, sizeof err);
		if (cases[i].msg) {
			CHECK(f == NULL);
			CHECK_STR(err, cases[i].msg);
		} else {
			if (!f)
				fprintf(stdout, "#   refused: %s\n", err);
			CHECK(f != NULL);
		}
		form_free(f);
	}
}

int main(void)
{
	/* uuid() and random() read libsodium's random source */
	if (sodium_init() < 0)
		return 1;
	RUN(test_builtin_questions);
	RUN(test_builtin_languages);
	RUN(test_text);
	RUN(test_load_refusals);
	RUN(test_parse_text);
	RUN(test_parse_numbers);
	RUN(test_parse_date_geopoint);
	RUN(test_parse_time_datetime_acknowledge);
	RUN(test_parse_select);
	RUN(test_coerce);
	RUN(test_check_valid);
	RUN(test_check_many);
	RUN(test_check_exact);
	RUN(test_check_relevant);
	RUN(test_check_languages);
	RUN(test_defaults);
	RUN(test_osm);
	RUN(test_repeat_count);
	RUN(test_interpolate);
	RUN(test_rank);
	RUN(test_geolines);
	RUN(test_settle);
	RUN(test_out_of_memory);
	RUN(test_title);
	RUN(test_repeat_functions);
	RUN(test_repeat_function_refusals);
	return test_done();
}
