/* export.c - benchmark of the exporter both tiers share (common/export.h): N generated records of the built-in
 * partnership form pushed into one export, with the time spent in export_open/add/close and this process's
 * peak RSS.
 *
 *   bench-export FORMAT N DIR      FORMAT csv|xlsx|json|geojson; writes DIR/bench.FORMAT (removed first)
 *
 * prints one line: FORMAT N SECONDS_IN_EXPORT SECONDS_TOTAL MAXRSS_KB BYTES. Choice columns are on (the widest
 * export) unless BENCH_CHOICE_COLUMNS=0. Records are made one at a time
 * (and freed) as the server will read them from its store, so the RSS shows what the writer keeps: running
 * with N = 10000 and N = 100000 gives the same figure when memory is flat. Build it against the release
 * objects, for instance:
 *
 *   make MODE=release BUILD_DIR=build/bench build/bench/gen/builtin_forms.o \
 *        $(for f in common/[a-z]*.c proto/[a-z]*.c; do echo build/bench/${f%.c}.o; done)
 *   cc -O2 -Icommon -Iproto -o build/bench/bench-export bench/export.c \
 *        build/bench/common/[a-z]*.o build/bench/proto/[a-z]*.o build/bench/gen/builtin_forms.o \
 *        -ljansson -lsqlite3 -lsodium -lxlsxwriter -lzip -lexpat -lz -lm
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "export.h"
#include "form.h"

extern const unsigned char form_partnership_json[];
extern const size_t form_partnership_json_len;

static unsigned long state = 2018;

/* Park-Miller, as bench/gen.awk: the same records on every machine. */
static double rnd(void)
{
	state = state * 16807 % 2147483647;
	return (double)state / 2147483647;
}

static int ri(int k)
{
	return (int)(rnd() * k);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const words[] = {
	"partnership", "migrants", "diaspora", "remittances", "training", "the", "with", "and", "local", "council",
	"ministry", "labour", "return", "reintegration", "data", "Côte d'Ivoire", "Bogotá", "\"joint\"", "desk,",
	"cooperation", "health", "education", "São Paulo", "Niš", "東京", "funding", "cycle", "platform",
};

/* A text answer of about len bytes: words, with now and then a comma, a quote, a line break or UTF-8. */
static json_t *text(int len)
{
	char buf[1024];
	size_t used = 0;

	while ((int)used < len && used + 40 < sizeof(buf)) {
		const char *w = words[ri((int)(sizeof(words) / sizeof(words[0])))];

		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s", used ? (ri(12) ? " " : ".\n") : "", w);
	}
	return json_stringn(buf, used);
}

/* Up to max distinct choices of q, at least min. */
static json_t *choices(const struct form_question *q, int min, int max)
{
	json_t *a = json_array();
	int n = min + ri(max - min + 1), i;
	size_t start = (size_t)ri((int)q->nchoices);

	for (i = 0; i < n && (size_t)i < q->nchoices; i++)
		json_array_append_new(a, json_string(q->choices[(start + (size_t)i * 3) % q->nchoices].name));
	return a;
}

static json_t *answers(const struct form *f)
{
	static const char *const partners[] = {
		"Nairobi City County", "Radio Frontera", "Asociación de Migrantes \"Unidos\", Quito",
		"Ministère du Travail", "Diaspora Bank Ltd", "University of Dakar", "Red Cross, Tapachula",
	};
	static const char *const countries[] = { "KEN", "MEX", "SEN", "COL", "ECU", "PHL", "NGA", "MAR" };
	const struct form_question *st = form_find(f, "stakeholder_type");
	json_t *a = json_object();
	const char *type = st->choices[ri((int)st->nchoices)].name;
	char date[40], loc[64];

	json_object_set_new(a, "partner_name", json_string(partners[ri(7)]));
	json_object_set_new(a, "stakeholder_type", json_string(type));
	if (!strcmp(type, "other"))
		json_object_set_new(a, "stakeholder_type_other", text(20));
	json_object_set_new(a, "country", json_string(countries[ri(8)]));
	json_object_set_new(a, "level", choices(form_find(f, "level"), 1, 4));
	json_object_set_new(a, "thematic_areas", choices(form_find(f, "thematic_areas"), 1, 4));
	json_object_set_new(a, "policy_areas", choices(form_find(f, "policy_areas"), 0, 4));
	json_object_set_new(a, "platforms", choices(form_find(f, "platforms"), 0, 4));
	json_object_set_new(a, "partnership_model", text(ri(300)));
	json_object_set_new(a, "achievements", text(ri(400)));
	if (ri(2))
		json_object_set_new(a, "challenges", text(ri(300)));
	if (ri(2))
		json_object_set_new(a, "good_practices", text(ri(200)));
	json_object_set_new(a, "replicable", json_string(ri(3) ? "yes" : "partly"));
	json_object_set_new(a, "scale_up_potential", json_integer(1 + ri(5)));
	json_object_set_new(a, "contact_name", json_string("Amina Wanjiru"));
	json_object_set_new(a, "contact_email", json_string("amina@example.org"));
	snprintf(date, sizeof(date), "%04d-%02d-%02d", 2012 + ri(13), 1 + ri(12), 1 + ri(28));
	json_object_set_new(a, "interview_date", json_string(date));
	snprintf(loc, sizeof(loc), "%.5f %.5f", rnd() * 60 - 30, rnd() * 120 - 60);
	json_object_set_new(a, "location", json_string(loc));
	return a;
}

int main(int argc, char **argv)
{
	static const char *const regions[] = { "kisumu", "tapachula", "dakar" };
	static const char *const reviews[] = { "pending", "approved", "has_issues", "rejected" };
	char path[4096], err[512], id[64];
	struct export_opts o = { 1, "en" };
	struct rusage ru;
	struct form *f;
	struct export *x;
	struct stat sb;
	double t0, in_export = 0, t;
	long i, n;
	int fmt;

	if (argc != 4 || (fmt = export_format_parse(argv[1])) < 0 || (n = atol(argv[2])) < 0) {
		fputs("usage: bench-export csv|xlsx|json|geojson N DIR\n", stderr);
		return 2;
	}
	if (getenv("BENCH_CHOICE_COLUMNS") && !strcmp(getenv("BENCH_CHOICE_COLUMNS"), "0"))
		o.choice_columns = 0;
	snprintf(path, sizeof(path), "%s/bench.%s", argv[3], argv[1]);
	unlink(path);
	if (!(f = form_load((const char *)form_partnership_json, form_partnership_json_len, err, sizeof(err)))) {
		fprintf(stderr, "bench-export: %s\n", err);
		return 1;
	}
	t0 = now();
	if (!(x = export_open(path, (enum export_format)fmt, f, &o, err, sizeof(err)))) {
		fprintf(stderr, "bench-export: %s\n", err);
		return 1;
	}
	in_export += now() - t0;
	for (i = 0; i < n; i++) {
		json_t *a = answers(f);
		struct export_record r;

		snprintf(id, sizeof(id), "%08lx-58b2-4d4e-9a51-%012lx", (unsigned long)i * 2654435761u % 0xffffffffu,
			 (unsigned long)i);
		memset(&r, 0, sizeof(r));
		r.id = id;
		r.version = "1";
		r.region = regions[i % 3];
		r.review = reviews[i % 4];
		r.review_comment = i % 4 >= 2 ? "Check the partner's name against the registry" : "";
		r.created_ms = 1700000000000ull + (uint64_t)i * 60000;
		r.updated_ms = r.created_ms + 3600000;
		r.conflicts = i % 50 == 0;
		r.deleted = i % 97 == 0;
		r.answers = a;
		t = now();
		if (export_add(x, &r, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench-export: %s\n", err);
			export_close(x, 0, err, sizeof(err));
			return 1;
		}
		in_export += now() - t;
		json_decref(a);
	}
	t = now();
	if (export_close(x, 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "bench-export: %s\n", err);
		return 1;
	}
	in_export += now() - t;
	if (getenv("BENCH_VERBOSE"))
		fprintf(stderr, "export_close: %.3f s\n", now() - t);
	getrusage(RUSAGE_SELF, &ru);
	printf("%s %ld %.3f %.3f %ld %lld\n", argv[1], n, in_export, now() - t0, ru.ru_maxrss,
	       stat(path, &sb) == 0 ? (long long)sb.st_size : -1LL);
	form_free(f);
	return 0;
}
