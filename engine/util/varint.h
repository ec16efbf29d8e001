/*
 * varint.h — LEB128 varints and zigzag signed integers, for the engine's
 * compact in-memory forms (stored matched records in engine/model/model.c,
 * kept judgements in engine/batch/batch.c). Not a file format: nothing
 * written to disk uses it.
 *
 * A varint holds 7 bits a byte, least significant first, the high bit set on
 * every byte but the last: at most 10 bytes for a uint64_t. Zigzag maps
 * 0, -1, 1, -2 ... to 0, 1, 2, 3 ... so small negative numbers stay short.
 * The reader trusts its input (it only reads what hd_varint_put wrote in the
 * same process): no bounds are checked. Pure functions, thread-safe.
 */
#ifndef HD_UTIL_VARINT_H
#define HD_UTIL_VARINT_H

#include <stddef.h>
#include <stdint.h>

/* Bytes hd_varint_put() writes for x (1 to 10). */
static inline size_t hd_varint_len(uint64_t x)
{
    size_t n = 1;
    while (x >= 0x80) { x >>= 7; n++; }
    return n;
}

/* Writes x at p; returns the byte after it. */
static inline uint8_t *hd_varint_put(uint8_t *p, uint64_t x)
{
    while (x >= 0x80) { *p++ = (uint8_t)(x | 0x80); x >>= 7; }
    *p++ = (uint8_t)x;
    return p;
}

/* Reads a varint at *pp and moves *pp past it. */
static inline uint64_t hd_varint_get(const uint8_t **pp)
{
    const uint8_t *p = *pp;
    uint64_t x = 0;
    for (int sh = 0;; sh += 7) {
        uint8_t b = *p++;
        x |= (uint64_t)(b & 0x7f) << sh;
        if (!(b & 0x80)) break;
    }
    *pp = p;
    return x;
}

static inline uint64_t hd_zigzag(int64_t v) { return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63); }
static inline int64_t hd_unzigzag(uint64_t x) { return (int64_t)(x >> 1) ^ -(int64_t)(x & 1); }

#endif
