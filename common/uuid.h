/* uuid.h - random (version 4) UUIDs for record ids, from libsodium's random source. */
#ifndef SONDEO_UUID_H
#define SONDEO_UUID_H

#include <stddef.h>

#define UUID_STRLEN 36

/* Writes a new lowercase UUID string into out (UUID_STRLEN + 1 bytes). */
void uuid_new(char out[UUID_STRLEN + 1]);
/* 1 if s is a UUID in canonical lowercase form, else 0. */
int uuid_valid(const char *s);

#endif
