/* payatom.h -- umbrella header of libpayatom: include this one.
 * Owns: nothing but the list of public headers.
 * Not here: everything (see each header). */
#ifndef PAYATOM_PAYATOM_H
#define PAYATOM_PAYATOM_H

#include "payatom/error.h"     /* pa_err_t, the one error list */
#include "payatom/crypto.h"    /* secrets, post_hash seal/open, digests */
#include "payatom/money.h"     /* amounts in minor units, PHP printing */
#include "payatom/canonjson.h" /* PHP json_encode() text for V2 signing */
#include "payatom/sign.h"      /* every named hash/signature formula */
#include "payatom/status.h"    /* normalized statuses and transitions */
#include "payatom/request.h"   /* pa_request_t: what the client sends */
#include "payatom/webhook.h"   /* callbacks/poll answers: parse, verify, ack */
#include "payatom/api.h"       /* merchant profile, builders, parsers */
#include "payatom/client.h"    /* asynchronous HTTP client */

#endif
