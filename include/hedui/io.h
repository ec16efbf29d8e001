/*
 * hedui/io.h — the one streaming reader for every input file.
 *
 * A file is recognised by its content, not its name (SPEC §3): if it starts
 * with the zstd frame magic (28 B5 2F FD) or a skippable-frame magic
 * (0x184D2A50..0x184D2A5F, little-endian) it is decompressed as a sequence
 * of frames (RFC 8878: several frames concatenated, skippable frames
 * anywhere); otherwise its bytes are read as they are (an empty file is
 * an empty plain file: 0 bytes, no error).
 * The decoder keeps libzstd's default window limit (2^27 = 128 MiB):
 * frames made with zstd --long=28 or more are refused (HD_RF_CORRUPT,
 * "Frame requires too much memory for decoding"), never allocated.
 *
 * Memory: a reader owns fixed-size buffers (about 256 KiB in + the caller's
 * out buffer); memory does not grow with the file.
 * Thread-safety: one reader per thread; no global state.
 *
 * Decoding ahead.  A reader decodes on its caller's thread unless it was
 * given a core budget (hd_reader_use_cores) and a core of it is idle: then
 * a zstd file past its first MiB is decoded by a thread of the reader's
 * own while the caller parses, for as long as the file lasts, and the core
 * goes back to the budget when that thread ends. What a caller reads
 * (bytes, counters, faults, messages) is the same either way.
 */
#ifndef HEDUI_IO_H
#define HEDUI_IO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "hedui/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hd_reader hd_reader;

/* Idle cores that the readers of one run may borrow to decode ahead. */
typedef struct hd_cores hd_cores;

/*
 * A budget of `idle` cores (0 or more) free for decoding ahead.
 * @return the budget (free with hd_cores_free once no reader uses it), or
 *         NULL when out of memory (then readers decode in-line).
 * Thread-safety: every hd_cores_* call and the readers using it may run on
 * any threads at once.
 */
hd_cores *hd_cores_new(int idle);
/* One more core is idle (e.g. a worker found no more files to read). */
void hd_cores_give(hd_cores *c);
/* Frees the budget. NULL is allowed. */
void hd_cores_free(hd_cores *c);

/* Why a read failed (set together with the hd_error). */
typedef enum hd_read_fault {
    HD_RF_NONE = 0,
    HD_RF_OPEN,        /* cannot open (ENOENT -> status HD_ENOINPUT) */
    HD_RF_IO,          /* read(2) failed (EIO, file vanished...) */
    HD_RF_TRUNCATED,   /* the file ends inside a zstd frame */
    HD_RF_CORRUPT,     /* zstd says the data is corrupt / bad checksum /
                          trailing garbage that is not a frame */
    HD_RF_SIZE_CAP     /* decompressed more than max_bytes */
} hd_read_fault;

/*
 * Opens `path` for streaming.
 * @max_bytes  cap on decompressed (or plain) bytes; 0 = no cap. Exceeding
 *             it is a read error HD_RF_SIZE_CAP, never an out-of-memory.
 * @return HD_OK and *out set (caller frees with hd_reader_close), or
 *         HD_ENOINPUT (missing / unreadable file) with err set:
 *         "PATH: cannot open: <strerror>".
 */
int hd_reader_open(hd_reader **out, const char *path, uint64_t max_bytes,
                   hd_error *err);

/*
 * The same reader over an input already in memory (one household's rows
 * in an instant check, SPEC §11): data[0..len) is read as a file holding
 * those bytes would be (sniffed, plain or zstd, the cap, every fault and
 * message alike, `name` standing for the path in messages), without a
 * file, a descriptor or a copy into an input buffer. data must stay valid
 * and unchanged until hd_reader_close; the reader never writes to it and
 * never decodes ahead. @return HD_OK and *out set, or HD_ESOFTWARE (out of
 * memory).
 */
int hd_reader_open_mem(hd_reader **out, const char *name, const void *data, size_t len,
                       uint64_t max_bytes, hd_error *err);

/*
 * Reads up to `cap` decoded bytes into buf.
 * @return number of bytes (> 0), 0 at a clean end of file, or -1 on error:
 *         err->status = HD_EIO and err->message names the file and the
 *         compressed byte offset: "PATH: byte 1043: zstd: Corrupted block
 *         detected"; hd_reader_fault() tells which fault. Bytes returned
 *         before an error are valid decoded data. The offset of a corrupt
 *         frame is the start of the 4 KiB input slice in which libzstd
 *         failed (libzstd does not say where exactly); for a truncated
 *         file it is the file size. Errors are sticky.
 */
ssize_t hd_reader_read(hd_reader *r, void *buf, size_t cap, hd_error *err);

/*
 * Lets r decode ahead on a core of `c` when one is idle (see the top); c
 * NULL (the default): never, every byte is decoded on the caller's thread.
 * c must outlive r. Call before the first read.
 */
void hd_reader_use_cores(hd_reader *r, hd_cores *c);

/*
 * Decodes up to n bytes from the start of the input and keeps them: the
 * next reads return them first, then go on where decoding stopped (SPEC §7
 * sniffing looks at a file's start without decoding it twice). Call once,
 * before any other read. *out points at the bytes (valid until they have
 * all been read back or r is closed), *len is their number (less than n
 * at the end of the input or at an error, which the next read after them
 * reports). @return 0, or -1 (out of memory, n = 0, or called twice).
 */
int hd_reader_peek(hd_reader *r, size_t n, const unsigned char **out, size_t *len);

/* Whether the input was zstd-compressed (known after open).
 * @return 1 for a zstd input (a zstd or skippable frame magic), else 0. */
int hd_reader_is_zstd(const hd_reader *r);
/* @return the fault of the failed read (errors are sticky), HD_RF_NONE
 *         while no read has failed. */
hd_read_fault hd_reader_fault(const hd_reader *r);
/* @return hd_reader_in_bytes: bytes consumed from the file so far;
 *         hd_reader_out_bytes: decoded bytes produced so far. */
uint64_t hd_reader_in_bytes(const hd_reader *r);
uint64_t hd_reader_out_bytes(const hd_reader *r);
/* Size of the file on disk (from fstat at open).
 * @return the size in bytes; 0 when the path is not a regular file (a
 *         pipe); len for a reader over memory. */
uint64_t hd_reader_file_size(const hd_reader *r);
/* Closes the file and frees the reader. NULL is allowed. */
void hd_reader_close(hd_reader *r);

#ifdef __cplusplus
}
#endif
#endif
