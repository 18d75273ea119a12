// Malformed input gets one located diagnostic and a non-zero exit, never a crash.
// RUN: split-file %s %t
// RUN: not phi-opt %t/unknown-op.mlir 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not phi-opt %t/syntax.mlir 2>&1 | FileCheck %s --check-prefix=SYNTAX
// RUN: not phi-opt %t/bad-type.mlir 2>&1 | FileCheck %s --check-prefix=TYPE
// RUN: not phi-opt %t/missing.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// RUN: not phi-opt %t/ok.mlir --phi-raise-rms-norm=bogus=1 2>&1 | FileCheck %s --check-prefix=OPTION
// RUN: not phi-opt %t/ok.mlir --no-such-pass 2>&1 | FileCheck %s --check-prefix=PASS

// UNKNOWN: unknown-op.mlir:2:8: error: custom op 'phi.frobnicate' is unknown
// SYNTAX: syntax.mlir:2:{{[0-9]+}}: error:
// TYPE: bad-type.mlir:2:8: error: 'phi.rms_norm' op weight must be a 1-D tensor
// MISSING: cannot open input file '{{.*}}missing.mlir': No such file or directory
// OPTION: no such option bogus
// PASS: Unknown command line argument '--no-such-pass'
// UNKNOWN-NOT: Stack dump
// TYPE-NOT: Stack dump

//--- unknown-op.mlir
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = phi.frobnicate %x : tensor<4xf32>
  return %0 : tensor<4xf32>
}
//--- syntax.mlir
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = phi.silu %x tensor<4xf32>
  return %0 : tensor<4xf32>
}
//--- bad-type.mlir
func.func @f(%x: tensor<2x4xf32>, %w: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %0 = phi.rms_norm %x, %w : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}
//--- ok.mlir
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
