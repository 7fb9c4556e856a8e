// Soft-label cache: fingerprinting, computation, storage.
#include "distill/distillation/soft_label_cache.h"

#include <nlohmann/json.hpp>

#include <ATen/ATen.h>
#include <fmt/format.h>

#include <optional>
#include <vector>

#include "distill/core/error.h"
#include "distill/core/progress_bar.h"
#include "distill/data/batching.h"
#include "distill/core/tensor_file.h"
#include "distill/distributed/sharded_rows.h"
#include "distill/models/predict.h"

namespace distill::distillation {
namespace {

constexpr int64_t kCacheVersion = 1;
constexpr const char* kFileKind = "distill-soft-labels";

/// FNV-1a over raw bytes, chained.
uint64_t fnv1a(const void* data, size_t size, uint64_t hash) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= bytes[i];
    hash *= 0x100000001B3ULL;
  }
  return hash;
}

uint64_t hash_tensor(const at::Tensor& tensor, uint64_t hash) {
  const at::Tensor t = tensor.detach().contiguous();
  const auto sizes = t.sizes();
  hash = fnv1a(sizes.data(), sizes.size() * sizeof(int64_t), hash);
  return fnv1a(t.data_ptr(), t.numel() * t.element_size(), hash);
}

}  // namespace

std::string soft_label_key(models::Classifier& teacher, const data::Dataset& dataset) {
  uint64_t hash = 0xCBF29CE484222325ULL;
  const std::string spec = models::model_spec_to_json(teacher.spec());
  hash = fnv1a(spec.data(), spec.size(), hash);
  for (const auto& p : teacher.parameters()) hash = hash_tensor(p, hash);
  for (const auto& b : teacher.buffers()) hash = hash_tensor(b, hash);
  hash = hash_tensor(dataset.features, hash);
  return fmt::format("{:016x}", hash);
}

SoftLabelCache SoftLabelCache::compute(models::Classifier& teacher, const data::Dataset& dataset,
                                       int64_t batch_size, bool show_progress,
                                       distributed::Communicator* group) {
  SoftLabelCache cache;
  cache.key_ = soft_label_key(teacher, dataset);
  const distributed::Shard mine = distributed::batch_shard(group, dataset.size(), batch_size);
  ProgressBar bar("teacher soft labels", data::batch_count(mine.size(), batch_size), show_progress);
  // Gathered as float32 and rounded once, exactly as one process rounds its own.
  cache.logits_ = distributed::compute_sharded_rows(
                      group, dataset.size(), batch_size, teacher.spec().num_classes,
                      [&](const distributed::Shard& rows) {
                        return models::predict_logits(
                            teacher, dataset.features.narrow(0, rows.begin, rows.size()),
                            batch_size, &bar);
                      })
                      .to(at::kHalf);
  bar.finish("teacher soft labels: " + std::to_string(dataset.size()) + " samples");
  return cache;
}

void SoftLabelCache::save(const std::filesystem::path& path) const {
  TensorFile file;
  file.kind = kFileKind;
  file.meta_json = nlohmann::json{{"version", kCacheVersion}, {"key", key_}}.dump();
  file.tensors = {{"logits", logits_}};
  write_tensor_file(path, file);
}

SoftLabelCache SoftLabelCache::load(const std::filesystem::path& path,
                                    const std::string& expected_key) {
  const std::string source = path.string();
  const TensorFile file = read_tensor_file(path, kFileKind);
  SoftLabelCache cache;
  try {
    const nlohmann::json meta = nlohmann::json::parse(file.meta_json);
    DISTILL_CHECK(meta.at("version").get<int64_t>() == kCacheVersion, "soft-label cache '",
                  source, "' is not a version-", kCacheVersion, " cache; delete it to recompute");
    DISTILL_CHECK(meta.at("key").get<std::string>() == expected_key, "soft-label cache '", source,
                  "' was computed for another teacher or data");
  } catch (const nlohmann::json::exception& e) {
    DISTILL_FAIL("soft-label cache '", source, "': malformed metadata: ", e.what());
  }
  cache.key_ = expected_key;
  cache.logits_ = file.get("logits", source);
  DISTILL_CHECK(cache.logits_.dim() == 2 && cache.logits_.scalar_type() == at::kHalf,
                "soft-label cache '", source, "' holds logits of shape ", cache.logits_.sizes(),
                " and type ", cache.logits_.scalar_type(), ", expected (N, K) float16");
  return cache;
}

SoftLabelCache SoftLabelCache::load_or_compute(const std::filesystem::path& directory,
                                               models::Classifier& teacher,
                                               const data::Dataset& dataset, int64_t batch_size,
                                               bool* reused, bool show_progress,
                                               distributed::Communicator* group) {
  const std::string key = soft_label_key(teacher, dataset);
  const std::filesystem::path path = directory / ("soft-labels-" + key + ".pt");
  std::optional<SoftLabelCache> found;
  if (std::filesystem::exists(path)) {
    SoftLabelCache cache = load(path, key);
    // Same key, other shape: only a damaged or foreign file; recompute over it.
    if (cache.logits_.size(0) == dataset.size() &&
        cache.logits_.size(1) == teacher.spec().num_classes)
      found = std::move(cache);
  }
  // Several ranks reuse the file only if all of them found it (storage need not be shared).
  bool everyone_found = found.has_value();
  if (group != nullptr && group->size() > 1)
    everyone_found = group->all_reduce_sum(std::vector<double>{found ? 1.0 : 0.0})[0] ==
                     static_cast<double>(group->size());
  if (everyone_found) {
    if (reused) *reused = true;
    return std::move(*found);
  }
  SoftLabelCache cache = compute(teacher, dataset, batch_size, show_progress, group);
  cache.save(path);
  if (reused) *reused = false;
  return cache;
}

at::Tensor SoftLabelCache::lookup(const at::Tensor& indices) const {
  return logits_.index_select(0, indices).to(at::kFloat);
}

CachedTeacher::CachedTeacher(SoftLabelCache cache) : cache_(std::move(cache)) {
  DISTILL_CHECK(cache_.logits().defined(), "a cached teacher needs computed logits");
}

at::Tensor CachedTeacher::logits(const data::Batch& batch) { return cache_.lookup(batch.indices); }

int64_t CachedTeacher::num_classes() const { return cache_.logits().size(1); }

}  // namespace distill::distillation
