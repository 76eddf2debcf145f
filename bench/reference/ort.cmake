# ort_bare_run: ONNX Runtime's bare Run of a policy model from C++, through
# the core's own ORT wrapper, for the ONNX benchmark (bench/onnx.bench.ts) to
# set the engine's time per step against. Needs the ONNX Runtime headers.
if(DILEMMA_WITH_ORT)
  add_executable(ort_bare_run ${CMAKE_CURRENT_LIST_DIR}/ort_bare_run.cpp)
  target_link_libraries(ort_bare_run PRIVATE dilemma_core)
  target_compile_definitions(ort_bare_run PRIVATE DILEMMA_ORT_LIBRARY_DEFAULT="${DILEMMA_ORT_LIBRARY_DEFAULT}")
  set_target_properties(ort_bare_run PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bench)
endif()
