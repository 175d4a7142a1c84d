/*
 * request_context.h: THE list of per-request settings that helpdesk-http sends with every
 * route call (docs/REQUEST-CONTRACT.md). Plain C, no includes: read by the extension
 * (guc.c, helpdesk_api.request_context) and by the server (http/db.h, http/db.c,
 * http/catalog.c), so the order is written once.
 *
 *   X(suffix, setting made transaction-local, argument name of helpdesk_api.request_context)
 *
 * The SQL declaration of helpdesk_api.request_context (sql/) names its text arguments in this
 * order; helpdesk-http checks that against pg_catalog at start-up and in `make test`
 * (http/catalog.c), and calls the function with these names (named notation).
 *
 * application_name carries the request id ("helpdesk-http/<X-Request-Id>"), so that
 * pg_stat_activity and log lines with %a name the request a statement belongs to; it falls back
 * to the connection's own application_name when the transaction ends.
 */
#ifndef HELPDESK_REQUEST_CONTEXT_H
#define HELPDESK_REQUEST_CONTEXT_H

#define HD_REQUEST_CONTEXT(X) \
	X(ACTOR, "helpdesk.actor_id", "actor_id") \
	X(IAT, "helpdesk.token_iat", "token_iat") \
	X(IP, "helpdesk.client_ip", "client_ip") \
	X(UA, "helpdesk.user_agent", "user_agent") \
	X(RO, "transaction_read_only", "read_only") \
	X(APPNAME, "application_name", "application_name")

#endif
