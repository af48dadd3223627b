# Google Benchmark: the when/where programs of ndp-tp and of er-mapping's
# migrations, interpreted, against the direct runtime code
# (docs/dataflow.md).
if(TARGET benchmark::benchmark)
  add_executable(dataflow_ndp_wafer_bench
    ${CMAKE_CURRENT_LIST_DIR}/dataflow_ndp_wafer_bench.cpp)
  target_link_libraries(dataflow_ndp_wafer_bench PRIVATE
    MoesaicDataflowRuntime MoesaicDialects benchmark::benchmark)
  set_target_properties(dataflow_ndp_wafer_bench PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endif()
