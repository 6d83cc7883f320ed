// review.mjs - drives the real review page of a real `sondeod serve` in headless Chromium (Debian's, through
// playwright-core) and checks what a person sees against what the API answers.
//
//   node tests/browser/review.mjs SETUP.json
//
// SETUP.json (written by tests/cli/browser.sh): {"url", "top", "sondeo", "users": {"admin": {"name",
// "password"}, "reviewer": ..., "viewer": ...}, "conflict": RECORD_ID, "review_conflict": RECORD_ID (of a
// regional office's region), "office": {"url", "name", "password"} (a reviewer there)}. Every account is new, so its first
// login goes through the forced password change. Prints one "ok N - name" or "not ok N - name" line per test
// (with "#" lines saying why), and with SONDEO_SCREENSHOTS a screenshot of every page in the folder it names
// (make screenshots: build/screenshots; a full-page PNG costs more than the check it shows, so the suite takes
// none) (NN-fr-PAGE.png, NN-es-PAGE.png and NN-qps-PAGE.png: the walks of every page in French, Spanish and the
// pseudo-language). The French and Spanish walks check words of po/fr.po and po/es.po; the pseudo-language's,
// that no English word is left on screen that did not come through the catalog.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { englishLeft, pageTexts } from "./pseudo.mjs";

const cfg = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const shotDir = process.env.SONDEO_SCREENSHOTS || "";
if (shotDir) {
	fs.mkdirSync(shotDir, { recursive: true });
	// The screenshots of an earlier run would mix with this run's.
	for (const f of fs.readdirSync(shotDir))
		if (/^\d\d-[a-z0-9-]+\.png$/.test(f))
			fs.unlinkSync(path.join(shotDir, f));
}
const downloads = fs.mkdtempSync(path.join(os.tmpdir(), "sondeo-downloads-"));

let count = 0;
let failed = 0;
let shots = 0;
const problems = [];   // script errors and CSP violations seen on any page

async function test(name, fn) {
	count++;
	try {
		await fn();
		console.log(`ok ${count} - ${name}`);
	} catch (e) {
		failed++;
		console.log(`not ok ${count} - ${name}`);
		for (const line of String((e && e.stack) || e).split("\n").slice(0, 10))
			console.log(`#   ${line}`);
	}
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

// "1,234" -> 1234
function numberOf(text) {
	const digits = String(text).replace(/[^0-9-]/g, "");
	return digits === "" ? NaN : Number(digits);
}

async function shot(page, name) {
	shots++;
	if (!shotDir)
		return;
	const file = path.join(shotDir, `${String(shots).padStart(2, "0")}-${name}.png`);
	await page.screenshot({ path: file, fullPage: true });
	console.log(`# screenshot: ${file}`);
}

// Which Node.js ran the tests: the suite must pass with Debian 12's own (18).
console.log(`# Node.js ${process.version}`);
// Debian's chromium-headless-shell (tests/cli/browser.inc says why), or the Chromium CHROMIUM names.
const browser = await chromium.launch({
	executablePath: process.env.CHROMIUM || "/usr/bin/chromium-headless-shell",
	headless: true,
	args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});

// A browser of its own, in locale (navigator.languages: the page's language unless one was chosen before).
async function newPage(locale) {
	const ctx = await browser.newContext({ viewport: { width: 1366, height: 860 }, acceptDownloads: true,
		locale: locale || "en-US", timezoneId: "Africa/Nairobi" });
	const page = await ctx.newPage();
	page.setDefaultTimeout(15000);
	page.on("pageerror", (e) => problems.push(`script error: ${e.message}`));
	page.on("console", (m) => {
		if (m.type() === "error" && /Content.Security.Policy|Refused to/i.test(m.text()))
			problems.push(`CSP: ${m.text()}`);
	});
	await page.addInitScript(() => {
		document.addEventListener("securitypolicyviolation", (e) =>
			console.error(`Content Security Policy violation: ${e.violatedDirective} ${e.blockedURI}`));
	});
	return page;
}

// Runs action and waits until the page has drawn again (app.js sets body[data-rendered] to a new serial).
async function rendered(page, action) {
	const before = await page.evaluate(() => document.body.getAttribute("data-rendered") || "0");
	await action();
	await page.waitForFunction((b) => {
		const r = document.body.getAttribute("data-rendered");
		return r && r !== b && !document.querySelector("#view > .loading");
	}, before);
}

async function go(page, hash) {
	const now = await page.evaluate(() => location.hash);
	if (now === hash)
		await rendered(page, () => page.evaluate(() => window.Sondeo.render()));
	else
		await rendered(page, () => page.evaluate((h) => { location.hash = h; }, hash));
}

// The API as the page's session sees it: GET, or POST with the session's CSRF token. Its requests say they are the
// test's (X-Sondeo-Test), not the page's.
async function api(page, pathAndQuery, body) {
	return page.evaluate(async ([p, b]) => {
		const opts = { credentials: "same-origin", headers: { "X-Sondeo-Test": "1" } };
		if (b !== null) {
			opts.method = "POST";
			opts.headers["Content-Type"] = "application/json";
			opts.headers["X-CSRF-Token"] = window.Sondeo.state.session ? window.Sondeo.state.session.csrf : "";
			opts.body = JSON.stringify(b);
		}
		const r = await fetch(p, opts);
		const t = await r.text();
		let j = null;
		try { j = JSON.parse(t); } catch (e) { j = null; }
		return { status: r.status, body: j };
	}, [pathAndQuery, body === undefined ? null : body]);
}

async function apiOk(page, pathAndQuery, body) {
	const r = await api(page, pathAndQuery, body);
	check(r.status === 200, `${pathAndQuery} answered ${r.status} ${JSON.stringify(r.body)}`);
	return r.body;
}

// Logs in through the form; a new account's forced password change is done with password + "-changed".
async function login(page, who) {
	const u = cfg.users[who];
	await page.goto(cfg.url + "/");
	await page.waitForSelector("#login-form");
	await page.fill("#login-user", u.name);
	await page.fill("#login-password", u.password);
	await page.click("#login-submit");
	await page.waitForSelector("#password-form, body[data-rendered]");
	if (await page.$("#password-form")) {
		const fresh = u.password + "-changed";
		await page.fill("#pw-old", u.password);
		await page.fill("#pw-new", fresh);
		await page.fill("#pw-again", fresh);
		await page.click("#pw-submit");
		await page.waitForSelector("body[data-rendered]");
		u.password = fresh;
	}
	await page.waitForFunction(() => !document.querySelector("#view > .loading"));
}

async function texts(page, selector) {
	return page.$$eval(selector, (els) => els.map((e) => e.textContent.trim()));
}

async function rowIds(page) {
	return page.$$eval("#records tbody tr[data-id]", (rs) => rs.map((r) => r.getAttribute("data-id")));
}

// RFC 4180 CSV into rows of fields.
function parseCsv(text) {
	const rows = [];
	let row = [], field = "", quoted = false, i = 0;
	if (text.charCodeAt(0) === 0xfeff)
		i = 1;
	for (; i < text.length; i++) {
		const c = text[i];
		if (quoted) {
			if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
			else if (c === '"') quoted = false;
			else field += c;
		} else if (c === '"') quoted = true;
		else if (c === ",") { row.push(field); field = ""; }
		else if (c === "\n" || c === "\r") {
			if (c === "\r" && text[i + 1] === "\n") i++;
			row.push(field); rows.push(row); row = []; field = "";
		} else field += c;
	}
	if (field !== "" || row.length) { row.push(field); rows.push(row); }
	return rows;
}

// The module matrix qrencode makes of text in byte mode at level (rows of booleans, dark true).
function qrencode(text, level) {
	const out = execFileSync("qrencode", ["-t", "ASCII", "-m", "0", "-l", level, "-8", "-o", "-", text]).toString();
	return out.split("\n").filter((l) => l.length).map((l) => {
		const row = [];
		for (let i = 0; i < l.length; i += 2)
			row.push(l[i] === "#");
		return row;
	});
}

function matrixDiff(a, b) {
	if (a.length !== b.length)
		return `sizes ${a.length} and ${b.length}`;
	let n = 0;
	for (let y = 0; y < a.length; y++)
		for (let x = 0; x < a.length; x++)
			if (a[y][x] !== b[y][x])
				n++;
	return n ? `${n} modules differ` : "";
}

const catalogCache = {};
async function formDef(page, form) {
	if (!catalogCache[form]) {
		const cat = await apiOk(page, "/v1/catalog");
		for (const f of cat.forms) {
			const d = typeof f.definition === "string" ? JSON.parse(f.definition) : f.definition;
			catalogCache[f.id] = d;
		}
	}
	return catalogCache[form];
}

function choiceLabel(def, question, value, lang) {
	const q = def.questions.find((x) => x.name === question);
	const c = q && q.choices ? q.choices.find((x) => x.name === value) : null;
	if (!c)
		return value;
	return typeof c.label === "string" ? c.label : c.label[lang] || c.label[def.default_language] || c.label.en;
}

// --- The reviewer: logging in, the dashboard, records, a record, conflicts, reviews, exports --------------

const rp = await newPage();

await test("login: a wrong password is refused and the page says so", async () => {
	await rp.goto(cfg.url + "/");
	await rp.waitForSelector("#login-form");
	await shot(rp, "login");
	await rp.fill("#login-user", cfg.users.reviewer.name);
	await rp.fill("#login-password", "not-the-password");
	await rp.click("#login-submit");
	await rp.waitForFunction(() => document.querySelector("#login-error").textContent !== "");
	const msg = await rp.textContent("#login-error");
	check(/Wrong user name or password/.test(msg), `the message is '${msg}'`);
	check(await rp.$("#login-form"), "the login form is gone");
	await shot(rp, "login-refused");
});

await test("login: after three failures the page says to try again in N s (429 with Retry-After)", async () => {
	let msg = "";
	for (let i = 0; i < 5 && !/try again in/.test(msg); i++) {
		await rp.fill("#login-user", "nobody-by-that-name");
		await rp.fill("#login-password", `wrong password ${i}`);
		await rp.evaluate(() => { document.querySelector("#login-error").textContent = ""; });
		await rp.click("#login-submit");
		await rp.waitForFunction(() => document.querySelector("#login-error").textContent !== "" &&
			!document.querySelector("#login-submit").disabled);
		msg = await rp.textContent("#login-error");
	}
	check(/try again in \d+ s/.test(msg), `the last message is '${msg}'`);
	await shot(rp, "login-too-many");
});

await test("login: a new account must choose a new password, then sees the dashboard with its name and role", async () => {
	const u = cfg.users.reviewer;
	await rp.fill("#login-user", u.name);
	await rp.fill("#login-password", u.password);
	await rp.click("#login-submit");
	await rp.waitForSelector("#password-form");
	await shot(rp, "password-change");
	const fresh = u.password + "-changed";
	await rp.fill("#pw-old", u.password);
	await rp.fill("#pw-new", "short");
	await rp.fill("#pw-again", "short");
	await rp.click("#pw-submit");
	check(/at least 10/.test(await rp.textContent("#pw-error")), "a short password is not refused in the page");
	await rp.fill("#pw-new", fresh);
	await rp.fill("#pw-again", fresh);
	await rp.click("#pw-submit");
	await rp.waitForSelector("body[data-rendered][data-page=dashboard]");
	u.password = fresh;
	same((await rp.textContent("#session-user")).replace(/\s+/g, " ").trim(), `${u.name} reviewer`, "the session shown");
	const s = await apiOk(rp, "/v1/session");
	same([s.user, s.role, s.must_change], [u.name, "reviewer", false], "GET /v1/session");
});

async function checkDashboard(page, query) {
	const d = await apiOk(page, "/v1/dashboard" + query);
	for (const k of ["records", "partners", "devices", "regions", "conflicts", "pending"]) {
		const shown = numberOf(await page.textContent(`[data-total=${k}] .value`));
		same(shown, d.totals[k], `total '${k}'`);
	}
	same(await page.$$eval("section[data-chart]", (s) => s.map((x) => x.getAttribute("data-chart"))),
		d.charts.map((c) => c.question).concat(["_weeks"]), "the charts drawn");
	for (const c of d.charts) {
		const bars = await page.$$eval(`section[data-chart="${c.question}"] .bar`, (bs) =>
			bs.map((b) => [b.getAttribute("data-value"), Number(b.getAttribute("data-count")),
				b.querySelector(".count").textContent]));
		same(bars.map((b) => [b[0], b[1]]), c.counts.map((x) => [String(x.value), x.count]), `chart '${c.question}'`);
		same(bars.map((b) => numberOf(b[2])), c.counts.map((x) => x.count), `the numbers written on chart '${c.question}'`);
	}
	const weeks = await page.$$eval("section[data-chart=_weeks] .bar", (bs) => bs.map((b) => Number(b.getAttribute("data-count"))));
	same(weeks, d.weeks.map((w) => w.count), "records per week");
	same(await page.getAttribute("section[data-chart=_weeks]", "data-date"), d.date, "what dates the weeks");
	if (await page.$("#filter-date"))
		same(await page.inputValue("#filter-date"), d.date, "the date question chosen");
	return d;
}

let allTotals = null;
await test("dashboard: every total and every bar equals GET /v1/dashboard, with labels from the form", async () => {
	const d = await checkDashboard(rp, "");
	allTotals = d.totals;
	check(d.totals.records > 0 && d.totals.conflicts === 1, `unexpected totals ${JSON.stringify(d.totals)}`);
	const def = await formDef(rp, d.form);
	const levels = await texts(rp, "section[data-chart=level] .bar .label");
	same(levels[0], choiceLabel(def, "level", d.charts.find((c) => c.question === "level").counts[0].value, "en"),
		"the first label of the level chart");
	await shot(rp, "dashboard");
});

await test("dashboard: filtering by region, review status and dates changes every number to the API's", async () => {
	await rendered(rp, () => rp.selectOption("#filter-region", "east"));
	check(/region=east/.test(await rp.evaluate(() => location.hash)), "the region is not in the address");
	const east = await checkDashboard(rp, "?region=east");
	check(east.totals.records < allTotals.records, `east has ${east.totals.records} records of ${allTotals.records}`);
	same(east.totals.regions, 1, "regions in one region");
	await shot(rp, "dashboard-east");
	await rendered(rp, () => rp.selectOption("#filter-review", "pending"));
	await checkDashboard(rp, "?region=east&review=pending");
	await rendered(rp, () => rp.selectOption("#filter-review", ""));
	// A range that ends before any record was made selects nothing.
	await rendered(rp, () => rp.fill("#filter-to", "2000-01-01"));
	const none = await checkDashboard(rp, "?region=east&to=2000-01-01");
	same(none.totals.records, 0, "records created by 2000-01-01");
	await rendered(rp, () => rp.fill("#filter-to", ""));
	await checkDashboard(rp, "?region=east");
});

await test("dashboard: records dated by the form's first date question, or by the day they were created", async () => {
	const d = await apiOk(rp, "/v1/dashboard?region=east");
	const def = await formDef(rp, d.form);
	same(d.date, "interview_date", "the date question the server chose");
	same(await rp.$$eval("#filter-date option", (o) => o.map((x) => x.value)), ["interview_date", "_created"],
		"the choices of Dated by");
	const label = def.questions.find((q) => q.name === "interview_date").label.en;
	same(await rp.textContent("#weeks-h"), `Records per week (${label})`, "the weeks' heading");
	same((await rp.textContent("label[for=filter-from]")).trim(), "Dated from", "the first date's label");
	// The first week's Monday as the first day: what the API counts from it, drawn.
	await rendered(rp, () => rp.fill("#filter-from", d.weeks[d.weeks.length - 1].week));
	const late = await checkDashboard(rp, `?region=east&from=${d.weeks[d.weeks.length - 1].week}`);
	same(late.totals.records, d.weeks[d.weeks.length - 1].count, "records of the last week and after");
	await rendered(rp, () => rp.fill("#filter-from", ""));
	await rendered(rp, () => rp.selectOption("#filter-date", "_created"));
	check(/date=_created/.test(await rp.evaluate(() => location.hash)), "the choice is not in the address");
	await checkDashboard(rp, "?region=east&date=_created");
	same(await rp.textContent("#weeks-h"), "Records per week", "the weeks' heading by creation");
	same((await rp.textContent("label[for=filter-from]")).trim(), "Created from", "the first date's label by creation");
	await shot(rp, "dashboard-created");
	await rendered(rp, () => rp.selectOption("#filter-date", "interview_date"));
	await checkDashboard(rp, "?region=east&date=interview_date");
});

await test("records: the dashboard's filters carry over to the table, whose total and rows equal GET /v1/records", async () => {
	await rendered(rp, () => rp.click("#to-records"));
	const hash = await rp.evaluate(() => location.hash);
	check(hash.startsWith("#/records") && /region=east/.test(hash), `the table opened at ${hash}`);
	const r = await apiOk(rp, "/v1/records?region=east");
	same(numberOf(await rp.getAttribute("#records-total", "data-count")), r.total, "the total");
	same(await rowIds(rp), r.records.map((x) => x.id), "the rows, newest first");
	same(await rp.$$eval("#records tbody tr[data-id] td:nth-last-child(4)", (t) => t.map((x) => x.textContent)),
		r.records.map(() => "east"), "the region column");
	await shot(rp, "records-east");
});

await test("records: clicking a header sorts on the server (region, then a question, both ways)", async () => {
	await go(rp, "#/records");
	await rendered(rp, () => rp.click("th[data-sort=region] button"));
	same(await rowIds(rp), (await apiOk(rp, "/v1/records?sort=region&dir=asc")).records.map((x) => x.id), "sorted by region");
	same(await rp.getAttribute("th[data-sort=region]", "aria-sort"), "ascending", "aria-sort");
	await rendered(rp, () => rp.click("th[data-sort=region] button"));
	same(await rowIds(rp), (await apiOk(rp, "/v1/records?sort=region&dir=desc")).records.map((x) => x.id), "region descending");
	await rendered(rp, () => rp.click("th[data-sort=partner_name] button"));
	same(await rowIds(rp), (await apiOk(rp, "/v1/records?sort=partner_name&dir=asc")).records.map((x) => x.id),
		"sorted by partner name");
});

await test("records: full-text search finds a record", async () => {
	await go(rp, "#/records");
	await rp.fill("#search", "Frontera");
	await rendered(rp, () => rp.click("#search-go"));
	const r = await apiOk(rp, "/v1/records?q=Frontera");
	check(r.total >= 1, "the API finds nothing");
	same(numberOf(await rp.getAttribute("#records-total", "data-count")), r.total, "records found");
	const names = await texts(rp, "#records tbody td[data-col=partner_name]");
	check(names.length === r.total && names.every((n) => n === "Radio Frontera"), `rows: ${JSON.stringify(names)}`);
	await shot(rp, "records-search");
	// A search the server cannot parse: its reason is shown, and the search box is still there to fix it.
	await rp.fill("#search", '"unterminated');
	await rendered(rp, () => rp.click("#search-go"));
	check(/search/.test(await rp.textContent("#view .alert.error")), "no error shown for a bad search");
	same(await rp.inputValue("#search"), '"unterminated', "the search box after a bad search");
});

await test("records: a filter on a select question (question, then choice) equals the API's selection", async () => {
	await go(rp, "#/records");
	await rp.selectOption("#select-question", "level");
	await rp.selectOption("#select-choice", "national");
	await rendered(rp, () => rp.click("#select-add"));
	const r = await apiOk(rp, "/v1/records?f.level=national");
	check(r.total > 0, "nothing is national");
	same(numberOf(await rp.getAttribute("#records-total", "data-count")), r.total, "records with level national");
	same(await rowIds(rp), r.records.map((x) => x.id), "the rows");
	check((await texts(rp, ".chips .chip")).some((t) => /National/.test(t)), "the filter is not shown");
	await shot(rp, "records-select-filter");
});

await test("records: the column picker shows the chosen columns and remembers them per form", async () => {
	await go(rp, "#/records");
	await rp.click("#columns-menu summary");
	for (const box of await rp.$$("#columns-menu input[type=checkbox]"))
		await box.setChecked(false);
	for (const q of ["partner_name", "level", "replicable"])
		await rp.check(`#columns-menu input[data-column=${q}]`);
	await rendered(rp, () => rp.click("#columns-apply"));
	const want = ["partner_name", "level", "replicable"];
	const cols = async () => rp.$$eval("#records thead th[data-sort]", (t) => t.map((x) => x.getAttribute("data-sort")));
	same((await cols()).slice(0, 3), want, "the columns");
	const r = await apiOk(rp, "/v1/records?columns=" + want.join(","));
	const def = await formDef(rp, r.form);
	const first = r.records[0];
	same(await rp.textContent(`#records tr[data-id="${first.id}"] td[data-col=level]`),
		(first.answers.level || []).map((v) => choiceLabel(def, "level", v, "en")).join(", "), "the level cell, as labels");
	await rp.reload();
	await rp.waitForSelector("body[data-rendered] #records");
	same((await cols()).slice(0, 3), want, "the columns after a reload");
	await shot(rp, "records-columns");
});

await test("records: choice labels follow the language switch (French, Spanish, English)", async () => {
	const r = await apiOk(rp, "/v1/records?columns=partner_name,level,replicable");
	const def = await formDef(rp, r.form);
	const first = r.records.find((x) => x.answers.level && x.answers.level.length);
	// The whole page changes language with them (the French and Spanish words need po/fr.po and po/es.po).
	const words = { fr: ["Fiches", "Région"], es: ["Registros", "Región"], en: ["Records", "Region"] };
	try {
		for (const lang of ["fr", "es", "en"]) {
			await rendered(rp, () => rp.selectOption("#lang", lang));
			same(await rp.textContent(`#records tr[data-id="${first.id}"] td[data-col=level]`),
				first.answers.level.map((v) => choiceLabel(def, "level", v, lang)).join(", "), `the level cell in ${lang}`);
			same(await htmlLang(rp), lang, `<html lang> in ${lang}`);
			same([await rp.textContent("#topbar [data-nav=records]"), (await rp.textContent("th[data-sort=region] button")).replace(/[▲▼]/g, "")],
				words[lang], `the navigation and a heading in ${lang}`);
			same(await rp.evaluate(() => localStorage.getItem("sondeo.lang")), lang, "the language remembered");
			if (lang === "fr")
				await shot(rp, "records-french");
		}
	} finally {
		// The tests after this one read English.
		if (await rp.inputValue("#lang") !== "en")
			await rendered(rp, () => rp.selectOption("#lang", "en"));
	}
});

await test("a record: opened from the table, every answer with its label, and the history with verified signatures", async () => {
	await go(rp, "#/records");
	const id = (await rowIds(rp)).find((x) => x !== cfg.conflict);
	await rendered(rp, () => rp.click(`#records tr[data-id="${id}"] td.id a`));
	same(await rp.evaluate(() => location.hash), `#/record/${id}`, "the address");
	const rec = await apiOk(rp, "/v1/record?id=" + id);
	const def = await formDef(rp, rec.form);
	for (const f of rec.fields.filter((x) => !x.name.startsWith("_"))) {
		const shown = (await rp.textContent(`#answers tr[data-field="${f.name}"] td`)).trim();
		const q = def.questions.find((x) => x.name === f.name);
		let want = String(f.value);
		if (f.value === null || f.value === "" || (Array.isArray(f.value) && !f.value.length))
			want = "(no answer)";
		else if (Array.isArray(f.value))
			want = f.value.map((v) => choiceLabel(def, f.name, v, "en")).join(", ");
		else if (q && q.type === "select_one")
			want = choiceLabel(def, f.name, f.value, "en");
		else if (typeof f.value === "number")
			want = f.value.toLocaleString("en-US");
		same(shown, want, `the answer to ${f.name}`);
	}
	const rows = await rp.$$eval("#history tbody tr", (rs) => rs.map((r) => [r.getAttribute("data-field"),
		!!r.querySelector(".sig.verified"), !!r.querySelector(".sig.not-verified")]));
	same(rows.length, rec.history.length, "history rows");
	same(rows.map((r) => r[0]), rec.history.map((h) => h.field), "the fields of the history, oldest first");
	same(rows.map((r) => r[1]), rec.history.map((h) => h.verified === true), "the verified marks");
	check(rows.every((r) => r[1] && !r[2]), "a change is not shown as verified");
	check(rec.history.length > 0, "no history");
	await shot(rp, "record");
	// The labels of questions and choices in Spanish, then back in English.
	const st = rec.fields.find((x) => x.name === "stakeholder_type");
	await rendered(rp, () => rp.selectOption("#lang", "es"));
	const q = def.questions.find((x) => x.name === "stakeholder_type");
	same((await rp.textContent('#answers tr[data-field="stakeholder_type"] th')).replace(/stakeholder_type$/, ""), q.label.es,
		"the question's label in Spanish");
	same((await rp.textContent('#answers tr[data-field="stakeholder_type"] td')).trim(),
		choiceLabel(def, "stakeholder_type", st.value, "es"), "the answer's label in Spanish");
	await shot(rp, "record-spanish");
	await rendered(rp, () => rp.selectOption("#lang", "en"));
});

// --- The page in French, in Spanish and in the pseudo-language ------------------------------------------
//
// Each walk is an admin's session in a browser of its own, at a moment when the sample data still has a
// record in conflict: the login page, the dashboard, the records, a record with its conflict and history, a
// review saved, the bulk review's dialog and the exports, the possible duplicates, devices, users, the audit log
// and the logout. The French and Spanish walks check words of the page's own catalogs (po/fr.po, po/es.po:
// they need the page's translations merged there) and <html lang>; the pseudo-language walk (qps: every
// message accented and wrapped in ⟦ ⟧) fails on any English word left on screen once the ⟦ ⟧ parts and the data
// are set aside, naming the page and the element. Screenshots: NN-LANG-PAGE.png beside the others.

// The strings of the API's answers (records' answers, names, ids, forms' labels, comments), which the page shows
// as they are; machine codes (a review status, a role, an action) are not: the page shows those in words, which
// must be translated.
const CODE_KEYS = new Set(["status", "role", "action", "kind", "type", "error", "message", "decision", "default_language"]);
// An audit entry's data are who did it (but for the server's own names, codes the page words), from where, on
// what, and the fields of its detail that are names, ids, regions, forms, questions, answers and comments; the
// others (why a login failed, a format, a count...) are codes the page words. An entry from before details were
// objects has English text, which the page shows as it is.
const AUDIT_ACTORS = new Set(["(command line)", "(regional server)"]);
const AUDIT_DATA = new Set(["comment", "name", "device", "region", "form", "field", "value", "kept", "by"]);
function auditStrings(e, into) {
	if (!AUDIT_ACTORS.has(e.user))
		dataStrings(e.user, into, "user");
	dataStrings(e.ip, into, "ip");
	dataStrings(e.target, into, "target");
	if (e.detail && typeof e.detail === "object") {
		for (const [k, x] of Object.entries(e.detail))
			if (AUDIT_DATA.has(k))
				dataStrings(x, into, k);
	} else {
		dataStrings(e.detail, into, "detail");
	}
	return into;
}
function dataStrings(v, into, key) {
	if (v && typeof v === "object" && !Array.isArray(v) && "action" in v && "detail" in v && "at" in v)
		return auditStrings(v, into);
	if (typeof v === "string") {
		if (!CODE_KEYS.has(key) && /[A-Za-z]{2}/.test(v)) {
			into.add(v);
			// A label naming an answer ("Name of a member of ${hh}") is shown with the answer in its place.
			for (const part of v.split(/\$\{[^}]*\}/))
				if (part.trim().length >= 2)
					into.add(part.trim());
		}
	} else if (Array.isArray(v)) {
		for (const x of v)
			dataStrings(x, into, key);
	} else if (v && typeof v === "object") {
		for (const [k, x] of Object.entries(v)) {
			if (/[A-Za-z]{2}/.test(k) && k.length > 2 && !/^[a-z_]+$/.test(k))
				into.add(k);   // an answer's text used as a key (a choice's label by language is a value)
			dataStrings(x, into, k);
		}
	}
	return into;
}

const PSEUDO_OK = new Set(["Sondeo", "CSV", "JSON", "GeoJSON"]);

// The English words of the audit log's wordings (details, the server's own names, review statuses, roles).
const AUDIT_ENGLISH = new Set(["unknown", "user", "wrong", "password", "account", "disabled", "valid", "name",
	"refused", "current", "was", "record", "records", "kept", "others", "rejected", "not", "duplicates", "use", "uses",
	"expires", "for", "server", "again", "by", "device", "without", "region", "role", "cleared", "set", "to",
	"command", "line", "viewer", "reviewer", "admin", "approved", "pending", "has", "issues", "of", "the"]);

// Those of them left in texts once the data is set aside: ["WORD in TEXT"...].
function englishInAudit(texts, data) {
	const strings = [...data].filter((x) => x.length >= 2).sort((a, b) => b.length - a.length);
	const found = [];
	for (const text of texts) {
		let t = text;
		for (const x of strings)
			t = t.split(x).join(" ");
		for (const w of t.match(/\p{L}+/gu) || [])
			if (AUDIT_ENGLISH.has(w.toLowerCase()))
				found.push(`'${w}' in ${JSON.stringify(text)}`);
	}
	return found;
}


// A browser of its own in the given locale (its navigator.languages), watching the API's requests and answers.
async function langPage(locale) {
	const page = await newPage(locale);
	const seen = { requests: [], answers: [] };
	page.on("request", (r) => {
		if (new URL(r.url()).pathname.startsWith("/v1/") && !r.headers()["x-sondeo-test"])
			seen.requests.push({ url: r.url(), lang: r.headers()["accept-language"] || "" });
	});
	page.on("response", (r) => {
		if (new URL(r.url()).pathname.startsWith("/v1/") && r.status() >= 200 && r.status() < 300 &&
		    /json/.test(r.headers()["content-type"] || ""))
			seen.answers.push(r.json().catch(() => null));
	});
	return { page, seen };
}

async function htmlLang(page) {
	return page.evaluate(() => document.documentElement.getAttribute("lang"));
}

// Checks that each of words is somewhere in the visible text of the page (or of selector).
async function shows(page, words, what, selector) {
	const text = await page.evaluate((sel) => (sel ? document.querySelector(sel) : document.body).innerText, selector || null);
	for (const w of words)
		check(text.includes(w), `${what}: '${w}' is not on the page: ${JSON.stringify(text.slice(0, 400))}`);
}

// The French and Spanish words each page must show (from the page's catalogs; the form's own labels are the
// form's). Numbers and days are checked against Intl's for the language.
const WORDS = {
	fr: {
		name: "français", title: "Tableau de bord · Sondeo", login: ["Sondeo – vérification", "Nom d’utilisateur", "Mot de passe", "Se connecter"],
		nav: ["Tableau de bord", "Fiches", "Doublons", "Appareils", "Utilisateurs", "Journal d’audit"],
		dashboard: ["Partenaires distincts", "Conflits ouverts", "En attente de vérification", "Fiches par semaine", "Datées par",
			"Afficher ces fiches dans le tableau", "Partenariats inclusifs et novateurs en matière de migration"],
		records: ["Région", "Vérification", "Créée", "Modifiée", "Colonnes", "Rechercher", "Exporter", "CSV avec une colonne par choix",
			"Seulement les fiches en conflit", "En attente"],
		count: (n) => `${n} fiches`,
		record: ["Réponses", "Historique", "✓ signature vérifiée", "Identifiant de la fiche", "Retenir cette valeur",
			"Ou une autre valeur", "Enregistrer la vérification", "À corriger", "Rejetée"],
		conflict: "1 réponse en conflit", today: /^(aujourd’hui|hier) \d/,
		saved: "Vérification enregistrée\u00a0: À corriger.", note: "Ce formulaire n’a pas de texte en français",
		bulk: ["Chaque fiche sélectionnée par les filtres actuels reçoit cette vérification.", "Annuler", "Continuer…"],
		duplicates: ["Doublons possibles", "Pas des doublons", "Conserver la fiche choisie, rejeter les autres"],
		devices: ["Appareils inscrits", "Nouveau code d’inscription", "Dernier contact", "Opérations", "Créer le code", "actif"],
		users: ["Comptes", "Ajouter un utilisateur", "Mot de passe initial", "administrateur", "vérificateur", "lecteur"],
		audit: ["Journal d’audit", "Adresse", "Cible", "connexion"],
		// The audit log's details, worded from the entries' fields: [action, how one of its entries reads].
		auditDetails: [["login_failed", /^(utilisateur inconnu|mot de passe erroné)$/],
			["code", /^\d+ utilisations?, expire \S/], ["code", /^pour un serveur régional, expire \S/],
			["export", /^CSV, \d+ fiches?$/], ["review", /^À corriger\u00a0: Effectifs à vérifier$/],
			["vouch", /^par le serveur régional office-south \([0-9a-f]{8}\)$/]],
		roles: ["rôle\u00a0: administrateur", "rôle\u00a0: vérificateur", "rôle\u00a0: lecteur"],
		actors: ["(ligne de commande)", "(serveur régional)"],
		logout: "Vous êtes déconnecté.",
	},
	es: {
		name: "español", title: "Panel · Sondeo", login: ["Sondeo – revisión", "Nombre de usuario", "Contraseña", "Iniciar sesión"],
		nav: ["Panel", "Registros", "Duplicados", "Dispositivos", "Usuarios", "Registro de auditoría"],
		dashboard: ["Organizaciones asociadas distintas", "Conflictos abiertos", "Pendientes de revisión", "Registros por semana", "Fechados por",
			"Mostrar estos registros en la tabla", "Alianzas inclusivas e innovadoras en materia de migración"],
		records: ["Región", "Revisión", "Creado", "Actualizado", "Columnas", "Buscar", "Exportar", "CSV con una columna por opción",
			"Solo los registros en conflicto", "Pendiente"],
		count: (n) => `${n} registros`,
		record: ["Respuestas", "Historial", "✓ firma verificada", "Identificador del registro", "Conservar este valor",
			"U otro valor", "Guardar la revisión", "Con observaciones", "Rechazado"],
		conflict: "1 respuesta en conflicto", today: /^(hoy|ayer) \d/,
		saved: "Revisión guardada: Con observaciones.", note: "Este formulario no tiene textos en español",
		bulk: ["Cada registro que seleccionan los filtros actuales recibe esta revisión.", "Cancelar", "Continuar…"],
		duplicates: ["Posibles duplicados", "No son duplicados", "Conservar el registro elegido y rechazar los demás"],
		devices: ["Dispositivos inscritos", "Nuevo código de inscripción", "Último contacto", "Operaciones", "Crear el código", "activo"],
		users: ["Cuentas", "Añadir un usuario", "Contraseña inicial", "administrador", "revisor", "lector"],
		audit: ["Registro de auditoría", "Dirección", "Objeto", "inicio de sesión"],
		auditDetails: [["login_failed", /^(usuario desconocido|contraseña incorrecta)$/],
			["code", /^\d+ usos?, caduca \S/], ["code", /^para un servidor regional, caduca \S/],
			["export", /^CSV, \d+ registros?$/], ["review", /^Con observaciones: Verificar el personal$/],
			["vouch", /^por el servidor regional office-south \([0-9a-f]{8}\)$/]],
		roles: ["rol: administrador", "rol: revisor", "rol: lector"],
		actors: ["(línea de comandos)", "(servidor regional)"],
		logout: "Ha cerrado la sesión.",
	},
};

for (const lang of ["fr", "es"]) {
	const W = WORDS[lang];
	await test(`${lang}: the whole page in ${W.name}, from the browser's language, every request asking the server for it`, async () => {
		const { page, seen } = await langPage(lang === "fr" ? "fr-FR" : "es-ES");
		try {
			await page.goto(cfg.url + "/");
			await page.waitForSelector("#login-form");
			same(await htmlLang(page), lang, "<html lang> on the login page");
			same(await page.inputValue("#lang-login"), lang, "the language chosen on the login page");
			same(await page.$$eval("#lang-login option", (o) => o.map((x) => x.value)).then((v) => v.filter((x) => x !== "qps")),
				["en", "es", "fr"], "the languages offered (GET /i18n)");
			await shows(page, W.login, "the login page");
			await shot(page, `${lang}-login`);
			await login(page, "admin");
			same(await htmlLang(page), lang, "<html lang> after login");
			same(await page.title(), W.title, "document.title");
			same(await texts(page, "#topbar [data-nav]"), W.nav, "the navigation");
			same(await page.inputValue("#lang"), lang, "the language selector in the top bar");

			// Dashboard: totals, charts (their axes' numbers and the weeks' days as the language writes them).
			await go(page, "#/dashboard");
			await shows(page, W.dashboard, "the dashboard");
			const d = await apiOk(page, "/v1/dashboard");
			const days = await texts(page, "section[data-chart=_weeks] .bar text.tick");
			const want = d.weeks.map((w) => {
				const [y, m, dd] = String(w.week).split("-").map(Number);
				return new Intl.DateTimeFormat(lang, { day: "numeric", month: "short" }).format(new Date(y, m - 1, dd));
			});
			check(days.length && days.every((x) => want.includes(x)), `the weeks' days ${JSON.stringify(days)}, expected of ${JSON.stringify(want)}`);
			same(await page.evaluate(() => window.Sondeo.num(12345.5)), new Intl.NumberFormat(lang).format(12345.5),
				"a number as the page writes it");
			check(/,5$/.test(await page.evaluate(() => window.Sondeo.num(2.5))), "a decimal comma");
			await shot(page, `${lang}-dashboard`);

			// Records, with the exports of the selection.
			await go(page, "#/records");
			await shows(page, W.records, "the records");
			const total = (await apiOk(page, "/v1/records")).total;
			same(await page.textContent("#records-total"), W.count(total), "the count of records");
			await shot(page, `${lang}-records`);
			await page.click("#bulk-review");
			await page.waitForSelector("dialog #bulk-status");
			await shows(page, W.bulk, "the bulk review's dialog", "dialog");
			await shot(page, `${lang}-bulk-review`);
			await page.keyboard.press("Escape");

			// A record with its conflict, its history and its review.
			await go(page, "#/record/" + cfg.conflict);
			await shows(page, W.record, "a record");
			same((await page.textContent("#conflicts-h")).trim(), W.conflict, "the conflict's heading");
			const when = (await texts(page, "#history tbody tr td:first-child time"))[0];
			check(W.today.test(when), `the history's first moment is '${when}'`);
			await shot(page, `${lang}-record`);

			// A review saved, on a record of a form that has no text in this language.
			await go(page, "#/record/" + cfg.grouped);
			await shows(page, [W.note], "the note of a form without this language", "#lang-note");
			await page.check("#review-form input[value=has_issues]");
			await page.fill("#review-comment", lang === "fr" ? "Effectifs à vérifier" : "Verificar el personal");
			await rendered(page, () => page.click("#review-save"));
			same(await page.textContent("#toast"), W.saved, "the toast after a review");
			await shot(page, `${lang}-record-reviewed`);

			for (const [hash, words, name] of [["#/duplicates", W.duplicates, "duplicates"], ["#/devices", W.devices, "devices"],
				["#/users", W.users, "users"], ["#/audit", W.audit, "audit"]]) {
				await go(page, hash);
				await shows(page, words, `the page ${hash}`);
				same(await htmlLang(page), lang, `<html lang> on ${hash}`);
				await shot(page, `${lang}-${name}`);
			}

			// The audit log's details and actors, worded from the entries' fields: failed logins, the users added
			// with their roles, enrolment codes, the review saved above, an export (made here), a device a regional
			// server vouched for, and the server's own names; no English word is left once the data is set aside.
			await apiOk(page, "/v1/export?format=csv&form=partnership");
			await go(page, "#/audit?per_page=200");
			const log = await apiOk(page, "/v1/audit?page=1&per_page=200");
			const rows = await page.$$eval("#audit tbody tr[data-action]", (rs) => rs.map((r) => ({
				action: r.getAttribute("data-action"), user: r.querySelector(".audit-user").textContent,
				detail: r.querySelector(".audit-detail").textContent })));
			same(rows.map((r) => r.action), log.entries.map((e) => e.action), "the audit log's actions");
			for (const [action, re] of W.auditDetails)
				check(rows.some((r) => r.action === action && re.test(r.detail)),
					`no ${action} entry reads ${re}: ${JSON.stringify(rows.filter((r) => r.action === action).map((r) => r.detail))}`);
			same(W.roles.filter((x) => rows.some((r) => r.action === "user_add" && r.detail === x)), W.roles,
				"the users added, with their roles");
			same(W.actors.filter((x) => rows.some((r) => r.user === x)), W.actors, "the server's own names");
			const english = englishInAudit(rows.flatMap((r) => [r.user, r.detail]), dataStrings(log, new Set(), ""));
			check(!english.length, `English words in the audit log: ${english.slice(0, 10).join("; ")}`);
			await shot(page, `${lang}-audit-details`);

			await page.click("#logout");
			await page.waitForSelector("#login-note");
			same((await page.textContent("#login-note")).trim(), W.logout, "the note after logout");
			const other = seen.requests.filter((r) => r.lang !== lang);
			check(seen.requests.length > 10 && !other.length,
				`requests without Accept-Language: ${lang}: ${other.slice(0, 3).map((r) => `${r.url} (${r.lang})`).join(", ")}`);
		} finally {
			await page.context().close();
		}
	});
}

await test("the page's plural rules: gettext's Plural-Forms expressions, parsed without eval, choose the forms gettext does", async () => {
	const rules = [
		["(n > 1)", { 0: 0, 1: 0, 2: 1, 100: 1 }],
		["(n != 1)", { 0: 1, 1: 0, 2: 1 }],
		["0", { 0: 0, 7: 0 }],
		// Russian, Polish, Czech, Slovenian, Irish, Arabic (gettext's manual, "Plural forms")
		["(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)",
			{ 1: 0, 21: 0, 11: 2, 2: 1, 24: 1, 12: 2, 5: 2, 111: 2, 101: 0 }],
		["(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2)", { 1: 0, 2: 1, 22: 1, 12: 2, 5: 2, 21: 2 }],
		["(n==1) ? 0 : (n>=2 && n<=4) ? 1 : 2", { 1: 0, 3: 1, 5: 2, 0: 2 }],
		["n%100==1 ? 0 : n%100==2 ? 1 : n%100==3 || n%100==4 ? 2 : 3", { 1: 0, 101: 0, 2: 1, 3: 2, 104: 2, 5: 3 }],
		["n==1 ? 0 : n==2 ? 1 : (n>2 && n<7) ? 2 :(n>6 && n<11) ? 3 : 4", { 1: 0, 2: 1, 6: 2, 10: 3, 11: 4 }],
		["n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5",
			{ 0: 0, 1: 1, 2: 2, 3: 3, 110: 3, 11: 4, 99: 4, 100: 5, 102: 5 }],
		["!(n == 1) * 1 + n / 0 - 0", { 1: 0, 2: 1 }],
	];
	const got = await rp.evaluate((rs) => rs.map(([expr, cases]) => {
		const f = window.SondeoI18n.compilePlural(expr);
		const out = {};
		for (const n of Object.keys(cases))
			out[n] = f ? f(Number(n)) : null;
		return out;
	}), rules);
	rules.forEach(([expr, cases], i) => same(got[i], cases, `the forms of '${expr}'`));
	same(await rp.evaluate(() => ["n >", "(n", "n n", "x", "n ? 1", "eval(1)", "", "n = 1", "((((((((((((((((((((((((((((((((((((" +
		"((((((((((((((((((((((((((((((n))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))))"].map((e) =>
		window.SondeoI18n.compilePlural(e) === null)), new Array(9).fill(true), "expressions refused");
});

await test("qps: no English word is left on any page in the pseudo-language (every message goes through the catalog)", async () => {
	const { page, seen } = await langPage("en-US");
	const texts_ = [];   // {page, where, text}
	const collect = async (name) => {
		for (const x of await pageTexts(page, "select[data-lang-select]"))
			texts_.push({ page: name, ...x });
		await shot(page, `qps-${name}`);
	};
	try {
		await page.goto(cfg.url + "/");
		await page.waitForSelector("#login-form");
		check((await page.$$eval("#lang-login option", (o) => o.map((x) => x.value))).includes("qps"),
			"the test build's server does not offer qps");
		await page.selectOption("#lang-login", "qps");
		await page.waitForFunction(() => document.documentElement.getAttribute("lang") === "qps");
		await page.fill("#login-user", "someone");
		await page.click("#login-submit");   // no password: the page's own message
		await collect("login");
		await login(page, "admin");
		same(await htmlLang(page), "qps", "<html lang> after login");
		await go(page, "#/dashboard");
		await collect("dashboard");
		await go(page, "#/records");
		await page.click("#columns-menu summary");
		await collect("records");
		for (const box of await page.$$("#columns-menu input[type=checkbox]"))
			await box.setChecked(false);
		await page.click("#columns-apply");   // no column: a toast says to choose one
		await page.waitForSelector("#toast.show");
		await collect("records-toast");
		await page.click("#columns-menu summary");
		await page.click("#bulk-review");
		await page.waitForSelector("dialog #bulk-status");
		await collect("bulk-review");
		await page.selectOption("#bulk-status", "rejected");
		await page.click("#bulk-next");   // no comment: the dialog says why
		await collect("bulk-review-comment");
		await page.keyboard.press("Escape");
		await go(page, "#/records?q=Frontera&f.level=national&conflicts=1");
		await collect("records-filtered");
		await go(page, "#/record/" + cfg.conflict);
		await collect("record-conflict");
		await page.click("#answers [data-correct=scale_up_potential]");
		await page.fill("dialog .value-input", "4.5");
		await page.click("dialog .primary");
		await collect("record-correct");
		await page.keyboard.press("Escape");
		for (const [hash, name] of [["#/record/" + cfg.grouped, "record-groups"], ["#/record/" + cfg.household, "record-repeats"],
			["#/record/" + cfg.member, "record-instance"], ["#/record/" + cfg.site, "record-osm"], ["#/duplicates", "duplicates"]]) {
			await go(page, hash);
			await collect(name);
		}
		await go(page, "#/devices");
		await page.fill("#code-region", "north");
		await page.click("#code-create");
		await page.waitForSelector("#enrol-code");
		await collect("devices");
		await page.click("[data-revoke]");
		await page.waitForSelector("dialog [data-confirm=ok]");
		await collect("devices-revoke");
		await page.keyboard.press("Escape");
		// The whole audit log: its oldest entries are the command line's and a regional server's.
		for (const [hash, name] of [["#/users", "users"], ["#/audit?per_page=200", "audit"]]) {
			await go(page, hash);
			await collect(name);
		}
		await page.click("#logout");
		await page.waitForSelector("#login-note");
		await collect("logged-out");
		// The data the page was given, and what the browser's locale data writes (dates, language names).
		const data = new Set();
		for (const a of await Promise.all(seen.answers))
			dataStrings(a, data, "");
		const localeWords = await page.evaluate(() => {
			const w = [];
			for (const code of ["en", "es", "fr", "qps"])
				for (const inl of ["qps", "en"])
					try { w.push(new Intl.DisplayNames([inl], { type: "language" }).of(code)); } catch (e) { /* none */ }
			return w.filter((x) => x && x.length > 2);
		});
		const left = englishLeft(texts_.map((x) => ({ where: `${x.page}: ${x.where}`, text: x.text })), data, localeWords, PSEUDO_OK);
		check(texts_.length > 200, `only ${texts_.length} texts collected`);
		check(!left.length, `${left.length} English words outside the catalog:\n` +
			left.slice(0, 25).map((x) => `  '${x.word}' in ${x.where}: ${JSON.stringify(x.text)}`).join("\n"));
	} finally {
		await page.context().close();
	}
});

await test("a conflict: both values side by side; keeping one settles it, and the API shows no conflict", async () => {
	await go(rp, "#/record/" + cfg.conflict);
	const before = await apiOk(rp, "/v1/record?id=" + cfg.conflict);
	const field = before.fields.find((f) => f.conflict);
	check(field, "the record has no conflict");
	const heads = await rp.$$eval(`#conflicts .conflict-field[data-field="${field.name}"] .head .head-value`, (h) => h.map((x) => x.textContent));
	const def = await formDef(rp, before.form);
	same(heads, field.heads.map((h) => choiceLabel(def, field.name, String(h.value), "en")), "the heads shown, as labels");
	await shot(rp, "record-conflict");
	await rendered(rp, () => rp.click(`#conflicts .conflict-field[data-field="${field.name}"] [data-keep="1"]`));
	const after = await apiOk(rp, "/v1/record?id=" + cfg.conflict);
	check(!after.conflicts, "the record is still in conflict");
	const f = after.fields.find((x) => x.name === field.name);
	same([f.conflict, f.value], [false, field.heads[1].value], "the field after");
	check(!(await rp.$("#conflicts")), "the page still shows the conflict");
	const last = after.history[after.history.length - 1];
	same([last.field, last.by], [field.name, cfg.users.reviewer.name], "the last op in the history");
	same((await apiOk(rp, "/v1/records?conflicts=1")).total, 0, "records in conflict");
	await shot(rp, "record-resolved");
});

await test("a conflict-free answer typed by the reviewer is parsed by its type (an integer)", async () => {
	await go(rp, "#/record/" + cfg.conflict);
	await rp.click("#answers [data-correct=scale_up_potential]");
	await rp.fill("dialog .value-input", "4.5");
	await rp.click("dialog .primary");
	check(/whole number/.test(await rp.textContent("dialog .form-error")), "4.5 is taken as an integer");
	await rp.fill("dialog .value-input", "5");
	await rendered(rp, () => rp.click("dialog .primary"));
	const rec = await apiOk(rp, "/v1/record?id=" + cfg.conflict);
	same(rec.fields.find((x) => x.name === "scale_up_potential").value, 5, "scale_up_potential");
});

// --- A review in conflict: headquarters (here, on the page) and the regional office decide without seeing each other --

// A reviewer's session at the regional office, from Node (the office serves the same page; its API is enough to
// make its reviewer decide). A new account changes its password first.
async function officeSession() {
	const o = cfg.office;
	const call = async (p, body, cookie, csrf) => {
		const r = await fetch(o.url + p, { method: "POST", headers: { "Content-Type": "application/json",
			...(cookie ? { Cookie: cookie } : {}), ...(csrf ? { "X-CSRF-Token": csrf } : {}) }, body: JSON.stringify(body) });
		const j = await r.json().catch(() => null);
		check(r.ok, `POST ${p} at the office answered ${r.status} ${JSON.stringify(j)}`);
		return { r, j };
	};
	const { r, j } = await call("/v1/login", { user: o.name, password: o.password });
	const cookie = (r.headers.get("set-cookie") || "").split(";")[0];
	if (j.must_change) {
		const fresh = o.password + "-changed";
		await call("/v1/password", { old: o.password, new: fresh }, cookie, j.csrf);
		o.password = fresh;
	}
	return { review: (status, comment) => call("/v1/review", { record: cfg.review_conflict, status, comment }, cookie, j.csrf) };
}

// Waits until fn() is true, trying every 200 ms for at most secs seconds.
async function waitFor(what, fn, secs) {
	const end = Date.now() + secs * 1000;
	while (!(await fn())) {
		check(Date.now() < end, `${what}: not within ${secs} s`);
		await new Promise((res) => setTimeout(res, 200));
	}
}

// The heads of the record's _review at headquarters once it is in conflict.
async function reviewHeads(page) {
	let heads = null;
	await waitFor("the review in conflict at headquarters", async () => {
		const f = (await apiOk(page, "/v1/record?id=" + cfg.review_conflict)).fields.find((x) => x.name === "_review");
		heads = f && f.conflict ? f.heads : null;
		return !!heads;
	}, 20);
	return heads;
}

const reviewBox = '#conflicts .conflict-field[data-field="_review"]';
let office = null;

await test("a review in conflict: both reviews side by side (status, comment, reviewer, where, when), flagged in the lists", async () => {
	await go(rp, "#/record/" + cfg.review_conflict);
	await rp.check("#review-form input[value=approved]");
	await rp.fill("#review-comment", "Fine");
	await rendered(rp, () => rp.click("#review-save"));
	office = await officeSession();
	await office.review("has_issues", "Which ministry?");
	const heads = await reviewHeads(rp);
	same(heads.map((h) => [h.value.status, h.value.comment, h.by]).sort(),
		[["approved", "Fine", cfg.users.reviewer.name], ["has_issues", "Which ministry?", cfg.office.name]], "the heads (API)");
	await go(rp, "#/record/" + cfg.review_conflict);
	same(await rp.getAttribute("h1 .badge[data-review]", "data-review"), "conflict", "the record's review badge");
	same(await rp.textContent("h1 .badge[data-review]"), "Review in conflict", "the badge's words");
	same(await rp.textContent("#conflicts-h"), "The review is in conflict", "the conflict section's heading");
	same(await rp.$$eval(`${reviewBox} .head`, (hs) => hs.map((h) => [h.getAttribute("data-status"),
		h.querySelector(".head-value [data-review]").getAttribute("data-review"), h.querySelector(".review-comment").textContent,
		h.querySelector(".head-meta").firstChild.textContent, h.querySelector(".head-meta time").getAttribute("datetime")])),
	heads.map((h) => [h.value.status, h.value.status, h.value.comment, `by ${h.by} at ` +
		(h.by === cfg.users.reviewer.name ? "this server" : "office-south"), new Date(h.at).toISOString()]), "the reviews shown");
	check(!(await rp.$("#review-form")), "the side's review form is still offered while the review is in conflict");
	same(await rp.getAttribute("#review .badge[data-review]", "data-review"), "conflict", "the review section's badge");
	await shot(rp, "record-review-conflict");
	for (const q of ["conflicts=1", "region=south"]) {
		await go(rp, "#/records?" + q);
		const list = await apiOk(rp, "/v1/records?" + q);
		same(list.records.map((x) => [x.id, x.review_conflict]), [[cfg.review_conflict, true]], `GET /v1/records?${q}`);
		same(await rp.getAttribute(`#records tr[data-id="${cfg.review_conflict}"] [data-review]`, "data-review"), "conflict",
			`the review column of records?${q}`);
		check(await rp.$(`#records tr[data-id="${cfg.review_conflict}"] td.id .badge.conflict`), `no conflict badge in records?${q}`);
	}
	await shot(rp, "records-review-conflict");
});

await test("a review in conflict: a viewer sees both reviews and no control to settle them", async () => {
	const vp = await newPage();
	await login(vp, "viewer");
	await go(vp, "#/record/" + cfg.review_conflict);
	same(await vp.$$eval(`${reviewBox} .head`, (hs) => hs.length), 2, "the reviews shown to the viewer");
	same(await vp.getAttribute("h1 .badge[data-review]", "data-review"), "conflict", "the viewer's review badge");
	for (const sel of ["[data-keep]", "#review-other", "#review-form"])
		check(!(await vp.$(sel)), `the viewer's page has ${sel}`);
	await shot(vp, "viewer-review-conflict");
	await vp.context().close();
});

await test("a review in conflict: keeping one makes it the review; the page then shows one review and no conflict", async () => {
	await go(rp, "#/record/" + cfg.review_conflict);
	const i = await rp.$$eval(`${reviewBox} .head`, (hs) => hs.findIndex((h) => h.getAttribute("data-status") === "has_issues"));
	await rendered(rp, () => rp.click(`${reviewBox} [data-keep="${i}"]`));
	const rec = await apiOk(rp, "/v1/record?id=" + cfg.review_conflict);
	same([rec.conflicts, rec.fields.find((x) => x.name === "_review").conflict], [0, false], "the record's conflicts");
	same([rec.review.status, rec.review.comment, rec.review.by], ["has_issues", "Which ministry?", cfg.users.reviewer.name],
		"the review kept");
	const last = rec.history[rec.history.length - 1];
	same([last.field, last.by, last.old.length], ["_review", cfg.users.reviewer.name, 2], "the settling op replaces both reviews");
	check(!(await rp.$("#conflicts")), "the page still shows the conflict");
	same(await rp.getAttribute("h1 .badge[data-review]", "data-review"), "has_issues", "the badge");
	same((await rp.textContent("#review .review-comment")).trim(), "Which ministry?", "the review's comment");
	check(await rp.$("#review-form"), "the review form is not back");
	await shot(rp, "record-review-kept");
	await go(rp, "#/records?region=south");
	same(await rp.getAttribute(`#records tr[data-id="${cfg.review_conflict}"] [data-review]`, "data-review"), "has_issues",
		"the review column");
	same((await apiOk(rp, "/v1/records?conflicts=1")).total, 0, "records in conflict");
});

await test("a review in conflict again (the office decided once more, unaware): a new review saved there settles it", async () => {
	await office.review("approved", "Ministry of Local Government, confirmed by phone");
	await reviewHeads(rp);
	await go(rp, "#/record/" + cfg.review_conflict);
	same(await rp.$$eval(`${reviewBox} .head`, (hs) => hs.map((h) => h.getAttribute("data-status")).sort()),
		["approved", "has_issues"], "the reviews shown");
	// Without a status, then has_issues without a comment: the page says what is missing and posts nothing.
	const ops = (await apiOk(rp, "/v1/record?id=" + cfg.review_conflict)).history.length;
	await rp.click(`${reviewBox} [data-other="_review"]`);
	check(/status/.test(await rp.textContent("#review-other .form-error")), "no status is not refused");
	await rp.selectOption("#review-other-status", "has_issues");
	await rp.click(`${reviewBox} [data-other="_review"]`);
	check(/comment/.test(await rp.textContent("#review-other .form-error")), "an empty comment is not refused");
	same((await apiOk(rp, "/v1/record?id=" + cfg.review_conflict)).history.length, ops, "ops after the refused reviews");
	await rp.selectOption("#review-other-status", "approved");
	await rp.fill("#review-other-comment", "Ministry confirmed; fine");
	await rendered(rp, () => rp.click(`${reviewBox} [data-other="_review"]`));
	const rec = await apiOk(rp, "/v1/record?id=" + cfg.review_conflict);
	same([rec.conflicts, rec.review.status, rec.review.comment, rec.review.by],
		[0, "approved", "Ministry confirmed; fine", cfg.users.reviewer.name], "the new review");
	check(!(await rp.$("#conflicts")), "the page still shows the conflict");
	same(await rp.getAttribute("h1 .badge[data-review]", "data-review"), "approved", "the badge");
});

let approved = null;
await test("a record: approving it saves the review (GET /v1/record), naming the reviewer", async () => {
	const r = await apiOk(rp, "/v1/records?region=east&review=pending");
	approved = r.records.find((x) => x.id !== cfg.conflict).id;
	await go(rp, "#/record/" + approved);
	await rp.check("#review-form input[value=approved]");
	await rp.fill("#review-comment", "Checked against the partner's annual report");
	await rendered(rp, () => rp.click("#review-save"));
	const rec = await apiOk(rp, "/v1/record?id=" + approved);
	same([rec.review.status, rec.review.comment, rec.review.by],
		["approved", "Checked against the partner's annual report", cfg.users.reviewer.name], "the review");
	same(await rp.getAttribute("h1 .badge[data-review]", "data-review"), "approved", "the badge");
	await shot(rp, "record-approved");
	// has_issues needs a comment: the page says so before asking the server.
	await rp.check("#review-form input[value=has_issues]");
	await rp.fill("#review-comment", "");
	await rp.click("#review-save");
	check(/comment/.test(await rp.textContent("#review-form .form-error")), "an empty comment is not refused");
});

await test("bulk review: the filtered selection is reviewed after a confirm showing the count, and the API agrees", async () => {
	await go(rp, "#/records?region=west&review=pending");
	const n = numberOf(await rp.getAttribute("#records-total", "data-count"));
	same(n, (await apiOk(rp, "/v1/records?region=west&review=pending")).total, "the selection");
	check(n > 1, `only ${n} records to review`);
	await rp.click("#bulk-review");
	await rp.selectOption("#bulk-status", "has_issues");
	await rp.fill("#bulk-comment", "Country missing from the partner's address");
	await rp.click("#bulk-next");
	await rp.waitForSelector("dialog [data-confirm=ok]");
	const text = await rp.textContent("dialog .confirm-text");
	check(text.includes(`${n} records`) && /Has issues/.test(text), `the confirm says '${text}'`);
	await shot(rp, "bulk-review-confirm");
	await rendered(rp, () => rp.click("dialog [data-confirm=ok]"));
	same((await apiOk(rp, "/v1/records?region=west&review=has_issues")).total, n, "records of west with issues");
	same((await apiOk(rp, "/v1/records?region=west&review=pending")).total, 0, "records of west pending");
	same(numberOf(await rp.getAttribute("#records-total", "data-count")), 0, "the table after");
});

await test("export: the CSV of the current filters downloads with its header and one row per record", async () => {
	await go(rp, "#/records?region=east");
	const total = (await apiOk(rp, "/v1/records?region=east")).total;
	for (const kind of ["csv", "csv-choices"]) {
		const [dl] = await Promise.all([rp.waitForEvent("download"), rp.click(`[data-export=${kind}]`)]);
		const file = path.join(downloads, `${kind}.csv`);
		await dl.saveAs(file);
		const rows = parseCsv(fs.readFileSync(file, "utf8")).filter((r) => r.length > 1 || r[0] !== "");
		same(rows[0][0], "_id", `the first column of ${kind}`);
		check(rows[0].includes("partner_name") && rows[0].includes("_review"), `${kind} header: ${rows[0].join(",")}`);
		if (kind === "csv-choices")
			check(rows[0].includes("level/national"), `no choice columns in ${rows[0].join(",")}`);
		same(rows.length - 1, total, `rows of ${kind}`);
		check(rows.slice(1).every((r) => r[rows[0].indexOf("_region")] === "east"), `${kind} has rows of another region`);
	}
	for (const kind of ["xlsx", "xlsx-labels", "json", "geojson"]) {
		const [dl] = await Promise.all([rp.waitForEvent("download"), rp.click(`[data-export=${kind}]`)]);
		const file = path.join(downloads, `export.${kind}`);
		await dl.saveAs(file);
		const head = fs.readFileSync(file).subarray(0, 2).toString("latin1");
		check(kind.startsWith("xlsx") ? head === "PK" : head.trim().startsWith(kind === "json" ? "[" : "{"),
			`${kind} starts with '${head}'`);
		if (kind === "xlsx-labels") {
			const href = await rp.getAttribute(`[data-export=${kind}]`, "href");
			same(new URL(href, rp.url()).searchParams.get("labels"), "1", "the XLSX with labels asks for labels=1");
		}
		if (kind === "json")
			same(JSON.parse(fs.readFileSync(file, "utf8")).length, total, "records in the JSON export");
	}
});

await test("duplicates: a group dismissed leaves the list; a group confirmed rejects the others", async () => {
	await go(rp, "#/duplicates");
	const d = await apiOk(rp, "/v1/duplicates?form=partnership");
	check(d.groups.length >= 2, `${d.groups.length} groups`);
	same(await rp.$$eval(".dup-group", (g) => g.map((x) => x.getAttribute("data-key"))), d.groups.map((g) => g.key), "the groups");
	await shot(rp, "duplicates");
	const first = d.groups[0], second = d.groups[1];
	await rendered(rp, () => rp.click(`.dup-group[data-key="${first.key}"] [data-dismiss]`));
	const after = await apiOk(rp, "/v1/duplicates?form=partnership");
	check(!after.groups.some((g) => g.key === first.key), "the dismissed group is still listed");
	const keep = second.records[1].id;
	await rp.check(`.dup-group[data-key="${second.key}"] input[value="${keep}"]`);
	await rp.click(`.dup-group[data-key="${second.key}"] [data-confirm-dup]`);
	await rendered(rp, () => rp.click("dialog [data-confirm=ok]"));
	for (const r of second.records) {
		const rec = await apiOk(rp, "/v1/record?id=" + r.id);
		if (r.id === keep)
			check(!rec.review || rec.review.status !== "rejected", "the record kept was rejected");
		else
			check(rec.review && rec.review.status === "rejected" && rec.review.comment.startsWith("duplicate of " + keep.slice(0, 8)),
				`the review of ${r.id}: ${JSON.stringify(rec.review)}`);
	}
});

await test("a reviewer sees no admin menu, and the server refuses admin requests (403)", async () => {
	same(await rp.$$eval("#topbar [data-nav]", (a) => a.map((x) => x.getAttribute("data-nav"))),
		["dashboard", "records", "duplicates"], "the menu");
	await rp.evaluate(() => { location.hash = "#/devices"; });
	await rp.waitForFunction(() => location.hash.startsWith("#/dashboard"));
	same((await api(rp, "/v1/devices")).status, 403, "GET /v1/devices as a reviewer");
	same((await api(rp, "/v1/users", { name: "sneaky", role: "admin", password: "0123456789ab" })).status, 403,
		"POST /v1/users as a reviewer");
	same((await api(rp, "/v1/audit")).status, 403, "GET /v1/audit as a reviewer");
});

// --- The viewer ----------------------------------------------------------------------------------------

await test("a viewer sees no control that changes anything, and the server refuses changes (403)", async () => {
	const vp = await newPage();
	await login(vp, "viewer");
	same(await vp.$$eval("#topbar [data-nav]", (a) => a.map((x) => x.getAttribute("data-nav"))),
		["dashboard", "records", "duplicates"], "the menu");
	await go(vp, "#/records");
	for (const sel of ["#bulk-review", "[data-export]"])
		check(!(await vp.$(sel)), `the records page has ${sel}`);
	await go(vp, "#/record/" + approved);
	for (const sel of ["#review-form", "[data-keep]", "[data-correct]", "[data-other]"])
		check(!(await vp.$(sel)), `the record page has ${sel}`);
	check(await vp.$("#review .current-review"), "the review is not shown to the viewer");
	await shot(vp, "viewer-record");
	await go(vp, "#/duplicates");
	check(!(await vp.$("[data-dismiss], [data-confirm-dup], input[type=radio]")), "the duplicates page has controls");
	same((await api(vp, "/v1/review", { record: approved, status: "rejected", comment: "no" })).status, 403, "POST /v1/review");
	same((await api(vp, "/v1/bulk-review", { filter: {}, status: "approved", comment: "" })).status, 403, "POST /v1/bulk-review");
	same((await api(vp, "/v1/export?format=csv")).status, 403, "GET /v1/export");
	same((await apiOk(vp, "/v1/record?id=" + approved)).review.status, "approved", "the review after the viewer's tries");
	await vp.context().close();
});

// --- The admin: enrolment codes and their QR code, devices, users, audit ------------------------------

const ap = await newPage();

await test("admin: an enrolment code is shown as text and as a QR code equal to qrencode's, and it enrols a laptop", async () => {
	await login(ap, "admin");
	same(await ap.$$eval("#topbar [data-nav]", (a) => a.map((x) => x.getAttribute("data-nav"))),
		["dashboard", "records", "duplicates", "devices", "users", "audit"], "the admin's menu");
	await go(ap, "#/devices");
	await ap.fill("#code-region", "north");
	await ap.fill("#code-uses", "2");
	await ap.click("#code-create");
	await ap.waitForSelector("#enrol-code");
	const code = (await ap.textContent("#enrol-code")).trim();
	check(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){4}$/.test(code), `the code is '${code}'`);
	const svg = await ap.$eval("#code-out svg.qr", (s) => ({
		version: Number(s.getAttribute("data-version")),
		dark: Array.from(s.querySelectorAll("rect.qr-dark")).map((r) => [Number(r.getAttribute("x")), Number(r.getAttribute("y"))]),
	}));
	const size = svg.version * 4 + 17;
	const mine = Array.from({ length: size }, () => new Array(size).fill(false));
	for (const [x, y] of svg.dark)
		mine[y][x] = true;
	const ref = qrencode(code, "M");
	const diff = matrixDiff(mine, ref);
	check(!diff, `the QR code drawn differs from qrencode's: ${diff}`);
	same(svg.version, 2, "the QR version of a 24-character code");
	await shot(ap, "devices-enrolment-code");
	const home = fs.mkdtempSync(path.join(os.tmpdir(), "sondeo-laptop-"));
	const env = { ...process.env, SONDEO_HOME: home };
	execFileSync(cfg.sondeo, ["init", "--name", "north-laptop"], { env, stdio: "pipe" });
	const out = execFileSync(cfg.sondeo, ["enrol", cfg.url, code.toLowerCase()], { env, stdio: "pipe" }).toString();
	check(/region north/.test(out), `sondeo enrol said: ${out}`);
	const devs = await apiOk(ap, "/v1/devices");
	check(devs.devices.some((d) => d.name === "north-laptop" && d.region === "north"), "the new laptop is not listed");
});

await test("the page's QR encoder equals qrencode module for module, versions 1 to 10, levels L, M, Q, H", async () => {
	// Byte capacities at M of versions 1 to 10; each length is the most a version holds, or one more.
	const lengths = [1, 14, 15, 26, 27, 42, 43, 62, 63, 84, 85, 106, 107, 122, 123, 152, 153, 180, 181, 213];
	const cases = [];
	for (const level of ["L", "M", "Q", "H"])
		for (const n of lengths) {
			let t = "";
			for (let i = 0; i < n; i++)
				t += "Sondeo QR 0123456789 abcdefghijklmnopqrstuvwxyz-ÉÑ"[(i * 7 + n) % 50];
			cases.push([t, level]);
		}
	const got = await ap.evaluate((cs) => cs.map(([t, l]) => {
		const q = window.SondeoQR.encode(t, l);
		return { version: q.version, modules: q.modules };
	}), cases);
	const versions = new Set();
	cases.forEach(([t, level], i) => {
		versions.add(got[i].version);
		const diff = matrixDiff(got[i].modules, qrencode(t, level));
		check(!diff, `${level}, ${Buffer.byteLength(t)} bytes (version ${got[i].version}): ${diff}`);
	});
	for (let v = 1; v <= 10; v++)
		check(versions.has(v), `version ${v} was not tried`);
});

await test("admin: the devices table equals GET /v1/devices; revoking asks first, then the API shows it revoked", async () => {
	await go(ap, "#/devices");
	const d = await apiOk(ap, "/v1/devices");
	same(await ap.$$eval("#devices tbody tr[data-device]", (r) => r.map((x) => x.getAttribute("data-device"))),
		d.devices.map((x) => x.id), "the devices");
	const victim = d.devices.find((x) => x.name === "north-laptop");
	const ops = await ap.textContent(`#devices tr[data-device="${d.devices[0].id}"] td:nth-child(6)`);
	same(numberOf(ops), d.devices[0].ops, "the ops of the first device");
	await ap.click(`[data-revoke="${victim.id}"]`);
	await ap.waitForSelector("dialog [data-confirm=ok]");
	await shot(ap, "devices-revoke-confirm");
	await rendered(ap, () => ap.click("dialog [data-confirm=ok]"));
	check((await apiOk(ap, "/v1/devices")).devices.find((x) => x.id === victim.id).revoked, "the device is not revoked");
	check(!(await ap.$(`[data-revoke="${victim.id}"]`)), "the revoke button is still there");
	await shot(ap, "devices");
});

await test("admin: users are listed, added (to change their password at first login), disabled and enabled", async () => {
	await go(ap, "#/users");
	await ap.fill("#user-name", "newcomer");
	await ap.selectOption("#user-role", "viewer");
	await ap.fill("#user-password", "first-password-42");
	await rendered(ap, () => ap.click("#user-add"));
	let u = (await apiOk(ap, "/v1/users")).users.find((x) => x.name === "newcomer");
	same([u.role, u.must_change, u.disabled], ["viewer", true, false], "the new account");
	same(await texts(ap, "#users tbody tr[data-user] td:first-child strong"),
		(await apiOk(ap, "/v1/users")).users.map((x) => x.name), "the accounts listed");
	check(!(await ap.$(`#users tr[data-user="${cfg.users.admin.name}"] [data-user-action]`)), "the admin may disable themself");
	await ap.click('#users tr[data-user="newcomer"] [data-user-action=disable]');
	await rendered(ap, () => ap.click("dialog [data-confirm=ok]"));
	u = (await apiOk(ap, "/v1/users")).users.find((x) => x.name === "newcomer");
	same(u.disabled, true, "disabled");
	await shot(ap, "users");
	await rendered(ap, () => ap.click('#users tr[data-user="newcomer"] [data-user-action=enable]'));
	u = (await apiOk(ap, "/v1/users")).users.find((x) => x.name === "newcomer");
	same(u.disabled, false, "enabled again");
});

await test("admin: the audit log shows GET /v1/audit, newest first, with the reviews and resolutions made here", async () => {
	await go(ap, "#/audit");
	const a = await apiOk(ap, "/v1/audit?page=1&per_page=50");
	same(await ap.$$eval("#audit tbody tr[data-action]", (r) => r.map((x) => x.getAttribute("data-action"))),
		a.entries.map((e) => e.action), "the actions");
	const all = await apiOk(ap, "/v1/audit?page=1&per_page=200");
	for (const action of ["login", "login_failed", "password", "review", "resolve", "bulk_review", "code", "revoke", "user_add"])
		check(all.entries.some((e) => e.action === action), `no '${action}' in the audit log`);
	// The details are worded from their fields: the user added above, the device revoked above.
	const shown = await ap.$$eval("#audit tbody tr[data-action]", (rs) => rs.map((r) => [r.getAttribute("data-action"),
		r.querySelector("td:nth-child(5)").textContent, r.querySelector(".audit-detail").textContent]));
	check(shown.some(([a, t, x]) => a === "user_add" && t === "newcomer" && x === "role: viewer"),
		`the user added: ${JSON.stringify(shown.filter((r) => r[0] === "user_add"))}`);
	check(shown.some(([a, , x]) => a === "revoke" && x === "north-laptop, region north"),
		`the device revoked: ${JSON.stringify(shown.filter((r) => r[0] === "revoke"))}`);
	await shot(ap, "audit");
});

await test("a record of a form with groups shows each group as a section of its answers", async () => {
	await go(rp, "#/record/" + cfg.grouped);
	same(await texts(rp, "#answers tr.section th"), ["Details", "Details / More"], "the sections");
	same(await rp.$$eval("#answers tbody tr", (rows) => rows.map((r) => r.getAttribute("data-group") || r.getAttribute("data-field"))),
		["works", "details", "staff", "more", "why", "after"], "sections and answers in order");
	await shot(rp, "record-groups");
});

await test("a record lists the instances of its repeats, and an instance links back to its record", async () => {
	await go(rp, "#/record/" + cfg.household);
	same((await texts(rp, "#instances h3")).map((t) => t.trim()), ["Member (2)"], "the repeats");
	same(await rp.$$eval("#instances li a", (a) => a.length), 2, "the instances listed");
	same(await texts(rp, "#answers tbody tr[data-field] th .qname"), ["hh"], "the record's own questions");
	await go(rp, "#/record/" + cfg.member);
	same(await rp.getAttribute("#record-parent a", "href"), "#/record/" + cfg.household, "the link to its record");
	same(await texts(rp, "#answers tbody tr[data-field] th .qname"), ["mname"], "the instance's questions");
	same((await texts(rp, '#answers tr[data-field="mname"] th')).map((t) => t.trim()), ["Name of a member of Okellomname"],
		"a label naming its record's answer");
	same(await texts(rp, '#history tr[data-field="mname"] td:nth-child(4)'), ["Name of a member of Okello"],
		"the same label in the history");
	await shot(rp, "record-repeat");
});

await test("an OpenStreetMap answer shows its feature as a link to the map, then its tags; a label shows the answer it names", async () => {
	await go(rp, "#/record/" + cfg.site);
	same((await texts(rp, '#answers tr[data-field="bldg"] th')).map((t) => t.trim()), ["Building at Mombasabldg"],
		"the label, with the answer it names, and the question's name");
	same(await rp.getAttribute('#answers tr[data-field="bldg"] .value a', "href"), "https://www.openstreetmap.org/way/4242",
		"the feature's link");
	same((await texts(rp, '#answers tr[data-field="bldg"] .value')).map((t) => t.trim()), ["way/4242; name=Clinic"],
		"the answer");
	await shot(rp, "record-osm");
});

await test("attachments: a photo as a thumbnail that opens full size, a recording in the browser's player, each offered for download; one not at the server yet said so", async () => {
	await go(rp, "#/record/" + cfg.files);
	const rec = await apiOk(rp, "/v1/record?id=" + cfg.files);
	const photo = rec.fields.find((f) => f.name === "photo").value;
	same(Object.values(rec.attachments), [true, true, true], "the files the record says the server holds");
	const thumb = await rp.waitForSelector('#answers tr[data-field="photo"] img.thumb');
	await rp.waitForFunction((i) => i.complete && i.naturalWidth > 0, thumb);
	same(await thumb.evaluate((i) => [i.naturalWidth, i.naturalHeight, i.alt]), [40, 30, photo.name],
		"the photo's thumbnail (smaller than 320: the photo itself)");
	same(await rp.getAttribute('#answers tr[data-field="photo"] a.thumb-link', "href"),
		"/v1/attachment?blake2b=" + photo.blake2b + "&name=" + encodeURIComponent(photo.name), "the full size's link");
	check(await rp.$('#answers tr[data-field="rec"] audio[controls]'), "no player for the recording");
	check(!(await rp.$('#answers tr[data-field="photo"] [data-correct]')), "a correction is offered for a file");
	same((await texts(rp, '#answers tr[data-field="mou"] a.download')).map((x) => x.trim()), ["mou.pdf (application/pdf, 32 bytes)"],
		"the memorandum's download link");
	const r = await rp.evaluate((u) => fetch(u).then((x) => [x.status, x.headers.get("content-type"), x.headers.get("content-disposition")]),
		await rp.getAttribute('#answers tr[data-field="mou"] a.download', "href"));
	same(r, [200, "application/octet-stream", 'attachment; filename="mou.pdf"; filename*=UTF-8\'\'mou.pdf'], "the memorandum's answer");
	await shot(rp, "record-attachments");
	/* In the history too: the photo as its thumbnail, the memorandum as its download. */
	check(await rp.$('#history tr[data-field="photo"] .new img.thumb'), "no thumbnail in the history");
	same((await texts(rp, '#history tr[data-field="mou"] .new a.download')).map((x) => x.trim()), ["mou.pdf (application/pdf, 32 bytes)"],
		"the memorandum's download in the history");
	await go(rp, "#/record/" + cfg.pending);
	same((await texts(rp, '#answers tr[data-field="mou"] .value')).map((x) => x.trim()),
		["later.pdf (application/pdf, 22 bytes) (not at the server yet: it comes with its laptop's next sync)"], "a file not at the server yet");
	check(!(await rp.$('#answers tr[data-field="mou"] a.download')), "a download is offered for a file the server lacks");
	/* The records' export with their files: a ZIP holding the table and the photo under its record. */
	await go(rp, "#/records?form=" + rec.form);
	const [dl] = await Promise.all([rp.waitForEvent("download"), rp.click("[data-export=csv-media]")]);
	same(dl.suggestedFilename().replace(/\d{4}-\d{2}-\d{2}/, "DAY"), rec.form + "-DAY.zip", "the ZIP's name");
	const zip = fs.readFileSync(await dl.path());
	same(zip.subarray(0, 4).toString("latin1"), "PK\x03\x04", "the download's first bytes");
	for (const name of [rec.form + ".csv", "media/" + cfg.files + "/" + photo.name])
		check(zip.includes(Buffer.from(name)), "no entry " + name + " in the ZIP");
	check(!(await rp.$("[data-export=json-media]")), "a JSON ZIP is offered");
});

await test("logout ends the session: the login form again, and GET /v1/session answers 401", async () => {
	await rp.click("#logout");
	await rp.waitForSelector("#login-form");
	same((await api(rp, "/v1/session")).status, 401, "GET /v1/session after logout");
	await shot(rp, "logged-out");
});

await test("no script error and no Content-Security-Policy violation on any page", async () => {
	check(problems.length === 0, problems.join("\n"));
});

await browser.close();
fs.rmSync(downloads, { recursive: true, force: true });
console.log(`# ${count - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
