/*
 * guc.c: the extension's settings.
 *
 * The per-request settings (actor, client address, user agent) are set transaction-locally by
 * helpdesk-http, or by a DBA with SET LOCAL, and read by triggers and audit rows. They are real
 * GUCs rather than placeholders so that a typo in a setting name is an error, not a silent no-op.
 * The SLA watcher's own settings are defined with the watcher (sla_worker.c).
 */
#include "postgres.h"

#include <limits.h>

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"

#include "helpdesk.h"
#include "request_context.h"

char	   *helpdesk_actor_id = NULL;
char	   *helpdesk_token_iat = NULL;
char	   *helpdesk_client_ip = NULL;
char	   *helpdesk_user_agent = NULL;
int			helpdesk_bcrypt_cost = 12;
char	   *helpdesk_sla_time = NULL;

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

/*
 * An instant, or empty. Parsed with the date/time decoder, which reports errors by return code
 * (a check hook must not throw); the zone-less form is read in the session's TimeZone.
 */
static bool
check_timestamp_or_empty(char **newval, void **extra, GucSource source)
{
	const char *s = *newval;
	char		workbuf[MAXDATELEN + MAXDATEFIELDS];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf,
				dtype,
				tz;
	struct pg_tm tt;
	fsec_t		fsec;

	if (s == NULL || s[0] == '\0')
		return true;
	if (strlen(s) >= MAXDATELEN ||
		ParseDateTime(s, workbuf, sizeof(workbuf), field, ftype, MAXDATEFIELDS, &nf) != 0 ||
		DecodeDateTime(field, ftype, nf, &dtype, &tt, &fsec, &tz) != 0 ||
		dtype != DTK_DATE)
	{
		GUC_check_errdetail("The value must be empty or a timestamp with time zone, e.g. 2030-01-07 09:00+00.");
		return false;
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
	DefineCustomStringVariable("helpdesk.sla_time",
							   "The instant SLA clock changes of this session happen at (tests, repairs).",
							   "Empty means now(). Only a superuser may set it.",
							   &helpdesk_sla_time, "",
							   PGC_SUSET, 0,
							   check_timestamp_or_empty, NULL, NULL);
}

/*
 * helpdesk_api.request_context(actor_id, token_iat, client_ip, user_agent, read_only,
 * application_name): the per-request settings of helpdesk-http (listed once, in
 * request_context.h), made transaction-local. It is called in the FROM clause of the route's own statement, so a
 * request is one statement rather than two:
 *   SELECT helpdesk_api.<route>($7::jsonb)::text
 *   FROM helpdesk_api.request_context(actor_id => $1, ..., application_name => $6)
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
