// pseudo.mjs - what the browser tests' walks in the pseudo-language (qps) share: every text a person can read on a
// page, and the English words left in them once the catalog's ⟦...⟧, the data and the locale's own words are set
// aside. review.mjs walks the review page with it, field.mjs sondeo web's page.

// The language names, dates and numbers of the browser's own locale data are not messages: the checks set aside
// what Intl writes.
const MONTHS = /\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?(?=[^A-Za-z]|$)/g;

// text without its ⟦...⟧ parts, innermost first (they nest: a message placed in another).
export function withoutPseudo(text) {
	let t = text, before;
	do {
		before = t;
		t = t.replace(/⟦[^⟦⟧]*⟧/g, " ");
	} while (t !== before);
	return t;
}

// Every text a person can read on the page, with where it is: visible text, the placeholder, title and aria-label
// of every element, the options (and option groups) of each select but the language selector (skip: a selector; it
// names each language in its own words), the SVG titles (tooltips) and the document's title; with readOut, the
// words only a screen reader says (.sr-only) too.
export async function pageTexts(page, skip, readOut) {
	return page.evaluate(([skipSel, sr]) => {
		const out = [];
		const where = (e) => {
			const parts = [];
			for (let n = e; n && n.nodeType === 1 && n !== document.body && parts.length < 5; n = n.parentElement) {
				let p = n.tagName.toLowerCase();
				if (n.id)
					p += "#" + n.id;
				else if (n.getAttribute("class"))
					p += "." + String(n.getAttribute("class")).trim().split(/\s+/).join(".");
				parts.unshift(p);
			}
			return parts.join(" > ");
		};
		const visible = (e) => (e.checkVisibility ? e.checkVisibility({ visibilityProperty: true }) : !!e.getClientRects().length);
		out.push({ where: "document.title", text: document.title });
		for (const e of document.body.querySelectorAll("*")) {
			if (e.closest("noscript, script, style, " + skipSel))
				continue;
			for (const a of ["placeholder", "title", "aria-label"])
				if (e.hasAttribute(a) && (e.namespaceURI === "http://www.w3.org/2000/svg" || visible(e)))
					out.push({ where: `${where(e)} [${a}]`, text: e.getAttribute(a) });
			if (e.tagName === "OPTION" || e.tagName === "OPTGROUP") {
				const s = e.closest("select");
				if (s && visible(s))
					out.push({ where: where(e), text: e.tagName === "OPTGROUP" ? e.label : e.textContent });
				continue;
			}
			if (e.namespaceURI === "http://www.w3.org/2000/svg" && e.tagName === "title") {
				out.push({ where: where(e), text: e.textContent });
				continue;
			}
			if (!(sr && e.classList.contains("sr-only")) && !visible(e))
				continue;
			for (const c of e.childNodes)
				if (c.nodeType === 3 && c.nodeValue.trim())
					out.push({ where: where(e), text: c.nodeValue });
		}
		return out;
	}, [skip, !!readOut]);
}

// The English words left in texts ([{where, text}]) once the pseudo-language's ⟦...⟧, the data (strings the page
// shows as they are) and the locale's own words are set aside, but those in ok: [{where, word, text}].
export function englishLeft(texts, data, localeWords, ok) {
	const strings = [...data].filter((s) => s.length >= 2).sort((a, b) => b.length - a.length);
	const found = [];
	for (const { where, text } of texts) {
		let t = withoutPseudo(text);
		if (!/[A-Za-z]{2}/.test(t))
			continue;
		// A piece of one answer (an OpenStreetMap answer's link, then its tags; a chart's label cut short with an
		// ellipsis) is data too.
		const piece = t.trim().replace(/…$/, "");
		if (piece.length >= 2 && strings.some((s) => s.includes(piece)))
			continue;
		for (const s of strings)
			if (t.includes(s))
				t = t.split(s).join(" ");
		for (const w of localeWords)
			t = t.split(w).join(" ");
		t = t.replace(MONTHS, " ").replace(/\b[AP]M\b/g, " ").replace(/\b[0-9a-f]{8}\b/g, " ");
		for (const w of t.match(/[A-Za-z]{2,}/g) || [])
			if (!ok.has(w))
				found.push({ where, word: w, text: text.trim().slice(0, 120) });
	}
	return found;
}
