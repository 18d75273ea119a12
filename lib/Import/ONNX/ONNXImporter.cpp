//===- ONNXImporter.cpp - ONNX protobuf to the phi dialect ----------------===//
//
// Model loading, validation of every tensor's bytes (inline or external
// data), value and type bookkeeping, and the node walk. Op mappings live in
// StandardOps.cpp and ContribOps.cpp.
//
//===----------------------------------------------------------------------===//

#include "ImporterInternals.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"

#include <google/protobuf/io/coded_stream.h>
#include <limits>

using namespace mlir;
using namespace mlir::phi;
using namespace mlir::phi::onnx_import;

/// ai.onnx opsets whose semantics the standard-op mappings implement.
static constexpr int64_t kMinOpset = 13, kMaxOpset = 23;

Importer::Importer(MLIRContext *ctx, llvm::StringRef path,
                   const ONNXImportOptions &opts)
    : ctx(ctx), b(ctx), options(opts),
      reader(llvm::sys::path::parent_path(path).str()), path(path.str()),
      fileLoc(FileLineColLoc::get(ctx, path, 0, 0)), currentLoc(fileLoc) {
  dir = llvm::sys::path::parent_path(path).str();
  registerStandardOps(handlers);
  registerContribOps(handlers);
}

int64_t Importer::opsetFor(llvm::StringRef domain) const {
  if (domain.empty())
    domain = "ai.onnx";
  auto it = opsets.find(domain);
  return it == opsets.end() ? 0 : it->second;
}

/// Names from a damaged file can hold any bytes; diagnostics stay printable.
static std::string printable(llvm::StringRef s) {
  std::string out;
  for (char c : s.take_front(200))
    out.push_back(llvm::isPrint(c) ? c : '?');
  return out;
}

InFlightDiagnostic Importer::fileError() {
  return emitError(fileLoc);
}

InFlightDiagnostic Importer::nodeError() {
  const pb::NodeProto &n = *currentNode;
  llvm::StringRef domain = n.domain().empty() ? llvm::StringRef("ai.onnx") : llvm::StringRef(n.domain());
  auto diag = emitError(currentLoc);
  diag << "node '" << (n.name().empty() ? "<unnamed>" : printable(n.name()))
       << "' (" << printable(n.op_type()) << ", domain '" << printable(domain)
       << "', opset "
       << opsetFor(domain) << "): ";
  return diag;
}

FailureOr<Type> Importer::elementType(int32_t t, llvm::StringRef what) {
  if (Type type = onnxElementType(ctx, t))
    return type;
  auto diag = currentNode ? nodeError() : fileError();
  diag << what << " has ONNX data type " << t << ", which phi does not support";
  return failure();
}

FailureOr<Type> Importer::typeFromProto(const pb::TypeProto &t,
                                        llvm::StringRef what) {
  if (!t.has_tensor_type()) {
    fileError() << what << " is not a tensor";
    return failure();
  }
  FailureOr<Type> elem = elementType(t.tensor_type().elem_type(), what);
  if (failed(elem))
    return failure();
  if (!t.tensor_type().has_shape())
    return Type(UnrankedTensorType::get(*elem));
  SmallVector<int64_t> shape;
  for (const auto &d : t.tensor_type().shape().dim()) {
    if (d.has_dim_value()) {
      if (d.dim_value() < 0) {
        fileError() << what << " has a negative dimension";
        return failure();
      }
      shape.push_back(d.dim_value());
    } else {
      shape.push_back(ShapedType::kDynamic);
    }
  }
  return Type(RankedTensorType::get(shape, *elem));
}

Type Importer::declaredType(llvm::StringRef name) {
  auto it = declared.find(name);
  if (it == declared.end() || !it->second->has_type() ||
      !it->second->type().has_tensor_type())
    return {};
  // Declared types were validated when the graph was indexed.
  FailureOr<Type> t = typeFromProto(it->second->type(), name);
  return succeeded(t) ? *t : Type();
}

Type Importer::resultType(unsigned idx, Type elem,
                          std::optional<ArrayRef<int64_t>> shape) {
  if (currentNode && idx < (unsigned)currentNode->output_size())
    if (Type t = declaredType(currentNode->output(idx));
        t && getElementTypeOrSelf(t) == elem)
      return t;
  if (shape)
    return RankedTensorType::get(*shape, elem);
  return UnrankedTensorType::get(elem);
}

FailureOr<TensorBytes> Importer::tensorBytes(const pb::TensorProto &t) {
  TensorBytes out;
  FailureOr<Type> elem = elementType(t.data_type(), "tensor '" + printable(t.name()) + "'");
  if (failed(elem))
    return failure();
  out.elementType = *elem;
  std::string error;
  FailureOr<llvm::StringRef> bytes = reader.read(t, *elem, out.shape, error);
  if (failed(bytes)) {
    auto diag = currentNode ? nodeError() : fileError();
    diag << "tensor '" << printable(t.name()) << "' " << error;
    return failure();
  }
  out.bytes = *bytes;
  return out;
}

Value Importer::i64Const(ArrayRef<int64_t> values, bool scalar) {
  auto type = RankedTensorType::get(
      scalar ? ArrayRef<int64_t>{} : ArrayRef<int64_t>{(int64_t)values.size()},
      b.getI64Type());
  return arith::ConstantOp::create(b, currentLoc,
                                   DenseElementsAttr::get(type, values));
}

FailureOr<Value> Importer::materialize(const pb::TensorProto &t,
                                       llvm::StringRef name, bool forceInline) {
  FailureOr<TensorBytes> data = tensorBytes(t);
  if (failed(data))
    return failure();
  auto type = RankedTensorType::get(data->shape, data->elementType);
  if (!forceInline && type.getNumElements() > options.inlineElementLimit)
    return Value(WeightOp::create(b, NameLoc::get(b.getStringAttr(name), fileLoc),
                                  type, b.getStringAttr(name)));
  DenseElementsAttr attr;
  if (data->elementType.isInteger(1)) {
    SmallVector<bool> bits;
    for (char c : data->bytes)
      bits.push_back(c != 0);
    attr = DenseElementsAttr::get(type, bits);
  } else {
    attr = DenseElementsAttr::getFromRawBuffer(
        type, ArrayRef<char>(data->bytes.data(), data->bytes.size()));
  }
  return Value(arith::ConstantOp::create(
      b, NameLoc::get(b.getStringAttr(name), fileLoc), attr));
}

const pb::AttributeProto *Importer::attr(llvm::StringRef name) {
  for (const auto &a : currentNode->attribute())
    if (a.name() == name)
      return &a;
  return nullptr;
}

FailureOr<int64_t> Importer::intAttr(llvm::StringRef name,
                                     std::optional<int64_t> dflt) {
  const pb::AttributeProto *a = attr(name);
  if (!a) {
    if (dflt)
      return *dflt;
    return nodeError() << "missing required attribute '" << name << "'",
           failure();
  }
  if (a->type() != pb::AttributeProto::INT)
    return nodeError() << "attribute '" << name << "' must be an int",
           failure();
  return a->i();
}

FailureOr<float> Importer::floatAttr(llvm::StringRef name,
                                     std::optional<float> dflt) {
  const pb::AttributeProto *a = attr(name);
  if (!a) {
    if (dflt)
      return *dflt;
    return nodeError() << "missing required attribute '" << name << "'",
           failure();
  }
  if (a->type() != pb::AttributeProto::FLOAT)
    return nodeError() << "attribute '" << name << "' must be a float",
           failure();
  return a->f();
}

FailureOr<SmallVector<int64_t>> Importer::intsAttr(llvm::StringRef name) {
  const pb::AttributeProto *a = attr(name);
  if (a->type() != pb::AttributeProto::INTS)
    return nodeError() << "attribute '" << name << "' must be a list of ints",
           failure();
  return SmallVector<int64_t>(a->ints().begin(), a->ints().end());
}

std::optional<SmallVector<int64_t>> Importer::constInts(Value v) {
  DenseIntElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)))
    return std::nullopt;
  SmallVector<int64_t> out;
  for (const APInt &x : attr.getValues<APInt>())
    out.push_back(x.getSExtValue());
  return out;
}

FailureOr<Value> Importer::lookup(llvm::StringRef name) {
  auto it = values.find(name);
  if (it != values.end())
    return it->second;
  if (const pb::TensorProto *t = initializer(name)) {
    FailureOr<Value> v = materialize(*t, name);
    if (failed(v))
      return failure();
    values[name] = *v;
    return *v;
  }
  if (ropeSelections.count(name))
    return nodeError() << "input '" << name
                       << "' is a LongRoPE cache selection, which only "
                          "GroupQueryAttention may consume",
           failure();
  return nodeError() << "input '" << name << "' is not defined before use",
         failure();
}

LogicalResult Importer::importNode(const pb::NodeProto &node) {
  currentNode = &node;
  llvm::StringRef name = !node.name().empty()   ? llvm::StringRef(node.name())
                         : node.output_size()  ? llvm::StringRef(node.output(0))
                                                : llvm::StringRef("<unnamed>");
  currentLoc = NameLoc::get(b.getStringAttr(name), fileLoc);
  llvm::StringRef domain = node.domain().empty() ? llvm::StringRef("ai.onnx") : llvm::StringRef(node.domain());
  if (domain == "ai.onnx.ml" || (domain != "ai.onnx" && domain != "com.microsoft"))
    return nodeError() << "unknown domain '" << printable(domain) << "'";
  if (!opsets.count(domain))
    return nodeError() << "domain '" << domain
                       << "' is not imported by the model";
  auto handler = handlers.find((domain + "::" + node.op_type()).str());
  if (handler == handlers.end())
    return nodeError() << "unsupported op";

  SmallVector<Value> ins;
  for (const std::string &in : node.input()) {
    if (in.empty()) {
      ins.push_back(Value());
      continue;
    }
    // The If handler consumes ONNX-level structure, not SSA values.
    if (node.op_type() == "GroupQueryAttention" && ropeSelections.count(in)) {
      ins.push_back(Value());
      continue;
    }
    FailureOr<Value> v = lookup(in);
    if (failed(v))
      return failure();
    ins.push_back(*v);
  }
  SmallVector<Value> outs;
  if (failed(handler->second(*this, node, ins, outs)))
    return failure();
  for (auto [i, name] : llvm::enumerate(node.output())) {
    if (name.empty() || i >= outs.size() || !outs[i])
      continue;
    values[name] = outs[i];
  }
  return success();
}

LogicalResult Importer::importGraph(const pb::GraphProto &graph) {
  for (const auto &t : graph.initializer())
    initializers[t.name()] = &t;
  for (const auto &v : graph.value_info())
    declared[v.name()] = &v;
  for (const auto &v : graph.output())
    declared[v.name()] = &v;
  for (const auto &n : graph.node())
    for (const std::string &o : n.output())
      if (!o.empty())
        producers[o] = &n;

  // Signature: graph inputs that are not initializers (old IR versions list
  // initializers among the inputs), and the graph outputs.
  SmallVector<Type> argTypes, resultTypes;
  SmallVector<const pb::ValueInfoProto *> args;
  for (const auto &v : graph.input()) {
    if (initializers.count(v.name()))
      continue;
    FailureOr<Type> t = typeFromProto(v.type(), "graph input '" + v.name() + "'");
    if (failed(t))
      return failure();
    argTypes.push_back(*t);
    args.push_back(&v);
  }
  for (const auto &v : graph.output()) {
    FailureOr<Type> t =
        typeFromProto(v.type(), "graph output '" + v.name() + "'");
    if (failed(t))
      return failure();
    resultTypes.push_back(*t);
  }
  for (const auto &v : graph.value_info())
    if (v.has_type() && v.type().has_tensor_type() &&
        failed(typeFromProto(v.type(), "value '" + v.name() + "'")))
      return failure();

  auto func = func::FuncOp::create(b, fileLoc, "main",
                                   b.getFunctionType(argTypes, resultTypes));
  Block *entry = func.addEntryBlock();
  for (auto [i, v] : llvm::enumerate(args)) {
    func.setArgAttr(i, "onnx.name", b.getStringAttr(v->name()));
    values[v->name()] = entry->getArgument(i);
  }
  for (auto [i, v] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "onnx.name", b.getStringAttr(v.name()));
  b.setInsertionPointToStart(entry);

  for (const auto &node : graph.node())
    if (failed(importNode(node)))
      return failure();
  currentNode = nullptr;
  currentLoc = fileLoc;

  SmallVector<Value> results;
  for (auto [i, v] : llvm::enumerate(graph.output())) {
    FailureOr<Value> r = lookup(v.name());
    if (failed(r))
      return failure();
    Value val = *r;
    // Graph outputs keep their declared types; refine with a cast only when
    // the inferred type differs (e.g. unranked inside, ranked declared).
    if (val.getType() != resultTypes[i])
      val = CastOp::create(b, fileLoc, resultTypes[i], val);
    results.push_back(val);
  }
  func::ReturnOp::create(b, fileLoc, results);
  return success();
}

OwningOpRef<ModuleOp> Importer::run(llvm::StringRef contents) {
  ctx->loadDialect<PhiDialect, arith::ArithDialect, func::FuncDialect>();
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(contents.data()), contents.size());
  stream.SetTotalBytesLimit(std::numeric_limits<int>::max());
  stream.SetRecursionLimit(64);
  if (contents.empty() || !model.ParseFromCodedStream(&stream) ||
      !stream.ConsumedEntireMessage()) {
    fileError() << "not a valid ONNX model (protobuf parse failed; the file "
                   "is truncated, corrupted or not ONNX)";
    return nullptr;
  }
  if (!model.has_graph() || model.ir_version() < 3) {
    fileError() << "not a valid ONNX model (no graph or IR version "
                << model.ir_version() << ")";
    return nullptr;
  }
  for (const auto &o : model.opset_import())
    opsets[o.domain().empty() ? "ai.onnx" : o.domain()] = o.version();
  int64_t opset = opsetFor("ai.onnx");
  if (opset < kMinOpset || opset > kMaxOpset) {
    fileError() << "unsupported ai.onnx opset " << opset << " (phi supports "
                << kMinOpset << " to " << kMaxOpset << ")";
    return nullptr;
  }
  if (opsets.count("com.microsoft") && opsetFor("com.microsoft") != 1) {
    fileError() << "unsupported com.microsoft opset "
                << opsetFor("com.microsoft") << " (phi supports 1)";
    return nullptr;
  }

  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  (*module)->setAttr(kWeightsAttrName, b.getStringAttr(path));
  b.setInsertionPointToEnd(module->getBody());
  if (failed(importGraph(model.graph())))
    return nullptr;
  if (failed(verify(*module)))
    return nullptr;
  return module;
}

OwningOpRef<ModuleOp> mlir::phi::importONNX(llvm::StringRef path,
                                            llvm::StringRef contents,
                                            MLIRContext *ctx,
                                            const ONNXImportOptions &options) {
  Importer importer(ctx, path, options);
  return importer.run(contents);
}

namespace {
void collectExternal(const pb::TensorProto &t, llvm::StringRef dir,
                     std::vector<std::string> &files) {
  if (t.data_location() != pb::TensorProto::EXTERNAL)
    return;
  for (const auto &kv : t.external_data()) {
    if (kv.key() != "location")
      continue;
    llvm::SmallString<256> file(dir);
    llvm::sys::path::append(file, kv.value());
    if (!llvm::is_contained(files, file.str()))
      files.push_back(file.str().str());
  }
}

void collectExternal(const pb::GraphProto &g, llvm::StringRef dir,
                     std::vector<std::string> &files) {
  for (const auto &t : g.initializer())
    collectExternal(t, dir, files);
  for (const auto &n : g.node())
    for (const auto &a : n.attribute()) {
      if (a.has_t())
        collectExternal(a.t(), dir, files);
      if (a.has_g())
        collectExternal(a.g(), dir, files);
    }
}
} // namespace

FailureOr<std::vector<std::string>>
mlir::phi::onnxInputFiles(llvm::StringRef path, llvm::StringRef contents) {
  pb::ModelProto model;
  google::protobuf::io::CodedInputStream stream(
      reinterpret_cast<const uint8_t *>(contents.data()), contents.size());
  stream.SetTotalBytesLimit(std::numeric_limits<int>::max());
  stream.SetRecursionLimit(64);
  if (contents.empty() || !model.ParseFromCodedStream(&stream))
    return failure();
  std::vector<std::string> files{path.str()};
  collectExternal(model.graph(), llvm::sys::path::parent_path(path), files);
  return files;
}

static llvm::cl::opt<int64_t> clInlineLimit(
    "onnx-inline-limit",
    llvm::cl::desc("Initializers with at most this many elements are imported "
                   "as arith.constant; larger ones as phi.weight"),
    llvm::cl::init(63));
static llvm::cl::opt<double> clRopeTheta(
    "onnx-rope-theta",
    llvm::cl::desc("RoPE base assumed when recovering LongRoPE factors from "
                   "onnxruntime-genai cos/sin caches"),
    llvm::cl::init(10000.0));

void mlir::phi::registerONNXImportTranslation() {
  TranslateToMLIRRegistration reg(
      "import-onnx", "import an ONNX model into the phi dialect",
      [](llvm::SourceMgr &sm, MLIRContext *ctx) -> OwningOpRef<Operation *> {
        const llvm::MemoryBuffer *buf = sm.getMemoryBuffer(sm.getMainFileID());
        ONNXImportOptions opts;
        opts.inlineElementLimit = clInlineLimit;
        opts.ropeTheta = clRopeTheta;
        OwningOpRef<ModuleOp> m =
            importONNX(buf->getBufferIdentifier(), buf->getBuffer(), ctx, opts);
        return OwningOpRef<Operation *>(m.release());
      },
      [](DialectRegistry &registry) {
        registry.insert<PhiDialect, arith::ArithDialect, func::FuncDialect>();
      });
}
