#include "runner/checkpoint.h"

#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "runner/atomic_file.h"

namespace deepobs::runner {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'D', 'O', 'B', 'S', 'C', 'K', 'P', 'T'};
constexpr std::size_t kHeaderBytes = sizeof(kMagic) + 4 + 8 + 8;

// FNV-1a, 64 bits: catches truncation and bit flips of a file written by this program; not a
// defence against deliberate tampering (nothing in a result folder is).
std::uint64_t fnv1a64(const char* p, std::size_t n) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= static_cast<unsigned char>(p[i]);
    h *= 0x100000001b3ull;
  }
  return h;
}

class Writer {
 public:
  template <class T>
  void put(const T& v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  void put_bytes(const void* p, std::size_t n) {
    put(static_cast<std::uint64_t>(n));
    out_.append(static_cast<const char*>(p), n);
  }
  void put_string(const std::string& s) { put_bytes(s.data(), s.size()); }
  template <class T>
  void put_vector(const std::vector<T>& v) {
    put_bytes(v.data(), v.size() * sizeof(T));
  }
  void put_tensor(const SavedTensor& t) {
    put_string(t.name);
    put(t.dtype);
    put(t.numel);
    put_vector(t.bytes);
  }
  std::string& text() { return out_; }

 private:
  std::string out_;
};

// Bounds-checked reads of the body; any overrun is corruption (the checksum matched, so it would
// take a writer bug, but a reader must never read past the end).
class Reader {
 public:
  Reader(const std::string& bytes, std::size_t pos, const fs::path& path)
      : bytes_(bytes), pos_(pos), path_(path) {}
  const char* take(std::size_t n) {
    if (n > bytes_.size() - pos_)
      throw CorruptCheckpoint(cat("checkpoint ", path_.string(), " is corrupt: it ends inside ",
                                  "a record (delete it, or rerun with ",
                                  "--discard_corrupt_checkpoint)"));
    const char* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  template <class T>
  T get() {
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;
  }
  template <class T>
  std::vector<T> get_vector() {
    const auto n = get<std::uint64_t>();
    if (n % sizeof(T) != 0) take(bytes_.size());  // reports the corruption
    std::vector<T> v(n / sizeof(T));
    const char* source = take(n);
    if (n > 0) std::memcpy(v.data(), source, n);  // an empty vector's data() may be null
    return v;
  }
  std::string get_string() {
    const auto n = get<std::uint64_t>();
    return std::string(take(n), n);
  }
  SavedTensor get_tensor() {
    SavedTensor t;
    t.name = get_string();
    t.dtype = get<std::uint8_t>();
    t.numel = get<std::int64_t>();
    t.bytes = get_vector<std::uint8_t>();
    return t;
  }
  bool done() const { return pos_ == bytes_.size(); }

 private:
  const std::string& bytes_;
  std::size_t pos_;
  const fs::path& path_;
};

SavedTensor save_tensor(std::string name, const Tensor& t) {
  const Tensor host = t.device().is_cpu() ? t : t.to(Device::cpu());
  SavedTensor s{std::move(name), static_cast<std::uint8_t>(host.dtype()), host.numel(), {}};
  const auto* p = static_cast<const std::uint8_t*>(host.raw_data());
  s.bytes.assign(p, p + host.nbytes());
  return s;
}

void check_matches(const SavedTensor& s, const std::string& name, const Tensor& t,
                   const fs::path& path) {
  DEEPOBS_CHECK(s.name == name && s.dtype == static_cast<std::uint8_t>(t.dtype()) &&
                    s.numel == t.numel() && s.bytes.size() == t.nbytes(),
                "checkpoint ", path.string(), " does not fit this model: it holds '", s.name,
                "' with ", s.numel, " elements of dtype code ", int(s.dtype), " where the model ",
                "has '", name, "' ", t.str(), " (delete it or run the setting that wrote it)");
}

void load_tensor(const SavedTensor& s, const Tensor& t) {
  if (s.bytes.empty()) return;  // an empty tensor: nothing to copy (and memcpy from null is UB)
  if (t.device().is_cpu()) {
    std::memcpy(t.raw_data(), s.bytes.data(), s.bytes.size());
    return;
  }
  const Tensor staged = Tensor::empty(t.shape(), t.dtype(), Device::cpu());
  std::memcpy(staged.raw_data(), s.bytes.data(), s.bytes.size());
  t.copy_from(staged);
}

std::vector<std::vector<double>*> curves(Checkpoint& c) {
  return {&c.train_losses,    &c.test_losses,      &c.valid_losses,           &c.train_accuracies,
          &c.test_accuracies, &c.valid_accuracies, &c.minibatch_train_losses, &c.epoch_seconds};
}

std::vector<std::vector<double>*> curves(RunRecord& r) {
  return {&r.train_losses,    &r.test_losses,      &r.valid_losses,           &r.train_accuracies,
          &r.test_accuracies, &r.valid_accuracies, &r.minibatch_train_losses, &r.epoch_seconds};
}

// "a.b" for nested keys, so the message names the setting as the user knows it.
std::string first_difference(const nlohmann::ordered_json& a, const nlohmann::ordered_json& b,
                             const std::string& prefix) {
  if (a.is_object() && b.is_object()) {
    for (const auto& [key, value] : a.items()) {
      const std::string name = prefix.empty() ? key : prefix + "." + key;
      if (!b.contains(key)) return name + " is " + value.dump() + " in the checkpoint, unset here";
      const std::string d = first_difference(value, b.at(key), name);
      if (!d.empty()) return d;
    }
    for (const auto& [key, value] : b.items())
      if (!a.contains(key))
        return (prefix.empty() ? key : prefix + "." + key) + " is unset in the checkpoint, " +
               value.dump() + " here";
    return "";
  }
  if (a == b) return "";
  return prefix + " is " + a.dump() + " in the checkpoint, " + b.dump() + " in this run";
}

}  // namespace

Checkpoint capture_checkpoint(std::string settings, const LoopPosition& position,
                              problems::Problem& problem, const Optimizer& optimizer,
                              const RunRecord& record) {
  Checkpoint c;
  c.settings = std::move(settings);
  c.position = position;
  auto& r = const_cast<RunRecord&>(record);  // read only: curves() hands out pointers
  const auto from = curves(r);
  const auto to = curves(c);
  for (std::size_t i = 0; i < from.size(); ++i)
    *to[i] = *from[i];
  c.params = save_tensor("params", problem.flat().params());
  for (const auto& b : problem.model().named_buffers())
    c.buffers.push_back(save_tensor(b.name, *b.buffer));
  c.optimizer_state = optimizer.save_state();
  c.optimizer_bookkeeping = optimizer.bookkeeping();
  c.data_state = problem.data().pass_state();
  return c;
}

LoopPosition restore_checkpoint(const Checkpoint& c, const fs::path& path,
                                problems::Problem& problem, Optimizer& optimizer,
                                RunRecord& record) {
  const Tensor& params = problem.flat().params();
  check_matches(c.params, "params", params, path);
  const auto buffers = problem.model().named_buffers();
  DEEPOBS_CHECK(buffers.size() == c.buffers.size(), "checkpoint ", path.string(), " holds ",
                c.buffers.size(), " model buffers, the model has ", buffers.size(),
                " (delete it or run the setting that wrote it)");
  for (std::size_t i = 0; i < buffers.size(); ++i)
    check_matches(c.buffers[i], buffers[i].name, *buffers[i].buffer, path);
  // The optimizer and the data set check their own parts before changing anything.
  try {
    optimizer.load_state(c.optimizer_state);
    problem.data().restore_pass_state(c.data_state);
  } catch (const Error& e) {
    throw Error(cat("checkpoint ", path.string(), " does not fit this run: ", e.what()));
  }
  load_tensor(c.params, params);
  for (std::size_t i = 0; i < buffers.size(); ++i)
    load_tensor(c.buffers[i], *buffers[i].buffer);
  optimizer.restore_bookkeeping(c.optimizer_bookkeeping);
  auto& saved = const_cast<Checkpoint&>(c);  // read only: curves() hands out pointers
  const auto from = curves(saved);
  const auto to = curves(record);
  for (std::size_t i = 0; i < from.size(); ++i)
    *to[i] = *from[i];
  return c.position;
}

std::string encode_checkpoint(const Checkpoint& c) {
  Writer body;
  body.put_string(c.settings);
  body.put(static_cast<std::int32_t>(c.position.epoch));
  body.put(c.position.global_step);
  body.put(c.position.elapsed_seconds);
  body.put_vector(c.position.step_seconds);
  for (const auto* v : curves(const_cast<Checkpoint&>(c)))
    body.put_vector(*v);
  body.put_tensor(c.params);
  body.put(static_cast<std::uint64_t>(c.buffers.size()));
  for (const auto& b : c.buffers)
    body.put_tensor(b);
  body.put_vector(c.optimizer_state);
  const OptimizerBookkeeping& k = c.optimizer_bookkeeping;
  body.put_vector(k.step_seconds);
  for (std::int64_t v : {k.evaluate_calls, k.hvp_calls, k.scratch_bytes_peak, k.dropped_scalars})
    body.put(v);
  body.put(static_cast<std::uint64_t>(k.logged_scalars.size()));
  for (const auto& [name, rows] : k.logged_scalars) {
    body.put_string(name);
    body.put(static_cast<std::uint64_t>(rows.size()));
    for (const auto& [step, value] : rows) {
      body.put(step);
      body.put(value);
    }
  }
  body.put_vector(c.data_state);
  body.put_vector(c.resumed_at);

  Writer file;
  file.text().append(kMagic, sizeof(kMagic));
  file.put(kCheckpointFormatVersion);
  file.put(static_cast<std::uint64_t>(body.text().size()));
  file.put(fnv1a64(body.text().data(), body.text().size()));
  file.text() += body.text();
  return std::move(file.text());
}

Checkpoint decode_checkpoint(const std::string& bytes, const fs::path& path) {
  const auto corrupt = [&](const std::string& why) {
    return CorruptCheckpoint(cat("checkpoint ", path.string(), " is corrupt: ", why,
                                 " (delete it, or rerun with --discard_corrupt_checkpoint)"));
  };
  if (bytes.size() < kHeaderBytes || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    throw corrupt("it does not start with a checkpoint header");
  std::uint32_t version = 0;
  std::uint64_t size = 0, checksum = 0;
  std::memcpy(&version, bytes.data() + 8, 4);
  std::memcpy(&size, bytes.data() + 12, 8);
  std::memcpy(&checksum, bytes.data() + 20, 8);
  DEEPOBS_CHECK(version == kCheckpointFormatVersion, "checkpoint ", path.string(),
                " has format version ", version, "; this build reads version ",
                kCheckpointFormatVersion,
                " (finish it with the build that wrote it, or delete it)");
  if (size != bytes.size() - kHeaderBytes)
    throw corrupt(cat("its body has ", bytes.size() - kHeaderBytes, " bytes, the header says ",
                      size, " (a truncated or extended file)"));
  if (fnv1a64(bytes.data() + kHeaderBytes, size) != checksum)
    throw corrupt("its checksum does not match its contents");

  Reader in(bytes, kHeaderBytes, path);
  Checkpoint c;
  c.settings = in.get_string();
  c.position.epoch = in.get<std::int32_t>();
  c.position.global_step = in.get<std::int64_t>();
  c.position.elapsed_seconds = in.get<double>();
  c.position.step_seconds = in.get_vector<double>();
  for (auto* v : curves(c))
    *v = in.get_vector<double>();
  c.params = in.get_tensor();
  const auto count = [&] {  // an element count no larger than the bytes left can hold
    const auto n = in.get<std::uint64_t>();
    if (n > bytes.size()) throw corrupt(cat("a record count of ", n, " exceeds the file size"));
    return static_cast<std::size_t>(n);
  };
  const std::size_t buffers = count();
  for (std::size_t i = 0; i < buffers; ++i)
    c.buffers.push_back(in.get_tensor());
  c.optimizer_state = in.get_vector<std::uint8_t>();
  OptimizerBookkeeping& k = c.optimizer_bookkeeping;
  k.step_seconds = in.get_vector<double>();
  for (std::int64_t* v :
       {&k.evaluate_calls, &k.hvp_calls, &k.scratch_bytes_peak, &k.dropped_scalars})
    *v = in.get<std::int64_t>();
  const std::size_t logs = count();
  for (std::size_t i = 0; i < logs; ++i) {
    auto& rows = k.logged_scalars[in.get_string()];
    const std::size_t n = count();
    for (std::size_t j = 0; j < n; ++j) {
      const auto step = in.get<std::int64_t>();
      rows.emplace_back(step, in.get<double>());
    }
  }
  c.data_state = in.get_vector<std::int64_t>();
  c.resumed_at = in.get_vector<std::int64_t>();
  if (!in.done()) throw corrupt("it has bytes after its last record");
  return c;
}

void write_checkpoint(const fs::path& path, const Checkpoint& c) {
  write_file_atomically(path, encode_checkpoint(c));
}

Checkpoint read_checkpoint(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  DEEPOBS_CHECK(in, "cannot read checkpoint ", path.string(), " (check its permissions)");
  std::ostringstream text;
  text << in.rdbuf();
  DEEPOBS_CHECK(!in.bad(), "cannot read checkpoint ", path.string());
  return decode_checkpoint(text.str(), path);
}

void check_same_settings(const std::string& saved, const nlohmann::ordered_json& current,
                         const fs::path& path) {
  nlohmann::ordered_json before;
  try {
    before = nlohmann::ordered_json::parse(saved);
  } catch (const std::exception&) {
    throw CorruptCheckpoint(cat("checkpoint ", path.string(), " is corrupt: its settings are ",
                                "not JSON (delete it, or rerun with ",
                                "--discard_corrupt_checkpoint)"));
  }
  const std::string d = first_difference(before, current, "");
  DEEPOBS_CHECK(d.empty(), "checkpoint ", path.string(), " belongs to another run: ", d,
                " (rerun with the checkpoint's settings, or delete it to start fresh)");
}

}  // namespace deepobs::runner
