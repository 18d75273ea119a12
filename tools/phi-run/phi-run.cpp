//===- phi-run.cpp - greedy generation with a compiled CPU model ----------===//
//
//   phi-run out/ --tokens 1,2,3 -n 32
//
// Loads out/<name>.o (found in the directory; LLVM's ORC JIT links it
// against this binary's copy of libphi_runtime, exactly as a user's program
// links it), creates the model from out/<name>.weights through the C API,
// runs the prompt (prefill), then greedy decode steps, and prints the token
// ids and prefill / decode tokens per second.
//
//===----------------------------------------------------------------------===//

#include "phi/Runtime/phi.h"

#include "llvm/ExecutionEngine/Orc/ExecutionUtils.h"
#include "llvm/ExecutionEngine/Orc/LLJIT.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"

#include <chrono>
#include <cstdio>
#include <vector>

namespace cl = llvm::cl;

static cl::OptionCategory cat("phi-run options");
static cl::opt<std::string> dir(cl::Positional, cl::desc("<compiled model directory>"),
                                cl::Required, cl::cat(cat));
static cl::opt<std::string> tokensArg("tokens", cl::desc("Prompt token ids, comma-separated"),
                                      cl::Required, cl::cat(cat));
static cl::opt<int> numNew("n", cl::desc("Tokens to generate (default 16)"), cl::init(16),
                           cl::cat(cat));
static cl::opt<int> threads("num-threads", cl::desc("Worker threads (0: all cores)"),
                            cl::init(0), cl::cat(cat));
static cl::opt<bool> hugePages(
    "huge-pages",
    cl::desc("Read the weights into transparent huge pages (phi_options.huge_pages)"),
    cl::init(false), cl::cat(cat));
static cl::list<int64_t> suppress(
    "suppress", cl::desc("Token ids never chosen (e.g. eos, to generate past it; as "
                         "onnxruntime-genai's min_length does), comma-separated"),
    cl::CommaSeparated, cl::cat(cat));
static cl::opt<std::string> dumpLogits(
    "dump-logits",
    cl::desc("Write every computed position's logits ([positions, vocab] f32) to this "
             ".npy file"),
    cl::init(""), cl::cat(cat));

static int fail(const llvm::Twine &msg) {
  llvm::errs() << "phi-run: error: " << msg << "\n";
  return 1;
}

static void writeNpy(const std::string &path, const std::vector<float> &v, int64_t rows,
                     int64_t cols) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" +
                       std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  while ((10 + header.size() + 1) % 64)
    header += ' ';
  header += '\n';
  FILE *f = fopen(path.c_str(), "wb");
  if (!f)
    return;
  fwrite("\x93NUMPY\x01\x00", 1, 8, f);
  uint16_t len = (uint16_t)header.size();
  fwrite(&len, 2, 1, f);
  fwrite(header.data(), 1, header.size(), f);
  fwrite(v.data(), 4, v.size(), f);
  fclose(f);
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(cat);
  cl::ParseCommandLineOptions(argc, argv,
                              "phi-run: greedy generation with a model compiled by "
                              "phi-compile --target=cpu\n");
  std::vector<int64_t> prompt;
  for (llvm::StringRef rest = tokensArg; !rest.empty();) {
    auto [tok, tail] = rest.split(',');
    int64_t v;
    if (tok.trim().getAsInteger(10, v))
      return fail("--tokens: '" + tok + "' is not an integer");
    prompt.push_back(v);
    rest = tail;
  }
  if (prompt.empty())
    return fail("--tokens is empty");
  if (numNew < 0)
    return fail("-n must be >= 0");

  // The one object file in the directory names the model.
  std::string objPath, name;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::path::extension(it->path()) == ".o") {
      if (!objPath.empty())
        return fail("'" + dir + "' holds more than one .o file");
      objPath = it->path();
      name = llvm::sys::path::stem(objPath).str();
    }
  if (ec)
    return fail("cannot read '" + dir + "': " + ec.message());
  if (objPath.empty())
    return fail("no compiled model (.o) in '" + dir + "'");

  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit)
    return fail(llvm::toString(jit.takeError()));
  auto gen = llvm::orc::DynamicLibrarySearchGenerator::GetForCurrentProcess(
      (*jit)->getDataLayout().getGlobalPrefix());
  if (!gen)
    return fail(llvm::toString(gen.takeError()));
  (*jit)->getMainJITDylib().addGenerator(std::move(*gen));
  auto buf = llvm::MemoryBuffer::getFile(objPath);
  if (!buf)
    return fail("cannot read '" + objPath + "': " + buf.getError().message());
  if (auto err = (*jit)->addObjectFile(std::move(*buf)))
    return fail("'" + objPath + "': " + llvm::toString(std::move(err)));
  auto describe = (*jit)->lookup(name + "_describe");
  if (!describe)
    return fail("'" + objPath + "': " + llvm::toString(describe.takeError()));
  auto run = (*jit)->lookup(name + "_run");
  if (!run)
    return fail("'" + objPath + "': " + llvm::toString(run.takeError()));
  phi_model_def def{PHI_ABI_VERSION, name.c_str(),
                    describe->toPtr<void (*)(void *)>(), run->toPtr<void (*)(void *)>()};

  // Weights inside the object (--embed-weights), else <name>.weights.
  phi_options opts{threads, hugePages ? 1 : 0};
  phi_model *m = nullptr;
  auto begin = (*jit)->lookup(name + "_weights");
  auto end = (*jit)->lookup(name + "_weights_end");
  if (begin && end) {
    const char *b = begin->toPtr<const char *>(), *e = end->toPtr<const char *>();
    if (phi_model_create_from_memory(&def, b, (size_t)(e - b), &opts, &m) != PHI_OK)
      return fail(phi_model_last_error(nullptr));
  } else {
    llvm::consumeError(begin.takeError());
    llvm::consumeError(end.takeError());
    llvm::SmallString<256> weights(dir);
    llvm::sys::path::append(weights, name + ".weights");
    if (phi_model_create(&def, weights.c_str(), &opts, &m) != PHI_OK)
      return fail(phi_model_last_error(nullptr));
  }
  int64_t vocab = phi_model_vocab_size(m);
  std::vector<float> logits(prompt.size() * vocab), all;
  using clock = std::chrono::steady_clock;
  auto t0 = clock::now();
  if (phi_model_forward(m, prompt.data(), prompt.size(), logits.data(), logits.size()) !=
      PHI_OK) {
    std::string e = phi_model_last_error(m);
    phi_model_destroy(m);
    return fail(e);
  }
  double prefill = std::chrono::duration<double>(clock::now() - t0).count();
  all = logits;
  std::vector<int64_t> out;
  auto argmax = [&](const float *row) {
    int64_t best = -1;
    for (int64_t j = 0; j < vocab; ++j)
      if (!llvm::is_contained(suppress, j) && (best < 0 || row[j] > row[best]))
        best = j;
    return best;
  };
  int64_t next = argmax(logits.data() + (prompt.size() - 1) * vocab);
  auto t1 = clock::now();
  for (int i = 0; i < numNew; ++i) {
    out.push_back(next);
    if (i + 1 == numNew)
      break;
    if (phi_model_forward(m, &next, 1, logits.data(), vocab) != PHI_OK) {
      std::string e = phi_model_last_error(m);
      phi_model_destroy(m);
      return fail(e);
    }
    all.insert(all.end(), logits.begin(), logits.begin() + vocab);
    next = argmax(logits.data());
  }
  double decode = std::chrono::duration<double>(clock::now() - t1).count();
  phi_model_destroy(m);
  printf("tokens:");
  for (size_t i = 0; i < out.size(); ++i)
    printf("%s%lld", i ? "," : " ", (long long)out[i]);
  printf("\nprefill: %zu tokens, %.1f tokens/s\n", prompt.size(), prompt.size() / prefill);
  if (out.size() > 1)
    printf("decode: %zu tokens, %.1f tokens/s\n", out.size() - 1,
           (out.size() - 1) / decode);
  if (!dumpLogits.empty())
    writeNpy(dumpLogits, all, (int64_t)all.size() / vocab, vocab);
  return 0;
}
