/* app.js - the review page's core: DOM helpers, the API client (session cookie, CSRF token), the session and
 * login screens, the catalog of forms and their labels, filters, hash routing and the page frame.
 *
 * The page is built with createElement and textContent only (a strict Content-Security-Policy is sent, and no
 * answer from the server is ever parsed as HTML). The pages themselves are in pages.js, charts in charts.js,
 * the QR code in qr.js. The API is docs/review-api.md. */
(function () {
	"use strict";

	var S = window.Sondeo = {};
	var ROLES = { viewer: 1, reviewer: 2, admin: 3 };
	var LANGS = [["en", "English"], ["fr", "Français"], ["es", "Español"]];
	S.REVIEW = [["pending", "Pending"], ["approved", "Approved"], ["has_issues", "Has issues"], ["rejected", "Rejected"]];
	/* The filters of docs/review-api.md that the dashboard, the table, bulk review and exports share. */
	S.COMMON_FILTERS = ["form", "region", "review", "from", "to"];
	S.TABLE_FILTERS = ["form", "region", "review", "from", "to", "q", "conflicts", "deleted"];

	S.state = {
		session: null,          /* {user, role, csrf, must_change} */
		catalog: null,          /* GET /v1/catalog, with forms indexed */
		lang: "en",
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

	var numFmt = new Intl.NumberFormat(undefined);
	S.num = function (n) {
		return n === null || n === undefined || isNaN(n) ? "—" : numFmt.format(n);
	};
	S.when = function (ms) {
		if (!ms)
			return "—";
		return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
	};
	/* Compact, for table cells. */
	S.whenShort = function (ms) {
		if (!ms)
			return "—";
		return new Date(ms).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
	};
	S.whenIso = function (ms) {
		return ms ? new Date(ms).toISOString() : "";
	};
	S.day = function (ms) {
		return ms ? new Date(ms).toLocaleDateString(undefined, { dateStyle: "medium" }) : "—";
	};
	S.short = function (id) {
		return String(id || "").slice(0, 8);
	};
	S.reviewLabel = function (status) {
		for (var i = 0; i < S.REVIEW.length; i++)
			if (S.REVIEW[i][0] === status)
				return S.REVIEW[i][1];
		return status || "Pending";
	};
	/* A review status as a badge; a review in conflict (two reviewers decided without seeing each other's
	 * review) says so instead of showing one of them as if it were the review. */
	S.reviewBadge = function (status, inConflict) {
		if (inConflict)
			return S.el("span", { class: "badge review-conflict", "data-review": "conflict",
				title: "Two reviewers decided differently; a reviewer keeps one on the record's page" }, "Review in conflict");
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
			return "Something went wrong.";
		if (err.status === 404 && err.code === "not_found")
			return "This part of the server is not available yet (" + err.path + ").";
		if (err.status === 0)
			return "The server could not be reached. Check the network and try again.";
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
					"Cancel"),
				S.el("button", { type: "button", class: danger ? "danger" : "primary", "data-confirm": "ok",
					on: { click: function () { close(true); } } }, okLabel || "OK")));
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
	 * password must change shows that screen. */
	S.api = function (method, path, query, body) {
		var url = path, qs, opts = { method: method, credentials: "same-origin", headers: {} };
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
				var msg = data && data.message ? data.message : r.status + " " + r.statusText;
				var err = new ApiError(r.status, code, msg, path, r.headers.get("Retry-After"));
				if (r.status === 401 && code === "login_required" && path !== "/v1/session" && S.state.session) {
					S.state.session = null;
					S.showLogin("Your session has ended. Log in again to go on.");
				} else if (r.status === 403 && code === "password_change_required") {
					if (S.state.session)
						S.state.session.must_change = true;
					S.showPasswordChange();
				}
				throw err;
			});
		}, function () {
			throw new ApiError(0, "network", "The server could not be reached.", path, null);
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

	S.formTitle = function (id) {
		var f = S.state.catalog && S.state.catalog.byId[id];
		return f ? S.text(f.title, f.latest) || id : id;
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
			return "Review";
		if (name === "_deleted")
			return "Deleted";
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
			return S.reviewLabel(value.status) + (value.comment ? ": " + value.comment : "");
		}
		if (name === "_deleted")
			return value ? "deleted" : "restored";
		if (Array.isArray(value))
			return value.map(function (v, i) {
				/* a ranking shows each choice's place */
				return (q && q.type === "rank" ? (i + 1) + ". " : "") + S.choiceLabel(def, q, v);
			}).join(", ");
		if (q && q.type === "select_one")
			return S.choiceLabel(def, q, value);
		if (typeof value === "number")
			return S.num(value);
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

	var NAV = [
		["dashboard", "Dashboard", "viewer"],
		["records", "Records", "viewer"],
		["duplicates", "Duplicates", "viewer"],
		["devices", "Devices", "admin"],
		["users", "Users", "admin"],
		["audit", "Audit log", "admin"]
	];

	function renderHeader() {
		var bar = document.getElementById("topbar"), nav, s = S.state.session, langSel, i;
		S.clear(bar);
		if (!s) {
			bar.hidden = true;
			return;
		}
		bar.hidden = false;
		nav = S.el("nav", { class: "nav", "aria-label": "Main" });
		for (i = 0; i < NAV.length; i++)
			if (S.can(NAV[i][2]))
				nav.appendChild(S.el("a", { href: "#/" + NAV[i][0], "data-nav": NAV[i][0],
					class: NAV[i][2] === "admin" ? "admin-only" : null }, NAV[i][1]));
		langSel = S.select(LANGS, S.state.lang, { id: "lang", "aria-label": "Language of the form's labels",
			on: { change: function () {
				S.state.lang = langSel.value;
				try {
					localStorage.setItem("sondeo.lang", S.state.lang);
				} catch (e) { /* private mode: the choice lasts this visit */ }
				S.render();
			} } });
		bar.appendChild(S.el("div", { class: "brand" }, S.el("span", { class: "logo", "aria-hidden": "true" }),
			"Sondeo", S.el("span", { class: "brand-sub" }, "review")));
		bar.appendChild(nav);
		bar.appendChild(S.el("div", { class: "session" },
			S.el("label", { class: "lang", for: "lang" }, S.el("span", { class: "sr-only" }, "Labels in"), langSel),
			S.el("span", { class: "who", id: "session-user" }, S.el("strong", null, s.user), " ",
				S.el("span", { class: "role role-" + s.role, id: "session-role" }, s.role)),
			S.el("button", { type: "button", class: "link", id: "logout", on: { click: logout } }, "Log out")));
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
			S.showLogin("You have logged out.");
		});
	}

	function view() {
		return document.getElementById("view");
	}

	/* The login screen; note is shown above the form (a logout, an ended session). */
	S.showLogin = function (note) {
		var v = S.clear(view()), user, pass, msg, btn, form;
		S.state.session = null;
		renderHeader();
		document.body.setAttribute("data-page", "login");
		document.title = "Log in · Sondeo";
		user = S.el("input", { type: "text", name: "user", id: "login-user", autocomplete: "username", required: true,
			autocapitalize: "none", spellcheck: "false" });
		pass = S.el("input", { type: "password", name: "password", id: "login-password",
			autocomplete: "current-password", required: true });
		msg = S.el("div", { class: "form-error", id: "login-error", role: "alert", "aria-live": "assertive" });
		btn = S.el("button", { type: "submit", class: "primary", id: "login-submit" }, "Log in");
		form = S.el("form", { class: "card login", id: "login-form", novalidate: true, on: { submit: function (e) {
			e.preventDefault();
			msg.textContent = "";
			if (!user.value || !pass.value) {
				msg.textContent = "Enter your user name and password.";
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
					msg.textContent = "Too many failed attempts: try again in " +
						(isNaN(secs) ? "a moment" : S.num(secs) + " s") + ".";
				} else if (err.status === 401) {
					msg.textContent = "Wrong user name or password.";
				} else {
					msg.textContent = S.errorText(err);
				}
				pass.select();
			}).then(function () {
				btn.disabled = false;
			});
		} } },
			S.el("h1", null, "Sondeo review"),
			S.el("p", { class: "muted" }, "Log in to review the merged survey data."),
			note ? S.el("p", { class: "alert info", id: "login-note" }, note) : null,
			S.field("User name", user),
			S.field("Password", pass),
			msg,
			S.el("div", { class: "actions" }, btn));
		v.appendChild(S.el("div", { class: "center" }, form));
		user.focus();
	};

	/* The screen for a password that must change (a new account, or reset by an admin). */
	S.showPasswordChange = function () {
		var v = S.clear(view()), old, nw, again, msg, btn;
		renderHeader();
		document.body.setAttribute("data-page", "password");
		document.title = "Choose a new password · Sondeo";
		old = S.el("input", { type: "password", id: "pw-old", autocomplete: "current-password", required: true });
		nw = S.el("input", { type: "password", id: "pw-new", autocomplete: "new-password", required: true,
			minlength: "10", maxlength: "256" });
		again = S.el("input", { type: "password", id: "pw-again", autocomplete: "new-password", required: true });
		msg = S.el("div", { class: "form-error", id: "pw-error", role: "alert" });
		btn = S.el("button", { type: "submit", class: "primary", id: "pw-submit" }, "Change password");
		v.appendChild(S.el("div", { class: "center" }, S.el("form", { class: "card login", id: "password-form",
			novalidate: true, on: { submit: function (e) {
				e.preventDefault();
				msg.textContent = "";
				if (new TextEncoder().encode(nw.value).length < 10) {
					msg.textContent = "The new password needs at least 10 characters.";
					return;
				}
				if (nw.value !== again.value) {
					msg.textContent = "The two new passwords differ.";
					return;
				}
				btn.disabled = true;
				S.api("POST", "/v1/password", null, { old: old.value, new: nw.value }).then(function () {
					return S.api("GET", "/v1/session");
				}).then(function (s) {
					S.state.session = s;
					S.toast("Your password has been changed.");
					return afterLogin();
				}).catch(function (err) {
					msg.textContent = err.code === "bad_login" ? "The current password is wrong." : S.errorText(err);
				}).then(function () {
					btn.disabled = false;
				});
			} } },
			S.el("h1", null, "Choose a new password"),
			S.el("p", { class: "muted" }, "Your account " + (S.state.session ? S.state.session.user : "") +
				" must have a new password before going on. Use 10 to 256 characters."),
			S.field("Current password", old),
			S.field("New password", nw),
			S.field("New password again", again),
			msg,
			S.el("div", { class: "actions" },
				S.el("button", { type: "button", class: "secondary", on: { click: logout } }, "Log out"), btn))));
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
		serial = ++S.state.renderSerial;
		focusId = document.activeElement && v.contains(document.activeElement) ? document.activeElement.id : "";
		samePage = document.body.getAttribute("data-page") === route.page;
		updateNav(route);
		S.clear(v);
		v.className = "page-" + route.page;
		document.title = page.title + " · Sondeo";
		v.appendChild(S.el("p", { class: "loading", "aria-live": "polite" }, "Loading…"));
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
			v.appendChild(S.el("h1", null, page.title));
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

	S.start = function () {
		var lang = null;
		try {
			lang = localStorage.getItem("sondeo.lang");
		} catch (e) { /* no storage */ }
		if (!lang)
			lang = (navigator.language || "en").slice(0, 2).toLowerCase();
		S.state.lang = ["en", "fr", "es"].indexOf(lang) >= 0 ? lang : "en";
		window.addEventListener("hashchange", function () {
			if (S.state.session && !S.state.session.must_change)
				S.render();
		});
		S.api("GET", "/v1/session").then(function (s) {
			S.state.session = s;
			return afterLogin();
		}, function (err) {
			S.showLogin(err.status === 401 || err.status === 404 ? null : S.errorText(err));
		});
	};
})();
