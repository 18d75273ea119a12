//===- WeightsFile.h - the layout of a compiled model's weights file -----===//
//
// Written by phi-compile --target=cpu, mmap'd by the runtime:
//   [header: 64 bytes][tensor bytes, each at a 64-byte aligned offset]
// The compiled object records the payload size and a FNV-1a hash of its own
// program and the payload, so a weights file from another compile (or a
// truncated one) is refused at create time rather than read as garbage.
//
//===----------------------------------------------------------------------===//
#ifndef PHI_RUNTIME_WEIGHTSFILE_H
#define PHI_RUNTIME_WEIGHTSFILE_H

#include <cstdint>

namespace phi::weights {

constexpr char kMagic[8] = {'P', 'H', 'I', 'W', 'G', 'T', 'S', '\n'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kAlign = 64;

struct Header {
  char magic[8];
  uint32_t version;
  uint32_t reserved;
  uint64_t payloadSize; // bytes after the header
  uint64_t payloadHash; // FNV-1a 64 of the compiled program, then those bytes
  uint64_t tensorCount;
  uint8_t pad[24];
};
static_assert(sizeof(Header) == 64, "weights header is 64 bytes");

/// FNV-1a 64, incrementally: h = fnv1a(h, bytes, n), starting from kFnvBasis.
constexpr uint64_t kFnvBasis = 1469598103934665603ull;
inline uint64_t fnv1a(uint64_t h, const void *bytes, uint64_t n) {
  auto *p = static_cast<const unsigned char *>(bytes);
  for (uint64_t i = 0; i < n; ++i)
    h = (h ^ p[i]) * 1099511628211ull;
  return h;
}

} // namespace phi::weights

#endif // PHI_RUNTIME_WEIGHTSFILE_H
