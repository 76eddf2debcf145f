#include "trainer_config.hpp"

#include <cmath>

#include "../error.hpp"
#include "../limits.hpp"

namespace dilemma::learn {

namespace {

using S = ParamSpec;

// The largest integer a JavaScript number holds exactly.
constexpr double kMaxSafeInteger = 9007199254740991.0;

}  // namespace

const ParamSpecs& trainer_param_specs() {
  static const ParamSpecs specs = {
      S::choice("algorithm", "advantage-alignment", {"naive", "advantage-alignment", "sum-of-rewards"},
                "naive (independent policy gradient), advantage-alignment, or sum-of-rewards (prosocial)."),
      S::choice("baseline", "leave-one-out", {"leave-one-out", "critic"},
                "leave-one-out (group-relative, no critic) or critic (GAE with a learned value model)."),
      S::integer("iterations", 100, 0, 1000000000, "Iterations to train (the linear schedule's length)."),
      S::integer("batch", 512, 1, limits::kMaxTrainBatch, "Episodes per iteration."),
      S::integer("steps", 0, 1, limits::kMaxTrainSteps, "Steps per episode; default the game's maximum length.").computed_default(),
      S::number("seed", 0, 0, kMaxSafeInteger, "Seed of every random choice, an integer."),
      S::integer("groupSize", 0, 1, limits::kMaxTrainBatch,
                 "Episodes per common-random-number group (the leave-one-out baseline's groups), at most batch; "
                 "default the whole batch.")
          .computed_default(),
      S::number("gamma", 0.9, 0, 1, "Discount."),
      S::number("lambda", 0.95, 0, 1, "GAE lambda, used with baseline 'critic'."),
      S::number("beta", 0.5, -1e6, 1e6, "Advantage Alignment weight."),
      S::flag("includeCurrent", false, "Advantage Alignment: include step t in the sum of past advantages."),
      S::choice("aaForm", "discounted", {"discounted", "mean"},
                "Advantage Alignment weight form (see AdvantageAlignmentOptions.form)."),
      S::choice("aaPast", "advantages", {"advantages", "rewards"},
                "What the Advantage Alignment weight sums over the learner's past steps: its advantages "
                "(returns-to-go against the baseline), or its one-step rewards against the leave-one-out mean of "
                "its group."),
      S::flag("whitenCredits", false, "Whiten the learner's credits over the batch before the loss."),
      S::choice("objective", "reinforce", {"reinforce", "ppo"},
                "reinforce (capped importance ratio) or ppo (Proximal Advantage Alignment with `epochs` passes)."),
      S::number("ratioCap", 2, 1e-6, 1e6, "reinforce: the cap on the importance ratio."),
      S::number("clip", 0.2, 0, 1, "ppo: the clip epsilon."),
      S::number("entropyCoef", 0, 0, 1e6, "Weight of the entropy bonus."),
      S::integer("epochs", 1, 1, 1000, "Passes over each batch (more than one for ppo)."),
      S::number("lr", 0.05, 0, 1e3, "Adam learning rate."),
      S::number("adamBeta1", 0.9, 0, 0.999999, "Adam's first-moment decay; absent, Adam's usual 0.9.")
          .computed_default(),
      S::number("adamBeta2", 0.999, 0, 0.999999, "Adam's second-moment decay; absent, Adam's usual 0.999.")
          .computed_default(),
      S::choice("lrSchedule", "constant", {"constant", "linear"},
                "constant, or linear decay to zero over `iterations`."),
      S::number("clipNorm", 0, 0, 1e9, "Global gradient-norm clip (0: none)."),
      S::number("criticLr", 0, 0, 1e3, "Adam learning rate of the critic; default lr.").computed_default(),
      S::number("bufferProbability", 0, 0, 1,
                "Probability that the opponent is a past snapshot (the seed paper uses 0.5)."),
      S::integer("bufferSize", 0, 0, 1 << 16, "Past policy snapshots kept as opponents (oldest dropped)."),
      S::integer("snapshotEvery", 1, 1, 1 << 30, "Iterations between snapshots added to the buffer."),
      S::number("temperature", 1, 1e-6, 1e6, "Softmax temperature of the acting policy in rollouts."),
      S::integer("threads", 0, 1, limits::kMaxThreads, "Threads for this trainer; default the engine's (see setThreads).")
          .computed_default(),
  };
  return specs;
}

double trainer_default(const char* name) { return spec_of(trainer_param_specs(), name).fallback; }

namespace {

const ParamSpec& spec(const char* name) { return spec_of(trainer_param_specs(), name); }

[[noreturn]] void invalid(const std::string& message) { throw Error(codes::kInvalidParam, "config." + message); }

void in_range(const char* name, double v) {
  const ParamSpec& s = spec(name);
  if (!(v >= s.lo && v <= s.hi))
    invalid(std::string(name) + " must be in [" + format_number(s.lo) + ", " + format_number(s.hi) + "], got " +
            format_number(v));
}

// A float setting holds its value rounded to float: compared with the range's
// ends rounded the same way, every value the spec allows passes.
void in_range(const char* name, float v) {
  const ParamSpec& s = spec(name);
  if (!(v >= static_cast<float>(s.lo) && v <= static_cast<float>(s.hi)))
    invalid(std::string(name) + " must be in [" + format_number(s.lo) + ", " + format_number(s.hi) + "], got " +
            format_number(v));
}

template <typename E>
E enum_of(const Params& p, const char* name, std::initializer_list<E> values) {
  const ParamSpec& s = spec(name);
  const std::string v = p.choice(s);
  auto it = values.begin();
  for (const auto& c : s.choices) {
    if (c == v) return *it;
    ++it;
  }
  return *values.begin();  // unreachable: choice() accepts only s.choices
}

// What trainer_config_from reads without a spec's default: absent is unset (0).
int optional_integer(const Params& p, const char* name) {
  const ParamSpec& s = spec(name);
  return p.has(name) ? p.integer(s) : 0;
}

}  // namespace

TrainerConfig trainer_config_from(const Params& p) {
  TrainerConfig c;
  c.algorithm = enum_of(p, "algorithm", {Algorithm::kNaive, Algorithm::kAdvantageAlignment, Algorithm::kSumOfRewards});
  c.baseline = enum_of(p, "baseline", {Baseline::kLeaveOneOut, Baseline::kCritic});
  c.iterations = p.integer(spec("iterations"));
  c.batch = p.integer(spec("batch"));
  c.steps = optional_integer(p, "steps");
  const double seed = p.number(spec("seed"));
  if (std::floor(seed) != seed) invalid("seed must be an integer, got " + format_number(seed));
  c.seed = static_cast<uint64_t>(seed);
  c.group_size = optional_integer(p, "groupSize");
  c.gamma = static_cast<float>(p.number(spec("gamma")));
  c.lambda = static_cast<float>(p.number(spec("lambda")));
  c.beta = static_cast<float>(p.number(spec("beta")));
  c.include_current = p.flag(spec("includeCurrent"));
  c.aa_form = enum_of(p, "aaForm", {credit::AaForm::kDiscounted, credit::AaForm::kMean});
  c.aa_past = enum_of(p, "aaPast", {TrainerConfig::AaPast::kAdvantages, TrainerConfig::AaPast::kRewards});
  c.whiten_credits = p.flag(spec("whitenCredits"));
  c.loss.objective = enum_of(p, "objective", {LossObjective::kReinforce, LossObjective::kPpo});
  c.loss.ratio_cap = static_cast<float>(p.number(spec("ratioCap")));
  c.loss.clip = static_cast<float>(p.number(spec("clip")));
  c.loss.entropy_coef = static_cast<float>(p.number(spec("entropyCoef")));
  c.epochs = p.integer(spec("epochs"));
  c.adam.lr = static_cast<float>(p.number(spec("lr")));
  c.adam.beta1 = static_cast<float>(p.number(spec("adamBeta1")));
  c.adam.beta2 = static_cast<float>(p.number(spec("adamBeta2")));
  c.adam.clip_norm = static_cast<float>(p.number(spec("clipNorm")));
  c.schedule = enum_of(p, "lrSchedule", {TrainerConfig::Schedule::kConstant, TrainerConfig::Schedule::kLinear});
  c.critic_adam = c.adam;
  const ParamSpec& critic_lr = spec("criticLr");
  c.critic_adam.lr = static_cast<float>(p.number(critic_lr.name, c.adam.lr, critic_lr.lo, critic_lr.hi));
  c.buffer_probability = static_cast<float>(p.number(spec("bufferProbability")));
  c.buffer_size = p.integer(spec("bufferSize"));
  c.snapshot_every = p.integer(spec("snapshotEvery"));
  c.temperature = static_cast<float>(p.number(spec("temperature")));
  c.threads = optional_integer(p, "threads");
  check_trainer_config(c);
  return c;
}

void check_trainer_config(const TrainerConfig& c) {
  in_range("batch", static_cast<double>(c.batch));
  if (c.steps != 0) in_range("steps", static_cast<double>(c.steps));
  // The rule between two settings: groups split the batch.
  if (c.group_size != 0) {
    in_range("groupSize", static_cast<double>(c.group_size));
    if (c.group_size > c.batch)
      invalid("groupSize must not exceed batch (" + std::to_string(c.batch) + "), got " + std::to_string(c.group_size));
  }
  in_range("gamma", c.gamma);
  in_range("lambda", c.lambda);
  in_range("beta", c.beta);
  in_range("epochs", static_cast<double>(c.epochs));
  in_range("bufferProbability", c.buffer_probability);
  in_range("bufferSize", static_cast<double>(c.buffer_size));
  in_range("snapshotEvery", static_cast<double>(c.snapshot_every));
  in_range("temperature", c.temperature);
}

}  // namespace dilemma::learn
