/* loop_kafka.h -- plugs a librdkafka queue into the event loop.
 * Owns: the pipe librdkafka writes to when the queue becomes non-empty;
 *       librdkafka's log lines as the worker's log lines.
 * Not here: what is done with the events (the callback's business). */
#ifndef PW_LOOP_KAFKA_H
#define PW_LOOP_KAFKA_H

#include <librdkafka/rdkafka.h>

#include "core/log.h"
#include "core/loop.h"

typedef struct pw_kq pw_kq_t;

/* Called when q may hold events. It must serve the queue until it is empty
 * (rd_kafka_queue_io_event_enable only signals empty -> non-empty) or
 * return 1 to be called again on the next loop iteration. */
typedef int (*pw_kq_cb)(rd_kafka_queue_t *q, void *ud);

/* Attaches q (borrowed, valid until pw_kq_detach()) to loop. The callback
 * also runs once right away, for events queued before the attach.
 * New (caller frees with pw_kq_detach()). */
pa_err_t pw_kq_attach(pw_loop_t *loop, rd_kafka_queue_t *q, pw_kq_cb cb,
		      void *ud, pw_kq_t **out);
/* Disables io events on the queue and frees the pipe. NULL is a safe
 * no-op. */
void pw_kq_detach(pw_kq_t *kq);
/* Asks for the callback to run on the next iteration. */
void pw_kq_kick(pw_kq_t *kq);

/* One librdkafka log line (a log_cb's arguments) through lg: message
 * "librdkafka", level mapped (pw_log_level_from_syslog), fields component
 * "librdkafka", client (rd_kafka_name), facility and text. The text is
 * scrubbed like a gateway body (e-mail addresses, phone numbers) and every
 * non-empty string of secrets (NULL-terminated list, may be NULL) is cut
 * out of it. Thread-safe: for log callbacks on librdkafka's threads. */
void pw_kafka_log_line(pw_logger_t *lg, const rd_kafka_t *rk, int level,
		       const char *fac, const char *buf,
		       const char *const *secrets);

#endif
