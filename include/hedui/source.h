/*
 * hedui/source.h — format descriptors (formats/NAME.fmt, SPEC §3) and the
 * mapping of one CSV row onto a canonical record (SPEC §6 "Values").
 *
 * Adding a provider whose export looks different is a new descriptor,
 * never new code.
 *
 * Memory: a descriptor owns its strings; hd_descriptor_free releases all.
 * Thread-safety: a loaded descriptor is read-only and may be shared; the
 * row mapper writes only into the caller's hd_row_ctx.
 */
#ifndef HEDUI_SOURCE_H
#define HEDUI_SOURCE_H

#include "hedui/record.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hd_vmap { uint8_t field; char *from; uint32_t len; int to; } hd_vmap;  /* len = strlen(from) */

typedef struct hd_descriptor {
    char path[4096];
    hd_kind kind;
    hd_csv_opts csv;             /* encoding, delimiter, quote, skip, trailer, max_line */
    int header;                  /* 1: columns by header name */
    int fields;                  /* expected field count, 0 when not given */
    int id_token;                /* id_form = token */
    int status_letters;          /* vehicle status as one-letter codes */
    uint64_t max_bytes;          /* decompressed-size cap per file, 0 = none */
    /* [columns]: for each canonical field, the header name or #position */
    char *col_name[HD_F__COUNT];
    int col_pos[HD_F__COUNT];    /* 1-based position when given as #N, else 0 */
    hd_fid order[HD_F__COUNT];   /* mapped fields in [columns] order */
    int norder;
    /* [units] */
    hd_money_unit money[HD_F__COUNT];
    char *formats[HD_F__COUNT];  /* date / period formats, NULL = default */
    hd_share_unit share;
    /* [values] */
    hd_vmap *values; int nvalues;
    hd_ftype type[HD_F__COUNT];  /* hd_field_type() of every field, for the hot path */
    unsigned char ymd[HD_F__COUNT]; /* hd_ymd_mask() of each date / period field's formats */
    /* values[] grouped by field, file order kept within a field (the
     * entries share values[]' strings): field f's are
     * vby[vfirst[f] .. vfirst[f] + vcount[f]) */
    hd_vmap *vby;
    uint16_t vfirst[HD_F__COUNT], vcount[HD_F__COUNT];
} hd_descriptor;

/*
 * Loads a descriptor. Every error is HD_ECONFIG with "PATH:LINE: reason"
 * (unknown kind / key / canonical field / unit, a required field not
 * mapped, a money field without a unit, a [values] target that is not
 * canonical, delimiter not one character, ...). Missing file: HD_ENOINPUT.
 * @return HD_OK and *out (free with hd_descriptor_free); HD_ENOINPUT
 *         (missing or unreadable file); HD_ECONFIG; HD_ESOFTWARE out of
 *         memory. *out is NULL on failure.
 */
int hd_descriptor_load(hd_descriptor **out, const char *path, hd_error *err);
void hd_descriptor_free(hd_descriptor *d);

/*
 * Resolves column positions: from the header record (names matched exactly
 * after trimming; a mapped header missing or appearing twice, or `fields`
 * disagreeing with the header, is HD_R_HEADER_MISMATCH with a message in
 * err), or from #N positions when there is no header. pos[f] is the
 * 0-based column of field f or -1. *nfields_out = expected field count.
 * @return HD_R_NONE, or HD_R_HEADER_MISMATCH (also when the descriptor
 *         has a header and `header` is NULL) with err->status HD_EDATA.
 */
hd_reason hd_descriptor_bind(const hd_descriptor *d, const hd_csv_record *header,
                             int pos[HD_F__COUNT], int *nfields_out, hd_error *err);

/* Per-thread scratch for row mapping (normalised ID / token storage). */
typedef struct hd_row_ctx {
    hd_id id;
    char token[65];
} hd_row_ctx;

/*
 * Maps a data row onto rec (rec->v[] filled; kind set; strings point into
 * the row's buffers or ctx and are NOT NUL-terminated — use v.n).
 * Reports the first fault in SPEC §6 order: tokenizer faults (line too
 * long, unbalanced or stray quote, NUL byte, truncated), FIELD_COUNT,
 * ENCODING, the ID, then the other mapped fields in [columns] order.
 * @return HD_R_NONE, or the reason; *bad_field (if not NULL) gets the field
 *         at fault or -1.
 */
hd_reason hd_row_map(const hd_descriptor *d, const int pos[HD_F__COUNT], int nfields,
                     const hd_csv_record *row, hd_date as_of, hd_row_ctx *ctx,
                     hd_record *rec, int *bad_field);

/*
 * hd_row_map, and id_known(arg, id18) (not NULL) is called with the row's
 * normalised 18-character ID as soon as it is known, before the row's other
 * cells are read: the batch asks the cache for the join index's entry of
 * it meanwhile (hd_model_prefetch_id). Not called for a token column.
 * @return as hd_row_map.
 */
hd_reason hd_row_map_id(const hd_descriptor *d, const int pos[HD_F__COUNT], int nfields,
                        const hd_csv_record *row, hd_date as_of, hd_row_ctx *ctx,
                        hd_record *rec, int *bad_field,
                        void (*id_known)(void *arg, const char *id18), void *arg);

/*
 * Parses the one cell of field f (not the ID) of a row as hd_row_map
 * would, e.g. to keep what a rejected row still says. v->present is 1 on
 * success.
 * @return HD_R_NONE, the cell's fault, or HD_R_MISSING when the row has no
 *         such cell, it is empty, or the row itself is at fault.
 */
hd_reason hd_row_cell(const hd_descriptor *d, const int pos[HD_F__COUNT], const hd_csv_record *row,
                      hd_fid f, hd_value *v);

#ifdef __cplusplus
}
#endif
#endif
