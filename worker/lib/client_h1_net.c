/* client_h1_net.c -- connecting for the HTTP/1.1 engine (client_h1.h):
 * sockets and their addresses, the TLS handshake, host names.
 * Owns: origins and their addresses (numeric, or from resolver threads
 *       cached DNS_TTL_MS), connect attempts address after address, the
 *       TLS context (OpenSSL: peer and name verified unless switched off,
 *       sessions resumed) and each connection's handshake.
 * Not here: what a ready connection does (client_h1.c). */
#include "client_h1_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

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

void pa__h1_handshake(h1_conn_t *k)
{
	pa__h1_t *h = k->h;
	ERR_clear_error();
	int rc = SSL_do_handshake(k->ssl);
	if (rc == 1) {
		pa__h1_conn_ready(k);
		return;
	}
	int e = SSL_get_error(k->ssl, rc);
	if (e == SSL_ERROR_WANT_READ) {
		pa__h1_watch(h, k->fd, PA_POLL_IN, &k->watched);
		return;
	}
	if (e == SSL_ERROR_WANT_WRITE) {
		pa__h1_watch(h, k->fd, PA_POLL_OUT, &k->watched);
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
	pa__h1_conn_failed(k, PA_TLS, msg);
}

void pa__h1_connected(h1_conn_t *k)
{
	pa__h1_t *h = k->h;
	h1_origin_t *org = k->org;
	if (!org->tls) {
		pa__h1_conn_ready(k);
		return;
	}
	if (!tls_ctx(h) || !(k->ssl = SSL_new(h->tls)) ||
	    !SSL_set_fd(k->ssl, k->fd)) {
		pa__h1_conn_failed(k, PA_TLS, "TLS: cannot set up (CA file?)");
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
	pa__h1_handshake(k);
}

/* Starts (or, after a failure, goes on with) connecting k to its next
 * address. */
void pa__h1_connect_next(h1_conn_t *k, int errnum)
{
	pa__h1_t *h = k->h;
	h1_origin_t *org = k->org;
	while (k->ai < org->naddr) {
		const struct sockaddr *sa =
			(const struct sockaddr *)&org->addr[k->ai];
		socklen_t sl = org->alen[k->ai];
		k->ai++;
		if (k->fd >= 0) {
			pa__h1_watch(h, k->fd, 0, &k->watched);
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
		if (!pa__h1_byfd_set(h, k->fd, k)) {
			errnum = ENOMEM;
			continue;
		}
		if (connect(k->fd, sa, sl) == 0) {
			pa__h1_connected(k);
			return;
		}
		if (errno == EINPROGRESS) {
			pa__h1_watch(h, k->fd, PA_POLL_OUT, &k->watched);
			return;
		}
		errnum = errno;
	}
	char msg[PA_ERRBUF_SIZE];
	snprintf(msg, sizeof msg, "Failed to connect to %.128s port %u: %s",
		 org->host, (unsigned)org->port, strerror(errnum));
	pa__h1_conn_failed(k, PA_CONNECT, msg);
}

void pa__h1_conn_open(pa__h1_t *h, h1_origin_t *org)
{
	h1_conn_t *k = calloc(1, sizeof *k);
	if (!k) {
		h1_call_t *c = pa__h1_wait_pop(org);
		if (c)
			pa__h1_call_fail(c, PA_NOMEM, "out of memory");
		return;
	}
	k->h = h;
	k->org = org;
	k->fd = -1;
	k->state = C_CONNECTING;
	k->since = pa__h1_now_ms();
	org->nconn++;
	org->nopening++;
	h->nconn++;
	k->prev = h->connecting_tail;
	if (h->connecting_tail)
		h->connecting_tail->next = k;
	else
		h->connecting = k;
	h->connecting_tail = k;
	pa__h1_connect_next(k, ENETUNREACH);
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

void pa__h1_resolve_start(pa__h1_t *h, h1_origin_t *org)
{
	if (org->resolving)
		return;
	struct res_job *j = calloc(1, sizeof *j);
	if (h->res_fd[0] < 0 &&
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, h->res_fd) != 0)
		h->res_fd[0] = h->res_fd[1] = -1;
	if (!j || h->res_fd[0] < 0 || (j->fd = dup(h->res_fd[1])) < 0) {
		free(j);
		for (h1_call_t *c; (c = pa__h1_wait_pop(org));)
			pa__h1_call_fail(c, PA_CONNECT, "Could not resolve host: %s",
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
		for (h1_call_t *c; (c = pa__h1_wait_pop(org));)
			pa__h1_call_fail(c, PA_CONNECT, "Could not resolve host: %s",
				  org->host);
		return;
	}
	org->resolving = 1;
	pa__h1_watch(h, h->res_fd[0], PA_POLL_IN, &h->res_watched);
}

void pa__h1_resolved(pa__h1_t *h)
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
				org->resolved_at = pa__h1_now_ms();
				pa__h1_dispatch(h, org);
			} else {
				for (h1_call_t *c; (c = pa__h1_wait_pop(org));)
					pa__h1_call_fail(c, PA_CONNECT,
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

h1_origin_t *pa__h1_origin_get(pa__h1_t *h, const pa__url_t *u)
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

