// Enforces ARCHITECTURE §1 by reading every #include line of the project's sources:
//   level 0 kernels/   level 1 core/   level 2 layers/ datasets/ optimizers/ (siblings)
//   level 3 problems/  level 4 runner/  level 5 tools/ tests/
// Includes point downward only; siblings never include each other; only core/ and optimizers/
// call kernels; CUDA headers appear only in .cu/.cuh files and kernels/cuda/*.cpp (so a CPU-only
// build never sees one); the plugin ABI header includes nothing of ours. Inside core/ the same
// holds for its folders, so that they form no cycle: core/ (tensors, autograd, the backend
// switch, modules) ← core/random/ (Philox) ← core/ops/.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// Layers and core's folders; "core*" stands for all of core/.
const std::map<std::string, std::set<std::string>> kAllowed = {
    {"kernels", {"kernels"}},
    {"core", {"core", "kernels"}},
    {"core/random", {"core", "core/random", "kernels"}},
    {"core/ops", {"core", "core/random", "core/ops", "kernels"}},
    {"layers", {"layers", "core*"}},
    {"datasets", {"datasets", "core*"}},
    {"optimizers", {"optimizers", "core*", "kernels"}},
    {"problems", {"problems", "layers", "datasets", "optimizers", "core*"}},
    {"runner", {"runner", "problems", "layers", "datasets", "optimizers", "core*"}},
};

struct Include {
  std::string target;
  bool quoted;
  int line;
};

std::vector<Include> read_includes(const fs::path& file) {
  static const std::regex re(R"(^\s*#\s*include\s*([<"])([^>"]+)[>"])");
  std::vector<Include> out;
  std::ifstream in(file);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    std::smatch m;
    if (std::regex_search(line, m, re)) out.push_back({m[2].str(), m[1].str() == "\"", n});
  }
  return out;
}

bool is_cuda_header(const std::string& h) {
  static const std::regex re(
      R"(^(cuda|cublas|cudnn|curand|cufft|cusparse|nvtx|nvToolsExt|cuda/)|^(thrust|cub)/)");
  return std::regex_search(h, re);
}

// The layer of a path ("core/ops/conv.h" → "core/ops", "layers/dense.h" → "layers").
std::string layer_of(const std::string& path) {
  for (const char* sub : {"core/ops/", "core/random/"})
    if (path.rfind(sub, 0) == 0) return std::string(sub, std::string(sub).size() - 1);
  const auto slash = path.find('/');
  return slash == std::string::npos ? "" : path.substr(0, slash);
}

bool may_include(const std::set<std::string>& allowed, const std::string& target) {
  return allowed.count(target) || (target.rfind("core", 0) == 0 && allowed.count("core*"));
}

TEST(Layering, IncludesPointDownward) {
  const fs::path root = DEEPOBS_SOURCE_DIR;
  int files = 0;
  for (const char* top :
       {"kernels", "core", "layers", "datasets", "optimizers", "problems", "runner"}) {
    if (!fs::exists(root / top)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(root / top)) {
      const auto ext = entry.path().extension().string();
      if (ext != ".h" && ext != ".cpp" && ext != ".cu" && ext != ".cuh") continue;
      ++files;
      const std::string rel = fs::relative(entry.path(), root).string();
      const std::string layer = layer_of(rel);
      const std::set<std::string>& allowed = kAllowed.at(layer);
      const bool plugin_abi = rel.rfind("optimizers/include/", 0) == 0;
      const bool cuda_file =
          ext == ".cu" || ext == ".cuh" || (rel.rfind("kernels/cuda/", 0) == 0 && ext == ".cpp");
      for (const auto& inc : read_includes(entry.path())) {
        const std::string where = rel + ":" + std::to_string(inc.line) + " includes " + inc.target;
        if (is_cuda_header(inc.target)) {
          EXPECT_TRUE(cuda_file) << where
                                 << ": CUDA headers belong in .cu/.cuh files or kernels/cuda/*.cpp";
          continue;
        }
        if (inc.target.ends_with(".cuh")) {
          EXPECT_TRUE(cuda_file) << where << ": a .cuh header may only be included by CUDA files";
        }
        if (!inc.quoted) continue;
        EXPECT_TRUE(fs::exists(root / inc.target))
            << where << ": quoted includes are written from the repository root";
        if (plugin_abi) {
          ADD_FAILURE() << where << ": the plugin ABI header must include nothing of ours";
          continue;
        }
        const std::string target_layer = layer_of(inc.target);
        EXPECT_TRUE(may_include(allowed, target_layer))
            << where << ": " << layer << "/ may not include " << target_layer << "/";
      }
    }
  }
  EXPECT_GT(files, 10) << "no sources found under " << root;
}

}  // namespace
