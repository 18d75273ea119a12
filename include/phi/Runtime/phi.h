/*===- phi.h - the C API of models compiled by phi-compile --target=cpu ---===*
 *
 * A compiled model is an object file (model.o), its header (model.h, which
 * defines `<name>_def`) and a weights file (model.weights, mmap'd at create
 * time). Link the object with libphi_runtime.a:
 *
 *   #include "model.h"
 *   phi_model *m;
 *   if (phi_model_create(&model_def, "model.weights", NULL, &m) != PHI_OK) ...
 *   phi_model_forward(m, prompt, n, logits, n * phi_model_vocab_size(m));
 *   phi_model_forward(m, &next, 1, logits, phi_model_vocab_size(m));
 *   phi_model_destroy(m);
 *
 * A model instance owns its KV cache and is not thread-safe; separate
 * instances are independent (no global state). Every call returns a status;
 * phi_model_last_error() says what went wrong.
 *
 *===----------------------------------------------------------------------===*/
#ifndef PHI_RUNTIME_PHI_H
#define PHI_RUNTIME_PHI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The version of the interface between generated code and the runtime. */
#define PHI_ABI_VERSION 1

typedef enum phi_status {
  PHI_OK = 0,
  PHI_ERROR_INVALID_ARGUMENT = 1, /* null pointer, bad token id, short buffer */
  PHI_ERROR_WEIGHTS = 2,          /* missing, truncated or mismatched weights */
  PHI_ERROR_CONTEXT_FULL = 3,     /* the sequence would exceed the context */
  PHI_ERROR_RUNTIME = 4           /* a kernel failed (shape mismatch, ...) */
} phi_status;

/** What a compiled object provides; `<name>_def` in the generated header. */
typedef struct phi_model_def {
  uint32_t abi_version;
  const char *name;
  void (*describe)(void *rt); /* declares inputs, outputs, weights */
  void (*run)(void *rt);      /* one forward step */
} phi_model_def;

typedef struct phi_options {
  int num_threads; /* 0: all cores */
  /* 1: read the weights file into private memory in transparent huge pages
   * (fewer TLB misses: decode streams every weight per token; costs the read
   * at create time and memory not shared with other processes). 0: map the
   * file (instant, shared page cache). */
  int huge_pages;
} phi_options;

typedef struct phi_model phi_model;

/** Maps `weights_path` and checks it against the compiled model. */
phi_status phi_model_create(const phi_model_def *def, const char *weights_path,
                            const phi_options *options, phi_model **out);
/** The same over weights already in memory: `data` points at the whole
 *  weights file (64-byte aligned) and must outlive the model. Models compiled
 *  with `phi-compile --embed-weights` carry them in the object and define
 *  `<name>_create()` in their header, which calls this. */
phi_status phi_model_create_from_memory(const phi_model_def *def, const void *data,
                                        size_t size, const phi_options *options,
                                        phi_model **out);
/** Appends `n` tokens to the sequence and computes them (prefill when the
 *  sequence is empty, decode with n = 1). With `logits`, writes
 *  n * vocab_size floats (position-major); `logits_len` is its capacity. */
phi_status phi_model_forward(phi_model *m, const int64_t *tokens, size_t n,
                             float *logits, size_t logits_len);
/** Forgets the sequence (the KV cache), keeping the weights. */
phi_status phi_model_reset(phi_model *m);
void phi_model_destroy(phi_model *m);

int64_t phi_model_vocab_size(const phi_model *m);
int64_t phi_model_context_length(const phi_model *m);
/** Tokens in the sequence so far. */
int64_t phi_model_sequence_length(const phi_model *m);
/** The last error of `m`, or of the last failed create when `m` is null. */
const char *phi_model_last_error(const phi_model *m);
const char *phi_status_string(phi_status s);

#ifdef __cplusplus
}
#endif

#endif /* PHI_RUNTIME_PHI_H */
