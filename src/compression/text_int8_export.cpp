// The int8 text exporters, one registration each, found by the student's architecture.
#include "distill/compression/text_int8_export.h"

#include <algorithm>
#include <vector>

#include "distill/compression/bag_int8_export.h"
#include "distill/compression/bilstm_int8_export.h"
#include "distill/compression/text_cnn_int8_export.h"
#include "distill/core/error.h"

namespace distill::compression {
namespace {

struct Int8TextExporter {
  models::ModelKind kind;
  runtime::Int8TextModel (*quantize)(models::Classifier& model, const TextModelContext& context,
                                     const at::Tensor& calibration_ids,
                                     const Int8ExportOptions& options);
};

/// An exporter of `Model` (its family's class) through `Quantize`.
template <typename Model, runtime::Int8TextModel (*Quantize)(Model&, const TextModelContext&,
                                                             const at::Tensor&,
                                                             const Int8ExportOptions&)>
Int8TextExporter exporter(models::ModelKind kind) {
  return {kind, [](models::Classifier& model, const TextModelContext& context,
                   const at::Tensor& calibration_ids, const Int8ExportOptions& options) {
            auto* typed = dynamic_cast<Model*>(&model);
            DISTILL_CHECK(typed != nullptr, "the int8 exporter of ", to_string(model.spec().kind),
                          " got another architecture's model");
            return Quantize(*typed, context, calibration_ids, options);
          }};
}

const std::vector<Int8TextExporter>& int8_text_exporters() {
  static const std::vector<Int8TextExporter> exporters = {
      exporter<models::BagOfEmbeddings, quantize_bag_of_embeddings>(
          models::ModelKind::kBagOfEmbeddings),
      exporter<models::TextCnn, quantize_text_cnn>(models::ModelKind::kTextCnn),
      exporter<models::BiLstm, quantize_bilstm>(models::ModelKind::kBiLstm),
  };
  return exporters;
}

const Int8TextExporter* find_exporter(models::ModelKind kind) {
  const auto& all = int8_text_exporters();
  const auto found =
      std::find_if(all.begin(), all.end(), [&](const Int8TextExporter& e) { return e.kind == kind; });
  return found == all.end() ? nullptr : &*found;
}

}  // namespace

bool has_int8_text_export(models::ModelKind kind) { return find_exporter(kind) != nullptr; }

std::string int8_text_family_names() {
  std::string names;
  for (const Int8TextExporter& e : int8_text_exporters())
    names += (names.empty() ? "" : ", ") + std::string(to_string(e.kind));
  return names;
}

runtime::Int8TextModel quantize_text_classifier(models::Classifier& model,
                                                const TextModelContext& context,
                                                const at::Tensor& calibration_ids,
                                                const Int8ExportOptions& options) {
  const Int8TextExporter* found = find_exporter(model.spec().kind);
  DISTILL_CHECK_HINT(found != nullptr,
                     "use a " + int8_text_family_names() + " student, or quantize.enabled: false",
                     "the int8 runtime runs text students of type ", int8_text_family_names(),
                     "; the student is ", models::describe_model_spec(model.spec()));
  return found->quantize(model, context, calibration_ids, options);
}

}  // namespace distill::compression
