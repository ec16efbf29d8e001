/*
 * test_cli.c — the `hedui` command line, run as a separate process
 * ($HEDUI_BIN, set by `make test`): usage errors, --version, keygen,
 * check, tokenize (tokens recomputed here with OpenSSL HMAC(), not with
 * the engine's own function) and audit verify on a hand-made bundle signed
 * with stock `openssl pkeyutl`.
 *
 * Fixtures (tests/fixtures/cli/) are synthetic: the IDs are made up with
 * correct check characters; no real person.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "testutil.h"

#define FIX "tests/fixtures/cli"

static char tmpdir[256];
static char out_buf[1 << 16], err_buf[1 << 16];

static void mk_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hedui-test-cli-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmp(void)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) { /* best effort */ }
}

static void slurp_into(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    size_t n = 0;
    if (f) { n = fread(buf, 1, cap - 1, f); fclose(f); }
    buf[n] = 0;
}

/* Runs `$HEDUI_BIN ARGS` (ARGS through the shell, paths under our control);
 * stdout and stderr land in out_buf / err_buf. Returns the exit status. */
static int hedui(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int hedui(const char *fmt, ...)
{
    const char *bin = getenv("HEDUI_BIN");
    ck_assert_msg(bin && *bin, "HEDUI_BIN is not set (run through make test)");
    char args[4096], cmd[8192], o[512], e[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(o, sizeof o, "%s/.stdout", tmpdir);
    snprintf(e, sizeof e, "%s/.stderr", tmpdir);
    snprintf(cmd, sizeof cmd, "'%s' %s >'%s' 2>'%s'", bin, args, o, e);
    int st = system(cmd);
    slurp_into(o, out_buf, sizeof out_buf);
    slurp_into(e, err_buf, sizeof err_buf);
    ck_assert_msg(WIFEXITED(st), "hedui did not exit normally: %s", args);
    return WEXITSTATUS(st);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) if (*s == '\n') n++;
    return n;
}

/* ------------------------------------------------------------------ usage */

static void assert_usage_line(void)
{
    ck_assert_msg(strncmp(err_buf, "hedui: ", 7) == 0, "stderr: %s", err_buf);
    ck_assert_msg(strstr(err_buf, "hedui help") != NULL, "no hint: %s", err_buf);
    ck_assert_int_eq(count_lines(err_buf), 1);
}

START_TEST(usage_errors)
{
    mk_tmp();
    ck_assert_int_eq(hedui("%s", ""), 2); assert_usage_line();
    ck_assert_int_eq(hedui("bogus"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("run"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("run a.ini b.ini"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("check --nope x.csv"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("check --format"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("check"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("-j 0 run x.ini"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("run -j abc x.ini"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("run --progress=sometimes x.ini"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("run --log-format=xml x.ini"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("keygen"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("keygen --provider bank-a out.key"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("keygen --key k.key out.key"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("keygen --provider bank-a --key k.key"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("tokenize --key k in out"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("tokenize --key k --format f in"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("audit check x"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("audit verify"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("run --force=yes x.ini"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("help nope"), 2); assert_usage_line();
    ck_assert_int_eq(hedui("check --as-of 2026-02-30 --format f x"), 2); assert_usage_line();
    rm_tmp();
}
END_TEST

START_TEST(version_and_help)
{
    mk_tmp();
    ck_assert_int_eq(hedui("--version"), 0);
    ck_assert_str_eq(out_buf, "hedui 0.1.0\n");
    ck_assert_int_eq(hedui("help"), 0);
    const char *cmds[] = { "run", "check", "keygen", "tokenize", "audit verify", "demo", "help" };
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
        ck_assert_msg(strstr(out_buf, cmds[i]) != NULL, "help lacks %s", cmds[i]);
    ck_assert_int_eq(hedui("help tokenize"), 0);
    ck_assert_ptr_nonnull(strstr(out_buf, "hedui tokenize --key PROVIDER-KEY --format FMT"));
    ck_assert_int_eq(hedui("check --help"), 0);
    ck_assert_ptr_nonnull(strstr(out_buf, "Usage: hedui check"));
    rm_tmp();
}
END_TEST

START_TEST(errors_are_one_line_and_json)
{
    mk_tmp();
    ck_assert_int_eq(hedui("run %s/missing.ini", tmpdir), 66);
    ck_assert_msg(strncmp(err_buf, "hedui: ", 7) == 0, "%s", err_buf);
    ck_assert_int_eq(count_lines(err_buf), 1);
    ck_assert_int_eq(hedui("--log-format=json check --format " FIX "/deposit.fmt %s/none.csv", tmpdir), 66);
    ck_assert_msg(strncmp(err_buf, "{\"time\":\"", 9) == 0, "%s", err_buf);
    ck_assert_ptr_nonnull(strstr(err_buf, "\"level\":\"error\""));
    ck_assert_ptr_nonnull(strstr(err_buf, "\"event\":"));
    ck_assert_ptr_nonnull(strstr(err_buf, "\"msg\":"));
    ck_assert_int_eq(count_lines(err_buf), 1);
    rm_tmp();
}
END_TEST

/* ----------------------------------------------------------------- keygen */

static int mode_of(const char *path)
{
    struct stat st;
    ck_assert_msg(stat(path, &st) == 0, "missing %s", path);
    return (int)(st.st_mode & 07777);
}

START_TEST(keygen_modes_and_no_overwrite)
{
    mk_tmp();
    ck_assert_int_eq(hedui("keygen %s/keys", tmpdir), 0);
    char p[512];
    snprintf(p, sizeof p, "%s/keys/pseudonym.key", tmpdir);
    ck_assert_int_eq(mode_of(p), 0600);
    size_t n;
    char *key = td_slurp(p, &n);
    const char *hex = strstr(key, "key=");
    ck_assert_ptr_nonnull(hex);
    char keyhex[65];
    memcpy(keyhex, hex + 4, 64);
    keyhex[64] = 0;
    ck_assert_msg(strstr(out_buf, keyhex) == NULL && strstr(err_buf, keyhex) == NULL,
                  "keygen printed the key");
    ck_assert_ptr_nonnull(strstr(out_buf, "secret"));
    free(key);
    snprintf(p, sizeof p, "%s/keys/signing.pem", tmpdir);
    ck_assert_int_eq(mode_of(p), 0600);
    snprintf(p, sizeof p, "%s/keys/signing.pub.pem", tmpdir);
    ck_assert_int_eq(mode_of(p), 0644);
    snprintf(p, sizeof p, "%s/keys/pseudonym.key", tmpdir);
    char *before = td_slurp(p, NULL);
    ck_assert_int_eq(hedui("keygen %s/keys", tmpdir), 78);
    ck_assert_int_eq(count_lines(err_buf), 1);
    char *after = td_slurp(p, NULL);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
    rm_tmp();
}
END_TEST

/* ------------------------------------------------------------------ check */

START_TEST(check_bad_rows)
{
    mk_tmp();
    ck_assert_int_eq(hedui("check --format " FIX "/deposit.fmt " FIX "/bad.csv"), 65);
    ck_assert_msg(strstr(out_buf, FIX "/bad.csv:4: ID_CHECK: ") != NULL, "%s", out_buf);
    ck_assert_msg(strstr(out_buf, FIX "/bad.csv:5: AMOUNT: ") != NULL, "%s", out_buf);
    ck_assert_msg(strstr(out_buf, FIX "/bad.csv:6: FIELD_COUNT: ") != NULL, "%s", out_buf);
    ck_assert_msg(strstr(out_buf, FIX "/bad.csv: 6 rows, 3 ok, 3 bad") != NULL, "%s", out_buf);
    /* 3 of 6 rows bad is over the batch's default 5 %: the batch would
     * treat the file as damaged, and check says so */
    ck_assert_msg(strstr(out_buf, FIX "/bad.csv: QUARANTINE_RATE: 3 of 6 rows") != NULL, "%s", out_buf);
    /* and one line per reason with its count */
    ck_assert_int_eq(count_lines(out_buf), 8);
    /* never the raw row: no ID, no name */
    ck_assert_ptr_null(strstr(out_buf, "530102198001010060"));
    ck_assert_ptr_null(strstr(out_buf, "53010219800101006"));
    ck_assert_ptr_null(strstr(out_buf, "测试"));
    ck_assert_ptr_null(strstr(out_buf, "12元"));
    rm_tmp();
}
END_TEST

START_TEST(check_clean_missing_baddesc)
{
    mk_tmp();
    ck_assert_int_eq(hedui("check --format " FIX "/deposit.fmt " FIX "/clean.csv"), 0);
    ck_assert_msg(strstr(out_buf, "2 rows, 2 ok, 0 bad") != NULL, "%s", out_buf);
    ck_assert_int_eq(hedui("check --format " FIX "/deposit.fmt %s/nope.csv", tmpdir), 66);
    char p[512];
    snprintf(p, sizeof p, "%s/bad.fmt", tmpdir);
    write_file(p, "[format]\nkind = deposit\n[columns]\nid_number = A\nbalance = B\n");  /* no unit */
    ck_assert_int_eq(hedui("check --format %s " FIX "/clean.csv", p), 78);
    ck_assert_int_eq(count_lines(err_buf), 1);
    /* a header that lacks a mapped column damages the file */
    snprintf(p, sizeof p, "%s/hdr.csv", tmpdir);
    write_file(p, "证件号码,客户姓名\n530102198001010015,x\n");
    ck_assert_int_eq(hedui("check --format " FIX "/deposit.fmt %s", p), 65);
    ck_assert_msg(strstr(out_buf, "HEADER_MISMATCH") != NULL, "%s", out_buf);
    /* descriptor found next to the file */
    sh("cp " FIX "/clean.csv %s/d.csv && cp " FIX "/deposit.fmt %s/d.fmt", tmpdir, tmpdir);
    ck_assert_int_eq(hedui("check %s/d.csv", tmpdir), 0);
    ck_assert_int_eq(hedui("check %s/hdr.csv", tmpdir), 2);
    rm_tmp();
}
END_TEST

/* -------------------------------------------------------- check --lang */

/* ISO 7064 MOD 11-2 (GB 11643-1999 §5.4), worked out here and not with the
 * engine's hd_id_check_char. */
static char iso7064_check(const char *body17)
{
    static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2 };
    int sum = 0;
    for (int i = 0; i < 17; i++) sum += (body17[i] - '0') * w[i];
    return "10X98765432"[sum % 11];
}

/* the language comes from LC_ALL, LC_MESSAGES, LANG: none of them set */
static void no_locale(void)
{
    unsetenv("LC_ALL");
    unsetenv("LC_MESSAGES");
    unsetenv("LANG");
}

START_TEST(check_lang_zh)
{
    mk_tmp();
    no_locale();
    /* bad.csv line 4 holds 530102198001010060: its check character is wrong */
    const char *id = "530102198001010060";
    char want = iso7064_check(id);
    ck_assert_int_ne(want, id[17]);
    char line[256];
    snprintf(line, sizeof line, FIX "/bad.csv:4: ID_CHECK: 第4行：证件号码校验位错误，应为 %c", want);
    ck_assert_int_eq(hedui("check --lang zh --format " FIX "/deposit.fmt " FIX "/bad.csv"), 65);
    ck_assert_msg(strstr(out_buf, line) != NULL, "want %s in:\n%s", line, out_buf);
    ck_assert_msg(strstr(out_buf, FIX "/bad.csv:5: AMOUNT: 第5行：账户余额不是金额") != NULL, "%s", out_buf);
    ck_assert_msg(strstr(out_buf, FIX "/bad.csv:6: FIELD_COUNT: 第6行：") != NULL, "%s", out_buf);
    ck_assert_msg(strstr(out_buf, FIX "/bad.csv: QUARANTINE_RATE: 6行中有3行有错") != NULL, "%s", out_buf);
    ck_assert_msg(strstr(out_buf, FIX "/bad.csv: 共6行，正确3行，有错3行") != NULL, "%s", out_buf);
    /* one summary line per reason */
    ck_assert_msg(strstr(out_buf, "\n  身份证号码校验位错误：1行\n") != NULL, "%s", out_buf);
    ck_assert_msg(strstr(out_buf, "\n  金额写法不对：1行\n") != NULL, "%s", out_buf);
    ck_assert_msg(strstr(out_buf, "\n  列数与表头不一致：1行\n") != NULL, "%s", out_buf);
    ck_assert_int_eq(count_lines(out_buf), 8);
    /* never the ID nor its first 17 digits, never a name or a cell */
    ck_assert_ptr_null(strstr(out_buf, "530102198001010060"));
    ck_assert_ptr_null(strstr(out_buf, "53010219800101006"));
    ck_assert_ptr_null(strstr(out_buf, "测试"));
    ck_assert_ptr_null(strstr(out_buf, "12元"));

    /* an applicant list: the second reading for the check character */
    const char *id2 = "530102198203150025";
    want = iso7064_check(id2);
    ck_assert_int_ne(want, id2[17]);
    snprintf(line, sizeof line, FIX "/applicants.csv:3: ID_CHECK: 第3行：身份证号码校验位错误，应为 %c", want);
    ck_assert_int_eq(hedui("check --lang=zh --as-of 2026-11-28 --format " FIX "/applicants.fmt "
                           FIX "/applicants.csv"), 65);
    ck_assert_msg(strstr(out_buf, line) != NULL, "want %s in:\n%s", line, out_buf);
    /* VALUE_UNMAPPED names the allowed values: [values] keys and canonical ones */
    ck_assert_msg(strstr(out_buf, FIX "/applicants.csv:4: VALUE_UNMAPPED: 第4行：与申请人关系的值不在允许范围内："
                                  "允许的值为 本人、配偶、") != NULL, "%s", out_buf);
    ck_assert_ptr_nonnull(strstr(out_buf, "、其他、self、spouse、"));
    ck_assert_msg(strstr(out_buf, FIX "/applicants.csv:5: EXCEL_MANGLED: 第5行：身份证号码：") != NULL, "%s", out_buf);
    ck_assert_ptr_nonnull(strstr(out_buf, "请把该列设为文本后重新填写"));
    ck_assert_ptr_nonnull(strstr(out_buf, "\n  身份证号码校验位错误：1行\n"));
    ck_assert_ptr_nonnull(strstr(out_buf, "\n  取值不在允许范围内：1行\n"));
    ck_assert_ptr_nonnull(strstr(out_buf, "\n  号码被表格软件变成了科学计数法：1行\n"));
    ck_assert_ptr_null(strstr(out_buf, "53010219820315002"));
    ck_assert_ptr_null(strstr(out_buf, "示例"));
    ck_assert_ptr_null(strstr(out_buf, "朋友"));
    ck_assert_ptr_null(strstr(out_buf, "5.30102E+17\n"));
    rm_tmp();
}
END_TEST

START_TEST(check_lang_en_and_env)
{
    mk_tmp();
    no_locale();
    /* English: today's wording, plus one summary line per reason */
    ck_assert_int_eq(hedui("check --lang en --format " FIX "/deposit.fmt " FIX "/bad.csv"), 65);
    ck_assert_msg(strstr(out_buf, FIX "/bad.csv:4: ID_CHECK: id_number (column 证件号码) has a wrong check "
                         "character (the last one): a digit was probably mistyped; copy the number again "
                         "from the ID card\n") != NULL, "%s", out_buf);
    ck_assert_ptr_nonnull(strstr(out_buf, FIX "/bad.csv: 6 rows, 3 ok, 3 bad (FIELD_COUNT 1, AMOUNT 1, ID_CHECK 1)"));
    ck_assert_ptr_nonnull(strstr(out_buf, "\n  wrong ID check character: 1 row\n"));
    ck_assert_ptr_nonnull(strstr(out_buf, "\n  not an amount of money: 1 row\n"));
    ck_assert_ptr_nonnull(strstr(out_buf, "\n  wrong number of fields: 1 row\n"));
    ck_assert_ptr_null(strstr(out_buf, "第"));
    ck_assert_ptr_null(strstr(out_buf, "53010219800101006"));
    char en[sizeof out_buf];
    memcpy(en, out_buf, sizeof en);
    /* no locale at all: English, the same bytes */
    ck_assert_int_eq(hedui("check --format " FIX "/deposit.fmt " FIX "/bad.csv"), 65);
    ck_assert_str_eq(out_buf, en);

    /* LANG=zh_CN.UTF-8 without --lang: Chinese */
    setenv("LANG", "zh_CN.UTF-8", 1);
    ck_assert_int_eq(hedui("check --format " FIX "/deposit.fmt " FIX "/bad.csv"), 65);
    ck_assert_msg(strstr(out_buf, FIX "/bad.csv:4: ID_CHECK: 第4行：证件号码校验位错误") != NULL, "%s", out_buf);
    ck_assert_ptr_nonnull(strstr(out_buf, "\n  身份证号码校验位错误：1行\n"));
    /* --lang wins over the environment */
    ck_assert_int_eq(hedui("check --lang en --format " FIX "/deposit.fmt " FIX "/bad.csv"), 65);
    ck_assert_str_eq(out_buf, en);
    /* LC_MESSAGES before LANG, LC_ALL before both */
    setenv("LC_MESSAGES", "en_US.UTF-8", 1);
    ck_assert_int_eq(hedui("check --format " FIX "/deposit.fmt " FIX "/bad.csv"), 65);
    ck_assert_str_eq(out_buf, en);
    setenv("LC_ALL", "zh_TW.UTF-8", 1);
    ck_assert_int_eq(hedui("check --format " FIX "/deposit.fmt " FIX "/bad.csv"), 65);
    ck_assert_ptr_nonnull(strstr(out_buf, "第4行："));
    /* a clean file in Chinese */
    ck_assert_int_eq(hedui("check --format " FIX "/deposit.fmt " FIX "/clean.csv"), 0);
    ck_assert_str_eq(out_buf, FIX "/clean.csv: 共2行，正确2行，有错0行\n");

    /* a bad --lang is a usage error */
    ck_assert_int_eq(hedui("check --lang fr --format " FIX "/deposit.fmt " FIX "/bad.csv"), 2);
    assert_usage_line();
    /* leave the locale as the other tests expect it (they may run in this
     * process: make memcheck sets CK_FORK=no) */
    unsetenv("LC_ALL");
    unsetenv("LC_MESSAGES");
    unsetenv("LANG");
    ck_assert_ptr_nonnull(strstr(err_buf, "--lang"));
    ck_assert_int_eq(hedui("check --lang --format " FIX "/deposit.fmt " FIX "/bad.csv"), 2);
    assert_usage_line();
    ck_assert_int_eq(hedui("check --format " FIX "/deposit.fmt --lang"), 2);
    assert_usage_line();
    rm_tmp();
}
END_TEST

/* --------------------------------------------------------------- tokenize */

static void key_bytes(const char *keyfile, unsigned char key[32])
{
    char *k = td_slurp(keyfile, NULL);
    const char *h = strstr(k, "\nkey=");
    ck_assert_ptr_nonnull(h);
    h += 5;
    for (int i = 0; i < 32; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &v), 1);
        key[i] = (unsigned char)v;
    }
    free(k);
}

static void expected_token(const unsigned char key[32], const char *id, char out[65])
{
    char msg[128];
    snprintf(msg, sizeof msg, "hedui:v2:member:%s", id);
    unsigned char mac[32];
    unsigned int len = 0;
    ck_assert_ptr_nonnull(HMAC(EVP_sha256(), key, 32, (const unsigned char *)msg, strlen(msg), mac, &len));
    ck_assert_uint_eq(len, 32);
    for (int i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", mac[i]);
}

static char *zstd_cat(const char *path)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "zstd -dc '%s'", path);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap);
    size_t r;
    while ((r = fread(b + n, 1, cap - n - 1, p)) > 0) n += r;
    b[n] = 0;
    ck_assert_int_eq(pclose(p), 0);
    return b;
}

/* keys/pseudonym.key (the master) and keys/bank-a.key, the provider key
 * file of `hedui keygen --provider bank-a` (SPEC §8), into keyfile. */
static void provider_key(char *keyfile, size_t cap)
{
    ck_assert_int_eq(hedui("keygen %s/keys", tmpdir), 0);
    snprintf(keyfile, cap, "%s/keys/bank-a.key", tmpdir);
    ck_assert_int_eq(hedui("keygen --provider bank-a --key %s/keys/pseudonym.key %s", tmpdir, keyfile), 0);
    ck_assert_ptr_nonnull(strstr(out_buf, "provider key for bank-a, id d"));
}

START_TEST(tokenize_bad_rows)
{
    mk_tmp();
    char keyfile[512], out[512], p[600];
    provider_key(keyfile, sizeof keyfile);
    /* the provider key is HKDF-SHA256(master, salt = key id, info =
     * "hedui:v2:provider:bank-a"): recomputed with the openssl tool */
    {
        char master[600], cmd[1200], kid[64] = "", mhex[65] = "", line[200];
        snprintf(master, sizeof master, "%s/keys/pseudonym.key", tmpdir);
        FILE *f = fopen(master, "r");
        ck_assert_ptr_nonnull(f);
        while (fgets(line, sizeof line, f)) {
            if (!strncmp(line, "id=", 3)) sscanf(line + 3, "%63s", kid);
            if (!strncmp(line, "key=", 4)) sscanf(line + 4, "%64s", mhex);
        }
        fclose(f);
        snprintf(cmd, sizeof cmd, "openssl kdf -keylen 32 -kdfopt digest:SHA256 -kdfopt hexkey:%s "
                 "-kdfopt salt:%s -kdfopt info:hedui:v2:provider:bank-a HKDF | tr -d ':\n' | tr A-F a-f",
                 mhex, kid);
        FILE *pp = popen(cmd, "r");
        char want[100] = "";
        ck_assert_ptr_nonnull(fgets(want, sizeof want, pp));
        pclose(pp);
        unsigned char pk[32];
        char got[65];
        key_bytes(keyfile, pk);
        for (int i = 0; i < 32; i++) sprintf(got + 2 * i, "%02x", pk[i]);
        ck_assert_str_eq(got, want);
    }
    snprintf(out, sizeof out, "%s/bank.csv.zst", tmpdir);
    ck_assert_int_eq(hedui("tokenize --key %s --format " FIX "/deposit.fmt " FIX "/bad.csv %s", keyfile, out), 65);
    ck_assert_ptr_null(strstr(err_buf, "5301"));

    /* OUT starts with the zstd magic and decompresses to header + rows */
    size_t n;
    char *z = td_slurp(out, &n);
    ck_assert(n > 4 && (unsigned char)z[0] == 0x28 && (unsigned char)z[1] == 0xB5 &&
              (unsigned char)z[2] == 0x2F && (unsigned char)z[3] == 0xFD);
    free(z);
    char *csv = zstd_cat(out);
    unsigned char key[32];
    key_bytes(keyfile, key);
    const char *ids[] = { "530102198001010015", "530102198512310028", "532901197006150038",
                          "530123199211110053" };
    char expect[4096];
    char t[4][65];
    for (int i = 0; i < 4; i++) expected_token(key, ids[i], t[i]);
    snprintf(expect, sizeof expect,
             "id_number,institution,account,product,balance,as_of\n"
             "%s,城东支行,6222000000001111,活期,\"1,234.56\",20261101\n"
             "%s,城东支行,6222000000002222,定期,500,20261101\n"
             "%s,城西支行,6222000000004444,活期,12元,20261101\n"
             "%s,城北支行,6222000000006666,定期,0.5,20261101\n", t[0], t[1], t[2], t[3]);
    ck_assert_str_eq(csv, expect);
    ck_assert_ptr_null(strstr(csv, "测试"));        /* names gone */
    ck_assert_ptr_null(strstr(csv, "5301021"));     /* no raw ID */
    free(csv);

    snprintf(p, sizeof p, "%s.rejects.csv", out);
    char *rej = td_slurp(p, NULL);
    ck_assert_str_eq(rej, "line,reason\n4,ID_CHECK\n6,FIELD_COUNT\n");
    free(rej);

    /* the written descriptor reads OUT: only the AMOUNT row is bad */
    ck_assert_int_eq(hedui("check --format %s.fmt %s", out, out), 65);
    ck_assert_msg(strstr(out_buf, ":4: AMOUNT: ") != NULL, "%s", out_buf);
    ck_assert_msg(strstr(out_buf, "4 rows, 3 ok, 1 bad") != NULL, "%s", out_buf);
    /* and check finds OUT.fmt by itself */
    ck_assert_int_eq(hedui("check %s", out), 65);
    rm_tmp();
}
END_TEST

START_TEST(tokenize_clean_roundtrip)
{
    mk_tmp();
    char keyfile[512], out[512], p[600];
    provider_key(keyfile, sizeof keyfile);
    snprintf(out, sizeof out, "%s/clean.tok", tmpdir);
    ck_assert_int_eq(hedui("tokenize --key %s --format " FIX "/deposit.fmt " FIX "/clean.csv %s", keyfile, out), 0);
    ck_assert_int_eq(hedui("check --format %s.fmt %s", out, out), 0);
    ck_assert_msg(strstr(out_buf, "2 rows, 2 ok, 0 bad") != NULL, "%s", out_buf);
    snprintf(p, sizeof p, "%s.fmt", out);
    char *fmt = td_slurp(p, NULL);
    ck_assert_ptr_nonnull(strstr(fmt, "id_form   = token"));
    ck_assert_ptr_nonnull(strstr(fmt, "balance = yuan"));
    ck_assert_ptr_nonnull(strstr(fmt, "product.活期 = demand"));
    ck_assert_ptr_null(strstr(fmt, "\nname"));
    free(fmt);
    snprintf(p, sizeof p, "%s.rejects.csv", out);
    char *rej = td_slurp(p, NULL);
    ck_assert_str_eq(rej, "line,reason\n");
    free(rej);
    /* a tokenized file cannot be tokenized again; a missing key is 66 */
    ck_assert_int_eq(hedui("tokenize --key %s --format %s.fmt %s %s/again", keyfile, out, out, tmpdir), 78);
    ck_assert_int_eq(hedui("tokenize --key %s/none.key --format " FIX "/deposit.fmt " FIX "/clean.csv %s/x",
                           tmpdir, tmpdir), 66);
    /* the centre's master key is refused (78): providers never hold it */
    ck_assert_int_eq(hedui("tokenize --key %s/keys/pseudonym.key --format " FIX "/deposit.fmt " FIX "/clean.csv %s/y",
                           tmpdir, tmpdir), 78);
    ck_assert_msg(strstr(err_buf, "master key") && strstr(err_buf, "keygen --provider"), "%s", err_buf);
    snprintf(p, sizeof p, "%s/y", tmpdir);
    ck_assert_int_eq(access(p, F_OK), -1);
    /* the written descriptor names the provider and its key id */
    snprintf(p, sizeof p, "%s.fmt", out);
    fmt = td_slurp(p, NULL);
    ck_assert_ptr_nonnull(strstr(fmt, "; Tokens of provider bank-a, provider key id d"));
    free(fmt);
    rm_tmp();
}
END_TEST

START_TEST(tokenize_positional)
{
    mk_tmp();
    char fmt[512], in[512], out[512], keyfile[512];
    provider_key(keyfile, sizeof keyfile);
    snprintf(fmt, sizeof fmt, "%s/pos.fmt", tmpdir);
    snprintf(in, sizeof in, "%s/pos.txt", tmpdir);
    snprintf(out, sizeof out, "%s/pos.tok", tmpdir);
    write_file(fmt, "[format]\nkind = income\nencoding = utf-8\ndelimiter = pipe\nquote = none\n"
                    "header = no\nfields = 4\ntrailer = count\n"
                    "[columns]\nname = #1\nid_number = #2\nincome = #3\nperiod = #4\n"
                    "[units]\nincome = fen\n");
    write_file(in, "测试甲|530102198001010015|120000|2026-01\n"
                   "测试乙|530102198512310028|99|202602\n"
                   "TOTAL|2\n");
    ck_assert_int_eq(hedui("tokenize --key %s --format %s %s %s", keyfile, fmt, in, out), 0);
    char *csv = zstd_cat(out);
    ck_assert_msg(strncmp(csv, "id_number,income,period\n", 24) == 0, "%s", csv);
    ck_assert_int_eq(count_lines(csv), 3);
    free(csv);
    ck_assert_int_eq(hedui("check --format %s.fmt %s", out, out), 0);
    /* a trailer that disagrees: damaged input, nothing written */
    write_file(in, "测试甲|530102198001010015|120000|2026-01\nTOTAL|5\n");
    snprintf(out, sizeof out, "%s/pos2.tok", tmpdir);
    ck_assert_int_eq(hedui("tokenize --key %s --format %s %s %s", keyfile, fmt, in, out), 65);
    ck_assert_int_eq(access(out, F_OK), -1);
    ck_assert_ptr_nonnull(strstr(err_buf, "TRAILER_COUNT"));
    rm_tmp();
}
END_TEST

/* ----------------------------------------------------------- audit verify */

static void sha256_hex(const char *path, char out[65])
{
    size_t n;
    char *b = td_slurp(path, &n);
    unsigned char md[32];
    unsigned int len = 0;
    ck_assert(EVP_Digest(b, n, md, &len, EVP_sha256(), NULL) == 1);
    for (int i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", md[i]);
    free(b);
}

/* A bundle under tmpdir/b: two files, a manifest, a signature by keys/. */
static void make_bundle(void)
{
    char b[512], p[600], h1[65], h2[65], m[4096];
    snprintf(b, sizeof b, "%s/b", tmpdir);
    sh("mkdir -p %s/county/530102 && cp %s/keys/signing.pub.pem %s/", b, tmpdir, b);
    snprintf(p, sizeof p, "%s/county/530102/households.csv", b);
    write_file(p, "county_code,application_id\n530102,A1\n");
    sha256_hex(p, h1);
    snprintf(p, sizeof p, "%s/summary.json", b);
    write_file(p, "{\"households\": 1}\n");
    sha256_hex(p, h2);
    snprintf(m, sizeof m,
             "{\n"
             "  \"format\": \"hedui-manifest/1\",\n"
             "  \"engine\": \"0.1.0\",\n"
             "  \"job\": \"test-job\",\n"
             "  \"as_of\": \"2026-11-28\",\n"
             "  \"input_digest\": \"%s\",\n"
             "  \"policy\": \"Yunnan default\",\n"
             "  \"policy_digest\": \"%s\",\n"
             "  \"key_id\": \"k1a2b3c4d5e6\",\n"
             "  \"inputs\": [\n"
             "    {\"path\": \"inbox/530102.csv\", \"bytes\": 12, \"sha256\": \"%s\"}\n"
             "  ],\n"
             "  \"files\": [\n"
             "    {\"path\": \"county/530102/households.csv\", \"bytes\": 37, \"sha256\": \"%s\"},\n"
             "    {\"path\": \"summary.json\", \"bytes\": 18, \"sha256\": \"%s\"}\n"
             "  ]\n"
             "}\n", h1, h2, h1, h1, h2);
    snprintf(p, sizeof p, "%s/manifest.json", b);
    write_file(p, m);
    sh("openssl pkeyutl -sign -inkey %s/keys/signing.pem -rawin -in %s/manifest.json -out %s/manifest.sig",
       tmpdir, b, b);
}

static void flip_byte(const char *path, long off)
{
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, off, SEEK_SET);
    int c = fgetc(f);
    fseek(f, off, SEEK_SET);
    fputc(c ^ 0x01, f);
    fclose(f);
}

START_TEST(audit_verify_bundle)
{
    mk_tmp();
    ck_assert_int_eq(hedui("keygen %s/keys", tmpdir), 0);
    make_bundle();
    ck_assert_int_eq(hedui("audit verify %s/b", tmpdir), 0);
    ck_assert_ptr_nonnull(strstr(out_buf, "OK:"));
    ck_assert_ptr_nonnull(strstr(err_buf, "integrity"));       /* own-key warning */
    ck_assert_int_eq(hedui("audit verify --pubkey %s/keys/signing.pub.pem %s/b", tmpdir, tmpdir), 0);
    ck_assert_ptr_null(strstr(err_buf, "integrity"));

    char p[600];
    /* one flipped byte in a listed file */
    snprintf(p, sizeof p, "%s/b/county/530102/households.csv", tmpdir);
    flip_byte(p, 3);
    ck_assert_int_eq(hedui("audit verify %s/b", tmpdir), 65);
    ck_assert_msg(strstr(out_buf, "FAIL: county/530102/households.csv: SHA-256") != NULL, "%s", out_buf);
    flip_byte(p, 3);
    ck_assert_int_eq(hedui("audit verify %s/b", tmpdir), 0);

    /* an unlisted file */
    snprintf(p, sizeof p, "%s/b/county/530102/extra.csv", tmpdir);
    write_file(p, "x\n");
    ck_assert_int_eq(hedui("audit verify %s/b", tmpdir), 65);
    ck_assert_msg(strstr(out_buf, "FAIL: county/530102/extra.csv: not listed") != NULL, "%s", out_buf);
    unlink(p);

    /* an empty directory the manifest does not account for */
    snprintf(p, sizeof p, "%s/b/emptydir", tmpdir);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    ck_assert_int_eq(hedui("audit verify %s/b", tmpdir), 65);
    ck_assert_msg(strstr(out_buf, "FAIL: emptydir: an empty directory") != NULL, "%s", out_buf);
    rmdir(p);
    ck_assert_int_eq(hedui("audit verify %s/b", tmpdir), 0);

    /* a listed file missing, a size change */
    snprintf(p, sizeof p, "%s/b/summary.json", tmpdir);
    sh("mv %s %s.bak", p, p);
    ck_assert_int_eq(hedui("audit verify %s/b", tmpdir), 65);
    ck_assert_ptr_nonnull(strstr(out_buf, "summary.json: listed in the manifest but missing"));
    sh("mv %s.bak %s", p, p);

    /* a bad signature: flipped bit, and a manifest edited after signing */
    snprintf(p, sizeof p, "%s/b/manifest.sig", tmpdir);
    flip_byte(p, 10);
    ck_assert_int_eq(hedui("audit verify %s/b", tmpdir), 65);
    ck_assert_ptr_nonnull(strstr(out_buf, "FAIL: manifest.sig"));
    flip_byte(p, 10);
    ck_assert_int_eq(hedui("audit verify %s/b", tmpdir), 0);
    snprintf(p, sizeof p, "%s/b/manifest.json", tmpdir);
    flip_byte(p, 40);
    ck_assert_int_eq(hedui("audit verify %s/b", tmpdir), 65);
    flip_byte(p, 40);

    /* someone else's public key */
    ck_assert_int_eq(hedui("keygen %s/other", tmpdir), 0);
    ck_assert_int_eq(hedui("audit verify --pubkey %s/other/signing.pub.pem %s/b", tmpdir, tmpdir), 65);

    /* unsigned bundle */
    sh("rm %s/b/manifest.sig", tmpdir);
    ck_assert_int_eq(hedui("audit verify %s/b", tmpdir), 65);
    ck_assert_ptr_nonnull(strstr(out_buf, "unsigned"));

    /* no directory / no manifest */
    ck_assert_int_eq(hedui("audit verify %s/none", tmpdir), 66);
    sh("mkdir %s/empty", tmpdir);
    ck_assert_int_eq(hedui("audit verify %s/empty", tmpdir), 66);
    rm_tmp();
}
END_TEST

START_TEST(audit_verify_malformed)
{
    mk_tmp();
    ck_assert_int_eq(hedui("keygen %s/keys", tmpdir), 0);
    make_bundle();
    char p[600];
    snprintf(p, sizeof p, "%s/b/manifest.json", tmpdir);
    const char *bad[] = {
        "{\"format\": \"hedui-manifest/1\"}\n",                       /* no files */
        "{\"format\": \"other/1\", \"files\": []}\n",
        "{\"format\": \"hedui-manifest/1\", \"files\": [{\"path\": \"../x\", \"bytes\": 1, "
        "\"sha256\": \"0000000000000000000000000000000000000000000000000000000000000000\"}]}\n",
        "{\"format\": \"hedui-manifest/1\", \"files\": [{\"path\": \"a\", \"bytes\": -1}]}\n",
        "{\"format\": \"hedui-manifest/1\", \"files\": []} trailing\n",
        "[1, 2, 3]\n",
        "{\"format\": \"hedui-manifest/3\", \"files\": []}\n",            /* unknown version */
        "{\"format\": \"hedui-manifest/2\", \"keys\": [{\"id\": 1}], \"files\": []}\n",   /* keys: strings only */
        "{\"format\": \"hedui-manifest/2\", \"keys\": [[]], \"files\": []}\n",
        "{\"format\": \"hedui-manifest/2\", \"keys\": [], \"keys\": [], \"files\": []}\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        write_file(p, bad[i]);
        sh("openssl pkeyutl -sign -inkey %s/keys/signing.pem -rawin -in %s -out %s/b/manifest.sig",
           tmpdir, p, tmpdir);
        ck_assert_int_eq(hedui("audit verify %s/b", tmpdir), 65);
    }
    rm_tmp();
}
END_TEST

/* ------------------------------------------------------------ demo + run */

/* Households named in a county list file (recheck.csv or discovery.csv):
 * distinct application ids (column 2), counted from the file itself; -1
 * when the file is missing. */
static long list_households(const char *outdir, const char *code, const char *name)
{
    char p[4600];
    snprintf(p, sizeof p, "%s/county/%s/%s", outdir, code, name);
    char *t = td_slurp(p, NULL);
    if (!t) return -1;
    char seen[65536] = "\n";
    long n = 0;
    for (char *l = strchr(t, '\n'); l && l[1]; l = strchr(l + 1, '\n')) {
        char id[128];
        if (sscanf(l + 1, "%*[^,],%127[^,]", id) != 1) continue;
        char key[132];
        snprintf(key, sizeof key, "\n%s\n", id);
        if (strstr(seen, key)) continue;
        ck_assert_uint_lt(strlen(seen) + strlen(id) + 2, sizeof seen);
        strcat(seen, id);
        strcat(seen, "\n");
        n++;
    }
    free(t);
    return n;
}

START_TEST(demo_runs_and_verifies)
{
    mk_tmp();
    char scripts[4096];
    ck_assert_ptr_nonnull(getcwd(scripts, sizeof scripts - 16));
    strcat(scripts, "/scripts");
    setenv("HEDUI_SCRIPTS", scripts, 1);
    int rc = hedui("demo --households 80 -j 2 --progress=never %s/demo", tmpdir);
    ck_assert_msg(rc == 0, "demo exit %d: %s", rc, err_buf);
    /* 80 applicant households, 8 recipients and 4 monitored (SPEC §10) */
    ck_assert_msg(strstr(out_buf, "Households 92") != NULL, "%s", out_buf);
    ck_assert_ptr_nonnull(strstr(out_buf, "\nPopulations  applicants 80, recipients 8, monitored 4 (households)"));
    ck_assert_ptr_nonnull(strstr(out_buf, "\nRe-check     3 recipient households not ELIGIBLE"));
    ck_assert_ptr_nonnull(strstr(out_buf, "\n  county   applicants recipients  monitored   re-check  discovery\n"));
    ck_assert_ptr_nonnull(strstr(out_buf, "ELIGIBLE"));
    ck_assert_ptr_nonnull(strstr(out_buf, "不符合"));
    ck_assert_ptr_nonnull(strstr(out_buf, "Damaged    no"));
    ck_assert_ptr_nonnull(strstr(out_buf, "Manifest   signed"));
    /* where the county workbooks and the auditor's report are */
    ck_assert_msg(strstr(out_buf, "\n  county workbooks  county/<code>/results.xlsx (one per county, ") != NULL,
                  "%s", out_buf);
    ck_assert_ptr_nonnull(strstr(out_buf, " counties)\n"));
    ck_assert_ptr_nonnull(strstr(out_buf, "\n  auditor report    audit/report.html\n"));
    ck_assert_ptr_null(strstr(out_buf, "changes.csv (against"));      /* no previous */
    const char *o = strstr(out_buf, "Output     ");
    ck_assert_ptr_nonnull(o);
    char outdir[4096];
    ck_assert_int_eq(sscanf(o + 11, "%4095s", outdir), 1);
    /* make demo prints the lists' counts per county (issue 14): every county
     * row's re-check and discovery households are those its recheck.csv and
     * discovery.csv name, and the rows add up to the totals printed above */
    const char *tab = strstr(out_buf, "re-check  discovery\n");
    ck_assert_ptr_nonnull(tab);
    unsigned long long sum[5] = {0};
    int rows = 0;
    for (const char *l = strchr(tab, '\n') + 1; l[0] == ' ' && l[1] == ' ' && l[2] >= '0' && l[2] <= '9';
         l = strchr(l, '\n') + 1, rows++) {
        char code[16];
        unsigned long long v[5];
        ck_assert_int_eq(sscanf(l, "%15s %llu %llu %llu %llu %llu", code, &v[0], &v[1], &v[2], &v[3], &v[4]), 6);
        for (int k = 0; k < 5; k++) sum[k] += v[k];
        ck_assert_int_eq(list_households(outdir, code, "recheck.csv"), (long)v[3]);
        ck_assert_int_eq(list_households(outdir, code, "discovery.csv"), (long)v[4]);
    }
    ck_assert_int_gt(rows, 1);
    ck_assert_uint_eq(sum[0], 80);
    ck_assert_uint_eq(sum[1], 8);
    ck_assert_uint_eq(sum[2], 4);
    ck_assert_uint_eq(sum[3], 3);
    char want[160];
    snprintf(want, sizeof want, "\nDiscovery    %llu households (", sum[4]);
    ck_assert_ptr_nonnull(strstr(out_buf, want));
    ck_assert_uint_gt(sum[4], 0);
    char keymode[600];
    snprintf(keymode, sizeof keymode, "%s/demo/keys/pseudonym.key", tmpdir);
    ck_assert_int_eq(mode_of(keymode), 0600);
    ck_assert_int_eq(hedui("audit verify --pubkey %s/demo/keys/signing.pub.pem %s", tmpdir, outdir), 0);
    /* the same job again: kept as it is; -q prints nothing on stdout */
    ck_assert_int_eq(hedui("run %s/demo/job.ini", tmpdir), 0);
    ck_assert_ptr_nonnull(strstr(out_buf, "already exists"));
    ck_assert_ptr_nonnull(strstr(out_buf, "county/<code>/results.xlsx"));
    ck_assert_ptr_nonnull(strstr(out_buf, "audit/report.html"));
    /* a job with previous: the changes files are named too */
    char prev[4200];
    ck_assert_ptr_nonnull(strrchr(outdir, '/'));
    snprintf(prev, sizeof prev, "%s", strrchr(outdir, '/') + 1);
    sh("sed -e 's|^\\[job\\]|[job]\\nprevious = out/%s|' -e 's|^output *=.*|output = out2/|' "
       "%s/demo/job.ini > %s/demo/job2.ini", prev, tmpdir, tmpdir);
    rc = hedui("run --progress=never %s/demo/job2.ini", tmpdir);
    ck_assert_msg(rc == 0, "run exit %d: %s", rc, err_buf);
    ck_assert_msg(strstr(out_buf, "\n  changes           county/<code>/changes.csv (against the previous run)\n")
                  != NULL, "%s", out_buf);
    ck_assert_ptr_nonnull(strstr(out_buf, "results.xlsx"));
    ck_assert_ptr_nonnull(strstr(out_buf, "report.html"));
    ck_assert_int_eq(hedui("-q run --force %s/demo/job.ini", tmpdir), 0);
    ck_assert_str_eq(out_buf, "");
    rm_tmp();
}
END_TEST

/* The demo ends with a command that works as printed: hedui by the path it
 * was started with (not on PATH after make demo) and the real output
 * directory, quoted for the shell (the directory here has a space). */
START_TEST(demo_last_line_works)
{
    mk_tmp();
    char scripts[4096];
    ck_assert_ptr_nonnull(getcwd(scripts, sizeof scripts - 16));
    strcat(scripts, "/scripts");
    setenv("HEDUI_SCRIPTS", scripts, 1);
    int rc = hedui("demo --households 30 --progress=never '%s/my demo'", tmpdir);
    ck_assert_msg(rc == 0, "demo exit %d: %s", rc, err_buf);
    size_t n = strlen(out_buf);
    while (n && out_buf[n - 1] == '\n') out_buf[--n] = 0;
    const char *last = strrchr(out_buf, '\n');
    ck_assert_ptr_nonnull(last);
    last++;
    while (*last == ' ') last++;
    const char *bin = getenv("HEDUI_BIN");
    ck_assert_msg(!strncmp(last, bin, strlen(bin)), "the last line does not start with the binary run (%s): %s", bin, last);
    ck_assert_ptr_null(strstr(last, "<output directory>"));
    ck_assert_ptr_nonnull(strstr(last, " audit verify --pubkey "));
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s >/dev/null 2>&1", last);
    ck_assert_msg(system(cmd) == 0, "the demo's last line fails: %s", last);
    rm_tmp();
}
END_TEST

/* The outputs line names the writers by their CPU seconds, the largest
 * first: "...; CPU seconds by writer: results.xlsx 0.05, matches.jsonl 0.01"
 * (a name may hold a space: the number is after the last one). */
static void writers_largest_first(const char *log)
{
    const char *p = strstr(log, "CPU seconds by writer: ");
    ck_assert_msg(p != NULL, "%s", log);
    p += strlen("CPU seconds by writer: ");
    char line[1024];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(p, "\n"), p);
    double last = 1e9;
    int n = 0, xlsx = 0;
    for (char *save = NULL, *w = strtok_r(line, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        char *sp = strrchr(w, ' '), *end;
        ck_assert_msg(sp != NULL, "%s", log);
        double v = strtod(sp + 1, &end);
        ck_assert_msg(end > sp + 1 && *end == 0 && v >= 0.005 && v <= last, "%s", log);
        if (strstr(w, "results.xlsx ")) xlsx = 1;
        last = v;
        n++;
    }
    ck_assert_msg(n >= 1 && xlsx, "%s", log);
}

/* Messages of a run a newcomer meets: "1 thread"; no "signed" without a
 * signing key; a missing descriptor names the job line that points to it;
 * a dangling output symlink is reported as such. */
START_TEST(run_messages)
{
    mk_tmp();
    char scripts[4096];
    ck_assert_ptr_nonnull(getcwd(scripts, sizeof scripts - 16));
    strcat(scripts, "/scripts");
    setenv("HEDUI_SCRIPTS", scripts, 1);
    ck_assert_int_eq(hedui("-q demo --households 30 --progress=never %s/d", tmpdir), 0);
    /* -j 1 */
    ck_assert_int_eq(hedui("-j 1 --progress=never run --force %s/d/job.ini", tmpdir), 0);
    ck_assert_msg(strstr(err_buf, "with 1 thread\n") != NULL, "%s", err_buf);
    ck_assert_ptr_null(strstr(err_buf, "1 threads"));
    ck_assert_int_eq(hedui("-j 2 --progress=never run --force %s/d/job.ini", tmpdir), 0);
    ck_assert_msg(strstr(err_buf, "with 2 threads\n") != NULL, "%s", err_buf);
    ck_assert_ptr_nonnull(strstr(err_buf, "manifest hashed and signed"));
    writers_largest_first(err_buf);
    /* no signing key */
    sh("sed -e '/^signing_key/d' -e 's|^output *=.*|output = out-nosig/|' %s/d/job.ini > %s/d/nosig.ini", tmpdir, tmpdir);
    ck_assert_int_eq(hedui("--progress=never run %s/d/nosig.ini", tmpdir), 0);
    ck_assert_msg(strstr(err_buf, "signed in") == NULL && strstr(err_buf, "hashed and signed") == NULL, "%s", err_buf);
    ck_assert_ptr_nonnull(strstr(err_buf, "not signed"));
    /* a missing descriptor: the job line that names it */
    sh("sed -e 's|formats/vehicle.fmt|formats/no-such.fmt|' -e 's|^output *=.*|output = out-nofmt/|' "
       "%s/d/job.ini > %s/d/nofmt.ini", tmpdir, tmpdir);
    char cmd[1024], line[32] = "";
    snprintf(cmd, sizeof cmd, "grep -n 'no-such.fmt' %s/d/nofmt.ini | cut -d: -f1", tmpdir);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(fgets(line, sizeof line, p));
    pclose(p);
    line[strcspn(line, "\n")] = 0;
    ck_assert_int_eq(hedui("--progress=never run %s/d/nofmt.ini", tmpdir), 66);
    char want[600];
    snprintf(want, sizeof want, "no-such.fmt: cannot open: No such file or directory (named by %s/d/nofmt.ini:%s, "
             "format of [source \"vehicle\"])", tmpdir, line);
    ck_assert_msg(strstr(err_buf, want) != NULL, "want %s in: %s", want, err_buf);
    /* a dangling output symlink */
    sh("ln -s %s/d/gone %s/d/out-link && sed -e 's|^output *=.*|output = out-link/|' %s/d/job.ini > %s/d/link.ini",
       tmpdir, tmpdir, tmpdir, tmpdir);
    ck_assert_int_eq(hedui("--progress=never run %s/d/link.ini", tmpdir), 74);
    ck_assert_msg(strstr(err_buf, "out-link: the output directory is a symbolic link to ") != NULL &&
                  strstr(err_buf, "/d/gone, which does not exist") != NULL, "%s", err_buf);
    ck_assert_ptr_null(strstr(err_buf, "lock"));
    rm_tmp();
}
END_TEST

int main(void)
{
    /* the tests that do not choose a language read English output: no
     * locale from the caller's environment (check_lang_* set their own) */
    no_locale();
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, usage_errors);
    tcase_add_test(tc, version_and_help);
    tcase_add_test(tc, errors_are_one_line_and_json);
    tcase_add_test(tc, keygen_modes_and_no_overwrite);
    tcase_add_test(tc, check_bad_rows);
    tcase_add_test(tc, check_clean_missing_baddesc);
    tcase_add_test(tc, check_lang_zh);
    tcase_add_test(tc, check_lang_en_and_env);
    tcase_add_test(tc, tokenize_bad_rows);
    tcase_add_test(tc, tokenize_clean_roundtrip);
    tcase_add_test(tc, tokenize_positional);
    tcase_add_test(tc, audit_verify_bundle);
    tcase_add_test(tc, audit_verify_malformed);
    tcase_add_test(tc, demo_runs_and_verifies);
    tcase_add_test(tc, demo_last_line_works);
    tcase_add_test(tc, run_messages);
    suite_add_tcase(s, tc);
    return td_run(s);
}
