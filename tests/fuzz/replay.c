/* replay.c - runs a libFuzzer target's LLVMFuzzerTestOneInput once on each file named on the command line (a
 * directory stands for the files in it), so that a fuzz target and its corpus run under any compiler without
 * libFuzzer: a crash or sanitizer report fails the run. Prints "replayed N inputs"; exits 0, or 2 when a file
 * cannot be read. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Inputs bigger than this are not fuzz inputs. */
#define REPLAY_MAX_INPUT ((size_t)64 << 20)

static int replay_file(const char *path, size_t *count)
{
	struct buf b = BUF_INIT(REPLAY_MAX_INPUT);
	unsigned char *copy;
	size_t len;

	if (buf_read_file(&b, path) < 0) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		buf_release(&b);
		return -1;
	}
	/* An exact-size copy, so that a read past the end of the input is caught by the sanitizers. */
	len = b.len;
	copy = malloc(len ? len : 1);
	if (!copy) {
		buf_release(&b);
		return -1;
	}
	memcpy(copy, b.data, len);
	buf_release(&b);
	LLVMFuzzerTestOneInput(copy, len);
	free(copy);
	(*count)++;
	return 0;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int i, bad = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *e;

			if (!d) {
				fprintf(stderr, "replay: cannot open '%s'\n", argv[i]);
				bad = 1;
				continue;
			}
			while ((e = readdir(d))) {
				char path[4096];

				if (e->d_name[0] == '.')
					continue;
				snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
				if (replay_file(path, &count) < 0)
					bad = 1;
			}
			closedir(d);
		} else if (replay_file(argv[i], &count) < 0) {
			bad = 1;
		}
	}
	printf("replayed %zu inputs\n", count);
	return bad ? 2 : 0;
}
