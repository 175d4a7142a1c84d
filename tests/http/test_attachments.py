"""Attachments (reference §2.7, §3.10, API.md): multipart uploads parsed by helpdesk-http, the
type judged from the content, visibility through the ticket, who may delete, downloads with
their headers, the 10 MB limit, and every bad input of issue 11 answered in the envelope with
nothing stored."""
import hashlib
import io
import os
import re
import struct
import uuid
import zipfile
import zlib

from hdlib import bearer, check, check_error, check_success, claims, make_jwt, psql, psql_int, raw_request, request

API = "/api/v1"
ADMIN, STAFF, EMPLOYEE = 1, 2, 3
MAX_FILE_SIZE = 10 * 1024 * 1024  # the server's default, which the harness keeps

DTO_KEYS = {"id", "ticketId", "fileName", "originalName", "mimeType", "fileSize", "fileSizeFormatted",
            "fileExtension", "uploadedBy", "isImage", "isPdf", "isDocument", "createdAt", "sha256"}


def as_user(user_id):
    return bearer(make_jwt(claims(sub=user_id)))


_ctx = {}


def ctx():
    """A ticket of the demo employee assigned to the demo staff member, another employee, and a
    second staff member."""
    if not _ctx:
        tag = uuid.uuid4().hex[:8]
        _ctx["ticket"] = psql_int(
            "INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id, assignee_id, status) "
            "VALUES ('HTTP-A-%s', 'Scanner broken', 'It jams on every page', 1, %d, %d, 'Assigned') RETURNING id"
            % (tag, EMPLOYEE, STAFF))
        for key, role in (("other", "Employee"), ("staff2", "IT_Staff")):
            _ctx[key] = psql_int(
                "INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) "
                "VALUES ('att_%s_%s', 'att_%s_%s@example.com', '$2a$04$xxxxxxxxxxxxxxxxxxxxxx', 'Attachment %s', '%s') "
                "RETURNING id" % (key, tag, key, tag, key, role))
        _ctx["other_ticket"] = psql_int(
            "INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id) "
            "VALUES ('HTTP-A2-%s', 'Other ticket', 'Not the employee''s', 1, %d) RETURNING id" % (tag, _ctx["other"]))
    return _ctx


# ---- files ----

def png(w=2, h=2):
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * w for _ in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def ooxml(kind):
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                    'package/2006/content-types"></Types>')
        zf.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        if kind == "docx":
            zf.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
        else:
            zf.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
    return z.getvalue()


def zip_of(payload, name="data.bin"):
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(name, payload)
    return z.getvalue()


SAMPLES = [  # (file name, bytes, type judged from the content)
    ("photo.png", png(), "image/png"),
    ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9", "image/jpeg"),
    ("anim.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00"
                 b"\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;", "image/gif"),
    ("pic.webp", b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8 " + struct.pack("<I", 18)
     + b"\x30\x01\x00\x9d\x01\x2a\x01\x00\x01\x00\x02\x00\x34\x25\xa4\x00\x03\x70", "image/webp"),
    ("manual.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf"),
    ("notes.txt", "Xin chào, printer log:\nline 2\n".encode(), "text/plain"),
    ("people.csv", b"name,age,city\nAlice,30,Hanoi\nBob,25,Hue\nCarol,41,Da Nang\n", "text/csv"),
    ("logs.zip", zip_of(b"hello"), "application/zip"),
    ("letter.docx", ooxml("docx"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("sheet.xlsx", ooxml("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("old.rar", b"Rar!\x1a\x07\x00\xcf\x90\x73\x00\x00\x0d\x00\x00\x00\x00\x00\x00\x00" + b"\x00" * 20,
     "application/x-rar-compressed"),
]


# ---- multipart ----

def form(fields=(), files=(), boundary=None):
    """(body, content type) of multipart/form-data: fields [(name, value)], files [(name,
    filename, content type or None, bytes)]."""
    boundary = boundary or "----helpdesk" + uuid.uuid4().hex
    out = []
    for name, value in fields:
        out.append(("--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n" % (boundary, name)).encode()
                   + (value if isinstance(value, bytes) else str(value).encode()) + b"\r\n")
    for name, filename, ctype, data in files:
        quoted = filename.replace("\\", "\\\\").replace('"', '\\"')  # a quoted-string (RFC 7230)
        head = "--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n" % (boundary, name, quoted)
        if ctype:
            head += "Content-Type: %s\r\n" % ctype
        out.append(head.encode() + b"\r\n" + data + b"\r\n")
    out.append(("--%s--\r\n" % boundary).encode())
    return b"".join(out), "multipart/form-data; boundary=%s" % boundary


def post_form(user_id, body, ctype):
    headers = dict(as_user(user_id)) if user_id else {}
    if ctype is not None:
        headers["Content-Type"] = ctype
    return request("POST", API + "/attachments/upload", body=body, headers=headers)


def upload(user_id, ticket, filename, data, ctype=None):
    body, ct = form([("ticketId", ticket)], [("file", filename, ctype, data)])
    return post_form(user_id, body, ct)


def stored():
    return psql("SELECT count(*) || '/' || (SELECT count(*) FROM helpdesk.attachment_contents) FROM helpdesk.attachments")


def download(user_id, attachment_id):
    return request("GET", "%s/attachments/%d/download" % (API, attachment_id), headers=as_user(user_id))


# ---- tests ----

def test_upload_by_every_role_that_sees_the_ticket():
    c = ctx()
    data = png()
    r = upload(EMPLOYEE, c["ticket"], "scan.png", data, "image/png")
    d = check_success(r, 201, "Resource created successfully")["data"]
    check(set(d) == DTO_KEYS, "keys %r" % sorted(d))
    check(d["ticketId"] == c["ticket"] and d["uploadedBy"] == EMPLOYEE and d["originalName"] == "scan.png", repr(d))
    check(d["mimeType"] == "image/png" and d["isImage"] is True and d["isPdf"] is False and d["isDocument"] is False)
    check(d["fileSize"] == len(data) and d["fileSizeFormatted"] == "%d Bytes" % len(data), repr(d))
    check(d["fileExtension"] == "png" and re.match(r"^\d{13}-[0-9a-f-]{36}\.png$", d["fileName"]), repr(d))
    check(d["sha256"] == hashlib.sha256(data).hexdigest() and d["createdAt"].endswith("Z"))
    # its history entry, in the same transaction
    rows = check_success(request("GET", "%s/ticket-history/ticket/%d" % (API, c["ticket"]), headers=as_user(EMPLOYEE)))["data"]
    check(rows[0]["action"] == "attachment_added" and rows[0]["description"] == "File attached: scan.png"
          and rows[0]["userId"] == EMPLOYEE, repr(rows[0]))
    for user in (STAFF, ADMIN, c["staff2"]):
        d = check_success(upload(user, c["ticket"], "shot.png", data), 201, "Resource created successfully")["data"]
        check(d["uploadedBy"] == user)
    # someone who cannot see the ticket: as if it did not exist, nothing stored
    before = stored()
    check_error(upload(c["other"], c["ticket"], "x.png", data), 404, "NotFoundException",
                "Ticket with ID %d not found" % c["ticket"])
    check_error(upload(EMPLOYEE, 2147483647, "x.png", data), 404, "NotFoundException")
    check_error(upload(None, c["ticket"], "x.png", data), 401, "UnauthorizedException")
    check(stored() == before)


def test_type_is_judged_from_the_content():
    c = ctx()
    for name, data, mime in SAMPLES:
        d = check_success(upload(EMPLOYEE, c["ticket"], name, data), 201, "Resource created successfully")["data"]
        check(d["mimeType"] == mime, "%s: %r" % (name, d))
        check(d["isDocument"] == (mime in ("application/pdf", "text/plain",
                                           "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")), name)
    # the client's word is never taken: a name without extension and a generic type
    d = check_success(upload(EMPLOYEE, c["ticket"], "scan", png(), "application/octet-stream"), 201,
                      "Resource created successfully")["data"]
    check(d["mimeType"] == "image/png" and d["fileExtension"] == "", repr(d))
    # the name is kept as given, cleaned for headers (path and control characters dropped)
    d = check_success(upload(EMPLOYEE, c["ticket"], "C:\\Users\\me\\Báo cáo\u202etxt.pdf", SAMPLES[4][1]), 201,
                      "Resource created successfully")["data"]
    check(d["originalName"] == "Báo cáotxt.pdf", repr(d["originalName"]))


def test_types_refused():
    c = ctx()
    before = stored()
    j = check_error(upload(EMPLOYEE, c["ticket"], "page.html", b"<!DOCTYPE html><html><body>x</body></html>\n"), 400,
                    "BadRequestException")
    check(j["message"].startswith("File type text/html is not allowed. Allowed types: image/jpeg, image/png"), j["message"])
    with open("/bin/true", "rb") as f:
        j = check_error(upload(EMPLOYEE, c["ticket"], "tool", f.read()), 400)
    check("is not allowed" in j["message"], j["message"])
    # claims one type, is another
    j = check_error(upload(EMPLOYEE, c["ticket"], "report.pdf", png()), 400)
    check(j["message"] == "File content does not match its type: the content is image/png, the file claims application/pdf",
          j["message"])
    check_error(upload(EMPLOYEE, c["ticket"], "report.png", png(), "application/pdf"), 400)
    check_error(upload(EMPLOYEE, c["ticket"], "setup.exe", png()), 400)
    check(stored() == before)


def test_download_headers_and_bytes():
    c = ctx()
    data = SAMPLES[4][1]
    a = check_success(upload(EMPLOYEE, c["ticket"], "báo cáo \"Q3\".pdf", data), 201, "Resource created successfully")["data"]
    for user in (EMPLOYEE, STAFF, ADMIN):
        r = download(user, a["id"])
        check(r.status == 200 and r.body == data, repr(r))
        check(r.headers["content-type"] == "application/pdf", r.headers.get("content-type"))
        check(r.headers["content-length"] == str(len(data)))
        check(r.headers["content-disposition"]
              == "attachment; filename=\"b_o c_o _Q3_.pdf\"; filename*=UTF-8''b%C3%A1o%20c%C3%A1o%20%22Q3%22.pdf",
              r.headers["content-disposition"])
        check(r.headers.get("x-content-type-options") == "nosniff")
    a = check_success(upload(EMPLOYEE, c["ticket"], "plain.png", png()), 201, "Resource created successfully")["data"]
    r = download(STAFF, a["id"])
    check(r.headers["content-disposition"] == 'attachment; filename="plain.png"', r.headers["content-disposition"])
    check_error(download(c["other"], a["id"]), 404, "NotFoundException", "Attachment with ID %d not found" % a["id"])
    check_error(download(STAFF, 2147483647), 404, "NotFoundException")
    check_error(request("GET", "%s/attachments/%d/download" % (API, a["id"])), 401)
    check_error(request("GET", "%s/attachments/abc/download" % API, headers=as_user(STAFF)), 400)
    # a row whose bytes are missing (written by hand): the reference's message
    lost = psql_int("INSERT INTO helpdesk.attachments (ticket_id, file_name, original_name, file_size, mime_type, sha256, "
                    "uploaded_by) VALUES (%d, 'x', 'lost.txt', 1, 'text/plain', sha256('x'), %d) RETURNING id"
                    % (c["ticket"], STAFF))
    check_error(download(STAFF, lost), 404, "NotFoundException", "File not found on server")


def test_list_and_read_follow_the_ticket():
    c = ctx()
    mine = check_success(upload(EMPLOYEE, c["ticket"], "mine.txt", b"mine\n"), 201, "Resource created successfully")["data"]
    theirs = check_success(upload(c["other"], c["other_ticket"], "theirs.txt", b"theirs\n"), 201,
                           "Resource created successfully")["data"]
    url = "%s/attachments?ticketId=%d" % (API, c["ticket"])
    for user in (EMPLOYEE, STAFF):
        items = check_success(request("GET", url, headers=as_user(user)))["data"]
        check(items[0]["id"] == mine["id"] and all(set(x) == DTO_KEYS for x in items), repr(items[:1]))
        check(all(x["ticketId"] == c["ticket"] for x in items))
        check([x["createdAt"] for x in items] == sorted((x["createdAt"] for x in items), reverse=True), "not newest first")
    check_error(request("GET", url, headers=as_user(c["other"])), 404, "NotFoundException")
    # without a ticket: what the caller may see
    emp = check_success(request("GET", API + "/attachments", headers=as_user(EMPLOYEE)))["data"]
    ids = {x["id"] for x in emp}
    check(mine["id"] in ids and theirs["id"] not in ids, "employee list")
    staff = {x["id"] for x in check_success(request("GET", API + "/attachments", headers=as_user(STAFF)))["data"]}
    check({mine["id"], theirs["id"]} <= staff, "staff list")
    check_error(request("GET", API + "/attachments?ticketId=abc", headers=as_user(STAFF)), 400,
                message="ticketId must be an integer number")
    # one attachment
    d = check_success(request("GET", "%s/attachments/%d" % (API, mine["id"]), headers=as_user(EMPLOYEE)))["data"]
    check(d == mine, repr(d))
    check_error(request("GET", "%s/attachments/%d" % (API, theirs["id"]), headers=as_user(EMPLOYEE)), 404,
                "NotFoundException", "Attachment with ID %d not found" % theirs["id"])
    check_error(request("GET", API + "/attachments/abc", headers=as_user(STAFF)), 400)
    check_error(request("GET", API + "/attachments"), 401)


def test_delete_by_uploader_or_admin():
    c = ctx()

    def new(user):
        return check_success(upload(user, c["ticket"], "d.txt", b"to delete\n"), 201, "Resource created successfully")["data"]["id"]

    def delete(user, aid):
        return request("DELETE", "%s/attachments/%d" % (API, aid), headers=as_user(user))

    own = new(EMPLOYEE)
    check_error(delete(c["staff2"], own), 403, "ForbiddenException", "You do not have permission to delete this attachment")
    check_error(delete(STAFF, own), 403)
    check_error(delete(c["other"], own), 404, "NotFoundException")
    d = check_success(delete(EMPLOYEE, own), 200, "Resource deleted successfully")["data"]
    check(d == {"message": "Attachment deleted successfully"}, repr(d))
    check(psql("SELECT count(*) FROM helpdesk.attachment_contents WHERE attachment_id = %d" % own) == "0")
    check_error(request("GET", "%s/attachments/%d" % (API, own), headers=as_user(EMPLOYEE)), 404)
    check_error(download(EMPLOYEE, own), 404)
    check_error(delete(EMPLOYEE, own), 404)
    # an Admin deletes anyone's
    staffs = new(STAFF)
    check_success(delete(ADMIN, staffs), 200, "Resource deleted successfully")
    # an uploader who can no longer see the ticket cannot delete (404), until they can again
    by_staff2 = new(c["staff2"])
    psql("UPDATE helpdesk.users SET role = 'Employee' WHERE id = %d" % c["staff2"])
    try:
        check_error(delete(c["staff2"], by_staff2), 404, "NotFoundException")
    finally:
        psql("UPDATE helpdesk.users SET role = 'IT_Staff' WHERE id = %d" % c["staff2"])
    check_success(delete(c["staff2"], by_staff2), 200, "Resource deleted successfully")
    check_error(request("DELETE", "%s/attachments/%d" % (API, own)), 401)


def test_bad_multipart_answered_in_the_envelope_with_nothing_stored():
    c = ctx()
    t = c["ticket"]
    before = stored()
    ok_body, ok_ct = form([("ticketId", t)], [("file", "a.txt", "text/plain", b"fine\n")])
    boundary = ok_ct.split("boundary=")[1]

    # truncated: the closing boundary never comes
    check_error(post_form(EMPLOYEE, ok_body[:-40], ok_ct), 400, "BadRequestException")
    # no boundary, not multipart, no Content-Type
    check_error(post_form(EMPLOYEE, ok_body, "multipart/form-data"), 400, message="Missing or invalid multipart boundary")
    check_error(post_form(EMPLOYEE, ok_body, "application/json"), 415, "UnsupportedMediaTypeException")
    check_error(post_form(EMPLOYEE, ok_body, None), 415)
    # a delimiter inside the file's data ends the part there: what follows is not a part
    body, ct = form([("ticketId", t)], [("file", "a.txt", None, b"before\r\n--" + boundary.encode() + b"junk\r\nafter")],
                    boundary=boundary)
    check_error(post_form(EMPLOYEE, body, ct), 400, message="Malformed multipart body: boundary followed by other text")
    # many parts
    body, ct = form([("f%d" % i, "x") for i in range(17)])
    check_error(post_form(EMPLOYEE, body, ct), 400, message="Too many multipart parts")
    # a part without a name
    body = ("--%s\r\nContent-Disposition: form-data\r\n\r\nx\r\n--%s--\r\n" % (boundary, boundary)).encode()
    check_error(post_form(EMPLOYEE, body, ok_ct), 400, message="Multipart part without a name")
    # a huge header in a part
    body = ("--%s\r\nContent-Disposition: form-data; name=\"ticketId\"\r\nX-Pad: %s\r\n\r\n1\r\n--%s--\r\n"
            % (boundary, "p" * 9000, boundary)).encode()
    check_error(post_form(EMPLOYEE, body, ok_ct), 400, message="Multipart part headers too large")
    # ticketId: not a number, missing, not visible
    for value, message in (("abc", "ticketId must be an integer number"), ("1.5", "ticketId must be an integer number")):
        body, ct = form([("ticketId", value)], [("file", "a.txt", None, b"x\n")])
        check_error(post_form(EMPLOYEE, body, ct), 400, message=message)
    body, ct = form([], [("file", "a.txt", None, b"x\n")])
    j = check_error(post_form(EMPLOYEE, body, ct), 400)
    check("ticketId should not be empty" in j.get("details", []), repr(j))
    check_error(upload(EMPLOYEE, c["other_ticket"], "a.txt", b"x\n"), 404, message="Ticket with ID %d not found" % c["other_ticket"])
    # a zero-byte file
    check_error(upload(EMPLOYEE, t, "empty.txt", b""), 400, message="File is empty")
    # no file, two files, the file under another name, an unknown field, a field repeated
    body, ct = form([("ticketId", t)])
    check_error(post_form(EMPLOYEE, body, ct), 400, message="No file uploaded")
    body, ct = form([("ticketId", t)], [("file", "a.txt", None, b"a\n"), ("file", "b.txt", None, b"b\n")])
    check_error(post_form(EMPLOYEE, body, ct), 400, message="Only one file may be uploaded")
    body, ct = form([("ticketId", t)], [("upload", "a.txt", None, b"a\n")])
    check_error(post_form(EMPLOYEE, body, ct), 400, message="property upload should not exist")
    body, ct = form([("ticketId", t), ("comment", "hi")], [("file", "a.txt", None, b"a\n")])
    check_error(post_form(EMPLOYEE, body, ct), 400, message="property comment should not exist")
    body, ct = form([("ticketId", t), ("ticketId", t)], [("file", "a.txt", None, b"a\n")])
    check_error(post_form(EMPLOYEE, body, ct), 400, message="Duplicate multipart field")
    # LF-only line ends
    check_error(post_form(EMPLOYEE, ok_body.replace(b"\r\n", b"\n"), ok_ct), 400)
    # an anonymous client gets 401 whatever it sent
    check_error(post_form(None, b"garbage", ok_ct), 401)
    check(stored() == before, "something was stored: %s -> %s" % (before, stored()))

    # a boundary string that does not start a line is data, kept byte for byte
    data = b"x--" + boundary.encode() + b" in the middle\r\n-- " + boundary.encode() + b"\n"
    body, ct = form([("ticketId", t)], [("file", "tricky.txt", None, data)], boundary=boundary)
    d = check_success(post_form(EMPLOYEE, body, ct), 201, "Resource created successfully")["data"]
    check(d["sha256"] == hashlib.sha256(data).hexdigest() and download(EMPLOYEE, d["id"]).body == data)


def test_file_size_limit():
    c = ctx()
    before = stored()
    # exactly MAX_FILE_SIZE: accepted, and comes back byte for byte
    data = zip_of(os.urandom(MAX_FILE_SIZE - 200))
    data += b"\0" * (MAX_FILE_SIZE - len(data))  # zip readers allow trailing bytes
    check(len(data) == MAX_FILE_SIZE)
    d = check_success(upload(STAFF, c["ticket"], "big.zip", data), 201, "Resource created successfully")["data"]
    check(d["fileSize"] == MAX_FILE_SIZE and d["fileSizeFormatted"] == "10 MB" and d["mimeType"] == "application/zip")
    r = download(STAFF, d["id"])
    check(r.status == 200 and hashlib.sha256(r.body).hexdigest() == d["sha256"] == hashlib.sha256(data).hexdigest())
    after_big = stored()
    # one byte more: 413 in the envelope, nothing stored
    check_error(upload(STAFF, c["ticket"], "big.zip", data + b"\0"), 413, "PayloadTooLargeException", "File too large")
    # a body announced far over the limit is refused before it is sent: the server answers
    # the headers alone
    body, ct = form([("ticketId", c["ticket"])], [("file", "huge.zip", None, b"")])
    head = ("POST %s/attachments/upload HTTP/1.1\r\nHost: test\r\nAuthorization: %s\r\nContent-Type: %s\r\n"
            "Content-Length: %d\r\n\r\n" % (API, as_user(STAFF)["Authorization"], ct, 4 * MAX_FILE_SIZE)).encode()
    check_error(raw_request(head), 413, "PayloadTooLargeException")
    check(stored() == after_big and before != after_big)


def test_json_routes_keep_their_own_limit():
    # h2o's one limit is now an upload's; a JSON route still refuses more than MAX_BODY_SIZE (1 MiB)
    body = b'{"email":"' + b"a" * (1024 * 1024 + 10) + b'"}'
    check_error(request("POST", API + "/auth/login", body=body, headers={"Content-Type": "application/json"}), 413,
                "PayloadTooLargeException")


def test_a_deleted_ticket_takes_its_files():
    c = ctx()
    tid = psql_int("INSERT INTO helpdesk.tickets (ticket_number, title, description, category_id, submitter_id) "
                   "VALUES ('HTTP-A3-%s', 'Temp', 'Temporary ticket', 1, %d) RETURNING id" % (uuid.uuid4().hex[:8], EMPLOYEE))
    a = check_success(upload(EMPLOYEE, tid, "t.txt", b"temp\n"), 201, "Resource created successfully")["data"]
    check_success(request("DELETE", "%s/tickets/%d" % (API, tid), headers=as_user(ADMIN)), 200, "Resource deleted successfully")
    check(psql("SELECT count(*) FROM helpdesk.attachments WHERE id = %d" % a["id"]) == "0")
    check(psql("SELECT count(*) FROM helpdesk.attachment_contents WHERE attachment_id = %d" % a["id"]) == "0")
    check(c["ticket"] > 0)
