/* promcheck.h -- a strict validator of the Prometheus text exposition
 * format 0.0.4, for tests that render or scrape metrics.
 * Checks: HELP then TYPE once per family, no family twice, metric and label
 * name grammar, label value escapes, sample values, samples inside their
 * family (histograms: _bucket/_sum/_count, le only on _bucket), no
 * negative counter, no duplicate series, trailing newline, histogram
 * buckets increasing in le and cumulative, +Inf bucket equal to _count. */
#ifndef PWT_PROMCHECK_H
#define PWT_PROMCHECK_H

#include <stddef.h>

/* NULL when text is valid; otherwise msg (msz bytes), naming the line and
 * the rule broken. */
const char *pwt_promcheck(const char *text, char *msg, size_t msz);

#endif
