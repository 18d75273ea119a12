# (a) torch.onnx (dynamo) and (b) onnxruntime-genai exports of the same
# weights reach the same fused IR after --phi-raise: the same multiset of
# fused ops with the same attributes (floats within 1e-5 relative) and the same
# weight shapes.
# RUN: %python %s %fixtures | FileCheck %s
# CHECK: longrope: torch and genai-fp32 agree on 23 fused ops
# CHECK: gqa: torch and genai-fp32 agree on 23 fused ops
# CHECK: mini4k: torch and genai-fp32 agree on 23 fused ops

import collections
import re
import subprocess
import sys

FUSED = ("embedding", "rms_norm", "matmul", "matmul_nbits", "rotary", "attention", "gated_silu")
fixtures = sys.argv[1]


def fused_ops(path):
    mlir = subprocess.run(
        "phi-translate --import-onnx %s | phi-opt --phi-raise" % path,
        shell=True, check=True, capture_output=True, text=True).stdout
    ops = []
    for line in mlir.splitlines():
        m = re.search(r"= phi\.(\w+) (.*)", line)
        if not m or m.group(1) not in FUSED:
            continue
        name, rest = m.groups()
        attrs = {}
        for k, v in re.findall(r"(\w+) = array<f32: ([^>]*)>", rest):
            attrs[k] = tuple(float(x) for x in v.split(","))
        for k, v in re.findall(r"(\w+) = ([-+\d.eE]+) : [if]\d+", rest):
            attrs[k] = float(v)
        attrs.pop("onnx.accuracy_level", None)
        attrs["skip"] = " skip " in rest
        if name in ("matmul", "matmul_nbits"):
            attrs["types"] = re.search(r": \((.*)\) ->", rest).group(1).split(", ")[1]
        ops.append((name, attrs))
    return ops


def same(a, b):
    if a.keys() != b.keys():
        return False
    for k in a:
        x, y = a[k], b[k]
        if isinstance(x, tuple):
            if len(x) != len(y) or any(abs(p - q) > 1e-5 * max(1, abs(p)) for p, q in zip(x, y)):
                return False
        elif isinstance(x, float):
            if abs(x - y) > 1e-5 * max(1, abs(x)):
                return False
        elif x != y:
            return False
    return True


for config in ("longrope", "gqa", "mini4k"):
    a = fused_ops("%s/%s/torch/model.onnx" % (fixtures, config))
    b = fused_ops("%s/%s/genai-fp32/model.onnx" % (fixtures, config))
    unmatched = list(b)
    for op in a:
        hit = next((i for i, o in enumerate(unmatched) if o[0] == op[0] and same(o[1], op[1])), None)
        if hit is None:
            print("%s: torch op %s %s has no genai counterpart" % (config, op[0], op[1]))
            sys.exit(1)
        unmatched.pop(hit)
    if unmatched:
        print("%s: genai ops without torch counterpart: %s" % (config, unmatched))
        sys.exit(1)
    print("%s: torch and genai-fp32 agree on %d fused ops %s" % (
        config, len(a), dict(collections.Counter(o[0] for o in a))))
