// Where a tensor lives. The CUDA backend exists only when the build has it (DEEPOBS_WITH_CUDA) and
// a device is actually present; everything else runs on the CPU twin.
#pragma once

#include <string>

namespace deepobs {

enum class DeviceType { CPU, CUDA };

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static constexpr Device cpu() { return {DeviceType::CPU, 0}; }
  static constexpr Device cuda(int i = 0) { return {DeviceType::CUDA, i}; }
  constexpr bool is_cpu() const { return type == DeviceType::CPU; }
  constexpr bool is_cuda() const { return type == DeviceType::CUDA; }
  friend constexpr bool operator==(const Device&, const Device&) = default;

  // "cpu" or "cuda:0".
  std::string str() const;

  // True when this binary was built with the CUDA backend.
  static bool cuda_built();
  // True when built with CUDA and cudaGetDeviceCount succeeded with at least one device. Any CUDA
  // error (no driver, no device, driver too old) means "no GPU"; it never throws or aborts.
  static bool cuda_available();
  // Number of usable CUDA devices (0 whenever cuda_available() is false).
  static int cuda_device_count();
  // Parses "cpu", "cuda", "cuda:N"; throws deepobs::Error naming the text otherwise.
  static Device parse(const std::string& text);
};

}  // namespace deepobs
