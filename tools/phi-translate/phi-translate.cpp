//===- phi-translate.cpp - model formats to and from the phi dialect ------===//
//
//   phi-translate --import-onnx model.onnx -o model.mlir
//
//===----------------------------------------------------------------------===//

#include "phi/Import/ONNX.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  mlir::phi::registerONNXImportTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "phi model translation driver\n"));
}
