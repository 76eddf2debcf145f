# ONNX Runtime references for the ONNX benchmark (bench/onnx.bench.ts), built
# on the core's own ORT wrapper; both need the ONNX Runtime headers.
# ort_bare_run: the bare Run of a policy model from C++, the floor under the
# engine's time per step. ort_step_profile: the engine's rollout step and the
# bare Run in one process, for profiling the difference.
if(DILEMMA_WITH_ORT)
  foreach(tool ort_bare_run ort_step_profile)
    add_executable(${tool} ${CMAKE_CURRENT_LIST_DIR}/${tool}.cpp)
    target_link_libraries(${tool} PRIVATE dilemma_core)
    target_compile_definitions(${tool} PRIVATE DILEMMA_ORT_LIBRARY_DEFAULT="${DILEMMA_ORT_LIBRARY_DEFAULT}")
    set_target_properties(${tool} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
  endforeach()
endif()
