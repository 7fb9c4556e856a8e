// The names of what runs a model's forward pass, as results.json and reports print them: one list
// for the engines that time a model (evaluation::SpeedResult::engine) and those that run a live
// teacher (distillation::TeacherLogitSource::engine).
#pragma once

namespace distill {

inline constexpr const char* kLibtorchEngine = "libtorch";
inline constexpr const char* kFoldedCnnEngine = "fp32 oneDNN, batch norm folded";
inline constexpr const char* kInt8RuntimeEngine = "int8 runtime";
/// A teacher's soft labels computed once (by libtorch) and read back on every batch.
inline constexpr const char* kSoftLabelCacheEngine = "soft-label cache";

}  // namespace distill
