# Google Benchmark of the FSE-DP runtime scheduler's per-layer decision.
if(TARGET benchmark::benchmark)
  add_executable(fse_dp_scheduler_bench
    ${CMAKE_CURRENT_LIST_DIR}/fse_dp_scheduler_bench.cpp)
  target_link_libraries(fse_dp_scheduler_bench PRIVATE MoesaicFseDpRuntime
    benchmark::benchmark)
endif()
