#!/usr/bin/env python3
"""mkxlsx.py - a test tool: writes a small .xlsx workbook from a JSON description, by hand (zip + XML), so
that the tests of XLSForm import can make workbooks with exactly the quirks they need.

    mkxlsx.py OUT.xlsx SPEC.json [--shared] [--doctype] [--bomb MIB] [--date1904] [--reverse]

SPEC is {"SHEET": [[cell, ...], ...], ...} in sheet order. A cell is a string (written as an inline string, or
through the shared strings table with --shared), a number, true/false (a boolean cell), null (empty), or
{"date": SERIAL} (a number in a date format).
    --doctype   the workbook part declares entities that expand a billion times (must be refused)
    --bomb MIB  the first sheet's XML inflates to MIB mebibytes (a zip bomb: must be refused, in bounded memory)
    --reverse   the first sheet's rows are written last row first
"""
import json
import sys
import zipfile
from xml.sax.saxutils import escape


def col_name(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def main():
    args = sys.argv[1:]
    out, spec_path = args[0], args[1]
    shared = "--shared" in args
    doctype = "--doctype" in args
    date1904 = "--date1904" in args
    reverse = "--reverse" in args
    bomb = int(args[args.index("--bomb") + 1]) if "--bomb" in args else 0
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    strings = []

    def cell_xml(ref, v):
        if v is None:
            return ""
        if isinstance(v, bool):
            return '<c r="%s" t="b"><v>%d</v></c>' % (ref, 1 if v else 0)
        if isinstance(v, (int, float)):
            return '<c r="%s"><v>%r</v></c>' % (ref, v)
        if isinstance(v, dict) and "date" in v:
            return '<c r="%s" s="1"><v>%r</v></c>' % (ref, v["date"])
        if shared:
            strings.append(v)
            return '<c r="%s" t="s"><v>%d</v></c>' % (ref, len(strings) - 1)
        return '<c r="%s" t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>' % (ref, escape(v))

    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rns = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    sheets = list(spec.items())
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types '
                   'xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>')
        for i, (name, rows) in enumerate(sheets):
            body = []
            for r, row in enumerate(rows):
                cells = "".join(cell_xml("%s%d" % (col_name(c), r + 1), v) for c, v in enumerate(row))
                body.append('<row r="%d">%s</row>' % (r + 1, cells))
            if reverse and i == 0:
                body.reverse()
            pad = " " * (bomb << 20) if bomb and i == 0 else ""
            z.writestr("xl/worksheets/sheet%d.xml" % (i + 1), '<?xml version="1.0" encoding="UTF-8"?>'
                       '<worksheet %s><sheetData>%s</sheetData>%s</worksheet>' % (ns, "".join(body), pad))
        head = '<?xml version="1.0" encoding="UTF-8"?>'
        if doctype:
            head += ('<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
                     '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">'
                     '<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>')
        z.writestr("xl/workbook.xml", head + '<workbook %s %s>%s<sheets>%s</sheets></workbook>' % (
            ns, rns, '<workbookPr date1904="1"/>' if date1904 else "",
            "".join('<sheet name="%s" sheetId="%d" r:id="rId%d"/>' % (escape(n) + ("&lol4;" if doctype and not i else ""),
                                                                        i + 1, i + 1) for i, (n, _) in enumerate(sheets))))
        rels = "".join('<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                       'relationships/worksheet" Target="worksheets/sheet%d.xml"/>' % (i + 1, i + 1)
                       for i in range(len(sheets)))
        rels += ('<Relationship Id="rIdS" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/sharedStrings" Target="sharedStrings.xml"/>'
                 '<Relationship Id="rIdT" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                 'relationships/styles" Target="styles.xml"/>')
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0" encoding="UTF-8"?><Relationships '
                   'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">%s</Relationships>' % rels)
        z.writestr("xl/sharedStrings.xml", '<?xml version="1.0" encoding="UTF-8"?><sst %s count="%d">%s</sst>' % (
            ns, len(strings), "".join('<si><t xml:space="preserve">%s</t></si>' % escape(s) for s in strings)))
        z.writestr("xl/styles.xml", '<?xml version="1.0" encoding="UTF-8"?><styleSheet %s><numFmts count="1">'
                   '<numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd"/></numFmts><cellXfs count="2">'
                   '<xf numFmtId="0"/><xf numFmtId="164"/></cellXfs></styleSheet>' % ns)


main()
