/*
 * ixfile.h — what the index's writer (report/ixwriter.c, fed by
 * batch/index.c or the run) and its reader (index/lookup.c) share:
 * the keyed MAC of index tokens, the on-disk layout, the record codec, and
 * the writer's entry points.
 *
 * tokens.bin:     hd_ix_header, then ntokens hd_ix_slot sorted by token
 * records.bin:    for each slot, count records at [off, off + len): each
 *                 a LEB128 length then the record (ix_encode)
 * unreadable.bin: hd_ix_header, then n hd_ix_unread sorted by (token,
 *                 file, line)
 * Integers are little-endian (the engine builds on x86-64 and arm64 Linux;
 * the header records the byte order and a foreign one is refused).
 */
#ifndef HEDUI_REPORT_IXFILE_H
#define HEDUI_REPORT_IXFILE_H

#include <stdint.h>
#include "hedui/index.h"

#define IX_MAGIC_TOKENS "HDIXTOK1"
#define IX_MAGIC_UNREAD "HDIXUNR1"
#define IX_FORMAT "hedui-index/1"

typedef struct hd_ix_header {      /* 64 bytes */
    char magic[8];
    uint32_t endian;               /* 0x01020304 as written */
    uint32_t entry_size;           /* sizeof the entries that follow */
    uint64_t count;                /* entries */
    uint64_t payload;              /* records.bin's size (tokens.bin), 0 */
    unsigned char digest[32];      /* the index digest */
} hd_ix_header;

typedef struct hd_ix_slot {        /* 48 bytes */
    unsigned char token[32];
    uint64_t off;                  /* into records.bin */
    uint32_t count;                /* records */
    uint32_t len;                  /* bytes */
} hd_ix_slot;

typedef struct hd_ix_unread {      /* 48 bytes */
    unsigned char token[32];
    uint32_t file;                 /* file ordinal in the index (meta.ini) */
    uint32_t reason;               /* hd_reason of the row's quarantine */
    uint64_t line;
} hd_ix_unread;

_Static_assert(sizeof(hd_ix_header) == 64, "header layout");
_Static_assert(sizeof(hd_ix_slot) == 48, "slot layout");
_Static_assert(sizeof(hd_ix_unread) == 48, "unreadable layout");

/* HMAC-SHA256 under one key, re-initialised per token (one per thread). */
typedef struct ix_mac ix_mac;
ix_mac *ix_mac_new(const hd_key *key);
/* A copy of m for another thread (no key set-up, no fetch). */
ix_mac *ix_mac_dup(const ix_mac *m);
void ix_mac_free(ix_mac *m);
/* HMAC(key, prefix + a + b) */
void ix_mac_run(ix_mac *m, const char *prefix, const char *a, size_t an, unsigned char out[32]);

/* The index token of a member's ID, of a tokenised source's token cell,
 * and the hex token of a name (in the §6 Names form; the first 128 bits of
 * the HMAC as 32 hex digits + NUL; -1 out of memory). */
void ix_token_id(ix_mac *m, const char *id18, unsigned char out[32]);
void ix_token_token(ix_mac *m, const char *token64, unsigned char out[32]);
int ix_token_name(ix_mac *m, const char *s, size_t n, char out[65]);

/* The token a tokenised source carries for a member ID (what `hedui
 * tokenize` writes): HMAC(provider key, "hedui:v2:member:" + ID) as 64 hex
 * digits, m made with ix_mac_new on the provider's key (SPEC §8). */
void ix_provider_token(ix_mac *m, const hd_id *id, char out[65]);

/* Record codec: kind, source, file ordinal, line, then each present field
 * but the ID (field number, then a zigzag varint or length + bytes).
 * ix_encode writes at most ix_encode_max(rec) bytes into p; ix_decode
 * fills *rec (strings point into p: not NUL-terminated in the blob, so
 * they are copied into `strs`, a buffer of at least len bytes + one NUL a
 * field). */
size_t ix_encode_max(const hd_record *rec);
size_t ix_encode(const hd_record *rec, uint8_t *p);
int ix_decode(const uint8_t *p, size_t len, hd_record *rec, char *strs, size_t strs_cap);

/* The writer (ixwriter.c): fed the rows of one scan by `hedui index` or by
 * the run (`[job] index = yes`); one ix_worker per scanning thread. */
struct hd_results;
typedef struct ix_writer ix_writer;
typedef struct ix_worker ix_worker;
int ix_writer_new(ix_writer **out, const struct hd_results *st, uint32_t first, const hd_index_opts *opts,
                  hd_index_result *res, hd_error *err);
ix_worker *ix_writer_worker(ix_writer *w);
int ix_worker_row(ix_worker *k, uint32_t result, int source, const int *pos, const hd_csv_record *row,
                  hd_record *rec, hd_reason reason);
int ix_worker_done(ix_worker *k);
int ix_writer_finish(ix_writer *w, const struct hd_results *st, hd_index_result *res, hd_error *err);
void ix_writer_free(ix_writer *w);

/* `[job] index = yes` (SPEC §11; report/ixwriter.c, called by batch.c): begin
 * once the inputs are hashed, before the scan (st->ixw set, or NULL and
 * dir filled when the index exists and verifies); hd_run_index_row for
 * each row the scan reads; end once the sources' damage is decided
 * (meta.ini written; the merge and the manifest go on on a thread of their
 * own while the run judges); join before the run returns (the index in
 * place, its directory into out). hd_run_index_free (free_state, first:
 * the thread reads the job and the policy) waits for it on any other path. */
int hd_run_index_begin(struct hd_results *st, char *dir, size_t cap, hd_error *err);
struct ix_worker *hd_run_index_worker(struct hd_results *st);
int hd_run_index_row(struct ix_worker *k, uint32_t result, int source, const int *pos,
                     const hd_csv_record *row, hd_record *rec, hd_reason reason);
int hd_run_index_done(struct ix_worker *k);
int hd_run_index_end(struct hd_results *st, hd_error *err);
int hd_run_index_join(struct hd_results *st, char *out, size_t cap, hd_error *err);
void hd_run_index_free(struct hd_results *st);

#endif
