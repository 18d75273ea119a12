//===- WeightArchive.cpp - ONNX files as weight archives ------------------===//
//
// Indexes the initializers (and Constant node tensors) of an ONNX model and
// serves their bytes through TensorReader: external data is mmap'd, inline
// data points into the parsed model.
//
//===----------------------------------------------------------------------===//

#include "TensorReader.h"
#include "phi/Weights/Weights.h"

#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <google/protobuf/io/coded_stream.h>
#include <limits>

using namespace mlir;
using namespace mlir::phi;
using namespace mlir::phi::onnx_import;
namespace pb = ::phi::onnx;

namespace {
class ONNXWeightArchive : public WeightArchive {
public:
  ONNXWeightArchive(MLIRContext *ctx, std::string dir)
      : ctx(ctx), reader(std::move(dir)) {}

  LogicalResult load(llvm::StringRef path, std::string &error) {
    auto buf = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
    if (!buf) {
      error = "cannot open weights archive '" + path.str() +
              "': " + buf.getError().message();
      return failure();
    }
    google::protobuf::io::CodedInputStream stream(
        reinterpret_cast<const uint8_t *>((*buf)->getBufferStart()),
        (*buf)->getBufferSize());
    stream.SetTotalBytesLimit(std::numeric_limits<int>::max());
    if (!model.ParseFromCodedStream(&stream)) {
      error = "weights archive '" + path.str() + "' is not a valid ONNX model";
      return failure();
    }
    for (const auto &t : model.graph().initializer())
      tensors[t.name()] = &t;
    for (const auto &n : model.graph().node())
      if (n.op_type() == "Constant" && n.output_size() == 1 &&
          n.attribute_size() == 1 &&
          n.attribute(0).type() == pb::AttributeProto::TENSOR)
        tensors[n.output(0)] = &n.attribute(0).t();
    return success();
  }

  FailureOr<llvm::StringRef> read(llvm::StringRef name, RankedTensorType type,
                                  std::string &error) override {
    llvm::raw_string_ostream os(error);
    const pb::TensorProto *t = tensors.lookup(name);
    if (!t)
      return os << "weight '" << name << "' is not in the archive", failure();
    Type elem = onnxElementType(ctx, t->data_type());
    if (elem != type.getElementType())
      return os << "weight '" << name << "' has element type " << elem
                << " in the archive, the IR says " << type.getElementType(),
             failure();
    SmallVector<int64_t> shape;
    std::string why;
    FailureOr<llvm::StringRef> bytes = reader.read(*t, elem, shape, why);
    if (failed(bytes))
      return os << "tensor '" << name << "' " << why, failure();
    if (ArrayRef<int64_t>(shape) != type.getShape())
      return os << "weight '" << name << "' has a different shape in the archive",
             failure();
    return *bytes;
  }

private:
  MLIRContext *ctx;
  TensorReader reader;
  pb::ModelProto model;
  llvm::StringMap<const pb::TensorProto *> tensors;
};
} // namespace

std::unique_ptr<WeightArchive>
WeightArchive::open(llvm::StringRef path, MLIRContext *ctx, std::string &error) {
  auto a = std::make_unique<ONNXWeightArchive>(
      ctx, llvm::sys::path::parent_path(path).str());
  if (failed(a->load(path, error)))
    return nullptr;
  return a;
}
