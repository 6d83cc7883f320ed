/* fuzzkey.h - what the fuzz targets share: a fixed test key for those that sign or check signatures (the same
 * bytes every run), an input's text after its family byte, and a check of lowercase hex. */
#ifndef SONDEO_FUZZKEY_H
#define SONDEO_FUZZKEY_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"

/* The key pair made from 32 bytes of seed_byte, loaded through keys_load as a Sondeo secret key file would be
 * (written to a temporary directory and removed at exit). Aborts if it cannot. Kept for the process's life. */
struct keys *fuzz_key(unsigned char seed_byte);

/* The input after its first byte (which picks the parser in a family's target), NUL-terminated as buf.h keeps
 * every body and file read: NULL when size is 0 or memory runs out. The caller frees. */
char *fuzz_text(const uint8_t *data, size_t size);

/* 1 if s holds exactly n lowercase hex digits and ends there. */
int fuzz_lower_hex(const char *s, size_t n);

#endif
