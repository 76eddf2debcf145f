// Marks functions shared by host code and CUDA kernels. The math written with
// DLM_HD is compiled once for the CPU path and once for the GPU path, so the
// CPU tests already exercise what the kernels run.
#pragma once

#if defined(__CUDACC__)
#define DLM_HD __host__ __device__ __forceinline__
#else
#define DLM_HD inline
#endif
