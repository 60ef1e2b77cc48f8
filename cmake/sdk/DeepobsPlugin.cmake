# deepobs_add_optimizer_plugin(<name> SOURCES <src>... [CUDA_ARCHITECTURES <arch>...]
#                              [LINK_LIBRARIES <lib>...])
#
# Builds the optimizer plugin lib<name>.so from C, C++ and optional CUDA (.cu) sources against
# deepobs/optimizer_plugin.h, the way `deepobs run --optimizer` and `deepobs validate-plugin` expect:
#   - a MODULE library (loaded with dlopen, never linked against);
#   - hidden visibility for C, C++ and CUDA, and a linker version script that exports exactly one
#     symbol, deepobs_optimizer_entry (so statically linked code cannot clash with the host's);
#   - -Wl,--no-undefined, so a missing symbol fails the build rather than the dlopen;
#   - the build fingerprint as compile definitions, read by DEEPOBS_PLUGIN_FINGERPRINT(name) of
#     deepobs/optimizer_plugin_build.h: DEEPOBS_PLUGIN_CUDART_VERSION (1000*major + 10*minor of the
#     CUDA toolkit, 0 without .cu sources), DEEPOBS_PLUGIN_GPU_ARCHS / DEEPOBS_PLUGIN_NUM_GPU_ARCHS
#     (SASS), DEEPOBS_PLUGIN_PTX_ARCHS / DEEPOBS_PLUGIN_NUM_PTX_ARCHS (embedded PTX),
#     DEEPOBS_PLUGIN_COMPILER, and DEEPOBS_PLUGIN_HAS_CUDA=1 when .cu sources are compiled.
# With .cu sources the CUDA language must be enabled by the caller (project(... LANGUAGES C CXX
# CUDA) or enable_language(CUDA)); the CUDA runtime is linked as a shared library, the same one the
# host uses. CUDA_ARCHITECTURES defaults to CMAKE_CUDA_ARCHITECTURES, else 90 (H100); "90" means
# SASS and PTX for sm_90, "90-real" SASS only, "90-virtual" PTX only.
# This file needs nothing but the target deepobs::optimizer_plugin_headers (created by
# deepobsConfig.cmake after installation, or by the deepobs build tree).

include_guard(GLOBAL)

function(_deepobs_plugin_arch_lists archs out_sass out_ptx)
  set(sass)
  set(ptx)
  foreach(a IN LISTS archs)
    if(a MATCHES "^([0-9]+)[af]?-real$")
      list(APPEND sass ${CMAKE_MATCH_1})
    elseif(a MATCHES "^([0-9]+)[af]?-virtual$")
      list(APPEND ptx ${CMAKE_MATCH_1})
    elseif(a MATCHES "^([0-9]+)[af]?$")
      list(APPEND sass ${CMAKE_MATCH_1})
      list(APPEND ptx ${CMAKE_MATCH_1})
    else()
      message(FATAL_ERROR "deepobs_add_optimizer_plugin: cannot read CUDA architecture '${a}' "
                          "(write e.g. 90, 90-real or 90-virtual)")
    endif()
  endforeach()
  set(${out_sass} "${sass}" PARENT_SCOPE)
  set(${out_ptx} "${ptx}" PARENT_SCOPE)
endfunction()

function(deepobs_add_optimizer_plugin name)
  cmake_parse_arguments(ARG "" "" "SOURCES;CUDA_ARCHITECTURES;LINK_LIBRARIES" ${ARGN})
  if(NOT ARG_SOURCES)
    message(FATAL_ERROR "deepobs_add_optimizer_plugin(${name}): no SOURCES given")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "deepobs_add_optimizer_plugin(${name}): unknown arguments "
                        "'${ARG_UNPARSED_ARGUMENTS}' (expected SOURCES, CUDA_ARCHITECTURES, "
                        "LINK_LIBRARIES)")
  endif()
  if(NOT TARGET deepobs::optimizer_plugin_headers)
    message(FATAL_ERROR "deepobs_add_optimizer_plugin(${name}): the target "
                        "deepobs::optimizer_plugin_headers is missing; call find_package(deepobs)")
  endif()

  set(has_cuda OFF)
  foreach(src IN LISTS ARG_SOURCES)
    if(src MATCHES "\\.cu$")
      set(has_cuda ON)
    endif()
  endforeach()

  add_library(${name} MODULE ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE deepobs::optimizer_plugin_headers ${ARG_LINK_LIBRARIES})
  set_target_properties(${name} PROPERTIES
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    CUDA_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    POSITION_INDEPENDENT_CODE ON)

  # Export only the entry point, whatever the sources or static libraries declare.
  if(CMAKE_SYSTEM_NAME STREQUAL "Linux" OR CMAKE_SYSTEM_NAME MATCHES "BSD")
    set(script ${CMAKE_CURRENT_BINARY_DIR}/${name}_exports.map)
    file(WRITE ${script} "{\n  global: deepobs_optimizer_entry;\n  local: *;\n};\n")
    target_link_options(${name} PRIVATE "LINKER:--version-script=${script}" "LINKER:--no-undefined")
    set_property(TARGET ${name} APPEND PROPERTY LINK_DEPENDS ${script})
    # C plugins reach for <math.h>; with --no-undefined libm must be named (no cost if unused).
    target_link_libraries(${name} PRIVATE m)
  endif()

  set(cudart 0)
  set(sass)
  set(ptx)
  set(compiler "${CMAKE_C_COMPILER_ID} ${CMAKE_C_COMPILER_VERSION}")
  if(NOT CMAKE_C_COMPILER_ID)
    set(compiler "${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}")
  endif()
  if(has_cuda)
    get_property(languages GLOBAL PROPERTY ENABLED_LANGUAGES)
    if(NOT "CUDA" IN_LIST languages)
      message(FATAL_ERROR "deepobs_add_optimizer_plugin(${name}): .cu sources need the CUDA "
                          "language: add CUDA to project(... LANGUAGES ...) or enable_language(CUDA)")
    endif()
    find_package(CUDAToolkit REQUIRED)
    if(ARG_CUDA_ARCHITECTURES)
      set(archs ${ARG_CUDA_ARCHITECTURES})
    elseif(CMAKE_CUDA_ARCHITECTURES AND NOT CMAKE_CUDA_ARCHITECTURES MATCHES "^(all|all-major|native)$")
      set(archs ${CMAKE_CUDA_ARCHITECTURES})
    else()
      set(archs 90)
    endif()
    set_target_properties(${name} PROPERTIES CUDA_ARCHITECTURES "${archs}"
                                             CUDA_RUNTIME_LIBRARY Shared)
    target_link_libraries(${name} PRIVATE CUDA::cudart)
    _deepobs_plugin_arch_lists("${archs}" sass ptx)
    math(EXPR cudart "${CUDAToolkit_VERSION_MAJOR} * 1000 + ${CUDAToolkit_VERSION_MINOR} * 10")
    set(compiler "${compiler} / nvcc ${CMAKE_CUDA_COMPILER_VERSION}")
    target_compile_definitions(${name} PRIVATE DEEPOBS_PLUGIN_HAS_CUDA=1)
  endif()
  list(LENGTH sass num_sass)
  list(LENGTH ptx num_ptx)
  list(JOIN sass "," sass_text)
  list(JOIN ptx "," ptx_text)
  if(num_sass EQUAL 0)
    set(sass_text 0)
  endif()
  if(num_ptx EQUAL 0)
    set(ptx_text 0)
  endif()
  target_compile_definitions(${name} PRIVATE
    DEEPOBS_PLUGIN_CUDART_VERSION=${cudart}
    "DEEPOBS_PLUGIN_GPU_ARCHS=${sass_text}" DEEPOBS_PLUGIN_NUM_GPU_ARCHS=${num_sass}
    "DEEPOBS_PLUGIN_PTX_ARCHS=${ptx_text}" DEEPOBS_PLUGIN_NUM_PTX_ARCHS=${num_ptx}
    "DEEPOBS_PLUGIN_COMPILER=\"${compiler}\"")
endfunction()
