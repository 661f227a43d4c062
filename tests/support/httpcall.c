/* httpcall.c -- see httpcall.h. */
#include "httpcall.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "kafkat.h"
#include "pwtest.h"

typedef struct job {
	pwt_call_t *c;
	long timeout_ms;
	atomic_int done;
} job_t;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
	pwt_call_t *c = ud;
	size_t add = sz * n;
	char *nb = realloc(c->resp, c->resp_len + add + 1);
	if (!nb)
		return 0;
	memcpy(nb + c->resp_len, p, add);
	c->resp = nb;
	c->resp_len += add;
	nb[c->resp_len] = '\0';
	return add;
}

/* The request itself, blocking this thread; timeout_ms already stretched. */
static void perform(pwt_call_t *c, long timeout_ms)
{
	CURL *h = curl_easy_init();
	if (!h) {
		strcpy(c->err, "curl_easy_init failed");
		return;
	}
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->err);
	struct curl_slist *hd = NULL;
	if (c->body) {
		size_t n = c->body_len ? c->body_len : strlen(c->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, c->body);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)n);
		hd = curl_slist_append(hd, "Content-Type: application/json");
		hd = curl_slist_append(hd, "Expect:");
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	}
	if (c->method && !strcmp(c->method, "HEAD"))
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (c->method)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, c->method);
	if (c->source_ip)
		curl_easy_setopt(h, CURLOPT_INTERFACE, c->source_ip);
	if (curl_easy_perform(h) == CURLE_OK) {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &c->status);
		char *ct = NULL;
		curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
		if (ct)
			snprintf(c->ctype, sizeof c->ctype, "%s", ct);
	}
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
}

static void *run(void *ud)
{
	job_t *j = ud;
	perform(j->c, j->timeout_ms);
	atomic_store(&j->done, 1);
	return NULL;
}

static int finished(void *ud)
{
	return atomic_load(&((job_t *)ud)->done);
}

static void call_reset(pwt_call_t *c)
{
	c->status = 0;
	c->ctype[0] = c->err[0] = '\0';
	c->resp = NULL;
	c->resp_len = 0;
}

/* resp is never NULL after a call. */
static int call_done(pwt_call_t *c)
{
	if (!c->resp) {
		c->resp = calloc(1, 1);
		c->resp_len = 0;
	}
	return c->status != 0;
}

int pwt_call_run(pw_loop_t *loop, pwt_call_t *c, long timeout_ms)
{
	call_reset(c);
	curl_global_init(CURL_GLOBAL_DEFAULT); /* before any thread */
	job_t j = {.c = c, .timeout_ms = pwt_ms(timeout_ms)};
	atomic_init(&j.done, 0);
	pthread_t t;
	if (pthread_create(&t, NULL, run, &j) != 0)
		return 0;
	/* the thread's own timeout bounds it; the loop waits a bit longer */
	pwt_run_until(loop, finished, &j, timeout_ms + 2000);
	pthread_join(t, NULL);
	return call_done(c);
}

int pwt_call_blocking(pwt_call_t *c, long timeout_ms)
{
	call_reset(c);
	perform(c, pwt_ms(timeout_ms));
	return call_done(c);
}

void pwt_call_free(pwt_call_t *c)
{
	free(c->resp);
	c->resp = NULL;
}
