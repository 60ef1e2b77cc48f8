// An ImageNet problem (imagenet_vgg16/19, imagenet_inception_v3) on a small in-memory data set in
// the ImageNet batch contract (datasets/imagenet.h: f32 [B,3,224,224] standardised-like inputs,
// i64 labels in 0..1000), so that the models can be tested without ImageNet files: the problem is
// assembled from its registry entry's info and model and this data set.
#pragma once

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/random/philox_generator.h"
#include "datasets/dataset.h"
#include "problems/registry.h"

namespace deepobs::testing {

// `examples` training and `examples` test images of N(0, 1) pixels (what per-image
// standardisation produces on average) with labels drawn from 0..1000, from std::mt19937(seed).
inline datasets::InMemorySpec imagenet_like_spec(std::int64_t examples, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> pixel(0.0f, 1.0f);
  std::uniform_int_distribution<std::int64_t> label(0, 1000);
  auto split = [&] {
    std::vector<float> x(static_cast<std::size_t>(examples) * 3 * 224 * 224);
    for (float& v : x)
      v = pixel(gen);
    std::vector<std::int64_t> y(static_cast<std::size_t>(examples));
    for (auto& v : y)
      v = label(gen);
    return datasets::Examples{Tensor::from_vector(x, {examples, 3, 224, 224}),
                              Tensor::from_vector(y, {examples})};
  };
  datasets::InMemorySpec spec;
  spec.name = "imagenet";
  spec.train = split();
  spec.test = split();
  return spec;
}

// The problem `name` with its default weight decay, parameters from PhiloxGenerator(seed, Init)
// (as build_problem draws them), model and data on `device`.
inline std::unique_ptr<problems::Problem> imagenet_fixture_problem(const std::string& name,
                                                                   std::int64_t batch_size,
                                                                   Device device,
                                                                   std::int64_t examples = 2,
                                                                   std::uint64_t seed = 42) {
  const problems::ProblemEntry& e = problems::find_problem(name);
  PhiloxGenerator init(seed, RngPurpose::Init);
  auto model = e.make_model(init);
  model->to(device);
  datasets::DataSetOptions options;
  options.batch_size = batch_size;
  options.seed = seed;
  options.device = device;
  auto data = std::make_unique<datasets::InMemoryDataSet>(
      imagenet_like_spec(examples, static_cast<unsigned>(seed)), options);
  return std::make_unique<problems::Problem>(e.info, std::move(model), std::move(data),
                                             e.info.default_weight_decay);
}

}  // namespace deepobs::testing
