// field.mjs - drives sondeo web's field page (web/field/) in headless Chromium (Debian's, through playwright-core)
// as a person would, mostly with the keyboard, and checks what the page shows against what the store holds
// (`sondeo show ID --json`, `sondeo list --json`, `sondeo status --json`) and what reached the server.
//
//   node tests/browser/field.mjs SETUP.json
//
// SETUP.json (written by tests/cli/web-browser.sh): {"url": the address `sondeo web` printed (with its key), "top",
// "sondeo", "sondeod", "hq" (the server's data directory), "server" (its URL), "home_a" (the store sondeo web
// serves), "home_b" (another laptop of the same region), "conflict": a record of home_a in conflict on country,
// "victim": a final record of home_a to delete and bring back}. The store also has the form "visit" (a field-list
// group with a choice_filter, a calculation shown in a note, a repeat) and the form "files" (a photo scaled to 64
// pixels, a signature, a memorandum, a recording). Chromium runs with its fake camera and microphone.
//
// Prints one "ok N - name" or "not ok N - name" line per test (with "#" lines saying why; "ok N - name # SKIP why"
// for the pseudo-language walk while the catalog sondeo web serves lacks messages of field.js: the test before it
// fails on that, naming them), and with SONDEO_SCREENSHOTS screenshots of every screen at 1366x768 and 390x844 in
// the folder it names (make screenshots: build/screenshots): field-NN-NAME.png and field-NN-NAME-mobile.png
// (review.mjs's NN-NAME.png are left alone). Without it, each screen is still laid out at both sizes for the test
// of widths. axe-core (node_modules/axe-core) checks
// each kind of screen for accessibility problems.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import zlib from "node:zlib";
import { createRequire } from "node:module";
import { englishLeft, pageTexts } from "./pseudo.mjs";

const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const BASE = new URL(cfg.url).origin;
const shotDir = process.env.SONDEO_SCREENSHOTS || "";
if (shotDir) {
	fs.mkdirSync(shotDir, { recursive: true });
	// This script's screenshots of an earlier run would mix with this run's; review.mjs's are not ours.
	for (const f of fs.readdirSync(shotDir))
		if (/^field-\d\d-[a-z0-9-]+\.png$/.test(f))
			fs.unlinkSync(path.join(shotDir, f));
}
const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

let count = 0;
let failed = 0;
let skipped = 0;
let shots = 0;
const problems = [];   // script errors and CSP violations seen on any page
const reported = new Set();   // the errorSignature of those a test reported already

// A script error as its message and the function it came from, wherever and whenever it happened.
function errorSignature(problem) {
	return problem.replace(/^script error at \S+: /, "").split("\n").slice(0, 2)
		.map((l) => l.replace(/\(?https?:\/\/[^)]*\)?/g, "").trim()).join(" | ");
}

class Skip extends Error {}

async function test(name, fn) {
	count++;
	const began = Date.now();
	try {
		await fn();
		console.log(`ok ${count} - ${name}`);
	} catch (e) {
		if (e instanceof Skip) {
			skipped++;
			console.log(`ok ${count} - ${name} # SKIP ${e.message.split("\n")[0]}`);
			for (const line of e.message.split("\n").slice(1, 13))
				console.log(`#   ${line}`);
			return;
		}
		failed++;
		console.log(`not ok ${count} - ${name}`);
		for (const line of String((e && e.stack) || e).split("\n").slice(0, 40))
			console.log(`#   ${line}`);
	}
	console.log(`#   (${Date.now() - began} ms)`);
}

function check(cond, msg) {
	if (!cond)
		throw new Error(msg);
}

function same(actual, expected, what) {
	const a = JSON.stringify(actual), b = JSON.stringify(expected);
	if (a !== b)
		throw new Error(`${what}: the page shows ${a}, expected ${b}`);
}

// --- The store, as the terminal sees it ---------------------------------------------------------------------

function sondeo(args, home) {
	try {
		return execFileSync(cfg.sondeo, args, { env: { ...process.env, SONDEO_HOME: home || cfg.home_a }, stdio: "pipe" }).toString();
	} catch (e) {
		throw new Error(`sondeo ${args.join(" ")} on laptop ${home === cfg.home_b ? "B" : "A"}: ${String(e.stderr || e.message).trim()}`);
	}
}

function sondeoJson(args, home) {
	return JSON.parse(sondeo(args.concat(["--json"]), home));
}

const show = (id, home) => sondeoJson(["show", id], home);
const list = (args, home) => sondeoJson(["list"].concat(args || []), home);
const formDefs = {};
function formDef(id) {
	if (!formDefs[id])
		formDefs[id] = sondeoJson(["form", "show", id]);
	return formDefs[id];
}

function labelOf(t, lang) {
	if (t === undefined || t === null)
		return "";
	return typeof t === "string" ? t : t[lang] || t.en || Object.values(t)[0];
}

// The built-in form as this sondeo has it.
const partnership = formDef("partnership");

// An answer as the page writes it: choices by their labels joined by ", ", anything else as it is.
function answerText(form, name, value, lang) {
	const q = formDef(form).questions.find((x) => x.name === name);
	const one = (v) => {
		const c = q && q.choices ? q.choices.find((x) => x.name === v) : null;
		return c ? labelOf(c.label, lang || "en") : String(v);
	};
	return Array.isArray(value) ? value.map(one).join(", ") : one(value);
}

// --- The browser ----------------------------------------------------------------------------------------------

// Which Node.js ran the tests: the suite must pass with Debian 12's own (18).
console.log(`# Node.js ${process.version}`);
// Debian's chromium-headless-shell (tests/cli/browser.inc says why), or the Chromium CHROMIUM names.
const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || "/usr/bin/chromium-headless-shell",
	headless: true,
	// A synthetic camera and microphone (a moving test pattern, a beep), given to getUserMedia without asking: the
	// camera and recorder test below. Nothing else the page does asks for them.
	args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--use-fake-device-for-media-stream",
		"--use-fake-ui-for-media-stream"],
});

const DESKTOP = { width: 1366, height: 768 };
const MOBILE = { width: 390, height: 844 };

// A browser of its own (its own cookies: it starts at the address with the key).
async function newContext(locale) {
	return browser.newContext({ viewport: DESKTOP, locale: locale || "en-US", timezoneId: "Africa/Nairobi" });
}

// A tab of ctx whose script errors, CSP violations and requests to /api are watched.
async function newPage(ctx) {
	const page = await ctx.newPage();
	page.setDefaultTimeout(15000);
	page.inflight = 0;
	page.answers = [];    // the JSON answers of /api, for the pseudo-language walk's data
	page.requests = [];   // {url, lang} of the page's requests to /api
	page.posts = [];      // "PATH BODY" of the changes it asked for
	page.on("pageerror", (e) => problems.push(`script error at ${page.url()}: ${e.stack || e.message}`));
	page.on("console", (m) => {
		if (m.type() === "error" && /Content.Security.Policy|Refused to/i.test(m.text()))
			problems.push(`CSP: ${m.text()}`);
	});
	const api = (r) => new URL(r.url()).pathname.startsWith("/api/");
	page.on("request", (r) => {
		if (!api(r))
			return;
		page.inflight++;
		page.requests.push({ url: r.url(), lang: r.headers()["accept-language"] || "" });
		if (r.method() === "POST")
			page.posts.push(`${new URL(r.url()).pathname} ${r.postData()}`);
	});
	page.on("requestfinished", async (r) => {
		if (!api(r))
			return;
		page.inflight--;
		try {
			const res = await r.response();
			if (res && /json/.test(res.headers()["content-type"] || ""))
				page.answers.push(res.json().catch(() => null));
		} catch (e) {
			// The tab was closed meanwhile.
		}
	});
	page.on("requestfailed", (r) => {
		if (api(r))
			page.inflight--;
	});
	await page.addInitScript(() => {
		document.addEventListener("securitypolicyviolation", (e) =>
			console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`));
	});
	return page;
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

// Waits until the page has no request to /api in flight and has run what their answers started: a polled
// condition, never a fixed wait (the page chains requests: an answer saved, then the screen's place).
async function settle(page) {
	for (let quiet = 0, i = 0; i < 800; i++) {
		if (page.inflight === 0) {
			await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
			if (page.inflight === 0 && ++quiet >= 2)
				return;
		} else {
			quiet = 0;
		}
		await pause(20);
	}
	throw new Error(`requests to /api still in flight: ${page.inflight}`);
}

// Runs action, then waits until the page has drawn a new view (#view's first element is another) and settled.
async function redrawn(page, action) {
	await page.evaluate(() => {
		const v = document.querySelector("#view > *");
		if (v)
			v.fieldOld = true;
	});
	await action();
	await until(page, () => {
		const v = document.querySelector("#view > *");
		return v && !v.fieldOld;
	});
	await settle(page);
}

// page.waitForFunction, failing with what the page shows when the condition does not come.
async function until(page, fn, arg, options) {
	try {
		return await page.waitForFunction(fn, arg, options);
	} catch (e) {
		const now = await page.evaluate(() => ({ hash: location.hash, toast: document.getElementById("toast").textContent,
			dialog: !!document.querySelector("dialog[open]"), view: document.getElementById("view").innerText.slice(0, 300) }))
			.catch(() => ({}));
		throw new Error(`waited in vain for ${String(fn).replace(/\s+/g, " ").slice(0, 200)}: the page is at ${JSON.stringify(now)}; ` +
			`its last changes: ${JSON.stringify(page.posts.slice(-4))}`);
	}
}

async function hash(page) {
	return page.evaluate(() => location.hash);
}

// Waits for the screen of question q (#/r/ID/q/Q or the same of a new record) and returns the record's id, if
// the address names one.
async function atScreen(page, q) {
	try {
		await until(page, (name) => location.hash.endsWith("/q/" + encodeURIComponent(name)) &&
			document.querySelector(`form.screen .question[data-q="${name}"], form.screen .repeat`), q);
	} catch (e) {
		throw new Error(`the screen of '${q}' did not come: the address is ${await hash(page)}, the page shows ` +
			JSON.stringify((await page.textContent("#view")).slice(0, 300)));
	}
	await settle(page);
	const m = /^#\/r\/([0-9a-f-]{36})\//.exec(await hash(page));
	return m ? m[1] : null;
}

async function focused(page) {
	return page.evaluate(() => document.activeElement && (document.activeElement.id || document.activeElement.tagName));
}

// Presses Tab until the element matching selector has the focus (at most max times).
async function tabTo(page, selector, max) {
	for (let i = 0; i < (max || 80); i++) {
		if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector))
			return;
		await page.keyboard.press("Tab");
	}
	throw new Error(`Tab never reached ${selector} (the focus is on ${await focused(page)})`);
}

// The message shown under question q ("" when hidden).
async function messageOf(page, q) {
	return page.evaluate((name) => {
		const m = document.getElementById("q-" + name + "-msg");
		return m && !m.hidden ? m.textContent : "";
	}, q);
}

async function texts(page, selector) {
	return page.$$eval(selector, (els) => els.map((e) => e.textContent.trim()));
}

// The screen at 390x844 (a phone), checked for its width; with SONDEO_SCREENSHOTS, full-page screenshots of it at
// 1366x768 and at 390x844.
const tooWide = [];   // screens wider than a phone's, found by shot()
async function shot(page, name) {
	shots++;
	const base = path.join(shotDir, `field-${String(shots).padStart(2, "0")}-${name}`);
	const size = page.viewportSize();
	// From the top: the bar sticks to where the page was scrolled.
	await page.evaluate(() => window.scrollTo(0, 0));
	if (shotDir) {
		await page.setViewportSize(DESKTOP);
		await page.screenshot({ path: base + ".png", fullPage: true });
	}
	await page.setViewportSize(MOBILE);
	if (shotDir)
		await page.screenshot({ path: base + "-mobile.png", fullPage: true });
	// A phone's screen holds the page's width: nothing scrolls sideways. Noted, and failed by the test of widths.
	const wide = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, screen: window.innerWidth,
		what: [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
			.slice(0, 3).map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).split(" ")[0] : "")) }));
	if (wide.page > wide.screen)
		tooWide.push(`${name}: ${wide.page} px on a ${wide.screen} px screen (${wide.what.join(", ")})`);
	await page.setViewportSize(size || DESKTOP);
	if (shotDir)
		console.log(`# screenshot: ${base}.png, ${path.basename(base)}-mobile.png`);
}

// axe-core's violations on the page as it is now (with a modal dialog open, what it leaves reachable), kept for
// the tests "axe: ..." at the end, so that a walk goes on past a screen axe finds fault with. axe is put in the page
// by the DevTools protocol, which the page's Content-Security-Policy does not govern: the page runs as served,
// with its policy whole.
const axeRuns = [];
async function axe(page, what) {
	try {
		if (!(await page.evaluate(() => !!window.axe)))
			await page.evaluate(AXE);
		const v = await page.evaluate(async () => {
			const r = await window.axe.run(document, { resultTypes: ["violations"] });
			return r.violations.map((x) => ({ id: x.id, impact: x.impact, help: x.help,
				nodes: x.nodes.slice(0, 6).map((n) => ({ target: n.target.join(" "),
					why: (n.failureSummary || "").replace(/\s+/g, " ").trim() })) }));
		});
		axeRuns.push({ what, violations: v, hash: await hash(page) });
	} catch (e) {
		axeRuns.push({ what, error: String(e) });
	}
}

function axeReport(v) {
	return v.map((x) => `${x.id} (${x.impact}): ${x.help}\n` + x.nodes.map((n) => `    ${n.target}: ${n.why}`).join("\n")).join("\n");
}

// --- The catalogs -------------------------------------------------------------------------------------------

// A .po file as {msgid (with "context\u0004" before it when it has one): msgstr, or [forms] for a plural}.
function readPo(file) {
	const out = {};
	let cur = null, field = null, fuzzy = false;
	const unq = (s) => JSON.parse(s.replace(/\\([^"\\nt])/g, "$1"));
	const flush = () => {
		if (cur && cur.msgid && !fuzzy) {
			const key = (cur.msgctxt !== undefined ? cur.msgctxt + "\u0004" : "") + cur.msgid;
			const forms = Object.keys(cur).filter((k) => k.startsWith("msgstr[")).sort().map((k) => cur[k]);
			out[key] = forms.length ? forms : cur.msgstr;
		}
		cur = null;
		fuzzy = false;
	};
	for (const line of fs.readFileSync(file, "utf8").split("\n")) {
		if (/^#~/.test(line))
			continue;
		if (/^#,.*\bfuzzy\b/.test(line)) {
			flush();
			fuzzy = true;
			continue;
		}
		let m;
		if ((m = /^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?)\s+(".*")\s*$/.exec(line))) {
			// A msgctxt or msgid after a msgstr begins the next entry.
			if ((m[1] === "msgctxt" || m[1] === "msgid") && cur && Object.keys(cur).some((k) => k.startsWith("msgstr")))
				flush();
			cur = cur || {};
			field = m[1];
			cur[field] = unq(m[2]);
		} else if ((m = /^(".*")\s*$/.exec(line)) && cur && field) {
			cur[field] += unq(m[1]);
		} else if (!line.trim()) {
			flush();
			field = null;
		}
	}
	flush();
	return out;
}

// The messages of a script, as the catalogs key them: the argument of each _("..."), the first of each
// P_("...", "...") and "CONTEXT\u0004MSGID" of each C_("CONTEXT", "MSGID"); its plurals as {msgid: plural}, and the
// English words each shows as {key: msgid}.
function scriptMessages(file) {
	const src = fs.readFileSync(file, "utf8");
	const out = new Set(), plural = {}, english = {};
	const str = (x) => JSON.parse(`"${x}"`);
	for (const m of src.matchAll(/\b(_|P_|C_)\(\s*"((?:[^"\\]|\\.)*)"(?:\s*,\s*"((?:[^"\\]|\\.)*)")?/g)) {
		const key = m[1] === "C_" ? str(m[2]) + "\u0004" + str(m[3]) : str(m[2]);
		out.add(key);
		english[key] = m[1] === "C_" ? str(m[3]) : str(m[2]);
		if (m[1] === "P_" && m[3] !== undefined)
			plural[key] = str(m[3]);
	}
	out.plural = plural;
	out.english = english;
	return out;
}

function pageMessages() {
	return scriptMessages(path.join(cfg.top, "web", "field", "field.js"));
}

function translated(po, msgid) {
	const t = po[msgid];
	return Array.isArray(t) ? t.some((x) => x) : !!t;
}

// --- The laptop's address: the key exchanged for the session's cookie --------------------------------------------

const ctx = await newContext();
let page = await newPage(ctx);

await test("the address sondeo web printed opens the home: the forms with their 'New record' links, sync, the records", async () => {
	await page.goto(cfg.url);
	same(page.url(), BASE + "/", "the address after the key was taken (the key leaves the address bar)");
	await page.waitForSelector('#records table.records');
	await settle(page);
	const forms = await page.$$eval("ul.forms a.button", (a) => a.map((x) => x.getAttribute("href")));
	check(forms.includes("#/new/partnership") && forms.includes("#/new/visit"), `the forms' links: ${forms}`);
	check(await page.$("#sync"), "no Sync button for an enrolled laptop");
	const rows = await page.$$eval("#records tbody tr a", (a) => a.map((x) => x.getAttribute("href")));
	const final = list();
	same(rows.length, final.length, "rows of the records table (the sample records, all final)");
	for (const r of final)
		check(rows.includes(`#/r/${r.id}/view`), `record ${r.id} is not linked to its view: ${rows}`);
	check(/1 conflict/.test(await page.textContent("section.glance")), `the glance: ${await page.textContent("section.glance")}`);
	await shot(page, "home");
	await axe(page, "home");
});

// --- The built-in form, with the keyboard only ---------------------------------------------------------------

let draft = null;       // the partnership record filled here
const TAB_CLOSED_AT = "thematic_areas";
// The built-in form's text question with a constraint (the contact's e-mail address), with an answer its constraint
// refuses and one it takes.
const CONSTRAINED = partnership.questions.find((q) => q.type === "text" && q.constraint && q.constraint_message).name;
const ANSWERS = { contact_email: ["grace@example", "grace@example.org"] };
// The stakeholder types: "other" (which asks the other type) and the one before it in the list.
const TYPES = partnership.questions.find((q) => q.name === "stakeholder_type").choices;
const OTHER = TYPES.findIndex((c) => c.name === "other");

// On text question q (focused), an answer its constraint refuses: the form's message shows as it is typed,
// before any Next, and Enter stays; then one it takes: the message goes, Enter goes on.
async function typedAgainstConstraint(page, q) {
	const def = partnership.questions.find((x) => x.name === q);
	const [wrong, right] = ANSWERS[q];
	same(await focused(page), "q-" + q, `the focus on ${q}`);
	await page.keyboard.type(wrong);
	await until(page, (n) => !document.getElementById("q-" + n + "-msg").hidden, q, { timeout: 5000 });
	same(await messageOf(page, q), labelOf(def.constraint_message, "en"), `the constraint's message as '${wrong}' is typed`);
	check((await hash(page)).endsWith("/q/" + q), "the page moved");
	check(!(q in show(draft).answers), "a refused answer was saved");
	await shot(page, "question-constraint");
	await page.keyboard.press("Enter");   // refused again, and stays
	await settle(page);
	check((await hash(page)).endsWith("/q/" + q), `Enter on a refused answer went on to ${await hash(page)}`);
	same(await messageOf(page, q), labelOf(def.constraint_message, "en"), "the constraint's message after Enter");
	await page.keyboard.press("Control+A");
	await page.keyboard.type(right);
	await until(page, (n) => document.getElementById("q-" + n + "-msg").hidden, q, { timeout: 5000 });
	await page.keyboard.press("Enter");
	await until(page, (n) => !location.hash.endsWith("/q/" + n), q);
	same(show(draft).answers[q], right, `the answer to ${q}`);
}

await test("partnership by keyboard: a required answer refused, 'other' made relevant then not, a constraint said as typed, back", async () => {
	const drafts = list(["--drafts"]).length;
	await tabTo(page, 'a[href="#/new/partnership"]');
	await page.keyboard.press("Enter");
	await atScreen(page, "partner_name");
	same(await focused(page), "q-partner_name", "the focus on a new screen");
	check(await page.$eval("#q-partner_name", (e) => e.getAttribute("aria-required")) === "true", "the required question is not aria-required");
	await axe(page, "a text question");
	await shot(page, "question-text");

	// Enter on an empty required question: its message, and the screen stays; nothing is saved.
	await page.keyboard.press("Enter");
	await until(page, () => !document.getElementById("q-partner_name-msg").hidden);
	await settle(page);
	same(await messageOf(page, "partner_name"), "This question needs an answer.", "the message of an unanswered required question");
	check((await hash(page)).endsWith("/q/partner_name"), `the page went on to ${await hash(page)}`);
	same(list(["--drafts"]).length, drafts, "records after Enter on an empty question (none is made)");
	same(await page.$eval("#q-partner_name", (e) => e.getAttribute("aria-invalid")), "true", "aria-invalid of the question refused");
	await shot(page, "question-required");

	await page.keyboard.type("Keyboard Coalition for Migrants");
	await page.keyboard.press("Enter");
	draft = await atScreen(page, "stakeholder_type");
	check(draft, `the record's address after its first answer: ${await hash(page)}`);
	let rec = show(draft);
	same([rec.status, rec.form, rec.answers.partner_name], ["draft", "partnership", "Keyboard Coalition for Migrants"],
		"sondeo show after the first answer");

	// A long list (15 choices) has a search box, focused first: typing filters, Enter takes the only one left.
	check(TYPES.length > 12 && OTHER > 0, `the stakeholder types are not a long list ending with 'other': ${JSON.stringify(TYPES)}`);
	same(await focused(page), "q-stakeholder_type-search", "the focus on a long list");
	await axe(page, "a long list of radio buttons with its search box");
	await shot(page, "question-radio-search");
	await page.keyboard.type("othe");
	const left = await page.$$eval("#q-stakeholder_type-list label.choice", (l) => l.filter((x) => !x.hidden).map((x) => x.textContent));
	same(left, ["Other"], "the choices left after typing 'othe'");
	await redrawn(page, () => page.keyboard.press("Enter"));
	same(show(draft).answers.stakeholder_type, "other", "stakeholder_type after Enter in the search box");
	check(await page.isChecked(`#q-stakeholder_type-${OTHER}`), "the radio 'Other' is not checked");
	// Its question is asked now: Alt+ArrowRight leads there; Next on it empty is refused.
	await page.keyboard.press("Alt+ArrowRight");
	await atScreen(page, "stakeholder_type_other");
	await page.keyboard.press("Enter");
	await until(page, () => !document.getElementById("q-stakeholder_type_other-msg").hidden);
	same(await messageOf(page, "stakeholder_type_other"), "This question needs an answer.", "the message of the question made relevant");
	await page.keyboard.type("Faith-based network");
	await page.keyboard.press("Enter");
	await atScreen(page, "country");
	same(show(draft).answers.stakeholder_type_other, "Faith-based network", "stakeholder_type_other saved");

	// Back twice (Alt+ArrowLeft), then another type with the arrow keys: the other type is no longer asked, and its
	// answer is gone from the store.
	await page.keyboard.press("Alt+ArrowLeft");
	await atScreen(page, "stakeholder_type_other");
	same(await page.inputValue("#q-stakeholder_type_other"), "Faith-based network", "the answer shown on going back");
	await page.keyboard.press("Alt+ArrowLeft");
	await atScreen(page, "stakeholder_type");
	// The search typed before is still there (the list narrowed to 'Other'): cleared, every choice is back.
	same(await focused(page), "q-stakeholder_type-search", "the focus on coming back");
	if (await page.inputValue("#q-stakeholder_type-search")) {
		await page.keyboard.press("Control+A");
		await page.keyboard.press("Backspace");
	}
	same(await page.$$eval("#q-stakeholder_type-list label.choice", (l) => l.filter((x) => !x.hidden).length), TYPES.length,
		"the choices shown once the search is cleared");
	await page.keyboard.press("Tab");
	same(await focused(page), `q-stakeholder_type-${OTHER}`, "Tab from the search box (to the radio checked)");
	await redrawn(page, () => page.keyboard.press("ArrowUp"));
	rec = show(draft);
	same(rec.answers.stakeholder_type, TYPES[OTHER - 1].name, "stakeholder_type after ArrowUp");
	check(!("stakeholder_type_other" in rec.answers), `the other type's answer is kept: ${JSON.stringify(rec.answers)}`);
	same(await focused(page), `q-stakeholder_type-${OTHER - 1}`, "the focus after the answer was saved");
	await page.keyboard.press("Alt+ArrowRight");
	await atScreen(page, "country");
	same(show(draft).answers.stakeholder_type, TYPES[OTHER - 1].name, "stakeholder_type after Alt+ArrowRight on the radio");

	// The countries, by name: typed into the list's search box, whatever the accents (or by code), Enter takes the
	// only one left.
	same(await focused(page), "q-country-search", "the focus on a long list");
	const countriesLeft = () => page.$$eval("#q-country-list label.choice", (l) => l.filter((x) => !x.hidden).map((x) => x.textContent));
	same((await countriesLeft()).length, partnership.questions.find((q) => q.name === "country").choices.length, "the countries offered");
	await page.keyboard.type("cote d");
	same(await countriesLeft(), ["Côte d'Ivoire"], "the countries left after typing 'cote d'");
	await page.keyboard.press("Control+A");
	await page.keyboard.type("GTM");
	same(await countriesLeft(), ["Guatemala"], "the countries left after typing the code 'GTM'");
	await page.keyboard.press("Control+A");
	await page.keyboard.type("keny");
	same(await countriesLeft(), ["Kenya"], "the countries left after typing 'keny'");
	await redrawn(page, () => page.keyboard.press("Enter"));
	await page.keyboard.press("Alt+ArrowRight");
	await atScreen(page, "level");
	same(answerText("partnership", "country", show(draft).answers.country), "Kenya", "the country");

	// Checkboxes: Space, Tab, Space.
	same(await focused(page), "q-level-0", "the focus on a list of checkboxes");
	await axe(page, "checkboxes");
	await redrawn(page, () => page.keyboard.press("Space"));
	same(await focused(page), "q-level-0", "the focus after a checkbox was saved");
	await page.keyboard.press("Tab");
	await redrawn(page, () => page.keyboard.press("Space"));
	same(show(draft).answers.level, ["local", "national"], "level");
	await shot(page, "question-checkboxes");
	const at = page.waitForResponse((r) => new URL(r.url()).pathname === "/api/at" &&
		(r.request().postData() || "").includes(`"${TAB_CLOSED_AT}"`));
	await page.keyboard.press("Alt+ArrowRight");
	await atScreen(page, TAB_CLOSED_AT);
	await at;
});

await test("the tab closed mid-way: a new tab at the home (no key: the cookie is kept) resumes the draft where it was", async () => {
	check(draft, "no draft from the test before");
	await page.close();
	page = await newPage(ctx);
	await page.goto(BASE + "/");
	await page.waitForSelector(`#records a[href="#/r/${draft}"]`);
	await settle(page);
	const row = await page.$eval(`#records a[href="#/r/${draft}"]`, (a) => a.closest("tr").textContent);
	check(/draft/.test(row) && row.includes("Keyboard Coalition for Migrants"), `the draft's row: ${row}`);
	// Searched for, as a person finds a record among many.
	await tabTo(page, "#f-q");
	await page.keyboard.type("keyboard coalition");
	await until(page, (id) => document.querySelectorAll("#records tbody tr").length === 1 &&
		document.querySelector(`#records a[href="#/r/${id}"]`), draft);
	await settle(page);
	await tabTo(page, `#records a[href="#/r/${draft}"]`);
	await page.keyboard.press("Enter");
	await atScreen(page, TAB_CLOSED_AT);
	same(await page.$$eval("#q-level-0, #q-level-1", (x) => x.length), 0, "questions of another screen shown");
	await page.keyboard.press("Alt+ArrowLeft");
	await atScreen(page, "level");
	check(await page.isChecked("#q-level-0") && await page.isChecked("#q-level-1") && !(await page.isChecked("#q-level-2")),
		"the levels checked before are not shown so");
	await page.keyboard.press("Alt+ArrowRight");
	await atScreen(page, TAB_CLOSED_AT);
});

await test("partnership by keyboard: on to the summary (defaults taken, optional questions left), Finalize, final in sondeo list", async () => {
	check(draft, "no draft from the test before");
	await redrawn(page, () => page.keyboard.press("Space"));
	same(show(draft).answers.thematic_areas, ["human_rights"], "thematic_areas");
	const seen = [TAB_CLOSED_AT];
	for (let i = 0; i < 30; i++) {
		const q = seen[seen.length - 1];
		const last = (await page.$eval("form.screen button[type=submit]", (b) => b.textContent)) === "Review";
		if (q === CONSTRAINED) {
			await typedAgainstConstraint(page, q);
		} else {
			// Enter in a text box goes on, as it submits the screen; elsewhere Alt+ArrowRight.
			const text = await page.evaluate(() => {
				const f = document.activeElement;
				return !!f && f.tagName === "INPUT" && /^(text|search)$/.test(f.type);
			});
			await page.keyboard.press(text ? "Enter" : "Alt+ArrowRight");
		}
		if (last)
			break;
		const h = await until(page, (was) => !location.hash.endsWith(was) && /\/q\/./.test(location.hash) && location.hash,
			"/r/" + draft + "/q/" + q);
		const next = decodeURIComponent(String(await h.jsonValue()).replace(/^.*\/q\//, ""));
		await atScreen(page, next);
		seen.push(next);
		if (next === "interview_date") {
			await axe(page, "a date");
			await shot(page, "question-date");
		} else if (next === "location") {
			await axe(page, "a geopoint");
			await shot(page, "question-geopoint");
		}
	}
	same(seen, [TAB_CLOSED_AT, "policy_areas", "platforms", "partnership_model", "achievements", "challenges", "good_practices",
		"replicable", "scale_up_potential", "contact_name", "contact_email", "interview_date", "location", "notes"], "the screens passed");
	await until(page, () => location.hash.endsWith("/summary") && document.getElementById("finalize"));
	await settle(page);
	const rec = show(draft);
	check(/^\d{4}-\d\d-\d\d$/.test(rec.answers.interview_date), `the interview date (its default, today): ${rec.answers.interview_date}`);
	// The summary: each question's answer as sondeo holds it, "—" where none.
	const rows = await page.$$eval("dl.summary .sum-row", (rs) => rs.map((r) => [
		(r.querySelector("dt a") || r.querySelector("dt")).getAttribute("href"), r.querySelector("dd").textContent]));
	const shown = {};
	for (const [href, text] of rows)
		shown[decodeURIComponent(String(href).replace(/^.*\/q\//, ""))] = text;
	for (const [name, value] of Object.entries(rec.answers))
		same(shown[name], answerText("partnership", name, value), `the summary's answer to ${name}`);
	for (const name of ["policy_areas", "notes"])
		same(shown[name], "—", `the summary's answer to ${name} (none)`);
	check(!("stakeholder_type_other" in shown), "the summary lists the question no longer asked");
	same(await page.isDisabled("#finalize"), false, "Finalize disabled");
	await axe(page, "the summary");
	await shot(page, "summary");
	await tabTo(page, "#finalize", 40);
	await page.keyboard.press("Enter");
	await until(page, () => location.hash === "#/" && document.querySelector("#records table"));
	await settle(page);
	same(await page.textContent("#toast"), "Finalized: it will be sent at the next sync.", "the toast");
	const mine = list().find((r) => r.id === draft);
	check(mine, "the record is not among sondeo list's final records");
	same([mine.status, mine.partner_name], ["final", "Keyboard Coalition for Migrants"], "sondeo list --json");
	await shot(page, "home-after-finalize");
});

// --- The imported form: a field-list group with a choice_filter, a calculation, a repeat, the outline ---------

let visit = null;
let instance = null;

await test("visit: the field-list group's questions on one screen; the cities offered follow the country, live", async () => {
	await page.goto(BASE + "/#/new/visit");
	await atScreen(page, "site");
	await page.keyboard.type("Village well");
	await page.keyboard.press("Enter");
	visit = await atScreen(page, "country");
	check(visit, "the record was not made by its first answer");
	same(await page.$$eval("form.screen .question", (q) => q.map((x) => x.getAttribute("data-q"))), ["country", "city"],
		"the questions of the field-list screen");
	same(await page.textContent("form.screen h2.group"), "Place", "the group's heading");
	same(await texts(page, "#q-city-list label.choice"), [], "the cities offered before a country is chosen");
	await redrawn(page, () => page.check("#q-country-0"));
	same(await texts(page, "#q-city-list label.choice"), ["Nairobi", "Mombasa"], "the cities of Kenya");
	await redrawn(page, () => page.check("#q-city-1"));
	same(show(visit).answers.city, "mombasa", "the city");
	// Another country: the cities of Uganda are offered; the city of Kenya, still the answer in the store, is
	// said not to fit, and the screen cannot be left until a city of Uganda is chosen.
	await redrawn(page, () => page.check("#q-country-1"));
	same(await texts(page, "#q-city-list label.choice"), ["Kampala", "Gulu"], "the cities of Uganda");
	same(show(visit).answers.country, "ug", "the country");
	const stale = await messageOf(page, "city");
	check(show(visit).answers.city !== "mombasa" || stale !== "",
		"the city of Kenya is kept for a place in Uganda, and the page says nothing about it");
	await shot(page, "field-list-city-not-offered");
	if (stale) {
		await page.click("form.screen button[type=submit]");
		await settle(page);
		check((await hash(page)).endsWith("/q/country"), `Next left a city that is not offered: ${await hash(page)}`);
	}
	await redrawn(page, () => page.check("#q-city-1"));
	same(show(visit).answers.city, "gulu", "the city");
	same(await messageOf(page, "city"), "", "the city's message once a city of Uganda is chosen");
	await axe(page, "a field-list group");
	await shot(page, "field-list-choice-filter");
	await page.click("form.screen button[type=submit]");
	await atScreen(page, "adults");
});

await test("visit: a calculation from two integers shown in the note after them", async () => {
	check(visit, "no visit from the test before");
	await axe(page, "an integer");
	await page.keyboard.type("2.5");
	await page.keyboard.press("Enter");
	await until(page, () => !document.getElementById("q-adults-msg").hidden);
	check(/whole number/.test(await messageOf(page, "adults")), `the message for 2.5: ${await messageOf(page, "adults")}`);
	await page.keyboard.press("Control+A");
	await page.keyboard.type("2");
	await page.keyboard.press("Enter");
	await atScreen(page, "children");
	await page.keyboard.type("3");
	await page.keyboard.press("Enter");
	await atScreen(page, "total_note");
	same(await page.textContent('.question[data-q="total_note"] .note'), "People in the household: 5", "the note");
	same(show(visit).answers.total, "5", "the calculation in sondeo show");
	await axe(page, "a note");
	await shot(page, "note-calculation");
	// Back, another number: the note follows.
	await page.keyboard.press("Alt+ArrowLeft");
	await atScreen(page, "children");
	await page.keyboard.press("Control+A");
	await page.keyboard.type("4");
	await page.keyboard.press("Enter");
	await atScreen(page, "total_note");
	same(await page.textContent('.question[data-q="total_note"] .note'), "People in the household: 6", "the note after a change");
	same(show(visit).answers.total, "6", "the calculation after a change");
	await page.keyboard.press("Alt+ArrowRight");
	await atScreen(page, "repeat:visit");
});

await test("visit: a repeat's instance added, filled and finished; the record lists it", async () => {
	check(visit, "no visit from the test before");
	same((await texts(page, "form.screen .repeat h2")), ["Visit"], "the repeat's heading");
	same((await texts(page, "form.screen .repeat p.muted"))[0], "0 so far", "the count of instances");
	await axe(page, "a repeat");
	await shot(page, "repeat-empty");
	await page.click("form.screen .repeat button");
	await until(page, (id) => location.hash.startsWith("#/i/" + id + "/visit"), visit);
	await atScreen(page, "visitor");
	same((await page.textContent("nav.crumbs")).replace(/\s+/g, " ").trim(), "Home › Household visit › Visit", "where the page says it is");
	await page.keyboard.type("Amina");
	await page.keyboard.press("Enter");
	instance = await atScreen(page, "useful");
	check(instance && instance !== visit, `the instance's address: ${await hash(page)}`);
	await axe(page, "a short list of radio buttons");
	await page.keyboard.press("Space");   // the first radio, focused: Yes
	await settle(page);
	check(await page.isChecked("#q-useful-0"), "Space did not check 'Yes'");
	same(await page.textContent("form.screen button[type=submit]"), "Review", "the last screen's button");
	await page.keyboard.press("Alt+ArrowRight");
	await page.waitForSelector("#finalize");
	await settle(page);
	same(await page.textContent("#finalize"), "Finish this entry", "the instance's Finalize");
	await shot(page, "repeat-instance-summary");
	await page.click("#finalize");
	await until(page, (id) => location.hash === "#/r/" + id + "/q/" + encodeURIComponent("repeat:visit") &&
		document.querySelector("form.screen .repeat ol.instances"), visit);
	await settle(page);
	same(await texts(page, "form.screen .repeat ol.instances li a"), ["Amina"], "the instances listed");
	same((await texts(page, "form.screen .repeat p.muted"))[0], "1 so far", "the count of instances");
	const inst = show(instance);
	same([inst.status, inst.answers.visitor, inst.answers.useful], ["final", "Amina", "yes"], "sondeo show of the instance");
	// sondeo show --json does not name an instance's record: its words do, and the record's list its instances.
	const words = sondeo(["show", visit]);
	check(words.includes(instance.slice(0, 8)) && words.includes("Amina"), `sondeo show of the visit lacks its instance:\n${words}`);
	await shot(page, "repeat-one");
});

await test("visit: an instance removed from its repeat, asked first (Cancel keeps it); Undo brings it back", async () => {
	check(visit && instance, "no visit or instance from the tests before");
	await page.click("form.screen .repeat ol.instances li .remove");
	await page.waitForSelector("dialog[open]");
	await page.keyboard.press("Enter");   // Cancel has the focus: a hurried Enter deletes nothing
	await until(page, () => !document.querySelector("dialog[open]"));
	same(show(instance).deleted, false, "the instance after Cancel");
	await page.click("form.screen .repeat ol.instances li .remove");
	await page.waitForSelector("dialog[open]");
	await page.click("#confirm-delete");
	await page.waitForSelector("#undo");
	await until(page, () => !document.querySelector("form.screen .repeat ol.instances"));
	same((await texts(page, "form.screen .repeat p.muted"))[0], "0 so far", "the count of instances after the removal");
	same(show(instance).deleted, true, "the instance in the store");
	await page.click("#undo");
	await until(page, () => document.querySelector("form.screen .repeat ol.instances"));
	same(await texts(page, "form.screen .repeat ol.instances li a"), ["Amina"], "the instances after Undo");
	same(show(instance).deleted, false, "the instance in the store after Undo");
});

await test("visit: the outline marks answered and unanswered screens, jumps to one; the record finalized", async () => {
	check(visit, "no visit from the test before");
	await redrawn(page, () => page.click("form.screen button:text-is('Outline')"));
	const items = await page.$$eval("ol.outline li", (l) => l.map((x) => ({ cls: x.className, mark: x.querySelector(".mark").textContent,
		sr: x.querySelector(".sr-only").textContent, href: x.querySelector("a").getAttribute("href"),
		current: x.querySelector("a").getAttribute("aria-current") })));
	const keys = items.map((x) => decodeURIComponent(x.href.replace(/^.*\/q\//, "")));
	same(keys, ["site", "country", "adults", "children", "total_note", "repeat:visit", "remarks"], "the outline's screens");
	// A screen is answered when each of its questions is; one with a required question unanswered needs an answer.
	const rec = show(visit), def = formDef("visit");
	const questionsOf = (k) => (k === "country" ? ["country", "city"] : [k]).map((n) => def.questions.find((q) => q.name === n))
		.filter((q) => q && q.type !== "note");
	const mark = (k) => questionsOf(k).some((q) => q.required && rec.answers[q.name] === undefined) ? "!" :
		questionsOf(k).every((q) => rec.answers[q.name] !== undefined) ? "✓" : "○";
	const words = { "!": "needs an answer or a fix:", "✓": "answered:", "○": "not answered:" };
	same(items.map((x) => x.mark), keys.map(mark), "the outline's marks");
	same(items.map((x) => x.sr), keys.map((k) => words[mark(k)]), "the marks read out");
	same(keys.map(mark), ["✓", "✓", "✓", "✓", "✓", "✓", "○"], "the marks expected (all answered but the remarks)");
	same(items.filter((x) => x.current).map((x) => x.current), ["step"], "the current screen marked");
	await axe(page, "the outline");
	await shot(page, "outline");
	await page.click('ol.outline a[href$="/q/remarks"]');
	await atScreen(page, "remarks");
	same(await page.$eval("#q-remarks", (e) => e.tagName), "TEXTAREA", "a multiline text");
	await axe(page, "a multiline text");
	await page.keyboard.type("Dry season");
	await page.keyboard.press("Enter");
	await page.keyboard.type("water low");
	await page.keyboard.press("Control+Enter");
	await until(page, () => location.hash.endsWith("/summary") && document.getElementById("finalize"));
	await settle(page);
	same(show(visit).answers.remarks, "Dry season\nwater low", "the multiline answer");
	await page.click("#finalize");
	await until(page, () => location.hash === "#/" && document.querySelector("#records table"));
	same(list(["--form", "visit"]).map((r) => [r.id, r.status]), [[visit, "final"]], "the visits in sondeo list");
});

await test("typed, then left at once for the home: the check of what was typed, due a moment later, raises no script error", async () => {
	check(visit, "no visit from the tests before");
	await page.evaluate((id) => { location.hash = "#/r/" + id + "/q/site"; }, visit);
	await atScreen(page, "site");
	const before = problems.length;
	await page.keyboard.type(" east");
	await page.click('nav.crumbs a[href="#/"]');
	await until(page, () => location.hash === "#/" && document.querySelector("#records table"));
	// The page checks what was typed 300 ms after the last key (checkLater): a timer the page is given later, for
	// longer, fires after that one.
	await page.evaluate(() => new Promise((r) => setTimeout(r, 600)));
	await settle(page);
	same(show(visit).answers.site, "Village well", "the site (what was typed and not given is not saved)");
	const mine = problems.splice(before);
	for (const x of mine)
		reported.add(errorSignature(x));
	check(!mine.length, `script errors:\n${mine.join("\n")}`);
});

// --- Attachments ---------------------------------------------------------------------------------------------

await test("files: a photo picked is kept (scaled) and shown; a signature drawn is saved as a PNG; a file the question does not take is refused beside it", async () => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), "field-files-"));
	// A PNG of 200x100 pixels, made here: the photo question scales it to 64.
	const png = (w, h) => {
		const crc = (b) => { let c = ~0; for (const x of b) { c ^= x; for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1)); } return ~c >>> 0; };
		const chunk = (t, d) => { const l = Buffer.alloc(4); l.writeUInt32BE(d.length); const td = Buffer.concat([Buffer.from(t), d]); const c = Buffer.alloc(4); c.writeUInt32BE(crc(td)); return Buffer.concat([l, td, c]); };
		const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
		const raw = Buffer.alloc((w * 3 + 1) * h, 0x80); for (let y = 0; y < h; y++) raw[y * (w * 3 + 1)] = 0;
		return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", zlib.deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
	};
	fs.writeFileSync(path.join(dir, "meeting.png"), png(200, 100));
	fs.writeFileSync(path.join(dir, "minutes.txt"), "not a memorandum");
	await page.goto(BASE + "/#/new/files");
	await atScreen(page, "photo");
	same(await page.getAttribute("#q-photo", "accept"), "image/*", "what the photo's picker offers");
	await redrawn(page, () => page.setInputFiles("#q-photo", path.join(dir, "meeting.png")));
	const id = await atScreen(page, "photo");
	check(id, "the record was not made by its first file");
	const photo = show(id).answers.photo;
	same([photo.type, photo.name], ["image/png", "meeting.png"], "the photo's answer");
	await page.waitForSelector("img.media-thumb");
	same(await page.$eval("img.media-thumb", (i) => [i.naturalWidth, i.naturalHeight]), [64, 32], "the photo shown, as kept: scaled to 64");
	await axe(page, "an attachment with its thumbnail");
	await shot(page, "attachment-photo");
	await page.click("form.screen button[type=submit]");
	await atScreen(page, "sig");
	const box = await page.$("canvas.signature");
	check(box, "no pad to sign on");
	const b = await box.boundingBox();
	await page.mouse.move(b.x + 20, b.y + b.height / 2);
	await page.mouse.down();
	for (let k = 1; k <= 10; k++)
		await page.mouse.move(b.x + 20 + k * 30, b.y + b.height / 2 + (k % 2 ? -20 : 20));
	await page.mouse.up();
	await shot(page, "attachment-signature");
	await redrawn(page, () => page.click("text=Save the signature"));
	const sig = show(id).answers.sig;
	same([sig && sig.type, sig && sig.name], ["image/png", "signature.png"], "the signature's answer");
	await page.click("form.screen button[type=submit]");
	await atScreen(page, "mou");
	same(await page.getAttribute("#q-mou", "accept"), ".pdf,application/pdf", "what the memorandum's picker offers");
	// Refused: the screen stays as it is, the message beside the question.
	await page.setInputFiles("#q-mou", path.join(dir, "minutes.txt"));
	await page.waitForFunction(() => { const m = document.getElementById("q-mou-msg"); return m && !m.hidden && m.textContent; });
	same(await messageOf(page, "mou"), "'minutes.txt' (text/plain) is not a file this question takes", "the refusal, beside the question");
	check(!show(id).answers.mou, "a file the question does not take was saved");
	fs.rmSync(dir, { recursive: true, force: true });
});

// An attachment's file in laptop A's store (media/XX/HASH) or the server's: its bytes, or null when it is not there.
function storedFile(dir, hex) {
	const f = path.join(dir, "media", hex.slice(0, 2), hex);
	return fs.existsSync(f) ? fs.readFileSync(f) : null;
}

// The BLAKE2b-256 of a file's bytes, as b2sum says (node's crypto has BLAKE2b-512 only).
function blake2b(bytes) {
	return execFileSync("b2sum", ["-l", "256"], { input: bytes }).toString().slice(0, 64);
}

// What the answer q of record id names, checked against what sondeo holds: named name, of one of the types of
// magic ({type: the hex of the first bytes of such a file}), its bytes on laptop A (of its size and hash, starting
// as its type's do), and `sondeo show` saying it is on this laptop. Returns the answer.
function keptOnLaptop(id, q, name, magic) {
	const v = show(id).answers[q];
	check(v && typeof v === "object", `the answer to ${q} in sondeo show: ${JSON.stringify(v)}`);
	check(v.type in magic && v.name === name, `the answer to ${q}: ${v.type} '${v.name}', expected ${Object.keys(magic).join(" or ")} '${name}'`);
	check(Number.isInteger(v.size) && v.size > 0, `the size of the answer to ${q}: ${v.size}`);
	const bytes = storedFile(cfg.home_a, v.blake2b);
	check(bytes, `the file of ${q} (${v.blake2b}) is not in laptop A's store`);
	same([bytes.length, blake2b(bytes)], [v.size, v.blake2b], `the file of ${q} as stored (its size and hash)`);
	same(bytes.subarray(0, magic[v.type].length / 2).toString("hex"), magic[v.type], `the first bytes of the file of ${q}`);
	const line = sondeo(["show", id]).split("\n").find((l) => l.includes(name));
	check(line && line.includes(`${name} (${v.type}, `) && /, on this laptop$/.test(line), `sondeo show's line of ${q}: ${line}`);
	return v;
}

let camera = null;   // {id, photo, voice}: the record made with the camera and the microphone, for the sync's test

await test("files: a photo taken with the camera is saved as a JPEG, a recording from the microphone as WebM audio, both kept on the laptop; the record finalized", async () => {
	await page.goto(BASE + "/#/new/files");
	await atScreen(page, "photo");
	// The streams the page opens, watched (what getUserMedia gives it is unchanged): the camera and the microphone
	// must be off once the photo is taken and the recording stopped.
	await page.evaluate(() => {
		const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
		window.fieldStreams = [];
		navigator.mediaDevices.getUserMedia = (c) => open(c).then((s) => {
			window.fieldStreams.push(s);
			return s;
		});
	});
	const streams = () => page.evaluate(() => window.fieldStreams.map((s) => s.getTracks().map((t) => `${t.kind} ${t.readyState}`).join(", ")));
	// The camera's preview: "Take the photo" clicked the moment it appears, before the camera's picture has come,
	// takes nothing (the canvas would be empty, and sending its null blob would clear the answer); once the picture
	// has come, it takes the photo.
	const sent = page.posts.length;
	await page.evaluate(() => {
		new MutationObserver((changes, seen) => {
			const b = document.querySelector(".camera button.primary");
			if (!b)
				return;
			seen.disconnect();
			window.fieldEarly = { width: document.querySelector(".camera video").videoWidth, disabled: b.disabled };
			b.click();
		}).observe(document.getElementById("view"), { childList: true, subtree: true });
	});
	await page.click("form.screen .media-widget button:text-is('Take a photo')");
	await until(page, () => { const b = document.querySelector(".camera button.primary"); return b && !b.disabled; });
	same(await page.evaluate(() => window.fieldEarly), { width: 0, disabled: true }, "the preview as it appeared: its picture's width, whether its button was disabled");
	const picture = await page.$eval(".camera video", (v) => v.readyState >= 2 ? [v.videoWidth, v.videoHeight] : []);
	check(picture[0] > 0 && picture[1] > 0, `the camera's picture once the button takes it: ${JSON.stringify(picture)}`);
	await settle(page);
	same(page.posts.slice(sent), [], "what the page sent when the photo was taken too early");
	await axe(page, "the camera's preview");
	await shot(page, "attachment-camera");
	await redrawn(page, () => page.click(".camera button:text-is('Take the photo')"));
	const id = await atScreen(page, "photo");
	check(id, "the record was not made by the photo taken");
	same(await streams(), ["video ended"], "the streams opened, once the photo is taken (the camera's, stopped)");
	const photo = keptOnLaptop(id, "photo", "photo.jpg", { "image/jpeg": "ffd8ff" });
	// The camera's picture (640x480 from Chromium's fake camera), scaled to the question's max_pixels, and shown.
	await page.waitForSelector("img.media-thumb");
	await until(page, () => document.querySelector("img.media-thumb").complete);
	const thumb = await page.$eval("img.media-thumb", (i) => [i.naturalWidth, i.naturalHeight]);
	const longer = Math.max(...picture);
	check(Math.max(...thumb) === 64 && thumb.every((n, k) => Math.abs(n - picture[k] * 64 / longer) <= 1),
		`the photo shown, as kept: ${thumb.join("x")}, expected the camera's ${picture.join("x")} scaled to 64`);
	// The camera's picture, not a blank canvas: the fake camera's green frame has a sweeping disc (empty at times),
	// the time in bright digits and four corner squares whose shades differ, so its lightest and darkest pixels are
	// apart even scaled to 64 pixels; a canvas drawn before the picture came, or never, is all of one shade.
	const span = await page.$eval("img.media-thumb", (i) => {
		const c = document.createElement("canvas"), g = c.getContext("2d");
		c.width = i.naturalWidth;
		c.height = i.naturalHeight;
		g.drawImage(i, 0, 0);
		const d = g.getImageData(0, 0, c.width, c.height).data;
		let lo = 255, hi = 0;
		for (let k = 0; k < d.length; k += 4) {
			const y = (d[k] * 299 + d[k + 1] * 587 + d[k + 2] * 114) / 1000;
			lo = Math.min(lo, y);
			hi = Math.max(hi, y);
		}
		return [Math.round(lo), Math.round(hi)];
	});
	check(span[1] - span[0] >= 24, `the photo is all of one shade (luma from ${span[0]} to ${span[1]}): not the camera's picture`);
	// The camera's preview open, the person goes to another question: the camera is stopped, not left on.
	await page.click("form.screen .media-widget button:text-is('Take a photo')");
	await until(page, () => window.fieldStreams.length === 2 && document.querySelector(".camera video"));
	await redrawn(page, () => page.evaluate((r) => { location.hash = "#/r/" + r + "/q/voice"; }, id));
	await atScreen(page, "voice");
	same(await streams(), ["video ended", "video ended"], "the streams opened, once the screen with the camera's preview is left");
	// The microphone: Record, the button says it records; a second or so; Stop saves it.
	await page.click("form.screen .media-widget button:text-is('Record')");
	await until(page, () => [...document.querySelectorAll("form.screen .media-widget button")].some((b) => b.textContent === "Stop recording"));
	await pause(1000);   // the clip's length
	await redrawn(page, () => page.click("form.screen .media-widget button:text-is('Stop recording')"));
	await atScreen(page, "voice");
	same(await streams(), ["video ended", "video ended", "audio ended"], "the streams opened, once the recording is stopped (the microphone's, stopped)");
	const voice = keptOnLaptop(id, "voice", "recording.webm", { "audio/webm": "1a45dfa3", "audio/ogg": "4f676753" });
	check(voice.size > 1000, `the recording of a second is ${voice.size} bytes`);
	console.log(`# the camera's ${picture.join("x")} photo: ${photo.size} bytes as kept; the recording: ${voice.size} bytes of ${voice.type}`);
	check(await page.$(`audio[src="/api/media?blake2b=${voice.blake2b}"]`), "the recording is not offered to be played");
	same(show(id).answers.photo, photo, "the photo after the recording");
	await redrawn(page, () => page.evaluate((r) => { location.hash = "#/r/" + r + "/summary"; }, id));
	await page.waitForSelector("#finalize");
	await settle(page);
	await page.click("#finalize");
	await until(page, () => location.hash === "#/" && document.querySelector("#records table"));
	await settle(page);
	same(show(id).status, "final", "the record's status");
	camera = { id, photo, voice };
});

// --- The page in French, in Spanish and in the pseudo-language ----------------------------------------------

const PAGE_MSGS = pageMessages();
const PO = { fr: readPo(path.join(cfg.top, "po", "fr.po")), es: readPo(path.join(cfg.top, "po", "es.po")) };

// The messages of the review page's scripts (web/*.js): those the two pages share.
function reviewMessages() {
	const out = new Set();
	for (const f of fs.readdirSync(path.join(cfg.top, "web")).filter((x) => x.endsWith(".js")))
		for (const m of scriptMessages(path.join(cfg.top, "web", f)))
			out.add(m);
	return out;
}

// The catalog sondeo web serves for lang (GET /i18n?lang=LANG).
async function served(p, lang) {
	return p.evaluate((l) => fetch("/i18n?lang=" + l).then((r) => r.json()), lang);
}

await test("GET /i18n?lang=LANG gives the field page each message of field.js its catalog has (po/fr.po, po/es.po; qps: every one)", async () => {
	const shared = reviewMessages(), bad = [];
	let fieldOnly = true;
	for (const lang of ["fr", "es", "qps"]) {
		const c = await served(page, lang);
		same(c.lang, lang, "the catalog's language");
		const want = [...PAGE_MSGS].filter((m) => lang === "qps" || translated(PO[lang], m));
		const lacking = want.filter((m) => !(m in c.messages));
		if (lacking.length) {
			bad.push(`${lang}: ${lacking.length} of the ${want.length} messages, among them ${lacking.slice(0, 8).map((m) => JSON.stringify(m)).join(", ")}`);
			fieldOnly = fieldOnly && lacking.every((m) => !shared.has(m));
		}
	}
	check(!bad.length, "the catalogs served lack messages of field.js:\n" + bad.join("\n") + (fieldOnly ?
		"\nEach one lacking is a message of web/field/field.js alone (those it shares with web/*.js are served): the " +
		"Makefile cuts the pages' catalogs with msggrep -N 'web/*', which takes no file of web/field/ (add -N 'web/field/*')" : ""));
});

// Words the page shows on its home and on a question, each checked when its catalog translates it.
const CHECKED_MSGS = ["Forms", "New record", "Records", "Sync", "Sync now", "Search", "Next", "Back", "Outline", "Language"];

for (const lang of ["fr", "es"]) {
	await test(`${lang}: #lang switches the page: <html lang>, the form's own texts, and each word of the page its catalog translates`, async () => {
		const p = await newPage(ctx);
		const wrong = [];   // what the page shows otherwise than po/LANG.po says
		try {
			await p.goto(BASE + "/");
			await p.waitForSelector("#records table");
			same(await p.$$eval("#lang option", (o) => o.map((x) => x.value)), ["en", "es", "fr", "qps"], "the languages offered");
			await redrawn(p, () => p.selectOption("#lang", lang));
			await p.waitForSelector("#records table");
			await settle(p);
			p.requests.length = 0;   // those before the choice were in English
			same(await p.evaluate(() => document.documentElement.lang), lang, "<html lang>");
			same(await p.evaluate(() => localStorage.getItem("sondeo.lang")), lang, "the language remembered");
			const forms = await texts(p, "ul.forms .form-name strong");
			check(forms.includes(partnership.title[lang]), `the form's title in ${lang}: ${forms}`);
			const untranslated = [];
			const body = () => p.evaluate(() => document.body.innerText);
			const words = async (msgs, where) => {
				const text = await body();
				for (const m of msgs) {
					if (!translated(PO[lang], m))
						untranslated.push(m);
					else if (!text.includes(PO[lang][m]))
						wrong.push(`'${PO[lang][m]}' (${m}) is not on ${where}`);
				}
			};
			await words(["Forms", "New record", "Records", "Sync", "Sync now", "Search", "Language"], "the home");
			await shot(p, `${lang}-home`);
			await p.evaluate(() => { location.hash = "#/new/partnership"; });
			await atScreen(p, "partner_name");
			const q = partnership.questions[0];
			// What the eye reads, and apart, what a screen reader is told of a required question.
			same(await p.$eval('label[for="q-partner_name"]', (l) => [...l.childNodes].filter((n) =>
				!(n.classList && n.classList.contains("sr-only"))).map((n) => n.textContent).join("")),
				q.label[lang] + " *", "the question's label");
			same((await p.textContent('label[for="q-partner_name"] .sr-only')).trim(), PO[lang]["(required)"],
				"the question's label, as a screen reader says it is required");
			same(await p.textContent("#q-partner_name-hint"), q.hint[lang], "the question's hint");
			await words(["Next", "Back", "Outline"], "a question's screen");
			await p.keyboard.press("Enter");
			await until(p, () => !document.getElementById("q-partner_name-msg").hidden);
			const msg = await messageOf(p, "partner_name");
			const want = PO[lang]["This question needs an answer."];
			if (want && msg !== want)
				wrong.push(`the message of a missing answer is '${msg}', not '${want}'`);
			await shot(p, `${lang}-question`);
			// The countries by name in the language chosen, found by a part of that name typed without accents (the
			// country chosen before, Kenya, stays shown).
			check(draft, "no record from the partnership's tests");
			await p.evaluate((id) => { location.hash = "#/r/" + id + "/q/country"; }, draft);
			await atScreen(p, "country");
			const country = partnership.questions.find((x) => x.name === "country").choices;
			const named = (code) => country.find((c) => c.name === code).label[lang];
			await p.fill("#q-country-search", lang === "fr" ? "allem" : "alema");
			same(await p.$$eval("#q-country-list label.choice", (l) => l.filter((x) => !x.hidden).map((x) => x.textContent)),
				[named("DEU"), named("KEN")], `the countries found in ${lang}`);
			await p.fill("#q-country-search", lang === "fr" ? "etats-unis" : "estados unidos");
			same(await p.$$eval("#q-country-list label.choice", (l) => l.filter((x) => !x.hidden).map((x) => x.textContent)),
				[named("KEN"), named("USA"), named("UMI"), named("VIR")].sort((a, b) => country.findIndex((c) => c.label[lang] === a) -
					country.findIndex((c) => c.label[lang] === b)), `the countries found in ${lang} without accents`);
			await shot(p, `${lang}-countries`);
			const other = p.requests.filter((r) => !r.lang.startsWith(lang));
			check(!other.length, `requests without Accept-Language: ${lang}: ${other.slice(0, 3).map((r) => `${r.url} (${r.lang})`).join(", ")}`);
			const gaps = [...PAGE_MSGS].filter((m) => !translated(PO[lang], m));
			if (gaps.length)
				console.log(`# po/${lang}.po lacks ${gaps.length} of the field page's ${PAGE_MSGS.size} messages (make po, then ` +
					`translate), among them: ${gaps.slice(0, 12).map((m) => JSON.stringify(m)).join(", ")}`);
			if (untranslated.length)
				console.log(`# ${lang}: not checked on screen, untranslated in po/${lang}.po: ${untranslated.join(", ")}`);
			check(!wrong.length, wrong.join("\n"));
		} finally {
			await p.selectOption("#lang", "en").catch(() => {});
			await p.close();
		}
	});
}

// The strings of /api's answers the page shows as they are (the forms' texts, answers, titles, names, the sync's
// server); the messages sondeo words (a missing answer, a refusal, the sync's words) are not data: they must be in
// the catalog.
const NOT_DATA = new Set(["missing", "error", "message", "output", "csrf", "type", "appearance", "status", "when", "id", "device"]);
function dataStrings(v, into, key) {
	if (typeof v === "string") {
		if (!NOT_DATA.has(key) && /[A-Za-z]{2}/.test(v)) {
			into.add(v);
			for (const part of v.split(/\$\{[^}]*\}/))
				if (part.trim().length >= 2)
					into.add(part.trim());
		}
	} else if (Array.isArray(v)) {
		for (const x of v)
			dataStrings(x, into, key);
	} else if (v && typeof v === "object") {
		for (const [k, x] of Object.entries(v))
			dataStrings(x, into, k);
	}
	return into;
}


await test("qps: no English word is left on any screen in the pseudo-language (every message goes through the catalog)", async () => {
	const p = await newPage(ctx);
	const found = [];
	const collect = async (name) => {
		for (const x of await pageTexts(p, "select#lang", true))
			found.push({ where: `${name}: ${x.where}`, text: x.text });
		await shot(p, `qps-${name}`);
	};
	try {
		await p.goto(BASE + "/");
		await p.waitForSelector("#records table");
		await redrawn(p, () => p.selectOption("#lang", "qps"));
		await p.waitForSelector("#records table");
		await settle(p);
		same(await p.evaluate(() => document.documentElement.lang), "qps", "<html lang>");
		await collect("home");
		await p.selectOption("#f-state", "deleted");   // no record: the page says so
		await settle(p);
		await collect("home-no-records");
		await p.selectOption("#f-state", "");
		await settle(p);
		await p.evaluate(() => { location.hash = "#/new/partnership"; });
		await atScreen(p, "partner_name");
		await p.keyboard.press("Enter");
		await until(p, () => !document.getElementById("q-partner_name-msg").hidden);
		await collect("question-required");
		await p.evaluate((id) => { location.hash = "#/r/" + id + "/q/stakeholder_type"; }, draft);
		await atScreen(p, "stakeholder_type");
		await collect("question-radio-search");
		await p.evaluate((id) => { location.hash = "#/r/" + id + "/q/location"; }, draft);
		await atScreen(p, "location");
		await collect("question-geopoint");
		await p.evaluate((id) => { location.hash = "#/r/" + id + "/summary"; }, draft);
		await p.waitForSelector("dl.summary");
		await settle(p);
		await collect("summary");
		await redrawn(p, () => p.evaluate((id) => { location.hash = "#/r/" + id + "/view"; }, cfg.conflict));
		await collect("record-conflict");
		await p.click("#history");
		await p.waitForSelector("#history-box table");
		await collect("record-history");
		await p.click("#view button.danger");
		await p.waitForSelector("dialog[open]");
		await collect("delete-dialog");
		await p.keyboard.press("Escape");
		await p.evaluate((id) => { location.hash = "#/r/" + id + "/q/" + encodeURIComponent("repeat:visit"); }, visit);
		await atScreen(p, "repeat:visit");
		await collect("repeat");
		await redrawn(p, () => p.click("form.screen .nav-buttons button:nth-of-type(2)"));
		await collect("outline");
		const data = new Set();
		for (const a of await Promise.all(p.answers))
			dataStrings(a, data, "");
		const localeWords = await p.evaluate(() => {
			const w = [];
			for (const code of ["en", "es", "fr", "qps"])
				for (const inl of ["qps", "en"])
					try { w.push(new Intl.DisplayNames([inl], { type: "language" }).of(code)); } catch (e) { /* none */ }
			return w.filter((x) => x && x.length > 2);
		});
		const left = englishLeft(found, data, localeWords, new Set(["Sondeo"]));
		check(found.length > 150, `only ${found.length} texts collected`);
		if (left.length) {
			// A text that is a message of field.js the served catalog lacks (the test before names them) is the
			// catalog's fault; any other English word is the page's: words shown without going through _().
			const qps = await served(p, "qps");
			const lacking = [...PAGE_MSGS].filter((m) => !(m in qps.messages));
			const patterns = lacking.map((m) => PAGE_MSGS.english[m]).concat(lacking.map((m) => PAGE_MSGS.plural[m]).filter(Boolean)).map((m) =>
				new RegExp(m.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\\?\{[A-Za-z0-9_]+\\?\}/g, ".*?")));
			const fromLack = (x) => patterns.some((re) => re.test(x.text) && re.source.includes(x.word));
			const own = left.filter((x) => !fromLack(x));
			const report = (xs) => xs.slice(0, 25).map((x) => `'${x.word}' in ${x.where}: ${JSON.stringify(x.text)}`).join("\n");
			check(!own.length, `${own.length} English words on screen that no message of field.js gives:\n${report(own)}`);
			throw new Skip(`${left.length} English words left, each from one of the ${lacking.length} messages of field.js ` +
				`that the served qps catalog lacks (see the test on GET /i18n)\n${report(left)}`);
		}
	} finally {
		await p.selectOption("#lang", "en").catch(() => {});
		await p.close();
	}
});

// --- A record in conflict ---------------------------------------------------------------------------------------

await test("the conflict: opened from the home, both values side by side with who gave them; one kept, sondeo show has it alone", async () => {
	await page.goto(BASE + "/");
	await page.waitForSelector("#records table");
	await settle(page);
	await page.click("section.glance a[data-state=conflicts]");
	await until(page, () => document.querySelectorAll("#records tbody tr").length === 1);
	await settle(page);
	same(await page.$$eval("#records tbody tr a", (a) => a.map((x) => x.getAttribute("href"))), [`#/r/${cfg.conflict}/view`],
		"the records in conflict");
	await redrawn(page, () => page.click(`#records a[href="#/r/${cfg.conflict}/view"]`));
	const before = show(cfg.conflict);
	check(before.conflicts && before.conflicts.country, `sondeo show has no conflict on country: ${JSON.stringify(before.conflicts)}`);
	const heads = await page.$$eval('.conflicts .question[data-q="country"] .head', (hs) => hs.map((h) => ({
		value: h.querySelector(".head-value").textContent, who: h.querySelector(".muted").textContent })));
	const tza = answerText("partnership", "country", "TZA"), uga = answerText("partnership", "country", "UGA");
	same(heads.map((h) => h.value).sort(), [tza, uga].sort(), "the values side by side");
	const values = JSON.stringify(before.conflicts.country);
	check(values.includes("TZA") && values.includes("UGA"), `sondeo show's values in conflict: ${values}`);
	const mine = heads.find((h) => h.value === uga);
	check(/^this laptop, /.test(mine.who), `who gave UGA: ${mine.who}`);
	check(/^device [0-9a-f]{8}, /.test(heads.find((h) => h.value === tza).who), `who gave TZA: ${JSON.stringify(heads)}`);
	same(await page.$$eval("dl.summary .sum-row.bad dt", (d) => d.map((x) => x.textContent)), ["Country"], "the answers marked");
	await axe(page, "a record in conflict");
	await shot(page, "record-conflict");
	const keep = await page.$$('.conflicts .question[data-q="country"] .head');
	let button = null;
	for (const h of keep)
		if ((await h.$eval(".head-value", (x) => x.textContent)) === tza)
			button = await h.$("button");
	await button.click();
	await settle(page);
	const after = show(cfg.conflict);
	same([after.answers.country, after.conflicts], ["TZA", {}], "sondeo show after 'Keep this answer'");
	same(list(["--conflicts"]).length, 0, "records in conflict in sondeo list");
	check(!(await page.$(".conflicts")), "the page still shows the conflict");
	await shot(page, "record-resolved");
	// Keeping an answer from the record's view stays on it.
	same(await hash(page), `#/r/${cfg.conflict}/view`, "the address after keeping an answer");
	const h1 = await page.$("#view h1");
	same(h1 ? (await h1.textContent()) : null, partnership.title.en, "the heading after keeping an answer (the record's view)");
});

// Presses Sync now on the home and waits for the outcome.
async function syncFromPage() {
	await page.click("#sync");
	await page.waitForSelector("#sync-status p.ok, #sync-status p.bad", { timeout: 60000 });
	await settle(page);
}

// --- Sync with the real server ------------------------------------------------------------------------------------

await test("sync from the page: progress, then the outcome in words; nothing left to send; the server and laptop B have it all", async () => {
	await page.goto(BASE + "/");
	await page.waitForSelector("#records table");
	await settle(page);
	const waiting = sondeoJson(["status"]).unsynced_ops;
	check(waiting > 0, "nothing to send before the sync");
	check((await page.textContent("#sync-line")).includes(`${waiting} changes waiting to be sent`),
		`the sync line: ${await page.textContent("#sync-line")} (sondeo status: ${waiting})`);
	// Everything #sync-status shows, as it shows it.
	await page.evaluate(() => {
		window.fieldSyncSeen = [];
		const box = document.getElementById("sync-status");
		new MutationObserver(() => {
			window.fieldSyncSeen.push({ progress: !!box.querySelector("progress"), text: box.innerText.trim() });
		}).observe(box, { childList: true, subtree: true, characterData: true });
	});
	await syncFromPage();
	const seen = await page.evaluate(() => window.fieldSyncSeen);
	const prog = seen.find((x) => x.progress);
	check(prog, `no progress shown: ${JSON.stringify(seen)}`);
	check(/^Sending changes: \d+ of \d+…|^Receiving the region's changes…/.test(prog.text), `the progress's words: ${prog.text}`);
	same(await page.textContent("#sync-status p:first-child"), "Synced.", `the outcome (all the words: ${JSON.stringify(await page.textContent("#sync-status"))})`);
	await shot(page, "synced");
	same(sondeoJson(["status"]).unsynced_ops, 0, "sondeo status's unsynced_ops after the sync");
	await until(page, () => /0 changes waiting to be sent/.test(document.getElementById("sync-line").textContent));
	same(await page.isDisabled("#sync"), false, "the Sync button after the sync");
	// Laptop B syncs: the record filled, the visit with its instance, the conflict settled.
	sondeo(["sync"], cfg.home_b);
	const a = show(draft), b = show(draft, cfg.home_b);
	same(b.answers, a.answers, "the partnership record at laptop B");
	same(b.status, "final", "its status at laptop B");
	const c = show(cfg.conflict, cfg.home_b);
	same([c.answers.country, c.conflicts], ["TZA", {}], "the conflict at laptop B");
	same(show(visit, cfg.home_b).answers, show(visit).answers, "the visit at laptop B");
	same(show(instance, cfg.home_b).answers.visitor, "Amina", "the visit's instance at laptop B");
	// And the server's own export.
	const exp = JSON.parse(execFileSync(cfg.sondeod, ["export", "--data", cfg.hq, "--format", "json", "--form", "visit"]).toString());
	const row = exp.find((r) => (r._id || r.id) === visit);
	check(row, `the visit is not in sondeod export: ${JSON.stringify(exp).slice(0, 300)}`);
});

await test("the photo taken and the recording reached the server at the sync, byte for byte", async () => {
	check(camera, "no record made with the camera and the microphone in the tests before");
	for (const q of ["photo", "voice"]) {
		const v = camera[q], held = storedFile(cfg.hq, v.blake2b);
		check(held, `the server lacks the file of ${q} (${v.type}, ${v.size} bytes)`);
		check(held.equals(storedFile(cfg.home_a, v.blake2b)), `the server's file of ${q} differs from the laptop's`);
	}
	same(show(camera.id, cfg.home_b).answers, show(camera.id).answers, "the record at laptop B");
});

// --- Delete, then undo --------------------------------------------------------------------------------------

await test("delete asks in a dialog (Cancel the first choice), then the record is gone; Undo brings it back", async () => {
	await redrawn(page, () => page.evaluate((id) => { location.hash = "#/r/" + id + "/view"; }, cfg.victim));
	await page.click("#view button.danger");
	await page.waitForSelector("dialog[open] #confirm-delete");
	same(await focused(page), "BUTTON", "the focus in the dialog");
	same(await page.evaluate(() => document.activeElement.textContent), "Cancel", "the button focused in the dialog");
	same(await page.getAttribute("dialog[open]", "aria-labelledby"), "del-h", "the dialog's name");
	await axe(page, "the delete dialog");
	await shot(page, "delete-dialog");
	// Escape closes it and deletes nothing.
	await page.keyboard.press("Escape");
	await until(page, () => !document.querySelector("dialog"));
	check(list().some((r) => r.id === cfg.victim), "Escape deleted the record");
	await page.click("#view button.danger");
	await page.click("dialog[open] #confirm-delete");
	await until(page, () => location.hash === "#/" && document.querySelector(".undo #undo") && document.querySelector("#records > *"));
	await settle(page);
	check(!list().some((r) => r.id === cfg.victim), "the record is still among sondeo list's records");
	const gone = list(["--deleted"]).find((r) => r.id === cfg.victim);
	check(gone && gone.deleted, "sondeo list --deleted lacks the record deleted");
	// The home's filters are as the conflict's test left them: all records, then the deleted ones.
	const state = async (v) => {
		await page.selectOption("#f-state", v);
		await settle(page);
	};
	await state("");
	check(!(await page.$(`#records a[href="#/r/${cfg.victim}/view"]`)), "the home still links the record deleted");
	await state("deleted");
	same(await page.$$eval("#records tbody tr td:first-child", (t) => t.map((x) => x.textContent)), [`${gone.partner_name} (${gone.country})`],
		"the deleted records listed, named as the form's instance_name says");
	await shot(page, "deleted-undo");
	await page.click("#undo");
	await until(page, () => !document.querySelector(".undo"));
	await settle(page);
	same(await page.textContent("#toast"), "Restored.", "the toast");
	same(await page.textContent("#records"), "No records match.", "the deleted records after Undo");
	await state("");
	check(await page.$(`#records a[href="#/r/${cfg.victim}/view"]`), "the record restored is not linked from the home");
	const back = list().find((r) => r.id === cfg.victim);
	check(back && back.deleted === false && back.status === "final", `sondeo list after Undo: ${JSON.stringify(back)}`);
});


await test("the deletion undone reaches the server at the next sync: laptop B has the record, not deleted", async () => {
	await page.goto(BASE + "/");
	await page.waitForSelector("#records > *");
	await settle(page);
	await syncFromPage();
	await shot(page, "synced-after-undo");
	same(await page.textContent("#sync-status p:first-child"), "Synced.", `the outcome (all the words: ${JSON.stringify(await page.textContent("#sync-status"))})`);
	same(sondeoJson(["status"]).unsynced_ops, 0, "sondeo status's unsynced_ops after the sync");
	sondeo(["sync"], cfg.home_b);
	const b = list(["--deleted"], cfg.home_b).find((r) => r.id === cfg.victim);
	check(b && b.deleted === false, `the record at laptop B: ${JSON.stringify(b)}`);
});

await test("no script error and no Content-Security-Policy violation on any screen (but those reported above)", async () => {
	const left = problems.filter((x) => !reported.has(errorSignature(x)));
	check(left.length === 0, left.join("\n"));
});

await test("every screen fits a phone's 390 px: nothing scrolls sideways", async () => {
	check(shots > 0, "no screen was taken");
	check(tooWide.length === 0, tooWide.join("\n"));
});

for (const r of axeRuns)
	await test(`axe-core: no violation on ${r.what}`, async () => {
		check(!r.error, `axe did not run: ${r.error}`);
		check(!r.violations.length, `${r.violations.length} violations at ${r.hash}:\n${axeReport(r.violations)}`);
	});
await browser.close();
console.log(`# ${count - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
