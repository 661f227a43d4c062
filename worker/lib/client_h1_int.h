/* client_h1_int.h -- what the files of the HTTP/1.1 engine share
 * (client_h1.c, client_h1_net.c, client_h1_api.c). Internal.
 * Owns: the engine's structures (calls, connections, origins, the engine)
 *       and the functions one file calls in another.
 * Not here: the wire formats and the entry points (client_h1.h). */
#ifndef PA_CLIENT_H1_INT_H
#define PA_CLIENT_H1_INT_H

#include <openssl/ssl.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include "client_h1.h"

/* Addresses of a name are used this long (libcurl's DNS cache timeout). */
#define DNS_TTL_MS 60000
/* An idle connection older than this is closed rather than reused
 * (libcurl's CURLOPT_MAXAGE_CONN is 118 s). */
#define IDLE_MAX_MS 110000
/* Idle connections kept per origin: four per call in flight, at least
 * IDLE_KEEP_MIN; the least recently used beyond that are closed
 * (libcurl's connection cache holds four per transfer). A burst would
 * otherwise leave its peak of connections open on the server for
 * IDLE_MAX_MS, holding slots a server caps per client address (ours:
 * http.max.connections.per.ip) and starving its other clients. */
#define IDLE_KEEP_PER_CALL 4
#define IDLE_KEEP_MIN 8
/* Calls kept for reuse with their buffers; beyond this they are freed
 * (after a burst of a thousand calls the pool would otherwise hold their
 * memory for ever; malloc's own caches serve the rest). */
#define POOL_MAX 256
/* A pooled call keeps at most this much buffer. */
#define KEEP_BUF_MAX 4096
/* Room a read needs at least; a reply buffer starts at 1 KiB (a gateway
 * reply, headers and body, fits) and doubles when full. */
#define MIN_READ 256
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
	h1_conn_t *idle, *idle_tail; /* most recently used first */
	size_t nidle;
	size_t nconn;	 /* open or opening */
	size_t nopening; /* connecting or in the TLS handshake */
	h1_call_t *wait_head, *wait_tail;
	size_t nwait;
	int dispatching; /* pa__h1_dispatch() is running for it (no recursion) */
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

static inline int64_t pa__h1_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- client_h1.c: calls, connections, dispatch, I/O --------------------- */

/* Hands the loop the interest what (PA_POLL_*, 0 none) for fd, when it
 * changed from *cur. */
void pa__h1_watch(pa__h1_t *h, int fd, int what, int *cur);
int pa__h1_byfd_set(pa__h1_t *h, int fd, h1_conn_t *k);
void pa__h1_active_unlink(pa__h1_t *h, h1_call_t *c);
void pa__h1_wait_push(h1_origin_t *org, h1_call_t *c, int front);
h1_call_t *pa__h1_wait_pop(h1_origin_t *org);
int pa__h1_queue_remove(h1_call_t **head, h1_call_t **tail, h1_call_t *c);
h1_call_t *pa__h1_call_get(pa__h1_t *h);
void pa__h1_call_put(pa__h1_t *h, h1_call_t *c);
/* Delivers the reply (or err with msg) and recycles c, which is out of
 * every list and connection. */
void pa__h1_deliver(pa__h1_t *h, h1_call_t *c, pa_err_t err, const char *msg);
/* c ends with err, delivered by the next action. */
void pa__h1_call_fail(h1_call_t *c, pa_err_t err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void pa__h1_conn_drop(h1_conn_t *k);
void pa__h1_conn_ready(h1_conn_t *k);
/* The connection could not be made: the oldest waiting call fails. */
void pa__h1_conn_failed(h1_conn_t *k, pa_err_t err, const char *msg);
/* Waiting calls get idle connections, then new ones within the limits. */
void pa__h1_dispatch(pa__h1_t *h, h1_origin_t *org);
void pa__h1_conn_io(h1_conn_t *k, int events);

/* ---- client_h1_net.c: connecting, TLS, names ---------------------------- */

void pa__h1_conn_open(pa__h1_t *h, h1_origin_t *org);
void pa__h1_connect_next(h1_conn_t *k, int errnum);
void pa__h1_connected(h1_conn_t *k);
void pa__h1_handshake(h1_conn_t *k);
void pa__h1_resolve_start(pa__h1_t *h, h1_origin_t *org);
/* Answers of the resolver threads (its socket became readable). */
void pa__h1_resolved(pa__h1_t *h);
h1_origin_t *pa__h1_origin_get(pa__h1_t *h, const pa__url_t *u);

/* ---- client_h1_api.c: timers ------------------------------------------- */

/* Keeps the caller's one timer at (or before) the next deadline. */
void pa__h1_rearm(pa__h1_t *h);

#endif
