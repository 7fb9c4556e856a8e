// The int8 exporter for a text student's architecture, from a registry (text_int8_export.cpp,
// one line per exporter): the bag of embeddings (bag_int8_export.h), the convolutional student
// (text_cnn_int8_export.h) and the BiLSTM (bilstm_int8_export.h). The Transformer has no int8 form yet; the config check refuses it as
// a quantized student before any training.
#pragma once

#include <ATen/core/Tensor.h>

#include "distill/compression/text_int8_common.h"
#include "distill/models/classifier.h"

namespace distill::compression {

/// Whether the runtime has an int8 form of the text family `kind`.
bool has_int8_text_export(models::ModelKind kind);

/// The text families with an int8 form ("bag_of_embeddings, text_cnn, bilstm"), for hints.
std::string int8_text_family_names();

/// Quantizes `model` with its family's exporter; throws distill::Error naming the architecture
/// and the families that have one when it has none.
runtime::Int8TextModel quantize_text_classifier(models::Classifier& model,
                                                const TextModelContext& context,
                                                const at::Tensor& calibration_ids,
                                                const Int8ExportOptions& options);

}  // namespace distill::compression
