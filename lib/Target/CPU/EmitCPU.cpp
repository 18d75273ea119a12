//===- EmitCPU.cpp - phi IR to a CPU object, header and weights file -------===//
//
// Every SSA value of @main gets a slot; every op becomes one call to a
// runtime entry, `phi_rt_<entry>(rt, slots, int_attrs, float_attrs[, fn])`,
// with the three arrays as constant globals (their layouts are documented at
// each entry in runtime/) and `fn` the op's kernel, which this file has
// generated into the same object (Kernels.cpp builds them; buildGenerated
// lowers them to LLVM). Entries without `fn` are the shape-only ops and the
// weight matmuls, runtime microkernels the compiler selects (a float matmul
// with a weight operand becomes matmul_wt over the weight transposed to
// [N, K]). The compiler schedules frees after last uses and emits the object
// for the target triple with LLVM.
//
//===----------------------------------------------------------------------===//

#include "phi/Target/CPU.h"

#include "Kernels.h"

#include "phi/Dialect/Phi/PhiOps.h"
#include "phi/Runtime/WeightsFile.h"
#include "phi/Runtime/phi.h"
#include "phi/Weights/Weights.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"

#include <climits>
#include <map>
#include <cstring>

using namespace mlir;
using namespace mlir::phi;

namespace {

/// ONNX data type codes, as the runtime uses them.
int32_t dtypeCode(Type t) {
  if (t.isF32()) return 1;
  if (t.isUnsignedInteger(8)) return 2;
  if (t.isSignlessInteger(8)) return 3;
  if (t.isSignlessInteger(32)) return 6;
  if (t.isSignlessInteger(64)) return 7;
  if (t.isInteger(1)) return 9;
  if (t.isF16()) return 10;
  return 0;
}

/// One kernel call.
struct Call {
  std::string kernel;
  SmallVector<int32_t> slots;
  SmallVector<int64_t> ints;
  SmallVector<float> floats;
  SmallVector<int32_t> frees; // slots dead after this call
  /// A kernel compiled into the object (index into Lowering::generated), or
  /// -1: the call passes its address to the runtime entry as a 5th argument.
  int generated = -1;
};

/// A kernel the compiler generates (linalg -> loops -> LLVM, optimized and
/// vectorized by LLVM for the target CPU) instead of calling the runtime's.
struct GeneratedKernel {
  std::string kind; // "gated_silu", "rms_norm", "rms_norm_skip", "rotary", or
                    // a kind of Kernels.h ("ew", "copy", "reduce", ...)
  int64_t cols;     // static width of the output rows
  float eps = 0;    // rms_norm; rotary: the rotary dim; attention: the scale
  SmallVector<int64_t> p; // Kernels.h kinds: their parameters, in the name
  GeneratedKernel(std::string kind, int64_t cols, float eps = 0)
      : kind(std::move(kind)), cols(cols), eps(eps) {}
  GeneratedKernel(std::string kind, ArrayRef<int64_t> params, float eps = 0)
      : kind(std::move(kind)), cols(0), eps(eps), p(params) {}
  /// Called through its C interface (`_mlir_ciface_<name>`, descriptors).
  bool ciface() const { return !p.empty() || kind == "softmax" || kind == "matmul"; }
  bool operator==(const GeneratedKernel &o) const {
    return kind == o.kind && cols == o.cols && eps == o.eps && p == o.p;
  }
};

/// The runtime's element kind of a tensor type (f16 values live in f32
/// slots), or 0.
int rtCode(Type t) {
  t = getElementTypeOrSelf(t);
  return dtypeCode(t.isF16() ? Float32Type::get(t.getContext()) : t);
}
int widthOf(int code) { return code == cpu::I64 ? 8 : code == cpu::F32 || code == cpu::I32 ? 4 : 1; }

struct WeightSlot {
  Value value;
  bool transposed; // stored [N, K] from a [K, N] value
  bool widen;      // an f16 value stored as f32
  int32_t slot;
  int32_t dtype;
  SmallVector<int64_t> shape;
  int64_t nbytes, offset;
};

class Lowering {
public:
  Lowering(ModuleOp module, const CPUTargetOptions &opts) : module(module), opts(opts) {}

  LogicalResult plan();
  /// Writes the weights file through a temporary; sets `hash`.
  LogicalResult writeWeights(llvm::StringRef path);
  OwningOpRef<ModuleOp> build();

  uint64_t hash = 0;
  int64_t payload = 0;

private:
  int32_t slotOf(Value v) {
    auto it = slots.find(v);
    if (it != slots.end())
      return it->second;
    return slots[v] = numSlots++;
  }
  FailureOr<int32_t> operand(Value v, Operation *user, bool transposed = false);
  LogicalResult lowerOp(Operation *op);

  ModuleOp module;
  const CPUTargetOptions &opts;
  func::FuncOp fn;
  llvm::DenseMap<Value, int32_t> slots;
  std::map<std::pair<void *, bool>, int32_t> weightSlots;
  int32_t numSlots = 0;
  SmallVector<WeightSlot> weights;
  std::vector<Call> calls;
  /// Kernels compiled into the object; see GeneratedKernel.
  std::vector<GeneratedKernel> generated;
  LogicalResult buildGenerated(ModuleOp m);
  /// Kernels also built for x86-64-v3, chosen at run time (generic x86-64).
  bool multiversion = false;

public:
  /// The generated kernels as built (linalg / scf / arith / math on
  /// memrefs), before approximation and lowering: `--emit=kernels`.
  OwningOpRef<ModuleOp> buildKernels();

private:
  std::string kernelName(int i) const;
  /// The index of kernel `k` in `generated`, added if new.
  int generate(const GeneratedKernel &k);
  /// Each lowered op's last call (values it uses are freed after it).
  llvm::DenseMap<Operation *, size_t> lastCallOf;
  SmallVector<std::pair<int32_t, std::string>> outputs;
  struct InputDecl {
    int32_t slot;
    std::string name;
    SmallVector<int64_t> shape;
  };
  SmallVector<InputDecl> inputs;
  int64_t vocab = 0, contextLength = 4096;
};

FailureOr<int32_t> Lowering::operand(Value v, Operation *user, bool transposed) {
  if (!v)
    return -1;
  if (WeightEvaluator::isWeightExpression(v)) {
    auto key = std::make_pair(v.getAsOpaquePointer(), transposed);
    auto it = weightSlots.find(key);
    if (it != weightSlots.end())
      return it->second;
    auto t = cast<RankedTensorType>(v.getType());
    // f16 weights stay f16 where matmul_wt reads them (the bulk of an fp16
    // model); elsewhere kernels read f32, so they are widened when written.
    bool widen = t.getElementType().isF16() && !transposed;
    int32_t code = widen ? dtypeCode(Float32Type::get(v.getContext()))
                         : dtypeCode(t.getElementType());
    if (!code)
      return user->emitError() << "weight of type " << t
                               << " has no CPU runtime representation",
             failure();
    SmallVector<int64_t> shape(t.getShape());
    if (transposed)
      std::swap(shape[0], shape[1]);
    int64_t bytes = t.getNumElements() *
                    (t.getElementType().isInteger(1)
                         ? 1
                         : widen ? 4 : (t.getElementType().getIntOrFloatBitWidth() + 7) / 8);
    payload = (payload + ::phi::weights::kAlign - 1) / ::phi::weights::kAlign *
              ::phi::weights::kAlign;
    int32_t slot = numSlots++;
    weights.push_back({v, transposed, widen, slot, code, shape, bytes, payload});
    payload += bytes;
    weightSlots[key] = slot;
    return slot;
  }
  auto it = slots.find(v);
  if (it == slots.end())
    return user->emitError() << "operand is neither computed before nor a weight",
           failure();
  return it->second;
}

LogicalResult Lowering::plan() {
  fn = module.lookupSymbol<func::FuncOp>("main");
  if (!fn || fn.isExternal() || !llvm::hasSingleElement(fn.getBody()))
    return module.emitError() << "expected a single-block func.func @main";
  if (auto c = module->getAttrOfType<IntegerAttr>("phi.context_length"))
    contextLength = c.getInt();
  if (opts.contextLength > 0)
    contextLength = opts.contextLength;
  Block &body = fn.front();
  for (BlockArgument arg : body.getArguments()) {
    auto name = fn.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "onnx.name");
    if (!name)
      return fn.emitError() << "argument " << arg.getArgNumber()
                            << " has no onnx.name (the runtime feeds inputs by name)";
    auto t = dyn_cast<RankedTensorType>(arg.getType());
    if (!t)
      return fn.emitError() << "argument '" << name.getValue() << "' is unranked";
    SmallVector<int64_t> shape;
    for (int64_t d : t.getShape())
      shape.push_back(ShapedType::isDynamic(d) ? -1 : d);
    // A KV cache's head dim may be dynamic in the graph: take it from the
    // attention that reads it (through a cast, under the fp16 policy).
    SmallVector<Operation *> users(arg.getUsers());
    for (Operation *u : arg.getUsers())
      if (isa<CastOp>(u))
        users.append(u->getUsers().begin(), u->getUsers().end());
    for (Operation *u : users)
      if (auto a = dyn_cast<AttentionOp>(u); a && shape.size() == 4) {
        auto kt = cast<RankedTensorType>(a.getK().getType());
        shape[1] = kt.getDimSize(1);
        shape[3] = kt.getDimSize(3);
      }
    inputs.push_back({slotOf(arg), name.getValue().str(), shape});
  }
  // Only ops the results depend on (phi ops are pure): an exporter's dead
  // side computations (a total-length cast with no shape info, say) cost
  // nothing and need no kernel.
  auto ret = cast<func::ReturnOp>(body.getTerminator());
  llvm::DenseSet<Operation *> live;
  SmallVector<Operation *> work;
  for (Value v : ret.getOperands())
    if (Operation *d = v.getDefiningOp())
      work.push_back(d);
  while (!work.empty()) {
    Operation *o = work.pop_back_val();
    if (!live.insert(o).second)
      continue;
    for (Value v : o->getOperands())
      if (Operation *d = v.getDefiningOp())
        work.push_back(d);
  }
  for (Operation &op : body.without_terminator()) {
    if (!live.contains(&op))
      continue;
    if (op.getNumResults() &&
        llvm::all_of(op.getResults(), WeightEvaluator::isWeightExpression))
      continue; // materialized as weights where used
    if (failed(lowerOp(&op)))
      return failure();
  }
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    auto name = fn.getResultAttrOfType<StringAttr>(i, "onnx.name");
    if (!name)
      return fn.emitError() << "result " << i << " has no onnx.name";
    FailureOr<int32_t> s = operand(v, ret);
    if (failed(s))
      return failure();
    outputs.push_back({*s, name.getValue().str()});
    if (name.getValue() == "logits")
      if (auto t = dyn_cast<RankedTensorType>(v.getType()); t && t.hasRank() &&
                                                              !t.isDynamicDim(t.getRank() - 1))
        vocab = t.getDimSize(t.getRank() - 1);
  }
  if (!vocab)
    return fn.emitError() << "expected a 'logits' result with a static vocabulary size";

  // Liveness: free each computed value after its last use (function results
  // and weights stay).
  llvm::DenseSet<Value> returned(ret.getOperands().begin(), ret.getOperands().end());
  llvm::DenseMap<Value, size_t> lastUse;
  const llvm::DenseMap<Operation *, size_t> &callIndex = lastCallOf;
  auto valueLive = [&](Value v) {
    return slots.count(v) && !returned.contains(v);
  };
  for (Operation &op : body.without_terminator()) {
    auto ci = callIndex.find(&op);
    if (ci == callIndex.end())
      continue;
    for (Value v : op.getOperands())
      if (valueLive(v))
        lastUse[v] = std::max(lastUse.lookup(v), ci->second);
    for (Value r : op.getResults())
      if (valueLive(r) && !lastUse.count(r))
        lastUse[r] = ci->second; // unused result: free at once
  }
  for (BlockArgument a : body.getArguments())
    if (valueLive(a) && !lastUse.count(a) && !calls.empty())
      lastUse[a] = 0;
  for (auto &[v, at] : lastUse)
    calls[at].frees.push_back(slots[v]);
  for (Call &c : calls)
    llvm::sort(c.frees);
  return success();
}

LogicalResult Lowering::lowerOp(Operation *op) {
  for (Value r : op->getResults()) {
    auto t = dyn_cast<RankedTensorType>(r.getType());
    if (!t)
      return op->emitError() << "the CPU target needs ranked tensors; result "
                             << cast<OpResult>(r).getResultNumber() << " is " << r.getType();
    if (t.getElementType().isBF16())
      return op->emitError() << "the CPU target has no bf16 activations", failure();
  }
  Call c;
  auto ins = [&](ValueRange vs) -> LogicalResult {
    for (Value v : vs) {
      FailureOr<int32_t> s = operand(v, op);
      if (failed(s))
        return failure();
      c.slots.push_back(*s);
    }
    return success();
  };
  auto outs = [&]() {
    for (Value r : op->getResults())
      c.slots.push_back(slotOf(r));
  };
  auto simple = [&](llvm::StringRef kernel) -> LogicalResult {
    c.kernel = kernel.str();
    outs();
    return ins(op->getOperands());
  };
  // A kernel of Kernels.h, called through runtime entry `kernel`.
  auto gen = [&](llvm::StringRef kernel, GeneratedKernel k) -> LogicalResult {
    c.generated = generate(k);
    return simple(kernel);
  };
  auto codeOf = [&](Value v, int &code) -> LogicalResult {
    code = rtCode(v.getType());
    if (!code)
      return op->emitError() << "element type " << getElementTypeOrSelf(v.getType())
                             << " is not supported on the CPU target";
    return success();
  };
  // Elementwise: one kernel per opcode, rank and element kinds.
  auto ew = [&](int opc) -> LogicalResult {
    SmallVector<int> ins;
    for (Value v : op->getOperands())
      if (failed(codeOf(v, ins.emplace_back())))
        return failure();
    int out;
    if (failed(codeOf(op->getResult(0), out)))
      return failure();
    std::string why;
    if (!cpu::ewSupported(opc, ins, why))
      return op->emitError() << "'" << op->getName() << "' on " << why
                             << " is not supported on the CPU target";
    int64_t rank = std::max<int64_t>(1, cast<RankedTensorType>(op->getResult(0).getType()).getRank());
    if (rank > 8) // the runtime's memref descriptors hold up to 8 dims
      return op->emitError() << "rank " << rank << " is not supported on the CPU target (at most 8)";
    SmallVector<int64_t> p = {opc, rank, out};
    p.append(ins.begin(), ins.end());
    c.ints = {(int64_t)ins.size(), out, rank, opc == cpu::Div && ins[0] != cpu::F32};
    c.ints.append(ins.begin(), ins.end());
    return gen("ew", {"ew", p});
  };
  // Data movement: a strided copy per element width and rank.
  auto copy = [&](llvm::StringRef kernel, Value like) -> LogicalResult {
    int code;
    if (failed(codeOf(like, code)))
      return failure();
    int64_t rank = std::max<int64_t>(1, cast<RankedTensorType>(like.getType()).getRank());
    if (rank > 8)
      return op->emitError() << "rank " << rank << " is not supported on the CPU target (at most 8)";
    c.generated = generate({"copy", {widthOf(code), rank}});
    return success();
  };
  LogicalResult r =
      llvm::TypeSwitch<Operation *, LogicalResult>(op)
          .Case<AddOp>([&](auto) { return ew(cpu::Add); })
          .Case<SubOp>([&](auto) { return ew(cpu::Sub); })
          .Case<MulOp>([&](auto) { return ew(cpu::Mul); })
          .Case<DivOp>([&](auto) { return ew(cpu::Div); })
          .Case<PowOp>([&](auto) { return ew(cpu::Pow); })
          .Case<MaxOp>([&](auto) { return ew(cpu::Max); })
          .Case<MinOp>([&](auto) { return ew(cpu::Min); })
          .Case<EqualOp>([&](auto) { return ew(cpu::Equal); })
          .Case<LessOp>([&](auto) { return ew(cpu::Less); })
          .Case<GreaterOp>([&](auto) { return ew(cpu::Greater); })
          .Case<AndOp>([&](auto) { return ew(cpu::And); })
          .Case<OrOp>([&](auto) { return ew(cpu::Or); })
          .Case<NegOp>([&](auto) { return ew(cpu::Neg); })
          .Case<AbsOp>([&](auto) { return ew(cpu::Abs); })
          .Case<SqrtOp>([&](auto) { return ew(cpu::Sqrt); })
          .Case<ReciprocalOp>([&](auto) { return ew(cpu::Reciprocal); })
          .Case<ExpOp>([&](auto) { return ew(cpu::Exp); })
          .Case<LogOp>([&](auto) { return ew(cpu::Log); })
          .Case<CosOp>([&](auto) { return ew(cpu::Cos); })
          .Case<SinOp>([&](auto) { return ew(cpu::Sin); })
          .Case<TanhOp>([&](auto) { return ew(cpu::Tanh); })
          .Case<SigmoidOp>([&](auto) { return ew(cpu::Sigmoid); })
          .Case<NotOp>([&](auto) { return ew(cpu::Not); })
          .Case<SiluOp>([&](auto) { return ew(cpu::Silu); })
          .Case<WhereOp>([&](auto) { return ew(cpu::Where); })
          // To f16: to f32 here, rounded after the call (see below).
          .Case<CastOp>([&](CastOp o) { return ew(cpu::Cast); })
          .Case<ReduceMeanOp, ReduceSumOp, ReduceMaxOp>([&](auto o) -> LogicalResult {
            int code;
            if (failed(codeOf(o.getInput(), code)))
              return failure();
            if (code != cpu::F32 && code != cpu::I64 && code != cpu::I32)
              return o.emitError() << "reductions of " << getElementTypeOrSelf(o.getInput().getType())
                                   << " are not supported on the CPU target";
            int64_t rank = cast<RankedTensorType>(o.getInput().getType()).getRank();
            if (rank == 0 || rank > 8)
              return o.emitError() << "reductions of rank " << rank
                                   << " are not supported on the CPU target";
            uint64_t mask = 0;
            for (int64_t a : o.getAxes()) {
              int64_t n = a < 0 ? a + rank : a;
              if (n < 0 || n >= rank)
                return o.emitError() << "axis " << a << " out of range for rank " << rank;
              mask |= 1ull << n;
            }
            if (o.getAxes().empty())
              mask = (1ull << rank) - 1;
            int kind = isa<ReduceMeanOp>(o) ? 0 : isa<ReduceSumOp>(o) ? 1 : 2;
            c.ints = {kind, o.getKeepdims(), rank, (int64_t)mask};
            return gen("reduce", {"reduce", {kind, code, rank, (int64_t)mask}});
          })
          .Case<SoftmaxOp>([&](SoftmaxOp o) {
            c.ints.push_back(o.getAxis());
            return gen("softmax", {"softmax", 0});
          })
          .Case<ReshapeOp>([&](auto) { return simple("reshape"); })
          .Case<FlattenOp>([&](FlattenOp o) {
            c.ints.push_back(o.getAxis());
            return simple("flatten");
          })
          .Case<UnsqueezeOp, SqueezeOp>([&](auto o) {
            ArrayRef<int64_t> axes = o.getAxes();
            c.ints.push_back(axes.size());
            c.ints.append(axes.begin(), axes.end());
            return simple(isa<UnsqueezeOp>(o) ? "unsqueeze" : "squeeze");
          })
          .Case<ShapeOp>([&](ShapeOp o) {
            c.ints.push_back((int64_t)o.getStart());
            c.ints.push_back(o.getEnd() ? (int64_t)*o.getEnd() : INT64_MAX);
            return simple("shape");
          })
          .Case<TransposeOp>([&](TransposeOp o) -> LogicalResult {
            c.ints.push_back(o.getPerm().size());
            c.ints.append(o.getPerm().begin(), o.getPerm().end());
            if (failed(copy("transpose", o.getInput())))
              return failure();
            return simple("transpose");
          })
          .Case<ConcatOp>([&](ConcatOp o) -> LogicalResult {
            c.ints.push_back(o.getAxis());
            c.ints.push_back(o->getNumOperands());
            if (failed(copy("concat", o.getResult())))
              return failure();
            return simple("concat");
          })
          .Case<SplitOp>([&](SplitOp o) -> LogicalResult {
            c.ints.push_back(o.getAxis());
            c.ints.push_back(o->getNumResults());
            c.ints.append(o.getSizes().begin(), o.getSizes().end());
            if (failed(copy("split", o.getInput())))
              return failure();
            return simple("split");
          })
          .Case<SliceOp>([&](SliceOp o) -> LogicalResult {
            if (failed(copy("slice", o.getInput())))
              return failure();
            c.kernel = "slice";
            outs();
            return ins({o.getInput(), o.getStarts(), o.getEnds(), o.getAxes(),
                        o.getSteps()});
          })
          .Case<GatherOp, GatherNDOp>([&](auto o) -> LogicalResult {
            int code, idx;
            if (failed(codeOf(o->getOperand(0), code)) || failed(codeOf(o->getOperand(1), idx)))
              return failure();
            bool nd = isa<GatherNDOp>(o);
            if (!nd && idx != cpu::I64 && idx != cpu::I32)
              return o.emitError() << "gather indices must be int32 or int64 on the CPU target";
            if constexpr (std::is_same_v<decltype(o), GatherOp>)
              c.ints.push_back(o.getAxis());
            else
              c.ints.push_back(o.getBatchDims());
            return gen(nd ? "gather_nd" : "gather",
                       {"gather", {widthOf(code), nd ? (int64_t)cpu::I64 : (int64_t)idx}});
          })
          .Case<ExpandOp>([&](ExpandOp o) -> LogicalResult {
            if (failed(copy("expand", o.getResult())))
              return failure();
            return simple("expand");
          })
          .Case<ConstantOfShapeOp>([&](ConstantOfShapeOp o) -> LogicalResult {
            int code;
            if (failed(codeOf(o.getResult(), code)))
              return failure();
            c.ints.push_back(code);
            Attribute v = o.getValue();
            if (auto f = dyn_cast<FloatAttr>(v)) {
              c.ints.push_back(0);
              c.floats.push_back(f.getValueAsDouble());
            } else if (auto i = dyn_cast<IntegerAttr>(v)) {
              c.ints.push_back(i.getValue().getSExtValue());
              c.floats.push_back(0);
            } else {
              return o.emitError() << "unsupported constant_of_shape value";
            }
            return gen("constant_of_shape", GeneratedKernel("fill", SmallVector<int64_t>{widthOf(code)}));
          })
          .Case<RangeOp>([&](RangeOp o) -> LogicalResult {
            int code;
            if (failed(codeOf(o.getResult(), code)))
              return failure();
            if (code != cpu::F32 && code != cpu::I64 && code != cpu::I32)
              return o.emitError() << "range of " << getElementTypeOrSelf(o.getType())
                                   << " is not supported on the CPU target";
            return gen("range", GeneratedKernel("range", SmallVector<int64_t>{code}));
          })
          .Case<TriluOp>([&](TriluOp o) -> LogicalResult {
            int code;
            if (failed(codeOf(o.getResult(), code)))
              return failure();
            c.ints.push_back(o.getUpper());
            c.ints.push_back(o.getDiagonal());
            return gen("trilu", {"trilu", {widthOf(code), (int64_t)o.getUpper(),
                                           (int64_t)o.getDiagonal()}});
          })
          .Case<EmbeddingOp>([&](EmbeddingOp o) -> LogicalResult {
            int idx;
            if (failed(codeOf(o->getOperand(1), idx)))
              return failure();
            if (idx != cpu::I64 && idx != cpu::I32)
              return o.emitError() << "token ids must be int32 or int64 on the CPU target";
            return gen("embedding", {"gather", {4, idx}});
          })
          .Case<RMSNormOp>([&](RMSNormOp o) -> LogicalResult {
            // Rows of the hidden width (static where the types say; else
            // read from the weight at run time): generated code.
            auto in = cast<RankedTensorType>(o.getInput().getType());
            auto wt = cast<RankedTensorType>(o.getWeight().getType());
            if (rtCode(in) != cpu::F32 || rtCode(wt) != cpu::F32 || wt.getRank() != 1 ||
                (o.getSkip() && rtCode(o.getSkip().getType()) != cpu::F32))
              return o.emitError() << "rms_norm of " << in << " with weight " << wt
                                   << " is not supported on the CPU target (float rows "
                                      "and a rank-1 float weight are)";
            int64_t h = wt.isDynamicDim(0) ? in.getDimSize(in.getRank() - 1) : wt.getDimSize(0);
            if (h == ShapedType::kDynamic)
              h = -1;
            c.generated = generate({o.getSkip() ? "rms_norm_skip" : "rms_norm", h,
                                    o.getEpsilon().convertToFloat()});
            c.kernel = "rms_rows";
            c.ints = {h};
            c.slots.push_back(slotOf(o.getOutput()));
            c.slots.push_back(o.getResidual() ? slotOf(o.getResidual()) : -1);
            return ins({o.getInput(), o.getWeight(), o.getSkip()});
          })
          .Case<MatMulOp>([&](MatMulOp o) -> LogicalResult {
            auto rt = cast<RankedTensorType>(o.getRhs().getType());
            if (WeightEvaluator::isWeightExpression(o.getRhs()) && rt.getRank() == 2) {
              // The compiler's layout choice: each output column's weights
              // contiguous, for a GEMV that streams them once.
              c.kernel = "matmul_wt";
              outs();
              if (failed(ins({o.getLhs()})))
                return failure();
              FailureOr<int32_t> w = operand(o.getRhs(), o, /*transposed=*/true);
              if (failed(w))
                return failure();
              c.slots.push_back(*w);
              return success();
            }
            if (rtCode(o.getLhs().getType()) != cpu::F32 ||
                rtCode(o.getRhs().getType()) != cpu::F32)
              return o.emitError() << "matmul of non-float operands is not supported on the "
                                      "CPU target";
            return gen("matmul", {"matmul", 0});
          })
          .Case<MatMulNBitsOp>([&](MatMulNBitsOp o) -> LogicalResult {
            if (o.getZeroPoints() &&
                !getElementTypeOrSelf(o.getZeroPoints().getType()).isUnsignedInteger(8))
              return o.emitError() << "float zero points are not supported on the "
                                      "CPU target";
            if (o.getBits() != 4 && o.getBits() != 8)
              return o.emitError() << o.getBits()
                                   << "-bit weights are not supported on the CPU "
                                      "target (4 and 8 are)";
            c.kernel = "matmul_nbits";
            // Accuracy level (onnxruntime's meaning): 4 computes with int8
            // activations, anything else in f32.
            int64_t acc = opts.accuracyLevel;
            if (acc < 0)
              if (auto a = o->getAttrOfType<IntegerAttr>("onnx.accuracy_level"))
                acc = a.getInt();
            c.ints.append({(int64_t)o.getBits(), (int64_t)o.getBlockSize(),
                           (int64_t)o.getK(), (int64_t)o.getN(), acc == 4 ? 4 : 0});
            outs();
            return ins({o.getInput(), o.getB(), o.getScales(), o.getZeroPoints()});
          })
          .Case<RotaryOp>([&](RotaryOp o) -> LogicalResult {
            c.ints.push_back(o.getRotaryDim());
            c.ints.push_back(o.getOriginalMaxPositions()
                                 ? (int64_t)*o.getOriginalMaxPositions()
                                 : -1);
            auto sf = o.getShortFactor(), lf = o.getLongFactor();
            c.ints.push_back(sf ? sf->size() : 0);
            c.ints.push_back(lf ? lf->size() : 0);
            c.floats.push_back(o.getTheta().convertToFloat());
            c.floats.push_back(o.getMscale().convertToFloat());
            if (sf)
              c.floats.append(sf->begin(), sf->end());
            if (lf)
              c.floats.append(lf->begin(), lf->end());
            // The rotation is generated code (head dim static where the
            // types say); the runtime keeps the LongRoPE choice and the
            // cos/sin tables.
            auto in = cast<RankedTensorType>(o.getInput().getType());
            if (rtCode(in) != cpu::F32 || in.getRank() != 4 ||
                (!in.isDynamicDim(3) && (int64_t)o.getRotaryDim() > in.getDimSize(3)))
              return o.emitError() << "rotary of " << in << " (rotary dim " << o.getRotaryDim()
                                   << ") is not supported on the CPU target";
            c.generated = generate({"rotary", in.isDynamicDim(3) ? -1 : in.getDimSize(3),
                                    (float)o.getRotaryDim()});
            return simple("rotary_rows");
          })
          .Case<AttentionOp>([&](AttentionOp o) -> LogicalResult {
            c.kernel = "attention";
            outs();
            c.ints.append({(int64_t)o.getNumHeads(), (int64_t)o.getNumKvHeads(),
                           (int64_t)o.getCausal()});
            auto qt = cast<RankedTensorType>(o.getQ().getType());
            if (qt.getRank() != 4 || qt.isDynamicDim(3))
              return o.emitError() << "attention of q " << qt
                                   << " needs a static head dim on the CPU target";
            int64_t d = qt.getDimSize(3);
            c.generated = generate({"attention", {(int64_t)o.getCausal(), o.getMask() ? 1 : 0, d},
                                    o.getScale().convertToFloat()});
            return ins({o.getQ(), o.getK(), o.getV(), o.getPastKey(),
                        o.getPastValue(), o.getMask()});
          })
          .Case<GatedSiluOp>([&](GatedSiluOp o) -> LogicalResult {
            // Rows (static width where the types say): generated code, the
            // runtime calls it on row blocks across threads.
            auto in = cast<RankedTensorType>(o.getInput().getType());
            auto out = cast<RankedTensorType>(o.getType());
            if (rtCode(in) != cpu::F32 || rtCode(out) != cpu::F32)
              return o.emitError() << "gated_silu of " << in
                                   << " is not supported on the CPU target";
            int64_t cols = in.isDynamicDim(in.getRank() - 1) ? -1 : in.getDimSize(in.getRank() - 1) / 2;
            c.generated = generate({"gated_silu", cols});
            c.ints = {cols < 0 ? -1 : 2 * cols, cols};
            return simple("rows");
          })
          .Default([&](Operation *o) {
            return o->emitError() << "'" << o->getName()
                                  << "' is not supported by the CPU target";
          });
  if (failed(r))
    return failure();
  calls.push_back(std::move(c));
  // fp16 activations (--quant=fp16) live in f32 slots, rounded to fp16 where
  // the IR says a value is f16: fp16 storage, f32 arithmetic, as onnxruntime's
  // CPU provider runs fp16 graphs.
  for (Value res : op->getResults())
    if (getElementTypeOrSelf(res.getType()).isF16()) {
      Call round;
      round.kernel = "ew";
      int64_t rank = std::max<int64_t>(1, cast<RankedTensorType>(res.getType()).getRank());
      round.slots = {slots[res], slots[res]};
      round.ints = {1, cpu::F32, rank, 0, cpu::F32};
      round.generated = generate({"ew", {cpu::RoundF16, rank, cpu::F32, cpu::F32}});
      calls.push_back(std::move(round));
    }
  lastCallOf[op] = calls.size() - 1;
  return success();
}

LogicalResult Lowering::writeWeights(llvm::StringRef path) {
  std::string err;
  auto out = openOutputFile(path, &err);
  if (!out)
    return module.emitError() << err;
  WeightEvaluator eval(module);
  llvm::raw_ostream &os = out->os();
  ::phi::weights::Header h{};
  memcpy(h.magic, ::phi::weights::kMagic, 8);
  h.version = ::phi::weights::kVersion;
  h.payloadSize = payload;
  h.tensorCount = weights.size();
  // The header is written last; reserve it.
  std::vector<char> zeros(::phi::weights::kAlign, 0);
  os.write(zeros.data(), sizeof h);
  // The hash covers the program too (kernels, slots, attributes): two
  // models with equal weights but different code do not share weights files.
  uint64_t hsh = ::phi::weights::kFnvBasis;
  for (const Call &c : calls) {
    hsh = ::phi::weights::fnv1a(hsh, c.kernel.data(), c.kernel.size());
    hsh = ::phi::weights::fnv1a(hsh, c.slots.data(), c.slots.size() * 4);
    hsh = ::phi::weights::fnv1a(hsh, c.ints.data(), c.ints.size() * 8);
    hsh = ::phi::weights::fnv1a(hsh, c.floats.data(), c.floats.size() * 4);
  }
  int64_t at = 0;
  for (WeightSlot &w : weights) {
    int64_t pad = w.offset - at;
    os.write(zeros.data(), pad);
    hsh = ::phi::weights::fnv1a(hsh, zeros.data(), pad);
    FailureOr<ArrayRef<char>> bytes = eval.evaluate(w.value);
    if (failed(bytes))
      return failure();
    std::vector<char> wide;
    if (w.widen) {
      wide.resize(bytes->size() * 2);
      for (size_t i = 0; i < bytes->size() / 2; ++i) {
        uint16_t h;
        memcpy(&h, bytes->data() + 2 * i, 2);
        llvm::APFloat v(llvm::APFloat::IEEEhalf(), llvm::APInt(16, h));
        bool lost;
        v.convert(llvm::APFloat::IEEEsingle(), llvm::APFloat::rmNearestTiesToEven, &lost);
        float f = v.convertToFloat();
        memcpy(wide.data() + 4 * i, &f, 4);
      }
      bytes = ArrayRef<char>(wide);
    }
    if ((int64_t)bytes->size() != w.nbytes)
      return w.value.getDefiningOp()->emitError()
             << "weight evaluated to " << bytes->size() << " bytes, expected " << w.nbytes;
    if (w.transposed) {
      // [K, N] -> [N, K], element by element.
      auto t = cast<RankedTensorType>(w.value.getType());
      int64_t k = t.getDimSize(0), n = t.getDimSize(1), e = w.nbytes / (k * n);
      std::vector<char> tr(w.nbytes);
      for (int64_t i = 0; i < k; ++i)
        for (int64_t j = 0; j < n; ++j)
          memcpy(&tr[(j * k + i) * e], bytes->data() + (i * n + j) * e, e);
      os.write(tr.data(), tr.size());
      hsh = ::phi::weights::fnv1a(hsh, tr.data(), tr.size());
    } else {
      os.write(bytes->data(), bytes->size());
      hsh = ::phi::weights::fnv1a(hsh, bytes->data(), bytes->size());
    }
    eval.forget(w.value);
    at = w.offset + w.nbytes;
    if (opts.progress)
      opts.progress(at, payload);
  }
  h.payloadHash = hsh;
  hash = hsh;
  os.flush();
  if (out->os().has_error())
    return module.emitError() << "cannot write '" << path << "'";
  // Patch the header in place.
  out->keep();
  out.reset();
  int fd;
  if (std::error_code ec = llvm::sys::fs::openFileForReadWrite(
          path, fd, llvm::sys::fs::CD_OpenExisting, llvm::sys::fs::OF_None))
    return module.emitError() << "cannot write '" << path << "': " << ec.message();
  llvm::raw_fd_ostream patch(fd, /*shouldClose=*/true);
  patch.seek(0);
  patch.write(reinterpret_cast<const char *>(&h), sizeof h);
  return success();
}

std::string Lowering::kernelName(int i) const {
  // <model>_<kind>_<width> (transposes: _<perm>), unique by construction but
  // for kernels differing only in epsilon or rotary dim: those get _<index>.
  auto base = [&](int k) {
    const GeneratedKernel &g = generated[k];
    std::string n = opts.name + "_" + g.kind + "_";
    if (!g.p.empty())
      for (auto [j, p] : llvm::enumerate(g.p))
        n += (j ? "_" : "") + (p < 0 ? "m" + std::to_string(-p) : std::to_string(p));
    else
      n += g.cols < 0 ? std::string("dyn") : std::to_string(g.cols);
    return n;
  };
  std::string n = base(i);
  for (int k = 0; k < i; ++k)
    if (base(k) == n)
      return n + "_" + std::to_string(i);
  return n;
}

int Lowering::generate(const GeneratedKernel &k) {
  auto it = llvm::find(generated, k);
  if (it != generated.end())
    return it - generated.begin();
  generated.push_back(k);
  return generated.size() - 1;
}

OwningOpRef<ModuleOp> Lowering::buildKernels() {
  MLIRContext *ctx = module.getContext();
  ctx->loadDialect<func::FuncDialect, linalg::LinalgDialect, memref::MemRefDialect,
                   math::MathDialect, arith::ArithDialect, scf::SCFDialect,
                   vector::VectorDialect>();
  Location loc = fn.getLoc();
  OwningOpRef<ModuleOp> km = ModuleOp::create(loc);
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(km->getBody());
  for (size_t i = 0; i < generated.size(); ++i) {
    int64_t n = generated[i].cols;
    const GeneratedKernel &k = generated[i];
    ArrayRef<int64_t> p = k.p;
    std::string name = kernelName(i);
    if (k.kind == "ew") {
      SmallVector<int> ins(p.drop_front(3).begin(), p.drop_front(3).end());
      cpu::buildEwKernel(b, loc, name, p[0], p[1], ins, p[2]);
      continue;
    }
    if (k.kind == "copy") {
      cpu::buildCopyKernel(b, loc, name, p[0], p[1]);
      continue;
    }
    if (k.kind == "reduce") {
      cpu::buildReduceKernel(b, loc, name, p[0], p[1], p[2], p[3]);
      continue;
    }
    if (k.kind == "softmax") {
      cpu::buildSoftmaxKernel(b, loc, name);
      continue;
    }
    if (k.kind == "gather") {
      cpu::buildGatherKernel(b, loc, name, p[0], p[1]);
      continue;
    }
    if (k.kind == "trilu") {
      cpu::buildTriluKernel(b, loc, name, p[0], p[1], p[2]);
      continue;
    }
    if (k.kind == "fill") {
      cpu::buildFillKernel(b, loc, name, p[0]);
      continue;
    }
    if (k.kind == "range") {
      cpu::buildRangeKernel(b, loc, name, p[0]);
      continue;
    }
    if (k.kind == "matmul") {
      cpu::buildMatmulKernel(b, loc, name);
      continue;
    }
    if (k.kind == "attention") {
      cpu::buildAttentionKernel(b, loc, name, p[0], p[1], k.eps, p[2]);
      continue;
    }
    if (generated[i].kind == "rotary") {
      cpu::buildRotaryKernel(b, loc, kernelName(i), n, (int64_t)generated[i].eps);
      continue;
    }
    if (generated[i].kind != "gated_silu") {
      cpu::buildRMSNormKernel(b, loc, kernelName(i), n, generated[i].eps,
                         generated[i].kind == "rms_norm_skip");
      continue;
    }
    cpu::buildGatedSiluKernel(b, loc, kernelName(i), n);
  }
  return km;
}

LogicalResult Lowering::buildGenerated(ModuleOp m) {
  if (generated.empty())
    return success();
  MLIRContext *ctx = module.getContext();
  OwningOpRef<ModuleOp> km = buildKernels();
  // exp as a polynomial (arith only): the loops stay vectorizable, where a
  // call to expf would keep them scalar.
  {
    RewritePatternSet patterns(ctx);
    // exp and tanh only: sin, cos and log keep libm's accuracy (plain
    // rotary exports take cos/sin of positions in the thousands).
    populateMathPolynomialApproximationPatterns(patterns, [](llvm::StringRef n) {
      return n == "math.exp" || n == "math.tanh" || n == "exp" || n == "tanh";
    });
    if (failed(applyPatternsGreedily(*km, std::move(patterns))))
      return module.emitError() << "approximating math in the generated CPU kernels failed";
  }
  // The approximations use math.fma and math.floor, which become calls to
  // fmaf / floorf (scalar, slow) on CPUs without FMA / SSE4.1, the default
  // x86-64 included. A contractable multiply-add is an FMA where the CPU has
  // one; floor is round-to-nearest by the 1.5 * 2^23 trick, minus one where
  // that rounded up (exact for |x| < 2^22; exp's argument beyond that is
  // selected away by the approximation's own overflow checks).
  {
    SmallVector<Operation *> fmas, floors;
    km->walk([&](Operation *op) {
      if (isa<math::FmaOp>(op))
        fmas.push_back(op);
      else if (isa<math::FloorOp>(op) && getElementTypeOrSelf(op->getResult(0).getType()).isF32())
        floors.push_back(op);
    });
    auto contract = arith::FastMathFlagsAttr::get(ctx, arith::FastMathFlags::contract);
    for (Operation *op : fmas) {
      OpBuilder fb(op);
      Location l = op->getLoc();
      Value m = arith::MulFOp::create(fb, l, op->getOperand(0), op->getOperand(1), contract);
      op->getResult(0).replaceAllUsesWith(
          arith::AddFOp::create(fb, l, m, op->getOperand(2), contract));
      op->erase();
    }
    for (Operation *op : floors) {
      OpBuilder fb(op);
      Location l = op->getLoc();
      Value x = op->getOperand(0);
      Type t = x.getType();
      auto splat = [&](float v) -> Value {
        Attribute a = fb.getF32FloatAttr(v);
        if (auto vt = dyn_cast<VectorType>(t))
          a = DenseElementsAttr::get(vt, a);
        return arith::ConstantOp::create(fb, l, t, cast<TypedAttr>(a));
      };
      Value magic = splat(12582912.0f); // 1.5 * 2^23
      Value r = arith::SubFOp::create(fb, l, arith::AddFOp::create(fb, l, x, magic), magic);
      Value up = arith::CmpFOp::create(fb, l, arith::CmpFPredicate::OGT, r, x);
      Value fl = arith::SelectOp::create(fb, l, up, arith::SubFOp::create(fb, l, r, splat(1.0f)), r);
      op->getResult(0).replaceAllUsesWith(fl);
      op->erase();
    }
  }
  // linalg -> loops -> LLVM; LLVM's own pipeline vectorizes them for the CPU.
  PassManager pm(ctx);
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  if (failed(pm.run(*km)))
    return module.emitError() << "lowering the generated CPU kernels failed";
  bool allLLVM = true;
  km->walk([&](Operation *op) {
    if (!isa<ModuleOp>(op) && op->getDialect() &&
        op->getDialect()->getNamespace() != LLVM::LLVMDialect::getDialectNamespace())
      allLLVM = false;
  });
  if (!allLLVM)
    return module.emitError() << "generated CPU kernels did not lower to the LLVM dialect";
  // The C-interface wrappers are the runtime's entry points into the
  // kernels, reached only through the addresses _run passes: internal too.
  km->walk([&](LLVM::LLVMFuncOp f) {
    if (f.getName().starts_with("_mlir_ciface_"))
      f.setLinkage(LLVM::Linkage::Internal);
  });
  // Generic x86-64 objects also carry each kernel built for x86-64-v3
  // (AVX2, FMA, F16C) as <kernel>_avx2; _run picks one set at run time
  // (phi_rt_cpu_level), so the default artifact runs anywhere and uses
  // 256-bit vectors where the CPU has them.
  if (multiversion) {
    SmallVector<LLVM::LLVMFuncOp> bodies;
    llvm::StringSet<> names;
    km->walk([&](LLVM::LLVMFuncOp f) {
      if (!f.isExternal()) {
        bodies.push_back(f);
        names.insert(f.getName());
      }
    });
    OpBuilder cb(ctx);
    cb.setInsertionPointToEnd(km->getBody());
    auto features = LLVM::TargetFeaturesAttr::get(ctx, "+avx,+avx2,+fma,+f16c,+bmi,+bmi2");
    for (LLVM::LLVMFuncOp f : bodies) {
      auto clone = cast<LLVM::LLVMFuncOp>(cb.clone(*f));
      clone.setSymName((f.getName() + "_avx2").str());
      clone.setTargetCpu("x86-64-v3");
      clone.setTargetFeaturesAttr(features);
      clone.walk([&](LLVM::CallOp call) {
        if (auto callee = call.getCallee(); callee && names.contains(*callee))
          call.setCallee((*callee + "_avx2").str());
      });
    }
  }
  OpBuilder mb(ctx);
  mb.setInsertionPointToEnd(m.getBody());
  for (Operation &op : km->getBody()->getOperations())
    mb.clone(op);
  return success();
}

OwningOpRef<ModuleOp> Lowering::build() {
  MLIRContext *ctx = module.getContext();
  ctx->loadDialect<LLVM::LLVMDialect>();
  Location loc = fn.getLoc();
  OwningOpRef<ModuleOp> m = ModuleOp::create(loc);
  {
    llvm::Triple t(opts.triple.empty() ? llvm::sys::getDefaultTargetTriple() : opts.triple);
    multiversion = t.getArch() == llvm::Triple::x86_64 && opts.cpu == "generic" &&
                   opts.features.empty();
  }
  if (failed(buildGenerated(*m)))
    return nullptr;
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(m->getBody());
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i32 = b.getI32Type(), i64 = b.getI64Type();
  auto voidTy = LLVM::LLVMVoidType::get(ctx);
  llvm::StringMap<LLVM::LLVMFuncOp> decls;
  auto declare = [&](llvm::StringRef name, ArrayRef<Type> args) {
    auto it = decls.find(name);
    if (it != decls.end())
      return it->second;
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(m->getBody());
    auto f = LLVM::LLVMFuncOp::create(b, loc, name, LLVM::LLVMFunctionType::get(voidTy, args));
    decls[name] = f;
    return f;
  };
  int globals = 0;
  auto constArray = [&](Type elem, Attribute values, int64_t n) -> Value {
    if (n == 0)
      return LLVM::ZeroOp::create(b, loc, ptr);
    LLVM::GlobalOp g;
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(m->getBody());
      g = LLVM::GlobalOp::create(b, loc, LLVM::LLVMArrayType::get(elem, n),
                                 /*isConstant=*/true, LLVM::Linkage::Internal,
                                 "__phi_c" + std::to_string(globals++), values);
    }
    return LLVM::AddressOfOp::create(b, loc, g);
  };
  auto i32s = [&](ArrayRef<int32_t> v) {
    return constArray(i32,
                      v.empty() ? Attribute()
                                : (Attribute)DenseIntElementsAttr::get(
                                      RankedTensorType::get({(int64_t)v.size()}, i32), v),
                      v.size());
  };
  auto i64s = [&](ArrayRef<int64_t> v) {
    return constArray(i64,
                      v.empty() ? Attribute()
                                : (Attribute)DenseIntElementsAttr::get(
                                      RankedTensorType::get({(int64_t)v.size()}, i64), v),
                      v.size());
  };
  auto f32s = [&](ArrayRef<float> v) {
    return constArray(b.getF32Type(),
                      v.empty() ? Attribute()
                                : (Attribute)DenseFPElementsAttr::get(
                                      RankedTensorType::get({(int64_t)v.size()},
                                                            b.getF32Type()),
                                      v),
                      v.size());
  };
  auto cst = [&](Type t, int64_t v) -> Value {
    return LLVM::ConstantOp::create(b, loc, t, b.getIntegerAttr(t, v));
  };
  auto cstr = [&](llvm::StringRef s) {
    // The global holds exactly the given bytes: add the C terminator.
    std::string z = s.str();
    z.push_back('\0');
    return LLVM::createGlobalString(loc, b, "__phi_s" + std::to_string(globals++), z,
                                    LLVM::Linkage::Internal);
  };

  // <name>_describe(rt)
  {
    auto f = LLVM::LLVMFuncOp::create(b, loc, opts.name + "_describe",
                                      LLVM::LLVMFunctionType::get(voidTy, {ptr}));
    Block *entry = f.addEntryBlock(b);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(entry);
    Value rt = entry->getArgument(0);
    LLVM::CallOp::create(b, loc, declare("phi_rt_model", {ptr, i64, i64, i64, i64, i64}),
                         ValueRange{rt, cst(i64, numSlots), cst(i64, contextLength),
                                    cst(i64, vocab), cst(i64, payload),
                                    cst(i64, (int64_t)hash)});
    for (const InputDecl &in : inputs)
      LLVM::CallOp::create(b, loc, declare("phi_rt_input", {ptr, i32, ptr, i32, ptr}),
                           ValueRange{rt, cst(i32, in.slot), cstr(in.name),
                                      cst(i32, in.shape.size()), i64s(in.shape)});
    for (auto &[slot, name] : outputs)
      LLVM::CallOp::create(b, loc, declare("phi_rt_output", {ptr, i32, ptr}),
                           ValueRange{rt, cst(i32, slot), cstr(name)});
    for (const WeightSlot &w : weights)
      LLVM::CallOp::create(
          b, loc, declare("phi_rt_weight", {ptr, i32, i64, i64, i32, i32, ptr}),
          ValueRange{rt, cst(i32, w.slot), cst(i64, w.offset), cst(i64, w.nbytes),
                     cst(i32, w.dtype), cst(i32, w.shape.size()), i64s(w.shape)});
    LLVM::ReturnOp::create(b, loc, ValueRange{});
  }
  // <name>_run(rt)
  {
    auto f = LLVM::LLVMFuncOp::create(b, loc, opts.name + "_run",
                                      LLVM::LLVMFunctionType::get(voidTy, {ptr}));
    Block *entry = f.addEntryBlock(b);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(entry);
    Value rt = entry->getArgument(0);
    Value avx2;
    if (multiversion && !generated.empty()) {
      LLVM::LLVMFuncOp decl;
      {
        OpBuilder::InsertionGuard g2(b);
        b.setInsertionPointToStart(m->getBody());
        decl = LLVM::LLVMFuncOp::create(b, loc, "phi_rt_cpu_level",
                                        LLVM::LLVMFunctionType::get(i32, {ptr}));
      }
      auto level = LLVM::CallOp::create(b, loc, decl, ValueRange{rt});
      avx2 = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::sge, level.getResult(),
                                  cst(i32, 3));
    }
    for (const Call &c : calls) {
      if (c.generated >= 0) {
        std::string k = (generated[c.generated].ciface() ? "_mlir_ciface_" : "") +
                        kernelName(c.generated);
        Value fn = LLVM::AddressOfOp::create(b, loc, ptr, k);
        if (avx2)
          fn = LLVM::SelectOp::create(b, loc, avx2,
                                      LLVM::AddressOfOp::create(b, loc, ptr, k + "_avx2"), fn);
        LLVM::CallOp::create(b, loc, declare("phi_rt_" + c.kernel, {ptr, ptr, ptr, ptr, ptr}),
                             ValueRange{rt, i32s(c.slots), i64s(c.ints), f32s(c.floats), fn});
      } else
        LLVM::CallOp::create(b, loc, declare("phi_rt_" + c.kernel, {ptr, ptr, ptr, ptr}),
                             ValueRange{rt, i32s(c.slots), i64s(c.ints), f32s(c.floats)});
      for (int32_t s : c.frees)
        LLVM::CallOp::create(b, loc, declare("phi_rt_free", {ptr, i32}),
                             ValueRange{rt, cst(i32, s)});
    }
    LLVM::ReturnOp::create(b, loc, ValueRange{});
  }
  return m;
}

std::string headerText(const CPUTargetOptions &o) {
  std::string upper = llvm::StringRef(o.name).upper(), n = o.name;
  std::string guard = "PHI_MODEL_" + upper + "_H";
  std::string t = "/* Generated by phi-compile --target=cpu. Link " + n +
                  ".o with libphi_runtime.a. */\n#ifndef " + guard + "\n#define " + guard +
                  "\n\n#include \"phi/Runtime/phi.h\"\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n"
                  "void " + n + "_describe(void *rt);\nvoid " + n + "_run(void *rt);\n";
  if (o.embedWeights)
    t += "/* The weights file, inside " + n + ".o. */\nextern const unsigned char " + n +
         "_weights[];\nextern const unsigned char " + n + "_weights_end[];\n";
  t += "#ifdef __cplusplus\n}\n#endif\n\n";
  if (o.embedWeights)
    t += "#define " + upper + "_WEIGHTS_EMBEDDED 1\n";
  else
    t += "/* The weights file phi-compile wrote next to this header. */\n#define " + upper +
         "_WEIGHTS_FILE \"" + n + ".weights\"\n";
  t += "\nstatic const phi_model_def " + n + "_def = {PHI_ABI_VERSION, \"" + n + "\", " + n +
       "_describe, " + n + "_run};\n";
  if (o.embedWeights)
    t += "\n/* Creates an instance over the embedded weights. */\nstatic inline phi_status " +
         n + "_create(const phi_options *options, phi_model **out) {\n  return "
         "phi_model_create_from_memory(&" + n + "_def, " + n + "_weights, (size_t)(" + n +
         "_weights_end - " + n + "_weights), options, out);\n}\n";
  return t + "\n#endif\n";
}

/// Module-level assembly that places the weights file in read-only data
/// between <name>_weights and <name>_weights_end (page aligned, so the
/// payload keeps its 64-byte alignment).
std::string embedAsm(llvm::StringRef name, llvm::StringRef file) {
  std::string quoted;
  for (char ch : file) {
    if (ch == '"' || ch == '\\')
      quoted += '\\';
    quoted += ch;
  }
  return (".section .rodata.phi_weights,\"a\",@progbits\n.p2align 12\n.globl " + name +
          "_weights\n" + name + "_weights:\n.incbin \"" + quoted + "\"\n.globl " + name +
          "_weights_end\n" + name + "_weights_end:\n.text\n")
      .str();
}

} // namespace

OwningOpRef<ModuleOp> mlir::phi::buildCPUKernels(ModuleOp module,
                                                 const CPUTargetOptions &options) {
  Lowering l(module, options);
  if (failed(l.plan()))
    return nullptr;
  return l.buildKernels();
}

OwningOpRef<ModuleOp> mlir::phi::buildCPUModule(ModuleOp module,
                                                const CPUTargetOptions &options) {
  Lowering l(module, options);
  if (failed(l.plan()))
    return nullptr;
  return l.build();
}

LogicalResult mlir::phi::emitCPUArtifacts(ModuleOp module, llvm::StringRef dir,
                                          const CPUTargetOptions &opts) {
  auto path = [&](llvm::StringRef ext) {
    llvm::SmallString<256> p(dir);
    llvm::sys::path::append(p, opts.name + ext.str());
    return std::string(p);
  };
  if (!llvm::StringRef(opts.name).size() ||
      !llvm::all_of(opts.name, [](char ch) { return llvm::isAlnum(ch) || ch == '_'; }) ||
      llvm::isDigit(opts.name[0]))
    return module.emitError() << "model name '" << opts.name
                              << "' must be a C identifier";
  Lowering l(module, opts);
  if (failed(l.plan()))
    return failure();

  // Target machine first: a bad triple or CPU fails before any file exists.
  llvm::InitializeAllTargetInfos();
  llvm::InitializeAllTargets();
  llvm::InitializeAllTargetMCs();
  llvm::InitializeAllAsmPrinters();
  llvm::InitializeAllAsmParsers(); // module asm (--embed-weights)
  llvm::Triple triple(opts.triple.empty() ? llvm::sys::getDefaultTargetTriple()
                                          : opts.triple);
  std::string err;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, err);
  if (!target)
    return module.emitError() << "target triple '" << triple.str() << "': " << err;
  // --cpu=host: this machine's CPU and features (for the host triple only).
  std::string cpuName = opts.cpu, features = opts.features;
  if (cpuName == "host") {
    if (!opts.triple.empty() &&
        llvm::Triple(opts.triple).getArch() != llvm::Triple(llvm::sys::getDefaultTargetTriple()).getArch())
      return module.emitError() << "--cpu=host needs the host's triple, not '" << opts.triple << "'";
    cpuName = llvm::sys::getHostCPUName().str();
    std::string host;
    for (const auto &f : llvm::sys::getHostCPUFeatures())
      host += (host.empty() ? "" : ",") + std::string(f.second ? "+" : "-") + f.first().str();
    features = features.empty() ? host : host + "," + features;
  }
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpuName, features, llvm::TargetOptions(), llvm::Reloc::PIC_));
  if (!tm)
    return module.emitError() << "cannot create a target machine for '" << triple.str()
                              << "'";

  if (opts.embedWeights && !triple.isOSBinFormatELF())
    return module.emitError() << "--embed-weights needs an ELF target, not '"
                              << triple.str() << "'";
  std::string weightsPath = path(".weights"), tmpWeights = weightsPath + ".tmp";
  if (failed(l.writeWeights(tmpWeights))) {
    llvm::sys::fs::remove(tmpWeights);
    return failure();
  }
  auto cleanup = [&]() {
    llvm::sys::fs::remove(tmpWeights);
    return failure();
  };
  OwningOpRef<ModuleOp> llvmModule = l.build();
  if (!llvmModule)
    return cleanup();
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  module.getContext()->appendDialectRegistry(registry);
  llvm::LLVMContext llvmCtx;
  std::unique_ptr<llvm::Module> ir = translateModuleToLLVMIR(*llvmModule, llvmCtx, opts.name);
  if (!ir) {
    module.emitError() << "translation to LLVM IR failed";
    return cleanup();
  }
  ir->setTargetTriple(triple);
  ir->setDataLayout(tm->createDataLayout());
  // LLVM's O2 pipeline for the target CPU: vectorizes the generated kernels
  // (AVX2, AVX-512, NEON as --cpu/--features allow).
  {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder pb(tm.get());
    pb.registerModuleAnalyses(mam);
    pb.registerCGSCCAnalyses(cgam);
    pb.registerFunctionAnalyses(fam);
    pb.registerLoopAnalyses(lam);
    pb.crossRegisterProxies(lam, fam, cgam, mam);
    pb.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O2).run(*ir, mam);
  }
  if (opts.embedWeights) {
    llvm::SmallString<256> abs(tmpWeights);
    llvm::sys::fs::make_absolute(abs);
    ir->appendModuleInlineAsm(embedAsm(opts.name, abs));
  }

  auto obj = openOutputFile(path(".o"), &err);
  if (!obj) {
    module.emitError() << err;
    return cleanup();
  }
  llvm::legacy::PassManager pm;
  if (tm->addPassesToEmitFile(pm, obj->os(), nullptr, llvm::CodeGenFileType::ObjectFile)) {
    module.emitError() << "the target cannot emit object files";
    return cleanup();
  }
  pm.run(*ir);
  auto hdr = openOutputFile(path(".h"), &err);
  if (!hdr) {
    module.emitError() << err;
    return cleanup();
  }
  hdr->os() << headerText(opts);
  if (opts.embedWeights) {
    llvm::sys::fs::remove(tmpWeights);
  } else if (std::error_code ec = llvm::sys::fs::rename(tmpWeights, weightsPath)) {
    module.emitError() << "cannot write '" << weightsPath << "': " << ec.message();
    return cleanup();
  }
  obj->keep();
  hdr->keep();
  return success();
}
