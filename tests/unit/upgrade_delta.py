#!/usr/bin/python3
"""Every change to a released module has its upgrade delta (README, "Upgrades").

The last release's frozen install script (sql/release/helpdesk--X.sql) holds each module file as
it was released, between "-- ==== sql/NN_name.sql ====" lines. For each of those modules, every
object whose CREATE statement was added, changed or removed since (comments and spacing aside)
must be named in sql/upgrade/<version>/NN_name.sql, the hand-written delta that the Makefile
puts into helpdesk--X--<version>.sql. New module files need nothing: the Makefile includes them
whole. This is the quick check with a message that says what is missing; the upgrade suite
(tests/upgrade/run.sh) is the thorough one: it compares the upgraded schema with a fresh install.
Prints one line per module and writes "PASSED FAILED" to $HD_RESULT_FILE when set.
"""
import glob
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
CREATE = re.compile(r'^CREATE (?:OR REPLACE )?(?:UNIQUE )?(FUNCTION|PROCEDURE|INDEX|TRIGGER|TABLE|TYPE|VIEW|SEQUENCE)'
                    r' (?:IF NOT EXISTS )?((?:helpdesk(?:_api)?\.)?\w+)(.*?)(?=^CREATE |^SELECT |^DO |^GRANT |^REVOKE |\Z)',
                    re.M | re.S)


def objects(text):
    """name -> its CREATE statement without comments and with spaces collapsed"""
    out = {}
    for m in CREATE.finditer(text):
        body = re.sub(r'--[^\n]*', '', m.group(3))
        out['%s %s' % (m.group(1).lower(), m.group(2))] = re.sub(r'\s+', ' ', body).strip()
    return out


def defines(delta, key):
    """Whether the delta creates, replaces, alters or drops the object `key` ("kind name")."""
    kind, name = key.split(' ', 1)
    name = re.escape(name.split('.')[-1])
    return re.search(r'^\s*(CREATE (OR REPLACE )?(UNIQUE )?%s (IF NOT EXISTS )?|(ALTER|DROP) %s (IF EXISTS )?)'
                     r'(helpdesk(_api)?\.)?%s\b' % (kind.upper(), kind.upper(), name), delta, re.M | re.I) is not None


def version():
    with open(os.path.join(ROOT, 'helpdesk.control')) as f:
        return re.search(r"^default_version\s*=\s*'([^']*)'", f.read(), re.M).group(1)


def last_release():
    names = [os.path.basename(p) for p in glob.glob(os.path.join(ROOT, 'sql', 'release', 'helpdesk--*.sql'))]
    versions = [m.group(1) for m in (re.match(r'^helpdesk--([^-]+)\.sql$', n) for n in names) if m]
    return max(versions, key=lambda v: [int(x) for x in v.split('.')])


def released_modules(release):
    with open(os.path.join(ROOT, 'sql', 'release', 'helpdesk--%s.sql' % release)) as f:
        text = f.read()
    parts = re.split(r'^-- ==== (sql/[^ ]+\.sql) ====$', text, flags=re.M)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def main():
    passed = failed = 0
    release, current = last_release(), version()
    for path, old in sorted(released_modules(release).items()):
        name = os.path.basename(path)
        if name == '99_finalize.sql':
            continue    # run again whole by every upgrade
        try:
            with open(os.path.join(ROOT, path)) as f:
                new = f.read()
        except FileNotFoundError:
            new = ''
        o, n = objects(old), objects(new)
        changed = sorted(k for k in set(o) | set(n) if o.get(k) != n.get(k))
        delta_path = os.path.join(ROOT, 'sql', 'upgrade', current, name)
        delta = open(delta_path).read() if os.path.exists(delta_path) else ''
        missing = [k for k in changed if not defines(delta, k)]
        if missing:
            failed += 1
            print('not ok - %s changed since %s: sql/upgrade/%s/%s must create, replace or drop %s'
                  % (path, release, current, name, ', '.join(missing)))
        else:
            passed += 1
            print('ok - %s: %s' % (path, 'unchanged since %s' % release if not changed
                                   else 'its changes since %s are in sql/upgrade/%s/%s' % (release, current, name)))
    print('upgrade deltas: %d passed, %d failed' % (passed, failed))
    if os.environ.get('HD_RESULT_FILE'):
        with open(os.environ['HD_RESULT_FILE'], 'w') as f:
            f.write('%d %d\n' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
