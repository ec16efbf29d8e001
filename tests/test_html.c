/*
 * test_html.c — audit/report.html read by a real browser.
 *
 * One generated province (scripts/gen-province.py), one run; the page is
 * loaded in headless Chromium (--dump-dom) and every number in the DOM is
 * compared with summary.json — verdicts, verdicts per county, reasons, the
 * ledger of every file, totals, match rates per source — and the flagged
 * households with audit/households.jsonl. The expected values are read from
 * those files by python3's json module, not computed by hedui's HTML code.
 * The same numbers must be in the file as written (the page shows them
 * without its script). The page must hold no applicant name, ID number or
 * application id (read from the province's inbox), no external resource,
 * and escape what it prints. With [job] previous, the changes section equals
 * the change report. The households to review first come first, end
 * within a 1280 x 900 first screen (Chromium's layout), and show county
 * names and Chinese labels. A screenshot of the first screen is kept in
 * build/screenshots/report-first-screen.png.
 *
 * Chromium is a test dependency (scripts/install-deps installs it): when it
 * is missing the suite fails, it does not skip.
 * Runs without fork (one province for every test).
 */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

static char prov[4096];     /* the generated province */
static char outdir[4400];   /* its output directory */
static char *dom;           /* report.html as Chromium's DOM */
static char *raw;           /* report.html as written */

static void sh(const char *cmd)
{
    int rc = system(cmd);
    ck_assert_msg(rc != -1 && WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "command failed (%d): %s", rc, cmd);
}

static const char *bin(void)
{
    const char *b = getenv("HEDUI_BIN");
    ck_assert_msg(b && *b, "HEDUI_BIN is not set (run through make test)");
    return b;
}

/* Reads a command's whole stdout; fails the test on a nonzero exit. */
static char *run_read(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    ck_assert_msg(p != NULL, "cannot run %s", cmd);
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    ck_assert(b != NULL);
    size_t k;
    while ((k = fread(b + n, 1, cap - n - 1, p)) > 0) {
        n += k;
        if (cap - n < 4096) { cap *= 2; b = realloc(b, cap); ck_assert(b != NULL); }
    }
    b[n] = 0;
    int rc = pclose(p);
    ck_assert_msg(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "command failed (%d): %s", rc, cmd);
    return b;
}

static void need_chromium(void)
{
    int rc = system("command -v chromium >/dev/null 2>&1");
    ck_assert_msg(rc == 0, "chromium is not installed: run scripts/install-deps (as root) to install it; "
                           "test_html needs a headless browser and does not skip");
}

/* Chromium with a fresh profile, no network services, one action. */
static void chromium_cmd(char *cmd, size_t cap, const char *action, const char *url, const char *tail)
{
    char profile[4600];
    static int nprof;
    snprintf(profile, sizeof profile, "%s/chromium-profile-%d", prov, ++nprof);
    ck_assert_int_eq(mkdir(profile, 0700), 0);
    snprintf(cmd, cap, "timeout 180 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                       "--disable-background-networking --disable-component-update --disable-sync "
                       "--user-data-dir='%s' %s 'file://%s' %s", profile, action, url, tail);
}

static void province(void)
{
    if (prov[0]) return;
    need_chromium();
    snprintf(prov, sizeof prov, "/tmp/hedui-html-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(prov));
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "python3 scripts/gen-province.py '%s' --households 120 --background-factor 2 >/dev/null 2>&1", prov);
    sh(cmd);
    snprintf(cmd, sizeof cmd, "rm -rf '%s/keys' && '%s' keygen '%s/keys' >/dev/null 2>&1", prov, bin(), prov);
    sh(cmd);
    snprintf(cmd, sizeof cmd, "'%s' -q run '%s/job.ini'", bin(), prov);
    sh(cmd);
    char pat[4200];
    snprintf(pat, sizeof pat, "%s/out/*-*", prov);
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    ck_assert_int_eq(g.gl_pathc, 1);
    snprintf(outdir, sizeof outdir, "%s", g.gl_pathv[0]);
    globfree(&g);
    char page[4600];
    snprintf(page, sizeof page, "%s/audit/report.html", outdir);
    raw = td_slurp(page, NULL);
    chromium_cmd(cmd, sizeof cmd, "--dump-dom", page, "2>/dev/null");
    dom = run_read(cmd);
    ck_assert_msg(strstr(dom, "</html>") != NULL, "chromium returned no DOM for %s", page);
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) n++;
    return n;
}

/* The text of the one element whose start tag holds `attrs` (exactly as
 * written, e.g. `data-file="x" data-k="rows"`), up to its first child tag.
 * Fails when there is not exactly one. */
static void text_of(const char *doc, const char *what, const char *attrs, char *out, size_t cap)
{
    char needle[4600];
    snprintf(needle, sizeof needle, " %s", attrs);
    size_t n = count(doc, needle);
    ck_assert_msg(n == 1, "%s: %zu elements with %s (want 1)", what, n, attrs);
    const char *p = strchr(strstr(doc, needle), '>');
    ck_assert(p != NULL);
    p++;
    size_t k = strcspn(p, "<");
    ck_assert_msg(k < cap, "%s: text too long", what);
    memcpy(out, p, k);
    out[k] = 0;
}

/* Checks every "expected" line against doc. Lines (from expected()):
 *   ATTRS \t VALUE      the element with ATTRS has the text VALUE
 *   flag \t TOKEN       a flagged household row with data-hh="TOKEN"
 *   flagged \t N        N rows of flagged households */
static void check_numbers(const char *doc, const char *what, const char *exp)
{
    char *copy = strdup(exp), *save = NULL;
    ck_assert(copy != NULL);
    int checked = 0;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *tab = strchr(line, '\t');
        ck_assert_msg(tab != NULL, "bad expected line %s", line);
        *tab = 0;
        const char *key = line, *want = tab + 1;
        if (!strcmp(key, "flag")) {
            char needle[256];
            snprintf(needle, sizeof needle, "data-hh=\"%s\"", want);
            ck_assert_msg(count(doc, needle) == 1, "%s: flagged household %s not listed once", what, want);
        } else if (!strcmp(key, "flagged")) {
            ck_assert_msg(count(doc, "<tr data-verdict=") == strtoull(want, NULL, 10),
                          "%s: %zu flagged rows, summary says %s", what, count(doc, "<tr data-verdict="), want);
        } else {
            char got[4096];
            text_of(doc, what, key, got, sizeof got);
            ck_assert_msg(!strcmp(got, want), "%s: %s is \"%s\", summary.json says \"%s\"", what, key, got, want);
        }
        checked++;
    }
    free(copy);
    ck_assert_msg(checked > 100, "%s: only %d values checked", what, checked);
}

/* The expected values, from summary.json and audit/households.jsonl. */
static char *expected(void)
{
    static const char *const py =
        "import json,sys\n"
        "d=sys.argv[1]\n"
        "s=json.load(open(d+'/summary.json'))\n"
        "def q(x): return x.replace('&','&amp;').replace('\"','&quot;')\n"
        "out=[]\n"
        "for k,i in (('job','job'),('as_of','as-of'),('policy','policy'),('policy_digest','policy-digest'),\n"
        "            ('key_id','key-id'),('input_digest','input-digest'),('households','households'),('members','members')):\n"
        "    out.append(('id=\"%s\"'%i, str(s[k])))\n"
        "out.append(('id=\"engine\"', 'hedui '+s['engine']))\n"
        "for v,n in s['verdicts'].items(): out.append(('data-k=\"verdict-%s\"'%v, str(n)))\n"
        "out.append(('id=\"flagged-count\"', str(s['verdicts']['REVIEW']+s['verdicts']['INELIGIBLE'])))\n"
        "out.append(('flagged', str(s['verdicts']['REVIEW']+s['verdicts']['INELIGIBLE'])))\n"
        "for r,n in s['reasons'].items(): out.append(('data-reason=\"%s\" data-k=\"count\"'%r, str(n)))\n"
        "for c,v in s['counties'].items():\n"
        "    for k in ('households','ELIGIBLE','REVIEW','INELIGIBLE'): out.append(('data-county=\"%s\" data-k=\"%s\"'%(q(c),k), str(v[k])))\n"
        "for f in s['files']:\n"
        "    for k in ('rows','rows_ok','rows_quarantined','rows_matched','rows_unmatched','header_lines','skipped_lines','blank_lines','trailer_lines'):\n"
        "        if k in f: out.append(('data-file=\"%s\" data-k=\"%s\"'%(q(f['path']),k), str(f[k])))\n"
        "    out.append(('data-file=\"%s\" data-k=\"damage\"'%q(f['path']), f['damage'] or '\\u2014'))\n"
        "for g,ks in (('applicants',('files','rows','rows_ok','rows_quarantined')),('extracts',('files','rows','rows_ok','rows_quarantined','rows_matched','rows_unmatched'))):\n"
        "    for k in ks: out.append(('id=\"total-%s-%s\"'%(g,k), str(s['totals'][g][k])))\n"
        "ok={};\n"
        "for f in s['files']:\n"
        "    if f['source']!='applicants': ok[f['source']]=ok.get(f['source'],0)+f['rows_ok']\n"
        "for x in s['sources']:\n"
        "    n=x['name']; out.append(('data-source=\"%s\" data-k=\"rows\"'%q(n), str(x['rows'])))\n"
        "    out.append(('data-source=\"%s\" data-k=\"rows_matched\"'%q(n), str(x['rows_matched'])))\n"
        "    out.append(('data-source=\"%s\" data-k=\"files\"'%q(n), str(x['files'])))\n"
        "    o=ok.get(n,0); m=x['rows_matched']\n"
        "    out.append(('data-source=\"%s\" data-k=\"rows_ok\"'%q(n), str(o)))\n"
        "    bp=(m*20000+o)//(2*o) if o else None\n"
        "    out.append(('data-source=\"%s\" data-k=\"match_rate\"'%q(n), '%d.%02d %%'%(bp//100,bp%100) if o else '\\u2014'))\n"
        "for l in open(d+'/audit/households.jsonl'):\n"
        "    h=json.loads(l)\n"
        "    if h['verdict']!='ELIGIBLE': out.append(('flag', h['household']))\n"
        "sys.stdout.write(''.join('%s\\t%s\\n'%p for p in out))\n";
    char path[4600], cmd[16384];
    snprintf(path, sizeof path, "%s/expected.py", prov);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs(py, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s'", path, outdir);
    return run_read(cmd);
}

START_TEST(numbers_equal_summary)
{
    province();
    char *exp = expected();
    check_numbers(dom, "DOM", exp);
    check_numbers(raw, "report.html as written (without script)", exp);
    free(exp);
    /* the script ran: the filter is shown and counts the rows */
    char got[64];
    text_of(dom, "DOM", "id=\"flagged-shown\"", got, sizeof got);
    text_of(dom, "DOM", "id=\"flagged-count\"", got + 32, 32);
    ck_assert_str_eq(got, got + 32);
    ck_assert_ptr_null(strstr(dom, "id=\"filter\" hidden"));
    ck_assert_ptr_nonnull(strstr(raw, "id=\"filter\" hidden"));
}
END_TEST

/* No applicant name, ID number or application id; no external resource. */
START_TEST(pseudonymised_and_self_contained)
{
    province();
    static const char *const py =
        "import csv,glob,sys\n"
        "seen=set()\n"
        "for p in sorted(glob.glob(sys.argv[1]+'/inbox/*.csv')):\n"
        "    with open(p,encoding='utf-8',errors='replace',newline='') as f:\n"
        "        r=csv.reader(f); h=next(r)\n"
        "        ix={c:i for i,c in enumerate(h)}\n"
        "        for row in r:\n"
        "            for col,minlen in (('\\u59d3\\u540d',2),('\\u8eab\\u4efd\\u8bc1\\u53f7\\u7801',15),('\\u7533\\u8bf7\\u7f16\\u53f7',6)):\n"
        "                i=ix.get(col)\n"
        "                if i is None or i>=len(row): continue\n"
        "                v=row[i].strip()\n"
        "                if len(v)>=minlen and v not in seen: seen.add(v); print(v)\n";
    char path[4600], cmd[16384];
    snprintf(path, sizeof path, "%s/pii.py", prov);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs(py, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s'", path, prov);
    char *pii = run_read(cmd), *save = NULL;
    int n = 0;
    for (char *v = strtok_r(pii, "\n", &save); v; v = strtok_r(NULL, "\n", &save)) {
        ck_assert_msg(strstr(dom, v) == NULL, "the DOM holds applicant data \"%s\"", v);
        ck_assert_msg(strstr(raw, v) == NULL, "report.html holds applicant data \"%s\"", v);
        n++;
    }
    free(pii);
    ck_assert_msg(n > 200, "only %d names, ID numbers and application ids read from the inbox", n);
    /* self-contained: nothing loaded from anywhere */
    static const char *const bad[] = { " src=", "href=\"http", "href=\"//", "@import", "url(", "<link", "<img",
                                       "<iframe", "<object", "<embed", "@font-face" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(strstr(raw, bad[i]) == NULL, "report.html refers to an external resource (%s)", bad[i]);
    ck_assert_ptr_nonnull(strstr(raw, "Content-Security-Policy"));
    ck_assert_ptr_nonnull(strstr(raw, "<meta charset=\"utf-8\">"));
}
END_TEST

/* Strings from the job are escaped: a job name with markup stays text. */
START_TEST(escapes_strings)
{
    province();
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "sed -e 's|^name .*|name = <b id=\"x\">A\\&B</b> '\"'\"'q'\"'\"'|' -e 's|^output .*|output = out-esc/|' "
                              "'%s/job.ini' > '%s/job-esc.ini' && '%s' -q run '%s/job-esc.ini'", prov, prov, bin(), prov);
    sh(cmd);
    char pat[4600];
    snprintf(pat, sizeof pat, "%s/out-esc/*-*/audit/report.html", prov);
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    char *page = td_slurp(g.gl_pathv[0], NULL);
    globfree(&g);
    ck_assert_ptr_null(strstr(page, "<b id=\"x\">"));
    ck_assert_ptr_nonnull(strstr(page, "<td id=\"job\">&lt;b id=&quot;x&quot;&gt;A&amp;B&lt;/b&gt; &#39;q&#39;</td>"));
    free(page);
}
END_TEST

/* With [job] previous: the changes section equals county/<code>/changes.csv
 * (rows, verdict, income and assets changes), households by the token
 * computed here from the master key (the audit key: HKDF-SHA256 of RFC
 * 5869, one block, salt = key id, info = "hedui:v2:audit"; then HMAC-SHA256,
 * auditor guide). */
START_TEST(changes_section)
{
    province();
    char cmd[16384];
    /* a stricter policy than the first run's: some verdicts change */
    snprintf(cmd, sizeof cmd, "sed 's/^assets_months *=.*/assets_months = 3/' '%s/policy/yunnan.policy' > '%s/policy/strict.policy' && "
                              "sed -e 's|^policy .*|policy = policy/strict.policy|' -e 's|^output .*|output = out-prev/\\nprevious = %s|' "
                              "'%s/job.ini' > '%s/job-prev.ini' && '%s' -q run '%s/job-prev.ini'",
             prov, prov, outdir, prov, prov, bin(), prov);
    sh(cmd);
    char pat[4600];
    snprintf(pat, sizeof pat, "%s/out-prev/*-*", prov);
    glob_t g;
    ck_assert_int_eq(glob(pat, 0, NULL, &g), 0);
    char dir[4600];
    snprintf(dir, sizeof dir, "%s", g.gl_pathv[0]);
    globfree(&g);
    static const char *const py =
        "import csv,glob,hmac,hashlib,sys\n"
        "d,keyf=sys.argv[1],sys.argv[2]\n"
        "kf=dict(l.strip().split('=',1) for l in open(keyf) if '=' in l and not l.startswith('#'))\n"
        "prk=hmac.new(kf['id'].encode(),bytes.fromhex(kf['key']),hashlib.sha256).digest()\n"
        "k=hmac.new(prk,b'hedui:v2:audit'+bytes([1]),hashlib.sha256).digest()\n"
        "n=v=inc=ast=0; toks=[]\n"
        "for p in sorted(glob.glob(d+'/county/*/changes.csv')):\n"
        "    for r in csv.DictReader(open(p,encoding='utf-8',newline='')):\n"
        "        n+=1; v+=r['verdict_before']!=r['verdict']; inc+=r['income_changed']=='yes'; ast+=r['assets_changed']=='yes'\n"
        "        toks.append(hmac.new(k,('hedui:v2:household:%s:%s'%(r['county_code'],r['application_id'])).encode(),hashlib.sha256).hexdigest())\n"
        "print('id=\"changes-count\"\\t%d\\nid=\"changes-verdict\"\\t%d\\nid=\"changes-income\"\\t%d\\nid=\"changes-assets\"\\t%d'%(n,v,inc,ast))\n"
        "for t in toks: print('chg\\t'+t)\n";
    char path[4600];
    snprintf(path, sizeof path, "%s/changes.py", prov);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs(py, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s' '%s/keys/pseudonym.key'", path, dir, prov);
    char *exp = run_read(cmd);
    char page[4800];
    snprintf(page, sizeof page, "%s/audit/report.html", dir);
    chromium_cmd(cmd, sizeof cmd, "--dump-dom", page, "2>/dev/null");
    char *d = run_read(cmd);
    const char *sect = strstr(d, "<h2 id=\"changes\"");
    ck_assert_msg(sect != NULL, "no changes section in %s", page);
    char *save = NULL;
    int rows = 0;
    for (char *line = strtok_r(exp, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *tab = strchr(line, '\t');
        ck_assert(tab != NULL);
        *tab = 0;
        if (!strcmp(line, "chg")) {
            char needle[256];
            snprintf(needle, sizeof needle, "data-hh=\"%s\"", tab + 1);
            ck_assert_msg(count(sect, needle) == 1, "changed household %s not listed once", tab + 1);
            rows++;
        } else {
            char got[64];
            text_of(d, "DOM (changes)", line, got, sizeof got);
            ck_assert_msg(!strcmp(got, tab + 1), "%s is %s, changes.csv says %s", line, got, tab + 1);
        }
    }
    ck_assert_msg(rows > 0, "the stricter policy changed no household");
    ck_assert_int_eq(count(sect, "data-hh=\""), (size_t)rows);
    free(exp);
    free(d);
}
END_TEST

/* Runs a python3 program (written to the province) with args; its stdout. */
static char *python(const char *name, const char *prog, const char *args)
{
    char path[4600], cmd[16384];
    snprintf(path, sizeof path, "%s/%s", prov, name);
    FILE *f = fopen(path, "w");
    ck_assert(f != NULL);
    fputs(prog, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "python3 '%s' %s", path, args);
    return run_read(cmd);
}

/* The households to review first: right after the summary (before every
 * other section), INELIGIBLE before REVIEW, the most reasons first, then
 * the order of audit/households.jsonl; at most 12. */
START_TEST(review_first_order)
{
    province();
    static const char *const py =
        "import json,sys\n"
        "hs=[json.loads(l) for l in open(sys.argv[1]+'/audit/households.jsonl')]\n"
        "f=[(0 if h['verdict']=='INELIGIBLE' else 1,-len(h['reasons']),i,h['household']) for i,h in enumerate(hs) if h['verdict']!='ELIGIBLE']\n"
        "f.sort()\n"
        "print('\\n'.join(x[3] for x in f[:12]))\n";
    char args[4700];
    snprintf(args, sizeof args, "'%s'", outdir);
    char *want = python("first.py", py, args), *save = NULL;
    const char *sect = strstr(raw, "<h2 id=\"review-first\"");
    ck_assert_msg(sect != NULL, "no review-first section");
    const char *next = strstr(raw, "<h2 id=");
    ck_assert_msg(next == sect, "the households to review first are not the first section");
    ck_assert_msg(sect < strstr(raw, "<h2 id=\"counties\""), "review-first after the counties");
    const char *p = sect;
    int n = 0;
    for (char *tok = strtok_r(want, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
        const char *at = strstr(p, "<tr data-first=\"");
        ck_assert_msg(at != NULL, "review-first: row %d missing (want %s)", n + 1, tok);
        at += strlen("<tr data-first=\"");
        ck_assert_msg(!strncmp(at, tok, 64), "review-first row %d is %.64s, want %s", n + 1, at, tok);
        p = at;
        n++;
    }
    ck_assert_int_ge(n, 5);
    ck_assert_int_eq(count(raw, "<tr data-first=\""), (size_t)n);
    free(want);
}
END_TEST

/* County names beside codes (data/admin-codes read here by python, not
 * through the generated table), reasons by their Chinese labels as
 * docs/reasons.md lists them, verdicts in Chinese. */
START_TEST(chinese_labels_and_county_names)
{
    province();
    static const char *const py =
        "import csv,json,sys,re\n"
        "s=json.load(open(sys.argv[1]+'/summary.json'))\n"
        "names={}\n"
        "for r in csv.DictReader(open('data/admin-codes/yunnan_nbs_2023.csv',encoding='utf-8')): names[r['code']]=r['name']\n"
        "for c in s['counties']: print('C\\t%s\\t%s'%(c,names[c]))\n"
        "lab={}\n"
        "for l in open('docs/reasons.md',encoding='utf-8'):\n"
        "    m=re.match(r'\\| ([A-Z_]+) \\| ([^|]+?) \\|',l)\n"
        "    if m: lab[m.group(1)]=m.group(2)\n"
        "for h in open(sys.argv[1]+'/audit/households.jsonl'):\n"
        "    for r in json.loads(h)['reasons']: lab.setdefault(r,None); print('R\\t%s\\t%s'%(r,lab[r]))\n";
    char args[4700];
    snprintf(args, sizeof args, "'%s'", outdir);
    char *exp = python("labels.py", py, args), *save = NULL;
    int counties = 0, reasons = 0;
    for (char *line = strtok_r(exp, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *a = strchr(line, '\t'), *b = a ? strchr(a + 1, '\t') : NULL;
        ck_assert(a && b);
        *a++ = 0; *b++ = 0;
        char needle[512];
        if (line[0] == 'C') {
            snprintf(needle, sizeof needle, "%s <span class=\"mono\">%s</span>", b, a);
            ck_assert_msg(strstr(raw, needle) != NULL, "county %s is not shown as %s", a, needle);
            counties++;
        } else {
            ck_assert_msg(strcmp(b, "None") != 0, "reason %s has no label in docs/reasons.md", a);
            snprintf(needle, sizeof needle, "data-code=\"%s\">%s</span>", a, b);
            ck_assert_msg(strstr(raw, needle) != NULL, "reason %s is not shown as %s", a, b);
            reasons++;
        }
    }
    ck_assert_int_gt(counties, 10);
    ck_assert_int_gt(reasons, 5);
    ck_assert_ptr_nonnull(strstr(raw, "<span class=\"v v-INELIGIBLE\" title=\"INELIGIBLE\">\xE4\xB8\x8D\xE7\xAC\xA6\xE5\x90\x88</span>"));
    ck_assert_ptr_nonnull(strstr(raw, "<span class=\"v v-REVIEW\" title=\"REVIEW\">\xE9\x9C\x80\xE4\xBA\xBA\xE5\xB7\xA5\xE5\xA4\x8D\xE6\xA0\xB8</span>"));
    free(exp);
}
END_TEST

/* In a 1280 x 900 window the last household to review first ends within
 * the window: measured by Chromium's layout through a probe page that
 * frames the report (same directory; --allow-file-access-from-files). */
START_TEST(review_first_in_first_screen)
{
    province();
    char probe[4600], cmd[16384];
    snprintf(probe, sizeof probe, "%s/audit/probe.html", outdir);
    FILE *f = fopen(probe, "w");
    ck_assert(f != NULL);
    fputs("<!DOCTYPE html><html><body style=\"margin:0\"><iframe id=\"f\" src=\"report.html\" "
          "style=\"width:1280px;height:900px;border:0\"></iframe><pre id=\"out\">pending</pre>\n<script>\n"
          "document.getElementById('f').onload=function(){var o=document.getElementById('out');try{\n"
          "var w=this.contentWindow,d=w.document,rows=d.querySelectorAll('#review-first-table tbody tr');\n"
          "var b=rows.length?rows[rows.length-1].getBoundingClientRect().bottom:-1;\n"
          "o.textContent='rows='+rows.length+' bottom='+Math.ceil(b)+' height='+w.innerHeight;}\n"
          "catch(e){o.textContent='error '+e;}};\n</script></body></html>\n", f);
    fclose(f);
    chromium_cmd(cmd, sizeof cmd, "--allow-file-access-from-files --virtual-time-budget=10000 --dump-dom", probe, "2>/dev/null");
    char *d = run_read(cmd);
    const char *o = strstr(d, "<pre id=\"out\">");
    ck_assert_msg(o != NULL, "the probe page did not load");
    unsigned rows = 0;
    int bottom = 0, height = 0;
    ck_assert_msg(sscanf(o, "<pre id=\"out\">rows=%u bottom=%d height=%d", &rows, &bottom, &height) == 3,
                  "probe: %.80s", o);
    ck_assert_uint_ge(rows, 5);
    ck_assert_int_eq(height, 900);
    ck_assert_msg(bottom > 0 && bottom <= height, "the last household to review first ends at %d px, below the first "
                  "screen (%d px)", bottom, height);
    free(d);
    unlink(probe);
}
END_TEST

START_TEST(screenshot)
{
    province();
    char page[4600], png[4600], cmd[16384];
    snprintf(page, sizeof page, "%s/audit/report.html", outdir);
    /* the first screen, kept under build/ for a reader to look at */
    sh("mkdir -p build/screenshots");
    ck_assert_ptr_nonnull(realpath("build/screenshots", png));
    strcat(png, "/report-first-screen.png");
    unlink(png);
    char action[4800];
    snprintf(action, sizeof action, "--screenshot='%s' --window-size=1280,900", png);
    chromium_cmd(cmd, sizeof cmd, action, page, ">/dev/null 2>&1");
    sh(cmd);
    struct stat sb;
    ck_assert_msg(stat(png, &sb) == 0, "no screenshot at %s", png);
    ck_assert_msg(sb.st_size > 20000, "screenshot %s is only %lld bytes", png, (long long)sb.st_size);
    char *b = td_slurp(png, NULL);
    ck_assert_msg(!memcmp(b, "\x89PNG\r\n\x1a\n", 8), "%s is not a PNG", png);
    free(b);
    if (!getenv("HEDUI_KEEP")) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", prov);
        sh(cmd);
    } else {
        fprintf(stderr, "test_html: province kept in %s\n", prov);
    }
}
END_TEST

int main(void)
{
    setenv("CK_FORK", "no", 1);    /* one province for every test */
    Suite *s = suite_create("html");
    TCase *tc = tcase_create("report.html");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, numbers_equal_summary);
    tcase_add_test(tc, pseudonymised_and_self_contained);
    tcase_add_test(tc, escapes_strings);
    tcase_add_test(tc, changes_section);
    tcase_add_test(tc, review_first_order);
    tcase_add_test(tc, chinese_labels_and_county_names);
    tcase_add_test(tc, review_first_in_first_screen);
    tcase_add_test(tc, screenshot);
    suite_add_tcase(s, tc);
    int rc = td_run(s);
    free(dom);
    free(raw);
    return rc;
}
