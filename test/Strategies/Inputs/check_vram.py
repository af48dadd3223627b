"""Checks the memory figures of a report on a GPU system: every GPU reports
VRAM (what the strategy keeps there, against the VRAM's size), every other
device SRAM, and the result's peak_onchip_bytes is the largest of them.
With --ndp: the GPU's figure holds the ndp runtime's own vram_used_bytes.
With --symmetric: every GPU holds the same (tensor parallel)."""
import json
import sys

report = json.load(open(sys.argv[1]))
hw = report["hardware"]
for r in report["results"]:
    devices = r["devices"]
    gpus = [d for d in devices if d["kind"] == "gpu"]
    assert gpus, r["strategy"]
    for d in devices:
        want = "vram" if d["kind"] == "gpu" else "sram"
        assert d["memory"] == want, (r["strategy"], d)
    for g in gpus:
        assert g["peak_onchip_bytes"] > 0, (r["strategy"], g)
    assert r["peak_onchip_bytes"] == max(d["peak_onchip_bytes"] for d in devices), r["strategy"]
    if "--ndp" in sys.argv:
        assert gpus[0]["peak_onchip_bytes"] >= r["ndp"]["vram_used_bytes"] > 0, r["strategy"]
        assert gpus[0]["onchip_capacity_bytes"] == hw["offchip_bytes"], gpus[0]
    if "--symmetric" in sys.argv and r["strategy"] == "tp":
        assert len({g["peak_onchip_bytes"] for g in gpus}) == 1, gpus
    # The weights alone: a device holds at least its share of the model.
    total = sum(g["peak_onchip_bytes"] for g in gpus)
    if "--ndp" not in sys.argv:
        assert total >= report["model"]["params_bytes"], (r["strategy"], total)
    print(r["strategy"], "ok")
