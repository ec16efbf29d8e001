#!/usr/bin/env python3
"""index_check.py RUN_DIR LOOKUP.jsonl [POPULATION] — SPEC §11: for every
household of a run's POPULATION (applicant, recipient or monitored; default
applicant: the files lookup was given, with --population), `hedui lookup`
gives the same verdict, reasons, figures and population, leaving aside
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
    pop = sys.argv[3] if len(sys.argv) > 3 else "applicant"
    run, earlier = {}, set()
    with open(sys.argv[1] + "/audit/households.jsonl", encoding="utf-8") as f:
        for line in f:
            o = json.loads(line)
            # lookup is given one population's files (SPEC §10: the run
            # judges each household as its population)
            if o.get("population", "applicant") == pop:
                run[o["household"]] = o
            else:
                earlier.add(o["household"])
    look = {}
    bad = 0
    with open(sys.argv[2], encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if ID18.search(line):
                print(f"lookup line {n}: holds something shaped like an ID number"); bad += 1
            o = json.loads(line)
            if o.get("population") != pop:
                print(f"lookup line {n}: population {o.get('population')}, not {pop}"); bad += 1
            look[o["household"]] = o
    # an application of this population's files that also appears in an
    # earlier population is judged there by the run (SPEC §10): lookup,
    # given this file alone, judges it as this population; not compared
    superseded = (set(look) - set(run)) & earlier if pop != "applicant" else set()
    for h in superseded:
        del look[h]
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
    print(f"index_check: {compared} {pop} households compared ({skipped_verdicts} verdicts left aside for "
          f"whole-run codes, {len(superseded)} judged in an earlier population), {bad} differences")
    return 1 if bad or compared == 0 else 0

if __name__ == "__main__":
    sys.exit(main())
