// TorchScript teachers: modules written by /usr/bin/python3 (PyTorch) during the test, loaded as
// Classifiers; their logits must equal PyTorch's own for the same inputs.
#include "distill/models/torchscript_classifier.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <sstream>

#include "distill/core/error.h"
#include "distill/models/model_io.h"
#include "distill/text/wordpiece_vocabulary.h"
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

// A module trained with a WordPiece vocabulary reads the vocabulary file's ids: distill's ids
// ([PAD] 0, [UNK] 1, [CLS] 2, [MASK] 3, then file order) are mapped back, [SEP] follows each
// text (over its last token when the row is full), and the mask covers it. The module shows what
// it got: logits = ids * 10 + mask, one "class" per position.
TEST(TorchScriptClassifier, WordPieceTeacherReadsItsFilesIdsWithSeparator) {
  if (!testing::python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  TempDir dir;
  testing::write_bytes(dir / "echo.py", R"(
import sys, torch
class Echo(torch.nn.Module):
    def __init__(self):
        super().__init__()
        # 16 rows for an 11-line vocabulary: padded to a round size, as some models do
        self.embedding = torch.nn.Parameter(torch.arange(16.0).unsqueeze(1).repeat(1, 2))
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return (input_ids * 10 + attention_mask).float()
torch.jit.script(Echo()).save(sys.argv[1])
)");
  const auto made = testing::run_command(
      {"/usr/bin/python3", (dir / "echo.py").string(), (dir / "echo.pt").string()});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  // File ids: [PAD] 0, [unused0] 1, [UNK] 2, [CLS] 3, [SEP] 4, [MASK] 5, the 6, play 7, ...
  const std::string vocabulary = text::serialize_wordpiece_vocabulary(
      "[PAD]\n[unused0]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nplay\n##ing\n##s\n,\n", true);
  const auto classifier =
      load_torchscript_classifier(dir / "echo.pt", {5}, /*vocab_size=*/11, vocabulary);
  // distill ids: <cls> 2, the 6, play 7, ##ing 8, ##s 9, [UNK] 1, [MASK] 3, [unused0] 4.
  const at::Tensor ids = at::tensor({2, 6, 7, 0, 0, 2, 6, 7, 8, 9, 2, 1, 3, 4, 0}, at::kLong).view({3, 5});
  const at::Tensor expected_ids =
      at::tensor({3, 6, 7, 4, 0, 3, 6, 7, 8, 4, 3, 2, 5, 1, 4}, at::kLong).view({3, 5});
  const at::Tensor expected_mask =
      at::tensor({1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, at::kLong).view({3, 5});
  EXPECT_TENSOR_CLOSE(classifier->forward(ids), (expected_ids * 10 + expected_mask).to(at::kFloat));
  // The module's embedding rows come back in distill's id order, the padding rows left out.
  const auto* script = dynamic_cast<const TorchScriptClassifier*>(classifier.get());
  ASSERT_NE(script, nullptr);
  EXPECT_TENSOR_CLOSE(script->token_embedding().select(1, 0),
                      at::tensor({0, 2, 3, 5, 1, 4, 6, 7, 8, 9, 10}, at::kFloat));
  // Without a WordPiece vocabulary the ids go through as they are, with no separator, and a
  // table of another size than the vocabulary is no token embedding.
  const auto plain = load_torchscript_classifier(dir / "echo.pt", {5}, /*vocab_size=*/11);
  EXPECT_TENSOR_CLOSE(plain->forward(ids), (ids * 10 + ids.ne(0)).to(at::kFloat));
  EXPECT_FALSE(dynamic_cast<const TorchScriptClassifier&>(*plain).token_embedding().defined());
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
