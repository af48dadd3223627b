# The wafer strategies' table (bench/wafer.sh runs it).
add_executable(moesaic-bench-wafer ${CMAKE_CURRENT_LIST_DIR}/wafer_bench.cpp)
target_link_libraries(moesaic-bench-wafer PRIVATE MoesaicWafer MoesaicDialects MLIR LLVM)
set_target_properties(moesaic-bench-wafer PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
