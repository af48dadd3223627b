"""Runs pytest on the files given, for lit (see lit.local.cfg).

Exit codes: pytest's own (0 all passed, 1 some failed, ...), except that
"no tests collected" (pytest's 5) is a failure with a message: a lit test
that runs nothing must not pass silently.
"""
import sys

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree

import pytest  # noqa: E402

files = sys.argv[1:]
rc = pytest.main(["-q", "-p", "no:cacheprovider", *files])
if rc == pytest.ExitCode.NO_TESTS_COLLECTED:
    print("error: pytest collected no tests from " + " ".join(files),
          file=sys.stderr)
    sys.exit(1)
sys.exit(int(rc))
