#!/usr/bin/env python3
"""make bench: measures hedui against the floor on one generated province.

The floor is `zstd -dc` of every extract to /dev/null, one process after
another: the time the stock zstd tool alone needs to decompress the same
extracts. hedui is `hedui run --force` end to end, outputs included. The
commands are alternated, each measured ROUNDS times, and the median taken.
Figures are reported as measured in this one run, with the ratio.

Environment: BENCH_HOUSEHOLDS (default 10000), BENCH_FACTOR (background
rows per applicant member and source, default 40), BENCH_ROUNDS (3).
The dataset is generated once, deterministically, under bench/data/ and
reused while the generator and its arguments are unchanged.
"""
import hashlib, glob, os, platform, resource, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEDUI = os.path.join(ROOT, "build", "hedui")
H = int(os.environ.get("BENCH_HOUSEHOLDS", "10000"))
K = int(os.environ.get("BENCH_FACTOR", "40"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))

def gen_digest():
    h = hashlib.sha256()
    for p in ["scripts/gen-province.py"] + sorted(glob.glob(os.path.join(ROOT, "formats", "*"))):
        with open(os.path.join(ROOT, p), "rb") as f:
            h.update(f.read())
    h.update(("%d %d" % (H, K)).encode())
    return h.hexdigest()[:12]

def dataset():
    d = os.path.join(ROOT, "bench", "data", "p%d-k%d-%s" % (H, K, gen_digest()))
    if not os.path.exists(os.path.join(d, "job.ini")) or not os.path.exists(os.path.join(d, "keys", "pseudonym.key")):
        subprocess.run(["rm", "-rf", d], check=True)
        print("bench: generating %d households, background factor %d (once) ..." % (H, K), flush=True)
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "gen-province.py"), d,
                        "--households", str(H), "--background-factor", str(K)], check=True,
                       stdout=subprocess.DEVNULL)
        os.rmdir(os.path.join(d, "keys"))
        subprocess.run([HEDUI, "keygen", os.path.join(d, "keys")], check=True, stdout=subprocess.DEVNULL)
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

def main():
    if not os.access(HEDUI, os.X_OK):
        sys.exit("bench: build/hedui is missing (make)")
    d = dataset()
    extracts = sorted(glob.glob(os.path.join(d, "extracts", "*", "*")))
    comp = sum(os.path.getsize(f) for f in extracts)
    raw = 0
    for f in extracts:
        p = subprocess.run(["zstd", "-dc", f], stdout=subprocess.PIPE, check=True)
        raw += len(p.stdout)
    job = os.path.join(d, "job.ini")
    floor = [["zstd", "-dc", "-q", f, "-o", "/dev/null", "-f"] for f in extracts]
    ncpu = os.cpu_count() or 1
    runs = {"floor": [], "hedui -j%d" % ncpu: [], "hedui -j1": []}
    for _ in range(ROUNDS):                      # alternate the commands
        runs["floor"].append(measure(floor))
        runs["hedui -j%d" % ncpu].append(measure([[HEDUI, "-q", "run", "--force", "-j", str(ncpu), job]]))
        runs["hedui -j1"].append(measure([[HEDUI, "-q", "run", "--force", "-j", "1", job]]))
    with open(os.path.join(d, "out", sorted(os.listdir(os.path.join(d, "out")))[-1], "summary.json")) as f:
        import json
        s = json.load(f)
    rows = s["totals"]["rows"]
    members = s["members"]
    med = {k: tuple(statistics.median(x[i] for x in v) for i in range(3)) for k, v in runs.items()}
    fw = med["floor"][0]
    lines = []
    lines.append("machine: %s, %d cores, %s; zstd %s" % (platform.processor() or platform.machine(), ncpu,
                 platform.platform(), next((w for w in subprocess.run(["zstd", "--version"], stdout=subprocess.PIPE, text=True).stdout.split() if w.startswith("v")), "?").rstrip(",")))
    lines.append("data: %d households, %d members, %d extract files, %d rows, %.1f MB compressed, %.1f MB uncompressed" %
                 (s["households"], members, len(extracts), rows, comp / 1e6, raw / 1e6))
    lines.append("")
    lines.append("| command | wall s | CPU s | peak RSS MiB | rows/s | MB/s compressed | MB/s uncompressed | wall / floor |")
    lines.append("|---|---|---|---|---|---|---|---|")
    for k, (w, c, m) in med.items():
        lines.append("| %s | %.2f | %.2f | %.1f | %.0f | %.1f | %.1f | %.2f |" %
                     (k, w, c, m / 1024, rows / w, comp / 1e6 / w, raw / 1e6 / w, w / fw))
    lines.append("")
    j1 = med["hedui -j1"][0]
    jn = med["hedui -j%d" % ncpu][0]
    lines.append("-j%d speed-up over -j1: %.2f x; peak RSS per applicant member: %.0f bytes" %
                 (ncpu, j1 / jn, med["hedui -j%d" % ncpu][2] * 1024 / max(members, 1)))
    lines.append("median of %d alternated rounds; reproduce: make bench BENCH_HOUSEHOLDS=%d BENCH_FACTOR=%d" % (ROUNDS, H, K))
    print("\n".join(lines))

if __name__ == "__main__":
    main()
