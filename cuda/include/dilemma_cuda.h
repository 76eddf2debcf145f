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
 *   - every kernel matches a CPU function of native/core, named at its entry
 *     point, and takes the same shapes and values: credit arrays are float32,
 *     row-major [batch, steps], one rollout per row, with the rules of
 *     native/core/credit.hpp (batch >= 1, steps >= 1, gamma and lambda in
 *     [0, 1], beta finite);
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

#define DLM_CUDA_ABI_VERSION 2

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

/* ---- Policy loss and its logits gradient (dilemma::learn::policy_loss, native/core/learn/loss.hpp) ---- */

/* Objectives and normalisations, equal to dilemma::learn::LossObjective and LossNormalize. */
#define DLM_CUDA_LOSS_REINFORCE 0
#define DLM_CUDA_LOSS_PPO 1
#define DLM_CUDA_NORMALIZE_MASK 0
#define DLM_CUDA_NORMALIZE_ROWS 1
#define DLM_CUDA_NORMALIZE_CONSTANT 2

/* The fields and rules of dilemma::learn::LossTerms. */
typedef struct dlm_cuda_loss_terms {
  int32_t objective;  /* DLM_CUDA_LOSS_* */
  float ratio_cap;    /* REINFORCE: cap of the detached ratio, > 0 (+inf: no cap) */
  float clip;         /* PPO: epsilon in [0, 1) */
  float entropy_coef; /* finite */
  float kl_coef;      /* finite, >= 0; > 0 needs a reference */
  int32_t normalize;  /* DLM_CUDA_NORMALIZE_* */
  double normalizer;  /* in [1e-30, 1e30]; read only for DLM_CUDA_NORMALIZE_CONSTANT */
} dlm_cuda_loss_terms;

/* dilemma::learn::LossResult, plus the rows the device entry skipped. */
typedef struct dlm_cuda_loss_result {
  double loss;
  double policy;
  double entropy;
  double kl;
  double clipped_fraction;
  double normalizer;
  int64_t live_rows;
  /* Rows with a mask other than 0 and 1, or a live row's action outside
   * [-1, A): the host entry refuses them (nothing written); the device entry,
   * which cannot read its inputs before it runs, treats them as dead rows
   * (zero gradient) and counts them here. */
  int64_t invalid_rows;
} dlm_cuda_loss_result;

/* Softmax-policy loss over rows of A logits and its gradient with respect to
 * the logits, as policy_loss() computes them: logits, ref_logits, dlogits
 * [rows, A]; actions, credits, mask, behavior_logp, ref_logp [rows]. mask,
 * behavior_logp, ref_logits, ref_logp may be NULL (PPO needs behavior_logp;
 * at most one of ref_logits and ref_logp). dlogits may equal logits. The
 * loss parts are summed in double in a fixed order, so that a call gives the
 * same result every time on any device; that order differs from the CPU's,
 * and so do the last bits of exp and log, hence the tolerance rule.
 *
 * The host entry checks every value as the CPU does (mask values, actions,
 * finite inputs on live rows) and writes nothing on failure. */
DLM_CUDA_API int dlm_cuda_policy_loss(const float* logits, int64_t rows, int32_t A, const int32_t* actions,
                                      const float* credits, const uint8_t* mask, const float* behavior_logp,
                                      const float* ref_logits, const float* ref_logp,
                                      const dlm_cuda_loss_terms* terms, float* dlogits,
                                      dlm_cuda_loss_result* result, char* err, size_t err_size);

/* Device pointers, result included (terms is a host pointer). Checks shapes,
 * pointers and terms only; see invalid_rows. Non-finite inputs on live rows
 * give non-finite outputs. Scratch memory comes from the stream-ordered
 * allocator (cudaMallocAsync) on `stream`. */
DLM_CUDA_API int dlm_cuda_policy_loss_device(const float* logits, int64_t rows, int32_t A, const int32_t* actions,
                                             const float* credits, const uint8_t* mask, const float* behavior_logp,
                                             const float* ref_logits, const float* ref_logp,
                                             const dlm_cuda_loss_terms* terms, float* dlogits,
                                             dlm_cuda_loss_result* result, void* stream, char* err,
                                             size_t err_size);

/* ---- Batched rollout of the iterated 2x2 game (dilemma::rollout, native/core/rollout.cpp) ---- */

/* The parameters of the 'matrix' / 'ipd' game (native/core/games/matrix.cpp). */
typedef struct dlm_cuda_matrix_game {
  float rewards[8];    /* [2 * joint + player], joint = 2 * a0 + a1, action 0 = cooperate; finite */
  double noise;        /* [0, 0.5]: chance that each move is flipped */
  double continuation; /* [0, 1]: chance of another round before the last; 1: always */
  int32_t rounds;      /* [1, 2^20] */
  int32_t history;     /* [1, 8] remembered rounds; observations have 5 * history values */
} dlm_cuda_matrix_game;

#define DLM_CUDA_POLICY_TABULAR 0
#define DLM_CUDA_POLICY_SCRIPTED 1

/* Scripted strategies (native/core/strategies.cpp), equal to dilemma::strategy::Kind. */
#define DLM_CUDA_STRATEGY_ALWAYS_COOPERATE 0
#define DLM_CUDA_STRATEGY_ALWAYS_DEFECT 1
#define DLM_CUDA_STRATEGY_TIT_FOR_TAT 2
#define DLM_CUDA_STRATEGY_SUSPICIOUS_TIT_FOR_TAT 3
#define DLM_CUDA_STRATEGY_GENEROUS_TIT_FOR_TAT 4
#define DLM_CUDA_STRATEGY_GRIM_TRIGGER 5
#define DLM_CUDA_STRATEGY_WIN_STAY_LOSE_SHIFT 6
#define DLM_CUDA_STRATEGY_ALTERNATE 7
#define DLM_CUDA_STRATEGY_RANDOM 8
#define DLM_CUDA_STRATEGY_ZD_EXTORTION 9

/* One agent's policy.
 * Tabular (the 'tabular' model of native/core/learn/tabular.cpp with its
 * `blocks` parameter): the observation is cut into `blocks` blocks of
 * size = 5 * history / blocks; the state is sum_j argmax(block j) * size^j
 * and `table` holds states = size^blocks rows of 2 logits, sampled with
 * sample_logits (native/core/sampling.hpp). blocks must divide 5 * history
 * and states be at most 2^20.
 * Scripted: `strategy` with its parameters; zd holds the zd-extortion
 * cooperation probabilities after CC, CD, DC, DD from this agent's side
 * (dilemma::strategy::zd_probabilities gives them from the payoffs). */
typedef struct dlm_cuda_matrix_policy {
  int32_t kind;       /* DLM_CUDA_POLICY_* */
  int32_t blocks;     /* tabular */
  const float* table; /* tabular: [states, 2] logits; a device pointer for the device entry */
  int32_t strategy;   /* scripted: DLM_CUDA_STRATEGY_* */
  double forgiveness; /* generous tit-for-tat, [0, 1] */
  double p;           /* random, [0, 1] */
  double zd[4];       /* zd-extortion, each in [0, 1] */
} dlm_cuda_matrix_policy;

/* The trajectory arrays of rollout() (TrajectoryView): actions, logp,
 * entropy, rewards [batch, steps, 2]; dones, mask [batch, steps]; obs
 * [batch, steps, 2, 5 * history], the observation each agent acted on.
 * entropy and obs may be NULL (not written). After an episode ends: mask 0,
 * dones 0, actions -1, everything else 0. */
typedef struct dlm_cuda_trajectory {
  int32_t* actions;
  float* logp;
  float* rewards;
  uint8_t* dones;
  uint8_t* mask;
  float* entropy;
  float* obs;
} dlm_cuda_trajectory;

/* The batched rollout with the same results as rollout() for the same game,
 * policies, seed, streams, temperature and greedy flag: environment draws
 * from stream streams[b] (NULL: b), the policies' draws from stream b
 * (domain kSample for tabular, kScripted for scripted policies, slot =
 * agent). Actions, rewards, dones and mask are identical; log-probabilities
 * and entropies follow the tolerance rule (the GPU's exp and log may differ
 * from the CPU's in the last bit). temperature: finite, > 0; greedy nonzero:
 * tabular policies take their most probable action.
 *
 * The host entry checks every table value is finite (the CPU rollout fails
 * on a non-finite logit); in the device entry a non-finite logit gives
 * action -1 and a NaN log-probability at that step and ends that episode. */
DLM_CUDA_API int dlm_cuda_matrix_rollout(const dlm_cuda_matrix_game* game, const dlm_cuda_matrix_policy* policies,
                                         const uint32_t* streams, int64_t batch, int32_t steps, uint64_t seed,
                                         float temperature, int greedy, const dlm_cuda_trajectory* out, char* err,
                                         size_t err_size);

/* Device pointers in policies[k].table, streams and out (game, policies and
 * out themselves are host pointers). */
DLM_CUDA_API int dlm_cuda_matrix_rollout_device(const dlm_cuda_matrix_game* game,
                                                const dlm_cuda_matrix_policy* policies, const uint32_t* streams,
                                                int64_t batch, int32_t steps, uint64_t seed, float temperature,
                                                int greedy, const dlm_cuda_trajectory* out, void* stream, char* err,
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
typedef int (*dlm_cuda_policy_loss_fn)(const float*, int64_t, int32_t, const int32_t*, const float*, const uint8_t*,
                                       const float*, const float*, const float*, const dlm_cuda_loss_terms*, float*,
                                       dlm_cuda_loss_result*, char*, size_t);
typedef int (*dlm_cuda_matrix_rollout_fn)(const dlm_cuda_matrix_game*, const dlm_cuda_matrix_policy*,
                                          const uint32_t*, int64_t, int32_t, uint64_t, float, int,
                                          const dlm_cuda_trajectory*, char*, size_t);

/*
 * Device trainer: whole training iterations of dilemma::learn::Trainer
 * (native/core/learn/trainer_fused.cpp) for an iterated 2x2 game with a
 * tabular or MLP policy, self-play, a leave-one-out baseline, no KL term and no
 * whitening. Parameters, Adam state and trajectories stay on the device; an
 * iteration copies back only its metrics. Enumerations are the core's:
 * algorithm (0 naive, 1 Advantage Alignment, 2 sum of rewards), aa_form
 * (DLM_CUDA_AA_*), objective (0 REINFORCE, 1 PPO), normalize (0 live rows,
 * 1 all rows, 2 constant).
 */
typedef struct dlm_cuda_train_config {
  float rewards[8]; /* matrix::Rules */
  double noise;
  double continuation;
  int32_t rounds;
  int32_t history;
  int64_t states; /* tabular layout */
  int32_t blocks;
  int32_t block_size;
  int64_t batch;
  int32_t steps;
  int32_t epochs;
  uint64_t seed;       /* the Trainer's seed; iteration seeds derive from it */
  int64_t group_size;  /* >= 1 */
  float gamma, beta, temperature;
  int32_t include_current, aa_past_rewards, aa_form, algorithm;
  int32_t objective, normalize;
  float ratio_cap, clip, entropy_coef;
  double normalizer;
  float lr, beta1, beta2, eps, clip_norm;
  int32_t linear_schedule;
  int64_t iterations; /* the schedule's length */
  /* The policy: DLM_CUDA_POLICY_TABULAR (params [states * 2]) or
   * DLM_CUDA_POLICY_MLP (mlp.cpp's flat parameters). An MLP reads the whole
   * observation: history at most 4, states = 5^history, blocks = history and
   * block_size = 5. */
  int32_t policy;
  int32_t mlp_layers;     /* hidden layers + 1, at most 17 */
  int32_t mlp_widths[18]; /* obs_dim (5 * history), the hidden widths, 2 */
  int32_t mlp_relu;       /* 1: ReLU, 0: tanh */
} dlm_cuda_train_config;

#define DLM_CUDA_POLICY_TABULAR 0
#define DLM_CUDA_POLICY_MLP 1

/* The device trainer's limits, checked by dlm_cuda_trainer_create and read by
 * callers deciding whether the device covers a Trainer: tabular states, an
 * MLP's rounds of memory (5^4 = 625 states, one network pass each) and its
 * widest hidden layer. */
#define DLM_CUDA_TRAIN_MAX_STATES 2048
#define DLM_CUDA_MLP_MAX_HISTORY 4
#define DLM_CUDA_MLP_MAX_WIDTH 4096

typedef struct dlm_cuda_train_metrics {
  int64_t iteration;
  double mean_return[2], action0_rate[2];
  double policy_loss, entropy, clipped_fraction, grad_norm, credit_abs_mean;
} dlm_cuda_train_metrics;

typedef struct dlm_cuda_trainer dlm_cuda_trainer;

/* Starts from params, adam_m, adam_v (the policy's parameter count each, host memory), adam_t
 * steps taken and the iteration count. */
DLM_CUDA_API int dlm_cuda_trainer_create(const dlm_cuda_train_config* config, const float* params, const float* adam_m,
                                         const float* adam_v, int64_t adam_t, int64_t iteration,
                                         dlm_cuda_trainer** out, char* err, size_t err_size);
DLM_CUDA_API int dlm_cuda_trainer_iterate(dlm_cuda_trainer* trainer, dlm_cuda_train_metrics* out, char* err,
                                          size_t err_size);
/* Copies the state back (any pointer may be NULL). */
DLM_CUDA_API int dlm_cuda_trainer_state(const dlm_cuda_trainer* trainer, float* params, float* adam_m, float* adam_v,
                                        int64_t* adam_t, int64_t* iteration, char* err, size_t err_size);
DLM_CUDA_API void dlm_cuda_trainer_destroy(dlm_cuda_trainer* trainer);

typedef int (*dlm_cuda_trainer_create_fn)(const dlm_cuda_train_config*, const float*, const float*, const float*,
                                          int64_t, int64_t, dlm_cuda_trainer**, char*, size_t);
typedef int (*dlm_cuda_trainer_iterate_fn)(dlm_cuda_trainer*, dlm_cuda_train_metrics*, char*, size_t);
typedef int (*dlm_cuda_trainer_state_fn)(const dlm_cuda_trainer*, float*, float*, float*, int64_t*, int64_t*, char*,
                                         size_t);
typedef void (*dlm_cuda_trainer_destroy_fn)(dlm_cuda_trainer*);

#ifdef __cplusplus
}
#endif

#endif /* DILEMMA_CUDA_H */
