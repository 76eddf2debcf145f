#!/usr/bin/env bash
# The GPU check in one command: builds libdilemma_cuda, its parity tests and
# its benchmarks with CMake, runs the parity tests (credit kernels, policy
# loss, matrix-game rollout: every kernel against its CPU function; the
# device trainer with tabular and MLP policies against the CPU Trainer),
# then the benchmarks (credit and loss bandwidth; rollout and training
# agent-steps per second, tabular and MLP, beside the CPU), and writes into the folder given as the first
# argument (default: bench/results/cuda-<UTC time>/): log.txt, all their
# output, and results.json, every benchmark figure (name, value, unit, the
# CPU's figure on the same work where measured, fraction of the device's
# peak bandwidth) with the device name, the commit and whether every test
# passed. Exits non-zero if any of them failed, after running the rest.
#
# Needs cmake, a C++17 compiler and the CUDA toolkit (nvcc); no Node, no
# network. On a machine without a usable GPU the test and benchmark fail
# rather than skip, since a skip would look like a pass here; set
# DILEMMA_REQUIRE_CUDA=0 to let them skip (to try the build anywhere).
# Environment: DILEMMA_CMAKE_BUILD_DIR (default build-cmake), JOBS (default:
# all cores), CUDACXX (nvcc to use), CUDAHOSTCXX (host compiler for nvcc).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${DILEMMA_CMAKE_BUILD_DIR:-$root/build-cmake}
dir=${1:-$root/bench/results/cuda-$(date -u +%Y%m%dT%H%M%SZ)}
out=$dir/log.txt
records=$dir/results.jsonl
export DILEMMA_REQUIRE_CUDA=${DILEMMA_REQUIRE_CUDA:-1}

# nvcc is often installed without being on PATH.
nvcc=${CUDACXX:-$(command -v nvcc || true)}
if [ -z "$nvcc" ]; then
  for candidate in /usr/local/cuda/bin/nvcc $(ls -d /usr/local/cuda-*/bin/nvcc 2>/dev/null | sort -V -r); do
    if [ -x "$candidate" ]; then
      nvcc=$candidate
      break
    fi
  done
fi
if [ -z "$nvcc" ]; then
  echo "cuda-check: nvcc not found (put the CUDA toolkit's bin on PATH or set CUDACXX)" >&2
  exit 1
fi
echo "cuda-check: nvcc $nvcc: $("$nvcc" --version | tail -1)"

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DDILEMMA_CUDA=ON -DCMAKE_CUDA_COMPILER="$nvcc"
tests="test_cuda_credit test_cuda_loss test_cuda_rollout test_cuda_train"
benches="bench_cuda_credit bench_cuda_rollout bench_cuda_loss bench_cuda_train"
# shellcheck disable=SC2086
cmake --build "$build" -j "${JOBS:-$(nproc)}" --target dilemma_cuda $tests $benches
for target in $tests $benches; do
  if [ ! -x "$build/cuda/$target" ]; then
    echo "cuda-check: the CUDA targets were not built (see the CMake output above)" >&2
    exit 1
  fi
done

mkdir -p "$dir"
: >"$records"
export DILEMMA_BENCH_JSON=$records
{
  echo "# scripts/cuda-check.sh, $(date -u +%Y-%m-%dT%H:%M:%SZ), commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  "$nvcc" --version | tail -1
} >"$out"
status=0
step() {
  echo "== $*" | tee -a "$out"
  if ! "$@" 2>&1 | tee -a "$out"; then
    echo "cuda-check: FAILED: $*" | tee -a "$out"
    status=1
  fi
}
step ctest --test-dir "$build" -L cuda --output-on-failure -V
for bench in $benches; do
  step "$build/cuda/$bench"
done
# results.json: the records as one array, with the device and the verdict.
device=$(grep -m1 '^device: ' "$out" | sed -e 's/^device: //' -e 's/ (.*//' -e 's/[\\"]//g' || true)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
{
  printf '{"script":"scripts/cuda-check.sh","time":"%s","commit":"%s","device":"%s","passed":%s,"results":[\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$commit" "${device:-unknown}" "$([ "$status" = 0 ] && echo true || echo false)"
  sed -e '$!s/$/,/' "$records"
  printf ']}\n'
} >"$dir/results.json"
rm -f "$records"
echo "cuda-check: results written to $dir (log.txt, results.json)"
exit "$status"
