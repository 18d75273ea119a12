//===- ExportWeights.cpp - write evaluated weights as safetensors ---------===//
//
// `phi-translate --export-weights` evaluates every weight operand of the
// module's matmuls and embeddings (float weights, and the codes / scales /
// zero points of phi.matmul_nbits and of quantized embedding tables) and writes them to one safetensors file, named as
// onnxruntime's quantizer names them (`<w>_Q4`, `<w>_scales`,
// `<w>_zero_points`). Used to compare phi's packed weights with other tools.
//
//===----------------------------------------------------------------------===//

#include "phi/Weights/Weights.h"

#include "phi/Dialect/Phi/PhiOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::phi;

static std::string safetensorsDtype(Type t) {
  if (t.isF32()) return "F32";
  if (t.isF16()) return "F16";
  if (t.isBF16()) return "BF16";
  if (t.isF64()) return "F64";
  if (t.isUnsignedInteger(8)) return "U8";
  if (t.isInteger(8)) return "I8";
  if (t.isInteger(16)) return "I16";
  if (t.isInteger(32)) return "I32";
  if (t.isInteger(64)) return "I64";
  if (t.isInteger(1)) return "BOOL";
  return "";
}

static LogicalResult exportWeights(ModuleOp module, llvm::raw_ostream &os) {
  struct Entry {
    std::string name;
    Value value;
  };
  std::vector<Entry> entries;
  llvm::StringSet<> seen;
  auto add = [&](std::string name, Value v) {
    if (!name.empty() && seen.insert(name).second)
      entries.push_back({name, v});
  };
  module.walk([&](Operation *op) {
    if (auto mm = dyn_cast<MatMulOp>(op)) {
      if (WeightEvaluator::isWeightExpression(mm.getRhs()))
        add(WeightEvaluator::nameOf(mm.getRhs()), mm.getRhs());
    } else if (auto e = dyn_cast<EmbeddingOp>(op)) {
      Value t = e.getTable();
      if (auto dq = t.getDefiningOp<DequantizeNBitsOp>()) {
        auto q = dq.getCodes().getDefiningOp<QuantizeNBitsOp>();
        std::string base = q ? WeightEvaluator::nameOf(q.getWeight())
                             : WeightEvaluator::nameOf(dq.getCodes());
        std::string bits = std::to_string(dq.getBits());
        add(base + "_Q" + bits, dq.getCodes());
        add(base + "_scales", dq.getScales());
        if (dq.getZeroPoints())
          add(base + "_zero_points", dq.getZeroPoints());
      } else if (WeightEvaluator::isWeightExpression(t)) {
        add(WeightEvaluator::nameOf(t), t);
      }
    } else if (auto mq = dyn_cast<MatMulNBitsOp>(op)) {
      std::string base;
      if (auto q = mq.getB().getDefiningOp<QuantizeNBitsOp>())
        base = WeightEvaluator::nameOf(q.getWeight());
      else
        base = WeightEvaluator::nameOf(mq.getB());
      std::string bits = std::to_string(mq.getBits());
      add(base + "_Q" + bits, mq.getB());
      add(base + "_scales", mq.getScales());
      if (mq.getZeroPoints())
        add(base + "_zero_points", mq.getZeroPoints());
    }
  });

  WeightEvaluator eval(module);
  std::string header = "{\"__metadata__\":{\"format\":\"phi\"}";
  std::vector<std::vector<char>> blobs;
  uint64_t offset = 0;
  for (const Entry &e : entries) {
    auto t = cast<RankedTensorType>(e.value.getType());
    std::string dtype = safetensorsDtype(t.getElementType());
    if (dtype.empty())
      return e.value.getDefiningOp()->emitError()
             << "no safetensors dtype for " << t.getElementType();
    FailureOr<ArrayRef<char>> bytes = eval.evaluate(e.value);
    if (failed(bytes))
      return failure();
    header += ",\"" + e.name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":[";
    for (auto [i, d] : llvm::enumerate(t.getShape()))
      header += (i ? "," : "") + std::to_string(d);
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes->size()) + "]}";
    offset += bytes->size();
    blobs.emplace_back(bytes->begin(), bytes->end());
    eval.forget(e.value);
  }
  header += "}";
  while (header.size() % 8)
    header += ' ';
  uint64_t n = header.size();
  char len[8];
  for (int i = 0; i < 8; ++i)
    len[i] = char((n >> (8 * i)) & 0xFF);
  os.write(len, 8);
  os << header;
  for (const auto &b : blobs)
    os.write(b.data(), b.size());
  return success();
}

void mlir::phi::registerExportWeightsTranslation() {
  TranslateFromMLIRRegistration reg(
      "export-weights",
      "evaluate the module's weights (quantized ones included) into a "
      "safetensors file",
      [](Operation *op, llvm::raw_ostream &os) -> LogicalResult {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return op->emitError() << "expected a module";
        return exportWeights(module, os);
      },
      [](DialectRegistry &registry) {
        registry.insert<PhiDialect, arith::ArithDialect, func::FuncDialect>();
      });
}
