#!/usr/bin/python3
"""The rows of a data dump, to check that an upgrade changed none of them.

    old_rows.py query < data.sql    a psql script that prints, from another database, the same
                                    tables' rows (only the dump's columns) and the same sequences,
                                    in pg_dump's format
    old_rows.py rows < data.sql     every row as "table<TAB>row" and every sequence's setval,
                                    sorted: what the two must have in common

pg_dump --data-only of the release's desk is the reference; the upgraded desk may have more
(new columns, new tables), never different.
"""
import re
import sys

COPY = re.compile(r'^COPY (\S+) \((.*)\) FROM stdin;$')
SETVAL = re.compile(r"^SELECT pg_catalog\.setval\('([^']+)', (\d+), (true|false)\);$")


def query(text):
    out = ['\\set ON_ERROR_STOP 1', '\\pset format unaligned', '\\pset tuples_only on']
    for line in text.splitlines():
        m = COPY.match(line)
        if m:
            out.append("\\echo '%s'" % line.replace("'", "''"))
            out.append('COPY (SELECT %s FROM %s) TO STDOUT;' % (m.group(2), m.group(1)))
            out.append("\\echo '\\\\.'")
            continue
        m = SETVAL.match(line)
        if m:
            out.append("SELECT format('SELECT pg_catalog.setval(%%L, %%s, %%s);', '%s', last_value, CASE WHEN is_called THEN 'true' ELSE 'false' END) FROM %s;"
                       % (m.group(1), m.group(1)))
    return '\n'.join(out) + '\n'


def rows(text):
    out, table = [], None
    for line in text.splitlines():
        if table is not None:
            if line == '\\.':
                table = None
            else:
                out.append('%s\t%s' % (table, line))
            continue
        m = COPY.match(line)
        if m:
            table = '%s (%s)' % (m.group(1), m.group(2))
        elif SETVAL.match(line):
            out.append(line)
    return '\n'.join(sorted(out)) + '\n'


if __name__ == '__main__':
    if len(sys.argv) != 2 or sys.argv[1] not in ('query', 'rows'):
        sys.exit('usage: old_rows.py query|rows < data.sql')
    text = sys.stdin.read()
    sys.stdout.write(query(text) if sys.argv[1] == 'query' else rows(text))
