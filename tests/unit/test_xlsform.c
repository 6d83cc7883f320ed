/* test_xlsform.c - XLSForm workbooks both ways: a form written by xlsform_write and read back by
 * xlsform_convert is the same definition (the built-in partnership form, and forms with every kind of member),
 * and the conversion's choices where XLSForm and Sondeo differ (plain and per-language texts, defaults). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "buf.h"
#include "form.h"
#include "test.h"
#include "xlsform.h"

extern const unsigned char form_partnership_json[];
extern const size_t form_partnership_json_len;

static char dir[256];

/* Writes def as a workbook, converts it back, and checks the two definitions are equal. */
static void round_trip(const char *json, size_t len)
{
	json_t *def = json_loadb(json, len, 0, NULL), *back = NULL;
	struct buf file = BUF_INIT((size_t)32 << 20), out = BUF_INIT((size_t)16 << 20);
	char path[300], err[600] = "";

	snprintf(path, sizeof(path), "%s/form.xlsx", dir);
	CHECK(def != NULL);
	CHECK_INT(xlsform_write(def, path, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_INT(buf_read_file(&file, path), 0);
	CHECK_INT(xlsform_convert(file.data, file.len, "fallback", &out, err, sizeof(err)), 0);
	CHECK_STR(err, "");
	back = json_loadb(out.data, out.len, 0, NULL);
	CHECK(back != NULL);
	CHECK_INT(json_equal(def, back), 1);
	if (!json_equal(def, back)) {
		char *a = json_dumps(def, JSON_SORT_KEYS | JSON_COMPACT), *b = json_dumps(back, JSON_SORT_KEYS | JSON_COMPACT);

		printf("# written:  %.2000s\n# read back: %.2000s\n", a, b);
		free(a);
		free(b);
	}
	json_decref(def);
	json_decref(back);
	buf_release(&file);
	buf_release(&out);
	unlink(path);
}

static void test_partnership_round_trip(void)
{
	round_trip((const char *)form_partnership_json, form_partnership_json_len);
}

static void test_every_member_round_trip(void)
{
	static const char def[] =
		"{\"id\": \"every\", \"version\": \"2026.1\", \"default_language\": \"fr\","
		" \"title\": {\"fr\": \"Tout\", \"en\": \"Everything\"},"
		" \"groups\": [{\"name\": \"part\", \"label\": {\"fr\": \"Partie\", \"en\": \"Part\"},"
		"   \"relevant\": \"${n} > 0\"}, {\"name\": \"inner\", \"group\": \"part\"},"
		"  {\"name\": \"people\", \"label\": \"Person\", \"repeat\": true}],"
		" \"questions\": ["
		"  {\"name\": \"who\", \"type\": \"text\", \"label\": \"Who?\", \"required\": true,"
		"   \"required_message\": \"Say who\", \"default\": \"'Nairobi'\"},"
		"  {\"name\": \"n\", \"type\": \"integer\", \"label\": {\"fr\": \"Combien\", \"en\": \"How many\"},"
		"   \"hint\": {\"fr\": \"En tout\"}, \"constraint\": \". >= 0 and . < 1000\","
		"   \"constraint_message\": {\"fr\": \"Entre 0 et 999\", \"en\": \"From 0 to 999\"}, \"default\": \"5\"},"
		"  {\"name\": \"kind\", \"type\": \"select_multiple\", \"label\": \"Kind\", \"group\": \"part\","
		"   \"choices\": [{\"name\": \"1\", \"label\": {\"fr\": \"Un\", \"en\": \"One\"}},"
		"                 {\"name\": \"two\", \"label\": \"Two\"}]},"
		"  {\"name\": \"day\", \"type\": \"date\", \"label\": \"Day\", \"default\": \"today()\", \"group\": \"inner\"},"
		"  {\"name\": \"day2\", \"type\": \"today\", \"group\": \"part\"},"
		"  {\"name\": \"total\", \"type\": \"calculate\", \"calculation\": \"${n} * 2\"},"
		"  {\"name\": \"office\", \"type\": \"text\", \"label\": \"Office\", \"readonly\": true,"
		"   \"default\": \"'EA'\"},"
		"  {\"name\": \"pname\", \"type\": \"text\", \"label\": \"Name\", \"group\": \"people\"},"
		"  {\"name\": \"where\", \"type\": \"geopoint\", \"label\": \"Where\"},"
		"  {\"name\": \"size\", \"type\": \"decimal\", \"label\": \"Size\", \"default\": \"\\\"it's\\\"\"},"
		"  {\"name\": \"ok\", \"type\": \"select_one\", \"label\": \"OK?\","
		"   \"choices\": [{\"name\": \"yes\", \"label\": \"Yes\"}, {\"name\": \"no\", \"label\": \"No\"}]},"
		"  {\"name\": \"bye\", \"type\": \"note\", \"label\": {\"en\": \"Thanks\", \"fr\": \"Merci\"}}]}";

	round_trip(def, strlen(def));
}

static void test_written_workbook_refused_when_path_is_wrong(void)
{
	json_t *def = json_loadb((const char *)form_partnership_json, form_partnership_json_len, 0, NULL);
	char err[600] = "";

	CHECK_INT(xlsform_write(def, "/nonexistent-dir/form.xlsx", err, sizeof(err)), -1);
	CHECK(strstr(err, "cannot write '/nonexistent-dir/form.xlsx'") != NULL);
	json_decref(def);
}

int main(void)
{
	int rc;
	char cmd[300];

	snprintf(dir, sizeof(dir), "%s/sondeo-xlsform.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	RUN(test_partnership_round_trip);
	RUN(test_every_member_round_trip);
	RUN(test_written_workbook_refused_when_path_is_wrong);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	rc = system(cmd);
	(void)rc;
	return test_done();
}
