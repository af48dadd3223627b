# Speed benchmarks (bench/README.md): per-MoE-layer decision latency of every
# registered strategy's runtime, and the simulator on real --compare graphs.
add_executable(moesaic-bench-runtime-decision
  ${CMAKE_CURRENT_LIST_DIR}/runtime_decision.cpp)
target_link_libraries(moesaic-bench-runtime-decision PRIVATE MoesaicDriver
  benchmark::benchmark)
set_target_properties(moesaic-bench-runtime-decision PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)

add_executable(moesaic-bench-sim-real ${CMAKE_CURRENT_LIST_DIR}/sim_real_graph.cpp)
target_link_libraries(moesaic-bench-sim-real PRIVATE MoesaicDriver
  benchmark::benchmark)
target_compile_definitions(moesaic-bench-sim-real PRIVATE
  MOESAIC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
set_target_properties(moesaic-bench-sim-real PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
