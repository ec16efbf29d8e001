/*
 * members.c — the members file of a scale-out (SPEC §12, docs/decisions.md
 * "The members file of the parts"): `hedui run --prepare JOB.ini` loads the
 * applicant, roster and monitor files once and writes the households and
 * members it laid out as OUTPUT/parts/<as_of>-<digest>/members; every
 * `hedui run --part K/N` of the same inputs then reads that file instead
 * of parsing the applicant files again. Without it a part loads them
 * itself, with the same result: the file only saves CPU.
 *
 * The file: a head of 4096 bytes (the parts' head lines, then
 * "members_layout", "households", "members", "strings", a blank line,
 * NUL padding), then the households and the members as this build lays
 * them out in memory, their string pointers written as offsets into the
 * strings that follow (each NUL-terminated). Its SHA-256 is in
 * members.sha256. A file of another build (the layout of hd_member and
 * hd_household enters the head), job, policy, key, date or inputs is
 * refused, as a foreign part is; so is one whose digest differs.
 *
 * Privacy: it holds the members' names and ID numbers, as the county
 * files of the run directory do: mode 0600 in the parts' 0700 directory,
 * removed with it once the run is published (docs/operator-guide.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "batch/internal.h"
#include "util/arena.h"

#define HEAD_SIZE 4096
#define MAGIC "hedui-members/1"

/* The build's layout of what the file holds as memory images. */
static void members_layout(char out[65])
{
    char text[512];
    uint32_t probe = 0x01020304;
    int n = snprintf(text, sizeof text,
                     "hedui-members-layout/1 %u ptr %zu member %zu name %zu member_no %zu records %zu "
                     "household %zu county_code %zu application_id %zu",
                     probe, sizeof(void *), sizeof(hd_member), offsetof(hd_member, name),
                     offsetof(hd_member, member_no), offsetof(hd_member, records), sizeof(hd_household),
                     offsetof(hd_household, county_code), offsetof(hd_household, application_id));
    unsigned char d[32];
    hd_sha256 *h = hd_sha256_new();
    hd_sha256_update(h, &probe, sizeof probe);
    hd_sha256_update(h, text, (size_t)n);
    hd_sha256_final(h, d);
    hd_hex(d, 32, out);
}

/* ------------------------------------------------------------ writing */

typedef struct blob { char *p; size_t n, cap; int bad; } blob;

/* s appended (with its NUL) to the strings: its offset. */
static uint64_t intern(blob *b, const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    if (b->n + n > b->cap) {
        size_t c = b->cap ? b->cap : 1 << 20;
        while (c < b->n + n) c *= 2;
        char *q = realloc(b->p, c);
        if (!q) { b->bad = 1; return 0; }
        b->p = q; b->cap = c;
    }
    memcpy(b->p + b->n, s ? s : "", n);
    b->n += n;
    return b->n - n;
}

/* A pointer field of an image written as an offset. */
static void set_offset(void *image, size_t field, uint64_t off)
{
    uintptr_t v = (uintptr_t)off;
    memcpy((char *)image + field, &v, sizeof v);
}

/* An image with its two string fields (s1 at f1, s2 at f2, read before
 * they are overwritten) written as the offsets *off and after. */
static void put_image(hd_part_out *o, void *image, size_t size, size_t f1, const char *s1, size_t f2,
                      const char *s2, uint64_t *off)
{
    set_offset(image, f1, *off);
    *off += strlen(s1 ? s1 : "") + 1;
    set_offset(image, f2, *off);
    *off += strlen(s2 ? s2 : "") + 1;
    hd_part_put(o, image, size);
}

int hd_members_write(const hd_results *st, const char *set_digest, char *path_out, size_t cap, hd_error *err)
{
    const hd_model *m = st->m;
    char dir[4200];
    hd_part_dir(st, set_digest, dir, sizeof dir);
    blob b = { 0 };
    intern(&b, "");   /* the strings are never empty, even with no household */
    for (uint32_t i = 0; i < m->nhouseholds; i++) {
        intern(&b, m->households[i].county_code);
        intern(&b, m->households[i].application_id);
    }
    for (uint32_t i = 0; i < m->nmembers; i++) {
        intern(&b, m->members[i].name);
        intern(&b, m->members[i].member_no);
    }
    if (b.bad) { free(b.p); return hd_fail(err, HD_ESOFTWARE, "out of memory writing %s/members", dir); }
    hd_part_out o;
    int rc = hd_part_open(dir, "members", &o, err);
    if (rc != HD_OK) { free(b.p); return rc; }
    snprintf(path_out, cap, "%s", o.path);
    char head[HEAD_SIZE], common[1024], layout[65];
    memset(head, 0, sizeof head);
    hd_part_head(st, set_digest, common, sizeof common);
    members_layout(layout);
    snprintf(head, sizeof head, MAGIC "\n%smembers_layout %s\nhouseholds %u\nmembers %u\nstrings %zu\n\n", common,
             layout, m->nhouseholds, m->nmembers, b.n);
    hd_part_put(&o, head, sizeof head);
    /* the strings in the order interned above: their offsets again */
    uint64_t off = 1;
    for (uint32_t i = 0; i < m->nhouseholds; i++) {
        hd_household h = m->households[i];
        put_image(&o, &h, sizeof h, offsetof(hd_household, county_code), h.county_code,
                  offsetof(hd_household, application_id), h.application_id, &off);
    }
    for (uint32_t i = 0; i < m->nmembers; i++) {
        hd_member mb = m->members[i];
        mb.records = NULL;
        mb.nrecords = 0;
        put_image(&o, &mb, sizeof mb, offsetof(hd_member, name), mb.name, offsetof(hd_member, member_no),
                  mb.member_no, &off);
    }
    hd_part_put(&o, b.p, b.n);
    free(b.p);
    return hd_part_commit(&o, err);
}

/* ------------------------------------------------------------ reading */

typedef struct rd { int fd; hd_sha256 *h; int bad, eno; } rd;   /* eno: a read error's errno */

/* n bytes of the file into p, summed; r->bad when cut short. */
static void take(rd *r, void *p, size_t n)
{
    char *q = p;
    while (n && !r->bad) {
        ssize_t k = read(r->fd, q, n > (1u << 24) ? (1u << 24) : n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) r->eno = errno;   /* an I/O error, not a short file */
        if (k <= 0) { r->bad = 1; break; }
        hd_sha256_update(r->h, q, (size_t)k);
        q += k;
        n -= (size_t)k;
    }
}

/* The pointer field of an image back from its offset; 0 when the offset
 * is outside the strings. */
static int resolve(void *image, size_t field, const char *strings, size_t n)
{
    uintptr_t v;
    memcpy(&v, (char *)image + field, sizeof v);
    if (v >= n) return 0;
    const char *s = strings + v;
    memcpy((char *)image + field, &s, sizeof s);
    return 1;
}

/* The body's bytes into the new model's arrays and *strings: 1, 0 when
 * the file is cut or longer than its head says, -1 out of memory. */
static int read_raw(rd *r, hd_model *m, uint32_t nh, uint32_t nm, size_t ns, char **strings)
{
    m->households = malloc((size_t)nh * sizeof *m->households + 1);
    m->members = malloc((size_t)nm * sizeof *m->members + 1);
    *strings = hd_arena_alloc(m->arena, ns + 1);
    if (!m->households || !m->members || !*strings) return -1;
    m->caphouseholds = nh;
    m->capmembers = nm;
    take(r, m->households, (size_t)nh * sizeof *m->households);
    take(r, m->members, (size_t)nm * sizeof *m->members);
    take(r, *strings, ns);
    char extra;
    if (!r->bad && read(r->fd, &extra, 1) != 0) r->bad = 1;   /* bytes after the strings */
    return !r->bad;
}

/* The string offsets back to pointers, each household's members and each
 * member's household, population and reason in range; 0 when one is not. */
static int resolve_all(hd_model *m, uint32_t nh, uint32_t nm, const char *strings, size_t ns)
{
    if (!ns || strings[ns - 1]) return 0;
    for (uint32_t i = 0; i < nh; i++) {
        hd_household *h = &m->households[i];
        if (!resolve(h, offsetof(hd_household, county_code), strings, ns) ||
            !resolve(h, offsetof(hd_household, application_id), strings, ns) || h->first_member > nm ||
            h->nmembers > nm - h->first_member || h->population >= HD_POP__COUNT)
            return 0;
    }
    for (uint32_t i = 0; i < nm; i++) {
        hd_member *mb = &m->members[i];
        if (!resolve(mb, offsetof(hd_member, name), strings, ns) ||
            !resolve(mb, offsetof(hd_member, member_no), strings, ns) || mb->household >= nh ||
            mb->rejected >= HD_R__COUNT || memchr(mb->id.s, 0, sizeof mb->id.s) == NULL)
            return 0;
        mb->records = NULL;
        mb->nrecords = 0;
    }
    m->nhouseholds = nh;
    m->nmembers = nm;
    return 1;
}

/* path opened for reading if it is a regular file (not a symlink, a FIFO
 * that would block, a directory); -1 with errno set otherwise. */
static int open_regular(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    struct stat sb;
    if (fd < 0) return -1;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || fcntl(fd, F_SETFL, 0) != 0) {
        close(fd);
        errno = EINVAL;
        return -1;
    }
    return fd;
}

/* The 64 hex digits of path.sha256, written as hd_part_commit writes them
 * ("HEX  members\n"), into hex; -1 when unreadable or not that. */
static int sidecar(const char *path, char hex[65])
{
    char side[4400], text[128];
    snprintf(side, sizeof side, "%s.sha256", path);
    int fd = open_regular(side);
    if (fd < 0) return -1;
    ssize_t n = read(fd, text, sizeof text - 1);
    close(fd);
    if (n != 64 + 2 + 7 + 1 || memcmp(text + 64, "  members\n", 10)) return -1;
    memcpy(hex, text, 64);
    hex[64] = 0;
    return 0;
}

/* The counts of the head (households, members, string bytes), each within
 * what a file of `size` bytes can hold; 0 when absent or beyond it. */
static int head_counts(const char *text, uint64_t size, unsigned long *nh, unsigned long *nm, unsigned long *ns)
{
    char v[80];
    uint64_t room = size > HEAD_SIZE ? size - HEAD_SIZE : 0;
    if (!hd_part_head_value(text, "households", v, sizeof v) || (*nh = strtoul(v, NULL, 10)) > room / sizeof(hd_household))
        return 0;
    if (!hd_part_head_value(text, "members", v, sizeof v) || (*nm = strtoul(v, NULL, 10)) > room / sizeof(hd_member))
        return 0;
    if (!hd_part_head_value(text, "strings", v, sizeof v) || (*ns = strtoul(v, NULL, 10)) == 0 || *ns > room)
        return 0;
    /* each term is at most `room` now: the sum cannot wrap */
    return (uint64_t)*nh * sizeof(hd_household) + (uint64_t)*nm * sizeof(hd_member) + *ns == room;
}

int hd_members_read(hd_results *st, const char *set_digest, int *found, hd_error *err)
{
    char dir[4200], path[4400];
    hd_part_dir(st, set_digest, dir, sizeof dir);
    snprintf(path, sizeof path, "%s/members", dir);
    *found = 0;
    rd r = { open_regular(path), NULL, 0, 0 };
    if (r.fd < 0) {
        if (errno == ENOENT) return HD_OK;   /* no --prepare: the part loads the applicants */
        if (errno == EINVAL || errno == ELOOP)
            return hd_fail(err, HD_EDATA, "%s: members file is not a regular file (a symlink, a directory, a FIFO?): "
                           "remove it, or run hedui run --prepare again", path);
        return hd_fail(err, HD_EIO, "%s: members file cannot be read: %s", path, strerror(errno));
    }
    char want[65], got[65], head[HEAD_SIZE + 1], layout[65], v[80], text[HEAD_SIZE];
    struct stat sb;
    if (sidecar(path, want) != 0 || fstat(r.fd, &sb) != 0) {
        close(r.fd);
        return hd_fail(err, HD_EDATA, "%s: damaged members file: its digest %s.sha256 is missing or unreadable", path, path);
    }
    r.h = hd_sha256_new();
    if (!r.h) { close(r.fd); return hd_fail(err, HD_ESOFTWARE, "out of memory reading %s", path); }
    take(&r, head, HEAD_SIZE);
    head[HEAD_SIZE] = 0;
    /* the counts first (they size the arrays), the digest over the whole
     * file next, and only then whose file it is: a damaged head is damage */
    const char *blank = r.bad ? NULL : memmem(head, HEAD_SIZE, "\n\n", 2);
    unsigned long nh = 0, nm = 0, ns = 0;
    int rc = HD_OK;
    if (r.eno) {
        rc = hd_fail(err, HD_EIO, "%s: members file cannot be read: %s", path, strerror(r.eno));
    } else if (!blank || (size_t)(blank - head) + 2 > sizeof text) {
        rc = hd_fail(err, HD_EDATA, "%s: damaged members file: no head", path);
    } else {
        memcpy(text, head, (size_t)(blank - head) + 2);
        text[blank - head + 2] = 0;
        if (!head_counts(text, (uint64_t)sb.st_size, &nh, &nm, &ns))
            rc = hd_fail(err, HD_EDATA, "%s: damaged members file: its size is not what its head counts", path);
    }
    hd_model *m = rc == HD_OK ? hd_model_new() : NULL;
    if (rc == HD_OK && !m) rc = hd_fail(err, HD_ESOFTWARE, "out of memory reading %s", path);
    char *strings = NULL;
    int body = rc == HD_OK ? read_raw(&r, m, (uint32_t)nh, (uint32_t)nm, ns, &strings) : 0;
    if (rc == HD_OK && body < 0) rc = hd_fail(err, HD_ESOFTWARE, "out of memory reading %s", path);
    unsigned char d[32];
    hd_sha256_final(r.h, d);
    hd_hex(d, 32, got);
    close(r.fd);
    if (rc == HD_OK && r.eno)
        rc = hd_fail(err, HD_EIO, "%s: members file cannot be read: %s", path, strerror(r.eno));
    if (rc == HD_OK && (!body || strcmp(got, want)))
        rc = hd_fail(err, HD_EDATA, "%s: damaged members file: its SHA-256 differs from %s.sha256 (truncated or altered)",
                     path, path);
    const uint8_t *start;
    if (rc == HD_OK)
        rc = hd_part_check_head(st, path, "members file", (const uint8_t *)head, HEAD_SIZE, MAGIC, set_digest, text,
                                sizeof text, &start, err);
    members_layout(layout);
    if (rc == HD_OK && (!hd_part_head_value(text, "members_layout", v, sizeof v) || strcmp(v, layout)))
        rc = hd_fail(err, HD_EDATA, "%s: foreign members file: written by another build of hedui (its layout differs)", path);
    if (rc == HD_OK && !resolve_all(m, (uint32_t)nh, (uint32_t)nm, strings, ns))
        rc = hd_fail(err, HD_EDATA, "%s: damaged members file: its body does not read as one", path);
    if (rc != HD_OK) { hd_model_free(m); return rc; }
    st->m = m;
    *found = 1;
    return HD_OK;
}
