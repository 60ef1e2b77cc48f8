// The variational autoencoder of mnist_vae and fmnist_vae (SPEC §3.5): its loss, and where its
// random numbers come from. The model itself is registered by problems/vae.cpp.
#pragma once

#include <cstdint>

#include "core/random/philox_generator.h"
#include "core/tensor.h"

namespace deepobs::problems {

// The VAE's per-example loss, DeepOBS's formula literally:
//   L_i = Σ_p (x̂_ip − x_ip)²  −  0.5 · Σ_j (1 + 2·s_ij − μ_ij² − exp(2·s_ij))
// reconstruction x̂ and images x [B, P] (P = 784 pixels, values in [0, 1]); mean μ and log standard
// deviation s [B, L] (L = 8 latent dimensions). Returns [B], recorded by autograd. One dtype and
// device for all four; shape mismatches throw deepobs::Error naming the operands.
Tensor vae_losses(const Tensor& reconstruction, const Tensor& images, const Tensor& mean,
                  const Tensor& log_std);

// The Philox streams of the VAE's draws (all under RngPurpose, seed = the run seed):
//   Dropout/0..4        the five dropout layers (encoder 0–2, decoder 3–4), call = training step;
//   Noise/kTrainNoise   ε of Train and Closure forwards, call = training step
//                       (ProblemModel::step), so a Closure redraws its step's ε;
//   Noise/kEvalNoise    ε of Eval forwards, call = the batch's index within the current pass
//                       (a per-phase counter, zeroed by Problem::start), so an evaluation pass is
//                       a deterministic function of the parameters: every train_eval and test
//                       pass of a run draws the same ε for its batch k, whatever the runner
//                       evaluated before.
inline constexpr std::uint32_t kVaeTrainNoise = 0;
inline constexpr std::uint32_t kVaeEvalNoise = 1;

}  // namespace deepobs::problems
