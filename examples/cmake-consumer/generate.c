/* Greedy generation from token ids with a model phi_add_model() compiled:
 *
 *   generate [ids [steps [weights]]]     e.g. generate 5,17,33 16
 *
 * open_model() comes from open_file.c (weights file) or open_embedded.c
 * (weights inside the object). */
#include "phi/Runtime/phi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

phi_status open_model(const char *weights, phi_model **m);

int main(int argc, char **argv) {
  int64_t prompt[256];
  size_t n = 0;
  char *list = strdup(argc > 1 ? argv[1] : "5,17,33,42,9,71,12,8");
  for (char *t = strtok(list, ","); t && n < 256; t = strtok(NULL, ","))
    prompt[n++] = atoll(t);
  free(list);
  int steps = argc > 2 ? atoi(argv[2]) : 16;

  phi_model *m;
  if (open_model(argc > 3 ? argv[3] : NULL, &m) != PHI_OK) {
    fprintf(stderr, "error: %s\n", phi_model_last_error(NULL));
    return 1;
  }
  int64_t vocab = phi_model_vocab_size(m);
  float *logits = malloc(sizeof(float) * n * vocab);
  phi_status s = phi_model_forward(m, prompt, n, logits, n * vocab);
  const float *row = logits + (n - 1) * vocab;
  printf("tokens:");
  for (int i = 0; s == PHI_OK && i < steps; ++i) {
    int64_t best = 0;
    for (int64_t j = 1; j < vocab; ++j)
      if (row[j] > row[best])
        best = j;
    printf("%s%lld", i ? "," : " ", (long long)best);
    if (i + 1 < steps)
      s = phi_model_forward(m, &best, 1, logits, vocab);
    row = logits;
  }
  printf("\n");
  if (s != PHI_OK)
    fprintf(stderr, "error: %s: %s\n", phi_status_string(s), phi_model_last_error(m));
  free(logits);
  phi_model_destroy(m);
  return s == PHI_OK ? 0 : 1;
}
