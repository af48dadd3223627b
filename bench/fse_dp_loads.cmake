# fse-dp's DRAM load order (rule V5), interleaved against sequential on the
# same schedules and traces (bench/README.md).
add_executable(moesaic-bench-fse-dp-loads
  ${CMAKE_CURRENT_LIST_DIR}/fse_dp_loads.cpp)
target_link_libraries(moesaic-bench-fse-dp-loads PRIVATE MoesaicDriver)
target_compile_definitions(moesaic-bench-fse-dp-loads PRIVATE
  MOESAIC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
set_target_properties(moesaic-bench-fse-dp-loads PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
