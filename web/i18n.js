/* i18n.js - the review page in the reader's language: messages from the server's catalogs (GET /i18n lists the
 * languages, GET /i18n?lang=fr gives one: the same po/LANG.po files as the programs, cut down to the page's
 * messages), plural forms, placeholders.
 *
 *   _("Records")                              the message in the chosen language (the English words otherwise)
 *   P_("{count} record", "{count} records", n)  the plural form n takes in that language
 *   C_("review status", "approved")           a message whose English words mean more than one thing
 *   fmt(_("{count} records"), {count: S.num(n)})  fills {name} placeholders: a sentence is one message, so that
 *                                             a translator can put its parts in another order
 *
 * The keywords are those of the C code (common/i18n.h), so that scripts/po.sh extracts the page's messages with
 * xgettext --language=JavaScript into the same catalogs. Each language's plural rule is the catalog's gettext
 * Plural-Forms expression, parsed here into functions: the page's Content-Security-Policy forbids eval and new
 * Function, as it should. This file comes before the others in index.html: they call these as they are read. */
(function () {
	"use strict";

	var ENGLISH = { lang: "en", nplurals: 2, plural: englishPlural, messages: {} };
	var current = ENGLISH;
	var catalogs = { en: ENGLISH };
	var languages = ["en"];

	function englishPlural(n) {
		return n === 1 ? 0 : 1;
	}

	/* --- gettext's plural expression ------------------------------------------------------------------ */

	/* The expression of a Plural-Forms header ("(n > 1)", "n%10==1 && n%100!=11 ? 0 : ...") as a function of n,
	 * or null if it is not one: C's syntax for n, whole numbers, ( ), ! * / % + - < > <= >= == != && || ?:,
	 * with C's precedence and unsigned arithmetic (a division by zero gives 0, as in common/i18n.c). */
	function compilePlural(expr) {
		var toks = [], pos = 0, m, re = /\s*(?:(\d+)|(n)|(<=|>=|==|!=|&&|\|\||[!*\/%+\-<>?:()]))/g, fn;

		expr = String(expr).replace(/;\s*$/, "");
		re.lastIndex = 0;
		while (pos < expr.length) {
			re.lastIndex = pos;
			m = re.exec(expr);
			if (!m || m.index !== pos) {
				if (/^\s*$/.test(expr.slice(pos)))
					break;
				return null;
			}
			toks.push(m[1] !== undefined ? { num: Math.min(Number(m[1]), 1e9) } : m[2] ? { n: true } : { op: m[3] });
			pos = re.lastIndex;
		}
		var i = 0, depth = 0;
		function peek(op) {
			return i < toks.length && toks[i].op === op;
		}
		function take(op) {
			if (!peek(op))
				return false;
			i++;
			return true;
		}
		function fail() {
			throw new Error("plural");
		}
		/* A binary level: operands of next joined by ops, left to right. */
		function level(next, ops) {
			return function () {
				var a = next(), op, b, k;
				for (;;) {
					op = null;
					for (k = 0; k < ops.length; k++)
						if (peek(ops[k][0]))
							op = ops[k];
					if (!op)
						return a;
					i++;
					b = next();
					a = (function (x, y, f) {
						return function (n) {
							return f(x(n), y(n));
						};
					})(a, b, op[1]);
				}
			};
		}
		function bool(v) {
			return v ? 1 : 0;
		}
		function primary() {
			var t = toks[i], v, inner;
			if (++depth > 64)
				fail();
			if (take("!")) {
				inner = primary();
				depth--;
				return function (n) {
					return bool(!inner(n));
				};
			}
			if (take("(")) {
				inner = cond();
				if (!take(")"))
					fail();
				depth--;
				return inner;
			}
			if (!t || t.op)
				fail();
			i++;
			depth--;
			if (t.n)
				return function (n) {
					return n;
				};
			v = t.num;
			return function () {
				return v;
			};
		}
		var mul = level(primary, [["*", function (a, b) { return a * b; }],
			["/", function (a, b) { return b ? Math.floor(a / b) : 0; }],
			["%", function (a, b) { return b ? a % b : 0; }]]);
		var add = level(mul, [["+", function (a, b) { return a + b; }],
			["-", function (a, b) { return Math.max(0, a - b); }]]);
		var rel = level(add, [["<", function (a, b) { return bool(a < b); }],
			[">", function (a, b) { return bool(a > b); }],
			["<=", function (a, b) { return bool(a <= b); }],
			[">=", function (a, b) { return bool(a >= b); }]]);
		var eq = level(rel, [["==", function (a, b) { return bool(a === b); }],
			["!=", function (a, b) { return bool(a !== b); }]]);
		var and = level(eq, [["&&", function (a, b) { return bool(a && b); }]]);
		var or = level(and, [["||", function (a, b) { return bool(a || b); }]]);
		function cond() {
			var c = or(), a, b;
			if (++depth > 64)
				fail();
			if (!take("?")) {
				depth--;
				return c;
			}
			a = cond();
			if (!take(":"))
				fail();
			b = cond();
			depth--;
			return function (n) {
				return c(n) ? a(n) : b(n);
			};
		}
		try {
			fn = cond();
			if (i !== toks.length)
				return null;
		} catch (e) {
			return null;
		}
		return fn;
	}

	/* --- Messages ------------------------------------------------------------------------------------- */

	function lookup(key) {
		var t = current.messages[key];
		return typeof t === "string" && t !== "" ? t : null;
	}

	window._ = function (msgid) {
		return lookup(msgid) || msgid;
	};

	window.C_ = function (context, msgid) {
		return lookup(context + "\u0004" + msgid) || msgid;
	};

	window.P_ = function (one, many, n) {
		var forms = current.messages[one], k;
		n = Math.abs(Math.floor(Number(n) || 0));
		if (Array.isArray(forms)) {
			k = current.plural(n);
			if (k >= 0 && k < forms.length && typeof forms[k] === "string" && forms[k] !== "")
				return forms[k];
		}
		return n === 1 ? one : many;
	};

	/* text with each {name} replaced by String(args.name); a name args lacks stays as it is. */
	window.fmt = function (text, args) {
		return String(text).replace(/\{([A-Za-z0-9_]+)\}/g, function (all, name) {
			return args && Object.prototype.hasOwnProperty.call(args, name) ? String(args[name]) : all;
		});
	};

	/* --- Catalogs ------------------------------------------------------------------------------------- */

	function getJson(url) {
		return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
			if (!r.ok)
				throw new Error(url + ": " + r.status);
			return r.json();
		});
	}

	/* A catalog as GET /i18n/LANG answers it, checked: its messages and its plural rule. */
	function catalogOf(lang, c) {
		var plural = c && typeof c.plural === "string" ? compilePlural(c.plural) : null,
			nplurals = c && c.nplurals >= 1 && c.nplurals <= 6 ? c.nplurals : 2, k;
		if (!plural)
			return { lang: lang, nplurals: 2, plural: englishPlural, messages: (c && c.messages) || {} };
		/* A rule giving a form the catalog lacks would fail at every plural: English's is used instead. */
		for (k = 0; k < 200; k++)
			if (!(plural(k) >= 0 && plural(k) < nplurals)) {
				plural = englishPlural;
				break;
			}
		return { lang: lang, nplurals: nplurals, plural: plural,
			messages: c.messages && typeof c.messages === "object" ? c.messages : {} };
	}

	/* The primary language of a tag: "fr-CA" -> "fr". */
	function primaryOf(tag) {
		return String(tag || "").split(/[-_]/)[0].toLowerCase();
	}

	var I = window.SondeoI18n = {
		compilePlural: compilePlural,

		/* The languages the server has catalogs for (English first), once known. */
		languages: function () {
			return languages.slice();
		},

		/* The chosen language's code: "en", "fr"... */
		lang: function () {
			return current.lang;
		},

		/* The language of the page as the locale of Intl's formats. */
		locale: function () {
			return current.lang;
		},

		/* A language's name in that language ("Français"), for the selector: the browser knows them. */
		name: function (code) {
			var n = "";
			try {
				n = new Intl.DisplayNames([code], { type: "language" }).of(code);
			} catch (e) {
				n = "";
			}
			if (!n || n === code)
				return code;
			return n.charAt(0).toLocaleUpperCase(code) + n.slice(1);
		},

		/* A language's name as the page's language writes it, inside a sentence ("français" in French). */
		nameIn: function (code) {
			var n = "";
			try {
				n = new Intl.DisplayNames([current.lang], { type: "language" }).of(code);
			} catch (e) {
				n = "";
			}
			return n || code;
		},

		/* Asks the server which languages it has (GET /i18n); English alone if it cannot say. */
		fetchLanguages: function () {
			return getJson("/i18n").then(function (list) {
				var out = ["en"];
				(Array.isArray(list) ? list : []).forEach(function (x) {
					if (typeof x === "string" && /^[a-z]{2,3}$/.test(x) && out.indexOf(x) < 0)
						out.push(x);
				});
				languages = out;
				return out;
			}, function () {
				languages = ["en"];
				return languages;
			});
		},

		/* The language to start in: the one chosen before in this browser, else the first of the browser's
		 * languages the server has, else English. */
		initial: function () {
			var stored = null, prefs, i, p;
			try {
				stored = localStorage.getItem("sondeo.lang");
			} catch (e) { /* no storage */ }
			if (stored && languages.indexOf(stored) >= 0)
				return stored;
			prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
			for (i = 0; i < prefs.length; i++) {
				p = primaryOf(prefs[i]);
				if (languages.indexOf(p) >= 0)
					return p;
			}
			return "en";
		},

		/* Makes lang the page's language once its catalog is here: the messages, <html lang>. Resolves with
		 * the language in force (English if the catalog could not be had). */
		use: function (lang) {
			var got = catalogs[lang] ? Promise.resolve(catalogs[lang]) :
				getJson("/i18n?lang=" + encodeURIComponent(lang)).then(function (c) {
					return (catalogs[lang] = catalogOf(lang, c));
				});
			return got.then(function (c) {
				current = c;
				document.documentElement.setAttribute("lang", c.lang);
				return c.lang;
			}, function () {
				current = ENGLISH;
				document.documentElement.setAttribute("lang", "en");
				return "en";
			});
		},

		/* Remembers the person's choice in this browser. */
		remember: function (lang) {
			try {
				localStorage.setItem("sondeo.lang", lang);
			} catch (e) { /* private mode: the choice lasts this visit */ }
		}
	};
	I.primaryOf = primaryOf;
})();
