/* client_h1.c -- libpayatom's own HTTP/1.1 engine: the calls, connections
 * and timers behind pa_client_t (client_h1.h says why).
 * Owns: origins (scheme, host, port) with their addresses, TLS session and
 *       idle connections (most recently used first) and the calls waiting
 *       for a connection; connections (connect, TLS handshake, one request
 *       at a time, keep-alive); calls (request bytes, response, deadline);
 *       the resolver threads for host names; the one timer and the fd
 *       interests handed to the caller's loop.
 * Not here: URL/request/response formats (client_h1_wire.c), the public
 *           API and argument checks (client.c).
 *
 * An idle connection stays registered for reading with the caller's loop
 * (a server closing it is noticed at once, and reusing it costs no
 * epoll_ctl); a request goes out from pa_client_send() itself when a
 * connection is idle. Replies and failures are delivered only from the
 * action functions, never from inside pa_client_send() or
 * pa_client_cancel(). A reused connection that fails before any byte of
 * its reply is retried once on a new connection, as libcurl does. */
#include "client_h1.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Addresses of a name are used this long (libcurl's DNS cache timeout). */
#define DNS_TTL_MS 60000
/* An idle connection older than this is closed rather than reused
 * (libcurl's CURLOPT_MAXAGE_CONN is 118 s). */
#define IDLE_MAX_MS 110000
/* Calls kept for reuse with their buffers; beyond this they are freed. */
#define POOL_MAX 4096
/* A pooled call keeps at most this much buffer. */
#define KEEP_BUF_MAX (64 * 1024)
/* Bytes asked of one read(). */
#define READ_CHUNK 4096
#define MAX_ADDRS 8
#define NEVER INT64_MAX

typedef struct h1_origin h1_origin_t;
typedef struct h1_conn h1_conn_t;
typedef struct pa__h1_call h1_call_t;

enum { C_CONNECTING, C_TLS, C_IDLE, C_BUSY };
enum { K_WAITING, K_SENDING, K_RECEIVING, K_FAILED };

struct pa__h1_call {
	pa__h1_t *h;
	h1_origin_t *org;
	h1_conn_t *conn;
	int state;
	int head;    /* HEAD: no body in the reply */
	int reused;  /* sent on a connection that served before */
	int retried; /* already sent again on a new connection */
	char *req;
	size_t req_len, req_cap, req_off;
	pa__h1_resp_t resp;
	pa_reply_cb cb;
	void *ud;
	pa_op_t op;
	char order_id[64];
	int64_t deadline;
	pa_err_t fail; /* K_FAILED: delivered by the next action */
	char failmsg[PA_ERRBUF_SIZE];
	h1_call_t *prev, *next; /* h->active (deadline order), h->pool */
	h1_call_t *wnext;	/* org wait queue, or h->failed */
};

struct h1_conn {
	pa__h1_t *h;
	h1_origin_t *org;
	int fd;
	SSL *ssl;
	int state;
	int watched; /* PA_POLL_* handed to the loop, 0 none */
	int ai;	     /* address tried */
	int uses;
	int64_t since; /* connect start, or idle since */
	h1_call_t *call;
	h1_conn_t *prev, *next; /* org->idle or h->connecting */
};

struct h1_origin {
	uint64_t id;
	int tls, ip6, numeric;
	char host[256];
	uint16_t port;
	struct sockaddr_storage addr[MAX_ADDRS];
	socklen_t alen[MAX_ADDRS];
	int naddr;
	int64_t resolved_at;
	int resolving;
	SSL_SESSION *sess;
	h1_conn_t *idle; /* most recently used first */
	size_t nconn;	 /* open or opening */
	size_t nopening; /* connecting or in the TLS handshake */
	h1_call_t *wait_head, *wait_tail;
	size_t nwait;
	int dispatching; /* dispatch() is running for it (no recursion) */
	h1_origin_t *next;
};

struct pa__h1 {
	pa_client_t *owner;
	pa_client_opts_t o;
	SSL_CTX *tls;
	h1_origin_t *origins;
	uint64_t next_origin_id;
	h1_call_t *active, *active_tail; /* send order = deadline order */
	size_t n_active;
	h1_call_t *failed, *failed_tail;
	h1_call_t *pool;
	size_t n_pool;
	h1_conn_t *connecting, *connecting_tail; /* start order */
	h1_conn_t **byfd;
	size_t nbyfd;
	size_t nconn;
	int res_fd[2]; /* resolver answers: [0] read here, [1] threads dup */
	int res_watched;
	pa_socket_cb socket_cb;
	void *socket_ud;
	pa_timer_cb timer_cb;
	void *timer_ud;
	int64_t armed; /* deadline handed to timer_cb, NEVER for none */
	int in_action;
	int64_t last_sweep;
	pa_client_stats_t stats;
	char errbuf[PA_ERRBUF_SIZE];
};

struct res_job {
	uint64_t origin_id;
	char host[256];
	char port[8];
	int fd;
	int gai;
	int naddr;
	struct sockaddr_storage addr[MAX_ADDRS];
	socklen_t alen[MAX_ADDRS];
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void dispatch(pa__h1_t *h, h1_origin_t *org);
static void rearm(pa__h1_t *h);
static void write_some(h1_call_t *c);

/* ---- the caller's loop -------------------------------------------------- */

static void watch(pa__h1_t *h, int fd, int what, int *cur)
{
	if (*cur == what)
		return;
	*cur = what;
	if (h->socket_cb)
		h->socket_cb(fd, what ? what : PA_POLL_REMOVE, h->socket_ud);
}

static int byfd_set(pa__h1_t *h, int fd, h1_conn_t *k)
{
	if ((size_t)fd >= h->nbyfd) {
		size_t n = h->nbyfd ? h->nbyfd : 256;
		while (n <= (size_t)fd)
			n *= 2;
		h1_conn_t **nb = realloc(h->byfd, n * sizeof *nb);
		if (!nb)
			return 0;
		memset(nb + h->nbyfd, 0, (n - h->nbyfd) * sizeof *nb);
		h->byfd = nb;
		h->nbyfd = n;
	}
	h->byfd[fd] = k;
	return 1;
}

/* ---- lists -------------------------------------------------------------- */

static void active_unlink(pa__h1_t *h, h1_call_t *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		h->active = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		h->active_tail = c->prev;
	c->prev = c->next = NULL;
	h->n_active--;
}

static void wait_push(h1_origin_t *org, h1_call_t *c, int front)
{
	c->state = K_WAITING;
	c->wnext = NULL;
	if (front) {
		c->wnext = org->wait_head;
		org->wait_head = c;
		if (!org->wait_tail)
			org->wait_tail = c;
	} else {
		if (org->wait_tail)
			org->wait_tail->wnext = c;
		else
			org->wait_head = c;
		org->wait_tail = c;
	}
	org->nwait++;
}

static h1_call_t *wait_pop(h1_origin_t *org)
{
	h1_call_t *c = org->wait_head;
	if (c) {
		org->wait_head = c->wnext;
		if (!org->wait_head)
			org->wait_tail = NULL;
		c->wnext = NULL;
		org->nwait--;
	}
	return c;
}

/* Removes c from a singly linked queue (head/tail); 1 when found. */
static int queue_remove(h1_call_t **head, h1_call_t **tail, h1_call_t *c)
{
	h1_call_t *prev = NULL;
	for (h1_call_t *x = *head; x; prev = x, x = x->wnext) {
		if (x != c)
			continue;
		if (prev)
			prev->wnext = x->wnext;
		else
			*head = x->wnext;
		if (*tail == x)
			*tail = prev;
		x->wnext = NULL;
		return 1;
	}
	return 0;
}

static void conn_list_unlink(h1_conn_t *k)
{
	pa__h1_t *h = k->h;
	if (k->state == C_IDLE) {
		if (k->prev)
			k->prev->next = k->next;
		else
			k->org->idle = k->next;
		if (k->next)
			k->next->prev = k->prev;
	} else if (k->state == C_CONNECTING || k->state == C_TLS) {
		if (k->prev)
			k->prev->next = k->next;
		else
			h->connecting = k->next;
		if (k->next)
			k->next->prev = k->prev;
		else
			h->connecting_tail = k->prev;
	}
	k->prev = k->next = NULL;
}

/* ---- calls -------------------------------------------------------------- */

static void call_put(pa__h1_t *h, h1_call_t *c)
{
	/* request and reply carry credentials and personal data */
	if (c->req)
		explicit_bzero(c->req, c->req_len);
	if (c->resp.buf)
		explicit_bzero(c->resp.buf, c->resp.len);
	if (h->n_pool >= POOL_MAX) {
		free(c->req);
		free(c->resp.buf);
		free(c);
		return;
	}
	if (c->req_cap > KEEP_BUF_MAX) {
		free(c->req);
		c->req = NULL;
		c->req_cap = 0;
	}
	if (c->resp.cap > KEEP_BUF_MAX) {
		free(c->resp.buf);
		c->resp.buf = NULL;
		c->resp.cap = 0;
	}
	c->next = h->pool;
	h->pool = c;
	h->n_pool++;
}

static h1_call_t *call_get(pa__h1_t *h)
{
	h1_call_t *c = h->pool;
	if (c) {
		h->pool = c->next;
		h->n_pool--;
	} else if (!(c = calloc(1, sizeof *c))) {
		return NULL;
	}
	char *req = c->req, *rb = c->resp.buf;
	size_t rc = c->req_cap, bc = c->resp.cap;
	memset(c, 0, sizeof *c);
	c->req = req;
	c->req_cap = rc;
	c->resp.buf = rb;
	c->resp.cap = bc;
	c->h = h;
	return c;
}

/* Hands the reply to the caller and recycles the call, which is out of
 * every list and connection. */
static void deliver(pa__h1_t *h, h1_call_t *c, pa_err_t err, const char *msg)
{
	pa_reply_t r;
	memset(&r, 0, sizeof r);
	r.err = err;
	r.http_status = c->resp.status;
	if (err == PA_OK) {
		long st = c->resp.status;
		r.err = st >= 200 && st <= 299	 ? PA_OK
			: st == 429		 ? PA_RATE_LIMITED
			: st >= 500 && st <= 599 ? PA_HTTP_5XX
			: st == 401 || st == 403 ? PA_AUTH
			: st == 408		 ? PA_TIMEOUT
						 : PA_HTTP_STATUS;
		if (r.err != PA_OK)
			snprintf(r.errmsg, sizeof r.errmsg, "HTTP %ld", st);
		if (r.err == PA_RATE_LIMITED || r.err == PA_HTTP_5XX)
			r.retry_after_s = c->resp.retry_after;
	} else {
		snprintf(r.errmsg, sizeof r.errmsg, "%s", msg);
	}
	r.outcome = r.err == PA_OK		   ? PA_OUTCOME_SUCCESS
		    : pa_err_is_retryable(r.err) ? PA_OUTCOME_RETRYABLE
						 : PA_OUTCOME_FATAL;
	r.body = "";
	if (c->resp.buf && (err == PA_OK || c->resp.body_off)) {
		/* the body, or what came of it (for logs) */
		c->resp.buf[c->resp.body_off + c->resp.body_len] = '\0';
		r.body = c->resp.buf + c->resp.body_off;
		r.body_len = c->resp.body_len;
	}
	r.op = c->op;
	r.order_id = c->order_id;
	h->stats.completed++;
	c->cb(h->owner, &r, c->ud);
	call_put(h, c);
}

/* c ends with err: detached from its connection (the caller dealt with
 * it) and queued for the next action's delivery. */
static void call_fail(h1_call_t *c, pa_err_t err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void call_fail(h1_call_t *c, pa_err_t err, const char *fmt, ...)
{
	pa__h1_t *h = c->h;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->failmsg, sizeof c->failmsg, fmt, ap);
	va_end(ap);
	c->fail = err;
	c->conn = NULL;
	c->state = K_FAILED;
	c->wnext = NULL;
	if (h->failed_tail)
		h->failed_tail->wnext = c;
	else
		h->failed = c;
	h->failed_tail = c;
	rearm(h);
}

/* ---- connections -------------------------------------------------------- */

static void conn_drop(h1_conn_t *k)
{
	pa__h1_t *h = k->h;
	h1_origin_t *org = k->org;
	conn_list_unlink(k);
	if (k->state == C_CONNECTING || k->state == C_TLS)
		org->nopening--;
	org->nconn--;
	h->nconn--;
	if (k->fd >= 0) {
		watch(h, k->fd, 0, &k->watched);
		if ((size_t)k->fd < h->nbyfd)
			h->byfd[k->fd] = NULL;
		if (k->ssl)
			SSL_free(k->ssl);
		close(k->fd);
	}
	free(k);
}

/* The connection of c broke before its reply was whole. A reused
 * connection that failed before any byte of the reply (a server closing
 * it as we wrote) is retried once on a new connection; else c fails. */
static void conn_broken(h1_call_t *c, pa_err_t err, const char *msg)
{
	h1_conn_t *k = c->conn;
	h1_origin_t *org = c->org;
	c->conn = NULL;
	conn_drop(k);
	if (c->reused && !c->retried && c->resp.len == 0 &&
	    err == PA_CONNECT) {
		c->retried = 1;
		c->reused = 0;
		c->req_off = 0;
		wait_push(org, c, 1);
		dispatch(c->h, org);
		return;
	}
	call_fail(c, err, "%s", msg);
	dispatch(c->h, org);
}

static void attach(h1_conn_t *k, h1_call_t *c)
{
	k->state = C_BUSY;
	k->call = c;
	k->uses++;
	c->conn = k;
	c->reused = k->uses > 1;
	c->req_off = 0;
	pa__h1_resp_reset(&c->resp, c->h->o.max_response_bytes, c->head);
	c->state = K_SENDING;
	write_some(c);
}

/* k is ready for a request: the next waiting call, else idle (watched for
 * reading, so that a server closing it is seen). */
static void conn_release(h1_conn_t *k)
{
	pa__h1_t *h = k->h;
	h1_origin_t *org = k->org;
	k->call = NULL;
	h1_call_t *c = wait_pop(org);
	if (c) {
		attach(k, c);
		return;
	}
	k->state = C_IDLE;
	k->since = now_ms();
	k->prev = NULL;
	k->next = org->idle;
	if (org->idle)
		org->idle->prev = k;
	org->idle = k;
	watch(h, k->fd, PA_POLL_IN, &k->watched);
}

static void conn_ready(h1_conn_t *k)
{
	h1_origin_t *org = k->org;
	conn_list_unlink(k);
	org->nopening--;
	k->h->stats.new_connections++;
	if (k->ssl) {
		SSL_SESSION *s = SSL_get1_session(k->ssl);
		if (s) {
			SSL_SESSION_free(org->sess);
			org->sess = s;
		}
	}
	k->state = C_BUSY; /* in no list until conn_release puts it */
	conn_release(k);
}

/* A connection that could not be made fails the oldest call waiting for
 * one (each opening connection stands for one waiting call). */
static void conn_failed(h1_conn_t *k, pa_err_t err, const char *msg)
{
	h1_origin_t *org = k->org;
	pa__h1_t *h = k->h;
	conn_drop(k);
	h1_call_t *c = wait_pop(org);
	if (c)
		call_fail(c, err, "%s", msg);
	dispatch(h, org);
}

static int tls_ctx(pa__h1_t *h)
{
	if (h->tls)
		return 1;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return 0;
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
				      SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
				      SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT |
						    SSL_SESS_CACHE_NO_INTERNAL);
	if (!h->o.tls_no_verify) {
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
		int ok = h->o.ca_file ? SSL_CTX_load_verify_locations(
						ctx, h->o.ca_file, NULL)
				      : SSL_CTX_set_default_verify_paths(ctx);
		if (!ok) {
			SSL_CTX_free(ctx);
			return 0;
		}
	}
	h->tls = ctx;
	return 1;
}

static void handshake(h1_conn_t *k)
{
	pa__h1_t *h = k->h;
	ERR_clear_error();
	int rc = SSL_do_handshake(k->ssl);
	if (rc == 1) {
		conn_ready(k);
		return;
	}
	int e = SSL_get_error(k->ssl, rc);
	if (e == SSL_ERROR_WANT_READ) {
		watch(h, k->fd, PA_POLL_IN, &k->watched);
		return;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		watch(h, k->fd, PA_POLL_OUT, &k->watched);
		return;
	}
	char msg[PA_ERRBUF_SIZE];
	long vr = SSL_get_verify_result(k->ssl);
	unsigned long ee = ERR_peek_error();
	if (vr != X509_V_OK)
		snprintf(msg, sizeof msg, "SSL certificate problem: %s",
			 X509_verify_cert_error_string(vr));
	else if (ee)
		snprintf(msg, sizeof msg, "TLS handshake: %s",
			 ERR_reason_error_string(ee) ? ERR_reason_error_string(ee)
						     : "failed");
	else
		snprintf(msg, sizeof msg, "TLS handshake: connection closed");
	ERR_clear_error();
	/* the peer's TLS refused or unverifiable: fatal, as libcurl's
	 * CURLE_SSL_CONNECT_ERROR and CURLE_PEER_FAILED_VERIFICATION */
	conn_failed(k, PA_TLS, msg);
}

static void connected(h1_conn_t *k)
{
	pa__h1_t *h = k->h;
	h1_origin_t *org = k->org;
	if (!org->tls) {
		conn_ready(k);
		return;
	}
	if (!tls_ctx(h) || !(k->ssl = SSL_new(h->tls)) ||
	    !SSL_set_fd(k->ssl, k->fd)) {
		conn_failed(k, PA_TLS, "TLS: cannot set up (CA file?)");
		return;
	}
	if (!org->numeric)
		SSL_set_tlsext_host_name(k->ssl, org->host);
	if (!h->o.tls_no_verify) {
		if (org->numeric)
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(k->ssl),
						      org->host);
		else
			SSL_set1_host(k->ssl, org->host);
	}
	if (org->sess)
		SSL_set_session(k->ssl, org->sess);
	SSL_set_connect_state(k->ssl);
	k->state = C_TLS;
	handshake(k);
}

/* Starts (or, after a failure, goes on with) connecting k to its next
 * address. */
static void connect_next(h1_conn_t *k, int errnum)
{
	pa__h1_t *h = k->h;
	h1_origin_t *org = k->org;
	while (k->ai < org->naddr) {
		const struct sockaddr *sa =
			(const struct sockaddr *)&org->addr[k->ai];
		socklen_t sl = org->alen[k->ai];
		k->ai++;
		if (k->fd >= 0) {
			watch(h, k->fd, 0, &k->watched);
			h->byfd[k->fd] = NULL;
			close(k->fd);
		}
		k->fd = socket(sa->sa_family,
			       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (k->fd < 0) {
			errnum = errno;
			continue;
		}
		int one = 1;
		setsockopt(k->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		setsockopt(k->fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
		if (!byfd_set(h, k->fd, k)) {
			errnum = ENOMEM;
			continue;
		}
		if (connect(k->fd, sa, sl) == 0) {
			connected(k);
			return;
		}
		if (errno == EINPROGRESS) {
			watch(h, k->fd, PA_POLL_OUT, &k->watched);
			return;
		}
		errnum = errno;
	}
	char msg[PA_ERRBUF_SIZE];
	snprintf(msg, sizeof msg, "Failed to connect to %.128s port %u: %s",
		 org->host, (unsigned)org->port, strerror(errnum));
	conn_failed(k, PA_CONNECT, msg);
}

static void conn_open(pa__h1_t *h, h1_origin_t *org)
{
	h1_conn_t *k = calloc(1, sizeof *k);
	if (!k) {
		h1_call_t *c = wait_pop(org);
		if (c)
			call_fail(c, PA_NOMEM, "out of memory");
		return;
	}
	k->h = h;
	k->org = org;
	k->fd = -1;
	k->state = C_CONNECTING;
	k->since = now_ms();
	org->nconn++;
	org->nopening++;
	h->nconn++;
	k->prev = h->connecting_tail;
	if (h->connecting_tail)
		h->connecting_tail->next = k;
	else
		h->connecting = k;
	h->connecting_tail = k;
	connect_next(k, ENETUNREACH);
}

/* ---- names -------------------------------------------------------------- */

static void *resolve_thread(void *arg)
{
	struct res_job *j = arg;
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_ADDRCONFIG};
	struct addrinfo *ai = NULL;
	j->gai = getaddrinfo(j->host, j->port, &hints, &ai);
	for (struct addrinfo *a = ai; a && j->naddr < MAX_ADDRS; a = a->ai_next)
		if (a->ai_addrlen <= sizeof j->addr[0]) {
			memcpy(&j->addr[j->naddr], a->ai_addr, a->ai_addrlen);
			j->alen[j->naddr++] = a->ai_addrlen;
		}
	if (ai)
		freeaddrinfo(ai);
	int fd = j->fd;
	/* the client may be gone: then the send fails and the job is ours */
	if (send(fd, &j, sizeof j, MSG_NOSIGNAL) != (ssize_t)sizeof j)
		free(j);
	close(fd);
	return NULL;
}

static void resolve_start(pa__h1_t *h, h1_origin_t *org)
{
	if (org->resolving)
		return;
	struct res_job *j = calloc(1, sizeof *j);
	if (h->res_fd[0] < 0 &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, h->res_fd) != 0)
		h->res_fd[0] = h->res_fd[1] = -1;
	if (!j || h->res_fd[0] < 0 || (j->fd = dup(h->res_fd[1])) < 0) {
		free(j);
		for (h1_call_t *c; (c = wait_pop(org));)
			call_fail(c, PA_CONNECT, "Could not resolve host: %s",
				  org->host);
		return;
	}
	j->origin_id = org->id;
	snprintf(j->host, sizeof j->host, "%s", org->host);
	snprintf(j->port, sizeof j->port, "%u", (unsigned)org->port);
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	/* no signal for the resolver: the process's handlers stay where
	 * they are */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t t;
	int rc = pthread_create(&t, &at, resolve_thread, j);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&at);
	if (rc != 0) {
		close(j->fd);
		free(j);
		for (h1_call_t *c; (c = wait_pop(org));)
			call_fail(c, PA_CONNECT, "Could not resolve host: %s",
				  org->host);
		return;
	}
	org->resolving = 1;
	watch(h, h->res_fd[0], PA_POLL_IN, &h->res_watched);
}

static void resolved(pa__h1_t *h)
{
	struct res_job *j;
	while (recv(h->res_fd[0], &j, sizeof j, MSG_DONTWAIT) ==
	       (ssize_t)sizeof j) {
		h1_origin_t *org = h->origins;
		while (org && org->id != j->origin_id)
			org = org->next;
		if (org) {
			org->resolving = 0;
			if (j->gai == 0 && j->naddr > 0) {
				memcpy(org->addr, j->addr, sizeof org->addr);
				memcpy(org->alen, j->alen, sizeof org->alen);
				org->naddr = j->naddr;
				org->resolved_at = now_ms();
				dispatch(h, org);
			} else {
				for (h1_call_t *c; (c = wait_pop(org));)
					call_fail(c, PA_CONNECT,
						  "Could not resolve host: %s "
						  "(%s)",
						  org->host,
						  gai_strerror(j->gai));
			}
		}
		free(j);
	}
}

/* ---- origins and dispatch ----------------------------------------------- */

static h1_origin_t *origin_get(pa__h1_t *h, const pa__url_t *u)
{
	for (h1_origin_t *o = h->origins; o; o = o->next)
		if (o->tls == u->tls && o->port == u->port &&
		    strcasecmp(o->host, u->host) == 0)
			return o;
	h1_origin_t *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->id = ++h->next_origin_id;
	o->tls = u->tls;
	o->ip6 = u->ip6;
	o->port = u->port;
	snprintf(o->host, sizeof o->host, "%s", u->host);
	struct sockaddr_in *s4 = (struct sockaddr_in *)&o->addr[0];
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&o->addr[0];
	if (inet_pton(AF_INET, o->host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(o->port);
		o->alen[0] = sizeof *s4;
		o->naddr = 1;
		o->numeric = 1;
	} else if (inet_pton(AF_INET6, o->host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(o->port);
		o->alen[0] = sizeof *s6;
		o->naddr = 1;
		o->numeric = 1;
	}
	o->resolved_at = o->numeric ? NEVER : 0;
	o->next = h->origins;
	h->origins = o;
	return o;
}

static int may_open(pa__h1_t *h, h1_origin_t *org)
{
	return (h->o.max_host_connections <= 0 ||
		org->nconn < (size_t)h->o.max_host_connections) &&
	       (h->o.max_total_connections <= 0 ||
		h->nconn < (size_t)h->o.max_total_connections);
}

/* Gives waiting calls idle connections, then opens connections for the
 * ones left (one per waiting call, within the limits). */
static void dispatch(pa__h1_t *h, h1_origin_t *org)
{
	if (org->dispatching)
		return; /* the running one goes on with what changed */
	org->dispatching = 1;
	int64_t now = 0;
	while (org->wait_head && org->idle) {
		h1_conn_t *k = org->idle;
		if (!now)
			now = now_ms();
		conn_list_unlink(k);
		if (now - k->since > IDLE_MAX_MS) {
			k->state = C_BUSY; /* out of the idle list already */
			conn_drop(k);
			continue;
		}
		attach(k, wait_pop(org));
	}
	if (org->wait_head) {
		if (!org->numeric &&
		    (org->naddr == 0 ||
		     now_ms() - org->resolved_at > DNS_TTL_MS))
			resolve_start(h, org);
		else
			while (org->nopening < org->nwait && may_open(h, org))
				conn_open(h, org);
	}
	org->dispatching = 0;
}

/* ---- I/O ---------------------------------------------------------------- */

/* Bytes of c's request written so far; the rest when the socket takes it. */
static void write_some(h1_call_t *c)
{
	h1_conn_t *k = c->conn;
	pa__h1_t *h = c->h;
	while (c->req_off < c->req_len) {
		const char *p = c->req + c->req_off;
		size_t n = c->req_len - c->req_off;
		ssize_t w;
		if (k->ssl) {
			ERR_clear_error();
			int rc = SSL_write(k->ssl, p, n > INT32_MAX ? INT32_MAX
								    : (int)n);
			if (rc <= 0) {
				int e = SSL_get_error(k->ssl, rc);
				if (e == SSL_ERROR_WANT_WRITE ||
				    e == SSL_ERROR_WANT_READ) {
					watch(h, k->fd,
					      e == SSL_ERROR_WANT_READ
						      ? PA_POLL_IN
						      : PA_POLL_OUT,
					      &k->watched);
					return;
				}
				ERR_clear_error();
				conn_broken(c, PA_CONNECT,
					    "Failure when sending data to the "
					    "peer (TLS)");
				return;
			}
			w = rc;
		} else {
			w = send(k->fd, p, n, MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK) {
					watch(h, k->fd, PA_POLL_OUT,
					      &k->watched);
					return;
				}
				char msg[128];
				snprintf(msg, sizeof msg,
					 "Failure when sending data to the "
					 "peer: %s",
					 strerror(errno));
				conn_broken(c, PA_CONNECT, msg);
				return;
			}
		}
		c->req_off += (size_t)w;
	}
	c->state = K_RECEIVING;
	watch(h, k->fd, PA_POLL_IN, &k->watched);
}

/* The reply of c is whole: the connection serves the next call or is
 * closed, then the reply is delivered. */
static void complete(h1_call_t *c)
{
	pa__h1_t *h = c->h;
	h1_conn_t *k = c->conn;
	h1_origin_t *org = c->org;
	c->conn = NULL;
	active_unlink(h, c);
	/* a byte beyond the reply means the connection is out of step */
	if (c->resp.keep_alive && c->resp.pos == c->resp.len)
		conn_release(k);
	else {
		conn_drop(k);
		dispatch(h, org);
	}
	deliver(h, c, PA_OK, "");
}

static void read_some(h1_call_t *c)
{
	h1_conn_t *k = c->conn;
	for (;;) {
		if (pa__h1_resp_room(&c->resp, READ_CHUNK) != PA_OK) {
			conn_broken(c, PA_NOMEM, "out of memory");
			return;
		}
		size_t room = c->resp.cap - c->resp.len - 1;
		ssize_t n;
		int eof = 0;
		if (k->ssl) {
			ERR_clear_error();
			int rc = SSL_read(k->ssl, c->resp.buf + c->resp.len,
					  room > INT32_MAX ? INT32_MAX
							   : (int)room);
			if (rc > 0) {
				n = rc;
			} else {
				int e = SSL_get_error(k->ssl, rc);
				ERR_clear_error();
				if (e == SSL_ERROR_WANT_READ)
					return;
				if (e == SSL_ERROR_WANT_WRITE) {
					watch(c->h, k->fd, PA_POLL_OUT,
					      &k->watched);
					return;
				}
				if (e != SSL_ERROR_ZERO_RETURN &&
				    e != SSL_ERROR_SYSCALL) {
					conn_broken(c, PA_CONNECT,
						    "Failure when receiving "
						    "data from the peer (TLS)");
					return;
				}
				n = 0;
				eof = 1;
			}
		} else {
			n = recv(k->fd, c->resp.buf + c->resp.len, room, 0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN)
					return;
				char msg[128];
				snprintf(msg, sizeof msg,
					 "Recv failure: %s", strerror(errno));
				conn_broken(c, PA_CONNECT, msg);
				return;
			}
			eof = n == 0;
		}
		int rc;
		if (eof) {
			rc = pa__h1_resp_eof(&c->resp);
			c->resp.keep_alive = 0;
		} else {
			c->resp.len += (size_t)n;
			rc = pa__h1_resp_parse(&c->resp);
		}
		if (rc == PA__H1_DONE) {
			complete(c);
			return;
		}
		if (rc == PA__H1_TOO_BIG) {
			char msg[96];
			snprintf(msg, sizeof msg,
				 "response body exceeds %zu bytes",
				 c->h->o.max_response_bytes);
			conn_broken(c, PA_TOO_BIG, msg);
			return;
		}
		if (rc == PA__H1_BAD) {
			char msg[160];
			snprintf(msg, sizeof msg, "%s", c->resp.why);
			/* nothing of a reply on a reused connection:
			 * conn_broken retries it once */
			if (eof && c->resp.status == 0 && c->resp.len == 0)
				conn_broken(c, PA_CONNECT,
					    "Empty reply from server");
			else
				conn_broken(c, PA_CONNECT, msg);
			return;
		}
		/* a plain socket that did not fill the buffer has nothing
		 * more for now; TLS may hold decrypted bytes: read on */
		if (!k->ssl && (size_t)n < room)
			return;
	}
}

/* An idle connection became readable: the server closed it (or sent what
 * it should not); TLS may only have brought a session ticket. */
static void idle_readable(h1_conn_t *k)
{
	char b[256];
	if (k->ssl) {
		ERR_clear_error();
		int rc = SSL_read(k->ssl, b, sizeof b);
		int e = rc > 0 ? SSL_ERROR_NONE : SSL_get_error(k->ssl, rc);
		ERR_clear_error();
		if (rc <= 0 && e == SSL_ERROR_WANT_READ)
			return;
	}
	conn_drop(k);
}

static void conn_io(h1_conn_t *k, int events)
{
	switch (k->state) {
	case C_CONNECTING: {
		int err = 0;
		socklen_t el = sizeof err;
		if (getsockopt(k->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
			err = errno;
		if (err == 0 && !(events & (PA_CSELECT_OUT | PA_CSELECT_ERR)))
			return;
		if (err != 0) {
			connect_next(k, err);
			return;
		}
		connected(k);
		return;
	}
	case C_TLS: handshake(k); return;
	case C_IDLE: idle_readable(k); return;
	default: break;
	}
	h1_call_t *c = k->call;
	if (!c)
		return;
	if (c->state == K_SENDING)
		write_some(c);
	else if (c->state == K_RECEIVING)
		read_some(c);
}

/* ---- timers ------------------------------------------------------------- */

static int64_t next_deadline(pa__h1_t *h)
{
	int64_t d = NEVER;
	if (h->failed)
		return 0;
	if (h->active)
		d = h->active->deadline;
	if (h->connecting) {
		int64_t cd = h->connecting->since + h->o.connect_timeout_ms;
		if (cd < d)
			d = cd;
	}
	return d;
}

/* Keeps the caller's one timer at (or before) the next deadline: it is
 * set again only when the deadline moves earlier, or after it fired. */
static void rearm(pa__h1_t *h)
{
	if (h->in_action || !h->timer_cb)
		return;
	int64_t d = next_deadline(h);
	if (d == NEVER) {
		if (h->armed != NEVER && h->n_active == 0) {
			h->armed = NEVER;
			h->timer_cb(-1, h->timer_ud);
		}
		return;
	}
	if (h->armed != NEVER && h->armed <= d)
		return;
	h->armed = d;
	int64_t ms = d - now_ms();
	h->timer_cb(ms > 0 ? (long)ms : 0, h->timer_ud);
}

static void deliver_failed(pa__h1_t *h)
{
	h1_call_t *c;
	while ((c = h->failed)) {
		h->failed = c->wnext;
		if (!h->failed)
			h->failed_tail = NULL;
		c->wnext = NULL;
		active_unlink(h, c);
		deliver(h, c, c->fail, c->failmsg);
	}
}

static void expire(pa__h1_t *h, int64_t now)
{
	h1_conn_t *k;
	while ((k = h->connecting) &&
	       k->since + h->o.connect_timeout_ms <= now) {
		char msg[96];
		snprintf(msg, sizeof msg, "Connection timed out after %ld "
					  "milliseconds",
			 h->o.connect_timeout_ms);
		conn_failed(k, PA_TIMEOUT, msg);
	}
	h1_call_t *c;
	while ((c = h->active) && c->deadline <= now &&
	       c->state != K_FAILED) {
		h1_origin_t *org = c->org;
		if (c->state == K_WAITING) {
			queue_remove(&org->wait_head, &org->wait_tail, c);
			org->nwait--;
		} else if (c->conn) {
			h1_conn_t *kc = c->conn;
			c->conn = NULL;
			conn_drop(kc);
		}
		active_unlink(h, c);
		char msg[96];
		snprintf(msg, sizeof msg,
			 "Operation timed out after %ld milliseconds",
			 h->o.total_timeout_ms);
		deliver(h, c, PA_TIMEOUT, msg);
		dispatch(h, org);
	}
	if (now - h->last_sweep > 10000) {
		h->last_sweep = now;
		for (h1_origin_t *o = h->origins; o; o = o->next)
			for (h1_conn_t *i = o->idle, *nx; i; i = nx) {
				nx = i->next;
				if (now - i->since > IDLE_MAX_MS)
					conn_drop(i);
			}
	}
}

/* ---- the engine's entry points (client.c) ------------------------------- */

pa_err_t pa__h1_new(const pa_client_opts_t *o, pa_client_t *owner,
		    pa__h1_t **out)
{
	pa__h1_t *h = calloc(1, sizeof *h);
	if (!h)
		return PA_NOMEM;
	h->owner = owner;
	h->o = *o;
	h->armed = NEVER;
	h->res_fd[0] = h->res_fd[1] = -1;
	h->last_sweep = now_ms();
	*out = h;
	return PA_OK;
}

void pa__h1_destroy(pa__h1_t *h)
{
	if (!h)
		return;
	h->socket_cb = NULL; /* the loop drops its watches itself */
	h->timer_cb = NULL;
	while (h->failed) {
		h1_call_t *c = h->failed;
		h->failed = c->wnext;
		active_unlink(h, c);
		call_put(h, c);
	}
	while (h->active) {
		h1_call_t *c = h->active;
		if (c->conn) {
			h1_conn_t *k = c->conn;
			c->conn = NULL;
			conn_drop(k);
		}
		active_unlink(h, c);
		call_put(h, c);
	}
	while (h->connecting)
		conn_drop(h->connecting);
	while (h->origins) {
		h1_origin_t *o = h->origins;
		h->origins = o->next;
		while (o->idle)
			conn_drop(o->idle);
		SSL_SESSION_free(o->sess);
		free(o);
	}
	while (h->pool) {
		h1_call_t *c = h->pool;
		h->pool = c->next;
		free(c->req);
		free(c->resp.buf);
		free(c);
	}
	if (h->res_fd[0] >= 0) {
		close(h->res_fd[0]);
		close(h->res_fd[1]);
	}
	SSL_CTX_free(h->tls);
	free(h->byfd);
	free(h);
}

void pa__h1_set_socket_cb(pa__h1_t *h, pa_socket_cb cb, void *ud)
{
	h->socket_cb = cb;
	h->socket_ud = ud;
}

void pa__h1_set_timer_cb(pa__h1_t *h, pa_timer_cb cb, void *ud)
{
	h->timer_cb = cb;
	h->timer_ud = ud;
	h->armed = NEVER;
}

pa_err_t pa__h1_send(pa__h1_t *h, const pa_request_t *req, pa_reply_cb cb,
		     void *ud, pa_call_t **call_out, char *errbuf)
{
	pa__url_t u;
	pa_err_t err = pa__url_parse(req->url, &u, errbuf);
	if (err)
		return err;
	h1_origin_t *org = origin_get(h, &u);
	h1_call_t *c = org ? call_get(h) : NULL;
	if (!c)
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	const char *method = req->method ? req->method
			     : req->body_len ? "POST"
					     : "GET";
	err = pa__h1_request(&u, method, req->headers, req->n_headers,
			     req->body, req->body_len, h->o.user_agent,
			     &c->req, &c->req_len, &c->req_cap);
	if (err) {
		call_put(h, c);
		return pa_seterr(errbuf, err, "out of memory");
	}
	c->org = org;
	c->head = strcmp(method, "HEAD") == 0;
	c->cb = cb;
	c->ud = ud;
	c->op = req->op;
	memcpy(c->order_id, req->order_id, sizeof c->order_id);
	c->order_id[sizeof c->order_id - 1] = '\0';
	c->deadline = now_ms() + h->o.total_timeout_ms;
	c->prev = h->active_tail;
	if (h->active_tail)
		h->active_tail->next = c;
	else
		h->active = c;
	h->active_tail = c;
	h->n_active++;
	h->stats.sent++;
	if (call_out)
		*call_out = (pa_call_t *)c;
	wait_push(org, c, 0);
	dispatch(h, org);
	rearm(h);
	return PA_OK;
}

void pa__h1_cancel(pa__h1_t *h, pa_call_t *call)
{
	h1_call_t *c = (h1_call_t *)call;
	h1_origin_t *org = c->org;
	if (c->state == K_FAILED) {
		queue_remove(&h->failed, &h->failed_tail, c);
	} else if (c->state == K_WAITING) {
		if (queue_remove(&org->wait_head, &org->wait_tail, c))
			org->nwait--;
	} else if (c->conn) {
		h1_conn_t *k = c->conn;
		c->conn = NULL;
		conn_drop(k); /* mid-request: the connection is spent */
	}
	active_unlink(h, c);
	h->stats.cancelled++;
	call_put(h, c);
	dispatch(h, org);
	rearm(h);
}

pa_err_t pa__h1_socket_action(pa__h1_t *h, int fd, int events)
{
	h->in_action++;
	if (fd == h->res_fd[0])
		resolved(h);
	else if ((size_t)fd < h->nbyfd && h->byfd[fd])
		conn_io(h->byfd[fd], events);
	deliver_failed(h);
	h->in_action--;
	rearm(h);
	return PA_OK;
}

pa_err_t pa__h1_timeout_action(pa__h1_t *h)
{
	h->in_action++;
	h->armed = NEVER; /* the caller's timer fired */
	deliver_failed(h);
	expire(h, now_ms());
	deliver_failed(h);
	h->in_action--;
	rearm(h);
	return PA_OK;
}

pa_err_t pa__h1_next_timeout(pa__h1_t *h, long *ms)
{
	int64_t d = next_deadline(h);
	if (d == NEVER) {
		*ms = -1;
		return PA_OK;
	}
	int64_t left = d - now_ms();
	*ms = left > 0 ? (long)left : 0;
	return PA_OK;
}

pa_err_t pa__h1_perform(pa__h1_t *h, int max_wait_ms)
{
	pa__h1_timeout_action(h);
	if (h->n_active == 0)
		return PA_OK;
	size_t n = 0, cap = h->nconn + 1;
	struct pollfd *pf = calloc(cap, sizeof *pf);
	if (!pf)
		return PA_NOMEM;
	for (size_t fd = 0; fd < h->nbyfd && n < cap; fd++) {
		h1_conn_t *k = h->byfd[fd];
		if (!k || !k->watched)
			continue;
		pf[n].fd = (int)fd;
		pf[n].events = (short)((k->watched & PA_POLL_IN ? POLLIN : 0) |
				       (k->watched & PA_POLL_OUT ? POLLOUT : 0));
		n++;
	}
	if (h->res_watched && n < cap)
		pf[n++] = (struct pollfd){.fd = h->res_fd[0], .events = POLLIN};
	long wait = max_wait_ms < 0 ? 0 : max_wait_ms, t;
	pa__h1_next_timeout(h, &t);
	if (t >= 0 && t < wait)
		wait = t;
	int r = poll(pf, (nfds_t)n, (int)wait);
	for (size_t i = 0; r > 0 && i < n; i++) {
		if (!pf[i].revents)
			continue;
		int ev = (pf[i].revents & POLLIN ? PA_CSELECT_IN : 0) |
			 (pf[i].revents & POLLOUT ? PA_CSELECT_OUT : 0) |
			 (pf[i].revents & (POLLERR | POLLHUP) ? PA_CSELECT_ERR
							      : 0);
		pa__h1_socket_action(h, pf[i].fd, ev);
	}
	free(pf);
	pa__h1_timeout_action(h);
	return PA_OK;
}

size_t pa__h1_in_flight(const pa__h1_t *h)
{
	return h->n_active;
}

void pa__h1_stats(const pa__h1_t *h, pa_client_stats_t *st)
{
	*st = h->stats;
}
