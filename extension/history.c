/*
 * history.c: the ticket history trigger.
 *
 * helpdesk.ticket_history_trigger() is an AFTER ... FOR EACH ROW trigger on helpdesk.tickets
 * (INSERT, UPDATE), helpdesk.comments (INSERT) and helpdesk.attachments (INSERT). It writes
 * helpdesk.ticket_history rows with the true old and new values, taken from the trigger's own
 * tuples (never by re-reading the row), so every path that changes a ticket (the API, the bulk
 * routes, the SLA watcher, a DBA's UPDATE in psql) leaves the same trail.
 *
 * Attribution: the acting user is the transaction-local setting helpdesk.actor_id. When it is
 * empty the row's user_id is NULL and db_user (column default current_user) names who acted;
 * for comments and attachments the author / uploader stands in for a missing actor. An actor id
 * that names no user is recorded as NULL rather than failing the change.
 *
 * One row per event, as a reader of the timeline expects:
 *   - INSERT ticket: `created`.
 *   - title / description changed: one `updated` row per field (field_name `title` or
 *     `description`).
 *   - assignee changed: `assigned` (field `assignee`, old/new user ids, `Unassigned` for none).
 *   - priority changed: `priority_changed`; category changed: `category_changed` (old/new ids,
 *     the description names the categories).
 *   - status changed: exactly one row with field `status` and the old/new status. Its action
 *     says what the move means: `resolved` on entering Resolved, `closed` on entering Closed,
 *     `reopened` when leaving Resolved/Closed for an open status, `status_changed` otherwise.
 *     So a move to Resolved is not logged twice; filter on field_name = 'status' for every
 *     status move.
 *   - INSERT comment (not already deleted): `comment_added`, field `comment` (public, system)
 *     or `internal_comment` (internal, hidden from Employees), new_value = the comment id.
 *   - INSERT attachment: `attachment_added`, new_value = the original file name.
 *
 * Rows arriving by COPY are data being loaded (pg_restore of a dump, an import), not changes:
 * they already carry their history, so the trigger writes nothing for them.
 * helpdesk.copying_rows() tells SQL triggers the same (the notification triggers use it).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "tcop/pquery.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/portal.h"
#include "utils/rel.h"

#include "helpdesk.h"

PG_FUNCTION_INFO_V1(ticket_history_trigger);
PG_FUNCTION_INFO_V1(helpdesk_copying_rows);

/* Saved plans, prepared on first use in each backend. */
static SPIPlanPtr insert_plan = NULL;
static SPIPlanPtr category_name_plan = NULL;

/* What the history row says; NULL members are SQL NULLs. */
typedef struct HistoryEvent
{
	int32		ticket_id;
	bool		has_user;
	int32		user_id;
	const char *action;
	const char *field_name;
	const char *old_value;
	const char *new_value;
	const char *description;
} HistoryEvent;

/* The acting user from helpdesk.actor_id (validated by the setting's check hook). */
static bool
current_actor(int32 *actor)
{
	if (helpdesk_actor_id == NULL || helpdesk_actor_id[0] == '\0')
		return false;
	*actor = pg_strtoint32(helpdesk_actor_id);
	return true;
}

static void
prepare_plans(void)
{
	if (insert_plan == NULL)
	{
		Oid			types[7] = {INT4OID, INT4OID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID};
		SPIPlanPtr	plan;

		plan = SPI_prepare("INSERT INTO helpdesk.ticket_history "
						   "(ticket_id, user_id, action, field_name, old_value, new_value, description) "
						   "SELECT $1, (SELECT u.id FROM helpdesk.users u WHERE u.id OPERATOR(pg_catalog.=) $2), "
						   "$3, $4, $5, $6, $7",
						   7, types);
		if (plan == NULL)
			elog(ERROR, "helpdesk: SPI_prepare of the history insert failed: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "helpdesk: SPI_keepplan failed");
		insert_plan = plan;
	}
	if (category_name_plan == NULL)
	{
		Oid			types[1] = {INT4OID};
		SPIPlanPtr	plan;

		plan = SPI_prepare("SELECT c.name::text FROM helpdesk.categories c "
						   "WHERE c.id OPERATOR(pg_catalog.=) $1",
						   1, types);
		if (plan == NULL)
			elog(ERROR, "helpdesk: SPI_prepare of the category lookup failed: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "helpdesk: SPI_keepplan failed");
		category_name_plan = plan;
	}
}

static Datum
text_or_null(const char *s, char *null_flag)
{
	if (s == NULL)
	{
		*null_flag = 'n';
		return (Datum) 0;
	}
	*null_flag = ' ';
	return CStringGetTextDatum(s);
}

static void
write_event(const HistoryEvent *ev)
{
	Datum		values[7];
	char		nulls[7];
	int			rc;

	values[0] = Int32GetDatum(ev->ticket_id);
	nulls[0] = ' ';
	values[1] = Int32GetDatum(ev->user_id);
	nulls[1] = ev->has_user ? ' ' : 'n';
	values[2] = text_or_null(ev->action, &nulls[2]);
	values[3] = text_or_null(ev->field_name, &nulls[3]);
	values[4] = text_or_null(ev->old_value, &nulls[4]);
	values[5] = text_or_null(ev->new_value, &nulls[5]);
	values[6] = text_or_null(ev->description, &nulls[6]);

	rc = SPI_execute_plan(insert_plan, values, nulls, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "helpdesk: history insert failed: %s", SPI_result_code_string(rc));
}

/*
 * Attribute numbers, resolved by name on first use and kept per backend. A cached number is
 * used only while it still names that column (a column dropped and re-added moves), so the
 * check is one comparison instead of a scan of the descriptor.
 */
typedef struct HistColumn
{
	const char *name;
	int			attnum;
} HistColumn;

static HistColumn ticket_id_col = {"id", 0};
static HistColumn title_col = {"title", 0};
static HistColumn description_col = {"description", 0};
static HistColumn category_col = {"category_id", 0};
static HistColumn priority_col = {"priority", 0};
static HistColumn assignee_col = {"assignee_id", 0};
static HistColumn status_col = {"status", 0};
static HistColumn comment_id_col = {"id", 0};
static HistColumn comment_ticket_col = {"ticket_id", 0};
static HistColumn comment_user_col = {"user_id", 0};
static HistColumn comment_type_col = {"type", 0};
static HistColumn comment_deleted_col = {"deleted_at", 0};
static HistColumn attachment_ticket_col = {"ticket_id", 0};
static HistColumn attachment_uploader_col = {"uploaded_by", 0};
static HistColumn attachment_name_col = {"original_name", 0};

static int
column(TupleDesc desc, HistColumn *ref)
{
	int			n = ref->attnum;

	if (n > 0 && n <= desc->natts)
	{
		Form_pg_attribute att = TupleDescAttr(desc, n - 1);

		if (!att->attisdropped && strcmp(NameStr(att->attname), ref->name) == 0)
			return n;
	}
	n = SPI_fnumber(desc, ref->name);
	if (n <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("helpdesk.ticket_history_trigger: column \"%s\" not found", ref->name)));
	ref->attnum = n;
	return n;
}

/* A column's value in its text form, NULL for SQL NULL. */
static char *
value_of(HeapTuple tuple, TupleDesc desc, int fnum)
{
	return SPI_getvalue(tuple, desc, fnum);
}

static int32
int_of(HeapTuple tuple, TupleDesc desc, int fnum, bool *isnull)
{
	Datum		d = SPI_getbinval(tuple, desc, fnum, isnull);

	return *isnull ? 0 : DatumGetInt32(d);
}

static bool
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/*
 * Whether a column differs between the old and the new row; when it does, its text forms go to
 * *o and *n. Bytewise-equal datums (an untouched TOASTed description keeps its pointer) are
 * settled without detoasting; otherwise the text forms decide.
 */
static bool
changed(HeapTuple oldtup, HeapTuple newtup, TupleDesc desc, int fnum, char **o, char **n)
{
	bool		onull,
				nnull;
	Datum		od = SPI_getbinval(oldtup, desc, fnum, &onull);
	Datum		nd = SPI_getbinval(newtup, desc, fnum, &nnull);
	Form_pg_attribute att = TupleDescAttr(desc, fnum - 1);

	if (onull && nnull)
		return false;
	if (!onull && !nnull && datumIsEqual(od, nd, att->attbyval, att->attlen))
		return false;
	*o = SPI_getvalue(oldtup, desc, fnum);
	*n = SPI_getvalue(newtup, desc, fnum);
	return !same(*o, *n);
}

static bool
is_terminal(const char *status)
{
	return strcmp(status, "Resolved") == 0 || strcmp(status, "Closed") == 0;
}

/* The category's name, or its id when it has none (deleted meanwhile). */
static char *
category_label(const char *id_text)
{
	Datum		arg[1];
	int			rc;

	if (id_text == NULL)
		return pstrdup("none");
	arg[0] = Int32GetDatum(pg_strtoint32(id_text));
	rc = SPI_execute_plan(category_name_plan, arg, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "helpdesk: category lookup failed: %s", SPI_result_code_string(rc));
	if (SPI_processed == 1)
	{
		char	   *name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);

		if (name != NULL)
			return name;
	}
	return psprintf("#%s", id_text);
}

static void
ticket_inserted(HeapTuple tuple, TupleDesc desc, HistoryEvent *ev)
{
	bool		isnull;

	ev->ticket_id = int_of(tuple, desc, column(desc, &ticket_id_col), &isnull);
	ev->action = "created";
	ev->description = "Ticket created";
	write_event(ev);
}

static void
ticket_updated(HeapTuple oldtup, HeapTuple newtup, TupleDesc desc, HistoryEvent *base)
{
	bool		isnull;
	char	   *o = NULL,
			   *n = NULL;
	HistoryEvent ev;

	base->ticket_id = int_of(newtup, desc, column(desc, &ticket_id_col), &isnull);

	/* title */
	if (changed(oldtup, newtup, desc, column(desc, &title_col), &o, &n))
	{
		ev = *base;
		ev.action = "updated";
		ev.field_name = "title";
		ev.old_value = o;
		ev.new_value = n;
		ev.description = psprintf("Title changed from \"%s\" to \"%s\"", o ? o : "", n ? n : "");
		write_event(&ev);
	}

	/* description */
	if (changed(oldtup, newtup, desc, column(desc, &description_col), &o, &n))
	{
		ev = *base;
		ev.action = "updated";
		ev.field_name = "description";
		ev.old_value = o;
		ev.new_value = n;
		ev.description = "Description updated";
		write_event(&ev);
	}

	/* category */
	if (changed(oldtup, newtup, desc, column(desc, &category_col), &o, &n))
	{
		ev = *base;
		ev.action = "category_changed";
		ev.field_name = "category";
		ev.old_value = o;
		ev.new_value = n;
		ev.description = psprintf("Category changed from %s to %s",
								  category_label(o), category_label(n));
		write_event(&ev);
	}

	/* priority */
	if (changed(oldtup, newtup, desc, column(desc, &priority_col), &o, &n))
	{
		ev = *base;
		ev.action = "priority_changed";
		ev.field_name = "priority";
		ev.old_value = o;
		ev.new_value = n;
		ev.description = psprintf("Priority changed from %s to %s", o, n);
		write_event(&ev);
	}

	/* assignee */
	if (changed(oldtup, newtup, desc, column(desc, &assignee_col), &o, &n))
	{
		ev = *base;
		ev.action = "assigned";
		ev.field_name = "assignee";
		ev.old_value = o ? o : "Unassigned";
		ev.new_value = n ? n : "Unassigned";
		if (n == NULL)
			ev.description = "Ticket unassigned";
		else if (o == NULL)
			ev.description = "Ticket assigned to staff member";
		else
			ev.description = "Ticket reassigned to another staff member";
		write_event(&ev);
	}

	/* status: one row whose action says what the move means */
	if (changed(oldtup, newtup, desc, column(desc, &status_col), &o, &n))
	{
		ev = *base;
		ev.field_name = "status";
		ev.old_value = o;
		ev.new_value = n;
		if (strcmp(n, "Resolved") == 0)
		{
			ev.action = "resolved";
			ev.description = "Ticket marked as resolved";
		}
		else if (strcmp(n, "Closed") == 0)
		{
			ev.action = "closed";
			ev.description = "Ticket closed";
		}
		else if (is_terminal(o))
		{
			ev.action = "reopened";
			ev.description = psprintf("Ticket reopened (%s to %s)", o, n);
		}
		else
		{
			ev.action = "status_changed";
			ev.description = psprintf("Status changed from %s to %s", o, n);
		}
		write_event(&ev);
	}
}

static void
comment_inserted(HeapTuple tuple, TupleDesc desc, HistoryEvent *ev)
{
	bool		isnull;
	int32		author;
	char	   *type;

	(void) SPI_getbinval(tuple, desc, column(desc, &comment_deleted_col), &isnull);
	if (!isnull)
		return;					/* inserted already deleted: nothing to show */

	ev->ticket_id = int_of(tuple, desc, column(desc, &comment_ticket_col), &isnull);
	author = int_of(tuple, desc, column(desc, &comment_user_col), &isnull);
	if (!ev->has_user && !isnull)
	{
		ev->has_user = true;
		ev->user_id = author;
	}
	type = value_of(tuple, desc, column(desc, &comment_type_col));
	ev->action = "comment_added";
	ev->new_value = value_of(tuple, desc, column(desc, &comment_id_col));
	if (type != NULL && strcmp(type, "internal") == 0)
	{
		ev->field_name = "internal_comment";
		ev->description = "Internal comment added";
	}
	else
	{
		ev->field_name = "comment";
		ev->description = "Comment added";
	}
	write_event(ev);
}

static void
attachment_inserted(HeapTuple tuple, TupleDesc desc, HistoryEvent *ev)
{
	bool		isnull;
	int32		uploader;
	char	   *name;

	ev->ticket_id = int_of(tuple, desc, column(desc, &attachment_ticket_col), &isnull);
	uploader = int_of(tuple, desc, column(desc, &attachment_uploader_col), &isnull);
	if (!ev->has_user && !isnull)
	{
		ev->has_user = true;
		ev->user_id = uploader;
	}
	name = value_of(tuple, desc, column(desc, &attachment_name_col));
	ev->action = "attachment_added";
	ev->field_name = "attachment";
	ev->new_value = name;
	ev->description = psprintf("File attached: %s", name ? name : "");
	write_event(ev);
}

/* Whether the statement being executed is a COPY (rows loaded, not changed). */
static bool
copying_rows(void)
{
	return ActivePortal != NULL && ActivePortal->commandTag == CMDTAG_COPY;
}

Datum
helpdesk_copying_rows(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(copying_rows());
}

Datum
ticket_history_trigger(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	const char *relname;
	TupleDesc	desc;
	HistoryEvent ev;
	bool		inserting;

	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("helpdesk.ticket_history_trigger: not called by the trigger manager")));
	if (!TRIGGER_FIRED_AFTER(trigdata->tg_event) || !TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("helpdesk.ticket_history_trigger: must be fired AFTER ... FOR EACH ROW")));

	inserting = TRIGGER_FIRED_BY_INSERT(trigdata->tg_event);
	if (!inserting && !TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		return PointerGetDatum(NULL);
	if (copying_rows())
		return PointerGetDatum(NULL);

	relname = RelationGetRelationName(trigdata->tg_relation);
	desc = RelationGetDescr(trigdata->tg_relation);

	memset(&ev, 0, sizeof(ev));
	ev.has_user = current_actor(&ev.user_id);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "helpdesk: SPI_connect failed");
	prepare_plans();

	if (strcmp(relname, "tickets") == 0)
	{
		if (inserting)
			ticket_inserted(trigdata->tg_trigtuple, desc, &ev);
		else
			ticket_updated(trigdata->tg_trigtuple, trigdata->tg_newtuple, desc, &ev);
	}
	else if (strcmp(relname, "comments") == 0)
	{
		if (inserting)
			comment_inserted(trigdata->tg_trigtuple, desc, &ev);
	}
	else if (strcmp(relname, "attachments") == 0)
	{
		if (inserting)
			attachment_inserted(trigdata->tg_trigtuple, desc, &ev);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("helpdesk.ticket_history_trigger: unsupported table \"%s\"", relname)));

	SPI_finish();
	return PointerGetDatum(NULL);
}
