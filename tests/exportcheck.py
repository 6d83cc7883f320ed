#!/usr/bin/env python3
"""exportcheck.py - a test tool: checks that Sondeo's exports read back whole in the tools analysts use.

  exportcheck.py xlsx BOOK.xlsx FILE.csv
      The workbook's data sheet, read with the standard library alone (zipfile and xml, as a spreadsheet reads the
      file), against the CSV export of the same records: its second row (the names) is the CSV's header, and each
      record's row holds the CSV's values (rows matched by _id): numbers as number cells of the same value, dates
      and date-times as date cells of the same day and second, the rest as the same text (the CSV's apostrophe
      before a formula-like text left out). Prints "same: R records, C columns".

  exportcheck.py office BOOK.xlsx OFFICE.csv [FILE.csv]
      OFFICE.csv is BOOK's data sheet as LibreOffice read it, saved by LibreOffice as CSV with every text cell
      quoted and the raw values (soffice --convert-to 'csv:Text - txt - csv (StarCalc):44,34,76,1,,0,true,true,
      false,false,false,1'): a quoted field is a text cell, a bare one a number, a date (2026-10-02) or a
      date-time (2026-10-02 09:30:00). Each cell, the labels and names rows too, must be of the kind and value
      the workbook holds (as xlsx reads it): a text the same text (a formula-like text too, not its result), a
      number the same number, a date the same day, a date-time the same second. With FILE.csv, the CSV export of
      the same records, what LibreOffice read must also be what the CSV says, as for xlsx. Prints "same: R
      records, C columns" (R counts the rows below the two heading rows).

  exportcheck.py office-csv FILE.csv OFFICE.csv
      OFFICE.csv is the CSV export FILE.csv as LibreOffice opened it (UTF-8, comma, double quotes, special numbers
      detected, formulas evaluated), saved back as for office: the same header, and for each record (by _id)
      every field as FILE.csv writes it, a text as the same text and a number or a date as the number or the day
      written the same way. LibreOffice keeps the apostrophe Sondeo puts before a formula-like text (it strips
      it only from what is typed into a cell): the text comes back as the CSV holds it, never as a formula.
      Prints "same: R records, C columns", else each difference as "ID, COLUMN: LIBREOFFICE in LibreOffice,
      CSV in the CSV" (the values quoted as Python does).

  exportcheck.py pandas BOOK.xlsx FILE.csv [BOOK.xlsx FILE.csv...]
      pandas.read_excel(BOOK, header=1) and pandas.read_csv(FILE) (pandas with openpyxl, Debian's python3-pandas
      and python3-openpyxl): the same columns, the same records (by _id), and in each the same value: an empty
      cell NaN in both, numbers equal as numbers, a date or date-time of the workbook the CSV's day or second, a
      text the CSV's (its apostrophe before a formula-like text left out). A column read as numbers from the
      CSV is read as numbers from the workbook too, and a column of dates or date-times as datetime64 (read_excel
      takes a column of number-like text cells for numbers itself: that a number is a number cell shows in
      LibreOffice's reading, office). Prints "same: R records, C columns" for each pair.

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


def read_csv(path):
    """The CSV export: its header and its records (lists of texts)."""
    with open(path, newline="", encoding="utf-8") as f:
        table = list(csv.reader(f))
    return table[0], table[1:]


def against_csv(rows, csv_path, where):
    """The differences between a workbook's rows (cells as read_xlsx gives them; the names in the second row)
    and the CSV export of the same records, rows matched by _id."""
    header, records = read_csv(csv_path)
    bad = []
    names = [c if c is not None else "" for c in rows[1]] if len(rows) > 1 else []
    names += [""] * (len(header) - len(names))
    if names != header:
        bad.append("the names row %r is not the CSV's header %r" % (names, header))
    by_id = {r[0]: r for r in rows[2:] if r}
    if len(by_id) != len(records) or len(rows) - 2 != len(records):
        bad.append("%d rows in %s, %d records in the CSV" % (len(rows) - 2, where, len(records)))
    for rec in records:
        row = by_id.get(rec[0])
        if row is None:
            bad.append("record %s is not in %s" % (rec[0], where))
            continue
        row = row + [None] * (len(header) - len(row))
        for name, cell, text in zip(header, row, rec):
            if not same_cell(cell, text):
                bad.append("record %s, %s: %r in %s, %r in the CSV" % (rec[0], name, cell, where, text))
    return bad, "same: %d records, %d columns" % (len(records), len(header))


def check_xlsx(book, csv_path):
    return against_csv(read_xlsx(book), csv_path, "the workbook")


def read_quoted(path):
    """A CSV as rows of (quoted, text) fields: whether the field was between double quotes, and its text."""
    with open(path, encoding="utf-8", newline="") as f:
        data = f.read()
    rows, row, i, n = [], [], 0, len(data)
    while i < n:
        if data[i] == '"':
            j, text = i + 1, []
            while True:
                k = data.index('"', j)
                text.append(data[j:k])
                if data[k + 1:k + 2] == '"':
                    text.append('"')
                    j = k + 2
                    continue
                i = k + 1
                break
            field = (True, "".join(text))
        else:
            j = i
            while j < n and data[j] not in ",\r\n":
                j += 1
            field, i = (False, data[i:j]), j
        row.append(field)
        if i < n and data[i] == ",":
            i += 1
            if i == n:
                row.append((False, ""))
            continue
        rows.append(row)
        row = []
        if data[i:i + 2] == "\r\n":
            i += 2
        elif i < n:
            i += 1
    if row:
        rows.append(row)
    return rows


NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def office_cell(quoted, text):
    """A field of LibreOffice's CSV (every text cell quoted, the raw values bare) as the cell read_xlsx gives:
    None, str, float, datetime.date or datetime.datetime; a bare field of no known kind (a boolean) as a tuple,
    which equals no cell of Sondeo's."""
    if quoted:
        return text if text != "" else None
    if text == "":
        return None
    if NUMBER.fullmatch(text):
        return float(text)
    try:
        if len(text) == 10:
            return datetime.date.fromisoformat(text)
        return datetime.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return ("bare", text)


def trimmed(row):
    """A row without its empty cells at the end (LibreOffice writes as many fields as the widest row)."""
    row = list(row)
    while row and row[-1] is None:
        row.pop()
    return row


def same_kind(a, b):
    """Whether two cells are of the same kind and value."""
    if type(a) is not type(b):
        return False
    return a == b


def check_office(book, office, csv_path=None):
    want = [trimmed(r) for r in read_xlsx(book)]
    got = [trimmed(office_cell(q, t) for q, t in r) for r in read_quoted(office)]
    bad = []
    if len(got) != len(want):
        bad.append("%d rows in LibreOffice's CSV, %d in the workbook" % (len(got), len(want)))
    for i, (g, w) in enumerate(zip(got, want)):
        for j in range(max(len(g), len(w))):
            a = g[j] if j < len(g) else None
            b = w[j] if j < len(w) else None
            if not same_kind(a, b):
                bad.append("row %d, column %d: LibreOffice read %r, the workbook holds %r" % (i + 1, j + 1, a, b))
    ok = "same: %d records, %d columns" % (len(want) - 2, max(len(r) for r in want) if want else 0)
    if csv_path:
        more, ok = against_csv(got, csv_path, "LibreOffice")
        bad += more
    return bad, ok


def check_office_csv(csv_path, office):
    header, records = read_csv(csv_path)
    got = read_quoted(office)
    bad = []
    names = [t for _, t in got[0]] if got else []
    if names != header:
        bad.append("LibreOffice's header %r is not the CSV's %r" % (names, header))
    by_id = {r[0][1]: r for r in got[1:] if r}
    if len(by_id) != len(records) or len(got) - 1 != len(records):
        bad.append("%d rows in LibreOffice, %d records in the CSV" % (len(got) - 1, len(records)))
    for rec in records:
        row = by_id.get(rec[0])
        if row is None:
            bad.append("record %s is not in LibreOffice" % rec[0])
            continue
        row = row + [(False, "")] * (len(header) - len(row))
        for name, (_, text), want in zip(header, row, rec):
            if text != want:
                bad.append("%s, %s: %r in LibreOffice, %r in the CSV" % (rec[0], name, text, want))
    return bad, "same: %d records, %d columns" % (len(records), len(header))


ISO_DAY = re.compile(r"\d{4}-\d\d-\d\d(T\d\d:\d\d:\d\dZ)?")


def check_pandas(pairs):
    try:
        import pandas as pd
        import openpyxl  # noqa: F401 (read_excel's engine for .xlsx)
    except ImportError as e:
        return ["pandas cannot be imported (Debian's python3-pandas and python3-openpyxl): %s" % e], ""

    def same(a, b):
        """a from the workbook, b from the CSV."""
        if pd.isna(a) or pd.isna(b):
            return pd.isna(a) and pd.isna(b)
        if isinstance(a, (pd.Timestamp, datetime.datetime)):
            if not isinstance(b, str) or not ISO_DAY.fullmatch(b):
                return False
            t = pd.Timestamp(b)
            t = t.tz_convert(None) if t.tzinfo else t
            return pd.Timestamp(a).round("s") == t
        if isinstance(a, str) or isinstance(b, str):
            return isinstance(a, str) and isinstance(b, str) and a == unguard(b)
        return float(a) == float(b)

    bad, oks = [], []
    for book, path in pairs:
        x = pd.read_excel(book, header=1)
        c = pd.read_csv(path)
        if list(x.columns) != list(c.columns):
            bad.append("%s: read_excel's columns %r, read_csv's %r" % (book, list(x.columns), list(c.columns)))
            continue
        xs = {r["_id"]: r for r in x.to_dict("records")}
        if len(xs) != len(x) or len(x) != len(c):
            bad.append("%s: %d records from read_excel, %d from read_csv" % (book, len(x), len(c)))
        for rec in c.to_dict("records"):
            row = xs.get(rec["_id"])
            if row is None:
                bad.append("%s: record %s is not in read_excel's" % (book, rec["_id"]))
                continue
            for name in c.columns:
                if not same(row[name], rec[name]):
                    bad.append("%s, record %s, %s: %r from read_excel, %r from read_csv"
                               % (book, rec["_id"], name, row[name], rec[name]))
        for name in c.columns:
            if pd.api.types.is_numeric_dtype(c[name]) and not pd.api.types.is_numeric_dtype(x[name]):
                bad.append("%s, %s: numbers in read_csv's, %s in read_excel's" % (book, name, x[name].dtype))
            days = c[name].dropna()
            if len(days) and all(isinstance(v, str) and ISO_DAY.fullmatch(v) for v in days) and \
                    not pd.api.types.is_datetime64_any_dtype(x[name]):
                bad.append("%s, %s: dates in the CSV, %s in read_excel's" % (book, name, x[name].dtype))
        oks.append("same: %d records, %d columns" % (len(c), len(c.columns)))
    return bad, "\n".join(oks)


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
    elif len(argv) in (4, 5) and argv[1] == "office":
        bad, ok = check_office(*argv[2:])
    elif len(argv) == 4 and argv[1] == "office-csv":
        bad, ok = check_office_csv(argv[2], argv[3])
    elif len(argv) >= 4 and len(argv) % 2 == 0 and argv[1] == "pandas":
        bad, ok = check_pandas(list(zip(argv[2::2], argv[3::2])))
    elif len(argv) == 5 and argv[1] == "gis":
        bad, ok = check_gis(argv[2], argv[3], argv[4])
    else:
        sys.stderr.write("usage: exportcheck.py xlsx BOOK.xlsx FILE.csv | office BOOK.xlsx OFFICE.csv [FILE.csv] |\n"
                         "       office-csv FILE.csv OFFICE.csv | pandas BOOK.xlsx FILE.csv [BOOK.xlsx FILE.csv...] |\n"
                         "       gis SOURCE.geojson GPKG.geojson SHP.geojson\n")
        return 2
    if bad:
        for line in bad[:10]:
            print(line)
        return 1
    print(ok)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
