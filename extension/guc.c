/*
 * guc.c: the extension's settings.
 *
 * The per-request settings (actor, client address, user agent) are set transaction-locally by
 * helpdesk-http, or by a DBA with SET LOCAL, and read by triggers and audit rows. They are real
 * GUCs rather than placeholders so that a typo in a setting name is an error, not a silent no-op.
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "helpdesk.h"
#include "request_context.h"

char	   *helpdesk_actor_id = NULL;
char	   *helpdesk_token_iat = NULL;
char	   *helpdesk_client_ip = NULL;
char	   *helpdesk_user_agent = NULL;
int			helpdesk_bcrypt_cost = 12;
char	   *helpdesk_database_name = NULL;
bool		helpdesk_worker_enabled = true;
int			helpdesk_worker_idle_seconds = 60;

/* An id setting holds '' or a decimal integer in 1..INT_MAX, so SQL can cast it safely. */
static bool
check_positive_int_or_empty(char **newval, void **extra, GucSource source)
{
	const char *s = *newval;
	long long	v = 0;

	if (s == NULL || s[0] == '\0')
		return true;
	for (const char *p = s; *p; p++)
	{
		if (*p < '0' || *p > '9' || p - s >= 10)
		{
			GUC_check_errdetail("The value must be empty or a positive integer.");
			return false;
		}
		v = v * 10 + (*p - '0');
	}
	if (v < 1 || v > INT_MAX)
	{
		GUC_check_errdetail("The value must be empty or a positive integer.");
		return false;
	}
	return true;
}

/* A unix time in seconds, or empty. */
static bool
check_unix_time_or_empty(char **newval, void **extra, GucSource source)
{
	const char *s = *newval;

	if (s == NULL || s[0] == '\0')
		return true;
	for (const char *p = s; *p; p++)
	{
		if (*p < '0' || *p > '9' || p - s >= 12)
		{
			GUC_check_errdetail("The value must be empty or a unix time in seconds.");
			return false;
		}
	}
	return true;
}

void
helpdesk_define_gucs(void)
{
	DefineCustomStringVariable("helpdesk.actor_id",
							   "Id of the user on whose behalf this transaction acts.",
							   "Set transaction-locally by helpdesk-http; empty means the database user acts.",
							   &helpdesk_actor_id, "",
							   PGC_USERSET, 0,
							   check_positive_int_or_empty, NULL, NULL);
	DefineCustomStringVariable("helpdesk.token_iat",
							   "Issue time (unix seconds) of the access token of this request.",
							   NULL,
							   &helpdesk_token_iat, "",
							   PGC_USERSET, 0,
							   check_unix_time_or_empty, NULL, NULL);
	DefineCustomStringVariable("helpdesk.client_ip",
							   "Network address of the client of this request, for audit rows and rate limits.",
							   NULL,
							   &helpdesk_client_ip, "",
							   PGC_USERSET, 0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("helpdesk.user_agent",
							   "User agent of the client of this request, for audit rows.",
							   NULL,
							   &helpdesk_user_agent, "",
							   PGC_USERSET, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("helpdesk.bcrypt_cost",
							"bcrypt cost factor for new password hashes.",
							"Each step doubles the work of hashing and of every login.",
							&helpdesk_bcrypt_cost, 12, 4, 31,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomStringVariable("helpdesk.database_name",
							   "Database in which the SLA watcher runs.",
							   "The watcher does nothing unless the helpdesk extension is installed there.",
							   &helpdesk_database_name, "postgres",
							   PGC_POSTMASTER, 0,
							   NULL, NULL, NULL);
	DefineCustomBoolVariable("helpdesk.worker_enabled",
							 "Whether the SLA watcher does its work.",
							 "When off the worker stays idle until the setting is turned on and reloaded.",
							 &helpdesk_worker_enabled, true,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("helpdesk.worker_idle_seconds",
							"Longest time the SLA watcher sleeps without being woken.",
							NULL,
							&helpdesk_worker_idle_seconds, 60, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	MarkGUCPrefixReserved("helpdesk");
}

/*
 * helpdesk_api.request_context(actor_id, token_iat, client_ip, user_agent, read_only): the
 * per-request settings of helpdesk-http (listed once, in request_context.h), made
 * transaction-local. It is called in the FROM clause of the route's own statement, so a
 * request is one statement rather than two:
 *   SELECT helpdesk_api.<route>($6::jsonb)::text
 *   FROM helpdesk_api.request_context(actor_id => $1, ..., read_only => $5)
 * (the function scan runs before the target list). It sets only what any caller may set with
 * set_config(), so it needs no privileges; it must not carry a SET clause, which would undo
 * these settings when it returns.
 */
PG_FUNCTION_INFO_V1(helpdesk_request_context);

Datum
helpdesk_request_context(PG_FUNCTION_ARGS)
{
#define SETTING_NAME(suffix, setting, argument) setting,
	static const char *const names[] = {HD_REQUEST_CONTEXT(SETTING_NAME)};
#undef SETTING_NAME

	if (PG_NARGS() != lengthof(names))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_FUNCTION_DEFINITION),
				 errmsg("helpdesk_api.request_context is declared with %d arguments, request_context.h lists %d",
						PG_NARGS(), (int) lengthof(names))));

	for (int i = 0; i < (int) lengthof(names); i++)
	{
		char	   *value = PG_ARGISNULL(i) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(i));

		(void) set_config_option(names[i], value,
								 superuser() ? PGC_SUSET : PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_LOCAL, true, 0, false);
	}
	PG_RETURN_VOID();
}
