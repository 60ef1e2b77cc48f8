# The optimizer plugin SDK (docs/PLUGINS.md): what `cmake --install` puts beside the deepobs
# executable so that a plugin project outside this repository can write
#
#   find_package(deepobs 0.1 REQUIRED)
#   deepobs_add_optimizer_plugin(my_sgd SOURCES my_sgd.c)
#
# Installed: bin/deepobs; include/deepobs/{optimizer_plugin.h, optimizer_plugin_build.h,
# optimizer_plugin_sdk.hpp}; lib/cmake/deepobs/{deepobsConfig.cmake, deepobsConfigVersion.cmake,
# deepobsTargets.cmake, DeepobsPlugin.cmake}. The same function builds the in-tree examples.
# The examples and the validator's test plugins are C; enabled here, in the directory common to
# all of them (CMake asks for the highest one).
enable_language(C)
include(CMakePackageConfigHelpers)
include(GNUInstallDirs)

set(DEEPOBS_SDK_HEADER_DIR ${CMAKE_CURRENT_LIST_DIR}/../../optimizers/include)
add_library(deepobs_optimizer_plugin_headers INTERFACE)
target_include_directories(deepobs_optimizer_plugin_headers INTERFACE
  $<BUILD_INTERFACE:${DEEPOBS_SDK_HEADER_DIR}>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
set_target_properties(deepobs_optimizer_plugin_headers PROPERTIES
  EXPORT_NAME optimizer_plugin_headers)
add_library(deepobs::optimizer_plugin_headers ALIAS deepobs_optimizer_plugin_headers)
include(${CMAKE_CURRENT_LIST_DIR}/DeepobsPlugin.cmake)

set(DEEPOBS_SDK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/deepobs)
install(TARGETS deepobs EXPORT deepobsTargets RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS deepobs_optimizer_plugin_headers EXPORT deepobsTargets)
install(FILES
  ${DEEPOBS_SDK_HEADER_DIR}/deepobs/optimizer_plugin.h
  ${DEEPOBS_SDK_HEADER_DIR}/deepobs/optimizer_plugin_build.h
  ${DEEPOBS_SDK_HEADER_DIR}/deepobs/optimizer_plugin_sdk.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/deepobs)
install(EXPORT deepobsTargets NAMESPACE deepobs:: DESTINATION ${DEEPOBS_SDK_CMAKE_DIR})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/deepobsConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/deepobsConfig.cmake INSTALL_DESTINATION ${DEEPOBS_SDK_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/deepobsConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/deepobsConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/deepobsConfigVersion.cmake
              ${CMAKE_CURRENT_LIST_DIR}/DeepobsPlugin.cmake
        DESTINATION ${DEEPOBS_SDK_CMAKE_DIR})
