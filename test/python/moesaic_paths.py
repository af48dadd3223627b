"""Where the sources and the built tools are, for the pytest suites.

lit passes MOESAIC_SRC and MOESAIC_TOOLS (see lit.local.cfg); run by hand,
the defaults are this checkout and its build/ directory.
"""
import os

SRC = os.environ.get(
    "MOESAIC_SRC",
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
TOOLS = os.environ.get("MOESAIC_TOOLS", os.path.join(SRC, "build", "bin"))
MOE_OPT = os.path.join(TOOLS, "moe-opt")


def presets():
    """Preset name -> path of every hardware/*.json."""
    hw = os.path.join(SRC, "hardware")
    return {f[:-len(".json")]: os.path.join(hw, f)
            for f in sorted(os.listdir(hw)) if f.endswith(".json")}
