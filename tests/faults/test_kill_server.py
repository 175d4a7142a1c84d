"""kill -9 of helpdesk-http in the middle of a stream of writes: every ticket and comment that
was answered 2xx is in the database, and nothing is half-written: each ticket of the stream has
its creation history row, its two SLA clocks and their start events, each comment its history
row, whether or not its creator got an answer. A new server serves the same database at once."""
import http.client
import json
import os
import signal
import threading
import time

from faultlib import EMPLOYEE, Server, call, check, cluster, figure, headers, new_ticket_body


class Writers:
    """n clients on keep-alive connections, each creating a ticket, then commenting on it, in turn."""

    def __init__(self, srv, n, run):
        self.srv, self.run = srv, run
        self.stopping = False
        self.lock = threading.Lock()
        self.acked_tickets, self.acked_comments = {}, {}  # id -> title / content
        self.unanswered = 0
        self.threads = [threading.Thread(target=self._run, args=(t,), daemon=True) for t in range(n)]
        for th in self.threads:
            th.start()

    def _post(self, conn, path, body):
        h = dict(headers(EMPLOYEE), **{"Content-Type": "application/json"})
        conn.request("POST", path, body=json.dumps(body), headers=h)
        r = conn.getresponse()
        return r.status, json.loads(r.read().decode())

    def _run(self, t):
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=20)
        ticket, i = None, 0
        while not self.stopping:
            i += 1
            try:
                if ticket is None or i % 2:
                    body = new_ticket_body("kill %s %d-%d" % (self.run, t, i))
                    st, j = self._post(conn, "/api/v1/tickets", body)
                    if st == 201:
                        ticket = j["data"]["id"]
                        with self.lock:
                            self.acked_tickets[ticket] = body["title"]
                else:
                    content = "Comment %s %d-%d" % (self.run, t, i)
                    st, j = self._post(conn, "/api/v1/tickets/%d/comments" % ticket, {"content": content})
                    if st == 201:
                        with self.lock:
                            self.acked_comments[j["data"]["id"]] = content
                check(st in (201, 503), "status %r %r" % (st, j))
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.unanswered += 1
                return  # the server is gone

    def stop(self):
        self.stopping = True
        for th in self.threads:
            th.join(timeout=30)


def test_kill_9_mid_stream_loses_no_answered_write_and_leaves_none_half_written():
    c = cluster()
    srv = Server(c, "kill9")
    run = os.urandom(4).hex()
    w = Writers(srv, 8, run)
    # enough acknowledged writes to tell, however loaded the machine (at most 90 s)
    until = time.monotonic() + 90
    while time.monotonic() < until and min(len(w.acked_tickets), len(w.acked_comments)) < 30:
        time.sleep(0.2)
    srv.proc.send_signal(signal.SIGKILL)
    srv.proc.wait(timeout=30)
    w.stop()

    like = "'Fault test kill %s %%'" % run
    tickets = dict(tuple(line.split("|", 1)) for line in
                   c.psql("SELECT id, title FROM helpdesk.tickets WHERE title LIKE %s" % like).splitlines())
    comments = dict(tuple(line.split("|", 1)) for line in
                    c.psql("SELECT id, content FROM helpdesk.comments WHERE content LIKE 'Comment %s %%'" % run).splitlines())
    lost_t = [i for i, title in w.acked_tickets.items() if tickets.get(str(i)) != title]
    lost_c = [i for i, content in w.acked_comments.items() if comments.get(str(i)) != content]
    # every ticket of the stream, acknowledged or not, is whole
    half = c.psql(
        "SELECT count(*) FROM helpdesk.tickets t WHERE t.title LIKE %s AND ("
        " NOT EXISTS (SELECT FROM helpdesk.ticket_history h WHERE h.ticket_id = t.id AND h.action = 'created')"
        " OR (SELECT count(*) FROM helpdesk.sla_clocks k WHERE k.ticket_id = t.id) <> 2"
        " OR (SELECT count(*) FROM helpdesk.sla_events e WHERE e.ticket_id = t.id AND e.event = 'started') <> 2"
        " OR t.ticket_number IS NULL OR t.due_date IS NULL)" % like)
    half_c = c.psql(
        "SELECT count(*) FROM helpdesk.comments m WHERE m.content LIKE 'Comment %s %%' AND NOT EXISTS ("
        " SELECT FROM helpdesk.ticket_history h WHERE h.ticket_id = m.ticket_id AND h.action = 'comment_added'"
        " AND h.new_value = m.id::text)" % run)
    figure("kill -9: tickets + comments answered 201 before the kill", "%d + %d" % (len(w.acked_tickets), len(w.acked_comments)))
    figure("kill -9: requests cut off without an answer", w.unanswered)
    figure("kill -9: written but never answered (allowed)",
           (len(tickets) - len(w.acked_tickets)) + (len(comments) - len(w.acked_comments)))
    figure("kill -9: answered writes lost / half-written rows", "%d / %s" % (len(lost_t) + len(lost_c), int(half) + int(half_c)))
    check(len(w.acked_tickets) > 20 and len(w.acked_comments) > 20, "too few writes to tell")
    check(not lost_t and not lost_c, "answered but missing: tickets %r comments %r" % (lost_t[:5], lost_c[:5]))
    check(half == "0" and half_c == "0", "half-written: %s tickets, %s comments" % (half, half_c))

    # a new server on the same database serves at once
    srv2 = Server(c, "kill9-after")
    try:
        st, j, _ = call(srv2, "POST", "/api/v1/tickets", new_ticket_body("kill %s after" % run), sub=EMPLOYEE)
        check(st == 201, "after the kill: %r %r" % (st, j))
        check(srv2.stop() == 0, "server exit status")
    finally:
        if srv2.proc.poll() is None:
            srv2.kill()
