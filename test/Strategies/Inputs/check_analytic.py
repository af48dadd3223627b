"""Where nothing contends, the closed-form estimate and the simulation
agree: every result's analytic_latency_us is within 5 % of latency_us.

usage: check_analytic.py report.json
"""
import json
import sys

report = json.load(open(sys.argv[1]))
for r in report["results"]:
    sim, analytic = r["latency_us"], r["analytic_latency_us"]
    if abs(sim - analytic) > 0.05 * sim:
        sys.exit(f"check_analytic: {r['strategy']} simulates {sim} us, "
                 f"the closed form says {analytic} us")
    print(f"{r['strategy']}: analytic within 5% of simulated")
