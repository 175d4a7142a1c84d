/*
 * helpdesk.h: what the extension's C files share.
 */
#ifndef HELPDESK_H
#define HELPDESK_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "fmgr.h"

/* Settings (GUCs), defined in guc.c. */
extern char *helpdesk_actor_id;
extern char *helpdesk_token_iat;
extern char *helpdesk_client_ip;
extern char *helpdesk_user_agent;
extern int	helpdesk_bcrypt_cost;
extern char *helpdesk_sla_time;

extern void helpdesk_define_gucs(void);

/* The SLA watcher, in sla_worker.c, and its settings. */
extern char *helpdesk_database_name;
extern bool helpdesk_worker_enabled;
extern int	helpdesk_worker_idle_seconds;
extern int	helpdesk_notification_fold_ms;

extern void helpdesk_sla_worker_define_gucs(void);
extern void helpdesk_register_worker(void);

/*
 * The watcher's wake-up channel, in shared memory (sla_worker.c): where the watcher sleeps and
 * until when. A write that makes a deadline earlier than planned_wake sets its latch.
 */
extern void helpdesk_sla_shmem_request(void);
extern void helpdesk_sla_shmem_startup(void);
/* Set the watcher's latch when `deadline` (a TimestampTz) is before its planned wake-up. */
extern void helpdesk_sla_wake_worker(int64 deadline);

/* kb_cache.c: the shared cache of search answers */
extern int	helpdesk_kb_cache_size_kb;
extern void helpdesk_kb_cache_define_gucs(void);
extern void helpdesk_kb_cache_shmem_request(void);
extern void helpdesk_kb_cache_shmem_startup(void);

/* iso.c: a timestamp as the API writes it (2026-01-15T03:04:05.123Z); -1: infinite (null) */
#define HELPDESK_ISO_LEN 32
extern int	helpdesk_iso_format(int64 ts, char *buf);

/*
 * ticket_json.c: the ticket objects of a statement's flat rows (list_plans.c's page). The select
 * list names the ticket's columns as they are and an include's as "submitter.<column>",
 * "assignee.<column>", "category.<column>"; the statement adds a boolean "sla_breached".
 */
typedef struct HelpdeskTicketRows HelpdeskTicketRows;
struct StringInfoData;
struct HeapTupleData;
struct JsonbValue;
extern void helpdesk_ticket_select_list(struct StringInfoData *buf, const char *ticket,
										const char *submitter, const char *assignee,
										const char *category);
extern HelpdeskTicketRows *helpdesk_ticket_rows_begin(TupleDesc desc);
extern void helpdesk_ticket_rows_value(HelpdeskTicketRows *rows, struct HeapTupleData *tuple,
									   bool detail, struct JsonbValue *v);

/* paginated.c: the SQL function, called directly by list_plans.c */
extern Datum helpdesk_paginated(PG_FUNCTION_ARGS);

#endif
