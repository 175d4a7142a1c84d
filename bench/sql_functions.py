#!/usr/bin/env python3
"""Prints every function of the given SQL files as CREATE OR REPLACE FUNCTION, in file order, so a
benchmark cluster built by an older tree (bench/kb.sh's reused large corpus) runs this tree's
functions without being rebuilt. C functions point at $libdir/helpdesk (the installed library)."""
import re
import sys

start = re.compile(r'^CREATE (?:OR REPLACE )?FUNCTION ', re.M)
for path in sys.argv[1:]:
    text = open(path, encoding='utf-8').read()
    for m in start.finditer(text):
        i = m.start()
        dollar = re.compile(r"\$(\w*)\$").search(text, i)
        c_body = text.find("AS 'MODULE_PATHNAME'", i)
        if c_body != -1 and (dollar is None or c_body < dollar.start()):
            end = text.index(';', c_body) + 1
        else:
            tag = dollar.group(0)
            close = text.index(tag, dollar.end())
            end = text.index(';', close + len(tag)) + 1
        stmt = text[i:end].replace("'MODULE_PATHNAME'", "'$libdir/helpdesk'")
        stmt = start.sub('CREATE OR REPLACE FUNCTION ', stmt, count=1)
        print(stmt + '\n')
