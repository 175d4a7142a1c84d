#!/usr/bin/env bash
# The conventions of sql/ (docs/ARCHITECTURE.md), checked on the files: see sql_layout.py.
exec /usr/bin/python3 "$(dirname "$0")/sql_layout.py"
