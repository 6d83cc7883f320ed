# pseudo.awk - turns the output of msgen (every msgstr a copy of its msgid) into the pseudo-language qps: each
# line of each message wrapped in ⟦ ⟧ and its letters accented, so that a test sees at once any text that
# reached the screen without going through a catalog. printf's conversions (%s, %1$d), escapes (\n) and the
# page's placeholders ({count}) are kept as they are, and so is the header (the msgid "" entry).
function accent(s,    out, c, i, rest) {
	out = ""
	i = 1
	while (i <= length(s)) {
		c = substr(s, i, 1)
		rest = substr(s, i)
		if (c == "%" && match(rest, /^%([0-9]+\$)?[-+ #0']*([0-9]+|\*)?(\.([0-9]+|\*)?)?(hh|ll|[hlLzjtq])?[diouxXeEfFgGaAcspn%]/)) {
			out = out substr(rest, 1, RLENGTH); i += RLENGTH; continue
		}
		if (c == "\\") { out = out substr(s, i, 2); i += 2; continue }
		if (c == "{" && match(rest, /^\{[A-Za-z0-9_]+\}/)) { out = out substr(rest, 1, RLENGTH); i += RLENGTH; continue }
		if (c in map) c = map[c]
		out = out c
		i++
	}
	return out
}
# Each line of the message (ended by \n) wrapped on its own, leading and trailing spaces and newlines outside.
function wrap(s,    out, line, k, lead, trail) {
	out = ""
	while (s != "") {
		k = index(s, "\\n")
		if (k) { line = substr(s, 1, k - 1); s = substr(s, k + 2) } else { line = s; s = "" }
		match(line, /^ */); lead = substr(line, 1, RLENGTH); line = substr(line, RLENGTH + 1)
		match(line, / *$/); trail = substr(line, RSTART); line = substr(line, 1, RSTART - 1)
		if (line != "") line = "⟦" accent(line) "⟧"
		out = out lead line trail (k ? "\\n" : "")
	}
	return out
}
function flush() {
	if (key != "") {
		if (header)
			text = "Project-Id-Version: sondeo\\nPO-Revision-Date: 2026-01-01 00:00+0000\\nLast-Translator: scripts/pseudo.awk\\nLanguage-Team: none\\nLanguage: qps\\nMIME-Version: 1.0\\nContent-Type: text/plain; charset=UTF-8\\nContent-Transfer-Encoding: 8bit\\nPlural-Forms: nplurals=2; plural=(n != 1);\\n"
		print key " \"" (header ? text : wrap(text)) "\""
		key = ""
	}
}
BEGIN {
	split("a á e é i í o ó u ú A Á E É I Í O Ó U Ú c ç n ñ y ý C Ç N Ñ", m, " ")
	for (j = 1; j in m; j += 2) map[m[j]] = m[j + 1]
}
/^#, fuzzy$/ { next }   # only the header is fuzzy in msgen's output, and msgfmt would skip it
/^msgid / { flush(); header = ($0 == "msgid \"\""); idline = 1; print; next }
/^msgstr/ {
	flush()
	key = $1
	text = substr($0, length($1) + 3, length($0) - length($1) - 3)
	if (idline == 0) header = 0
	idline = 0
	next
}
/^"/ {
	if (key != "") { text = text substr($0, 2, length($0) - 2); next }
	if (idline) header = 0   # a msgid continued on further lines is not the header's
	print
	next
}
{ flush(); idline = 0; print }
END { flush() }
