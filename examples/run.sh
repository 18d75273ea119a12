#!/usr/bin/env bash
# The main job on the bundled tiny Phi-3.5-architecture example.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
echo "== phi-opt: raise the RMSNorm of a decomposed export (examples/rms_norm.mlir)"
"$BUILD/bin/phi-opt" --phi-raise-rms-norm examples/rms_norm.mlir
