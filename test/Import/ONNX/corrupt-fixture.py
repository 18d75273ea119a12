# Every randomly corrupted copy of a fixture (flipped bytes, truncation) gets a
# clean result from the importer: success, or exit 1 with an "error:" line and
# no output file. Never a crash, a hang or a stack dump.
# RUN: rm -rf %t && mkdir -p %t
# RUN: %python %s %fixtures %t 300 | FileCheck %s
# CHECK: corrupted 300 copies: {{[0-9]+}} imported, {{[0-9]+}} rejected cleanly, 0 crashed

import os
import random
import shutil
import subprocess
import sys

fixtures, tmp, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
sources = [
    os.path.join(fixtures, "longrope", "genai-int4"),
    os.path.join(fixtures, "longrope", "genai-fp32"),
    os.path.join(fixtures, "mini4k", "torchscript"),
]
rng = random.Random(1234)
ok = rejected = crashed = 0
for i in range(count):
    src = sources[i % len(sources)]
    work = os.path.join(tmp, "c%d" % i)
    os.makedirs(work)
    data = bytearray(open(os.path.join(src, "model.onnx"), "rb").read())
    if os.path.exists(os.path.join(src, "model.onnx.data")):
        shutil.copy(os.path.join(src, "model.onnx.data"), work)
    mode = rng.choice(["flip", "flip", "truncate", "zero-run"])
    if mode == "flip":
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif mode == "truncate":
        data = data[: rng.randrange(len(data))]
    else:
        at = rng.randrange(len(data))
        data[at : at + rng.randint(1, 64)] = b"\0" * len(data[at : at + 64])
    model = os.path.join(work, "model.onnx")
    out = os.path.join(work, "out.mlir")
    open(model, "wb").write(data)
    try:
        p = subprocess.run(["phi-translate", "--import-onnx", model, "-o", out],
                           capture_output=True, text=True, errors="replace", timeout=60)
    except subprocess.TimeoutExpired:
        crashed += 1
        print("HANG:", mode, model)
        continue
    if p.returncode == 0:
        ok += 1
    elif (p.returncode == 1 and "error:" in p.stderr and "Stack dump" not in p.stderr
          and not os.path.exists(out)):
        rejected += 1
    else:
        crashed += 1
        print("CRASH rc=%d mode=%s %s\n%s" % (p.returncode, mode, model, p.stderr[-2000:]))
        continue
    shutil.rmtree(work)
print("corrupted %d copies: %d imported, %d rejected cleanly, %d crashed"
      % (count, ok, rejected, crashed))
