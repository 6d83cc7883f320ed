/* fuzz_answer.c - libFuzzer target for reading answers (common/form-answer.c): what a person types, or what a device
 * sends, for each type of question. The first byte of an input picks the question, the rest is the text.
 * Whatever the bytes, form_parse_answer must give an answer or no answer, or refuse with a message; and an answer
 * it gives must be in its stored form already: read again (as the server reads what a device sent) it is the
 * same, and an osm answer's parts read back as they were written. Anything else aborts.
 *
 * Build with clang -fsanitize=fuzzer (make fuzz), or with tests/fuzz/replay.c under any compiler. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "form.h"
#include "fuzzkey.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char definition[] =
	"{\"id\": \"fuzz\", \"version\": \"1\", \"questions\": ["
	"{\"name\": \"t\", \"type\": \"text\", \"label\": \"T\"},"
	"{\"name\": \"i\", \"type\": \"integer\", \"label\": \"I\"},"
	"{\"name\": \"d\", \"type\": \"decimal\", \"label\": \"D\"},"
	"{\"name\": \"s1\", \"type\": \"select_one\", \"label\": \"S\", \"choices\": [{\"name\": \"yes\", \"label\": \"Y\"},"
	" {\"name\": \"No\", \"label\": \"N\"}, {\"name\": \"1\", \"label\": \"One\"}]},"
	"{\"name\": \"sm\", \"type\": \"select_multiple\", \"label\": \"M\", \"choices\": [{\"name\": \"a\", \"label\": \"A\"},"
	" {\"name\": \"b\", \"label\": \"B\"}, {\"name\": \"2\", \"label\": \"Two\"}]},"
	"{\"name\": \"dt\", \"type\": \"date\", \"label\": \"Date\"},"
	"{\"name\": \"g\", \"type\": \"geopoint\", \"label\": \"G\"},"
	"{\"name\": \"tm\", \"type\": \"time\", \"label\": \"Time\"},"
	"{\"name\": \"dtt\", \"type\": \"dateTime\", \"label\": \"DT\"},"
	"{\"name\": \"ack\", \"type\": \"acknowledge\", \"label\": \"Ack\"},"
	"{\"name\": \"o\", \"type\": \"osm\", \"label\": \"O\", \"tags\": ["
	" {\"name\": \"building\", \"label\": \"B\", \"choices\": [{\"name\": \"yes\", \"label\": \"Y\"},"
	"  {\"name\": \"School\", \"label\": \"S\"}]},"
	" {\"name\": \"name\", \"label\": \"N\"}, {\"name\": \"addr:street\", \"label\": \"A\"}]},"
	"{\"name\": \"ob\", \"type\": \"osm\", \"label\": \"Feature\"},"
	"{\"name\": \"rk\", \"type\": \"rank\", \"label\": \"R\", \"choices\": [{\"name\": \"a\", \"label\": \"A\"},"
	" {\"name\": \"B\", \"label\": \"B\"}, {\"name\": \"3\", \"label\": \"Three\"}]},"
	"{\"name\": \"gt\", \"type\": \"geotrace\", \"label\": \"Line\"},"
	"{\"name\": \"gs\", \"type\": \"geoshape\", \"label\": \"Shape\"}]}";

static struct form *form;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct form_question *q;
	char err[600] = "", *text;
	json_t *v = NULL, *again = NULL;
	size_t k;

	if (!form) {
		form = form_load(definition, strlen(definition), err, sizeof(err));
		if (!form) {
			fprintf(stderr, "the fuzz form does not load: %s\n", err);
			abort();
		}
	}
	if (size == 0)
		return 0;
	q = form_question(form, data[0] % form_count(form));
	text = fuzz_text(data, size);
	if (!text)
		return 0;
	if (form_parse_answer(form, q, text, data[0] & 0x80 ? FORM_PARSE_NUMBERS : 0, &v, err, sizeof(err)) < 0) {
		if (v || !err[0]) {
			fprintf(stderr, "%s: refused without a message, or with an answer\n", q->name);
			abort();
		}
		free(text);
		return 0;
	}
	if (!v) {
		free(text);
		return 0;
	}
	/* As the server reads it: the same answer, exactly. */
	if (form_coerce_answer(form, q, v, &again, err, sizeof(err)) < 0 || !json_equal(v, again)) {
		fprintf(stderr, "%s: the answer is not in its stored form: %s\n", q->name, err);
		abort();
	}
	/* A location reads as GeoJSON, whole or not at all. */
	if (q->type == FT_GEOPOINT || q->type == FT_GEOTRACE || q->type == FT_GEOSHAPE) {
		struct buf g = BUF_INIT((size_t)1 << 20);

		if (form_geojson_geometry(q->type, json_string_value(v), &g) != 1) {
			fprintf(stderr, "%s: '%s' has no GeoJSON geometry\n", q->name, json_string_value(v));
			abort();
		}
		buf_release(&g);
	}
	if (q->type == FT_OSM) {
		/* Its parts read back one by one, and written again as form.h says, give the same text. */
		const char *s = json_string_value(v);
		struct buf b = BUF_INIT((size_t)1 << 20);
		char *part = form_osm_part(s, NULL);

		if (part)
			buf_adds(&b, part);
		free(part);
		for (k = 0; k < q->ntags; k++) {
			const char *c;

			if (!(part = form_osm_part(s, q->tags[k].name)))
				continue;
			buf_printf(&b, "%s%s=", b.len ? "; " : "", q->tags[k].name);
			for (c = part; *c; c++) {
				if (*c == ';')
					buf_addc(&b, ';');
				buf_addc(&b, *c);
			}
			free(part);
		}
		buf_addc(&b, '\0');
		if (strcmp(b.data, s)) {
			fprintf(stderr, "%s: '%s' reads back as '%s'\n", q->name, s, b.data);
			abort();
		}
		buf_release(&b);
	}
	json_decref(v);
	json_decref(again);
	free(text);
	return 0;
}
