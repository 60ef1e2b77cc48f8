// The character-level RNN on War and Peace (SPEC §3.10): tolstoi_char_rnn.
#include "core/ops/loss.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"
#include "datasets/tolstoi.h"
#include "layers/dense.h"
#include "layers/dropout.h"
#include "layers/embedding.h"
#include "layers/lstm.h"
#include "problems/registry.h"

namespace deepobs::problems {
namespace {

constexpr std::int64_t kVocabulary = datasets::kTolstoiVocabularySize;  // 83
constexpr std::int64_t kHidden = 128;
constexpr double kDropRate = 0.2;  // DropoutWrapper keep probability 0.8, input and output

// embedding 83×128 → 2 × [dropout → LSTMCell(128) → dropout] → dense 83 (softmax_w, softmax_b,
// both glorot_uniform as tf.get_variable's default), 284,499 parameters. TF's DropoutWrapper
// (input_keep_prob = output_keep_prob = 0.8, training only) wraps each cell, so training drops on
// the embedding, on layer 1's output and again on layer 2's input, and on layer 2's output:
// four masks, each fresh per element and time step, none on the recurrent state. A mask is the
// Philox draw of its own stream keyed by the model's step counter, so Closure redraws the step's
// masks; the LSTM layers keep the state a Train step started from for Closure (layers/lstm.h).
class CharRnn : public ProblemModel {
 public:
  explicit CharRnn(PhiloxGenerator& gen) {
    embedding_ = &register_module(
        "embedding", std::make_unique<layers::Embedding>(kVocabulary, kHidden, gen,
                                                         layers::Initializer::glorot_uniform(), 0));
    for (int l = 0; l < 2; ++l) {
      layers::LstmOptions o;
      o.layer_index = 1 + l;
      lstm_[l] = &register_module("lstm" + std::to_string(l + 1),
                                  std::make_unique<layers::Lstm>(kHidden, kHidden, o, gen));
    }
    layers::DenseOptions d;
    d.kernel_init = layers::Initializer::glorot_uniform();
    d.bias_init = layers::Initializer::glorot_uniform();
    d.layer_index = 3;
    softmax_ =
        &register_module("softmax", std::make_unique<layers::Dense>(kHidden, kVocabulary, d, gen));
    const char* names[4] = {"dropout_in1", "dropout_out1", "dropout_in2", "dropout_out2"};
    for (std::uint32_t k = 0; k < 4; ++k)
      dropout_[k] = &register_module(
          names[k], std::make_unique<layers::Dropout>(kDropRate, gen.seed(), k, step()));
  }

  Output forward(const datasets::Batch& batch) override {
    const Tensor& ids = batch.inputs;
    DEEPOBS_CHECK(ids.dtype() == DType::I64 && ids.dim() == 2, "tolstoi_char_rnn: inputs ",
                  ids.str(), " must be i64 [batch, steps] character ids");
    DEEPOBS_CHECK(batch.labels.defined() && batch.labels.shape() == ids.shape(),
                  "tolstoi_char_rnn: labels must be i64 ", shape_str(ids.shape()));
    const std::int64_t b = ids.size(0), steps = ids.size(1);
    Tensor h = embedding_->forward(ids);  // [B, S, 128]
    for (int l = 0; l < 2; ++l) {
      h = dropout_[2 * l]->forward(h);
      h = lstm_[l]->forward(h);
      h = dropout_[2 * l + 1]->forward(h);
    }
    const Tensor logits = softmax_->forward(ops::reshape(h, {b * steps, kHidden}));  // [B·S, 83]
    const Tensor labels = batch.labels.view({b * steps});
    // sequence_loss(average_across_timesteps=True, average_across_batch=False): each sequence's
    // mean token cross-entropy; the runner averages over the batch. Accuracy over all B·S.
    const Tensor ce = ops::softmax_cross_entropy(logits, labels);
    Output out{ops::mean(ops::reshape(ce, {b, steps}), {1}), std::nullopt};
    if (mode() == ForwardMode::Eval) out.accuracy = ops::accuracy(logits, labels);
    return out;
  }

 private:
  layers::Embedding* embedding_;
  layers::Lstm* lstm_[2];
  layers::Dense* softmax_;
  layers::Dropout* dropout_[4];
};

}  // namespace

void add_char_rnn_problems(std::vector<ProblemEntry>& registry) {
  ProblemInfo info = classifier_info(
      "tolstoi_char_rnn", "tolstoi",
      "2-layer LSTM(128) character model with dropout (284,499 parameters)", 50, 200);
  registry.push_back(
      {info, [](PhiloxGenerator& g) { return std::make_unique<CharRnn>(g); }, tolstoi_data()});
}

}  // namespace deepobs::problems
