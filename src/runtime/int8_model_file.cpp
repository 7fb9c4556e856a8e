// Encoding and defensive decoding of the int8 model file.
//
//   offset  size  field
//        0     8  magic "DSTLINT8"
//        8     4  format version (uint32, little-endian): 1 (MLPs), 2 (adds convolutions)
//       12     4  header length H in bytes (uint32), at most 1 MiB
//       16     8  payload length P in bytes (uint64); the file is exactly 32 + H + P bytes
//       24     4  CRC-32 (zlib) of the H + P bytes that follow the preamble
//       28     4  reserved, 0
//       32     H  header, JSON (fields in docs/model-format.md)
//   32 + H     P  payload: each array at the offset the header gives, 64-byte aligned
#include "distill/runtime/int8_model_file.h"


#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "distill/core/checksum.h"
#include "distill/core/error.h"
#include "file_fields.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the int8 model file stores little-endian numbers; add byte swapping for this host");

namespace distill::runtime {
namespace {

using nlohmann::json;
using namespace file_fields;


/// The text a ConvActivation is stored as, and back.
ConvActivation parse_activation(const HeaderReader& conv) {
  const std::string text = conv.text("activation");
  for (ConvActivation a : {ConvActivation::kNone, ConvActivation::kRelu, ConvActivation::kRelu6})
    if (text == to_string(a)) return a;
  DISTILL_FAIL(conv.where("activation"), " must be \"none\", \"relu\" or \"relu6\", got \"",
               text, "\"");
}


QuantizedConvLayer read_convolution(const HeaderReader& node, const char* payload,
                                    uint64_t payload_bytes) {
  QuantizedConvLayer conv;
  conv.in_channels = bounded(node, "in_channels", 1, 65536);
  conv.out_channels = bounded(node, "out_channels", 1, 65536);
  conv.kernel = bounded(node, "kernel", 1, 15);
  conv.stride = bounded(node, "stride", 1, 8);
  conv.padding = bounded(node, "padding", 0, 14);
  conv.groups = bounded(node, "groups", 1, 65536);
  conv.pad_value = static_cast<int32_t>(bounded(node, "pad_value", 0, 255));
  conv.activation = parse_activation(node);
  conv.output_scale = static_cast<float>(node.number("output_scale"));
  conv.output_zero_point = static_cast<int32_t>(bounded(node, "output_zero_point", 0, 255));
  conv.input = static_cast<int32_t>(bounded(node, "input", -1, 1023));
  conv.residual = static_cast<int32_t>(bounded(node, "residual", -1, 1023));
  DISTILL_CHECK(conv.in_channels % conv.groups == 0, node.where("groups"), " ", conv.groups,
                " does not divide the ", conv.in_channels, " input channels");
  const int64_t weights =
      conv.out_channels * (conv.in_channels / conv.groups) * conv.kernel * conv.kernel;
  conv.weights = read_array<int8_t>(node, "weights", weights, payload, payload_bytes);
  conv.weight_scales =
      read_array<float>(node, "weight_scales", conv.out_channels, payload, payload_bytes);
  conv.bias = read_array<float>(node, "bias", conv.out_channels, payload, payload_bytes);
  return conv;
}

}  // namespace

std::string encode_int8_model(const Int8Model& model) {
  validate(model, "to encode");
  std::string payload;
  json convolutions = json::array();
  for (const QuantizedConvLayer& conv : model.convolutions) {
    convolutions.push_back({{"in_channels", conv.in_channels},
                            {"out_channels", conv.out_channels},
                            {"kernel", conv.kernel},
                            {"stride", conv.stride},
                            {"padding", conv.padding},
                            {"groups", conv.groups},
                            {"pad_value", conv.pad_value},
                            {"activation", to_string(conv.activation)},
                            {"output_scale", conv.output_scale},
                            {"output_zero_point", conv.output_zero_point},
                            {"input", conv.input},
                            {"residual", conv.residual},
                            {"weights", append_array(payload, conv.weights)},
                            {"weight_scales", append_array(payload, conv.weight_scales)},
                            {"bias", append_array(payload, conv.bias)}});
  }
  json layers = json::array();
  for (const QuantizedLinearLayer& layer : model.layers) {
    layers.push_back({{"type", "linear"},
                      {"in_features", layer.in_features},
                      {"out_features", layer.out_features},
                      {"relu", layer.relu},
                      {"output_scale", layer.output_scale},
                      {"weights", append_array(payload, layer.weights)},
                      {"weight_scales", append_array(payload, layer.weight_scales)},
                      {"bias", append_array(payload, layer.bias)}});
  }
  json header{{"format", "distill-int8"},
                    {"description", model.description},
                    {"input_shape", model.input_shape},
                    {"num_classes", model.num_classes},
                    {"activations", to_string(model.activations)},
                    {"input", {{"scale", model.input_scale}, {"zero_point", model.input_zero_point}}},
                    {"layers", layers}};
  if (model.is_cnn()) {
    header["convolutions"] = convolutions;
    header["pooled_scale"] = model.pooled_scale;
  }
  // MLP files stay at version 1, which every earlier build reads.
  return wrap_file(kInt8ModelMagic, model.is_cnn() ? kInt8ModelFormatVersion : 1, header, payload,
                   "int8 model");
}

Int8Model decode_int8_model(const std::string& bytes, const std::string& source) {
  const std::string where = "int8 model '" + source + "'";
  const FileView file = open_file(bytes, kInt8ModelMagic, kInt8ModelFormatVersion, where,
                                  "int8 files come from `distill quantize`; fp32 models (.pt) "
                                  "run with `distill evaluate`");
  const uint32_t version = file.version;
  const json& header = file.header;
  const char* payload = file.payload;
  const uint64_t payload_bytes = file.payload_bytes;
  const HeaderReader root(header, "", source);
  DISTILL_CHECK(root.text("format") == "distill-int8", root.where("format"),
                " must be \"distill-int8\"");

  Int8Model model;
  model.description = root.text("description");
  const json& shape = root.field("input_shape");
  DISTILL_CHECK(shape.is_array() && !shape.empty() && shape.size() <= 4,
                root.where("input_shape"), " must be a list of 1 to 4 sizes, got ", shape.dump());
  for (const json& d : shape) {
    DISTILL_CHECK(d.is_number_integer(), root.where("input_shape"),
                  " must hold integers, got ", d.dump());
    model.input_shape.push_back(d.get<int64_t>());
  }
  model.num_classes = root.integer("num_classes");
  const std::string activations = root.text("activations");
  DISTILL_CHECK(activations == "static" || activations == "dynamic", root.where("activations"),
                " must be \"static\" or \"dynamic\", got \"", activations, "\"");
  model.activations = activations == "static" ? ActivationQuantization::kStatic
                                              : ActivationQuantization::kDynamic;
  const HeaderReader input = root.child("input");
  model.input_scale = static_cast<float>(input.number("scale"));
  const int64_t zero_point = input.integer("zero_point");
  DISTILL_CHECK(zero_point >= 0 && zero_point <= 255, input.where("zero_point"),
                " must be in [0, 255], got ", zero_point);
  model.input_zero_point = static_cast<int32_t>(zero_point);

  if (header.contains("convolutions")) {
    DISTILL_CHECK(version >= 2, root.where("convolutions"), " needs format version 2, the file "
                  "says ", version);
    const json& convolutions = root.field("convolutions");
    DISTILL_CHECK(convolutions.is_array() && !convolutions.empty() && convolutions.size() <= 1024,
                  root.where("convolutions"), " must be a list of 1 to 1024 convolutions");
    for (size_t i = 0; i < convolutions.size(); ++i) {
      const HeaderReader node(convolutions[i], "convolutions[" + std::to_string(i) + "].", source);
      DISTILL_CHECK(convolutions[i].is_object(), node.where(""), " must be an object");
      model.convolutions.push_back(read_convolution(node, payload, payload_bytes));
    }
    model.pooled_scale = static_cast<float>(root.number("pooled_scale"));
  }
  const json& layers = root.field("layers");
  DISTILL_CHECK(layers.is_array() && !layers.empty() && layers.size() <= 1024,
                root.where("layers"), " must be a list of 1 to 1024 layers");
  for (size_t i = 0; i < layers.size(); ++i) {
    const HeaderReader layer_header(layers[i], "layers[" + std::to_string(i) + "].", source);
    DISTILL_CHECK(layers[i].is_object(), layer_header.where(""), " must be an object");
    DISTILL_CHECK(layer_header.text("type") == "linear", layer_header.where("type"),
                  " must be \"linear\"");
    QuantizedLinearLayer layer;
    layer.in_features = layer_header.integer("in_features");
    layer.out_features = layer_header.integer("out_features");
    DISTILL_CHECK(layer.in_features > 0 && layer.in_features <= (int64_t{1} << 26) &&
                      layer.out_features > 0 && layer.out_features <= (int64_t{1} << 20),
                  layer_header.where("in_features"), ": sizes ", layer.in_features, " -> ",
                  layer.out_features, " out of range");
    layer.relu = layer_header.boolean("relu");
    layer.output_scale = static_cast<float>(layer_header.number("output_scale"));
    layer.weights = read_array<int8_t>(layer_header, "weights",
                                       layer.in_features * layer.out_features, payload,
                                       payload_bytes);
    layer.weight_scales = read_array<float>(layer_header, "weight_scales", layer.out_features,
                                            payload, payload_bytes);
    layer.bias = read_array<float>(layer_header, "bias", layer.out_features, payload, payload_bytes);
    model.layers.push_back(std::move(layer));
  }
  validate(model, source);
  return model;
}

Int8Model load_int8_model(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  DISTILL_CHECK_HINT(in.good(), "check the path; `distill quantize` writes int8 models",
                     "cannot open int8 model '", path, "'");
  std::ostringstream contents;
  contents << in.rdbuf();
  DISTILL_CHECK(!in.bad(), "failed to read int8 model '", path, "'");
  return decode_int8_model(contents.str(), path);
}

}  // namespace distill::runtime
