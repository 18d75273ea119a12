//===- ImporterInternals.h - private state of the ONNX importer -*- C++ -*-===//
//
// The importer walks the graph once in node order. `Importer` owns the parsed
// model, the value table (ONNX name -> SSA value), the external data files
// (mmap'd through llvm::MemoryBuffer) and the error reporting; op families
// live in their own files (StandardOps.cpp, ContribOps.cpp) and register
// handlers by (domain, op_type).
//
//===----------------------------------------------------------------------===//
#ifndef PHI_LIB_IMPORT_ONNX_IMPORTERINTERNALS_H
#define PHI_LIB_IMPORT_ONNX_IMPORTERINTERNALS_H

#include "TensorReader.h"
#include "onnx_subset.pb.h"
#include "phi/Dialect/Phi/PhiOps.h"
#include "phi/Import/ONNX.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"

#include <deque>
#include <functional>

namespace mlir::phi::onnx_import {

namespace pb = ::phi::onnx;

/// The bytes of one tensor, wherever they live.
struct TensorBytes {
  llvm::StringRef bytes; // little-endian, dense, row-major
  Type elementType;
  SmallVector<int64_t> shape;
};

/// LongRoPE cos/sin cache selection found in an onnxruntime-genai `If`.
struct RopeSelection {
  const pb::TensorProto *shortCos = nullptr, *shortSin = nullptr;
  const pb::TensorProto *longCos = nullptr, *longSin = nullptr;
  int64_t threshold = 0; // long caches when total length > threshold
  bool isSin = false;
};

class Importer;
using Handler = std::function<LogicalResult(
    Importer &, const pb::NodeProto &, ArrayRef<Value>, SmallVectorImpl<Value> &)>;

class Importer {
public:
  Importer(MLIRContext *ctx, llvm::StringRef path, const ONNXImportOptions &opts);

  OwningOpRef<ModuleOp> run(llvm::StringRef contents);

  // --- used by op handlers -------------------------------------------------
  MLIRContext *ctx;
  OpBuilder b;
  const ONNXImportOptions &options;
  TensorReader reader;
  const pb::NodeProto *currentNode = nullptr;
  int64_t opsetFor(llvm::StringRef domain) const;

  /// Error at the current node: "node 'n' (Op, domain 'd', opset k): ...".
  InFlightDiagnostic nodeError();
  /// Error located at the model file.
  InFlightDiagnostic fileError();
  Location loc() const { return currentLoc; }

  /// The type the graph declares for `name` (graph input/output or
  /// value_info), if it is a tensor.
  Type declaredType(llvm::StringRef name);
  /// Result type for node output `idx`: the declared type if any, else a
  /// ranked type from `shape` if given, else unranked of `elem`.
  Type resultType(unsigned idx, Type elem,
                  std::optional<ArrayRef<int64_t>> shape = std::nullopt);

  FailureOr<Type> elementType(int32_t onnxType, llvm::StringRef what);
  /// Dense, validated bytes of a tensor (inline or external data).
  FailureOr<TensorBytes> tensorBytes(const pb::TensorProto &t);
  /// A constant op (small tensors) or phi.weight (large ones) for `t`.
  FailureOr<Value> materialize(const pb::TensorProto &t, llvm::StringRef name,
                               bool forceInline = false);
  /// A small i64 constant.
  Value i64Const(ArrayRef<int64_t> values, bool scalar = false);

  // Attributes of the current node.
  const pb::AttributeProto *attr(llvm::StringRef name);
  FailureOr<int64_t> intAttr(llvm::StringRef name, std::optional<int64_t> dflt);
  FailureOr<float> floatAttr(llvm::StringRef name, std::optional<float> dflt);
  FailureOr<SmallVector<int64_t>> intsAttr(llvm::StringRef name);
  /// Integer contents of a constant value (axes, shapes, split sizes).
  std::optional<SmallVector<int64_t>> constInts(Value v);

  /// The ONNX node producing `name`, if any.
  const pb::NodeProto *producer(llvm::StringRef name) {
    auto it = producers.find(name);
    return it == producers.end() ? nullptr : it->second;
  }
  const pb::TensorProto *initializer(llvm::StringRef name) {
    auto it = initializers.find(name);
    return it == initializers.end() ? nullptr : it->second;
  }
  llvm::StringMap<RopeSelection> ropeSelections;

  /// Handler tables, filled by the op-family files.
  static void registerStandardOps(llvm::StringMap<Handler> &table);
  static void registerContribOps(llvm::StringMap<Handler> &table);

private:
  LogicalResult importGraph(const pb::GraphProto &graph);
  LogicalResult importNode(const pb::NodeProto &node);
  FailureOr<Value> lookup(llvm::StringRef name);
  FailureOr<Type> typeFromProto(const pb::TypeProto &t, llvm::StringRef what);

  std::string path, dir;
  pb::ModelProto model;
  Location fileLoc;
  Location currentLoc;
  llvm::StringMap<int64_t> opsets;
  llvm::StringMap<Value> values;
  llvm::StringMap<const pb::TensorProto *> initializers;
  llvm::StringMap<const pb::ValueInfoProto *> declared;
  llvm::StringMap<const pb::NodeProto *> producers;
  llvm::StringMap<Handler> handlers;
};

/// Shape of a ranked tensor value, or nullopt.
inline std::optional<SmallVector<int64_t>> shapeOf(Value v) {
  if (auto t = dyn_cast<RankedTensorType>(v.getType()))
    return SmallVector<int64_t>(t.getShape());
  return std::nullopt;
}

} // namespace mlir::phi::onnx_import

#endif // PHI_LIB_IMPORT_ONNX_IMPORTERINTERNALS_H
