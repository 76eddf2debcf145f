// The engine's size limits: the one table every check reads. The addon
// exports it (limits()), and TypeScript's LIMITS is generated from that export
// (scripts/gen-limits.ts writes src/generated/limits.ts), so a number here is
// written nowhere else; test/limits-table.test.ts fails when one is repeated
// as a literal in a check.
#pragma once

#include <cstdint>

namespace dilemma::limits {

// Elements of one array, input or result (a JavaScript typed array's index
// must fit an int32 for the engine's loops).
inline constexpr int64_t kMaxElements = (int64_t{1} << 31) - 1;
// Bytes of one result array: Node refuses larger external ArrayBuffers, and
// its refusal frees the memory it was handed before reporting failure.
inline constexpr int64_t kMaxResultBytes = int64_t{1} << 32;
// Environments in an Env batch or a rollout.
inline constexpr int64_t kMaxBatch = kMaxElements;
// Steps of one rollout or tournament match, and repetitions of a tournament.
inline constexpr int kMaxRolloutSteps = 1 << 24;
// Rounds of a game (its maximum episode length).
inline constexpr int kMaxRounds = 1 << 20;
// Episodes per training iteration.
inline constexpr int kMaxTrainBatch = 1 << 24;
// Steps per episode in training.
inline constexpr int kMaxTrainSteps = 1 << 20;
// Width of a model layer, observation size or action count of a trainable
// model: the ONNX writer's limit too, so every trained model can be exported.
inline constexpr int kMaxModelDim = 1 << 16;
// Parameters of one trainable model.
inline constexpr int64_t kMaxModelParams = int64_t{1} << 27;
// Threads of a rollout, a trainer or the engine default.
inline constexpr int kMaxThreads = 1024;
// Policies (seats or players) in one rollout or tournament.
inline constexpr int kMaxPolicies = 1024;
// Bytes of an ONNX model, given as bytes or as a file: protobuf's own limit
// on one message (2 GiB less a byte), which ONNX Runtime's parser enforces.
inline constexpr int64_t kMaxModelBytes = (int64_t{1} << 31) - 1;
// Characters of a string argument (names, paths, labels).
inline constexpr int kMaxStringLength = 4096;
// Numbers in one array-valued game or strategy parameter.
inline constexpr int kMaxParamArrayLength = 4096;
// Keys of one parameters object.
inline constexpr int kMaxParamKeys = 256;
// Bounds of a loss's numeric normaliser, so that its reciprocal is a normal float32.
inline constexpr double kMinNormalizer = 1e-30;
inline constexpr double kMaxNormalizer = 1e30;

// One row of the exported table: the name TypeScript sees, the value, a line of doc.
struct Limit {
  const char* name;
  double value;
  const char* doc;
};

// Every limit above, in the order LIMITS lists them. Each value is exact as a double.
inline constexpr Limit kTable[] = {
    {"maxElements", static_cast<double>(kMaxElements), "Elements in one array, input or result."},
    {"maxResultBytes", static_cast<double>(kMaxResultBytes),
     "Bytes of one result array the engine allocates: Node refuses larger external ArrayBuffers."},
    {"maxBatch", static_cast<double>(kMaxBatch), "Environments in an Env batch or a rollout."},
    {"maxRolloutSteps", kMaxRolloutSteps, "Steps of one rollout or tournament match, and repetitions of a tournament."},
    {"maxRounds", kMaxRounds, "Rounds of a game (its maximum episode length)."},
    {"maxTrainBatch", kMaxTrainBatch, "Episodes per training iteration."},
    {"maxTrainSteps", kMaxTrainSteps, "Steps per episode in training."},
    {"maxModelDim", kMaxModelDim, "Width of a model layer, observation size or action count of a trainable model."},
    {"maxModelParams", static_cast<double>(kMaxModelParams), "Parameters of one trainable model."},
    {"maxThreads", kMaxThreads, "Threads of a rollout, a trainer or the engine default."},
    {"maxPolicies", kMaxPolicies, "Policies (seats or players) in one rollout or tournament."},
    {"maxModelBytes", static_cast<double>(kMaxModelBytes), "Bytes of an ONNX model given as bytes or as a file."},
    {"maxStringLength", kMaxStringLength, "Characters of a string argument (names, paths, labels)."},
    {"maxParamArrayLength", kMaxParamArrayLength, "Numbers in one array-valued game or strategy parameter."},
    {"maxParamKeys", kMaxParamKeys, "Keys of one parameters object."},
    {"minNormalizer", kMinNormalizer, "Smallest numeric `normalize` of a loss call."},
    {"maxNormalizer", kMaxNormalizer, "Largest numeric `normalize` of a loss call."},
};

}  // namespace dilemma::limits
