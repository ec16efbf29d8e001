#!/usr/bin/env python3
"""Independent checks of one hedui output directory against the ground truth
that scripts/gen-province.py wrote (expected.csv, expected-summary.json).
Reads only the generator's files and hedui's outputs; no hedui code.
Usage: e2e_check.py OUTDIR PROVINCE_DIR [LOGFILE]. Exit 0 when all hold."""
import csv, glob, json, os, re, sys

out, prov = sys.argv[1], sys.argv[2]
log = sys.argv[3] if len(sys.argv) > 3 else None
fails = []

def fail(msg):
    fails.append(msg)

# 1. verdicts and reasons per household
exp = {}
with open(os.path.join(prov, "expected.csv"), encoding="utf-8") as f:
    for r in csv.DictReader(f):
        exp[(r["county_code"], r["application_id"])] = (r["verdict"], r["reasons"], r.get("population"))
got, rows = {}, {}
for p in sorted(glob.glob(os.path.join(out, "county", "*", "households.csv"))):
    with open(p, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            k = (r["county_code"], r["application_id"])
            got[k] = (r["verdict"], r["reasons"], r.get("population") if "population" in r else None)
            rows[k] = r
if set(exp) != set(got):
    fail("households differ: %d expected, %d written" % (len(exp), len(got)))
for k in sorted(exp):
    e = exp[k] if exp[k][2] is not None else exp[k][:2] + (got.get(k, (0, 0, None))[2],)
    if k in got and e != got[k]:
        fail("household %s/%s: expected %s, got %s" % (k[0], k[1], e, got[k]))

# 1b. re-check and discovery lists (SPEC section 10) against expected-lists.csv
el = os.path.join(prov, "expected-lists.csv")
if os.path.exists(el):
    want = set()
    with open(el, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            want.add((r["list"], r["county_code"], r["application_id"], r["item"]))
    have = set()
    for name, col in (("recheck", "code"), ("discovery", "trigger")):
        for p in sorted(glob.glob(os.path.join(out, "county", "*", name + ".csv"))):
            with open(p, encoding="utf-8") as f:
                for r in csv.DictReader(f):
                    have.add((name, r["county_code"], r["application_id"], r[col]))
    for x in sorted(want - have):
        fail("list row missing: %s" % (x,))
    for x in sorted(have - want):
        fail("list row not expected: %s" % (x,))

# 2. the row ledger per input file
summary = json.load(open(os.path.join(out, "summary.json"), encoding="utf-8"))
es = json.load(open(os.path.join(prov, "expected-summary.json"), encoding="utf-8"))
files = {f["path"]: f for f in summary["files"]}
for path, e in es["files"].items():
    g = files.get(path)
    if g is None:
        fail("no ledger for " + path)
        continue
    for key in ("rows", "rows_ok", "rows_quarantined", "rows_matched", "rows_unmatched", "rows_superseded",
                "header_lines", "skipped_lines", "trailer_lines", "blank_lines"):
        if key in e and g.get(key) != e[key]:
            fail("%s: %s expected %s, got %s" % (path, key, e[key], g.get(key)))
for g in summary["files"]:
    if g["rows"] != g["rows_ok"] + g["rows_quarantined"]:
        fail("%s: rows != rows_ok + rows_quarantined" % g["path"])
    if g.get("rows_quarantined_matched", 0) > g["rows_quarantined"]:
        fail("%s: rows_quarantined_matched > rows_quarantined" % g["path"])
    if "rows_matched" in g and g["rows_ok"] != g["rows_matched"] + g["rows_unmatched"]:
        fail("%s: rows_ok != rows_matched + rows_unmatched" % g["path"])
# totals: applicant files and extract files apart (SPEC §8), each with its
# invariant, and each equal to the generator's own counts summed here
tot = summary["totals"]
if tot["files"] != len(summary["files"]):
    fail("totals.files %s, %d files listed" % (tot["files"], len(summary["files"])))
for group, keys in (("applicants", ("rows", "rows_ok", "rows_quarantined")),
                    ("extracts", ("rows", "rows_ok", "rows_quarantined", "rows_matched", "rows_unmatched"))):
    t = tot.get(group)
    if t is None:
        fail("totals has no %s" % group)
        continue
    # the population files (applicants, roster, monitor; SPEC §10) are all
    # in the applicants format and count as applicant files
    want = [e for e in es["files"].values() if (e["kind"] == "applicants") == (group == "applicants")]
    if t["files"] != len(want):
        fail("totals.%s.files %s, expected %d" % (group, t["files"], len(want)))
    for key in keys:
        if all(key in e for e in want) and t[key] != sum(e[key] for e in want):
            fail("totals.%s.%s %s, expected %s" % (group, key, t[key], sum(e[key] for e in want)))
    if t["rows"] != t["rows_ok"] + t["rows_quarantined"]:
        fail("totals.%s: rows != rows_ok + rows_quarantined" % group)
    if group == "extracts":
        if t["rows_ok"] != t["rows_matched"] + t["rows_unmatched"]:
            fail("totals.extracts: rows_ok != rows_matched + rows_unmatched")
        if not 0 <= t["rows_quarantined_matched"] <= t["rows_quarantined"]:
            fail("totals.extracts: rows_quarantined_matched not within rows_quarantined")
    elif set(t) != {"files", "rows", "rows_ok", "rows_quarantined"}:
        fail("totals.applicants has other keys: %s" % sorted(t))
if summary["unknown_division_codes"] != es["unknown_division_codes"]:
    fail("unknown_division_codes %s, expected %s" % (summary["unknown_division_codes"], es["unknown_division_codes"]))
if summary["households"] != es["households"] or summary["members"] != es["members"]:
    fail("households/members counts differ")
for v in ("ELIGIBLE", "REVIEW", "INELIGIBLE"):
    if summary["verdicts"].get(v) != es["verdicts"].get(v):
        fail("verdict %s: expected %s, got %s" % (v, es["verdicts"].get(v), summary["verdicts"].get(v)))

# 3. planted figures: the co-owned flat is one home
for p in es.get("planted", []):
    if p["case"].startswith("P22"):
        r = rows.get((p["county_code"], p["application_id"]))
        if r is None or r["homes"] != "1":
            fail("co-owned flat: homes should be 1, got %s" % (r and r["homes"]))

# 4. no name and no ID number of an applicant in any file under audit/
# (every string of every file: text fields of records are tokens, SPEC §8)
# or in the log
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import audit_scan
nfiles, nids, nnames, leaked, leaked_names = audit_scan.scan(out, prov, [log] if log else [])
if nfiles == 0 or nids == 0 or nnames == 0:
    fail("nothing to scan under audit/ (%d files, %d IDs, %d names)" % (nfiles, nids, nnames))
if leaked:
    fail("%d applicant ID numbers appear under audit/ or in the log" % leaked)
if leaked_names:
    fail("%d applicant names appear under audit/ or in the log" % leaked_names)

for m in fails[:40]:
    print("e2e_check: " + m)
print("e2e_check: %d households, %d files checked, %d failures" % (len(exp), len(es["files"]), len(fails)))
sys.exit(1 if fails else 0)
