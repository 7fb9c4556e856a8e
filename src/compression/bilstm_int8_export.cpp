// Quantizing the BiLSTM text student, and the libtorch form of what the runtime computes.
#include "distill/compression/bilstm_int8_export.h"

#include <ATen/ATen.h>
#include <torch/csrc/autograd/grad_mode.h>

#include "distill/core/error.h"
#include "distill/text/tokenizer_options.h"

namespace distill::compression {
namespace {

/// x through the state encoding and back: what the runtime's GEMMs read for a state.
at::Tensor fake_quantized_state(const at::Tensor& x) {
  const float zero = static_cast<float>(runtime::kLstmStateZeroPoint);
  return (at::round(x * (1.0f / runtime::kLstmStateScale) + zero).clamp(0, 255) - zero) *
         runtime::kLstmStateScale;
}

runtime::QuantizedLstmDirection quantize_direction(const torch::nn::LSTM& lstm) {
  at::NoGradGuard no_grad;
  const auto& p = lstm->named_parameters();
  runtime::QuantizedLstmDirection out;
  Int8Rows input = quantize_rows(p["weight_ih_l0"]);
  Int8Rows recurrent = quantize_rows(p["weight_hh_l0"]);
  out.input_weights = std::move(input.codes);
  out.input_scales = std::move(input.scales);
  out.recurrent_weights = std::move(recurrent.codes);
  out.recurrent_scales = std::move(recurrent.scales);
  const at::Tensor bias = (p["bias_ih_l0"] + p["bias_hh_l0"]).contiguous();
  out.bias.assign(bias.data_ptr<float>(), bias.data_ptr<float>() + bias.numel());
  return out;
}

}  // namespace

runtime::Int8TextModel quantize_bilstm(models::BiLstm& model, const TextModelContext& context,
                                       const at::Tensor& calibration_ids,
                                       const Int8ExportOptions& options) {
  at::NoGradGuard no_grad;
  const models::ModelSpec& spec = model.spec();
  runtime::Int8TextModel out =
      int8_sequence_model(spec, context, model.token_embedding()->weight,
                          runtime::TextEncoder::kRecurrent, calibration_ids, options);
  out.lstm_units = spec.hidden.at(0);
  for (size_t layer = 0; layer < model.forward_layers().size(); ++layer) {
    out.lstm.push_back(quantize_direction(model.forward_layers()[layer]));
    out.lstm.push_back(quantize_direction(model.backward_layers()[layer]));
  }
  const at::Tensor pooled = simulate_recurrent_states(out, calibration_ids);
  out.head = quantize_text_head(model.head()->weight, model.head()->bias, pooled, options);
  out.description = "int8 " + models::describe_model_spec(spec) +
                    " (embedding rows int8 with a scale each; sequence uint8; gate weights int8 "
                    "per row, states uint8 at 1/127, cell state float; head " +
                    out.head.description + ")";
  return out;
}

at::Tensor simulate_recurrent_states(const runtime::Int8TextModel& model, const at::Tensor& ids) {
  at::NoGradGuard no_grad;
  const int64_t units = model.lstm_units, batch = ids.size(0), positions = ids.size(1);
  at::Tensor x = fake_quantized_sequence(model, ids, positions);  // (N, P, in)
  const at::Tensor lengths = (ids != text::kPadTokenId).sum(1).clamp_min(1);
  const at::Tensor reversal = models::reversal_within_lengths(lengths, positions);
  const auto reorder = [](const at::Tensor& t, const at::Tensor& order) {
    return t.gather(1, order.unsqueeze(2).expand({-1, -1, t.size(2)}));
  };
  const at::Tensor last = (lengths - 1).view({-1, 1, 1}).expand({-1, 1, units});
  std::vector<at::Tensor> finals;
  for (size_t layer = 0; layer * 2 < model.lstm.size(); ++layer) {
    std::vector<at::Tensor> outputs;
    for (size_t direction = 0; direction < 2; ++direction) {
      const runtime::QuantizedLstmDirection& d = model.lstm[2 * layer + direction];
      const at::Tensor w_ih = dequantized_rows(d.input_weights, d.input_scales, x.size(2));
      const at::Tensor w_hh = dequantized_rows(d.recurrent_weights, d.recurrent_scales, units);
      const at::Tensor bias = at::from_blob(const_cast<float*>(d.bias.data()), {4 * units}, at::kFloat);
      const at::Tensor input = direction == 0 ? x : reorder(x, reversal);
      const at::Tensor projected = at::linear(input, w_ih, bias);  // (N, P, 4H)
      at::Tensor h = at::zeros({batch, units}), c = at::zeros({batch, units});
      std::vector<at::Tensor> states;
      for (int64_t t = 0; t < positions; ++t) {
        const at::Tensor gates =
            projected.select(1, t) + at::linear(fake_quantized_state(h), w_hh);
        const auto parts = gates.chunk(4, 1);
        c = at::sigmoid(parts[1]) * c + at::sigmoid(parts[0]) * at::tanh(parts[2]);
        h = at::sigmoid(parts[3]) * at::tanh(c);
        states.push_back(h);
      }
      at::Tensor sequence = at::stack(states, 1);  // (N, P, H) in reading order
      if (layer * 2 + 2 == model.lstm.size()) finals.push_back(sequence.gather(1, last).squeeze(1));
      outputs.push_back(direction == 0 ? sequence : reorder(sequence, reversal));
    }
    x = fake_quantized_state(at::cat(outputs, 2));
  }
  return at::cat(finals, 1);
}

}  // namespace distill::compression
