"""GET /api/v1/tickets/export (sql/82_export.sql, http/export.c): the list's filters and
visibility, every matching ticket as RFC 4180 CSV with the cells a spreadsheet would execute
neutralised, streamed (a large export arrives whole, with the right count), bad input 400."""
import csv
import io
import uuid

from hdlib import bearer, check, check_error, claims, make_jwt, psql, psql_int, request

ADMIN, STAFF, EMPLOYEE = 1, 2, 3


def export(query="", user=ADMIN):
    h = dict(bearer(make_jwt(claims(sub=user)))) if user else {}
    return request("GET", "/api/v1/tickets/export" + query, headers=h, timeout=120)


def rows_of(resp):
    check(resp.status == 200, "status %r" % resp)
    check(resp.headers.get("content-type") == "text/csv; charset=utf-8", "content-type %r" % resp.headers)
    disp = resp.headers.get("content-disposition", "")
    check(disp.startswith('attachment; filename="tickets-') and disp.endswith('.csv"'), "disposition %r" % disp)
    text = resp.body.decode("utf-8")
    check(text.endswith("\r\n"), "CRLF line ends")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    check(rows[0][:3] == ["id", "ticketNumber", "title"], "header %r" % rows[0])
    check(all(len(r) == len(rows[0]) for r in rows), "every row has every column")
    return rows[0], rows[1:]


def make_tickets(tag, n, submitter=EMPLOYEE, priority="Low", title=None, description="exported", bulk=False):
    # bulk: loaded with the triggers off (no clocks, history, notifications): the export reads
    # the tickets only
    psql(("SET session_replication_role = replica; " if bulk else "") + """INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, submitter_id)
            SELECT 'EXP-%s-' || i, %s, %s, (SELECT min(id) FROM helpdesk.categories), '%s', %d
            FROM generate_series(1, %d) i""" % (
        tag, "'Export %s ' || i" % tag if title is None else "$t$%s$t$" % title, "$d$%s$d$" % description, priority, submitter, n))


def test_filters_and_visibility():
    tag = uuid.uuid4().hex[:8]
    make_tickets(tag, 3, EMPLOYEE, "High")
    make_tickets(tag + "s", 2, STAFF, "Low")
    _, rows = rows_of(export("?format=csv&search=" + tag))
    check(len(rows) == 5, "admin sees all 5: %d" % len(rows))
    _, rows = rows_of(export("?search=%s&priority=High" % tag))
    check(len(rows) == 3 and all(r[5] == "High" for r in rows), "priority filter %r" % rows)
    _, rows = rows_of(export("?search=%s&priority=High" % tag, STAFF))
    check(len(rows) == 3, "staff sees every ticket")
    # an Employee exports their own tickets only, whatever the filters say
    _, rows = rows_of(export("?search=" + tag, EMPLOYEE))
    check(len(rows) == 3 and all(r[8] == rows[0][8] for r in rows), "employee's own %r" % rows)
    _, rows = rows_of(export("?search=%s&submitterId=%d" % (tag, STAFF), EMPLOYEE))
    check(rows == [], "not another's tickets")
    # same set as the list
    listed = request("GET", "/api/v1/tickets?limit=100&search=" + tag, headers=dict(bearer(make_jwt(claims(sub=ADMIN))))).json
    check(listed["data"]["total"] == 5, "the list counts the same %r" % listed["data"]["total"])
    # newest first, then id
    ids = [int(r[0]) for r in rows_of(export("?search=" + tag))[1]]
    check(ids == sorted(ids, reverse=True), "order %r" % ids)


def test_quoting_and_neutralisation():
    tag = uuid.uuid4().hex[:8]
    make_tickets(tag, 1, EMPLOYEE, title='=HYPERLINK("x"),' + tag, description='line one\nline "two", @three')
    header, rows = rows_of(export("?format=csv&search=" + tag))
    check(len(rows) == 1, "one row %r" % rows)
    r = dict(zip(header, rows[0]))
    check(r["title"] == "'=HYPERLINK(\"x\")," + tag, "formula neutralised, comma and quotes kept %r" % r["title"])
    check(r["description"] == 'line one\nline "two", @three', "newline and quotes round-trip %r" % r["description"])
    check(r["id"].isdigit() and r["satisfactionRating"] == "", "numbers bare, NULL empty %r" % r)


def test_large_export_streams():
    tag = uuid.uuid4().hex[:8]
    n = 20000
    make_tickets(tag, n, STAFF, "Medium", description="x" * 250, bulk=True)  # ~6 MB of CSV: many 64 KiB chunks
    _, rows = rows_of(export("?search=EXP-" + tag + "-"))
    check(len(rows) == n, "every row: %d of %d" % (len(rows), n))
    check(len({r[0] for r in rows}) == n, "no row twice")
    check(psql_int("SELECT count(*) FROM helpdesk.tickets WHERE ticket_number LIKE 'EXP-%s-%%'" % tag) == n, "count")
    psql("SET session_replication_role = replica; DELETE FROM helpdesk.tickets WHERE ticket_number LIKE 'EXP-%s-%%'" % tag)


def test_bad_input():
    check_error(export("?format=xml"), 400)
    check_error(export("?format=json"), 400)
    check_error(export("?priority=Urgent"), 400)
    check_error(export("?categoryId=abc"), 400)
    check_error(export("", None), 401)
