#!/usr/bin/env python3
"""exportcheck.py - a test tool: checks that Sondeo's exports read back whole in the tools analysts use.

  exportcheck.py xlsx BOOK.xlsx FILE.csv
      The workbook's data sheet, read with the standard library alone (zipfile and xml, as a spreadsheet reads the
      file), against the CSV export of the same records: its second row (the names) is the CSV's header, and each
      record's row holds the CSV's values (rows matched by _id): numbers as number cells of the same value, dates
      and date-times as date cells of the same day and second, the rest as the same text (the CSV's apostrophe
      before a formula-like text left out). With pandas (and openpyxl) installed, pandas.read_excel(header=1)
      must give the CSV's columns and records too. Prints "same: R records, C columns", and ", pandas too".

  exportcheck.py gis SOURCE.geojson GPKG.geojson SHP.geojson
      ogr2ogr's GeoJSON of the GeoPackage and of the Shapefile made from SOURCE (a GeoJSON export): the same
      features in the same order at the same places, each with every property of SOURCE at the same value, by
      name in the GeoPackage, by position in the Shapefile (whose names are cut to 10 characters). What those
      formats cannot tell apart is let be: a property absent and a null; in a Shapefile, an empty string and a
      null (dBase has no empty string), and a date-time written as text (dBase has none: ogr2ogr's
      -fieldTypeToString DateTime). Prints "same: N features, P properties".

Exit status 1 with the differences (the first 10) when they differ, 2 on a usage error.
"""
import csv
import datetime
import json
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
EPOCH = datetime.datetime(1899, 12, 30)


def col_index(ref):
    """'AB12' -> 27 (0-based column)."""
    n = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):
        n = n * 26 + ord(ch) - 64
    return n - 1


def first_sheet(z):
    """The path in the zip of the workbook's first sheet."""
    book = ET.fromstring(z.read("xl/workbook.xml"))
    rid = book.find("m:sheets/m:sheet", NS).get("{%s}id" % NS["r"])
    rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    target = next(r.get("Target") for r in rels.iter(REL + "Relationship") if r.get("Id") == rid)
    return "xl/" + target.lstrip("/").replace("xl/", "", 1)


def date_styles(z):
    """The cell styles (indexes of cellXfs) whose number format shows a date: {index: has_time}."""
    st = ET.fromstring(z.read("xl/styles.xml"))
    fmts = {int(f.get("numFmtId")): f.get("formatCode") for f in st.iter("{%s}numFmt" % NS["m"])}
    out = {}
    for i, xf in enumerate(st.find("m:cellXfs", NS)):
        code = fmts.get(int(xf.get("numFmtId", "0")), "")
        if "yy" in code:
            out[i] = "h" in code
    return out


def read_xlsx(path):
    """The first sheet as rows (lists) of cells: None, str, float, datetime.date or datetime.datetime."""
    with zipfile.ZipFile(path) as z:
        shared = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
                shared.append("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
        dates = date_styles(z)
        sheet = ET.fromstring(z.read(first_sheet(z)))
    rows = []
    for row in sheet.iter("{%s}row" % NS["m"]):
        r = int(row.get("r")) - 1
        while len(rows) <= r:
            rows.append([])
        cells = rows[r]
        for c in row.findall("m:c", NS):
            i = col_index(c.get("r"))
            while len(cells) <= i:
                cells.append(None)
            t, v = c.get("t"), c.find("m:v", NS)
            if t == "inlineStr":
                cells[i] = "".join(x.text or "" for x in c.iter("{%s}t" % NS["m"]))
            elif t == "s":
                cells[i] = shared[int(v.text)]
            elif t == "str":
                cells[i] = v.text or ""
            elif v is not None:
                num = float(v.text)
                style = int(c.get("s", "0"))
                if style in dates:
                    when = EPOCH + datetime.timedelta(days=num)
                    cells[i] = round_second(when) if dates[style] else when.date()
                else:
                    cells[i] = num
    return rows


def round_second(t):
    return (t + datetime.timedelta(microseconds=500000)).replace(microsecond=0)


def unguard(text):
    """The CSV's text as typed: without the apostrophe put before text a spreadsheet could run."""
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        return text[1:]
    return text


def same_cell(cell, text):
    """Whether the workbook's cell holds what the CSV's text says."""
    if cell is None or cell == "":
        return text == ""
    if isinstance(cell, datetime.datetime):
        return text == cell.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(cell, datetime.date):
        return text == cell.isoformat()
    if isinstance(cell, float):
        try:
            return float(text) == cell
        except ValueError:
            return False
    return cell == unguard(text)


def check_xlsx(book, csv_path):
    with open(csv_path, newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    header, records = table[0], table[1:]
    rows = read_xlsx(book)
    bad = []
    names = [c if c is not None else "" for c in rows[1]] if len(rows) > 1 else []
    if names != header:
        bad.append("the names row %r is not the CSV's header %r" % (names, header))
    by_id = {r[0]: r for r in rows[2:] if r}
    if len(by_id) != len(records) or len(rows) - 2 != len(records):
        bad.append("%d rows in the workbook, %d records in the CSV" % (len(rows) - 2, len(records)))
    for rec in records:
        row = by_id.get(rec[0])
        if row is None:
            bad.append("record %s is not in the workbook" % rec[0])
            continue
        row = row + [None] * (len(header) - len(row))
        for name, cell, text in zip(header, row, rec):
            if not same_cell(cell, text):
                bad.append("record %s, %s: %r in the workbook, %r in the CSV" % (rec[0], name, cell, text))
    pandas = ""
    try:
        import pandas as pd
        import openpyxl  # noqa: F401 (read_excel's engine for .xlsx)
    except ImportError:
        pd = None
    if pd is not None:
        df = pd.read_excel(book, header=1, dtype=str)
        if list(df.columns) != header or len(df) != len(records):
            bad.append("pandas.read_excel(header=1): columns %r, %d records" % (list(df.columns), len(df)))
        pandas = ", pandas too"
    return bad, "same: %d records, %d columns%s" % (len(records), len(header), pandas)


def gdal_text(v):
    """A date-time as ogr2ogr writes one held as text ("2026/12/07 11:58:57+00"), as Sondeo writes it."""
    m = re.fullmatch(r"(\d{4})/(\d\d)/(\d\d) (\d\d:\d\d:\d\d)\+00", v) if isinstance(v, str) else None
    return "%s-%s-%sT%sZ" % m.groups() if m else v


def check_gis(source, gpkg, shp):
    docs = []
    for path in (source, gpkg, shp):
        with open(path, encoding="utf-8") as f:
            docs.append(json.load(f)["features"])
    src, gp, sh = docs
    bad = []
    if not (len(src) == len(gp) == len(sh)):
        bad.append("%d features, %d in the GeoPackage, %d in the Shapefile" % (len(src), len(gp), len(sh)))
    fields = list(gp[0]["properties"]) if gp else []
    props = set()
    for i, (s, g, h) in enumerate(zip(src, gp, sh)):
        fid = s["properties"].get("_id")
        for kind, other in (("GeoPackage", g), ("Shapefile", h)):
            if other["geometry"] != s["geometry"]:
                bad.append("%s: %s's place is %r, not %r" % (fid, kind, other["geometry"], s["geometry"]))
        if list(h["properties"]) and len(h["properties"]) != len(fields):
            bad.append("%s: %d fields in the Shapefile, %d in the GeoPackage" % (fid, len(h["properties"]), len(fields)))
        for name, value in s["properties"].items():
            props.add(name)
            if name not in fields:
                bad.append("%s: property %s is not in the GeoPackage" % (fid, name))
                continue
            if g["properties"].get(name) != value:
                bad.append("%s, %s: %r in the GeoPackage, %r exported" % (fid, name, g["properties"].get(name), value))
            got = gdal_text(list(h["properties"].values())[fields.index(name)])
            if got != value and not (got is None and value == ""):
                bad.append("%s, %s: %r in the Shapefile, %r exported" % (fid, name, got, value))
        for name in fields:
            if name not in s["properties"] and g["properties"].get(name) is not None:
                bad.append("%s, %s: %r in the GeoPackage, not exported" % (fid, name, g["properties"][name]))
    return bad, "same: %d features, %d properties" % (len(src), len(props))


def main(argv):
    if len(argv) == 4 and argv[1] == "xlsx":
        bad, ok = check_xlsx(argv[2], argv[3])
    elif len(argv) == 5 and argv[1] == "gis":
        bad, ok = check_gis(argv[2], argv[3], argv[4])
    else:
        sys.stderr.write("usage: exportcheck.py xlsx BOOK.xlsx FILE.csv | gis SOURCE.geojson GPKG.geojson SHP.geojson\n")
        return 2
    if bad:
        for line in bad[:10]:
            print(line)
        return 1
    print(ok)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
