/* Bad uses of the C API: each prints its status and message; none crashes. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>

static void report(const char *what, phi_status s, const phi_model *m) {
  printf("%s: %s: %s\n", what, phi_status_string(s), phi_model_last_error(m));
}

int main(int argc, char **argv) {
  /* argv: good weights, truncated, other model's, not a weights file */
  phi_model *m = NULL;
  report("null out", phi_model_create(&model_def, argv[1], NULL, NULL), NULL);
  report("null path", phi_model_create(&model_def, NULL, NULL, &m), NULL);
  report("missing", phi_model_create(&model_def, "/nonexistent.weights", NULL, &m), NULL);
  report("truncated", phi_model_create(&model_def, argv[2], NULL, &m), NULL);
  report("other model", phi_model_create(&model_def, argv[3], NULL, &m), NULL);
  report("not weights", phi_model_create(&model_def, argv[4], NULL, &m), NULL);
  phi_model_def old = model_def;
  old.abi_version = 99;
  report("abi", phi_model_create(&old, argv[1], NULL, &m), NULL);

  /* Weights in memory (what --embed-weights uses): read argv[1] into an
   * aligned buffer. */
  FILE *f = fopen(argv[1], "rb");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = aligned_alloc(64, (size_t)size + 128);
  if (fread(buf, 1, (size_t)size, f) != (size_t)size)
    return 1;
  fclose(f);
  report("memory null data", phi_model_create_from_memory(&model_def, NULL, 0, NULL, &m), NULL);
  report("memory misaligned", phi_model_create_from_memory(&model_def, buf + 1, (size_t)size, NULL, &m), NULL);
  report("memory short", phi_model_create_from_memory(&model_def, buf, (size_t)size - 64, NULL, &m), NULL);
  phi_status ms = phi_model_create_from_memory(&model_def, buf, (size_t)size, NULL, &m);
  report("memory good", ms, NULL);
  if (ms == PHI_OK) {
    int64_t ids[3] = {5, 17, 33};
    float *lg = malloc(sizeof(float) * 3 * phi_model_vocab_size(m));
    report("memory forward", phi_model_forward(m, ids, 3, lg, 3 * phi_model_vocab_size(m)), m);
    free(lg);
    phi_model_destroy(m);
  }
  free(buf);

  phi_status s = phi_model_create(&model_def, argv[1], NULL, &m);
  report("good", s, NULL);
  if (s != PHI_OK)
    return 1;
  int64_t vocab = phi_model_vocab_size(m), ctx = phi_model_context_length(m);
  float *logits = malloc(sizeof(float) * vocab * (ctx + 1));
  int64_t bad = vocab;
  report("token out of range", phi_model_forward(m, &bad, 1, logits, vocab), m);
  report("null tokens", phi_model_forward(m, NULL, 1, logits, vocab), m);
  int64_t two[2] = {5, 6};
  report("short logits buffer", phi_model_forward(m, two, 2, logits, vocab), m);
  int64_t *many = calloc(ctx + 1, sizeof(int64_t));
  report("beyond context", phi_model_forward(m, many, ctx + 1, logits, vocab * (ctx + 1)), m);
  report("null model", phi_model_forward(NULL, two, 2, logits, vocab), NULL);
  /* The model still works after all that. */
  report("after errors", phi_model_forward(m, two, 2, logits, 2 * vocab), m);
  printf("sequence length %lld\n", (long long)phi_model_sequence_length(m));
  report("reset", phi_model_reset(m), m);
  printf("sequence length %lld\n", (long long)phi_model_sequence_length(m));
  phi_model_destroy(m);
  phi_model_destroy(NULL);
  free(many);
  free(logits);
  return 0;
}
