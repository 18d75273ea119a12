//===- TensorReader.h - dense bytes of ONNX tensors -------------*- C++ -*-===//
//
// Shared by the importer and WeightArchive: decodes a TensorProto (raw_data,
// typed fields, or external data through a cache of mmap'd files) into dense
// little-endian bytes, validating sizes and bounds.
//
//===----------------------------------------------------------------------===//
#ifndef PHI_LIB_IMPORT_ONNX_TENSORREADER_H
#define PHI_LIB_IMPORT_ONNX_TENSORREADER_H

#include "onnx_subset.pb.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MemoryBuffer.h"

#include <deque>

namespace mlir::phi::onnx_import {

/// The MLIR element type of an ONNX data type, or null if phi has none.
Type onnxElementType(MLIRContext *ctx, int32_t onnxType);

class TensorReader {
public:
  explicit TensorReader(std::string modelDir) : dir(std::move(modelDir)) {}
  /// Bytes of `t` with element type `elem`. On failure `error` completes the
  /// sentence "tensor 'name' ...".
  FailureOr<llvm::StringRef> read(const ::phi::onnx::TensorProto &t, Type elem,
                                  SmallVectorImpl<int64_t> &shape,
                                  std::string &error);

private:
  std::string dir;
  llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>> externalFiles;
  std::deque<std::string> ownedBytes; // typed fields as raw (stable addresses)
};

} // namespace mlir::phi::onnx_import

#endif // PHI_LIB_IMPORT_ONNX_TENSORREADER_H
