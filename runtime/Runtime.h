//===- Runtime.h - the runtime's internals (tensors, slots, kernels) ------===//
//
// Generated code sees the runtime only through `phi_rt_*` C functions taking
// slot numbers: every SSA value of the compiled function is a slot holding a
// Tensor. Entries read their operand slots, allocate and fill their result
// slots (with the kernel the compiler generated, or a runtime microkernel),
// and report failures on the context (later entries then do nothing).
//
//===----------------------------------------------------------------------===//
#ifndef PHI_RUNTIME_RUNTIME_H
#define PHI_RUNTIME_RUNTIME_H

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace phi::rt {

/// ONNX TensorProto data type codes.
enum DType : int32_t { F32 = 1, U8 = 2, I8 = 3, I32 = 6, I64 = 7, BOOL = 9, F16 = 10 };
int64_t dtypeSize(DType t);
const char *dtypeName(DType t);

struct Tensor {
  DType dt = F32;
  std::vector<int64_t> shape;
  std::shared_ptr<std::vector<uint8_t>> storage; // null for weights (mmap)
  uint8_t *data = nullptr;
  /// KV caches keep room along dim 2 (sequence) to append in place:
  /// capacity > shape[2] means rows are `capacity` apart. 0: contiguous.
  int64_t capacity = 0;

  int64_t numel() const {
    int64_t n = 1;
    for (int64_t d : shape)
      n *= d;
    return n;
  }
  int64_t rank() const { return (int64_t)shape.size(); }
  template <typename T> T *as() const { return reinterpret_cast<T *>(data); }
};

Tensor alloc(DType dt, std::vector<int64_t> shape);
float halfToFloat(uint16_t h);
/// Round to nearest even, as IEEE conversion does (overflow to inf).
uint16_t floatToHalf(float f);

/// A fixed team of worker threads for data-parallel loops.
class ThreadPool {
public:
  explicit ThreadPool(int threads);
  ~ThreadPool();
  int size() const { return (int)workers.size() + 1; }
  /// Calls f(begin, end) on disjoint chunks of [0, n) in parallel.
  void parallelFor(int64_t n, const std::function<void(int64_t, int64_t)> &f,
                   int64_t minChunk = 1);

private:
  std::vector<std::thread> workers;
  std::mutex mu;
  std::condition_variable wake, done;
  const std::function<void(int64_t, int64_t)> *job = nullptr;
  int64_t jobN = 0, jobChunk = 0;
  uint64_t generation = 0;
  int pending = 0;
  bool stop = false;
};

struct Input {
  int32_t slot;
  std::string name;
  std::vector<int64_t> shape; // -1: dynamic
};
struct Output {
  int32_t slot;
  std::string name;
};
struct Weight {
  int32_t slot;
  int64_t offset, nbytes;
  DType dt;
  std::vector<int64_t> shape;
};

/// One model instance: its slots, weights mapping, KV cache and threads.
struct Context {
  // Declared by the generated describe().
  int64_t numSlots = 0, contextLength = 0, vocab = 0;
  uint64_t weightsSize = 0, weightsHash = 0;
  std::vector<Input> inputs;
  std::vector<Output> outputs;
  std::vector<Weight> weights;

  std::vector<Tensor> slots;
  std::unique_ptr<ThreadPool> pool;
  std::string error;
  bool failed() const { return !error.empty(); }
  void fail(const std::string &msg) {
    if (error.empty())
      error = msg;
  }
  Tensor &at(int32_t s) { return slots[s]; }
  bool has(int32_t s) const { return s >= 0 && slots[s].data; }
};

/// Copies a KV tensor with spare capacity into a contiguous one.
Tensor contiguous(const Tensor &t);
/// Slot `slot`'s tensor made contiguous in place if it is a KV cache with
/// spare capacity: for kernels that read tensors whole rather than as views.
const Tensor &dense(Context &c, int32_t slot);

/// "[2x3x4]", for error messages.
std::string shapeStr(const std::vector<int64_t> &s);
/// A negative axis counted from the end.
inline int64_t normAxis(int64_t a, int64_t rank) { return a < 0 ? a + rank : a; }
/// The integer values of a small (shape-like) tensor of any element type.
std::vector<int64_t> valuesOf(const Tensor &t);

} // namespace phi::rt

#endif // PHI_RUNTIME_RUNTIME_H
