/* The model `tiny_embedded` (EMBED_WEIGHTS): nothing to find at run time. */
#include "tiny_embedded.h"

phi_status open_model(const char *weights, phi_model **m) {
  (void)weights;
  return tiny_embedded_create(NULL, m);
}
