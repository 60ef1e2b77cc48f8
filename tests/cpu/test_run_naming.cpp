#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "core/error.h"
#include "runner/run_naming.h"

namespace deepobs::runner {
namespace {

TEST(RunNaming, MatchesThePublishedBaselineFolders) {
  RunSetting s;
  s.num_epochs = 100;
  s.batch_size = 128;
  s.learning_rate = std::pow(10.0, -3.4);
  s.hyperparams = {{"use_nesterov", false}, {"momentum", 0.99}};  // sorted by the namer
  EXPECT_EQ(setting_folder_name(s),
            "num_epochs__100__batch_size__128__momentum__9.9e-01__use_nesterov__False__lr__"
            "3.9810717055e-04");
  RunSetting adam;
  adam.num_epochs = 350;
  adam.batch_size = 256;
  adam.learning_rate = 1e-3;
  adam.hyperparams = {{"beta1", 0.9}, {"beta2", 0.999}, {"epsilon", 1e-8}};
  EXPECT_EQ(setting_folder_name(adam),
            "num_epochs__350__batch_size__256__beta1__9.e-01__beta2__9.99e-01__epsilon__1.e-08__"
            "lr__1.e-03");
}

TEST(RunNaming, WeightDecayAndLearningRateSchedule) {
  RunSetting s;
  s.num_epochs = 10;
  s.batch_size = 64;
  s.weight_decay = 5e-4;
  s.learning_rate = 0.3;
  s.lr_sched_epochs = {50, 100};
  s.lr_sched_factors = {0.1, 0.01};
  s.hyperparams = {{"steps", std::int64_t{3}}};
  EXPECT_EQ(setting_folder_name(s),
            "num_epochs__10__batch_size__64__weight_decay__5.e-04__steps__3__lr_schedule__0_3.e-01_"
            "50_3.e-02_100_3.e-03");
  s.lr_sched_factors = {0.1};
  EXPECT_THROW(setting_folder_name(s), Error);
}

TEST(RunNaming, ResultFileUsesLocalTime) {
  setenv("TZ", "UTC", 1);
  tzset();
  EXPECT_EQ(result_file_name(42, 1795501142), "random_seed__42__2026-11-24-06-19-02.json");
}

}  // namespace
}  // namespace deepobs::runner
