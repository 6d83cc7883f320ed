/* cmd-list.c - sondeo list: the records on this device, as a table or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "db.h"
#include "hlc.h"
#include "util.h"
#include "banned.h"

#define MAX_WHERE 32

/* Prints s padded or cut to width columns (counting code points). */
static void cell(const char *s, size_t width)
{
	size_t n = 0, i = 0;

	while (s[i] && n < width) {
		size_t start = i++;

		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		if (n + 1 == width && s[i]) {
			fputs("~", stdout);      /* cut here */
			n++;
			break;
		}
		fwrite(s + start, 1, i - start, stdout);
		n++;
	}
	for (; n < width; n++)
		putchar(' ');
	putchar(' ');
}

/* The three answers a table row shows: for the built-in form its fixed columns, else the first questions. */
struct columns {
	char form[MERGE_MAX_NAME + 1];
	const char *names[3];
	struct form *f;
};

static void columns_for(struct store *s, struct columns *c, const char *form)
{
	static const char *const fixed[3] = { "partner_name", "stakeholder_type", "country" };
	size_t i, k = 0;

	if (!strcmp(c->form, form))
		return;
	form_free(c->f);
	strlcpy_s(c->form, form, sizeof(c->form));
	c->f = store_form_get(s, form, NULL, NULL, 0);
	for (i = 0; i < 3; i++)
		c->names[i] = NULL;
	if (!strcmp(form, "partnership")) {
		for (i = 0; i < 3; i++)
			c->names[i] = fixed[i];
		return;
	}
	for (i = 0; c->f && i < form_count(c->f) && k < 3; i++)
		if (form_question(c->f, i)->type != FT_NOTE)
			c->names[k++] = form_question(c->f, i)->name;
}

/* Finds which installed form has a question called name (for checking --where). */
static int question_known(struct store *s, const char *form, const char *name)
{
	sqlite3_stmt *st = db_prepare(store_db(s), "SELECT DISTINCT id FROM forms WHERE ?1 IS NULL OR id = ?1", NULL, 0);
	int found = 0;

	db_bind_text(st, 1, form);
	while (!found && sqlite3_step(st) == SQLITE_ROW) {
		struct form *f = store_form_get(s, db_text(st, 0), NULL, NULL, 0);

		found = f && form_find(f, name);
		form_free(f);
	}
	sqlite3_finalize(st);
	return found;
}

int cmd_list(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "form", required_argument, NULL, 'f' }, { "where", required_argument, NULL, 'w' },
		{ "search", required_argument, NULL, 's' }, { "drafts", no_argument, NULL, 'd' },
		{ "deleted", no_argument, NULL, 'D' }, { "conflicts", no_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' }, { 0, 0, 0, 0 }
	};
	const char *form = NULL, *search = NULL, *where[MAX_WHERE];
	int c, drafts = 0, deleted = 0, conflicts = 0, json = 0, r = EXIT_FAIL, rc, i, nwhere = 0;
	struct buf sql = BUF_INIT(1 << 16), like = BUF_INIT(4096);
	struct columns cols = { "", { NULL, NULL, NULL }, NULL };
	sqlite3_stmt *st = NULL, *val = NULL;
	struct store *s = NULL;
	json_t *list = NULL;
	char err[512];
	long rows = 0;

	while ((c = cli_getopt(cli, argc, argv, "", opts)) != -1) {
		switch (c) {
		case 'f': form = optarg; break;
		case 's': search = optarg; break;
		case 'd': drafts = 1; break;
		case 'D': deleted = 1; break;
		case 'c': conflicts = 1; break;
		case 'j': json = 1; break;
		case 'w':
			if (nwhere == MAX_WHERE)
				return cli_usage_error(cli, "at most %d --where", MAX_WHERE);
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return cli_usage_error(cli, "--where '%s': expected NAME=VALUE", optarg);
			where[nwhere++] = optarg;
			break;
		default:
			return cli_opt_exit(c);
		}
	}
	if (optind < argc)
		return cli_usage_error(cli, "unexpected argument '%s'", argv[optind]);
	if (!(s = cli_open_store(cli)))
		return EXIT_FAIL;
	if (form) {
		struct form *known = store_form_get(s, form, NULL, err, sizeof(err));

		if (!known) {
			cli_error("%s", err);
			goto out;
		}
		form_free(known);
	}
	for (i = 0; i < nwhere; i++) {
		char *name = xstrndup(where[i], (size_t)(strchr(where[i], '=') - where[i]));
		int known = question_known(s, form, name);

		if (!known)
			cli_error("--where: unknown question '%s'%s%s", name, form ? " in form " : "", form ? form : "");
		free(name);
		if (!known)
			goto out;
	}

	buf_adds(&sql, "SELECT r.id, r.form, r.draft, r.deleted, r.conflicts, r.updated, r.rid,"
		 " (SELECT v.value FROM fields v WHERE v.rid = r.rid AND v.field = '_review') FROM records r WHERE 1");
	if (form)
		buf_adds(&sql, " AND r.form = ?1");
	if (!deleted)
		buf_adds(&sql, " AND NOT r.deleted");
	/* A repeat's instances are listed with their record (sondeo show), not among the records. */
	buf_adds(&sql, " AND NOT EXISTS (SELECT 1 FROM fields p WHERE p.rid = r.rid AND p.field = '_parent')");
	if (drafts)
		buf_adds(&sql, " AND r.draft");
	if (conflicts)
		buf_adds(&sql, " AND r.conflicts > 0");
	if (search)
		buf_adds(&sql, " AND EXISTS (SELECT 1 FROM fields t WHERE t.rid = r.rid AND t.field NOT LIKE '\\_%' ESCAPE '\\'"
			 " AND (CASE json_type(t.value) WHEN 'text' THEN json_extract(t.value, '$') WHEN 'array' THEN t.value END)"
			 " LIKE ?2 ESCAPE '\\')");
	/* A select_multiple answer matches when the value is one of its choices. */
	for (i = 0; i < nwhere; i++)
		buf_printf(&sql, " AND EXISTS (SELECT 1 FROM fields w WHERE w.rid = r.rid AND w.field = ?%d AND"
			   " (CAST(json_extract(w.value, '$') AS TEXT) = ?%d OR (json_type(w.value) = 'array' AND"
			   " EXISTS (SELECT 1 FROM json_each(w.value) e WHERE e.value = ?%d))))",
			   10 + 2 * i, 11 + 2 * i, 11 + 2 * i);
	buf_adds(&sql, " ORDER BY r.updated DESC, r.id");
	if (!(st = db_prepare(store_db(s), sql.data, err, sizeof(err))) ||
	    !(val = db_prepare(store_db(s), "SELECT value FROM fields WHERE rid = ?1 AND field = ?2", err,
			       sizeof(err)))) {
		cli_error("%s", err);
		goto out;
	}
	if (form)
		db_bind_text(st, 1, form);
	if (search) {
		const char *p;

		buf_addc(&like, '%');
		for (p = search; *p; p++) {
			if (*p == '%' || *p == '_' || *p == '\\')
				buf_addc(&like, '\\');
			buf_addc(&like, *p);
		}
		buf_addc(&like, '%');
		db_bind_text(st, 2, like.data);
	}
	for (i = 0; i < nwhere; i++) {
		const char *eq = strchr(where[i], '=');

		sqlite3_bind_text(st, 10 + 2 * i, where[i], (int)(eq - where[i]), SQLITE_TRANSIENT);
		db_bind_text(st, 11 + 2 * i, eq + 1);
	}

	if (json)
		list = json_array();
	else
		printf("%-8s %-28s %-22s %-7s %-16s %-5s %s\n", "ID", "PARTNER", "TYPE", "COUNTRY", "UPDATED", "STATE",
		       "FLAGS");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = db_text(st, 0);
		int is_draft = sqlite3_column_int(st, 2), is_deleted = sqlite3_column_int(st, 3);
		int nconf = sqlite3_column_int(st, 4);
		char when[32];

		time_fmt(HLC_MS((uint64_t)sqlite3_column_int64(st, 5)), when, sizeof(when));
		columns_for(s, &cols, db_text(st, 1));
		rows++;
		if (json) {
			json_t *review = sqlite3_column_type(st, 7) == SQLITE_NULL ? NULL :
					 json_loads(db_text(st, 7), JSON_DECODE_ANY, NULL);
			json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:i, s:s, s:o}", "id", id, "form", db_text(st, 1),
					      "status", is_draft ? "draft" : "final", "deleted", is_deleted,
					      "conflicts", nconf, "updated", when, "review",
					      json_is_object(review) ? review : json_null());

			if (!json_is_object(review))
				json_decref(review);
			for (i = 0; i < 3; i++) {
				if (!cols.names[i])
					continue;
				sqlite3_bind_int64(val, 1, sqlite3_column_int64(st, 6));
				db_bind_text(val, 2, cols.names[i]);
				if (sqlite3_step(val) == SQLITE_ROW)
					json_object_set_new(o, cols.names[i], json_loads(db_text(val, 0), JSON_DECODE_ANY, NULL));
				sqlite3_reset(val);
			}
			json_array_append_new(list, o);
			continue;
		}
		cell(cli_short_id(id), 8);
		for (i = 0; i < 3; i++) {
			char *t = NULL;

			if (cols.names[i]) {
				sqlite3_bind_int64(val, 1, sqlite3_column_int64(st, 6));
				db_bind_text(val, 2, cols.names[i]);
				if (sqlite3_step(val) == SQLITE_ROW)
					t = cli_value_text(db_text(val, 0));
				sqlite3_reset(val);
			}
			cell(t ? t : "", i == 0 ? 28 : i == 1 ? 22 : 7);
			free(t);
		}
		cell(when, 16);
		cell(is_draft ? "draft" : "final", 5);
		{
			char *review = cli_review_text(sqlite3_column_type(st, 7) == SQLITE_NULL ? NULL : db_text(st, 7));
			char flags[32];

			snprintf(flags, sizeof(flags), "%s%s", nconf ? "conflict " : "", is_deleted ? "deleted " : "");
			/* The review last: its comment may be long, and nothing comes after it. */
			printf("%s%s\n", flags, review);
			free(review);
		}
	}
	if (rc != SQLITE_DONE) {
		db_error(store_db(s), rc, err, sizeof(err));
		cli_error("%s", err);
		goto out;
	}
	if (json) {
		char *t = json_dumps(list, JSON_INDENT(2));

		puts(t);
		free(t);
	} else if (cli_interactive()) {
		printf("%ld record%s\n", rows, rows == 1 ? "" : "s");
	}
	r = EXIT_OK;
out:
	json_decref(list);
	sqlite3_finalize(st);
	sqlite3_finalize(val);
	form_free(cols.f);
	buf_release(&sql);
	buf_release(&like);
	store_close(s);
	return r;
}
