#!/usr/bin/python3
"""End-to-end tests of helpdesk-http. Discovers tests/http/test_*.py and runs every function
test_* in them. Environment: HD_BASE_URL, HD_JWT_SECRET, HD_DB_STOP_CMD, HD_DB_START_CMD,
HD_ONLY (substring filter on "module.test"), HD_RESULT_FILE (where to write "N M" for the
harness). Last line: "http: N passed, M failed"."""
import glob
import importlib.util
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import hdlib  # noqa: E402


def main():
    only = os.environ.get("HD_ONLY", "")
    passed = failed = skipped = 0
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
            try:
                fn()
            except hdlib.Skip as e:
                print("skip %s: %s" % (full, e))
                skipped += 1
                continue
            except Exception as e:
                tb = traceback.extract_tb(e.__traceback__)
                where = "%s:%d" % (os.path.basename(tb[-1].filename), tb[-1].lineno) if tb else "?"
                print("FAIL %s (%s): %s: %s" % (full, where, type(e).__name__, e))
                failed += 1
                continue
            print("ok   %s" % full)
            passed += 1
    if skipped:
        print("(%d skipped)" % skipped)
    print("http: %d passed, %d failed" % (passed, failed))
    result = os.environ.get("HD_RESULT_FILE")
    if result:
        with open(result, "w") as f:
            f.write("%d %d\n" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
