#!/usr/bin/env python3
"""Writes a Phi-3.5-mini-shaped onnxruntime-genai int4 graph with random
weights, for benchmarks: the real shapes (hidden 3072, 32 layers, 32 heads of
96, intermediate 8192, vocab 32064; about 2.3 GB of int4 weights), the graph
the genai builder writes with `-p int4 -e cpu` (MatMulNBits block 32,
GroupQueryAttention with do_rotary and the LongRoPE If choosing cos/sin caches,
SkipSimplifiedLayerNormalization), the genai I/O names and a genai_config.json.

  python bench/phi35_model.py OUT_DIR [--layers 32] [--context 8192]

Writes OUT_DIR/model.onnx (accuracy level 4, the builder's CPU choice),
OUT_DIR/model_acc0.onnx (the same weights at accuracy level 0) and
OUT_DIR/model.onnx.data. Weights are streamed to the data file, never held as
one protobuf (which could not exceed 2 GB)."""
import argparse
import json
import math
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HIDDEN, HEADS, KV_HEADS, HEAD_DIM, INTER, VOCAB = 3072, 32, 32, 96, 8192, 32064
ORIGINAL_MAX, THETA, BLOCK = 4096, 10000.0, 32


class DataFile:
    """Appends raw tensors to model.onnx.data; returns external-data tensors."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.location = os.path.basename(path)

    def add(self, name, array):
        offset = self.f.tell()
        pad = (-offset) % 64
        self.f.write(b"\0" * pad)
        offset += pad
        data = np.ascontiguousarray(array)
        self.f.write(data.tobytes())
        t = TensorProto()
        t.name = name
        t.data_type = helper.np_dtype_to_tensor_dtype(data.dtype)
        t.dims.extend(data.shape)
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", self.location), ("offset", str(offset)),
                     ("length", str(data.nbytes))):
            e = t.external_data.add()
            e.key, e.value = k, v
        return t


def rope_caches(rows, factors, mscale):
    inv = 1.0 / (np.asarray(factors, np.float64) * THETA ** (np.arange(0, HEAD_DIM, 2) / HEAD_DIM))
    ang = np.arange(rows, dtype=np.float64)[:, None] * inv[None, :]
    return (np.cos(ang) * mscale).astype(np.float32), (np.sin(ang) * mscale).astype(np.float32)


def build(out, layers, context, seed=0):
    rng = np.random.default_rng(seed)
    os.makedirs(out, exist_ok=True)
    data = DataFile(os.path.join(out, "model.onnx.data"))
    inits, nodes = [], []

    def qweight(name, k, n):
        # Random codes, scales near what a real int4 Phi-3.5 matrix has.
        blocks = k // BLOCK
        inits.append(data.add(name + ".MatMul.weight_Q4",
                              rng.integers(0, 256, (n, blocks, BLOCK // 2), dtype=np.uint8)))
        inits.append(data.add(name + ".MatMul.weight_scales",
                              rng.uniform(0.5, 1.5, (n, blocks)).astype(np.float32) * (0.6 / math.sqrt(k))))

    def matmul(x, name, k, n, y):
        qweight(name, k, n)
        nodes.append(helper.make_node(
            "MatMulNBits", [x, name + ".MatMul.weight_Q4", name + ".MatMul.weight_scales"], [y],
            domain="com.microsoft", name=name + "/MatMul", K=k, N=n, bits=4, block_size=BLOCK,
            accuracy_level=4))

    def norm_weight(name):
        inits.append(data.add(name, rng.uniform(0.8, 1.2, HIDDEN).astype(np.float32)))

    inits.append(data.add("model.embed_tokens.weight",
                          rng.normal(0, 0.02, (VOCAB, HIDDEN)).astype(np.float32)))

    c = lambda name, v, dims=None: helper.make_node(
        "Constant", [], [name], value=helper.make_tensor(
            name, TensorProto.INT64, dims if dims is not None else [], [v]))
    nodes += [c("/model/constants/INT64/orig", ORIGINAL_MAX), c("/model/constants/INT64/1", 1),
              c("/model/constants/INT64/[1]", 1, [1])]
    nodes.append(helper.make_node("Shape", ["attention_mask"], ["/mask/shape"]))
    nodes.append(helper.make_node("Gather", ["/mask/shape", "/model/constants/INT64/1"],
                                  ["/mask/total"], axis=0))
    nodes.append(helper.make_node("Greater", ["/mask/total", "/model/constants/INT64/orig"],
                                  ["/rope/use_long"]))
    mscale = math.sqrt(1 + math.log(context / ORIGINAL_MAX) / math.log(ORIGINAL_MAX))
    short = np.linspace(1.0, 3.0, HEAD_DIM // 2)
    long_ = np.linspace(1.0, 40.0, HEAD_DIM // 2)

    def branch(tag, rows, factors):
        cos, sin = rope_caches(rows, factors, mscale)
        names = ["cos_cache_" + tag, "sin_cache_" + tag]
        ns = [helper.make_node("Constant", [], [nm], value=numpy_helper.from_array(a, nm))
              for nm, a in zip(names, (cos, sin))]
        outs = [helper.make_tensor_value_info(nm, TensorProto.FLOAT, list(cos.shape)) for nm in names]
        return helper.make_graph(ns, "rope_" + tag, [], outs)

    nodes.append(helper.make_node("If", ["/rope/use_long"], ["cos_cache", "sin_cache"],
                                  then_branch=branch("large", context, long_),
                                  else_branch=branch("small", ORIGINAL_MAX, short)))
    nodes.append(helper.make_node("ReduceSum", ["attention_mask", "/model/constants/INT64/[1]"],
                                  ["/mask/sum"], keepdims=0))
    nodes.append(helper.make_node("Sub", ["/mask/sum", "/model/constants/INT64/[1]"], ["/mask/seqlens"]))
    nodes.append(helper.make_node("Cast", ["/mask/seqlens"], ["seqlens_k"], to=TensorProto.INT32))
    nodes.append(helper.make_node("Cast", ["/mask/total"], ["total_seq_len"], to=TensorProto.INT32))
    nodes.append(helper.make_node("Gather", ["model.embed_tokens.weight", "input_ids"], ["/embed"]))

    residual = "/embed"
    norm_weight("model.layers.0.input_layernorm.weight")
    nodes.append(helper.make_node("SimplifiedLayerNormalization",
                                  ["/embed", "model.layers.0.input_layernorm.weight"], ["/l0/in_norm"],
                                  epsilon=1e-5, axis=-1, stash_type=1))
    x = "/l0/in_norm"
    inputs, outputs = [], []
    for i in range(layers):
        p = "model.layers.%d" % i
        matmul(x, p + ".attn.qkv_proj", HIDDEN, HIDDEN + 2 * KV_HEADS * HEAD_DIM, "/l%d/qkv" % i)
        nodes.append(helper.make_node(
            "GroupQueryAttention",
            ["/l%d/qkv" % i, "", "", "past_key_values.%d.key" % i, "past_key_values.%d.value" % i,
             "seqlens_k", "total_seq_len", "cos_cache", "sin_cache"],
            ["/l%d/attn" % i, "present.%d.key" % i, "present.%d.value" % i],
            domain="com.microsoft", num_heads=HEADS, kv_num_heads=KV_HEADS,
            scale=1 / math.sqrt(HEAD_DIM), local_window_size=-1, do_rotary=1, rotary_interleaved=0))
        matmul("/l%d/attn" % i, p + ".attn.o_proj", HIDDEN, HIDDEN, "/l%d/o" % i)
        norm_weight(p + ".post_attention_layernorm.weight")
        nodes.append(helper.make_node(
            "SkipSimplifiedLayerNormalization", [residual, "/l%d/o" % i, p + ".post_attention_layernorm.weight"],
            ["/l%d/post_norm" % i, "", "", "/l%d/res1" % i], domain="com.microsoft", epsilon=1e-5))
        matmul("/l%d/post_norm" % i, p + ".mlp.gate_proj", HIDDEN, INTER, "/l%d/gate" % i)
        matmul("/l%d/post_norm" % i, p + ".mlp.up_proj", HIDDEN, INTER, "/l%d/up" % i)
        nodes.append(helper.make_node("Sigmoid", ["/l%d/gate" % i], ["/l%d/sig" % i]))
        nodes.append(helper.make_node("Mul", ["/l%d/gate" % i, "/l%d/sig" % i], ["/l%d/silu" % i]))
        nodes.append(helper.make_node("Mul", ["/l%d/silu" % i, "/l%d/up" % i], ["/l%d/act" % i]))
        matmul("/l%d/act" % i, p + ".mlp.down_proj", INTER, HIDDEN, "/l%d/down" % i)
        last = i + 1 == layers
        wname = "model.layers.%d.%s.weight" % (i + 1, "final_norm_layernorm" if last else "input_layernorm")
        norm_weight(wname)
        outs = ["/l%d/in_norm" % (i + 1)] + ([] if last else ["", "", "/l%d/res0" % (i + 1)])
        nodes.append(helper.make_node("SkipSimplifiedLayerNormalization",
                                      ["/l%d/res1" % i, "/l%d/down" % i, wname], outs,
                                      domain="com.microsoft", epsilon=1e-5))
        residual, x = "/l%d/res0" % (i + 1), "/l%d/in_norm" % (i + 1)
        for kind in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(
                "past_key_values.%d.%s" % (i, kind), TensorProto.FLOAT,
                ["batch_size", KV_HEADS, "past_sequence_length", HEAD_DIM]))
            outputs.append(helper.make_tensor_value_info(
                "present.%d.%s" % (i, kind), TensorProto.FLOAT,
                ["batch_size", KV_HEADS, "total_sequence_length", HEAD_DIM]))
    matmul(x, "lm_head", HIDDEN, VOCAB, "logits")
    data.f.close()

    graph_inputs = [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
                    helper.make_tensor_value_info("attention_mask", TensorProto.INT64,
                                                  ["batch_size", "total_sequence_length"])] + inputs
    graph_outputs = [helper.make_tensor_value_info("logits", TensorProto.FLOAT,
                                                   ["batch_size", "sequence_length", VOCAB])] + outputs
    for acc, fname in ((4, "model.onnx"), (0, "model_acc0.onnx")):
        for n in nodes:
            if n.op_type == "MatMulNBits":
                for a in n.attribute:
                    if a.name == "accuracy_level":
                        a.i = acc
        g = helper.make_graph(nodes, "phi35_mini_int4", graph_inputs, graph_outputs, inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21),
                                                helper.make_opsetid("com.microsoft", 1)], ir_version=10)
        with open(os.path.join(out, fname), "wb") as f:
            f.write(m.SerializeToString())
    config = {"model": {"bos_token_id": 1, "context_length": context, "eos_token_id": 32000,
                        "pad_token_id": 32000, "type": "phi3", "vocab_size": VOCAB,
                        "decoder": {"filename": "model.onnx", "head_size": HEAD_DIM,
                                    "hidden_size": HIDDEN, "num_attention_heads": HEADS,
                                    "num_hidden_layers": layers, "num_key_value_heads": KV_HEADS,
                                    "session_options": {"log_id": "onnxruntime-genai",
                                                        "provider_options": []},
                                    "inputs": {"input_ids": "input_ids", "attention_mask": "attention_mask",
                                               "past_key_names": "past_key_values.%d.key",
                                               "past_value_names": "past_key_values.%d.value"},
                                    "outputs": {"logits": "logits", "present_key_names": "present.%d.key",
                                                "present_value_names": "present.%d.value"}}},
              "search": {"do_sample": False, "max_length": context, "num_beams": 1}}
    with open(os.path.join(out, "genai_config.json"), "w") as f:
        json.dump(config, f, indent=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--layers", type=int, default=32)
    ap.add_argument("--context", type=int, default=8192)
    args = ap.parse_args()
    build(args.out, args.layers, args.context)


if __name__ == "__main__":
    main()
