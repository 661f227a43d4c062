/* log.h -- structured logs: one JSON object (or one text line) per event.
 * Owns: loggers, levels, the line formats, field kinds with their redaction
 *       policy (a field says what it holds; the logger decides what shows).
 * Not here: redaction rules (redact.h), SIGHUP handling (the worker).
 *
 *   pw_log(lg, PW_LOG_INFO, "payin accepted",
 *          PW_KV_STR("order_id", ord->id), PW_KV_INT("partition", 3),
 *          PW_KV_PHONE("phone", cmd->phone), PW_KV_SECRET("secret", key),
 *          PW_KV_BODY("reply", body, body_len));
 *
 * JSON line: {"ts":"2026-11-26T11:12:23.123Z","level":"info","msg":"...",
 *             "component":"poller", <fields in call order>}
 * Text line: 2026-11-26T11:12:23.123Z INFO  [poller] msg key=value ...
 *
 * At most 31 fields per line (more are dropped).
 * Messages are constant strings; data goes in fields, so that nothing
 * personal slips into a message. Common field names: order_id, topic,
 * partition, offset, merchant, component, err.
 *
 * Thread-safety: pw_log*() may be called from any thread (librdkafka's log
 * callback runs on its threads); each line is formatted in a private
 * buffer and written under the FILE lock with one write(2) on the
 * stream's fd (fwrite()+fflush() for streams without one, e.g. memory
 * streams), so lines never interleave, and a line shorter than PIPE_BUF is
 * atomic even between processes sharing a pipe. Levels are atomic:
 * pw_log_set_level() is safe at any time. Create and destroy loggers from
 * one thread. */
#ifndef PW_LOG_H
#define PW_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "payatom/error.h"
#include "redact.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum pw_log_level {
	PW_LOG_DEBUG,
	PW_LOG_INFO,
	PW_LOG_WARN,
	PW_LOG_ERROR,
} pw_log_level_t;

typedef enum pw_log_format {
	PW_LOG_JSON,
	PW_LOG_TEXT,
} pw_log_format_t;

typedef struct pw_logger pw_logger_t;

/* Field value types. */
enum { PW_KV_T_END, PW_KV_T_STR, PW_KV_T_INT, PW_KV_T_UINT, PW_KV_T_DBL,
       PW_KV_T_BOOL, PW_KV_T_BODY };

/* One field. Build with the PW_KV_* macros, never by hand. */
typedef struct pw_kv {
	const char *key;
	int type;
	pw_redact_t red; /* redaction policy of the value */
	const char *s;   /* STR / BODY (borrowed for the call) */
	size_t len;      /* STR: SIZE_MAX = NUL-terminated; BODY: length */
	int64_t i;
	uint64_t u;
	double d;
} pw_kv_t;

#define PW__KV(k, t, r, sv, l, iv, uv, dv)                                     \
	((pw_kv_t){.key = (k), .type = (t), .red = (r), .s = (sv),             \
		   .len = (l), .i = (iv), .u = (uv), .d = (dv)})
#define PW__KVS(k, v, r) PW__KV(k, PW_KV_T_STR, r, (v), SIZE_MAX, 0, 0, 0)

#define PW_KV_STR(k, v) PW__KVS(k, v, PW_RED_PUBLIC)
/* String with explicit length (not NUL-terminated). */
#define PW_KV_STRN(k, v, n) PW__KV(k, PW_KV_T_STR, PW_RED_PUBLIC, (v), (n), 0, 0, 0)
#define PW_KV_INT(k, v) PW__KV(k, PW_KV_T_INT, PW_RED_PUBLIC, NULL, 0, (int64_t)(v), 0, 0)
#define PW_KV_UINT(k, v) PW__KV(k, PW_KV_T_UINT, PW_RED_PUBLIC, NULL, 0, 0, (uint64_t)(v), 0)
#define PW_KV_DBL(k, v) PW__KV(k, PW_KV_T_DBL, PW_RED_PUBLIC, NULL, 0, 0, 0, (double)(v))
#define PW_KV_BOOL(k, v) PW__KV(k, PW_KV_T_BOOL, PW_RED_PUBLIC, NULL, 0, (v) ? 1 : 0, 0, 0)
#define PW_KV_ERR(v) PW__KVS("err", pa_err_name(v), PW_RED_PUBLIC)
/* Redacted kinds: see redact.h for what each prints. */
#define PW_KV_SECRET(k, v) PW__KVS(k, v, PW_RED_SECRET)
#define PW_KV_HASH(k, v) PW__KVS(k, v, PW_RED_HASH)
#define PW_KV_SIGNATURE(k, v) PW__KVS(k, v, PW_RED_HASH)
#define PW_KV_PHONE(k, v) PW__KVS(k, v, PW_RED_PHONE)
#define PW_KV_EMAIL(k, v) PW__KVS(k, v, PW_RED_EMAIL)
#define PW_KV_ACCOUNT(k, v) PW__KVS(k, v, PW_RED_ACCOUNT)
#define PW_KV_UPI(k, v) PW__KVS(k, v, PW_RED_UPI)
#define PW_KV_NAME(k, v) PW__KVS(k, v, PW_RED_NAME)
/* Any kind chosen at run time. */
#define PW_KV_REDACT(k, v, kind) PW__KVS(k, v, kind)
/* A gateway/HTTP body: scrubbed with pw_redact_json() (falls back to the
 * free-text scrubber), cut at 4 KiB, logged as a string. */
#define PW_KV_BODY(k, p, n) PW__KV(k, PW_KV_T_BODY, PW_RED_PUBLIC, (const char *)(p), (n), 0, 0, 0)
#define PW_KV_END PW__KV(NULL, PW_KV_T_END, PW_RED_PUBLIC, NULL, 0, 0, 0, 0)

/* Logs msg with the fields that follow (PW_KV_* only). Does nothing below
 * the logger's level; lg NULL = pw_log_default(). */
#define pw_log(lg, lvl, ...) pw_log_((lg), (lvl), __VA_ARGS__, PW_KV_END)
#define pw_debug(lg, ...) pw_log((lg), PW_LOG_DEBUG, __VA_ARGS__)
#define pw_info(lg, ...) pw_log((lg), PW_LOG_INFO, __VA_ARGS__)
#define pw_warn(lg, ...) pw_log((lg), PW_LOG_WARN, __VA_ARGS__)
#define pw_error(lg, ...) pw_log((lg), PW_LOG_ERROR, __VA_ARGS__)

void pw_log_(pw_logger_t *lg, pw_log_level_t lvl, const char *msg, ...);
/* Same with an array ending in PW_KV_END (for wrappers). */
void pw_log_kv(pw_logger_t *lg, pw_log_level_t lvl, const char *msg,
	       const pw_kv_t *kv);

/* New root logger writing to fp (borrowed: stays open until destroy; NULL
 * = stderr). Caller frees with pw_log_destroy(). */
pa_err_t pw_log_new(FILE *fp, pw_log_level_t lvl, pw_log_format_t fmt,
		    pw_logger_t **out);
/* New child logger adding "component":name to every line; it shares the
 * parent's output, level and format (pw_log_set_level() on either changes
 * both). name is copied. Caller frees with pw_log_destroy(), before the
 * root. */
pa_err_t pw_log_child(pw_logger_t *parent, const char *component,
		      pw_logger_t **out);
/* NULL is a safe no-op. */
void pw_log_destroy(pw_logger_t *lg);

void pw_log_set_level(pw_logger_t *lg, pw_log_level_t lvl);
pw_log_level_t pw_log_get_level(const pw_logger_t *lg);
int pw_log_enabled(const pw_logger_t *lg, pw_log_level_t lvl);
void pw_log_set_format(pw_logger_t *lg, pw_log_format_t fmt);

/* Time source in Unix ms for the "ts" field (tests pin it). NULL = the
 * real clock. */
void pw_log_set_clock(pw_logger_t *lg, int64_t (*now_ms)(void *ud),
		      void *ud);

/* The process default logger (stderr, info, json): the one global, used
 * when a NULL logger is passed. Borrowed, never NULL. Not freed. */
pw_logger_t *pw_log_default(void);

/* librdkafka's log callback level (syslog 0..7) as ours: 0-3 error,
 * 4 warn, 5-6 info, 7 debug. */
pw_log_level_t pw_log_level_from_syslog(int level);

/* "debug"|"info"|"warn"|"error" (also "warning"). */
pa_err_t pw_log_level_parse(const char *s, pw_log_level_t *out);
const char *pw_log_level_name(pw_log_level_t lvl);

#ifdef __cplusplus
}
#endif
#endif
