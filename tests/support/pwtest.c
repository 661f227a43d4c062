/* pwtest.c -- see pwtest.h. */
#include "pwtest.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

long pwt_ms(long base_ms)
{
	double scale = 1.0;
	const char *s = getenv("PAYATOM_TIMEOUT_SCALE");
	if (s && atof(s) > 0)
		scale = atof(s);
#ifdef PAYATOM_SANITIZED
	scale *= 4;
#endif
	if (getenv("PAYATOM_UNDER_VALGRIND"))
		scale *= 10;
	return (long)(base_ms * scale);
}

static const char *join(const char *env, const char *dflt, const char *name,
			char *buf, size_t size)
{
	const char *dir = getenv(env);
	if (!dir)
		dir = dflt;
	int n = snprintf(buf, size, "%s/%s", dir, name);
	if (n < 0 || (size_t)n >= size)
		buf[0] = '\0';
	return buf;
}

const char *pwt_data_path(const char *name, char *buf, size_t size)
{
	return join("PAYATOM_TEST_DATA", "tests/data", name, buf, size);
}

const char *pwt_bin_path(const char *name, char *buf, size_t size)
{
	return join("PAYATOM_BIN_DIR", "build/bin", name, buf, size);
}

char *pwt_read_data(const char *name, size_t *len)
{
	char path[1024];
	pwt_data_path(name, path, sizeof path);
	return pwt_read_file(path, len);
}

char *pwt_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);
	size_t r;
	while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (cap - n - 1 == 0) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

int64_t pwt_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int pwt_run_suite(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
