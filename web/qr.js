/* qr.js - a QR Code encoder (ISO/IEC 18004), byte mode, versions 1 to 40, levels L, M, Q, H, with
 * Reed-Solomon error correction and the mask chosen by the penalty rules; drawn as SVG.
 *
 *   SondeoQR.encode(text, "M")  -> {version, size, mask, modules: [[true|false...]...]} (row by row, dark true)
 *   SondeoQR.svg(text, "M", {quiet: 4, label: "..."})  -> an <svg> element, one <rect> per dark module
 *
 * The text is encoded as UTF-8 in one byte-mode segment, in the smallest version that holds it. The penalty
 * of a mask is computed over the whole symbol with its format information, as libqrencode does, so the
 * symbol is the same module for module as `qrencode -8 -l M` makes (tests/browser/review.mjs checks it). */
(function () {
	"use strict";

	var LEVELS = { L: 1, M: 0, Q: 3, H: 2 };   /* the two format bits of each level */
	var LEVEL_INDEX = { L: 0, M: 1, Q: 2, H: 3 };
	/* Error correction codewords per block, and number of blocks, by level (L, M, Q, H) and version (1-40). */
	var EC_PER_BLOCK = [
		[7, 10, 15, 20, 26, 18, 20, 24, 30, 18, 20, 24, 26, 30, 22, 24, 28, 30, 28, 28, 28, 28, 30, 30, 26, 28,
			30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
		[10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28, 28,
			28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28],
		[13, 22, 18, 26, 18, 24, 18, 22, 20, 24, 28, 26, 24, 20, 30, 24, 28, 28, 26, 30, 28, 30, 30, 30, 30, 28,
			30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30],
		[17, 28, 22, 16, 22, 28, 26, 26, 24, 28, 24, 28, 22, 24, 24, 30, 28, 28, 26, 28, 30, 24, 30, 30, 30, 30,
			30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30, 30]
	];
	var BLOCKS = [
		[1, 1, 1, 1, 1, 2, 2, 2, 2, 4, 4, 4, 4, 4, 6, 6, 6, 6, 7, 8, 8, 9, 9, 10, 12, 12, 12, 13, 14, 15, 16, 17,
			18, 19, 19, 20, 21, 22, 24, 25],
		[1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29,
			31, 33, 35, 37, 38, 40, 43, 45, 47, 49],
		[1, 1, 2, 2, 4, 4, 6, 6, 8, 8, 8, 10, 12, 16, 12, 17, 16, 18, 21, 20, 23, 23, 25, 27, 29, 34, 34, 35, 38,
			40, 43, 45, 48, 51, 53, 56, 59, 62, 65, 68],
		[1, 1, 2, 4, 4, 4, 5, 6, 8, 8, 11, 11, 16, 16, 18, 16, 19, 21, 25, 25, 25, 34, 30, 32, 35, 37, 40, 42, 45,
			48, 51, 54, 57, 60, 63, 66, 70, 74, 77, 81]
	];

	/* --- GF(256) with the polynomial x^8 + x^4 + x^3 + x^2 + 1, and Reed-Solomon ------------------------ */
	var EXP = new Array(512), LOG = new Array(256);
	(function () {
		var x = 1, i;
		for (i = 0; i < 255; i++) {
			EXP[i] = x;
			LOG[x] = i;
			x <<= 1;
			if (x & 0x100)
				x ^= 0x11d;
		}
		for (i = 255; i < 512; i++)
			EXP[i] = EXP[i - 255];
	})();

	function gfMul(a, b) {
		return a === 0 || b === 0 ? 0 : EXP[LOG[a] + LOG[b]];
	}

	/* The generator polynomial of degree n, (x - a^0)(x - a^1)...(x - a^(n-1)), highest term first. */
	function rsGenerator(n) {
		var g = [1], i, j, next;
		for (i = 0; i < n; i++) {
			next = new Array(g.length + 1);
			for (j = 0; j < next.length; j++)
				next[j] = 0;
			for (j = 0; j < g.length; j++) {
				next[j] ^= g[j];
				next[j + 1] ^= gfMul(g[j], EXP[i]);
			}
			g = next;
		}
		return g;
	}

	/* The n error correction codewords of data: the remainder of data(x) * x^n divided by the generator. */
	function rsRemainder(data, n) {
		var g = rsGenerator(n), rem = [], i, j, factor;
		for (i = 0; i < n; i++)
			rem.push(0);
		for (i = 0; i < data.length; i++) {
			factor = data[i] ^ rem.shift();
			rem.push(0);
			for (j = 0; j < n; j++)
				rem[j] ^= gfMul(g[j + 1], factor);
		}
		return rem;
	}

	/* --- Sizes ------------------------------------------------------------------------------------------- */

	/* Modules left for data and error correction once the function patterns are placed. */
	function rawModules(ver) {
		var n = (16 * ver + 128) * ver + 64, a;
		if (ver >= 2) {
			a = Math.floor(ver / 7) + 2;
			n -= (25 * a - 10) * a - 55;
			if (ver >= 7)
				n -= 36;
		}
		return n;
	}

	function dataCodewords(ver, li) {
		return Math.floor(rawModules(ver) / 8) - EC_PER_BLOCK[li][ver - 1] * BLOCKS[li][ver - 1];
	}

	/* Centres of the alignment patterns along one axis. */
	function alignmentPositions(ver) {
		var size = ver * 4 + 17, n, step, pos, out;
		if (ver === 1)
			return [];
		n = Math.floor(ver / 7) + 2;
		step = ver === 32 ? 26 : Math.ceil((size - 13) / (n * 2 - 2)) * 2;
		out = [6];
		for (pos = size - 7; out.length < n; pos -= step)
			out.splice(1, 0, pos);
		return out;
	}

	function utf8(text) {
		var bytes = [], i, c, s = unescape(encodeURIComponent(text));
		for (i = 0; i < s.length; i++) {
			c = s.charCodeAt(i);
			bytes.push(c);
		}
		return bytes;
	}

	/* --- Bits and codewords ---------------------------------------------------------------------------- */

	function buildCodewords(bytes, ver, li) {
		var bits = [], capacity = dataCodewords(ver, li) * 8, data = [], i, pad;
		function put(value, n) {
			for (var k = n - 1; k >= 0; k--)
				bits.push((value >>> k) & 1);
		}
		put(4, 4);                                  /* byte mode */
		put(bytes.length, ver <= 9 ? 8 : 16);
		for (i = 0; i < bytes.length; i++)
			put(bytes[i], 8);
		put(0, Math.min(4, capacity - bits.length)); /* terminator */
		while (bits.length % 8)
			bits.push(0);
		for (i = 0; i < bits.length; i += 8)
			data.push(parseInt(bits.slice(i, i + 8).join(""), 2));
		for (pad = 0xec; data.length < capacity / 8; pad ^= 0xec ^ 0x11)
			data.push(pad);

		/* Split into blocks (the short ones first), add each block's error correction, interleave. */
		var nblocks = BLOCKS[li][ver - 1], ecLen = EC_PER_BLOCK[li][ver - 1];
		var raw = Math.floor(rawModules(ver) / 8), shortCount = nblocks - raw % nblocks;
		var shortLen = Math.floor(raw / nblocks) - ecLen, blocks = [], eccs = [], k = 0, b, len, out = [];
		for (b = 0; b < nblocks; b++) {
			len = shortLen + (b < shortCount ? 0 : 1);
			blocks.push(data.slice(k, k + len));
			eccs.push(rsRemainder(data.slice(k, k + len), ecLen));
			k += len;
		}
		for (i = 0; i <= shortLen; i++)
			for (b = 0; b < nblocks; b++)
				if (i < blocks[b].length)
					out.push(blocks[b][i]);
		for (i = 0; i < ecLen; i++)
			for (b = 0; b < nblocks; b++)
				out.push(eccs[b][i]);
		return out;
	}

	/* --- The symbol ------------------------------------------------------------------------------------ */

	function Symbol(ver) {
		this.ver = ver;
		this.size = ver * 4 + 17;
		this.dark = [];
		this.fixed = [];
		for (var y = 0; y < this.size; y++) {
			this.dark.push(new Array(this.size).fill(false));
			this.fixed.push(new Array(this.size).fill(false));
		}
	}

	Symbol.prototype.set = function (x, y, dark) {
		this.dark[y][x] = dark;
		this.fixed[y][x] = true;
	};

	Symbol.prototype.functionPatterns = function () {
		var size = this.size, i, dx, dy, pos, a, b, d;
		for (i = 0; i < size; i++) {              /* timing */
			this.set(6, i, i % 2 === 0);
			this.set(i, 6, i % 2 === 0);
		}
		var self = this;
		function finder(cx, cy) {
			for (dy = -4; dy <= 4; dy++)
				for (dx = -4; dx <= 4; dx++) {
					var x = cx + dx, y = cy + dy;
					d = Math.max(Math.abs(dx), Math.abs(dy));
					if (x >= 0 && x < size && y >= 0 && y < size)
						self.set(x, y, d !== 2 && d !== 4);
				}
		}
		finder(3, 3);
		finder(size - 4, 3);
		finder(3, size - 4);
		pos = alignmentPositions(this.ver);
		for (a = 0; a < pos.length; a++)
			for (b = 0; b < pos.length; b++) {
				if ((a === 0 && b === 0) || (a === 0 && b === pos.length - 1) || (a === pos.length - 1 && b === 0))
					continue;
				for (dy = -2; dy <= 2; dy++)
					for (dx = -2; dx <= 2; dx++)
						this.set(pos[a] + dx, pos[b] + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
			}
		this.formatBits(LEVELS.M, 0);             /* reserves the format areas; rewritten per mask */
		this.versionBits();
	};

	/* The 15 format bits (level and mask, BCH coded, XOR 0x5412) in both copies, and the dark module. */
	Symbol.prototype.formatBits = function (levelBits, mask) {
		var size = this.size, data = (levelBits << 3) | mask, rem = data, bits, i;
		for (i = 0; i < 10; i++)
			rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
		bits = ((data << 10) | rem) ^ 0x5412;
		function bit(k) {
			return ((bits >>> k) & 1) !== 0;
		}
		for (i = 0; i <= 5; i++)
			this.set(8, i, bit(i));
		this.set(8, 7, bit(6));
		this.set(8, 8, bit(7));
		this.set(7, 8, bit(8));
		for (i = 9; i < 15; i++)
			this.set(14 - i, 8, bit(i));
		for (i = 0; i < 8; i++)
			this.set(size - 1 - i, 8, bit(i));
		for (i = 8; i < 15; i++)
			this.set(8, size - 15 + i, bit(i));
		this.set(8, size - 8, true);
	};

	/* The 18 version bits (versions 7 and up), BCH coded, in both corners. */
	Symbol.prototype.versionBits = function () {
		var rem = this.ver, bits, i, a, b, dark;
		if (this.ver < 7)
			return;
		for (i = 0; i < 12; i++)
			rem = (rem << 1) ^ ((rem >>> 11) * 0x1f25);
		bits = (this.ver << 12) | rem;
		for (i = 0; i < 18; i++) {
			dark = ((bits >>> i) & 1) !== 0;
			a = this.size - 11 + i % 3;
			b = Math.floor(i / 3);
			this.set(a, b, dark);
			this.set(b, a, dark);
		}
	};

	/* The codewords in the zigzag of two-module columns, right to left, skipping the vertical timing column. */
	Symbol.prototype.place = function (codewords) {
		var size = this.size, i = 0, right, vert, j, x, y, up, total = codewords.length * 8;
		for (right = size - 1; right >= 1; right -= 2) {
			if (right === 6)
				right = 5;
			up = ((right + 1) & 2) === 0;
			for (vert = 0; vert < size; vert++)
				for (j = 0; j < 2; j++) {
					x = right - j;
					y = up ? size - 1 - vert : vert;
					if (this.fixed[y][x])
						continue;
					this.dark[y][x] = i < total && ((codewords[i >>> 3] >>> (7 - (i & 7))) & 1) === 1;
					i++;
				}
		}
	};

	var MASKS = [
		function (x, y) { return (x + y) % 2 === 0; },
		function (x, y) { return y % 2 === 0; },
		function (x) { return x % 3 === 0; },
		function (x, y) { return (x + y) % 3 === 0; },
		function (x, y) { return (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0; },
		function (x, y) { return (x * y) % 2 + (x * y) % 3 === 0; },
		function (x, y) { return ((x * y) % 2 + (x * y) % 3) % 2 === 0; },
		function (x, y) { return ((x + y) % 2 + (x * y) % 3) % 2 === 0; }
	];

	Symbol.prototype.applyMask = function (m) {
		for (var y = 0; y < this.size; y++)
			for (var x = 0; x < this.size; x++)
				if (!this.fixed[y][x] && MASKS[m](x, y))
					this.dark[y][x] = !this.dark[y][x];
	};

	/* Penalty of one line given as run lengths, light and dark alternating and starting with a light run (of
	 * length 0 when the line starts dark): runs of five or more (N1 = 3, plus one per module past five), and
	 * dark-light-dark-light-dark runs in the ratio 1:1:3:1:1 with four light modules (or the edge) on one side
	 * (N3 = 40). */
	function linePenalty(runs) {
		var p = 0, i, f, n = runs.length;
		for (i = 0; i < n; i++) {
			if (runs[i] >= 5)
				p += 3 + runs[i] - 5;
			if (i % 2 === 1 && i >= 3 && i < n - 2 && runs[i] % 3 === 0) {
				f = runs[i] / 3;
				if (runs[i - 2] === f && runs[i - 1] === f && runs[i + 1] === f && runs[i + 2] === f &&
				    (i === 3 || runs[i - 3] >= 4 * f || i + 4 >= n || runs[i + 3] >= 4 * f))
					p += 40;
			}
		}
		return p;
	}

	function runsOf(get, size) {
		var runs = [], prev = false, k;
		runs.push(0);
		for (k = 0; k < size; k++) {
			if (get(k) !== prev) {
				runs.push(1);
				prev = !prev;
			} else {
				runs[runs.length - 1]++;
			}
		}
		return runs;
	}

	Symbol.prototype.penalty = function () {
		var size = this.size, d = this.dark, p = 0, x, y, darkCount = 0, ratio;
		for (y = 1; y < size; y++)                /* N2: 2x2 blocks of one colour */
			for (x = 1; x < size; x++)
				if (d[y][x] === d[y][x - 1] && d[y][x] === d[y - 1][x] && d[y][x] === d[y - 1][x - 1])
					p += 3;
		for (y = 0; y < size; y++) {
			p += linePenalty(runsOf(function (k) { return d[y][k]; }, size));
			for (x = 0; x < size; x++)
				if (d[y][x])
					darkCount++;
		}
		for (x = 0; x < size; x++)
			p += linePenalty(runsOf(function (k) { return d[k][x]; }, size));
		/* N4: 10 for each 5% the dark proportion is away from half, rounded to a whole percent first. */
		ratio = Math.floor((200 * darkCount + size * size) / (size * size) / 2);
		return p + Math.floor(Math.abs(ratio - 50) / 5) * 10;
	};

	function encode(text, level) {
		var li, ver, bytes = utf8(text), codewords, base, best = null, bestPenalty = Infinity, m, sym, pen;
		level = level || "M";
		if (!(level in LEVELS))
			throw new Error("unknown error correction level " + level);
		li = LEVEL_INDEX[level];
		for (ver = 1; ver <= 40; ver++)
			if (4 + (ver <= 9 ? 8 : 16) + 8 * bytes.length <= dataCodewords(ver, li) * 8)
				break;
		if (ver > 40)
			throw new Error("the text is too long for a QR code");
		codewords = buildCodewords(bytes, ver, li);
		base = new Symbol(ver);
		base.functionPatterns();
		base.place(codewords);
		for (m = 0; m < 8; m++) {
			sym = new Symbol(ver);
			sym.dark = base.dark.map(function (row) { return row.slice(); });
			sym.fixed = base.fixed.map(function (row) { return row.slice(); });
			sym.applyMask(m);
			sym.formatBits(LEVELS[level], m);
			pen = sym.penalty();
			if (pen < bestPenalty) {
				bestPenalty = pen;
				best = { mask: m, sym: sym };
			}
		}
		return { version: ver, size: best.sym.size, mask: best.mask, modules: best.sym.dark };
	}

	var SVGNS = "http://www.w3.org/2000/svg";

	/* An SVG of the code: the light background with a quiet zone, one rect per dark module (in module units). */
	function svg(text, level, opts) {
		var qr = encode(text, level), quiet = opts && opts.quiet !== undefined ? opts.quiet : 4;
		var n = qr.size + 2 * quiet, s = document.createElementNS(SVGNS, "svg"), bg, r, x, y, title;
		s.setAttribute("viewBox", -quiet + " " + -quiet + " " + n + " " + n);
		s.setAttribute("class", "qr");
		s.setAttribute("role", "img");
		/* TRANSLATORS: the name of a QR code for screen readers; {text} is what it holds. */
		s.setAttribute("aria-label", (opts && opts.label) || (typeof fmt === "function" ?
			fmt(_("QR code of {text}"), { text: text }) : "QR code of " + text));
		s.setAttribute("shape-rendering", "crispEdges");
		s.setAttribute("data-version", String(qr.version));
		s.setAttribute("data-mask", String(qr.mask));
		title = document.createElementNS(SVGNS, "title");
		title.textContent = (opts && opts.label) || text;
		s.appendChild(title);
		bg = document.createElementNS(SVGNS, "rect");
		bg.setAttribute("x", String(-quiet));
		bg.setAttribute("y", String(-quiet));
		bg.setAttribute("width", String(n));
		bg.setAttribute("height", String(n));
		bg.setAttribute("class", "qr-light");
		s.appendChild(bg);
		for (y = 0; y < qr.size; y++)
			for (x = 0; x < qr.size; x++)
				if (qr.modules[y][x]) {
					r = document.createElementNS(SVGNS, "rect");
					r.setAttribute("x", String(x));
					r.setAttribute("y", String(y));
					r.setAttribute("width", "1");
					r.setAttribute("height", "1");
					r.setAttribute("class", "qr-dark");
					s.appendChild(r);
				}
		return s;
	}

	var api = { encode: encode, svg: svg };
	if (typeof window !== "undefined")
		window.SondeoQR = api;
	if (typeof module !== "undefined" && module.exports)
		module.exports = api;
})();
