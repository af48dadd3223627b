#!/usr/bin/python3
"""Regenerates the dialect and pass references under docs/generated/.

The markdown comes from the ODS sources (dialects/**/*.td) through
mlir-tblgen, with the flags CMake's add_mlir_doc uses for the `moesaic-doc`
target. The copies are committed so that docs/ reads complete on GitHub;
test/python/test_generated_docs.py fails when they are stale.

    /usr/bin/python3 scripts/update-docs.py           # rewrite docs/generated
    /usr/bin/python3 scripts/update-docs.py --check   # exit 1 if stale
"""
import argparse
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TBLGEN = os.environ.get("MLIR_TBLGEN", "/usr/lib/llvm-19/bin/mlir-tblgen")
MLIR_INCLUDE = "/usr/lib/llvm-19/include"

# Output file -> (td file, generator flags), as in dialects/*/CMakeLists.txt.
DOCS = {
    "MoeDialect.md": ("dialects/Moe/MoeOps.td", ["-gen-dialect-doc", "-dialect=moe"]),
    "HwDialect.md": ("dialects/Hw/HwAll.td", ["-gen-dialect-doc", "-dialect=hw"]),
    "DfDialect.md": ("dialects/Df/DfOps.td", ["-gen-dialect-doc", "-dialect=df"]),
    "MoesaicPasses.md": ("dialects/Transforms/Passes.td", ["-gen-pass-doc"]),
}


def generate(name):
    """The markdown mlir-tblgen writes for docs/generated/<name>."""
    td, flags = DOCS[name]
    td_path = os.path.join(ROOT, td)
    cmd = [TBLGEN, *flags, "-allow-hugo-specific-features",
           "-I", os.path.dirname(td_path), "-I", os.path.join(ROOT, "dialects"),
           "-I", MLIR_INCLUDE, td_path]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="report stale files instead of rewriting them")
    args = parser.parse_args()
    out_dir = os.path.join(ROOT, "docs", "generated")
    os.makedirs(out_dir, exist_ok=True)
    stale = []
    for name in DOCS:
        text = generate(name)
        path = os.path.join(out_dir, name)
        old = open(path).read() if os.path.exists(path) else None
        if old == text:
            continue
        stale.append(name)
        if not args.check:
            with open(path, "w") as f:
                f.write(text)
    if args.check and stale:
        print("stale: " + ", ".join("docs/generated/" + s for s in stale) +
              " (run /usr/bin/python3 scripts/update-docs.py)", file=sys.stderr)
        return 1
    for s in stale:
        print("updated docs/generated/" + s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
