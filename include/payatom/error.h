/* error.h -- the one error type of libpayatom.
 * Owns: the error list (one X-macro gives the enum, names, messages and the
 *       success/retryable/fatal split the whole design rests on).
 * Not here: HTTP reply classification (client.h), gateway error replies
 *           (api.h). */
#ifndef PAYATOM_ERROR_H
#define PAYATOM_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, class, message). class: N = not an error, R = retryable (the same
 * call may succeed later), F = fatal (retrying the same input cannot help). */
#define PA_ERR_MAP(X)                                                          \
	X(OK, N, "success")                                                    \
	X(NOMEM, R, "out of memory")                                           \
	X(INVAL, F, "invalid argument")                                        \
	X(VALIDATION, F, "request field failed validation")                    \
	X(BASE64, F, "input is not valid base64")                              \
	X(SHORT, F, "sealed blob shorter than IV + MAC + one block")           \
	X(MAC, F, "MAC check failed (wrong key or tampered data)")             \
	X(PADDING, F, "bad PKCS#7 padding after decryption")                   \
	X(CRYPTO, F, "cryptographic library failure")                          \
	X(PARSE, F, "malformed or unexpected JSON")                            \
	X(HASH_MISMATCH, F, "post_hash or signature does not match")           \
	X(GATEWAY, F, "gateway rejected the request")                          \
	X(DUPLICATE, F, "gateway reports a duplicate order_id")                \
	X(NOT_FOUND, F, "not found")                                           \
	X(AUTH, F, "authentication rejected")                                  \
	X(LIMIT, F, "daily request limit reached")                             \
	X(UNSUPPORTED, F, "operation not supported by this product/API")       \
	X(RANGE, F, "value out of range")                                      \
	X(TIMEOUT, R, "operation timed out")                                   \
	X(CONNECT, R, "connection failed or was dropped")                      \
	X(HTTP_5XX, R, "gateway answered with a 5xx status")                   \
	X(RATE_LIMITED, R, "gateway answered 429 Too Many Requests")           \
	X(HTTP_STATUS, F, "unexpected HTTP status")                            \
	X(TOO_BIG, F, "body exceeds the size limit")                           \
	X(TLS, F, "TLS verification or handshake failed")                      \
	X(IO, R, "I/O error")                                                  \
	X(CONFIG, F, "invalid configuration")                                  \
	X(KAFKA, R, "Kafka error")                                             \
	X(KAFKA_REFUSED, F, "Kafka refused the record for good (too large, invalid)") \
	X(STATE, F, "transition not allowed by the status model")              \
	X(BUSY, R, "resource busy, try again later")                           \
	X(CANCELLED, R, "operation cancelled")                                 \
	X(INTERNAL, F, "internal error")                                       \
	X(UNHASHED_AMOUNT, F, "the hash covers another amount than "           \
			      "received_amount")

typedef enum pa_err {
#define PA__ERR_ENUM(name, cls, msg) PA_##name,
	PA_ERR_MAP(PA__ERR_ENUM)
#undef PA__ERR_ENUM
	PA__ERR_COUNT
} pa_err_t;

/* Size of an error buffer: functions taking `char *errbuf` write at most this
 * many bytes (NUL included) into it; errbuf may be NULL. */
#define PA_ERRBUF_SIZE 256

/* Human-readable message for err. Borrowed (static storage), never NULL. */
const char *pa_strerror(pa_err_t err);
/* Symbolic name without prefix ("MAC", "TIMEOUT"). Borrowed, never NULL. */
const char *pa_err_name(pa_err_t err);
/* 1 when retrying the same operation later may succeed. */
int pa_err_is_retryable(pa_err_t err);
/* 1 when the error is final for this input (never retry). PA_OK is neither. */
int pa_err_is_fatal(pa_err_t err);

/* Writes a printf-style message into errbuf (if not NULL) and returns err, so
 * that callers can `return pa_seterr(errbuf, PA_VALIDATION, "...");`. */
pa_err_t pa_seterr(char *errbuf, pa_err_t err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#ifdef __cplusplus
}
#endif
#endif
