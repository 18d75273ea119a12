/* The model `tiny` with its weights in a file: TINY_WEIGHTS_PATH (from
 * phi_add_model) names the one in the build tree; pass another path once
 * the weights are installed elsewhere. */
#include "tiny.h"

phi_status open_model(const char *weights, phi_model **m) {
  return phi_model_create(&tiny_def, weights ? weights : TINY_WEIGHTS_PATH, NULL, m);
}
