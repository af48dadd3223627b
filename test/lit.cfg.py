# -*- Python -*-
# lit configuration of the Moesaic test suites.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "MOESAIC"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".json", ".py", ".onnxtext"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.moesaic_obj_root, "test")

# Inputs and helpers that are not tests themselves.
config.excludes = ["Inputs", "unittests", "lit.cfg.py", "lit.site.cfg.py",
                   "CMakeLists.txt", "README.md", "conftest.py"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%moesaic_src", config.moesaic_src_root))
config.substitutions.append(("%python", config.python_executable))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP"])
llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.moesaic_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PYTHONPATH", config.moesaic_python_dir, append_path=True)

tools = [ToolSubst("moe-opt", unresolved="fatal")]
llvm_config.add_tool_substitutions(tools, [config.moesaic_tools_dir])

if os.path.isdir(os.path.join(config.moesaic_python_dir, "moesaic")):
    config.available_features.add("python-module")
