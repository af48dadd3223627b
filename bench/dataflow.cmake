# Google Benchmark: the when/where program of an fse-dp layer, interpreted,
# against the direct runtime scheduler (docs/dataflow.md).
if(TARGET benchmark::benchmark)
  add_executable(dataflow_bench ${CMAKE_CURRENT_LIST_DIR}/dataflow_bench.cpp)
  target_link_libraries(dataflow_bench PRIVATE MoesaicDataflowRuntime
    MoesaicDialects benchmark::benchmark)
  set_target_properties(dataflow_bench PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
endif()
