"""GET /api/docs-json passes a real OpenAPI 3 validator (npm @apidevtools/swagger-parser, run
with node) and lists every route of the table; GET /api/docs renders it as a page that loads
nothing from the internet. The package is installed on first use into HD_NPM_DIR (default
~/.cache/helpdesk-npm; npm's own cache makes later installs work offline)."""
import json
import os
import re
import subprocess
import tempfile

from hdlib import check, request

HERE = os.path.dirname(os.path.abspath(__file__))
NPM_DIR = os.environ.get("HD_NPM_DIR", os.path.expanduser("~/.cache/helpdesk-npm"))
PACKAGE = "@apidevtools/swagger-parser@10.1.1"


def validator_path():
    modules = os.path.join(NPM_DIR, "node_modules")
    if not os.path.isdir(os.path.join(modules, "@apidevtools", "swagger-parser")):
        os.makedirs(NPM_DIR, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", NPM_DIR, "--no-audit", "--no-fund", "--prefer-offline", PACKAGE],
                       check=True, stdout=subprocess.DEVNULL, timeout=600)
    return modules


def routes_of_table():
    """(METHOD, /path/{param}) of every row of http/routes.c."""
    text = open(os.path.join(HERE, "..", "..", "http", "routes.c"), encoding="utf-8").read()
    rows = re.findall(r'^\s*\{"(GET|POST|PUT|PATCH|DELETE)", "([^"]+)"', text, re.M)
    return {(m, re.sub(r":(\w+)", r"{\1}", p)) for m, p in rows}


def test_docs_json_is_valid_openapi():
    r = request("GET", "/api/docs-json")
    check(r.status == 200, "docs-json %r" % r)
    doc = r.json
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(doc, f)
        path = f.name
    try:
        env = dict(os.environ, NODE_PATH=validator_path())
        out = subprocess.run(["node", os.path.join(HERE, "openapi_validate.js"), path], env=env, capture_output=True,
                             text=True, timeout=120)
        check(out.returncode == 0, "validator: %s %s" % (out.stdout, out.stderr))
    finally:
        os.unlink(path)


def test_every_route_is_described():
    doc = request("GET", "/api/docs-json").json
    listed = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    missing = routes_of_table() - listed
    check(not missing, "routes missing from the document: %r" % sorted(missing))


def test_docs_page_renders_offline():
    r = request("GET", "/api/docs")
    check(r.status == 200, "docs %r" % r)
    check(r.headers.get("content-type", "").startswith("text/html"), "html %r" % r.headers.get("content-type"))
    page = r.body.decode("utf-8")
    check("/api/docs-json" in page, "the page reads the document of this server")
    check(not re.search(r'(src|href)\s*=\s*["\']?(https?:)?//', page), "nothing loaded from elsewhere")
