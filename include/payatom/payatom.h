/* payatom.h -- umbrella header of libpayatom: include this one.
 * Owns: nothing but the list of public headers.
 * Not here: everything (see each header). */
#ifndef PAYATOM_PAYATOM_H
#define PAYATOM_PAYATOM_H

#include "payatom/error.h"
#include "payatom/crypto.h"
#include "payatom/money.h"
#include "payatom/status.h"
#include "payatom/request.h"
#include "payatom/webhook.h"
#include "payatom/api.h"
/* Headers written in parallel by other engineers: included once they land. */
#if defined(__has_include)
#if __has_include("payatom/sign.h")
#include "payatom/sign.h"
#endif
#if __has_include("payatom/client.h")
#include "payatom/client.h"
#endif
#endif

#endif
