/* uuid.c - random (version 4) UUIDs. */
#include "uuid.h"

#include <sodium.h>
#include <string.h>

#include "util.h"
#include "banned.h"

void uuid_new(char out[UUID_STRLEN + 1])
{
	unsigned char b[16];
	char hex[33];

	randombytes_buf(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
	hex_encode(hex, b, sizeof(b));
	memcpy(out, hex, 8);
	out[8] = '-';
	memcpy(out + 9, hex + 8, 4);
	out[13] = '-';
	memcpy(out + 14, hex + 12, 4);
	out[18] = '-';
	memcpy(out + 19, hex + 16, 4);
	out[23] = '-';
	memcpy(out + 24, hex + 20, 12);
	out[36] = '\0';
}

int uuid_valid(const char *s)
{
	size_t i;

	if (strlen(s) != UUID_STRLEN)
		return 0;
	for (i = 0; i < UUID_STRLEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return 0;
		}
	}
	return 1;
}
