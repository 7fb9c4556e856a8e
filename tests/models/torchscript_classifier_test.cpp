// TorchScript teachers: modules written by /usr/bin/python3 (PyTorch) during the test, loaded as
// Classifiers; their logits must equal PyTorch's own for the same inputs.
#include "distill/models/torchscript_classifier.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <sstream>

#include "distill/core/error.h"
#include "distill/models/model_io.h"
#include "tensor_assertions.h"
#include "test_support.h"
#include "error_assertions.h"

namespace distill::models {
namespace {

using ::distill::testing::thrown_error;

using testing::TempDir;

// Writes a scripted module to argv[1] and prints its logits for a fixed (2, 1, 28, 28) batch.
// `forward_body` receives x as given by the caller.
std::string write_module(const std::filesystem::path& path, const std::string& layers,
                         const std::string& forward_body) {
  const std::string script = R"(
import sys, torch
torch.manual_seed(0)
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
)" + layers + R"(
    def forward(self, x):
)" + forward_body + R"(
m = torch.jit.script(Net().eval())
m.save(sys.argv[1])
x = (torch.arange(2 * 784, dtype=torch.float32) % 255 / 255).view(2, 1, 28, 28)
try:
    y = m(x)
except Exception:
    y = m(x.view(2, -1))
print(*[repr(v) for v in y.flatten().tolist()])
)";
  // torch.jit.script reads the class's source, so the script must be a file, not `python3 -c`.
  const std::filesystem::path script_file = path.string() + ".py";
  testing::write_bytes(script_file, script);
  const auto result = testing::run_command({"/usr/bin/python3", script_file.string(), path.string()});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  return result.output;
}

at::Tensor fixed_batch() {
  return at::arange(2 * 784, at::kFloat).remainder(255).div(255).view({2, 1, 28, 28});
}

at::Tensor parse_logits(const std::string& text, int64_t classes) {
  std::istringstream in(text);
  std::vector<float> values;
  for (double v; in >> v;) values.push_back(static_cast<float>(v));
  EXPECT_EQ(static_cast<int64_t>(values.size()), 2 * classes) << text;
  return at::tensor(values).view({2, classes});
}

TEST(TorchScriptClassifier, ImageModuleGivesPyTorchsLogits) {
  if (!testing::python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  TempDir dir;
  const auto path = dir / "teacher.pt";
  const std::string expected = write_module(path,
                                            "        self.conv = torch.nn.Conv2d(1, 4, 3)\n"
                                            "        self.bn = torch.nn.BatchNorm2d(4)\n"
                                            "        self.fc = torch.nn.Linear(4, 10)\n",
                                            "        h = torch.relu(self.bn(self.conv(x)))\n"
                                            "        return self.fc(h.mean(dim=(2, 3)))\n");
  EXPECT_TRUE(is_torchscript_file(path));
  const ClassifierPtr teacher = load_torchscript_classifier(path, {1, 28, 28});
  EXPECT_EQ(teacher->spec().kind, ModelKind::kTorchScript);
  EXPECT_EQ(teacher->spec().num_classes, 10);
  EXPECT_FALSE(static_cast<TorchScriptClassifier&>(*teacher).flattens_inputs());
  // Weights and batch-norm statistics are visible, so the soft-label cache key covers them.
  EXPECT_EQ(teacher->parameters().size(), 6u);
  EXPECT_GE(teacher->buffers().size(), 2u);
  EXPECT_TENSOR_CLOSE(teacher->forward(fixed_batch()), parse_logits(expected, 10), 1e-5, 1e-5);
}

TEST(TorchScriptClassifier, FlatModuleGetsFlattenedInputs) {
  if (!testing::python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  TempDir dir;
  const auto path = dir / "mlp.pt";
  // The peer's style: nn.Linear on (B, 784), no reshape inside.
  const std::string expected = write_module(
      path, "        self.net = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(), torch.nn.Linear(32, 3))\n",
      "        return self.net(x)\n");
  const ClassifierPtr teacher = load_torchscript_classifier(path, {1, 28, 28});
  EXPECT_TRUE(static_cast<TorchScriptClassifier&>(*teacher).flattens_inputs());
  EXPECT_EQ(teacher->spec().num_classes, 3);
  EXPECT_TENSOR_CLOSE(teacher->forward(fixed_batch()), parse_logits(expected, 3), 1e-5, 1e-5);
}

TEST(TorchScriptClassifier, ModulesThatDoNotReturnLogitsAreRefused) {
  if (!testing::python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  TempDir dir;
  const auto path = dir / "tuple.pt";
  write_module(path, "        self.fc = torch.nn.Linear(784, 10)\n",
               "        y = self.fc(x.flatten(1))\n        return y.sum(dim=1)\n");
  const Error e = thrown_error([&] { load_torchscript_classifier(path, {1, 28, 28}); });
  EXPECT_NE(std::string(e.what()).find("returned a tensor of shape [2]"), std::string::npos)
      << e.what();
  EXPECT_NE(e.hint().find("logits"), std::string::npos);
}

TEST(TorchScriptClassifier, ExportedTapsAreItsLayersWithPyTorchsValues) {
  if (!testing::python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  TempDir dir;
  const auto path = dir / "taps.pt";
  // taps() gives the hidden layer and the logits; the script prints the hidden values.
  testing::write_bytes(dir / "taps.py", R"(
import sys, torch
from typing import Dict
torch.manual_seed(0)
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 6)
        self.fc2 = torch.nn.Linear(6, 3)
    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))
    @torch.jit.export
    def taps(self, x) -> Dict[str, torch.Tensor]:
        h = torch.relu(self.fc1(x.flatten(1)))
        return {"hidden": h, "logits": self.fc2(h)}
m = torch.jit.script(Net().eval())
m.save(sys.argv[1])
x = (torch.arange(2 * 784, dtype=torch.float32) % 255 / 255).view(2, 1, 28, 28)
print(*[repr(v) for v in m.taps(x)["hidden"].flatten().tolist()])
)");
  const auto result =
      testing::run_command({"/usr/bin/python3", (dir / "taps.py").string(), path.string()});
  ASSERT_EQ(result.exit_code, 0) << result.output;
  const ClassifierPtr teacher = load_torchscript_classifier(path, {1, 28, 28});
  EXPECT_EQ(teacher->tap_names(), (std::vector<std::string>{"hidden", "logits"}));
  FeatureTaps taps({"hidden", "logits"});
  const at::Tensor logits = teacher->forward(fixed_batch(), taps);
  EXPECT_TENSOR_CLOSE(taps.get("hidden"), parse_logits(result.output, 6), 1e-5, 1e-5);
  EXPECT_TENSOR_CLOSE(taps.get("logits"), logits, 0, 0);
  EXPECT_TENSOR_CLOSE(teacher->forward(fixed_batch()), logits, 1e-6, 1e-6);
}

TEST(TorchScriptClassifier, TapsWithoutLogitsAreRefused) {
  if (!testing::python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  TempDir dir;
  const auto path = dir / "bad_taps.pt";
  testing::write_bytes(dir / "bad_taps.py", R"(
import sys, torch
from typing import Dict
class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(784, 3)
    def forward(self, x):
        return self.fc(x.flatten(1))
    @torch.jit.export
    def taps(self, x) -> Dict[str, torch.Tensor]:
        return {"inputs": x.flatten(1)}
torch.jit.script(Net().eval()).save(sys.argv[1])
)");
  ASSERT_EQ(testing::run_command({"/usr/bin/python3", (dir / "bad_taps.py").string(), path.string()})
                .exit_code,
            0);
  const Error e = thrown_error([&] { load_torchscript_classifier(path, {1, 28, 28}); });
  EXPECT_NE(std::string(e.what()).find("taps() must return the logits too"), std::string::npos)
      << e.what();
}

TEST(TorchScriptClassifier, DistillModelFilesAreNotTorchScript) {
  TempDir dir;
  ModelSpec spec;
  spec.input_shape = {4};
  spec.num_classes = 2;
  save_model(dir / "m.pt", {build_classifier(spec), {}, "teacher"});
  EXPECT_FALSE(is_torchscript_file(dir / "m.pt"));
  EXPECT_THROW(is_torchscript_file(dir / "missing.pt"), Error);
}

}  // namespace
}  // namespace distill::models
