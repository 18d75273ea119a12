"""Runs two ONNX models in onnxruntime on a fixture's reference inputs and
compares their outputs.

Models with a KV cache (genai-style inputs past_key_values.N.key/value) run a
prefill and then one decode step fed with the prefill's present KV, exactly
as the fixtures' ref.npz was recorded; models without one run the prompt.
Both the short prompt and the long one (beyond LongRoPE's original max
positions) are used when the fixture has them.
"""
import numpy as np
import onnxruntime as ort


def session(path, qdq_accuracy_level=0):
    so = ort.SessionOptions()
    so.log_severity_level = 3
    # onnxruntime fuses DequantizeLinear + MatMul into MatMulNBits with int8
    # activations (accuracy level 4) unless told otherwise; by default compute
    # what the graph says instead.
    so.add_session_config_entry("session.qdq_matmulnbits_accuracy_level",
                                str(qdq_accuracy_level))
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def _np_type(t):
    return {"tensor(float)": np.float32, "tensor(float16)": np.float16}.get(t, np.float32)


def run(sess, ids, mask, decode_id=None):
    """Returns {output name: array} for the prompt, and for one decode step
    (keys prefixed 'decode.') when the model has a KV cache and decode_id is
    given."""
    ins = {i.name: i for i in sess.get_inputs()}
    feeds = {"input_ids": ids, "attention_mask": mask}
    past = [n for n in ins if n.startswith("past_key_values.")]
    for n in past:
        shp = ins[n].shape
        heads = shp[1] if isinstance(shp[1], int) else 1
        dim = shp[3] if isinstance(shp[3], int) else 16
        feeds[n] = np.zeros((ids.shape[0], heads, 0, dim), _np_type(ins[n].type))
    names = [o.name for o in sess.get_outputs()]
    res = dict(zip(names, sess.run(None, {k: v for k, v in feeds.items() if k in ins})))
    if past and decode_id is not None:
        feeds = {"input_ids": decode_id,
                 "attention_mask": np.ones((ids.shape[0], mask.shape[1] + 1), np.int64)}
        for n in past:
            feeds[n] = res[n.replace("past_key_values.", "present.")]
        dec = dict(zip(names, sess.run(None, feeds)))
        res.update({"decode." + k: v for k, v in dec.items()})
    return res


def cases(ref):
    """(name, input_ids, attention_mask, decode input_ids) per prompt."""
    out = []
    for case in ("short", "long"):
        if case + ".input_ids" in ref:
            dec = ref.get(case + ".decode.input_ids")
            out.append((case, ref[case + ".input_ids"], ref[case + ".attention_mask"], dec))
    if not out and "input_ids" in ref:
        out.append(("prompt", ref["input_ids"], ref["attention_mask"], None))
    return out


def greedy(sess, prompt, n, suppress=()):
    """Greedy token ids from onnxruntime with its own KV-cache loop; tokens in
    `suppress` (an eos kept from ending the run) are never picked."""
    def pick(logits):
        logits = logits.astype(np.float64).copy()
        logits[list(suppress)] = -np.inf
        return int(np.argmax(logits))

    ids = np.array([prompt], np.int64)
    ins = {i.name for i in sess.get_inputs()}
    toks = []
    if any(i.startswith("past_key_values.") for i in ins):
        res = run(sess, ids, np.ones_like(ids))
        total = ids.shape[1]
        for _ in range(n):
            t = pick(res["logits"][0, -1])
            toks.append(t)
            feeds = {"input_ids": np.array([[t]], np.int64),
                     "attention_mask": np.ones((1, total + 1), np.int64)}
            for i in ins:
                if i.startswith("past_key_values."):
                    feeds[i] = res[i.replace("past_key_values.", "present.")]
            names = [o.name for o in sess.get_outputs()]
            res = dict(zip(names, sess.run(None, feeds)))
            total += 1
    else:
        for _ in range(n):
            logits = sess.run(["logits"], {"input_ids": ids, "attention_mask": np.ones_like(ids)})[0]
            t = pick(logits[0, -1])
            toks.append(t)
            ids = np.concatenate([ids, [[t]]], axis=1)
    return toks


def max_rel(a, b):
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))
