# import -> export -> import gives the same phi IR (after canonicalize + cse,
# which drop the importer's unused shape computations; float attributes
# compared to 6 significant digits, since the LongRoPE factors are recovered
# from the cos/sin caches both times), for every onnxruntime-genai fixture and
# the ort style; and the export of the imported genai int4 graph carries every
# initializer of the input under its name, byte for byte.
# REQUIRES: onnx
# RUN: rm -rf %t && mkdir -p %t
# RUN: %python %s %t %fixtures | FileCheck %s
# CHECK: longrope/genai-int4 ort: same IR
# CHECK: longrope/genai-fp32 ort: same IR
# CHECK: gqa/genai-fp32 ort: same IR
# CHECK: mini4k/genai-fp32 ort: same IR
# CHECK: longrope/genai-int4: 28 of 28 initializers byte-identical

import os
import re
import subprocess
import sys

import onnx
from onnx import numpy_helper

tmp, fixtures = sys.argv[1], sys.argv[2]
failed = False


def sh(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def normalized(mlir_path):
    text = sh("phi-opt", "--canonicalize", "--cse", mlir_path)
    text = re.sub(r'phi\.weights = "[^"]*"', "", text)
    return re.sub(r"-?\d+\.\d+(e[+-]\d+)?", lambda m: "%.6g" % float(m.group(0)), text)


for fx in ["longrope/genai-int4", "longrope/genai-fp32", "gqa/genai-fp32", "mini4k/genai-fp32"]:
    tag = fx.replace("/", "_")
    first = os.path.join(tmp, tag + ".mlir")
    sh("phi-translate", "--import-onnx", os.path.join(fixtures, fx, "model.onnx"), "-o", first)
    # (The qdq style spells RMSNorm, rotary and attention in standard ops that
    # the raising passes do not match; export.py checks its numerics.)
    for style in ["ort"]:
        onnx_path = os.path.join(tmp, "%s_%s.onnx" % (tag, style))
        second = os.path.join(tmp, "%s_%s.mlir" % (tag, style))
        sh("phi-translate", "--export-onnx", "--onnx-style=" + style, first, "-o", onnx_path)
        sh("phi-translate", "--import-onnx", onnx_path, "-o", second)
        a, b = normalized(first), normalized(second)
        same = a == b
        print("%s %s: %s" % (fx, style, "same IR" if same else "DIFFERENT"))
        failed |= not same

# Initializers of the builder's int4 graph survive export byte for byte.
src = onnx.load(os.path.join(fixtures, "longrope/genai-int4/model.onnx"))
out = onnx.load(os.path.join(tmp, "longrope_genai-int4_ort.onnx"))
got = {t.name: numpy_helper.to_array(t) for t in out.graph.initializer}
want = {t.name: numpy_helper.to_array(t) for t in src.graph.initializer}
same = [n for n, w in want.items() if n in got and got[n].dtype == w.dtype and
        got[n].shape == w.shape and got[n].tobytes() == w.tobytes()]
print("longrope/genai-int4: %d of %d initializers byte-identical" % (len(same), len(want)))
failed |= len(same) != len(want)
sys.exit(1 if failed else 0)
