#!/usr/bin/env python3
"""make bench: measures hedui against the floor on a generated province.

The floor is `zstd -dc` of every extract to /dev/null, one process after
another: the time the stock zstd tool alone needs to decompress the same
extracts. hedui is `hedui run --force` end to end, outputs included, with
-j1 and with -j<all cores>. The commands are alternated, each measured
ROUNDS times, and the median taken. Every command runs under /usr/bin/time,
so that CPU seconds and peak RSS are the command's own (a child forked from
Python would count the Python image in its peak RSS).

Three datasets share one applicant list (BENCH_HOUSEHOLDS households) and
differ only in the extracts: background factor F/4, F/2 and F
(F = BENCH_FACTOR), i.e. extracts at 1x, 2x and 4x, written by one run of
scripts/gen-province.py (--also): the same matched rows in the same files,
each file's background rows a prefix of the larger set's. Time should grow
linearly with the rows and peak RSS should stay flat: memory grows with the
applicants, never with the extracts (ARCHITECTURE.md).

The peer (issue 17): the same core job -- read every extract, normalise and
validate the IDs, join them to the applicant, roster and monitor members,
aggregate per household -- in DuckDB (bench/peer/duckdb-peer.mjs, npm
@duckdb/node-api, installed by `make bench-peer`), alternated with hedui and
the floor in the same rounds. After the rounds its figures are checked
against hedui's own outputs of the same set (per source: matched rows and the
money they carry, in fen; per household: the multiset of (matched rows, fen)
pairs); the report says whether they agree, and bench.py exits 1 when not.

A fourth case is one large single-frame file: the rows of the largest source
(by uncompressed bytes; one without a count trailer) of the largest set,
concatenated into one file and compressed as one zstd frame (level 3), run
as a job with that source only: floor, hedui -j1, hedui -j<all cores>, to
show whether decompression overlaps parsing.

Environment (make bench passes them on): BENCH_HEDUI (the binary; default
build/hedui), BENCH_HOUSEHOLDS (500000), BENCH_FACTOR (background rows per
applicant member and extract kind of the largest set; 6, fractional allowed),
BENCH_FILES (files per source, at least; 4), BENCH_ROUNDS (3), BENCH_SCALES
("4,2,1": the divisors of F to run; "1" runs only the largest set),
BENCH_SINGLE (1: include the single-file case; 0: leave it out), BENCH_PEER (1: the
DuckDB peer on every set; 0: leave it out), BENCH_DATA
(where the datasets are kept; bench/data).

The populations case (SPEC section 10, issue 14; BENCH_POPULATIONS=0 leaves it out):
on the smallest set, two jobs over the same extracts, alternated with the rest at -j1:
the applicants only (the set's own roster and monitored population left out), and the
applicants plus a roster and a monitored population as large as the applicants (copies
of the applicant files with other application ids: RS... and MS... for SQ..., the same
people, so the same matched rows per member). Members grow 3 x; the extract rows read
(summary.json totals) must stay the same -- one pass over the extracts whatever the
populations -- and user CPU and peak RSS grow with the members, by the members' own cost
(CPU microseconds and bytes per added member beside the plain run's per member). User
CPU, not wall, is the figure to compare on a loaded machine.

The datasets are generated once, deterministically, under
BENCH_DATA/p<H>-k<F>-f<files>-<digest>/ (digest of the generator) and reused;
`bench.py --generate` (make bench-data) only generates them.
"""
import datetime, glob, hashlib, json, os, platform, re, shutil, statistics, struct, subprocess, sys, tempfile, time, zipfile, zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HEDUI = os.environ.get("BENCH_HEDUI") or os.path.join(ROOT, "build", "hedui")
H = int(os.environ.get("BENCH_HOUSEHOLDS") or "500000")
F = float(os.environ.get("BENCH_FACTOR") or "6")
FILES = int(os.environ.get("BENCH_FILES") or "4")
ROUNDS = int(os.environ.get("BENCH_ROUNDS") or "3")
SCALES = sorted({int(x) for x in (os.environ.get("BENCH_SCALES") or "4,2,1").split(",") if x.strip()},
                reverse=True)
SINGLE = (os.environ.get("BENCH_SINGLE") or "1") != "0"
PEER = (os.environ.get("BENCH_PEER") or "1") != "0"
POPS = (os.environ.get("BENCH_POPULATIONS") or "1") != "0"
PEER_JS = os.path.join(ROOT, "bench", "peer", "duckdb-peer.mjs")
DATA = os.path.abspath(os.environ.get("BENCH_DATA") or os.path.join(ROOT, "bench", "data"))
TIME = "/usr/bin/time"
MIB = 1024 * 1024
NCPU = os.cpu_count() or 1


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def gen_digest():
    h = hashlib.sha256()
    with open(os.path.join(ROOT, "scripts", "gen-province.py"), "rb") as f:
        h.update(f.read())
    return h.hexdigest()[:12]


def kname(k):
    return "k%g" % k


def base_dir():
    return os.path.join(DATA, "p%d-k%g-f%d-%s" % (H, F, FILES, gen_digest()))


def zcat_size(path):
    """Uncompressed bytes of one zstd file."""
    p = subprocess.Popen(["zstd", "-dcq", path], stdout=subprocess.PIPE)
    n = 0
    while True:
        b = p.stdout.read(1 << 20)
        if not b:
            break
        n += len(b)
    if p.wait() != 0:
        sys.exit("bench: zstd -d %s failed" % path)
    return n


def describe(d, files):
    """Compressed and uncompressed bytes and rows per extract (cached in describe.json)."""
    cache = os.path.join(d, "describe.json")
    if os.path.exists(cache):
        with open(cache) as f:
            return json.load(f)
    with open(os.path.join(d, "expected-summary.json"), encoding="utf-8") as f:
        ledger = json.load(f)["files"]
    out = {}
    for p in files:
        rel = os.path.relpath(p, d)
        e = ledger.get(rel, {})
        out[rel] = {"comp": os.path.getsize(p), "raw": zcat_size(p), "rows": e.get("rows", 0),
                    "source": e.get("source"), "skip": e.get("header_lines", 0) + e.get("skipped_lines", 0),
                    "trailer": e.get("trailer_lines", 0)}
    with open(cache + ".tmp", "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
    os.replace(cache + ".tmp", cache)
    return out


def make_single(d, desc):
    """single/<source>.csv.zst: the largest source's files as one zstd frame, and
    job-single.ini that reads only it. Returns (path, rows, source)."""
    per = {}
    for rel, e in desc.items():
        if e["source"] and not e["trailer"]:
            per.setdefault(e["source"], []).append(rel)
    src = max(per, key=lambda s: (sum(desc[r]["raw"] for r in per[s]), s))
    files = sorted(per[src])
    out = os.path.join(d, "single", src + ".csv.zst")
    job = os.path.join(d, "job-single.ini")
    rows = sum(desc[r]["rows"] for r in files)
    if os.path.exists(job) and os.path.exists(out):
        return out, rows, src
    os.makedirs(os.path.dirname(out), exist_ok=True)
    log("one frame of %s's %d files -> %s" % (src, len(files), out))
    with open(out + ".tmp", "wb") as fo:
        z = subprocess.Popen(["zstd", "-q", "-3", "-T0", "-c"], stdin=subprocess.PIPE, stdout=fo)
        for i, rel in enumerate(files):
            p = subprocess.Popen(["zstd", "-dcq", os.path.join(d, rel)], stdout=subprocess.PIPE)
            first = True
            while True:
                b = p.stdout.read(1 << 22)
                if not b:
                    break
                if first and i > 0:          # the header of every file but the first
                    if b.startswith(b"\xef\xbb\xbf"):
                        b = b[3:]
                    for _ in range(desc[rel]["skip"]):
                        b = b[b.index(b"\n") + 1:]
                first = False
                z.stdin.write(b)
            if p.wait() != 0:
                sys.exit("bench: zstd -d %s failed" % rel)
        z.stdin.close()
        if z.wait() != 0:
            sys.exit("bench: zstd failed")
    os.replace(out + ".tmp", out)
    lines, keep = [], True
    with open(os.path.join(d, "job.ini"), encoding="utf-8") as f:
        for line in f.read().split("\n"):
            if line.startswith("[source"):
                keep = line == '[source "%s"]' % src
            if line.startswith("output"):
                line = "output     = out-single/"
            if line.startswith("files") and keep:
                line = "files  = single/*.csv.zst"
            if keep:
                lines.append(line)
    with open(job, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    return out, rows, src


AMOUNT = {"deposit": "balance", "income": "income", "pension": "benefit", "fund": "deposit",
          "business": "capital"}


def hedui_figures(outdir):
    """The peer's figures computed from hedui's outputs of one run (summary.json,
    audit/matches.jsonl): per source matched rows and their money in fen, per
    household (matched rows, fen)."""
    runs = sorted(d for d in glob.glob(os.path.join(outdir, "*")) if os.path.isdir(d))
    if not runs:
        sys.exit("bench: no run directory under %s" % outdir)
    run = runs[-1]
    with open(os.path.join(run, "summary.json"), encoding="utf-8") as f:
        summ = json.load(f)
    src = {s["name"]: {"matched": s["rows_matched"], "amount_fen": 0} for s in summ["sources"]}
    plain = os.path.join(run, "audit", "matches.jsonl")
    if os.path.exists(plain):
        lines = open(plain, encoding="utf-8")
    else:
        lines = subprocess.Popen(["zstd", "-dcq", plain + ".zst"], stdout=subprocess.PIPE, text=True,
                                 encoding="utf-8").stdout
    hh, seen = {}, set()
    for line in lines:
        m = json.loads(line)
        fen = m["fields"].get(AMOUNT.get(m["kind"], ""), 0) or 0
        key = (m["source"], m["file"], m["line"])
        if key not in seen:                    # a row matched by two households counts once
            seen.add(key)
            src[m["source"]]["amount_fen"] += fen
        n, t = hh.get(m["household"], (0, 0))
        hh[m["household"]] = (n + 1, t + fen)
    lines.close()
    pairs = sorted("%d:%d" % v for v in hh.values())
    return {"sources": src, "households_matched": len(hh),
            "household_pairs_sha256": hashlib.sha256("\n".join(pairs).encode()).hexdigest()}


def peer_agrees(d, peer_json):
    """(True/False, text): the DuckDB peer's figures against hedui's outputs of set d."""
    with open(peer_json, encoding="utf-8") as f:
        p = json.load(f)
    h = hedui_figures(os.path.join(d, "out"))
    bad = []
    for name, hs in sorted(h["sources"].items()):
        ps = p["sources"].get(name)
        if not ps or ps["matched"] != hs["matched"] or ps["amount_fen"] != hs["amount_fen"]:
            bad.append("%s: hedui %d rows / %d fen, DuckDB %s" % (
                name, hs["matched"], hs["amount_fen"],
                "%d rows / %d fen" % (ps["matched"], ps["amount_fen"]) if ps else "none"))
    if p["households_matched"] != h["households_matched"] or \
            p["household_pairs_sha256"] != h["household_pairs_sha256"]:
        bad.append("households: hedui %d, DuckDB %d, (rows, fen) pairs %s" % (
            h["households_matched"], p["households_matched"],
            "equal" if p["household_pairs_sha256"] == h["household_pairs_sha256"] else "differ"))
    rows = sum(s["matched"] for s in h["sources"].values())
    if bad:
        return False, "DuckDB (%s) DISAGREES with hedui: %s" % (p.get("version", "?"), "; ".join(bad))
    return True, ("DuckDB (%s) agrees with hedui: %d sources, %d matched rows and their money in fen, "
                  "%d households' (matched rows, fen) pairs" % (
                      p.get("version", "?"), len(h["sources"]), rows, h["households_matched"]))


def generate():
    """Generates the datasets once; returns [(scale, factor, dir)], largest first."""
    base = base_dir()
    factors = [(s, F / max(SCALES) * s) for s in SCALES]
    sets = [(s, k, os.path.join(base, kname(k))) for s, k in factors]
    done = os.path.join(base, "complete")
    if not os.path.exists(done):
        subprocess.run(["rm", "-rf", base], check=True)
        os.makedirs(base)
        cmd = [sys.executable, os.path.join(ROOT, "scripts", "gen-province.py"), sets[0][2],
               "--households", str(H), "--background-factor", "%g" % sets[0][1],
               "--files-per-source", str(FILES), "--jobs", str(NCPU)]
        for _, k, d in sets[1:]:
            cmd += ["--also", "%g:%s" % (k, d)]
        log("generating %d households, background factors %s, %d+ files per source (once) ..." %
            (H, ", ".join("%g" % k for _, k, _ in sets), FILES))
        log(" ".join(cmd))
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        for _, _, d in sets:
            os.rmdir(os.path.join(d, "keys"))
            subprocess.run([HEDUI, "keygen", os.path.join(d, "keys")], check=True, stdout=subprocess.DEVNULL)
        log("generated in %.0f s" % (time.perf_counter() - t0))
        t0 = time.perf_counter()
        for _, _, d in sets:
            describe(d, sorted(glob.glob(os.path.join(d, "extracts", "*", "*"))))
        if SINGLE:
            make_single(sets[0][2], describe(sets[0][2], None))
        log("described in %.0f s" % (time.perf_counter() - t0))
        with open(done, "w") as f:
            f.write("households %d, factors %s, files %d\n" % (H, [k for _, k, _ in sets], FILES))
    return sets


def run_timed(cmd):
    """Runs one command under /usr/bin/time: (wall s, CPU s, peak RSS KiB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t0 = time.perf_counter()
        with open(os.devnull, "w") as null:
            rc = subprocess.run([TIME, "-f", "%U %S %M", "-o", tf.name] + cmd, stdout=null,
                                stderr=None if cmd[0] == HEDUI else null).returncode
        wall = time.perf_counter() - t0
        if rc not in (0, 3):
            sys.exit("bench: %s failed with %d" % (" ".join(cmd), rc))
        u, s, m = tf.read().split()[-3:]
    return wall, float(u) + float(s), int(m)


def measure(cmds):
    """Runs the commands one after another: wall, CPU seconds, largest peak RSS (KiB)."""
    t0 = time.perf_counter()
    cpu, peak = 0.0, 0
    for c in cmds:
        _, c_cpu, c_peak = run_timed(c)
        cpu += c_cpu
        peak = max(peak, c_peak)
    return time.perf_counter() - t0, cpu, peak


def event_seconds(lines):
    """{event: seconds} of hedui's JSON log lines whose message says how long the step took
    ("... in 1.62 s ...": the last such figure, so that a path before it cannot be taken for it);
    lines that are not JSON are skipped."""
    secs = {}
    for line in lines:
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        m = re.findall(r" in ([0-9.]+) s\b", ev.get("msg", ""))
        if m:
            secs[ev.get("event")] = float(m[-1])
    return secs


STAGES = (("applicants_loaded", "start"), ("extracts_scanned", "scan"), ("households_judged", "judge"),
          ("outputs_written", "outputs"), ("manifest_written", "manifest"))


def workbook_deflate_floor(run):
    """What the county workbooks' zip alone costs (issue 17): every member of every
    county/*/results.xlsx of run, deflated again here with zlib at Z_DEFAULT_COMPRESSION (6),
    raw deflate (window 15, memLevel 8) as libxlsxwriter's minizip does, and its CRC-32; each
    result must be the very bytes stored in the workbook, which shows these are the writer's
    parameters. Returns (CPU s of deflate + CRC-32, MB of XML, MB deflated, cells,
    workbooks), or a text saying why not. This is the floor of any writer of these bytes."""
    cpu, raw, packed, cells, books = 0.0, 0, 0, 0, 0
    for path in sorted(glob.glob(os.path.join(run, "county", "*", "results.xlsx"))):
        books += 1
        with zipfile.ZipFile(path) as z, open(path, "rb") as f:
            for info in z.infolist():
                data = z.read(info)
                f.seek(info.header_offset)
                head = f.read(30)
                name_n, extra_n = struct.unpack("<HH", head[26:30])
                f.seek(info.header_offset + 30 + name_n + extra_n)
                stored = f.read(info.compress_size)
                if info.filename.startswith("xl/worksheets/"):
                    cells += data.count(b"<c ")
                t = time.process_time()
                c = zlib.compressobj(6, zlib.DEFLATED, -15, 8)
                out = c.compress(data) + c.flush()
                crc = zlib.crc32(data)
                cpu += time.process_time() - t
                if info.compress_type != zipfile.ZIP_DEFLATED or out != stored or crc != info.CRC:
                    return "%s: %s is not zlib level 6's deflate of its XML" % (path, info.filename)
                raw += len(data)
                packed += len(out)
    if not books:
        return "no county/*/results.xlsx under %s" % run
    return cpu, raw / 1e6, packed / 1e6, cells, books


def stages_and_writers(c, jn):
    """One more `hedui -jN run` of case c with its JSON log (after the timed rounds): each
    stage's wall seconds (the time between its event and the one before, from the events'
    timestamps) and share of the run's wall, and each writer's CPU seconds (the
    outputs_written event) and share of the run's CPU; the writers over 10 % named (issue 17: nothing
    in the outputs stage over 10 % of the run; docs/performance.md, "Fourth round")."""
    job = c["cmds"][jn][0][-1]
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        t0 = time.time()
        p = subprocess.run([TIME, "-f", "%U %S", "-o", tf.name, HEDUI, "--log-format=json", "--progress=never",
                            "run", "--force", "-j", str(NCPU), job],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wall = time.time() - t0
        if p.returncode not in (0, 3):
            sys.exit("bench: %s failed with %d" % (job, p.returncode))
        u, sy = tf.read().split()[-2:]
    # this run's own directory, as its summary names it (not OUTPUT/latest,
    # which may name a run of a later as_of)
    run_dir = [ln.split(None, 1)[1].strip() for ln in p.stdout.splitlines() if ln.startswith("Output ")]
    cpu = float(u) + float(sy)
    at, writers = {}, []
    for line in p.stderr.splitlines():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        t = datetime.datetime.strptime(ev["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
        at[ev.get("event")] = t
        if ev.get("event") == "outputs_written" and "by writer: " in ev["msg"]:
            for w in ev["msg"].split("by writer: ", 1)[1].split(", "):
                name, _, sec = w.rpartition(" ")
                if name:                       # "none": every writer under 0.005 s
                    writers.append((name, float(sec)))
    parts, prev = [], t0
    for ev, label in STAGES:
        if ev not in at:
            return "%s: stages: no %s event in the log" % (c["name"], ev)
        parts.append("%s %.2f s (%.0f %%)" % (label, at[ev] - prev, 100 * (at[ev] - prev) / wall))
        prev = at[ev]
    over = [n for n, x in writers if x > 0.10 * cpu]
    floor = workbook_deflate_floor(os.path.abspath(run_dir[0])) if run_dir else "the summary names no Output"
    if isinstance(floor, str):
        zipped = "%s, results.xlsx's deflate: not measured (%s)" % (c["name"], floor)
    else:
        zipped = ("%s, results.xlsx's deflate alone (zlib level 6 and CRC-32 of the %d workbooks' %.1f MB of XML, "
                  "%d cells, giving the same %.1f MB of bytes): %.2f s CPU, %.1f %% of the run's CPU" % (
                      c["name"], floor[4], floor[1], floor[3], floor[2], floor[0], 100 * floor[0] / cpu))
    return ("%s, one more %s run with its JSON log: %.2f s wall, %.2f s CPU; stages (wall, share of the run): %s\n"
            "%s, writers (CPU s, share of the run's CPU): %s; over 10 %% of the run: %s\n%s" % (
                c["name"], jn, wall, cpu, ", ".join(parts), c["name"],
                ", ".join("%s %.2f (%.1f %%)" % (n, x, 100 * x / cpu) for n, x in writers),
                ", ".join(over) if over else "none", zipped))


def register_share(d):
    """SPEC §9 (issue 13): the register write of a night as a share of that night's run, as a
    line of text. The night is the one after job.ini's: a copy of job.ini (job-register.ini,
    removed afterwards, as out-register/ is) with as_of one day later and output =
    out-register/, which starts each time as a copy of
    out/register.db (the register of the runs above: it holds job.ini's night), so the run
    records a new night into a register that holds the previous one, as a nightly run does.
    One `hedui -jN run` of it with JSON logs: its wall, the register write (event
    register_recorded, the one SQLite transaction after the rename) and the scan
    (extracts_scanned, which holds the near-miss pass). (A `run --force` of a night the
    register already holds replaces its rows instead: docs/performance.md measures that too.)"""
    src = open(os.path.join(d, "job.ini"), encoding="utf-8").read()
    m = re.search(r"^as_of\s*=\s*(\d{4})-(\d\d)-(\d\d)\s*$", src, re.M)
    prev = os.path.join(d, "out", "register.db")
    if not m or not os.path.exists(prev) or os.path.exists(prev + "-wal"):
        return "register write: no checkpointed out/register.db or no as_of in job.ini to take the next night from"
    night = "%s-%s-%s" % m.groups()
    nxt = (datetime.date.fromisoformat(night) + datetime.timedelta(days=1)).isoformat()
    job = re.sub(r"^as_of\s*=.*$", "as_of      = " + nxt, src, flags=re.M)
    job = re.sub(r"^output\s*=.*$", "output     = out-register/", job, flags=re.M)
    # the register is the output's own (OUTPUT/register.db), never one job.ini names
    job = re.sub(r"^register\s*=.*\n?", "", job, flags=re.M)
    jobp = os.path.join(d, "job-register.ini")
    with open(jobp, "w", encoding="utf-8") as f:
        f.write(job)
    out = os.path.join(d, "out-register")
    subprocess.run(["rm", "-rf", out], check=True)
    os.makedirs(out)
    shutil.copyfile(prev, os.path.join(out, "register.db"))
    os.chmod(os.path.join(out, "register.db"), 0o600)
    t0 = time.perf_counter()
    # the night after may be tomorrow for a dataset dated today
    p = subprocess.run([HEDUI, "-j%d" % NCPU, "--log-format=json", "run", "--allow-future-as-of", "job-register.ini"],
                       cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    subprocess.run(["rm", "-rf", out], check=True)
    os.unlink(jobp)
    if p.returncode not in (0, 3):
        sys.exit("bench: the register run failed with %d: %s" % (p.returncode, p.stderr.strip().splitlines()[-1:]))
    secs = event_seconds(p.stderr.splitlines())
    if "register_recorded" not in secs:
        return "register write: no register_recorded event in the run's log"
    reg = secs["register_recorded"]
    return ("register write (SPEC §9), night %s recorded into the register of night %s: %.2f s of a %.2f s "
            "run (-j%d) = %.1f %% (target under 5 %%); scan with the near-miss pass %.2f s "
            "(the pass alone: perf, docs/performance.md)" % (
                nxt, night, reg, wall, NCPU,
                100 * reg / wall, secs.get("extracts_scanned", float("nan"))))


POP_KEYS = ("roster", "roster_format", "monitor", "monitor_format")


def make_populations(d):
    """The populations case of set d: pop/roster/ and pop/monitor/, copies of the
    applicant files with RS... and MS... for the SQ... application ids, and two jobs
    beside job.ini: job-pop-applicants.ini (the applicants only) and job-pop-all.ini
    (the applicants, the copied roster and monitored population). Returns both paths."""
    done = os.path.join(d, "pop", "complete")
    jobs = [os.path.join(d, "job-pop-applicants.ini"), os.path.join(d, "job-pop-all.ini")]
    if os.path.exists(done) and all(os.path.exists(j) for j in jobs):
        return jobs
    for name, prefix in (("roster", b"RS"), ("monitor", b"MS")):
        out = os.path.join(d, "pop", name)
        subprocess.run(["rm", "-rf", out], check=True)
        os.makedirs(out)
        for src in sorted(glob.glob(os.path.join(d, "inbox", "*.csv"))):
            with open(src, "rb") as f:
                lines = f.read().split(b"\n")
            with open(os.path.join(out, os.path.basename(src)), "wb") as f:
                f.write(b"\n".join(prefix + x[2:] if x.startswith(b"SQ") else x for x in lines))
    with open(os.path.join(d, "job.ini"), encoding="utf-8") as f:
        lines = f.read().split("\n")
    extra = {jobs[0]: [], jobs[1]: ["roster     = pop/roster/*.csv", "roster_format = formats/applicants.fmt",
                                    "monitor    = pop/monitor/*.csv", "monitor_format = formats/applicants.fmt"]}
    for j, out in zip(jobs, ("out-pop-applicants/", "out-pop-all/")):
        L = []
        for line in lines:
            key = line.split("=", 1)[0].strip()
            if key in POP_KEYS:
                continue
            if key == "output":
                L.append("output     = " + out)
                L += extra[j]
                continue
            L.append(line)
        with open(j, "w", encoding="utf-8") as f:
            f.write("\n".join(L))
    with open(done, "w") as f:
        f.write("made\n")
    return jobs


def run_population(job):
    """One `hedui run --force -j1` of job under /usr/bin/time, with its JSON log:
    (user CPU s, sys CPU s, peak RSS KiB, scan wall s from the log, summary.json)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf, \
            tempfile.NamedTemporaryFile("r", suffix=".log") as lf, open(os.devnull, "w") as null:
        rc = subprocess.run([TIME, "-f", "%U %S %M", "-o", tf.name, HEDUI, "--log-format=json", "run",
                             "--force", "-j", "1", job], stdout=null, stderr=open(lf.name, "w")).returncode
        if rc not in (0, 3):
            sys.exit("bench: hedui run %s failed with %d" % (job, rc))
        u, s, m = tf.read().split()[-3:]
        scan = event_seconds(lf).get("extracts_scanned")
    with open(job, encoding="utf-8") as f:
        out = next(l.split("=", 1)[1].strip() for l in f if l.split("=", 1)[0].strip() == "output")
    runs = sorted(x for x in glob.glob(os.path.join(os.path.dirname(job), out, "*")) if os.path.isdir(x))
    with open(os.path.join(runs[-1], "summary.json"), encoding="utf-8") as f:
        summ = json.load(f)
    return float(u), float(s), int(m), scan, summ


def report_populations(name, runs):
    """The populations case's lines: a table of the two jobs' medians, then the ratios."""
    med = {}
    for k, v in runs.items():
        summ = v[-1][4]
        med[k] = {"user": statistics.median(x[0] for x in v), "sys": statistics.median(x[1] for x in v),
                  "rss": statistics.median(x[2] for x in v), "scan": statistics.median(x[3] for x in v),
                  "hh": summ["households"], "members": summ["members"],
                  "rows": summ["totals"]["extracts"]["rows"], "matched": summ["totals"]["extracts"]["rows_matched"],
                  "pop": summ["populations"], "same": len({x[4]["totals"]["extracts"]["rows"] for x in v}) == 1}
    a, b = med["applicants only"], med["+ roster and monitor as large"]
    L = ["", "Populations (SPEC section 10) on the %s set, hedui -j1, median of %d alternated rounds "
         "(user CPU from /usr/bin/time: compare it, not wall, on a loaded machine):" % (name, ROUNDS), "",
         "| job | households (applicant / recipient / monitored) | members | extract rows read | rows matched | "
         "user CPU s | sys CPU s | scan s (log) | peak RSS MiB | user CPU us / member | B/member above 64 MiB |",
         "|---|---|---|---|---|---|---|---|---|---|---|"]
    for k, x in med.items():
        p = x["pop"]
        L.append("| %s | %d (%d / %d / %d) | %d | %d | %d | %.2f | %.2f | %.1f | %.1f | %.1f | %.0f |" % (
            k, x["hh"], p["applicant"]["households"], p["recipient"]["households"], p["monitored"]["households"],
            x["members"], x["rows"], x["matched"], x["user"], x["sys"], x["scan"], x["rss"] / 1024,
            x["user"] * 1e6 / x["members"], max(0, x["rss"] * 1024 - 64 * MIB) / x["members"]))
    dm = b["members"] - a["members"]
    L.append("")
    L.append("members x %.2f; extract rows read x %.3f (%s: one pass over the extracts); rows matched x %.2f; "
             "user CPU x %.2f; scan x %.2f; peak RSS x %.2f" % (
                 b["members"] / a["members"], b["rows"] / a["rows"],
                 "the same" if b["rows"] == a["rows"] and a["same"] and b["same"] else "DIFFERENT",
                 b["matched"] / max(a["matched"], 1), b["user"] / a["user"], b["scan"] / max(a["scan"], 0.05),
                 b["rss"] / a["rss"]))
    L.append("per added member: %.1f us user CPU (plain run: %.1f us per member, all of it, scan included); "
             "%.0f bytes of peak RSS" % (
                 (b["user"] - a["user"]) * 1e6 / dm, a["user"] * 1e6 / a["members"],
                 (b["rss"] - a["rss"]) * 1024 / dm))
    L.append("memory target (peak RSS at most 300 bytes a member above 64 MiB): %.0f with the populations, "
             "%.0f with the applicants only" % tuple(max(0, x["rss"] * 1024 - 64 * MIB) / x["members"] for x in (b, a)))
    return L, b["rows"] == a["rows"]


def main():
    if not os.access(HEDUI, os.X_OK):
        sys.exit("bench: %s is missing (make)" % HEDUI)
    if PEER and not os.path.isdir(os.path.join(ROOT, "bench", "peer", "node_modules", "@duckdb", "node-api")):
        sys.exit("bench: the DuckDB peer is not installed (make bench-peer; or BENCH_PEER=0)")
    if not os.access(TIME, os.X_OK):
        sys.exit("bench: %s is missing (apt-get install time; scripts/install-deps)" % TIME)
    sets = generate()
    if "--generate" in sys.argv[1:]:
        print("bench: datasets ready under %s" % base_dir())
        return
    if "--province" in sys.argv[1:]:
        # make bench-parts: the largest dataset, with this tree's descriptors
        # and policy, its directory on stdout (bench/parts.sh runs in it)
        d = sets[0][2]
        for sub in ("formats", "policy"):
            subprocess.run(["rm", "-rf", os.path.join(d, sub)], check=True)
            subprocess.run(["cp", "-r", os.path.join(ROOT, sub), os.path.join(d, sub)], check=True)
        print(d)
        return
    jn = "hedui -j%d" % NCPU
    cases = []
    for scale, k, d in reversed(sets):         # 1x first
        for sub in ("formats", "policy"):      # the descriptors and policy of this tree
            subprocess.run(["rm", "-rf", os.path.join(d, sub)], check=True)
            subprocess.run(["cp", "-r", os.path.join(ROOT, sub), os.path.join(d, sub)], check=True)
        extracts = sorted(glob.glob(os.path.join(d, "extracts", "*", "*")))
        desc = describe(d, extracts)
        with open(os.path.join(d, "expected-summary.json"), encoding="utf-8") as f:
            es = json.load(f)
        job = os.path.join(d, "job.ini")
        cmds = {"floor": [["zstd", "-dcq", f, "-o", "/dev/null", "-f"] for f in extracts],
                jn: [[HEDUI, "-q", "run", "--force", "-j", str(NCPU), job]],
                "hedui -j1": [[HEDUI, "-q", "run", "--force", "-j", "1", job]]}
        if PEER:
            cmds["duckdb"] = [["node", PEER_JS, job, os.path.join(d, "peer.json")]]
        cases.append({
            "name": "%dx (k=%g)" % (scale, k), "scale": scale, "members": es["members"],
            "households": es["households"], "files": len(extracts),
            "rows": sum(e["rows"] for e in desc.values()),
            "comp": sum(e["comp"] for e in desc.values()), "raw": sum(e["raw"] for e in desc.values()),
            "dir": d, "cmds": cmds})
    if SINGLE:
        d = sets[0][2]
        path, rows, src = make_single(d, describe(d, None))
        job = os.path.join(d, "job-single.ini")
        cases.append({
            "name": "one file (%s, %gx)" % (src, sets[0][0]), "scale": None,
            "members": cases[-1]["members"], "households": cases[-1]["households"], "files": 1,
            "rows": rows, "comp": os.path.getsize(path), "raw": zcat_size(path),
            "cmds": {"floor": [["zstd", "-dcq", path, "-o", "/dev/null", "-f"]],
                     jn: [[HEDUI, "-q", "run", "--force", "-j", str(NCPU), job]],
                     "hedui -j1": [[HEDUI, "-q", "run", "--force", "-j", "1", job]]}})
    for c in cases:
        c["runs"] = {n: [] for n in c["cmds"]}
    pops = {}
    if POPS:                                   # on the smallest set (issue 14)
        pjobs = make_populations(sets[-1][2])
        pops = {"applicants only": (pjobs[0], []), "+ roster and monitor as large": (pjobs[1], [])}
    t0 = time.perf_counter()
    for r in range(ROUNDS):                    # alternate the commands and the sizes
        for c in cases:
            for name, cmd in c["cmds"].items():
                c["runs"][name].append(measure(cmd))
        for job, runs in pops.values():
            runs.append(run_population(job))
        log("round %d of %d done (%.0f s)" % (r + 1, ROUNDS, time.perf_counter() - t0))

    zv = next((w for w in subprocess.run(["zstd", "--version"], stdout=subprocess.PIPE, text=True).stdout.split()
               if w.startswith("v")), "?").rstrip(",")
    cpu_model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu_model = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    L = []
    L.append("machine: %s, %d cores, %.0f GiB, %s; zstd %s; load average before %s" % (
        cpu_model, NCPU, mem, platform.platform(), zv, "%.1f %.1f %.1f" % os.getloadavg()))
    L.append("")
    L.append("| extracts | files | rows | MB zst / raw | command | wall s | CPU s | peak RSS MiB | "
             "B/member above 64 MiB | rows/s | MB/s zst | MB/s raw | wall / floor |")
    L.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for c in cases:
        c["med"] = {n: tuple(statistics.median(x[i] for x in v) for i in range(3)) for n, v in c["runs"].items()}
        fw = c["med"]["floor"][0]
        for name, (w, cpu, m) in c["med"].items():
            above = "" if name == "floor" else "%.0f" % (max(0, m * 1024 - 64 * MIB) / max(c["members"], 1))
            L.append("| %s | %d | %d | %.1f / %.1f | %s | %.2f | %.2f | %.1f | %s | %.0f | %.1f | %.1f | %.2f |" % (
                c["name"], c["files"], c["rows"], c["comp"] / 1e6, c["raw"] / 1e6, name, w, cpu,
                m / 1024, above, c["rows"] / w, c["comp"] / 1e6 / w, c["raw"] / 1e6 / w, w / fw))
    L.append("")
    L.append("applicants: %d households, %d members (the same in every dataset)" % (
        cases[0]["households"], cases[0]["members"]))
    for c in cases:
        (j1, _, m1), (jnw, _, mn) = c["med"]["hedui -j1"], c["med"][jn]
        L.append("%s: -j%d speed-up over -j1 %.2f x; end to end / floor %.2f (-j%d), %.2f (-j1); "
                 "peak RSS %.1f MiB (-j%d), %.1f MiB (-j1)" % (
                     c["name"], NCPU, j1 / jnw, jnw / c["med"]["floor"][0], NCPU,
                     j1 / c["med"]["floor"][0], mn / 1024, NCPU, m1 / 1024))
    agree_all = True
    for c in cases:
        if "duckdb" not in c["med"]:
            continue
        ok, text = peer_agrees(c["dir"], os.path.join(c["dir"], "peer.json"))
        agree_all = agree_all and ok
        L.append("%s: hedui -j%d %.1f x faster than DuckDB (%.2f s against %.2f s; -j1 %.1f x); %s" % (
            c["name"], NCPU, c["med"]["duckdb"][0] / c["med"][jn][0], c["med"][jn][0], c["med"]["duckdb"][0],
            c["med"]["duckdb"][0] / c["med"]["hedui -j1"][0], text))
    scaled = [c for c in cases if c["scale"]]
    if len(scaled) > 1:
        lo, hi = scaled[0], scaled[-1]
        r = hi["rows"] / lo["rows"]
        L.append("%gx -> %gx: %.2f x the rows; wall x %.2f (-j1), x %.2f (-j%d), x %.2f (floor); "
                 "peak RSS x %.2f (-j1), x %.2f (-j%d)" % (
                     lo["scale"], hi["scale"], r,
                     hi["med"]["hedui -j1"][0] / lo["med"]["hedui -j1"][0],
                     hi["med"][jn][0] / lo["med"][jn][0], NCPU,
                     hi["med"]["floor"][0] / lo["med"]["floor"][0],
                     hi["med"]["hedui -j1"][2] / lo["med"]["hedui -j1"][2],
                     hi["med"][jn][2] / lo["med"][jn][2], NCPU))
    L.append("")
    for c in cases:
        L.append(stages_and_writers(c, jn))
    L.append("")
    one_pass = True
    if pops:
        lines, one_pass = report_populations("%dx (k=%g)" % (sets[-1][0], sets[-1][1]),
                                             {k: v[1] for k, v in pops.items()})
        L += lines
    env = " ".join("%s=%s" % (k, os.environ[k]) for k in ("BENCH_DATA",) if os.environ.get(k))
    L.append("median of %d alternated rounds; wall from Python, CPU and peak RSS from /usr/bin/time; "
             "reproduce: make bench BENCH_HOUSEHOLDS=%d BENCH_FACTOR=%g BENCH_FILES=%d BENCH_SCALES=%s%s%s%s" % (
                 ROUNDS, H, F, FILES, ",".join(str(s) for s in SCALES), "" if SINGLE else " BENCH_SINGLE=0",
                 ("" if PEER else " BENCH_PEER=0") + ("" if POPS else " BENCH_POPULATIONS=0"),
                 (" " + env) if env else ""))
    L.append(register_share(sets[0][2]))
    if (os.environ.get("BENCH_INSTANT") or "1") != "0":
        # SPEC §11: index build, lookup latency, serve under load (bench/instant.py)
        import instant
        L.append("")
        L.append("Instant check (SPEC §11) on the %gx set:" % sets[0][0])
        L.append("")
        L.append(instant.run(sets[0][2]))
    text = "\n".join(L)
    print(text)
    with open(os.path.join(base_dir(), "results-%s.md" % time.strftime("%Y%m%d-%H%M%S")), "w") as f:
        f.write(text + "\n")
    if not agree_all:
        sys.exit("bench: the DuckDB peer disagrees with hedui (see above)")
    if not one_pass:
        sys.exit("bench: adding the populations changed the extract rows read (see above)")


if __name__ == "__main__":
    main()
