"""E-mail end to end: the outbox's sender (http/mailer.c, a thread of helpdesk-http) against a
real SMTP server started here on localhost (python3-aiosmtpd). Each test starts its own
helpdesk-http with EMAIL_ENABLED=true and small EMAIL_* values on the suite's database (the main
server of the suite does not send), and its own SMTP server; messages are told apart by
their recipients (unique per test) and Message-IDs. Environment besides hdlib's: HD_HTTP_BIN
(the server binary), HD_SERVER_DB (its DB_* settings)."""
import email
import email.policy
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid

from hdlib import Skip, bearer, check, claims, make_jwt, psql, request

API = "/api/v1"
ADMIN1 = bearer(make_jwt(claims(sub=1)))
FROM = "Helpdesk Test <desk@helpdesk.test>"

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ImportError:  # pragma: no cover
    Controller = None


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(cond, what, timeout=30.0):
    """Poll `cond` until it is true (a bound on waiting, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("gave up waiting for: %s" % what)


class Sink:
    """An SMTP server on 127.0.0.1 that keeps what it accepts. Per recipient local part:
    'tempN-...' answers 451 to the first N deliveries, 'reject-...' 550, 'always4xx-...' 451
    for ever; `delay` seconds before accepting each message's data (a slow server)."""

    def __init__(self, port=None, delay=0.0):
        self.port = port or free_port()
        self.delay = delay
        self.received = []      # (envelope recipients, parsed message)
        self.logins = []
        self.tries = {}
        self.controller = None

    # aiosmtpd handler hooks
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0]
        n = self.tries[address] = self.tries.get(address, 0) + 1
        if local.startswith("reject-"):
            return "550 5.1.1 No such user here"
        if local.startswith("always4xx-"):
            return "451 4.3.0 Mailbox busy, try later"
        if local.startswith("temp") and local[4].isdigit() and n <= int(local[4]):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            import asyncio
            await asyncio.sleep(self.delay)
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), envelope.mail_from, msg))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword) and auth_data.login == b"mailer" and auth_data.password == b"s3cret":
            self.logins.append(auth_data.login.decode())
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    def start(self):
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, authenticator=self.authenticate,
                                     auth_require_tls=False)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address):
        return [m for rcpts, _, m in list(self.received) if address in rcpts]


class Sender:
    """helpdesk-http on a port of its own, sending the outbox to `smtp_port`."""

    def __init__(self, smtp_port, **settings):
        binary = os.environ.get("HD_HTTP_BIN")
        db = os.environ.get("HD_SERVER_DB")
        if not binary or not db or Controller is None:
            raise Skip("HD_HTTP_BIN/HD_SERVER_DB not set or python3-aiosmtpd missing")
        self.port = free_port()
        env = dict(os.environ)
        env.update(dict(kv.split("=", 1) for kv in db.split()))
        env.update({"PORT": str(self.port), "HOST": "127.0.0.1", "JWT_SECRET": os.environ["HD_JWT_SECRET"],
                    "HTTP_THREADS": "1", "DB_POOL_SIZE": "1", "EMAIL_ENABLED": "true", "SMTP_HOST": "127.0.0.1",
                    "SMTP_PORT": str(smtp_port), "SMTP_USER": "mailer", "SMTP_PASS": "s3cret", "EMAIL_FROM": FROM,
                    "EMAIL_MAX_ATTEMPTS": "3", "EMAIL_RETRY_BASE_MS": "200", "EMAIL_RETRY_MAX_MS": "400",
                    "EMAIL_BATCH": "3", "EMAIL_POLL_MS": "100", "SMTP_TIMEOUT_MS": "3000", "EMAIL_LEASE_MS": "9000"})
        env.update({k: str(v) for k, v in settings.items()})
        self.log = tempfile.NamedTemporaryFile(prefix="helpdesk-mailer-", suffix=".log", delete=False)
        self.proc = subprocess.Popen([binary], env=env, stdout=self.log, stderr=self.log)
        wait_until(self.listening, "the sender's server to listen")

    def listening(self):
        if self.proc.poll() is not None:
            raise AssertionError("helpdesk-http exited %s: %s" % (self.proc.returncode, self.output()))
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def output(self):
        with open(self.log.name, errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=60)
        out = self.output()
        os.unlink(self.log.name)
        if sig == signal.SIGTERM:
            check(self.proc.returncode == 0, "helpdesk-http exited %s: %s" % (self.proc.returncode, out[-2000:]))
            check("Sanitizer" not in out and "runtime error:" not in out, "sanitizer report: %s" % out[-4000:])
        return out


def new_user(role="Employee", language="en"):
    name = "mail-%s" % uuid.uuid4().hex[:10]
    r = request("POST", API + "/users", {"fullName": "Mail " + name, "email": name + "@example.com",
                                         "password": "mail-pass-123", "role": role, "department": "Mail"}, ADMIN1)
    check(r.status == 201, "user: %r" % r)
    uid = r.json["data"]["id"]
    if language != "en":
        psql("SELECT 1 FROM helpdesk.user_set_language(%d, '%s')" % (uid, language))
    return uid, name + "@example.com", bearer(make_jwt(claims(sub=uid, iat=int(time.time()))))


def outbox(recipient):
    """(id, status, attempts, message_id, template, last_error) of the messages to `recipient`."""
    rows = psql("SELECT id, status, attempts, message_id, template, coalesce(last_error, '') FROM helpdesk.email_outbox "
                "WHERE recipient = '%s' ORDER BY id" % recipient)
    return [tuple(line.split("|")) for line in rows.splitlines() if line]


def enqueue(recipient, n=1):
    """n test messages to an address without a user (what a DBA could queue), their ids."""
    ids = psql("SELECT helpdesk.email_compose(NULL, '%s', 'en', 'test_email', '{\"name\": \"Sink\"}') "
               "FROM generate_series(1, %d)" % (recipient, n))
    return [int(x) for x in ids.split()]


def status_of(recipient):
    return [row[1] for row in outbox(recipient)]


def text_of(msg):
    return msg.get_body(("plain",)).get_content()


def html_of(msg):
    return msg.get_body(("html",)).get_content()


# ---- the route ----------------------------------------------------------------------------

def test_test_email_route_every_role():
    check(request("POST", API + "/notifications/test-email").status == 401, "no token")
    for role in ("Employee", "IT_Staff", "Admin"):
        uid, addr, auth = new_user(role)
        r = request("POST", API + "/notifications/test-email", None, auth)
        check(r.status == 201, "%s: %r" % (role, r))
        check(r.json["data"] == {"success": True, "message": "Test email queued for delivery", "recipient": addr},
              "%s: %r" % (role, r.json))
        rows = outbox(addr)
        check(len(rows) == 1 and rows[0][1] == "pending" and rows[0][4] == "test_email", "%s: %r" % (role, rows))
    # a deactivated user's token is refused, nothing queued
    uid, addr, auth = new_user()
    check(request("PATCH", API + "/users/%d/deactivate" % uid, None, ADMIN1).status == 200, "deactivate")
    check(request("POST", API + "/notifications/test-email", None, auth).status == 401, "inactive user")
    check(outbox(addr) == [], "nothing queued for an inactive user")


# ---- delivery of each template --------------------------------------------------------------

def test_each_template_delivered_in_the_users_language():
    sink = Sink().start()
    sender = Sender(sink.port)
    try:
        emp, emp_addr, emp_auth = new_user("Employee", "en")
        staff, staff_addr, staff_auth = new_user("IT_Staff", "vi")
        # test e-mail, in each language; AUTH was used; From is EMAIL_FROM
        check(request("POST", API + "/notifications/test-email", None, emp_auth).status == 201, "test email")
        check(request("POST", API + "/notifications/test-email", None, staff_auth).status == 201, "test email vi")
        m_en = wait_until(lambda: sink.to(emp_addr), "the English test e-mail")[0]
        m_vi = wait_until(lambda: sink.to(staff_addr), "the Vietnamese test e-mail")[0]
        check(m_en["Subject"] == "Test Email - NexusFlow Ticket System", m_en["Subject"])
        check(m_vi["Subject"] == "Email thử nghiệm - NexusFlow Ticket System", m_vi["Subject"])
        check(m_en["From"] == FROM, m_en["From"])
        check("Đây là e-mail thử nghiệm" in text_of(m_vi), text_of(m_vi))
        check(sink.logins and set(sink.logins) == {"mailer"}, "SMTP AUTH: %r" % sink.logins)
        # the Message-ID sent is the outbox's, and the row is sent
        ids = {row[3]: row for row in outbox(emp_addr)}
        check(m_en["Message-ID"] in ids, "Message-ID %r not in %r" % (m_en["Message-ID"], ids))
        wait_until(lambda: status_of(emp_addr) == ["sent"], "the row marked sent")

        # ticket events: assigned (vi, to the staff member), commented and resolved (en, to the employee)
        title = "Printer <jams> & stops"
        r = request("POST", API + "/tickets", {"title": title, "description": "Tray 2 jams on every page", "categoryId": 1}, emp_auth)
        check(r.status == 201, "ticket: %r" % r)
        tid, number = r.json["data"]["id"], r.json["data"]["ticketNumber"]
        check(request("POST", API + "/tickets/%d/assign" % tid, {"assigneeId": staff}, ADMIN1).status in (200, 201), "assign")
        assigned = wait_until(lambda: sink.to(staff_addr)[1:], "the assignment e-mail")[0]
        check(assigned["Subject"] == "Phiếu #%s đã được giao cho bạn" % number, assigned["Subject"])
        check("#%d " % tid not in assigned["Subject"], "the database id is not the subject")
        check("Phiếu #%s: %s" % (number, title) in text_of(assigned), text_of(assigned))
        check("Printer &lt;jams&gt; &amp; stops" in html_of(assigned), html_of(assigned))

        # an internal comment never reaches the employee; a public one does
        r = request("POST", API + "/tickets/%d/comments" % tid, {"content": "Internal: vendor case 77", "type": "internal"},
                    staff_auth)
        check(r.status == 201, "internal comment: %r" % r)
        r = request("POST", API + "/tickets/%d/comments" % tid, {"content": "Please try again now", "type": "public"},
                    staff_auth)
        check(r.status == 201, "public comment: %r" % r)
        commented = wait_until(lambda: sink.to(emp_addr)[1:], "the comment e-mail")[0]
        check(commented["Subject"] == "New Comment on Ticket #%s" % number, commented["Subject"])
        check("Please try again now" in text_of(commented), text_of(commented))
        check(request("POST", API + "/tickets/%d/change-status" % tid, {"status": "In Progress"}, staff_auth).status
              in (200, 201), "in progress")
        check(request("POST", API + "/tickets/%d/resolve" % tid, {"resolutionNotes": "Cleaned the rollers"},
                      staff_auth).status in (200, 201), "resolve")
        resolved = wait_until(lambda: [m for m in sink.to(emp_addr) if "Resolved" in m["Subject"]], "the resolution e-mail")[0]
        check(resolved["Subject"] == "Ticket #%s Resolved" % number, resolved["Subject"])
        check(not any("vendor case 77" in text_of(m) for m in sink.to(emp_addr)), "internal comment mailed to the employee")
        check(psql("SELECT count(*) FROM helpdesk.email_outbox WHERE recipient = '%s' AND body_text LIKE '%%vendor case 77%%'"
                   % emp_addr) == "0", "internal comment in the employee's outbox")

        # password reset: the code in the user's language, then the confirmation
        check(request("POST", API + "/auth/forgot-password", {"email": staff_addr}).status == 200, "forgot")
        otp_mail = wait_until(lambda: [m for m in sink.to(staff_addr) if "OTP" in m["Subject"]], "the OTP e-mail")[0]
        check(otp_mail["Subject"] == "Mã OTP đặt lại mật khẩu - NexusFlow Ticket System", otp_mail["Subject"])
        code = text_of(otp_mail).split("Mã đặt lại mật khẩu của bạn là ")[1][:6]
        r = request("POST", API + "/auth/reset-password", {"email": staff_addr, "otp": code, "newPassword": "brand-new-pass"})
        check(r.status == 200, "reset: %r" % r)
        done = wait_until(lambda: [m for m in sink.to(staff_addr) if "thành công" in m["Subject"]], "the confirmation")[0]
        check(done["Subject"] == "Đặt lại mật khẩu thành công - NexusFlow Ticket System", done["Subject"])
        # every message went once
        for addr in (emp_addr, staff_addr):
            got = [m["Message-ID"] for m in sink.to(addr)]
            check(len(got) == len(set(got)), "a message twice to %s: %r" % (addr, got))
    finally:
        sender.stop()
        sink.stop()


# ---- failures -------------------------------------------------------------------------------

def test_smtp_server_down_messages_wait_then_go():
    sink = Sink()  # not started: its port refuses connections
    sender = Sender(sink.port, EMAIL_MAX_ATTEMPTS=100)
    try:
        addr = "down-%s@example.com" % uuid.uuid4().hex[:8]
        enqueue(addr)
        wait_until(lambda: int(outbox(addr)[0][2]) >= 2, "two failed attempts")
        row = outbox(addr)[0]
        check(row[1] == "pending" and row[5] != "", "waiting with its error: %r" % (row,))
        sink.start()
        msg = wait_until(lambda: sink.to(addr), "delivery once the server is up")[0]
        check(msg["Message-ID"] == row[3], "the same Message-ID")
        wait_until(lambda: status_of(addr) == ["sent"], "marked sent")
    finally:
        sender.stop()
        sink.stop()


def test_4xx_is_retried_then_delivered():
    sink = Sink().start()
    sender = Sender(sink.port)
    try:
        addr = "temp2-%s@example.com" % uuid.uuid4().hex[:8]
        enqueue(addr)
        wait_until(lambda: status_of(addr) == ["sent"], "sent after two 451 answers")
        row = outbox(addr)[0]
        check(row[2] == "3" and sink.tries[addr] == 3, "three attempts: %r, %r" % (row, sink.tries.get(addr)))
        check(len(sink.to(addr)) == 1, "delivered once")
    finally:
        sender.stop()
        sink.stop()


def test_5xx_is_a_dead_letter_and_4xx_after_max_attempts():
    sink = Sink().start()
    sender = Sender(sink.port)
    try:
        rejected = "reject-%s@example.com" % uuid.uuid4().hex[:8]
        busy = "always4xx-%s@example.com" % uuid.uuid4().hex[:8]
        enqueue(rejected)
        enqueue(busy)
        wait_until(lambda: status_of(rejected) == ["failed"], "the 550 a dead letter")
        row = outbox(rejected)[0]
        check(row[2] == "1" and "550" in row[5], "dead at its first attempt with the answer: %r" % (row,))
        wait_until(lambda: status_of(busy) == ["failed"], "the 451s a dead letter after EMAIL_MAX_ATTEMPTS")
        row = outbox(busy)[0]
        check(row[2] == "3" and "451" in row[5], "three attempts (EMAIL_MAX_ATTEMPTS): %r" % (row,))
        check(sink.to(rejected) == [] and sink.to(busy) == [], "nothing delivered")
        # the dead letters show in the readiness metrics' count
        check(int(psql("SELECT dead_letters FROM helpdesk.outbox_stats()")) >= 2, "dead letters counted")
    finally:
        sender.stop()
        sink.stop()


def test_metrics_count_the_senders_outcomes():
    """GET /metrics (METRICS_LISTEN) counts the sender's attempts by outcome: two 451 answers are
    `retried` then `sent`, a 550 `dead_lettered`. Other pending messages of the suite may be sent
    by this sender too: at least these."""
    import re
    import urllib.request
    sink = Sink().start()
    metrics_port = free_port()
    sender = Sender(sink.port, METRICS_LISTEN="127.0.0.1:%d" % metrics_port)
    try:
        ok = "ok-%s@example.com" % uuid.uuid4().hex[:8]
        temp2 = "temp2-%s@example.com" % uuid.uuid4().hex[:8]
        rejected = "reject-%s@example.com" % uuid.uuid4().hex[:8]
        for addr in (ok, temp2, rejected):
            enqueue(addr)
        wait_until(lambda: status_of(ok) == ["sent"] and status_of(temp2) == ["sent"] and status_of(rejected) == ["failed"],
                   "sent, sent after two 451, a dead letter")
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % metrics_port, timeout=30) as r:
            text = r.read().decode("utf-8")
        check("# TYPE helpdesk_http_email_sends_total counter" in text, "the family: %s" % text[-2000:])
        got = {m.group(1): int(m.group(2))
               for m in re.finditer(r'^helpdesk_http_email_sends_total\{outcome="(\w+)"\} (\d+)$', text, re.M)}
        check(set(got) == {"sent", "retried", "dead_lettered"}, "outcomes: %r" % got)
        check(got["sent"] >= 2 and got["retried"] >= 2 and got["dead_lettered"] >= 1, "counts: %r" % got)
    finally:
        sender.stop()
        sink.stop()


def restart_mid_batch(sig):
    sink = Sink(delay=0.3).start()
    tag = uuid.uuid4().hex[:8]
    addrs = ["batch%d-%s@example.com" % (i, tag) for i in range(6)]
    sender = Sender(sink.port, EMAIL_BATCH=3, SMTP_TIMEOUT_MS=2000, EMAIL_LEASE_MS=6000)
    try:
        for a in addrs:
            enqueue(a)
        wait_until(lambda: sum(len(sink.to(a)) for a in addrs) >= 1, "the first delivery")
        sender.stop(sig)
        sender = Sender(sink.port, EMAIL_BATCH=3, SMTP_TIMEOUT_MS=2000, EMAIL_LEASE_MS=6000)
        wait_until(lambda: all(status_of(a) == ["sent"] for a in addrs), "every message sent after the restart", 60)
        expected = {outbox(a)[0][3] for a in addrs}
        got = [m["Message-ID"] for a in addrs for m in sink.to(a)]
        check(set(got) == expected, "every Message-ID delivered: %r vs %r" % (got, expected))
        return got, expected
    finally:
        sender.stop()
        sink.stop()


def test_restart_mid_batch_nothing_lost_nothing_twice():
    # a graceful stop finishes the message being sent and leaves the rest to their leases:
    # every message exactly once
    got, expected = restart_mid_batch(signal.SIGTERM)
    check(len(got) == len(expected), "a message twice after SIGTERM: %r" % got)
    # a kill between sending and recording: sent again after the lease, with the same
    # Message-ID (at least once; a receiver drops the duplicate by its Message-ID)
    got, expected = restart_mid_batch(signal.SIGKILL)
    check(len(got) - len(expected) <= 1, "at most the message in flight twice: %r" % got)
