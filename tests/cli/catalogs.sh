#!/bin/sh
# catalogs.sh - every message of the code is in every catalog (po/LANG.po), translated and not fuzzy, and the
# check says so when one is not: a message left out, left fuzzy or broken is named with its file.
: "${TOP:=$(cd "$(dirname "$0")/../.." && pwd)}"
export TOP
. "$TOP/tests/cli/lib.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/sondeo-po.XXXXXX")
at_exit "rm -rf '$work'"

t "every catalog has every message of the programs and the page, translated, none fuzzy"
run sh "$TOP/scripts/po.sh" check
check_rc 0
check_out_has "catalogs complete: po/es.po po/fr.po"
for po in "$TOP"/po/*.po; do
	run msgfmt --check --statistics -o /dev/null "$po"
	check_rc 0
	check_err_lacks "untranslated"
	check_err_lacks "fuzzy"
done

# A copy of po/fr.po with one message taken out, one marked fuzzy, one with a conversion of the wrong kind.
t "a catalog that lacks a message is refused, naming the message"
awk 'BEGIN { n = 0 } /^msgid "today %s"$/ { skip = 1 } skip && /^$/ { skip = 0; next } !skip' \
	"$TOP/po/fr.po" >"$work/fr.po"
run sh "$TOP/scripts/po.sh" check "$work/fr.po"
check_rc 1
check_out_has "1 untranslated message"
check_out_has 'msgid "today %s"'

t "a fuzzy translation is refused"
awk '/^msgid "yesterday %s"$/ { print "#, fuzzy" } { print }' "$TOP/po/fr.po" >"$work/fr.po"
run sh "$TOP/scripts/po.sh" check "$work/fr.po"
check_rc 1
check_out_has "1 fuzzy translation"
check_out_has 'msgid "yesterday %s"'

t "a translation whose conversions differ from the message's is refused by msgfmt --check"
awk '/^msgid "today %s"$/ { print; getline; print "msgstr \"aujourd'"'"'hui %d\""; next } { print }' \
	"$TOP/po/fr.po" >"$work/fr.po"
run sh "$TOP/scripts/po.sh" check "$work/fr.po"
check_rc 1
check_out_has "msgfmt --check"
check_out_has "format specifications in 'msgid' and 'msgstr' for argument 1 are not the same"

done_testing
