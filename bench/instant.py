#!/usr/bin/env python3
"""instant.py PROVINCE — the instant check's figures against SPEC §11's targets
(called by bench/bench.py on its largest dataset; alone: any generated
province with keys).

  1. index build wall against a run's wall on the same job (-j2, alternated,
     median of BENCH_ROUNDS): target at most 1.5 x; and the run's wall with
     [job] index = yes (the index written in the run's own pass);
  2. hd_ix_check latency in process (build/bench/ixbench lookup) over every
     household of the province, p50/p99, and of six-member households:
     target p99 at most 1 ms for six members;
  3. `hedui -j2 serve` on 127.0.0.1 (port chosen by the system) under a
     keep-alive load (build/bench/ixbench load: 8 connections, bounded in
     requests and seconds): checks/s, target at least 2,000; and serve's
     RSS after each of five rounds of 20,000 requests (100,000 in all):
     target flat.
Prints a Markdown table; every request goes to 127.0.0.1 only."""
import csv, glob, hashlib, json, os, re, signal, statistics, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEDUI = os.environ.get("BENCH_HEDUI") or os.path.join(ROOT, "build", "hedui")
IXB = os.path.join(os.path.dirname(HEDUI), "bench", "ixbench")
ROUNDS = int(os.environ.get("BENCH_ROUNDS") or "3")
LOAD_REQ = int(os.environ.get("BENCH_LOAD_REQUESTS") or "20000")
LOAD_ROUNDS = int(os.environ.get("BENCH_LOAD_ROUNDS") or "5")

REL = {'本人': 'self', '配偶': 'spouse', '子女': 'child', '父母': 'parent', '兄弟姐妹': 'sibling', '祖父母': 'grandparent',
       '外祖父母': 'grandparent', '孙子女': 'grandchild', '外孙子女': 'grandchild', '其他': 'other'}
AREA = {'城镇': 'urban', '农村': 'rural'}
ASSIST = {'低保': 'dibao', '特困': 'tekun', '低保边缘': 'bianyuan', '临时救助': 'linshi'}


def households(d, limit=None):
    out = []
    for path in sorted(glob.glob(os.path.join(d, "inbox", "*.csv"))):
        rows = list(csv.reader(open(path, encoding="utf-8")))[1:]
        by, order = {}, []
        for r in rows:
            if len(r) < 9:
                continue
            if r[0] not in by:
                by[r[0]] = []
                order.append(r[0])
            by[r[0]].append(r)
        for a in order:
            m = by[a]
            out.append({"county_code": m[0][1], "application_id": a, "area_type": AREA.get(m[0][2], m[0][2]),
                        "assistance_type": ASSIST.get(m[0][7], m[0][7]),
                        "members": [{"id_number": r[4], "name": r[5], "member_no": r[3],
                                     "relation": REL.get(r[6], r[6]), "declared_income": r[8]} for r in m]})
            if limit and len(out) >= limit:
                return out
    return out


def wall(cmd, cwd):
    t0 = time.perf_counter()
    rc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    if rc not in (0, 3):
        sys.exit("instant: %s failed with %d" % (" ".join(cmd), rc))
    return time.perf_counter() - t0


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run(d):
    job = os.path.join(d, "job.ini")
    # the same job with [job] index = yes: the run writes the index in its pass
    jobix = os.path.join(d, "job-index.ini")
    with open(job, encoding="utf-8") as f, open(jobix, "w", encoding="utf-8") as g:
        g.write(re.sub(r"(?m)^\[job\]$", "[job]\nindex = yes", f.read(), count=1))
    runs, idxs, runixs = [], [], []
    for _ in range(ROUNDS):
        runs.append(wall([HEDUI, "-q", "-j2", "run", "--force", job], d))
        idxs.append(wall([HEDUI, "-q", "-j2", "index", "--force", job], d))
        runixs.append(wall([HEDUI, "-q", "-j2", "run", "--force", jobix], d))
    rw, iw, rxw = statistics.median(runs), statistics.median(idxs), statistics.median(runixs)
    idx = sorted(glob.glob(os.path.join(d, "out", "index", "*-*")))[-1]
    hs = households(d)
    tmp = tempfile.mkdtemp(prefix="hedui-instant-")
    hj = os.path.join(tmp, "households.jsonl")
    with open(hj, "w", encoding="utf-8") as f:
        for h in hs:
            f.write(json.dumps(h, ensure_ascii=False) + "\n")
    lk = json.loads(subprocess.run([IXB, "lookup", idx, os.path.join(d, "keys", "pseudonym.key"), "5", hj],
                                   capture_output=True, text=True, check=True).stdout)
    six = next((h for h in hs if len(h["members"]) == 6), hs[0])
    body = os.path.join(tmp, "six.json")
    with open(body, "w", encoding="utf-8") as f:
        json.dump({"purpose": "application", "household": six}, f, ensure_ascii=False)
    with open(os.path.join(tmp, "tokens"), "w") as f:
        f.write("bench * %s\n" % hashlib.sha256(b"bench-token").hexdigest())
    err = open(os.path.join(tmp, "serve.err"), "w+")
    p = subprocess.Popen([HEDUI, "-j2", "serve", "--index", idx, "--key", os.path.join(d, "keys", "pseudonym.key"),
                          "--listen", "127.0.0.1:0", "--tokens", os.path.join(tmp, "tokens"),
                          "--access-log", os.path.join(tmp, "access.log")], stderr=err, stdout=subprocess.DEVNULL)
    port = None
    t0 = time.monotonic()
    while port is None and time.monotonic() - t0 < 30 and p.poll() is None:
        time.sleep(0.05)
        err.seek(0)
        m = re.search(r"listening on port (\d+)", err.read())
        port = int(m.group(1)) if m else None
    loads, rss = [], [rss_kib(p.pid)]
    try:
        for _ in range(LOAD_ROUNDS):
            out = subprocess.run([IXB, "load", str(port), "bench-token", body, "8", str(LOAD_REQ), "60"],
                                 capture_output=True, text=True, check=True).stdout
            loads.append(json.loads(out))
            rss.append(rss_kib(p.pid))
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(30)
    subprocess.run(["rm", "-rf", tmp])
    total = sum(x["requests"] for x in loads)
    fails = sum(x["failures"] for x in loads)
    cps = statistics.median(x["checks_per_s"] for x in loads)
    L = ["| figure | measured | SPEC §11 target |", "|---|---|---|",
         "| run wall (-j2, median of %d) | %.2f s | |" % (ROUNDS, rw),
         "| index build wall (-j2, median of %d) | %.2f s = %.2f x the run | at most 1.5 x |" % (ROUNDS, iw, iw / rw),
         "| run with `index = yes` (-j2, median of %d) | %.2f s = the run + %.0f %% | |" % (ROUNDS, rxw, (rxw / rw - 1) * 100),
         "| hd_ix_check, all households (%d checks) | p50 %.0f µs, p99 %.0f µs, max %.0f µs | |" % (
             lk["checks"], lk["p50_us"], lk["p99_us"], lk["max_us"]),
         "| hd_ix_check, six-member households (%d checks) | p50 %.0f µs, p99 %.0f µs (thread CPU time: p50 %.0f µs, p99 %.0f µs) | p99 at most 1 ms |" % (
             lk["six_checks"], lk["six_p50_us"], lk["six_p99_us"], lk["six_cpu_p50_us"], lk["six_cpu_p99_us"]),
         "| serve -j2, 8 keep-alive connections, six members | %.0f checks/s (median of %d rounds); "
         "request p50 %.0f µs, p99 %.0f µs | at least 2,000 checks/s |" % (
             cps, len(loads), statistics.median(x["p50_us"] for x in loads),
             statistics.median(x["p99_us"] for x in loads)),
         "| serve RSS over %d requests (%d failed) | %s MiB | flat |" % (
             total, fails, " → ".join("%.1f" % (r / 1024) for r in rss))]
    return "\n".join(L)


if __name__ == "__main__":
    print(run(os.path.abspath(sys.argv[1])))
