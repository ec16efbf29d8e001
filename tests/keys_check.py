#!/usr/bin/env python3
"""Independent checks of SPEC §8 "Keys per audience" on hedui's outputs.
Keys are derived here with an HKDF-SHA256 written from RFC 5869 over
Python's hmac/hashlib, tokens with hmac: no hedui code. Prints counts, never
a name, an ID number or a key.

  keys_check.py same-join RAW_OUT TOK_OUT SOURCE
      the run over a tokenised extract joins as the run over raw IDs:
      audit/households.jsonl and every county households.csv identical, the
      SOURCE's matched records the same (file and line aside), its
      rows_matched the same
  keys_check.py no-provider-tokens OUT PROVINCE PROVIDER_KEY MASTER_KEY
      no 64-hex token under OUT/audit/ is one the provider key makes for any
      applicant ID (member or household prefix); every member token of
      matches.jsonl is one the master's audit key makes (the scan can find)
  keys_check.py text-token OUT MASTER_KEY SOURCE FIELD TEXT
      SOURCE's records in matches.jsonl carry FIELD as the text token of TEXT
      (text key, "hedui:v2:text:" + FIELD + ":" + Names form) at least once,
      and TEXT is nowhere under OUT/audit/
  keys_check.py recipes OUT PROVINCE GUIDE
      runs the shell recipes of the auditor guide GUIDE: the signature and
      file checks on the bundle OUT (and on a copy with one changed byte,
      which they must catch), the centre's token recipe for a matched member
      and its household (must equal matches.jsonl / households.jsonl)
  keys_check.py by-key OUT SOURCE KEY_ID=N|KEY_ID=matched ...
      summary.json: the source's rows_matched_by_key holds exactly these
      (matched: the source's rows_matched)
"""
import glob, hashlib, hmac, json, os, re, subprocess, sys, unicodedata


def hkdf_sha256(ikm, salt, info, n=32):
    prk = hmac.new(salt or b"\0" * 32, ikm, hashlib.sha256).digest()   # RFC 5869 §2.2
    okm, t, i = b"", b"", 1
    while len(okm) < n:                                              # §2.3
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        okm += t
        i += 1
    return okm[:n]


def read_key(path):
    d = {}
    for line in open(path, encoding="ascii"):
        line = line.strip()
        if line and not line.startswith("#"):
            k, v = line.split("=", 1)
            d[k] = v
    return d


def derived(master_path, audience):
    k = read_key(master_path)
    return hkdf_sha256(bytes.fromhex(k["key"]), k["id"].encode(), b"hedui:v2:" + audience.encode())


def tok(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).hexdigest()


def text_of(path):
    if path.endswith(".zst"):
        data = subprocess.run(["zstd", "-dc", path], check=True, capture_output=True).stdout
    else:
        data = open(path, "rb").read()
    return data.decode("utf-8", errors="replace")


def audit_texts(out):
    return {p: text_of(p) for p in sorted(glob.glob(os.path.join(out, "audit", "**"), recursive=True))
            if os.path.isfile(p)}


def matches(out):
    p = os.path.join(out, "audit", "matches.jsonl")
    txt = text_of(p if os.path.exists(p) else p + ".zst")
    return [json.loads(l) for l in txt.splitlines() if l]


TRIM = " \t\r\u00a0\u200b\ufeff\u3000"


def norm_id(cell):
    """SPEC §6 "IDs": the 18-character form of an ID cell, or None (GB
    11643: a 15-digit number widens with century 19, 18 for sequence
    996-999, and gets its MOD 11-2 check character)."""
    s = cell.strip(TRIM)
    if s.startswith('="') and s.endswith('"'):
        s = s[2:-1].strip(TRIM)
    s = unicodedata.normalize("NFKC", s).upper()
    if re.fullmatch(r"\d{15}", s):
        body = s[:6] + ("18" if s[12:15] in ("996", "997", "998", "999") else "19") + s[6:]
        w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        s = body + "10X98765432"[sum(int(c) * x for c, x in zip(body, w)) % 11]
    return s if re.fullmatch(r"\d{17}[\dX]", s) else None


def applicant_ids(prov):
    """Normalised 18-character IDs and (county, application id) pairs of
    every population file (applicants, roster, monitor; SPEC §10)."""
    import csv
    ids, apps = set(), set()
    for p in (glob.glob(os.path.join(prov, "inbox", "*.csv")) + glob.glob(os.path.join(prov, "roster", "*.csv")) +
              glob.glob(os.path.join(prov, "monitor", "*.csv"))):
        with open(p, encoding="utf-8-sig", errors="replace") as f:
            for r in csv.DictReader(f):
                i = norm_id(r.get("身份证号码") or "")
                if i:
                    ids.add(i)
                apps.add(((r.get("区县代码") or "").strip(), (r.get("申请编号") or "").strip()))
    return ids, apps


fails = []


def fail(m):
    fails.append(m)


cmd = sys.argv[1]
if cmd == "same-join":
    raw, tk, src = sys.argv[2:5]
    if text_of(os.path.join(raw, "audit", "households.jsonl")) != text_of(os.path.join(tk, "audit", "households.jsonl")):
        fail("audit/households.jsonl differs")
    for p in sorted(glob.glob(os.path.join(raw, "county", "*", "households.csv"))):
        q = os.path.join(tk, os.path.relpath(p, raw))
        if not os.path.exists(q) or text_of(p) != text_of(q):
            fail("%s differs" % os.path.relpath(p, raw))
    def recs(out):
        r = []
        for m in matches(out):
            if m["source"] == src:
                m.pop("file"); m.pop("line")
                r.append(json.dumps(m, sort_keys=True))
        return sorted(r)
    a, b = recs(raw), recs(tk)
    if not a:
        fail("no matched record of %s in the raw run" % src)
    if a != b:
        fail("%s: %d matched records with raw IDs, %d tokenised, or they differ" % (src, len(a), len(b)))
    def matched(out):
        s = json.load(open(os.path.join(out, "summary.json")))
        return [x["rows_matched"] for x in s["sources"] if x["name"] == src][0]
    if matched(raw) != matched(tk):
        fail("%s rows_matched %d raw, %d tokenised" % (src, matched(raw), matched(tk)))
    print("keys_check: %d records of %s joined alike" % (len(a), src))
elif cmd == "no-provider-tokens":
    out, prov, pkey, mkey = sys.argv[2:6]
    pk = bytes.fromhex(read_key(pkey)["key"])
    ids, apps = applicant_ids(prov)
    ptoks = {tok(pk, "hedui:v2:member:" + i) for i in ids}
    ptoks |= {tok(pk, "hedui:v2:household:%s:%s" % a) for a in apps}
    found = set()
    for p, t in audit_texts(out).items():
        found |= set(re.findall(r"[0-9a-f]{64}", t))
    both = ptoks & found
    if both:
        fail("%d tokens under audit/ are the provider key's" % len(both))
    ak = derived(mkey, "audit")
    atoks = {tok(ak, "hedui:v2:member:" + i) for i in ids}
    members = {m["member"] for m in matches(out)}
    if not members or not members <= atoks:
        fail("member tokens of matches.jsonl are not the audit key's (%d of %d)" % (len(members & atoks), len(members)))
    print("keys_check: %d provider tokens, %d tokens under audit/, %d in common; %d member tokens are the audit key's"
          % (len(ptoks), len(found), len(both), len(members & atoks)))
elif cmd == "text-token":
    out, mkey, src, field, text = sys.argv[2:7]
    tkey = derived(mkey, "text")
    drop = set(" \t\r\u00a0\u200b\ufeff\u3000.\u00b7\u2022\u2027\u30fb\uff0e\uff65")
    folded = "".join(c for c in unicodedata.normalize("NFKC", text) if c not in drop)
    want = tok(tkey, "hedui:v2:text:%s:%s" % (field, folded))
    got = [m["fields"].get(field) for m in matches(out) if m["source"] == src]
    if want not in got:
        fail("no %s record carries the text token of its %s (%d records)" % (src, field, len(got)))
    for p, t in audit_texts(out).items():
        if text in t or folded in t:
            fail("%s holds the text" % os.path.relpath(p, out))
    print("keys_check: %d %s records, the text token found" % (len(got), src))
elif cmd == "recipes":
    import shutil, tempfile, csv
    out, prov, guide = sys.argv[2:5]
    lines = open(guide, encoding="utf-8").read().split("\n")
    def blocks(marker, n):
        i = [k for k, l in enumerate(lines) if l.startswith("<!-- recipe: " + marker)][0]
        got, cur = [], None
        for l in lines[i + 1:]:
            if cur is None and l.startswith("```sh"):
                cur = []
            elif cur is not None and l.startswith("```"):
                got.append("\n".join(cur))
                cur = None
                if len(got) == n:
                    break
            elif cur is not None:
                cur.append(l)
        return got
    verify = "\n".join(blocks("verify", 2))
    pub = os.path.join(prov, "keys", "signing.pub.pem")
    def run_verify(bundle):
        sc = verify.replace("out/2026-11-28-0123456789ab", bundle).replace("/path/to/centre-signing.pub.pem", pub)
        r = subprocess.run(["bash", "-c", sc], capture_output=True, text=True)
        return r.stdout + r.stderr
    o = run_verify(out)
    if "Signature Verified Successfully" not in o or "FAIL" in o:
        fail("verify recipe on the bundle: " + o[-300:])
    tmp = tempfile.mkdtemp()
    try:
        b = os.path.join(tmp, "b")
        shutil.copytree(out, b)
        with open(os.path.join(b, "audit", "households.jsonl"), "r+b") as f:
            c = f.read(1); f.seek(0); f.write(bytes([c[0] ^ 1]))
        o = run_verify(b)
        if "FAIL: audit/households.jsonl: sha256" not in o:
            fail("verify recipe misses a changed byte: " + o[-300:])
    finally:
        shutil.rmtree(tmp)
    # a member with matches, found with this script's own HKDF/HMAC
    ak = derived(os.path.join(prov, "keys", "pseudonym.key"), "audit")
    members = {m["member"] for m in matches(out)}
    pick = None
    for p in sorted(glob.glob(os.path.join(prov, "inbox", "*.csv"))):
        with open(p, encoding="utf-8-sig", errors="replace") as f:
            for r in csv.DictReader(f):
                i = norm_id(r.get("身份证号码") or "")
                if i and tok(ak, "hedui:v2:member:" + i) in members:
                    pick = (i, r["区县代码"].strip(), r["申请编号"].strip())
                    break
        if pick:
            break
    if not pick:
        fail("no applicant with a matched record")
    else:
        token = blocks("token", 1)[0]
        env = dict(os.environ, ID=pick[0], COUNTY=pick[1], APP=pick[2])
        r = subprocess.run(["bash", "-c", token], cwd=os.path.join(prov, "keys"), env=env,
                           capture_output=True, text=True)
        got = r.stdout.split()
        hh = [json.loads(l)["household"] for l in open(os.path.join(out, "audit", "households.jsonl"))]
        if len(got) != 2 or got[0] != tok(ak, "hedui:v2:member:" + pick[0]) or got[0] not in members:
            fail("token recipe: member token not the one of matches.jsonl (%s)" % r.stderr[-200:])
        elif got[1] not in hh:
            fail("token recipe: household token not in households.jsonl")
        else:
            print("keys_check: recipes verified the bundle, caught a changed byte, made a member's and a household's token")
elif cmd == "by-key":
    out, src = sys.argv[2:4]
    s = json.load(open(os.path.join(out, "summary.json")))
    so = [x for x in s["sources"] if x["name"] == src][0]
    want = {}
    for kv in sys.argv[4:]:
        k, v = kv.split("=")
        want[k] = so["rows_matched"] if v == "matched" else int(v)
    if so.get("rows_matched_by_key") != want:
        fail("%s: rows_matched_by_key %s, expected %s" % (src, so.get("rows_matched_by_key"), want))
    print("keys_check: %s rows_matched_by_key %s" % (src, so.get("rows_matched_by_key")))
else:
    fail("unknown command " + cmd)
for m in fails:
    print("keys_check: " + m)
sys.exit(1 if fails else 0)
