# unwrapped.awk - finds text that reached the screen without going through a catalog, in output made in the
# test build's pseudo-language qps (scripts/pseudo.awk: every message accented and wrapped in ⟦ ⟧).
#
#	awk -v where=WHAT -v data=FILE -f unwrapped.awk OUTPUT
#
# Removes from each line the literal strings listed in FILE (one per line, longest first, so that a datum holding
# another is removed whole: the data the test put in, which is shown as it is), then every ⟦...⟧ part (they nest: a message's %s may hold another message, and span lines:
# it may hold several), and prints
# "WHAT: line N: WORD in: LINE" for each word left that is made of letters (ids, numbers, paths, options and
# the programs' names are not words). Exits 1 if it printed anything.
BEGIN {
	nd = 0
	if (data != "")
		while ((getline l < data) > 0)
			if (length(l) > 1)
				D[++nd] = l
	split("sondeo sondeod", a, " ")
	for (i in a) allowed[a[i]] = 1
	found = 0
	# Across lines: a message's %s may hold text of several lines (a usage, a list).
	depth = 0
}
{
	line = $0
	for (i = 1; i <= nd; i++)
		while ((k = index(line, D[i])) > 0)
			line = substr(line, 1, k - 1) " " substr(line, k + length(D[i]))
	rest = ""
	n = length(line)
	for (i = 1; i <= n; i++) {
		c3 = substr(line, i, 3)
		if (c3 == "⟦") { depth++; i += 2; continue }
		if (c3 == "⟧") { if (depth > 0) depth--; i += 2; continue }
		if (depth == 0) rest = rest substr(line, i, 1)
	}
	nw = split(rest, w, /[ \t]+/)
	for (i = 1; i <= nw; i++) {
		t = w[i]
		gsub(/^[][(){}<>"'`,.:;!?*]+|[][(){}<>"'`,.:;!?*]+$/, "", t)
		if (t ~ /^[A-Za-z][a-z]+$/ || t ~ /^[A-Z][A-Z]+$/) {
			if (tolower(t) in allowed)
				continue
			printf "%s: line %d: '%s' in: %s\n", where, NR, t, $0
			found = 1
		}
	}
}
END { exit found }
