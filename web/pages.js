/* pages.js - the review page's pages: dashboard, records, a record, possible duplicates, and for admins
 * devices (with enrolment codes and their QR code), users and the audit log. Each page's render(route, serial)
 * returns a promise of its content; app.js puts it in place unless the user has moved on. */
(function () {
	"use strict";

	var S = window.Sondeo, el = S.el;

	/* --- Shared pieces --------------------------------------------------------------------------------- */

	/* params with key set to value (removed when empty); the page number goes back to 1 unless it is the key. */
	function withParam(params, key, value) {
		var p = new URLSearchParams(params.toString());
		if (value === "" || value === null || value === undefined)
			p.delete(key);
		else
			p.set(key, value);
		if (key !== "page")
			p.delete("page");
		return p;
	}

	function formOptions(current) {
		var ids = S.formIds(), opts = [];
		if (current && ids.indexOf(current) < 0)
			ids.push(current);
		ids.forEach(function (id) {
			opts.push([id, S.formTitle(id)]);
		});
		return opts;
	}

	function regionOptions(current) {
		var regions = (S.state.catalog && S.state.catalog.regions) || [], opts = [["", _("All regions")]];
		regions.forEach(function (r) {
			opts.push([r, r]);
		});
		if (current && regions.indexOf(current) < 0)
			opts.push([current, current]);
		return opts;
	}

	/* The questions that can date a form's records (date and dateTime questions outside its repeats), as
	 * [name, label] options; the server takes the first by default (docs/review-api.md, date). */
	function dateOptions(def) {
		return S.questions(def, function (q) {
			return (q.type === "date" || q.type === "dateTime") && !repeatOf(def, q);
		}).map(function (q) {
			return [q.name, S.questionLabel(def, q.name)];
		});
	}

	/* The filters every selection has: form, region, dates (and what dates a record: date, the one the server
	 * used when the page names none), review status. Changing one reloads the page with it in the hash. */
	function filterBar(route, formId, date) {
		var p = route.params, def = S.formDef(formId), dates = dateOptions(def),
			bar = el("form", { class: "filters", "aria-label": _("Filters"), on: { submit: function (e) {
			e.preventDefault();
		} } });
		function control(key, node) {
			node.addEventListener("change", function () {
				var next = withParam(p, key, node.value);
				/* Another form has questions of its own. */
				if (key === "form")
					next.delete("date");
				S.go(route.page, next);
			});
			return node;
		}
		bar.appendChild(S.field(_("Form"), control("form", S.select(formOptions(formId), formId, { id: "filter-form" }))));
		bar.appendChild(S.field(_("Region"), control("region", S.select(regionOptions(p.get("region")), p.get("region"),
			{ id: "filter-region" }))));
		date = p.get("date") || date || (dates.length ? dates[0][0] : "_created");
		if (dates.length) {
			/* TRANSLATORS: which date of a record the date filter and the chart of records per week use: a date
			 * question of the form (the interview's date), or the day the record was created. */
			bar.appendChild(S.field(_("Dated by"), control("date", S.select(dates.concat([["_created",
				/* TRANSLATORS: one choice of "Dated by": the day a record was created. */
				_("Day created")]]), date, { id: "filter-date" }))));
		}
		/* TRANSLATORS: the first of two dates of a filter: records dated (by the question chosen in "Dated by",
		 * or created when the form has no date question) from this day... */
		bar.appendChild(S.field(date === "_created" ? _("Created from") : _("Dated from"), control("from",
			el("input", { type: "date", id: "filter-from", value: p.get("from") || "" }))));
		/* TRANSLATORS: ...to this day (the second date of the filter, after "Created from"). */
		bar.appendChild(S.field(C_("date range", "to"), control("to", el("input", { type: "date", id: "filter-to",
			value: p.get("to") || "" }))));
		bar.appendChild(S.field(_("Review"), control("review", S.select([["", _("Any review status")]].concat(S.reviewOptions()),
			p.get("review"), { id: "filter-review" }))));
		if (S.pickFilters(p, ["region", "from", "to", "review", "q", "conflicts", "deleted", "date"], true).toString())
			bar.appendChild(el("div", { class: "field field-button" }, el("button", { type: "button", class: "link",
				id: "filter-clear", on: { click: function () {
					S.go(route.page, S.pickFilters(p, ["form"]));
				} } }, _("Clear filters"))));
		return bar;
	}

	/* A page's heading, what it is about, and for a page of a form's records the note that the form has no text in
	 * the chosen language (def). */
	function pageHeader(title, sub, def) {
		return el("div", { class: "page-head" }, el("h1", null, title), sub ? el("p", { class: "sub" }, sub) : null,
			def ? S.langNote(def) : null);
	}

	/* The form a page works on: the one in the hash, else the only one published, else the server's choice (the
	 * form with the most records, which the dashboard names). */
	function chosenForm(route) {
		var f = route.params.get("form"), ids = S.formIds();
		if (f)
			return Promise.resolve(f);
		if (ids.length === 1)
			return Promise.resolve(ids[0]);
		return S.api("GET", "/v1/dashboard", S.pickFilters(route.params, ["region"])).then(function (d) {
			return d.form;
		}, function () {
			return ids[0] || "";
		});
	}

	/* Prev / next and where we are: "Showing 51–100 of 1,234". */
	function pager(route, total, page, perPage, sizes) {
		var pages = Math.max(1, Math.ceil(total / perPage)), first = total ? (page - 1) * perPage + 1 : 0,
			last = Math.min(total, page * perPage), nav = el("nav", { class: "pager", "aria-label": _("Pages") });
		/* TRANSLATORS: which rows of a table are shown: {first} to {last} of {total} (numbers). */
		nav.appendChild(el("span", { class: "range", "aria-live": "polite" }, fmt(_("Showing {first}–{last} of {total}"),
			{ first: S.num(first), last: S.num(last), total: S.num(total) })));
		nav.appendChild(el("button", { type: "button", class: "secondary", id: "page-prev", disabled: page <= 1,
			on: { click: function () { S.go(route.page, withParam(route.params, "page", String(page - 1)), route.arg); } } },
			_("‹ Previous")));
		nav.appendChild(el("span", { class: "pageno" }, fmt(_("Page {page} of {pages}"), { page: S.num(page),
			pages: S.num(pages) })));
		nav.appendChild(el("button", { type: "button", class: "secondary", id: "page-next", disabled: page >= pages,
			on: { click: function () { S.go(route.page, withParam(route.params, "page", String(page + 1)), route.arg); } } },
			_("Next ›")));
		if (sizes) {
			var sel = S.select(sizes.map(function (n) {
				/* TRANSLATORS: how many rows each page of a table shows. */
				return [String(n), fmt(_("{count} a page"), { count: S.num(n) })];
			}), String(perPage), { id: "per-page", on: { change: function () {
				S.go(route.page, withParam(route.params, "per_page", sel.value), route.arg);
			} } });
			nav.appendChild(el("label", { class: "sr-only", for: "per-page" }, _("Rows a page")));
			nav.appendChild(sel);
		}
		return nav;
	}

	function intParam(params, key, dflt, min, max) {
		var n = parseInt(params.get(key), 10);
		return isNaN(n) ? dflt : Math.max(min, Math.min(max, n));
	}

	/* --- Dashboard ------------------------------------------------------------------------------------- */

	function totalCards() {
		return [
			["records", _("Records"), null],
			["partners", _("Distinct partners"), null],
			["devices", _("Devices"), null],
			["regions", _("Regions"), null],
			["conflicts", _("Open conflicts"), ["conflicts", "1"]],
			["pending", _("Awaiting review"), ["review", "pending"]]
		];
	}

	S.pages.dashboard = { title: function () { return _("Dashboard"); }, render: function (route) {
		var filters = S.pickFilters(route.params, S.COMMON_FILTERS);
		return S.api("GET", "/v1/dashboard", filters).then(function (d) {
			var formId = d.form || route.params.get("form") || "", def = S.formDef(formId), root = el("div"),
				totals = el("div", { class: "totals", id: "totals" }), charts = el("div", { class: "charts" }),
				base = S.pickFilters(route.params, S.COMMON_FILTERS), t = d.totals || {};
			if (formId && !base.get("form"))
				base.set("form", formId);
			root.appendChild(pageHeader(_("Dashboard"), S.formTitle(formId), def));
			root.appendChild(filterBar(route, formId, d.date));
			totalCards().forEach(function (tt) {
				var link = new URLSearchParams(base.toString());
				if (tt[2])
					link.set(tt[2][0], tt[2][1]);
				totals.appendChild(el("a", { class: "total total-" + tt[0], "data-total": tt[0], "data-count": t[tt[0]],
					href: S.href("records", link) },
				el("span", { class: "value" }, S.num(t[tt[0]])), el("span", { class: "name" }, tt[1])));
			});
			root.appendChild(totals);
			(d.charts || []).forEach(function (c) {
				var q = S.question(def, c.question), select = S.isSelect(q), title = S.questionLabel(def, c.question);
				var rows = (c.counts || []).map(function (x) {
					var link;
					if (select) {
						link = new URLSearchParams(base.toString());
						link.set("f." + c.question, x.value);
					}
					return { value: x.value, count: x.count, label: select ? S.choiceLabel(def, q, x.value) : String(x.value),
						href: select ? S.href("records", link) : null };
				});
				var id = S.uid("chart");
				charts.appendChild(el("section", { class: "card chart-card", "data-chart": c.question, "aria-labelledby": id },
					el("h2", { id: id }, title),
					window.SondeoCharts.bars({ label: title, rows: rows })));
			});
			root.appendChild(charts);
			var weeks = (d.weeks || []).map(function (w) {
				var parts = String(w.week).split("-"), day = new Date(+parts[0], +parts[1] - 1, +parts[2]);
				/* TRANSLATORS: a column of the chart of records per week: {day} is the week's first day. */
				return { label: S.dayText(day, { day: "numeric", month: "short" }),
					title: fmt(_("Week of {day}"), { day: S.dayText(day, { dateStyle: "medium" }) }), count: w.count };
			});
			var dated = d.date && d.date !== "_created", dateName = dated ? S.questionLabel(def, d.date) : "",
				/* TRANSLATORS: the chart of records per week of a date question's answer: {date} is the
				 * question's label ("Date of the interview"). */
				weeksTitle = dated ? fmt(_("Records per week ({date})"), { date: dateName }) : _("Records per week");
			root.appendChild(el("section", { class: "card chart-card wide", "data-chart": "_weeks", "data-date": d.date || "",
				"aria-labelledby": "weeks-h" },
				el("h2", { id: "weeks-h" }, weeksTitle),
				window.SondeoCharts.columns({ label: weeksTitle, rows: weeks }),
				dated && d.undated ? el("p", { class: "note", id: "weeks-undated" },
					/* TRANSLATORS: under the chart of records per week: {count} records of the selection have no
					 * answer to the date question {date}, so no column counts them. */
					fmt(P_("{count} record without {date} is not in this chart.",
						"{count} records without {date} are not in this chart.", d.undated),
						{ count: S.num(d.undated), date: dateName })) : null));
			root.appendChild(el("p", null, el("a", { href: S.href("records", base), class: "button secondary",
				id: "to-records" }, _("Show these records in the table"))));
			return root;
		});
	} };

	/* --- Records --------------------------------------------------------------------------------------- */

	function storedColumns(formId) {
		try {
			var v = JSON.parse(localStorage.getItem("sondeo.columns." + formId) || "null");
			return Array.isArray(v) && v.length ? v : null;
		} catch (e) {
			return null;
		}
	}

	function storeColumns(formId, cols) {
		try {
			if (cols)
				localStorage.setItem("sondeo.columns." + formId, JSON.stringify(cols));
			else
				localStorage.removeItem("sondeo.columns." + formId);
		} catch (e) { /* no storage: the choice lasts this page */ }
	}

	var FIXED_SORTS = { updated: "desc", created: "desc", region: "asc", review: "asc" };

	S.pages.records = { title: function () { return _("Records"); }, render: function (route, serial) {
		var p = route.params;
		return chosenForm(route).then(function (formId) {
			var def = S.formDef(formId), cols = storedColumns(formId), sort = p.get("sort") || "updated",
				dir = p.get("dir") || FIXED_SORTS[sort] || "asc", page = intParam(p, "page", 1, 1, 1e9),
				perPage = intParam(p, "per_page", 50, 1, 200), q = S.pickFilters(p, S.TABLE_FILTERS, true);
			if (formId)
				q.set("form", formId);
			q.set("sort", sort);
			q.set("dir", dir);
			q.set("page", String(page));
			q.set("per_page", String(perPage));
			if (cols)
				q.set("columns", cols.join(","));
			var view = { sort: sort, dir: dir, page: page, perPage: perPage };
			return S.api("GET", "/v1/records", q).then(function (d) {
				if (S.stale(serial))
					return null;
				return recordsPage(route, formId, def, d, view, null);
			}, function (err) {
				/* A search the server cannot parse (or a column no longer in the form): the filters stay on
				 * screen, with the server's reason, so that it can be put right. */
				if (err.status !== 400 || S.stale(serial))
					throw err;
				if (cols && /column/i.test(err.message))
					storeColumns(formId, null);
				return recordsPage(route, formId, def, { total: 0, records: [], columns: cols || [] }, view, err);
			});
		});
	} };

	/* The name of what the table is sorted by, for its caption. */
	function sortName(key, def) {
		if (key === "region")
			return _("Region");
		if (key === "review")
			return _("Review");
		if (key === "created")
			return _("Created");
		if (key === "updated")
			return _("Updated");
		return S.questionLabel(def, key);
	}

	function recordsPage(route, formId, def, d, view, err) {
		var p = route.params, root = el("div"), columns = d.columns || [], selection = S.pickFilters(p, S.TABLE_FILTERS, true);
		if (formId)
			selection.set("form", formId);
		root.appendChild(pageHeader(_("Records"), S.formTitle(formId), def));
		root.appendChild(filterBar(route, formId, d.date));
		root.appendChild(searchBar(route, def));
		root.appendChild(activeSelects(route, def));
		if (err) {
			root.appendChild(S.errorBox(err));
			return root;
		}

		var tools = el("div", { class: "toolbar" },
			el("span", { class: "count", id: "records-total", "data-count": d.total },
				fmt(P_("{count} record", "{count} records", d.total), { count: S.num(d.total) })),
			columnPicker(route, formId, def, columns));
		if (S.can("reviewer")) {
			tools.appendChild(el("button", { type: "button", class: "secondary", id: "bulk-review", disabled: !d.total,
				on: { click: function () { bulkReview(selection, d.total); } } },
			/* TRANSLATORS: a button that reviews every record of the selection ({count} of them) at once. */
			fmt(P_("Review this {count} record…", "Review these {count} records…", d.total), { count: S.num(d.total) })));
			tools.appendChild(exportMenu(selection, def));
		}
		root.appendChild(tools);

		var table = el("table", { class: "data records", id: "records" }), head = el("tr"), body = el("tbody");
		function sortable(key, label) {
			var active = view.sort === key, next = active ? (view.dir === "asc" ? "desc" : "asc") : (FIXED_SORTS[key] || "asc");
			return el("th", { scope: "col", "aria-sort": active ? (view.dir === "asc" ? "ascending" : "descending") : null,
				"data-sort": key },
			el("button", { type: "button", id: "sort-" + key, class: "sort" + (active ? " active " + view.dir : ""), on: { click: function () {
				var np = withParam(p, "sort", key);
				np.set("dir", next);
				S.go("records", np);
			} } }, label, el("span", { class: "arrow", "aria-hidden": "true" }, active ? (view.dir === "asc" ? "▲" : "▼") : "")));
		}
		head.appendChild(el("th", { scope: "col" }, _("Record")));
		columns.forEach(function (c) {
			head.appendChild(sortable(c, S.questionLabel(def, c)));
		});
		head.appendChild(sortable("region", _("Region")));
		head.appendChild(sortable("review", _("Review")));
		head.appendChild(sortable("created", _("Created")));
		head.appendChild(sortable("updated", _("Updated")));
		table.appendChild(el("caption", { class: "sr-only" }, fmt(view.dir === "asc" ?
			/* TRANSLATORS: the table's caption for screen readers: {column} is the column the rows are sorted by. */
			_("Records, sorted by {column}, ascending") : _("Records, sorted by {column}, descending"),
		{ column: sortName(view.sort, def) })));
		table.appendChild(el("thead", null, head));
		(d.records || []).forEach(function (r) {
			var rdef = S.formDef(formId, r.version) || def, tr = el("tr", { "data-id": r.id,
				class: (r.conflicts ? "has-conflict " : "") + (r.deleted ? "deleted" : "") });
			tr.appendChild(el("td", { class: "id" }, el("a", { href: S.href("record", null, r.id), class: "mono" }, S.short(r.id)),
				r.conflicts ? el("span", { class: "badge conflict", title: _("A field is in conflict") }, C_("badge", "conflict")) : null,
				r.deleted ? el("span", { class: "badge deleted" }, C_("record state", "deleted")) : null));
			columns.forEach(function (c) {
				tr.appendChild(el("td", { "data-col": c }, S.valueText(rdef, c, r.answers ? r.answers[c] : null)));
			});
			tr.appendChild(el("td", null, r.region || "—"));
			var rv = r.review && typeof r.review === "object" ? r.review.status : r.review;
			tr.appendChild(el("td", null, S.reviewBadge(rv, r.review_conflict)));
			tr.appendChild(el("td", { class: "nowrap" }, el("time", { datetime: S.whenIso(r.created), title: S.when(r.created) }, S.whenShort(r.created))));
			tr.appendChild(el("td", { class: "nowrap" }, el("time", { datetime: S.whenIso(r.updated), title: S.when(r.updated) }, S.whenShort(r.updated))));
			body.appendChild(tr);
		});
		if (!(d.records || []).length)
			body.appendChild(el("tr", null, el("td", { colspan: String(columns.length + 5), class: "empty" },
				_("No records match these filters."))));
		table.appendChild(body);
		root.appendChild(el("div", { class: "table-wrap" }, table));
		root.appendChild(pager(route, d.total || 0, view.page, view.perPage, [25, 50, 100, 200]));
		return root;
	}

	/* Full-text search, and a filter on any select question (question, then choice). */
	function searchBar(route, def) {
		var p = route.params, box = el("div", { class: "search-row" }), input, qsel, csel, selects;
		/* TRANSLATORS: the search box's example of what it takes: words, a phrase in quotes, the start of a word
		 * followed by *. Translate the words, keep the quotes and the *. */
		input = el("input", { type: "search", id: "search", value: p.get("q") || "", placeholder: _("Words, \"a phrase\", prefix*") });
		box.appendChild(el("form", { class: "search", role: "search", on: { submit: function (e) {
			e.preventDefault();
			S.go("records", withParam(p, "q", input.value.trim()));
		} } }, S.field(_("Search the text answers"), input), el("button", { type: "submit", class: "secondary", id: "search-go" },
			/* TRANSLATORS: a button (a verb). */
			C_("verb", "Search"))));

		selects = S.questions(def, S.isSelect);
		qsel = S.select([["", _("Choose a question…")]].concat(selects.map(function (q) {
			return [q.name, S.text(q.label, def) || q.name];
		})), "", { id: "select-question" });
		csel = S.select([["", _("Choose an answer…")]], "", { id: "select-choice", disabled: true });
		qsel.addEventListener("change", function () {
			var q = S.question(def, qsel.value);
			S.clear(csel);
			csel.appendChild(el("option", { value: "" }, _("Choose an answer…")));
			(q && q.choices ? q.choices : []).forEach(function (c) {
				csel.appendChild(el("option", { value: c.name }, S.text(c.label, def) || c.name));
			});
			csel.disabled = !q;
		});
		box.appendChild(el("form", { class: "select-filter", on: { submit: function (e) {
			e.preventDefault();
			if (qsel.value && csel.value)
				S.go("records", withParam(p, "f." + qsel.value, csel.value));
		/* TRANSLATORS: a filter read as one sentence: "Answer to" [a question] "is" [a choice]. */
		} } }, S.field(_("Answer to"), qsel), S.field(C_("filter", "is"), csel),
		el("button", { type: "submit", class: "secondary", id: "select-add" }, _("Add filter"))));

		var conflicts = el("input", { type: "checkbox", id: "only-conflicts", checked: p.get("conflicts") === "1",
			on: { change: function () { S.go("records", withParam(p, "conflicts", conflicts.checked ? "1" : "")); } } });
		var deleted = el("input", { type: "checkbox", id: "with-deleted", checked: p.get("deleted") === "1",
			on: { change: function () { S.go("records", withParam(p, "deleted", deleted.checked ? "1" : "")); } } });
		box.appendChild(el("div", { class: "checks" },
			el("label", { class: "check" }, conflicts, " ", _("Only records in conflict")),
			el("label", { class: "check" }, deleted, " ", _("Include deleted records"))));
		return box;
	}

	/* The select-question filters and the search in force, each removable. */
	function activeSelects(route, def) {
		var p = route.params, chips = el("ul", { class: "chips", "aria-label": _("Filters in force") });
		p.forEach(function (v, k) {
			var q, text;
			if (k.indexOf("f.") === 0) {
				q = S.question(def, k.slice(2));
				/* TRANSLATORS: a filter in force: {question} is a question's label, {answer} the answer chosen. */
				text = fmt(_("{question}: {answer}"), { question: S.questionLabel(def, k.slice(2)), answer: S.choiceLabel(def, q, v) });
			} else if (k === "q") {
				/* TRANSLATORS: a search in force; {words} is what was searched for. */
				text = fmt(_("Search: {words}"), { words: v });
			} else {
				return;
			}
			chips.appendChild(el("li", { class: "chip" }, text, el("button", { type: "button", class: "chip-x",
				"aria-label": fmt(_("Remove filter {filter}"), { filter: text }), on: { click: function () { S.go("records", withParam(p, k, "")); } } }, "×")));
		});
		return chips;
	}

	/* Which questions are the table's columns, remembered per form in this browser. */
	function columnPicker(route, formId, def, current) {
		var menu = el("details", { class: "menu", id: "columns-menu" }), list = el("div", { class: "menu-body" }),
			qs = S.questions(def);
		menu.appendChild(el("summary", { class: "button secondary" }, _("Columns")));
		qs.forEach(function (q) {
			var box = el("input", { type: "checkbox", value: q.name, checked: current.indexOf(q.name) >= 0,
				"data-column": q.name });
			list.appendChild(el("label", { class: "check" }, box, " " + (S.text(q.label, def) || q.name)));
		});
		list.appendChild(el("div", { class: "actions" },
			el("button", { type: "button", class: "link", on: { click: function () {
				storeColumns(formId, null);
				S.render();
			} } }, _("Default columns")),
			el("button", { type: "button", class: "primary", id: "columns-apply", on: { click: function () {
				var chosen = Array.prototype.map.call(list.querySelectorAll("input:checked"), function (b) {
					return b.value;
				});
				if (!chosen.length) {
					S.toast(_("Choose at least one column."), "error");
					return;
				}
				storeColumns(formId, chosen);
				S.render();
			} } }, _("Show these columns"))));
		menu.appendChild(list);
		return menu;
	}

	function exportMenu(selection, def) {
		/* The formats' names are names (CSV, JSON, GeoJSON), the same in every language. */
		/* Each: the format, its button, choice_columns, media, labels (an XLSX with the choices' labels, in the
		 * page's language, rather than their names). */
		var formats = [["csv", "CSV", null], ["csv", _("CSV with choice columns"), "1"], ["xlsx", _("Excel (XLSX)"), null],
			["xlsx", _("Excel with choice labels"), null, null, "1"], ["json", "JSON", null], ["geojson", "GeoJSON", null]], box = el("div", { class: "export", role: "group",
			"aria-label": _("Export these records") }, el("span", { class: "muted" }, _("Export:")));
		/* A form with attachments: also a ZIP of the records (and each repeat's) with their files, as ODK Central
		 * gives it. */
		if (S.questions(def, function (q) { return /^(image|audio|video|file)$/.test(q.type); }).length)
			formats.push(["csv", _("CSV and attachments (ZIP)"), null, "1"], ["xlsx", _("Excel and attachments (ZIP)"), null, "1"]);
		formats.forEach(function (f) {
			var q = new URLSearchParams(selection.toString());
			q.set("format", f[0]);
			if (f[2])
				q.set("choice_columns", f[2]);
			if (f[3])
				q.set("media", f[3]);
			if (f[4])
				q.set("labels", f[4]);
			q.set("lang", S.state.lang);
			box.appendChild(el("a", { class: "button secondary small", href: "/v1/export?" + q.toString(), download: "",
				"data-export": f[0] + (f[2] ? "-choices" : "") + (f[3] ? "-media" : "") + (f[4] ? "-labels" : "") }, f[1]));
		});
		return box;
	}

	function bulkReview(selection, total) {
		var status, comment, msg;
		var title = fmt(P_("Review {count} record", "Review {count} records", total), { count: S.num(total) });
		S.dialog(title, function (d, close) {
			status = S.select(S.reviewOptions(), "approved", { id: "bulk-status" });
			comment = el("textarea", { id: "bulk-comment", rows: "3", maxlength: "2000" });
			msg = el("div", { class: "form-error", role: "alert" });
			d.appendChild(el("p", null, _("Every record the current filters select gets this review.")));
			d.appendChild(S.field(_("Review status"), status));
			d.appendChild(S.field(_("Comment"), comment, _("Required for “has issues” and “rejected”.")));
			d.appendChild(msg);
			d.appendChild(el("div", { class: "actions" },
				el("button", { type: "button", class: "secondary", on: { click: function () { close(null); } } }, _("Cancel")),
				el("button", { type: "button", class: "primary", id: "bulk-next", on: { click: function () {
					if ((status.value === "has_issues" || status.value === "rejected") && !comment.value.trim()) {
						msg.textContent = _("Say what is wrong in the comment.");
						return;
					}
					close({ status: status.value, comment: comment.value.trim() });
				} } }, _("Continue…"))));
		}).then(function (choice) {
			if (!choice)
				return null;
			var n = { count: S.num(total), status: S.reviewLabel(choice.status), comment: choice.comment };
			/* TRANSLATORS: {status} is a review status (Approved...), {comment} the reviewer's comment. */
			return S.confirm(fmt(P_("Review {count} record?", "Review {count} records?", total), n), fmt(choice.comment ?
				P_("Set the review of {count} record to “{status}” with the comment “{comment}”. Each record gets a review " +
					"op, signed by this server, naming you.", "Set the review of {count} records to “{status}” with the " +
					"comment “{comment}”. Each record gets a review op, signed by this server, naming you.", total) :
				P_("Set the review of {count} record to “{status}”. Each record gets a review op, signed by this server, " +
					"naming you.", "Set the review of {count} records to “{status}”. Each record gets a review op, signed " +
					"by this server, naming you.", total), n), title).then(function (ok) {
				if (!ok)
					return null;
				return S.api("POST", "/v1/bulk-review", null, { filter: S.filterObject(selection), status: choice.status,
					comment: choice.comment }).then(function (r) {
					S.toast(fmt(P_("Reviewed {count} record.", "Reviewed {count} records.", r.count), { count: S.num(r.count) }));
					S.render();
				});
			});
		}).catch(function (err) {
			S.toast(S.errorText(err), "error");
		});
	}

	/* --- One record ------------------------------------------------------------------------------------ */

	/* Whether the chosen language writes decimals with a comma (2,5). */
	function decimalComma() {
		return S.num(2.5).indexOf(",") >= 0;
	}

	/* An input for a value of question q, and parse() giving {value} or {error}. */
	function valueEditor(def, q, current) {
		var type = q ? q.type : "text", node, parse;
		if (type === "select_one") {
			node = S.select([["", _("(no answer)")]].concat((q.choices || []).map(function (c) {
				return [c.name, S.text(c.label, def) || c.name];
			})), typeof current === "string" ? current : "", { class: "value-input" });
			parse = function () {
				return { value: node.value || null };
			};
		} else if (type === "select_multiple") {
			node = el("fieldset", { class: "value-input choices" }, el("legend", { class: "sr-only" }, _("Choices")));
			(q.choices || []).forEach(function (c) {
				node.appendChild(el("label", { class: "check" }, el("input", { type: "checkbox", value: c.name,
					checked: Array.isArray(current) && current.indexOf(c.name) >= 0 }), " ", S.text(c.label, def) || c.name));
			});
			parse = function () {
				var v = Array.prototype.map.call(node.querySelectorAll("input:checked"), function (b) { return b.value; });
				return { value: v.length ? v : null };
			};
		} else if (type === "date") {
			node = el("input", { type: "date", class: "value-input", value: typeof current === "string" ? current : "" });
			parse = function () {
				if (!node.value)
					return { value: null };
				return /^\d{4}-\d{2}-\d{2}$/.test(node.value) ? { value: node.value } : { error: _("Give a date.") };
			};
		} else if (type === "integer" || type === "decimal") {
			node = el("input", { type: "text", inputmode: type === "integer" ? "numeric" : "decimal", class: "value-input",
				value: typeof current === "number" ? (decimalComma() ? String(current).replace(".", ",") : String(current)) : "" });
			parse = function () {
				var t = node.value.trim(), comma = decimalComma();
				if (!t)
					return { value: null };
				/* A language that writes 2,5 may type it so. */
				if (comma && type === "decimal" && t.indexOf(".") < 0)
					t = t.replace(",", ".");
				if (type === "integer" ? !/^[+-]?\d+$/.test(t) : !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t))
					return { error: type === "integer" ? _("Give a whole number, e.g. 42.") : comma ?
						/* TRANSLATORS: for a language that writes a decimal comma: {example} is 2,5 written so. */
						fmt(_("Give a number, e.g. {example}."), { example: S.num(2.5) }) :
						_("Give a number, e.g. 2.5 (with a point).") };
				return { value: Number(t) };
			};
		} else if (type === "geopoint") {
			/* TRANSLATORS: how a point is typed: latitude, then longitude, in decimal degrees with a point. */
			node = el("input", { type: "text", class: "value-input", placeholder: _("latitude longitude, e.g. -1.2921 36.8219"),
				value: typeof current === "string" ? current : "" });
			parse = function () {
				var t = node.value.trim(), parts;
				if (!t)
					return { value: null };
				parts = t.split(/[\s,]+/).filter(Boolean);
				if ((parts.length !== 2 && parts.length !== 4) || parts.some(function (x) { return isNaN(Number(x)); }) ||
				    Math.abs(Number(parts[0])) > 90 || Math.abs(Number(parts[1])) > 180 || (parts[3] && Number(parts[3]) < 0))
					return { error: _("Give latitude and longitude in decimal degrees, e.g. -1.2921 36.8219.") };
				return { value: parts.join(" ") };
			};
		} else {
			/* Short text on one line; long or multi-line text in a box. */
			if (typeof current === "string" && (current.length > 60 || current.indexOf("\n") >= 0))
				node = el("textarea", { class: "value-input", rows: "4" });
			else
				node = el("input", { type: "text", class: "value-input" });
			/* a ranking is typed as its choices' names in order */
			node.value = typeof current === "string" ? current : Array.isArray(current) ? current.join(" ") : "";
			parse = function () {
				return { value: node.value.replace(/\n$/, "") === "" ? null : node.value.replace(/\n$/, "") };
			};
		}
		return { node: node, parse: parse };
	}

	/* An attachment where the page can show it: an image as a thumbnail that opens full size, a recording or a
	 * video in the browser's own player, and a link to download it; one the server has yet to receive, said so. */
	function mediaNode(q, v, t) {
		var url = "/v1/attachment?blake2b=" + encodeURIComponent(v.blake2b) + "&name=" + encodeURIComponent(v.name),
			shown = [];
		if (!(S.attachments || {})[v.blake2b])
			return el("span", { class: "value media" }, t, " ", el("span", { class: "muted" }, _("(not at the server yet: it comes with its laptop's next sync)")));
		if (/^image\/(jpeg|png|gif|webp)$/.test(v.type))
			shown.push(el("a", { href: url, target: "_blank", rel: "noopener noreferrer", class: "thumb-link" },
				el("img", { src: url + "&thumb=1", alt: v.name, class: "thumb", loading: "lazy" })));
		else if (/^audio\//.test(v.type))
			shown.push(el("audio", { controls: "", preload: "none", src: url, "aria-label": v.name }));
		else if (/^video\//.test(v.type))
			shown.push(el("video", { controls: "", preload: "metadata", src: url, class: "media-video", "aria-label": v.name }));
		shown.push(el("a", { href: url + "&download=1", download: v.name, class: "download" }, t));
		return el("span", { class: "value media" }, shown);
	}

	function valueNode(def, name, value) {
		var t = S.valueText(def, name, value), q = S.question(def, name), m;
		if (t === "")
			return el("span", { class: "none" }, _("(no answer)"));
		if (q && /^(image|audio|video|file)$/.test(q.type) && value && typeof value === "object" && value.blake2b)
			return mediaNode(q, value, t);
		/* An OpenStreetMap answer: its feature links to the map, for whoever reviews it with a connection. */
		if (q && q.type === "osm" && (m = /^(node|way|relation)\/(\d+)(.*)$/.exec(t)))
			return el("span", { class: "value" }, el("a", { href: "https://www.openstreetmap.org/" + m[1] + "/" + m[2],
				target: "_blank", rel: "noopener noreferrer" }, m[1] + "/" + m[2]), m[3]);
		return el("span", { class: "value" }, t);
	}

	S.pages.record = { title: function () { return _("Record"); }, render: function (route) {
		return S.api("GET", "/v1/record", { id: route.arg }).then(function (r) {
			/* A repeat instance's labels may name its record's answers: those come too (or the labels keep
			 * the names as written if the record cannot be read). */
			var parent = (r.fields || []).filter(function (f) { return f.name === "_parent"; })[0];
			if (!parent || typeof parent.value !== "string")
				return recordPage(r, {});
			return S.api("GET", "/v1/record", { id: parent.value }).then(function (p) {
				var outer = {};
				(p.fields || []).forEach(function (f) { outer[f.name] = f; });
				return recordPage(r, outer);
			}, function () {
				return recordPage(r, {});
			});
		});
	} };

	function recordPage(r, outer) {
		S.attachments = r.attachments || {};   /* which of the record's files the server holds whole */
		var def = S.formDef(r.form, r.version), root = el("div", { class: "record", "data-record": r.id }),
			fields = {}, reviewer = S.can("reviewer"), title, conflicts = [];
		(r.fields || []).forEach(function (f) {
			fields[f.name] = f;
			if (f.conflict)
				conflicts.push(f);
		});
		/* What names the record, as its form says (the server works it out: docs/review-api.md). */
		title = typeof r.title === "string" && r.title ? r.title : null;
		var status = r.review && r.review.status ? r.review.status : "pending",
			reviewConflict = !!(fields._review && fields._review.conflict);
		root.appendChild(el("div", { class: "page-head" },
			el("p", { class: "crumbs" }, el("a", { href: "#/records?form=" + encodeURIComponent(r.form) }, _("Records")), " › ",
				el("span", { class: "mono" }, S.short(r.id))),
			/* TRANSLATORS: the heading of a record that has nothing naming it; {id} is the start of its id. */
			el("h1", null, title || fmt(_("Record {id}"), { id: S.short(r.id) }), " ", S.reviewBadge(status, reviewConflict),
				r.conflicts ? el("span", { class: "badge conflict" }, C_("badge", "conflict")) : null,
				r.deleted ? el("span", { class: "badge deleted" }, C_("record state", "deleted")) : null),
			S.langNote(def)));
		root.appendChild(el("dl", { class: "meta" },
			/* TRANSLATORS: a form's title and the version of it a record was filled in. */
			el("dt", null, _("Form")), el("dd", null, fmt(_("{form} (version {version})"), { form: S.formTitle(r.form),
				version: r.version })),
			el("dt", null, _("Region")), el("dd", null, r.region || "—"),
			el("dt", null, _("Created")), el("dd", null, S.when(r.created)),
			el("dt", null, _("Updated")), el("dd", null, S.when(r.updated)),
			el("dt", null, _("Record id")), el("dd", { class: "mono", id: "record-id" }, r.id),
			/* TRANSLATORS: a repeat instance's record, whose part it is. */
			fields._parent && typeof fields._parent.value === "string" ? el("dt", null, _("Part of")) : null,
			fields._parent && typeof fields._parent.value === "string" ? el("dd", { id: "record-parent" },
				el("a", { href: "#/record/" + fields._parent.value, class: "mono" }, S.short(fields._parent.value))) : null));

		var cols = el("div", { class: "record-cols" }), main = el("div", { class: "record-main" }),
			side = el("div", { class: "record-side" });
		if (conflicts.length)
			main.appendChild(conflictSection(r, def, conflicts, reviewer));
		main.appendChild(answersSection(r, def, fields, reviewer, outer));
		if ((r.instances || []).length)
			main.appendChild(instancesSection(r, def));
		side.appendChild(reviewSection(r, reviewer, reviewConflict));
		cols.appendChild(main);
		cols.appendChild(side);
		root.appendChild(cols);
		root.appendChild(historySection(r, def, fields, outer));
		return root;
	}

	/* The instances of the record's repeats, by repeat, each a link to its own page. */
	function instancesSection(r, def) {
		var sec = el("section", { class: "card instances", id: "instances", "aria-labelledby": "instances-h" },
			el("h2", { id: "instances-h" }, _("Repeats"))), by = {}, order = [];
		r.instances.forEach(function (x) {
			if (!by[x.repeat]) {
				by[x.repeat] = [];
				order.push(x.repeat);
			}
			by[x.repeat].push(x.id);
		});
		order.forEach(function (name) {
			var g = ((def && def.groups) || []).filter(function (x) { return x.name === name; })[0],
				list = el("ol", { class: "instance-list", "data-repeat": name });
			by[name].forEach(function (id) {
				list.appendChild(el("li", null, el("a", { href: "#/record/" + id, class: "mono" }, S.short(id))));
			});
			/* TRANSLATORS: a repeat's label and how many instances of it the record has: "Member (2)". */
			sec.appendChild(el("h3", null, fmt(_("{repeat} ({count})"), { repeat: (g && S.text(g.label, def)) || name,
				count: S.num(by[name].length) })));
			sec.appendChild(list);
		});
		return sec;
	}

	function resolve(r, field, value, what) {
		return S.api("POST", "/v1/resolve", null, { record: r.id, field: field, value: value }).then(function () {
			S.toast(what);
			S.render();
		}, function (err) {
			S.toast(S.errorText(err), "error");
			throw err;
		});
	}

	function conflictSection(r, def, conflicts, reviewer) {
		var answers = conflicts.filter(function (f) { return f.name !== "_review"; }),
			review = conflicts.filter(function (f) { return f.name === "_review"; })[0], title;
		if (!answers.length)
			title = _("The review is in conflict");
		else if (review)
			title = fmt(P_("{count} answer and the review in conflict", "{count} answers and the review in conflict",
				answers.length), { count: S.num(answers.length) });
		else
			title = fmt(P_("{count} answer in conflict", "{count} answers in conflict", answers.length),
				{ count: S.num(answers.length) });
		var sec = el("section", { class: "card conflicts", id: "conflicts", "aria-labelledby": "conflicts-h" },
			el("h2", { id: "conflicts-h" }, title));
		if (review)
			sec.appendChild(reviewConflict(r, review, reviewer));
		if (answers.length)
			sec.appendChild(el("p", { class: "muted" }, _("These answers were changed on two devices without either seeing the " +
				"other's change. Both values are kept until someone chooses.")));
		answers.forEach(function (f) {
			var q = S.question(def, f.name), heads = el("div", { class: "heads" }), box = el("div", { class: "conflict-field",
				"data-field": f.name }, el("h3", null, S.questionLabel(def, f.name)));
			(f.heads || []).forEach(function (h, i) {
				heads.appendChild(el("div", { class: "head", "data-head": String(i) },
					el("div", { class: "head-value" }, valueNode(def, f.name, h.value)),
					el("div", { class: "head-meta" }, h.by ?
						/* TRANSLATORS: who set a value: {user} is a reviewer's name. */
						fmt(_("by {user} at the server"), { user: h.by }) :
						/* TRANSLATORS: where a value was set: {device} is a laptop's name. */
						fmt(_("on {device}"), { device: h.device_name || S.short(h.device) }),
						el("br"), el("time", { datetime: S.whenIso(h.at) }, S.when(h.at))),
					reviewer ? el("button", { type: "button", class: "primary small", "data-keep": String(i), on: { click: function (e) {
						e.target.disabled = true;
						resolve(r, f.name, h.value === undefined ? null : h.value, fmt(_("Kept “{value}”."),
							{ value: S.valueText(def, f.name, h.value) || _("no answer") })).catch(function () { e.target.disabled = false; });
					} } }, _("Keep this value")) : null));
			});
			box.appendChild(heads);
			if (reviewer) {
				var ed = valueEditor(def, q, f.value), msg = el("span", { class: "form-error", role: "alert" });
				ed.node.id = S.uid("other");
				box.appendChild(el("form", { class: "other-value", on: { submit: function (e) {
					e.preventDefault();
					var v = ed.parse();
					msg.textContent = v.error || "";
					if (!v.error)
						resolve(r, f.name, v.value, fmt(_("Set to “{value}”."), { value: S.valueText(def, f.name, v.value) ||
							_("no answer") })).catch(function () {});
				} } }, S.field(_("Or another value"), ed.node), msg,
				el("button", { type: "submit", class: "secondary", "data-other": f.name }, _("Use this value"))));
			}
			sec.appendChild(box);
		});
		return sec;
	}

	/* Posts a review of r (POST /v1/review, whose op bases on every head of _review, so it also settles a review in
	 * conflict); says what on success, else shows the server's reason in msg (or a toast) and rejects. */
	function postReview(r, status, comment, what, msg) {
		return S.api("POST", "/v1/review", null, { record: r.id, status: status, comment: comment }).then(function () {
			S.toast(what);
			S.render();
		}, function (err) {
			if (msg)
				msg.textContent = S.errorText(err);
			else
				S.toast(S.errorText(err), "error");
			throw err;
		});
	}

	/* Where and by whom a review was decided: "by rita at this server" or "by nadia at office-north". */
	function reviewWhere(h) {
		if (h.device_name === "server")
			return h.by ? fmt(_("by {user} at this server"), { user: h.by }) : _("at this server");
		/* TRANSLATORS: who decided a review and where: {place} is a regional server's or a laptop's name. */
		return h.by ? fmt(_("by {user} at {place}"), { user: h.by, place: h.device_name || S.short(h.device) }) :
			fmt(_("at {place}"), { place: h.device_name || S.short(h.device) });
	}

	/* A review in conflict: each review side by side (status, comment, reviewer, where and when); a reviewer keeps
	 * one (its status and comment posted again as the review) or saves a new one. */
	function reviewConflict(r, f, reviewer) {
		var heads = el("div", { class: "heads" }), box = el("div", { class: "conflict-field review-conflict-field",
			"data-field": "_review" }, el("h3", null, _("Review")),
		el("p", { class: "muted" }, _("Two reviewers decided without seeing each other's review. Both are kept until a " +
			"reviewer keeps one or saves a new one.")));
		(f.heads || []).forEach(function (h, i) {
			var v = h.value && typeof h.value === "object" ? h.value : {}, st = typeof v.status === "string" ? v.status : "pending",
				comment = typeof v.comment === "string" ? v.comment : "";
			heads.appendChild(el("div", { class: "head", "data-head": String(i), "data-status": st },
				el("div", { class: "head-value" }, S.reviewBadge(st)),
				comment ? el("blockquote", { class: "review-comment head-comment" }, comment) :
					el("span", { class: "none" }, _("(no comment)")),
				el("div", { class: "head-meta" }, reviewWhere(h), el("br"),
					el("time", { datetime: S.whenIso(h.at) }, S.when(h.at))),
				reviewer ? el("button", { type: "button", class: "primary small", "data-keep": String(i), on: { click: function (e) {
					e.target.disabled = true;
					postReview(r, st, comment, h.by ? fmt(_("Kept the review “{status}” by {user}."), { status: S.reviewLabel(st),
						user: h.by }) : fmt(_("Kept the review “{status}”."), { status: S.reviewLabel(st) })).catch(
						function () { e.target.disabled = false; });
				} } }, _("Keep this review")) : null));
		});
		box.appendChild(heads);
		if (!reviewer)
			return box;
		var status = S.select([["", _("Choose a status…")]].concat(S.reviewOptions()), "", { id: "review-other-status" }),
			comment = el("textarea", { id: "review-other-comment", rows: "2", maxlength: "2000" }),
			msg = el("span", { class: "form-error", role: "alert" });
		box.appendChild(el("form", { class: "other-value", id: "review-other", on: { submit: function (e) {
			e.preventDefault();
			msg.textContent = "";
			if (!status.value) {
				msg.textContent = _("Choose the review's status.");
				status.focus();
				return;
			}
			if ((status.value === "has_issues" || status.value === "rejected") && !comment.value.trim()) {
				msg.textContent = _("Say what is wrong in the comment: the field worker sees it.");
				comment.focus();
				return;
			}
			postReview(r, status.value, comment.value.trim(), fmt(_("Review saved: {status}."),
				{ status: S.reviewLabel(status.value) }), msg).catch(function () {});
		} } }, S.field(_("Or a new review"), status), S.field(_("Comment"), comment, null, "wide"), msg,
		el("button", { type: "submit", class: "secondary", "data-other": "_review" }, _("Save this review"))));
		return box;
	}

	/* The repeat a question is in (the nearest group marked repeat), or null. */
	function repeatOf(def, q) {
		var groups = {}, g, guard = 0;
		((def && def.groups) || []).forEach(function (x) { groups[x.name] = x; });
		for (g = q && q.group ? groups[q.group] : null; g && guard++ < 32; g = groups[g.group])
			if (g.repeat)
				return g.name;
		return null;
	}

	/* A question's label; one that names answers ("How old is ${mname}?") shows the record's (an instance's, then
	 * its record's). */
	function answerLabel(def, n, fields, outer) {
		return S.questionLabel(def, n).replace(/\$\{([^}]+)\}/g, function (all, x) {
			var f = fields[x] || outer[x];
			return f ? S.valueText(def, x, f.value) : all;
		});
	}

	function answersSection(r, def, fields, reviewer, outer) {
		var sec = el("section", { class: "card answers", "aria-labelledby": "answers-h" }, el("h2", { id: "answers-h" }, _("Answers"))),
			table = el("table", { class: "data answers-table", id: "answers" }), body = el("tbody"), names = [],
			scope = fields._repeat && typeof fields._repeat.value === "string" ? fields._repeat.value : null;
		/* A record's own questions; a repeat instance's are those of its repeat. */
		S.questions(def).forEach(function (q) {
			if (repeatOf(def, q) === scope)
				names.push(q.name);
		});
		Object.keys(fields).forEach(function (n) {
			if (names.indexOf(n) < 0 && n.charAt(0) !== "_")
				names.push(n);
		});
		/* A form's groups are sections: a heading row where the questions enter another group. */
		var groups = {}, section = null;
		((def && def.groups) || []).forEach(function (g) {
			groups[g.name] = g;
		});
		function groupPath(name) {
			var parts = [], g = groups[name], guard = 0;
			while (g && guard++ < 32) {
				parts.unshift(S.text(g.label, def) || g.name);
				g = groups[g.group];
			}
			return parts.join(" / ");
		}
		names.forEach(function (n) {
			var f = fields[n], q = S.question(def, n), tr = el("tr", { "data-field": n, class: f && f.conflict ? "has-conflict" : null }),
				g = q && q.group ? q.group : null;
			if (g !== section) {
				section = g;
				if (g)
					body.appendChild(el("tr", { class: "section", "data-group": g },
						el("th", { scope: "colgroup", colspan: reviewer ? "3" : "2" }, groupPath(g))));
			}
			tr.appendChild(el("th", { scope: "row" }, answerLabel(def, n, fields, outer),
				el("span", { class: "qname mono" }, n)));
			tr.appendChild(el("td", null, f ? valueNode(def, n, f.value) : el("span", { class: "none" }, _("(no answer)")),
				f && f.conflict ? el("span", { class: "badge conflict" }, C_("badge", "conflict")) : null));
			/* A file is what the laptop gave: headquarters keeps it or reviews it, it has none to put instead. */
			if (reviewer && q && /^(image|audio|video|file)$/.test(q.type))
				tr.appendChild(el("td", { class: "act" }));
			else if (reviewer)
				tr.appendChild(el("td", { class: "act" }, el("button", { type: "button", class: "link small", "data-correct": n,
					/* TRANSLATORS: a button's name for screen readers: correct the answer to {question}. */
					"aria-label": fmt(_("Correct {question}"), { question: S.questionLabel(def, n) }), on: { click: function () {
						correct(r, def, q, n, f ? f.value : null);
					} } }, C_("verb", "Correct"))));
			body.appendChild(tr);
		});
		table.appendChild(body);
		sec.appendChild(table);
		return sec;
	}

	/* A reviewer's correction of one answer (POST /v1/resolve on a field not in conflict). */
	function correct(r, def, q, name, current) {
		var ed = valueEditor(def, q, current), msg = el("div", { class: "form-error", role: "alert" });
		S.dialog(fmt(_("Correct “{question}”"), { question: S.questionLabel(def, name) }), function (d, close) {
			d.appendChild(el("p", { class: "muted" }, _("The correction is an op signed by this server and naming you; it reaches " +
				"the devices of the record's region at their next sync.")));
			d.appendChild(S.field(_("New value"), ed.node));
			d.appendChild(msg);
			d.appendChild(el("div", { class: "actions" },
				el("button", { type: "button", class: "secondary", on: { click: function () { close(null); } } }, _("Cancel")),
				el("button", { type: "button", class: "primary", on: { click: function () {
					var v = ed.parse();
					msg.textContent = v.error || "";
					if (!v.error)
						close(v);
				} } }, _("Save correction"))));
		}).then(function (v) {
			if (v)
				resolve(r, name, v.value, fmt(_("Corrected “{question}”."), { question: S.questionLabel(def, name) })).catch(
					function () {});
		});
	}

	function reviewSection(r, reviewer, inConflict) {
		var rv = r.review || null, status = rv && rv.status ? rv.status : "pending", sec = el("section", {
			class: "card review", id: "review", "aria-labelledby": "review-h" }, el("h2", { id: "review-h" }, _("Review")));
		/* In conflict, the reviews and what settles them are in the conflict section: one place to decide. */
		if (inConflict) {
			sec.appendChild(el("p", { class: "current-review" }, S.reviewBadge(status, true)));
			sec.appendChild(el("p", { class: "muted" }, reviewer ?
				_("Two reviewers decided differently. Both reviews are shown with the record's conflicts, where you keep " +
					"one or save a new one.") :
				_("Two reviewers decided differently. Both reviews are shown with the record's conflicts.")));
			return sec;
		}
		sec.appendChild(el("p", { class: "current-review" }, S.reviewBadge(status),
			rv && rv.by ? el("span", { class: "muted" }, " ", rv.at ?
				/* TRANSLATORS: who reviewed a record and when ({when}: "today 14:05", "5 Dec 2026 14:05"). */
				fmt(_("by {user}, {when}"), { user: rv.by, when: S.when(rv.at) }) : fmt(_("by {user}"), { user: rv.by })) : null));
		if (rv && rv.comment)
			sec.appendChild(el("blockquote", { class: "review-comment" }, rv.comment));
		if (!reviewer)
			return sec;
		var group = el("fieldset", { class: "statuses" }, el("legend", null, _("Status"))), comment, msg, btn;
		S.reviewOptions().forEach(function (s) {
			group.appendChild(el("label", { class: "check" }, el("input", { type: "radio", name: "review-status", value: s[0],
				checked: s[0] === status }), " ", s[1]));
		});
		comment = el("textarea", { id: "review-comment", rows: "3", maxlength: "2000" });
		comment.value = rv && rv.comment ? rv.comment : "";
		msg = el("div", { class: "form-error", role: "alert" });
		btn = el("button", { type: "submit", class: "primary", id: "review-save" }, _("Save review"));
		sec.appendChild(el("form", { id: "review-form", on: { submit: function (e) {
			e.preventDefault();
			var chosen = group.querySelector("input:checked"), st = chosen ? chosen.value : "pending";
			msg.textContent = "";
			if ((st === "has_issues" || st === "rejected") && !comment.value.trim()) {
				msg.textContent = _("Say what is wrong in the comment: the field worker sees it.");
				comment.focus();
				return;
			}
			btn.disabled = true;
			S.api("POST", "/v1/review", null, { record: r.id, status: st, comment: comment.value.trim() }).then(function () {
				S.toast(fmt(_("Review saved: {status}."), { status: S.reviewLabel(st) }));
				S.render();
			}, function (err) {
				msg.textContent = S.errorText(err);
				btn.disabled = false;
			});
		} } }, group, S.field(_("Comment"), comment, _("Required for “has issues” and “rejected”; field workers see it.")), msg,
		el("div", { class: "actions" }, btn)));
		return sec;
	}

	function historySection(r, def, fields, outer) {
		var sec = el("section", { class: "card history", "aria-labelledby": "history-h" },
			el("h2", { id: "history-h" }, _("History")), el("p", { class: "muted" }, _("Every change, oldest first."))),
			table = el("table", { class: "data", id: "history" }), body = el("tbody");
		table.appendChild(el("thead", null, el("tr", null, el("th", { scope: "col" }, _("When")), el("th", { scope: "col" }, _("Device")),
			el("th", { scope: "col" }, _("Reviewer")), el("th", { scope: "col" }, _("Answer")), el("th", { scope: "col" }, _("Change")),
			el("th", { scope: "col" }, _("Signature")))));
		(r.history || []).forEach(function (h) {
			var q = S.question(def, h.field), olds = [];
			/* A file, old or new, as the record shows it: its thumbnail, its player, its download. */
			function shown(v, none) {
				var t = S.valueText(def, h.field, v);
				if (t !== "" && q && /^(image|audio|video|file)$/.test(q.type) && v && typeof v === "object" && v.blake2b)
					return mediaNode(q, v, t);
				return t === "" ? none : t;
			}
			(h.old || []).forEach(function (v, i) {
				if (i)
					olds.push(" | ");
				olds.push(shown(v, _("(none)")));
			});
			body.appendChild(el("tr", { "data-seq": h.seq, "data-field": h.field },
				el("td", { class: "nowrap" }, el("time", { datetime: S.whenIso(h.at) }, S.when(h.at))),
				el("td", null, h.device_name || S.short(h.device), el("span", { class: "muted mono" }, " #" + h.seq)),
				el("td", null, h.by || "—"),
				el("td", null, answerLabel(def, h.field, fields, outer)),
				el("td", { class: "change" }, el("span", { class: "old" }, olds.length ? olds : _("(none)")), " → ",
					el("span", { class: "new" }, shown(h["new"], _("(cleared)")))),
				el("td", null, h.verified ? el("span", { class: "sig verified" }, _("✓ signature verified"))
					: el("span", { class: "sig not-verified" }, _("✗ NOT verified")))));
		});
		table.appendChild(body);
		sec.appendChild(el("div", { class: "table-wrap" }, table));
		return sec;
	}

	/* --- Possible duplicates --------------------------------------------------------------------------- */

	S.pages.duplicates = { title: function () { return _("Duplicates"); }, render: function (route, serial) {
		return chosenForm(route).then(function (formId) {
			return S.api("GET", "/v1/duplicates", { form: formId }).then(function (d) {
				if (S.stale(serial))
					return null;
				var root = el("div"), groups = d.groups || [], reviewer = S.can("reviewer");
				root.appendChild(pageHeader(_("Possible duplicates"), S.formTitle(formId), S.formDef(formId)));
				root.appendChild(el("form", { class: "filters" }, S.field(_("Form"), S.select(formOptions(formId), formId,
					{ id: "dup-form", on: { change: function (e) { S.go("duplicates", { form: e.target.value }); } } }))));
				root.appendChild(el("p", { class: "muted" }, _("Records of this form whose names (and the other short answers that name them, such as a " +
					"country) match once case, accents and punctuation are set aside.")));
				if (!groups.length)
					root.appendChild(el("p", { class: "alert info" }, _("No possible duplicates.")));
				groups.forEach(function (g, gi) {
					var name = "keep-" + gi, list = el("tbody"), card = el("section", { class: "card dup-group", "data-key": g.key },
						el("h2", null, g.name || _("(no name)"), g.details ? el("span", { class: "muted" }, " · " + g.details) : null,
							el("span", { class: "muted" }, " · ", fmt(P_("{count} record", "{count} records", g.records.length),
								{ count: S.num(g.records.length) }))));
					g.records.forEach(function (rec, i) {
						list.appendChild(el("tr", { "data-id": rec.id },
							reviewer ? el("td", null, el("label", { class: "check" }, el("input", { type: "radio", name: name,
								/* TRANSLATORS: a choice for screen readers: keep the record whose id starts {id}. */
								value: rec.id, checked: i === 0 }), el("span", { class: "sr-only" }, fmt(_("Keep {id}"), { id: S.short(rec.id) })))) : null,
							el("td", null, el("a", { href: S.href("record", null, rec.id), class: "mono" }, S.short(rec.id))),
							el("td", null, rec.name || ""), el("td", null, rec.region || "—"),
							el("td", { class: "nowrap" }, S.when(rec.created)), el("td", null, S.reviewBadge(rec.review))));
					});
					card.appendChild(el("table", { class: "data" }, el("thead", null, el("tr", null,
						/* TRANSLATORS: the heading of the column where a reviewer chooses the record to keep. */
						reviewer ? el("th", { scope: "col" }, C_("column", "Keep")) : null, el("th", { scope: "col" }, _("Record")),
						el("th", { scope: "col" }, _("Name")), el("th", { scope: "col" }, _("Region")), el("th", { scope: "col" }, _("Created")),
						el("th", { scope: "col" }, _("Review")))), list));
					if (reviewer) {
						var ids = g.records.map(function (x) { return x.id; });
						card.appendChild(el("div", { class: "actions" },
							el("button", { type: "button", class: "secondary", "data-dismiss": g.key, on: { click: function () {
								S.api("POST", "/v1/duplicates", null, { records: ids, decision: "dismiss" }).then(function () {
									S.toast(_("Marked as distinct records."));
									S.render();
								}, function (err) { S.toast(S.errorText(err), "error"); });
							} } }, _("Not duplicates")),
							el("button", { type: "button", class: "primary", "data-confirm-dup": g.key, on: { click: function () {
								var keep = card.querySelector("input[name='" + name + "']:checked");
								if (!keep)
									return;
								var n = ids.length - 1, words = { count: S.num(n), id: S.short(keep.value) };
								S.confirm(_("Confirm duplicates?"), fmt(P_("Keep {id} and reject the other {count} as a duplicate of it.",
									"Keep {id} and reject the other {count} as duplicates of it.", n), words),
								fmt(P_("Reject {count} duplicate", "Reject {count} duplicates", n), words)).then(function (ok) {
									if (!ok)
										return;
									S.api("POST", "/v1/duplicates", null, { records: ids, decision: "confirm", keep: keep.value }).then(function (x) {
										S.toast(fmt(P_("Rejected {count} duplicate.", "Rejected {count} duplicates.", x.count),
											{ count: S.num(x.count) }));
										S.render();
									}, function (err) { S.toast(S.errorText(err), "error"); });
								});
							} } }, _("Keep the chosen record, reject the others"))));
					}
					root.appendChild(card);
				});
				return root;
			});
		});
	} };

	/* --- Devices and enrolment codes (admin) ----------------------------------------------------------- */

	/* A device whose last request refused for its time showed a clock more than the 5 minutes signed requests
	 * allow from ours: it corrects itself, so this is how an admin learns its clock is wrong. */
	function clockBadge(dv) {
		var off = Math.abs(dv.clock_off || 0), h = Math.floor(off / 3600000);
		if (!dv.clock_off_at || off <= 5 * 60000)
			return null;
		var span = h >= 48 ? fmt(P_("{count} day", "{count} days", Math.floor(h / 24)), { count: S.num(Math.floor(h / 24)) }) :
			/* TRANSLATORS: a span in hours ("h", the symbol of the hour), then in minutes ("min"). */
			h >= 1 ? fmt(_("{count} h"), { count: S.num(h) }) : fmt(_("{count} min"), { count: S.num(Math.floor(off / 60000)) });
		/* TRANSLATORS: when a device's clock was last seen wrong; {when} is a moment ("today 14:05"). */
		return el("span", { class: "badge conflict", "data-clock": String(dv.clock_off), title: fmt(_("seen {when}"),
			{ when: S.when(dv.clock_off_at) }) },
		/* TRANSLATORS: how far a device's clock is from the server's: {span} is "3 days", "2 h" or "7 min". */
		fmt(dv.clock_off > 0 ? _("clock {span} ahead") : _("clock {span} behind"), { span: span }));
	}

	S.pages.devices = { title: function () { return _("Devices"); }, role: "admin", render: function () {
		return S.api("GET", "/v1/devices").then(function (d) {
			var root = el("div"), body = el("tbody"), devices = d.devices || [];
			root.appendChild(pageHeader(_("Devices"), _("Laptops enrolled with this server")));
			root.appendChild(codeSection());
			devices.forEach(function (dv) {
				body.appendChild(el("tr", { "data-device": dv.id, class: dv.revoked ? "revoked" : null },
					el("td", null, dv.name || "—", dv.kind === "relay" ? el("span", { class: "badge" }, _("regional server")) :
						dv.kind === "hq-only" ? el("span", { class: "badge" }, _("enrolled at headquarters")) :
						/* TRANSLATORS: {server} is the name of the regional server that vouched for the device. */
						dv.via ? el("span", { class: "badge", title: fmt(_("vouched for by {server}"), { server: dv.via }) },
							_("via regional server")) : null),
					el("td", { class: "mono", title: dv.id }, S.short(dv.id)),
					el("td", null, dv.region || "—"),
					el("td", { class: "nowrap" }, S.when(dv.enrolled)),
					el("td", { class: "nowrap" }, dv.last_seen ? S.when(dv.last_seen) : _("never"),
						clockBadge(dv)),
					el("td", { class: "num" }, S.num(dv.ops)),
					el("td", { class: "num" + (dv.equivocations || dv.altered ? " warn" : "") }, S.num(dv.equivocations || 0),
						/* TRANSLATORS: after a device's equivocations: how many of its change sets were altered on the way. */
						dv.altered ? " · " + fmt(_("{count} altered on the way"), { count: S.num(dv.altered) }) : ""),
					el("td", null, dv.revoked ? el("span", { class: "badge rejected" }, C_("device state", "revoked")) :
						el("span", { class: "badge approved" }, C_("device state", "active"))),
					el("td", { class: "act" }, dv.revoked ? null : el("button", { type: "button", class: "danger small",
						"data-revoke": dv.id, on: { click: function () {
							S.confirm(fmt(_("Revoke {device}?"), { device: dv.name || S.short(dv.id) }),
								fmt(_("The device {device} of region {region} will be refused from its next request on. Changes it " +
									"has not synced yet stay on the laptop."), { device: dv.name || dv.id, region: dv.region }),
							_("Revoke device"), true).then(function (ok) {
								if (!ok)
									return;
								S.api("POST", "/v1/devices/revoke", null, { id: dv.id }).then(function () {
									S.toast(fmt(_("Revoked {device}."), { device: dv.name || S.short(dv.id) }));
									S.render();
								}, function (err) { S.toast(S.errorText(err), "error"); });
							});
						} } }, _("Revoke")))));
			});
			if (!devices.length)
				body.appendChild(el("tr", null, el("td", { colspan: "9", class: "empty" }, _("No device has enrolled yet."))));
			root.appendChild(el("section", { class: "card", "aria-labelledby": "dev-h" }, el("h2", { id: "dev-h" }, _("Enrolled devices")),
				el("div", { class: "table-wrap" }, el("table", { class: "data", id: "devices" },
					/* TRANSLATORS: the devices table's headings. Ops are the changes a device sent (operations);
					 * equivocations, two different changes it signed under the same number. */
					el("thead", null, el("tr", null, [_("Name"), _("Id"), _("Region"), _("Enrolled"), _("Last seen"), _("Ops"),
						_("Equivocations"), _("State"), ""].map(function (h) {
						return el("th", { scope: "col" }, h);
					}))), body))));
			return root;
		});
	} };

	function codeSection() {
		var region = el("input", { type: "text", id: "code-region", required: true, list: "region-list", autocomplete: "off" }),
			uses = el("input", { type: "number", id: "code-uses", min: "1", max: "1000", value: "1" }),
			expires = S.select([["30m", fmt(P_("{count} minute", "{count} minutes", 30), { count: S.num(30) })],
				["12h", fmt(P_("{count} hour", "{count} hours", 12), { count: S.num(12) })],
				["24h", fmt(P_("{count} day", "{count} days", 1), { count: S.num(1) })],
				["7d", fmt(P_("{count} day", "{count} days", 7), { count: S.num(7) })],
				["30d", fmt(P_("{count} day", "{count} days", 30), { count: S.num(30) })]], "24h", { id: "code-expires" }),
			out = el("div", { class: "code-out", id: "code-out", "aria-live": "polite" }),
			msg = el("div", { class: "form-error", role: "alert" }), list = el("datalist", { id: "region-list" });
		((S.state.catalog && S.state.catalog.regions) || []).forEach(function (r) {
			list.appendChild(el("option", { value: r }));
		});
		return el("section", { class: "card enrol", "aria-labelledby": "code-h" },
			el("h2", { id: "code-h" }, _("New enrolment code")),
			/* TRANSLATORS: sondeo enrol URL CODE is a command, typed as it is. */
			el("p", { class: "muted" }, _("A field laptop joins a region with `sondeo enrol URL CODE`. The code works the number " +
				"of times given, until it expires.")),
			el("form", { class: "inline-form", id: "code-form", on: { submit: function (e) {
				e.preventDefault();
				msg.textContent = "";
				if (!region.value.trim()) {
					msg.textContent = _("Name the region the devices will belong to.");
					return;
				}
				S.api("POST", "/v1/codes", null, { region: region.value.trim(), uses: parseInt(uses.value, 10) || 1,
					expires: expires.value }).then(function (c) {
					S.clear(out);
					out.appendChild(el("div", { class: "code-text" },
						el("div", { class: "muted" }, fmt(_("Enrolment code for region {region}"), { region: c.region })),
						el("output", { class: "code mono", id: "enrol-code" }, c.code),
						/* TRANSLATORS: how many times an enrolment code can be used, and when it stops working. */
						el("div", { class: "muted" }, fmt(P_("{count} use, expires {when}", "{count} uses, expires {when}", c.uses),
							{ count: S.num(c.uses), when: typeof c.expires === "number" ? S.when(c.expires) : c.expires }))));
					out.appendChild(el("div", { class: "qr-box" }, window.SondeoQR.svg(c.code, "M",
						{ label: fmt(_("QR code of the enrolment code {code}"), { code: c.code }) })));
				}, function (err) {
					msg.textContent = S.errorText(err);
				});
			} } }, list, S.field(_("Region"), region), S.field(_("Uses"), uses), S.field(_("Expires in"), expires),
			el("div", { class: "field field-button" }, el("button", { type: "submit", class: "primary", id: "code-create" }, _("Create code")))),
			msg, out);
	}

	/* --- Users (admin) --------------------------------------------------------------------------------- */

	S.pages.users = { title: function () { return _("Users"); }, role: "admin", render: function () {
		return S.api("GET", "/v1/users").then(function (d) {
			var root = el("div"), body = el("tbody"), me = S.state.session.user;
			root.appendChild(pageHeader(_("Users"), _("Who may log in to this page")));
			(d.users || []).forEach(function (u) {
				var action = u.disabled ? "enable" : "disable";
				body.appendChild(el("tr", { "data-user": u.name, class: u.disabled ? "disabled" : null },
					el("td", null, el("strong", null, u.name), u.name === me ? el("span", { class: "muted" }, " ", _("(you)")) : null),
					el("td", null, el("span", { class: "role role-" + u.role, "data-role": u.role }, S.roleLabel(u.role))),
					el("td", null, u.disabled ? el("span", { class: "badge rejected" }, C_("account state", "disabled")) :
						el("span", { class: "badge approved" }, C_("account state", "active"))),
					el("td", null, u.must_change ? _("must choose a new password") : ""),
					el("td", { class: "nowrap" }, S.when(u.created)),
					el("td", { class: "act" }, u.name === me ? null : el("button", { type: "button",
						class: (u.disabled ? "secondary" : "danger") + " small", "data-user-action": action, on: { click: function () {
							(u.disabled ? Promise.resolve(true) : S.confirm(fmt(_("Disable {user}?"), { user: u.name }),
								fmt(_("{user} will be logged out and unable to log in until enabled again."), { user: u.name }),
								fmt(_("Disable {user}"), { user: u.name }), true)).then(function (ok) {
								if (!ok)
									return;
								S.api("POST", "/v1/users/" + action, null, { name: u.name }).then(function () {
									S.toast(fmt(u.disabled ? _("Enabled {user}.") : _("Disabled {user}."), { user: u.name }));
									S.render();
								}, function (err) { S.toast(S.errorText(err), "error"); });
							});
						} } }, u.disabled ? _("Enable") : _("Disable")))));
			});
			root.appendChild(userForm());
			root.appendChild(el("section", { class: "card", "aria-labelledby": "users-h" }, el("h2", { id: "users-h" }, _("Accounts")),
				el("div", { class: "table-wrap" }, el("table", { class: "data", id: "users" }, el("thead", null, el("tr", null,
					[_("Name"), _("Role"), _("State"), _("Password"), _("Created"), ""].map(function (h) { return el("th", { scope: "col" }, h); }))), body))));
			return root;
		});
	} };

	function userForm() {
		var name = el("input", { type: "text", id: "user-name", required: true, autocomplete: "off", autocapitalize: "none",
			spellcheck: "false" }),
			/* TRANSLATORS: the three roles, each with what it may do. */
			role = S.select([["viewer", _("Viewer: reads")], ["reviewer", _("Reviewer: reviews, resolves, exports")],
				["admin", _("Admin: also devices, users, audit")]], "reviewer", { id: "user-role" }),
			pass = el("input", { type: "password", id: "user-password", required: true, autocomplete: "new-password",
				minlength: "10", maxlength: "256" }),
			msg = el("div", { class: "form-error", role: "alert" });
		return el("section", { class: "card", "aria-labelledby": "adduser-h" },
			el("h2", { id: "adduser-h" }, _("Add a user")),
			el("form", { class: "inline-form", id: "user-form", on: { submit: function (e) {
				e.preventDefault();
				msg.textContent = "";
				if (!name.value.trim()) {
					msg.textContent = _("Give the user a name.");
					return;
				}
				if (new TextEncoder().encode(pass.value).length < 10) {
					msg.textContent = _("The initial password needs at least 10 characters.");
					return;
				}
				S.api("POST", "/v1/users", null, { name: name.value.trim(), role: role.value, password: pass.value }).then(function () {
					S.toast(fmt(_("Added {user}; they choose their own password at first login."), { user: name.value.trim() }));
					S.render();
				}, function (err) {
					msg.textContent = S.errorText(err);
				});
			} } }, S.field(_("Name"), name), S.field(_("Role"), role), S.field(_("Initial password"), pass),
			el("div", { class: "field field-button" }, el("button", { type: "submit", class: "primary", id: "user-add" }, _("Add user")))),
			el("p", { class: "muted" }, _("The new user must choose their own password at first login.")), msg);
	}

	/* --- Audit log (admin) ----------------------------------------------------------------------------- */

	/* What an entry of the audit log records (the log holds codes: login, bulk_review...). */
	function auditAction(code) {
		var words = {
			login: C_("audit action", "login"), login_failed: C_("audit action", "failed login"),
			logout: C_("audit action", "logout"), password: C_("audit action", "password change"),
			user_add: C_("audit action", "user added"), user_disable: C_("audit action", "user disabled"),
			user_enable: C_("audit action", "user enabled"), user_passwd: C_("audit action", "password reset"),
			review: C_("audit action", "review"), bulk_review: C_("audit action", "bulk review"),
			resolve: C_("audit action", "resolution"), duplicates: C_("audit action", "duplicates"),
			export: C_("audit action", "export"), code: C_("audit action", "enrolment code"),
			revoke: C_("audit action", "revocation"), vouch: C_("audit action", "enrolment by a regional server")
		};
		return Object.prototype.hasOwnProperty.call(words, code) ? words[code] : String(code);
	}

	/* Who did it: an account's name, or one of the names the server gives itself (SSTORE_CLI_USER and
	 * SSTORE_RELAY_USER in server/), which are codes like the actions. */
	function auditUser(user) {
		if (user === "(command line)")
			/* TRANSLATORS: who the audit log names for what was done with sondeod's commands on the
			 * server. */
			return _("(command line)");
		if (user === "(regional server)")
			/* TRANSLATORS: who the audit log names for what a regional server did for its devices. */
			return _("(regional server)");
		return user || "—";
	}

	/* A review as the audit log says it: its status in words, with the reviewer's comment (its start, if the
	 * log kept only that). */
	function auditReview(status, comment, cut) {
		var words = { status: S.reviewLabel(status), comment: String(comment || "") + (cut ? "…" : "") };
		return comment ? fmt(_("{status}: {comment}"), words) : words.status;
	}

	/* The formats' names are names (CSV, JSON, GeoJSON), as in the export menu. */
	function formatName(format) {
		var names = { csv: "CSV", xlsx: _("Excel (XLSX)"), json: "JSON", geojson: "GeoJSON" };
		return Object.prototype.hasOwnProperty.call(names, format) ? names[format] : String(format);
	}

	/* What an entry's detail says, in the reader's language: the server keeps machine fields
	 * (docs/review-api.md), the page words them. An entry written before that keeps its English text. */
	function auditDetail(a) {
		var d = a.detail, n = d && typeof d.records === "number" ? d.records : 0, v, why;
		if (!d || typeof d !== "object" || Array.isArray(d))
			return d === null || d === undefined ? "" : String(d);
		if (a.action === "login_failed") {
			/* TRANSLATORS: why a login failed, in the audit log. */
			why = { unknown_user: _("unknown user"), wrong_password: _("wrong password"),
				account_disabled: _("account disabled"), invalid_name: _("not a valid user name") };
			if (Object.prototype.hasOwnProperty.call(why, d.why))
				return why[d.why];
		} else if (a.action === "password") {
			if (d.refused === "wrong_current_password")
				/* TRANSLATORS: a password change refused, in the audit log. */
				return _("refused: the current password was wrong");
		} else if (a.action === "review" && d.status) {
			return auditReview(d.status, d.comment, false);
		} else if (a.action === "bulk_review" && d.status) {
			/* TRANSLATORS: a bulk review in the audit log: {count} records got the review {review} (a
			 * status, with the comment if there is one). */
			return fmt(P_("{count} record: {review}", "{count} records: {review}", n),
				{ count: S.num(n), review: auditReview(d.status, d.comment, d.cut) });
		} else if (a.action === "resolve" && d.field) {
			if (d.value === null || d.value === undefined)
				/* TRANSLATORS: in the audit log: the answer to the question {question} (its name) was
				 * cleared. */
				return fmt(_("{question} cleared"), { question: d.field });
			v = (typeof d.value === "string" ? d.value : JSON.stringify(d.value)) + (d.cut ? "…" : "");
			/* TRANSLATORS: in the audit log: the answer to the question {question} (its name) was set to
			 * {value}. */
			return fmt(_("{question} set to “{value}”"), { question: d.field, value: v });
		} else if (a.action === "duplicates" && d.decision === "confirm") {
			/* TRANSLATORS: possible duplicates settled in the audit log: of {count} records, the one
			 * {record} (the start of its id) was kept and the others rejected. */
			return fmt(P_("{count} record: {record} kept, the others rejected",
				"{count} records: {record} kept, the others rejected", n),
				{ count: S.num(n), record: S.short(d.kept) });
		} else if (a.action === "duplicates" && d.decision === "dismiss") {
			/* TRANSLATORS: possible duplicates dismissed in the audit log: the {count} records are
			 * distinct. */
			return fmt(P_("{count} record: not duplicates", "{count} records: not duplicates", n),
				{ count: S.num(n) });
		} else if (a.action === "export" && d.format) {
			/* TRANSLATORS: an export in the audit log: its format (CSV...), and how many records it had. */
			return fmt(P_("{format}, {count} record", "{format}, {count} records", n),
				{ format: formatName(d.format), count: S.num(n) });
		} else if (a.action === "code" && d.expires) {
			if (d.relay)
				/* TRANSLATORS: an enrolment code for a regional server in the audit log, and when it
				 * stops working. */
				return fmt(_("for a regional server, expires {when}"), { when: S.when(d.expires) });
			return fmt(P_("{count} use, expires {when}", "{count} uses, expires {when}", d.uses),
				{ count: S.num(d.uses), when: S.when(d.expires) });
		} else if ((a.action === "revoke" || a.action === "vouch") && d.by) {
			v = { name: d.name || S.short(d.by), id: S.short(d.by) };
			/* TRANSLATORS: in the audit log, a device enrolled or revoked by the regional server {name}
			 * ({id}: the start of its id); "again" when the device was known already. */
			return d.again ? fmt(_("again, by regional server {name} ({id})"), v) :
				fmt(_("by regional server {name} ({id})"), v);
		} else if (a.action === "revoke") {
			v = { device: d.device, region: d.region || "—" };
			/* TRANSLATORS: a device revoked, in the audit log: its name and region, or its region only. */
			return d.device ? fmt(_("{device}, region {region}"), v) :
				fmt(_("a device without a name, region {region}"), v);
		} else if (a.action === "user_add" && d.role) {
			/* TRANSLATORS: a user added, in the audit log: their role (viewer, reviewer or admin). */
			return fmt(_("role: {role}"), { role: S.roleLabel(d.role) });
		}
		/* Nothing to say, or fields this page does not know (a newer server's): shown as they are. */
		return Object.keys(d).length ? JSON.stringify(d) : "";
	}

	S.pages.audit = { title: function () { return _("Audit log"); }, role: "admin", render: function (route) {
		var page = intParam(route.params, "page", 1, 1, 1e9), perPage = intParam(route.params, "per_page", 50, 1, 200);
		return S.api("GET", "/v1/audit", { page: page, per_page: perPage }).then(function (d) {
			var root = el("div"), body = el("tbody");
			root.appendChild(pageHeader(_("Audit log"), _("Every login, review, resolution, export, revocation and user change, newest first")));
			(d.entries || []).forEach(function (a) {
				body.appendChild(el("tr", { "data-action": a.action },
					el("td", { class: "nowrap" }, el("time", { datetime: S.whenIso(a.at) }, S.when(a.at))),
					el("td", { class: "audit-user" }, auditUser(a.user)),
					el("td", { class: "mono" }, a.ip || ""),
					el("td", null, el("span", { class: "action action-" + a.action }, auditAction(a.action))),
					el("td", { class: "mono" }, a.target || ""),
					el("td", { class: "audit-detail" }, auditDetail(a))));
			});
			if (!(d.entries || []).length)
				body.appendChild(el("tr", null, el("td", { colspan: "6", class: "empty" }, _("Nothing logged yet."))));
			root.appendChild(el("section", { class: "card" }, el("div", { class: "table-wrap" }, el("table", { class: "data", id: "audit" },
				/* TRANSLATORS: the audit log's headings: Address is the network address a request came from. */
				el("thead", null, el("tr", null, [_("When"), _("User"), _("Address"), _("Action"), _("Target"), _("Detail")].map(function (h) {
					return el("th", { scope: "col" }, h);
				}))), body)), pager(route, d.total || 0, page, perPage, [25, 50, 100, 200])));
			return root;
		});
	} };

	S.start();
})();
