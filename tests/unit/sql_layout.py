#!/usr/bin/python3
"""The conventions of sql/ (docs/ARCHITECTURE.md), checked on the files themselves.

- Files are NN_<name>.sql. 00-09: the base layer; 99_finalize: privileges. From 10 to 98 an even
  NN is a domain file (schema helpdesk only) and an odd NN is `NN_<module>_api.sql`, holding the
  route functions (schema helpdesk_api) of the domain files before it.
- No forward references: a file uses only what it or an earlier file defines.
- Who may do what is decided in the domain files: no role check in an API file; the audit row of
  a change is written there too.
- Allowed values come from their enum type: no list of an enum's labels handed to the request
  checks (field_enum/query_enum).
Prints one line per check and "sql layout: N passed, N failed"; writes "N M" to
$HD_RESULT_FILE when set (tests/run.sh).
"""
import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SQL = os.path.join(HERE, '..', '..', 'sql')

passed = failed = 0


def check(name, problems):
    global passed, failed
    if problems:
        failed += 1
        print('not ok - %s' % name)
        for p in problems:
            print('    ' + p)
    else:
        passed += 1
        print('ok - %s' % name)


def strip_comments(text):
    # drop -- comments and string literals' contents are kept (names in quotes are settings)
    return re.sub(r'--[^\n]*', '', text)


files = sorted(glob.glob(os.path.join(SQL, '[0-9][0-9]_*.sql')))
names = [os.path.basename(f) for f in files]
texts = {os.path.basename(f): open(f, encoding='utf-8').read() for f in files}

DEF = re.compile(r'CREATE\s+(?:OR\s+REPLACE\s+)?(?:UNIQUE\s+)?(FUNCTION|TABLE|TYPE|VIEW|SEQUENCE|PROCEDURE|DOMAIN)\s+'
                 r'(helpdesk(?:_api)?\.\w+)', re.I)

# 1. names and layers
problems = []
for n in names:
    m = re.match(r'^(\d\d)_([a-z0-9_]+)\.sql$', n)
    if not m:
        problems.append('%s: not NN_<name>.sql' % n)
        continue
    nn, stem = int(m.group(1)), m.group(2)
    defs = [d for _, d in DEF.findall(strip_comments(texts[n]))]
    api_defs = [d for d in defs if d.startswith('helpdesk_api.')]
    if nn == 99 or nn < 10:
        extra = [d for d in api_defs if d != 'helpdesk_api.request_context']
        if extra:
            problems.append('%s: base files define no route function (%s)' % (n, ', '.join(extra)))
        continue
    if nn % 2 == 1:
        if not stem.endswith('_api'):
            problems.append('%s: an odd number is an API file, named NN_<module>_api.sql' % n)
    else:
        if stem.endswith('_api'):
            problems.append('%s: an even number is a domain file' % n)
        if api_defs:
            problems.append('%s: a domain file defines route functions (%s)' % (n, ', '.join(api_defs)))
check('file names and layers (even: domain, odd: *_api)', problems)

# 2. no forward references
defined = {}
for n in names:
    for _, d in DEF.findall(strip_comments(texts[n])):
        defined.setdefault(d.lower(), n)
problems = []
for n in names:
    body = strip_comments(texts[n])
    body = re.sub(r"'[^']*'", "''", body)   # 'helpdesk.client_ip' is a setting, not a reference
    for ref in sorted(set(re.findall(r'helpdesk(?:_api)?\.\w+', body))):
        where = defined.get(ref.lower())
        if where is not None and where > n:
            problems.append('%s uses %s, defined later in %s' % (n, ref, where))
check('no forward references between files', problems)

# 3. API files decide no permission
problems = []
for n in names:
    if not n[:-4].endswith('_api'):
        continue
    body = strip_comments(texts[n])
    for pat, what in ((r'require_role\s*\(', 'require_role'), (r'http_error\s*\(\s*403', 'a 403'),
                      (r'\bis_staff\s*\(', 'is_staff'), (r"\.role\s*(=|<>|IN\b)", 'a role comparison')):
        for m in re.finditer(pat, body):
            line = body[:m.start()].count('\n') + 1
            problems.append('%s:%d: %s in an API file (the domain function decides)' % (n, line, what))
check('who may do what is decided in domain files only', problems)

# 3b. what is recorded of a change (audit rows) is written by the domain function that makes it,
# so a SQL client's change is recorded too
problems = []
for n in names:
    if not n[:-4].endswith('_api'):
        continue
    body = strip_comments(texts[n])
    for m in re.finditer(r'\baudit\s*\(', body):
        line = body[:m.start()].count('\n') + 1
        problems.append('%s:%d: an audit row written by a route function (the domain function records it)' % (n, line))
check('audit rows are written by domain functions', problems)

# 4. request checks read their allowed values from the enum types
enums = {}
for n in names:
    for m in re.finditer(r"CREATE TYPE (helpdesk\.\w+) AS ENUM \(([^)]*)\)", texts[n]):
        enums[m.group(1)] = set(re.findall(r"'([^']*)'", m.group(2)))
problems = []
for n in names:
    body = strip_comments(texts[n])
    for m in re.finditer(r'(field_enum|query_enum)\s*\(([^;]*?)ARRAY\[([^\]]*)\]', body):
        labels = set(re.findall(r"'([^']*)'", m.group(3)))
        for enum, known in enums.items():
            if len(labels & known) >= 2:
                line = body[:m.start()].count('\n') + 1
                problems.append('%s:%d: %s spells out labels of %s; pass NULL::%s' % (n, line, m.group(1), enum, enum))
check('allowed values come from their enum type', problems)

print('sql layout: %d passed, %d failed' % (passed, failed))
if os.environ.get('HD_RESULT_FILE'):
    # for tests/run.sh, which reads this rather than the text
    with open(os.environ['HD_RESULT_FILE'], 'w') as f:
        f.write('%d %d\n' % (passed, failed))
sys.exit(1 if failed else 0)
