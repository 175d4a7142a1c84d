"""Categories end to end: the ten routes (activate/deactivate by PATCH and POST), every role,
bad input, the real ticket count and the guarded delete."""
import uuid

from hdlib import bearer, check, check_error, check_success, claims, make_jwt, request

ADMIN, STAFF, EMPLOYEE = 1, 2, 3


def call(method, path, user=ADMIN, body=None):
    headers = bearer(make_jwt(claims(sub=user))) if user else {}
    return request(method, "/api/v1" + path, body=body, headers=headers)


def new_category(**fields):
    body = {"name": "HTTP cat " + uuid.uuid4().hex[:10]}
    body.update(fields)
    j = check_success(call("POST", "/categories", ADMIN, body), 201, "Resource created successfully")
    return j["data"]


CATEGORY_KEYS = {"id", "name", "description", "icon", "color", "isActive", "displayOrder", "createdAt", "updatedAt"}


def test_list_needs_a_token():
    check_error(call("GET", "/categories", None), 401, "UnauthorizedException")


def test_create_by_staff_and_admin_not_employee():
    name = "HTTP staff " + uuid.uuid4().hex[:8]
    j = check_success(call("POST", "/categories", STAFF, {"name": name, "description": "d", "icon": "cpu",
                                                            "color": "#A1b2C3", "displayOrder": 7}),
                      201, "Resource created successfully")
    c = j["data"]
    check(set(c) == CATEGORY_KEYS, "keys %r" % sorted(c))
    check(c["name"] == name and c["color"] == "#A1b2C3" and c["displayOrder"] == 7 and c["isActive"] is True, c)
    check(c["createdAt"].endswith("Z"), c["createdAt"])
    check_error(call("POST", "/categories", EMPLOYEE, {"name": "HTTP nope"}), 403, "ForbiddenException",
                "Access denied. Required roles: Admin, IT_Staff")
    check_error(call("POST", "/categories", ADMIN, {"name": name.upper()}), 409, "ConflictException",
                "Category with this name already exists")


def test_create_bad_input():
    cases = [
        ({}, "name should not be empty, name must be a string"),
        ({"name": "x", "color": "red"}, "color must match /^#[0-9A-F]{6}$/i regular expression"),
        ({"name": "x" * 101}, "name must be shorter than or equal to 100 characters"),
        ({"name": "HTTP x", "displayOrder": -1}, "displayOrder must not be less than 0"),
        ({"name": "HTTP x", "displayOrder": "1"}, "displayOrder must be an integer number"),
        ({"name": "HTTP x", "isActive": 1}, "isActive must be a boolean value"),
        ({"name": "HTTP x", "bogus": True}, "property bogus should not exist"),
    ]
    for body, message in cases:
        j = check_error(call("POST", "/categories", ADMIN, body), 400, "BadRequestException", message)
        check(j.get("details"), "details missing for %r" % body)
    check_error(call("POST", "/categories", ADMIN, [1]), 400, "BadRequestException")


def test_get_list_active_and_include_inactive():
    active = new_category(displayOrder=0)
    inactive = new_category(isActive=False)
    got = check_success(call("GET", "/categories/%d" % active["id"], EMPLOYEE))["data"]
    check(got == active, "%r != %r" % (got, active))
    ids = [c["id"] for c in check_success(call("GET", "/categories", EMPLOYEE))["data"]]
    check(active["id"] in ids and inactive["id"] not in ids, ids)
    ids = [c["id"] for c in check_success(call("GET", "/categories?includeInactive=true", EMPLOYEE))["data"]]
    check(active["id"] in ids and inactive["id"] in ids, ids)
    ids = [c["id"] for c in check_success(call("GET", "/categories/active", EMPLOYEE))["data"]]
    check(active["id"] in ids and inactive["id"] not in ids, ids)
    # ordered by displayOrder, then name
    lst = check_success(call("GET", "/categories?includeInactive=true", STAFF))["data"]
    keys = [(c["displayOrder"], c["name"]) for c in lst]
    check(keys == sorted(keys), keys)
    check_error(call("GET", "/categories?includeInactive=perhaps", EMPLOYEE), 400, "BadRequestException",
                "includeInactive must be a boolean value")


def test_get_missing_and_bad_ids():
    check_error(call("GET", "/categories/999999"), 404, "NotFoundException", "Category with ID 999999 not found")
    check_error(call("GET", "/categories/abc"), 400, "BadRequestException", "Validation failed (numeric string is expected)")
    check_error(call("GET", "/categories/99999999999"), 400, "BadRequestException")
    check_error(call("GET", "/categories/999999/stats"), 404, "NotFoundException")


def test_update_roles_and_conflicts():
    c = new_category()
    other = new_category()
    j = check_success(call("PATCH", "/categories/%d" % c["id"], STAFF, {"description": "new words", "icon": "wifi"}),
                      200, "Resource updated successfully")
    check(j["data"]["description"] == "new words" and j["data"]["icon"] == "wifi" and j["data"]["name"] == c["name"], j)
    check_error(call("PATCH", "/categories/%d" % c["id"], EMPLOYEE, {"icon": "x"}), 403, "ForbiddenException")
    check_error(call("PATCH", "/categories/%d" % c["id"], ADMIN, {"name": other["name"]}), 409, "ConflictException",
                "Category with this name already exists")
    check_error(call("PATCH", "/categories/%d" % c["id"], ADMIN, {"color": "#12"}), 400, "BadRequestException")
    check_error(call("PATCH", "/categories/999999", ADMIN, {"icon": "x"}), 404, "NotFoundException")


def test_activate_deactivate_by_patch_and_post():
    c = new_category()
    for method in ("PATCH", "POST"):
        msg = "Resource updated successfully" if method == "PATCH" else "Resource created successfully"
        status = 200 if method == "PATCH" else 201
        j = check_success(call(method, "/categories/%d/deactivate" % c["id"], ADMIN), status, msg)
        check(j["data"]["isActive"] is False, j)
        j = check_success(call(method, "/categories/%d/activate" % c["id"], ADMIN), status, msg)
        check(j["data"]["isActive"] is True, j)
        check_error(call(method, "/categories/%d/deactivate" % c["id"], STAFF), 403, "ForbiddenException",
                    "Access denied. Required roles: Admin")
        check_error(call(method, "/categories/999999/activate", ADMIN), 404, "NotFoundException")


def test_inactive_category_refuses_new_tickets():
    c = new_category()
    check_success(call("POST", "/categories/%d/deactivate" % c["id"], ADMIN), 201, "Resource created successfully")
    body = {"title": "Cannot file this", "description": "Category is inactive now", "categoryId": c["id"]}
    check_error(call("POST", "/tickets", EMPLOYEE, body), 400, "BadRequestException", "Category is not active")
    body["categoryId"] = 999999
    check_error(call("POST", "/tickets", EMPLOYEE, body), 400, "BadRequestException", "Category not found")


def test_stats_counts_tickets_and_delete_is_guarded():
    c = new_category()
    s = check_success(call("GET", "/categories/%d/stats" % c["id"], EMPLOYEE))["data"]
    check(s["ticketCount"] == 0 and s["id"] == c["id"] and s["name"] == c["name"] and s["isActive"] is True, s)
    for i in range(2):
        check_success(call("POST", "/tickets", EMPLOYEE, {"title": "Counted %d" % i, "description": "Counted by stats",
                                                           "categoryId": c["id"]}), 201, "Resource created successfully")
    s = check_success(call("GET", "/categories/%d/stats" % c["id"], EMPLOYEE))["data"]
    check(s["ticketCount"] == 2, s)
    check_error(call("DELETE", "/categories/%d" % c["id"], STAFF), 403, "ForbiddenException")
    check_error(call("DELETE", "/categories/%d" % c["id"], ADMIN), 409, "ConflictException",
                "Cannot delete category with existing tickets")
    empty = new_category()
    j = check_success(call("DELETE", "/categories/%d" % empty["id"], ADMIN), 200, "Resource deleted successfully")
    check(j["data"] == {"message": "Category deleted successfully"}, j)
    check_error(call("GET", "/categories/%d" % empty["id"]), 404, "NotFoundException")
    check_error(call("DELETE", "/categories/%d" % empty["id"], ADMIN), 404, "NotFoundException")


def test_reorder():
    a, b, c = new_category(), new_category(), new_category()
    ids = [c["id"], a["id"], b["id"]]
    check_error(call("POST", "/categories/reorder", STAFF, {"categoryIds": ids}), 403, "ForbiddenException")
    j = check_success(call("POST", "/categories/reorder", ADMIN, {"categoryIds": ids}), 201, "Resource created successfully")
    check(j["data"] == {"message": "Categories reordered successfully"}, j)
    for pos, cid in enumerate(ids):
        got = check_success(call("GET", "/categories/%d" % cid))["data"]
        check(got["displayOrder"] == pos, (pos, got))
    check_error(call("POST", "/categories/reorder", ADMIN, {"categoryIds": []}), 400, "BadRequestException")
    check_error(call("POST", "/categories/reorder", ADMIN, {"categoryIds": [a["id"], "x"]}), 400, "BadRequestException")
    check_error(call("POST", "/categories/reorder", ADMIN, {"categoryIds": [a["id"], 999999]}), 404, "NotFoundException")
    check_error(call("POST", "/categories/reorder", ADMIN, {"ids": [a["id"]]}), 400, "BadRequestException")
