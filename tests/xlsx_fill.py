#!/usr/bin/env python3
"""Fills outcomes into the 核查结果 sheet of a results.xlsx, as a clerk does
in a spreadsheet, for tests/test_register.c. Python's zipfile and XML only
(no hedui code, no spreadsheet library): the outcome is written as an inline
string and `until` as a date serial number (days since 1899-12-30), the way
Excel stores a typed date.

Usage: xlsx_fill.py IN.xlsx OUT.xlsx FINDING_ID=OUTCOME[@YYYY-MM-DD] ...
Prints, per filled finding, the sheet row number it is on."""
import datetime, re, sys, zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "p": "http://schemas.openxmlformats.org/package/2006/relationships"}
M = "{%s}" % NS["m"]

src, dst, fills = sys.argv[1], sys.argv[2], sys.argv[3:]
z = zipfile.ZipFile(src)
wb = ET.fromstring(z.read("xl/workbook.xml"))
rid = [s for s in wb.iter(M + "sheet") if s.get("name") == "核查结果"][0].get("{%s}id" % NS["r"])
rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
target = [r for r in rels if r.get("Id") == rid][0].get("Target")
part = target.lstrip("/") if target.startswith("/") else "xl/" + target
sst = []
if "xl/sharedStrings.xml" in z.namelist():
    for si in ET.fromstring(z.read("xl/sharedStrings.xml")).iter(M + "si"):
        sst.append("".join(t.text or "" for t in si.iter(M + "t")))


def col_of(ref):
    c = 0
    for ch in re.match(r"[A-Z]+", ref).group(0):
        c = c * 26 + ord(ch) - 64
    return c - 1


def letters(c):
    s = ""
    c += 1
    while c:
        c, r = divmod(c - 1, 26)
        s = chr(65 + r) + s
    return s


def text(c):
    v = c.find(M + "v")
    if c.get("t") == "s":
        return sst[int(v.text)]
    if c.get("t") == "inlineStr":
        return "".join(t.text or "" for t in c.iter(M + "t"))
    return v.text if v is not None else ""


ET.register_namespace("", NS["m"])
ET.register_namespace("r", NS["r"])
sheet = ET.fromstring(z.read(part))
rows = list(sheet.iter(M + "row"))
head = {text(c): col_of(c.get("r")) for c in rows[0].iter(M + "c")}
want = {}
for f in fills:
    fid, rest = f.split("=", 1)
    oc, _, until = rest.partition("@")
    want[fid] = (oc, until)


def put(row, col, value, number):
    ref = "%s%s" % (letters(col), row.get("r"))
    cells = list(row.iter(M + "c"))
    c = next((x for x in cells if x.get("r") == ref), None)
    if c is None:
        c = ET.SubElement(row, M + "c", {"r": ref})
        # keep the cells in column order
        row[:] = sorted(row, key=lambda x: col_of(x.get("r")))
    for k in list(c):
        c.remove(k)
    c.attrib.pop("t", None)
    if number:
        ET.SubElement(c, M + "v").text = value
    else:
        c.set("t", "inlineStr")
        ET.SubElement(ET.SubElement(c, M + "is"), M + "t").text = value


for row in rows[1:]:
    cells = {col_of(c.get("r")): c for c in row.iter(M + "c")}
    c = cells.get(head["finding_id"])
    if c is None or text(c) not in want:
        continue
    oc, until = want.pop(text(c))
    put(row, head["outcome"], oc, False)
    if until:
        d = datetime.date.fromisoformat(until)
        put(row, head["until"], str((d - datetime.date(1899, 12, 30)).days), True)
    print(row.get("r"))
assert not want, "not in the sheet: %s" % list(want)

with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as out:
    for item in z.infolist():
        data = z.read(item.filename)
        if item.filename == part:
            data = ET.tostring(sheet, xml_declaration=True, encoding="UTF-8")
        out.writestr(item, data)
