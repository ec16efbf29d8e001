#!/usr/bin/env python3
"""Scans every file under OUTDIR/audit/ (and optional extra files, e.g. a
log) for every applicant name and ID number of the province PROVINCE_DIR
(SPEC §5, §8: auditor files carry tokens, never a name, an ID number or free
text of a record). Reads the applicant files (inbox/*.csv) and hedui's
outputs only (and roster/*.csv, monitor/*.csv when present); no hedui code. Prints counts, never a name or a number.
Division names that hedui prints itself (report.html names counties, from
the public lists in data/admin-codes) are blanked before names are looked
for: a person may be named like a place (石林 and 石林彝族自治县), and a
place name is reference data, not text from a record.
Usage: audit_scan.py OUTDIR PROVINCE_DIR [EXTRA_FILE...]. Exit 0 when none
is found."""
import csv, glob, os, re, subprocess, sys


def applicants(prov):
    """(ID numbers as their first 17 digits, names of 2+ characters)."""
    ids, names = set(), set()
    # the applicants, and the roster and monitored populations (SPEC §10)
    for p in (glob.glob(os.path.join(prov, "inbox", "*.csv")) + glob.glob(os.path.join(prov, "roster", "*.csv")) +
              glob.glob(os.path.join(prov, "monitor", "*.csv"))):
        with open(p, encoding="utf-8", errors="replace") as f:
            for line in f:
                for m in re.findall(r"\d{17}[\dXx]|\d{15}", line):
                    ids.add(m[:17])
        with open(p, encoding="utf-8-sig", errors="replace") as f:
            for r in csv.DictReader(f):
                n = (r.get("姓名") or "").strip()
                if len(n) >= 2:
                    names.add(n)
    return ids, names


def division_names():
    """Every division name of the repository's public lists, longest first."""
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "admin-codes")
    names = set()
    for p in glob.glob(os.path.join(root, "*.csv")):
        with open(p, encoding="utf-8") as f:
            for r in csv.DictReader(f):
                for n in (r.get("name") or r.get("names") or "").split("|"):
                    if len(n) >= 2:
                        names.add(n)
    return sorted(names, key=len, reverse=True)


def text_of(path):
    """The whole file as text; a .zst file decompressed."""
    if path.endswith(".zst"):
        data = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    else:
        with open(path, "rb") as f:
            data = f.read()
    return data.decode("utf-8", errors="replace")


def scan(outdir, prov, extra=()):
    """Returns (files scanned, IDs found, names found)."""
    ids, names = applicants(prov)
    files = sorted(p for p in glob.glob(os.path.join(outdir, "audit", "**"), recursive=True)
                   if os.path.isfile(p))
    files += list(extra)
    big = "\n".join(text_of(p) for p in files)
    digits = set(re.findall(r"\d{17}", big))
    leaked_ids = [i for i in ids if i in digits or i in big]
    places = big
    for d in division_names():
        places = places.replace(d, "\x00")
    leaked_names = [n for n in names if n in places]
    return len(files), len(ids), len(names), len(leaked_ids), len(leaked_names)


if __name__ == "__main__":
    nfiles, nids, nnames, li, ln = scan(sys.argv[1], sys.argv[2], sys.argv[3:])
    print("audit_scan: %d files scanned for %d ID numbers and %d names: %d IDs and %d names found"
          % (nfiles, nids, nnames, li, ln))
    sys.exit(1 if (li or ln or nfiles == 0 or nids == 0 or nnames == 0) else 0)
