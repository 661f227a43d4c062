/* error.c -- messages and classes of the error list in error.h.
 * Not here: the list itself (include/payatom/error.h). */
#include <stdio.h>

#include "payatom/error.h"

static const struct {
	const char *name;
	const char *msg;
	char cls;
} errtab[] = {
#define PA__ERR_TAB(name, cls, msg) {#name, msg, (#cls)[0]},
	PA_ERR_MAP(PA__ERR_TAB)
#undef PA__ERR_TAB
};

const char *pa_strerror(pa_err_t err)
{
	if ((unsigned)err >= PA__ERR_COUNT)
		return "unknown error";
	return errtab[err].msg;
}

const char *pa_err_name(pa_err_t err)
{
	if ((unsigned)err >= PA__ERR_COUNT)
		return "UNKNOWN";
	return errtab[err].name;
}

int pa_err_is_retryable(pa_err_t err)
{
	return (unsigned)err < PA__ERR_COUNT && errtab[err].cls == 'R';
}

int pa_err_is_fatal(pa_err_t err)
{
	return (unsigned)err >= PA__ERR_COUNT || errtab[err].cls == 'F';
}

pa_err_t pa_seterr(char *errbuf, pa_err_t err, const char *fmt, ...)
{
	if (errbuf) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(errbuf, PA_ERRBUF_SIZE, fmt, ap);
		va_end(ap);
		if (n < 0)
			errbuf[0] = '\0';
	}
	return err;
}
