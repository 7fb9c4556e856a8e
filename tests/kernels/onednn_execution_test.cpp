// Reused oneDNN execution arguments: each call runs on the buffers it names, and a pool hands
// concurrent callers separate argument sets while reusing released ones.
#include "onednn_execution.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "distill/core/error.h"
#include "onednn_engine.h"
#include "error_assertions.h"

namespace distill::kernels {
namespace {

using ::distill::testing::thrown_error;

using dnnl::memory;

/// y = max(x, 0) on `count` floats, with a user scratchpad like every distill primitive.
struct Relu {
  explicit Relu(int64_t count)
      : desc({count}, memory::data_type::f32, memory::format_tag::x),
        pd(dnnl::eltwise_forward::desc(dnnl::prop_kind::forward_inference,
                                       dnnl::algorithm::eltwise_relu, desc, 0.0f),
           onednn_attributes(), onednn_engine()),
        primitive(pd) {}

  std::unique_ptr<OneDnnExecution> execution() const {
    return std::make_unique<OneDnnExecution>(
        primitive, OneDnnExecution::Fixed{},
        OneDnnExecution::Varying{{DNNL_ARG_SRC, desc}, {DNNL_ARG_DST, desc}},
        pd.scratchpad_desc());
  }

  memory::desc desc;
  dnnl::eltwise_forward::primitive_desc pd;
  dnnl::eltwise_forward primitive;
};

TEST(OneDnnExecution, EachCallRunsOnTheBuffersItNames) {
  const Relu relu(4);
  const std::unique_ptr<OneDnnExecution> execution = relu.execution();
  std::vector<float> x1 = {-1, 2, -3, 4}, x2 = {5, -6, 7, -8}, y1(4), y2(4);
  execution->execute({x1.data(), y1.data()}, "relu");
  execution->execute({x2.data(), y2.data()}, "relu");
  EXPECT_EQ(y1, (std::vector<float>{0, 2, 0, 4}));
  EXPECT_EQ(y2, (std::vector<float>{5, 0, 7, 0}));
  // In place: the same buffer as source and destination.
  execution->execute({x1.data(), x1.data()}, "relu");
  EXPECT_EQ(x1, (std::vector<float>{0, 2, 0, 4}));
}

TEST(OneDnnExecution, WrongNumberOfBuffersIsNamed) {
  const Relu relu(2);
  const std::unique_ptr<OneDnnExecution> execution = relu.execution();
  float x[2] = {1, 2};
  const Error e = thrown_error([&] { execution->execute({x}, "relu layer"); });
  EXPECT_EQ(std::string(e.what()), "relu layer: 1 buffers given for 2 arguments");
}

TEST(OneDnnExecutionPool, ConcurrentCallersGetSeparateExecutionsAndReleasedOnesAreReused) {
  const Relu relu(3);
  OneDnnExecutionPool pool;
  int made = 0;
  const auto make = [&] {
    ++made;
    return relu.execution();
  };
  OneDnnExecution* first = nullptr;
  {
    const OneDnnExecutionPool::Lease a = pool.take(make);
    const OneDnnExecutionPool::Lease b = pool.take(make);  // a is still held
    EXPECT_NE(a.get(), b.get());
    EXPECT_EQ(made, 2);
    first = a.get();
  }
  // Both are free again: a third caller reuses one instead of making a new one.
  const OneDnnExecutionPool::Lease c = pool.take(make);
  EXPECT_EQ(c.get(), first);
  const OneDnnExecutionPool::Lease d = pool.take(make);
  EXPECT_NE(d.get(), c.get());
  EXPECT_EQ(made, 2);
  std::vector<float> x = {-1, 0.5f, -2}, y(3);
  d->execute({x.data(), y.data()}, "relu");
  EXPECT_EQ(y, (std::vector<float>{0, 0.5f, 0}));
}

}  // namespace
}  // namespace distill::kernels
