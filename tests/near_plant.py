#!/usr/bin/env python3
"""Plants near misses (SPEC §9) into a province that scripts/gen-province.py
wrote, for tests/test_register.c. Reads only the generator's files; no hedui
code. Usage: near_plant.py PROVINCE_DIR

Picks seven applicant members of distinct households that the generator
planted ELIGIBLE with no reason, whose ID is valid (its own MOD 11-2 check,
worked out here) and occurs once among every population file, and appends
to the death extract one row per member whose ID carries one typo:

  div    a substituted digit in the division code (position 4)
  birth  a substituted digit in the birth date (position 11)
  seq    a substituted digit in the sequence number (position 16)
  check  a wrong check character (position 18)
  swap   two adjacent, different digits swapped
  names  a substituted digit (position 13), the name written with a
         separator dot (the same name in SPEC §6's Names form)
  other  a substituted digit (position 9), another person's name

Every typo'd ID fails the check (asserted here), so hedui quarantines the row
as ID_CHECK. Prints one line per plant: KIND COUNTY APPLICATION EXPECT ROWID,
EXPECT being NEAR_MISS (REVIEW with the one reason NEAR_MISS) or NONE (still
ELIGIBLE without reasons)."""
import csv, glob, io, os, subprocess, sys

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def check_char(s17):
    return CHECK[sum((ord(c) - 48) * w for c, w in zip(s17, WEIGHTS)) % 11]


def valid(i):
    return len(i) == 18 and i[:17].isdigit() and check_char(i[:17]) == i[17]


def subst(i, pos):
    if pos == 17:
        c = CHECK[(CHECK.index(i[17]) + 5) % 11]
    else:
        c = str((int(i[pos]) + 3) % 10)
    return i[:pos] + c + i[pos + 1:]


def swap(i):
    for p in range(6, 16):          # in the birth date or sequence, digits only
        if i[p] != i[p + 1]:
            return i[:p] + i[p + 1] + i[p] + i[p + 2:]
    return None


prov = sys.argv[1]
exp = {}
with open(os.path.join(prov, "expected.csv"), encoding="utf-8") as f:
    for r in csv.DictReader(f):
        exp[(r["county_code"], r["application_id"])] = (r["verdict"], r["reasons"], r.get("population"))
seen = {}
members = []
for path in sorted(glob.glob(os.path.join(prov, "*", "*.csv"))):
    if os.path.basename(os.path.dirname(path)) not in ("inbox", "roster", "monitor"):
        continue
    with open(path, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            i = (r.get("身份证号码") or "").strip()
            seen[i] = seen.get(i, 0) + 1
            if os.path.basename(os.path.dirname(path)) == "inbox":
                members.append((r["区县代码"], r["申请编号"], i, (r.get("姓名") or "").strip()))
picked, households = [], set()
for cc, app, i, name in members:
    key = (cc, app)
    if key in households or exp.get(key, ("", "x"))[:2] != ("ELIGIBLE", "") or not valid(i):
        continue
    if seen.get(i) != 1 or len(name) < 2 or swap(i) is None:
        continue
    households.add(key)
    picked.append((cc, app, i, name))
    if len(picked) == 7:
        break
assert len(picked) == 7, "not enough eligible households"

plants = [("div", lambda i: subst(i, 3), None, "NEAR_MISS"),
          ("birth", lambda i: subst(i, 10), None, "NEAR_MISS"),
          ("seq", lambda i: subst(i, 15), None, "NEAR_MISS"),
          ("check", lambda i: subst(i, 17), None, "NEAR_MISS"),
          ("swap", swap, None, "NEAR_MISS"),
          ("names", lambda i: subst(i, 12), "dot", "NEAR_MISS"),
          ("other", lambda i: subst(i, 8), "其他人", "NONE")]
rows = []
for (kind, typo, name_how, expect), (cc, app, i, name) in zip(plants, picked):
    t = typo(i)
    assert t != i and len(t) == 18 and not valid(t), (kind, t)
    # at most two characters differ (one substitution or one swap)
    assert 1 <= sum(a != b for a, b in zip(t, i)) <= 2
    n = name if name_how is None else (name[0] + "·" + name[1:] if name_how == "dot" else name_how)
    rows.append(f"{t},{n},20260714")
    print(kind, cc, app, expect, t)

death = sorted(glob.glob(os.path.join(prov, "extracts", "death", "*.csv.zst")))[0]
text = subprocess.run(["zstd", "-dc", death], check=True, capture_output=True).stdout.decode("utf-8")
if not text.endswith("\n"):
    text += "\n"
text += "\n".join(rows) + "\n"
subprocess.run(["zstd", "-q", "-f", "-o", death], input=text.encode("utf-8"), check=True)
