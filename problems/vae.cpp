// The variational autoencoder (SPEC §3.5): mnist_vae, fmnist_vae.
#include "problems/vae.h"

#include "core/ops/activation.h"
#include "core/ops/batch_gather.h"
#include "core/ops/elementwise.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "layers/conv2d.h"
#include "layers/dense.h"
#include "layers/dropout.h"
#include "problems/registry.h"

namespace deepobs::problems {
namespace {

constexpr std::int64_t kLatent = 8;
constexpr double kSlope = 0.3;  // leaky ReLU max(x, 0.3·x)
constexpr double kDropRate = 0.2;

// Encoder: conv 4×4·64 s2 → conv 4×4·64 s2 → conv 4×4·64 s1 ('same', leaky ReLU, dropout after
// each) → flatten 3136 → mean = dense 8, s = 0.5·dense 8; z = mean + ε·exp(s).
// Decoder: dense 24 → dense 49 (leaky ReLU) → [1, 7, 7] → conv-transpose 4×4·64 s2 → s1 → s1
// ('same', ReLU; dropout after the first two only, as TF) → flatten 12,544 → dense 784 sigmoid.
// All kernels glorot-uniform, biases 0 (TF's defaults); 10,151,489 parameters. The images'
// flatten order is NCHW's, which for one channel is TF's.
class Vae : public ProblemModel {
 public:
  explicit Vae(PhiloxGenerator& gen)
      : train_noise_(gen.seed(), RngPurpose::Noise, kVaeTrainNoise),
        eval_noise_(gen.seed(), RngPurpose::Noise, kVaeEvalNoise) {
    // Two parameter groups, as TF's variable scopes: encoder/…, decoder/….
    Module& encoder = register_module("encoder", std::make_unique<Module>());
    Module& decoder = register_module("decoder", std::make_unique<Module>());
    int layer = 0;
    layers::ConvOptions c;
    c.kernel_h = c.kernel_w = 4;
    c.padding = ops::PaddingMode::kSame;
    const auto conv = [&](const std::string& name, std::int64_t in, int stride) {
      c.stride_h = c.stride_w = stride;
      c.layer_index = layer++;
      return &encoder.register_module(name, std::make_unique<layers::Conv2d>(in, 64, c, gen));
    };
    const auto conv_t = [&](const std::string& name, std::int64_t in, int stride) {
      c.stride_h = c.stride_w = stride;
      c.layer_index = layer++;
      return &decoder.register_module(name,
                                      std::make_unique<layers::ConvTranspose2d>(in, 64, c, gen));
    };
    const auto dense = [&](Module& group, const std::string& name, std::int64_t in,
                           std::int64_t out) {
      layers::DenseOptions d;
      d.layer_index = layer++;
      return &group.register_module(name, std::make_unique<layers::Dense>(in, out, d, gen));
    };
    // Registration order = TF's variable creation order (encoder, then decoder).
    enc_[0] = conv("conv1", 1, 2);
    enc_[1] = conv("conv2", 64, 2);
    enc_[2] = conv("conv3", 64, 1);
    mean_ = dense(encoder, "mean", 7 * 7 * 64, kLatent);
    log_std_ = dense(encoder, "log_std", 7 * 7 * 64, kLatent);
    dec_dense_[0] = dense(decoder, "dense1", kLatent, 24);
    dec_dense_[1] = dense(decoder, "dense2", 24, 49);
    dec_[0] = conv_t("conv_t1", 1, 2);
    dec_[1] = conv_t("conv_t2", 64, 1);
    dec_[2] = conv_t("conv_t3", 64, 1);
    out_ = dense(decoder, "output", 14 * 14 * 64, 28 * 28);
    // Dropout streams 0–2 in the encoder, 3–4 in the decoder (problems/vae.h).
    for (std::uint32_t i = 0; i < 5; ++i)
      drop_[i] = &(i < 3 ? encoder : decoder)
                      .register_module(
                          "dropout" + std::to_string(i < 3 ? i + 1 : i - 2),
                          std::make_unique<layers::Dropout>(kDropRate, gen.seed(), i, step()));
    eval_batch_ = register_state("eval_batch", Tensor::zeros({1}, DType::I64));
  }

  Output forward(const datasets::Batch& batch) override {
    const Tensor& x = batch.inputs;
    DEEPOBS_CHECK(x.dim() == 4 && x.size(1) == 1 && x.size(2) == 28 && x.size(3) == 28,
                  "vae: expects images [B, 1, 28, 28], got ", x.str());
    Tensor h = x;
    for (int i = 0; i < 3; ++i)
      h = drop_[i]->forward(ops::leaky_relu(enc_[i]->forward(h), kSlope));
    h = ops::flatten(h);
    const Tensor mean = mean_->forward(h);
    const Tensor log_std = ops::mul_scalar(log_std_->forward(h), 0.5);
    const Tensor eps = Tensor::empty(mean.shape(), mean.dtype(), mean.device());
    if (mode() == ForwardMode::Eval) {
      eval_noise_.normal_(eps, 0.0, 1.0, eval_batch_);
      ops::advance_(eval_batch_, 1);
    } else {
      train_noise_.normal_(eps, 0.0, 1.0, step());
    }
    h = ops::add(mean, ops::mul(eps, ops::exp(log_std)));
    for (layers::Dense* d : dec_dense_)
      h = ops::leaky_relu(d->forward(h), kSlope);
    h = ops::reshape(h, {h.size(0), 1, 7, 7});
    for (int i = 0; i < 3; ++i) {
      h = ops::relu(dec_[i]->forward(h));
      if (i < 2) h = drop_[3 + i]->forward(h);
    }
    const Tensor image = ops::sigmoid(out_->forward(ops::flatten(h)));
    return {vae_losses(image, ops::flatten(x), mean, log_std), std::nullopt};
  }

 private:
  layers::Conv2d* enc_[3];
  layers::Dense *mean_, *log_std_, *dec_dense_[2], *out_;
  layers::ConvTranspose2d* dec_[3];
  layers::Dropout* drop_[5];
  PhiloxGenerator train_noise_, eval_noise_;
  Tensor eval_batch_;  // i64 [1]: the index of the next Eval batch in this pass
};

}  // namespace

Tensor vae_losses(const Tensor& reconstruction, const Tensor& images, const Tensor& mean,
                  const Tensor& log_std) {
  DEEPOBS_CHECK(reconstruction.dim() == 2 && reconstruction.shape() == images.shape(),
                "vae_losses: reconstruction ", reconstruction.str(), " and images ", images.str(),
                " must both be [B, pixels]");
  DEEPOBS_CHECK(
      mean.dim() == 2 && mean.shape() == log_std.shape() && mean.size(0) == images.size(0),
      "vae_losses: mean ", mean.str(), " and log_std ", log_std.str(),
      " must both be [B, latent] with B = ", images.size(0));
  const Tensor reconstruction_error = ops::sum(ops::square(ops::sub(reconstruction, images)), {1});
  const Tensor two_s = ops::mul_scalar(log_std, 2.0);
  const Tensor kl_terms =
      ops::sub(ops::sub(ops::add_scalar(two_s, 1.0), ops::square(mean)), ops::exp(two_s));
  return ops::add(reconstruction_error, ops::mul_scalar(ops::sum(kl_terms, {1}), -0.5));
}

void add_vae_problems(std::vector<ProblemEntry>& registry) {
  for (const auto& [data, epochs] : {std::pair<std::string, int>{"mnist", 50}, {"fmnist", 100}})
    registry.push_back(
        {loss_only_info(data + "_vae", data,
                        "variational autoencoder, latent 8 (10,151,489 parameters)", 64, epochs),
         [](PhiloxGenerator& g) { return std::make_unique<Vae>(g); }, mnist_data(data)});
}

}  // namespace deepobs::problems
