/* config_worker.h -- the worker's configuration struct and its config map.
 * Owns: pw_worker_conf_t / pw_merchant_conf_t and the table that fills them
 *       (a starting point; the lead refines keys and bounds).
 * Not here: the config machinery (config.h), applying kafka.* pairs. */
#ifndef PW_CONFIG_WORKER_H
#define PW_CONFIG_WORKER_H

#include "config.h"

/* enum fields hold the index into the entry's allowed list: */
enum { PW_GUARANTEE_AT_LEAST_ONCE, PW_GUARANTEE_EXACTLY_ONCE };
enum { PW_SERDE_AVRO, PW_SERDE_JSON };
enum { PW_LOGFMT_JSON, PW_LOGFMT_TEXT }; /* same order as log.h */
enum { PW_API_V1, PW_API_V2 };
enum { PW_COUNTRY_IN, PW_COUNTRY_BD, PW_COUNTRY_PK };
enum { PW_SIGN_SHA256, PW_SIGN_HMAC };
enum { PW_POLLKEY_REF_CODE, PW_POLLKEY_ORDER_ID };
enum { PW_WHCONFIRM_NONE, PW_WHCONFIRM_SUCCESS };

/* One merchant profile: keys merchant.<name>.<field>. Strings and lists are
 * borrowed from the pw_config_t (valid until pw_config_destroy()); secrets
 * are wiped by pw_config_destroy(). */
typedef struct pw_merchant_conf {
	const char *name;
	const char *pid;
	const char *secret;          /* SECRET */
	const char *api_key;         /* SECRET, V2 X-Api-Key */
	int api_version;             /* PW_API_* */
	const char *base_url;
	int country;                 /* PW_COUNTRY_* */
	pw_cfg_list_t products;
	int64_t rate_limit_rps;      /* 0 = worker default */
	const char *recon_token;     /* SECRET */
	const char *bot_api_key;     /* SECRET */
	const char *complaint_token; /* SECRET */
	const char *wallet_token;    /* SECRET */
	const char *wallet_email;    /* personal */
	const char *wallet_password; /* SECRET */
	int sign_mode;               /* PW_SIGN_* */
	int poll_key;                /* PW_POLLKEY_* */
} pw_merchant_conf_t;

typedef struct pw_worker_conf {
	const char *brokers; /* "" = embedded mock cluster */
	const char *group_id;
	const char *topic_cmd_payin, *topic_cmd_payout, *topic_cmd_complaint;
	const char *topic_evt_payment, *topic_evt_refund, *topic_evt_complaint;
	const char *topic_evt_report, *topic_dlq;
	const char *topic_int_webhook, *topic_int_state;
	int topics_create;
	int64_t topics_partitions;
	int64_t topics_replication_factor; /* -1 = broker default */
	int processing_guarantee; /* PW_GUARANTEE_* */
	int64_t max_inflight, max_inflight_per_partition;
	int serialization; /* PW_SERDE_* */
	const char *schema_registry_url;
	const char *schema_registry_basic_auth; /* SECRET */
	const char *schema_registry_ca_location;
	int schema_registry_subject_strategy; /* pw_subject_strategy_t */
	int schema_registry_auto_register;
	int schema_registry_use_latest_version;
	pw_cfg_list_t events_headers;
	int events_cloudevents;
	const char *events_cloudevents_source;
	const char *http_listen;
	int64_t http_max_body;
	int64_t dlq_payload_max;
	int64_t http_request_timeout_ms;
	int64_t http_max_conns_per_ip;
	pw_cfg_list_t webhook_allow_ips;
	int webhook_confirm; /* PW_WHCONFIRM_* */
	int log_level;  /* pw_log_level_t order: debug info warn error */
	int log_format; /* PW_LOGFMT_* */
	int64_t poll_first_ms, poll_max_interval_ms, poll_deadline_ms;
	int64_t retry_base_ms, retry_max_ms, retry_max_attempts;
	int64_t breaker_failures, breaker_open_ms;
	int64_t gateway_max_concurrent;
	int64_t rate_limit_rps;
	int64_t shutdown_timeout_ms;
	int64_t handover_timeout_ms;
	int64_t state_retention_ms;
	const char *state_dir;
	int64_t state_store_max_bytes;
	int64_t reports_schedule_ms; /* 0 = off */
	int64_t commit_interval_ms;
} pw_worker_conf_t;

/* The worker's table. Borrowed (static storage). */
const pw_cfg_table_t *pw_config_worker_table(void);

/* Every component table of the project (worker first), so that one unit
 * test checks them all and doc generators find them: add a component's
 * table to the list in config_worker.c. Borrowed (static storage); *n gets
 * the count. */
const pw_cfg_table_t *const *pw_config_all_tables(size_t *n);

#endif
