/* field.js - sondeo web's page: filling surveys in the browser, on the laptop that holds them.
 *
 * The page never works out a form's rules: sondeo does (client/web-view.c). Each answer goes to POST /api/answer,
 * which saves it at once and answers the record's view as it now is (which questions are asked, required,
 * calculated, which choices are offered, what is missing or wrong); the page draws that view. A screen is a
 * question, a note, a repeat, or a group shown whole (XLSForm's field-list). The address says where the person is
 * (#/r/ID/q/QUESTION), so that reload, back and forward keep the place; a draft also remembers it in the store
 * (POST /api/at), so that it reopens there from the home. */
(function () {
	"use strict";

	var I = window.SondeoI18n;
	var S = {
		home: null,        /* GET /api/home */
		view: null,        /* GET /api/record: the record being filled */
		target: null,      /* how the view was asked for: {id} or {form} or {parent, repeat} */
		at: null,          /* the key of the screen shown */
		trail: [],         /* the screens passed, for Back */
		typed: {},         /* question -> text typed and not yet saved, kept across redraws */
		searched: {},      /* question -> the text its list of choices was searched with */
		filters: { q: "", state: "", form: "", sort: "updated", where: "" },
		seq: 0             /* bumped at each navigation: late answers for an old screen are dropped */
	};
	var LONG_LIST = 12;    /* choices past which a list gets a search box */
	var RECORDS_SHOWN = 200;   /* records the home lists at once; search and filters find the others */

	/* --- DOM ------------------------------------------------------------------------------------------------ */

	function el(tag, attrs, kids) {
		var e = document.createElement(tag), k;
		for (k in attrs || {}) {
			if (!Object.prototype.hasOwnProperty.call(attrs, k) || attrs[k] === null || attrs[k] === undefined ||
			    attrs[k] === false)
				continue;
			if (k === "text")
				e.textContent = attrs[k];
			else if (k.slice(0, 2) === "on")
				e.addEventListener(k.slice(2), attrs[k]);
			else if (k === "class")
				e.className = attrs[k];
			else
				e.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
		}
		(kids || []).forEach(function (c) {
			if (c !== null && c !== undefined && c !== false)
				e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
		});
		return e;
	}

	function main() {
		return document.getElementById("view");
	}

	/* The camera's and the microphone's streams the page opened. Every one is stopped when the screen changes, so
	 * that neither stays on behind the person's back; a recording under way ends there, and its recorder saves it. */
	var streams = [];

	function openStream(constraints) {
		return navigator.mediaDevices.getUserMedia(constraints).then(function (stream) {
			streams.push(stream);
			return stream;
		});
	}

	function stopStream(stream) {
		stream.getTracks().forEach(function (t) {
			t.stop();
		});
		streams = streams.filter(function (x) {
			return x !== stream;
		});
	}

	function show(nodes, title) {
		var m = main();
		streams.slice().forEach(stopStream);
		m.textContent = "";
		nodes.forEach(function (n) {
			if (n)
				m.appendChild(n);
		});
		document.getElementById("bar-title").textContent = title || "";
		document.title = title ? title + " · Sondeo" : "Sondeo";
	}

	function toast(text) {
		var t = document.getElementById("toast");
		t.textContent = text;
		t.classList.add("on");
		clearTimeout(toast.timer);
		toast.timer = setTimeout(function () {
			t.classList.remove("on");
		}, 4000);
	}

	function idOf(name) {
		return "q-" + name;
	}

	/* --- The API ---------------------------------------------------------------------------------------------- */

	function ApiError(status, body) {
		this.status = status;
		this.body = body || {};
		this.message = (body && body.message) || _("sondeo did not answer: is it still running?");
	}

	/* A request of the API, its messages in language (default: the page's). Resolves the answer's JSON, or rejects
	 * with an ApiError. */
	function api(method, path, body, language) {
		var h = { Accept: "application/json", "Accept-Language": language || I.lang() }, file = body instanceof Blob;
		if (method !== "GET") {
			/* A file goes as its bytes (POST /api/media), anything else as JSON. */
			h["Content-Type"] = file ? "application/octet-stream" : "application/json";
			h["X-CSRF-Token"] = S.home ? S.home.csrf : "";
		}
		return fetch(path, { method: method, headers: h, credentials: "same-origin", cache: "no-store",
			body: body === undefined ? undefined : file ? body : JSON.stringify(body) }).then(function (r) {
			return r.json().catch(function () {
				return {};
			}).then(function (j) {
				if (!r.ok)
					throw new ApiError(r.status, j);
				return j;
			});
		}, function () {
			throw new ApiError(0, null);
		});
	}

	function failed(e) {
		if (e && e.status === 401 && e.body.join)
			return showJoin();
		if (e && e.status === 401) {
			show([el("section", { class: "card" }, [
				el("h1", { text: _("Open Sondeo from the terminal") }),
				el("p", { text: _("For your safety this page opens only through the address sondeo web printed when it started. Open that address again (it begins with http://127.0.0.1).") })])], "");
			return;
		}
		toast(e && e.message ? e.message : String(e));
	}

	function lang() {
		return "lang=" + encodeURIComponent(I.lang());
	}

	/* --- Words ------------------------------------------------------------------------------------------------ */

	/* Moments as people read them: "today 14:05", else "5 Dec 2026, 14:05". The formats are made once per language:
	 * making one is what costs, and a list shows hundreds of moments. */
	var formats = {};
	function when(ms) {
		var d = new Date(ms), loc = I.locale(), f = formats[loc];
		if (!f) {
			try {
				f = formats[loc] = { time: new Intl.DateTimeFormat(loc, { hour: "2-digit", minute: "2-digit" }),
					day: new Intl.DateTimeFormat(loc, { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" }) };
			} catch (e) {
				return d.toISOString();
			}
		}
		if (d.toDateString() === new Date().toDateString())
			return fmt(_("today {time}"), { time: f.time.format(d) });
		return f.day.format(d);
	}

	function num(n) {
		try {
			return new Intl.NumberFormat(I.locale()).format(n);
		} catch (e) {
			return String(n);
		}
	}

	/* --- The field hub: a phone joins, the team lead sees who did ------------------------------------------------ */

	function showJoin(message) {
		var code, name, msg;
		code = el("input", { id: "join-code", type: "text", inputmode: "numeric", autocomplete: "off", required: true,
			"aria-describedby": "join-msg" });
		name = el("input", { id: "join-name", type: "text", autocomplete: "name", maxlength: "40", required: true,
			"aria-describedby": "join-msg" });
		msg = el("p", { class: "message", id: "join-msg", role: "alert", hidden: !message, text: message || "" });
		show([el("form", { class: "screen join", novalidate: true, onsubmit: function (ev) {
			ev.preventDefault();
			api("POST", "/api/join", { code: code.value, name: name.value }).then(function (j) {
				S.home = null;
				toast(fmt(_("Welcome, {name}."), { name: j.name }));
				location.hash = "#/";
				route();
			}, function (e) {
				if (e.status === 401 || e.status === 0)
					return failed(e);
				msg.textContent = e.message;
				msg.hidden = false;
				code.focus();
			});
		} }, [
			el("h1", { text: _("Join the team's surveys") }),
			el("p", { class: "muted", text: _("The team lead's laptop shares its forms on this network. Type the code the team lead gives you, and your name: it goes with the records you fill.") }),
			el("div", { class: "question" }, [el("label", { for: "join-code", text: _("Code") }), code]),
			el("div", { class: "question" }, [el("label", { for: "join-name", text: _("Your name") }), name]),
			msg,
			el("div", { class: "nav-buttons" }, [el("button", { type: "submit", class: "button primary", text: _("Join") })])])], _("Join"));
		code.focus();
	}

	function phonesCard() {
		var box = el("section", { class: "card", id: "phones", "aria-labelledby": "phones-h" }, [el("h2", { id: "phones-h", text: _("Phones") })]);
		function draw(p) {
			box.textContent = "";
			box.appendChild(el("h2", { id: "phones-h", text: _("Phones") }));
			if (!p.code) {
				box.appendChild(el("p", { class: "bad", text: _("Too many wrong codes were tried: no phone can join now. Start sondeo web --share again for a new code.") }));
			} else if (!p.urls.length) {
				box.appendChild(el("p", { text: fmt(_("This laptop is on no network yet. Once it is, phones join at its address with the code {code}."), { code: p.code }) }));
			} else {
				box.appendChild(el("div", { class: "join-info" }, [
					el("div", { class: "qr", role: "img", "aria-label": fmt(_("QR code of {url}"), { url: p.urls[0] }) },
						[window.SondeoQR.svg(p.urls[0], "M", { quiet: 4, label: p.urls[0] })]),
					el("div", {}, [el("p", { text: _("Phones on this network open:") }),
						el("p", { class: "join-url" }, p.urls.map(function (u) {
							return el("span", { text: u });
						})),
						el("p", {}, [_("and type the code"), " ", el("strong", { class: "join-code", text: p.code })])])]));
			}
			if (!p.phones.length) {
				box.appendChild(el("p", { class: "muted", text: _("No phone has joined yet.") }));
				return;
			}
			box.appendChild(el("table", { class: "records" }, [
				el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: _("Name") }), el("th", { scope: "col", text: _("Joined") }),
					el("th", { scope: "col", text: _("Last seen") }), el("th", { scope: "col", text: _("Records") }),
					el("th", { scope: "col" }, [el("span", { class: "sr-only", text: _("End") })])])]),
				el("tbody", {}, p.phones.map(function (x) {
					return el("tr", {}, [el("td", { text: x.name }), el("td", { class: "nowrap", text: when(x.joined) }),
						el("td", { class: "nowrap", text: when(x.last) }), el("td", { text: num(x.records) }),
						el("td", {}, [el("button", { type: "button", class: "button danger", onclick: function () {
							api("POST", "/api/phones/end", { sid: x.sid }).then(refresh, failed);
						}, "aria-label": fmt(_("End {name}'s session"), { name: x.name }), text: _("End session") })])]);
				}))]));
		}
		function refresh() {
			if (!document.body.contains(box) && box.dataset.drawn)
				return;
			api("GET", "/api/phones").then(function (p) {
				box.dataset.drawn = "1";
				draw(p);
				clearTimeout(phonesCard.timer);
				phonesCard.timer = setTimeout(refresh, 5000);
			}, function () {});
		}
		refresh();
		return box;
	}

	/* A phone's home: its name, the forms, and the records it made. */
	function showPhoneHome(h) {
		show([el("h1", { text: fmt(_("Hello, {name}"), { name: h.name }) }),
			el("section", { class: "card", "aria-labelledby": "forms-h" }, [
				el("h2", { id: "forms-h", text: _("Forms") }),
				el("ul", { class: "forms" }, h.forms.map(function (f) {
					return el("li", {}, [el("div", { class: "form-name" }, [el("strong", { text: f.title })]),
						el("a", { class: "button primary", href: "#/new/" + encodeURIComponent(f.id), text: _("New record") })]);
				}))]),
			el("section", { class: "card", "aria-labelledby": "rec-h" }, [el("h2", { id: "rec-h", text: _("Your records") }),
				el("div", { id: "records", "aria-live": "polite" })])], "");
		loadRecords();
	}

	/* --- Home ------------------------------------------------------------------------------------------------- */

	function showHome() {
		S.view = null;
		/* The records are asked for at once, beside the home: loadRecords draws them once the home is there. */
		var pre = S.prefetch, home;
		S.prefetch = null;
		if (pre && pre.lang === I.lang()) {
			S.recordsAsked = pre.records;
			home = pre.home;
		} else {
			S.recordsAsked = recordsRequest();
			home = api("GET", "/api/home?" + lang());
		}
		S.recordsAsked.catch(function () { /* said by the home's own failure */ });
		home.then(function (h) {
			S.home = h;
			if (h.role === "phone")
				return showPhoneHome(h);
			var nodes = [], c = h.counts;
			nodes.push(el("h1", { class: "sr-only", text: _("Home") }));
			nodes.push(el("section", { class: "card", "aria-labelledby": "forms-h" }, [
				el("h2", { id: "forms-h", text: _("Forms") }),
				el("ul", { class: "forms" }, h.forms.map(function (f) {
					return el("li", {}, [
						el("div", { class: "form-name" }, [el("strong", { text: f.title }),
							el("span", { class: "muted", text: " " + fmt(_("version {version}"), { version: f.version }) })]),
						el("div", { class: "muted", text: fmt(P_("{count} record", "{count} records", f.records), { count: num(f.records) }) }),
						el("a", { class: "button primary", href: "#/new/" + encodeURIComponent(f.id),
							text: _("New record") })]);
				}))]));
			nodes.push(el("section", { class: "card glance", "aria-labelledby": "state-h" }, [
				el("h2", { id: "state-h", text: _("On this laptop") }),
				el("p", {}, [
					fmt(P_("{count} final record", "{count} final records", c.records), { count: num(c.records) }), " · ",
					el("a", { href: "#/", "data-state": "draft", onclick: quickFilter, text: fmt(P_("{count} draft", "{count} drafts", c.drafts), { count: num(c.drafts) }) }),
					" · ",
					c.conflicts ? el("a", { href: "#/", class: "bad", "data-state": "conflicts", onclick: quickFilter,
						text: fmt(P_("{count} conflict", "{count} conflicts", c.conflicts), { count: num(c.conflicts) }) }) :
						_("no conflicts")]),
				]));
			nodes.push(syncCard(h));
			if (h.share)
				nodes.push(phonesCard());
			nodes.push(recordsCard(h));
			show(nodes, "");
			loadRecords();
		}).catch(failed);
	}

	function syncCard(h) {
		var y = h.sync;
		return el("section", { class: "card", "aria-labelledby": "sync-h" }, [
			el("h2", { id: "sync-h", text: _("Sync") }),
			el("p", { text: y.server ? fmt(_("Server: {server}"), { server: y.server }) :
				_("This laptop is not enrolled with a server yet: ask your coordinator for an enrolment code, then run sondeo enrol.") }),
			el("p", { class: "muted", id: "sync-line" }, [
				y.last ? fmt(_("Last sync: {when}"), { when: when(y.last) }) : _("Never synced."), " · ",
				fmt(P_("{count} change waiting to be sent", "{count} changes waiting to be sent", y.waiting), { count: num(y.waiting) })]),
			y.server ? el("button", { type: "button", class: "button primary", id: "sync", onclick: syncNow, text: _("Sync now") }) : null,
			el("div", { id: "sync-status", class: "sync-status", role: "status", "aria-live": "polite" })]);
	}

	/* Starts a sync and follows it until it ends, saying how it went in words. */
	function syncNow() {
		var button = document.getElementById("sync");
		if (button)
			button.disabled = true;
		api("POST", "/api/sync", {}).then(followSync, function (e) {
			if (e.status === 409 && e.body.error === "syncing")
				return api("GET", "/api/sync").then(followSync);
			if (button)
				button.disabled = false;
			failed(e);
		});
	}

	function followSync(st) {
		var box = document.getElementById("sync-status"), button = document.getElementById("sync");
		if (!box)
			return;
		box.textContent = "";
		if (st.running) {
			var sent = Math.max(0, st.to_send - st.waiting);
			box.appendChild(el("progress", { max: String(Math.max(1, st.to_send)), value: String(sent),
				"aria-label": _("Sync progress") }));
			box.appendChild(el("p", { text: st.to_send ? fmt(_("Sending changes: {sent} of {total}…"), { sent: num(sent), total: num(st.to_send) }) :
				_("Receiving the region's changes…") }));
			setTimeout(function () {
				api("GET", "/api/sync").then(followSync, failed);
			}, 400);
			return;
		}
		var words = (st.output || "").trim().split("\n").filter(Boolean).pop() || "";
		words = words.replace(/^sondeo:\s*/, "");
		box.appendChild(el("p", { class: st.status === 0 ? "ok" : "bad", text: st.status === 0 ? _("Synced.") :
			st.status === 3 ? _("No server could be reached: every change is kept for the next sync.") :
			_("The sync stopped before the end: every change not yet sent is kept for the next sync.") }));
		if (words)
			box.appendChild(el("p", { class: "muted", text: words }));
		if (button)
			button.disabled = false;
		/* The counts and the records changed. */
		api("GET", "/api/home?" + lang()).then(function (h) {
			S.home = h;
			var line = document.getElementById("sync-line");
			if (line)
				line.textContent = (h.sync.last ? fmt(_("Last sync: {when}"), { when: when(h.sync.last) }) : _("Never synced.")) +
					" · " + fmt(P_("{count} change waiting to be sent", "{count} changes waiting to be sent", h.sync.waiting), { count: num(h.sync.waiting) });
			loadRecords();
		}, function () {});
	}

	function quickFilter(ev) {
		ev.preventDefault();
		S.filters.state = ev.currentTarget.getAttribute("data-state");
		var s = document.getElementById("f-state");
		if (s)
			s.value = S.filters.state;
		loadRecords();
	}

	function recordsCard(h) {
		var f = S.filters, whereSel;
		function opt(v, t, cur) {
			return el("option", { value: v, selected: v === cur, text: t });
		}
		function changed() {
			f.q = document.getElementById("f-q").value;
			f.state = document.getElementById("f-state").value;
			f.form = document.getElementById("f-form").value;
			f.sort = document.getElementById("f-sort").value;
			f.where = document.getElementById("f-where").value;
			loadRecords();
		}
		whereSel = el("select", { id: "f-where", onchange: changed }, [opt("", _("any answer"), f.where)].concat(
			[].concat.apply([], h.forms.map(function (fm) {
				return fm.questions.map(function (q) {
					return el("optgroup", { label: fm.title + " · " + q.label }, q.choices.map(function (c) {
						return opt(q.name + "=" + c.name, c.label, f.where);
					}));
				});
			}))));
		return el("section", { class: "card", "aria-labelledby": "rec-h" }, [
			el("h2", { id: "rec-h", text: _("Records") }),
			el("div", { class: "filters" }, [
				el("label", {}, [el("span", { text: _("Search") }), el("input", { id: "f-q", type: "search", value: f.q,
					oninput: debounce(changed, 250) })]),
				el("label", {}, [el("span", { text: _("State") }), el("select", { id: "f-state", onchange: changed }, [
					opt("", C_("records filter", "all"), f.state), opt("draft", C_("records filter", "drafts"), f.state),
					opt("final", C_("records filter", "final"), f.state),
					opt("conflicts", C_("records filter", "in conflict"), f.state),
					opt("deleted", C_("records filter", "deleted"), f.state)])]),
				el("label", {}, [el("span", { text: _("Form") }), el("select", { id: "f-form", onchange: changed },
					[opt("", _("all forms"), f.form)].concat(h.forms.map(function (fm) {
						return opt(fm.id, fm.title, f.form);
					})))]),
				el("label", {}, [el("span", { text: _("Answer") }), whereSel]),
				el("label", {}, [el("span", { text: _("Sort by") }), el("select", { id: "f-sort", onchange: changed }, [
					opt("updated", _("last changed"), f.sort), opt("created", _("newest"), f.sort),
					opt("title", _("name"), f.sort)])])]),
			el("div", { id: "records", "aria-live": "polite" })]);
	}

	function debounce(fn, ms) {
		var t;
		return function () {
			var a = arguments, self = this;
			clearTimeout(t);
			t = setTimeout(function () {
				fn.apply(self, a);
			}, ms);
		};
	}

	function recordsRequest() {
		var f = S.filters, q = ["limit=" + RECORDS_SHOWN];
		if (f.q)
			q.push("q=" + encodeURIComponent(f.q));
		if (f.state)
			q.push("state=" + encodeURIComponent(f.state));
		if (f.form)
			q.push("form=" + encodeURIComponent(f.form));
		if (f.where)
			q.push("where=" + encodeURIComponent(f.where));
		q.push("sort=" + encodeURIComponent(f.sort));
		return api("GET", "/api/records?" + q.join("&"));
	}

	function loadRecords() {
		var asked = S.recordsAsked || recordsRequest();
		S.recordsAsked = null;
		asked.then(function (r) {
			var box = document.getElementById("records"), titles = {};
			if (!box)
				return;
			(S.home ? S.home.forms : []).forEach(function (fm) {
				titles[fm.id] = fm.title;
			});
			box.textContent = "";
			if (!r.records.length) {
				box.appendChild(el("p", { class: "muted", text: _("No records match.") }));
				return;
			}
			box.appendChild(el("table", { class: "records" }, [
				el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: _("Record") }),
					el("th", { scope: "col", text: _("Form") }), el("th", { scope: "col", text: _("State") }),
					el("th", { scope: "col", text: _("Last changed") })])]),
				el("tbody", {}, r.records.map(function (x) {
					var state = x.deleted ? C_("record flag", "deleted") : x.draft ? C_("record state", "draft") :
						C_("record state", "final");
					return el("tr", {}, [
						el("td", {}, [x.deleted ? el("span", { text: x.title || fmt(_("untitled {id}"), { id: x.id.slice(0, 8) }) }) :
							el("a", { href: "#/r/" + x.id + (x.draft ? "" : "/view"),
								text: x.title || fmt(_("untitled {id}"), { id: x.id.slice(0, 8) }) })]),
						el("td", { text: titles[x.form] || x.form }),
						el("td", {}, [el("span", { class: "badge " + (x.draft ? "draft" : "final"), text: state }),
							x.conflicts ? el("span", { class: "badge bad", text: _("conflict") }) : null]),
						el("td", { class: "nowrap", text: when(x.updated) })]);
				}))]));
			if (r.more)
				box.appendChild(el("p", { class: "muted", text: fmt(_("Only the first {count} are shown: search or filter to find others."), { count: num(RECORDS_SHOWN) }) }));
		}).catch(failed);
	}

	/* --- Screens ---------------------------------------------------------------------------------------------- */

	/* The group of a field-list q is shown in whole, or null. */
	function fieldList(view, group) {
		var g = group, found = null;
		while (g && view.groups[g]) {
			if (view.groups[g].field_list)
				found = g;
			g = view.groups[g].parent;
		}
		return found;
	}

	/* The screens of the view, in form order: [{key, items: [...], list: group or null}]. */
	function screensOf(view) {
		var out = [], cur = null;
		view.items.forEach(function (it, i) {
			var fl;
			if (it.repeat) {
				if (it.relevant)
					out.push({ key: "repeat:" + it.repeat, order: i, items: [it], list: null });
				cur = null;
				return;
			}
			if (!it.relevant || (it.readonly && (it.value === null || it.type === "calculate")) ||
			    (it.readonly && !it.label))
				return;
			fl = fieldList(view, it.group);
			if (fl && cur && cur.list === fl) {
				cur.items.push(it);
				return;
			}
			cur = { key: it.name, order: i, items: [it], list: fl };
			out.push(cur);
		});
		return out;
	}

	function itemsByName(view) {
		var m = {};
		view.items.forEach(function (it) {
			if (it.name)
				m[it.name] = it;
		});
		return m;
	}

	/* The screen holding question or key name, or -1. */
	function screenIndex(screens, name) {
		for (var i = 0; i < screens.length; i++) {
			if (screens[i].key === name)
				return i;
			for (var k = 0; k < screens[i].items.length; k++)
				if (screens[i].items[k].name === name)
					return i;
		}
		return -1;
	}

	/* Where a draft opens: where the person was, else at its first question unanswered. */
	function startScreen(view, screens) {
		var i;
		if (view.at && (i = screenIndex(screens, view.at)) >= 0)
			return screens[i].key;
		for (i = 0; i < screens.length; i++)
			if (screens[i].items.some(function (it) {
				return it.name && !it.readonly && it.type !== "note" && it.value === null;
			}))
				return screens[i].key;
		return screens.length ? screens[0].key : "summary";
	}

	function recordPath() {
		var t = S.target;
		if (S.view && S.view.record.id)
			return "#/r/" + S.view.record.id;
		if (t.parent)
			return "#/i/" + t.parent + "/" + encodeURIComponent(t.repeat);
		return "#/new/" + encodeURIComponent(t.form);
	}

	function go(key) {
		S.seq++;
		var path = recordPath() + (key === "summary" ? "/summary" : "/q/" + encodeURIComponent(key));
		if (location.hash !== path)
			location.hash = path;
		else
			route();
	}

	function loadView(target) {
		var q;
		if (target.id)
			q = "id=" + encodeURIComponent(target.id);
		else if (target.parent)
			q = "parent=" + encodeURIComponent(target.parent) + "&repeat=" + encodeURIComponent(target.repeat);
		else
			q = "form=" + encodeURIComponent(target.form);
		return api("GET", "/api/record?" + q + "&" + lang()).then(function (v) {
			S.target = target;
			S.view = v;
			return v;
		});
	}

	function ensureHome() {
		return S.home ? Promise.resolve(S.home) : api("GET", "/api/home?" + lang()).then(function (h) {
			return (S.home = h);
		});
	}

	/* Opens a record (or a new one) at key: a question or screen, "summary", "view", or null for where it was. */
	function openRecord(target, key) {
		ensureHome().then(function () {
			var same = S.view && S.target && (target.id ? S.view.record.id === target.id :
				!S.view.record.id && S.target.form === target.form && S.target.parent === target.parent);
			return same ? S.view : loadView(target);
		}).then(function (v) {
			if (key === "view")
				return showRecord(v);
			if (key === "summary")
				return showSummary();
			var screens = screensOf(v);
			if (!key || screenIndex(screens, key) < 0) {
				var k = startScreen(v, screens);
				if (!v.record.id || key === null) {
					/* The address names the screen from now on. */
					history.replaceState(null, "", recordPath() + (k === "summary" ? "/summary" : "/q/" + encodeURIComponent(k)));
				}
				key = k;
			}
			if (key === "summary")
				return showSummary();
			showScreen(key);
		}).catch(failed);
	}

	function crumbs() {
		var v = S.view, r = v.record, parts = [el("a", { href: "#/", text: _("Home") }), " › "];
		if (r.parent) {
			parts.push(el("a", { href: "#/r/" + r.parent + "/q/" + encodeURIComponent("repeat:" + r.repeat), text: v.title }));
			parts.push(" › ");
			parts.push((v.groups[r.repeat] && v.groups[r.repeat].label) || r.repeat);
		} else {
			parts.push(v.title);
		}
		return el("nav", { class: "crumbs", "aria-label": _("Where you are") }, parts);
	}

	function stateLine() {
		var r = S.view.record;
		var s = !r.id ? _("New record: nothing is saved until the first answer.") :
			r.draft ? _("Draft: each answer is saved as you give it.") :
			_("Final record: each change is saved as you make it, and sent at the next sync.");
		return el("p", { class: "muted state", text: s });
	}

	function showScreen(key) {
		var v = S.view, screens = screensOf(v), i = screenIndex(screens, key), sc, form, nodes;
		if (i < 0)
			return showSummary();
		sc = screens[i];
		if (S.at !== sc.key)
			S.searched = {};   /* a list's search lasts as long as its screen */
		S.at = sc.key;
		if (v.record.id && v.record.draft)
			api("POST", "/api/at", { id: v.record.id, at: sc.key }).catch(function () {});
		form = el("form", { class: "screen", novalidate: true, onsubmit: function (ev) {
			ev.preventDefault();
			next();
		} });
		if (sc.list && v.groups[sc.list] && v.groups[sc.list].label)
			form.appendChild(el("h2", { class: "group", text: v.groups[sc.list].label }));
		else if (sc.items[0].group && v.groups[sc.items[0].group] && v.groups[sc.items[0].group].label)
			form.appendChild(el("p", { class: "group-name", text: groupPath(v, sc.items[0].group) }));
		sc.items.forEach(function (it) {
			form.appendChild(it.repeat ? repeatBlock(it) : question(it));
		});
		form.appendChild(el("div", { class: "nav-buttons" }, [
			el("button", { type: "button", class: "button", onclick: back, disabled: i === 0 && !S.trail.length,
				"aria-keyshortcuts": "Alt+ArrowLeft", text: _("Back") }),
			el("span", { class: "progress muted", text: fmt(_("{n} of {total}"), { n: num(i + 1), total: num(screens.length) }) }),
			el("button", { type: "button", class: "button", onclick: showOutline, text: _("Outline") }),
			el("button", { type: "submit", class: "button primary", "aria-keyshortcuts": "Alt+ArrowRight",
				text: i === screens.length - 1 ? C_("button to a record's summary", "Review") : _("Next") })]));
		nodes = [crumbs(), el("h1", { class: "sr-only", text: v.title }), stateLine(), form];
		show(nodes, v.title);
		focusFirst(form);
	}

	function groupPath(v, g) {
		var names = [];
		while (g && v.groups[g]) {
			if (v.groups[g].label)
				names.unshift(v.groups[g].label);
			g = v.groups[g].parent;
		}
		return names.join(" › ");
	}

	function focusFirst(form) {
		var want = S.focus && document.getElementById(S.focus);
		S.focus = null;
		if (want) {
			want.focus();
			return;
		}
		var f = form.querySelector("[aria-invalid=true], input:not([type=hidden]), textarea, select, button.primary");
		if (f)
			f.focus();
	}

	/* --- Questions --------------------------------------------------------------------------------------------- */

	/* The text of an answer as a widget shows it: what was typed and not yet saved, else the answer, else the
	 * default. */
	function shownText(it) {
		if (Object.prototype.hasOwnProperty.call(S.typed, it.name))
			return S.typed[it.name];
		var v = it.value !== null ? it.value : it.default !== undefined ? it.default : null;
		if (v === null)
			return "";
		if (it.type === "decimal" && typeof v === "number" && it.value !== null && it.text)
			return it.text;
		if (it.type === "dateTime" && typeof v === "string")
			return v.slice(0, 16);
		return Array.isArray(v) ? v.join(" ") : String(v);
	}

	function message(it) {
		var m = it.error || (it.shownMissing ? it.missing : null);
		return el("p", { class: "message", id: idOf(it.name) + "-msg", role: m ? "alert" : null, hidden: !m, text: m || "" });
	}

	function question(it) {
		var id = idOf(it.name), box, label, hint, w;
		box = el("div", { class: "question" + (it.error ? " invalid" : "") + (it.conflict ? " conflict" : ""), "data-q": it.name });
		label = [it.label || it.name, it.required ? el("span", { class: "req", "aria-hidden": "true", text: " *" }) : null,
			it.required ? el("span", { class: "sr-only", text: " " + _("(required)") }) : null];
		if (it.type === "note") {
			box.appendChild(el("p", { class: "note", text: it.label || "" }));
			if (it.hint)
				box.appendChild(el("p", { class: "hint", text: it.hint }));
			return box;
		}
		if (it.readonly) {
			box.appendChild(el("p", { class: "label" }, label));
			box.appendChild(el("p", { class: "readonly", text: it.text || "" }));
			return box;
		}
		hint = it.hint ? el("p", { class: "hint", id: id + "-hint", text: it.hint }) : null;
		var described = [it.hint ? id + "-hint" : null, id + "-msg"].filter(Boolean).join(" ");
		if (it.type === "select_one" || it.type === "select_multiple" || it.type === "acknowledge") {
			w = choiceWidget(it, described);
			/* One choice: a radio group, which may say it is required; several: a group of checkboxes, whose
			 * legend says it. */
			box.appendChild(el("fieldset", { role: it.type === "select_one" ? "radiogroup" : null, "aria-describedby": described,
				"aria-required": it.required && it.type === "select_one" ? "true" : null }, [el("legend", {}, label), hint].concat(w)));
		} else if (it.type === "rank") {
			box.appendChild(el("fieldset", { "aria-describedby": described }, [el("legend", {}, label), hint, rankWidget(it)]));
		} else if (it.range) {
			box.appendChild(el("label", { for: id }, label));
			if (hint)
				box.appendChild(hint);
			box.appendChild(rangeWidget(it, described));
		} else if (it.type === "geopoint") {
			box.appendChild(el("label", { for: id }, label));
			if (hint)
				box.appendChild(hint);
			box.appendChild(geoWidget(it, described));
		} else if (/^(image|audio|video|file)$/.test(it.type)) {
			box.appendChild(el("label", { for: id }, label));
			if (hint)
				box.appendChild(hint);
			box.appendChild(mediaWidget(it, described));
		} else {
			box.appendChild(el("label", { for: id }, label));
			if (hint)
				box.appendChild(hint);
			box.appendChild(textWidget(it, described));
		}
		if (it.heads)
			box.appendChild(headsBlock(it));
		box.appendChild(message(it));
		return box;
	}

	/* An attachment: what was given (shown when it is on the laptop), a file picker for the kinds the question takes,
	 * and where the browser offers them the camera, the microphone, or a pad to sign on (appearance signature or
	 * draw). Whatever is given is kept by sondeo, which checks it as at the terminal. */
	function mediaWidget(it, described) {
		var id = idOf(it.name), v = it.value, out = [], input, url;
		if (v && v.blake2b) {
			url = "/api/media?blake2b=" + encodeURIComponent(v.blake2b);
			if (it.here && /^image\//.test(v.type))
				out.push(el("img", { src: url, alt: v.name, class: "media-thumb" }));
			else if (it.here && /^audio\//.test(v.type))
				out.push(el("audio", { controls: "", src: url, "aria-label": v.name }));
			else if (it.here && /^video\//.test(v.type))
				out.push(el("video", { controls: "", src: url, class: "media-video", "aria-label": v.name }));
			out.push(el("p", { class: "media-name", text: it.text || v.name }));
		}
		input = el("input", { type: "file", id: id, name: it.name, accept: (it.accept || []).join(",") || null,
			"aria-describedby": described, "aria-required": it.required ? "true" : null, onchange: function () {
				if (input.files && input.files[0])
					send(it, { file: input.files[0], name: input.files[0].name });
			} });
		out.push(input);
		if (it.type === "image" && /\b(signature|draw)\b/.test(it.appearance || ""))
			out.push(signaturePad(it));
		if (it.type === "image" && navigator.mediaDevices && navigator.mediaDevices.getUserMedia)
			out.push(el("button", { type: "button", class: "button", text: _("Take a photo"), onclick: function (ev) {
				capturePhoto(it, ev.currentTarget);
			} }));
		if (it.type === "audio" && window.MediaRecorder && navigator.mediaDevices && navigator.mediaDevices.getUserMedia)
			out.push(recordButton(it));
		if (v)
			out.push(el("button", { type: "button", class: "button", text: _("Remove the file"), onclick: function () {
				send(it, { value: null });
			} }));
		return el("div", { class: "media-widget" }, out);
	}

	/* A pad to sign on with a mouse, a finger or a pen; saved as a PNG. */
	function signaturePad(it) {
		var c = el("canvas", { width: "600", height: "200", class: "signature", "aria-label": _("Sign here") }), drawn = false,
			g = c.getContext("2d"), down = false;
		g.lineWidth = 2.5;
		g.lineCap = "round";
		g.strokeStyle = "#111";
		g.fillStyle = "#fff";
		g.fillRect(0, 0, c.width, c.height);
		function at(ev) {
			var r = c.getBoundingClientRect();
			return [(ev.clientX - r.left) * c.width / r.width, (ev.clientY - r.top) * c.height / r.height];
		}
		c.addEventListener("pointerdown", function (ev) {
			var p = at(ev);
			down = true;
			drawn = true;
			c.setPointerCapture(ev.pointerId);
			g.beginPath();
			g.moveTo(p[0], p[1]);
		});
		c.addEventListener("pointermove", function (ev) {
			var p;
			if (!down)
				return;
			p = at(ev);
			g.lineTo(p[0], p[1]);
			g.stroke();
		});
		c.addEventListener("pointerup", function () {
			down = false;
		});
		return el("div", { class: "signature-pad" }, [c, el("div", { class: "row" }, [
			el("button", { type: "button", class: "button", text: _("Clear"), onclick: function () {
				g.fillRect(0, 0, c.width, c.height);
				drawn = false;
			} }),
			el("button", { type: "button", class: "button primary", text: _("Save the signature"), onclick: function () {
				if (!drawn)
					return setMessage(it.name, _("Sign in the box first."));
				c.toBlob(function (b) {
					send(it, { file: b, name: "signature.png" });
				}, "image/png");
			} })])]);
	}

	/* The laptop's camera in the page: a preview, then the photo taken as a JPEG, once the camera's picture has come
	 * (before, the canvas would be empty and its blob null, which sent would clear the answer). */
	function capturePhoto(it, button) {
		/* One camera at a time: the button waits while one is opening or open. */
		button.disabled = true;
		openStream({ video: true }).then(function (stream) {
			var video = el("video", { class: "media-video", autoplay: "", playsinline: "" }), box;
			video.srcObject = stream;
			function stop() {
				stopStream(stream);
				box.remove();
				button.disabled = false;
			}
			box = el("div", { class: "camera" }, [video, el("div", { class: "row" }, [
				el("button", { type: "button", class: "button primary", disabled: true, text: _("Take the photo"), onclick: function () {
					var c = el("canvas", { width: String(video.videoWidth), height: String(video.videoHeight) });
					c.getContext("2d").drawImage(video, 0, 0);
					stop();
					c.toBlob(function (b) {
						if (b)
							send(it, { file: b, name: "photo.jpg" });
					}, "image/jpeg", 0.9);
				} }),
				el("button", { type: "button", class: "button", text: _("Cancel"), onclick: stop })])]);
			video.addEventListener("loadeddata", function () {
				box.querySelector("button.primary").disabled = !video.videoWidth;
			});
			button.after(box);
		}, function () {
			button.disabled = false;
			setMessage(it.name, _("The camera could not be opened: give a file instead."));
		});
	}

	/* The microphone: Record, then Stop, and the recording is the answer. */
	function recordButton(it) {
		var b = el("button", { type: "button", class: "button", text: _("Record") }), rec = null, opening = false;
		b.onclick = function () {
			if (rec) {
				rec.stop();
				return;
			}
			/* One microphone at a time: a second click while it opens does nothing. */
			if (opening)
				return;
			opening = true;
			openStream({ audio: true }).then(function (stream) {
				var parts = [];
				opening = false;
				rec = new MediaRecorder(stream);
				rec.ondataavailable = function (ev) {
					parts.push(ev.data);
				};
				rec.onstop = function () {
					/* The file's name says what the browser recorded (the type is read from its bytes anyway). */
					var type = rec.mimeType || "", ext = /ogg/.test(type) ? "ogg" : /mp4|aac/.test(type) ? "m4a" : "webm";
					stopStream(stream);
					rec = null;
					b.textContent = _("Record");
					send(it, { file: new Blob(parts, { type: type }), name: "recording." + ext });
				};
				rec.start();
				b.textContent = _("Stop recording");
			}, function () {
				opening = false;
				setMessage(it.name, _("The microphone could not be opened: give a file instead."));
			});
		};
		return b;
	}

	/* A question in conflict: its values side by side, each with who gave it and when, to keep one; or a new value
	 * given above settles it too. */
	function headsBlock(it) {
		return el("div", { class: "heads", role: "group", "aria-label": fmt(_("Answers in conflict for {question}"), { question: it.label || it.name }) }, [
			el("p", { class: "conflict-note", text: _("Two devices gave different answers here. Keep one, or give a new answer above: either settles it.") }),
			el("div", { class: "head-list" }, it.heads.map(function (h) {
				return el("div", { class: "head" }, [
					el("p", { class: "head-value", text: h.text || "—" }),
					el("p", { class: "muted", text: fmt(_("{who}, {when}"), { who: whoOf(h), when: when(h.when) }) }),
					el("button", { type: "button", class: "button", onclick: function () {
						send(it, { value: h.value });
					}, text: _("Keep this answer") })]);
			}))]);
	}

	function whoOf(h) {
		if (h.by)
			return fmt(_("{reviewer} at the server"), { reviewer: h.by });
		return h.mine ? _("this laptop") : fmt(_("device {id}"), { id: h.device.slice(0, 8) });
	}

	var INPUT = {
		integer: { type: "text", inputmode: "numeric" },
		decimal: { type: "text", inputmode: "decimal" },
		date: { type: "date" },
		time: { type: "time" },
		dateTime: { type: "datetime-local" }
	};

	function textWidget(it, described) {
		var id = idOf(it.name), spec = INPUT[it.type] || { type: "text" }, e;
		var attrs = { id: id, name: it.name, "aria-describedby": described, "aria-required": it.required ? "true" : null,
			"aria-invalid": it.error ? "true" : null, autocomplete: "off",
			oninput: function () {
				S.typed[it.name] = e.value;
				checkLater(it, e.value);
			},
			onchange: function () {
				S.typed[it.name] = e.value;
			} };
		if (it.type === "text" && /\bmultiline\b/.test(it.appearance || "")) {
			attrs.rows = 3;
			attrs.onkeydown = function (ev) {
				/* Enter writes a new line here; Ctrl+Enter goes on. */
				if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
					ev.preventDefault();
					next();
				}
			};
			e = el("textarea", attrs);
		} else {
			attrs.type = spec.type;
			if (spec.inputmode)
				attrs.inputmode = spec.inputmode;
			e = el("input", attrs);
		}
		e.value = shownText(it);
		return e;
	}

	/* The message of an answer as it is being typed: asked of sondeo (check only), a moment after the last key. */
	var checkLater = (function () {
		var timer = null;
		return function (it, text) {
			var seq = S.seq;
			clearTimeout(timer);
			timer = setTimeout(function () {
				/* The person may have moved on meanwhile: the check is for the screen it was typed on. */
				if (seq !== S.seq || !S.view)
					return;
				var body = answerTarget();
				body.question = it.name;
				body.text = text;
				body.check = true;
				api("POST", "/api/answer", body).then(function () {
					if (seq === S.seq)
						setMessage(it.name, null);
				}, function (e) {
					if (seq === S.seq && e.status === 422)
						setMessage(it.name, e.body.message);
				});
			}, 300);
		};
	})();

	function setMessage(name, text) {
		var m = document.getElementById(idOf(name) + "-msg"), box = m && m.closest(".question"),
			input = document.getElementById(idOf(name)) || (box && box.querySelector("fieldset"));
		if (!m)
			return;
		m.textContent = text || "";
		m.hidden = !text;
		if (text)
			m.setAttribute("role", "alert");
		box.classList.toggle("invalid", !!text);
		if (input)
			input.setAttribute("aria-invalid", text ? "true" : "false");
	}

	/* A text as a list's search compares it: lower case, accents dropped ("cote" finds Côte d'Ivoire), as sondeo's
	 * prompt does. */
	function fold(s) {
		return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
	}

	function choiceWidget(it, described) {
		var multi = it.type === "select_multiple", choices = it.choices || [], id = idOf(it.name), list, search,
			cur = it.value !== null ? it.value : it.default !== undefined ? it.default : null, out = [];
		if (it.type === "acknowledge")
			choices = [{ name: "OK", label: _("OK") }];
		function picked(name) {
			return multi ? Array.isArray(cur) && cur.indexOf(name) >= 0 : cur === name;
		}
		list = el("div", { class: "choices" + (choices.length > 6 ? " many" : ""), id: id + "-list" }, choices.map(function (c, k) {
			var cid = id + "-" + k;
			return el("label", { class: "choice", for: cid, "data-label": fold((c.label || c.name) + " " + c.name) }, [
				el("input", { type: multi || it.type === "acknowledge" ? "checkbox" : "radio", id: cid, name: it.name,
					value: c.name, checked: picked(c.name), onchange: function () {
						saveChoice(it, list, multi);
					} }),
				el("span", { text: c.label || c.name })]);
		}));
		if (choices.length > LONG_LIST) {
			/* What was searched stays through the redraw that follows a choice. */
			var narrow = function () {
				var t = fold(search.value.trim());
				S.searched[it.name] = search.value;
				Array.prototype.forEach.call(list.children, function (l) {
					l.hidden = t !== "" && l.getAttribute("data-label").indexOf(t) < 0 &&
						!l.querySelector("input").checked;
				});
			};
			search = el("input", { type: "search", class: "choice-search", id: id + "-search",
				placeholder: _("Type to search the list"), "aria-label": fmt(_("Search the choices of {question}"), { question: it.label || it.name }),
				"aria-controls": id + "-list", oninput: narrow, onkeydown: function (ev) {
					if (ev.key === "Enter") {
						/* Enter takes the only choice left, as a person expects of a search. */
						var left = Array.prototype.filter.call(list.children, function (l) {
							return !l.hidden;
						});
						if (left.length === 1 && search.value.trim()) {
							ev.preventDefault();
							var inp = left[0].querySelector("input");
							if (!inp.checked) {
								inp.checked = true;
								saveChoice(it, list, multi);
							}
						}
					}
				} });
			out.push(search);
			if (S.searched[it.name]) {
				search.value = S.searched[it.name];
				narrow();
			}
		}
		if (!multi && !it.required && cur !== null && it.type !== "acknowledge")
			out.push(list, el("button", { type: "button", class: "link", onclick: function () {
				send(it, { value: null });
			}, text: _("Clear this answer") }));
		else
			out.push(list);
		return out;
	}

	function saveChoice(it, list, multi) {
		var vals = Array.prototype.filter.call(list.querySelectorAll("input"), function (i) {
			return i.checked;
		}).map(function (i) {
			return i.value;
		});
		S.focus = document.activeElement && document.activeElement.id;
		send(it, { value: multi ? (vals.length ? vals : null) : vals.length ? vals[0] : null });
	}

	function rankWidget(it) {
		var order = Array.isArray(it.value) ? it.value.slice() : (it.choices || []).map(function (c) {
			return c.name;
		}), labels = {}, id = idOf(it.name), ol;
		(it.choices || []).forEach(function (c) {
			labels[c.name] = c.label || c.name;
		});
		function move(k, d) {
			var t = order[k];
			order[k] = order[k + d];
			order[k + d] = t;
			S.focus = id + "-" + (k + d) + (d < 0 ? "-up" : "-down");
			send(it, { value: order });
		}
		ol = el("ol", { class: "rank", id: id }, order.map(function (name, k) {
			var li = el("li", { draggable: "true", "data-k": String(k) }, [
				el("span", { class: "rank-label", text: labels[name] || name }),
				el("button", { type: "button", class: "icon", id: id + "-" + k + "-up", disabled: k === 0,
					"aria-label": fmt(_("Move {choice} up"), { choice: labels[name] || name }), text: "↑",
					onclick: function () {
						move(k, -1);
					} }),
				el("button", { type: "button", class: "icon", id: id + "-" + k + "-down", disabled: k === order.length - 1,
					"aria-label": fmt(_("Move {choice} down"), { choice: labels[name] || name }), text: "↓",
					onclick: function () {
						move(k, 1);
					} })]);
			li.addEventListener("dragstart", function (ev) {
				ev.dataTransfer.setData("text/plain", String(k));
			});
			li.addEventListener("dragover", function (ev) {
				ev.preventDefault();
			});
			li.addEventListener("drop", function (ev) {
				ev.preventDefault();
				var from = Number(ev.dataTransfer.getData("text/plain")), x;
				if (isNaN(from) || from === k)
					return;
				x = order.splice(from, 1)[0];
				order.splice(k, 0, x);
				send(it, { value: order });
			});
			return li;
		}));
		if (!Array.isArray(it.value))
			return el("div", {}, [ol, el("button", { type: "button", class: "button", onclick: function () {
				send(it, { value: order });
			}, text: _("Keep this order") })]);
		return ol;
	}

	/* A range: a slider from start to end by step, its value beside it; unanswered until it is moved (or its
	 * value taken with Next). */
	function rangeWidget(it, described) {
		var r = it.range, id = idOf(it.name), lo = Math.min(r.start, r.end), hi = Math.max(r.start, r.end), shown, input;
		var v = Object.prototype.hasOwnProperty.call(S.typed, it.name) ? Number(S.typed[it.name]) :
			it.value !== null ? Number(it.value) : it.default !== undefined ? Number(it.default) : null;
		shown = el("output", { for: id, class: "range-value", "aria-live": "polite",
			text: v === null ? _("not answered yet") : num(v) });
		input = el("input", { type: "range", id: id, name: it.name, min: String(lo), max: String(hi), step: String(r.step),
			value: String(v === null ? lo : v), "aria-describedby": described, "aria-required": it.required ? "true" : null,
			"aria-invalid": it.error ? "true" : null, oninput: function () {
				S.typed[it.name] = input.value;
				shown.textContent = num(Number(input.value));
			} });
		return el("div", { class: "range" }, [el("span", { class: "muted", text: num(lo) }), input,
			el("span", { class: "muted", text: num(hi) }), shown]);
	}

	function geoWidget(it, described) {
		var id = idOf(it.name), input = textWidget(it, described), status = el("span", { class: "muted geo-status",
			"aria-live": "polite" });
		input.setAttribute("placeholder", _("latitude longitude, as -1.2921 36.8219"));
		return el("div", { class: "geo" }, [input, el("button", { type: "button", class: "button", onclick: function () {
			if (!navigator.geolocation) {
				status.textContent = _("This browser cannot give the position: type it.");
				return;
			}
			status.textContent = _("Finding the position…");
			navigator.geolocation.getCurrentPosition(function (p) {
				var c = p.coords, t = c.latitude.toFixed(6) + " " + c.longitude.toFixed(6) + " " +
					(c.altitude === null ? 0 : c.altitude.toFixed(1)) + " " + c.accuracy.toFixed(1);
				input.value = t;
				S.typed[it.name] = t;
				status.textContent = fmt(_("Accurate to {metres} m"), { metres: num(Math.round(c.accuracy)) });
			}, function (e) {
				status.textContent = fmt(_("No position: {reason}. Type it instead."), { reason: e.message });
			}, { enableHighAccuracy: true, timeout: 30000, maximumAge: 60000 });
		}, text: _("Use this device's position") }), status]);
	}

	/* --- Saving ------------------------------------------------------------------------------------------------ */

	/* The record an answer is for, as POST /api/answer names it. */
	function answerTarget() {
		var t = S.target, r = S.view.record;
		if (r.id)
			return { id: r.id };
		if (t.parent)
			return { parent: t.parent, repeat: t.repeat };
		return { form: t.form };
	}

	/* Saves one answer and redraws the screen from the view sondeo answers. Resolves true when saved. */
	function send(it, answer) {
		var body = answerTarget(), seq = S.seq, req;
		body.question = it.name;
		if (answer.file) {
			/* A file: kept by sondeo and saved as the answer in one request, the target in the address. */
			body.name = answer.name;
			req = api("POST", "/api/media?" + Object.keys(body).map(function (k) {
				return encodeURIComponent(k) + "=" + encodeURIComponent(body[k]);
			}).join("&"), answer.file);
		} else {
			if ("text" in answer)
				body.text = answer.text;
			else
				body.value = answer.value;
			req = api("POST", "/api/answer", body);
		}
		return req.then(function (v) {
			var wasNew = !S.view.record.id;
			delete S.typed[it.name];
			S.view = v;
			if (seq !== S.seq)
				return true;
			if (wasNew) {
				/* The record exists now: the address names it. */
				S.target = { id: v.record.id };
				history.replaceState(null, "", recordPath() + "/q/" + encodeURIComponent(S.at));
			}
			if (S.at === "view")
				showRecord(v);      /* a conflict settled from the record's own page */
			else
				showScreen(S.at);
			return true;
		}, function (e) {
			if (e.status === 422 && seq === S.seq) {
				setMessage(it.name, e.body.message);
				return false;
			}
			failed(e);
			return false;
		});
	}

	/* The answers typed on this screen and not saved yet, in order. */
	function unsaved(sc) {
		var out = [];
		sc.items.forEach(function (it) {
			if (!it.name || it.readonly || it.type === "note")
				return;
			var typed = Object.prototype.hasOwnProperty.call(S.typed, it.name), shown;
			if (typed) {
				out.push({ it: it, answer: { text: S.typed[it.name] } });
			} else if (it.value === null && it.default !== undefined && it.default !== null) {
				/* A default shown is taken when the person goes on, as Enter takes it at the terminal. */
				shown = Array.isArray(it.default) ? { value: it.default } : { text: String(it.default) };
				out.push({ it: it, answer: shown });
			}
		});
		return out;
	}

	function next() {
		var v = S.view, screens = screensOf(v), i = screenIndex(screens, S.at), sc = screens[i], todo;
		if (!sc)
			return showSummary();
		todo = unsaved(sc);
		(function step(k) {
			if (k < todo.length) {
				return send(todo[k].it, todo[k].answer).then(function (ok) {
					if (ok)
						step(k + 1);
				});
			}
			/* Everything typed is saved: the screen may be left unless an answer is still missing or wrong. */
			var now = screensOf(S.view), j = screenIndex(now, sc.key), by = itemsByName(S.view), bad = null;
			sc.items.forEach(function (it) {
				var cur = it.name && by[it.name];
				if (!bad && cur && cur.relevant && (cur.error || cur.missing))
					bad = cur;
			});
			if (bad) {
				setMessage(bad.name, bad.error || bad.missing);
				var f = document.getElementById(idOf(bad.name)) || document.querySelector("[data-q='" + bad.name + "'] input");
				if (f)
					f.focus();
				return;
			}
			S.trail.push(sc.key);
			var after = now.filter(function (x) {
				return x.order > (j >= 0 ? now[j].order : sc.order);
			});
			go(after.length ? after[0].key : "summary");
		})(0);
	}

	function back() {
		var screens = screensOf(S.view), key;
		while (S.trail.length) {
			key = S.trail.pop();
			if (screenIndex(screens, key) >= 0) {
				S.seq++;
				return go(key);
			}
		}
		var i = screenIndex(screens, S.at);
		if (i > 0)
			go(screens[i - 1].key);
		else if (i < 0 && screens.length)
			go(screens[screens.length - 1].key);
	}

	/* --- Repeats ----------------------------------------------------------------------------------------------- */

	function repeatBlock(it) {
		var v = S.view, label = it.label || it.repeat, n = it.instances.length, full = it.count >= 0 && n >= it.count;
		return el("div", { class: "question repeat" }, [
			el("h2", { text: label }),
			el("p", { class: "muted", text: it.count >= 0 ? fmt(_("{n} of {count}"), { n: num(n), count: num(it.count) }) :
				fmt(P_("{count} so far", "{count} so far", n), { count: num(n) }) }),
			n ? el("ol", { class: "instances" }, it.instances.map(function (x, k) {
				var title = x.title || fmt(_("{label} {n}"), { label: label, n: num(k + 1) });
				return el("li", {}, [el("a", { href: "#/r/" + x.id, text: title }),
					x.draft ? el("span", { class: "badge draft", text: C_("record state", "draft") }) : null,
					lead() ? el("button", { type: "button", class: "link remove", onclick: function () {
						var key = S.at;
						askDelete(x, function () {
							loadView({ id: v.record.id }).then(function () {
								showScreen(key);
							}, failed);
						});
					}, "aria-label": fmt(_("Remove {entry}"), { entry: title }), text: _("Remove") }) : null]);
			})) : null,
			v.record.id ? el("button", { type: "button", class: "button", disabled: full, onclick: function () {
				S.trail.push(S.at);
				location.hash = "#/i/" + v.record.id + "/" + encodeURIComponent(it.repeat);
			}, text: fmt(_("Add {label}"), { label: label }) }) :
				el("p", { class: "muted", text: _("Answer a question of the record first: its repeats belong to it.") })]);
	}

	/* --- Outline and summary ------------------------------------------------------------------------------------ */

	function showOutline() {
		var v = S.view, screens = screensOf(v), list;
		list = el("ol", { class: "outline" }, screens.map(function (sc) {
			var it = sc.items[0], answered = sc.items.every(function (x) {
				return x.repeat ? x.instances.length > 0 : x.readonly || x.type === "note" || x.value !== null;
			}), bad = sc.items.some(function (x) {
				return x.error || x.missing;
			}), label = sc.list && v.groups[sc.list] ? v.groups[sc.list].label : it.label || it.repeat || it.name;
			return el("li", { class: bad ? "bad" : answered ? "done" : "" }, [
				el("a", { href: recordPath() + "/q/" + encodeURIComponent(sc.key), "aria-current": sc.key === S.at ? "step" : null }, [
					el("span", { class: "mark", "aria-hidden": "true", text: bad ? "!" : answered ? "✓" : "○" }),
					el("span", { class: "sr-only", text: bad ? _("needs an answer or a fix:") : answered ? _("answered:") : _("not answered:") }),
					" " + (label || "")]),
				it.group && !sc.list ? el("span", { class: "muted", text: " · " + groupPath(v, it.group) }) : null]);
		}));
		show([crumbs(), el("h1", { text: _("Outline") }), list, el("p", {}, [el("a", { class: "button", href: recordPath() + "/summary", text: _("Review and finish") })])], v.title);
		main().focus();
	}

	function showSummary(problems) {
		var v = S.view, r = v.record, rows = [], bad = [];
		S.at = "summary";
		screensOf(v).forEach(function (sc) {
			sc.items.forEach(function (it) {
				if (it.repeat) {
					rows.push(el("div", { class: "sum-row" }, [el("dt", { text: it.label || it.repeat }),
						el("dd", { text: it.instances.length ? it.instances.map(function (x, k) {
							return x.title || String(k + 1);
						}).join(", ") : "—" })]));
					return;
				}
				if (it.type === "note")
					return;
				if (it.error || it.missing)
					bad.push(it);
				rows.push(el("div", { class: "sum-row" + (it.error || it.missing ? " bad" : "") }, [
					el("dt", {}, [el("a", { href: recordPath() + "/q/" + encodeURIComponent(it.name), text: it.label || it.name })]),
					el("dd", { text: it.value !== null ? it.text || "" : "—" })]));
			});
		});
		var nodes = [crumbs(), el("h1", { text: r.draft ? _("Review and finish") : _("Summary") }), stateLine()];
		if (bad.length)
			nodes.push(el("section", { class: "alert", role: "alert" }, [
				el("p", { text: fmt(P_("{count} answer is missing or not valid:", "{count} answers are missing or not valid:", bad.length), { count: num(bad.length) }) }),
				el("ul", {}, bad.map(function (it) {
					return el("li", {}, [el("a", { href: recordPath() + "/q/" + encodeURIComponent(it.name), text: it.label || it.name }),
						": " + (it.error || it.missing)]);
				}))]));
		nodes.push(el("dl", { class: "summary" }, rows));
		var buttons = [el("button", { type: "button", class: "button", onclick: back, text: _("Back") })];
		if (r.id && r.draft) {
			buttons.push(el("a", { class: "button", href: r.parent ? "#/r/" + r.parent + "/q/" + encodeURIComponent("repeat:" + r.repeat) : "#/",
				text: _("Keep as a draft") }));
			buttons.push(el("button", { type: "button", class: "button primary", id: "finalize", disabled: bad.length > 0,
				onclick: finalize, text: r.parent ? _("Finish this entry") : _("Finalize") }));
		} else if (r.id) {
			buttons.push(el("a", { class: "button primary", href: r.parent ? "#/r/" + r.parent + "/q/" + encodeURIComponent("repeat:" + r.repeat) : "#/", text: _("Done") }));
		}
		nodes.push(el("div", { class: "nav-buttons" }, buttons));
		show(nodes, v.title);
		main().focus();
	}

	function finalize() {
		var r = S.view.record;
		api("POST", "/api/finalize", { id: r.id }).then(function (v) {
			S.view = v;
			toast(r.parent ? _("Saved.") : _("Finalized: it will be sent at the next sync."));
			location.hash = r.parent ? "#/r/" + r.parent + "/q/" + encodeURIComponent("repeat:" + r.repeat) : "#/";
		}, function (e) {
			if (e.status === 422)
				return loadView({ id: r.id }).then(function () {
					showSummary();
				});
			failed(e);
		});
	}

	/* --- A record read as the form -------------------------------------------------------------------------------- */

	function showRecord(v) {
		var rows = [], conflicts = [], r = v.record;
		S.at = "view";
		screensOf(v).forEach(function (sc) {
			sc.items.forEach(function (it) {
				if (it.type === "note")
					return;
				if (it.heads)
					conflicts.push(it);
				rows.push(el("div", { class: "sum-row" + (it.heads ? " bad" : "") }, [
					el("dt", { text: it.label || it.name || it.repeat }),
					el("dd", { text: it.repeat ? it.instances.map(function (x, k) {
						return x.title || String(k + 1);
					}).join(", ") || "—" : it.value !== null ? it.text || "" : "—" })]));
			});
		});
		var nodes = [crumbs(), el("h1", { text: v.title }), stateLine()];
		if (conflicts.length)
			nodes.push(el("section", { class: "card conflicts", "aria-labelledby": "conf-h" }, [
				el("h2", { id: "conf-h", text: fmt(P_("{count} answer in conflict", "{count} answers in conflict", conflicts.length), { count: num(conflicts.length) }) })
			].concat(conflicts.map(function (it) {
				return el("div", { class: "question", "data-q": it.name }, [el("h3", { text: it.label || it.name }), headsBlock(it),
					el("a", { href: "#/r/" + r.id + "/q/" + encodeURIComponent(it.name), text: _("Give a new answer instead") })]);
			}))));
		nodes.push(el("dl", { class: "summary" }, rows));
		nodes.push(el("div", { class: "nav-buttons" }, [
			el("a", { class: "button primary", href: "#/r/" + r.id + "/q/", text: _("Edit") }),
			lead() ? el("button", { type: "button", class: "button", id: "history", onclick: function () {
				showHistory(v);
			}, text: _("History") }) : null,
			lead() ? el("button", { type: "button", class: "button danger", onclick: function () {
				askDelete(r, function () {
					location.hash = "#/";
				});
			}, text: _("Delete") }) : null]));
		nodes.push(el("section", { id: "history-box", "aria-live": "polite" }));
		show(nodes, v.title);
		main().focus();
	}

	/* The laptop's own person, rather than a phone that joined the field hub. */
	function lead() {
		return !S.home || S.home.role !== "phone";
	}

	function showHistory(v) {
		api("GET", "/api/history?id=" + encodeURIComponent(v.record.id) + "&" + lang()).then(function (h) {
			var box = document.getElementById("history-box");
			if (!box)
				return;
			box.textContent = "";
			box.className = "card";
			box.appendChild(el("h2", { text: _("History") }));
			if (!h.history.length) {
				box.appendChild(el("p", { class: "muted", text: _("No changes yet: a draft's answers become changes when it is finalized.") }));
				return;
			}
			box.appendChild(el("table", { class: "records history" }, [
				el("thead", {}, [el("tr", {}, [el("th", { scope: "col", text: _("When") }), el("th", { scope: "col", text: _("Who") }),
					el("th", { scope: "col", text: _("Question") }), el("th", { scope: "col", text: _("New value") }),
					el("th", { scope: "col", text: _("Replaced") })])]),
				el("tbody", {}, h.history.map(function (x) {
					return el("tr", {}, [el("td", { class: "nowrap", text: when(x.when) }), el("td", { text: whoOf(x) }),
						el("td", { text: x.field === "_review" ? _("Review from headquarters") : x.field === "_deleted" ? _("Deleted") :
							x.label || x.field }),
						el("td", { text: x.text || "—" }), el("td", { text: x.old.join(" / ") || "—" })]);
				}))]));
		}).catch(failed);
	}

	/* Asks before deleting rec ({id, draft}), in a dialog of the page's own; then deletes it, calls after, and offers
	 * the undo until the next sync. */
	function askDelete(rec, after) {
		var d = el("dialog", { class: "dialog", "aria-labelledby": "del-h" }), cancel;
		d.appendChild(el("h2", { id: "del-h", text: _("Delete this record?") }));
		d.appendChild(el("p", { text: rec.draft ? _("The draft and its answers are removed from this laptop. You can undo it until the next sync.") :
			_("The record is marked deleted here and, at the next sync, everywhere. You can undo it until the next sync.") }));
		cancel = el("button", { type: "button", class: "button", onclick: function () {
			d.close();
		}, text: _("Cancel") });
		d.appendChild(el("div", { class: "nav-buttons" }, [cancel, el("button", { type: "button", class: "button danger", id: "confirm-delete",
			onclick: function () {
				d.close();
				api("POST", "/api/delete", { id: rec.id }).then(function () {
					S.view = null;
					after();
					undoBar(rec.id);
				}, failed);
			}, text: _("Delete") })]));
		d.addEventListener("close", function () {
			d.remove();
		});
		document.body.appendChild(d);
		d.showModal();
		cancel.focus();
	}

	function undoBar(id) {
		var bar = el("div", { class: "undo", role: "status" }, [el("span", { text: _("Record deleted.") }), " ",
			el("button", { type: "button", class: "button", id: "undo", onclick: function () {
				api("POST", "/api/undelete", { id: id }).then(function () {
					bar.remove();
					toast(_("Restored."));
					S.view = null;   /* the record shown may hold what came back */
					route();
				}, failed);
			}, text: _("Undo") })]);
		var old = document.querySelector(".undo");
		if (old)
			old.remove();
		document.body.appendChild(bar);
		setTimeout(function () {
			bar.remove();
		}, 30000);
	}

	/* --- Routes --------------------------------------------------------------------------------------------------- */

	function route() {
		/* Answers still coming for the screen left behind are dropped. */
		S.seq++;
		var h = location.hash.replace(/^#/, ""), p = h.split("/").map(function (x) {
			try {
				return decodeURIComponent(x);
			} catch (e) {
				return x;
			}
		}), key = null;
		/* #/r/ID[/q/KEY | /summary | /view], #/new/FORM[...], #/i/PARENT/REPEAT[...] */
		function rest(k) {
			if (p[k] === "q")
				return p[k + 1] || "";
			if (p[k] === "summary" || p[k] === "view")
				return p[k];
			return null;
		}
		if (p[1] === "r" && p[2]) {
			key = rest(3);
			return openRecord({ id: p[2] }, key);
		}
		if (p[1] === "new" && p[2])
			return openRecord({ form: p[2] }, rest(3));
		if (p[1] === "i" && p[2] && p[3])
			return openRecord({ parent: p[2], repeat: p[3] }, rest(4));
		S.trail = [];
		S.typed = {};
		S.searched = {};
		showHome();
	}

	document.addEventListener("keydown", function (ev) {
		if (!ev.altKey || !S.view || S.at === "summary")
			return;
		if (ev.key === "ArrowRight" || ev.key === "PageDown") {
			ev.preventDefault();
			next();
		} else if (ev.key === "ArrowLeft" || ev.key === "PageUp") {
			ev.preventDefault();
			back();
		}
	});

	function setupLanguages() {
		var sel = document.getElementById("lang");
		document.getElementById("lang-label").textContent = _("Language");
		sel.textContent = "";
		I.languages().forEach(function (l) {
			sel.appendChild(el("option", { value: l, selected: l === I.lang(), text: I.name(l) }));
		});
		sel.onchange = function () {
			I.use(sel.value).then(function (l) {
				I.remember(l);
				S.home = null;
				S.view = null;
				setupLanguages();
				route();
			});
		};
		document.getElementById("home-link").setAttribute("aria-label", _("Sondeo: home"));
	}

	window.addEventListener("hashchange", route);
	/* The home's data is asked for at once, in the language the page will most likely speak, beside its catalogs:
	 * a first load waits for one round of requests, not two. */
	if (!location.hash || location.hash === "#/") {
		var guess = "en";
		try {
			guess = localStorage.getItem("sondeo.lang") || I.primaryOf(navigator.language) || "en";
		} catch (e) { /* no storage */ }
		S.prefetch = { lang: guess, records: recordsRequest(),
			home: api("GET", "/api/home?lang=" + encodeURIComponent(guess), undefined, guess) };
		S.prefetch.home.catch(function () {});
		S.prefetch.records.catch(function () {});
	}
	I.fetchLanguages().then(function () {
		return I.use(I.initial());
	}).then(function () {
		/* The page's data first; the language menu (which names each language, slowly the first time) after. */
		route();
		setTimeout(setupLanguages, 0);
	});
})();
