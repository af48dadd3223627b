//===- OnnxImporterTest.cpp - The ONNX importer's C++ entry points --------===//
//
// importOnnxModel / importOnnxBytes / importOnnxFile agree, and failures come
// back as one error diagnostic naming the source. The forms themselves are
// covered by the lit tests in test/Frontend.
//
//===----------------------------------------------------------------------===//

#ifdef MOESAIC_HAVE_ONNX

#include "moesaic/Dialect/Moe/MoeModelDesc.h"
#include "moesaic/Frontend/OnnxImporter.h"
#include "moesaic/InitAll.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "onnx/defs/parser.h"
#include "onnx/onnx_pb.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace moesaic;

namespace {
const char *kModel = R"(
<ir_version: 8, opset_import: ["" : 17, "com.microsoft" : 1]>
g (float[T,64] x, float[64,8] wg, float[8,256,64] w1, float[8,64,128] w2) => (float[T,64] y) {
  r = MatMul(x, wg)
  m = com.microsoft.MoE <k = 2, activation_type = "swiglu", swiglu_fusion = 1> (x, r, w1, , w2)
  y = Add(x, m)
}
)";

onnx::ModelProto parse() {
  onnx::ModelProto model;
  onnx::OnnxParser parser(kModel);
  EXPECT_TRUE(parser.Parse(model).IsOK());
  return model;
}

struct Importer : ::testing::Test {
  Importer() {
    DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
  }
  MLIRContext context;
};

TEST_F(Importer, ModelProtoAndBytesAgree) {
  onnx::ModelProto model = parse();
  OwningOpRef<ModuleOp> fromProto = importOnnxModel(model, "a.onnx", &context);
  ASSERT_TRUE(fromProto);
  std::string bytes;
  ASSERT_TRUE(model.SerializeToString(&bytes));
  OwningOpRef<ModuleOp> fromBytes = importOnnxBytes(bytes, "a.onnx", &context);
  ASSERT_TRUE(fromBytes);
  OwningOpRef<ModuleOp> fromText =
      importOnnxBytes(kModel, "a.onnxtext", &context, {}, /*isText=*/true);
  ASSERT_TRUE(fromText);
  for (ModuleOp m : {*fromProto, *fromBytes, *fromText}) {
    FailureOr<ModelDesc> desc = moe::describeModel(moe::findModel(m));
    ASSERT_TRUE(succeeded(desc));
    ASSERT_EQ(desc->moeLayers.size(), 1u);
    EXPECT_EQ(desc->moeLayers[0].numExperts, 8);
    EXPECT_EQ(desc->moeLayers[0].topK, 2);
    EXPECT_EQ(desc->moeLayers[0].expertFfnSize, 128);
    EXPECT_EQ(desc->hiddenSize, 64);
  }
}

TEST_F(Importer, OptionsNameTheModel) {
  OnnxImportOptions options;
  options.modelName = "mixtral_layer";
  options.contextLength = 32768;
  OwningOpRef<ModuleOp> m = importOnnxModel(parse(), "a.onnx", &context, options);
  ASSERT_TRUE(m);
  moe::ModelOp model = moe::findModel(*m);
  EXPECT_EQ(model.getSymName(), "mixtral_layer");
  EXPECT_EQ(cast<moe::InputOp>(model.getInputValue().getDefiningOp())
                .getContext()
                .value_or(0),
            32768u);
}

TEST_F(Importer, GarbageIsOneErrorNamingTheSource) {
  std::vector<std::string> errors;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << d.getLocation() << ": " << d.str();
    errors.push_back(os.str());
    return success();
  });
  EXPECT_FALSE(importOnnxBytes("\xff\xfe not a model", "bad.onnx", &context));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("bad.onnx"), std::string::npos);
  EXPECT_NE(errors[0].find("not an ONNX model"), std::string::npos);
}

TEST_F(Importer, NodeLimitRefusesBeforeWork) {
  OnnxImportOptions options;
  options.maxNodes = 1;
  std::string error;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    error = d.str();
    return success();
  });
  EXPECT_FALSE(importOnnxModel(parse(), "a.onnx", &context, options));
  EXPECT_NE(error.find("3 nodes exceed the limit of 1"), std::string::npos);
}

TEST(OnnxPath, Extensions) {
  EXPECT_TRUE(isOnnxPath("m.onnx"));
  EXPECT_TRUE(isOnnxPath("M.ONNX"));
  EXPECT_TRUE(isOnnxPath("m.onnxtext"));
  EXPECT_FALSE(isOnnxPath("m.mlir"));
  EXPECT_FALSE(isOnnxPath("onnx"));
}
} // namespace

#endif // MOESAIC_HAVE_ONNX
