/* charts.js - the dashboard's charts, drawn as SVG by this code (no library): horizontal bars for the answers
 * to a question, columns for records per week. Sizes are in the viewBox's units; CSS scales the SVG to its
 * box. Every bar carries data-value and data-count, and a <title> for a tooltip and screen readers. Numbers are
 * written as the page's language writes them (Sondeo.num, app.js), the words come from its catalog (i18n.js).
 *
 *   SondeoCharts.bars({label, rows: [{value, label, count, href}], width})       -> <svg>
 *   SondeoCharts.columns({label, rows: [{label, title, count}], width, height})  -> <svg>
 */
(function () {
	"use strict";

	var NS = "http://www.w3.org/2000/svg";
	/* A number in the page's language, once app.js is there. */
	var numFmt = { format: function (n) {
		return window.Sondeo && window.Sondeo.num ? window.Sondeo.num(n) : String(n);
	} };

	function el(tag, attrs, text) {
		var e = document.createElementNS(NS, tag), k;
		for (k in attrs)
			if (attrs[k] !== null && attrs[k] !== undefined)
				e.setAttribute(k, String(attrs[k]));
		if (text !== undefined)
			e.textContent = text;
		return e;
	}

	/* A bar's words for a tooltip and screen readers: its label and its count. */
	function labelled(label, count) {
		/* TRANSLATORS: one bar of a chart: {label} is an answer (or a week), {count} how many records. */
		return fmt(_("{label}: {count}"), { label: label, count: numFmt.format(count) });
	}

	/* Cuts a label to n characters, with an ellipsis. */
	function cut(s, n) {
		s = String(s);
		return s.length > n ? s.slice(0, n - 1) + "…" : s;
	}

	/* A tick step of 1, 2 or 5 times a power of ten giving about four ticks up to max. */
	function niceStep(max) {
		var raw = Math.max(1, max / 4), p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
		return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
	}

	function bars(opts) {
		var rows = opts.rows || [], W = opts.width || 640, labelW = Math.round(W * 0.36), countW = 56, rowH = 26,
			top = 6, plotW = W - labelW - countW, H = top + Math.max(1, rows.length) * rowH + 22, max = 0, i,
			svg, g, r, y, w, bar, step, t, x, total = 0;
		for (i = 0; i < rows.length; i++) {
			max = Math.max(max, rows[i].count);
			total += rows[i].count;
		}
		svg = el("svg", { viewBox: "0 0 " + W + " " + H, class: "chart chart-bars", role: "group",
			/* TRANSLATORS: a bar chart's description for screen readers: {chart} is its title (a question), {count}
			 * how many different answers it shows, {total} how many records gave them. */
			"aria-label": fmt(P_("{chart}: {count} answer, {total} in all", "{chart}: {count} answers, {total} in all",
				rows.length), { chart: opts.label, count: numFmt.format(rows.length), total: numFmt.format(total) }),
			preserveAspectRatio: "xMinYMin meet" });
		/* Grid lines and their values, under the bars. */
		step = niceStep(max);
		g = el("g", { class: "grid", "aria-hidden": "true" });
		for (t = 0; t <= Math.max(max, step); t += step) {
			x = labelW + (max ? (t / Math.max(max, step)) * plotW : 0);
			if (x > labelW + plotW + 0.5)
				break;
			g.appendChild(el("line", { x1: x, x2: x, y1: top, y2: H - 18 }));
			g.appendChild(el("text", { x: x, y: H - 4, class: "tick", "text-anchor": "middle" }, numFmt.format(t)));
		}
		svg.appendChild(g);
		if (!rows.length)
			svg.appendChild(el("text", { x: labelW, y: top + 17, class: "empty" }, _("No answers in this selection")));
		for (i = 0; i < rows.length; i++) {
			r = rows[i];
			y = top + i * rowH;
			w = max ? (r.count / Math.max(max, step)) * plotW : 0;
			bar = el(r.href ? "a" : "g", { class: "bar", "data-value": r.value, "data-count": r.count,
				href: r.href || null, "aria-label": labelled(r.label, r.count) });
			bar.appendChild(el("title", {}, labelled(r.label, r.count)));
			bar.appendChild(el("rect", { x: 0, y: y, width: W, height: rowH, class: "hit" }));
			bar.appendChild(el("text", { x: labelW - 8, y: y + rowH / 2 + 4, class: "label", "text-anchor": "end" },
				cut(r.label, Math.floor(labelW / 7))));
			bar.appendChild(el("rect", { x: labelW, y: y + 4, width: Math.max(w, r.count ? 2 : 0), height: rowH - 8,
				rx: 2, class: "fill" }));
			bar.appendChild(el("text", { x: labelW + w + 6, y: y + rowH / 2 + 4, class: "count" },
				numFmt.format(r.count)));
			svg.appendChild(bar);
		}
		return svg;
	}

	function columns(opts) {
		var rows = opts.rows || [], W = opts.width || 960, H = opts.height || 220, left = 44, bottom = 28, top = 10,
			plotW = W - left - 10, plotH = H - top - bottom, max = 0, i, svg, g, step, t, y, slot, bw, h, r, col,
			every, total = 0;
		for (i = 0; i < rows.length; i++) {
			max = Math.max(max, rows[i].count);
			total += rows[i].count;
		}
		svg = el("svg", { viewBox: "0 0 " + W + " " + H, class: "chart chart-columns", role: "group",
			/* TRANSLATORS: the chart of records per week, for screen readers: {chart} is its title. */
			"aria-label": fmt(P_("{chart}: {count} week, {total} records", "{chart}: {count} weeks, {total} records",
				rows.length), { chart: opts.label, count: numFmt.format(rows.length), total: numFmt.format(total) }),
			preserveAspectRatio: "xMinYMin meet" });
		step = niceStep(max);
		g = el("g", { class: "grid", "aria-hidden": "true" });
		for (t = 0; t <= Math.max(max, step); t += step) {
			y = top + plotH - (t / Math.max(max, step)) * plotH;
			g.appendChild(el("line", { x1: left, x2: W - 10, y1: y, y2: y }));
			g.appendChild(el("text", { x: left - 6, y: y + 4, class: "tick", "text-anchor": "end" }, numFmt.format(t)));
		}
		svg.appendChild(g);
		if (!rows.length) {
			svg.appendChild(el("text", { x: left + 10, y: top + plotH / 2, class: "empty" },
				_("No records in this selection")));
			return svg;
		}
		slot = plotW / rows.length;
		bw = Math.max(1, Math.min(48, slot * 0.7));
		every = Math.max(1, Math.ceil(rows.length / Math.floor(plotW / 70)));
		for (i = 0; i < rows.length; i++) {
			r = rows[i];
			h = (r.count / Math.max(max, step)) * plotH;
			col = el("g", { class: "bar", "data-value": r.label, "data-count": r.count,
				"aria-label": labelled(r.title, r.count) });
			col.appendChild(el("title", {}, labelled(r.title, r.count)));
			col.appendChild(el("rect", { x: left + i * slot + (slot - bw) / 2, y: top + plotH - h, width: bw,
				height: Math.max(h, r.count ? 1 : 0), rx: 1, class: "fill" }));
			if (i % every === 0)
				col.appendChild(el("text", { x: left + i * slot + slot / 2, y: H - 8, class: "tick",
					"text-anchor": "middle" }, r.label));
			svg.appendChild(col);
		}
		return svg;
	}

	window.SondeoCharts = { bars: bars, columns: columns };
})();
