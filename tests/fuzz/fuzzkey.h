/* fuzzkey.h - a fixed test key for the fuzz targets that sign or check signatures: the same bytes every run. */
#ifndef SONDEO_FUZZKEY_H
#define SONDEO_FUZZKEY_H

#include "keys.h"

/* The key pair made from 32 bytes of seed_byte, loaded through keys_load as a Sondeo secret key file would be
 * (written to a temporary directory and removed at exit). Aborts if it cannot. Kept for the process's life. */
struct keys *fuzz_key(unsigned char seed_byte);

#endif
