// The native training loop: self-play rollouts (with an optional buffer of
// past opponents), credits (naive, Advantage Alignment, sum of rewards) over
// a group-relative or critic baseline, the policy-gradient loss, backward and
// Adam. Every random choice is keyed by (seed, iteration), so a run restored
// from its state continues exactly as the uninterrupted run.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "../credit_math.hpp"
#include "../game.hpp"
#include "loss.hpp"
#include "model.hpp"
#include "optim.hpp"

namespace dilemma::learn {

enum class Algorithm { kNaive, kAdvantageAlignment, kSumOfRewards };
enum class Baseline { kLeaveOneOut, kCritic };

// The default of a numeric setting as its spec declares it
// (trainer_config.cpp): the members below start from the specs' values. The
// settings whose C++ default differs from the user-facing one (iterations,
// lr, and those read as "unset" when 0) keep their own.
double trainer_default(const char* name);

struct TrainerConfig {
  std::shared_ptr<const Game> game;
  std::shared_ptr<const Model> model;
  std::shared_ptr<const Model> critic;  // required for Baseline::kCritic (one output: the value)
  Algorithm algorithm = Algorithm::kAdvantageAlignment;
  Baseline baseline = Baseline::kLeaveOneOut;
  int64_t batch = static_cast<int64_t>(trainer_default("batch"));
  int steps = 0;           // 0: the game's maximum episode length
  uint64_t seed = 0;
  int64_t group_size = 0;  // rollouts sharing random numbers and a leave-one-out baseline; 0: the whole batch
  float gamma = static_cast<float>(trainer_default("gamma"));
  float lambda = static_cast<float>(trainer_default("lambda"));  // GAE, with a critic
  float beta = static_cast<float>(trainer_default("beta"));  // Advantage Alignment weight
  bool include_current = trainer_default("includeCurrent") != 0;
  credit::AaForm aa_form = credit::AaForm::kDiscounted;
  // What Advantage Alignment sums in its weight w_t over the learner's past
  // steps k < t: its advantages (returns-to-go from k against the baseline),
  // or its one-step rewards against the same leave-one-out baseline. Returns
  // from k < t include everything from t on, the learner's current action
  // included, so with `kAdvantages` w_t and the opponent's advantage at t both
  // fall after a move the opponent retaliates against, and their product
  // rewards that move: the weight reads the learner's own defection as the
  // opponent's. Rewards up to t - 1 are fixed before step t.
  enum class AaPast { kAdvantages, kRewards } aa_past = AaPast::kAdvantages;
  bool whiten_credits = false;
  LossTerms loss;
  int epochs = static_cast<int>(trainer_default("epochs"));  // passes over each batch (more than one for the proximal objective)
  AdamOptions adam;
  AdamOptions critic_adam;
  // Learning-rate schedule over `iterations`: constant, or decaying linearly
  // to zero (which freezes what the run has found instead of letting it drift).
  enum class Schedule { kConstant, kLinear } schedule = Schedule::kConstant;
  int64_t iterations = 0;  // the run's length, for the schedule
  float buffer_probability = static_cast<float>(trainer_default("bufferProbability"));  // chance that the opponent is a past snapshot
  int buffer_size = static_cast<int>(trainer_default("bufferSize"));  // snapshots kept (oldest dropped)
  int snapshot_every = static_cast<int>(trainer_default("snapshotEvery"));  // iterations between snapshots
  float temperature = static_cast<float>(trainer_default("temperature"));
  int threads = 0;
  // Matrix games with a tabular policy take the fused iteration, which gives
  // the general path's numbers; false forces the general path (for tests
  // and benchmarks that compare the two).
  bool fused = true;
};

struct IterationMetrics {
  int64_t iteration = 0;
  std::vector<double> mean_return;   // per agent, per episode
  std::vector<double> action0_rate;  // per agent: share of taken steps with action 0 (cooperate)
  double entropy = 0;                // learner's mean policy entropy
  double policy_loss = 0;
  double kl = 0;
  double clipped_fraction = 0;
  double grad_norm = 0;
  double critic_loss = 0;
  double credit_abs_mean = 0;        // mean |credit| of the learner
  bool buffer_opponent = false;
  int buffer_size = 0;
  std::vector<double> game_stats;    // per named game statistic, mean per episode
};

// One supervised step's numbers (Trainer::fit_actions).
struct FitMetrics {
  double loss = 0;       // mean -log pi(a | obs) over live rows, before the step
  double grad_norm = 0;  // global gradient norm before clipping
  int64_t live_rows = 0;
};

// Everything needed to resume (checkpoints hold exactly this plus the config).
struct TrainerState {
  int64_t iteration = 0;
  std::vector<float> params, adam_m, adam_v;
  int64_t adam_t = 0;
  std::vector<float> critic_params, critic_m, critic_v;
  int64_t critic_t = 0;
  std::vector<std::vector<float>> buffer;
};

class Trainer {
 public:
  explicit Trainer(TrainerConfig config);
  IterationMetrics iterate();
  // Behaviour cloning: one Adam step on the mean negative log-likelihood of
  // given actions under the policy, i.e. the policy-gradient loss with
  // credit 1 on every chosen action, no importance ratio and no entropy or
  // KL term. obs [B, T, obs_dim] are sequences (a recurrent model starts
  // each at zero state), actions and mask [B, T] (mask may be null; action
  // -1 marks padding). Leaves the iteration count alone, so a cloned
  // policy's params() can start any run as a warm start. Throws
  // ERR_INVALID_ARGUMENT on bad sizes, actions or non-finite logits.
  FitMetrics fit_actions(const float* obs, const int32_t* actions, const uint8_t* mask, int64_t B, int64_t T);
  TrainerState state() const;
  void restore(const TrainerState& s);  // checks sizes; throws ERR_INVALID_ARGUMENT
  const TrainerConfig& config() const { return cfg_; }
  int steps() const { return steps_; }  // rollout steps per iteration (config.steps, or the game's maximum)
  std::shared_ptr<const std::vector<float>> params_snapshot() const;
  // Whether iterate() takes the fused matrix-game path (trainer_fused.cpp):
  // a 2x2 game with a tabular policy and a leave-one-out baseline, the
  // general path's numbers with the rollout, credits and gradient fused.
  bool fused_applies() const;
  // Iterations done (what state().iteration says, without copying the state).
  int64_t iteration() const { return iteration_; }

  // The buffers an iteration keeps for the next (trainer_stages.hpp).
  struct Workspace;

 private:
  uint64_t iteration_seed(uint32_t purpose) const;
  // Counts the iteration and takes the buffer's snapshot.
  void advance(IterationMetrics& m);
  IterationMetrics iterate_fused(IterationMetrics m, const std::vector<int>& seats, const std::vector<float>* opponent);

  TrainerConfig cfg_;
  int steps_;
  int64_t iteration_ = 0;
  std::vector<float> params_;
  Adam adam_;
  std::vector<float> critic_params_;
  Adam critic_adam_;
  std::vector<std::vector<float>> buffer_;
  std::shared_ptr<Workspace> ws_;
};

}  // namespace dilemma::learn
