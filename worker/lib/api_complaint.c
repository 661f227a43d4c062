/* api_complaint.c -- complaints: submit and view (spec §10.4).
 * Owns: pa_build_complaint_submit/view, pa_parse_complaint and assumption A4
 *       (signature = sha256(pid . secret . ref_code / complaint_id)).
 * Not here: shared helpers (api_common.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"

/* "Authorization: Bearer <token>" (§10.4 table; the prose says "Token",
 * §12.10: we send the table's form). */
static pa_err_t bearer(const pa_merchant_t *m, pa_request_t *req, char *errbuf)
{
	char *v;
	size_t n = strlen(m->complaint_token) + 8;
	if (!(v = malloc(n)))
		return pa_seterr(errbuf, PA_NOMEM, "out of memory");
	snprintf(v, n, "Bearer %s", m->complaint_token);
	pa_err_t e = pa__req_header(req, "Authorization", v);
	memset(v, 0, n);
	free(v);
	return e ? pa_seterr(errbuf, PA_NOMEM, "out of memory") : PA_OK;
}

/* What both complaint calls check first: the arguments, the merchant and its
 * complaint token (spec §10.4). */
static pa_err_t complaint_args(const pa_merchant_t *m, pa_request_t **out,
			       char *errbuf)
{
	pa_err_t e = pa__req_args(m, out, "complaint", errbuf);
	if (e)
		return e;
	return pa__need_setting("complaint_token", m->complaint_token,
				"for complaints (spec §10.4)", errbuf);
}

static int is_base64_text(const char *s)
{
	size_t n = 0;
	for (; *s; s++, n++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '+' || *s == '/' ||
		      *s == '='))
			return 0;
	return n > 0 && n % 4 == 0;
}

pa_err_t pa_build_complaint_submit(const pa_merchant_t *m, const char *order_id,
				   const char *ref_code,
				   const char *description,
				   const char *screenshot_b64,
				   pa_request_t **out, char *errbuf)
{
	pa_request_t *req = NULL;
	json_t *b = NULL;
	pa_err_t e;
	if ((e = complaint_args(m, out, errbuf)))
		return e;
	if ((e = pa__check_order_id(m, order_id, 1, 63, "§10.4", errbuf)) ||
	    (e = pa__need("ref_code", ref_code, 128, "§10.4", errbuf)))
		return e;
	if (pa__given(description) &&
	    (e = pa__need("complaint_description", description, 2000,
			  "§10.4", errbuf)))
		return e;
	if (pa__given(screenshot_b64) &&
	    (strlen(screenshot_b64) > (8u << 20) ||
	     !is_base64_text(screenshot_b64)))
		return pa_seterr(errbuf, PA_VALIDATION,
				 "screenshot_images: must be base64 text up to "
				 "8 MiB (spec §10.4)");
	if ((e = pa__req_new(m, PA_OP_COMPLAINT_SUBMIT, "POST",
			     "/api/complaint/submit_complaint.php", &req,
			     errbuf)) ||
	    (e = bearer(m, req, errbuf)))
		goto out;
	memcpy(req->order_id, order_id, strlen(order_id) + 1);
	char sig[PA_SHA256_HEX_LEN + 1];
	if ((e = pa_sign_complaint_sha256(m->secret, m->complaint_sig,
					  pa_part(m->pid), pa_part(order_id),
					  pa_part(ref_code), sig))) {
		pa_seterr(errbuf, e, "complaint: signature failed (layout %d)",
			  (int)m->complaint_sig);
		goto out;
	}
	if (!(b = json_object()) || pa__set_str(b, "pid", m->pid) ||
	    pa__set_str(b, "order_id", order_id) ||
	    pa__set_str(b, "ref_code", ref_code) ||
	    pa__set_str(b, "signature", sig) ||
	    (pa__given(description) &&
	     pa__set_str(b, "complaint_description", description)) ||
	    (pa__given(screenshot_b64) &&
	     pa__set_str(b, "screenshot_images", screenshot_b64)))
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
out:
	return pa__req_finish(e, req, b, out, errbuf);
}

/* A4: the view request has no order_id/ref_code; it signs complaint_id in
 * the same layout as the submit signature (sign.h pa_complaint_sig_t):
 * layout 0 sha256(pid . complaint_id . secret), layout 1
 * sha256(pid . secret . complaint_id). */
static void view_sig(const pa_merchant_t *m, const char *complaint_id,
		     char out[PA_SHA256_HEX_LEN + 1])
{
	size_t slen;
	const char *s = pa_secret_bytes(m->secret, &slen);
	pa_part_t p[3] = {pa_part(m->pid), pa_part(complaint_id), {s, slen}};
	if (m->complaint_sig == PA_COMPLAINT_SIG_PID_SECRET_ORDER_REF) {
		p[1] = (pa_part_t){s, slen};
		p[2] = pa_part(complaint_id);
	}
	pa_sha256_hex(p, 3, out);
}

pa_err_t pa_build_complaint_view(const pa_merchant_t *m,
				 const char *complaint_id, pa_request_t **out,
				 char *errbuf)
{
	pa_request_t *req = NULL;
	json_t *b = NULL;
	pa_err_t e;
	if ((e = complaint_args(m, out, errbuf)))
		return e;
	if ((e = pa__need("complaint_id", complaint_id, 128, "§10.4",
			  errbuf)))
		return e;
	if ((e = pa__req_new(m, PA_OP_COMPLAINT_VIEW, "POST",
			     "/api/complaint/view_complaint.php", &req,
			     errbuf)) ||
	    (e = bearer(m, req, errbuf)))
		goto out;
	char sig[PA_SHA256_HEX_LEN + 1];
	view_sig(m, complaint_id, sig);
	if (!(b = json_object()) || pa__set_str(b, "pid", m->pid) ||
	    pa__set_str(b, "complaint_id", complaint_id) ||
	    pa__set_str(b, "signature", sig))
		e = pa_seterr(errbuf, PA_NOMEM, "out of memory");
out:
	return pa__req_finish(e, req, b, out, errbuf);
}

void pa_complaint_result_clear(pa_complaint_result_t *res)
{
	if (res)
		pa__reply_clear(res, sizeof(*res), res->json_, NULL);
}

/* Reads the first present string (or integer, rendered) among keys. */
static const char *first_of(json_t *o, const char *const *keys)
{
	for (; *keys; keys++) {
		const char *s = pa__jstr(o, *keys);
		if (s)
			return s;
	}
	return NULL;
}

pa_err_t pa_parse_complaint(const char *body, size_t len,
			    pa_complaint_result_t *res, char *errbuf)
{
	static const char *const id_keys[] = {"complaint_id",
					      "complaint_reference_id",
					      "reference_id", "complaint_ref",
					      NULL};
	static const char *const st_keys[] = {"complaint_status",
					      "status_text", NULL};
	json_t *root;
	pa_err_t e;
	if ((e = pa__reply_open(res, sizeof(*res), "complaint", body, len,
				&root, errbuf)))
		return e;
	res->json_ = root;
	json_t *data = json_object_get(root, "data");
	res->complaint_id = first_of(root, id_keys);
	res->complaint_status = first_of(root, st_keys);
	if (json_is_object(data)) {
		if (!res->complaint_id)
			res->complaint_id = first_of(data, id_keys);
		if (!res->complaint_status)
			res->complaint_status = first_of(data, st_keys);
	}
	res->message = pa__jstr(root, "message");
	return PA_OK;
}
