# The C++ benchmark tools: dilemma_bench_tool(name) builds name.cpp from here
# against the core into build-cmake/bench/.
function(dilemma_bench_tool tool)
  add_executable(${tool} ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/${tool}.cpp)
  target_link_libraries(${tool} PRIVATE dilemma_core)
  # tool_args.hpp names the ONNX Runtime library the ONNX tools load by default.
  target_compile_definitions(${tool} PRIVATE DILEMMA_ORT_LIBRARY_DEFAULT="${DILEMMA_ORT_LIBRARY_DEFAULT}")
  set_target_properties(${tool} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
endfunction()

# On the core alone (no ONNX Runtime):
# fused_lane_profile: the fused tabular iteration's lane path against its
# scalar path on a matrix-game variant, in one process.
# draws_profile: the block draws on each instruction set the CPU has,
# against the scalar loop, in one process.
dilemma_bench_tool(fused_lane_profile)
dilemma_bench_tool(draws_profile)
