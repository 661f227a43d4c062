/* codec_show.c -- the operator's views of records (codec.h): `payatom-ctl
 *                 tail` lines and `payatom-ctl dlq show` display.
 * Owns: the shape of those lines, base64 of undecodable bytes.
 * Not here: decoding itself (codec.c), the ctl commands (worker/cmd). */
#include "serde/codec.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

static char *b64(const uint8_t *buf, size_t len)
{
	char *s = malloc(4 * ((len + 2) / 3) + 1);
	if (s)
		EVP_EncodeBlock((unsigned char *)s, buf, (int)len);
	return s;
}

pa_err_t pw_codec_tail_line(pw_codec_t *codec, const char *topic,
			    int32_t partition, int64_t offset,
			    const uint8_t *buf, size_t len, char **line)
{
	char eb[PA_ERRBUF_SIZE] = "";
	json_t *rec = NULL;
	const char *name = NULL;
	pa_err_t err = pw_codec_decode(codec, NULL, buf, len, &rec, &name, eb);
	json_t *o = json_pack("{s:s?, s:i, s:I, s:s}", "topic", topic,
			      "partition", (int)partition, "offset",
			      (json_int_t)offset, "framing",
			      pw_framing_name(pw_codec_detect(buf, len)));
	if (!o) {
		json_decref(rec);
		return PA_NOMEM;
	}
	if (!err) {
		json_object_set_new(o, "schema", json_string(name));
		json_object_set_new(o, "value", rec);
	} else {
		char *raw = b64(buf ? buf : (const uint8_t *)"", len);
		json_object_set_new(o, "error", json_string(eb));
		json_object_set_new(o, "error_name", json_string(pa_err_name(err)));
		json_object_set_new(o, "raw_base64", json_string(raw ? raw : ""));
		free(raw);
	}
	*line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return *line ? PA_OK : PA_NOMEM;
}

pa_err_t pw_codec_dlq_show(pw_codec_t *codec, const uint8_t *buf, size_t len,
			   json_t **out, char *errbuf)
{
	json_t *dl;
	pa_err_t err = pw_codec_decode(codec, "DeadLetter", buf, len, &dl, NULL,
				       errbuf);
	if (err)
		return err;
	const char *ob64 = json_string_value(json_object_get(dl, "payload"));
	size_t n = ob64 ? strlen(ob64) : 0;
	uint8_t *raw = malloc(n / 4 * 3 + 3);
	int got = raw && n ? EVP_DecodeBlock(raw, (const unsigned char *)ob64,
					     (int)n)
			   : 0;
	size_t rlen = got > 0 ? (size_t)got : 0;
	if (rlen && ob64[n - 1] == '=')
		rlen--;
	if (rlen && n > 1 && ob64[n - 2] == '=')
		rlen--;
	json_t *orig = json_pack("{s:s}", "framing",
				 pw_framing_name(pw_codec_detect(raw, rlen)));
	json_t *val = NULL;
	const char *name = NULL;
	char eb[PA_ERRBUF_SIZE] = "";
	if (pw_codec_decode(codec, NULL, raw, rlen, &val, &name, eb) == PA_OK) {
		json_object_set_new(orig, "schema", json_string(name));
		json_object_set_new(orig, "value", val);
	} else {
		json_object_set_new(orig, "error", json_string(eb));
	}
	free(raw);
	json_t *res = json_object();
	json_t *b64s = json_string(ob64 ? ob64 : "");
	json_object_del(dl, "payload"); /* ob64 is gone now */
	json_object_set_new(res, "dead_letter", dl);
	json_object_set_new(res, "original", orig);
	json_object_set_new(res, "payload_base64", b64s);
	*out = res;
	return PA_OK;
}
