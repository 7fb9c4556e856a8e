// Picking the int8 text exporter by architecture.
#include "distill/compression/text_int8_export.h"

#include "distill/compression/bag_int8_export.h"
#include "distill/compression/bilstm_int8_export.h"
#include "distill/compression/text_cnn_int8_export.h"
#include "distill/core/error.h"

namespace distill::compression {

bool has_int8_text_export(models::ModelKind kind) {
  return kind == models::ModelKind::kBagOfEmbeddings || kind == models::ModelKind::kTextCnn ||
         kind == models::ModelKind::kBiLstm;
}

std::string int8_text_family_names() { return "bag_of_embeddings, text_cnn, bilstm"; }

runtime::Int8TextModel quantize_text_classifier(models::Classifier& model,
                                                const TextModelContext& context,
                                                const at::Tensor& calibration_ids,
                                                const Int8ExportOptions& options) {
  if (auto* bag = dynamic_cast<models::BagOfEmbeddings*>(&model))
    return quantize_bag_of_embeddings(*bag, context, calibration_ids, options);
  if (auto* cnn = dynamic_cast<models::TextCnn*>(&model))
    return quantize_text_cnn(*cnn, context, calibration_ids, options);
  if (auto* lstm = dynamic_cast<models::BiLstm*>(&model))
    return quantize_bilstm(*lstm, context, calibration_ids, options);
  DISTILL_FAIL_HINT("use a " + int8_text_family_names() + " student, or quantize.enabled: false",
                    "the int8 runtime runs text students of type ", int8_text_family_names(),
                    "; the student is ", models::describe_model_spec(model.spec()));
}

}  // namespace distill::compression
