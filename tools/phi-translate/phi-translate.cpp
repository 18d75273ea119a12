//===- phi-translate.cpp - model formats to and from the phi dialect ------===//
//
//   phi-translate --import-onnx model.onnx -o model.mlir
//   phi-translate --export-weights model.mlir -o weights.safetensors
//   phi-translate --export-onnx [--onnx-style=ort|qdq] model.mlir -o model.onnx
//
//===----------------------------------------------------------------------===//

#include "phi/Import/ONNX.h"
#include "phi/Target/ONNX.h"
#include "phi/Weights/Weights.h"

#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"

int main(int argc, char **argv) {
  mlir::phi::registerONNXImportTranslation();
  mlir::phi::registerExportWeightsTranslation();
  mlir::phi::registerONNXExportTranslation();
  return mlir::failed(
      mlir::mlirTranslateMain(argc, argv, "phi model translation driver\n"));
}
