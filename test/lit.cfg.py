# lit configuration for phi's regression and integration tests.
import os
import shutil
import subprocess

import lit.formats
from lit.llvm import llvm_config

config.name = "phi"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".py"]
config.excludes = ["Inputs", "fixtures", "lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.phi_obj_root, "test")

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%fixtures", os.path.join(config.phi_src_root, "test", "fixtures")))
config.substitutions.append(("%python", config.python_executable))
config.substitutions.append(("%phi_src", config.phi_src_root))
config.substitutions.append(("%cc", config.c_compiler))
config.substitutions.append(("%cxx", config.cxx_compiler))
config.substitutions.append(("%cmake", config.cmake))
config.substitutions.append(("%phi_build", config.phi_obj_root))
config.substitutions.append(("%llvm_bin", config.llvm_tools_dir))
config.substitutions.append(("%phi_runtime", config.phi_runtime_lib))

llvm_config.use_default_substitutions()
# FileCheck, not, count and split-file live in /usr/lib/llvm-22/bin, not on PATH.
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.phi_tools_dir, append_path=True)
llvm_config.with_system_environment(["HOME", "TMPDIR"])

tools = ["phi-opt", "phi-translate", "phi-compile", "phi-run"]
llvm_config.add_tool_substitutions(
    [t for t in tools if os.path.exists(os.path.join(config.phi_tools_dir, t))],
    [config.phi_tools_dir])

# Optional Python packages gate the integration tests that need them.
def _has_module(name):
    try:
        return subprocess.run([config.python_executable, "-c", "import " + name],
                              capture_output=True).returncode == 0
    except OSError:
        return False

for mod, feature in [("onnxruntime", "onnxruntime"), ("onnx", "onnx"), ("numpy", "numpy"),
                     ("onnxruntime_genai", "onnxruntime-genai")]:
    if _has_module(mod):
        config.available_features.add(feature)
