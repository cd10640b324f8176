# bootpipe_add_plugin(NAME SOURCES src... [LIBRARIES lib...])
# Builds NAME.so as a stage plugin: hidden visibility (only the descriptor
# is exported), linked against libbootpipe, installed beside the shipped
# plugins. Works in the bootpipe tree and in an out-of-tree project that
# did find_package(bootpipe).
function(bootpipe_add_plugin name)
  cmake_parse_arguments(P "" "" "SOURCES;LIBRARIES" ${ARGN})
  set(target plugin-${name})
  add_library(${target} MODULE ${P_SOURCES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME ${name}
    C_VISIBILITY_PRESET hidden)
  if(DEFINED BOOTPIPE_PLUGIN_OUTPUT_DIR)
    set_target_properties(${target} PROPERTIES
      LIBRARY_OUTPUT_DIRECTORY ${BOOTPIPE_PLUGIN_OUTPUT_DIR})
  endif()
  target_link_libraries(${target} PRIVATE bootpipe::bootpipe ${P_LIBRARIES})
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  include(GNUInstallDirs)
  install(TARGETS ${target} LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}/bootpipe/plugins)
endfunction()
