// DEEPOBS_HD marks a function callable from host code and, when the header is compiled by nvcc,
// from device code too. The random-number and per-element math headers use it so that the CPU
// kernels and the CUDA kernels run literally the same function and produce the same bits.
#pragma once

#if defined(__CUDACC__)
#define DEEPOBS_HD __host__ __device__
#else
#define DEEPOBS_HD
#endif
