/* Separate model instances on separate threads: four threads each create
 * their own instance (weights file mapped four times), generate greedily
 * from the same prompt, and must produce the tokens of a single-threaded
 * run; two instances also generate interleaved on one thread. */
#include "model.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEPS 16
static const char *weights;
static const int64_t prompt[] = {5, 17, 33, 42, 9, 71, 12, 8};
enum { NP = sizeof prompt / sizeof prompt[0] };

static int generate(phi_model *m, int64_t *out) {
  int64_t vocab = phi_model_vocab_size(m);
  float *logits = malloc(sizeof(float) * NP * vocab);
  const float *row = logits + (NP - 1) * vocab;
  int ok = phi_model_forward(m, prompt, NP, logits, NP * vocab) == PHI_OK;
  for (int i = 0; ok && i < STEPS; ++i) {
    int64_t best = 0;
    for (int64_t j = 1; j < vocab; ++j)
      if (row[j] > row[best])
        best = j;
    out[i] = best;
    ok = phi_model_forward(m, &best, 1, logits, vocab) == PHI_OK;
    row = logits;
  }
  free(logits);
  return ok;
}

static void *worker(void *arg) {
  int64_t *out = arg;
  phi_model *m;
  phi_options o = {1, 0};
  if (phi_model_create(&model_def, weights, &o, &m) != PHI_OK)
    return NULL;
  int ok = generate(m, out);
  phi_model_destroy(m);
  return ok ? arg : NULL;
}

int main(int argc, char **argv) {
  weights = argv[1];
  int64_t want[STEPS], got[4][STEPS];
  if (!worker(want)) {
    fprintf(stderr, "single-threaded run failed: %s\n", phi_model_last_error(NULL));
    return 1;
  }
  pthread_t t[4];
  for (int i = 0; i < 4; ++i)
    pthread_create(&t[i], NULL, worker, got[i]);
  int same = 1;
  for (int i = 0; i < 4; ++i) {
    void *r;
    pthread_join(t[i], &r);
    same &= r != NULL && memcmp(got[i], want, sizeof want) == 0;
  }
  printf("4 threads: %s\n", same ? "identical" : "DIFFERENT");
  /* Two instances stepped alternately keep separate KV caches: b takes the
   * prompt in two pieces between a's steps and ends with a's next token. */
  phi_model *a, *b;
  phi_model_create(&model_def, weights, NULL, &a);
  phi_model_create(&model_def, weights, NULL, &b);
  int64_t vocab = phi_model_vocab_size(a), next[2];
  float *logits = malloc(sizeof(float) * NP * vocab);
  phi_model_forward(b, prompt, 4, logits, 4 * vocab);
  phi_model_forward(a, prompt, NP, logits, NP * vocab);
  for (int k = 0; k < 2; ++k) {
    if (k == 1)
      phi_model_forward(b, prompt + 4, NP - 4, logits, (NP - 4) * vocab);
    const float *row = logits + (k == 0 ? NP - 1 : NP - 5) * vocab;
    next[k] = 0;
    for (int64_t j = 1; j < vocab; ++j)
      if (row[j] > row[next[k]])
        next[k] = j;
  }
  printf("interleaved: sequence lengths %lld %lld, next tokens %s\n",
         (long long)phi_model_sequence_length(a), (long long)phi_model_sequence_length(b),
         next[0] == next[1] && next[0] == want[0] ? "equal" : "DIFFERENT");
  free(logits);
  phi_model_destroy(a);
  phi_model_destroy(b);
  return same ? 0 : 1;
}
