#include "datasets/synthetic.h"

#include <vector>

#include "datasets/random_state.h"

namespace deepobs::datasets {
namespace {

// Rounds numpy's double draws to f32, as DeepOBS's astype(np.float32) does.
Tensor to_f32(const std::vector<double>& values, const Shape& shape) {
  std::vector<float> f(values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    f[i] = static_cast<float>(values[i]);
  return Tensor::from_vector(f, shape);
}

}  // namespace

Tensor quadratic_data(std::uint32_t seed) {
  RandomState rs(seed);
  return to_f32(rs.normal(0.0, kQuadraticNoise, kQuadraticSize * kQuadraticDim),
                {kQuadraticSize, kQuadraticDim});
}

Tensor two_d_data(std::uint32_t seed) {
  RandomState rs(seed);
  const std::vector<double> x = rs.normal(0.0, kTwoDNoise, kTwoDSize);
  const std::vector<double> y = rs.normal(0.0, kTwoDNoise, kTwoDSize);
  std::vector<double> xy(2 * kTwoDSize);
  for (std::int64_t i = 0; i < kTwoDSize; ++i) {
    xy[2 * i] = x[i];
    xy[2 * i + 1] = y[i];
  }
  return to_f32(xy, {kTwoDSize, 2});
}

std::unique_ptr<InMemoryDataSet> make_quadratic_data_set(const DataSetOptions& options) {
  InMemorySpec spec;
  spec.name = "quadratic";
  spec.train.inputs = quadratic_data(kSyntheticTrainSeed);
  spec.test.inputs = quadratic_data(kSyntheticTestSeed);
  if (options.validation) spec.valid.inputs = quadratic_data(kSyntheticValidSeed);
  spec.train_eval_size = -1;
  return std::make_unique<InMemoryDataSet>(std::move(spec), options);
}

std::unique_ptr<InMemoryDataSet> make_two_d_data_set(const DataSetOptions& options) {
  InMemorySpec spec;
  spec.name = "two_d";
  spec.train.inputs = two_d_data(kSyntheticTrainSeed);
  spec.test.inputs = Tensor::zeros({kTwoDSize, 2});
  if (options.validation) spec.valid.inputs = two_d_data(kSyntheticValidSeed);
  spec.train_eval_size = kTwoDSize;
  return std::make_unique<InMemoryDataSet>(std::move(spec), options);
}

}  // namespace deepobs::datasets
