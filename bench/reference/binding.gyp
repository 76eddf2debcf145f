# The benchmark's reference loops ("the limit"): single-pass, single-thread
# C++ versions of the benchmarked work, built on demand by
# scripts/build-bench-reference.mjs and never shipped with the package.
{
  "targets": [
    {
      "target_name": "dilemma_reference",
      "sources": [
        "loops/registry.cc",
        "loops/ipd_train.cc",
        "loops/ipd_rollout.cc",
        "loops/ipd_tournament.cc",
        "loops/credit_aa.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "../../native/core"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17"
      }
    }
  ]
}
