#!/usr/bin/python3
"""Wafer strategies benchmark: one run, one table.

For DeepSeek-V3, Qwen3-235B-A22B and Mixtral-8x22B at serving batch sizes on
a skewed (Zipf 1.2), drifting (popularity rotates 5 % of the experts per
step) gating trace:
  - total byte-hops and bottleneck-link load of er-mapping vs wafer-baseline,
    and the byte-hops of the all-to-all alone (dispatch + combine) and of
    the rings' all-reduces (er-mapping over wafer-baseline),
  - MoE compute and communication time per step (critical path, simulated),
  - step time of the ER-Mapping layout never migrating, staged
    stop-the-world and with NI-Balancer (what balancing buys at all),
  - migration time exposed by NI-Balancer vs stop-the-world staging of the
    same decisions on the same ER-Mapping layout (simulated twice, with and
    without the migration transfers; after the STEPS deciding steps the
    runs simulate the balancer's horizon more without new decisions, so
    every decided move lands within the run),
  - per-device MoE throughput of the wafer (er-mapping) vs the NVL72 preset
    (ep and eplb through moe-opt), raw and per TB/s of HBM bandwidth.

To stay within a few minutes on 2 cores the wafer runs simulate the first
MOE_LAYERS MoE layers of each model (with the dense layers before them);
throughput is per MoE layer, so it compares with the NVL72's whole-model
figure divided by its MoE layer count.

Usage: bench/wafer.py [build-dir]   (default: build)
"""
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _benchlib as benchlib  # noqa: E402

BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")
MODELS = ["deepseek-v3", "qwen3-235b-a22b", "mixtral-8x22b"]
BATCHES = [64, 256, 1024]
TRACE = "zipf:1.2,drift=0.05"
STEPS = 10
MOE_LAYERS = 8
NVL_BATCH = 256
NVL_STEPS = 2
HBM_TBPS = {"wafer-8x8": 1.2288, "nvl72": 8.0}


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("error: %s failed:\n%s" % (" ".join(cmd), out.stderr))
    return out.stdout


def main():
    t0 = time.time()
    bench = os.path.join(BUILD, "bin", "moesaic-bench-wafer")
    opt = os.path.join(BUILD, "bin", "moe-opt")
    files = [os.path.join(ROOT, "examples", m + ".mlir") for m in MODELS]
    rows = [json.loads(l) for l in run(
        [bench, "--json", "--hw=wafer-8x8", "--steps=%d" % STEPS,
         "--moe-layers=%d" % MOE_LAYERS, "--search=300", "--trace=" + TRACE,
         "--batch=" + ",".join(map(str, BATCHES))] + files).splitlines()]
    # NVL72: ep and eplb through the regular evaluation path.
    nvl = {}
    for m, f in zip(MODELS, files):
        report = os.path.join(BUILD, "wafer-bench-nvl72-%s.json" % m)
        run([opt, f, "--hw=nvl72", "--compare=ep,eplb", "-o", os.devnull,
             "--workload=batch=%d,trace=%s,steps=%d,seed=0" % (NVL_BATCH, TRACE, NVL_STEPS),
             "--report=" + report])
        r = json.load(open(report))
        layers = len(r["model"]["moe_layers"])
        nvl[m] = {x["strategy"]: x["moe_latency_us"] / layers for x in r["results"]}
        nvl[m]["devices"] = r["hardware"]["num_devices"]

    def pct(base, x):
        return 100.0 * (1 - x / base) if base else 0.0

    hdr = ("model", "batch", "bytehop cut%", "MoE a2a bytehop cut%",
           "ring bytehops er/base", "bneck-link cut%",
           "MoE comp us b/er", "MoE comm us b/er", "mig exp us STW/NI",
           "hidden%", "step us none/STW/NI", "tok/s/dev wafer", "tok/s/dev NVL72 ep|eplb",
           "wafer/NVL72", "per HBM TB/s")
    print(" | ".join(hdr))
    cuts = []
    moe_cuts = []
    hidden = []
    for row in rows:
        for k in ("baseline", "er_mapping", "er_mapping_stop_the_world"):
            if row[k]["moves_pending_at_end"]:
                sys.exit("error: %s at batch %d: %d moves of %s still pending "
                         "when the run ended; the exposed times would leave "
                         "them out" % (row["model"], row["batch"],
                                       row[k]["moves_pending_at_end"], k))
        b, e, s = row["baseline"], row["er_mapping"], row["er_mapping_stop_the_world"]
        none = row["er_mapping_no_migration"]
        name = [m for m in MODELS if m.replace("-", "_").replace(".", "_") == row["model"]]
        m = name[0] if name else row["model"]
        cut = pct(b["byte_hops"], e["byte_hops"])
        cuts.append(cut)
        # The all-to-all alone (dispatch + combine), without the rings'
        # all-reduces: what entwining saves before what it costs.
        moe_cut = pct(b["moe_byte_hops"], e["moe_byte_hops"])
        moe_cuts.append(moe_cut)
        ring_ratio = e["ring_byte_hops"] / b["ring_byte_hops"] if b["ring_byte_hops"] else float("nan")
        hid = pct(s["migration_exposed_us"], e["migration_exposed_us"]) if s["migration_exposed_us"] > 0 else float("nan")
        if s["migration_exposed_us"] > 0:
            hidden.append(hid)
        layers = row["moe_layers_simulated"]
        wafer_tps = row["batch"] / (e["moe_us"] / layers * 1e-6) / row["dies"]
        cells = [m, str(row["batch"]), "%.1f" % cut, "%.1f" % moe_cut,
                 "%.2f" % ring_ratio,
                 "%.1f" % pct(b["bottleneck_link_bytes"], e["bottleneck_link_bytes"]),
                 "%.0f/%.0f" % (b["moe_compute_us"], e["moe_compute_us"]),
                 "%.0f/%.0f" % (b["moe_comm_us"], e["moe_comm_us"]),
                 "%.1f/%.1f" % (s["migration_exposed_us"], e["migration_exposed_us"]),
                 "%.1f" % hid,
                 "%.0f/%.0f/%.0f" % (none["step_us"], s["step_us"], e["step_us"]),
                 "%.0f" % wafer_tps]
        if row["batch"] == NVL_BATCH and m in nvl:
            n = nvl[m]
            ep = NVL_BATCH / (n["ep"] * 1e-6) / n["devices"]
            eplb = NVL_BATCH / (n["eplb"] * 1e-6) / n["devices"]
            best = max(ep, eplb)
            cells += ["%.0f|%.0f" % (ep, eplb), "%.2f" % (wafer_tps / best),
                      "%.2f" % ((wafer_tps / HBM_TBPS["wafer-8x8"]) / (best / HBM_TBPS["nvl72"]))]
        else:
            cells += ["-", "-", "-"]
        print(" | ".join(cells))
    bench = "wafer.py"
    benchlib.figure(bench, "er-mapping byte-hop cut vs wafer-baseline, min",
                    min(cuts), "%", 50, "higher")
    if hidden:
        benchlib.figure(bench, "NI-Balancer migration hidden vs stop-the-world, min",
                        min(hidden), "%", 90, "higher")
    print("byte-hop cut: min %.1f%% (target >= 50%%); all-to-all alone: min %.1f%%, "
          "max %.1f%%; migration hidden: min %.1f%% "
          "(target >= 90%%); %d of %d MoE layers simulated per model on wafer-8x8; "
          "%.0f s" % (min(cuts), min(moe_cuts), max(moe_cuts),
                      min(hidden) if hidden else float("nan"),
                      MOE_LAYERS, rows[0]["moe_layers_total"], time.time() - t0))


if __name__ == "__main__":
    main()
