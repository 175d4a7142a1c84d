#!/usr/bin/env bash
# Every change to a released module has its upgrade delta: see upgrade_delta.py.
exec /usr/bin/python3 "$(dirname "$0")/upgrade_delta.py"
