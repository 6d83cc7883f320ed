/* embed.h - files built into a binary by scripts/embed.sh (the review page's files, in sondeod). */
#ifndef SONDEO_EMBED_H
#define SONDEO_EMBED_H

#include <stddef.h>

struct embedded_file {
	const char *name;              /* the file's name, without its directory: "app.js" */
	const unsigned char *data;     /* its bytes, NUL-terminated */
	size_t len;                    /* without the NUL */
};

#endif
