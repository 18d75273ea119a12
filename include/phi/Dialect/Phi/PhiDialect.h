//===- PhiDialect.h - the phi dialect ---------------------------*- C++ -*-===//
#ifndef PHI_DIALECT_PHI_PHIDIALECT_H
#define PHI_DIALECT_PHI_PHIDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Dialect.h"

#include "phi/Dialect/Phi/PhiDialect.h.inc"

#endif // PHI_DIALECT_PHI_PHIDIALECT_H
