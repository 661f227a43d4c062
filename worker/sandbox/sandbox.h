/* sandbox.h -- payatom-sandbox, a stateful local PayAtom gateway, embeddable.
 * Owns: the sandbox's public face: configuration (one option table, from
 *       which the CLI, the config file and --help come) and the sbx_t
 *       lifecycle on a caller's pw_loop.
 * Not here: endpoints (routes.c), orders (orders.c), webhooks (webhooks.c),
 *           faults (faults.c), the control API (control.c), main
 *           (cmd/payatom-sandbox.c).
 *
 * Embedding:
 *     sbx_cfg_t *cfg; sbx_cfg_new(&cfg);
 *     sbx_cfg_set(cfg, "port", "0", eb);
 *     sbx_cfg_set(cfg, "merchant", "pid=P1,secret=s,callback=http://...", eb);
 *     sbx_t *sbx; sbx_new(loop, cfg, &sbx, eb);  // listening on return
 *     ... pw_loop_run(loop) ...
 *     sbx_destroy(sbx); sbx_cfg_destroy(cfg);
 * Two sandboxes may live in one process (no global state). */
#ifndef SBX_SANDBOX_H
#define SBX_SANDBOX_H

#include <stdint.h>
#include <stdio.h>

#include "core/loop.h"
#include "payatom/error.h"

typedef struct sbx sbx_t;
typedef struct sbx_cfg sbx_cfg_t;

/* Configuration with every option at its default and no merchant (sbx_new
 * then creates the documented default merchant). New (caller frees with
 * sbx_cfg_destroy()). */
pa_err_t sbx_cfg_new(sbx_cfg_t **out);
/* Wipes the secrets it holds. NULL is a safe no-op. */
void sbx_cfg_destroy(sbx_cfg_t *cfg);
/* Sets option `key` (a name of the option table, '-' and '_' equivalent)
 * from text. Repeatable options ("merchant", "fault") add one entry per
 * call. Errors: PA_CONFIG (unknown key, with the nearest valid one in
 * errbuf; bad value). */
pa_err_t sbx_cfg_set(sbx_cfg_t *cfg, const char *key, const char *value,
		     char *errbuf);
/* The nearest valid option for an unknown key: a word people reach for
 * ("listen" -> port and bind), or a name within a few typos of it, among
 * the table's and extra (NULL-terminated, may be NULL: a program's own
 * options). Writes "; did you mean <dashes>port N?" or "" into buf. */
void sbx_cfg_suggest(const char *key, const char *const *extra,
		     const char *dashes, char *buf, size_t size);
/* 1 when key names an option of the table ('_' and '-' alike). */
int sbx_cfg_known(const char *key);
/* Reads `key = value` lines ('#' comments, blank lines) through
 * sbx_cfg_set(). A value "@/path" is read from that file (Kubernetes
 * Secrets); trailing newlines are stripped. */
pa_err_t sbx_cfg_load_file(sbx_cfg_t *cfg, const char *path, char *errbuf);
/* Checks what sbx_cfg_set() cannot check alone (value sets, merchants'
 * pids unique); sbx_new() runs it too. PA_CONFIG with the reason. */
pa_err_t sbx_cfg_check(const sbx_cfg_t *cfg, char *errbuf);
/* Writes the option reference (--help text) generated from the table. */
void sbx_cfg_print_help(FILE *f);
/* The magic values (order_id prefixes, amount endings) and the control API
 * reference, as --help prints them. */
void sbx_print_reference(FILE *f);
/* Entry i of the option table: name, default text and description
 * (borrowed, static); 0 past the end. For docs and tests. */
int sbx_cfg_option(size_t i, const char **name, const char **dflt,
		   const char **help);

/* Starts a sandbox listening on cfg's address (bound on return). cfg is
 * copied. New (caller frees with sbx_destroy(), before the loop). */
pa_err_t sbx_new(pw_loop_t *loop, const sbx_cfg_t *cfg, sbx_t **out,
		 char *errbuf);
/* Stops listening, cancels timers and webhook deliveries, frees all
 * orders. NULL is a safe no-op. */
void sbx_destroy(sbx_t *sbx);
/* Port actually bound (with port 0). */
uint16_t sbx_port(const sbx_t *sbx);
/* Bound address text ("127.0.0.1"). Borrowed (valid until sbx_destroy()). */
const char *sbx_bind_addr(const sbx_t *sbx);
/* "http://127.0.0.1:PORT" (or --public-url): the base_url a client's
 * merchant profile uses. Borrowed (valid until sbx_destroy()). */
const char *sbx_base_url(const sbx_t *sbx);

#endif
