//===- Evaluate.cpp - compute the bytes of weight expressions -------------===//
#include "phi/Weights/Weights.h"

#include "phi/Dialect/Phi/PhiOps.h"
#include "phi/Quant/BlockQuant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <cstring>

using namespace mlir;
using namespace mlir::phi;

static int64_t elementBytes(Type t) {
  return t.isInteger(1) ? 1 : (t.getIntOrFloatBitWidth() + 7) / 8;
}

bool WeightEvaluator::isWeightExpression(Value v) {
  Operation *op = v.getDefiningOp();
  auto t = dyn_cast<RankedTensorType>(v.getType());
  if (!op || !t || !t.hasStaticShape())
    return false;
  if (isa<WeightOp>(op))
    return true;
  if (auto c = dyn_cast<arith::ConstantOp>(op))
    return isa<DenseElementsAttr>(c.getValue());
  if (auto c = dyn_cast<CastOp>(op))
    return getElementTypeOrSelf(c.getInput().getType()).isF32() &&
           t.getElementType().isF16() && isWeightExpression(c.getInput());
  if (isa<ConcatOp, QuantizeNBitsOp, DequantizeNBitsOp, TransposeOp>(op))
    return llvm::all_of(op->getOperands(), isWeightExpression);
  return false;
}

std::string WeightEvaluator::nameOf(Value v) {
  Operation *op = v.getDefiningOp();
  if (auto w = dyn_cast_or_null<WeightOp>(op))
    return w.getName().str();
  if (auto c = dyn_cast_or_null<ConcatOp>(op)) {
    std::string s;
    for (Value in : c.getInputs())
      s += (s.empty() ? "" : "+") + nameOf(in);
    return s;
  }
  if (auto t = dyn_cast_or_null<TransposeOp>(op))
    return nameOf(t.getInput());
  if (auto c = dyn_cast_or_null<CastOp>(op))
    return nameOf(c.getInput());
  return "";
}

LogicalResult WeightEvaluator::openArchive(Operation *at) {
  if (archive)
    return success();
  auto path = module->getAttrOfType<StringAttr>(kWeightsAttrName);
  if (!path)
    return at->emitError() << "the module has no '" << kWeightsAttrName
                           << "' attribute naming the weights archive";
  std::string error;
  archive = WeightArchive::open(path.getValue(), module.getContext(), error);
  if (!archive)
    return at->emitError() << error;
  return success();
}

FailureOr<ArrayRef<char>> WeightEvaluator::evaluate(Value v) {
  if (auto it = cache.find(v); it != cache.end())
    return ArrayRef<char>(it->second);
  Operation *op = v.getDefiningOp();
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!op || !type || !type.hasStaticShape() || !isWeightExpression(v)) {
    (op ? op->emitError() : emitError(v.getLoc()))
        << "not a weight expression the weight packer can evaluate";
    return failure();
  }
  std::vector<char> out;
  int64_t width = elementBytes(type.getElementType());

  if (auto w = dyn_cast<WeightOp>(op)) {
    if (failed(openArchive(op)))
      return failure();
    std::string error;
    FailureOr<llvm::StringRef> bytes = archive->read(w.getName(), type, error);
    if (failed(bytes))
      return op->emitError() << error, failure();
    out.assign(bytes->begin(), bytes->end());
  } else if (auto c = dyn_cast<arith::ConstantOp>(op)) {
    auto attr = cast<DenseElementsAttr>(c.getValue());
    out.resize(type.getNumElements() * width);
    if (type.getElementType().isInteger(1)) {
      auto bits = attr.getValues<bool>();
      for (int64_t i = 0; i < type.getNumElements(); ++i)
        out[i] = bits[i];
    } else if (attr.isSplat()) {
      ArrayRef<char> one = attr.getRawData();
      for (int64_t i = 0; i < type.getNumElements(); ++i)
        memcpy(out.data() + i * width, one.data(), width);
    } else {
      ArrayRef<char> raw = attr.getRawData();
      out.assign(raw.begin(), raw.end());
    }
  } else if (auto cat = dyn_cast<ConcatOp>(op)) {
    int64_t axis = cat.getAxis();
    if (axis < 0)
      axis += type.getRank();
    // outer = product of dims before the axis; each input contributes a
    // contiguous chunk of dim(axis) * inner elements per outer index.
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; ++d)
      outer *= type.getDimSize(d);
    for (int64_t d = axis + 1; d < type.getRank(); ++d)
      inner *= type.getDimSize(d);
    SmallVector<ArrayRef<char>> parts;
    for (Value in : cat.getInputs()) {
      FailureOr<ArrayRef<char>> p = evaluate(in);
      if (failed(p))
        return failure();
      parts.push_back(*p);
    }
    out.reserve(type.getNumElements() * width);
    for (int64_t o = 0; o < outer; ++o)
      for (auto [in, p] : llvm::zip(cat.getInputs(), parts)) {
        int64_t chunk =
            cast<RankedTensorType>(in.getType()).getDimSize(axis) * inner * width;
        out.insert(out.end(), p.begin() + o * chunk, p.begin() + (o + 1) * chunk);
      }
    for (Value in : cat.getInputs())
      forget(in);
  } else if (auto c = dyn_cast<CastOp>(op)) {
    FailureOr<ArrayRef<char>> in = evaluate(c.getInput());
    if (failed(in))
      return failure();
    const float *f = reinterpret_cast<const float *>(in->data());
    int64_t count = type.getNumElements();
    out.resize(count * 2);
    for (int64_t i = 0; i < count; ++i) {
      uint16_t h = floatToHalf(f[i]);
      memcpy(out.data() + 2 * i, &h, 2);
    }
    forget(c.getInput());
  } else if (auto dq = dyn_cast<DequantizeNBitsOp>(op)) {
    if (!type.getElementType().isF32())
      return op->emitError() << "the weight packer dequantizes to f32 only",
             failure();
    BlockQuantResult q;
    FailureOr<ArrayRef<char>> codes = evaluate(dq.getCodes());
    if (failed(codes))
      return failure();
    q.codes.assign(codes->begin(), codes->end());
    FailureOr<ArrayRef<char>> scales = evaluate(dq.getScales());
    if (failed(scales))
      return failure();
    Type st = getElementTypeOrSelf(dq.getScales().getType());
    int64_t ns = cast<RankedTensorType>(dq.getScales().getType()).getNumElements();
    for (int64_t i = 0; i < ns; ++i) {
      if (st.isF16()) {
        uint16_t h;
        memcpy(&h, scales->data() + 2 * i, 2);
        q.scales.push_back(halfToFloat(h));
      } else {
        float f;
        memcpy(&f, scales->data() + 4 * i, 4);
        q.scales.push_back(f);
      }
    }
    if (dq.getZeroPoints()) {
      FailureOr<ArrayRef<char>> zp = evaluate(dq.getZeroPoints());
      if (failed(zp))
        return failure();
      q.zeroPoints.assign(zp->begin(), zp->end());
    }
    BlockQuantParams p;
    p.bits = dq.getBits();
    p.blockSize = dq.getBlockSize();
    p.symmetric = !dq.getZeroPoints();
    int64_t rows = type.getDimSize(0), k = dq.getK();
    // dequantizeBlockwise returns [K, N]; the op's result is [N, K].
    std::vector<float> kn = dequantizeBlockwise(q, k, rows, p);
    out.resize(rows * k * 4);
    float *dst = reinterpret_cast<float *>(out.data());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t j = 0; j < k; ++j)
        dst[r * k + j] = kn[j * rows + r];
  } else if (auto tr = dyn_cast<TransposeOp>(op)) {
    if (type.getRank() != 2 || tr.getPerm() != ArrayRef<int64_t>{1, 0})
      return op->emitError() << "the weight packer transposes 2-D weights only",
             failure();
    FailureOr<ArrayRef<char>> in = evaluate(tr.getInput());
    if (failed(in))
      return failure();
    int64_t r = type.getDimSize(1), c = type.getDimSize(0);
    out.resize(in->size());
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < c; ++j)
        memcpy(out.data() + (j * r + i) * width, in->data() + (i * c + j) * width,
               width);
    forget(tr.getInput());
  } else if (auto q = dyn_cast<QuantizeNBitsOp>(op)) {
    auto wt = cast<RankedTensorType>(q.getWeight().getType());
    if (!wt.getElementType().isF32())
      return op->emitError() << "the weight packer quantizes f32 weights only",
             failure();
    Type scaleType = q.getScales().getType().getElementType();
    if (!scaleType.isF32() && !scaleType.isF16())
      return op->emitError() << "the weight packer writes f32 or f16 scales",
             failure();
    FailureOr<ArrayRef<char>> w = evaluate(q.getWeight());
    if (failed(w))
      return failure();
    BlockQuantParams p;
    p.bits = q.getBits();
    p.blockSize = q.getBlockSize();
    p.symmetric = q.getSymmetric();
    p.search = q.getSearch();
    p.halfScales = scaleType.isF16();
    BlockQuantResult r =
        quantizeBlockwise(reinterpret_cast<const float *>(w->data()),
                          wt.getDimSize(0), wt.getDimSize(1), p);
    forget(q.getWeight());
    auto bytesOf = [](const auto &vec) {
      const char *b = reinterpret_cast<const char *>(vec.data());
      return std::vector<char>(b, b + vec.size() * sizeof(vec[0]));
    };
    cache[q.getCodes()] = bytesOf(r.codes);
    if (p.halfScales) {
      std::vector<uint16_t> half(r.scales.size());
      for (size_t i = 0; i < half.size(); ++i)
        half[i] = floatToHalf(r.scales[i]);
      cache[q.getScales()] = bytesOf(half);
    } else {
      cache[q.getScales()] = bytesOf(r.scales);
    }
    if (q.getZeroPoints())
      cache[q.getZeroPoints()] = bytesOf(r.zeroPoints);
    return ArrayRef<char>(cache[v]);
  }
  if ((int64_t)out.size() != type.getNumElements() * width)
    return op->emitError() << "weight expression evaluated to " << out.size()
                           << " bytes, expected "
                           << type.getNumElements() * width,
           failure();
  auto &slot = cache[v];
  slot = std::move(out);
  return ArrayRef<char>(slot);
}
