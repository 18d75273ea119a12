"""Minimal safetensors reader for the tests (the format is 8 bytes of header
length, a JSON header, then raw little-endian tensors)."""
import json
import struct

import numpy as np

DTYPES = {"F32": np.float32, "F16": np.float16, "U8": np.uint8, "I8": np.int8,
          "I32": np.int32, "I64": np.int64}


def load(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + b : 8 + n + e], DTYPES[info["dtype"]]).reshape(info["shape"])
    return out
