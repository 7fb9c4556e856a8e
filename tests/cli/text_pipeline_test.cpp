// Text classification through the CLI, as a user with their own (text, label) files runs it:
// examples/text.yaml with only its data section changed, on a small corpus the test writes.
// A Transformer teacher and bag-of-embeddings students train, the distilled one on Tang et al.'s
// augmented transfer set; models carry their tokenizer, so `distill evaluate` reproduces the
// run's figures; bad text input is refused with file, line and value.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "cli_arguments.h"
#include "test_support.h"

namespace distill {
namespace {

using testing::run_command;
using testing::TempDir;

const std::string kDistill = DISTILL_EXECUTABLE;
const std::string kExample = DISTILL_SOURCE_DIR "/examples/text.yaml";

/// A three-class corpus: each text mixes words of its class with words every class uses, so a
/// model must find the class words among the common ones.
void write_corpus(const std::filesystem::path& path, int64_t texts, uint64_t seed,
                  const std::string& extra_line = {}) {
  const std::vector<std::vector<std::string>> words = {
      {"kernel", "driver", "module", "firmware", "device"},
      {"game", "player", "puzzle", "level", "arcade"},
      {"python", "library", "module", "binding", "package"}};
  const std::vector<std::string> labels = {"kernel", "games", "python"};
  const std::vector<std::string> common = {"the", "a", "for", "with", "this", "package",
                                           "provides", "tool", "and", "of", "data", "simple"};
  std::mt19937_64 random(seed);
  std::ofstream out(path);
  out << "label\ttext\n";
  for (int64_t i = 0; i < texts; ++i) {
    const size_t c = static_cast<size_t>(i % 3);
    out << labels[c] << '\t';
    const int length = 6 + static_cast<int>(random() % 10);
    for (int w = 0; w < length; ++w) {
      const bool class_word = random() % 4 == 0;
      out << (w ? " " : "")
          << (class_word ? words[c][random() % words[c].size()] : common[random() % common.size()]);
    }
    out << '\n';
  }
  out << extra_line;
}

std::vector<std::string> text_run(const TempDir& dir, const std::string& out,
                                  std::vector<std::string> settings) {
  std::vector<std::string> base = {
      "data.text.train=" + (dir / "train.tsv").string(),
      "data.text.validation=" + (dir / "validation.tsv").string(),
      "data.text.test=" + (dir / "test.tsv").string(),
      "data.text.max_tokens=24",
      "data.text.tokenizer.vocab_size=60",
      "data.text.tokenizer.cache_dir=" + (dir / "tokenizers").string(),
      "teacher.model.embedding_dim=16", "teacher.model.layers=1", "teacher.model.heads=2",
      "teacher.model.feed_forward=32", "teacher.train.epochs=6", "teacher.train.warmup_epochs=1",
      "student.model.embedding_dim=8", "student.model.bigram_buckets=64",
      "student.train.epochs=6", "distill.transfer_set.copies=2", "evaluation.speed=false"};
  base.insert(base.end(), settings.begin(), settings.end());
  return testing::with_settings({kDistill, "run", "-q", "-j", "1", "-c", kExample, "-o", out}, base);
}

/// The accuracy of the runtime's own program (`int8_classify_text`) on a test file: it reads the
/// raw texts from standard input and tokenizes them itself.
double program_accuracy(const std::filesystem::path& test_file, const std::string& int8_file) {
  std::ifstream in(test_file);
  std::string line, texts;
  std::vector<std::string> labels;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    labels.push_back(line.substr(0, line.find('\t')));
    texts += line.substr(line.find('\t') + 1) + "\n";
  }
  const auto classified = run_command({DISTILL_CLASSIFY_TEXT, int8_file}, texts);
  EXPECT_EQ(classified.exit_code, 0) << classified.output;
  std::istringstream predictions(classified.output);
  size_t correct = 0, seen = 0;
  while (std::getline(predictions, line) && seen < labels.size()) {
    if (line.find('\t') == std::string::npos) continue;  // the timing line on standard error
    correct += line.substr(0, line.find('\t')) == labels[seen] ? 1 : 0;
    ++seen;
  }
  EXPECT_EQ(seen, labels.size()) << classified.output;
  return seen == 0 ? -1.0 : static_cast<double>(correct) / static_cast<double>(seen);
}

class TextPipeline : public ::testing::Test {
 protected:
  void SetUp() override {
    write_corpus(dir_ / "train.tsv", 600, 1);
    write_corpus(dir_ / "validation.tsv", 150, 2);
    write_corpus(dir_ / "test.tsv", 150, 3);
  }
  TempDir dir_;
};

TEST_F(TextPipeline, TeacherAndStudentsTrainAndTheirFilesEvaluateAlike) {
  const auto r = run_command(text_run(dir_, (dir_ / "run").string(), {}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(dir_ / "run" / "results.json");
  const nlohmann::json results = nlohmann::json::parse(in);
  const auto& models = results["models"];
  EXPECT_EQ(results["data"]["source"], "text");
  EXPECT_EQ(results["data"]["class_names"], (std::vector<std::string>{"games", "kernel", "python"}));
  // One class word in four makes the classes easy to tell apart; chance is 1/3.
  for (const char* key : {"teacher", "student_baseline", "student_distilled"}) {
    EXPECT_GT(models[key]["test"]["accuracy"].get<double>(), 0.8) << key << r.output;
    EXPECT_GT(models[key]["test"]["macro_f1"].get<double>(), 0.8) << key;
  }
  EXPECT_NE(models["teacher"]["architecture"].get<std::string>().find("transformer 1x16"),
            std::string::npos);
  EXPECT_NE(models["student_distilled"]["objective"].get<std::string>().find(
                "on a transfer set of the 600 training texts + 2 augmented copies each"),
            std::string::npos)
      << models["student_distilled"]["objective"];

  // The saved student carries its tokenizer: evaluating the file gives the run's accuracy.
  const auto evaluated = run_command(testing::with_settings(
      {kDistill, "evaluate", "-q", "-c", kExample, "--no-speed", "-m",
       (dir_ / "run" / "student_distilled.pt").string(), "--json", (dir_ / "eval.json").string()},
      {"data.text.train=" + (dir_ / "train.tsv").string(),
       "data.text.test=" + (dir_ / "test.tsv").string(), "data.text.max_tokens=24"}));
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.output;
  std::ifstream eval_in(dir_ / "eval.json");
  const nlohmann::json eval = nlohmann::json::parse(eval_in);
  EXPECT_DOUBLE_EQ(eval["models"]["model"]["test"]["accuracy"].get<double>(),
                   models["student_distilled"]["test"]["accuracy"].get<double>());

  // int8: within a point of fp32 here, and the runtime's own program, reading the raw test texts
  // from standard input and tokenizing them itself, predicts exactly what the run measured.
  const double int8_accuracy = models["student_int8"]["test"]["accuracy"].get<double>();
  EXPECT_NEAR(int8_accuracy, models["student_distilled"]["test"]["accuracy"].get<double>(), 0.02);
  EXPECT_DOUBLE_EQ(program_accuracy(dir_ / "test.tsv", models["student_int8"]["file"]), int8_accuracy);

  // `distill quantize` makes the same int8 text file from the saved student.
  const auto quantized = run_command(testing::with_settings(
      {kDistill, "quantize", "-q", "-c", kExample, "-m",
       (dir_ / "run" / "student_distilled.pt").string(), "-o", (dir_ / "q.int8text").string(),
       "--json", (dir_ / "q.json").string()},
      {"data.text.train=" + (dir_ / "train.tsv").string(),
       "data.text.validation=" + (dir_ / "validation.tsv").string(),
       "data.text.test=" + (dir_ / "test.tsv").string(), "data.text.max_tokens=24",
       "data.text.tokenizer.vocab_size=60", "evaluation.speed=false"}));
  ASSERT_EQ(quantized.exit_code, 0) << quantized.output;
  std::ifstream q_in(dir_ / "q.json");
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(q_in)["models"]["int8"]["test"]["accuracy"].get<double>(),
                   int8_accuracy);
}

struct StudentCase {
  const char* name;
  std::vector<std::string> settings;
  bool int8;
};

class TextStudentFamilies : public TextPipeline, public ::testing::WithParamInterface<StudentCase> {};

// Each student family between the bag and the teacher trains on labels and from the teacher on
// the augmented transfer set; the convolutional and recurrent ones also run in int8, in the run
// and in the runtime's own program.
TEST_P(TextStudentFamilies, TrainDistilAndRunInInt8WhereTheRuntimeHasIt) {
  const StudentCase& student = GetParam();
  std::vector<std::string> settings = student.settings;
  settings.push_back(std::string("student.model.type=") + student.name);
  if (!student.int8) settings.push_back("quantize.enabled=false");
  const auto r = run_command(text_run(dir_, (dir_ / "run").string(), settings));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(dir_ / "run" / "results.json");
  const nlohmann::json models = nlohmann::json::parse(in)["models"];
  for (const char* key : {"student_baseline", "student_distilled"}) {
    EXPECT_GT(models[key]["test"]["accuracy"].get<double>(), 0.8) << key << r.output;
    EXPECT_EQ(models[key]["architecture"].get<std::string>().rfind(student.name, 0), 0u)
        << models[key]["architecture"];
  }
  if (!student.int8) {
    EXPECT_FALSE(models.contains("student_int8"));
    return;
  }
  const double int8_accuracy = models["student_int8"]["test"]["accuracy"].get<double>();
  EXPECT_NEAR(int8_accuracy, models["student_distilled"]["test"]["accuracy"].get<double>(), 0.02);
  const std::string int8_file = models["student_int8"]["file"];
  EXPECT_DOUBLE_EQ(program_accuracy(dir_ / "test.tsv", int8_file), int8_accuracy);
  // `distill bench` reads the int8 text file beside the fp32 one and finds the run's figures.
  const auto benched = run_command(testing::with_settings(
      {kDistill, "bench", "-q", "-c", kExample, "--json", (dir_ / "bench.json").string(),
       (dir_ / "run" / "student_distilled.pt").string(), int8_file},
      {"data.text.train=" + (dir_ / "train.tsv").string(),
       "data.text.test=" + (dir_ / "test.tsv").string(), "data.text.max_tokens=24",
       "evaluation.speed_rounds=1", "evaluation.latency_repetitions=3",
       "evaluation.throughput_repetitions=1", "evaluation.throughput_batch=8"}));
  ASSERT_EQ(benched.exit_code, 0) << benched.output;
  std::ifstream bench_in(dir_ / "bench.json");
  const nlohmann::json bench = nlohmann::json::parse(bench_in)["models"];
  EXPECT_DOUBLE_EQ(bench["model2"]["test"]["accuracy"].get<double>(), int8_accuracy);
  EXPECT_GT(bench["model2"]["speed"]["latency_us_batch1_median"].get<double>(), 0.0);
}

INSTANTIATE_TEST_SUITE_P(
    Students, TextStudentFamilies,
    ::testing::Values(
        StudentCase{"text_cnn",
                    {"student.model.kernel_widths=[2, 3]", "student.model.filters=16",
                     "student.train.epochs=15"},
                    true},
        StudentCase{"bilstm",
                    {"student.model.hidden=[16]", "student.model.layers=1", "student.train.epochs=15"},
                    true},
        StudentCase{"transformer",
                    {"student.model.embedding_dim=16", "student.model.layers=2",
                     "student.model.heads=2", "student.model.feed_forward=32",
                     "student.train.lr=0.002"},
                    false}),
    [](const auto& info) { return std::string(info.param.name); });

// TinyBERT through the pipeline: a narrower Transformer student learns the teacher's embedding
// and layer outputs through learned projections and its attention matrices, beside the soft labels.
TEST_F(TextPipeline, TinyBertStyleLayerDistillationBetweenTransformers) {
  const auto r = run_command(text_run(
      dir_, (dir_ / "run").string(),
      {"student.model.type=transformer", "student.model.embedding_dim=8", "student.model.heads=2",
       "student.model.layers=1", "student.model.feed_forward=16", "student.train.lr=0.002",
       "quantize.enabled=false",
       "distill.features=[{kind: hint, student: embedding, teacher: embedding},"
       " {kind: hint, student: layer1, teacher: layer1},"
       " {kind: attention_matrix, student: attention1, teacher: attention1}]"}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(dir_ / "run" / "results.json");
  const nlohmann::json models = nlohmann::json::parse(in)["models"];
  EXPECT_NE(models["student_distilled"]["objective"].get<std::string>().find(
                "hint(layer1->layer1, w=1) + attention_matrix(attention1->attention1, w=1)"),
            std::string::npos)
      << models["student_distilled"]["objective"];
  EXPECT_GT(models["student_distilled"]["test"]["accuracy"].get<double>(), 0.8) << r.output;
}

/// A teacher as a PyTorch user brings one: a small Transformer written in PyTorch, its vocabulary
/// trained by distill-tokenizer (SentencePiece with distill's special ids), trained on the
/// training texts, scripted with forward(input_ids, attention_mask) and saved.
// The teacher both PyTorch scripts train: a 1-layer Transformer encoder over token ids with
// learned positions, pooled over the text's tokens (mean) or at [CLS] (BERT's way), 15 epochs of
// Adam; `train_teacher(vocab, classes, L, cls_pooling, x, y)` returns it in eval mode.
const std::string kTorchTeacherModel = R"(
class Teacher(torch.nn.Module):
    def __init__(self, vocab: int, classes: int, L: int, cls_pooling: bool, width: int = 32):
        super().__init__()
        self.embedding = torch.nn.Embedding(vocab, width, padding_idx=0)
        self.positions = torch.nn.Parameter(torch.randn(L, width) * 0.02)
        layer = torch.nn.TransformerEncoderLayer(width, 2, 64, dropout=0.0, batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
        self.head = torch.nn.Linear(width, classes)
        self.cls_pooling = cls_pooling

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        h = self.encoder(self.embedding(input_ids) + self.positions[: input_ids.shape[1]],
                         src_key_padding_mask=attention_mask == 0)
        if self.cls_pooling:
            return self.head(h[:, 0])
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        return self.head((h * m).sum(1) / m.sum(1).clamp(min=1.0))

def train_teacher(vocab, classes, L, cls_pooling, x, y):
    model = Teacher(vocab, classes, L, cls_pooling)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for epoch in range(15):
        for i in torch.randperm(len(x)).split(32):
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x[i], (x[i] != 0).long()), y[i]).backward()
            opt.step()
    return model.eval()
)";

const std::string kTorchTeacherScript = R"(
import struct, subprocess, sys, torch
helper, train_tsv, out, L = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
torch.manual_seed(0)
rows = [line.rstrip("\n").split("\t") for line in open(train_tsv)][1:]
classes = sorted(set(r[0] for r in rows))
with open(out + "/train.bin", "wb") as f:
    f.write(b"DTXT" + struct.pack("<I", len(rows)))
    for r in rows:
        b = r[1].encode()
        f.write(struct.pack("<I", len(b)) + b)
subprocess.run([helper, "train", "--texts", out + "/train.bin", "--vocab-size", "60",
                "--out", out + "/vocab.model"], check=True)
subprocess.run([helper, "encode", "--model", out + "/vocab.model", "--texts", out + "/train.bin",
                "--out", out + "/train.ids"], check=True)
subprocess.run([helper, "describe", "--model", out + "/vocab.model", "--out", out + "/vocab.size"],
               check=True)
vocab = int(open(out + "/vocab.size").read())  # SentencePiece may make fewer pieces than asked
data, offset, ids = open(out + "/train.ids", "rb").read(), 8, []
for _ in range(len(rows)):
    (n,) = struct.unpack_from("<I", data, offset)
    pieces = [2] + list(struct.unpack_from("<%di" % n, data, offset + 4))[: L - 1]
    ids.append(pieces + [0] * (L - len(pieces)))
    offset += 4 + 4 * n
x, y = torch.tensor(ids), torch.tensor([classes.index(r[0]) for r in rows])

model = train_teacher(vocab, len(classes), L, False, x, y)
torch.jit.script(model).save(out + "/teacher.pt")
)";

// A teacher fine-tuned in PyTorch, brought as TorchScript with its tokenizer, distilled through
// the pipeline into every student family (on the transfer set, whose token replacement reads the
// module's own embedding), with distill's evaluation of the teacher checking it reads the same
// ids PyTorch trained it on.
TEST_F(TextPipeline, ATorchScriptTeacherFromPyTorchDistilsIntoEveryStudent) {
  if (!testing::python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  testing::write_bytes(dir_ / "teacher.py",
                       "import torch\n" + kTorchTeacherModel + kTorchTeacherScript);
  const auto made = run_command({"/usr/bin/python3", (dir_ / "teacher.py").string(),
                                 DISTILL_TOKENIZER_HELPER, (dir_ / "train.tsv").string(),
                                 dir_.path().string(), "24"});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const std::vector<std::string> teacher = {"teacher.load=" + (dir_ / "teacher.pt").string(),
                                            "data.text.tokenizer.file=" + (dir_ / "vocab.model").string()};
  const std::vector<std::vector<std::string>> students = {
      {"student.model.type=bag_of_embeddings"},
      {"student.model.type=text_cnn", "student.model.kernel_widths=[2, 3]",
       "student.model.filters=16", "student.train.epochs=15"},
      {"student.model.type=bilstm", "student.model.hidden=[16]", "student.model.layers=1",
       "student.train.epochs=15"},
      {"student.model.type=transformer", "student.model.embedding_dim=16", "student.model.heads=2",
       "student.model.feed_forward=32", "student.train.lr=0.002", "quantize.enabled=false"}};
  for (size_t i = 0; i < students.size(); ++i) {
    std::vector<std::string> settings = teacher;
    settings.insert(settings.end(), students[i].begin(), students[i].end());
    const std::string out = (dir_ / ("run" + std::to_string(i))).string();
    const auto r = run_command(text_run(dir_, out, settings));
    ASSERT_EQ(r.exit_code, 0) << students[i][0] << r.output;
    std::ifstream in(out + "/results.json");
    const nlohmann::json models = nlohmann::json::parse(in)["models"];
    EXPECT_EQ(models["teacher"]["architecture"].get<std::string>().rfind("torchscript", 0), 0u);
    EXPECT_GT(models["teacher"]["test"]["accuracy"].get<double>(), 0.85) << r.output;
    EXPECT_GT(models["student_distilled"]["test"]["accuracy"].get<double>(), 0.8)
        << students[i][0] << r.output;
    EXPECT_GT(models["student_distilled"]["test"]["agreement_with_teacher"].get<double>(), 0.8)
        << students[i][0] << r.output;
  }

  // Without the teacher's tokenizer the run would train another vocabulary: refused.
  const auto no_tokenizer = run_command(
      text_run(dir_, (dir_ / "bad").string(), {"teacher.load=" + (dir_ / "teacher.pt").string()}));
  EXPECT_NE(no_tokenizer.exit_code, 0);
  EXPECT_NE(no_tokenizer.output.find("a TorchScript text teacher reads the token ids of its own "
                                     "vocabulary, and data.text.tokenizer.file is not set"),
            std::string::npos)
      << no_tokenizer.output;
  // As a further teacher of a run whose vocabulary distill trained: refused the same way.
  const auto extra = run_command(text_run(
      dir_, (dir_ / "bad-extra").string(),
      {"distill.extra_teachers=[" + (dir_ / "teacher.pt").string() + "]", "quantize.enabled=false"}));
  EXPECT_NE(extra.exit_code, 0);
  EXPECT_NE(extra.output.find("a TorchScript text teacher reads the token ids of its own "
                              "vocabulary, and this run's vocabulary is not the user's file"),
            std::string::npos)
      << extra.output;
}

// A BERT-like teacher with a WordPiece vocabulary (vocab.txt in BERT's layout: [PAD] 0,
// [unused*], [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103), trained in PyTorch on ids from the
// Python reference of BERT's tokenizer, [CLS] text [SEP], pooled at [CLS]. Writes the teacher,
// the vocabulary and its test accuracy and macro-F1 as PyTorch measures them.
const std::string kWordPieceTeacherScript = R"(
import sys, torch
reference_dir, train_tsv, test_tsv, out, L = sys.argv[1:5] + [int(sys.argv[5])]
sys.path.insert(0, reference_dir)
import bert_tokenizer_reference as bert
torch.manual_seed(0)
read = lambda p: [line.rstrip("\n").split("\t") for line in open(p, encoding="utf-8")][1:]
train, test = read(train_tsv), read(test_tsv)
classes = sorted(set(r[0] for r in train))
tokens = bert.build_vocab([r[1] for r in train], True, 10)  # few words: most split into pieces
open(out + "/vocab.txt", "w", encoding="utf-8").write("".join(t + "\n" for t in tokens))
vocab = {t: i for i, t in enumerate(tokens)}
def encode(text):
    ids = [vocab["[CLS]"]] + bert.encode(text, vocab, True)[: L - 2] + [vocab["[SEP]"]]
    return ids + [vocab["[PAD]"]] * (L - len(ids))
def tensors(rows):
    return torch.tensor([encode(r[1]) for r in rows]), torch.tensor([classes.index(r[0]) for r in rows])
x, y = tensors(train)

model = train_teacher(len(tokens), len(classes), L, True, x, y)
torch.jit.script(model).save(out + "/teacher.pt")
tx, ty = tensors(test)
with torch.no_grad():
    predicted = model(tx, (tx != 0).long()).argmax(1)
f1 = []
for c in range(len(classes)):
    tp = ((predicted == c) & (ty == c)).sum().item()
    fp = ((predicted == c) & (ty != c)).sum().item()
    fn = ((predicted != c) & (ty == c)).sum().item()
    f1.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
open(out + "/teacher_test.txt", "w").write("%r %r" % ((predicted == ty).double().mean().item(), sum(f1) / len(f1)))
)";

// Bring-your-own BERT-like teacher with its WordPiece vocab.txt: distill tokenizes as BERT does,
// maps its ids back to the file's and adds [SEP], so its evaluation of the teacher is PyTorch's
// exactly; the distilled student's int8 file carries the vocabulary, and the runtime's own
// program, tokenizing raw texts with it, predicts what the run measured.
TEST_F(TextPipeline, AWordPieceTeacherFromPyTorchDistilsWithItsVocabTxt) {
  if (!testing::python_torch_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import torch";
  testing::write_bytes(dir_ / "teacher.py",
                       "import torch\n" + kTorchTeacherModel + kWordPieceTeacherScript);
  const auto made = run_command({"/usr/bin/python3", (dir_ / "teacher.py").string(),
                                 DISTILL_SOURCE_DIR "/tests/text", (dir_ / "train.tsv").string(),
                                 (dir_ / "test.tsv").string(), dir_.path().string(), "24"});
  ASSERT_EQ(made.exit_code, 0) << made.output;
  double python_accuracy = 0, python_macro_f1 = 0;
  std::ifstream(dir_ / "teacher_test.txt") >> python_accuracy >> python_macro_f1;
  ASSERT_GT(python_accuracy, 0.85) << made.output;

  const std::string out = (dir_ / "run").string();
  const auto r = run_command(text_run(
      dir_, out, {"teacher.load=" + (dir_ / "teacher.pt").string(),
                  "data.text.tokenizer.file=" + (dir_ / "vocab.txt").string()}));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(out + "/results.json");
  const nlohmann::json models = nlohmann::json::parse(in)["models"];
  EXPECT_DOUBLE_EQ(models["teacher"]["test"]["accuracy"].get<double>(), python_accuracy) << r.output;
  EXPECT_NEAR(models["teacher"]["test"]["macro_f1"].get<double>(), python_macro_f1, 1e-9);
  EXPECT_GT(models["student_distilled"]["test"]["accuracy"].get<double>(), 0.8) << r.output;
  const double int8_accuracy = models["student_int8"]["test"]["accuracy"].get<double>();
  EXPECT_DOUBLE_EQ(program_accuracy(dir_ / "test.tsv", models["student_int8"]["file"]), int8_accuracy);
  // The saved student carries the vocabulary: `distill evaluate` tokenizes the test file with it
  // into rows of the model's length — and refuses rows of another length (the example's 64).
  const auto evaluate = [&](const std::string& max_tokens) {
    return run_command(testing::with_settings(
        {kDistill, "evaluate", "-q", "-c", kExample, "--no-speed", "-m",
         out + "/student_distilled.pt", "--json", (dir_ / "eval.json").string()},
        {"data.text.train=" + (dir_ / "train.tsv").string(),
         "data.text.test=" + (dir_ / "test.tsv").string(), "data.text.max_tokens=" + max_tokens}));
  };
  const auto longer = evaluate("64");
  EXPECT_NE(longer.exit_code, 0);
  EXPECT_NE(longer.output.find("student_distilled.pt' reads 24 tokens per text but the config's "
                               "data.text.max_tokens is 64"),
            std::string::npos)
      << longer.output;
  // `distill bench` holds its fp32 and int8 files to the same rule.
  for (const std::string file : {out + "/student_distilled.pt",
                                 models["student_int8"]["file"].get<std::string>()}) {
    const auto benched = run_command(testing::with_settings(
        {kDistill, "bench", "-q", "-c", kExample, file},
        {"data.text.train=" + (dir_ / "train.tsv").string(),
         "data.text.test=" + (dir_ / "test.tsv").string(), "data.text.max_tokens=64"}));
    EXPECT_NE(benched.exit_code, 0);
    EXPECT_NE(benched.output.find("' reads 24 tokens per text but the config's "
                                  "data.text.max_tokens is 64"),
              std::string::npos)
        << benched.output;
  }
  const auto evaluated = evaluate("24");
  ASSERT_EQ(evaluated.exit_code, 0) << evaluated.output;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(std::ifstream(dir_ / "eval.json"))["models"]["model"]["test"]
                       ["accuracy"].get<double>(),
                   models["student_distilled"]["test"]["accuracy"].get<double>());

  // A malformed vocabulary is refused before anything trains, naming the file and line.
  testing::write_bytes(dir_ / "bad.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\nthe\n");
  const auto bad = run_command(text_run(
      dir_, (dir_ / "bad").string(), {"teacher.load=" + (dir_ / "teacher.pt").string(),
                                      "data.text.tokenizer.file=" + (dir_ / "bad.txt").string()}));
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.output.find("bad.txt':7: token 'the' is listed twice (first on line 6)"),
            std::string::npos)
      << bad.output;
  // `lowercase` belongs to WordPiece vocabularies only.
  const auto misplaced = run_command(text_run(dir_, (dir_ / "misplaced").string(),
                                              {"data.text.tokenizer.lowercase=false"}));
  EXPECT_NE(misplaced.exit_code, 0);
  EXPECT_NE(misplaced.output.find("data.text.tokenizer.lowercase applies to a WordPiece "
                                  "vocabulary (tokenizer.file a vocab.txt) only; remove it"),
            std::string::npos)
      << misplaced.output;
}

TEST_F(TextPipeline, BadTextInputIsRefusedWithFileLineAndValue) {
  write_corpus(dir_ / "test.tsv", 30, 3, "science\tan unknown class\n");
  const auto unknown = run_command(text_run(dir_, (dir_ / "a").string(), {}));
  EXPECT_NE(unknown.exit_code, 0);
  EXPECT_NE(unknown.output.find("test.tsv:32: label 'science' is not a class of the training file "
                                "(3 classes: games, kernel, python)"),
            std::string::npos)
      << unknown.output;

  write_corpus(dir_ / "test.tsv", 30, 3, "games\t\n");
  const auto empty = run_command(text_run(dir_, (dir_ / "b").string(), {}));
  EXPECT_NE(empty.exit_code, 0);
  EXPECT_NE(empty.output.find("test.tsv:32"), std::string::npos) << empty.output;

  write_corpus(dir_ / "test.tsv", 30, 3);
  const auto image_model = run_command(text_run(dir_, (dir_ / "c").string(), {"student.model.type=mlp"}));
  EXPECT_NE(image_model.exit_code, 0);
  EXPECT_NE(image_model.output.find("student.model: type mlp reads float features but the data is "
                                    "token ids (data.source: text)"),
            std::string::npos)
      << image_model.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "c" / "teacher.pt"));

  // A student the int8 runtime has no form of, with quantize on: refused before any training.
  const auto no_int8 = run_command(text_run(
      dir_, (dir_ / "d").string(),
      {"student.model.type=transformer", "student.model.embedding_dim=8", "student.model.heads=2"}));
  EXPECT_NE(no_int8.exit_code, 0);
  EXPECT_NE(no_int8.output.find("quantize.enabled is true but the int8 runtime has no form of a "
                                "transformer text student yet"),
            std::string::npos)
      << no_int8.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "d" / "teacher.pt"));
}

}  // namespace
}  // namespace distill
