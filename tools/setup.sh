#!/usr/bin/env bash
# phi set-up: install dependencies, configure, build, then run one job.
#
#   tools/setup.sh run    # install + build + compile the bundled tiny Phi-3.5 model
#   tools/setup.sh test   # install + build + run the whole test suite (what CI runs)
#
# Idempotent: apt runs only when a package is missing, pip only when
# test/requirements.txt changed, cmake only when not configured; ninja and
# ccache make an unchanged tree a no-op.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${PHI_BUILD_DIR:-$ROOT/build}
JOBS=${PHI_JOBS:-$(nproc)}
job=${1:-}
case "$job" in run|test) ;; *) echo "usage: $0 run|test" >&2; exit 2;; esac

# 1. Debian packages (LLVM/MLIR 22, protobuf, build tools).
APT_PKGS="cmake ninja-build ccache clang-22 lld-22 llvm-22-dev llvm-22-tools libmlir-22-dev
mlir-22-tools libprotobuf-dev protobuf-compiler python3-venv make"
missing=()
for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. Python test harness, pinned.
VENV=$ROOT/.venv
if [ ! -x "$VENV/bin/python" ]; then python3 -m venv "$VENV"; fi
if ! cmp -s test/requirements.txt "$VENV/.phi-requirements"; then
  echo "setup: installing Python requirements"
  "$VENV/bin/pip" install -q -r test/requirements.txt
  cp test/requirements.txt "$VENV/.phi-requirements"
fi

# 3. Configure and build.
if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld \
    -DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DPython3_EXECUTABLE="$VENV/bin/python"
fi
cmake --build "$BUILD" -j "$JOBS"

# 4. The job.
if [ "$job" = test ]; then
  exec cmake --build "$BUILD" --target check-phi
fi
export PATH=$BUILD/bin:$PATH
exec "$ROOT/examples/run.sh" "$BUILD"
