#!/usr/bin/python3
"""Fault tests of helpdesk-http and the extension: each test_* of tests/faults/test_*.py breaks
something (the database, the server, a backend, the SLA watcher, the clients) under load and
checks what survives. Environment: see faultlib.py; HD_ONLY (substring of "module.test"),
HD_RESULT_FILE ("PASSED FAILED" for tests/run.sh). Ends with the figures of the run and
"faults: N passed, M failed"."""
import glob
import importlib.util
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import faultlib  # noqa: E402


def main():
    only = os.environ.get("HD_ONLY", "")
    passed = failed = skipped = 0
    try:
        for path in sorted(glob.glob(os.path.join(HERE, "test_*.py"))):
            name = os.path.splitext(os.path.basename(path))[0]
            spec = importlib.util.spec_from_file_location(name, path)
            mod = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(mod)
            except Exception:
                print("FAIL %s (import): %s" % (name, traceback.format_exc().strip().splitlines()[-1]))
                failed += 1
                continue
            tests = [(n, f) for n, f in vars(mod).items() if n.startswith("test_") and callable(f)]
            tests.sort(key=lambda t: t[1].__code__.co_firstlineno)
            for tname, fn in tests:
                full = "%s.%s" % (name, tname)
                if only and only not in full:
                    continue
                t0 = time.monotonic()
                print("---- %s" % full, flush=True)
                try:
                    fn()
                except faultlib.Skip as e:
                    print("skip %s: %s" % (full, e))
                    skipped += 1
                    continue
                except Exception as e:  # noqa: BLE001
                    tb = traceback.extract_tb(e.__traceback__)
                    where = "%s:%d" % (os.path.basename(tb[-1].filename), tb[-1].lineno) if tb else "?"
                    print("FAIL %s (%s, %.1f s): %s: %s" % (full, where, time.monotonic() - t0, type(e).__name__, e))
                    failed += 1
                    continue
                print("ok   %s (%.1f s)" % (full, time.monotonic() - t0), flush=True)
                passed += 1
    finally:
        faultlib.teardown()
    if faultlib.figures():
        print("figures of this run:")
        for name, value in faultlib.figures():
            print("  %s: %s" % (name, value))
    if skipped:
        print("(%d skipped)" % skipped)
    print("faults: %d passed, %d failed" % (passed, failed))
    result = os.environ.get("HD_RESULT_FILE")
    if result:
        with open(result, "w") as f:
            f.write("%d %d\n" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
