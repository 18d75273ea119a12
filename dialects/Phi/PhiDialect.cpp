//===- PhiDialect.cpp - the phi dialect -----------------------------------===//
#include "phi/Dialect/Phi/PhiDialect.h"
#include "phi/Dialect/Phi/PhiOps.h"

using namespace mlir;
using namespace mlir::phi;

#include "phi/Dialect/Phi/PhiDialect.cpp.inc"

void PhiDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "phi/Dialect/Phi/PhiOps.cpp.inc"
      >();
}
