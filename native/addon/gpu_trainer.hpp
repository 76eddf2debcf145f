// The device trainer (dlm_cuda_trainer_*) behind the addon's Trainer: which
// configs it covers, and a handle that keeps the device copy of the state
// and the CPU trainer's copy in step, so that state(), policy(),
// checkpoints and exports read the parameters the device trained.
#pragma once

#include <memory>
#include <string>

#include "gpu_entries.hpp"
#include "learn/trainer.hpp"

namespace dilemma::addon::gpu {

// Why the device trainer does not cover `t`'s config (empty when it does):
// the scope of Trainer::fused_applies (iterated 2x2 game, tabular policy,
// leave-one-out baseline, no KL term, no game statistics) narrowed to the
// device's (self-play without a snapshot buffer, no whitening, a table of
// at most 2048 states).
std::string trainer_not_covered(const learn::Trainer& t);

class DeviceTrainer;

// The device handle for `t`, or nullptr when `want` is kNo, or kAuto and the
// device trainer does not cover `t` or the library is unavailable. kCuda:
// ERR_BACKEND_UNAVAILABLE naming what is not covered, else why the library
// or its trainer is unavailable. Nothing is allocated on the device yet.
std::shared_ptr<DeviceTrainer> attach_trainer(Want want, const learn::Trainer& t);

// One iteration on the device, (re)creating the device state from `cpu`'s
// when the CPU copy changed since; metrics as Trainer::iterate reports them.
// Off the event loop; one call at a time on a handle (the wrap's busy flag).
learn::IterationMetrics device_iterate(DeviceTrainer& d, learn::Trainer& cpu);

// Copies the device state into `cpu` when the device ran iterations since
// the last copy (before anything reads or changes the CPU trainer).
void device_pull(DeviceTrainer& d, learn::Trainer& cpu);

// The CPU trainer's state changed (restore, fitActions): the next iteration
// starts the device from it.
void device_invalidate(DeviceTrainer& d);

}  // namespace dilemma::addon::gpu
