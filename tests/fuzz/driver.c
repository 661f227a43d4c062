/* driver.c -- replays fuzz inputs without libFuzzer: the same target code
 * built by any compiler, run on seed and regression files (CTest
 * fuzz_replay_*; under `make asan` with ASan + UBSan). libFuzzer builds
 * (PAYATOM_FUZZ=ON, clang) link libFuzzer's own main instead.
 * Owns: reading files and directories given as arguments, one input each.
 * Not here: the targets (fuzz_*.c), corpus handling (run.sh). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	if (!fp) {
		fprintf(stderr, "cannot open %s\n", path);
		return 1;
	}
	size_t cap = 4096, len = 0, n;
	uint8_t *buf = malloc(cap);
	while (buf && (n = fread(buf + len, 1, cap - len, fp)) > 0) {
		len += n;
		if (len == cap) {
			uint8_t *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	fclose(fp);
	if (!buf)
		return 1;
	/* an exact-size copy, so ASan sees a read past the input */
	uint8_t *in = malloc(len ? len : 1);
	if (!in) {
		free(buf);
		return 1;
	}
	memcpy(in, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(in, len);
	free(in);
	return 0;
}

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	int fail = 0;
	size_t n = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0)
			continue; /* a regression folder not made yet */
		if (!S_ISDIR(st.st_mode)) {
			fail |= run_file(argv[i]);
			n++;
			continue;
		}
		DIR *d = opendir(argv[i]);
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", argv[i], de->d_name);
			fail |= run_file(path);
			n++;
		}
		if (d)
			closedir(d);
	}
	printf("%s: %zu inputs replayed\n", argv[0], n);
	return fail;
}
