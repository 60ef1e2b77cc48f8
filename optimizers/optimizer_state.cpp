// Checkpointing of an optimizer's state slots (Optimizer::save_state / load_state): the host owns
// the slots, so it serialises them for every optimizer, built-in or plugin, the same way.
#include <cstring>

#include "core/error.h"
#include "optimizers/optimizer.h"

namespace deepobs {
namespace {

// ---- state serialisation helpers ----

constexpr char kStateMagic[8] = {'D', 'O', 'B', 'S', 'O', 'P', 'T', '\x01'};

template <class T>
void put(std::vector<std::uint8_t>& out, const T& value) {
  const auto* p = reinterpret_cast<const std::uint8_t*>(&value);
  out.insert(out.end(), p, p + sizeof(T));
}

void put_string(std::vector<std::uint8_t>& out, const std::string& s) {
  put(out, static_cast<std::uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

// Bounds-checked reader over the serialised state.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  const std::uint8_t* take(std::size_t n, const char* what) {
    DEEPOBS_CHECK(n <= bytes_.size() - pos_, "Optimizer::load_state: truncated state: ", what,
                  " needs ", n, " bytes at offset ", pos_, " but only ", bytes_.size() - pos_,
                  " remain");
    const std::uint8_t* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  template <class T>
  T get(const char* what) {
    T value;
    std::memcpy(&value, take(sizeof(T), what), sizeof(T));
    return value;
  }
  std::string get_string(const char* what) {
    const auto n = get<std::uint32_t>(what);
    const auto* p = take(n, what);
    return std::string(reinterpret_cast<const char*>(p), n);
  }
  std::size_t remaining() const { return bytes_.size() - pos_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

}  // namespace

std::vector<std::uint8_t> Optimizer::save_state() const {
  std::vector<std::uint8_t> out(std::begin(kStateMagic), std::end(kStateMagic));
  put_string(out, info_.name);
  put(out, static_cast<std::uint32_t>(slots_.size()));
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const Tensor s = slots_[i].device().is_cpu() ? slots_[i] : slots_[i].to(Device::cpu());
    put_string(out, info_.state_slots[i].name);
    put(out, static_cast<std::uint8_t>(s.dtype()));
    put(out, static_cast<std::int64_t>(s.numel()));
    const auto* p = static_cast<const std::uint8_t*>(s.raw_data());
    out.insert(out.end(), p, p + s.nbytes());
  }
  return out;
}

void Optimizer::load_state(std::span<const std::uint8_t> bytes) {
  const char* where = "Optimizer::load_state";
  Reader in(bytes);
  DEEPOBS_CHECK(std::memcmp(in.take(sizeof(kStateMagic), "the format tag"), kStateMagic,
                            sizeof(kStateMagic)) == 0,
                where, ": not an optimizer state (wrong format tag)");
  const std::string name = in.get_string("the optimizer name");
  DEEPOBS_CHECK(name == info_.name, where, ": the state belongs to ", name, ", not ", info_.name);
  const auto count = in.get<std::uint32_t>("the slot count");
  DEEPOBS_CHECK(count == slots_.size(), where, ": ", info_.name, " has ", slots_.size(),
                " state slots, the saved state has ", count);
  // Validate everything before copying anything, so a bad state leaves this one untouched.
  std::vector<const std::uint8_t*> sources;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    const std::string& slot_name = info_.state_slots[i].name;
    const std::string saved_name = in.get_string("a slot name");
    DEEPOBS_CHECK(saved_name == slot_name, where, ": slot ", i, " is '", saved_name,
                  "' in the saved state, expected '", slot_name, "'");
    const auto dtype = in.get<std::uint8_t>("a slot dtype");
    const auto numel = in.get<std::int64_t>("a slot size");
    const Tensor& s = slots_[i];
    DEEPOBS_CHECK(dtype == static_cast<std::uint8_t>(s.dtype()) && numel == s.numel(), where,
                  ": slot '", slot_name, "' was saved with ", numel, " elements of dtype code ",
                  int(dtype), " but this optimizer has ", s.str(), " (another model or dtype?)");
    sources.push_back(in.take(s.nbytes(), "slot data"));
  }
  DEEPOBS_CHECK(in.remaining() == 0, where, ": ", in.remaining(),
                " unexpected bytes after the last slot");
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    Tensor& s = slots_[i];
    if (s.device().is_cpu()) {
      std::memcpy(s.raw_data(), sources[i], s.nbytes());
    } else {
      Tensor staged = Tensor::empty(s.shape(), s.dtype(), Device::cpu());
      std::memcpy(staged.raw_data(), sources[i], s.nbytes());
      s.copy_from(staged);
    }
  }
}

}  // namespace deepobs
