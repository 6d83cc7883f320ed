#!/bin/sh
# countries.sh - the choices of the built-in form's country question (forms/partnership.json), from Debian's
# iso-codes: every ISO 3166-1 country by its alpha-3 code (the answer stored: KEN), labelled with its common name in
# English, French and Spanish (iso-codes' own translations), in the order of the English names.
#
#   sh scripts/countries.sh    rewrites the lines between the country question's "choices": [ and its ] in place,
#                              one choice a line as the form's other lists are written; nothing else is touched
#
# Needs iso-codes, gettext (msgunfmt) and python3: a maintainer's tool, run when iso-codes changes, not by the build.
set -eu
json=/usr/share/iso-codes/json/iso_3166-1.json
for f in "$json" /usr/share/locale/fr/LC_MESSAGES/iso_3166-1.mo /usr/share/locale/es/LC_MESSAGES/iso_3166-1.mo; do
	[ -r "$f" ] || { echo "countries.sh: $f is missing: apt-get install iso-codes gettext" >&2; exit 1; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for l in fr es; do
	msgunfmt --no-wrap "/usr/share/locale/$l/LC_MESSAGES/iso_3166-1.mo" >"$tmp/$l.po"
done
python3 - "$json" "$tmp/fr.po" "$tmp/es.po" forms/partnership.json <<'PY'
import json, re, sys, unicodedata

def catalog(path):
    out, mid = {}, None
    for line in open(path, encoding="utf-8"):
        m = re.match(r'^msgid "(.*)"$', line)
        if m:
            mid = m.group(1)
            continue
        m = re.match(r'^msgstr "(.*)"$', line)
        if m and mid:
            out[json.loads('"%s"' % mid)] = json.loads('"%s"' % m.group(1))
    return out

# Where iso-codes lists a name inverted for an index ("Congo, The Democratic Republic of the"), left untranslated
# or misspelt (es "Costa de Marfíl"), the name a person would look for, by alpha-3 code.
FIX = {
    "ALA": {"fr": "Îles Åland", "es": "Islas Åland"},
    "BFA": {"es": "Burkina Faso"},
    "CCK": {"fr": "Îles Cocos (Keeling)"},
    "CIV": {"es": "Costa de Marfil"},
    "COD": {"en": "Democratic Republic of the Congo", "es": "República Democrática del Congo"},
    "COM": {"es": "Comoras"},
    "CXR": {"fr": "Île Christmas"},
    "DZA": {"es": "Argelia"},
    "FLK": {"fr": "Îles Malouines (Falkland)"},
    "FSM": {"en": "Micronesia", "fr": "Micronésie", "es": "Micronesia"},
    "GRL": {"fr": "Groenland"},
    "IRN": {"fr": "Iran", "es": "Irán"},
    "KOR": {"es": "Corea del Sur"},
    "LAO": {"fr": "Laos", "es": "Laos"},
    "MAC": {"fr": "Macao"},
    "NER": {"es": "Níger"},
    "PRK": {"es": "Corea del Norte"},
    "PSE": {"en": "Palestine", "fr": "Palestine", "es": "Palestina"},
    "REU": {"fr": "La Réunion"},
    "RUS": {"fr": "Russie", "es": "Rusia"},
    "SLB": {"fr": "Îles Salomon"},
    "SUR": {"es": "Surinam"},
    "SXM": {"es": "San Martín (parte neerlandesa)"},
    "SYR": {"fr": "Syrie", "es": "Siria"},
    "TUN": {"es": "Túnez"},
    "TUR": {"fr": "Turquie", "es": "Turquía"},
    "VGB": {"en": "British Virgin Islands", "fr": "Îles Vierges britanniques", "es": "Islas Vírgenes Británicas"},
    "VIR": {"en": "U.S. Virgin Islands", "fr": "Îles Vierges des États-Unis",
            "es": "Islas Vírgenes de los Estados Unidos"},
}

countries = json.load(open(sys.argv[1], encoding="utf-8"))["3166-1"]
fr, es = catalog(sys.argv[2]), catalog(sys.argv[3])
rows = []
for c in countries:
    en = c.get("common_name") or c["name"]
    # iso-codes translates the name it lists; a common name without a translation falls back to the name's.
    label = {"en": en, "fr": fr.get(en) or fr.get(c["name"]) or en, "es": es.get(en) or es.get(c["name"]) or en}
    label.update(FIX.get(c["alpha_3"], {}))
    # Sorted as a person reads them: Åland Islands among the A's.
    key = "".join(ch for ch in unicodedata.normalize("NFD", label["en"].lower()) if not unicodedata.combining(ch))
    rows.append((key, c["alpha_3"], label))
rows.sort()
lines = ['        { "name": %s, "label": %s }' % (json.dumps(code), json.dumps(label, ensure_ascii=False))
         for _, code, label in rows]

path = sys.argv[4]
text = open(path, encoding="utf-8").read().split("\n")
q = text.index('      "name": "country",')
start = next(i for i in range(q, len(text)) if text[i] == '      "choices": [')
end = next(i for i in range(start, len(text)) if text[i].startswith('      ]'))
text[start + 1:end] = [l + "," for l in lines[:-1]] + lines[-1:]
out = "\n".join(text)
json.loads(out)   # still a form
open(path, "w", encoding="utf-8").write(out)
print("countries.sh: %d countries written to %s" % (len(rows), path))
PY
