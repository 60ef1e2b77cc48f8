// The synthetic data sets of quadratic_deep and the two_d problems (SPEC §4.8, §4.9), drawn with
// numpy's legacy RandomState so that they are bit-exact with DeepOBS (SPEC A.6): every value is
// numpy's double draw rounded to f32, as DeepOBS's float32 arrays are. Neither has labels.
#pragma once

#include <cstdint>
#include <memory>

#include "datasets/dataset.h"

namespace deepobs::datasets {

// RandomState seeds DeepOBS uses for the splits of both synthetic sets.
inline constexpr std::uint32_t kSyntheticTrainSeed = 42;
inline constexpr std::uint32_t kSyntheticTestSeed = 43;
inline constexpr std::uint32_t kSyntheticValidSeed = 44;  // v1.2 validation draw

// quadratic: 1,000 points in R^100 with N(0, 0.6²) noise per coordinate.
inline constexpr std::int64_t kQuadraticDim = 100;
inline constexpr std::int64_t kQuadraticSize = 1000;
inline constexpr double kQuadraticNoise = 0.6;

// two_d: 10,000 points (x, y) with N(0, 1) noise per coordinate.
inline constexpr std::int64_t kTwoDSize = 10000;
inline constexpr double kTwoDNoise = 1.0;

// RandomState(seed).normal(0, 0.6, (1000, 100)) as f32 [1000,100] (row-major, as numpy fills it).
Tensor quadratic_data(std::uint32_t seed);

// f32 [10000,2] with column 0 = x = RandomState(seed).normal(0, 1, 10000) and column 1 = y = the
// next 10,000 normals of the same RandomState.
Tensor two_d_data(std::uint32_t seed);

// quadratic: Train = quadratic_data(42) shuffled; TrainEval = a whole shuffled pass (take(-1), 7
// batches at B = 128); Test = quadratic_data(43) unshuffled (896 of its rows at B = 128); with
// the validation split, Valid = quadratic_data(44) and Train keeps all 1,000 rows.
std::unique_ptr<InMemoryDataSet> make_quadratic_data_set(const DataSetOptions& options);

// two_d: Train = two_d_data(42) shuffled; TrainEval = floor(10000 / B) batches of a shuffled pass
// (the whole set); Test = 10,000 rows of zeros (so the test loss is the noise-free function);
// with the validation split, Valid = two_d_data(44) and Train keeps all 10,000 rows.
std::unique_ptr<InMemoryDataSet> make_two_d_data_set(const DataSetOptions& options);

}  // namespace deepobs::datasets
