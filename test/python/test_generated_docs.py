# RUN: %pytest %s
"""docs/generated/ holds what mlir-tblgen writes for the current ODS sources
(dialect and pass references); regenerate with scripts/update-docs.py."""
import importlib.util
import os

import pytest

from moesaic_paths import SRC

spec = importlib.util.spec_from_file_location(
    "update_docs", os.path.join(SRC, "scripts", "update-docs.py"))
update_docs = importlib.util.module_from_spec(spec)
spec.loader.exec_module(update_docs)


@pytest.mark.parametrize("name", sorted(update_docs.DOCS))
def test_generated_doc_is_current(name):
    path = os.path.join(SRC, "docs", "generated", name)
    assert os.path.exists(path), "missing %s: run scripts/update-docs.py" % path
    assert open(path).read() == update_docs.generate(name), (
        "docs/generated/%s is stale: run /usr/bin/python3 scripts/update-docs.py"
        % name)


def test_docs_link_the_generated_references():
    dialects = open(os.path.join(SRC, "docs", "dialects.md")).read()
    usage = open(os.path.join(SRC, "docs", "usage.md")).read()
    assert "generated/MoeDialect.md" in dialects
    assert "generated/HwDialect.md" in dialects
    assert "generated/MoesaicPasses.md" in usage
