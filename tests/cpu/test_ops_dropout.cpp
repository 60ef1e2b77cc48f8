#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/ops/batch_gather.h"
#include "core/ops/dropout.h"
#include "tests/common/gradcheck.h"

namespace deepobs {
namespace {

using testing::random_tensor;

TEST(OpsDropout, KeptFractionAndExactScale) {
  for (const DType dt : {DType::F32, DType::F64}) {
    const Tensor x = random_tensor({256, 1024}, 3, 0.5, 2.0).to(dt);  // never zero
    for (const double rate : {0.1, 0.5, 0.8}) {
      PhiloxGenerator gen(42, RngPurpose::Dropout);
      const Tensor y = ops::dropout(x, rate, gen);
      EXPECT_EQ(gen.calls(), 1u);
      const std::vector<double> xv = x.to_vector<double>(), yv = y.to_vector<double>();
      const double scale =
          dt == DType::F32 ? static_cast<float>(1.0 / (1.0 - rate)) : 1.0 / (1.0 - rate);
      double kept = 0;
      for (std::size_t i = 0; i < xv.size(); ++i) {
        if (yv[i] == 0) continue;
        ++kept;
        // Exactly x·scale, rounded once in the tensor's type.
        const double want = dt == DType::F32 ? static_cast<float>(xv[i]) * static_cast<float>(scale)
                                             : xv[i] * scale;
        ASSERT_EQ(yv[i], want) << i;
      }
      const double n = static_cast<double>(xv.size());
      EXPECT_NEAR(kept / n, 1 - rate, 6 * std::sqrt(rate * (1 - rate) / n)) << rate;
    }
  }
}

TEST(OpsDropout, MaskIsTheGeneratorsKeepMask) {
  const Tensor x = Tensor::ones({7, 9}, DType::F64);
  PhiloxGenerator a(5, RngPurpose::Dropout), b(5, RngPurpose::Dropout);
  const Tensor y = ops::dropout(x, 0.3, a);
  Tensor mask = Tensor::empty({7, 9}, DType::F64);
  b.keep_mask_(mask, 0.3, 1.0 / 0.7);
  EXPECT_EQ(y.to_vector<double>(), mask.to_vector<double>());
  // The next call draws a different mask.
  EXPECT_NE(ops::dropout(x, 0.3, a).to_vector<double>(), y.to_vector<double>());
}

// With a call-index tensor (a model's step counter) the mask is the draw of that call, whatever
// the generator's own position, and the generator does not advance.
TEST(OpsDropout, MaskKeyedByACounterInMemory) {
  const Tensor x = Tensor::ones({5, 8}, DType::F64);
  const Tensor step = Tensor::full({1}, 6, DType::I64);
  PhiloxGenerator keyed(3, RngPurpose::Dropout), reference(3, RngPurpose::Dropout);
  reference.set_calls(6);
  const Tensor y = ops::dropout(x, 0.5, keyed, step);
  EXPECT_EQ(keyed.calls(), 0u);
  EXPECT_EQ(y.to_vector<double>(), ops::dropout(x, 0.5, reference).to_vector<double>());
  EXPECT_EQ(ops::dropout(x, 0.5, keyed, step).to_vector<double>(), y.to_vector<double>());
  ops::advance_(step, 1);
  EXPECT_NE(ops::dropout(x, 0.5, keyed, step).to_vector<double>(), y.to_vector<double>());
}

TEST(OpsDropout, RateZeroReturnsTheInput) {
  const Tensor x = random_tensor({4, 5}, 1);
  PhiloxGenerator gen(1, RngPurpose::Dropout);
  const Tensor y = ops::dropout(x, 0.0, gen);
  EXPECT_TRUE(y.same_storage(x));
  EXPECT_EQ(y.to_vector<double>(), x.to_vector<double>());
  EXPECT_EQ(gen.calls(), 0u);
}

TEST(OpsDropout, BackwardIsGradTimesMaskTimesScale) {
  Tensor x = random_tensor({3, 11}, 4);
  x.set_requires_grad(true);
  PhiloxGenerator gen(8, RngPurpose::Dropout);
  const Tensor y = ops::dropout(x, 0.25, gen);
  const Tensor g = random_tensor({3, 11}, 5);
  autograd::backward(y, g);
  const std::vector<double> yv = y.to_vector<double>(), xv = x.to_vector<double>(),
                            gv = g.to_vector<double>(), dx = x.grad().to_vector<double>();
  for (std::size_t i = 0; i < yv.size(); ++i) {
    EXPECT_EQ(dx[i], yv[i] == 0 ? 0.0 : gv[i] * (1.0 / 0.75)) << i;
  }
}

TEST(OpsDropout, BadRateThrowsNamingOpAndValue) {
  const Tensor x = Tensor::ones({4});
  PhiloxGenerator gen(1, RngPurpose::Dropout);
  for (const double rate : {-0.1, 1.0, 1.5}) {
    try {
      ops::dropout(x, rate, gen);
      FAIL() << "expected an error for rate " << rate;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("dropout"), std::string::npos) << what;
      std::ostringstream value;
      value << rate;
      EXPECT_NE(what.find(value.str()), std::string::npos) << what;
    }
  }
  EXPECT_THROW(ops::dropout(x, std::nan(""), gen), Error);
  EXPECT_THROW(ops::dropout(Tensor::ones({4}, DType::I32), 0.5, gen), Error);
  EXPECT_EQ(gen.calls(), 0u);
}

}  // namespace
}  // namespace deepobs
