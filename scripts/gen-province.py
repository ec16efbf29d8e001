#!/usr/bin/env python3
"""gen-province.py -- write a complete, runnable synthetic province for hedui.

Usage:
    python3 scripts/gen-province.py OUTDIR [--households N] [--seed S]
                                           [--background-factor K] [--as-of YYYY-MM-DD]
                                           [--files-per-source N] [--jobs J] [--also K:DIR]...

Everything is synthetic: people, names and ID numbers are generated (valid GB 11643
check characters, real Yunnan division codes), records are invented.  The output is
deterministic for a given seed and arguments (zstd frames included), whatever --jobs.

The applicants and their matched records come from one random stream (the seed);
the background population from another; each block of BLOCK background rows of a
file from its own (seed, source, file, block). So --also writes the same province
with another background factor: the same applicants, verdicts and matched rows in
the same files, and each file's background rows a prefix of the larger set's.

OUTDIR receives:
    job.ini                   the batch (SPEC section 2); keys/ is left to `hedui keygen`
    formats/, policy/         copies of the repository's descriptors and policy
    inbox/<county>.csv        applicant households per county (UTF-8)
    extracts/<source>/*.zst   eight kinds of extract, ten sources, background population
    expected.csv              ground truth: county_code,application_id,verdict,reasons
    expected-summary.json     per input file: rows / quarantined / matched as planted

The expected verdicts are computed here from what was planted, re-implementing the
arithmetic of SPEC sections 4 and 6 independently of the engine (integer fen, 12 x
monthly comparisons, basis points).  docs/sample-province.md lists every planted case.

Standard library only; compression uses the `zstd` command line tool.
"""

import argparse
import configparser
import csv
import datetime as dt
import json
import math
import os
import random
import shutil
import subprocess
import sys
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
ADMIN = os.path.join(REPO, "data", "admin-codes")

# --------------------------------------------------------------------------- IDs

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"


def check_char(s17):
    """ISO 7064 MOD 11-2 check character of the first 17 digits (GB 11643-1999)."""
    return CHECK[sum((ord(c) - 48) * w for c, w in zip(s17, WEIGHTS)) % 11]


def widen15(id15):
    century = "18" if id15[12:15] in ("996", "997", "998", "999") else "19"
    s17 = id15[:6] + century + id15[6:]
    return s17 + check_char(s17)


FULLWIDTH = str.maketrans("０１２３４５６７８９Ｘｘx", "0123456789XXX")
TRIM = " \t\r\u00a0\u200b\ufeff\u3000"


def normalise_id(raw):
    s = raw.strip(TRIM)
    if s.startswith('="') and s.endswith('"'):
        s = s[2:-1].strip(TRIM)
    s = s.translate(FULLWIDTH)
    if len(s) == 15 and s.isdigit():
        return widen15(s)
    return s


# ------------------------------------------------------------------------ names

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
            "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱"
            "江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤普字李杨罗张王刀岩")
GIVEN_M = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆林文国建永志海东春学云成"
GIVEN_F = "芳娜敏静丽艳娟霞秀兰英华玲梅琳燕萍红桂珍凤琼莲香慧美雪洁琴云芬丹玉春"
YI_FIRST = ("吉克", "阿西", "沙马", "曲比", "阿苦", "木乃", "吉伍", "阿尔", "海来", "俄木")
YI_SECOND = ("阿果", "日哈", "拉则", "尔古", "阿芝", "依火", "石且", "克布", "阿牛", "伍呷",
             "阿依", "莫色", "约达", "阿呷")
DAI_HANI = ("岩温", "玉香", "岩罕", "玉儿", "依帕", "阿波", "咪娜", "者黑")


def make_name(rng, sex):
    r = rng.random()
    if r < 0.03:
        return rng.choice(YI_FIRST) + "·" + rng.choice(YI_SECOND)
    if r < 0.05:
        return rng.choice(DAI_HANI) + "·" + rng.choice(YI_SECOND)
    pool = GIVEN_M if sex == 1 else GIVEN_F
    g = rng.choice(pool)
    if rng.random() < 0.7:
        g += rng.choice(pool)
    return rng.choice(SURNAMES) + g


# ------------------------------------------------------------------- money etc.

def yuan(fen, sep=False):
    """fen -> yuan text with 2 decimals, optional thousands separators."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    whole = f"{fen // 100:,}" if sep else str(fen // 100)
    return f"{sign}{whole}.{fen % 100:02d}"


def parse_yuan(text):
    text = text.strip()
    neg = text.startswith("-")
    text = text.lstrip("+-")
    whole, _, dec = text.partition(".")
    fen = int(whole.replace(",", "")) * 100 + int((dec + "00")[:2])
    return -fen if neg else fen


def month_add(y, m, k):
    n = y * 12 + (m - 1) + k
    return n // 12, n % 12 + 1


# ------------------------------------------------------------------------ policy

DEFAULTS = {
    "standard_multiplier_bp": "10000",
    "standard_area": "own",
    "assets_months": "24",
    "vehicle_exempt": "motorcycle, tricycle, agricultural, disability",
    "vehicle_value_limit_yuan": "0",
    "max_homes": "1",
    "non_residential": "commercial, office, industrial, parking",
    "area_per_capita_m2": "0",
    "business_capital_limit_yuan": "100000",
    "exclude_pension_schemes": "resident",
}
DEFAULT_OUTCOMES = {
    "INCOME_OVER_STANDARD": "ineligible", "ASSETS_OVER_LIMIT": "ineligible",
    "VEHICLE_NON_EXEMPT": "ineligible", "PROPERTY_MULTIPLE_HOMES": "ineligible",
    "PROPERTY_NON_RESIDENTIAL": "ineligible", "PROPERTY_AREA_OVER": "review",
    "BUSINESS_ROLE": "ineligible", "FUND_CONTRIBUTING": "review",
    "MEMBER_DECEASED": "review", "DUPLICATE_APPLICATION": "review",
    "NAME_MISMATCH": "review", "SOURCE_INCOMPLETE": "review",
    "APPLICANT_ROW_REJECTED": "review", "EVIDENCE_UNREADABLE": "review",
    "ID_SUSPECT": "review", "APPLICATION_ID_REUSED": "review",
}
FLOOR_REVIEW = ("SOURCE_INCOMPLETE", "APPLICANT_ROW_REJECTED", "EVIDENCE_UNREADABLE",
                "ID_SUSPECT", "APPLICATION_ID_REUSED")


class Policy:
    def __init__(self, path):
        cp = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";", "#"))
        cp.optionxform = str
        with open(path, encoding="utf-8") as f:
            cp.read_file(f)
        self.sections = {}
        base = dict(DEFAULTS)
        for k, v in DEFAULT_OUTCOMES.items():
            base["outcome." + k] = v
        if cp.has_section("default"):
            base.update(dict(cp.items("default")))
        self.base = base
        for t in ("dibao", "tekun", "bianyuan", "linshi"):
            d = dict(base)
            if cp.has_section(t):
                d.update(dict(cp.items(t)))
            self.sections[t] = d
        std_rel = cp.get("policy", "standards", fallback="standards.csv")
        self.standards_path = os.path.join(os.path.dirname(path), std_rel)
        self.standards = {}
        with open(self.standards_path, encoding="utf-8") as f:
            for row in csv.DictReader(f):
                self.standards.setdefault(row["code"].strip(), []).append(
                    (int(row["year"]), parse_yuan(row["urban_month_yuan"]),
                     parse_yuan(row["rural_month_yuan"])))

    def get(self, atype, key):
        return self.sections[atype][key]

    def intv(self, atype, key):
        return int(self.get(atype, key).strip())

    def fen(self, atype, key):
        return parse_yuan(self.get(atype, key))

    def listv(self, atype, key):
        return {x.strip() for x in self.get(atype, key).split(",") if x.strip()}

    def outcome(self, atype, code):
        o = self.sections[atype].get("outcome." + code, DEFAULT_OUTCOMES[code]).strip()
        if code in FLOOR_REVIEW and o in ("ignore",):
            o = "review"
        return o

    def standard_fen(self, county, area, year):
        """Monthly standard in fen: county, then prefecture, then province; the latest
        year not after `year` within the most specific level that has one."""
        for code in (county, county[:4] + "00", county[:2] + "0000"):
            rows = [r for r in self.standards.get(code, ()) if r[0] <= year]
            if rows:
                best = max(rows, key=lambda r: r[0])
                return best[1] if area == "urban" else best[2]
        raise SystemExit(f"gen-province: no standard for {county} in {year}")


# ----------------------------------------------------------------------- model

ZH_AREA = {"urban": "城镇", "rural": "农村"}
ZH_REL = {"self": "本人", "spouse": "配偶", "child": "子女", "parent": "父母",
          "sibling": "兄弟姐妹", "grandparent": "祖父母", "grandchild": "孙子女", "other": "其他"}
ZH_TYPE = {"dibao": "低保", "tekun": "特困", "bianyuan": "低保边缘", "linshi": "临时救助"}


class Member:
    __slots__ = ("id_written", "norm", "name", "relation", "birth", "sex", "declared_fen",
                 "declared_text", "submitted", "disability", "reject", "county_field",
                 "area_field", "type_field")

    def __init__(self):
        self.reject = None          # quarantine reason code if the row is unusable
        self.county_field = None    # overrides for APPLICANT_INCONSISTENT rows
        self.area_field = None
        self.type_field = None
        self.disability = ""
        self.declared_text = None


class Household:
    __slots__ = ("county", "app_id", "area", "atype", "members", "case", "note", "intent",
                 "submitted")

    def __init__(self, county, app_id, area, atype):
        self.county, self.app_id, self.area, self.atype = county, app_id, area, atype
        self.members = []
        self.case = None
        self.note = ""
        self.intent = None


class Gen:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.as_of = dt.date.fromisoformat(args.as_of)
        self.asof_s = self.as_of.isoformat()
        self.used = set()            # every normalised ID handed out
        self.households = []
        self.app_seq = {}
        # matched-record lists per source (canonical dicts)
        self.recs = {s: [] for s in SOURCES}
        self.bad_app_rows = []       # extract rows with applicant IDs that must be quarantined
        self.load_codes()

    # --- division codes
    def load_codes(self):
        self.counties = []
        self.county_name = {}
        with open(os.path.join(ADMIN, "yunnan_nbs_2023.csv"), encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["level"] == "county":
                    self.counties.append(row["code"])
                    self.county_name[row["code"]] = row["name"]
        self.historical = []
        with open(os.path.join(ADMIN, "yunnan_mca_history_1980_2019.csv"), encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["level"] == "county" and row["in_nbs_2023"] == "N":
                    self.historical.append(row["code"])
        self.prefectures = []
        with open(os.path.join(ADMIN, "national_prefectures_nbs_2023.csv"), encoding="utf-8") as f:
            for row in csv.DictReader(f):
                if row["level"] == "prefecture" and not row["code"].startswith("53"):
                    self.prefectures.append(row["code"][:4] + "02")

    # --- people
    def new_id(self, code, birth, sex, legacy=False):
        rng = self.rng
        ymd = birth.strftime("%Y%m%d")
        while True:
            seq = rng.randrange(1, 498) * 2 - (1 if sex == 1 else 0)
            seq = max(seq, 1)
            if sex == 1 and seq % 2 == 0:
                seq += 1
            if sex == 2 and seq % 2 == 1:
                seq += 1
            s17 = f"{code}{ymd}{seq:03d}"
            full = s17 + check_char(s17)
            if full in self.used:
                continue
            self.used.add(full)
            if legacy:
                return f"{code}{ymd[2:]}{seq:03d}", full
            return full, full

    def rand_date(self, y0, y1):
        a = dt.date(y0, 1, 1).toordinal()
        b = dt.date(y1, 12, 31).toordinal()
        b = min(b, self.as_of.toordinal())
        return dt.date.fromordinal(self.rng.randint(a, b))

    def id_code_for(self, county):
        r = self.rng.random()
        if r < 0.06:
            return self.rng.choice(self.historical)
        return county

    # --- households
    def next_app_id(self, county):
        n = self.app_seq.get(county, 0) + 1
        self.app_seq[county] = n
        return f"SQ{county}{self.as_of.year}{n:05d}"

    def member(self, county, relation, birth, sex, code=None, legacy=False):
        m = Member()
        m.relation = relation
        m.birth = birth
        m.sex = sex
        m.id_written, m.norm = self.new_id(code or self.id_code_for(county), birth, sex, legacy)
        m.name = make_name(self.rng, sex)
        m.declared_fen = 0
        m.submitted = None
        return m

    def household(self, county=None, area=None, atype=None, size=None, head_year=None):
        rng = self.rng
        county = county or rng.choice(self.counties)
        if area is None:
            urbanish = self.county_name[county].endswith("区")
            area = "urban" if rng.random() < (0.7 if urbanish else 0.2) else "rural"
        if atype is None:
            r = rng.random()
            atype = "dibao" if r < 0.70 else "tekun" if r < 0.80 else "bianyuan" if r < 0.92 else "linshi"
        if size is None:
            if atype == "tekun":
                size = 1 if rng.random() < 0.85 else 2
            else:
                size = rng.choices((1, 2, 3, 4, 5, 6), (25, 25, 20, 15, 10, 5))[0]
        hh = Household(county, self.next_app_id(county), area, atype)
        y = self.as_of.year
        if head_year is None:
            head_year = rng.randint(y - 85, y - 25) if atype != "tekun" else rng.randint(y - 90, y - 60)
        sex = rng.choice((1, 2))
        head = self.member(county, "self", self.rand_date(head_year, head_year), sex)
        hh.members.append(head)
        rels = []
        if size >= 2 and rng.random() < 0.8:
            rels.append("spouse")
        while len(rels) < size - 1:
            r = rng.random()
            if r < 0.6:
                rels.append("child")
            elif r < 0.75 and head_year >= 1958:
                rels.append("parent")
            elif r < 0.85 and head_year <= y - 45:
                rels.append("grandchild")
            elif r < 0.95:
                rels.append("sibling")
            else:
                rels.append("other")
        parents = 0
        for rel in rels:
            if rel == "spouse":
                by = min(max(head_year + rng.randint(-6, 6), 1925), y - 20)
                m = self.member(county, rel, self.rand_date(by, by), 3 - sex)
            elif rel == "child":
                by = head_year + rng.randint(20, 38)
                if by > y:
                    by = y
                m = self.member(county, rel, self.rand_date(by, by), rng.choice((1, 2)))
            elif rel == "parent":
                by = max(head_year - rng.randint(20, 35), 1930)
                parents += 1
                psex = 1 if parents % 2 else 2
                m = self.member(county, rel, self.rand_date(by, by), psex)
            elif rel == "grandchild":
                by = min(head_year + rng.randint(42, 60), y)
                m = self.member(county, rel, self.rand_date(by, by), rng.choice((1, 2)))
            elif rel == "sibling":
                by = min(max(head_year + rng.randint(-8, 8), 1930), y - 16)
                m = self.member(county, rel, self.rand_date(by, by), rng.choice((1, 2)))
            else:
                by = rng.randint(1950, y - 18)
                m = self.member(county, rel, self.rand_date(by, by), rng.choice((1, 2)))
            if rel in ("child", "grandchild") and m.name[0] not in "吉阿沙曲木海俄岩玉依咪者":
                # children usually take a parent's surname
                m.name = head.name[0] + m.name[1:] if "·" not in head.name else m.name
            hh.members.append(m)
        sub = self.as_of - dt.timedelta(days=rng.randint(5, 80))
        for m in hh.members:
            m.submitted = sub
        # declared income: adults of working age, modest amounts
        std = self.policy.standard_fen(county, "urban" if self.policy.get(atype, "standard_area").strip() == "urban" else area, y)
        budget = std * len(hh.members) * 4 // 10
        for m in hh.members:
            age = y - m.birth.year
            if 18 <= age < 60 and rng.random() < 0.5 and budget > 0:
                v = rng.randint(0, budget // 100) * 100 if rng.random() < 0.7 else rng.randint(0, budget)
                m.declared_fen = v
                budget -= v
            elif age < 16 and rng.random() < 0.5:
                m.declared_text = ""       # left empty: unknown, counts as 0
        if rng.random() < 0.08:
            rng.choice(hh.members).disability = str(rng.randint(1, 4))
        self.households.append(hh)
        return hh


# ---------------------------------------------------------------------- sources

# name: (kind, descriptor, number of files)
SOURCES = {
    "bank-a":   ("deposit",  "formats/deposit-bank-a.fmt", 3),
    "bank-b":   ("deposit",  "formats/deposit-bank-b.fmt", 1),
    "rcc":      ("deposit",  "formats/deposit-flag.fmt",   1),
    "vehicle":  ("vehicle",  "formats/vehicle.fmt",        1),
    "property": ("property", "formats/property.fmt",       2),
    "tax":      ("income",   "formats/income-tax.fmt",     1),
    "pension":  ("pension",  "formats/pension.fmt",        1),
    "fund":     ("fund",     "formats/fund.fmt",           1),
    "business": ("business", "formats/business.fmt",       1),
    "death":    ("death",    "formats/death.fmt",          1),
}
# share of each kind's background rows that goes to each source of that kind
BG_SHARE = {"bank-a": 0.55, "bank-b": 0.35, "rcc": 0.10}

PRODUCT_A = {"demand": "活期", "time": "定期", "wealth": "理财", "fund": "基金",
             "insurance": "保险", "other": "其他"}
PRODUCT_B = {"demand": "01", "time": "02", "wealth": "03", "fund": "04"}
VTYPE = {"K33": "car", "K31": "car", "K41": "car", "K11": "bus", "K21": "bus",
         "H31": "truck", "H41": "truck", "M21": "motorcycle", "M22": "motorcycle",
         "M11": "tricycle", "N11": "tricycle", "T11": "agricultural", "T21": "agricultural"}
VSTATUS = {"A": "normal", "B": "other", "C": "other", "D": "other", "E": "deregistered",
           "G": "other", "H": "other", "K": "seized", "L": "seized", "M": "scrapped",
           "P": "scrapped", "Q": "other"}
USAGE_ZH = {"residential": "住宅", "commercial": "商业", "office": "办公",
            "industrial": "工业", "parking": "车位", "other": "其他"}
PSTATUS_ZH = {"valid": "现势", "mortgaged": "抵押", "sealed": "查封", "cancelled": "注销"}
ITYPE_ZH = {"wage": "工资薪金", "business": "经营所得", "labour": "劳务报酬",
            "rent": "财产租赁", "interest": "利息股息红利", "other": "其他"}
PEN_STATUS_ZH = {"active": "正常发放", "suspended": "暂停发放", "stopped": "终止发放"}
SCHEME_ZH = {"employee": "城镇职工基本养老保险", "resident": "城乡居民基本养老保险"}
FUND_STATUS_ZH = {"active": "正常", "sealed": "封存", "closed": "销户"}
ROLE_ZH = {"legal_rep": "法定代表人", "shareholder": "股东", "executive": "高级管理人员",
           "owner": "经营者"}
BSTATUS_ZH = {"active": "存续", "revoked": "吊销", "cancelled": "注销"}

NAME_DOTS = "\u00b7\u2022\u2027\u30fb\uff0e\uff65."


def name_key(s):
    s = unicodedata.normalize("NFKC", s)
    return "".join(c for c in s if c not in TRIM and c not in NAME_DOTS)


def credit_code(rng):
    body = "9153" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(14))
    return body


class Records(Gen):
    """Adding canonical records for applicant members (matched rows)."""

    def rec(self, src, m, **kw):
        r = {"id": kw.pop("id_written", None) or m.norm, "norm": m.norm,
             "name": kw.pop("name", m.name)}
        r.update(kw)
        self.recs[src].append(r)
        return r

    def dep(self, src, m, bal, asof="2026-10-31", inst=None, acct=None, product="demand",
            over=None, **kw):
        if inst is None:
            inst = self.county_name.get(m.norm[:6], "营业部") + "支行"
        if acct is None and src != "rcc":
            acct = "6222" + "".join(self.rng.choice("0123456789") for _ in range(15))
        return self.rec(src, m, bal=bal, asof=asof, inst=inst, acct=acct or "",
                        product=product, over=over, **kw)

    def veh(self, m, code, status="A", registered="2019-05-12", **kw):
        plate = "云" + self.rng.choice("ACDEFGHJKLMNPQRS") + "".join(
            self.rng.choice("0123456789ABCDEFGHJKLMNP") for _ in range(5))
        return self.rec("vehicle", m, code=code, type=VTYPE[code], status=status,
                        registered=registered, plate=plate, value=None, **kw)

    def prop(self, m, usage="residential", area=8950, share="", share_bp=10000,
             status="valid", cert=None, registered="2015-03-20", **kw):
        if cert is None:
            cert = self.new_cert(m.norm[:6] if m.norm[:6] in self.county_name else "530102")
        return self.rec("property", m, cert=cert, usage=usage, area=area, share=share,
                        share_bp=share_bp, status=status, registered=registered,
                        region=cert_region(cert), **kw)

    def new_cert(self, county):
        self.cert_seq = getattr(self, "cert_seq", 0) + 1
        y = self.rng.randint(2015, 2025)
        return f"云（{y}）{self.county_name[county]}不动产权第{self.cert_seq:07d}号|{county}"

    def inc(self, m, period, income, itype="wage", tax=0, **kw):
        return self.rec("tax", m, period=period, income=income, itype=itype, tax=tax, **kw)

    def pen(self, m, period, benefit, status="active", scheme="resident", **kw):
        return self.rec("pension", m, period=period, benefit=benefit, status=status,
                        scheme=scheme, **kw)

    def fnd(self, m, period, deposit, status="active", **kw):
        return self.rec("fund", m, period=period, deposit=deposit, status=status, **kw)

    def biz(self, m, company, role, capital, status="active", **kw):
        return self.rec("business", m, company=company, credit=credit_code(self.rng),
                        role=role, capital=capital, status=status, **kw)

    def death(self, m, date, **kw):
        return self.rec("death", m, date=date, **kw)


def cert_region(cert):
    return cert.split("|")[1]


def cert_text(cert):
    return cert.split("|")[0]


class Province(Records):

    # ------------------------------------------------------------ planted cases
    def plant(self, case, verdict, reasons, note, county=None, area=None, atype="dibao",
              size=1, head_year=None):
        rng = self.rng
        if county is None:
            county = rng.choice(self.counties)
        if area is None:
            area = rng.choice(("urban", "rural"))
        hh = self.household(county, area, atype, size, head_year)
        for m in hh.members:
            m.declared_fen = 0
            m.declared_text = None
            m.disability = ""
        hh.case, hh.note = case, note
        hh.intent = (verdict, ";".join(sorted(reasons)))
        return hh

    def bad_id_check(self, m):
        good = m.id_written
        wrong = CHECK[(CHECK.index(good[17]) + 3) % 11]
        m.id_written = good[:17] + wrong
        m.norm = None
        m.reject = "ID_CHECK"

    def planted(self):
        P = self.plant
        rng = self.rng
        E, R, I = "ELIGIBLE", "REVIEW", "INELIGIBLE"
        INC, AST, VEH = "INCOME_OVER_STANDARD", "ASSETS_OVER_LIMIT", "VEHICLE_NON_EXEMPT"
        W = [f"{y:04d}-{m:02d}" for y, m in self.window]
        last_year = str(self.as_of.year - 1)
        y = self.as_of.year
        after_month = "%04d-%02d" % month_add(y, self.as_of.month, 0)
        before_window = "%04d-%02d" % month_add(y, self.as_of.month, -13)
        future = (self.as_of + dt.timedelta(days=17)).isoformat()
        recent = month_add(y, self.as_of.month, -1)
        recent_s = "%04d-%02d-28" % recent

        # -- income
        hh = P("P01-income-over", I, [INC], "wage 3,000 yuan a month for 12 months, 2 rural members",
               area="rural", size=2, head_year=1980)
        for p in W:
            self.inc(hh.members[0], p, 300000)
        for case, extra, verdict, reasons in (("P02-income-at-standard", 128000, E, []),
                                              ("P03-income-one-fen-over", 128001, I, [INC])):
            hh = P(case, verdict, reasons,
                   "10 monthly records of 640.00 in the window + yearly %s record; outside-window "
                   "records of 5,000.00 (as_of month, 13 months back) and a %d yearly record must "
                   "not count" % (last_year, y - 2), area="urban", size=1, head_year=1975)
            m = hh.members[0]
            for p in W[-10:]:
                self.inc(m, p, 64000)
            self.inc(m, last_year, extra, itype="labour")
            self.inc(m, after_month, 500000)
            self.inc(m, before_window, 500000)
            self.inc(m, str(y - 2), 999900)
        hh = P("P04-pension-employee", I, [INC], "urban single, employee pension 2,000.00/month",
               area="urban", size=1, head_year=1955)
        self.pen(hh.members[0], W[-1], 200000, scheme="employee")
        hh = P("P05-pension-resident", E, [],
               "latest active pension is the resident scheme (excluded); an older employee record, "
               "a later-month one and a suspended one must not count", area="rural", size=1,
               head_year=1950)
        m = hh.members[0]
        self.pen(m, W[-1], 20000, scheme="resident")
        self.pen(m, W[0], 300000, scheme="employee")
        self.pen(m, "%04d-%02d" % month_add(y, self.as_of.month, 1), 500000, scheme="employee")
        self.pen(m, after_month, 400000, scheme="employee", status="suspended")
        hh = P("P06-tekun-urban-standard", E, [],
               "tekun in a rural area: 600.00/month income is above the rural standard but below "
               "1.3 x the urban one", area="rural", atype="tekun", size=1, head_year=1948)
        for p in W:
            self.inc(hh.members[0], p, 60000, itype="labour")
        hh = P("P07-bianyuan-1.5x", E, [],
               "bianyuan, 2 rural members, 1,000.00/month: above 1 x, below 1.5 x the standard",
               area="rural", atype="bianyuan", size=2, head_year=1978)
        for p in W:
            self.inc(hh.members[0], p, 100000)
        hh = P("P46-declared-over", I, [INC], "declared income 700.00/month > urban standard",
               area="urban", size=1, head_year=1970)
        hh.members[0].declared_fen = 70000

        # -- deposits
        hh = P("P08-deposit-over", I, [AST], "bank-a (GBK) time deposit 45,000.00, urban single",
               area="urban", size=1, head_year=1966)
        self.dep("bank-a", hh.members[0], 4500000, product="time")
        hh = P("P09-joint-account", E, [],
               "one bank-a account held by both spouses, 20,000.00 on each row: counts once "
               "(limit 30,720.00)", area="urban", size=2, head_year=1970)
        a, b = hh.members[0], hh.members[1]
        r = self.dep("bank-a", a, 2000000)
        self.dep("bank-a", b, 2000000, inst=r["inst"], acct=r["acct"])
        hh = P("P10-old-and-new-balance", E, [],
               "one account: 50,000.00 on an older date, 5,000.00 on the latest: 5,000 counts",
               area="rural", size=1, head_year=1968)
        r = self.dep("bank-a", hh.members[0], 5000000, asof="2025-06-30")
        self.dep("bank-a", hh.members[0], 500000, asof="2026-10-31", inst=r["inst"], acct=r["acct"])
        hh = P("P11-row-after-as-of", E, [],
               "one account: 80,000.00 dated after as_of (ignored), 3,000.00 before",
               area="rural", size=1, head_year=1972)
        r = self.dep("bank-a", hh.members[0], 8000000, asof=future)
        self.dep("bank-a", hh.members[0], 300000, inst=r["inst"], acct=r["acct"])
        hh = P("P12-over-limit-flag", I, [AST], "rcc answers only over_limit = 是 (yes)",
               area="rural", size=2, head_year=1975)
        self.dep("rcc", hh.members[1], None, over="yes", asof=recent_s)
        hh = P("P13-over-limit-after-as-of", E, [],
               "rcc over_limit = yes dated after as_of (ignored), and a 否 row",
               area="rural", size=1, head_year=1961)
        self.dep("rcc", hh.members[0], None, over="yes", asof=future)
        self.dep("rcc", hh.members[0], None, over="no", asof=recent_s)
        hh = P("P14-two-banks-sum", I, [AST],
               "bank-a 10,000.00 + bank-b 600000 fen = 16,000.00 > 15,360.00 (urban single)",
               area="urban", size=1, head_year=1969)
        self.dep("bank-a", hh.members[0], 1000000)
        self.dep("bank-b", hh.members[0], 600000, over="no")
        hh = P("P15-undated-largest", I, [AST],
               "bank-b account with two undated rows (4,000 / 6,000: the larger counts) + "
               "4,000 dated elsewhere = 10,000 > 9,000", area="rural", size=1, head_year=1964)
        r = self.dep("bank-b", hh.members[0], 400000, asof=None)
        self.dep("bank-b", hh.members[0], 600000, asof=None, inst=r["inst"], acct=r["acct"])
        self.dep("bank-b", hh.members[0], 400000)
        hh = P("P16-negative-balance", E, [], "bank-b overdraft -500.00 counts 0, + 8,000.00",
               area="rural", size=1, head_year=1971)
        self.dep("bank-b", hh.members[0], -50000)
        self.dep("bank-b", hh.members[0], 800000)
        hh = P("P40-historical-code", I, [AST],
               "member ID carries a historical division code; bank-a 60,000.00",
               area="rural", size=1, head_year=1965)
        m = hh.members[0]
        self.used.discard(m.norm)
        m.id_written, m.norm = self.new_id("532101", m.birth, m.sex)
        self.dep("bank-a", m, 6000000)
        hh = P("P42-quarantined-deposit-row", R, ["EVIDENCE_UNREADABLE"],
               "a bank-a row for this member with amount 1,00,000.00 (misplaced commas) is "
               "quarantined (AMOUNT) and must not count, but its ID is the member's: "
               "EVIDENCE_UNREADABLE (SPEC 7)", area="urban", size=1, head_year=1973)
        r = self.dep("bank-a", hh.members[0], 10000000)
        r["raw_bal"] = "1,00,000.00"
        r["bad"] = "AMOUNT"

        # -- vehicles
        hh = P("P17-car", I, [VEH], "a small car (K33), status A", area="rural", size=3,
               head_year=1976)
        self.veh(hh.members[0], "K33", "A")
        hh = P("P18-motorcycle-and-scrapped", E, [],
               "motorcycle (exempt), a car scrapped (M), a car transferred+deregistered (BE)",
               area="rural", size=2, head_year=1970)
        self.veh(hh.members[0], "M21", "A")
        self.veh(hh.members[0], "K33", "M")
        self.veh(hh.members[1], "K31", "BE")
        hh = P("P19-seized-car", I, [VEH], "a car with status AK (normal + seized): still owned",
               area="rural", size=2, head_year=1974)
        self.veh(hh.members[1], "K33", "AK")

        # -- property
        hh = P("P20-two-homes", I, ["PROPERTY_MULTIPLE_HOMES"],
               "two residential certificates (one valid, one mortgaged)", area="rural", size=2,
               head_year=1972)
        self.prop(hh.members[0])
        self.prop(hh.members[1], status="mortgaged", area=11230)
        hh = P("P21-commercial", I, ["PROPERTY_NON_RESIDENTIAL"], "a shop (商业), 32.50 m2",
               area="urban", size=1, head_year=1966)
        self.prop(hh.members[0], usage="commercial", area=3250)
        hh = P("P22-co-owned-flat", E, [],
               "one flat co-owned 50%/50 by the spouses (one home, not two) + a cancelled "
               "certificate", area="urban", size=2, head_year=1969)
        r = self.prop(hh.members[0], share="50%", share_bp=5000, area=7600)
        self.prop(hh.members[1], share="50", share_bp=5000, area=7600, cert=r["cert"],
                  registered=r["registered"])
        self.prop(hh.members[0], status="cancelled", area=6000)

        # -- business
        hh = P("P23-business-legal-rep", I, ["BUSINESS_ROLE"],
               "legal representative of an active company, capital 50 wan = 500,000 yuan",
               area="urban", size=2, head_year=1975)
        self.biz(hh.members[0], "昆明市盛远商贸有限公司", "legal_rep", 50000000)
        hh = P("P24-business-benign", E, [],
               "executive (not a counted role) of a 1,000-wan company; shareholder of a revoked "
               "one; owner of a 3-wan sole proprietorship (under the limit)", area="rural", size=2,
               head_year=1973)
        self.biz(hh.members[0], "云南滇中建设集团有限公司", "executive", 1000000000)
        self.biz(hh.members[0], "曲靖市宏发运输有限公司", "shareholder", 20000000, status="revoked")
        self.biz(hh.members[1], "个体工商户（杂货店）", "owner", 3000000)
        hh = P("P49-business-capital-unknown", I, ["BUSINESS_ROLE"],
               "owner of an active business with empty capital (unknown counts as above)",
               area="rural", size=1, head_year=1970)
        self.biz(hh.members[0], "个体工商户（农资店）", "owner", None)

        # -- fund, death
        hh = P("P25-fund-active", R, ["FUND_CONTRIBUTING"], "active provident fund deposit in "
               "the window", area="urban", size=2, head_year=1979)
        self.fnd(hh.members[0], W[-2], 36000)
        hh = P("P26-fund-benign", E, [], "fund record closed (销户) in the window; an active one "
               "older than the window", area="urban", size=1, head_year=1971)
        self.fnd(hh.members[0], W[4], 30000, status="closed")
        self.fnd(hh.members[0], "%04d-%02d" % month_add(y, self.as_of.month, -20), 30000)
        hh = P("P27-deceased", R, ["MEMBER_DECEASED"], "a member died before as_of",
               area="rural", size=2, head_year=1945)
        self.death(hh.members[1], (self.as_of - dt.timedelta(days=137)).isoformat())
        hh = P("P28-death-after-as-of", E, [], "a death record dated after as_of does not count",
               area="rural", size=2, head_year=1950)
        self.death(hh.members[1], future)

        # -- names
        hh = P("P29-name-mismatch", R, ["NAME_MISMATCH"],
               "tax record carries a different given name", area="rural", size=2,
               head_year=1977)
        m = hh.members[0]
        m.name = "李秀兰"
        self.inc(m, W[6], 30000, name="李秀英")
        hh = P("P30-minority-name-forms", E, [],
               "applicant 吉克·阿依; records spell it without the dot, with U+2022 and with a "
               "trailing ideographic space: the same name", area="rural", size=1, head_year=1980)
        m = hh.members[0]
        m.name = "吉克·阿依"
        self.dep("bank-a", m, 120000, name="吉克阿依")
        self.inc(m, W[3], 20000, name="吉克\u2022阿依")
        self.prop(m, name="吉克·阿依\u3000")

        # -- ID forms
        hh = P("P38-legacy-15", E, [], "15-digit legacy ID; pension record under the 18-digit "
               "form (resident scheme)", area="rural", size=1, head_year=1948)
        m = hh.members[0]
        self.used.discard(m.norm)
        m.id_written, m.norm = self.new_id(hh.county, m.birth, m.sex, legacy=True)
        self.pen(m, W[-1], 18000)
        hh = P("P39-legacy-15-car", I, [VEH], "15-digit legacy ID; car registered under the "
               "18-digit form", area="rural", size=2, head_year=1962)
        m = hh.members[0]
        self.used.discard(m.norm)
        m.id_written, m.norm = self.new_id(hh.county, m.birth, m.sex, legacy=True)
        self.veh(m, "K33", "A")
        hh = P("P41-id-spellings", E, [],
               "ID ending in X: written lower-case x (vehicle), as =\"...\" (property), in "
               "full-width digits with spaces (tax)", area="rural", size=1, head_year=1967)
        m = hh.members[0]
        self.used.discard(m.norm)
        while True:
            m.id_written, m.norm = self.new_id(hh.county, m.birth, m.sex)
            if m.norm.endswith("X"):
                break
        self.veh(m, "M21", "A", id_written=m.norm[:17] + "x")
        self.prop(m, id_written='="%s"' % m.norm)
        fw = m.norm.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        self.inc(m, W[2], 25000, id_written=" " + fw + " ")
        hh = P("P44-unknown-division", E, [], "ID with division code 539901 (no such code): "
               "accepted, counted in unknown_division_codes", area="rural", size=1,
               head_year=1970)
        m = hh.members[0]
        self.used.discard(m.norm)
        m.id_written, m.norm = self.new_id("539901", m.birth, m.sex)
        self.unknown_codes = {"539901": 1}

        # -- combined
        hh = P("P45-several-findings", I, [AST, "FUND_CONTRIBUTING", VEH],
               "car + bank-b 50,000.00 + active fund: every finding is listed", area="urban",
               size=2, head_year=1974)
        self.veh(hh.members[0], "K41", "A")
        self.dep("bank-b", hh.members[1], 5000000)
        self.fnd(hh.members[1], W[-1], 41000)

        # -- duplicates
        c1, c2 = rng.sample(self.counties, 2)
        h1 = P("P31-duplicate-application-a", R, ["DUPLICATE_APPLICATION"],
               "the same household submitted by two counties (this is the first)", county=c1,
               area="rural", size=3, head_year=1971)
        h2 = P("P32-duplicate-application-b", R, ["DUPLICATE_APPLICATION"],
               "the same household submitted by two counties (this is the second)", county=c2,
               area="rural", size=3, head_year=1971)
        for m in h2.members:
            self.used.discard(m.norm)
        h2.members = [clone(m) for m in h1.members]
        h3 = P("P33-duplicate-member-a", R, ["DUPLICATE_APPLICATION"],
               "a member also listed in P34's application", area="urban", size=3,
               head_year=1966)
        h4 = P("P34-duplicate-member-b", R, ["DUPLICATE_APPLICATION"],
               "a member also listed in P33's application", area="urban", size=2,
               head_year=1990)
        dm = clone(h3.members[2])
        dm.relation = "sibling"
        self.used.discard(h4.members[1].norm)
        h4.members[1] = dm

        # -- broken applicant rows
        hh = P("P35-id-check", R, ["APPLICANT_ROW_REJECTED"], "3rd member's ID has a wrong "
               "check character (ID_CHECK)", area="rural", size=3, head_year=1975)
        self.bad_id_check(hh.members[2])
        hh = P("P36-id-date", R, ["APPLICANT_ROW_REJECTED"], "2nd member's ID has birth date "
               "19990230 with a correct check character (ID_DATE)", area="rural", size=2,
               head_year=1975)
        m = hh.members[1]
        s17 = f"{hh.county}19990230{rng.randrange(100, 998):03d}"
        m.id_written, m.norm, m.reject = s17 + check_char(s17), None, "ID_DATE"
        hh = P("P37-bad-date", R, ["APPLICANT_ROW_REJECTED"], "2nd row's submission date is "
               "2026-02-30 (DATE)", area="urban", size=2, head_year=1980)
        hh.members[1].submitted = f"{y}-02-30"
        hh.members[1].reject = "DATE"
        hh.members[1].norm = None
        hh = P("P43-first-row-rejected", R, ["APPLICANT_ROW_REJECTED"], "the applicant's own "
               "(first) row has a wrong check character", area="rural", size=3, head_year=1970)
        self.bad_id_check(hh.members[0])
        hh = P("P47-missing-name", R, ["APPLICANT_ROW_REJECTED"], "2nd row has an empty name "
               "(MISSING)", area="rural", size=2, head_year=1972)
        hh.members[1].name = ""
        hh.members[1].reject = "MISSING"
        hh.members[1].norm = None
        hh = P("P48-inconsistent-row", R, ["APPLICANT_ROW_REJECTED"], "2nd row says 城镇 while "
               "the first says 农村 (APPLICANT_INCONSISTENT)", area="rural", size=2,
               head_year=1972)
        hh.members[1].area_field = "urban"
        hh.members[1].reject = "APPLICANT_INCONSISTENT"
        hh.members[1].norm = None
        hh = P("P50-linshi-clean", E, [], "临时救助 household with benign records",
               area="urban", atype="linshi", size=3, head_year=1982)
        self.dep("bank-b", hh.members[0], 250000)
        self.veh(hh.members[0], "M22", "A")
        self.pen(hh.members[0], W[-1], 15000)


def clone(m):
    c = Member()
    for k in Member.__slots__:
        setattr(c, k, getattr(m, k))
    return c


def q(s):
    """CSV-quote a cell when it needs it (RFC 4180)."""
    if any(c in s for c in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def wan(fen):
    whole, frac = divmod(fen, 1000000)
    return f"{whole}.{frac:06d}".rstrip("0").rstrip(".")


def m2(centi):
    return f"{centi // 100}.{centi % 100:02d}"


def ym(p):
    """'YYYY-MM' -> 'YYYYMM'."""
    return p.replace("-", "")


BRANCHES = ("昆明分行营业部", "五华支行", "盘龙支行", "官渡支行", "西山支行", "曲靖分行",
            "玉溪分行", "大理分行", "红河分行", "楚雄分行", "昭通分行", "文山分行", "普洱分行",
            "保山分行", "丽江分行", "临沧分行", "德宏分行", "西双版纳分行", "怒江分行", "迪庆分行")
COMPANIES = ("商贸有限公司", "建筑工程有限公司", "农业科技有限公司", "茶叶专业合作社",
             "运输有限公司", "餐饮管理有限公司", "旅游开发有限公司", "生物科技有限公司")
CITY_WORDS = ("滇池", "金马", "碧鸡", "彩云", "苍山", "洱海", "哀牢", "普洱", "红河", "澜沧",
              "玉龙", "抚仙", "乌蒙", "高原", "兴滇", "石林")


class Writer(Province):

    # ----------------------------------------------------------- benign records
    def benign(self, hh):
        rng = self.rng
        y = self.as_of.year
        W = [f"{a:04d}-{b:02d}" for a, b in self.window]
        n = len(hh.members)
        std, bp = self.standard(hh)
        limit = n * self.policy.intv(hh.atype, "assets_months") * std * bp // 10000
        for m in hh.members:
            age = y - m.birth.year
            if age >= 18 and rng.random() < 0.35:
                self.dep(rng.choice(("bank-a", "bank-b")), m, rng.randint(0, limit // (3 * n)),
                         product=rng.choice(("demand", "demand", "time")))
            if 18 <= age < 60 and rng.random() < 0.12:
                for p in rng.sample(W, rng.randint(1, 4)):
                    self.inc(m, p, rng.randint(1000, std * 9 // 10) , itype=rng.choice(("wage", "labour")))
            if age >= 60 and rng.random() < 0.6:
                self.pen(m, W[-1], rng.randint(10300, 30000))
            if age >= 25 and rng.random() < 0.02:
                self.fnd(m, "%04d-%02d" % month_add(y, self.as_of.month, -rng.randint(15, 60)),
                         rng.randint(20000, 60000), status=rng.choice(("closed", "sealed", "active")))
        if rng.random() < 0.25:
            m0 = hh.members[0]
            spouse = [m for m in hh.members if m.relation == "spouse"]
            if spouse and rng.random() < 0.5:
                r = self.prop(m0, share="50%", share_bp=5000, area=rng.randint(4000, 12000))
                self.prop(spouse[0], share="50%", share_bp=5000, area=r["area"], cert=r["cert"],
                          registered=r["registered"])
            else:
                self.prop(m0, area=rng.randint(3000, 15000))
        if rng.random() < 0.12:
            adults = [m for m in hh.members if y - m.birth.year >= 18]
            if adults:
                self.veh(rng.choice(adults), rng.choice(("M21", "M22", "M11", "N11", "T11")),
                         rng.choice(("A", "A", "A", "AG")))
        if rng.random() < 0.02:
            self.biz(hh.members[0], "个体工商户（小吃店）", "owner", rng.randint(1, 9) * 1000000)

    # --------------------------------------------------------------- expected
    def standard(self, hh):
        area = "urban" if self.policy.get(hh.atype, "standard_area").strip() == "urban" else hh.area
        return (self.policy.standard_fen(hh.county, area, self.as_of.year),
                self.policy.intv(hh.atype, "standard_multiplier_bp"))

    def in_window(self, p):
        if len(p) == 4:
            return int(p) == self.as_of.year - 1
        return (int(p[:4]), int(p[5:7])) in self.window_set

    def index(self):
        self.by_id = {s: {} for s in SOURCES}
        self.unreadable = set()      # IDs with a quarantined row (SPEC 7)
        for s, recs in self.recs.items():
            for r in recs:
                if r.get("bad"):
                    self.unreadable.add(r["norm"])
                    continue
                self.by_id[s].setdefault(r["norm"], []).append(r)
        self.apps_of = {}
        for hh in self.households:
            for m in hh.members:
                if not m.reject:
                    self.apps_of.setdefault(m.norm, set()).add((hh.county, hh.app_id))

    def evaluate(self, hh):
        pol, t = self.policy, hh.atype
        asof = self.asof_s
        n = len(hh.members)
        std, bp = self.standard(hh)
        usable = [m for m in hh.members if not m.reject]
        by = self.by_id
        found = set()

        def recs(src, m):
            return by[src].get(m.norm, ())

        # income, in 12 x monthly fen
        excluded = pol.listv(t, "exclude_pension_schemes")
        cur = (self.as_of.year, self.as_of.month)
        total12 = 0
        for m in usable:
            v = sum(r["income"] for r in recs("tax", m) if self.in_window(r["period"]))
            pens = [r for r in recs("pension", m)
                    if (int(r["period"][:4]), int(r["period"][5:7])) <= cur
                    and r["status"] in ("active", "")]
            if pens:
                best = max(pens, key=lambda r: (r["period"], r["benefit"]))
                if best["scheme"] not in excluded:
                    v += 12 * best["benefit"]
            total12 += max(12 * m.declared_fen, v)
        if total12 * 10000 > 12 * n * std * bp:
            found.add("INCOME_OVER_STANDARD")

        # financial assets
        accounts, over = {}, False
        for m in usable:
            for src in ("bank-a", "bank-b", "rcc"):
                for r in recs(src, m):
                    if r["asof"] and r["asof"] > asof:
                        continue
                    if r["over"] == "yes":
                        over = True
                    if r["bal"] is None:
                        continue
                    key = (src, r["inst"], r["acct"]) if r["acct"] else ("", id(r))
                    accounts.setdefault(key, []).append(r)
        assets = 0
        for rows in accounts.values():
            dated = [r for r in rows if r["asof"]]
            best = (max(dated, key=lambda r: (r["asof"], r["bal"])) if dated
                    else max(rows, key=lambda r: r["bal"]))
            assets += max(0, best["bal"])
        months = pol.intv(t, "assets_months")
        if over or assets * 10000 > n * months * std * bp:
            found.add("ASSETS_OVER_LIMIT")

        # vehicles
        exempt = pol.listv(t, "vehicle_exempt")
        vlimit = pol.fen(t, "vehicle_value_limit_yuan")
        for m in usable:
            for r in recs("vehicle", m):
                owned = not any(VSTATUS[c] in ("scrapped", "deregistered") for c in r["status"])
                if owned and r["type"] not in exempt and (r["value"] is None or r["value"] > vlimit):
                    found.add("VEHICLE_NON_EXEMPT")

        # property
        nonres = pol.listv(t, "non_residential")
        certs = {}
        for m in usable:
            for r in recs("property", m):
                if (r["status"] or "valid") not in ("valid", "mortgaged", "sealed"):
                    continue
                usage = r["usage"] or "residential"
                if usage in nonres:
                    found.add("PROPERTY_NON_RESIDENTIAL")
                if usage == "residential":
                    c = certs.setdefault(r["cert"], [r["area"], 0])
                    c[1] += r["share_bp"]
        if len(certs) > pol.intv(t, "max_homes"):
            found.add("PROPERTY_MULTIPLE_HOMES")
        apc = parse_yuan(pol.get(t, "area_per_capita_m2"))   # m2 with 2 decimals -> centi
        if apc > 0:
            area_bp = sum(a * min(s, 10000) for a, s in certs.values())
            if area_bp > n * apc * 10000:
                found.add("PROPERTY_AREA_OVER")

        # business
        blimit = pol.fen(t, "business_capital_limit_yuan")
        for m in usable:
            for r in recs("business", m):
                if (r["role"] or "owner") in ("legal_rep", "shareholder", "owner") and \
                        (r["status"] or "active") == "active" and \
                        (r["capital"] is None or r["capital"] > blimit):
                    found.add("BUSINESS_ROLE")

        for m in usable:
            for r in recs("fund", m):
                if (r["status"] or "active") == "active" and self.in_window(r["period"]):
                    found.add("FUND_CONTRIBUTING")
            for r in recs("death", m):
                if r["date"] <= asof:
                    found.add("MEMBER_DECEASED")
            if len(self.apps_of[m.norm]) > 1:
                found.add("DUPLICATE_APPLICATION")
            key = name_key(m.name)
            for src in SOURCES:
                for r in recs(src, m):
                    if r["name"] and name_key(r["name"]) != key:
                        found.add("NAME_MISMATCH")
        if any(m.reject for m in hh.members):
            found.add("APPLICANT_ROW_REJECTED")
        # SPEC 7: a quarantined extract row whose ID is a usable member's
        if any(not m.reject and m.norm in self.unreadable for m in hh.members):
            found.add("EVIDENCE_UNREADABLE")

        reasons = sorted(c for c in found if pol.outcome(t, c) != "ignore")
        outs = {pol.outcome(t, c) for c in reasons}
        verdict = "INELIGIBLE" if "ineligible" in outs else "REVIEW" if "review" in outs else "ELIGIBLE"
        return verdict, ";".join(reasons)

    # ---------------------------------------------------------- line formats
    def app_line(self, src, r):
        d = lambda s: s.replace("-", "") if s else ""
        if src == "bank-a":
            bal = r.get("raw_bal") or yuan(r["bal"], sep=True)
            return (f'{r["id"]},{r["name"]},{r["inst"]},{r["acct"]},{PRODUCT_A[r["product"]]},'
                    f'"{bal}",{d(r["asof"])}')
        if src == "bank-b":
            ov = {"yes": "Y", "no": "N", None: ""}[r["over"]]
            return (f'{r["id"]}|{r["name"]}|{r["inst"]}|{r["acct"]}|{PRODUCT_B[r["product"]]}|'
                    f'{r["bal"]}|{r["asof"] or ""}|{ov}')
        if src == "rcc":
            ov = {"yes": "是", "no": "否"}[r["over"]]
            return f'{r["id"]}\t{r["name"]}\t{r["inst"]}\t{ov}\t{r["asof"] or ""}'
        if src == "vehicle":
            return (f'{r["id"]},{r["name"]},{r["plate"]},{r["code"]},{r["registered"]},'
                    f'{r["status"]}')
        if src == "property":
            idc = r["id"]
            if idc.startswith("="):
                idc = q(idc)
            return (f'{idc},{r["name"]},{cert_text(r["cert"])},{r["region"]},'
                    f'{USAGE_ZH[r["usage"]]},{m2(r["area"])},{r["share"]},{r["registered"]},'
                    f'{PSTATUS_ZH[r["status"]]}')
        if src == "tax":
            return (f'{r["id"]},{r["name"]},{r["period"]},{ITYPE_ZH[r["itype"]]},'
                    f'{yuan(r["income"])},{yuan(r["tax"])}')
        if src == "pension":
            return (f'{r["id"]};{r["name"]};{ym(r["period"])};{yuan(r["benefit"])};'
                    f'{PEN_STATUS_ZH[r["status"]]};{SCHEME_ZH[r["scheme"]]}')
        if src == "fund":
            return (f'{r["id"]}\t{r["name"]}\t{ym(r["period"])}\t{yuan(r["deposit"])}\t'
                    f'{FUND_STATUS_ZH[r["status"]]}')
        if src == "business":
            cap = "" if r["capital"] is None else wan(r["capital"])
            return (f'{r["id"]},{r["name"]},{q(r["company"])},{r["credit"]},{ROLE_ZH[r["role"]]},'
                    f'{cap},{BSTATUS_ZH[r["status"]]}')
        if src == "death":
            return f'{r["id"]},{r["name"]},{d(r["date"])}'
        raise KeyError(src)

    def header(self, src):
        return {
            "bank-a": ["证件号码,客户姓名,开户机构,账号,产品类型,账户余额,数据日期"],
            "bank-b": [],
            "rcc": [f"农村信用社存款超限查询结果 批次 {self.asof_s}",
                    "证件号码\t姓名\t机构\t是否超限\t查询日期"],
            "vehicle": ["SFZMHM,SYR,HPHM,CLLX,CCDJRQ,ZT"],
            "property": ["权利人证件号,权利人,不动产权证号,行政区划,规划用途,建筑面积,共有份额,登簿日期,权属状态"],
            "tax": ["id_no,name,period,item,income,tax_paid"],
            "pension": ["公民身份号码;姓名;待遇年月;月待遇金额;发放状态;险种"],
            "fund": ["ZJHM\tXM\tJCNY\tYJCE\tZHZT"],
            "business": ["证件号码,姓名,企业名称,统一社会信用代码,任职类型,注册资本,登记状态"],
            "death": [],
        }[src]

    def background(self, src, fi, block):
        """Background block `block` of a file: BLOCK random rows of people who are not
        applicants, as text lines. A block depends only on the seed, the source, the
        file and its number (never on the background factor), so a file's background
        rows at a smaller factor are a prefix of those at a larger one."""
        g = random.Random(f"{self.args.seed}/{src}/{fi}/{block}")
        rr = g.random
        k = BLOCK
        ids, names = self.pool_ids, self.pool_names
        P = len(ids)
        idx = [int(rr() * P) for _ in range(k)]
        I = list(map(ids.__getitem__, idx))
        N = list(map(names.__getitem__, idx))

        def pick(seq):
            return g.choices(seq, k=k)

        def num(n):
            return [int(rr() * n) for _ in range(k)]

        if src == "bank-a":
            prods = ("活期", "活期", "活期", "定期", "定期", "理财", "基金", "保险")
            bal = [int(-math.log(1.0 - rr()) * 3000000) / 100 for _ in range(k)]
            return list(map('{},{},{},6222{:015d},{},"{:,.2f}",{}'.format, I, N, pick(BRANCHES),
                            num(10**15), pick(prods), bal, pick(("20261031",) * 4 + ("20260930",))))
        if src == "bank-b":
            bal = [int(-math.log(1.0 - rr()) * 2000000) for _ in range(k)]
            return list(map('{}|{}|B{:04d}|62170{:014d}|0{}|{}|2026-10-31|{}'.format, I, N,
                            num(10000), num(10**14), pick((1, 2, 3, 4)), bal,
                            pick(("N",) * 7 + ("",) * 3)))
        if src == "rcc":
            return list(map('{}\t{}\t{}农村信用社\t{}\t2026-11-20'.format, I, N, pick(CITY_WORDS),
                            pick(("是",) + ("否",) * 19)))
        if src == "vehicle":
            codes = ("M21", "M21", "M22", "K33", "K33", "K31", "K41", "H31", "N11", "T11", "M11")
            sts = ("A",) * 17 + ("AG", "E", "M", "P", "AK", "BE", "Q")
            return list(map('{},{},云{}{:05d},{},{},{}'.format, I, N, pick("ACDEFGHJKLMNPQRS"),
                            num(100000), pick(codes), pick(T.vdates), pick(sts)))
        if src == "property":
            us = ("住宅",) * 8 + ("商业", "车位", "办公")
            shares = ("",) * 7 + ("50%", "50%", "100", "33.3333")
            sts = ("现势",) * 6 + ("抵押", "抵押", "查封", "注销")
            ys = num(16)
            pd = T.pdates
            n = len(pd[0])
            dates = [pd[y][int(rr() * n)] for y in ys]
            return list(map('{},{},云（{}）不动产权第{:07d}号,{},{},{}.{:02d},{},{},{}'.format, I, N,
                            [2010 + y for y in ys], num(10**7), [i[:6] for i in I], pick(us),
                            [30 + a for a in num(170)], num(100), pick(shares), dates, pick(sts)))
        if src == "tax":
            items = ("工资薪金", "工资薪金", "工资薪金", "劳务报酬", "经营所得", "利息股息红利", "财产租赁")
            W = [f"{a:04d}-{b:02d}" for a, b in self.window]
            periods = W * 19 + [str(self.as_of.year - 1)] * 12         # 5 %: last year
            inc = [100000 + x for x in num(1500000)]
            return list(map('{},{},{},{},{}.{:02d},{}.{:02d}'.format, I, N, pick(periods),
                            pick(items), [x // 100 for x in inc], [x % 100 for x in inc],
                            [x // 3000 for x in inc], [x // 30 % 100 for x in inc]))
        if src == "pension":
            W = [f"{a:04d}{b:02d}" for a, b in self.window]
            b = [10300 + x for x in num(600000)]
            return list(map('{};{};{};{}.{:02d};{};{}'.format, I, N, pick(W),
                            [x // 100 for x in b], [x % 100 for x in b],
                            pick(("正常发放",) * 19 + ("暂停发放",)),
                            ["城镇职工基本养老保险" if x > 150000 else "城乡居民基本养老保险" for x in b]))
        if src == "fund":
            W = [f"{a:04d}{b:02d}" for a, b in self.window]
            fs = ("正常",) * 7 + ("封存", "封存", "销户")
            return list(map('{}\t{}\t{}\t{}.00\t{}'.format, I, N, pick(W),
                            [200 + x for x in num(3000)], pick(fs)))
        if src == "business":
            roles = ("法定代表人", "股东", "股东", "高级管理人员", "经营者", "投资人")
            bs = ("存续", "存续", "在业", "吊销", "注销")
            frac = ("",) * 63 + tuple(f".{i}" for i in range(1, 10)) * 3     # 70 %: whole wan
            codes = list(map("9153{}{}{}{}{}".format, pick(T.tri), pick(T.tri), pick(T.tri),
                             pick(T.tri), pick(T.duo)))
            out = list(map('{},{},云南{}{},{},{},{}{},{}'.format, I, N, pick(CITY_WORDS),
                           pick(COMPANIES), codes, pick(roles), [1 + x for x in num(4999)],
                           pick(frac), pick(bs)))
            if block == 0:     # RFC 4180 corners: doubled quotes, a newline inside quotes
                out[0] = (f'{I[0]},{N[0]},"云南""{CITY_WORDS[idx[0] % 16]}""商贸有限公司",'
                          f'{codes[0]},股东,100,存续')
                out[1] = (f'{I[1]},{N[1]},"云南{CITY_WORDS[idx[1] % 16]}农业开发\n有限公司",'
                          f'{codes[1]},股东,30,存续')
            return out
        if src == "death":
            return list(map('{},{},{}'.format, I, N, pick(T.ddates)))
        raise KeyError(src)
    def bad_rows(self, src, count, rng):
        """`count` rows of non-applicants that must be quarantined: [(line, code)]."""
        out = []
        for k in range(count):
            i = rng.randrange(len(self.pool_ids))
            pid, pn = self.pool_ids[i], self.pool_names[i]
            alt = k % 2
            if src == "bank-a":
                out.append([(f'{pid},{pn},五华支行,6222000011112222333,活期,"12,34.00",20261031', "AMOUNT"),
                            (f'{pid},{pn},五华支行,6222000011112222444,活期,"1,234.00",20261341', "DATE"),
                            ][alt] if k % 3 != 2 else
                           ('5.30102E+17,' + pn + ',五华支行,6222000011112222555,活期,"100.00",20261031',
                            "EXCEL_MANGLED"))
            elif src == "bank-b":
                out.append([(f'{pid}|{pn}|B0001|6217000011112222|01|1250.50|2026-10-31|N', "AMOUNT"),
                            (f'{pid}|{pn}|B0001|6217000011112223|01|125050|2026-10-31', "FIELD_COUNT")][alt])
            elif src == "rcc":
                out.append([(f'{pid}\t{pn}\t石林农村信用社\t未知\t2026-11-20', "VALUE_UNMAPPED"),
                            (f'{pid}\t{pn}\t石林农村信用社\t否\t2026/11/20', "DATE")][alt])
            elif src == "vehicle":
                out.append([(f'{pid},{pn},云A12345,Z99,2019-05-12,A', "VALUE_UNMAPPED"),
                            (f'{pid},{pn},云A12346,K33,2019-02-30,A', "DATE")][alt])
            elif src == "property":
                out.append([(f'{pid},{pn},云（2020）不动产权第0000001号,530102,住宅,89.5m,,2020-01-02,现势', "AREA"),
                            (f'{pid},{pn},云（2020）不动产权第0000002号,530102,住宅,89.50,150%,2020-01-02,现势', "SHARE")][alt])
            elif src == "tax":
                out.append([(f'{pid},{pn},2026-13,工资薪金,3000.00,0.00', "PERIOD"),
                            (f'{pid},{pn},2026-05,工资薪金,"3,00.00",0.00', "AMOUNT")][alt])
            elif src == "pension":
                out.append([(f'{pid};{pn};202610;1 200.00;正常发放;城镇职工基本养老保险', "AMOUNT"),
                            (f'{pid};{pn};202613;1200.00;正常发放;城镇职工基本养老保险', "PERIOD")][alt])
            elif src == "fund":
                out.append([(f'{pid}\t{pn}\t202610\tabc\t正常', "AMOUNT"),
                            (f'{pid}\t{pn}\t202600\t500.00\t正常', "PERIOD")][alt])
            elif src == "business":
                out.append([(f'{pid},{pn},云南星火商贸有限公司,{credit_code(rng)},股东,五十,存续', "AMOUNT"),
                            (f'{pid},{pn},云南星火商贸有限公司,{credit_code(rng)},监事,50,存续', "VALUE_UNMAPPED")][alt])
            elif src == "death":
                out.append([(f'{pid},{pn},2026-07-14', "DATE"),
                            (f'{pid},{pn},20260714,火化', "FIELD_COUNT")][alt])
        return out


    # --------------------------------------------------------------- output
    def make_pool(self, size):
        """The background population: `size` people who are not applicants. Its own
        random stream (the seed and the applicants decide it, not the background
        factor); an ID may occur twice in the pool, never as an applicant's."""
        g = random.Random(f"{self.args.seed}/pool")
        rr = g.random
        counties, hist, prefs = self.counties, self.historical, self.prefectures
        nc, nh, npf = len(counties), len(hist), len(prefs)
        a = dt.date(1935, 1, 1).toordinal()
        b = min(dt.date(self.as_of.year - 1, 12, 31).toordinal(), self.as_of.toordinal())
        days = [dt.date.fromordinal(o).strftime("%Y%m%d") for o in range(a, b + 1)]
        nd = len(days)
        wsum = lambda s, w: sum((ord(c) - 48) * x for c, x in zip(s, w))
        dsum = [wsum(s, WEIGHTS[6:14]) for s in days]
        csum = {c: wsum(c, WEIGHTS[:6]) for c in set(counties) | set(hist) | set(prefs)}
        ssum = [wsum(f"{s:03d}", WEIGHTS[14:]) for s in range(1000)]
        used = self.used
        ids, names = [], []
        for _ in range(size):
            while True:
                r = rr()
                code = (counties[int(rr() * nc)] if r < 0.85 else hist[int(rr() * nh)] if r < 0.9
                        else prefs[int(rr() * npf)])
                d = int(rr() * nd)
                seq = 1 + int(rr() * 997)            # odd: male, even: female
                full = f"{code}{days[d]}{seq:03d}{CHECK[(csum[code] + dsum[d] + ssum[seq]) % 11]}"
                if full not in used:
                    break
            ids.append(full)
            names.append(fast_name(rr, 1 if seq & 1 else 2))
        self.pool_ids, self.pool_names = ids, names

    def write_applicants(self, out):
        files = {}
        for hh in self.households:
            files.setdefault(hh.county, []).append(hh)
        ledger = {}
        head = "申请编号,区县代码,城乡类别,成员序号,身份证号码,姓名,与申请人关系,救助类型,申报月收入,申请日期,残疾等级"
        for county in sorted(files):
            lines = [head]
            rej = {}
            for hh in files[county]:
                for k, m in enumerate(hh.members, 1):
                    dec = m.declared_text if m.declared_text is not None else yuan(m.declared_fen)
                    sub = m.submitted if isinstance(m.submitted, str) else m.submitted.isoformat()
                    lines.append(",".join((hh.app_id, m.county_field or hh.county,
                                           ZH_AREA[m.area_field or hh.area], str(k), m.id_written,
                                           m.name, ZH_REL[m.relation],
                                           ZH_TYPE[m.type_field or hh.atype], dec, sub,
                                           m.disability)))
                    if m.reject:
                        rej[m.reject] = rej.get(m.reject, 0) + 1
            path = f"inbox/{county}.csv"
            with open(os.path.join(out, path), "w", encoding="utf-8", newline="") as f:
                f.write("\n".join(lines) + "\n")
            nq = sum(rej.values())
            ledger[path] = {"source": "applicants", "kind": "applicants", "rows": len(lines) - 1,
                            "rows_ok": len(lines) - 1 - nq, "rows_quarantined": nq,
                            "quarantine": dict(sorted(rej.items())), "header_lines": 1}
        return ledger

    def write_extracts(self, sets, n_members, jobs=1):
        """Writes every extract of every set [(outdir, factor)]; returns a ledger per set.
        Matched rows are spread over the files the same way in every set; a file's
        background at a smaller factor is a prefix of its background at a larger one."""
        tasks = []
        kinds = {}
        for s, (kind, _, _) in SOURCES.items():
            kinds.setdefault(kind, []).append(s)
        for src, (kind, fmt, nfiles) in SOURCES.items():
            nfiles = max(nfiles, self.args.files_per_source)
            g = random.Random(f"{self.args.seed}/{src}/files")
            per_file = [[] for _ in range(nfiles)]
            for r in self.recs[src]:
                per_file[int(g.random() * nfiles)].append(r)
            nbg = []
            for out, K in sets:
                total_bg = round(K * n_members)
                if len(kinds[kind]) > 1:
                    total_bg = -(-total_bg * int(BG_SHARE[src] * 100) // 100)
                nbg.append([total_bg // nfiles + (1 if fi < total_bg % nfiles else 0)
                            for fi in range(nfiles)])
                os.makedirs(os.path.join(out, "extracts", src), exist_ok=True)
            for fi in range(nfiles):
                tasks.append((src, kind, nfiles, fi, per_file[fi], [n[fi] for n in nbg], sets))
        tasks.sort(key=lambda t: -max(t[5]))          # largest first: shorter tail in parallel
        if jobs > 1 and len(tasks) > 1:
            import multiprocessing
            global _WRITER
            _WRITER = self
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                results = pool.map(_write_file, tasks, chunksize=1)
        else:
            results = [self.write_file(*t) for t in tasks]
        ledgers = [{} for _ in sets]
        for res in results:
            for i, (path, entry) in enumerate(res):
                ledgers[i][path] = entry
        return ledgers

    def write_file(self, src, kind, nfiles, fi, recs, nbgs, sets):
        """One extract file in every set: [(path, ledger entry)] per set."""
        apps = []
        app_quar = {}
        matched = 0
        for r in recs:
            apps.append(self.app_line(src, r))
            if r.get("bad"):
                app_quar[r["bad"]] = app_quar.get(r["bad"], 0) + 1
            else:
                matched += 1
        hdr = self.header(src)
        nl = "\r\n" if src == "bank-a" else "\n"
        enc = {"bank-a": "gbk", "pension": "gb18030"}.get(src, "utf-8")
        name = f"part-{fi + 1}.csv.zst" if nfiles > 1 else f"{src}-{self.asof_s}.csv.zst"
        path = f"extracts/{src}/{name}"
        outs, result = [], []
        for (out, K), nbg in zip(sets, nbgs):
            n = nbg + len(apps)
            nbad = (n // 1500 + 1) if n >= 100 else 0
            quar = dict(app_quar)
            special = list(apps)
            for line, code in self.bad_rows(src, nbad, random.Random(f"{self.args.seed}/{src}/{fi}/bad")):
                special.append(line)
                quar[code] = quar.get(code, 0) + 1
            g = random.Random(f"{self.args.seed}/{src}/{fi}/at/{nbg}")
            g.shuffle(special)
            # each special row goes before background row `pos` (nbg: at the end)
            special = sorted(((int(g.random() * (nbg + 1)), line) for line in special),
                             key=lambda x: x[0])
            rows = n + nbad
            nq = sum(quar.values())
            assert nq * 100 < rows * 2, (src, fi, nq, rows)
            blank = 0
            if src == "property" and fi == 0 and rows > 10:
                special = sorted(special + [(nbg // 2, ",,,,,,,,"), (nbg // 3, "")], key=lambda x: x[0])
                blank = 2
            prefix = b""
            if src == "bank-a" and fi == 2:           # a skippable frame before the data frame
                payload = b"hedui sample province"
                prefix = b"\x50\x2a\x4d\x18" + len(payload).to_bytes(4, "little") + payload
            # bank-a part-2: two frames, split at a line boundary in the middle
            cut = (len(hdr) + rows + blank) // 2 if src == "bank-a" and fi == 1 else None
            w = ZOut(os.path.join(out, path), enc, nl, prefix, cut)
            if src == "property":
                w.raw(b"\xef\xbb\xbf")
            w.lines(list(hdr))
            outs.append([w, nbg, special, 0, rows])
            result.append((path, {
                "source": src, "kind": kind, "rows": rows, "rows_ok": rows - nq,
                "rows_quarantined": nq, "rows_matched": matched,
                "rows_unmatched": rows - nq - matched, "quarantine": dict(sorted(quar.items())),
                "header_lines": len(hdr) - (1 if src == "rcc" else 0),
                "skipped_lines": 1 if src == "rcc" else 0,
                "trailer_lines": 1 if src == "tax" else 0, "blank_lines": blank,
            }))
        top = max(nbgs)
        for b in range(-(-top // BLOCK)):
            lines = self.background(src, fi, b)
            b0 = b * BLOCK
            for o in outs:
                w, nbg, special, j, _ = o
                if b0 >= nbg:
                    continue
                b1 = min(b0 + BLOCK, nbg)
                part = []
                s = b0
                while j < len(special) and special[j][0] < b1:
                    p = special[j][0]
                    part.extend(lines[s - b0:p - b0])
                    part.append(special[j][1])
                    s = p
                    j += 1
                part.extend(lines[s - b0:b1 - b0])
                o[3] = j
                w.lines(part)
        for w, nbg, special, j, rows in outs:
            w.lines([line for _, line in special[j:]])
            if src == "tax":
                w.lines([f"TOTAL,{rows}"])
            w.close()
        return result

    def write_job(self, out, K):
        lines = ["; synthetic sample province written by scripts/gen-province.py",
                 f"; seed {self.args.seed}, {self.args.households} households, "
                 f"background factor {K:g}",
                 "[job]", "name       = yunnan-sample", f"as_of      = {self.asof_s}",
                 "applicants = inbox/*.csv", "applicants_format = formats/applicants.fmt",
                 "policy     = policy/yunnan.policy", "key        = keys/pseudonym.key",
                 "signing_key = keys/signing.pem", "output     = out/", ""]
        for src, (_, fmt, _) in SOURCES.items():
            lines += [f'[source "{src}"]', f"format = {fmt}",
                      f"files  = extracts/{src}/*.csv.zst", ""]
        with open(os.path.join(out, "job.ini"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines))


_WRITER = None


def _write_file(task):
    return _WRITER.write_file(*task)


class ZOut:
    """Text lines -> `zstd -3` (one frame; two when `cut` lines go in the first)."""

    def __init__(self, path, enc, nl, prefix=b"", cut=None):
        self.f = open(path, "wb")
        self.f.write(prefix)
        self.f.flush()
        self.enc, self.nl, self.cut, self.n = enc, nl, cut, 0
        self.p = self.start()

    def start(self):
        return subprocess.Popen(["zstd", "-q", "-c", "-3"], stdin=subprocess.PIPE, stdout=self.f)

    def finish(self):
        self.p.stdin.close()
        if self.p.wait() != 0:
            raise SystemExit("gen-province: zstd failed")

    def raw(self, data):
        self.p.stdin.write(data)

    def lines(self, ls):
        if self.cut is not None and self.n + len(ls) >= self.cut:
            k, self.cut = self.cut - self.n, None
            self.lines(ls[:k])
            self.finish()
            self.p = self.start()
            ls = ls[k:]
        if ls:
            self.p.stdin.write((self.nl.join(ls) + self.nl).encode(self.enc))
            self.n += len(ls)

    def close(self):
        self.finish()
        self.f.close()


BLOCK = 8192       # background rows per random block


class _Tables:
    """Value tables for the background rows, built once."""

    def __init__(self):
        self.vdates = [f"{y}-{m:02d}-{d:02d}" for y in range(2005, 2026) for m in range(1, 13)
                       for d in range(1, 29)]
        self.pdates = [[f"{y}{s}{m:02d}{s}{d:02d}" for s in "-------///" for m in range(1, 13)
                        for d in range(1, 29)] for y in range(2010, 2026)]
        self.ddates = [f"20{y}{m:02d}{d:02d}" for y in range(10, 26) for m in range(1, 13)
                       for d in range(1, 29)]
        cc = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        self.duo = [a + b for a in cc for b in cc]
        self.tri = [a + b for a in self.duo for b in cc]


T = _Tables()


def fast_name(rr, sex):
    """make_name's distribution, drawn with random() only (the background pool)."""
    r = rr()
    if r < 0.03:
        return YI_FIRST[int(rr() * len(YI_FIRST))] + "·" + YI_SECOND[int(rr() * len(YI_SECOND))]
    if r < 0.05:
        return DAI_HANI[int(rr() * len(DAI_HANI))] + "·" + YI_SECOND[int(rr() * len(YI_SECOND))]
    pool = GIVEN_M if sex == 1 else GIVEN_F
    n = len(pool)
    g = pool[int(rr() * n)]
    if rr() < 0.7:
        g += pool[int(rr() * n)]
    return SURNAMES[int(rr() * len(SURNAMES))] + g


def main(argv=None):
    ap = argparse.ArgumentParser(description="write a synthetic Yunnan province for hedui")
    ap.add_argument("outdir")
    ap.add_argument("--households", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--background-factor", type=float, default=20,
                    help="background rows per applicant member and extract kind (may be fractional)")
    ap.add_argument("--files-per-source", type=int, default=0,
                    help="at least this many files per source (default: 3 bank-a, 2 property, 1 others)")
    ap.add_argument("--also", action="append", default=[], metavar="K:DIR",
                    help="also write the same province with background factor K into DIR: same "
                         "applicants, same matched rows in the same files, each file's background "
                         "a prefix of the larger set's (repeatable)")
    ap.add_argument("--jobs", type=int, default=1, help="files written in parallel (processes)")
    ap.add_argument("--as-of", default="2026-11-28")
    args = ap.parse_args(argv)
    sets = [(args.outdir, args.background_factor)]
    for a in args.also:
        k, _, d = a.partition(":")
        if not d:
            ap.error("--also wants K:DIR")
        sets.append((d, float(k)))

    g = Writer(args)
    g.policy = Policy(os.path.join(REPO, "policy", "yunnan.policy"))
    y, mo = g.as_of.year, g.as_of.month
    g.window = [month_add(y, mo, -k) for k in range(12, 0, -1)]
    g.window_set = set(g.window)
    g.unknown_codes = {}

    for out, _ in sets:
        if os.path.exists(out) and os.listdir(out):
            for sub in ("inbox", "extracts", "formats", "policy"):
                shutil.rmtree(os.path.join(out, sub), ignore_errors=True)
        for sub in ("inbox", "extracts", "keys"):
            os.makedirs(os.path.join(out, sub), exist_ok=True)
        shutil.copytree(os.path.join(REPO, "formats"), os.path.join(out, "formats"))
        shutil.copytree(os.path.join(REPO, "policy"), os.path.join(out, "policy"))

    if args.households >= 80:
        g.planted()
    else:
        print("gen-province: fewer than 80 households: no planted cases", file=sys.stderr)
    while len(g.households) < args.households:
        g.benign(g.household())
    n_members = sum(len(h.members) for h in g.households)
    g.make_pool(max(1000, 2 * n_members))

    g.index()
    expected = []
    bad_intent = []
    for hh in g.households:
        v, reasons = g.evaluate(hh)
        expected.append((hh.county, hh.app_id, v, reasons))
        if hh.intent and hh.intent != (v, reasons):
            bad_intent.append((hh.case, hh.intent, (v, reasons)))
    if bad_intent:
        for b in bad_intent:
            print("gen-province: planted case disagrees with computed verdict:", b, file=sys.stderr)
        return 70
    expected.sort()
    verdicts = {}
    for row in expected:
        verdicts[row[2]] = verdicts.get(row[2], 0) + 1

    ledgers = g.write_extracts(sets, n_members, args.jobs)
    for (out, K), ledger in zip(sets, ledgers):
        ledger.update(g.write_applicants(out))
        g.write_job(out, K)
        with open(os.path.join(out, "expected.csv"), "w", encoding="utf-8", newline="") as f:
            f.write("county_code,application_id,verdict,reasons\n")
            for row in expected:
                f.write(",".join(row) + "\n")
        summary = {
            "generator": "scripts/gen-province.py",
            "seed": args.seed, "as_of": g.asof_s, "households": len(g.households),
            "members": n_members, "background_factor": int(K) if K == int(K) else K,
            "verdicts": dict(sorted(verdicts.items())),
            "unknown_division_codes": g.unknown_codes,
            "files": dict(sorted(ledger.items())),
            "planted": [{"case": h.case, "county_code": h.county, "application_id": h.app_id,
                         "verdict": h.intent[0], "reasons": h.intent[1], "note": h.note}
                        for h in g.households if h.case],
        }
        with open(os.path.join(out, "expected-summary.json"), "w", encoding="utf-8") as f:
            json.dump(summary, f, ensure_ascii=False, indent=1, sort_keys=False)
            f.write("\n")
        print(f"gen-province: {len(g.households)} households, {n_members} members, "
              f"{sum(v['rows'] for v in ledger.values())} rows in {len(ledger)} files -> {out}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
