#!/usr/bin/env python3
"""Puts ID typos into a generated province's extracts, to measure the
near-miss pass (SPEC §9; docs/performance.md "Near misses"): in every
extract file, the ID of every Nth data row (default 25: 4 %, under the
policy's 5 % quarantine cap, so no source is damaged) gets one substituted
digit (position 11, the birth date), which its check character catches, so
the row is quarantined as ID_CHECK and goes through the near-miss pass.
Most such rows are background people (no near miss: the candidates are
probed and none is a member); those of applicants become NEAR_MISS.

Usage: near_typos.py PROVINCE_DIR [N [SOURCE,...]]   (rewrites the .csv.zst
files of those sources, default every source, in place)"""
import glob, os, re, subprocess, sys

prov = sys.argv[1]
every = int(sys.argv[2]) if len(sys.argv) > 2 else 25
only = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else None
idre = re.compile(r"(?<![0-9])([0-9]{17}[0-9X])(?![0-9X])")
changed = total = 0
for path in sorted(glob.glob(os.path.join(prov, "extracts", "*", "*.csv.zst"))):
    if only and os.path.basename(os.path.dirname(path)) not in only:
        continue
    raw = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    text = raw.decode("utf-8", errors="surrogateescape")
    out, k = [], 0
    for line in text.split("\n"):
        m = idre.search(line)
        if m:
            k += 1
            total += 1
            if k % every == 0:
                i = m.group(1)
                t = i[:10] + str((int(i[10]) + 1) % 10) + i[11:]
                line = line[:m.start(1)] + t + line[m.end(1):]
                changed += 1
        out.append(line)
    data = "\n".join(out).encode("utf-8", errors="surrogateescape")
    subprocess.run(["zstd", "-q", "-f", "-o", path], input=data, check=True)
print(f"{changed} of {total} rows got an ID typo")
