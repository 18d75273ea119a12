//===- ExportONNX.cpp - phi IR to an ONNX model ---------------------------===//
//
// One ONNX node (or a short fixed sequence) per phi op, in program order.
// Operands that are weight expressions become initializers, evaluated by the
// weight packer and streamed into external data one at a time. Ops without
// an ONNX form in the chosen style stop the export with an error naming the
// op; no file is left behind (outputs are written to temporaries and
// renamed on success).
//
//===----------------------------------------------------------------------===//

#include "phi/Target/ONNX.h"

#include "onnx_subset.pb.h"
#include "phi/Dialect/Phi/PhiOps.h"
#include "phi/Quant/BlockQuant.h"
#include "phi/Weights/Weights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <array>
#include <cmath>
#include <cstring>
#include <map>

using namespace mlir;
using namespace mlir::phi;
namespace pb = ::phi::onnx;

namespace {

/// ONNX opset written (21: blocked DequantizeLinear; Shape start/end;
/// ReduceMean and Squeeze/Unsqueeze axes as inputs).
constexpr int64_t kOpset = 21;

int32_t onnxType(Type t) {
  if (t.isF32()) return 1;
  if (t.isUnsignedInteger(8)) return 2;
  if (t.isSignlessInteger(8)) return 3;
  if (t.isSignlessInteger(16)) return 5;
  if (t.isSignlessInteger(32)) return 6;
  if (t.isSignlessInteger(64)) return 7;
  if (t.isInteger(1)) return 9;
  if (t.isF16()) return 10;
  if (t.isF64()) return 11;
  if (t.isBF16()) return 16;
  return 0;
}

class Exporter {
public:
  Exporter(ModuleOp module, const ONNXExportOptions &opts, llvm::raw_ostream *data,
           std::string dataLocation)
      : module(module), opts(opts), eval(module), data(data),
        dataLocation(std::move(dataLocation)) {}

  LogicalResult run(pb::ModelProto &model);

private:
  // Names.
  std::string fresh(llvm::StringRef base) {
    std::string s = base.empty() ? "v" : base.str();
    for (char &c : s)
      if (!llvm::isAlnum(c) && c != '_' && c != '.' && c != '/')
        c = '_';
    std::string name = s;
    for (int i = 1; !used.insert(name).second; ++i)
      name = s + "_" + std::to_string(i);
    return name;
  }
  static std::string locName(Location loc) {
    if (auto n = dyn_cast<NameLoc>(loc))
      return n.getName().str();
    if (auto f = dyn_cast<FusedLoc>(loc))
      for (Location l : f.getLocations())
        if (auto n = dyn_cast<NameLoc>(l))
          return n.getName().str();
    return "";
  }

  // Graph building.
  pb::NodeProto *node(llvm::StringRef opType, ArrayRef<std::string> ins,
                      ArrayRef<std::string> outs, llvm::StringRef domain = "",
                      Operation *from = nullptr) {
    pb::NodeProto *n = graph->add_node();
    n->set_op_type(opType.str());
    if (!domain.empty())
      n->set_domain(domain.str());
    n->set_name(fresh(from && !locName(from->getLoc()).empty()
                          ? locName(from->getLoc())
                          : opType.str()));
    for (const std::string &i : ins)
      n->add_input(i);
    for (const std::string &o : outs)
      n->add_output(o);
    return n;
  }
  static void attrInt(pb::NodeProto *n, llvm::StringRef k, int64_t v) {
    auto *a = n->add_attribute();
    a->set_name(k.str());
    a->set_type(pb::AttributeProto::INT);
    a->set_i(v);
  }
  static void attrFloat(pb::NodeProto *n, llvm::StringRef k, float v) {
    auto *a = n->add_attribute();
    a->set_name(k.str());
    a->set_type(pb::AttributeProto::FLOAT);
    a->set_f(v);
  }
  static void attrInts(pb::NodeProto *n, llvm::StringRef k, ArrayRef<int64_t> v) {
    auto *a = n->add_attribute();
    a->set_name(k.str());
    a->set_type(pb::AttributeProto::INTS);
    for (int64_t x : v)
      a->add_ints(x);
  }

  /// An initializer from raw bytes (external data when a data stream is set
  /// and the tensor is not tiny).
  std::string addInitializer(llvm::StringRef base, int32_t type,
                             ArrayRef<int64_t> dims, ArrayRef<char> bytes) {
    std::string name = fresh(base);
    pb::TensorProto *t = graph->add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (int64_t d : dims)
      t->add_dims(d);
    if (data && bytes.size() >= 128) {
      while (dataOffset % 64) {
        data->write('\0');
        ++dataOffset;
      }
      data->write(bytes.data(), bytes.size());
      t->set_data_location(pb::TensorProto::EXTERNAL);
      auto kv = [&](const char *k, std::string v) {
        auto *e = t->add_external_data();
        e->set_key(k);
        e->set_value(std::move(v));
      };
      kv("location", dataLocation);
      kv("offset", std::to_string(dataOffset));
      kv("length", std::to_string(bytes.size()));
      dataOffset += bytes.size();
    } else {
      t->set_raw_data(std::string(bytes.data(), bytes.size()));
    }
    return name;
  }
  std::string i64Initializer(llvm::StringRef base, ArrayRef<int64_t> v,
                             bool scalar = false) {
    SmallVector<int64_t> dims;
    if (!scalar)
      dims.push_back(v.size());
    return addInitializer(base, 7, dims,
                          ArrayRef<char>(reinterpret_cast<const char *>(v.data()),
                                         v.size() * 8));
  }
  std::string f32Initializer(llvm::StringRef base, float v) {
    return addInitializer(base, 1, {},
                          ArrayRef<char>(reinterpret_cast<const char *>(&v), 4));
  }

  /// The ONNX name of an operand, materializing weight expressions.
  FailureOr<std::string> use(Value v) {
    if (!v)
      return std::string();
    auto it = names.find(v);
    if (it != names.end())
      return it->second;
    if (!WeightEvaluator::isWeightExpression(v)) {
      (v.getDefiningOp() ? v.getDefiningOp()->emitError() : emitError(v.getLoc()))
          << "value has no ONNX name (used before it is defined?)";
      return failure();
    }
    auto t = cast<RankedTensorType>(v.getType());
    int32_t type = onnxType(t.getElementType());
    if (!type)
      return v.getDefiningOp()->emitError()
                 << "element type " << t.getElementType()
                 << " has no ONNX equivalent",
             failure();
    FailureOr<ArrayRef<char>> bytes = eval.evaluate(v);
    if (failed(bytes))
      return failure();
    std::string base = WeightEvaluator::nameOf(v);
    if (auto q = v.getDefiningOp<QuantizeNBitsOp>()) {
      std::string w = WeightEvaluator::nameOf(q.getWeight());
      unsigned idx = cast<OpResult>(v).getResultNumber();
      base = w + (idx == 0 ? "_Q" + std::to_string(q.getBits())
                  : idx == 1 ? std::string("_scales")
                             : std::string("_zero_points"));
    }
    if (base.empty())
      base = "const";
    std::string name = addInitializer(base, type, t.getShape(), *bytes);
    eval.forget(v);
    names[v] = name;
    return name;
  }

  FailureOr<SmallVector<std::string>> uses(ValueRange vs) {
    SmallVector<std::string> out;
    for (Value v : vs) {
      FailureOr<std::string> n = use(v);
      if (failed(n))
        return failure();
      out.push_back(*n);
    }
    return out;
  }

  std::string define(Value v, llvm::StringRef base) {
    auto it = names.find(v);
    if (it != names.end())
      return it->second; // pre-assigned graph output name
    std::string n = fresh(base);
    names[v] = n;
    return n;
  }

  void addValueInfo(pb::ValueInfoProto *vi, llvm::StringRef name, Type type,
                    bool symbolic) {
    vi->set_name(name.str());
    auto *tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(onnxType(getElementTypeOrSelf(type)));
    auto r = dyn_cast<RankedTensorType>(type);
    if (!r)
      return;
    auto *shape = tt->mutable_shape();
    for (auto [i, d] : llvm::enumerate(r.getShape())) {
      auto *dim = shape->add_dim();
      if (!ShapedType::isDynamic(d))
        dim->set_dim_value(d);
      else if (symbolic)
        dim->set_dim_param(name.str() + "_d" + std::to_string(i));
    }
  }

  LogicalResult emit(Operation *op);
  LogicalResult emitRMSNorm(RMSNormOp op);
  LogicalResult emitMatMulNBits(MatMulNBitsOp op);
  LogicalResult emitRotary(RotaryOp op);
  LogicalResult emitAttention(AttentionOp op);
  LogicalResult emitGroupQueryAttention(AttentionOp op);
  LogicalResult emitDecomposedAttention(AttentionOp op);

  // Attention fusion (ort style): attentions whose q and k are phi.rotary of
  // the heads of one packed QKV projection, at positions past_len + [0, S),
  // become one GroupQueryAttention with do_rotary (what the onnxruntime-genai
  // builder writes and the importer reads back).
  struct GQAPlan {
    Value packed;             // [B, S, (H + 2 Hkv) D]
    RotaryOp rotary;          // the rotary of q (k's has the same attributes)
    Operation *outReshape = nullptr; // transpose + reshape back to [B, S, H D]
  };
  void planFusions(func::FuncOp fn);
  llvm::DenseMap<Operation *, GQAPlan> gqaPlans;
  llvm::DenseSet<Operation *> skipped;

  /// cos/sin caches [context, rotary_dim / 2] (mscale folded in) for the
  /// short and, with LongRoPE, the long factors. Returns {cos, sin} tensors.
  std::pair<std::vector<char>, std::vector<char>>
  ropeCache(RotaryOp op, bool longFactors, Type elem, int64_t rows);
  /// Names of seqlens_k (int32 [B]), total_sequence_length (int32 scalar)
  /// and the total length as int64 scalar, derived once per mask.
  struct MaskInfo {
    std::string seqlensK, totalI32, totalI64;
  };
  MaskInfo maskInfo(const std::string &mask);
  std::map<std::string, MaskInfo> maskInfos;
  std::map<std::string, std::array<std::string, 4>> ropeNames; // key: attrs
  std::map<std::pair<void *, std::string>, std::pair<std::string, std::string>>
      gatheredRope; // (positions, attrs) -> gathered [B, 1, S, rd] cos/sin
  std::string ropeKey(RotaryOp op, Type elem);
  std::string scalarI64(int64_t v) { return i64Initializer("c", {v}, true); }
  std::string castTo(const std::string &in, int32_t type, Operation *from) {
    std::string out = fresh(in + "_cast");
    attrInt(node("Cast", {in}, {out}, "", from), "to", type);
    return out;
  }
  void eliminateDeadNodes();

  ModuleOp module;
  const ONNXExportOptions &opts;
  WeightEvaluator eval;
  llvm::raw_ostream *data;
  std::string dataLocation;
  uint64_t dataOffset = 0;
  pb::GraphProto *graph = nullptr;
  llvm::DenseMap<Value, std::string> names;
  llvm::StringSet<> used;
  bool usesContrib = false;
  int64_t contextLength = 4096;
};

LogicalResult Exporter::emitRMSNorm(RMSNormOp op) {
  FailureOr<std::string> x = use(op.getInput()), w = use(op.getWeight()),
                         skip = use(op.getSkip());
  if (failed(x) || failed(w) || failed(skip))
    return failure();
  std::string out = define(op.getOutput(), "rms_norm");
  std::string res = op.getResidual() ? define(op.getResidual(), "residual") : "";
  float eps = op.getEpsilon().convertToFloat();
  if (opts.style == ONNXExportOptions::Style::ORT) {
    if (op.getSkip()) {
      usesContrib = true;
      auto *n = node("SkipSimplifiedLayerNormalization", {*x, *skip, *w},
                     {out, "", "", res}, "com.microsoft", op);
      if (res.empty())
        n->mutable_output()->DeleteSubrange(1, 3);
      attrFloat(n, "epsilon", eps);
    } else {
      auto *n = node("SimplifiedLayerNormalization", {*x, *w}, {out}, "", op);
      attrFloat(n, "epsilon", eps);
      attrInt(n, "axis", -1);
      attrInt(n, "stash_type", 1);
    }
    return success();
  }
  // qdq: standard ops. x + skip, x^2, mean, + eps, sqrt, divide, scale.
  std::string s = *x;
  if (op.getSkip()) {
    s = res.empty() ? fresh("rms_sum") : res;
    node("Add", {*x, *skip}, {s}, "", op);
  }
  std::string sq = fresh("rms_sq"), mean = fresh("rms_mean"), var = fresh("rms_var"),
              rms = fresh("rms_rms"), norm = fresh("rms_norm");
  node("Mul", {s, s}, {sq}, "", op);
  auto *m = node("ReduceMean", {sq, i64Initializer("axes", {-1})}, {mean}, "", op);
  attrInt(m, "keepdims", 1);
  Type et = getElementTypeOrSelf(op.getInput().getType());
  std::string epsName;
  if (et.isF16()) {
    uint16_t h = floatToHalf(eps);
    epsName = addInitializer("eps", 10, {}, ArrayRef<char>(reinterpret_cast<const char *>(&h), 2));
  } else {
    epsName = f32Initializer("eps", eps);
  }
  node("Add", {mean, epsName}, {var}, "", op);
  node("Sqrt", {var}, {rms}, "", op);
  node("Div", {s, rms}, {norm}, "", op);
  node("Mul", {norm, *w}, {out}, "", op);
  return success();
}

LogicalResult Exporter::emitMatMulNBits(MatMulNBitsOp op) {
  int64_t bits = op.getBits(), bs = op.getBlockSize(), k = op.getK(), n = op.getN();
  FailureOr<std::string> a = use(op.getInput());
  if (failed(a))
    return failure();
  std::string out = define(op.getResult(), "matmul_nbits");
  if (getElementTypeOrSelf(op.getInput().getType()) !=
      getElementTypeOrSelf(op.getScales().getType()))
    return op.emitError() << "ONNX needs the scales in the activation type ("
                          << getElementTypeOrSelf(op.getInput().getType())
                          << ")",
           failure();
  if (opts.style == ONNXExportOptions::Style::ORT) {
    FailureOr<SmallVector<std::string>> ins =
        uses({op.getB(), op.getScales()});
    FailureOr<std::string> zp = use(op.getZeroPoints());
    if (failed(ins) || failed(zp))
      return failure();
    SmallVector<std::string> all = {*a, (*ins)[0], (*ins)[1]};
    if (op.getZeroPoints())
      all.push_back(*zp);
    usesContrib = true;
    auto *nd = node("MatMulNBits", all, {out}, "com.microsoft", op);
    attrInt(nd, "K", k);
    attrInt(nd, "N", n);
    attrInt(nd, "bits", bits);
    attrInt(nd, "block_size", bs);
    if (opts.accuracyLevel >= 0)
      attrInt(nd, "accuracy_level", opts.accuracyLevel);
    else if (auto acc = op->getAttrOfType<IntegerAttr>("onnx.accuracy_level"))
      attrInt(nd, "accuracy_level", acc.getInt());
    return success();
  }
  // qdq: DequantizeLinear (opset 21, blocked along K) of a [K, N] INT4/INT8
  // (symmetric) or UINT4/UINT8 (with zero points) tensor, then MatMul.
  FailureOr<ArrayRef<char>> codes = eval.evaluate(op.getB());
  if (failed(codes))
    return failure();
  std::vector<char> c(codes->begin(), codes->end());
  FailureOr<ArrayRef<char>> scales = eval.evaluate(op.getScales());
  if (failed(scales))
    return failure();
  std::vector<char> s(scales->begin(), scales->end());
  std::vector<char> z;
  if (op.getZeroPoints()) {
    FailureOr<ArrayRef<char>> zp = eval.evaluate(op.getZeroPoints());
    if (failed(zp))
      return failure();
    z.assign(zp->begin(), zp->end());
  }
  int64_t blocks = (k + bs - 1) / bs, blob = (bs * bits + 7) / 8;
  int64_t zpRow = (blocks * bits + 7) / 8;
  bool sym = !op.getZeroPoints();
  int mid = 1 << (bits - 1);
  auto code = [&](int64_t row, int64_t kk) {
    int64_t b = kk / bs, w = kk % bs;
    uint8_t byte = uint8_t(c[(row * blocks + b) * blob + w * bits / 8]);
    return bits == 8 ? int(byte) : int(w % 2 ? byte >> 4 : byte & 0xF);
  };
  auto zpOf = [&](int64_t row, int64_t b) {
    if (sym)
      return mid;
    uint8_t byte = uint8_t(z[row * zpRow + b * bits / 8]);
    return bits == 8 ? int(byte) : int(b % 2 ? byte >> 4 : byte & 0xF);
  };
  // Values [K, N] row-major; 4-bit packs two per byte, low nibble first.
  std::vector<char> q(bits == 8 ? k * n : (k * n + 1) / 2, 0);
  for (int64_t kk = 0; kk < k; ++kk)
    for (int64_t row = 0; row < n; ++row) {
      int v = code(row, kk) - (sym ? mid : 0);
      int64_t idx = kk * n + row;
      if (bits == 8)
        q[idx] = char(v);
      else
        q[idx / 2] = char(uint8_t(q[idx / 2]) | ((v & 0xF) << (idx % 2 ? 4 : 0)));
    }
  int64_t sw = getElementTypeOrSelf(op.getScales().getType()).isF16() ? 2 : 4;
  std::vector<char> st(blocks * n * sw);
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t row = 0; row < n; ++row)
      memcpy(st.data() + (b * n + row) * sw, s.data() + (row * blocks + b) * sw, sw);
  std::string wName = WeightEvaluator::nameOf(op.getB());
  if (auto qop = op.getB().getDefiningOp<QuantizeNBitsOp>())
    wName = WeightEvaluator::nameOf(qop.getWeight());
  if (wName.empty())
    wName = "weight";
  // 4-bit: INT4 = 22 / UINT4 = 21; 8-bit: INT8 = 3 / UINT8 = 2.
  int32_t qt = bits == 8 ? (sym ? 3 : 2) : (sym ? 22 : 21);
  std::string qn = addInitializer(wName + "_q", qt, {k, n}, q);
  std::string sn = addInitializer(wName + "_scale", sw == 2 ? 10 : 1, {blocks, n}, st);
  SmallVector<std::string> dqIns = {qn, sn};
  if (!sym) {
    std::vector<char> zt(bits == 8 ? blocks * n : (blocks * n + 1) / 2, 0);
    for (int64_t b = 0; b < blocks; ++b)
      for (int64_t row = 0; row < n; ++row) {
        int64_t idx = b * n + row;
        int v = zpOf(row, b);
        if (bits == 8)
          zt[idx] = char(v);
        else
          zt[idx / 2] = char(uint8_t(zt[idx / 2]) | ((v & 0xF) << (idx % 2 ? 4 : 0)));
      }
    dqIns.push_back(addInitializer(wName + "_zero_point", qt, {blocks, n}, zt));
  }
  std::string deq = fresh(wName + "_dequantized");
  auto *dq = node("DequantizeLinear", dqIns, {deq}, "", op);
  attrInt(dq, "axis", 0);
  attrInt(dq, "block_size", bs);
  node("MatMul", {*a, deq}, {out}, "", op);
  eval.forget(op.getB());
  eval.forget(op.getScales());
  if (op.getZeroPoints())
    eval.forget(op.getZeroPoints());
  return success();
}

//===----------------------------------------------------------------------===//
// Rotary embedding and attention
//===----------------------------------------------------------------------===//

std::string Exporter::ropeKey(RotaryOp op, Type elem) {
  std::string key;
  llvm::raw_string_ostream os(key);
  os << op.getThetaAttr() << op.getRotaryDimAttr() << op.getMscaleAttr()
     << op.getShortFactorAttr() << op.getLongFactorAttr()
     << op.getOriginalMaxPositionsAttr() << elem;
  return key;
}

std::pair<std::vector<char>, std::vector<char>>
Exporter::ropeCache(RotaryOp op, bool longFactors, Type elem, int64_t ctx) {
  int64_t rd = op.getRotaryDim(), half = rd / 2;
  std::optional<ArrayRef<float>> f =
      longFactors ? op.getLongFactor() : op.getShortFactor();
  float theta = op.getTheta().convertToFloat(),
        mscale = op.getMscale().convertToFloat();
  bool f16 = elem.isF16();
  int64_t w = f16 ? 2 : 4;
  std::vector<char> cosB(ctx * half * w), sinB(ctx * half * w);
  // inv_freq and the angle in f32 as Hugging Face and the genai builder
  // compute them.
  SmallVector<float> inv;
  for (int64_t i = 0; i < half; ++i) {
    float base = std::pow(theta, float(2 * i) / float(rd));
    inv.push_back(1.0f / ((f ? (*f)[i] : 1.0f) * base));
  }
  for (int64_t p = 0; p < ctx; ++p)
    for (int64_t i = 0; i < half; ++i) {
      double ang = double(float(p) * inv[i]);
      // cos/sin rounded to f32, then scaled in f32, as torch computes the
      // builder's caches.
      float c = float(std::cos(ang)) * mscale, s = float(std::sin(ang)) * mscale;
      int64_t at = (p * half + i) * w;
      if (f16) {
        uint16_t hc = floatToHalf(c), hs = floatToHalf(s);
        memcpy(&cosB[at], &hc, 2);
        memcpy(&sinB[at], &hs, 2);
      } else {
        memcpy(&cosB[at], &c, 4);
        memcpy(&sinB[at], &s, 4);
      }
    }
  return {std::move(cosB), std::move(sinB)};
}

LogicalResult Exporter::emitRotary(RotaryOp op) {
  FailureOr<std::string> x = use(op.getInput()), pos = use(op.getPositionIds());
  if (failed(x) || failed(pos))
    return failure();
  auto xt = cast<RankedTensorType>(op.getInput().getType());
  if (xt.getRank() != 4 || xt.isDynamicDim(3))
    return op.emitError() << "exporting rotary needs [B, H, S, D] with a static D",
           failure();
  Type et = xt.getElementType();
  int32_t type = onnxType(et);
  int64_t d = xt.getDimSize(3), rd = op.getRotaryDim(), half = rd / 2;
  bool isLong = op.getLongFactor().has_value();
  std::string key = ropeKey(op, et);
  // Caches, shared by every rotary with the same attributes.
  auto cachesIt = ropeNames.find(key);
  if (cachesIt == ropeNames.end()) {
    std::array<std::string, 4> n;
    for (int l = 0; l < (isLong ? 2 : 1); ++l) {
      auto [c, s] = ropeCache(op, l == 1, et, contextLength);
      n[2 * l] = addInitializer(l ? "cos_cache_long" : "cos_cache", type,
                                {contextLength, half}, c);
      n[2 * l + 1] = addInitializer(l ? "sin_cache_long" : "sin_cache", type,
                                    {contextLength, half}, s);
    }
    cachesIt = ropeNames.emplace(key, n).first;
  }
  const std::array<std::string, 4> &caches = cachesIt->second;
  // cos/sin rows for these positions, shared by q and k.
  auto g = gatheredRope.find({op.getPositionIds().getAsOpaquePointer(), key});
  if (g == gatheredRope.end()) {
    auto gather = [&](const std::string &cache) {
      std::string out = fresh(cache + "_rows");
      attrInt(node("Gather", {cache, *pos}, {out}, "", op), "axis", 0);
      return out;
    };
    std::string c = gather(caches[0]), s = gather(caches[1]);
    if (isLong) {
      // Long factors when max(position_ids) + 1 > original_max_positions.
      std::string mx = fresh("rope_max_pos"), len = fresh("rope_len"),
                  cond = fresh("rope_use_long"), c2 = fresh("rope_cos"),
                  s2 = fresh("rope_sin");
      std::string p64 = *pos;
      if (!getElementTypeOrSelf(op.getPositionIds().getType()).isInteger(64))
        p64 = castTo(*pos, 7, op);
      attrInt(node("ReduceMax", {p64}, {mx}, "", op), "keepdims", 0);
      node("Add", {mx, scalarI64(1)}, {len}, "", op);
      node("Greater", {len, scalarI64(*op.getOriginalMaxPositions())}, {cond}, "",
           op);
      node("Where", {cond, gather(caches[2]), c}, {c2}, "", op);
      node("Where", {cond, gather(caches[3]), s}, {s2}, "", op);
      c = c2;
      s = s2;
    }
    // [B, S, rd/2] -> [B, 1, S, rd] (rotate-half pairs i with i + rd/2).
    auto widen = [&](const std::string &in) {
      std::string u = fresh(in + "_heads"), out = fresh(in + "_full");
      node("Unsqueeze", {in, i64Initializer("axes", {1})}, {u}, "", op);
      attrInt(node("Concat", {u, u}, {out}, "", op), "axis", -1);
      return out;
    };
    g = gatheredRope.emplace(std::make_pair(op.getPositionIds().getAsOpaquePointer(), key),
                             std::make_pair(widen(c), widen(s)))
            .first;
  }
  auto slice = [&](const std::string &in, int64_t b, int64_t e) {
    std::string out = fresh(in + "_slice");
    node("Slice", {in, i64Initializer("starts", {b}), i64Initializer("ends", {e}),
                   i64Initializer("axes", {3})},
         {out}, "", op);
    return out;
  };
  std::string xr = rd < d ? slice(*x, 0, rd) : *x;
  std::string x1 = slice(xr, 0, half), x2 = slice(xr, half, rd);
  std::string neg = fresh("rope_neg"), rh = fresh("rope_rotated"),
              a = fresh("rope_cos_term"), b = fresh("rope_sin_term");
  node("Neg", {x2}, {neg}, "", op);
  attrInt(node("Concat", {neg, x1}, {rh}, "", op), "axis", 3);
  node("Mul", {xr, g->second.first}, {a}, "", op);
  node("Mul", {rh, g->second.second}, {b}, "", op);
  std::string out = define(op.getResult(), "rotary");
  if (rd < d) {
    std::string r = fresh("rope_out");
    node("Add", {a, b}, {r}, "", op);
    attrInt(node("Concat", {r, slice(*x, rd, d)}, {out}, "", op), "axis", 3);
  } else {
    node("Add", {a, b}, {out}, "", op);
  }
  return success();
}

Exporter::MaskInfo Exporter::maskInfo(const std::string &mask) {
  auto it = maskInfos.find(mask);
  if (it != maskInfos.end())
    return it->second;
  // As the genai builder writes it: seqlens_k = ReduceSum(mask, 1) - 1,
  // total_sequence_length = shape(mask)[1], both int32.
  MaskInfo m;
  std::string sum = fresh("mask_sum"), sub = fresh("mask_sum_minus_1"),
              shape = fresh("mask_shape");
  attrInt(node("ReduceSum", {mask, i64Initializer("axes", {1})}, {sum}), "keepdims",
          0);
  node("Sub", {sum, scalarI64(1)}, {sub});
  m.seqlensK = fresh("seqlens_k");
  attrInt(node("Cast", {sub}, {m.seqlensK}), "to", 6);
  node("Shape", {mask}, {shape});
  m.totalI64 = fresh("total_sequence_length_i64");
  attrInt(node("Gather", {shape, scalarI64(1)}, {m.totalI64}), "axis", 0);
  m.totalI32 = fresh("total_sequence_length");
  attrInt(node("Cast", {m.totalI64}, {m.totalI32}), "to", 6);
  maskInfos[mask] = m;
  return m;
}

/// `v` = transpose<0,2,1,3>(reshape(x, [0, 0, heads, d])); returns x.
static Value headsSource(Value v) {
  auto t = v.getDefiningOp<TransposeOp>();
  if (!t || t.getPerm() != ArrayRef<int64_t>{0, 2, 1, 3} || !t->hasOneUse())
    return {};
  auto r = t.getInput().getDefiningOp<ReshapeOp>();
  if (!r || !r->hasOneUse())
    return {};
  return r.getInput();
}

/// `pos` is unsqueeze(range(len(past), len(past) + S, 1), 0) with
/// len(past) = shape(past)[2], the positions GroupQueryAttention derives.
static bool isPastRange(Value pos, Value past) {
  auto u = pos.getDefiningOp<UnsqueezeOp>();
  auto r = u ? u.getInput().getDefiningOp<RangeOp>() : RangeOp();
  auto sq = r ? r.getStart().getDefiningOp<SqueezeOp>() : SqueezeOp();
  auto sh = sq ? sq.getInput().getDefiningOp<ShapeOp>() : ShapeOp();
  auto add = r ? r.getLimit().getDefiningOp<AddOp>() : AddOp();
  return sh && add && sh.getInput() == past && sh.getStart() == 2 &&
         sh.getEnd() == std::optional<uint64_t>(3) &&
         (add.getLhs() == r.getStart() || add.getRhs() == r.getStart());
}

void Exporter::planFusions(func::FuncOp fn) {
  if (opts.style != ONNXExportOptions::Style::ORT)
    return;
  fn.walk([&](AttentionOp a) {
    if (!a.getPastKey() || !a.getMask() || !a.getCausal())
      return;
    auto rq = a.getQ().getDefiningOp<RotaryOp>(),
         rk = a.getK().getDefiningOp<RotaryOp>();
    if (!rq || !rk || !rq->hasOneUse() || !rk->hasOneUse() ||
        rq.getPositionIds() != rk.getPositionIds() ||
        rq->getAttrDictionary() != rk->getAttrDictionary() ||
        !isPastRange(rq.getPositionIds(), a.getPastKey()))
      return;
    Value q = headsSource(rq.getInput()), k = headsSource(rk.getInput()),
          v = headsSource(a.getV());
    auto split = q ? q.getDefiningOp<SplitOp>() : SplitOp();
    if (!split || split->getNumResults() != 3 || q != split.getResult(0) ||
        k != split.getResult(1) || v != split.getResult(2))
      return;
    auto vt = cast<RankedTensorType>(a.getV().getType());
    if (vt.isDynamicDim(3) || vt.getDimSize(3) != rq.getRotaryDim())
      return; // partial rotary: keep the explicit rotary
    GQAPlan plan{split.getInput(), rq, nullptr};
    skipped.insert(rq);
    skipped.insert(rk);
    // The output back in [B, S, H D] is what GroupQueryAttention returns.
    if (a.getOutput().hasOneUse())
      if (auto t = dyn_cast<TransposeOp>(*a.getOutput().getUsers().begin());
          t && t.getPerm() == ArrayRef<int64_t>{0, 2, 1, 3} && t->hasOneUse())
        if (auto r = dyn_cast<ReshapeOp>(*t->getUsers().begin());
            r && cast<RankedTensorType>(r.getType()).getRank() == 3) {
          plan.outReshape = r;
          skipped.insert(t);
          skipped.insert(r);
        }
    gqaPlans[a] = plan;
  });
}

LogicalResult Exporter::emitAttention(AttentionOp op) {
  if (gqaPlans.count(op) ||
      (opts.style == ONNXExportOptions::Style::ORT && op.getPastKey() &&
       op.getMask() && op.getCausal()))
    return emitGroupQueryAttention(op);
  return emitDecomposedAttention(op);
}

LogicalResult Exporter::emitGroupQueryAttention(AttentionOp op) {
  auto qt = cast<RankedTensorType>(op.getQ().getType());
  if (qt.isDynamicDim(3))
    return op.emitError() << "exporting attention needs a static head dim",
           failure();
  int64_t h = op.getNumHeads(), hkv = op.getNumKvHeads(), d = qt.getDimSize(3);
  FailureOr<std::string> mask = use(op.getMask()), pk = use(op.getPastKey()),
                         pv = use(op.getPastValue());
  if (failed(mask) || failed(pk) || failed(pv))
    return failure();
  MaskInfo m = maskInfo(*mask);
  auto plan = gqaPlans.find(op);
  SmallVector<std::string> ins;
  std::string cosName, sinName;
  if (plan != gqaPlans.end()) {
    FailureOr<std::string> packed = use(plan->second.packed);
    if (failed(packed))
      return failure();
    ins = {*packed, "", ""};
    RotaryOp r = plan->second.rotary;
    Type et = qt.getElementType();
    int32_t type = onnxType(et);
    int64_t half = r.getRotaryDim() / 2;
    std::string key = "gqa" + ropeKey(r, et);
    auto it = ropeNames.find(key);
    if (it == ropeNames.end()) {
      std::array<std::string, 4> n;
      if (!r.getLongFactor()) {
        auto [c, s] = ropeCache(r, false, et, contextLength);
        n[0] = addInitializer("cos_cache", type, {contextLength, half}, c);
        n[1] = addInitializer("sin_cache", type, {contextLength, half}, s);
      } else {
        // The builder's LongRoPE selection: If(total > original_max) with the
        // long caches in the then branch and the short ones in the else
        // branch, each a Constant (the importer reads this shape back).
        n[0] = fresh("cos_cache");
        n[1] = fresh("sin_cache");
        std::string cond = fresh("rope_use_long");
        node("Greater",
             {m.totalI64, scalarI64(*r.getOriginalMaxPositions())}, {cond});
        auto *ifNode = node("If", {cond}, {n[0], n[1]}, "", r);
        for (int l = 1; l >= 0; --l) {
          auto *a = ifNode->add_attribute();
          a->set_name(l ? "then_branch" : "else_branch");
          a->set_type(pb::AttributeProto::GRAPH);
          pb::GraphProto *g = a->mutable_g();
          g->set_name(l ? "long_rope" : "short_rope");
          // The short caches are read only up to original_max rows.
          int64_t rows = l ? contextLength
                           : std::min<int64_t>(contextLength,
                                               *r.getOriginalMaxPositions());
          auto [c, s] = ropeCache(r, l == 1, et, rows);
          for (int which = 0; which < 2; ++which) {
            std::string out = fresh(std::string(which ? "sin" : "cos") +
                                    (l ? "_cache_long" : "_cache_short"));
            pb::NodeProto *cn = g->add_node();
            cn->set_op_type("Constant");
            cn->set_name(out);
            cn->add_output(out);
            auto *va = cn->add_attribute();
            va->set_name("value");
            va->set_type(pb::AttributeProto::TENSOR);
            pb::TensorProto *t = va->mutable_t();
            t->set_data_type(type);
            t->add_dims(rows);
            t->add_dims(half);
            const std::vector<char> &bytes = which ? s : c;
            t->set_raw_data(std::string(bytes.data(), bytes.size()));
            auto *vi = g->add_output();
            vi->set_name(out);
            auto *tt = vi->mutable_type()->mutable_tensor_type();
            tt->set_elem_type(type);
            tt->mutable_shape()->add_dim()->set_dim_value(rows);
            tt->mutable_shape()->add_dim()->set_dim_value(half);
          }
        }
      }
      it = ropeNames.emplace(key, n).first;
    }
    cosName = it->second[0];
    sinName = it->second[1];
  } else {
    // Rotary (if any) already applied: q, k, v back to [B, S, N D].
    auto flat = [&](Value v, int64_t heads) -> FailureOr<std::string> {
      FailureOr<std::string> in = use(v);
      if (failed(in))
        return failure();
      std::string t = fresh(*in + "_bshd"), r = fresh(*in + "_bsd");
      attrInts(node("Transpose", {*in}, {t}, "", op), "perm", {0, 2, 1, 3});
      node("Reshape", {t, i64Initializer("shape", {0, 0, heads * d})}, {r}, "", op);
      return r;
    };
    FailureOr<std::string> q = flat(op.getQ(), h), k = flat(op.getK(), hkv),
                           v = flat(op.getV(), hkv);
    if (failed(q) || failed(k) || failed(v))
      return failure();
    ins = {*q, *k, *v};
  }
  ins.append({*pk, *pv, m.seqlensK, m.totalI32});
  if (!cosName.empty())
    ins.append({cosName, sinName});
  std::string out;
  if (plan != gqaPlans.end() && plan->second.outReshape)
    out = define(plan->second.outReshape->getResult(0), "attention");
  else
    out = fresh("attention_bsd");
  std::string present_k = define(op.getPresentKey(), "present_key"),
              present_v = define(op.getPresentValue(), "present_value");
  usesContrib = true;
  auto *n = node("GroupQueryAttention", ins, {out, present_k, present_v},
                 "com.microsoft", op);
  attrInt(n, "num_heads", h);
  attrInt(n, "kv_num_heads", hkv);
  attrFloat(n, "scale", op.getScale().convertToFloat());
  attrInt(n, "local_window_size", -1);
  attrFloat(n, "softcap", 0.0f);
  attrInt(n, "do_rotary", cosName.empty() ? 0 : 1);
  attrInt(n, "rotary_interleaved", 0);
  if (plan == gqaPlans.end() || !plan->second.outReshape) {
    std::string r = fresh("attention_bshd");
    node("Reshape", {out, i64Initializer("shape", {0, 0, h, d})}, {r}, "", op);
    attrInts(node("Transpose", {r}, {define(op.getOutput(), "attention")}, "", op),
             "perm", {0, 2, 1, 3});
  }
  return success();
}

LogicalResult Exporter::emitDecomposedAttention(AttentionOp op) {
  auto qt = cast<RankedTensorType>(op.getQ().getType());
  Type et = qt.getElementType();
  int64_t h = op.getNumHeads(), hkv = op.getNumKvHeads();
  FailureOr<SmallVector<std::string>> qkv =
      uses({op.getQ(), op.getK(), op.getV()});
  FailureOr<std::string> pk = use(op.getPastKey()), pv = use(op.getPastValue()),
                         mask = use(op.getMask());
  if (failed(qkv) || failed(pk) || failed(pv) || failed(mask))
    return failure();
  std::string q = (*qkv)[0], k = (*qkv)[1], v = (*qkv)[2];
  std::string presentK = define(op.getPresentKey(), "present_key"),
              presentV = define(op.getPresentValue(), "present_value");
  if (op.getPastKey()) {
    attrInt(node("Concat", {*pk, k}, {presentK}, "", op), "axis", 2);
    attrInt(node("Concat", {*pv, v}, {presentV}, "", op), "axis", 2);
  } else {
    node("Identity", {k}, {presentK}, "", op);
    node("Identity", {v}, {presentV}, "", op);
  }
  // Grouped query: KV head j serves query heads [j G, (j + 1) G).
  auto repeat = [&](const std::string &kv) {
    if (h == hkv)
      return kv;
    std::string u = fresh(kv + "_groups"), e = fresh(kv + "_expanded"),
                r = fresh(kv + "_repeated");
    node("Unsqueeze", {kv, i64Initializer("axes", {2})}, {u}, "", op);
    node("Expand", {u, i64Initializer("shape", {1, 1, h / hkv, 1, 1})}, {e}, "", op);
    node("Reshape", {e, i64Initializer("shape", {0, h, -1, qt.getDimSize(3)})}, {r},
         "", op);
    return r;
  };
  std::string kr = repeat(presentK), vr = repeat(presentV);
  std::string kt = fresh("attn_key_t"), scores = fresh("attn_scores");
  attrInts(node("Transpose", {kr}, {kt}, "", op), "perm", {0, 1, 3, 2});
  node("MatMul", {q, kt}, {scores}, "", op);
  if (!et.isF32())
    scores = castTo(scores, 1, op); // softmax in f32
  std::string scaled = fresh("attn_scaled");
  node("Mul", {scores, f32Initializer("scale", op.getScale().convertToFloat())},
       {scaled}, "", op);
  // allowed[b, 0, i, j]: key j is at or before query i's absolute position
  // (past_len + i) and not padding.
  std::string allowed;
  if (op.getCausal()) {
    std::string ts = fresh("attn_total_shape"), ss = fresh("attn_seq_shape"),
                t = fresh("attn_total"), s = fresh("attn_seq"), p = fresh("attn_past"),
                rows = fresh("attn_query_pos"), cols = fresh("attn_key_pos"),
                r2 = fresh("attn_query_pos_col"), c2 = fresh("attn_key_pos_row");
    auto *a = node("Shape", {presentK}, {ts}, "", op);
    attrInt(a, "start", 2);
    attrInt(a, "end", 3);
    auto *b = node("Shape", {q}, {ss}, "", op);
    attrInt(b, "start", 2);
    attrInt(b, "end", 3);
    node("Squeeze", {ts, i64Initializer("axes", {0})}, {t}, "", op);
    node("Squeeze", {ss, i64Initializer("axes", {0})}, {s}, "", op);
    node("Sub", {t, s}, {p}, "", op);
    node("Range", {p, t, scalarI64(1)}, {rows}, "", op);
    node("Range", {scalarI64(0), t, scalarI64(1)}, {cols}, "", op);
    node("Unsqueeze", {rows, i64Initializer("axes", {1})}, {r2}, "", op);
    node("Unsqueeze", {cols, i64Initializer("axes", {0})}, {c2}, "", op);
    allowed = fresh("attn_causal");
    node("LessOrEqual", {c2, r2}, {allowed}, "", op);
  }
  if (op.getMask()) {
    std::string mb = castTo(*mask, 9, op), mu = fresh("attn_pad_mask");
    node("Unsqueeze", {mb, i64Initializer("axes", {1, 2})}, {mu}, "", op);
    if (allowed.empty()) {
      allowed = mu;
    } else {
      std::string both = fresh("attn_allowed");
      node("And", {allowed, mu}, {both}, "", op);
      allowed = both;
    }
  }
  if (!allowed.empty()) {
    std::string masked = fresh("attn_masked");
    node("Where", {allowed, scaled, f32Initializer("neg_inf", -3.4028234663852886e38f)},
         {masked}, "", op);
    scaled = masked;
  }
  std::string probs = fresh("attn_probs");
  attrInt(node("Softmax", {scaled}, {probs}, "", op), "axis", -1);
  if (!et.isF32())
    probs = castTo(probs, onnxType(et), op);
  node("MatMul", {probs, vr}, {define(op.getOutput(), "attention")}, "", op);
  return success();
}

void Exporter::eliminateDeadNodes() {
  llvm::StringSet<> live;
  for (const auto &o : graph->output())
    live.insert(o.name());
  // Nodes are in topological order: walk backwards.
  std::vector<bool> keep(graph->node_size(), false);
  for (int i = graph->node_size() - 1; i >= 0; --i) {
    const pb::NodeProto &n = graph->node(i);
    bool needed = false;
    for (const std::string &o : n.output())
      needed |= !o.empty() && live.contains(o);
    if (!needed)
      continue;
    keep[i] = true;
    for (const std::string &in : n.input())
      if (!in.empty())
        live.insert(in);
    // Subgraphs read outer-scope values by name.
    for (const auto &a : n.attribute())
      if (a.type() == pb::AttributeProto::GRAPH)
        for (const auto &sn : a.g().node())
          for (const std::string &in : sn.input())
            live.insert(in);
  }
  pb::GraphProto kept;
  for (int i = 0; i < graph->node_size(); ++i)
    if (keep[i])
      *kept.add_node() = graph->node(i);
  graph->mutable_node()->Swap(kept.mutable_node());
  for (const auto &t : graph->initializer())
    if (live.contains(t.name()))
      *kept.add_initializer() = t;
  graph->mutable_initializer()->Swap(kept.mutable_initializer());
  for (const auto &vi : graph->value_info())
    if (live.contains(vi.name()))
      *kept.add_value_info() = vi;
  graph->mutable_value_info()->Swap(kept.mutable_value_info());
}

LogicalResult Exporter::emit(Operation *op) {
  if (skipped.contains(op))
    return success();
  // Weight expressions become initializers when used.
  if (op->getNumResults() &&
      llvm::all_of(op->getResults(), WeightEvaluator::isWeightExpression))
    return success();

  auto simple = [&](llvm::StringRef type) -> pb::NodeProto * {
    FailureOr<SmallVector<std::string>> ins = uses(op->getOperands());
    if (failed(ins))
      return nullptr;
    SmallVector<std::string> outs;
    for (Value r : op->getResults())
      outs.push_back(define(r, locName(op->getLoc()).empty()
                                   ? type.str()
                                   : locName(op->getLoc())));
    return node(type, *ins, outs, "", op);
  };
  auto fail = [&]() { return failure(); };

  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<AddOp>([&](auto) { return simple("Add") ? success() : fail(); })
      .Case<SubOp>([&](auto) { return simple("Sub") ? success() : fail(); })
      .Case<MulOp>([&](auto) { return simple("Mul") ? success() : fail(); })
      .Case<DivOp>([&](auto) { return simple("Div") ? success() : fail(); })
      .Case<PowOp>([&](auto) { return simple("Pow") ? success() : fail(); })
      .Case<MaxOp>([&](auto) { return simple("Max") ? success() : fail(); })
      .Case<MinOp>([&](auto) { return simple("Min") ? success() : fail(); })
      .Case<EqualOp>([&](auto) { return simple("Equal") ? success() : fail(); })
      .Case<LessOp>([&](auto) { return simple("Less") ? success() : fail(); })
      .Case<GreaterOp>([&](auto) { return simple("Greater") ? success() : fail(); })
      .Case<AndOp>([&](auto) { return simple("And") ? success() : fail(); })
      .Case<OrOp>([&](auto) { return simple("Or") ? success() : fail(); })
      .Case<NotOp>([&](auto) { return simple("Not") ? success() : fail(); })
      .Case<NegOp>([&](auto) { return simple("Neg") ? success() : fail(); })
      .Case<AbsOp>([&](auto) { return simple("Abs") ? success() : fail(); })
      .Case<SqrtOp>([&](auto) { return simple("Sqrt") ? success() : fail(); })
      .Case<ReciprocalOp>([&](auto) { return simple("Reciprocal") ? success() : fail(); })
      .Case<ExpOp>([&](auto) { return simple("Exp") ? success() : fail(); })
      .Case<LogOp>([&](auto) { return simple("Log") ? success() : fail(); })
      .Case<CosOp>([&](auto) { return simple("Cos") ? success() : fail(); })
      .Case<SinOp>([&](auto) { return simple("Sin") ? success() : fail(); })
      .Case<TanhOp>([&](auto) { return simple("Tanh") ? success() : fail(); })
      .Case<SigmoidOp>([&](auto) { return simple("Sigmoid") ? success() : fail(); })
      .Case<WhereOp>([&](auto) { return simple("Where") ? success() : fail(); })
      .Case<ExpandOp>([&](auto) { return simple("Expand") ? success() : fail(); })
      .Case<ReshapeOp>([&](auto) { return simple("Reshape") ? success() : fail(); })
      .Case<RangeOp>([&](auto) { return simple("Range") ? success() : fail(); })
      .Case<SliceOp>([&](auto) { return simple("Slice") ? success() : fail(); })
      .Case<CastOp>([&](CastOp c) {
        auto *n = simple("Cast");
        if (!n)
          return fail();
        attrInt(n, "to", onnxType(getElementTypeOrSelf(c.getType())));
        return success();
      })
      .Case<MatMulOp>([&](MatMulOp m) -> LogicalResult {
        Type le = getElementTypeOrSelf(m.getLhs().getType());
        if (le == getElementTypeOrSelf(m.getType()))
          return simple("MatMul") ? success() : fail();
        // Widened result (fp16 operands, f32 logits): MatMul then Cast.
        FailureOr<SmallVector<std::string>> ins = uses(m->getOperands());
        if (failed(ins))
          return failure();
        std::string mid = fresh("matmul_half"), out = define(m.getResult(), "matmul");
        node("MatMul", *ins, {mid}, "", m);
        attrInt(node("Cast", {mid}, {out}, "", m), "to",
                onnxType(getElementTypeOrSelf(m.getType())));
        return success();
      })
      .Case<SoftmaxOp>([&](SoftmaxOp s) {
        auto *n = simple("Softmax");
        if (!n)
          return fail();
        attrInt(n, "axis", (int64_t)s.getAxis());
        return success();
      })
      .Case<ReduceMeanOp, ReduceSumOp, ReduceMaxOp>([&](auto r) -> LogicalResult {
        llvm::StringRef type = isa<ReduceMeanOp>(r)  ? "ReduceMean"
                               : isa<ReduceSumOp>(r) ? "ReduceSum"
                                                     : "ReduceMax";
        FailureOr<std::string> in = use(r.getInput());
        if (failed(in))
          return failure();
        auto *n = node(type, {*in, i64Initializer("axes", r.getAxes())},
                       {define(r.getResult(), type)}, "", r);
        attrInt(n, "keepdims", r.getKeepdims());
        return success();
      })
      .Case<TransposeOp>([&](TransposeOp t) {
        auto *n = simple("Transpose");
        if (!n)
          return fail();
        attrInts(n, "perm", t.getPerm());
        return success();
      })
      .Case<ConcatOp>([&](ConcatOp c) {
        auto *n = simple("Concat");
        if (!n)
          return fail();
        attrInt(n, "axis", (int64_t)c.getAxis());
        return success();
      })
      .Case<SplitOp>([&](SplitOp s) -> LogicalResult {
        FailureOr<std::string> in = use(s.getInput());
        if (failed(in))
          return failure();
        SmallVector<std::string> outs;
        for (Value r : s.getResults())
          outs.push_back(define(r, "split"));
        auto *n = node("Split", {*in, i64Initializer("split", s.getSizes())},
                       outs, "", s);
        attrInt(n, "axis", (int64_t)s.getAxis());
        return success();
      })
      .Case<GatherOp>([&](GatherOp g) {
        auto *n = simple("Gather");
        if (!n)
          return fail();
        attrInt(n, "axis", (int64_t)g.getAxis());
        return success();
      })
      .Case<GatherNDOp>([&](GatherNDOp g) {
        auto *n = simple("GatherND");
        if (!n)
          return fail();
        attrInt(n, "batch_dims", (int64_t)g.getBatchDims());
        return success();
      })
      .Case<UnsqueezeOp, SqueezeOp>([&](auto u) -> LogicalResult {
        llvm::StringRef type = isa<UnsqueezeOp>(u) ? "Unsqueeze" : "Squeeze";
        FailureOr<std::string> in = use(u.getInput());
        if (failed(in))
          return failure();
        node(type, {*in, i64Initializer("axes", u.getAxes())},
             {define(u.getResult(), type)}, "", u);
        return success();
      })
      .Case<ShapeOp>([&](ShapeOp s) {
        auto *n = simple("Shape");
        if (!n)
          return fail();
        if (s.getStart())
          attrInt(n, "start", (int64_t)s.getStart());
        if (s.getEnd())
          attrInt(n, "end", (int64_t)*s.getEnd());
        return success();
      })
      .Case<ConstantOfShapeOp>([&](ConstantOfShapeOp c) -> LogicalResult {
        auto *n = simple("ConstantOfShape");
        if (!n)
          return failure();
        auto attr = DenseElementsAttr::get(
            RankedTensorType::get({1}, c.getValue().getType()), c.getValue());
        auto *a = n->add_attribute();
        a->set_name("value");
        a->set_type(pb::AttributeProto::TENSOR);
        a->mutable_t()->set_data_type(onnxType(c.getValue().getType()));
        a->mutable_t()->add_dims(1);
        ArrayRef<char> raw = attr.getRawData();
        a->mutable_t()->set_raw_data(std::string(raw.data(), raw.size()));
        return success();
      })
      .Case<TriluOp>([&](TriluOp t) -> LogicalResult {
        FailureOr<std::string> in = use(t.getInput());
        if (failed(in))
          return failure();
        auto *n = node("Trilu", {*in, i64Initializer("k", {(int64_t)t.getDiagonal()}, true)},
                       {define(t.getResult(), "trilu")}, "", t);
        attrInt(n, "upper", t.getUpper());
        return success();
      })
      .Case<FlattenOp>([&](FlattenOp f) {
        auto *n = simple("Flatten");
        if (!n)
          return fail();
        attrInt(n, "axis", (int64_t)f.getAxis());
        return success();
      })
      .Case<EmbeddingOp>([&](EmbeddingOp e) -> LogicalResult {
        if (e.getTable().getDefiningOp<DequantizeNBitsOp>())
          return e.emitError() << "exporting a quantized embedding table to "
                                  "ONNX is not supported yet",
                 failure();
        FailureOr<SmallVector<std::string>> ins = uses(e->getOperands());
        if (failed(ins))
          return failure();
        attrInt(node("Gather", *ins, {define(e.getResult(), "embedding")}, "", e),
                "axis", 0);
        return success();
      })
      .Case<SiluOp>([&](SiluOp s) -> LogicalResult {
        FailureOr<std::string> in = use(s.getInput());
        if (failed(in))
          return failure();
        std::string sig = fresh("silu_sigmoid");
        node("Sigmoid", {*in}, {sig}, "", s);
        node("Mul", {*in, sig}, {define(s.getResult(), "silu")}, "", s);
        return success();
      })
      .Case<GatedSiluOp>([&](GatedSiluOp g) -> LogicalResult {
        FailureOr<std::string> in = use(g.getInput());
        auto t = dyn_cast<RankedTensorType>(g.getType());
        if (failed(in))
          return failure();
        if (!t || t.isDynamicDim(t.getRank() - 1))
          return g.emitError() << "exporting gated_silu needs a static last "
                                  "dimension",
                 failure();
        int64_t half = t.getDimSize(t.getRank() - 1);
        std::string gate = fresh("gate"), up = fresh("up"), sig = fresh("gate_sigmoid"),
                    act = fresh("gate_silu");
        auto *sp = node("Split", {*in, i64Initializer("split", {half, half})},
                        {gate, up}, "", g);
        attrInt(sp, "axis", -1);
        node("Sigmoid", {gate}, {sig}, "", g);
        node("Mul", {gate, sig}, {act}, "", g);
        node("Mul", {up, act}, {define(g.getResult(), "gated_silu")}, "", g);
        return success();
      })
      .Case<RMSNormOp>([&](RMSNormOp r) { return emitRMSNorm(r); })
      .Case<MatMulNBitsOp>([&](MatMulNBitsOp m) { return emitMatMulNBits(m); })
      .Case<RotaryOp>([&](RotaryOp r) { return emitRotary(r); })
      .Case<AttentionOp>([&](AttentionOp a) { return emitAttention(a); })
      .Default([&](Operation *o) {
        return o->emitError()
               << "'" << o->getName() << "' has no ONNX equivalent in the '"
               << (opts.style == ONNXExportOptions::Style::ORT ? "ort" : "qdq")
               << "' style";
      });
}

LogicalResult Exporter::run(pb::ModelProto &model) {
  auto fn = module.lookupSymbol<func::FuncOp>("main");
  if (!fn || fn.isExternal() || !llvm::hasSingleElement(fn.getBody()))
    return module.emitError() << "expected a single-block func.func @main";
  model.set_ir_version(10);
  model.set_producer_name("phi");
  model.set_producer_version("0.1");
  graph = model.mutable_graph();
  graph->set_name("main");

  contextLength = exportContextLength(module, opts);
  planFusions(fn);

  Block &body = fn.front();
  for (BlockArgument arg : body.getArguments()) {
    auto n = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "onnx.name");
    std::string name =
        fresh(n ? n.getValue() : "input_" + std::to_string(arg.getArgNumber()));
    names[arg] = name;
    if (!onnxType(getElementTypeOrSelf(arg.getType())))
      return fn.emitError() << "argument type " << arg.getType()
                            << " has no ONNX equivalent";
    addValueInfo(graph->add_input(), name, arg.getType(), /*symbolic=*/true);
  }
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  SmallVector<std::string> outNames;
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    auto n = fn.getResultAttrOfType<StringAttr>(i, "onnx.name");
    std::string want = n ? n.getValue().str() : "output_" + std::to_string(i);
    if (!names.count(v) && !WeightEvaluator::isWeightExpression(v) &&
        !used.contains(want)) {
      used.insert(want);
      names[v] = want;
    }
    outNames.push_back(want);
  }
  for (Operation &op : body.without_terminator())
    if (failed(emit(&op)))
      return failure();
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    FailureOr<std::string> n = use(v);
    if (failed(n))
      return failure();
    std::string out = outNames[i];
    if (*n != out) { // an argument or a value returned twice
      out = fresh(out);
      node("Identity", {*n}, {out});
    }
    addValueInfo(graph->add_output(), out, v.getType(), /*symbolic=*/true);
  }
  // Types of intermediate values help onnxruntime's shape inference and
  // re-import.
  for (Operation &op : body.without_terminator())
    for (Value r : op.getResults())
      if (auto it = names.find(r); it != names.end() &&
                                   isa<RankedTensorType>(r.getType()) &&
                                   onnxType(getElementTypeOrSelf(r.getType())) &&
                                   !llvm::is_contained(outNames, it->second))
        addValueInfo(graph->add_value_info(), it->second, r.getType(), false);

  eliminateDeadNodes();
  auto *o = model.add_opset_import();
  o->set_domain("");
  o->set_version(kOpset);
  if (usesContrib) {
    auto *ms = model.add_opset_import();
    ms->set_domain("com.microsoft");
    ms->set_version(1);
  }
  return success();
}

} // namespace

int64_t mlir::phi::exportContextLength(ModuleOp module,
                                       const ONNXExportOptions &options) {
  if (options.contextLength > 0)
    return options.contextLength;
  if (auto c = module->getAttrOfType<IntegerAttr>("phi.context_length"))
    return c.getInt();
  return 4096;
}

LogicalResult mlir::phi::exportONNXToStream(ModuleOp module, llvm::raw_ostream &os,
                                            const ONNXExportOptions &options) {
  pb::ModelProto model;
  Exporter ex(module, options, /*data=*/nullptr, "");
  if (failed(ex.run(model)))
    return failure();
  if (model.ByteSizeLong() > (size_t(1) << 31) - 1)
    return module.emitError() << "the model exceeds protobuf's 2 GB limit; "
                                 "write it with external data (phi-compile)";
  std::string bytes = model.SerializeAsString();
  os.write(bytes.data(), bytes.size());
  return success();
}

LogicalResult mlir::phi::exportONNXFiles(ModuleOp module, llvm::StringRef path,
                                         const ONNXExportOptions &options) {
  std::string dataPath = (path + ".data").str();
  std::string tmpModel = (path + ".tmp").str(), tmpData = dataPath + ".tmp";
  std::error_code ec;
  pb::ModelProto model;
  {
    llvm::raw_fd_ostream data(tmpData, ec);
    if (ec)
      return module.emitError() << "cannot write '" << tmpData << "': " << ec.message();
    Exporter ex(module, options, &data,
                llvm::sys::path::filename(dataPath).str());
    if (failed(ex.run(model))) {
      data.close();
      llvm::sys::fs::remove(tmpData);
      return failure();
    }
  }
  {
    llvm::raw_fd_ostream out(tmpModel, ec);
    if (ec) {
      llvm::sys::fs::remove(tmpData);
      return module.emitError() << "cannot write '" << tmpModel << "': " << ec.message();
    }
    std::string bytes = model.SerializeAsString();
    out.write(bytes.data(), bytes.size());
  }
  if ((ec = llvm::sys::fs::rename(tmpData, dataPath)) ||
      (ec = llvm::sys::fs::rename(tmpModel, path))) {
    llvm::sys::fs::remove(tmpData);
    llvm::sys::fs::remove(tmpModel);
    return module.emitError() << "cannot write '" << path << "': " << ec.message();
  }
  return success();
}

void mlir::phi::registerONNXExportTranslation() {
  // Function-local, so tools linking the exporter without this translation
  // (phi-compile) keep their own flags.
  static llvm::cl::opt<std::string> clStyle("onnx-style",
                                   llvm::cl::desc("ONNX export style: ort | qdq"),
                                   llvm::cl::init("ort"));
  static llvm::cl::opt<int64_t> clContextLength(
    "onnx-context-length",
    llvm::cl::desc("Rows of the exported rotary caches (0: the module's "
                   "phi.context_length, else 4096)"),
    llvm::cl::init(0));
  static llvm::cl::opt<int64_t> clAccuracyLevel(
      "onnx-accuracy-level",
      llvm::cl::desc("MatMulNBits accuracy_level (0 fp32, 4 int8 activations; "
                     "-1 keeps the imported one)"),
      llvm::cl::init(-1));
  TranslateFromMLIRRegistration reg(
      "export-onnx", "write the module as an ONNX model (inline initializers)",
      [](Operation *op, llvm::raw_ostream &os) -> LogicalResult {
        auto module = dyn_cast<ModuleOp>(op);
        if (!module)
          return op->emitError() << "expected a module";
        ONNXExportOptions opts;
        opts.contextLength = clContextLength;
        opts.accuracyLevel = clAccuracyLevel;
        if (clStyle == "qdq")
          opts.style = ONNXExportOptions::Style::QDQ;
        else if (clStyle != "ort")
          return module.emitError() << "--onnx-style must be ort or qdq, got '"
                                    << clStyle << "'";
        return exportONNXToStream(module, os, opts);
      },
      [](DialectRegistry &registry) {
        registry.insert<PhiDialect, arith::ArithDialect, func::FuncDialect>();
      });
}
