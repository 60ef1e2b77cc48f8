// Device memory of the CUDA backend: the caching allocator and the copies between host and device.
// CUDA-free header (core/ uses it in every build; defined only in a CUDA build).
//
// The caching allocator rounds every request up to a size class (multiples of 512 bytes up to
// 1 MiB, then powers of two, then multiples of 2 MiB above 64 MiB... see caching_allocator.cpp),
// and keeps freed blocks in per-class free lists, so a training loop whose tensor sizes repeat
// every step calls cudaMalloc only in its first step and never cudaFree. Blocks are handed out in
// stream order on the device's context stream, so reuse needs no synchronisation. When cudaMalloc
// fails the cache is emptied (cudaFree of every free block) and the request retried once; a second
// failure throws CudaError naming the size and the current/peak statistics.
#pragma once

#include <cstddef>
#include <cstdint>

namespace deepobs::kernels::cuda {

struct DeviceMemoryStats {
  std::int64_t current_bytes = 0;   // bytes handed out and not yet returned (size classes)
  std::int64_t peak_bytes = 0;      // maximum of current_bytes
  std::int64_t reserved_bytes = 0;  // bytes held from cudaMalloc (handed out + cached)
  std::int64_t cuda_malloc_calls = 0;
  std::int64_t cuda_free_calls = 0;
  std::int64_t allocations = 0;  // allocate() calls served (from the cache or cudaMalloc)
};

// Returns device memory of at least `bytes` bytes on device `device` (nullptr for 0 bytes),
// 256-byte aligned. Throws CudaError when the memory cannot be had.
void* device_allocate(int device, std::size_t bytes);
// Returns a block from device_allocate (same device and size) to the cache.
void device_deallocate(int device, void* ptr, std::size_t bytes);
DeviceMemoryStats device_memory_stats(int device);
// Frees every cached (unused) block of the device with cudaFree.
void device_empty_cache(int device);

// Private pools, for CUDA-graph capture: the blocks a recorded graph uses must not be handed to
// anyone else while the graph may replay, since a replay writes them again. Between
// begin_private_pool and end_private_pool every allocation on the device is served from (and
// owned by) a new pool: its own free blocks first, then blocks taken over from the shared cache,
// then cudaMalloc. A pool's block freed at any time goes back to the pool, never to the shared
// cache, until release_private_pool hands every block of the pool back to the shared cache (those
// still in use return there when freed). One pool is open per device at a time; begin throws
// CudaError when one is already open, release when `pool` is unknown.
int device_begin_private_pool(int device);
void device_end_private_pool(int device);
void device_release_private_pool(int device, int pool);
// Blocks owned by pool `pool` (in use or free in it); 0 for an unknown pool.
std::int64_t device_private_pool_blocks(int device, int pool);

// Copies on the device's context stream. Host memory may be pageable; the host-to-device and
// device-to-host forms return only once the copy has finished (the host buffer may be reused at
// once). The _async forms need host memory from host_pinned_allocate and return immediately.
void copy_host_to_device(int device, void* dst, const void* src, std::size_t bytes);
void copy_device_to_host(int device, void* dst, const void* src, std::size_t bytes);
void copy_device_to_device(int device, void* dst, const void* src, std::size_t bytes);
void copy_host_to_device_async(int device, void* dst, const void* pinned_src, std::size_t bytes);
void copy_device_to_host_async(int device, void* pinned_dst, const void* src, std::size_t bytes);
// Sets `bytes` bytes to zero, asynchronously on the context stream.
void memset_zero(int device, void* dst, std::size_t bytes);

// Page-locked host memory for asynchronous copies (cudaMallocHost / cudaFreeHost).
void* host_pinned_allocate(std::size_t bytes);
void host_pinned_deallocate(void* ptr);

}  // namespace deepobs::kernels::cuda

namespace deepobs::kernels::cuda {

// Copies `bytes` bytes from device `src_device` to device `dst_device` (peer copy through the
// driver when the devices differ; a stream-ordered copy when they are the same). Between two
// devices both streams are synchronised, so this is for moving tensors, not for per-step work.
void copy_between_devices(int dst_device, void* dst, int src_device, const void* src,
                          std::size_t bytes);

}  // namespace deepobs::kernels::cuda
