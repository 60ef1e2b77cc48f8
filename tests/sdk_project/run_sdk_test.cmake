# ctest plugin_sdk_out_of_tree (tests/CMakeLists.txt): the SDK as a researcher outside this
# repository uses it (docs/PLUGINS.md). Arguments: BUILD_DIR (a built deepobs tree), PROJECT_DIR
# (this folder), WORK_DIR (scratch, wiped), GENERATOR.
#   1. cmake --install BUILD_DIR --prefix WORK_DIR/prefix
#   2. configure + build PROJECT_DIR against it with find_package(deepobs) (nothing else on the
#      search path: CMAKE_PREFIX_PATH is the prefix only)
#   3. the installed deepobs validates the plugin, then trains it for one epoch on quadratic_deep
foreach(var BUILD_DIR PROJECT_DIR WORK_DIR GENERATOR)
  if(NOT ${var})
    message(FATAL_ERROR "run_sdk_test.cmake: -D${var}=... is required")
  endif()
endforeach()
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)

function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message(STATUS "${what}:\n${out}${err}")
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "${what} failed (exit ${code})")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

step("install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f bin/deepobs include/deepobs/optimizer_plugin.h include/deepobs/optimizer_plugin_sdk.hpp
          include/deepobs/optimizer_plugin_build.h lib/cmake/deepobs/deepobsConfig.cmake
          lib/cmake/deepobs/deepobsConfigVersion.cmake lib/cmake/deepobs/DeepobsPlugin.cmake)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "the install lacks ${f}")
  endif()
endforeach()

step("configure" ${CMAKE_COMMAND} -S ${PROJECT_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
     -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
step("build" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
set(plugin ${WORK_DIR}/build/libsign_sgd.so)
if(NOT EXISTS ${plugin})
  message(FATAL_ERROR "the build did not produce ${plugin}")
endif()

step("validate" ${prefix}/bin/deepobs validate-plugin ${plugin} --json)
string(JSON valid GET "${last_output}" valid)
if(NOT valid)
  message(FATAL_ERROR "validate-plugin says the plugin is not valid")
endif()

step("run" ${prefix}/bin/deepobs run quadratic_deep --optimizer ${plugin} --lr 0.01
     --num_epochs 1 --output_dir ${WORK_DIR}/results --quiet)
file(GLOB_RECURSE results ${WORK_DIR}/results/quadratic_deep/SignSGD/*.json)
list(LENGTH results n)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected one result file under results/quadratic_deep/SignSGD, found ${n}")
endif()
file(READ ${results} json)
string(JSON first GET "${json}" train_losses 0)
string(JSON last GET "${json}" train_losses 1)
if(NOT last LESS first)
  message(FATAL_ERROR "the training loss did not decrease: ${first} -> ${last}")
endif()
message(STATUS "out-of-tree plugin trained: train loss ${first} -> ${last}")
file(REMOVE_RECURSE ${WORK_DIR})
