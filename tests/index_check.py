#!/usr/bin/env python3
"""index_check.py RUN_DIR LOOKUP.jsonl — SPEC §11: for every household of a
run, `hedui lookup` gives the same verdict, reasons and figures, leaving aside
the codes only a whole run can raise (DUPLICATE_APPLICATION,
APPLICATION_ID_REUSED, NEAR_MISS) and suppression. A household of the run
with one of those codes is compared on everything but the verdict and
those codes. Also: no lookup line holds an ID number. Exit 0 / 1."""
import json, re, sys

WHOLE_RUN = {"DUPLICATE_APPLICATION", "APPLICATION_ID_REUSED", "NEAR_MISS"}
FIGURES = ["standard_fen", "household_income_fen", "income_per_capita_fen", "assets_fen",
           "assets_per_capita_fen", "homes", "residential_area", "vehicles", "businesses",
           "county_code", "assistance_type", "area_type", "members"]
ID18 = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")

def main():
    run = {}
    with open(sys.argv[1] + "/audit/households.jsonl", encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            run[o["household"]] = o
    look = {}
    bad = 0
    with open(sys.argv[2], encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if ID18.search(line):
                print(f"lookup line {n}: holds something shaped like an ID number"); bad += 1
            o = json.loads(line)
            look[o["household"]] = o
    if set(run) != set(look):
        print(f"households differ: run {len(run)}, lookup {len(look)}, "
              f"only in run {len(set(run) - set(look))}, only in lookup {len(set(look) - set(run))}")
        bad += 1
    compared = skipped_verdicts = 0
    for h, r in run.items():
        l = look.get(h)
        if l is None:
            continue
        rr = set(r["reasons"]) - WHOLE_RUN
        lr = set(l["reasons"]) - WHOLE_RUN
        if rr != lr:
            print(f"{h[:12]}: reasons run {sorted(rr)} lookup {sorted(lr)}"); bad += 1
        for k in FIGURES:
            if r[k] != l[k]:
                print(f"{h[:12]}: {k} run {r[k]} lookup {l[k]}"); bad += 1
        if set(r["reasons"]) & WHOLE_RUN:
            skipped_verdicts += 1
        elif r["verdict"] != l["verdict"]:
            print(f"{h[:12]}: verdict run {r['verdict']} lookup {l['verdict']}"); bad += 1
        compared += 1
    print(f"index_check: {compared} households compared ({skipped_verdicts} verdicts left aside for "
          f"whole-run codes), {bad} differences")
    return 1 if bad or compared == 0 else 0

if __name__ == "__main__":
    sys.exit(main())
