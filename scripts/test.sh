#!/usr/bin/env bash
# Every test suite, from a fresh checkout: installs what is missing, builds
# everything, runs the lit suites (FileCheck tests and the pytest files under
# test/python) and the GoogleTest unit tests (through ctest), and ends with
# one line "N passed, M failed" (CI parses it). Exit status 0 iff M is 0.
#   scripts/test.sh
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
lit=/usr/lib/llvm-19/build/utils/lit/lit.py

"$root/scripts/install-deps.sh" || { echo "error: installing dependencies failed" >&2; echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$build/logs"
echo "Building (log: $build/logs/build.log)"
if ! "$root/scripts/build.sh" > "$build/logs/build.log" 2>&1; then
  tail -n 60 "$build/logs/build.log"
  echo "error: the build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

# Results of an earlier run must not be read as this run's if a suite dies
# before writing its own.
rm -f "$build/logs/lit.json" "$build/logs/ctest.xml"
echo "Running the lit suites"
/usr/bin/python3 "$lit" -sv -o "$build/logs/lit.json" "$build/test"
echo "Running the unit tests"
(cd "$build" && ctest --output-on-failure -E '^lit$' --output-junit "$build/logs/ctest.xml")

# One summary line from both result files (missing or unreadable files count
# as a failure, so a suite that did not run cannot pass).
/usr/bin/python3 - "$build/logs/lit.json" "$build/logs/ctest.xml" <<'PY'
import json, sys
import xml.etree.ElementTree as ET
passed = failed = 0
try:
    for t in json.load(open(sys.argv[1]))["tests"]:
        code = t["code"]
        if code in ("PASS", "XFAIL"):
            passed += 1
        elif code != "UNSUPPORTED":
            failed += 1
            print("lit %s: %s" % (code, t["name"]))
except Exception as e:
    print("error: no lit results (%s)" % e)
    failed += 1
try:
    cases = ET.parse(sys.argv[2]).getroot().iter("testcase")
    for c in cases:
        if c.get("status") == "run" and c.find("failure") is None:
            passed += 1
        elif c.get("status") in ("notrun", "disabled") and c.find("failure") is None:
            pass
        else:
            failed += 1
            print("ctest failed: %s" % c.get("name"))
except Exception as e:
    print("error: no ctest results (%s)" % e)
    failed += 1
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
