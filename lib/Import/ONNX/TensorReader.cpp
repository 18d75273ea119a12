//===- TensorReader.cpp - dense bytes of ONNX tensors ---------------------===//
#include "TensorReader.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <limits>

using namespace mlir;
using namespace mlir::phi::onnx_import;
namespace pb = ::phi::onnx;

Type mlir::phi::onnx_import::onnxElementType(MLIRContext *ctx, int32_t t) {
  Builder b(ctx);
  switch (t) {
  case 1: return b.getF32Type();
  case 2: return IntegerType::get(ctx, 8, IntegerType::Unsigned);
  case 3: return b.getIntegerType(8);
  case 5: return b.getIntegerType(16);
  case 6: return b.getI32Type();
  case 7: return b.getI64Type();
  case 9: return b.getI1Type();
  case 10: return b.getF16Type();
  case 11: return b.getF64Type();
  case 16: return b.getBF16Type();
  default: return {};
  }
}

static int64_t byteWidth(Type t) {
  return t.isInteger(1) ? 1 : (t.getIntOrFloatBitWidth() + 7) / 8;
}

FailureOr<llvm::StringRef> TensorReader::read(const pb::TensorProto &t, Type elem,
                                              SmallVectorImpl<int64_t> &shape,
                                              std::string &error) {
  llvm::raw_string_ostream err(error);
  int64_t numel = 1;
  shape.clear();
  for (int64_t d : t.dims()) {
    if (d < 0 || (d > 0 && numel > std::numeric_limits<int64_t>::max() / 16 / d))
      return err << "has an invalid dimension " << d, failure();
    numel *= d;
    shape.push_back(d);
  }
  int64_t width = byteWidth(elem);
  uint64_t need = (uint64_t)numel * width;

  if (t.data_location() == pb::TensorProto::EXTERNAL) {
    std::string location;
    uint64_t offset = 0, length = need;
    bool hasLength = false;
    for (const auto &kv : t.external_data()) {
      if (kv.key() == "location") {
        location = kv.value();
      } else if (kv.key() == "offset" || kv.key() == "length") {
        uint64_t v;
        if (llvm::StringRef(kv.value()).getAsInteger(10, v))
          return err << "has a malformed external data " << kv.key(), failure();
        (kv.key() == "offset" ? offset : length) = v;
        hasLength |= kv.key() == "length";
      }
    }
    if (location.empty())
      return err << "has external data without a location", failure();
    if (llvm::sys::path::is_absolute(location) ||
        llvm::StringRef(location).contains(".."))
      return err << "has external data outside the model directory", failure();
    if (hasLength && length != need)
      return err << "has " << length << " bytes of external data but its "
                 << "shape and type need " << need,
             failure();
    llvm::SmallString<256> file(dir);
    llvm::sys::path::append(file, location);
    auto &buf = externalFiles[file];
    if (!buf) {
      auto mb = llvm::MemoryBuffer::getFile(file, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
      if (!mb)
        return err << "refers to external data file '" << file
                   << "', which cannot be opened: " << mb.getError().message(),
               failure();
      buf = std::move(*mb);
    }
    if (offset > buf->getBufferSize() || need > buf->getBufferSize() - offset)
      return err << "lies beyond the end of external data file '" << file
                 << "' (offset " << offset << ", " << need
                 << " bytes, file has " << buf->getBufferSize() << ")",
             failure();
    return buf->getBuffer().substr(offset, need);
  }

  if (t.has_raw_data()) {
    if (t.raw_data().size() != need)
      return err << "has " << t.raw_data().size() << " bytes of data but its "
                 << "shape and type need " << need,
             failure();
    return llvm::StringRef(t.raw_data());
  }

  // Typed fields: convert to dense little-endian bytes.
  std::string raw(need, '\0');
  auto countErr = [&](int64_t have) {
    return err << "has " << have << " values but its shape needs " << numel,
           failure();
  };
  if (elem.isF32()) {
    if (t.float_data_size() != numel)
      return countErr(t.float_data_size());
    memcpy(raw.data(), t.float_data().data(), need);
  } else if (elem.isInteger(64)) {
    if (t.int64_data_size() != numel)
      return countErr(t.int64_data_size());
    memcpy(raw.data(), t.int64_data().data(), need);
  } else if (elem.isF64()) {
    if (t.double_data_size() != numel)
      return countErr(t.double_data_size());
    memcpy(raw.data(), t.double_data().data(), need);
  } else {
    // int32_data carries i32, i16, i8, ui8, bool and the bits of f16/bf16.
    if (t.int32_data_size() != numel)
      return countErr(t.int32_data_size());
    for (int64_t i = 0; i < numel; ++i) {
      int32_t v = t.int32_data(i);
      memcpy(raw.data() + i * width, &v, width);
    }
  }
  ownedBytes.push_back(std::move(raw));
  return llvm::StringRef(ownedBytes.back());
}
