//===- GenaiConfig.cpp - genai_config.json for an exported model ----------===//
//
// onnxruntime-genai drives a model directory through genai_config.json: the
// decoder's I/O names, head counts and sizes, and the token ids and search
// defaults. Sizes come from the IR (the attention ops, the embedding, the
// logits); token ids and search options from the source model's own
// genai_config.json or Hugging Face config.json when one sits next to it,
// else Phi-3.5's.
//
//===----------------------------------------------------------------------===//

#include "phi/Target/ONNX.h"

#include "phi/Dialect/Phi/PhiOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::phi;
namespace json = llvm::json;

namespace {

/// Token ids and search options of the source model, if it has a config.
struct SourceConfig {
  json::Value bos = 1, eos = json::Array{32007, 32001, 32000}, pad = 32000;
  std::optional<json::Object> search;
};

SourceConfig readSourceConfig(llvm::StringRef dir) {
  SourceConfig c;
  auto load = [&](llvm::StringRef name) -> std::optional<json::Value> {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, name);
    auto buf = llvm::MemoryBuffer::getFile(p);
    if (!buf)
      return std::nullopt;
    auto v = json::parse((*buf)->getBuffer());
    if (!v) {
      llvm::consumeError(v.takeError());
      return std::nullopt;
    }
    return std::move(*v);
  };
  auto take = [&](const json::Object &o) {
    if (const json::Value *v = o.get("bos_token_id"))
      c.bos = *v;
    if (const json::Value *v = o.get("eos_token_id"))
      c.eos = *v;
    if (const json::Value *v = o.get("pad_token_id"); v && v->kind() != json::Value::Null)
      c.pad = *v;
  };
  if (auto g = load("genai_config.json"); g && g->getAsObject()) {
    if (const json::Object *m = g->getAsObject()->getObject("model"))
      take(*m);
    if (const json::Object *s = g->getAsObject()->getObject("search"))
      c.search = *s;
  } else if (auto h = load("config.json"); h && h->getAsObject()) {
    take(*h->getAsObject());
  }
  return c;
}

} // namespace

FailureOr<std::string> mlir::phi::genaiConfigJSON(ModuleOp module,
                                                  const GenaiConfigOptions &o,
                                                  std::string &whyNot) {
  auto fn = module.lookupSymbol<func::FuncOp>("main");
  if (!fn || fn.isExternal())
    return whyNot = "no func.func @main", failure();
  llvm::StringMap<Type> ins, outs;
  for (unsigned i = 0; i < fn.getNumArguments(); ++i)
    if (auto n = fn.getArgAttrOfType<StringAttr>(i, "onnx.name"))
      ins[n.getValue()] = fn.getArgument(i).getType();
  for (unsigned i = 0; i < fn.getNumResults(); ++i)
    if (auto n = fn.getResultAttrOfType<StringAttr>(i, "onnx.name"))
      outs[n.getValue()] = fn.getResultTypes()[i];
  SmallVector<AttentionOp> layers;
  fn.walk([&](AttentionOp a) { layers.push_back(a); });
  EmbeddingOp emb;
  fn.walk([&](EmbeddingOp e) { emb = emb ? emb : e; });
  if (!ins.count("input_ids") || !ins.count("attention_mask") || !outs.count("logits"))
    return whyNot = "the model has no input_ids / attention_mask / logits", failure();
  if (layers.empty() || !emb)
    return whyNot = "the model has no phi.attention or phi.embedding", failure();
  for (unsigned l = 0; l < layers.size(); ++l)
    for (const char *k : {"past_key_values.{0}.key", "past_key_values.{0}.value"}) {
      std::string past = llvm::formatv(k, l).str();
      std::string present = "present." + past.substr(strlen("past_key_values."));
      if (!ins.count(past) || !outs.count(present))
        return whyNot = "the model has no KV cache (" + past + " / " + present +
                        "); onnxruntime-genai needs one",
               failure();
    }
  auto qt = cast<RankedTensorType>(layers[0].getQ().getType());
  auto et = cast<RankedTensorType>(emb.getType());
  auto lt = dyn_cast<RankedTensorType>(outs["logits"]);
  if (qt.isDynamicDim(3) || et.isDynamicDim(et.getRank() - 1) || !lt ||
      lt.isDynamicDim(lt.getRank() - 1))
    return whyNot = "head size, hidden size and vocabulary must be static", failure();

  SourceConfig src = readSourceConfig(o.sourceDir);
  json::Object search = src.search.value_or(json::Object{
      {"diversity_penalty", 0.0}, {"do_sample", false}, {"early_stopping", true},
      {"length_penalty", 1.0}, {"min_length", 0}, {"no_repeat_ngram_size", 0},
      {"num_beams", 1}, {"num_return_sequences", 1}, {"repetition_penalty", 1.0},
      {"temperature", 1.0}, {"top_k", 1}, {"top_p", 1.0}});
  search["max_length"] = o.contextLength;
  // GroupQueryAttention updates a max-length KV buffer in place; the
  // standard-op attention concatenates past and new keys.
  search["past_present_share_buffer"] = o.sharedKVBuffer;
  json::Object decoder{
      {"session_options", json::Object{{"log_id", "onnxruntime-genai"},
                                       {"provider_options", json::Array{}}}},
      {"filename", o.onnxFileName},
      {"head_size", qt.getDimSize(3)},
      {"hidden_size", et.getDimSize(et.getRank() - 1)},
      {"inputs", json::Object{{"input_ids", "input_ids"},
                              {"attention_mask", "attention_mask"},
                              {"past_key_names", "past_key_values.%d.key"},
                              {"past_value_names", "past_key_values.%d.value"}}},
      {"outputs", json::Object{{"logits", "logits"},
                               {"present_key_names", "present.%d.key"},
                               {"present_value_names", "present.%d.value"}}},
      {"num_attention_heads", layers[0].getNumHeads()},
      {"num_hidden_layers", (int64_t)layers.size()},
      {"num_key_value_heads", layers[0].getNumKvHeads()}};
  json::Object model{{"bos_token_id", src.bos},
                     {"context_length", o.contextLength},
                     {"decoder", std::move(decoder)},
                     {"eos_token_id", src.eos},
                     {"pad_token_id", src.pad},
                     {"type", "phi3"},
                     {"vocab_size", lt.getDimSize(lt.getRank() - 1)}};
  json::Value root = json::Object{{"model", std::move(model)},
                                  {"search", std::move(search)}};
  std::string out;
  llvm::raw_string_ostream os(out);
  os << llvm::formatv("{0:4}", root) << "\n";
  return out;
}
