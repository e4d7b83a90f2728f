// SPDX-License-Identifier: GPL-2.0-or-later
/* fuzz_main.c - run a libFuzzer target over files, without libFuzzer
 *
 * Linked with a fuzz target instead of -fsanitize=fuzzer, so any compiler
 * can replay a corpus as a regression test: `make check` runs each target
 * over its seed corpus (FUZZ_CORPUS, compiled in), and
 * `fuzz_x FILE|DIR...` replays crash files found elsewhere.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/**
 * run_file() - feed one file to the target
 * @path:	the file
 *
 * Return: 0, or -errno if it cannot be read.
 */
static int run_file(const char *path)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	long size;
	FILE *f;
	int ret;

	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET)) {
		ret = -errno;
		if (f)
			fclose(f);
		fprintf(stderr, "%s: %s\n", path, strerror(-ret));
		return ret;
	}
	buf = malloc((size_t)size + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(buf, 1, (size_t)size, f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int run_path(const char *path, unsigned int *count)
{
	struct dirent **ents;
	struct stat st;
	int n, i, ret = 0;

	if (stat(path, &st)) {
		ret = -errno;
		fprintf(stderr, "%s: %s\n", path, strerror(-ret));
		return ret;
	}
	if (!S_ISDIR(st.st_mode)) {
		(*count)++;
		return run_file(path);
	}
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0) {
		ret = -errno;
		fprintf(stderr, "%s: %s\n", path, strerror(-ret));
		return ret;
	}
	for (i = 0; i < n; i++) {
		char sub[4096];

		if (ents[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", path,
				 ents[i]->d_name);
			if (run_path(sub, count) < 0)
				ret = -EIO;
		}
		free(ents[i]);
	}
	free(ents);
	return ret;
}

int main(int argc, char **argv)
{
	unsigned int count = 0;
	int i, ret = 0;

	if (argc < 2) {
#ifdef FUZZ_CORPUS
		ret = run_path(FUZZ_CORPUS, &count);
#else
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
#endif
	}
	for (i = 1; i < argc; i++)
		if (run_path(argv[i], &count) < 0)
			ret = -EIO;
	printf("%s: %u inputs replayed\n", argv[0], count);
	if (!count)
		return 1;
	return ret ? 1 : 0;
}
