/* test_export.c - the exporter both tiers share: exact CSV, JSON and GeoJSON bytes (quoting, the formula guard,
 * choice columns, unicode, deleted records, missing answers), XLSX read back with unzip (labels, number, date
 * and date-time cells, strings never formulas, the choices sheet), and the file's life: mode 0600, an existing
 * path refused, abandoned and failed exports removed; the review columns read from a `_review` value; the export
 * commands' temporary file and its delivery. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "export.h"
#include "form.h"
#include "test.h"
#include "banned.h"

extern const unsigned char form_partnership_json[];
extern const size_t form_partnership_json_len;

static char dir[512];
static int seq;

/* A new path in the test's directory (the file does not exist yet). */
static const char *new_path(const char *ext)
{
	static char path[600];

	snprintf(path, sizeof(path), "%s/out-%d.%s", dir, ++seq, ext);
	return path;
}

/* The whole file, NUL-terminated (caller frees); NULL if it cannot be read. */
static char *slurp(const char *path)
{
	struct buf b = BUF_INIT((size_t)64 << 20);

	if (buf_read_file(&b, path) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

/* One member of a zip, through `unzip -p` (caller frees); NULL if unzip fails or the member is missing. */
static char *unzip_member(const char *zip, const char *member)
{
	struct buf b = BUF_INIT((size_t)64 << 20);
	char cmd[1200], chunk[65536];
	FILE *p;
	size_t n;

	snprintf(cmd, sizeof(cmd), "unzip -p '%s' '%s' 2>/dev/null", zip, member);
	if (!(p = popen(cmd, "r")))
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), p)) > 0)
		buf_add(&b, chunk, n);
	if (pclose(p) != 0 || !b.len) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static struct form *partnership(void)
{
	char err[256];
	struct form *f = form_load((const char *)form_partnership_json, form_partnership_json_len, err, sizeof(err));

	if (!f)
		printf("# form_load: %s\n", err);
	return f;
}

/* Records used throughout: a full one with every awkward value, a deleted one with a single answer. */
#define ID1 "3c1f7a0e-58b2-4d4e-9a51-0c2f6e8b9d14"
#define ID2 "9b2d44c1-0000-4000-8000-000000000002"
#define T1 1791037205123ull   /* 2026-10-03T14:20:05.123Z */
#define T2 1791187920000ull   /* 2026-10-05T08:12:00Z */

static json_t *answers1(void)
{
	json_error_t e;
	json_t *a = json_loads("{"
		"\"partner_name\": \"Comité de Coordinación \\\"Frontera\\\", Tapachula\","
		"\"stakeholder_type\": \"civil_society\","
		"\"country\": \"MEX\","
		"\"level\": [\"local\", \"national\"],"
		"\"thematic_areas\": [\"vulnerable_migrants\"],"
		"\"platforms\": [],"
		"\"partnership_model\": \"=HYPERLINK(\\\"http://x\\\",\\\"click\\\")\","
		"\"achievements\": \"two\\nlines\","
		"\"challenges\": \"-5\","
		"\"good_practices\": \"@SUM(A1)\","
		"\"replicable\": \"yes\","
		"\"scale_up_potential\": 4,"
		"\"contact_name\": \"東京 Ōsaka\","
		"\"contact_email\": \"+cmd|' /C calc'!A0\","
		"\"interview_date\": \"2026-10-02\","
		"\"location\": \"-1.2921 36.8219 1650 5\","
		"\"notes\": \"\\ttabbed\","
		"\"not_a_question\": \"ignored\","
		"\"_review\": \"ignored too\""
		"}", 0, &e);

	if (!a)
		printf("# answers1: %s\n", e.text);
	return a;
}

static void record1(struct export_record *r, const json_t *a)
{
	memset(r, 0, sizeof(*r));
	r->id = ID1;
	r->version = "1";
	r->region = "kisumu";
	r->review = "approved";
	r->review_comment = "";
	r->created_ms = T1;
	r->updated_ms = T2;
	r->conflicts = 2;
	r->answers = a;
}

static void record2(struct export_record *r, const json_t *a)
{
	memset(r, 0, sizeof(*r));
	r->id = ID2;
	r->version = "1";
	r->region = NULL;
	r->review = "has_issues";
	r->review_comment = "=1+1 is wrong, see \"notes\"";
	r->created_ms = T2;
	r->updated_ms = T2;
	r->deleted = 1;
	r->answers = a;
}

/* Exports the two records (plus extra, if not NULL) of the partnership form to a new file; returns its path
 * (static) or NULL. */
static const char *export_two(enum export_format fmt, const struct export_opts *o, const struct export_record *extra,
			      size_t nextra)
{
	struct form *f = partnership();
	json_t *a1 = answers1(), *a2 = json_pack("{s:s, s:n}", "partner_name", "Radio Frontera", "country");
	struct export_record r;
	struct export *x;
	const char *path = new_path(export_extension(fmt));
	char err[256] = "";
	size_t i;
	int ok = 1;

	if (!f || !a1 || !a2) {
		ok = 0;
		goto out;
	}
	x = export_open(path, fmt, f, o, err, sizeof(err));
	CHECK(x != NULL);
	if (!x) {
		printf("# %s\n", err);
		ok = 0;
		goto out;
	}
	record1(&r, a1);
	CHECK_INT(export_add(x, &r, err, sizeof(err)), 0);
	record2(&r, a2);
	CHECK_INT(export_add(x, &r, err, sizeof(err)), 0);
	for (i = 0; i < nextra; i++)
		CHECK_INT(export_add(x, &extra[i], err, sizeof(err)), 0);
	CHECK_INT(export_close(x, 1, err, sizeof(err)), 0);
out:
	json_decref(a1);
	json_decref(a2);
	form_free(f);
	return ok ? path : NULL;
}

#define HEADER "_id,partner_name,stakeholder_type,stakeholder_type_other,country,level,thematic_areas,policy_areas," \
	"platforms,partnership_model,achievements,challenges,good_practices,replicable,scale_up_potential," \
	"contact_name,contact_email,interview_date,location,location/latitude,location/longitude,location/altitude," \
	"location/accuracy,notes,_form_version,_status,_created,_updated,_conflicts,_region,_review,_review_comment\r\n"

static void test_formats(void)
{
	CHECK_INT(export_format_parse("csv"), EXPORT_CSV);
	CHECK_INT(export_format_parse("xlsx"), EXPORT_XLSX);
	CHECK_INT(export_format_parse("json"), EXPORT_JSON);
	CHECK_INT(export_format_parse("geojson"), EXPORT_GEOJSON);
	CHECK_INT(export_format_parse("CSV"), -1);
	CHECK_INT(export_format_parse("xls"), -1);
	CHECK_INT(export_format_parse(""), -1);
	CHECK_INT(export_format_parse(NULL), -1);
	CHECK_STR(export_content_type(EXPORT_CSV), "text/csv; charset=utf-8");
	CHECK_STR(export_content_type(EXPORT_XLSX), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
	CHECK_STR(export_content_type(EXPORT_JSON), "application/json");
	CHECK_STR(export_content_type(EXPORT_GEOJSON), "application/geo+json");
	CHECK_STR(export_extension(EXPORT_CSV), "csv");
	CHECK_STR(export_extension(EXPORT_XLSX), "xlsx");
	CHECK_STR(export_extension(EXPORT_JSON), "json");
	CHECK_STR(export_extension(EXPORT_GEOJSON), "geojson");
}

static void test_csv_exact(void)
{
	const char *path = export_two(EXPORT_CSV, NULL, NULL, 0);
	char *got = path ? slurp(path) : NULL;
	struct stat st;

	CHECK_STR(got, HEADER
		  ID1 ",\"Comité de Coordinación \"\"Frontera\"\", Tapachula\",civil_society,,MEX,local national,"
		  "vulnerable_migrants,,,\"'=HYPERLINK(\"\"http://x\"\",\"\"click\"\")\",\"two\nlines\",'-5,'@SUM(A1),"
		  "yes,4,東京 Ōsaka,'+cmd|' /C calc'!A0,2026-10-02,-1.2921 36.8219 1650 5,-1.2921,36.8219,1650,5,"
		  "'\ttabbed,1,final,2026-10-03T14:20:05Z,2026-10-05T08:12:00Z,2,kisumu,approved,\r\n"
		  ID2 ",Radio Frontera,,,,,,,,,,,,,,,,,,,,,,,1,deleted,2026-10-05T08:12:00Z,2026-10-05T08:12:00Z,0,,"
		  "has_issues,\"'=1+1 is wrong, see \"\"notes\"\"\"\r\n");
	CHECK(path && stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	free(got);
}

static void test_csv_choice_columns(void)
{
	struct export_opts o = { .choice_columns = 1 };
	const char *path = export_two(EXPORT_CSV, &o, NULL, 0);
	char *got = path ? slurp(path) : NULL, *line2, *line3;

	CHECK(got != NULL);
	if (!got)
		return;
	line2 = strstr(got, "\r\n");
	line3 = line2 ? strstr(line2 + 2, "\r\n") : NULL;
	CHECK(line3 != NULL);
	if (!line3) {
		free(got);
		return;
	}
	*line2 = *line3 = '\0';
	CHECK_STR(got, "_id,partner_name,stakeholder_type,stakeholder_type_other,country,"
		  "level,level/local,level/national,level/bilateral,level/regional,level/interregional,level/global,"
		  "thematic_areas,thematic_areas/human_rights,thematic_areas/vulnerable_migrants,"
		  "thematic_areas/sustainable_development,thematic_areas/shared_responsibility,"
		  "thematic_areas/data_collection,thematic_areas/migration_governance,"
		  "policy_areas,policy_areas/human_rights,policy_areas/humanitarian,policy_areas/education,"
		  "policy_areas/health,policy_areas/employment,policy_areas/security,policy_areas/environment,"
		  "policy_areas/development,"
		  "platforms,platforms/idm,platforms/gfmd,platforms/rcp,platforms/gmg,platforms/global_compact,"
		  "platforms/other,"
		  "partnership_model,achievements,challenges,good_practices,replicable,scale_up_potential,"
		  "contact_name,contact_email,interview_date,location,location/latitude,location/longitude,"
		  "location/altitude,location/accuracy,notes,_form_version,_status,_created,_updated,"
		  "_conflicts,_region,_review,_review_comment");
	/* Chosen 1, not chosen 0; an answered empty set all 0; an unanswered question empty. */
	CHECK_STR(line2 + 2, ID1 ",\"Comité de Coordinación \"\"Frontera\"\", Tapachula\",civil_society,,MEX,"
		  "local national,1,1,0,0,0,0,"
		  "vulnerable_migrants,0,1,0,0,0,0,"
		  ",,,,,,,,,"
		  ",0,0,0,0,0,0,"
		  "\"'=HYPERLINK(\"\"http://x\"\",\"\"click\"\")\",\"two\nlines\",'-5,'@SUM(A1),"
		  "yes,4,東京 Ōsaka,'+cmd|' /C calc'!A0,2026-10-02,-1.2921 36.8219 1650 5,-1.2921,36.8219,1650,5,"
		  "'\ttabbed,1,final,2026-10-03T14:20:05Z,2026-10-05T08:12:00Z,2,kisumu,approved,");
	CHECK_STR(line3 + 2, ID2 ",Radio Frontera,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,1,deleted,"
		  "2026-10-05T08:12:00Z,2026-10-05T08:12:00Z,0,,has_issues,\"'=1+1 is wrong, see \"\"notes\"\"\"\r\n");
	free(got);
}

/* Record 1 in JSON: its select_multiple answers as arrays; in GeoJSON's properties (PROPS1), as CSV writes them. */
#define JSON1_A "{\"_id\":\"" ID1 "\",\"partner_name\":\"Comité de Coordinación \\\"Frontera\\\", Tapachula\"," \
	"\"stakeholder_type\":\"civil_society\",\"country\":\"MEX\","
#define JSON1 JSON1_A "\"level\":[\"local\",\"national\"],\"thematic_areas\":[\"vulnerable_migrants\"],\"platforms\":[]," \
	JSON1_B
#define PROPS1 JSON1_A "\"level\":\"local national\",\"thematic_areas\":\"vulnerable_migrants\",\"platforms\":\"\"," \
	JSON1_B
#define JSON1_B \
	"\"partnership_model\":\"=HYPERLINK(\\\"http://x\\\",\\\"click\\\")\",\"achievements\":\"two\\nlines\"," \
	"\"challenges\":\"-5\",\"good_practices\":\"@SUM(A1)\",\"replicable\":\"yes\",\"scale_up_potential\":4," \
	"\"contact_name\":\"東京 Ōsaka\",\"contact_email\":\"+cmd|' /C calc'!A0\",\"interview_date\":\"2026-10-02\"," \
	"\"location\":\"-1.2921 36.8219 1650 5\",\"notes\":\"\\ttabbed\",\"_form_version\":\"1\",\"_status\":\"final\"," \
	"\"_created\":\"2026-10-03T14:20:05Z\",\"_updated\":\"2026-10-05T08:12:00Z\",\"_conflicts\":2," \
	"\"_region\":\"kisumu\",\"_review\":\"approved\",\"_review_comment\":\"\"}"
#define JSON2 "{\"_id\":\"" ID2 "\",\"partner_name\":\"Radio Frontera\",\"_form_version\":\"1\"," \
	"\"_status\":\"deleted\",\"_created\":\"2026-10-05T08:12:00Z\",\"_updated\":\"2026-10-05T08:12:00Z\"," \
	"\"_conflicts\":0,\"_region\":\"\",\"_review\":\"has_issues\"," \
	"\"_review_comment\":\"=1+1 is wrong, see \\\"notes\\\"\"}"

static void test_json_exact(void)
{
	const char *path = export_two(EXPORT_JSON, NULL, NULL, 0);
	char *got = path ? slurp(path) : NULL;
	json_t *parsed;

	CHECK_STR(got, "[\n" JSON1 ",\n" JSON2 "\n]\n");
	/* And it is JSON that parses, with native values. */
	parsed = got ? json_loads(got, 0, NULL) : NULL;
	CHECK(json_is_array(parsed) && json_array_size(parsed) == 2);
	CHECK(json_is_integer(json_object_get(json_array_get(parsed, 0), "scale_up_potential")));
	json_decref(parsed);
	free(got);
}

static void test_geojson_exact(void)
{
	json_t *a3 = json_pack("{s:s}", "location", "91 10");           /* latitude out of range */
	json_t *a4 = json_pack("{s:s}", "location", "12.5 -3.25");
	json_t *a5 = json_pack("{s:s}", "location", "north");
	struct export_record extra[3];
	const char *path;
	char *got;

	record2(&extra[0], a3);
	extra[0].id = "33333333-0000-4000-8000-000000000003";
	record2(&extra[1], a4);
	extra[1].id = "44444444-0000-4000-8000-000000000004";
	extra[1].deleted = 0;
	extra[1].review_comment = "";
	extra[1].review = "pending";
	extra[1].region = "tapachula";
	record2(&extra[2], a5);
	path = export_two(EXPORT_GEOJSON, NULL, extra, 3);
	got = path ? slurp(path) : NULL;
	CHECK_STR(got, "{\"type\":\"FeatureCollection\",\"features\":[\n"
		  "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[36.8219,-1.2921]},"
		  "\"properties\":" PROPS1 "},\n"
		  "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[-3.25,12.5]},"
		  "\"properties\":{\"_id\":\"44444444-0000-4000-8000-000000000004\",\"location\":\"12.5 -3.25\","
		  "\"_form_version\":\"1\",\"_status\":\"final\",\"_created\":\"2026-10-05T08:12:00Z\","
		  "\"_updated\":\"2026-10-05T08:12:00Z\",\"_conflicts\":0,\"_region\":\"tapachula\","
		  "\"_review\":\"pending\",\"_review_comment\":\"\"}}\n"
		  "]}\n");
	free(got);
	json_decref(a3);
	json_decref(a4);
	json_decref(a5);
}

/* export_count says what was written: every record in CSV, JSON and XLSX, only the records with a place in
 * GeoJSON (the features), which is what the command line and the audit log report. */
static void test_count_written(void)
{
	struct form *f = partnership();
	json_t *placed = json_pack("{s:s}", "location", "12.5 -3.25");
	json_t *nowhere = json_pack("{s:s}", "location", "north");
	struct export_record r[3];
	enum export_format fmt;
	char err[256];

	record2(&r[0], placed);
	record2(&r[1], nowhere);
	record2(&r[2], NULL);
	for (fmt = EXPORT_CSV; f && fmt <= EXPORT_GEOJSON; fmt++) {
		struct export *x = export_open(new_path(export_extension(fmt)), fmt, f, NULL, err, sizeof(err));
		size_t i;

		CHECK(x != NULL);
		if (!x)
			continue;
		CHECK_INT(export_count(x), 0);
		for (i = 0; i < 3; i++)
			CHECK_INT(export_add(x, &r[i], err, sizeof(err)), 0);
		CHECK_INT(export_count(x), fmt == EXPORT_GEOJSON ? 1 : 3);
		CHECK_INT(export_close(x, 1, err, sizeof(err)), 0);
	}
	json_decref(placed);
	json_decref(nowhere);
	form_free(f);
}

/* Exports with no record: the header alone, valid empty documents. */
static void test_empty_exports(void)
{
	struct form *f = partnership();
	static const char *const want[] = {
		[EXPORT_CSV] = HEADER, [EXPORT_JSON] = "[\n]\n",
		[EXPORT_GEOJSON] = "{\"type\":\"FeatureCollection\",\"features\":[\n]}\n",
	};
	enum export_format fmt;
	char err[256];

	for (fmt = EXPORT_CSV; f && fmt <= EXPORT_GEOJSON; fmt++) {
		const char *path = new_path(export_extension(fmt));
		struct export *x = export_open(path, fmt, f, NULL, err, sizeof(err));
		char *got;

		CHECK(x != NULL);
		if (!x)
			continue;
		CHECK_INT(export_close(x, 1, err, sizeof(err)), 0);
		if (fmt == EXPORT_XLSX) {
			got = unzip_member(path, "xl/worksheets/sheet1.xml");
			CHECK(got && strstr(got, "<autoFilter ref=\"A2:AF2\"/>"));
		} else {
			got = slurp(path);
			CHECK_STR(got, want[fmt]);
		}
		free(got);
	}
	form_free(f);
}

/* A small form of its own: a note (no column), a decimal, labels in one language only, plain-string labels. */
static void test_small_form(void)
{
	static const char def[] = "{\"id\": \"mini\", \"version\": \"7\", \"default_language\": \"fr\","
		"\"questions\": ["
		"{\"name\": \"intro\", \"type\": \"note\", \"label\": \"Hello\"},"
		"{\"name\": \"amount\", \"type\": \"decimal\", \"label\": {\"fr\": \"Montant\", \"en\": \"Amount\"}},"
		"{\"name\": \"pick\", \"type\": \"select_multiple\", \"label\": \"Pick\","
		" \"choices\": [{\"name\": \"a\", \"label\": {\"en\": \"A!\"}}, {\"name\": \"b\", \"label\": \"Bee\"}]}"
		"]}";
	struct export_opts o = { .choice_columns = 1, .lang = "en" };
	struct export_record r;
	struct export *x;
	struct form *f;
	const char *path = new_path("csv");
	char err[256], *got;
	json_t *a = json_pack("{s:f, s:[s], s:s}", "amount", -1.5, "pick", "b", "intro", "noted");

	f = form_load(def, sizeof(def) - 1, err, sizeof(err));
	CHECK(f != NULL);
	if (!f) {
		printf("# %s\n", err);
		json_decref(a);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.id = "i";
	r.version = "7";
	r.answers = a;
	x = export_open(path, EXPORT_CSV, f, &o, err, sizeof(err));
	CHECK(x != NULL);
	if (x) {
		CHECK_INT(export_add(x, &r, err, sizeof(err)), 0);
		r.answers = NULL;
		r.region = "-north";
		CHECK_INT(export_add(x, &r, err, sizeof(err)), 0);
		CHECK_INT(export_close(x, 1, err, sizeof(err)), 0);
	}
	got = slurp(path);
	/* A negative number is a number, not a formula; a region that starts with '-' is text and guarded. */
	CHECK_STR(got, "_id,amount,pick,pick/a,pick/b,_form_version,_status,_created,_updated,_conflicts,_region,"
		  "_review,_review_comment\r\n"
		  "i,-1.5,b,0,1,7,final,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,0,,,\r\n"
		  "i,,,,,7,final,1970-01-01T00:00:00Z,1970-01-01T00:00:00Z,0,'-north,,\r\n");
	free(got);

	/* A decimal in the fewest digits that read back as the same number: 1.68 as typed, not the
	 * 1.6799999999999999 of 17 digits (which a spreadsheet shows as 1.68, a database's NUMERIC keeps); a whole
	 * one without a fraction; 17 digits where fewer read back as another. */
	{
		static const double nums[] = { 1.68, 2.0, 0.1 + 0.2, -0.000125, 1e20 };
		size_t k;

		path = new_path("csv");
		x = export_open(path, EXPORT_CSV, f, &o, err, sizeof(err));
		CHECK(x != NULL);
		r.region = NULL;
		for (k = 0; x && k < sizeof(nums) / sizeof(nums[0]); k++) {
			json_t *n = json_pack("{s:f}", "amount", nums[k]);

			r.answers = n;
			CHECK_INT(export_add(x, &r, err, sizeof(err)), 0);
			json_decref(n);
		}
		if (x)
			CHECK_INT(export_close(x, 1, err, sizeof(err)), 0);
		got = slurp(path);
		CHECK(got && strstr(got, "\r\ni,1.68,,,,7,"));
		CHECK(got && strstr(got, "\r\ni,2,,,,7,"));
		CHECK(got && strstr(got, "\r\ni,0.30000000000000004,,,,7,"));
		CHECK(got && strstr(got, "\r\ni,-0.000125,,,,7,"));
		CHECK(got && strstr(got, "\r\ni,1e+20,,,,7,"));
		free(got);
	}

	/* XLSX: the languages of the choices sheet are the form's, its default first. */
	path = new_path("xlsx");
	r.answers = a;
	x = export_open(path, EXPORT_XLSX, f, &o, err, sizeof(err));
	CHECK(x != NULL);
	if (x) {
		CHECK_INT(export_add(x, &r, err, sizeof(err)), 0);
		CHECK_INT(export_close(x, 1, err, sizeof(err)), 0);
	}
	got = unzip_member(path, "xl/worksheets/sheet1.xml");
	CHECK(got && strstr(got, "<t>Amount</t>") && strstr(got, "<t>Pick/A!</t>") && strstr(got, "<t>Pick/Bee</t>"));
	CHECK(got && strstr(got, "<v>-1.5</v>"));
	free(got);
	got = unzip_member(path, "xl/worksheets/sheet2.xml");
	CHECK(got && strstr(got, "<t>label::fr</t></is></c><c r=\"D1\" s=\"1\" t=\"inlineStr\"><is><t>label::en</t>"));
	/* A plain-string label stands for every language; a missing translation is left empty. */
	CHECK(got && strstr(got, "<t>b</t></is></c><c r=\"C3\" t=\"inlineStr\"><is><t>Bee</t></is></c>"
			    "<c r=\"D3\" t=\"inlineStr\"><is><t>Bee</t>"));
	CHECK(got && strstr(got, "<t>a</t></is></c><c r=\"D2\" t=\"inlineStr\"><is><t>A!</t>"));
	free(got);
	json_decref(a);
	form_free(f);
}

/* The XML of one cell (<c r="REF" ...>...</c> or <c r="REF" .../>) in sheet, or "" if there is none. */
static const char *cell(const char *sheet, const char *ref)
{
	static char out[70000];
	char key[32];
	const char *p, *end, *self;
	size_t n;

	snprintf(key, sizeof(key), "<c r=\"%s\"", ref);
	if (!sheet || !(p = strstr(sheet, key)))
		return "";
	end = strstr(p, "</c>");
	self = strstr(p, "/>");
	if (self && (!end || self < strchr(p, '>') + 1))
		end = self - 2;
	if (!end)
		return "";
	n = (size_t)(end + 4 - p);
	if (n >= sizeof(out))
		n = sizeof(out) - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

static void test_xlsx(void)
{
	struct export_opts o = { .choice_columns = 1, .lang = "fr" };
	const char *path = export_two(EXPORT_XLSX, &o, NULL, 0);
	char *sheet = path ? unzip_member(path, "xl/worksheets/sheet1.xml") : NULL;
	char *choices = path ? unzip_member(path, "xl/worksheets/sheet2.xml") : NULL;
	char *questions = path ? unzip_member(path, "xl/worksheets/sheet3.xml") : NULL;
	char *book = path ? unzip_member(path, "xl/workbook.xml") : NULL;
	char *styles = path ? unzip_member(path, "xl/styles.xml") : NULL;
	char cmd[700];
	struct stat st;

	CHECK(sheet && choices && questions && book && styles);
	CHECK(path && stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	/* A real zip, whole. */
	snprintf(cmd, sizeof(cmd), "unzip -tq '%s' >/dev/null 2>&1", path ? path : "");
	CHECK_INT(system(cmd), 0);
	CHECK(book && strstr(book, "<sheet name=\"data\" sheetId=\"1\"") && strstr(book, "<sheet name=\"choices\"") &&
	      strstr(book, "<sheet name=\"questions\""));
	/* Headers: French labels, bold; underscore columns by name; choice columns by both labels. */
	CHECK_STR(cell(sheet, "A1"), "<c r=\"A1\" s=\"1\" t=\"inlineStr\"><is><t>_id</t></is></c>");
	CHECK_STR(cell(sheet, "B1"), "<c r=\"B1\" s=\"1\" t=\"inlineStr\"><is><t>Nom de l'organisation partenaire</t></is></c>");
	CHECK_STR(cell(sheet, "E1"), "<c r=\"E1\" s=\"1\" t=\"inlineStr\"><is><t>Pays</t></is></c>");
	CHECK_STR(cell(sheet, "H1"), "<c r=\"H1\" s=\"1\" t=\"inlineStr\"><is><t>À quels niveaux le partenariat "
		  "intervient-il ?/National</t></is></c>");
	/* Under the labels, the columns' names as CSV has them, for scripts. */
	CHECK_STR(cell(sheet, "A2"), "<c r=\"A2\" t=\"inlineStr\"><is><t>_id</t></is></c>");
	CHECK_STR(cell(sheet, "H2"), "<c r=\"H2\" t=\"inlineStr\"><is><t>level/national</t></is></c>");
	CHECK_STR(cell(sheet, "AT2"), "<c r=\"AT2\" t=\"inlineStr\"><is><t>location/latitude</t></is></c>");
	CHECK_STR(cell(sheet, "AW2"), "<c r=\"AW2\" t=\"inlineStr\"><is><t>location/accuracy</t></is></c>");
	CHECK_STR(cell(sheet, "BF2"), "<c r=\"BF2\" t=\"inlineStr\"><is><t>_review_comment</t></is></c>");
	/* The geopoint's parts headed in French after its label. */
	CHECK_STR(cell(sheet, "AT1"), "<c r=\"AT1\" s=\"1\" t=\"inlineStr\"><is><t>Lieu de l'entretien/latitude</t></is></c>");
	CHECK_STR(cell(sheet, "AV1"), "<c r=\"AV1\" s=\"1\" t=\"inlineStr\"><is><t>Lieu de l'entretien/altitude</t></is></c>");
	/* Both header rows frozen, and an autofilter on the names over every column and record (28 + 26 choice
	 * columns + 4 parts of the location = BF). */
	CHECK(strstr(sheet ? sheet : "", "<pane ySplit=\"2\" topLeftCell=\"A3\" activePane=\"bottomLeft\" state=\"frozen\"/>"));
	CHECK(strstr(sheet ? sheet : "", "<autoFilter ref=\"A2:BF4\"/>"));
	CHECK(strstr(book ? book : "", "data!$A$2:$BF$4"));
	/* Record 1: strings, never formulas; numbers; a date; date-times; unicode. */
	CHECK(sheet && !strstr(sheet, "<f>"));
	CHECK_STR(cell(sheet, "AJ3"), "<c r=\"AJ3\" t=\"inlineStr\"><is><t>=HYPERLINK(\"http://x\",\"click\")</t></is></c>");
	CHECK_STR(cell(sheet, "AL3"), "<c r=\"AL3\" t=\"inlineStr\"><is><t>-5</t></is></c>");
	CHECK_STR(cell(sheet, "AO3"), "<c r=\"AO3\"><v>4</v></c>");
	CHECK_STR(cell(sheet, "AP3"), "<c r=\"AP3\" t=\"inlineStr\"><is><t>東京 Ōsaka</t></is></c>");
	CHECK_STR(cell(sheet, "AR3"), "<c r=\"AR3\" s=\"2\"><v>46297</v></c>");
	CHECK_STR(cell(sheet, "F3"), "<c r=\"F3\" t=\"inlineStr\"><is><t>local national</t></is></c>");
	CHECK_STR(cell(sheet, "G3"), "<c r=\"G3\"><v>1</v></c>");
	CHECK_STR(cell(sheet, "I3"), "<c r=\"I3\"><v>0</v></c>");
	/* The location as its text, then its four parts as numbers. */
	CHECK_STR(cell(sheet, "AS3"), "<c r=\"AS3\" t=\"inlineStr\"><is><t>-1.2921 36.8219 1650 5</t></is></c>");
	CHECK_STR(cell(sheet, "AT3"), "<c r=\"AT3\"><v>-1.2921</v></c>");
	CHECK_STR(cell(sheet, "AU3"), "<c r=\"AU3\"><v>36.8219</v></c>");
	CHECK_STR(cell(sheet, "AV3"), "<c r=\"AV3\"><v>1650</v></c>");
	CHECK_STR(cell(sheet, "AW3"), "<c r=\"AW3\"><v>5</v></c>");
	/* 2026-10-03T14:20:05Z: 46298 days after 1899-12-30 and 51605 s. */
	CHECK_STR(cell(sheet, "BA3"), "<c r=\"BA3\" s=\"3\"><v>46298.5972800926</v></c>");
	CHECK_STR(cell(sheet, "BC3"), "<c r=\"BC3\"><v>2</v></c>");
	/* Style 1 bold, 2 the date format, 3 the date-time format. */
	CHECK(styles && strstr(styles, "<numFmt numFmtId=\"164\" formatCode=\"yyyy-mm-dd\"/>") &&
	      strstr(styles, "<numFmt numFmtId=\"165\" formatCode=\"yyyy-mm-dd hh:mm:ss\"/>") &&
	      strstr(styles, "<font><b/>") && strstr(styles, "<cellXfs count=\"4\"><xf numFmtId=\"0\" fontId=\"0\" "
	      "fillId=\"0\" borderId=\"0\" xfId=\"0\"/><xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" "
	      "xfId=\"0\" applyFont=\"1\"/><xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" "
	      "applyNumberFormat=\"1\"/><xf numFmtId=\"165\" "));
	/* Record 2: deleted, missing answers left empty, the comment as text. */
	CHECK_STR(cell(sheet, "B4"), "<c r=\"B4\" t=\"inlineStr\"><is><t>Radio Frontera</t></is></c>");
	CHECK_STR(cell(sheet, "C4"), "");
	CHECK_STR(cell(sheet, "G4"), "");
	CHECK_STR(cell(sheet, "AT4"), "");
	CHECK_STR(cell(sheet, "AZ4"), "<c r=\"AZ4\" t=\"inlineStr\"><is><t>deleted</t></is></c>");
	CHECK_STR(cell(sheet, "BF4"), "<c r=\"BF4\" t=\"inlineStr\"><is><t>=1+1 is wrong, see \"notes\"</t></is></c>");
	/* The choices sheet: question, choice, a label per language of the form, English first. */
	CHECK_STR(cell(choices, "C1"), "<c r=\"C1\" s=\"1\" t=\"inlineStr\"><is><t>label::en</t></is></c>");
	CHECK_STR(cell(choices, "D1"), "<c r=\"D1\" s=\"1\" t=\"inlineStr\"><is><t>label::fr</t></is></c>");
	CHECK_STR(cell(choices, "E1"), "<c r=\"E1\" s=\"1\" t=\"inlineStr\"><is><t>label::es</t></is></c>");
	CHECK(choices && strstr(choices, "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>stakeholder_type</t>"
			       "</is></c><c r=\"B2\" t=\"inlineStr\"><is><t>national_government</t></is></c>"));
	/* After the stakeholder types (rows 2-16) and the 249 countries (17-265): level's second choice. */
	CHECK(choices && strstr(choices, "<t>level</t></is></c><c r=\"B267\" t=\"inlineStr\"><is><t>national</t></is></c>"
			       "<c r=\"C267\" t=\"inlineStr\"><is><t>National</t></is></c><c r=\"D267\" t=\"inlineStr\"><is>"
			       "<t>National</t></is></c><c r=\"E267\" t=\"inlineStr\"><is><t>Nacional</t></is></c>"));
	/* The questions sheet: name, type, labels. */
	CHECK(questions && strstr(questions, "<t>scale_up_potential</t></is></c><c r=\"B15\" t=\"inlineStr\"><is>"
				 "<t>integer</t>"));
	free(sheet);
	free(choices);
	free(questions);
	free(book);
	free(styles);
}

/* Over-long text is cut at Excel's 32,767 characters (on a character boundary) rather than failing. */
static void test_xlsx_long_text(void)
{
	struct buf b = BUF_INIT(1 << 20);
	struct export_record r;
	char *sheet, *t, *end;
	const char *path;
	json_t *a;
	size_t i;

	buf_adds(&b, "x");
	for (i = 0; i < 20000; i++)
		buf_adds(&b, "é");       /* 2 bytes each: 40,001 bytes, 20,001 characters */
	for (i = 0; i < 20000; i++)
		buf_adds(&b, "z");
	a = json_pack("{s:s}", "notes", b.data);
	record1(&(r), a);
	path = export_two(EXPORT_XLSX, NULL, &r, 1);
	sheet = path ? unzip_member(path, "xl/worksheets/sheet1.xml") : NULL;
	t = sheet ? strstr(cell(sheet, "X5"), "<t>") : NULL;
	end = t ? strstr(t, "</t>") : NULL;
	CHECK(t && end);
	if (t && end) {
		CHECK_INT(end - (t + 3), 1 + 40000 + 12766);
		CHECK(!strncmp(end - 3, "zzz", 3));
	}
	free(sheet);
	json_decref(a);
	buf_release(&b);
}

static void test_close_abandon_removes(void)
{
	struct form *f = partnership();
	json_t *a = answers1();
	struct export_record r;
	enum export_format fmt;
	char err[256];

	record1(&r, a);
	for (fmt = EXPORT_CSV; f && fmt <= EXPORT_GEOJSON; fmt++) {
		const char *path = new_path(export_extension(fmt));
		struct export *x = export_open(path, fmt, f, NULL, err, sizeof(err));

		CHECK(x != NULL);
		if (!x)
			continue;
		CHECK(exists(path));
		CHECK_INT(export_add(x, &r, err, sizeof(err)), 0);
		CHECK_INT(export_close(x, 0, err, sizeof(err)), 0);
		CHECK(!exists(path));
	}
	json_decref(a);
	form_free(f);
}

static void test_open_refuses_existing(void)
{
	struct form *f = partnership();
	enum export_format fmt;
	char err[256];

	for (fmt = EXPORT_CSV; f && fmt <= EXPORT_GEOJSON; fmt++) {
		const char *path = new_path(export_extension(fmt));
		FILE *fp = fopen(path, "w");
		char *kept;

		CHECK(fp != NULL);
		if (!fp)
			continue;
		fputs("someone else's", fp);
		fclose(fp);
		err[0] = '\0';
		CHECK(export_open(path, fmt, f, NULL, err, sizeof(err)) == NULL);
		CHECK(strstr(err, "cannot create") && strstr(err, "File exists"));
		kept = slurp(path);
		CHECK_STR(kept, "someone else's");
		free(kept);
	}
	/* A directory that does not exist: refused, nothing made. */
	CHECK(export_open("/nonexistent-dir/x.csv", EXPORT_CSV, f, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "/nonexistent-dir/x.csv") != NULL);
	CHECK(export_open(new_path("x"), (enum export_format)9, f, NULL, err, sizeof(err)) == NULL);
	form_free(f);
}

/* A write that fails (here: the file size limit, as a full disk would) fails export_add or export_close, and
 * the file is removed. */
static void test_write_failure_removes(void)
{
	struct form *f = partnership();
	json_t *a = answers1();
	struct export_record r;
	struct rlimit old, small;
	enum export_format fmt;
	char err[256], first[256];

	signal(SIGXFSZ, SIG_IGN);
	CHECK_INT(getrlimit(RLIMIT_FSIZE, &old), 0);
	record1(&r, a);
	for (fmt = EXPORT_CSV; f && fmt <= EXPORT_GEOJSON; fmt++) {
		const char *path = new_path(export_extension(fmt));
		struct export *x = export_open(path, fmt, f, NULL, err, sizeof(err));
		int i, failed = 0;

		CHECK(x != NULL);
		if (!x)
			continue;
		small = old;
		small.rlim_cur = 100000;
		CHECK_INT(setrlimit(RLIMIT_FSIZE, &small), 0);
		first[0] = '\0';
		for (i = 0; i < 2000 && !failed; i++)
			failed = export_add(x, &r, first, sizeof(first)) < 0;
		/* Every format outgrows the limit well before 2000 records, and says so at once. */
		CHECK(failed);
		CHECK(strstr(first, "cannot write") != NULL);
		printf("# %s: record %d failed: %s\n", export_extension(fmt), i, first);
		/* Once failed, it stays failed. */
		CHECK_INT(export_add(x, &r, err, sizeof(err)), -1);
		CHECK_INT(export_close(x, 1, err, sizeof(err)), -1);
		CHECK_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
		CHECK(strstr(err, "cannot write") != NULL);
		CHECK(!exists(path));
	}
	/* The same when the disk fills up while the file is finished. */
	for (fmt = EXPORT_CSV; f && fmt <= EXPORT_GEOJSON; fmt++) {
		const char *path = new_path(export_extension(fmt));
		struct export *x = export_open(path, fmt, f, NULL, err, sizeof(err));
		int i;

		CHECK(x != NULL);
		if (!x)
			continue;
		for (i = 0; i < 100; i++)
			CHECK_INT(export_add(x, &r, err, sizeof(err)), 0);
		small = old;
		small.rlim_cur = 20000;
		CHECK_INT(setrlimit(RLIMIT_FSIZE, &small), 0);
		err[0] = '\0';
		CHECK_INT(export_close(x, 1, err, sizeof(err)), -1);
		CHECK_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
		printf("# %s: close failed: %s\n", export_extension(fmt), err);
		CHECK(strstr(err, "cannot write") != NULL);
		CHECK(!exists(path));
	}
	signal(SIGXFSZ, SIG_DFL);
	json_decref(a);
	form_free(f);
}

/* A rank's choice columns give each choice's place; an osm answer gets a column for its feature and each tag,
 * with the escapes undone and the formula guard on. */
static void test_csv_rank_osm(void)
{
	static const char def[] =
		"{\"id\": \"s\", \"version\": \"1\", \"questions\": ["
		"{\"name\": \"prio\", \"type\": \"rank\", \"label\": \"P\", \"choices\": [{\"name\": \"jobs\", \"label\": \"J\"},"
		" {\"name\": \"health\", \"label\": \"H\"}, {\"name\": \"ports\", \"label\": \"Po\"}]},"
		"{\"name\": \"b\", \"type\": \"osm\", \"label\": \"B\", \"tags\": [{\"name\": \"name\", \"label\": \"N\"},"
		" {\"name\": \"addr:street\", \"label\": \"S\"}]}]}";
	struct export_opts o = { .choice_columns = 1 };
	char err[256] = "", *got;
	struct form *f = form_load(def, strlen(def), err, sizeof(err));
	json_t *a = json_pack("{s:[s,s,s], s:s}", "prio", "ports", "jobs", "health", "b", "way/7; name==Clinic;;Annex");
	const char *path = new_path("csv");
	struct export_record r;
	struct export *x = f ? export_open(path, EXPORT_CSV, f, &o, err, sizeof(err)) : NULL;

	CHECK(x != NULL);
	if (!x) {
		printf("# %s\n", err);
		form_free(f);
		json_decref(a);
		return;
	}
	record1(&r, a);
	CHECK_INT(export_add(x, &r, err, sizeof(err)), 0);
	CHECK_INT(export_close(x, 1, err, sizeof(err)), 0);
	got = slurp(path);
	CHECK(got != NULL);
	if (got && strstr(got, ",1,final,"))
		*strstr(got, ",1,final,") = '\0';
	CHECK_STR(got, "_id,prio,prio/jobs,prio/health,prio/ports,b,b/feature,b/name,b/addr:street,_form_version,_status,"
		  "_created,_updated,_conflicts,_region,_review,_review_comment\r\n"
		  ID1 ",ports jobs health,2,3,1,way/7; name==Clinic;;Annex,way/7,'=Clinic;Annex,");
	free(got);
	json_decref(a);
	form_free(f);
}

/* Exports records with answers as (a JSON array of answer objects) of the form def to a new file of format fmt;
 * returns the file's contents (caller frees), or NULL. */
static char *export_form(const char *def, enum export_format fmt, const struct export_opts *o, const char *answers,
			 const char **path_out)
{
	char err[256] = "", *got = NULL;
	struct form *f = form_load(def, strlen(def), err, sizeof(err));
	json_t *all = json_loads(answers, 0, NULL);
	const char *path = new_path(export_extension(fmt));
	struct export_record r;
	struct export *x = f && all ? export_open(path, fmt, f, o, err, sizeof(err)) : NULL;
	size_t i;

	CHECK(x != NULL);
	if (!x) {
		printf("# %s\n", err);
		goto out;
	}
	for (i = 0; i < json_array_size(all); i++) {
		memset(&r, 0, sizeof(r));
		r.id = "r";
		r.version = "1";
		r.answers = json_array_get(all, i);
		CHECK_INT(export_add(x, &r, err, sizeof(err)), 0);
	}
	CHECK_INT(export_close(x, 1, err, sizeof(err)), 0);
	got = fmt == EXPORT_XLSX ? unzip_member(path, "xl/worksheets/sheet1.xml") : slurp(path);
	if (path_out)
		*path_out = path;
out:
	json_decref(all);
	form_free(f);
	return got;
}

/* The underscore columns after the answers cut away from each line of a CSV export of export_form. */
static void csv_answers_only(char *csv)
{
	char *p = csv, *cut, *eol;

	if ((cut = strstr(csv, ",_form_version,")) && (eol = strstr(cut, "\r\n")))
		memmove(cut, eol, strlen(eol) + 1);
	while (p && *p && (cut = strstr(p, ",1,final,")) && (eol = strstr(cut, "\r\n"))) {
		memmove(cut, eol, strlen(eol) + 1);
		p = cut + 2;
	}
}

/* A geopoint is followed by its latitude, longitude, altitude and accuracy, each a number as written (CSV) or a
 * number cell (XLSX); empty where the answer lacks the part, and all four empty when it is no location in
 * range (its text stays in the answer's own column). */
static void test_geopoint_parts(void)
{
	static const char def[] = "{\"id\": \"g\", \"version\": \"1\", \"questions\": ["
		"{\"name\": \"where\", \"type\": \"geopoint\", \"label\": {\"en\": \"Where\", \"fr\": \"Où\"}},"
		"{\"name\": \"n\", \"type\": \"integer\", \"label\": \"N\"}]}";
	static const char answers[] = "[{\"where\": \"12.5 -3.25\"}, {\"where\": \"-1.2921 36.8219 1650 5\"},"
		"{\"where\": \"1 2 3\"}, {\"where\": \"1.5e1 -2.0\"}, {\"where\": \"north\"}, {\"where\": \"91 10\"},"
		"{\"where\": \"1 181\"}, {\"where\": \"0x10 2\"}, {\"where\": \"1 2 3 4 5\"}, {\"where\": \"1\"}, {\"n\": 7},"
		"{\"where\": 5}]";
	struct export_opts o = { .lang = "fr" };
	char *got = export_form(def, EXPORT_CSV, NULL, answers, NULL);

	if (got)
		csv_answers_only(got);
	CHECK_STR(got, "_id,where,where/latitude,where/longitude,where/altitude,where/accuracy,n\r\n"
		  "r,12.5 -3.25,12.5,-3.25,,,\r\n"
		  "r,-1.2921 36.8219 1650 5,-1.2921,36.8219,1650,5,\r\n"
		  "r,1 2 3,1,2,3,,\r\n"
		  "r,1.5e1 -2.0,1.5e1,-2.0,,,\r\n"
		  "r,north,,,,,\r\n"
		  "r,91 10,,,,,\r\n"
		  "r,1 181,,,,,\r\n"
		  "r,0x10 2,,,,,\r\n"
		  "r,1 2 3 4 5,,,,,\r\n"
		  "r,1,,,,,\r\n"
		  "r,,,,,,7\r\n"
		  "r,5,,,,,\r\n");
	free(got);
	/* XLSX: the parts as number cells, headed after the question's label; the names row under it. */
	got = export_form(def, EXPORT_XLSX, &o, answers, NULL);
	CHECK_STR(cell(got, "C1"), "<c r=\"C1\" s=\"1\" t=\"inlineStr\"><is><t>Où/latitude</t></is></c>");
	CHECK_STR(cell(got, "F1"), "<c r=\"F1\" s=\"1\" t=\"inlineStr\"><is><t>Où/accuracy</t></is></c>");
	CHECK_STR(cell(got, "D2"), "<c r=\"D2\" t=\"inlineStr\"><is><t>where/longitude</t></is></c>");
	CHECK_STR(cell(got, "C4"), "<c r=\"C4\"><v>-1.2921</v></c>");
	CHECK_STR(cell(got, "E4"), "<c r=\"E4\"><v>1650</v></c>");
	CHECK_STR(cell(got, "F4"), "<c r=\"F4\"><v>5</v></c>");
	CHECK_STR(cell(got, "F3"), "");
	CHECK_STR(cell(got, "C6"), "<c r=\"C6\"><v>15</v></c>");
	CHECK_STR(cell(got, "D6"), "<c r=\"D6\"><v>-2</v></c>");
	CHECK_STR(cell(got, "B7"), "<c r=\"B7\" t=\"inlineStr\"><is><t>north</t></is></c>");
	CHECK_STR(cell(got, "C7"), "");
	CHECK_STR(cell(got, "C8"), "");
	free(got);
}

/* A form whose choices have labels in two languages (one only in English), with commas and spaces. */
static const char labels_form[] = "{\"id\": \"l\", \"version\": \"1\", \"default_language\": \"en\", \"questions\": ["
	"{\"name\": \"kind\", \"type\": \"select_one\", \"label\": {\"en\": \"Kind\", \"fr\": \"Genre\"}, \"choices\": ["
	" {\"name\": \"ngo\", \"label\": {\"en\": \"NGO, local\", \"fr\": \"ONG, locale\"}},"
	" {\"name\": \"gov\", \"label\": {\"en\": \"Government\"}}]},"
	"{\"name\": \"pick\", \"type\": \"select_multiple\", \"label\": \"Pick\", \"choices\": ["
	" {\"name\": \"a\", \"label\": {\"en\": \"Human rights\", \"fr\": \"Droits humains\"}},"
	" {\"name\": \"b\", \"label\": {\"en\": \"Health\", \"fr\": \"Santé\"}}]},"
	"{\"name\": \"prio\", \"type\": \"rank\", \"label\": \"P\", \"choices\": [{\"name\": \"x\", \"label\": \"Ex\"},"
	" {\"name\": \"y\", \"label\": {\"fr\": \"Igrec\", \"en\": \"Why\"}}]},"
	"{\"name\": \"b\", \"type\": \"osm\", \"label\": \"B\", \"tags\": [{\"name\": \"building\", \"label\": \"Bu\","
	" \"choices\": [{\"name\": \"yes\", \"label\": {\"en\": \"Yes\", \"fr\": \"Oui\"}}]}, {\"name\": \"name\", \"label\": \"N\"}]},"
	"{\"name\": \"t\", \"type\": \"text\", \"label\": \"T\"}]}";

/* --labels: choices by their labels in the export's language (several joined by "; "), a choice without one by
 * its name; the names row and the other cells as without it; CSV keeps the names. */
static void test_xlsx_labels(void)
{
	static const char answers[] = "[{\"kind\": \"ngo\", \"pick\": [\"b\", \"a\"], \"prio\": [\"y\", \"x\"],"
		"\"b\": \"way/7; building=yes; name=yes\", \"t\": \"ngo\"},"
		"{\"kind\": \"gov\", \"pick\": [\"a\", \"gone\"], \"prio\": []}, {\"pick\": []},"
		"{\"kind\": \"vanished\"}]";
	struct export_opts o = { .lang = "fr", .labels = 1, .choice_columns = 1 };
	char *got = export_form(labels_form, EXPORT_XLSX, &o, answers, NULL);

	/* _id kind pick pick/a pick/b prio prio/x prio/y b b/feature b/building b/name t */
	CHECK_STR(cell(got, "B2"), "<c r=\"B2\" t=\"inlineStr\"><is><t>kind</t></is></c>");
	CHECK_STR(cell(got, "B3"), "<c r=\"B3\" t=\"inlineStr\"><is><t>ONG, locale</t></is></c>");
	CHECK_STR(cell(got, "C3"), "<c r=\"C3\" t=\"inlineStr\"><is><t>Santé; Droits humains</t></is></c>");
	CHECK_STR(cell(got, "D3"), "<c r=\"D3\"><v>1</v></c>");
	CHECK_STR(cell(got, "F3"), "<c r=\"F3\" t=\"inlineStr\"><is><t>Igrec; Ex</t></is></c>");
	CHECK_STR(cell(got, "G3"), "<c r=\"G3\"><v>2</v></c>");
	CHECK_STR(cell(got, "I3"), "<c r=\"I3\" t=\"inlineStr\"><is><t>way/7; building=yes; name=yes</t></is></c>");
	CHECK_STR(cell(got, "K3"), "<c r=\"K3\" t=\"inlineStr\"><is><t>Oui</t></is></c>");
	/* A tag without a list of values, and a text answer, stay as written. */
	CHECK_STR(cell(got, "L3"), "<c r=\"L3\" t=\"inlineStr\"><is><t>yes</t></is></c>");
	CHECK_STR(cell(got, "M3"), "<c r=\"M3\" t=\"inlineStr\"><is><t>ngo</t></is></c>");
	/* No French label: the default language's; a name the form no longer has: the name. */
	CHECK_STR(cell(got, "B4"), "<c r=\"B4\" t=\"inlineStr\"><is><t>Government</t></is></c>");
	CHECK_STR(cell(got, "C4"), "<c r=\"C4\" t=\"inlineStr\"><is><t>Droits humains; gone</t></is></c>");
	CHECK_STR(cell(got, "F4"), "");
	CHECK_STR(cell(got, "B5"), "");
	CHECK_STR(cell(got, "C5"), "");
	CHECK_STR(cell(got, "B6"), "<c r=\"B6\" t=\"inlineStr\"><is><t>vanished</t></is></c>");
	free(got);
	/* Without it, the names. */
	o.labels = 0;
	got = export_form(labels_form, EXPORT_XLSX, &o, answers, NULL);
	CHECK_STR(cell(got, "B3"), "<c r=\"B3\" t=\"inlineStr\"><is><t>ngo</t></is></c>");
	CHECK_STR(cell(got, "C3"), "<c r=\"C3\" t=\"inlineStr\"><is><t>b a</t></is></c>");
	CHECK_STR(cell(got, "K3"), "<c r=\"K3\" t=\"inlineStr\"><is><t>yes</t></is></c>");
	free(got);
	/* CSV is for programs: the names, whatever the option. */
	o.labels = 1;
	got = export_form(labels_form, EXPORT_CSV, &o, answers, NULL);
	if (got)
		csv_answers_only(got);
	CHECK_STR(got, "_id,kind,pick,pick/a,pick/b,prio,prio/x,prio/y,b,b/feature,b/building,b/name,t\r\n"
		  "r,ngo,b a,1,1,y x,2,1,way/7; building=yes; name=yes,way/7,yes,yes,ngo\r\n"
		  "r,gov,a gone,1,0,,0,0,,,,,\r\n"
		  "r,,,0,0,,,,,,,,\r\n"
		  "r,vanished,,,,,,,,,,,\r\n");
	free(got);
}

/* A test link: a file called "kept.pdf" is not at the server (no link), any other is. */
static int fake_link(void *ctx, const struct export_record *r, const json_t *a, struct buf *out)
{
	const char *name = json_string_value(json_object_get(a, "name"));

	(void)r;
	++*(int *)ctx;
	if (!name || !strcmp(name, "kept.pdf"))
		return 1;
	return buf_printf(out, "https://hq.example.org/v1/attachment?name=%s", name) < 0 ? -1 : 0;
}

#define PHOTO "{\"blake2b\": \"" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" "\"," \
	" \"size\": 10, \"type\": \"image/jpeg\", \"name\": \"photo \\\"1\\\".jpg\"}"
#define KEPT "{\"blake2b\": \"" "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210" "\"," \
	" \"size\": 10, \"type\": \"application/pdf\", \"name\": \"kept.pdf\"}"

/* GeoJSON's properties are each a string, number or boolean, which every GIS format holds: select_multiple and
 * rank as CSV has them, an attachment as its file's name, with its link as the property QUESTION/url when the
 * export has links and the file one. JSON keeps its arrays and objects. */
static void test_geojson_scalar_properties(void)
{
	static const char def[] = "{\"id\": \"v\", \"version\": \"1\", \"questions\": ["
		"{\"name\": \"site\", \"type\": \"geopoint\", \"label\": \"S\"},"
		"{\"name\": \"pick\", \"type\": \"select_multiple\", \"label\": \"P\", \"choices\": [{\"name\": \"a\","
		" \"label\": \"A\"}, {\"name\": \"b\", \"label\": \"B\"}]},"
		"{\"name\": \"prio\", \"type\": \"rank\", \"label\": \"R\", \"choices\": [{\"name\": \"x\", \"label\": \"X\"},"
		" {\"name\": \"y\", \"label\": \"Y\"}]},"
		"{\"name\": \"photo\", \"type\": \"image\", \"label\": \"Ph\"},"
		"{\"name\": \"mou\", \"type\": \"file\", \"label\": \"M\"},"
		"{\"name\": \"n\", \"type\": \"decimal\", \"label\": \"N\"}]}";
	static const char answers[] = "[{\"site\": \"14.69 -17.44 12 4\", \"pick\": [\"b\", \"a\"], \"prio\": [\"y\", \"x\"],"
		"\"photo\": " PHOTO ", \"mou\": " KEPT ", \"n\": 2.5},"
		"{\"site\": \"1 2\", \"pick\": [], \"n\": 0}]";
	int calls = 0;
	struct export_opts o = { .link = fake_link, .link_ctx = &calls };
	char *got = export_form(def, EXPORT_GEOJSON, &o, answers, NULL), *props, *end;
	json_t *doc, *p;

	/* The properties of the first feature, exactly, up to the underscore members. */
	props = got ? strstr(got, "\"properties\":") : NULL;
	end = props ? strstr(props, ",\"_form_version\"") : NULL;
	CHECK(props && end);
	if (props && end) {
		*end = '\0';
		CHECK_STR(props, "\"properties\":{\"_id\":\"r\",\"site\":\"14.69 -17.44 12 4\",\"pick\":\"b a\","
			  "\"prio\":\"y x\",\"photo\":\"photo \\\"1\\\".jpg\","
			  "\"photo/url\":\"https://hq.example.org/v1/attachment?name=photo \\\"1\\\".jpg\","
			  "\"mou\":\"kept.pdf\",\"n\":2.5");
		*end = ',';
	}
	CHECK_INT(calls, 2);
	/* Every property of every feature a scalar: what GDAL writes to a Shapefile. */
	doc = got ? json_loads(got, 0, NULL) : NULL;
	CHECK_INT(json_array_size(json_object_get(doc, "features")), 2);
	for (size_t i = 0; i < json_array_size(json_object_get(doc, "features")); i++) {
		const char *k;
		json_t *v;

		p = json_object_get(json_array_get(json_object_get(doc, "features"), i), "properties");
		CHECK(json_object_size(p) > 5);
		json_object_foreach(p, k, v)
			if (json_is_array(v) || json_is_object(v) || json_is_null(v)) {
				printf("# feature %zu: %s is not a scalar\n", i, k);
				CHECK(0);
			}
	}
	p = json_object_get(json_array_get(json_object_get(doc, "features"), 1), "properties");
	CHECK_STR(json_string_value(json_object_get(p, "pick")), "");
	json_decref(doc);
	free(got);
	/* JSON: the arrays and the attachments' objects, with "url". */
	got = export_form(def, EXPORT_JSON, &o, answers, NULL);
	CHECK(got && strstr(got, "\"pick\":[\"b\",\"a\"],\"prio\":[\"y\",\"x\"],\"photo\":{\"blake2b\":"));
	CHECK(got && strstr(got, "\"url\":\"https://hq.example.org/v1/attachment?name=photo \\\"1\\\".jpg\"}"));
	CHECK(got && !strstr(got, "photo/url"));
	free(got);
	/* Without links, no QUESTION/url property. */
	got = export_form(def, EXPORT_GEOJSON, NULL, answers, NULL);
	CHECK(got && strstr(got, "\"photo\":\"photo \\\"1\\\".jpg\",\"mou\":\"kept.pdf\""));
	CHECK(got && !strstr(got, "/url"));
	free(got);
}

/* The review columns as headquarters counts a `_review` value: an unknown or missing status is pending. */
static void test_review(void)
{
	json_t *v = json_pack("{s:s, s:s}", "status", "has_issues", "comment", "Check, the date");
	const char *state = NULL, *comment = NULL;

	export_review(NULL, &state, &comment);
	CHECK_STR(state, "pending");
	CHECK_STR(comment, "");
	export_review(v, &state, &comment);
	CHECK_STR(state, "has_issues");
	CHECK_STR(comment, "Check, the date");
	json_object_set_new(v, "status", json_string("approved"));
	json_object_del(v, "comment");
	export_review(v, &state, &comment);
	CHECK_STR(state, "approved");
	CHECK_STR(comment, "");
	json_object_set_new(v, "status", json_string("done"));
	export_review(v, &state, &comment);
	CHECK_STR(state, "pending");
	json_object_set_new(v, "status", json_integer(1));
	export_review(v, &state, &comment);
	CHECK_STR(state, "pending");
	json_decref(v);
}

/* The export commands' file: a private name beside the destination, renamed over what was there; a failed
 * rename leaves no temporary file; a path too long is refused. */
static void test_tmp_deliver(void)
{
	char out[600], tmp[700], tmp2[700], err[256], longpath[5000], old[600] = "";
	int had = getenv("TMPDIR") != NULL;
	char *back;
	FILE *fp;

	snprintf(out, sizeof(out), "%s/delivered.csv", dir);
	fp = fopen(out, "w");
	CHECK(fp != NULL);
	if (fp) {
		fputs("old", fp);
		fclose(fp);
	}
	CHECK_INT(export_tmp_path(out, tmp, sizeof(tmp), err, sizeof(err)), 0);
	CHECK_INT(export_tmp_path(out, tmp2, sizeof(tmp2), err, sizeof(err)), 0);
	CHECK(strncmp(tmp, out, strlen(out)) == 0 && !strncmp(tmp + strlen(out), ".tmp-", 5));
	CHECK_INT(strlen(tmp), strlen(out) + 5 + 16);
	CHECK(strcmp(tmp, tmp2) != 0);
	fp = fopen(tmp, "w");
	CHECK(fp != NULL);
	if (fp) {
		fputs("new", fp);
		fclose(fp);
	}
	CHECK_INT(export_deliver(tmp, out, err, sizeof(err)), 0);
	back = slurp(out);
	CHECK_STR(back, "new");
	free(back);
	CHECK(!exists(tmp));

	/* Renamed into a directory that does not exist: refused, naming the destination, the file removed. */
	snprintf(out, sizeof(out), "%s/no/such/dir.csv", dir);
	fp = fopen(tmp, "w");
	if (fp)
		fclose(fp);
	CHECK_INT(export_deliver(tmp, out, err, sizeof(err)), -1);
	CHECK(strstr(err, "cannot write") && strstr(err, "no/such/dir.csv"));
	CHECK(!exists(tmp));

	/* Standard output: a file in the temporary directory. */
	if (had)
		snprintf(old, sizeof(old), "%s", getenv("TMPDIR"));
	setenv("TMPDIR", dir, 1);
	CHECK_INT(export_tmp_path("-", tmp, sizeof(tmp), err, sizeof(err)), 0);
	CHECK(strncmp(tmp, dir, strlen(dir)) == 0 && !strncmp(tmp + strlen(dir), "/export-", 8));
	CHECK_INT(export_tmp_path(NULL, tmp2, sizeof(tmp2), err, sizeof(err)), 0);
	CHECK(strncmp(tmp2, dir, strlen(dir)) == 0);
	if (had)
		setenv("TMPDIR", old, 1);
	else
		unsetenv("TMPDIR");

	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK_INT(export_tmp_path(longpath, tmp, sizeof(tmp), err, sizeof(err)), -1);
	CHECK_STR(err, "the output path is too long");
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char cmd[600];

	snprintf(dir, sizeof(dir), "%s/test_export.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_formats);
	RUN(test_csv_exact);
	RUN(test_csv_choice_columns);
	RUN(test_csv_rank_osm);
	RUN(test_json_exact);
	RUN(test_geojson_exact);
	RUN(test_count_written);
	RUN(test_empty_exports);
	RUN(test_small_form);
	RUN(test_xlsx);
	RUN(test_xlsx_long_text);
	RUN(test_geopoint_parts);
	RUN(test_xlsx_labels);
	RUN(test_geojson_scalar_properties);
	RUN(test_close_abandon_removes);
	RUN(test_open_refuses_existing);
	RUN(test_write_failure_removes);
	RUN(test_review);
	RUN(test_tmp_deliver);
	/* TEST_EXPORT_KEEP=1 keeps the files, to look at them. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (getenv("TEST_EXPORT_KEEP"))
		printf("# files kept in %s\n", dir);
	else if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return test_done();
}
