"""Business calendar, holidays and SLA rules: every route, every role, bad input.
/business-hours/{holidays,check-working-day,calculate,schedule}, /holidays..., /sla/rules...
The database's default calendar is created with helpdesk.calendar_ensure_default() (the seed's);
every change made here is undone before the test ends."""

from hdlib import bearer, check, check_error, check_success, claims, make_jwt, request
from hdlib import psql

ADMIN, STAFF, EMPLOYEE = 1, 2, 3
CREATED = "Resource created successfully"
UPDATED = "Resource updated successfully"
DELETED = "Resource deleted successfully"


def auth(user):
    return bearer(make_jwt(claims(sub=user)))


def call(method, path, user=ADMIN, body=None):
    return request(method, "/api/v1" + path, body=body, headers=auth(user) if user else None)




def ensure_calendar():
    psql("SELECT helpdesk.calendar_ensure_default();")


def forbidden(r, roles="Admin"):
    check_error(r, 403, "ForbiddenException", "Access denied. Required roles: " + roles)


def unauthorized(r):
    check_error(r, 401, "UnauthorizedException")


# ---- /business-hours ----

def test_business_hours_holidays():
    ensure_calendar()
    for user in (ADMIN, STAFF, EMPLOYEE):
        data = check_success(call("GET", "/business-hours/holidays?year=2026", user))["data"]
        check(len(data) == 9, "2026 holidays %r" % data)
        check(data[0]["date"] == "2026-01-01" and data[0]["isRecurring"] is True, "first %r" % data[0])
        check(set(data[0]) >= {"id", "name", "date", "isRecurring", "createdAt", "updatedAt"}, "keys %r" % data[0])
        check([h["date"] for h in data] == sorted(h["date"] for h in data), "date order")
    # recurring holidays recur: 2029 has the four recurring ones on their 2029 dates
    data = check_success(call("GET", "/business-hours/holidays?year=2029", EMPLOYEE))["data"]
    check([h["date"] for h in data] == ["2029-01-01", "2029-04-30", "2029-05-01", "2029-09-02"], "2029 %r" % data)
    check_error(call("GET", "/business-hours/holidays?year=abc"), 400, "BadRequestException", "year must be an integer number")
    unauthorized(call("GET", "/business-hours/holidays", None))


def test_business_hours_check_working_day():
    ensure_calendar()
    cases = {"2026-01-05": True, "2026-01-10": False, "2026-04-30": False, "2027-04-29": True,
             "2026-02-18": False}
    for d, working in cases.items():
        for user in (ADMIN, STAFF, EMPLOYEE):
            data = check_success(call("GET", "/business-hours/check-working-day?date=" + d, user))["data"]
            check(data == {"date": d, "isWorkingDay": working}, "%s: %r" % (d, data))
    for bad in ("2026-02-30", "not-a-date", "2026-1-5"):
        j = check_error(call("GET", "/business-hours/check-working-day?date=" + bad, EMPLOYEE), 400,
                        "BadRequestException", "date must be a valid ISO 8601 date string")
        check(j.get("details") == ["date must be a valid ISO 8601 date string"], "details %r" % j.get("details"))
    check_error(call("GET", "/business-hours/check-working-day", EMPLOYEE), 400, "BadRequestException")
    unauthorized(call("GET", "/business-hours/check-working-day?date=2026-01-05", None))


def test_business_hours_calculate():
    ensure_calendar()
    q = "/business-hours/calculate?start=2026-01-09T08:00:00.000Z&end=2026-01-12T03:00:00.000Z"
    for user in (ADMIN, STAFF, EMPLOYEE):
        data = check_success(call("GET", q, user))["data"]
        # Fri 15:00-17:30 (+07) = 2.5 h, Mon 08:00-10:00 = 2 h
        check(data == {"start": "2026-01-09T08:00:00.000Z", "end": "2026-01-12T03:00:00.000Z",
                       "businessHours": 4.5}, "data %r" % data)
    data = check_success(call("GET", "/business-hours/calculate?start=2026-01-05T08:00%2B07:00&end=2026-01-05T08:20%2B07:00"))["data"]
    check(abs(data["businessHours"] - 1 / 3) < 1e-9, "20 minutes %r" % data)
    check_error(call("GET", "/business-hours/calculate?start=2026-01-06&end=2026-01-05"), 400,
                "BadRequestException", "end must not be before start")
    check_error(call("GET", "/business-hours/calculate?start=yesterday&end=2026-01-05"), 400,
                "BadRequestException", "start must be a valid ISO 8601 date string")
    check_error(call("GET", "/business-hours/calculate?start=2026-01-05"), 400, "BadRequestException")
    unauthorized(call("GET", q, None))


def test_business_hours_schedule():
    ensure_calendar()
    for user in (ADMIN, STAFF, EMPLOYEE):
        data = check_success(call("GET", "/business-hours/schedule", user))["data"]
        check(data["timeZone"] == "Asia/Ho_Chi_Minh" and data["weeklyHours"] == 47.5, "schedule %r" % data)
        check([d["dayOfWeek"] for d in data["days"]] == list(range(7)), "days")
        check(data["days"][1]["windows"] == [{"startTime": "08:00:00", "endTime": "17:30:00"}], "monday %r" % data["days"][1])
        check(data["days"][0]["isWorkingDay"] is False and data["days"][0]["windows"] == [], "sunday")
    body = {"timeZone": "Europe/Berlin",
            "days": [{"dayOfWeek": 6, "windows": [{"startTime": "13:00", "endTime": "15:00"},
                                                  {"startTime": "09:00", "endTime": "12:00"}]}]}
    forbidden(call("PUT", "/business-hours/schedule", STAFF, body))
    forbidden(call("PUT", "/business-hours/schedule", EMPLOYEE, body))
    unauthorized(call("PUT", "/business-hours/schedule", None, body))
    for bad, message in (
            ({"timeZone": "Europe/Atlantis"}, "timeZone must be a valid IANA time zone"),
            ({"days": [{"dayOfWeek": 1, "windows": [{"startTime": "10:00", "endTime": "09:00"}]}]},
             "days[1].windows: startTime 10:00 must be before endTime 09:00"),
            ({"days": [{"dayOfWeek": 1, "windows": [{"startTime": "08:00", "endTime": "12:00"},
                                                    {"startTime": "11:30", "endTime": "13:00"}]}]},
             "days[1].windows: windows must not overlap"),
            ({"days": [{"dayOfWeek": 9, "windows": []}]}, "dayOfWeek must not be greater than 6"),
            ({"days": [{"dayOfWeek": d, "windows": []} for d in range(7)]},
             "The schedule needs at least one working window"),
            ({"hours": 40}, "property hours should not exist")):
        j = check_error(call("PUT", "/business-hours/schedule", ADMIN, bad), 400, "BadRequestException", message)
        check(j.get("details") == [message], "details %r" % j.get("details"))
    try:
        data = check_success(call("PUT", "/business-hours/schedule", ADMIN, body), 200, UPDATED)["data"]
        check(data["timeZone"] == "Europe/Berlin" and data["weeklyHours"] == 52.5, "after put %r" % data)
        check(data["days"][6]["windows"] == [{"startTime": "09:00:00", "endTime": "12:00:00"},
                                             {"startTime": "13:00:00", "endTime": "15:00:00"}], "saturday %r" % data["days"][6])
        # the arithmetic follows: Saturday 2026-01-10 in Berlin holds 5 hours
        calc = check_success(call("GET", "/business-hours/calculate?start=2026-01-10T00:00&end=2026-01-11T00:00", EMPLOYEE))["data"]
        check(calc["businessHours"] == 5 and calc["start"] == "2026-01-09T23:00:00.000Z", "calc %r" % calc)
    finally:
        data = check_success(call("PUT", "/business-hours/schedule", ADMIN, {
            "timeZone": "Asia/Ho_Chi_Minh", "days": [{"dayOfWeek": 6, "windows": []}]}), 200, UPDATED)["data"]
        check(data["weeklyHours"] == 47.5 and data["timeZone"] == "Asia/Ho_Chi_Minh", "restored %r" % data)


# ---- /holidays ----

def test_holidays_crud():
    ensure_calendar()
    one = {"name": "Company day", "date": "2031-06-16", "description": "Founding"}
    forbidden(call("POST", "/holidays", STAFF, one))
    forbidden(call("POST", "/holidays", EMPLOYEE, one))
    unauthorized(call("POST", "/holidays", None, one))
    j = check_error(call("POST", "/holidays", ADMIN, {"date": "2031-06-16"}), 400, "BadRequestException")
    check("name should not be empty" in j["details"], "details %r" % j["details"])
    check_error(call("POST", "/holidays", ADMIN, {"name": "x", "date": "2031-02-29"}), 400, "BadRequestException",
                "date must be a valid ISO 8601 date string")
    check_error(call("POST", "/holidays", ADMIN, {"name": "x", "date": "2031-06-16", "when": 1}), 400,
                "BadRequestException", "property when should not exist")
    created = []
    try:
        h = check_success(call("POST", "/holidays", ADMIN, one), 201, CREATED)["data"]
        created.append(h["id"])
        check(h["name"] == "Company day" and h["date"] == "2031-06-16" and h["isRecurring"] is False, "created %r" % h)
        check_error(call("POST", "/holidays", ADMIN, dict(one, name="Again")), 409, "ConflictException",
                    "Holiday on 2031-06-16 already exists")

        bulk = [{"name": "Bridge", "date": "2031-06-17"}, {"name": "Recurring", "date": "2031-06-18", "isRecurring": True}]
        forbidden(call("POST", "/holidays/bulk", STAFF, bulk))
        forbidden(call("POST", "/holidays/bulk", EMPLOYEE, bulk))
        check_error(call("POST", "/holidays/bulk", ADMIN, {"name": "not a list"}), 400, "BadRequestException")
        check_error(call("POST", "/holidays/bulk", ADMIN, bulk + [{"name": "Clash", "date": "2031-06-16"}]), 409,
                    "ConflictException")
        hs = check_success(call("POST", "/holidays/bulk", ADMIN, bulk), 201, CREATED)["data"]
        created += [x["id"] for x in hs]
        check([x["date"] for x in hs] == ["2031-06-17", "2031-06-18"], "bulk %r" % hs)

        for user in (ADMIN, STAFF, EMPLOYEE):
            rows = check_success(call("GET", "/holidays?year=2031", user))["data"]
            check([x["date"] for x in rows] == ["2031-06-16", "2031-06-17", "2031-06-18"], "list %r" % rows)
            years = check_success(call("GET", "/holidays/years", user))["data"]
            check(years[0] == 2031 and 2026 in years and years == sorted(years, reverse=True), "years %r" % years)
            got = check_success(call("GET", "/holidays/%d" % h["id"], user))["data"]
            check(got["id"] == h["id"] and got["name"] == "Company day", "get %r" % got)
        all_rows = check_success(call("GET", "/holidays", EMPLOYEE))["data"]
        check(len(all_rows) >= 12, "all %d" % len(all_rows))
        check_error(call("GET", "/holidays/999999", EMPLOYEE), 404, "NotFoundException", "Holiday with ID 999999 not found")
        check_error(call("GET", "/holidays/abc", EMPLOYEE), 400, "BadRequestException",
                    "Validation failed (numeric string is expected)")
        unauthorized(call("GET", "/holidays", None))

        forbidden(call("PATCH", "/holidays/%d" % h["id"], STAFF, {"name": "x"}))
        forbidden(call("PATCH", "/holidays/%d" % h["id"], EMPLOYEE, {"name": "x"}))
        p = check_success(call("PATCH", "/holidays/%d" % h["id"], ADMIN, {"name": "Founders day", "isRecurring": True}),
                          200, UPDATED)["data"]
        check(p["name"] == "Founders day" and p["isRecurring"] is True and p["date"] == "2031-06-16", "patched %r" % p)
        check_error(call("PATCH", "/holidays/%d" % h["id"], ADMIN, {"date": "2031-06-17"}), 409, "ConflictException")
        check_error(call("PATCH", "/holidays/999999", ADMIN, {"name": "x"}), 404, "NotFoundException")
        # the arithmetic sees it: 2031-06-16 is a Monday, now a holiday
        d = check_success(call("GET", "/business-hours/check-working-day?date=2031-06-16", EMPLOYEE))["data"]
        check(d["isWorkingDay"] is False, "working %r" % d)

        forbidden(call("DELETE", "/holidays/%d" % h["id"], STAFF))
        forbidden(call("DELETE", "/holidays/%d" % h["id"], EMPLOYEE))
    finally:
        for hid in created:
            r = call("DELETE", "/holidays/%d" % hid, ADMIN)
            j = check_success(r, 200, DELETED)
            check("data" not in j, "delete has data %r" % j)
    check_error(call("DELETE", "/holidays/%d" % created[0], ADMIN), 404, "NotFoundException")
    check(check_success(call("GET", "/holidays?year=2031", EMPLOYEE))["data"] == [], "2031 cleaned up")


# ---- /sla/rules ----

def rule_by_priority(priority):
    rules = check_success(call("GET", "/sla/rules", EMPLOYEE))["data"]
    found = [r for r in rules if r["priority"] == priority]
    return found[0] if found else None


def test_sla_rules_read():
    for user in (ADMIN, STAFF, EMPLOYEE):
        rules = check_success(call("GET", "/sla/rules", user))["data"]
        check([r["priority"] for r in rules] == ["Low", "Medium", "High"], "order %r" % rules)
        high = rules[2]
        check(high["responseTimeHours"] == 1 and high["resolutionTimeHours"] == 4, "high %r" % high)
        check(high["responseTimeFormatted"] == "1 hour" and high["resolutionTimeFormatted"] == "4 hours", "fmt %r" % high)
        check(rules[0]["resolutionTimeFormatted"] == "3 days" and rules[1]["resolutionTimeFormatted"] == "1 day", "fmt")
        check(set(high) == {"id", "priority", "responseTimeHours", "resolutionTimeHours", "responseTimeFormatted",
                            "resolutionTimeFormatted", "isActive", "createdAt", "updatedAt"}, "keys %r" % sorted(high))
        one = check_success(call("GET", "/sla/rules/%d" % high["id"], user))["data"]
        check(one == high, "one %r" % one)
    check_error(call("GET", "/sla/rules/999999", EMPLOYEE), 404, "NotFoundException", "SLA rule with ID 999999 not found")
    unauthorized(call("GET", "/sla/rules", None))


def test_sla_rules_write():
    low = rule_by_priority("Low")
    check(low is not None, "seed Low rule missing")
    path = "/sla/rules/%d" % low["id"]
    for user in (STAFF, EMPLOYEE):
        forbidden(call("POST", "/sla/rules", user, {"priority": "Low", "responseTimeHours": 8, "resolutionTimeHours": 72}))
        forbidden(call("PUT", path, user, {"responseTimeHours": 9}))
        forbidden(call("PATCH", path, user, {"responseTimeHours": 9}))
        forbidden(call("DELETE", path, user))
    check_error(call("POST", "/sla/rules", ADMIN, {"priority": "Low", "responseTimeHours": 8, "resolutionTimeHours": 72}),
                409, "ConflictException", "SLA rule for priority Low already exists")
    check_error(call("POST", "/sla/rules", ADMIN, {"priority": "Urgent", "responseTimeHours": 1, "resolutionTimeHours": 2}),
                400, "BadRequestException", "priority must be one of the following values: Low, Medium, High")
    check_error(call("POST", "/sla/rules", ADMIN, {"priority": "Low", "responseTimeHours": 0, "resolutionTimeHours": 2}),
                400, "BadRequestException", "responseTimeHours must not be less than 1")

    # PUT: no priority
    check_error(call("PUT", path, ADMIN, {"priority": "Low", "responseTimeHours": 9}), 400, "BadRequestException",
                "property priority should not exist")
    try:
        r = check_success(call("PUT", path, ADMIN, {"responseTimeHours": 9, "resolutionTimeHours": 36}), 200, UPDATED)["data"]
        check(r["responseTimeHours"] == 9 and r["resolutionTimeFormatted"] == "1d 12h" and r["priority"] == "Low", "put %r" % r)
        # PATCH: priority accepted when unchanged, 409 when taken
        r = check_success(call("PATCH", path, ADMIN, {"priority": "Low", "responseTimeHours": 10}), 200, UPDATED)["data"]
        check(r["responseTimeHours"] == 10, "patch %r" % r)
        check_error(call("PATCH", path, ADMIN, {"priority": "High"}), 409, "ConflictException",
                    "SLA rule for priority High already exists")
    finally:
        check_success(call("PUT", path, ADMIN, {"responseTimeHours": 8, "resolutionTimeHours": 72, "isActive": True}),
                      200, UPDATED)

    # DELETE answers 204 with an empty body; then POST creates the rule again
    r = call("DELETE", path, ADMIN)
    check(r.status == 204 and r.body == b"", "delete %r" % r)
    try:
        check_error(call("GET", path, EMPLOYEE), 404, "NotFoundException")
        check_error(call("DELETE", path, ADMIN), 404, "NotFoundException")
        check(rule_by_priority("Low") is None, "Low still listed")
    finally:
        r = check_success(call("POST", "/sla/rules", ADMIN, {"priority": "Low", "responseTimeHours": 8,
                                                             "resolutionTimeHours": 72, "isActive": True}),
                          201, CREATED)["data"]
    check(r["priority"] == "Low" and r["resolutionTimeFormatted"] == "3 days" and r["isActive"] is True, "post %r" % r)
    unauthorized(call("POST", "/sla/rules", None, {"priority": "Low", "responseTimeHours": 8, "resolutionTimeHours": 72}))
