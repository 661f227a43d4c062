/* pwtest.h -- helpers shared by the Check test programs.
 * Owns: timeout stretching under sanitizers/valgrind, paths to test data and
 *       built programs, reading whole files.
 * Not here: the loopback HTTP test server (testhttp.h). */
#ifndef PWTEST_H
#define PWTEST_H

#include <stddef.h>
#include <stdint.h>

/* base_ms stretched by PAYATOM_TIMEOUT_SCALE (env), ×4 under sanitizers and
 * ×10 under valgrind: every timeout in a test goes through this. */
long pwt_ms(long base_ms);

/* Path of tests/data/<name> into buf; returns buf. */
const char *pwt_data_path(const char *name, char *buf, size_t size);
/* Path of a built program (bin/<name>) into buf; returns buf. */
const char *pwt_bin_path(const char *name, char *buf, size_t size);

/* Reads tests/data/<name> whole. New (caller frees with free()); NUL
 * terminated; *len (if not NULL) gets the length. NULL when missing. */
char *pwt_read_data(const char *name, size_t *len);
/* The same for any file path. */
char *pwt_read_file(const char *path, size_t *len);

/* Monotonic milliseconds. */
int64_t pwt_now_ms(void);

/* Runs a Check suite (CK_NORMAL output), frees it; EXIT_SUCCESS when no
 * test failed: a test program's main is `return pwt_run_suite(suite());`. */
struct Suite;
int pwt_run_suite(struct Suite *s);

#endif
