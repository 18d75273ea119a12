# lit configuration of the example plugin's own tests:
#   lit examples/pass-plugin/test --param build_dir=<plugin build> --param phi_bin=<phi>/bin
import os

import lit.formats

config.name = "phi-pass-plugin"
config.test_format = lit.formats.ShTest(True)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
build = lit_config.params.get("build_dir")
phi_bin = lit_config.params.get("phi_bin")
if not build or not phi_bin:
    lit_config.fatal("pass --param build_dir=<plugin build dir> --param phi_bin=<phi bin dir>")
config.test_exec_root = os.path.join(build, "test")
config.substitutions.append(("%plugin", os.path.join(build, "libPhiWeightBytes.so")))
config.substitutions.append(("%fixtures", lit_config.params.get("fixtures", "")))
llvm_bin = lit_config.params.get("llvm_bin", "/usr/lib/llvm-22/bin")  # FileCheck
config.environment["PATH"] = os.pathsep.join([phi_bin, llvm_bin, os.environ.get("PATH", "")])
