# fse-dp's split holders (rule V6), split against single on the same
# schedules and traces (bench/README.md).
add_executable(moesaic-bench-fse-dp-holders
  ${CMAKE_CURRENT_LIST_DIR}/fse_dp_holders.cpp)
target_link_libraries(moesaic-bench-fse-dp-holders PRIVATE MoesaicDriver)
target_compile_definitions(moesaic-bench-fse-dp-holders PRIVATE
  MOESAIC_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
set_target_properties(moesaic-bench-fse-dp-holders PROPERTIES
  RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
