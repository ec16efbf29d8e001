#!/usr/bin/env python3
"""serve_check.py HEDUI PROVINCE — `hedui serve` end to end (SPEC §11), on
127.0.0.1 only, every loop bounded in requests and time.

PROVINCE is a generated province (scripts/gen-province.py) with keys and a
built index (out/index/). The script:
  - starts serve on a free port (port 0; the port is read from its log);
  - checks every household of every county file over HTTP and compares the
    `result` with `hedui lookup` of the same file (same JSON object);
  - checks credentials (none, wrong, another county), bad bodies (malformed
    JSON, over the limit, missing fields, an ID that is no ID, 10,000
    members), a slow client (closed after --timeout), unknown paths;
  - builds a newer index (as_of one day later), sends SIGHUP three times
    during a bounded loop of requests on keep-alive connections, and
    requires every request to succeed and both indexes to have answered;
  - refuses to start on a truncated index (65), another key's index (78), a
    non-loopback address without TLS (78);
  - scans the access log for ID numbers and names (none);
  - mutual TLS with openssl-made certificates: the centre's client
    certificate passes, none or another CA's is refused.
Exit 0 when everything holds; prints one line per failure."""
import csv, glob, hashlib, http.client, json, os, re, shutil, signal, socket, ssl, subprocess, sys, threading, time

HEDUI, PROV = sys.argv[1], sys.argv[2]
fails = []
STARTED = []           # every serve started: stopped at the end, whatever happens
def check(cond, what):
    if not cond:
        fails.append(what)
        print("FAIL", what)

REL = {'本人': 'self', '配偶': 'spouse', '子女': 'child', '父母': 'parent', '兄弟姐妹': 'sibling', '祖父母': 'grandparent',
       '外祖父母': 'grandparent', '孙子女': 'grandchild', '外孙子女': 'grandchild', '其他': 'other'}
AREA = {'城镇': 'urban', '农村': 'rural'}
ASSIST = {'低保': 'dibao', '特困': 'tekun', '低保边缘': 'bianyuan', '临时救助': 'linshi'}

def households(path):
    """The households of an applicant file as check requests (canonical values)."""
    rows = list(csv.reader(open(path, encoding='utf-8')))[1:]
    order, by = [], {}
    for r in rows:
        if r[0] not in by:
            by[r[0]] = []
            order.append(r[0])
        by[r[0]].append(r)
    out = []
    for a in order:
        m = by[a]
        out.append({"county_code": m[0][1], "application_id": a, "area_type": AREA.get(m[0][2], m[0][2]),
                    "assistance_type": ASSIST.get(m[0][7], m[0][7]),
                    "members": [{"id_number": r[4], "name": r[5], "member_no": r[3], "relation": REL.get(r[6], r[6]),
                                 "declared_income": r[8]} for r in m]})
    return out

def start(extra, index=None, key="keys/pseudonym.key", listen="127.0.0.1:0", wait=True):
    err = open(os.path.join(PROV, "serve-%d.err" % time.monotonic_ns()), "w+")
    p = subprocess.Popen([HEDUI, "serve", "--index", index or "out/index", "--key", key, "--listen", listen,
                          "--tokens", "tokens.txt", "--access-log", "access.log"] + extra,
                         cwd=PROV, stderr=err, stdout=subprocess.DEVNULL)
    STARTED.append(p)
    if not wait:
        return p, err, None
    deadline = time.monotonic() + 20
    port = None
    while time.monotonic() < deadline and port is None and p.poll() is None:
        time.sleep(0.05)
        err.seek(0)
        m = re.search(r"listening on port (\d+)", err.read())
        if m:
            port = int(m.group(1))
    return p, err, port

def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

class Client:
    def __init__(self, port, ctx=None):
        self.c = (http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=30) if ctx
                  else http.client.HTTPConnection("127.0.0.1", port, timeout=30))
    def req(self, body, token="tok-all", method="POST", path="/v1/check", raw=False):
        h = {"Content-Type": "application/json"}
        if token:
            h["Authorization"] = "Bearer " + token
        if body is not None and not raw and not isinstance(body, (bytes, str)):
            body = json.dumps(body, ensure_ascii=False).encode()
        self.c.request(method, path, body=body, headers=h)
        r = self.c.getresponse()
        d = r.read()
        try:
            return r.status, json.loads(d)
        except ValueError:
            return r.status, None

def main():
    os.chdir(PROV)
    with open("tokens.txt", "w") as f:
        f.write("# clerk county sha256(token)\n")
        f.write("all * %s\n" % hashlib.sha256(b"tok-all").hexdigest())
        f.write("kunming 530102 %s\n" % hashlib.sha256(b"tok-530102").hexdigest())
    if os.path.exists("access.log"):
        os.unlink("access.log")
    idx = sorted(glob.glob("out/index/2026-11-28-*"))
    check(len(idx) == 1, "one index built before the test")
    files = sorted(glob.glob("inbox/*.csv"))

    p, err, port = start([])
    check(port is not None, "serve starts and says its port")
    if port is None:
        err.seek(0); print(err.read()); return
    c = Client(port)
    st, b = c.req(None, None, "GET", "/v1/health")
    check(st == 200 and b["status"] == "ok" and b["as_of"] == "2026-11-28", "health: %s %s" % (st, b))
    first_index = b["index"]

    # every household of three county files: the same result as lookup
    n = 0
    for f in files:
        look = {}
        out = subprocess.run([HEDUI, "lookup", "--index", idx[0], "--key", "keys/pseudonym.key", f],
                             capture_output=True, text=True)
        check(out.returncode == 0, "lookup %s exits 0" % f)
        for line in out.stdout.splitlines():
            o = json.loads(line)
            look[o["application_id"]] = o
        for h in households(f):
            st, b = c.req({"purpose": "application", "household": h})
            if look.get(h["application_id"], {}).get("reasons", []).count("APPLICANT_ROW_REJECTED"):
                # a row the run quarantines is a bad request here; a household
                # flagged for a row of its file that belongs to no application
                # is whole in the request
                lk = dict(look[h["application_id"]])
                lk["reasons"] = [x for x in lk["reasons"] if x != "APPLICANT_ROW_REJECTED"]
                check(st == 400 or (st == 200 and b["result"]["reasons"] == lk["reasons"]),
                      "a household with a rejected row: %s %s" % (st, b))
                continue
            check(st == 200, "check %s: status %s %s" % (h["application_id"], st, b))
            if st == 200:
                check(re.fullmatch(r"[0-9a-f]{32}", b["receipt"]) is not None, "receipt is 32 hex")
                check(b["result"] == look[h["application_id"]], "serve and lookup agree on %s" % h["application_id"])
                n += 1
    check(n >= 10, "at least 10 households compared with lookup (%d)" % n)
    print("serve_check: %d households agree with lookup" % n)

    # monitored households (SPEC §10): "population": "monitored" is judged as
    # `lookup --population monitored` judges the monitor file (as the run)
    nm = 0
    for f in sorted(glob.glob("monitor/*.csv"))[:8]:
        out = subprocess.run([HEDUI, "lookup", "--index", idx[0], "--key", "keys/pseudonym.key",
                              "--population", "monitored", f], capture_output=True, text=True)
        check(out.returncode == 0, "lookup --population monitored %s exits 0" % f)
        look = {json.loads(l)["application_id"]: json.loads(l) for l in out.stdout.splitlines()}
        for h in households(f):
            lk = look.get(h["application_id"])
            if lk is None or "APPLICANT_ROW_REJECTED" in lk["reasons"]:
                continue
            st, b = c.req({"purpose": "recheck", "household": dict(h, population="monitored")})
            check(st == 200 and b["result"] == lk, "monitored %s: serve and lookup agree (%s)" % (h["application_id"], st))
            check(st == 200 and b["result"]["population"] == "monitored", "monitored %s: population in the result" % h["application_id"])
            nm += 1
    check(nm >= 3, "at least 3 monitored households compared with lookup (%d)" % nm)
    h0 = households(files[0])[0]
    st, b = c.req({"purpose": "application", "household": dict(h0, population="tourist")})
    check(st == 400 and "population" in (b or {}).get("error", ""), "an unknown population: 400 (%s)" % st)

    h = households(files[0])[0]
    good = {"purpose": "recheck", "household": h}
    check(c.req(good, None)[0] == 401, "no token: 401")
    check(c.req(good, "wrong")[0] == 401, "wrong token: 401")
    other = dict(h, county_code="530103")
    st, _ = Client(port).req({"purpose": "change", "household": other}, "tok-530102")
    check(st == 403, "another county: 403, not %s" % st)
    check(Client(port).req(good, "tok-530102")[0] == (200 if h["county_code"] == "530102" else 403), "own county")
    check(c.req(b"{not json", raw=True)[0] == 400, "malformed JSON: 400")
    check(c.req(b"[1,2]", raw=True)[0] == 400, "not an object: 400")
    check(c.req({"household": h})[0] == 400, "missing purpose: 400")
    check(c.req({"purpose": "audit", "household": h})[0] == 400, "unknown purpose: 400")
    check(c.req({"purpose": "application"})[0] == 400, "missing household: 400")
    check(c.req({"purpose": "application", "household": dict(h, members=[])})[0] == 400, "no members: 400")
    nocounty = {k: v for k, v in h.items() if k != "county_code"}
    check(c.req({"purpose": "application", "household": nocounty})[0] == 400, "missing county_code: 400")
    noid = dict(h, members=[{k: v for k, v in h["members"][0].items() if k != "id_number"}])
    check(c.req({"purpose": "application", "household": noid})[0] == 400, "missing id_number: 400")
    for bad_id in ["123456789012345678", "53010219440619493", "abcdefghijklmnopqr", "5301021944061949344"]:
        st, b = c.req({"purpose": "application", "household": dict(h, members=[dict(h["members"][0], id_number=bad_id)])})
        check(st == 400 and "id_number" in (b or {}).get("error", ""), "an ID that is no ID: 400 naming the field (%s)" % st)
        check(bad_id not in json.dumps(b), "the error does not repeat the ID")
    many = dict(h, members=[h["members"][0]] * 10000)
    st, _ = Client(port).req({"purpose": "application", "household": many})
    check(st == 413, "10,000 members over the body limit: 413, not %s" % st)
    st, _ = Client(port).req(b"x" * 200000, raw=True)
    check(st == 413, "a body over the limit: 413")
    st, _ = c.req(None, "tok-all", "GET", "/v1/nothing")
    check(st == 404, "unknown path: 404")
    st, _ = c.req(None, "tok-all", "GET", "/v1/check")
    check(st == 405, "GET /v1/check: 405")
    stop(p)

    # a raised body limit: 10,000 members reach the member limit (400)
    p, err, port = start(["--body-limit", "4000000", "--timeout", "1"])
    check(port is not None, "serve with --body-limit starts")
    st, b = Client(port).req({"purpose": "application", "household": many})
    check(st == 400 and "members" in b.get("error", ""), "10,000 members: 400 (%s %s)" % (st, b))
    # a slow client is disconnected after --timeout (1 s); bounded wait of 15 s
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    s.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\n")
    t0 = time.monotonic()
    try:
        closed = s.recv(1024) == b""
    except (socket.timeout, ConnectionResetError):
        closed = False if time.monotonic() - t0 >= 15 else True
    check(closed, "a slow client is disconnected")
    s.close()
    st, _ = Client(port).req(good)
    check(st == 200, "serving after a slow client")
    stop(p)

    # SIGHUP during a bounded loop of requests: a newer index, no failed request
    with open("job.ini", encoding="utf-8") as f:
        job = f.read()
    with open("job-next.ini", "w", encoding="utf-8") as f:
        f.write(re.sub(r"(?m)^as_of\s*=.*$", "as_of = 2026-11-29", job))
    r = subprocess.run([HEDUI, "-q", "index", "job-next.ini"], capture_output=True)
    check(r.returncode == 0, "a newer index is built")
    # serve the older one first: move the newer aside until the loop runs
    newer = sorted(glob.glob("out/index/2026-11-29-*"))
    check(len(newer) == 1, "the newer index exists")
    shutil.move(newer[0], "newer-index")
    p, err, port = start([])
    results, seen, lock = [], set(), threading.Lock()
    def loop():
        cl = Client(port)
        for _ in range(400):
            try:
                st, b = cl.req(good)
                with lock:
                    results.append(st)
                    if st == 200:
                        seen.add(b["index"])
            except Exception as e:
                with lock:
                    results.append(str(e))
    ths = [threading.Thread(target=loop) for _ in range(4)]
    for t in ths:
        t.start()
    t0 = time.monotonic()
    while time.monotonic() - t0 < 60:
        with lock:
            if len(results) >= 200:
                break
        time.sleep(0.01)
    shutil.move("newer-index", newer[0])
    for _ in range(3):
        p.send_signal(signal.SIGHUP)
        time.sleep(0.05)
    for t in ths:
        t.join(120)
    check(len(results) == 1600 and all(x == 200 for x in results),
          "every request during SIGHUP succeeds (%d, failures %s)" % (len(results), [x for x in results if x != 200][:5]))
    check(len(seen) == 2, "both indexes answered during the loop (%s)" % sorted(seen))
    st, b = Client(port).req(None, None, "GET", "/v1/health")
    check(st == 200 and b["as_of"] == "2026-11-29", "after SIGHUP the newer index is served")
    stop(p)
    shutil.rmtree(newer[0])

    # refused at start
    shutil.rmtree("ix-trunc", ignore_errors=True)
    shutil.copytree(idx[0], "ix-trunc")
    with open("ix-trunc/tokens.bin", "r+b") as f:
        f.truncate(os.path.getsize("ix-trunc/tokens.bin") - 48)
    p, err, _ = start([], index="ix-trunc", wait=False)
    check(p.wait(30) == 65, "a truncated index: 65")
    shutil.rmtree("ix-k2", ignore_errors=True)
    subprocess.run([HEDUI, "keygen", "ix-k2"], capture_output=True)
    p, err, _ = start([], key="ix-k2/pseudonym.key", wait=False)
    check(p.wait(30) == 78, "another key's index: 78")
    p, err, _ = start([], listen="0.0.0.0:0", wait=False)
    check(p.wait(30) == 78, "a non-loopback address without TLS: 78")

    # mutual TLS
    tls_checks(good)

    # the access log: one line per request, no ID and no name
    ids, names = set(), set()
    for f in glob.glob("inbox/*.csv"):
        for r in list(csv.reader(open(f, encoding="utf-8")))[1:]:
            if len(r) > 5:
                ids.add(r[4]); names.add(r[5])
    log = open("access.log", encoding="utf-8").read()
    lines = log.splitlines()
    check(len(lines) > 1900, "the access log has a line per check (%d)" % len(lines))
    for line in lines:
        o = json.loads(line)
        check(set(o) == {"time", "client", "clerk", "purpose", "household", "verdict", "status", "receipt"},
              "access log fields")
        break
    check(not re.search(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])", log), "no ID-shaped text in the access log")
    check(not any(i and i in log for i in ids), "no applicant ID in the access log")
    check(not any(len(nm) >= 2 and nm in log for nm in names), "no applicant name in the access log")
    print("serve_check: %d failures" % len(fails))

def tls_checks(good):
    d = os.path.join(PROV, "tls")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    def ossl(*a):
        r = subprocess.run(["openssl"] + list(a), cwd=d, capture_output=True)
        check(r.returncode == 0, "openssl %s: %s" % (a[0], r.stderr.decode()[-200:]))
    for ca in ("ca", "other"):
        ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
             "-subj", "/CN=%s test CA" % ca, "-keyout", ca + ".key", "-out", ca + ".pem")
    def leaf(name, ca, ext):
        ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + name,
             "-keyout", name + ".key", "-out", name + ".csr")
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext)
        ossl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".pem", "-CAkey", ca + ".key", "-CAcreateserial",
             "-days", "2", "-extfile", name + ".ext", "-out", name + ".pem")
    leaf("server", "ca", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    leaf("clerk", "ca", "extendedKeyUsage=clientAuth\n")
    leaf("stranger", "other", "extendedKeyUsage=clientAuth\n")
    p, err, port = start(["--tls-cert", "tls/server.pem", "--tls-key", "tls/server.key", "--client-ca", "tls/ca.pem"])
    check(port is not None, "serve with TLS starts")
    if port is None:
        err.seek(0); print(err.read()); return
    def ctx(cert):
        c = ssl.create_default_context(cafile=os.path.join(d, "ca.pem"))
        if cert:
            c.load_cert_chain(os.path.join(d, cert + ".pem"), os.path.join(d, cert + ".key"))
        return c
    st, b = Client(port, ctx("clerk")).req(good)
    check(st == 200, "mutual TLS with the centre's client certificate: 200, not %s" % st)
    for who in (None, "stranger"):
        try:
            st, _ = Client(port, ctx(who)).req(good)
        except (ssl.SSLError, ConnectionError, OSError):
            st = "refused"
        check(st in (401, "refused"), "client certificate %s: refused (%s)" % (who, st))
    stop(p)

if __name__ == "__main__":
    try:
        main()
    except Exception as e:          # a crash of the checker is a failure too
        check(False, "serve_check raised %r" % e)
    finally:
        for p in STARTED:
            stop(p)
    sys.exit(1 if fails else 0)
