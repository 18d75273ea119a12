//===- phi-compile.cpp - the end-to-end phi model compiler ----------------===//
//
//   phi-compile model.onnx --quant=int4 --group-size=32 --target=onnx -o out/
//
// Imports the model, runs the `phi-compile` pipeline (the same one
// `phi-opt --phi-compile="quant=int4 ..."` replays) and writes the target's
// artifacts. Outputs appear only when everything succeeded.
//
//===----------------------------------------------------------------------===//

#include "phi/Import/ONNX.h"
#include "mlir/Parser/Parser.h"
#include "phi/InitAll.h"
#include "phi/Pipelines/Pipelines.h"
#include "phi/Target/CPU.h"
#include "phi/Target/ONNX.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

#include <chrono>

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory cat("phi-compile options");
static cl::opt<std::string> inputPath(cl::Positional, cl::desc("<model.onnx | module.mlir>"),
                                      cl::Required, cl::cat(cat));
static cl::opt<std::string> outDir("o", cl::desc("Output directory"),
                                   cl::value_desc("dir"), cl::Required, cl::cat(cat));
static cl::opt<std::string> quant("quant", cl::desc("fp32 | fp16 | int8 | int4"),
                                  cl::init("fp32"), cl::cat(cat));
static cl::opt<int64_t> groupSize(
    "group-size",
    cl::desc("Quantization group along K (int4: 16-256, default 32; int8: 0 = "
             "per channel, the default)"),
    cl::init(-1), cl::cat(cat));
static cl::opt<bool> symmetric("symmetric", cl::desc("Symmetric quantization"),
                               cl::init(true), cl::cat(cat));
static cl::opt<bool> search("search",
                            cl::desc("Search each group's scale (better than RTN)"),
                            cl::init(false), cl::cat(cat));
static cl::opt<std::string> target("target", cl::desc("onnx | cpu | cuda"),
                                   cl::init("onnx"), cl::cat(cat));
static cl::opt<std::string> onnxStyle(
    "onnx-style",
    cl::desc("ort: com.microsoft contrib ops as onnxruntime-genai writes them; "
             "qdq: standard opsets only (DequantizeLinear, opset 21)"),
    cl::init("ort"), cl::cat(cat));
static cl::opt<int64_t> contextLength(
    "context-length",
    cl::desc("Longest sequence (rotary cache rows, genai max_length); default: "
             "the source model's, else 4096"),
    cl::init(0), cl::cat(cat));
static cl::opt<int64_t> accuracyLevel(
    "accuracy-level",
    cl::desc("Quantized matmuls (onnx: MatMulNBits accuracy_level; cpu: the "
             "kernel): 0 computes in fp32, 4 quantizes activations to int8 "
             "(faster on CPU; what the genai builder writes); -1 keeps an "
             "imported graph's, else 0"),
    cl::init(-1), cl::cat(cat));
static cl::opt<std::string> emit("emit",
                                 cl::desc("What to write: artifacts (default) | "
                                          "mlir (the IR after the pipeline) | kernels "
                                          "(cpu: the generated kernels in linalg/scf, "
                                          "before lowering) | llvm "
                                          "(cpu: the LLVM-dialect step) | obj (cpu: "
                                          "the artifacts, object included)"),
                                 cl::init("artifacts"), cl::cat(cat));
static cl::opt<std::string> modelName(
    "name", cl::desc("cpu: symbol and file prefix (<name>.o, <name>.h, <name>.weights, "
                     "<name>_def)"),
    cl::init("model"), cl::cat(cat));
static cl::opt<std::string> triple("triple",
                                   cl::desc("cpu: LLVM target triple (default: the host)"),
                                   cl::init(""), cl::cat(cat));
static cl::opt<std::string> cpu("cpu", cl::desc("cpu: target CPU (default generic: runs on any CPU of the triple; "
                                          "host: this machine's CPU and features)"),
                                cl::init("generic"), cl::cat(cat));
static cl::opt<std::string> features("features",
                                     cl::desc("cpu: target features, e.g. +avx2,+fma"),
                                     cl::init(""), cl::cat(cat));
static cl::opt<bool> embedWeights(
    "embed-weights",
    cl::desc("cpu: put the weights inside <name>.o (ELF targets) instead of "
             "<name>.weights; the header defines <name>_create()"),
    cl::init(false), cl::cat(cat));
static cl::list<std::string> passPlugins(
    "load-pass-plugin", cl::desc("Load passes from a plugin library (repeatable)"),
    cl::value_desc("lib.so"), cl::cat(cat));
static cl::opt<std::string> extraPasses(
    "extra-passes",
    cl::desc("Pass pipeline run after raising, before quantization, e.g. "
             "'func.func(my-pass)' (passes of --load-pass-plugin libraries)"),
    cl::init(""), cl::cat(cat));
static cl::opt<bool> noRaise(
    "no-raise",
    cl::desc("Compile the graph op by op as exported, without raising to fused phi "
             "ops (for comparing the fused ops and the generated kernels)"),
    cl::init(false), cl::cat(cat));
static cl::opt<std::string> depfile(
    "depfile",
    cl::desc("Also write a Makefile-style depfile naming every file the compile "
             "read (model, external data, configs), for build systems"),
    cl::value_desc("file"), cl::init(""), cl::cat(cat));
static cl::opt<bool> verbose("v", cl::desc("Print each stage and its time"),
                             cl::init(false), cl::cat(cat));

namespace {
struct Stage {
  explicit Stage(const char *what) : what(what), start(std::chrono::steady_clock::now()) {
    if (verbose)
      llvm::errs() << "phi-compile: " << what << "...\n";
  }
  ~Stage() {
    if (verbose)
      llvm::errs() << "phi-compile: " << what << " done in "
                   << llvm::format("%.2f", std::chrono::duration<double>(
                                               std::chrono::steady_clock::now() - start)
                                               .count())
                   << " s\n";
  }
  const char *what;
  std::chrono::steady_clock::time_point start;
};

int fail(const llvm::Twine &msg) {
  llvm::errs() << "phi-compile: error: " << msg << "\n";
  return 1;
}

/// Writes `text` to `path` through a temporary, so the file appears whole
/// or not at all.
LogicalResult writeAtomically(llvm::StringRef path, llvm::StringRef text) {
  std::string err;
  auto out = openOutputFile(path, &err);
  if (!out)
    return fail(err), failure();
  out->os() << text;
  out->keep();
  return success();
}
/// --depfile, opened before anything is compiled (a bad path fails first)
/// and kept only when the compile succeeded.
std::unique_ptr<llvm::ToolOutputFile> depfileOut;

/// Writes `depfile`: `first-output: input...`, paths absolute, spaces escaped.
LogicalResult writeDepfile(llvm::StringRef firstOutput,
                           const std::vector<std::string> &inputs) {
  auto absolute = [](llvm::StringRef p) {
    llvm::SmallString<256> a(p);
    llvm::sys::fs::make_absolute(a);
    llvm::sys::path::remove_dots(a, /*remove_dot_dot=*/true);
    std::string out;
    for (char ch : a) {
      if (ch == ' ' || ch == '#' || ch == '\\')
        out += '\\';
      else if (ch == '$')
        out += '$';
      out += ch;
    }
    return out;
  };
  std::string text = absolute(firstOutput) + ":";
  for (const std::string &in : inputs)
    text += " \\\n  " + absolute(in);
  depfileOut->os() << text << "\n";
  depfileOut->keep();
  return success();
}
} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  registerPassManagerCLOptions();
  registerMLIRContextCLOptions();
  registerAsmPrinterCLOptions();
  registerDefaultTimingManagerCLOptions();
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(
      argc, argv,
      "phi-compile: Phi-3.5 ONNX model -> quantized ONNX model or CPU library\n\n"
      "  phi-compile model.onnx --quant=int4 --target=onnx -o out/\n"
      "  phi-compile model.onnx --quant=int4 --target=cpu -o out/\n\n"
      "onnx writes out/model.onnx, out/model.onnx.data and, for models with a KV\n"
      "cache, out/genai_config.json; cpu writes out/<name>.o, .h and .weights.\n"
      "`phi-opt --phi-compile=\"quant=int4 ...\"`\n"
      "replays the same pipeline on imported IR; phi-compile also takes phi IR\n"
      "(module.mlir, e.g. phi-opt's output) in place of ONNX. --help-hidden also lists\n"
      "MLIR's pass-manager flags (--mlir-print-ir-after-all, --mlir-timing).\n");

  // Plugins first: their passes may be named in --extra-passes.
  for (const std::string &lib : passPlugins) {
    auto plugin = PassPlugin::load(lib);
    if (!plugin)
      return fail("cannot load pass plugin '" + lib +
                  "': " + llvm::toString(plugin.takeError()));
    plugin->registerPassRegistryCallbacks();
  }

  // Options first, so bad ones cost nothing and leave nothing behind.
  phi::PhiCompileOptions po;
  po.quant = quant;
  po.groupSize = groupSize;
  po.symmetric = symmetric;
  po.search = search;
  po.target = target;
  po.extraPasses = extraPasses;
  po.raise = !noRaise;
  phi::ONNXExportOptions eo;
  if (onnxStyle == "qdq")
    eo.style = phi::ONNXExportOptions::Style::QDQ;
  else if (onnxStyle != "ort")
    return fail("--onnx-style must be ort or qdq, got '" + onnxStyle + "'");
  if (contextLength < 0)
    return fail("--context-length must be positive");
  eo.contextLength = contextLength;
  if (accuracyLevel < -1 || accuracyLevel > 4)
    return fail("--accuracy-level must be 0 to 4");
  eo.accuracyLevel = accuracyLevel;
  if (emit != "artifacts" && emit != "mlir" && emit != "llvm" && emit != "obj" &&
      emit != "kernels")
    return fail("--emit must be artifacts, mlir, kernels, llvm or obj, got '" + emit + "'");
  if (emit == "kernels" && target != "cpu")
    return fail("--emit=kernels needs --target=cpu");
  if (emit == "obj" && target != "cpu")
    return fail("--emit=obj needs --target=cpu");
  if (emit == "llvm" && target != "cpu")
    return fail("--emit=llvm needs --target=cpu");
  if (embedWeights && target != "cpu")
    return fail("--embed-weights needs --target=cpu");

  DialectRegistry registry;
  phi::registerAllDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &ctx);
  ctx.printOpOnDiagnostic(false); // one line per error, not the whole model
  PassManager pm(&ctx);
  {
    std::string error;
    if (failed(phi::buildPhiCompilePipeline(pm, po, error)))
      return fail(error);
  }
  if (failed(applyPassManagerCLOptions(pm)))
    return 1;
  DefaultTimingManager tm;
  applyDefaultTimingManagerCLOptions(tm);
  TimingScope timing = tm.getRootScope();
  pm.enableTiming(timing);

  std::string err;
  if (!depfile.empty() && !(depfileOut = openOutputFile(depfile, &err)))
    return fail(err);
  auto file = openInputFile(inputPath, &err);
  if (!file)
    return fail(err);
  // What the compile reads, for --depfile: the model, its external data and
  // the configs next to it that genai_config.json is made from.
  std::vector<std::string> inputs;
  // phi IR (`.mlir`, e.g. phi-opt's output or a hand-written test) goes
  // straight to the pipeline.
  bool mlirInput = llvm::StringRef(inputPath).ends_with(".mlir");
  if (mlirInput) {
    inputs.push_back(inputPath);
  } else if (!depfile.empty()) {
    auto files = phi::onnxInputFiles(inputPath, file->getBuffer());
    if (succeeded(files))
      inputs = *files;
    for (const char *cfg : {"genai_config.json", "config.json"}) {
      llvm::SmallString<256> p(llvm::sys::path::parent_path(inputPath));
      llvm::sys::path::append(p, cfg);
      if (target == "onnx" && llvm::sys::fs::exists(p))
        inputs.push_back(p.str().str());
    }
  }
  OwningOpRef<ModuleOp> module;
  {
    Stage s(mlirInput ? "parsing" : "importing");
    if (mlirInput) {
      sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
      module = parseSourceFile<ModuleOp>(sourceMgr, &ctx);
    } else {
      module = phi::importONNX(inputPath, file->getBuffer(), &ctx);
    }
  }
  if (!module)
    return 1;
  {
    Stage s("running the phi-compile pipeline");
    if (failed(pm.run(*module)))
      return 1;
  }

  bool madeDir = !llvm::sys::fs::exists(outDir);
  if (std::error_code ec = llvm::sys::fs::create_directories(outDir))
    return fail("cannot create '" + outDir + "': " + ec.message());
  auto cleanup = [&]() {
    if (madeDir)
      llvm::sys::fs::remove(outDir);
    return 1;
  };
  auto path = [&](llvm::StringRef name) {
    llvm::SmallString<256> p(outDir);
    llvm::sys::path::append(p, name);
    return std::string(p);
  };

  if (emit == "mlir") {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    if (failed(writeAtomically(path("model.mlir"), text)))
      return cleanup();
    if (!depfile.empty() && failed(writeDepfile(path("model.mlir"), inputs)))
      return 1;
    return 0;
  }

  if (target == "cpu") {
    phi::CPUTargetOptions co;
    co.name = modelName;
    co.triple = triple;
    co.cpu = cpu;
    co.features = features;
    co.contextLength = contextLength;
    co.accuracyLevel = accuracyLevel;
    co.embedWeights = embedWeights;
    int lastTenth = 0;
    if (verbose)
      co.progress = [&](int64_t done, int64_t total) {
        int tenth = total ? (int)(10 * done / total) : 10;
        if (tenth > lastTenth) {
          lastTenth = tenth;
          llvm::errs() << "phi-compile: weights " << 10 * tenth << "% ("
                       << llvm::format("%.1f", done / 1e6) << " of "
                       << llvm::format("%.1f", total / 1e6) << " MB)\n";
        }
      };
    if (emit == "llvm" || emit == "kernels") {
      OwningOpRef<ModuleOp> m = emit == "llvm" ? phi::buildCPUModule(*module, co)
                                               : phi::buildCPUKernels(*module, co);
      if (!m)
        return cleanup();
      std::string text;
      llvm::raw_string_ostream os(text);
      m->print(os);
      std::string file = modelName + "." + emit.getValue() + ".mlir";
      if (failed(writeAtomically(path(file), text)))
        return cleanup();
      if (!depfile.empty() && failed(writeDepfile(path(file), inputs)))
        return 1;
      return 0;
    }
    Stage s("writing the object, header and weights");
    if (failed(phi::emitCPUArtifacts(*module, outDir, co)))
      return cleanup();
    if (!depfile.empty() && failed(writeDepfile(path(modelName + ".o"), inputs)))
      return 1;
    return 0;
  }

  // target == onnx (buildPhiCompilePipeline refused the others).
  std::string whyNot;
  phi::GenaiConfigOptions go;
  go.sourceDir = llvm::sys::path::parent_path(inputPath).str();
  if (go.sourceDir.empty())
    go.sourceDir = ".";
  go.contextLength = phi::exportContextLength(*module, eo);
  go.sharedKVBuffer = eo.style == phi::ONNXExportOptions::Style::ORT;
  FailureOr<std::string> genai = phi::genaiConfigJSON(*module, go, whyNot);
  {
    Stage s("writing model.onnx and model.onnx.data");
    if (failed(phi::exportONNXFiles(*module, path("model.onnx"), eo)))
      return cleanup();
  }
  if (succeeded(genai)) {
    if (failed(writeAtomically(path("genai_config.json"), *genai))) {
      llvm::sys::fs::remove(path("model.onnx"));
      llvm::sys::fs::remove(path("model.onnx.data"));
      return cleanup();
    }
  } else {
    llvm::errs() << "phi-compile: note: no genai_config.json: " << whyNot << "\n";
  }
  if (!depfile.empty() && failed(writeDepfile(path("model.onnx"), inputs)))
    return 1;
  return 0;
}
