"""kill -9 of the SLA watcher and of a PostgreSQL backend. Either makes the postmaster
reinitialize (every backend ends, crash recovery, the background workers start again); the
watcher then catches up on the deadlines that passed while it could not act, and records each
breach exactly once: one sla_events row, one history row, one notification per recipient.

The watcher is killed in the middle of its scan: a DBA's session locks one due clock, so the
scan fires the clocks before it inside its transaction and then waits on the lock; the
deadlines after it pass while it waits. The kill loses the uncommitted work; after the restart
all of it is done, once. Tickets are written in SQL with creation instants that put their
response deadline seconds ahead, on 24/7 time (the demo's business calendar is set aside)."""
import os
import signal
import time

from faultlib import EMPLOYEE, Server, call, check, cluster, figure


def make_tickets(c, run, n, first_due_s, step_s):
    """n High tickets whose response clock is due first_due_s, first_due_s + step_s, ... from now
    (one statement: one now(), however slow the machine)."""
    sql = (
        "INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, priority, submitter_id, created_at) "
        "SELECT 'WATCH-%s-' || k, 'Watcher %s ' || k, 'Due in seconds', 1, 'High', %d, "
        "now() - interval '1 hour' + make_interval(secs => %s + k * %s) "
        "FROM generate_series(0, %d) k ORDER BY k RETURNING id" % (run, run, EMPLOYEE, first_due_s, step_s, n - 1))
    out = c.psql(sql)
    return [int(x) for x in out.splitlines() if x.strip().isdigit()]


def all_deadlines_passed(c, ids):
    return c.psql("SELECT bool_and(response_due_at < now()) FROM helpdesk.tickets WHERE id IN (%s)"
                  % ",".join(map(str, ids))) == "t"


def watcher_pid(c):
    out = c.psql("SELECT pid FROM pg_stat_activity WHERE backend_type = 'helpdesk sla watcher'")
    return int(out) if out else None


def wait_for(what, fn, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            v = fn()
            if v:
                return v
        except AssertionError:  # the database is restarting
            pass
        time.sleep(0.2)
    raise AssertionError("timed out waiting for %s" % what)


def breach_counts(c, ids):
    """Per ticket: (sla_events breached, history sla_breached, breach notifications) of the response clock."""
    rows = c.psql(
        "SELECT t.id,"
        " (SELECT count(*) FROM helpdesk.sla_events e WHERE e.ticket_id = t.id AND e.clock = 'response' AND e.event = 'breached'),"
        " (SELECT count(*) FROM helpdesk.ticket_history h WHERE h.ticket_id = t.id AND h.action = 'sla_breached'"
        "   AND h.field_name = 'response_due'),"
        " (SELECT count(*) FROM helpdesk.notifications n WHERE n.ticket_id = t.id AND n.type = 'sla_breach'"
        "   AND n.message LIKE '%% response SLA %%')"
        " FROM helpdesk.tickets t WHERE t.id IN (%s) ORDER BY t.id" % ",".join(map(str, ids)))
    return {int(r.split("|")[0]): tuple(int(x) for x in r.split("|")[1:]) for r in rows.splitlines()}


def all_breached_once(c, ids, admins):
    counts = breach_counts(c, ids)
    return len(counts) == len(ids) and all(v == (1, 1, admins) for v in counts.values()) and counts


def around_a_crash(kill):
    c = cluster()
    calendar = c.psql("SELECT id FROM helpdesk.calendars WHERE is_default")
    c.psql("UPDATE helpdesk.calendars SET is_default = false WHERE is_default")
    try:
        admins = int(c.psql("SELECT count(*) FROM helpdesk.users WHERE role = 'Admin' AND is_active"))
        wait_for("the watcher", lambda: watcher_pid(c), 30)
        return kill(c, admins)
    finally:
        wait_for("the database", c.accepting, 60)
        if calendar:
            wait_for("the calendar back", lambda: c.psql(
                "UPDATE helpdesk.calendars SET is_default = true WHERE id = %s; SELECT 1" % calendar) == "1", 30)


def test_kill_9_of_the_watcher_mid_scan():
    def kill(c, admins):
        run = os.urandom(3).hex()
        ids = make_tickets(c, run, 10, first_due_s=5, step_s=0.1)
        time.sleep(1)  # the watcher has fired the warnings (due at once) and sleeps until the first deadline
        pid = watcher_pid(c)
        # the watcher frozen while every deadline passes, and the sixth clock locked by a DBA's
        # session; once thawed, its scan stops at that clock, inside its transaction
        os.kill(pid, signal.SIGSTOP)
        try:
            locker = c.psql_background("BEGIN; SELECT 1 FROM helpdesk.sla_clocks WHERE ticket_id = %d AND kind = 'response' "
                                       "FOR UPDATE; SELECT pg_sleep(600)" % ids[5])
            wait_for("the lock", lambda: c.psql("SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%FOR UPDATE%pg_sleep%' "
                                                "AND state = 'active' AND pid <> pg_backend_pid()") == "1", 30)
            wait_for("every deadline passed", lambda: all_deadlines_passed(c, ids), 60)
            time.sleep(0.5)
        finally:
            os.kill(pid, signal.SIGCONT)
        wait_for("the scan blocked on the lock", lambda: c.psql(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = %d AND wait_event_type = 'Lock'" % pid) == "1", 30)
        before = breach_counts(c, ids)
        check(all(v[0] == 0 for v in before.values()), "breaches visible before the kill: %r" % before)
        t_kill = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        locker.wait(timeout=60)  # the crash ends every session
        counts = wait_for("every breach recorded", lambda: all_breached_once(c, ids, admins), 60)
        caught_up = time.monotonic() - t_kill
        new_pid = watcher_pid(c)
        figure("watcher kill -9 mid-scan: deadlines passed while it could not act", len(ids))
        figure("watcher kill -9 mid-scan: all recorded, after the kill, s", "%.1f" % caught_up)
        check(new_pid and new_pid != pid, "the watcher did not restart")
        # and not again later: the next rounds find nothing more to do
        time.sleep(2)
        check(breach_counts(c, ids) == counts, "breaches recorded again: %r" % breach_counts(c, ids))
    around_a_crash(kill)


def test_kill_9_of_a_backend_under_load():
    def kill(c, admins):
        run = os.urandom(3).hex()
        srv = Server(c, "backend-kill")
        try:
            ids = make_tickets(c, run, 10, first_due_s=3, step_s=0.2)
            check(call(srv, "GET", "/api/v1/tickets/%d" % ids[0], sub=EMPLOYEE)[0] == 200, "before")
            backend = int(c.psql("SELECT pid FROM pg_stat_activity WHERE application_name = 'helpdesk-http' LIMIT 1"))
            time.sleep(2)  # a moment before the deadlines
            t_kill = time.monotonic()
            os.kill(backend, signal.SIGKILL)
            # the server answers 503 while the database recovers, then serves by itself
            statuses = set()
            t_accepting = None
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                st, j, _ = call(srv, "GET", "/api/v1/tickets/%d" % ids[0], sub=EMPLOYEE, timeout=20)
                statuses.add(st)
                if st == 200 and 503 in statuses:
                    break
                check(st in (200, 503), "status %r %r" % (st, j))
                if t_accepting is None and 503 in statuses and c.accepting():
                    t_accepting = time.monotonic()
                time.sleep(0.05)
            served = time.monotonic()
            served_after = served - t_kill
            counts = wait_for("every breach recorded", lambda: all_breached_once(c, ids, admins), 60)
            caught_up = time.monotonic() - t_kill
            figure("backend kill -9: database accepting again after, s", "%.1f" % (t_accepting - t_kill) if t_accepting else "?")
            figure("backend kill -9: server serving again after, s", "%.1f (%.1f after the database)" %
                   (served_after, served - t_accepting if t_accepting else float("nan")))
            figure("backend kill -9: deadlines around the crash recorded once each, after, s", "%.1f" % caught_up)
            check(statuses == {200, 503}, "statuses %r" % statuses)
            check(t_accepting is None or served - t_accepting <= 5, "not serving 5 s after the database accepts connections")
            time.sleep(2)
            check(breach_counts(c, ids) == counts, "breaches recorded again")
            check(srv.stop() == 0, "server exit status")
        finally:
            if srv.proc.poll() is None:
                srv.kill()
    around_a_crash(kill)
