//===- Runtime.cpp - model instances, weights, the C API ------------------===//
//
// phi_model_create runs the generated describe() (which declares inputs,
// outputs and weights), maps the weights file and checks it against what the
// object was compiled with. phi_model_forward fills the input slots
// (input_ids, attention_mask, position_ids, past_key_values.* from the KV
// cache), runs the generated step, copies the logits out and keeps the
// present.* outputs as the next cache. A model compiled without a KV cache
// (torch exports) recomputes the whole sequence each step.
//
//===----------------------------------------------------------------------===//

#include "Runtime.h"

#include "phi/Runtime/WeightsFile.h"
#include "phi/Runtime/phi.h"

#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace phi::rt;

int64_t phi::rt::dtypeSize(DType t) {
  switch (t) {
  case F32: case I32: return 4;
  case I64: return 8;
  case F16: return 2;
  default: return 1;
  }
}

const char *phi::rt::dtypeName(DType t) {
  switch (t) {
  case F32: return "f32";
  case F16: return "f16";
  case I64: return "i64";
  case I32: return "i32";
  case BOOL: return "bool";
  case U8: return "u8";
  case I8: return "i8";
  }
  return "?";
}

uint16_t phi::rt::floatToHalf(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, absx = x & 0x7fffffff;
  if (absx >= 0x7f800000) // inf, nan
    return (uint16_t)(sign | 0x7c00 | (absx > 0x7f800000 ? 0x200 : 0));
  if (absx >= 0x477ff000) // at or past the midpoint above 65504: inf
    return (uint16_t)(sign | 0x7c00);
  if (absx < 0x38800000) { // below 2^-14: a subnormal (or zero) half
    float a;
    memcpy(&a, &absx, 4);
    // Exact scaling to units of 2^-24, then round to nearest even.
    return (uint16_t)(sign | (uint32_t)std::nearbyint(a * 16777216.0f));
  }
  uint32_t h = (((absx >> 23) - 127 + 15) << 10) | ((absx & 0x7fffff) >> 13);
  uint32_t rest = absx & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
    ++h; // a carry into the exponent is the right answer
  return (uint16_t)(sign | h);
}

float phi::rt::halfToFloat(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, man = h & 0x3ff, f;
  if (exp == 0) {
    if (man == 0) {
      f = sign << 31;
    } else {
      exp = 127 - 15 + 1;
      while (!(man & 0x400)) {
        man <<= 1;
        --exp;
      }
      man &= 0x3ff;
      f = (sign << 31) | (exp << 23) | (man << 13);
    }
  } else if (exp == 31) {
    f = (sign << 31) | 0x7f800000 | (man << 13);
  } else {
    f = (sign << 31) | ((exp - 15 + 127) << 23) | (man << 13);
  }
  float r;
  memcpy(&r, &f, 4);
  return r;
}

Tensor phi::rt::alloc(DType dt, std::vector<int64_t> shape) {
  Tensor t;
  t.dt = dt;
  t.shape = std::move(shape);
  t.storage = std::make_shared<std::vector<uint8_t>>(
      std::max<int64_t>(t.numel() * dtypeSize(dt), 1));
  t.data = t.storage->data();
  return t;
}

std::string phi::rt::shapeStr(const std::vector<int64_t> &s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i)
    r += (i ? "x" : "") + std::to_string(s[i]);
  return r + "]";
}

std::vector<int64_t> phi::rt::valuesOf(const Tensor &t) {
  std::vector<int64_t> v(t.numel());
  for (int64_t i = 0; i < t.numel(); ++i)
    switch (t.dt) {
    case I64: v[i] = t.as<int64_t>()[i]; break;
    case I32: v[i] = t.as<int32_t>()[i]; break;
    case I8: v[i] = t.as<int8_t>()[i]; break;
    case F32: v[i] = (int64_t)t.as<float>()[i]; break;
    case F16: v[i] = (int64_t)halfToFloat(t.as<uint16_t>()[i]); break;
    default: v[i] = t.as<uint8_t>()[i]; break;
    }
  return v;
}

const Tensor &phi::rt::dense(Context &c, int32_t slot) {
  Tensor &t = c.at(slot);
  if (t.capacity && t.capacity != t.shape[2])
    t = contiguous(t);
  return t;
}

Tensor phi::rt::contiguous(const Tensor &t) {
  if (!t.capacity || t.capacity == t.shape[2])
    return t;
  Tensor r = alloc(t.dt, t.shape);
  int64_t rows = t.shape[0] * t.shape[1], row = t.shape[2] * t.shape[3] * dtypeSize(t.dt);
  for (int64_t i = 0; i < rows; ++i)
    memcpy(r.data + i * row, t.data + i * t.capacity * t.shape[3] * dtypeSize(t.dt), row);
  return r;
}

//===----------------------------------------------------------------------===//
// Thread pool
//===----------------------------------------------------------------------===//

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i)
    workers.emplace_back([this, i] {
      uint64_t seen = 0;
      for (;;) {
        std::unique_lock<std::mutex> lock(mu);
        wake.wait(lock, [&] { return stop || generation != seen; });
        if (stop)
          return;
        seen = generation;
        const auto *f = job;
        int64_t n = jobN, chunk = jobChunk;
        lock.unlock();
        int64_t b = i * chunk, e = std::min(n, b + chunk);
        if (b < e)
          (*f)(b, e);
        lock.lock();
        if (--pending == 0)
          done.notify_one();
      }
    });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu);
    stop = true;
  }
  wake.notify_all();
  for (auto &t : workers)
    t.join();
}

void ThreadPool::parallelFor(int64_t n, const std::function<void(int64_t, int64_t)> &f,
                             int64_t minChunk) {
  int threads = size();
  if (threads == 1 || n < 2 * minChunk) {
    if (n > 0)
      f(0, n);
    return;
  }
  int64_t chunk = (n + threads - 1) / threads;
  {
    std::lock_guard<std::mutex> lock(mu);
    job = &f;
    jobN = n;
    jobChunk = chunk;
    pending = (int)workers.size();
    ++generation;
  }
  wake.notify_all();
  f(0, std::min(n, chunk));
  std::unique_lock<std::mutex> lock(mu);
  done.wait(lock, [&] { return pending == 0; });
}

//===----------------------------------------------------------------------===//
// What generated describe() calls
//===----------------------------------------------------------------------===//

extern "C" {

void phi_rt_model(void *rtp, int64_t numSlots, int64_t contextLength, int64_t vocab,
                  int64_t weightsSize, int64_t weightsHash) {
  auto &c = *static_cast<Context *>(rtp);
  c.numSlots = numSlots;
  c.contextLength = contextLength;
  c.vocab = vocab;
  c.weightsSize = (uint64_t)weightsSize;
  c.weightsHash = (uint64_t)weightsHash;
}

void phi_rt_input(void *rtp, int32_t slot, const char *name, int32_t rank,
                  const int64_t *dims) {
  static_cast<Context *>(rtp)->inputs.push_back(
      {slot, name, std::vector<int64_t>(dims, dims + rank)});
}

void phi_rt_output(void *rtp, int32_t slot, const char *name) {
  static_cast<Context *>(rtp)->outputs.push_back({slot, name});
}

void phi_rt_weight(void *rtp, int32_t slot, int64_t offset, int64_t nbytes, int32_t dtype,
                   int32_t rank, const int64_t *dims) {
  static_cast<Context *>(rtp)->weights.push_back(
      {slot, offset, nbytes, (DType)dtype, std::vector<int64_t>(dims, dims + rank)});
}

} // extern "C"

//===----------------------------------------------------------------------===//
// The C API
//===----------------------------------------------------------------------===//

struct phi_model {
  const phi_model_def *def = nullptr;
  Context ctx;
  void *map = nullptr;
  size_t mapSize = 0;
  std::vector<int64_t> tokens;      // the sequence so far
  std::vector<Tensor> cache;        // present.* per past_key_values.* input
  std::vector<int> cacheOf;         // input index -> cache index (-1: none)
  std::vector<std::vector<int64_t>> cacheInit; // empty cache shapes
  bool hasCache = false;
  std::string error;
  ~phi_model() {
    if (map)
      munmap(map, mapSize);
  }
};

namespace {
thread_local std::string createError;

phi_status failWith(phi_model *m, phi_status s, const std::string &msg) {
  (m ? m->error : createError) = msg;
  return s;
}
} // namespace

extern "C" {

const char *phi_status_string(phi_status s) {
  switch (s) {
  case PHI_OK: return "ok";
  case PHI_ERROR_INVALID_ARGUMENT: return "invalid argument";
  case PHI_ERROR_WEIGHTS: return "weights file does not match the model";
  case PHI_ERROR_CONTEXT_FULL: return "context length exceeded";
  case PHI_ERROR_RUNTIME: return "runtime error";
  }
  return "unknown status";
}

const char *phi_model_last_error(const phi_model *m) {
  return m ? m->error.c_str() : createError.c_str();
}

} // extern "C"

namespace {
/// Checks `def` before anything is mapped.
phi_status checkDef(const phi_model_def *def) {
  if (def->abi_version != PHI_ABI_VERSION)
    return failWith(nullptr, PHI_ERROR_INVALID_ARGUMENT,
                    "model '" + std::string(def->name ? def->name : "?") +
                        "' was compiled for runtime ABI " +
                        std::to_string(def->abi_version) + ", this runtime is " +
                        std::to_string(PHI_ABI_VERSION));
  return PHI_OK;
}

/// The shared half of both create calls: `m` has its describe()d context and
/// its weights bytes (`base`, `size`, from a file or embedded); check them
/// against the compiled program and set up slots, threads and the KV cache.
/// `what` names the weights in messages.
phi_status finishCreate(std::unique_ptr<phi_model> m, const uint8_t *base, size_t size,
                        const std::string &what, const phi_options *options,
                        phi_model **out) {
  Context &c = m->ctx;
  auto bad = [&](const std::string &why) {
    return failWith(nullptr, PHI_ERROR_WEIGHTS, what + ": " + why);
  };
  uint64_t want = sizeof(phi::weights::Header) + c.weightsSize;
  if (size < sizeof(phi::weights::Header))
    return bad("too short for a phi weights file (" + std::to_string(size) + " bytes)");
  phi::weights::Header h;
  memcpy(&h, base, sizeof h);
  if (memcmp(h.magic, phi::weights::kMagic, 8) != 0)
    return bad("not a phi weights file");
  if (h.version != phi::weights::kVersion)
    return bad("version " + std::to_string(h.version) + ", expected " +
               std::to_string(phi::weights::kVersion));
  if (h.payloadHash != c.weightsHash || h.payloadSize != c.weightsSize)
    return bad("written by a different compile of the model (hash or size differs)");
  if (size != want)
    return bad("truncated or padded: " + std::to_string(size) + " bytes, expected " +
               std::to_string(want));
  c.slots.assign(c.numSlots, Tensor());
  const uint8_t *payload = base + sizeof h;
  for (const Weight &w : c.weights) {
    Tensor t;
    t.dt = w.dt;
    t.shape = w.shape;
    t.data = const_cast<uint8_t *>(payload + w.offset);
    c.slots[w.slot] = t;
  }
  int threads = options && options->num_threads > 0
                    ? options->num_threads
                    : (int)std::max(1u, std::thread::hardware_concurrency());
  c.pool = std::make_unique<ThreadPool>(threads);
  for (const Input &in : c.inputs) {
    int idx = -1;
    if (in.name.rfind("past_key_values.", 0) == 0) {
      std::string present = "present." + in.name.substr(strlen("past_key_values."));
      bool found = false;
      for (const Output &o : c.outputs)
        found |= o.name == present;
      if (!found)
        return failWith(nullptr, PHI_ERROR_INVALID_ARGUMENT,
                        "input '" + in.name + "' has no '" + present + "' output");
      // An empty cache [1, kv_heads, 0, head_dim] to start with.
      if (in.shape.size() != 4 || in.shape[1] < 1 || in.shape[3] < 1)
        return failWith(nullptr, PHI_ERROR_INVALID_ARGUMENT,
                        "input '" + in.name + "' is not a [B, kv_heads, S, head_dim] cache");
      idx = (int)m->cache.size();
      m->cache.push_back(alloc(F32, {1, in.shape[1], 0, in.shape[3]}));
      m->cacheInit.push_back(m->cache.back().shape);
      m->hasCache = true;
    }
    m->cacheOf.push_back(idx);
  }
  createError.clear();
  *out = m.release();
  return PHI_OK;
}
} // namespace

extern "C" {

phi_status phi_model_create(const phi_model_def *def, const char *path,
                            const phi_options *options, phi_model **out) {
  if (!out)
    return failWith(nullptr, PHI_ERROR_INVALID_ARGUMENT, "phi_model_create: out is null");
  *out = nullptr;
  if (!def || !path)
    return failWith(nullptr, PHI_ERROR_INVALID_ARGUMENT,
                    "phi_model_create: model definition or weights path is null");
  if (phi_status s = checkDef(def))
    return s;
  auto m = std::make_unique<phi_model>();
  m->def = def;
  def->describe(&m->ctx);
  std::string what = "weights file '" + std::string(path) + "'";
  int fd = open(path, O_RDONLY);
  if (fd < 0)
    return failWith(nullptr, PHI_ERROR_WEIGHTS,
                    what + ": cannot open: " + strerror(errno));
  struct stat st;
  fstat(fd, &st);
  size_t size = (size_t)st.st_size;
  void *map = nullptr;
  if (size && options && options->huge_pages) {
    // Private anonymous memory in 2 MiB pages, filled from the file.
    size_t huge = size_t(2) << 20, len = (size + huge - 1) / huge * huge;
    map = mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map != MAP_FAILED) {
      madvise(map, len, MADV_HUGEPAGE);
      size_t done = 0;
      while (done < size) {
        ssize_t r = pread(fd, static_cast<char *>(map) + done, size - done, (off_t)done);
        if (r <= 0)
          break;
        done += (size_t)r;
      }
      if (done != size) {
        munmap(map, len);
        close(fd);
        return failWith(nullptr, PHI_ERROR_WEIGHTS,
                        what + ": cannot read: " + strerror(errno));
      }
      m->map = map; // unmapped by ~phi_model, also when a check below fails
      m->mapSize = len;
    }
  } else if (size) {
    // Populated now: the first forward reads every weight anyway, and faulting
    // them in one by one there made it ~25% slower (bench/decode.py prefill).
    map = mmap(nullptr, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (map != MAP_FAILED) {
      m->map = map;
      m->mapSize = size;
    }
  }
  close(fd);
  if (map == MAP_FAILED)
    return failWith(nullptr, PHI_ERROR_WEIGHTS,
                    what + ": cannot map: " + strerror(errno));
  return finishCreate(std::move(m), static_cast<const uint8_t *>(map), size, what, options,
                      out);
}

phi_status phi_model_create_from_memory(const phi_model_def *def, const void *data,
                                        size_t size, const phi_options *options,
                                        phi_model **out) {
  if (!out)
    return failWith(nullptr, PHI_ERROR_INVALID_ARGUMENT,
                    "phi_model_create_from_memory: out is null");
  *out = nullptr;
  if (!def || !data)
    return failWith(nullptr, PHI_ERROR_INVALID_ARGUMENT,
                    "phi_model_create_from_memory: model definition or data is null");
  if ((uintptr_t)data % phi::weights::kAlign != 0)
    return failWith(nullptr, PHI_ERROR_INVALID_ARGUMENT,
                    "phi_model_create_from_memory: data is not " +
                        std::to_string(phi::weights::kAlign) + "-byte aligned");
  if (phi_status s = checkDef(def))
    return s;
  auto m = std::make_unique<phi_model>();
  m->def = def;
  def->describe(&m->ctx);
  return finishCreate(std::move(m), static_cast<const uint8_t *>(data), size,
                      "weights of model '" + std::string(def->name ? def->name : "?") + "'",
                      options, out);
}

void phi_model_destroy(phi_model *m) {
  if (!m)
    return;
  delete m;
}

phi_status phi_model_reset(phi_model *m) {
  if (!m)
    return failWith(nullptr, PHI_ERROR_INVALID_ARGUMENT, "phi_model_reset: model is null");
  m->tokens.clear();
  m->error.clear();
  for (size_t i = 0; i < m->cache.size(); ++i)
    m->cache[i] = alloc(F32, m->cacheInit[i]);
  return PHI_OK;
}

int64_t phi_model_vocab_size(const phi_model *m) { return m ? m->ctx.vocab : 0; }
int64_t phi_model_context_length(const phi_model *m) { return m ? m->ctx.contextLength : 0; }
int64_t phi_model_sequence_length(const phi_model *m) {
  return m ? (int64_t)m->tokens.size() : 0;
}

phi_status phi_model_forward(phi_model *m, const int64_t *tokens, size_t n, float *logits,
                             size_t logitsLen) {
  if (!m)
    return failWith(nullptr, PHI_ERROR_INVALID_ARGUMENT, "phi_model_forward: model is null");
  if (!tokens || n == 0)
    return failWith(m, PHI_ERROR_INVALID_ARGUMENT,
                    "phi_model_forward: no tokens (null pointer or n = 0)");
  Context &c = m->ctx;
  for (size_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= c.vocab)
      return failWith(m, PHI_ERROR_INVALID_ARGUMENT,
                      "token id " + std::to_string(tokens[i]) + " at position " +
                          std::to_string(i) + " is out of range [0, " +
                          std::to_string(c.vocab) + ")");
  int64_t past = (int64_t)m->tokens.size(), total = past + (int64_t)n;
  if (total > c.contextLength)
    return failWith(m, PHI_ERROR_CONTEXT_FULL,
                    "sequence of " + std::to_string(total) +
                        " tokens exceeds the context length " +
                        std::to_string(c.contextLength));
  if (logits && logitsLen < n * (size_t)c.vocab)
    return failWith(m, PHI_ERROR_INVALID_ARGUMENT,
                    "logits buffer holds " + std::to_string(logitsLen) + " floats, " +
                        std::to_string(n * c.vocab) + " needed");
  // Without a KV cache the step sees the whole sequence.
  std::vector<int64_t> ids(tokens, tokens + n);
  int64_t start = past;
  if (!m->hasCache) {
    ids.insert(ids.begin(), m->tokens.begin(), m->tokens.end());
    start = 0;
  }
  int64_t s = (int64_t)ids.size();
  std::vector<Tensor> keep; // slots reset after the step
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const Input &in = c.inputs[i];
    Tensor t;
    if (in.name == "input_ids") {
      t = alloc(I64, {1, s});
      memcpy(t.data, ids.data(), s * 8);
    } else if (in.name == "attention_mask") {
      t = alloc(I64, {1, start + s});
      for (int64_t j = 0; j < start + s; ++j)
        t.as<int64_t>()[j] = 1;
    } else if (in.name == "position_ids") {
      t = alloc(I64, {1, s});
      for (int64_t j = 0; j < s; ++j)
        t.as<int64_t>()[j] = start + j;
    } else if (m->cacheOf[i] >= 0) {
      t = std::move(m->cache[m->cacheOf[i]]);
    } else {
      return failWith(m, PHI_ERROR_RUNTIME, "the model has an input '" + in.name +
                                                "' the runtime cannot provide");
    }
    c.slots[in.slot] = std::move(t);
  }
  c.error.clear();
  m->def->run(&c);
  if (c.failed()) {
    std::string e = c.error;
    c.error.clear();
    // The cache was handed to this step: the sequence starts over.
    phi_model_reset(m);
    for (Tensor &t : c.slots)
      if (t.storage)
        t = Tensor();
    return failWith(m, PHI_ERROR_RUNTIME, e);
  }
  for (const Output &o : c.outputs) {
    Tensor &t = c.slots[o.slot];
    if (o.name == "logits") {
      if (t.dt != F32 || t.numel() != s * c.vocab)
        return failWith(m, PHI_ERROR_RUNTIME, "logits have an unexpected shape");
      if (logits)
        memcpy(logits, t.as<float>() + (s - (int64_t)n) * c.vocab, n * c.vocab * 4);
    } else if (o.name.rfind("present.", 0) == 0) {
      std::string past = "past_key_values." + o.name.substr(strlen("present."));
      for (size_t i = 0; i < c.inputs.size(); ++i)
        if (c.inputs[i].name == past && m->cacheOf[i] >= 0)
          m->cache[m->cacheOf[i]] = t;
    }
  }
  for (Tensor &t : c.slots)
    if (t.storage)
      t = Tensor(); // weights (no storage) stay
  m->tokens.insert(m->tokens.end(), tokens, tokens + n);
  m->error.clear();
  return PHI_OK;
}

} // extern "C"
