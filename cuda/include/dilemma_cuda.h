/*
 * C ABI of libdilemma_cuda, the CUDA kernels of @dilemma/engine.
 *
 * The Node addon opens this library with dlopen at run time, so nothing here
 * may depend on C++ or on CUDA headers, and the layout of everything below is
 * frozen for a given DLM_CUDA_ABI_VERSION: change it, bump the version.
 *
 * Conventions of every entry point:
 *   - returns DLM_CUDA_OK (0) on success, another dlm_cuda_status otherwise
 *     (dlm_cuda_device_count: see there);
 *   - on failure writes a NUL-terminated message into err[0..err_size) when
 *     err is not NULL (truncated to fit); never aborts or throws;
 *   - arrays are float32, row-major [batch, steps], one rollout per row,
 *     with the same shape and value rules as the CPU functions in
 *     native/core/credit.hpp (batch >= 1, steps >= 1, gamma and lambda in
 *     [0, 1], beta finite), which produce the results these must match;
 *   - the *_device variants take device pointers and a cudaStream_t passed
 *     as void* (NULL: the legacy default stream), only enqueue work and do
 *     not synchronize; all others take host pointers, copy in and out, and
 *     return when the result is in `out`. `out` may equal the first input.
 *   - work runs on the calling thread's current device (device 0 unless the
 *     caller selected another).
 */
#ifndef DILEMMA_CUDA_H
#define DILEMMA_CUDA_H

#include <stddef.h>
#include <stdint.h>

#if defined(DLM_CUDA_BUILDING)
#define DLM_CUDA_API __attribute__((visibility("default")))
#else
#define DLM_CUDA_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define DLM_CUDA_ABI_VERSION 1

typedef enum dlm_cuda_status {
  DLM_CUDA_OK = 0,
  DLM_CUDA_ERR_INVALID_ARGUMENT = 1,
  DLM_CUDA_ERR_NO_DRIVER = 2,       /* libcuda could not be loaded */
  DLM_CUDA_ERR_DRIVER_TOO_OLD = 3,  /* the driver predates the runtime the library was built with */
  DLM_CUDA_ERR_NO_DEVICE = 4,
  DLM_CUDA_ERR_OUT_OF_MEMORY = 5,
  DLM_CUDA_ERR_CUDA = 6,            /* any other CUDA failure; the message names the call */
  DLM_CUDA_ERR_INTERNAL = 7
} dlm_cuda_status;

/* Advantage Alignment forms, equal to dilemma::credit::AaForm. */
#define DLM_CUDA_AA_DISCOUNTED 0
#define DLM_CUDA_AA_MEAN 1

typedef struct dlm_cuda_device_props {
  char name[256];
  int compute_major;
  int compute_minor;
  int multiprocessors;
  int memory_clock_khz;      /* 0 when the device does not report it */
  int memory_bus_width_bits; /* 0 when the device does not report it */
  int64_t total_memory_bytes;
  /* 2 (double data rate) x memory clock x bus width; 0 when either is unknown. */
  double peak_bandwidth_gbps;
} dlm_cuda_device_props;

DLM_CUDA_API int dlm_cuda_abi_version(void);

/* Number of CUDA devices (>= 0). 0 also writes why into err ("no CUDA
 * device: ..."). A negative value is -dlm_cuda_status, e.g.
 * -DLM_CUDA_ERR_NO_DRIVER with "no CUDA driver: ..." in err. */
DLM_CUDA_API int dlm_cuda_device_count(char* err, size_t err_size);

DLM_CUDA_API int dlm_cuda_device_info(int device, dlm_cuda_device_props* out, char* err, size_t err_size);

/* Versions as 1000 * major + 10 * minor (13000 = CUDA 13.0); driver is the
 * newest CUDA version the installed driver supports. */
DLM_CUDA_API int dlm_cuda_versions(int* driver, int* runtime, char* err, size_t err_size);

/* out[b, t] = sum_{k >= t} gamma^(k - t) rewards[b, k] */
DLM_CUDA_API int dlm_cuda_discounted_returns(const float* rewards, float* out, int64_t batch, int64_t steps,
                                             float gamma, char* err, size_t err_size);

/* GAE(lambda); values is [batch, steps + 1], its last column bootstrapping the tail. */
DLM_CUDA_API int dlm_cuda_gae(const float* rewards, const float* values, float* out, int64_t batch, int64_t steps,
                              float gamma, float lambda, char* err, size_t err_size);

/* Per step, each rollout minus the mean of the other rollouts of its group.
 * groups: one id per rollout, any int32 values, or NULL for one group. A
 * group of one keeps its value. */
DLM_CUDA_API int dlm_cuda_leave_one_out(const float* values, const int32_t* groups, float* out, int64_t batch,
                                        int64_t steps, char* err, size_t err_size);

/* Advantage Alignment credits; form is DLM_CUDA_AA_DISCOUNTED or DLM_CUDA_AA_MEAN,
 * include_current nonzero for the "jit" form. */
DLM_CUDA_API int dlm_cuda_advantage_alignment(const float* own, const float* others, float* out, int64_t batch,
                                              int64_t steps, float beta, float gamma, int include_current, int form,
                                              char* err, size_t err_size);

DLM_CUDA_API int dlm_cuda_discounted_returns_device(const float* rewards, float* out, int64_t batch, int64_t steps,
                                                    float gamma, void* stream, char* err, size_t err_size);

DLM_CUDA_API int dlm_cuda_gae_device(const float* rewards, const float* values, float* out, int64_t batch,
                                     int64_t steps, float gamma, float lambda, void* stream, char* err,
                                     size_t err_size);

DLM_CUDA_API int dlm_cuda_advantage_alignment_device(const float* own, const float* others, float* out,
                                                     int64_t batch, int64_t steps, float beta, float gamma,
                                                     int include_current, int form, void* stream, char* err,
                                                     size_t err_size);

/* Function pointer types, for callers that resolve the entries with dlsym. */
typedef int (*dlm_cuda_abi_version_fn)(void);
typedef int (*dlm_cuda_device_count_fn)(char*, size_t);
typedef int (*dlm_cuda_device_info_fn)(int, dlm_cuda_device_props*, char*, size_t);
typedef int (*dlm_cuda_versions_fn)(int*, int*, char*, size_t);
typedef int (*dlm_cuda_discounted_returns_fn)(const float*, float*, int64_t, int64_t, float, char*, size_t);
typedef int (*dlm_cuda_gae_fn)(const float*, const float*, float*, int64_t, int64_t, float, float, char*, size_t);
typedef int (*dlm_cuda_leave_one_out_fn)(const float*, const int32_t*, float*, int64_t, int64_t, char*, size_t);
typedef int (*dlm_cuda_advantage_alignment_fn)(const float*, const float*, float*, int64_t, int64_t, float, float, int,
                                               int, char*, size_t);

#ifdef __cplusplus
}
#endif

#endif /* DILEMMA_CUDA_H */
