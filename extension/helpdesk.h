/*
 * helpdesk.h: what the extension's C files share.
 */
#ifndef HELPDESK_H
#define HELPDESK_H

#include "postgres.h"

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

#endif
