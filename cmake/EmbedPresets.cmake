# Writes OUTPUT: a C++ array of {name, text} for every hardware/*.json preset
# (run by lib/Target at build time; see HardwareFile.cpp).
file(GLOB presets "${PRESET_DIR}/*.json")
list(SORT presets)
set(body "static const EmbeddedPreset kEmbeddedPresets[] = {\n")
foreach(p ${presets})
  get_filename_component(name "${p}" NAME_WE)
  file(READ "${p}" text)
  string(APPEND body "  {\"${name}\", R\"moesaic_preset(${text})moesaic_preset\"},\n")
endforeach()
string(APPEND body "};\n")
file(WRITE "${OUTPUT}.tmp" "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUTPUT}.tmp" "${OUTPUT}")
