# ONNX Runtime references for the ONNX benchmark (bench/onnx.bench.ts), built
# on the core's own ORT wrapper; both need the ONNX Runtime headers.
# ort_bare_run: the bare Run of a policy model from C++, the floor under the
# engine's time per step. ort_step_profile: the engine's rollout step and the
# bare Run in one process, for profiling the difference.
if(DILEMMA_WITH_ORT)
  dilemma_bench_tool(ort_bare_run)
  dilemma_bench_tool(ort_step_profile)
endif()
