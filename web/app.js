/* app.js - the review page's core: DOM helpers, the API client (session cookie, CSRF token), the session and
 * login screens, the catalog of forms and their labels, filters, hash routing and the page frame.
 *
 * The page is built with createElement and textContent only (a strict Content-Security-Policy is sent, and no
 * answer from the server is ever parsed as HTML). The pages themselves are in pages.js, charts in charts.js,
 * the QR code in qr.js, the messages in the reader's language in i18n.js: every text the page shows goes
 * through _(), P_() or C_() where it is shown, never when a script is read (the catalog comes later). The API is
 * docs/review-api.md. */
(function () {
	"use strict";

	var S = window.Sondeo = {};
	var I = window.SondeoI18n;
	var ROLES = { viewer: 1, reviewer: 2, admin: 3 };
	/* The review statuses (codes as the data holds them) with their words in the chosen language. */
	S.reviewOptions = function () {
		return [["pending", C_("review status", "Pending")], ["approved", C_("review status", "Approved")],
			["has_issues", C_("review status", "Has issues")], ["rejected", C_("review status", "Rejected")]];
	};
	/* A role's word (the data holds viewer, reviewer, admin). */
	S.roleLabel = function (role) {
		if (role === "viewer")
			return C_("role", "viewer");
		if (role === "reviewer")
			return C_("role", "reviewer");
		if (role === "admin")
			return C_("role", "admin");
		return String(role || "");
	};
	/* The filters of docs/review-api.md that the dashboard, the table, bulk review and exports share. */
	S.COMMON_FILTERS = ["form", "region", "review", "date", "from", "to"];
	S.TABLE_FILTERS = ["form", "region", "review", "date", "from", "to", "q", "conflicts", "deleted"];

	S.state = {
		session: null,          /* {user, role, csrf, must_change} */
		catalog: null,          /* GET /v1/catalog, with forms indexed */
		lang: "en",             /* the page's language, and the one the forms' labels are shown in */
		screen: null,           /* what is on screen: "login", "password" or "page" */
		renderSerial: 0
	};

	/* --- DOM ------------------------------------------------------------------------------------------- */

	/* el("button", {class: "primary", type: "submit", on: {click: fn}}, "Save"): attributes are set with
	 * setAttribute (text only), children are nodes or strings (as text nodes), nested arrays flattened, null
	 * and false skipped. "text" sets textContent; boolean attributes take true/false. */
	function build(node, props, children) {
		var k, v, ev;
		if (props)
			for (k in props) {
				v = props[k];
				if (v === null || v === undefined || v === false)
					continue;
				if (k === "on") {
					for (ev in v)
						node.addEventListener(ev, v[ev]);
				} else if (k === "text") {
					node.textContent = String(v);
				} else if (k === "value" && "value" in node && node.namespaceURI !== S.SVGNS) {
					node.value = v;
				} else if (k === "checked" || k === "selected" || k === "disabled" || k === "hidden") {
					node[k] = !!v;
				} else {
					node.setAttribute(k, v === true ? "" : String(v));
				}
			}
		append(node, children);
		return node;
	}

	function append(node, children) {
		var i;
		if (children === null || children === undefined || children === false)
			return;
		if (Array.isArray(children)) {
			for (i = 0; i < children.length; i++)
				append(node, children[i]);
			return;
		}
		node.appendChild(typeof children === "object" ? children : document.createTextNode(String(children)));
	}

	S.SVGNS = "http://www.w3.org/2000/svg";
	S.el = function (tag, props) {
		return build(document.createElement(tag), props, Array.prototype.slice.call(arguments, 2));
	};
	S.svg = function (tag, props) {
		return build(document.createElementNS(S.SVGNS, tag), props, Array.prototype.slice.call(arguments, 2));
	};
	S.clear = function (node) {
		while (node.firstChild)
			node.removeChild(node.firstChild);
		return node;
	};
	S.append = append;

	var ids = 0;
	S.uid = function (prefix) {
		ids++;
		return (prefix || "f") + "-" + ids;
	};

	/* A labelled form control: {label, control, hint}. */
	S.field = function (label, control, hint, cls) {
		var id = control.id || S.uid("in");
		control.id = id;
		return S.el("div", { class: "field" + (cls ? " " + cls : "") },
			S.el("label", { for: id }, label), control, hint ? S.el("div", { class: "hint" }, hint) : null);
	};

	S.select = function (options, value, props) {
		var sel = S.el("select", props || {}), i, o;
		for (i = 0; i < options.length; i++) {
			o = S.el("option", { value: options[i][0] }, options[i][1]);
			if (String(options[i][0]) === String(value === undefined || value === null ? "" : value))
				o.selected = true;
			sel.appendChild(o);
		}
		return sel;
	};

	/* --- Formatting ------------------------------------------------------------------------------------ */

	/* Numbers, dates and times as the chosen language writes them (Intl's formats for it, made once per
	 * language): "1 234,5" in French. Exports keep ISO dates and plain numbers: the server makes them. */
	var formats = {};
	function format(kind, make) {
		var key = S.state.lang + "/" + kind;
		if (!formats[key]) {
			try {
				formats[key] = make(I.locale());
			} catch (e) {
				formats[key] = make("en");
			}
		}
		return formats[key];
	}
	S.numberFormat = function () {
		return format("num", function (l) { return new Intl.NumberFormat(l); });
	};
	/* A file's size as a person reads it: bytes, kB, MB (of 1000, as file managers show them). */
	S.size = function (bytes) {
		/* TRANSLATORS: sizes of a file: {n} is a number in the page's language. */
		if (bytes < 1000)
			return fmt(P_("{n} byte", "{n} bytes", bytes), { n: S.num(bytes) });
		if (bytes < 1000000)
			return fmt(_("{n} kB"), { n: S.num(Math.round(bytes / 1000)) });
		return fmt(_("{n} MB"), { n: S.num(Math.round(bytes / 1000000)) });
	};

	S.num = function (n) {
		return n === null || n === undefined || isNaN(n) ? "—" : S.numberFormat().format(n);
	};
	/* "today 14:05", "yesterday 09:12", else the date and time in style (medium, or short for table cells). */
	function moment(ms, style) {
		var d = new Date(ms), now = new Date(), time,
			day0 = new Date(now.getFullYear(), now.getMonth(), now.getDate()).getTime(),
			prev0 = new Date(now.getFullYear(), now.getMonth(), now.getDate() - 1).getTime();
		time = format("time", function (l) { return new Intl.DateTimeFormat(l, { timeStyle: "short" }); }).format(d);
		if (ms >= day0 && ms < day0 + 86400000)
			/* TRANSLATORS: a moment of today; {time} is its time of day as the language writes it (14:05). */
			return fmt(_("today {time}"), { time: time });
		if (ms >= prev0 && ms < day0)
			/* TRANSLATORS: a moment of yesterday; {time} is its time of day (09:12). */
			return fmt(_("yesterday {time}"), { time: time });
		return format("when-" + style, function (l) {
			return new Intl.DateTimeFormat(l, { dateStyle: style, timeStyle: "short" });
		}).format(d);
	}
	S.when = function (ms) {
		return ms ? moment(ms, "medium") : "—";
	};
	/* Compact, for table cells. */
	S.whenShort = function (ms) {
		return ms ? moment(ms, "short") : "—";
	};
	S.whenIso = function (ms) {
		return ms ? new Date(ms).toISOString() : "";
	};
	/* A day (a Date) in the chosen language, in options' form (Intl.DateTimeFormat's). */
	S.dayText = function (day, options) {
		return format("day-" + JSON.stringify(options), function (l) {
			return new Intl.DateTimeFormat(l, options);
		}).format(day);
	};
	S.short = function (id) {
		return String(id || "").slice(0, 8);
	};
	S.reviewLabel = function (status) {
		var opts = S.reviewOptions(), i;
		for (i = 0; i < opts.length; i++)
			if (opts[i][0] === (status || "pending"))
				return opts[i][1];
		return String(status);
	};
	/* A review status as a badge; a review in conflict (two reviewers decided without seeing each other's
	 * review) says so instead of showing one of them as if it were the review. */
	S.reviewBadge = function (status, inConflict) {
		if (inConflict)
			return S.el("span", { class: "badge review-conflict", "data-review": "conflict",
				title: _("Two reviewers decided differently; a reviewer keeps one on the record's page") },
			_("Review in conflict"));
		status = status || "pending";
		return S.el("span", { class: "badge review-" + status, "data-review": status }, S.reviewLabel(status));
	};

	/* --- Messages -------------------------------------------------------------------------------------- */

	var toastTimer = null;
	S.toast = function (msg, kind) {
		var t = document.getElementById("toast");
		if (!t.getAttribute("data-bound")) {
			t.setAttribute("data-bound", "1");
			t.addEventListener("click", function () {
				t.className = "toast";
			});
		}
		t.textContent = msg;
		t.className = "toast show " + (kind || "ok");
		if (toastTimer)
			clearTimeout(toastTimer);
		toastTimer = setTimeout(function () {
			t.className = "toast";
		}, kind === "error" ? 8000 : 4000);
	};

	/* An error box for a page section. */
	S.errorBox = function (err) {
		return S.el("div", { class: "alert error", role: "alert" }, S.errorText(err));
	};
	S.errorText = function (err) {
		if (!err)
			return _("Something went wrong.");
		if (err.status === 404 && err.code === "not_found")
			/* TRANSLATORS: {path} is the address on the server the page asked, such as /v1/records. */
			return fmt(_("This part of the server is not available yet ({path})."), { path: err.path });
		if (err.status === 0)
			return _("The server could not be reached. Check the network and try again.");
		/* The server's messages come in the page's language already (the requests say which: Accept-Language). */
		return err.message || String(err);
	};

	/* A modal dialog: build(body, close) fills it; resolves with what close() was given (undefined when
	 * dismissed with Escape). */
	S.dialog = function (title, buildBody) {
		return new Promise(function (resolve) {
			var d = document.getElementById("dialog"), done = false, heading = S.uid("dlg");
			function close(value) {
				if (done)
					return;
				done = true;
				d.close();
				resolve(value);
			}
			S.clear(d);
			d.setAttribute("aria-labelledby", heading);
			d.appendChild(S.el("h2", { id: heading }, title));
			buildBody(d, close);
			/* Escape closes the dialog. The close event of a dialog closed just before this one opened
			 * arrives late, while this one is open: it is not ours. */
			d.addEventListener("close", function onClose() {
				if (d.open)
					return;
				d.removeEventListener("close", onClose);
				close(undefined);
			});
			d.showModal();
		});
	};

	/* Asks to confirm an action: resolves true or false. */
	S.confirm = function (title, message, okLabel, danger) {
		return S.dialog(title, function (d, close) {
			d.appendChild(S.el("p", { class: "confirm-text" }, message));
			d.appendChild(S.el("div", { class: "actions" },
				S.el("button", { type: "button", class: "secondary", on: { click: function () { close(false); } } },
					_("Cancel")),
				S.el("button", { type: "button", class: danger ? "danger" : "primary", "data-confirm": "ok",
					on: { click: function () { close(true); } } }, okLabel || _("OK"))));
		}).then(function (v) {
			return v === true;
		});
	};

	/* --- The API --------------------------------------------------------------------------------------- */

	function ApiError(status, code, message, path, retryAfter) {
		this.status = status;
		this.code = code;
		this.message = message;
		this.path = path;
		this.retryAfter = retryAfter;
	}
	ApiError.prototype.toString = function () {
		return this.message;
	};
	S.ApiError = ApiError;

	/* S.api("GET", "/v1/records", {page: 2}) or S.api("POST", "/v1/review", null, {record: ...}): resolves
	 * with the JSON answer, rejects with an ApiError. A lost session shows the login screen; a session whose
	 * password must change shows that screen. The server answers its messages in the page's language. */
	S.api = function (method, path, query, body) {
		var url = path, qs, opts = { method: method, credentials: "same-origin",
			headers: { "Accept-Language": S.state.lang } };
		if (query) {
			qs = query instanceof URLSearchParams ? query.toString() : S.query(query).toString();
			if (qs)
				url += "?" + qs;
		}
		if (method === "POST") {
			opts.headers["Content-Type"] = "application/json";
			if (S.state.session && S.state.session.csrf)
				opts.headers["X-CSRF-Token"] = S.state.session.csrf;
			opts.body = JSON.stringify(body || {});
		}
		return fetch(url, opts).then(function (r) {
			return r.text().then(function (text) {
				var data = null;
				try {
					data = text ? JSON.parse(text) : null;
				} catch (e) {
					data = null;
				}
				if (r.ok)
					return data;
				var code = data && data.error ? data.error : "http_" + r.status;
				/* TRANSLATORS: {status} is an HTTP status, such as 502. */
				var msg = data && data.message ? data.message : fmt(_("The server answered with an error ({status})."),
					{ status: r.status });
				var err = new ApiError(r.status, code, msg, path, r.headers.get("Retry-After"));
				if (r.status === 401 && code === "login_required" && path !== "/v1/session" && S.state.session) {
					S.state.session = null;
					S.showLogin(function () { return _("Your session has ended. Log in again to go on."); });
				} else if (r.status === 403 && code === "password_change_required") {
					if (S.state.session)
						S.state.session.must_change = true;
					S.showPasswordChange();
				}
				throw err;
			});
		}, function () {
			throw new ApiError(0, "network", _("The server could not be reached."), path, null);
		});
	};

	/* URLSearchParams from an object, leaving out empty values. */
	S.query = function (obj) {
		var q = new URLSearchParams(), k;
		for (k in obj)
			if (obj[k] !== undefined && obj[k] !== null && obj[k] !== "")
				q.set(k, String(obj[k]));
		return q;
	};

	/* --- Roles ----------------------------------------------------------------------------------------- */

	/* Whether the session's role is at least role. The server enforces it anyway: this only hides what
	 * could not be done. */
	S.can = function (role) {
		return !!(S.state.session && ROLES[S.state.session.role] >= ROLES[role]);
	};

	/* --- Forms and labels ------------------------------------------------------------------------------ */

	/* The text of a TEXT (a string, or language -> string) in the chosen language: that language, the form's
	 * default language, English, then any (docs/forms.md). */
	S.text = function (t, def) {
		var k;
		if (t === null || t === undefined)
			return "";
		if (typeof t === "string")
			return t;
		if (t[S.state.lang])
			return t[S.state.lang];
		if (def && def.default_language && t[def.default_language])
			return t[def.default_language];
		if (t.en)
			return t.en;
		for (k in t)
			return t[k];
		return "";
	};

	function indexCatalog(cat) {
		var forms = {}, i, f, def;
		cat = cat || {};
		cat.forms = cat.forms || [];
		cat.regions = cat.regions || [];
		for (i = 0; i < cat.forms.length; i++) {
			f = cat.forms[i];
			def = f.definition;
			if (typeof def === "string") {
				try {
					def = JSON.parse(def);
				} catch (e) {
					def = null;
				}
			}
			def = def || { id: f.id, version: f.version, title: f.title, questions: [] };
			if (!forms[f.id])
				forms[f.id] = { id: f.id, versions: {}, latest: null, latestVersion: null };
			forms[f.id].versions[String(f.version)] = def;
			if (forms[f.id].latest === null || compareVersions(f.version, forms[f.id].latestVersion) > 0) {
				forms[f.id].latest = def;
				forms[f.id].latestVersion = f.version;
				forms[f.id].title = f.title || def.title;
			}
		}
		cat.byId = forms;
		return cat;
	}

	function compareVersions(a, b) {
		var na = Number(a), nb = Number(b);
		if (!isNaN(na) && !isNaN(nb))
			return na - nb;
		return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
	}

	S.loadCatalog = function () {
		return S.api("GET", "/v1/catalog").then(function (cat) {
			S.state.catalog = indexCatalog(cat);
		}, function (err) {
			if (err.status === 401 || err.status === 403)
				throw err;
			/* Without the catalog the page still works, with question and choice names for labels. */
			S.state.catalog = indexCatalog(null);
			S.state.catalogError = err;
		});
	};

	/* The definition of form id at version (its newest one when the version is unknown), or null. */
	S.formDef = function (id, version) {
		var f = S.state.catalog && S.state.catalog.byId[id];
		if (!f)
			return null;
		if (version !== undefined && version !== null && f.versions[String(version)])
			return f.versions[String(version)];
		return f.latest;
	};

	/* A form's title in the chosen language: its definition's TEXT (the catalog's title is the English one). */
	S.formTitle = function (id) {
		var f = S.state.catalog && S.state.catalog.byId[id];
		if (!f)
			return id;
		return S.text(f.latest && f.latest.title ? f.latest.title : f.title, f.latest) || id;
	};

	/* Whether a form is written in lang: its default language, or a language its title or a label has (as
	 * common/form.c's form_has_language). */
	function formHasLang(def, lang) {
		var qs = def && def.questions ? def.questions : [], i;
		function has(t) {
			return !!(t && typeof t === "object" && typeof t[lang] === "string");
		}
		if (!def || (def.default_language || "en") === lang || has(def.title))
			return true;
		for (i = 0; i < qs.length; i++)
			if (has(qs[i].label))
				return true;
		return false;
	}

	/* A discreet note, once at the top of a page showing def's texts, when the form has none in the chosen
	 * language and its labels are shown in its default language; null otherwise. */
	S.langNote = function (def) {
		var lang = S.state.lang, dflt;
		if (!def || formHasLang(def, lang))
			return null;
		dflt = def.default_language || "en";
		return S.el("p", { class: "lang-note muted", id: "lang-note", "data-lang": dflt },
			/* TRANSLATORS: {language} is the page's language, {fallback} the form's own, each by its name. */
			fmt(_("This form has no text in {language}: its labels are shown in {fallback}."),
				{ language: I.nameIn(lang), fallback: I.nameIn(dflt) }));
	};

	S.formIds = function () {
		return S.state.catalog ? Object.keys(S.state.catalog.byId) : [];
	};

	S.question = function (def, name) {
		var qs = def && def.questions ? def.questions : [], i;
		for (i = 0; i < qs.length; i++)
			if (qs[i].name === name)
				return qs[i];
		return null;
	};

	S.questions = function (def, pred) {
		return (def && def.questions ? def.questions : []).filter(function (q) {
			return q.type !== "note" && (!pred || pred(q));
		});
	};

	S.isSelect = function (q) {
		return q && (q.type === "select_one" || q.type === "select_multiple");
	};

	S.questionLabel = function (def, name) {
		var q = S.question(def, name);
		if (name === "_review")
			/* TRANSLATORS: a record's review (a noun), as a column or a field's name. */
			return _("Review");
		if (name === "_deleted")
			/* TRANSLATORS: whether a record is deleted, as a field's name in its history. */
			return _("Deleted");
		return q ? S.text(q.label, def) || name : name;
	};

	S.choiceLabel = function (def, q, value) {
		var cs = q && Array.isArray(q.choices) ? q.choices : [], i;
		for (i = 0; i < cs.length; i++)
			if (cs[i].name === value)
				return S.text(cs[i].label, def) || value;
		return String(value);
	};

	/* An answer as text, with choice labels: "National, Regional"; "" when unanswered. */
	S.valueText = function (def, name, value) {
		var q = S.question(def, name);
		if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length))
			return "";
		if (name === "_review" && typeof value === "object") {
			/* TRANSLATORS: a review with its comment: "Has issues: Which ministry?". */
			return value.comment ? fmt(_("{status}: {comment}"), { status: S.reviewLabel(value.status),
				comment: value.comment }) : S.reviewLabel(value.status);
		}
		if (name === "_deleted")
			return value ? C_("record state", "deleted") : C_("record state", "restored");
		if (Array.isArray(value))
			return value.map(function (v, i) {
				/* a ranking shows each choice's place */
				/* TRANSLATORS: a choice and its place in a ranking: "1. Health". */
				return q && q.type === "rank" ? fmt(_("{place}. {choice}"), { place: S.num(i + 1),
					choice: S.choiceLabel(def, q, v) }) : S.choiceLabel(def, q, v);
			}).join(", ");
		if (q && q.type === "select_one")
			return S.choiceLabel(def, q, value);
		if (typeof value === "number")
			return S.num(value);
		if (typeof value === "object" && typeof value.blake2b === "string")
			/* TRANSLATORS: an attachment: its file's name, its kind and its size ("meeting.jpg (image/jpeg, 180 kB)"). */
			return fmt(_("{name} ({type}, {size})"), { name: value.name, type: value.type, size: S.size(value.size) });
		if (typeof value === "object")
			return JSON.stringify(value);
		return String(value);
	};

	/* --- Routes and filters ---------------------------------------------------------------------------- */

	/* {page, arg, params} from the hash: #/record/ID?x=1 -> {page: "record", arg: "ID", params}. */
	S.route = function () {
		var h = location.hash.replace(/^#\/?/, ""), q = "", i = h.indexOf("?"), parts;
		if (i >= 0) {
			q = h.slice(i + 1);
			h = h.slice(0, i);
		}
		parts = h.split("/");
		return { page: parts[0] || "dashboard", arg: parts[1] ? decodeURIComponent(parts[1]) : "",
			params: new URLSearchParams(q) };
	};

	S.href = function (page, params, arg) {
		var q = params instanceof URLSearchParams ? params.toString() : S.query(params || {}).toString();
		return "#/" + page + (arg ? "/" + encodeURIComponent(arg) : "") + (q ? "?" + q : "");
	};

	S.go = function (page, params, arg) {
		var h = S.href(page, params, arg);
		if (location.hash === h)
			S.render();
		else
			location.hash = h;
	};

	/* The filter parameters of params (keys, and every f.QUESTION when withSelects), as URLSearchParams. */
	S.pickFilters = function (params, keys, withSelects) {
		var out = new URLSearchParams();
		params.forEach(function (v, k) {
			if (v !== "" && (keys.indexOf(k) >= 0 || (withSelects && k.indexOf("f.") === 0)))
				out.append(k, v);
		});
		return out;
	};

	/* The same filters as an object of strings, for POST /v1/bulk-review. */
	S.filterObject = function (params) {
		var o = {};
		params.forEach(function (v, k) {
			o[k] = v;
		});
		return o;
	};

	/* --- Frame: header, navigation, screens ----------------------------------------------------------- */

	function nav() {
		return [
			["dashboard", _("Dashboard"), "viewer"],
			["records", _("Records"), "viewer"],
			["duplicates", _("Duplicates"), "viewer"],
			["devices", _("Devices"), "admin"],
			["users", _("Users"), "admin"],
			["audit", _("Audit log"), "admin"]
		];
	}

	/* The language of the page (and of the forms' labels): the server's languages, each by its own name. */
	S.langSelect = function (id) {
		var sel = S.select(I.languages().map(function (l) { return [l, I.name(l)]; }), S.state.lang,
			{ id: id, "data-lang-select": "", on: { change: function () { S.setLang(sel.value); } } });
		return S.el("label", { class: "lang", for: id }, S.el("span", { class: "sr-only" }, _("Language")), sel);
	};

	/* Changes the page's language: its catalog is fetched, the choice remembered, and the screen drawn again. */
	S.setLang = function (lang) {
		return I.use(lang).then(function (l) {
			S.state.lang = l;
			I.remember(l);
			document.title = _("Sondeo review");
			if (S.state.screen === "login") {
				var user = document.getElementById("login-user"), typed = user ? user.value : "";
				S.showLogin(S.state.loginNote);
				document.getElementById("login-user").value = typed;
				document.getElementById("lang-login").focus();
			} else if (S.state.screen === "password") {
				S.showPasswordChange();
			} else {
				renderHeader();
				S.render();
				var again = document.getElementById("lang");
				if (again)
					again.focus();
			}
		});
	};

	function renderHeader() {
		var bar = document.getElementById("topbar"), links, s = S.state.session, items = nav(), i;
		S.clear(bar);
		if (!s) {
			bar.hidden = true;
			return;
		}
		bar.hidden = false;
		/* TRANSLATORS: the name of the page's main navigation, for screen readers. */
		links = S.el("nav", { class: "nav", "aria-label": _("Main") });
		for (i = 0; i < items.length; i++)
			if (S.can(items[i][2]))
				links.appendChild(S.el("a", { href: "#/" + items[i][0], "data-nav": items[i][0],
					class: items[i][2] === "admin" ? "admin-only" : null }, items[i][1]));
		bar.appendChild(S.el("div", { class: "brand" }, S.el("span", { class: "logo", "aria-hidden": "true" }),
			/* TRANSLATORS: beside the name Sondeo in the top bar: this is its review page. */
			"Sondeo", S.el("span", { class: "brand-sub" }, _("review"))));
		bar.appendChild(links);
		bar.appendChild(S.el("div", { class: "session" },
			S.langSelect("lang"),
			S.el("span", { class: "who", id: "session-user" }, S.el("strong", null, s.user), " ",
				S.el("span", { class: "role role-" + s.role, id: "session-role", "data-role": s.role },
					S.roleLabel(s.role))),
			S.el("button", { type: "button", class: "link", id: "logout", on: { click: logout } }, _("Log out"))));
	}

	/* Marks the current page in the navigation and carries the common filters over to the dashboard and
	 * records links. */
	function updateNav(route) {
		var links = document.querySelectorAll("#topbar [data-nav]"), common = S.pickFilters(route.params, S.COMMON_FILTERS),
			i, page;
		for (i = 0; i < links.length; i++) {
			page = links[i].getAttribute("data-nav");
			if (page === "dashboard" || page === "records")
				links[i].setAttribute("href", S.href(page, common));
			if (page === route.page || (page === "records" && route.page === "record"))
				links[i].setAttribute("aria-current", "page");
			else
				links[i].removeAttribute("aria-current");
		}
	}

	function logout() {
		S.api("POST", "/v1/logout").catch(function () { /* the session is dropped here anyway */ }).then(function () {
			S.state.session = null;
			S.showLogin(function () { return _("You have logged out."); });
		});
	}

	function view() {
		return document.getElementById("view");
	}

	/* A page's name in the browser's title bar and tabs. */
	function setTitle(page) {
		/* TRANSLATORS: the browser's title of the page: {page} is its name (Dashboard, Records...). */
		document.title = fmt(_("{page} · Sondeo"), { page: page });
	}

	/* The login screen; note is shown above the form (a logout, an ended session): a function giving its words,
	 * so that they follow a change of language, or the words themselves (a server's message). The language can be
	 * chosen here, before logging in. */
	S.showLogin = function (note) {
		var v = S.clear(view()), user, pass, msg, btn, form, noteText = typeof note === "function" ? note() : note;
		S.state.session = null;
		S.state.screen = "login";
		S.state.loginNote = note;
		renderHeader();
		document.body.setAttribute("data-page", "login");
		setTitle(_("Log in"));
		user = S.el("input", { type: "text", name: "user", id: "login-user", autocomplete: "username", required: true,
			autocapitalize: "none", spellcheck: "false" });
		pass = S.el("input", { type: "password", name: "password", id: "login-password",
			autocomplete: "current-password", required: true });
		msg = S.el("div", { class: "form-error", id: "login-error", role: "alert", "aria-live": "assertive" });
		btn = S.el("button", { type: "submit", class: "primary", id: "login-submit" }, _("Log in"));
		form = S.el("form", { class: "card login", id: "login-form", novalidate: true, on: { submit: function (e) {
			e.preventDefault();
			msg.textContent = "";
			if (!user.value || !pass.value) {
				msg.textContent = _("Enter your user name and password.");
				return;
			}
			btn.disabled = true;
			S.api("POST", "/v1/login", null, { user: user.value, password: pass.value }).then(function (s) {
				S.state.session = s;
				pass.value = "";
				return afterLogin();
			}).catch(function (err) {
				if (err.status === 429) {
					var secs = parseInt(err.retryAfter, 10);
					/* TRANSLATORS: {seconds} is a number of seconds; "s" is the symbol of the second. */
					msg.textContent = isNaN(secs) ? _("Too many failed attempts: try again in a moment.") :
						fmt(_("Too many failed attempts: try again in {seconds} s."), { seconds: S.num(secs) });
				} else if (err.status === 401) {
					msg.textContent = _("Wrong user name or password.");
				} else {
					msg.textContent = S.errorText(err);
				}
				pass.select();
			}).then(function () {
				btn.disabled = false;
			});
		} } },
			S.el("h1", null, _("Sondeo review")),
			S.el("p", { class: "muted" }, _("Log in to review the merged survey data.")),
			noteText ? S.el("p", { class: "alert info", id: "login-note" }, noteText) : null,
			S.field(_("User name"), user),
			S.field(_("Password"), pass),
			msg,
			S.el("div", { class: "actions" }, btn));
		v.appendChild(S.el("div", { class: "center" }, form,
			I.languages().length > 1 ? S.el("div", { class: "login-lang" }, S.langSelect("lang-login")) : null));
		user.focus();
	};

	/* The screen for a password that must change (a new account, or reset by an admin). */
	S.showPasswordChange = function () {
		var v = S.clear(view()), old, nw, again, msg, btn;
		S.state.screen = "password";
		renderHeader();
		document.body.setAttribute("data-page", "password");
		setTitle(_("Choose a new password"));
		old = S.el("input", { type: "password", id: "pw-old", autocomplete: "current-password", required: true });
		nw = S.el("input", { type: "password", id: "pw-new", autocomplete: "new-password", required: true,
			minlength: "10", maxlength: "256" });
		again = S.el("input", { type: "password", id: "pw-again", autocomplete: "new-password", required: true });
		msg = S.el("div", { class: "form-error", id: "pw-error", role: "alert" });
		btn = S.el("button", { type: "submit", class: "primary", id: "pw-submit" }, _("Change password"));
		v.appendChild(S.el("div", { class: "center" }, S.el("form", { class: "card login", id: "password-form",
			novalidate: true, on: { submit: function (e) {
				e.preventDefault();
				msg.textContent = "";
				if (new TextEncoder().encode(nw.value).length < 10) {
					msg.textContent = _("The new password needs at least 10 characters.");
					return;
				}
				if (nw.value !== again.value) {
					msg.textContent = _("The two new passwords differ.");
					return;
				}
				btn.disabled = true;
				S.api("POST", "/v1/password", null, { old: old.value, new: nw.value }).then(function () {
					return S.api("GET", "/v1/session");
				}).then(function (s) {
					S.state.session = s;
					S.toast(_("Your password has been changed."));
					return afterLogin();
				}).catch(function (err) {
					msg.textContent = err.code === "bad_login" ? _("The current password is wrong.") : S.errorText(err);
				}).then(function () {
					btn.disabled = false;
				});
			} } },
			S.el("h1", null, _("Choose a new password")),
			S.el("p", { class: "muted" }, fmt(_("Your account {user} must have a new password before going on. " +
				"Use 10 to 256 characters."), { user: S.state.session ? S.state.session.user : "" })),
			S.field(_("Current password"), old),
			S.field(_("New password"), nw),
			S.field(_("New password again"), again),
			msg,
			S.el("div", { class: "actions" },
				S.el("button", { type: "button", class: "secondary", on: { click: logout } }, _("Log out")), btn))));
		old.focus();
	};

	function afterLogin() {
		if (S.state.session.must_change) {
			S.showPasswordChange();
			return null;
		}
		return S.loadCatalog().then(function () {
			renderHeader();
			S.render();
		});
	}

	/* Renders the page named by the hash. Each render has a serial: a page whose data arrives after the user
	 * moved on (S.stale(serial)) must not draw. */
	S.pages = {};
	S.render = function () {
		var route = S.route(), v = view(), page = S.pages[route.page], serial, focusId, samePage;
		if (!S.state.session) {
			S.showLogin();
			return;
		}
		if (S.state.session.must_change) {
			S.showPasswordChange();
			return;
		}
		if (!page || (page.role && !S.can(page.role))) {
			location.replace("#/dashboard");
			return;
		}
		S.state.screen = "page";
		serial = ++S.state.renderSerial;
		focusId = document.activeElement && v.contains(document.activeElement) ? document.activeElement.id : "";
		samePage = document.body.getAttribute("data-page") === route.page;
		updateNav(route);
		S.clear(v);
		v.className = "page-" + route.page;
		setTitle(page.title());
		v.appendChild(S.el("p", { class: "loading", "aria-live": "polite" }, _("Loading…")));
		Promise.resolve().then(function () {
			return page.render(route, serial);
		}).then(function (content) {
			if (S.stale(serial) || !content)
				return;
			S.clear(v);
			v.appendChild(content);
			restoreFocus(v, focusId, samePage);
			done(route, serial);
		}).catch(function (err) {
			if (S.stale(serial) || err.status === 401 || err.code === "password_change_required")
				return;
			S.clear(v);
			v.appendChild(S.el("h1", null, page.title()));
			v.appendChild(S.errorBox(err));
			done(route, serial);
		});
	};
	/* Keyboard users keep their place: the control they used (a filter, a sort button) has focus again once
	 * the page is drawn anew; on another page the heading takes focus, so that it is read out. */
	function restoreFocus(v, focusId, samePage) {
		var target = focusId ? document.getElementById(focusId) : null, h;
		if (target && v.contains(target)) {
			target.focus();
		} else if (!samePage && (h = v.querySelector("h1"))) {
			h.setAttribute("tabindex", "-1");
			h.focus({ preventScroll: true });
		}
	}

	/* Marks the page as drawn (the browser tests wait for data-rendered to change). */
	function done(route, serial) {
		document.body.setAttribute("data-page", route.page);
		document.body.setAttribute("data-rendered", String(serial));
	}
	S.stale = function (serial) {
		return serial !== S.state.renderSerial;
	};

	/* The languages the server has, the one to start in (chosen before in this browser, else the browser's, else
	 * English) and its catalog, then the session. */
	S.start = function () {
		window.addEventListener("hashchange", function () {
			if (S.state.session && !S.state.session.must_change)
				S.render();
		});
		I.fetchLanguages().then(function () {
			return I.use(I.initial());
		}).then(function (lang) {
			S.state.lang = lang;
			document.title = _("Sondeo review");
			var loading = view().querySelector(".loading");
			if (loading)
				loading.textContent = _("Loading…");
			return S.api("GET", "/v1/session");
		}).then(function (s) {
			S.state.session = s;
			return afterLogin();
		}, function (err) {
			S.showLogin(err.status === 401 || err.status === 404 ? null : S.errorText(err));
		});
	};
})();
