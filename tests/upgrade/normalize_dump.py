#!/usr/bin/python3
"""Normalise a pg_dump script so that two databases holding the same objects and rows compare
equal, whatever their object ids and the physical order of their rows.

    normalize_dump.py schema < dump.sql    pg_dump --schema-only --binary-upgrade output
    normalize_dump.py data < dump.sql      pg_dump --data-only output

schema: pg_dump dumps an extension's member objects one by one only in --binary-upgrade mode
(otherwise a database with the extension dumps as one CREATE EXTENSION line). The object ids
that mode pins (binary_upgrade_set_next_*), the transaction horizons it restores (relfrozenxid, relminmxid)
and the \\restrict key are dropped; the extension's
list of configuration tables (object ids) is dropped from binary_upgrade_create_empty_extension
and compared by name elsewhere (tests/upgrade/run.sh), and its `requires` list is sorted. Then
the dump is cut into its TOC entries (one `-- Name: ...; Type: ...` header each), which are
sorted, so that two catalogs with the same objects compare equal even when pg_dump breaks a tie
by object id. The text of every entry (column order, defaults, constraints, function bodies,
privileges, comments, extension membership) is kept as it is.

data: the rows of each COPY block are sorted (a rewrite or a restore may store them in another
order); the \\restrict key is dropped; a `txid` column (the inserting transaction, as
helpdesk.notifications.txid: an upgrade and a load run as different transactions) reads `?`.
Everything else, including the setval of every sequence, is kept.
"""
import re
import sys


def drop_restrict(lines):
    return [l for l in lines if not re.match(r'^\\(un)?restrict ', l)]


def schema(text):
    out = []
    for line in drop_restrict(text.splitlines()):
        if 'binary_upgrade_set_next_' in line:
            continue
        # the transaction horizons of each table and the object id of its TOAST table
        line = re.sub(r"^SET relfrozenxid = '\d+', relminmxid = '\d+'$", "SET relfrozenxid = ?, relminmxid = ?", line)
        line = re.sub(r"^WHERE oid = '\d+';$", "WHERE oid = ?;", line)
        m = re.match(r"^SELECT pg_catalog\.binary_upgrade_create_empty_extension\('([^']*)', '([^']*)', "
                     r"(true|false), '([^']*)', '[^']*', '[^']*', ARRAY\[([^\]]*)\]", line)
        if m:
            requires = ','.join(sorted(m.group(5).split(',')))
            line = 'EXTENSION %s SCHEMA %s RELOCATABLE %s VERSION %s REQUIRES %s' % (
                m.group(1), m.group(2), m.group(3), m.group(4), requires)
        out.append(line)
    # cut into TOC entries: each starts at the comment block before a "-- Name:" header
    entries, current = [], []
    for i, line in enumerate(out):
        if line.startswith('-- Name: ') or line.startswith('-- Data for Name: '):
            # the "--" line above the header belongs to the new entry
            if current and current[-1] == '--':
                current.pop()
            entries.append('\n'.join(current).strip('\n'))
            current = ['--']
        current.append(line)
    entries.append('\n'.join(current).strip('\n'))
    head, body = entries[0], sorted(e for e in entries[1:] if e)
    return head + '\n\n' + '\n\n'.join(body) + '\n'


def data(text):
    out, rows, in_copy, txid_at = [], [], False, None
    for line in drop_restrict(text.splitlines()):
        if in_copy:
            if line == '\\.':
                out.extend(sorted(rows))
                out.append(line)
                rows, in_copy = [], False
            else:
                if txid_at is not None:
                    fields = line.split('\t')
                    fields[txid_at] = '?'
                    line = '\t'.join(fields)
                rows.append(line)
            continue
        out.append(line)
        if line.startswith('COPY ') and line.endswith('FROM stdin;'):
            in_copy = True
            m = re.match(r'^COPY \S+ \(([^)]*)\) FROM stdin;$', line)
            columns = m.group(1).split(', ') if m else []
            txid_at = columns.index('txid') if 'txid' in columns else None
    return '\n'.join(out) + '\n'


if __name__ == '__main__':
    if len(sys.argv) != 2 or sys.argv[1] not in ('schema', 'data'):
        sys.exit('usage: normalize_dump.py schema|data < dump.sql')
    text = sys.stdin.read()
    sys.stdout.write(schema(text) if sys.argv[1] == 'schema' else data(text))
