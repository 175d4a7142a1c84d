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
extern char *helpdesk_database_name;
extern bool helpdesk_worker_enabled;
extern int	helpdesk_worker_idle_seconds;

extern void helpdesk_define_gucs(void);

/* The SLA watcher, in sla_worker.c. */
extern void helpdesk_register_worker(void);

#endif
