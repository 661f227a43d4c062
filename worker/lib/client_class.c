/* client_class.c -- how a reply is classified (client.h's table), for
 * both engines of the client.
 * Owns: HTTP status -> pa_err_t, libcurl's result codes -> pa_err_t.
 * Not here: the engines (client.c for libcurl, client_h1*.c). */
#include <curl/curl.h>

#include "client_h1.h"


pa_err_t pa__classify_curl(int code, int too_big)
{
	CURLcode rc = (CURLcode)code;
	switch (rc) {
	case CURLE_OK:
		return PA_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return PA_TIMEOUT;
	case CURLE_FILESIZE_EXCEEDED:
		return PA_TOO_BIG;
	case CURLE_WRITE_ERROR:
		return too_big ? PA_TOO_BIG : PA_NOMEM;
	case CURLE_OUT_OF_MEMORY:
		return PA_NOMEM;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	/* Not HTTP at all (curl refuses HTTP/0.9), broken framing or a bad
	 * chunk: the connection, not the request, is at fault -- typically a
	 * broken proxy or a peer restarting. Retryable like a drop. */
	case CURLE_WEIRD_SERVER_REPLY:
	/* curl 7.88 reports non-HTTP bytes ("HTTP/0.9") this way; a bad
	 * scheme cannot reach here (pa_client_send checks it). */
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_BAD_CONTENT_ENCODING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
		return PA_CONNECT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_USE_SSL_FAILED:
		return PA_TLS;
	case CURLE_URL_MALFORMAT:
	case CURLE_BAD_FUNCTION_ARGUMENT:
		return PA_INVAL;
	default:
		return PA_IO;
	}
}

pa_err_t pa__classify_status(long status)
{
	if (status >= 200 && status <= 299)
		return PA_OK;
	if (status == 429)
		return PA_RATE_LIMITED;
	if (status >= 500 && status <= 599)
		return PA_HTTP_5XX;
	if (status == 401 || status == 403)
		return PA_AUTH;
	if (status == 408)
		return PA_TIMEOUT;
	return PA_HTTP_STATUS;
}

