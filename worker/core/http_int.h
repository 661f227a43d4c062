/* http_int.h -- shared between http.c and http_guard.c only.
 * Owns: the listener's and a request's records.
 * Not here: the API (http.h). */
#ifndef PW_HTTP_INT_H
#define PW_HTTP_INT_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdint.h>

#include "core/http.h"

enum req_state {
	REQ_RECEIVING, /* headers / body arriving */
	REQ_IN_HANDLER, /* handler running (synchronous answer possible) */
	REQ_HELD,       /* suspended, waiting for pw_http_reply() */
	REQ_ANSWERED,   /* response stored (or abort decided) */
	REQ_DONE,       /* response queued to MHD */
};

typedef struct hdr {
	char *name, *value;
	struct hdr *next;
} hdr_t;

struct pw_http_req {
	pw_http_t *http;
	struct MHD_Connection *conn;
	const char *method; /* MHD's, valid for the connection's request */
	char *path;
	uint8_t *body;
	size_t len, cap;
	int too_big;
	enum req_state state;
	struct MHD_Response *resp; /* stored answer, queued by on_access */
	unsigned status;
	int abort;       /* close without answer */
	int abort_reset; /* ... with RST */
	int counted;     /* counted in in_flight */
	hdr_t *hdrs;
	void *ud;
	pw_http_abort_cb abort_cb;
	void *abort_ud;
	char ip[INET6_ADDRSTRLEN];
	pw_http_req_t *prev, *next; /* held list */
};

/* One open connection (MHD's socket context), for the request deadline:
 * `since` is when the current request's window opened (connection start,
 * or the previous answer), `waiting` whether that request is still
 * arriving (not yet handed to a handler). */
typedef struct conn {
	struct MHD_Connection *mc;
	int fd;
	int64_t since;
	int waiting;
	int cut; /* shut down for lateness, MHD closes it */
	struct conn *prev, *next;
} conn_t;

typedef struct route {
	char *method; /* NULL = any */
	char *prefix;
	size_t prefix_len;
	pw_http_handler cb;
	void *ud;
} route_t;

struct pw_http {
	pw_loop_t *loop;
	struct MHD_Daemon *d;
	int epfd;
	pw_timer_t *timer;      /* MHD_get_timeout deadline */
	int64_t timer_deadline; /* loop ms of `timer` */
	pw_timer_t *kick;       /* run MHD soon (after a resume) */
	route_t *routes;
	size_t nroutes;
	size_t max_body;
	uint16_t port;
	int in_run;
	int closing; /* pw_http_destroy(): nothing new is held */
	pw_http_req_t *held;
	pw_http_stats_t st;
	conn_t *conns;		  /* open connections */
	unsigned deadline_ms;	  /* request_timeout_ms; 0 = none */
	pw_timer_t *sweep;	  /* checks deadlines while connections exist */
};

/* http.c */
void pw__http_run(pw_http_t *http);
void pw__http_kick(pw_http_t *http);
void pw__http_held_unlink(pw_http_req_t *req);

/* http_guard.c */
/* MHD_OPTION_NOTIFY_CONNECTION: tracks connections for the deadline. */
void pw__http_on_connection(void *cls, struct MHD_Connection *mc,
			    void **socket_context,
			    enum MHD_ConnectionNotificationCode toe);
/* The tracked record of mc, or NULL. Borrowed. */
conn_t *pw__http_conn_of(struct MHD_Connection *mc);
/* Writes the answer itself when req's client has half-closed (see there);
 * 1 when written. */
int pw__http_reply_half_closed(pw_http_req_t *req, unsigned status,
			       const char *ctype, const void *body,
			       size_t len);

#endif
