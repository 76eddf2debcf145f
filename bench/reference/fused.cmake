# fused_lane_profile: the fused tabular iteration's lane path against its
# scalar path on a matrix-game variant, in one process (no ONNX Runtime).
add_executable(fused_lane_profile ${CMAKE_CURRENT_LIST_DIR}/fused_lane_profile.cpp)
target_link_libraries(fused_lane_profile PRIVATE dilemma_core)
# tool_args.hpp, shared with the ONNX tools, names the library path macro.
target_compile_definitions(fused_lane_profile PRIVATE DILEMMA_ORT_LIBRARY_DEFAULT="${DILEMMA_ORT_LIBRARY_DEFAULT}")
set_target_properties(fused_lane_profile PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
