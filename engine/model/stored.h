/*
 * stored.h — the compact stored form of a matched record, for the batch
 * (engine-internal; readers use hd_model_record in hedui/model.h).
 *
 * Workers pack each matched row into an arena of their file's own
 * (hd_model_pack reads the model's members only, so many threads may pack
 * at once into different arenas); the merge hands the arena and the list
 * of packed records to the model in the fixed order (hd_model_adopt), and
 * no record is ever copied a second time.
 */
#ifndef HEDUI_MODEL_STORED_H
#define HEDUI_MODEL_STORED_H

#include "hedui/model.h"

struct hd_arena;

/* Packs rec into a: only its present fields; source, file and member
 * replace rec's. Strings equal to the member's ID, token or name are not
 * copied. NULL on out of memory. Thread-safe on a loaded, indexed model
 * (reads members only) as long as each thread has its own arena. */
hd_stored_record *hd_model_pack(const hd_model *m, struct hd_arena *a, const hd_record *rec,
                                uint16_t source, uint32_t file, uint32_t member);

/* Takes arena a over (always, even on failure: the caller must not free
 * it) and appends recs[0..n) (packed into a) to the model's records and
 * to their members' lists, in that order. Not thread-safe.
 * HD_ESOFTWARE on out of memory or a member out of range. */
int hd_model_adopt(hd_model *m, struct hd_arena *a, hd_stored_record *const *recs, uint32_t n,
                   hd_error *err);

/* The bytes of r's image (its header and packed data, as in memory): what a
 * part file (engine/batch/part.c) carries of a matched record. */
size_t hd_stored_image_size(const hd_stored_record *r);

/* Copies an image of n bytes (from a part file: untrusted) into a, after
 * checking that it is one well-formed stored record of a member below
 * nmembers whose packed data takes exactly the n bytes; *source, *file and
 * *kind receive its source, file index and record kind for the caller to
 * check. NULL when malformed or out of memory. */
hd_stored_record *hd_stored_image_load(struct hd_arena *a, const void *image, size_t n,
                                       uint32_t nmembers, uint32_t *source, uint32_t *file,
                                       unsigned *kind);

#endif
