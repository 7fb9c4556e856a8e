#include "pytorch_reference.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <sstream>

#include "test_support.h"

namespace distill::testing {

nlohmann::json tensor_json(const at::Tensor& t) {
  const at::Tensor c = t.detach().to(at::kDouble).contiguous();
  return {{"shape", c.sizes().vec()},
          {"values", std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel())}};
}

at::Tensor run_pytorch_reference(const std::string& body, const torch::nn::Module& module,
                                 nlohmann::json fields, const std::vector<int64_t>& shape) {
  TempDir dir;
  nlohmann::json weights;
  for (const auto& item : module.named_parameters()) weights[item.key()] = tensor_json(item.value());
  fields["weights"] = weights;
  write_bytes(dir.path() / "request.json", fields.dump());
  const std::string preamble = R"(
import json, sys, torch
r = json.load(open(sys.argv[1]))
t = lambda e: torch.tensor(e["values"], dtype=torch.float64).view(e["shape"])
w = {k: t(v) for k, v in r["weights"].items()}
)";
  write_bytes(dir.path() / "reference.py", preamble + body);
  const CommandResult result = run_command({"/usr/bin/python3", (dir.path() / "reference.py").string(),
                                            (dir.path() / "request.json").string()});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::istringstream in(result.output);
  std::vector<double> values;
  for (double v; in >> v;) values.push_back(v);
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  EXPECT_EQ(values.size(), static_cast<size_t>(count)) << result.output;
  if (values.size() != static_cast<size_t>(count)) return at::full(shape, NAN);
  return at::tensor(values, at::kDouble).view(shape).to(at::kFloat);
}

}  // namespace distill::testing
