#!/usr/bin/env python3
"""make bench: measures hedui against the floor on generated provinces.

The floor is `zstd -dc` of every extract to /dev/null, one process after
another: the time the stock zstd tool alone needs to decompress the same
extracts. hedui is `hedui run --force` end to end, outputs included, with
-j1 and with -j<all cores>. The commands are alternated, each measured
ROUNDS times, and the median taken. Figures are reported as measured in
this one run, with the ratios.

Three datasets share one applicant list (BENCH_HOUSEHOLDS households) and
differ only in the size of the extracts: background factor F/4, F/2 and F
(F = BENCH_FACTOR), i.e. extracts at 1x, 2x and 4x. Time should grow
linearly with the rows and peak RSS should stay flat: memory grows with the
applicants, never with the extracts (ARCHITECTURE.md).

Environment: BENCH_HEDUI (the binary; default build/hedui), BENCH_HOUSEHOLDS (default 10000), BENCH_FACTOR (background
rows per applicant member and source of the largest dataset, default 40),
BENCH_ROUNDS (3), BENCH_SCALES (default "4,2,1": the divisors of F to run;
"1" runs only the largest dataset).
The datasets are generated once, deterministically, under bench/data/ and
reused while the generator and its arguments are unchanged.
"""
import glob, hashlib, json, os, platform, resource, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEDUI = os.environ.get("BENCH_HEDUI") or os.path.join(ROOT, "build", "hedui")
H = int(os.environ.get("BENCH_HOUSEHOLDS", "10000"))
F = int(os.environ.get("BENCH_FACTOR", "40"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
SCALES = [int(x) for x in os.environ.get("BENCH_SCALES", "4,2,1").split(",") if x.strip()]
MIB = 1024 * 1024


def gen_digest(k):
    h = hashlib.sha256()
    for p in ["scripts/gen-province.py"] + sorted(glob.glob(os.path.join(ROOT, "formats", "*"))):
        with open(os.path.join(ROOT, p), "rb") as f:
            h.update(f.read())
    h.update(("%d %d" % (H, k)).encode())
    return h.hexdigest()[:12]


def dataset(k):
    d = os.path.join(ROOT, "bench", "data", "p%d-k%d-%s" % (H, k, gen_digest(k)))
    if not os.path.exists(os.path.join(d, "job.ini")) or not os.path.exists(os.path.join(d, "keys", "pseudonym.key")):
        subprocess.run(["rm", "-rf", d], check=True)
        print("bench: generating %d households, background factor %d (once) ..." % (H, k), flush=True)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-province.py"), d,
                        "--households", str(H), "--background-factor", str(k)], check=True,
                       stdout=subprocess.DEVNULL)
        os.rmdir(os.path.join(d, "keys"))
        subprocess.run([HEDUI, "keygen", os.path.join(d, "keys")], check=True, stdout=subprocess.DEVNULL)
        print("bench: generated in %.0f s" % (time.perf_counter() - t0), flush=True)
    return d


def measure(cmds):
    """Runs the commands one after another; wall, CPU seconds, peak RSS (KiB)
    of the largest child."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    peak = 0
    for c in cmds:
        pid = os.fork()
        if pid == 0:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            if c[0] != HEDUI:
                os.dup2(fd, 2)
            os.execvp(c[0], c)
        _, status, ru = os.wait4(pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 3):
            sys.exit("bench: %s failed with %d" % (" ".join(c), code))
        peak = max(peak, ru.ru_maxrss)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, peak


def describe(d):
    extracts = sorted(glob.glob(os.path.join(d, "extracts", "*", "*")))
    comp = sum(os.path.getsize(f) for f in extracts)
    raw = 0
    for f in extracts:
        p = subprocess.run(["zstd", "-dc", f], stdout=subprocess.PIPE, check=True)
        raw += len(p.stdout)
    return extracts, comp, raw


def main():
    if not os.access(HEDUI, os.X_OK):
        sys.exit("bench: build/hedui is missing (make)")
    ncpu = os.cpu_count() or 1
    factors = sorted({max(1, F // s) for s in SCALES})
    sets = []
    for k in factors:
        d = dataset(k)
        extracts, comp, raw = describe(d)
        job = os.path.join(d, "job.ini")
        cmds = {
            "floor": [["zstd", "-dc", "-q", f, "-o", "/dev/null", "-f"] for f in extracts],
            "hedui -j%d" % ncpu: [[HEDUI, "-q", "run", "--force", "-j", str(ncpu), job]],
            "hedui -j1": [[HEDUI, "-q", "run", "--force", "-j", "1", job]],
        }
        sets.append({"k": k, "dir": d, "files": len(extracts), "comp": comp, "raw": raw,
                     "cmds": cmds, "runs": {c: [] for c in cmds}})
    for _ in range(ROUNDS):                      # alternate the commands and the sizes
        for s in sets:
            for name, c in s["cmds"].items():
                s["runs"][name].append(measure(c))
    lines = []
    zv = next((w for w in subprocess.run(["zstd", "--version"], stdout=subprocess.PIPE, text=True).stdout.split()
               if w.startswith("v")), "?").rstrip(",")
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    lines.append("machine: %s, %d cores, %.0f GiB, %s; zstd %s" % (platform.processor() or platform.machine(), ncpu,
                 mem, platform.platform(), zv))
    lines.append("")
    lines.append("| extracts | rows | MB zst / raw | command | wall s | CPU s | peak RSS MiB | rows/s | MB/s raw | wall / floor |")
    lines.append("|---|---|---|---|---|---|---|---|---|---|")
    base = sets[0]
    for s in sets:
        with open(os.path.join(s["dir"], "out", sorted(os.listdir(os.path.join(s["dir"], "out")))[-1], "summary.json")) as f:
            summ = json.load(f)
        s["rows"] = summ["totals"]["rows"]
        s["members"] = summ["members"]
        s["households"] = summ["households"]
        s["med"] = {k: tuple(statistics.median(x[i] for x in v) for i in range(3)) for k, v in s["runs"].items()}
        fw = s["med"]["floor"][0]
        scale = "%gx (k=%d)" % (s["k"] / base["k"], s["k"])
        for name, (w, c, m) in s["med"].items():
            lines.append("| %s | %d | %.1f / %.1f | %s | %.2f | %.2f | %.1f | %.0f | %.1f | %.2f |" %
                         (scale, s["rows"], s["comp"] / 1e6, s["raw"] / 1e6, name, w, c, m / 1024,
                          s["rows"] / w, s["raw"] / 1e6 / w, w / fw))
    lines.append("")
    top = sets[-1]
    jn = "hedui -j%d" % ncpu
    lines.append("applicants: %d households, %d members (the same in every dataset)" % (top["households"], top["members"]))
    for s in sets:
        j1, jnw = s["med"]["hedui -j1"][0], s["med"][jn][0]
        rss = s["med"][jn][2] * 1024
        lines.append("k=%d: -j%d speed-up over -j1 %.2f x; end to end / floor %.2f (-j%d); peak RSS %.1f MiB = "
                     "%.0f bytes per member, %.0f bytes per member above 64 MiB" %
                     (s["k"], ncpu, j1 / jnw, jnw / s["med"]["floor"][0], ncpu, rss / MIB,
                      rss / max(s["members"], 1), max(0, rss - 64 * MIB) / max(s["members"], 1)))
    if len(sets) > 1:
        r = top["rows"] / base["rows"]
        lines.append("%.1f x the rows: -j1 wall x %.2f, -j%d wall x %.2f (linear: x %.1f); peak RSS x %.2f (-j1), x %.2f (-j%d)" %
                     (r, top["med"]["hedui -j1"][0] / base["med"]["hedui -j1"][0], ncpu,
                      top["med"][jn][0] / base["med"][jn][0], r,
                      top["med"]["hedui -j1"][2] / base["med"]["hedui -j1"][2],
                      top["med"][jn][2] / base["med"][jn][2], ncpu))
    lines.append("median of %d alternated rounds; reproduce: make bench BENCH_HOUSEHOLDS=%d BENCH_FACTOR=%d" % (ROUNDS, H, F))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
