#!/bin/sh
# po.sh - the message catalogs (po/LANG.po), with GNU gettext's tools.
#   sh scripts/po.sh pot OUT.pot     extract every message of the programs and the review page (xgettext)
#   sh scripts/po.sh update          merge the messages into every po/LANG.po (msgmerge), for translators
#   sh scripts/po.sh check [PO...]   fail, naming them, unless every catalog (po/*.po) has every message
#                                    translated, none fuzzy, none left over, and msgfmt --check passes
#   sh scripts/po.sh pseudo IN.pot OUT.po   the pseudo-language: each message accented and wrapped in [[ ]]
# C marks messages with _(), N_(), P_(one, many, n), C_(context, msgid) and NC_(context, msgid) (common/i18n.h); the page with _()
# and P_() (web/i18n.js).
set -eu
cd "$(dirname "$0")/.."

pot() {
	out=$1
	tmp=$out.tmp.$$
	# Sorted by file, so that a message's place in the .pot does not move with unrelated changes.
	ls client/*.c server/*.c common/*.c proto/*.c | LC_ALL=C sort >"$tmp.files"
	xgettext --from-code=UTF-8 --language=C --add-comments=TRANSLATORS: --sort-by-file --add-location=file --no-wrap --force-po \
		-k_ -kN_ -kP_:1,2 -kC_:1c,2 -kNC_:1c,2 --package-name=sondeo --msgid-bugs-address=sondeo \
		-f "$tmp.files" -o "$tmp.c"
	# xgettext leaves the charset to be filled in; the sources are UTF-8.
	sed -i 's/charset=CHARSET/charset=UTF-8/' "$tmp.c"
	# The page's messages joined in (-j), so that a message both the programs and the page use keeps both
	# places: the page's catalogs are the messages found in web/ (Makefile, msggrep -N).
	ls web/*.js web/field/*.js | LC_ALL=C sort >"$tmp.files"
	xgettext --from-code=UTF-8 --language=JavaScript --add-comments=TRANSLATORS: --sort-by-file --add-location=file \
		--no-wrap --force-po -k_ -kP_:1,2 -kC_:1c,2 -f "$tmp.files" -j -o "$tmp.c"
	mv "$tmp.c" "$out"
	rm -f "$tmp.files"
}

case "${1:-}" in
pot)
	pot "$2"
	;;
update)
	mkdir -p build/po
	pot build/po/sondeo.pot
	for po in po/*.po; do
		msgmerge --quiet --update --backup=none --no-wrap --previous "$po" build/po/sondeo.pot
	done
	echo "merged into: $(ls po/*.po | tr '\n' ' ')"
	;;
check)
	dir=$(mktemp -d "${TMPDIR:-/tmp}/sondeo-po.XXXXXX")
	trap 'rm -rf "$dir"' EXIT
	pot "$dir/sondeo.pot"
	shift
	[ $# -gt 0 ] || set -- po/*.po
	bad=0
	for po in "$@"; do
		if ! stats=$(msgfmt --check --statistics -o /dev/null "$po" 2>&1); then
			echo "$po: msgfmt --check: $stats"
			bad=1
			continue
		fi
		case "$stats" in
		*untranslated* | *fuzzy*) echo "$po: $stats"; bad=1 ;;
		esac
		# Messages of the code the catalog lacks, and the catalog's messages the code no longer has.
		msgmerge --quiet --no-wrap --no-fuzzy-matching -o "$dir/merged.po" "$po" "$dir/sondeo.pot"
		merged=$(msgfmt --statistics -o /dev/null "$dir/merged.po" 2>&1)
		stale=$(msgattrib --only-obsolete --no-wrap "$dir/merged.po" | grep -c '^#~ msgid ' || true)
		case "$merged" in
		*untranslated* | *fuzzy*) ;;
		*) [ "$stale" = 0 ] && continue ;;
		esac
		echo "$po: against the code, $merged $stale no longer used. sh scripts/po.sh update, then translate:"
		# The first of them, without msgattrib's header.
		{ msgattrib --untranslated --no-wrap "$dir/merged.po"; msgattrib --only-fuzzy --no-wrap "$dir/merged.po"; } |
			sed '1,/^$/d' | grep '^#: \|^msgid ' | head -20
		bad=1
	done
	[ "$bad" = 0 ] && echo "catalogs complete: $*"
	exit "$bad"
	;;
pseudo)
	msgen --no-wrap "$2" | awk -f scripts/pseudo.awk >"$3"
	;;
*)
	echo "usage: sh scripts/po.sh pot OUT.pot | update | check | pseudo IN.pot OUT.po" >&2
	exit 2
	;;
esac
