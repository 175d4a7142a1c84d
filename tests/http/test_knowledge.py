"""Knowledge base end to end: the reference's fifteen routes with the client's variants (vote,
helpfulVotes, category, categoryId), suggest and synonyms; public reads with an optional token
(staff with one see drafts, a bad one is a 401), every role, the publish flow, votes and views,
search over the demo articles, and bad input. Base data: demo/seed.sql."""
import time
import uuid

from hdlib import bearer, check, check_error, check_success, claims, make_jwt, psql, raw_request, request

ADMIN, STAFF, EMPLOYEE = 1, 2, 3
CREATED = "Resource created successfully"
UPDATED = "Resource updated successfully"
DELETED = "Resource deleted successfully"

ARTICLE_KEYS = {"id", "title", "summary", "content", "isPublished", "authorId", "categoryId", "tags", "viewCount",
                "helpfulCount", "notHelpfulCount", "helpfulVotes", "notHelpfulVotes", "publishedAt", "createdAt",
                "updatedAt", "author", "category"}


def call(method, path, user=ADMIN, body=None, token=None):
    if token is not None:
        headers = bearer(token)
    else:
        headers = bearer(make_jwt(claims(sub=user))) if user else {}
    if isinstance(body, (bytes, str)):
        # raw text (a broken JSON body) is still sent as JSON, so the body's parser answers
        headers = dict(headers, **{"Content-Type": "application/json"})
    return request(method, "/api/v1" + path, body=body, headers=headers)


def q(s):
    import urllib.parse
    return urllib.parse.quote(s)


_users = {}


def user(name, role="Employee"):
    if name not in _users:
        _users[name] = int(psql(
            "INSERT INTO helpdesk.users (username, email, password_hash, full_name, role) "
            "VALUES ('%s', '%s@example.com', helpdesk.hash_password('password123'), '%s', '%s') "
            "ON CONFLICT DO NOTHING; SELECT id FROM helpdesk.users WHERE username = '%s'"
            % (name, name, name, role, name)).splitlines()[-1])
    return _users[name]


def category_id(name="Software"):
    return int(psql("SELECT id FROM helpdesk.categories WHERE name = '%s'" % name))


def new_article(author=STAFF, **fields):
    body = {"title": "HTTP article " + uuid.uuid4().hex[:8], "content": "Some content about nothing in particular.",
            "categoryId": category_id()}
    body.update(fields)
    return check_success(call("POST", "/knowledge", author, body), 201, CREATED)["data"]


def test_public_reads_need_no_token():
    j = check_success(call("GET", "/knowledge", None))
    data = j["data"]
    check(set(data) == {"articles", "total", "page", "totalPages"}, sorted(data))
    check(data["total"] >= 11 and data["page"] == 1, data)
    a = data["articles"][0]
    check(set(a) == ARTICLE_KEYS, sorted(a))
    check(all(x["isPublished"] for x in data["articles"]), "drafts in the public list")
    check(isinstance(a["tags"], list) and a["category"]["name"] and a["author"]["fullName"], a)
    check(a["helpfulVotes"] == a["helpfulCount"] and a["notHelpfulVotes"] == a["notHelpfulCount"], a)
    for path in ("/knowledge/popular", "/knowledge/recent", "/knowledge/categories", "/knowledge/tags",
                 "/knowledge/category/%d" % category_id("Network"), "/knowledge/search?q=vpn", "/knowledge/suggest?q=vpn"):
        check_success(call("GET", path, None))


def test_search_finds_the_right_article_in_either_spelling():
    for query in ("mật khẩu", "mat khau", "quên mật khẩu", "quen mat khau", "Làm sao để đặt lại mật khẩu?"):
        j = check_success(call("GET", "/knowledge/search?q=" + q(query), None))
        check(j["data"], "no result for %r" % query)
        check(j["data"][0]["title"] == "Đặt lại mật khẩu khi quên mật khẩu đăng nhập", (query, j["data"][0]["title"]))
    j = check_success(call("GET", "/knowledge/search?q=" + q("pasword reset") + "&limit=3", None))
    check(j["data"][0]["title"] == "Reset a forgotten password with the self-service portal", j["data"][0]["title"])
    check(len(j["data"]) <= 3, len(j["data"]))
    r = j["data"][0]
    check("content" not in r and {"snippet", "score", "confidence", "category", "tags"} <= set(r), sorted(r))
    check("<mark>" in r["snippet"] and 0 < r["confidence"] <= 1, r)
    j = check_success(call("GET", "/knowledge/search?q=" + q("wifi văn phòng"), None))
    check(j["data"][0]["title"] == "Hướng dẫn kết nối Wi-Fi văn phòng", j["data"][0]["title"])
    check("<mark>Wi-Fi</mark>" in j["data"][0]["snippet"], j["data"][0]["snippet"])


def test_search_escapes_the_source_html():
    a = new_article(STAFF, title="HTTP escaping zebracorn", content='Use <script>alert("x")</script> & the zebracorn tool.',
                    isPublished=True)
    j = check_success(call("GET", "/knowledge/search?q=zebracorn", None))
    s = j["data"][0]["snippet"]
    check("<script>" not in s and "&lt;script&gt;" in s and "&amp;" in s and "<mark>zebracorn</mark>" in s, s)
    check_success(call("DELETE", "/knowledge/%d" % a["id"], STAFF), 200, DELETED)


def test_optional_token_a_bad_one_is_refused():
    for path in ("/knowledge", "/knowledge/search?q=vpn", "/knowledge/%d" % new_article(isPublished=True)["id"]):
        check_error(call("GET", path, token="not-a-jwt"), 401, "UnauthorizedException", "Invalid or expired token")
        check_error(call("GET", path, token=make_jwt(claims(sub=STAFF, exp_in=-10))), 401, "UnauthorizedException")
        check_success(call("GET", path, None))
        check_success(call("GET", path, EMPLOYEE))
    # public-only routes ignore tokens altogether
    check_success(call("GET", "/knowledge/popular", token="not-a-jwt"))
    # a valid token of a user who is gone is refused by the database
    check_error(call("GET", "/knowledge", 999999), 401, "UnauthorizedException", "Invalid token or user not found")


def test_drafts_are_for_staff_only():
    word = "draftword" + uuid.uuid4().hex[:6]
    d = new_article(STAFF, title="HTTP draft " + word, content="A draft about " + word)
    check(d["isPublished"] is False and d["publishedAt"] is None, d)
    for who in (None, EMPLOYEE):
        check_error(call("GET", "/knowledge/%d" % d["id"], who), 403, "ForbiddenException", "This article is not published")
        check(check_success(call("GET", "/knowledge/search?q=" + word, who))["data"] == [], "draft found by %r" % who)
        titles = [a["title"] for a in check_success(call("GET", "/knowledge?search=" + word, who))["data"]["articles"]]
        check(d["title"] not in titles, "draft listed for %r" % who)
    for who in (STAFF, ADMIN):
        check(check_success(call("GET", "/knowledge/%d" % d["id"], who))["data"]["title"] == d["title"])
        check(check_success(call("GET", "/knowledge/search?q=" + word, who))["data"][0]["id"] == d["id"])
        j = check_success(call("GET", "/knowledge?isPublished=false&search=" + word, who))["data"]
        check(j["total"] == 1 and j["articles"][0]["id"] == d["id"], j)


def test_create_roles_and_shape():
    check_error(call("POST", "/knowledge", EMPLOYEE, {"title": "x", "content": "y", "categoryId": 1}), 403,
                "ForbiddenException", "Access denied. Required roles: IT_Staff, Admin")
    check_error(call("POST", "/knowledge", None, {"title": "x", "content": "y", "categoryId": 1}), 401, "UnauthorizedException")
    a = new_article(ADMIN, tags="vpn, remote ,VPN", summary="short", isPublished=True)
    check(set(a) == ARTICLE_KEYS, sorted(a))
    check(a["tags"] == ["vpn", "remote"] and a["isPublished"] is True and a["publishedAt"].endswith("Z"), a)
    check(a["viewCount"] == 0 and a["author"]["id"] == ADMIN and a["category"]["id"] == a["categoryId"], a)
    b = new_article(STAFF, categoryId=str(category_id()), tags=["printer", "toner"])
    check(b["tags"] == ["printer", "toner"] and b["categoryId"] == category_id(), b)


def test_create_bad_input():
    cat = category_id()
    cases = [
        ({}, "title should not be empty, title must be a string"),
        ({"title": "T", "content": "C"}, "categoryId should not be empty, categoryId must be an integer number"),
        ({"title": "x" * 201, "content": "C", "categoryId": cat}, "title must be shorter than or equal to 200 characters"),
        ({"title": "T", "content": "", "categoryId": cat}, "content should not be empty"),
        ({"title": "T", "content": "C", "categoryId": cat, "tags": [1]}, "each value in tags must be a string"),
        ({"title": "T", "content": "C", "categoryId": cat, "tags": {"a": "b"}}, "tags must be an array"),
        ({"title": "T", "content": "C", "categoryId": "abc"}, "categoryId must be an integer number"),
        ({"title": "T", "content": "C", "categoryId": cat, "isPublished": 1}, "isPublished must be a boolean value"),
        ({"title": "T", "content": "C", "categoryId": cat, "embedding": []}, "property embedding should not exist"),
    ]
    for body, message in cases:
        j = check_error(call("POST", "/knowledge", STAFF, body), 400, "BadRequestException", message)
        check(j.get("details"), "details missing for %r" % body)
    check_error(call("POST", "/knowledge", STAFF, {"title": "T", "content": "C", "categoryId": 2147483647}), 400,
                "BadRequestException", "Category not found")
    check_error(call("POST", "/knowledge", STAFF, [1]), 400, "BadRequestException")
    check_error(call("POST", "/knowledge", STAFF, b'{"title": "T",'), 400, "BadRequestException")
    big = ('{"title": "T", "categoryId": %d, "content": "%s"}' % (cat, "x" * (1024 * 1024 + 10))).encode()
    head = ("POST /api/v1/knowledge HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            "Authorization: Bearer %s\r\nContent-Length: %d\r\n\r\n" % (make_jwt(claims(sub=STAFF)), len(big))).encode()
    check_error(raw_request(head, big), 413, "PayloadTooLargeException")
    check(psql("SELECT count(*) FROM helpdesk.kb_articles WHERE title = 'T'") == "0", "a bad request wrote an article")


def test_bad_ids_and_unknown_articles():
    check_error(call("GET", "/knowledge/abc", None), 400, "BadRequestException", "Validation failed (numeric string is expected)")
    check_error(call("GET", "/knowledge/0", None), 400, "BadRequestException")
    check_error(call("GET", "/knowledge/99999999999", None), 400, "BadRequestException")
    check_error(call("GET", "/knowledge/2147483647", None), 404, "NotFoundException", "Article with ID 2147483647 not found")
    check_error(call("GET", "/knowledge/category/abc", None), 400, "BadRequestException",
                "Validation failed (numeric string is expected)")
    for method, path in (("PATCH", "/knowledge/2147483647"), ("DELETE", "/knowledge/2147483647"),
                         ("POST", "/knowledge/2147483647/publish"), ("POST", "/knowledge/2147483647/vote")):
        body = {"helpful": True} if path.endswith("vote") else ({} if method != "DELETE" else None)
        check_error(call(method, path, ADMIN, body), 404, "NotFoundException")


def test_publish_flow():
    a = new_article(STAFF)
    p = check_success(call("POST", "/knowledge/%d/publish" % a["id"], ADMIN), 201, CREATED)["data"]
    check(p["isPublished"] is True and p["publishedAt"], p)
    check_error(call("POST", "/knowledge/%d/publish" % a["id"], STAFF), 400, "BadRequestException", "Article is already published")
    check_error(call("POST", "/knowledge/%d/publish" % a["id"], EMPLOYEE), 403, "ForbiddenException")
    u = check_success(call("POST", "/knowledge/%d/unpublish" % a["id"], user("kb_staff_b", "IT_Staff")), 201, CREATED)["data"]
    check(u["isPublished"] is False and u["publishedAt"] is None, u)
    check_error(call("POST", "/knowledge/%d/unpublish" % a["id"], STAFF), 400, "BadRequestException", "Article is not published")
    check_error(call("POST", "/knowledge/%d/publish" % a["id"], STAFF, {"now": True}), 400, "BadRequestException",
                "property now should not exist")


def test_update_and_delete_by_author_or_admin():
    a = new_article(STAFF, isPublished=True)
    other = user("kb_staff_c", "IT_Staff")
    check_error(call("PATCH", "/knowledge/%d" % a["id"], other, {"title": "Hijack"}), 403, "ForbiddenException",
                "You can only update your own articles")
    check_error(call("PATCH", "/knowledge/%d" % a["id"], EMPLOYEE, {"title": "Hijack"}), 403, "ForbiddenException")
    j = check_success(call("PATCH", "/knowledge/%d" % a["id"], STAFF, {"title": "HTTP renamed", "tags": ["one"]}), 200, UPDATED)
    check(j["data"]["title"] == "HTTP renamed" and j["data"]["tags"] == ["one"], j["data"])
    j = check_success(call("PATCH", "/knowledge/%d" % a["id"], ADMIN, {"content": "Admin edit", "isPublished": True}), 200, UPDATED)
    check(j["data"]["content"] == "Admin edit" and j["data"]["isPublished"] is True, j["data"])
    check_error(call("PATCH", "/knowledge/%d" % a["id"], STAFF, {"title": ""}), 400, "BadRequestException")
    check_error(call("DELETE", "/knowledge/%d" % a["id"], other), 403, "ForbiddenException", "You can only delete your own articles")
    j = check_success(call("DELETE", "/knowledge/%d" % a["id"], ADMIN), 200, DELETED)
    check(j["data"] == {"message": "Article deleted successfully"}, j)
    check_error(call("GET", "/knowledge/%d" % a["id"], None), 404, "NotFoundException")


def test_votes_one_per_user_both_spellings():
    a = new_article(STAFF, isPublished=True)
    path = "/knowledge/%d" % a["id"]
    j = check_success(call("POST", path + "/vote", EMPLOYEE, {"helpful": True}), 201, CREATED)["data"]
    check(j["helpfulVotes"] == 1 and j["helpfulCount"] == 1 and j["notHelpfulVotes"] == 0, j)
    j = check_success(call("POST", path + "/vote", EMPLOYEE, {"helpful": True}), 201, CREATED)["data"]
    check(j["helpfulVotes"] == 1, "a second identical vote counted: %r" % j)
    j = check_success(call("POST", path + "/rate", EMPLOYEE, {"isHelpful": False, "feedback": "no"}), 201, CREATED)["data"]
    check(j["helpfulVotes"] == 0 and j["notHelpfulVotes"] == 1, "the new vote did not replace the old one: %r" % j)
    j = check_success(call("POST", path + "/rate", STAFF, {"isHelpful": True}), 201, CREATED)["data"]
    check(j["helpfulCount"] == 1 and j["notHelpfulCount"] == 1, j)
    check(check_success(call("GET", path, EMPLOYEE))["data"]["myVote"] is False, "myVote")
    check_error(call("POST", path + "/vote", None, {"helpful": True}), 401, "UnauthorizedException")
    check_error(call("POST", path + "/vote", EMPLOYEE, {"helpful": "yes"}), 400, "BadRequestException", "helpful must be a boolean value")
    check_error(call("POST", path + "/vote", EMPLOYEE, {}), 400, "BadRequestException")
    check_error(call("POST", path + "/rate", EMPLOYEE, {"helpful": True}), 400, "BadRequestException", "property helpful should not exist")
    d = new_article(STAFF)
    check_error(call("POST", "/knowledge/%d/vote" % d["id"], STAFF, {"helpful": True}), 403, "ForbiddenException",
                "Cannot rate unpublished articles")


def test_views_once_per_reader_per_day():
    a = new_article(STAFF, isPublished=True)
    path = "/knowledge/%d" % a["id"]
    counts = [check_success(call("GET", path, who))["data"]["viewCount"] for who in (EMPLOYEE, EMPLOYEE, None, None, STAFF)]
    # employee (1), employee again (1), anonymous from this address (2), again (2), staff (3)
    check(counts == [1, 1, 2, 2, 3], counts)
    check(psql("SELECT view_count FROM helpdesk.kb_articles WHERE id = %d" % a["id"]) == "3", "stored count")


def test_lists_filters_and_pages():
    cat = category_id("Network")
    j = check_success(call("GET", "/knowledge?categoryId=%d&limit=2&sortBy=viewCount&sortOrder=DESC" % cat, None))["data"]
    check(j["page"] == 1 and len(j["articles"]) <= 2 and all(a["categoryId"] == cat for a in j["articles"]), j)
    views = [a["viewCount"] for a in j["articles"]]
    check(views == sorted(views, reverse=True), views)
    j2 = check_success(call("GET", "/knowledge?category=%d&limit=2&page=2&sortBy=viewCount" % cat, None))["data"]
    check(j2["page"] == 2 and j2["total"] == j["total"], j2)
    j = check_success(call("GET", "/knowledge?tags=" + q("VPN,nothing"), None))["data"]
    check(j["total"] >= 2 and all(any(t.lower() == "vpn" for t in a["tags"]) for a in j["articles"]), j)
    j = check_success(call("GET", "/knowledge?search=" + q("kẹt giấy"), None))["data"]
    check(j["articles"][0]["title"] == "Xử lý máy in và máy photocopy bị kẹt giấy", j["articles"][0]["title"])
    for query, message in (("limit=0", "limit must not be less than 1"), ("page=x", "page must be an integer number"),
                           ("sortBy=password", None), ("isPublished=maybe", "isPublished must be a boolean value")):
        check_error(call("GET", "/knowledge?" + query, None), 400, "BadRequestException", message)


def test_popular_recent_categories_tags_stats():
    pop = check_success(call("GET", "/knowledge/popular?limit=3", None))["data"]
    check(len(pop) == 3 and pop[0]["viewCount"] >= pop[1]["viewCount"] >= pop[2]["viewCount"], pop)
    rec = check_success(call("GET", "/knowledge/recent?limit=2", None))["data"]
    check(len(rec) == 2 and rec[0]["publishedAt"] >= rec[1]["publishedAt"], rec)
    cats = check_success(call("GET", "/knowledge/categories", None))["data"]
    check(str(category_id("Network")) in cats and all(isinstance(c, str) for c in cats), cats)
    tags = check_success(call("GET", "/knowledge/tags", None))["data"]
    check("vpn" in tags and "printer" in tags, tags)
    check_error(call("GET", "/knowledge/stats", EMPLOYEE), 403, "ForbiddenException")
    check_error(call("GET", "/knowledge/stats", None), 401, "UnauthorizedException")
    s = check_success(call("GET", "/knowledge/stats", STAFF))["data"]
    check(set(s) == {"total", "published", "draft", "totalViews"} and s["total"] == s["published"] + s["draft"], s)
    by = check_success(call("GET", "/knowledge/category/%d?limit=50" % category_id("Account"), None))["data"]
    check(by and all(a["categoryId"] == category_id("Account") and a["isPublished"] for a in by), by)


def test_search_and_suggest_bad_input():
    for path, message in (("/knowledge/search", "q should not be empty"), ("/knowledge/search?q=", "q should not be empty"),
                          ("/knowledge/search?q=" + "a" * 201, "q must be shorter than or equal to 200 characters"),
                          ("/knowledge/search?q=vpn&limit=51", "limit must not be greater than 50"),
                          ("/knowledge/search?q=vpn&limit=0", "limit must not be less than 1"),
                          ("/knowledge/suggest", "q should not be empty"),
                          ("/knowledge/suggest?q=vpn&limit=11", "limit must not be greater than 10")):
        check_error(call("GET", path, None), 400, "BadRequestException", message)
    check(check_success(call("GET", "/knowledge/search?q=" + q("how do I"), None))["data"] == [], "stop words matched")


def test_suggest_prefixes_for_the_ticket_form():
    j = check_success(call("GET", "/knowledge/suggest?q=" + q("printer ja"), None))["data"]
    check(j and len(j) <= 5 and set(j[0]) == {"id", "title", "snippet"}, j)
    check(j[0]["title"] == "Clearing a paper jam on the office printers", j[0])
    j = check_success(call("GET", "/knowledge/suggest?q=" + q("đặt lại mật"), None))["data"]
    check(j[0]["title"] == "Đặt lại mật khẩu khi quên mật khẩu đăng nhập", j)


def test_synonyms_admin_edits_search_uses_them_at_once():
    check_error(call("GET", "/knowledge/synonyms", EMPLOYEE), 403, "ForbiddenException")
    groups = check_success(call("GET", "/knowledge/synonyms", STAFF))["data"]
    check(any(g["builtin"] for g in groups) and all({"id", "terms", "text", "builtin"} == set(g) for g in groups), groups[:2])
    word = "qwxhub" + uuid.uuid4().hex[:4]
    check(check_success(call("GET", "/knowledge/search?q=" + word, None))["data"] == [], "found before the synonym")
    check_error(call("PUT", "/knowledge/synonyms", STAFF, {"synonyms": [[word, "forticlient"]]}), 403, "ForbiddenException")
    j = check_success(call("PUT", "/knowledge/synonyms", ADMIN, {"synonyms": [[word, "forticlient"], "lan = mạng nội bộ"]}), 200, UPDATED)
    check(any(g["text"] == word + " = forticlient" and not g["builtin"] for g in j["data"]), j["data"][:3])
    found = check_success(call("GET", "/knowledge/search?q=" + word, None))["data"]
    check(found and "VPN" in found[0]["title"], found[:1])
    for body in ({"synonyms": "a = b"}, {"synonyms": [[1, 2]]}, {"synonyms": ["alone"]}, {}):
        check_error(call("PUT", "/knowledge/synonyms", ADMIN, body), 400, "BadRequestException")
    check_success(call("PUT", "/knowledge/synonyms", ADMIN, {"synonyms": []}), 200, UPDATED)


def test_openapi_documents_optional_tokens():
    r = request("GET", "/api/docs-json")
    check(r.status == 200, r)
    op = r.json["paths"]["/api/v1/knowledge/{id}"]["get"]
    check(op["security"] == [{}, {"JWT-auth": []}], op.get("security"))
    check(r.json["paths"]["/api/v1/knowledge/{id}/vote"]["post"]["security"] == [{"JWT-auth": []}])


def test_search_answers_are_fresh_after_writes():
    # the connection's answer cache never serves an answer older than the last article change
    word = "freshword" + uuid.uuid4().hex[:6]
    check(check_success(call("GET", "/knowledge/search?q=" + word, None))["data"] == [], "found too early")
    a = new_article(STAFF, title="HTTP fresh " + word, isPublished=True)
    for _ in range(5):  # any of the server's connections
        found = check_success(call("GET", "/knowledge/search?q=" + word, None))["data"]
        check(found and found[0]["id"] == a["id"], "stale answer after publishing: %r" % found)
    check_success(call("POST", "/knowledge/%d/unpublish" % a["id"], STAFF), 201, CREATED)
    for _ in range(5):
        check(check_success(call("GET", "/knowledge/search?q=" + word, None))["data"] == [], "stale answer after unpublishing")
    time.sleep(0)
