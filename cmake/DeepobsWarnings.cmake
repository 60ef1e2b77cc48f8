# Warning flags for our own code; third-party headers come in as SYSTEM includes and stay quiet.
function(deepobs_apply_warnings target)
  target_compile_options(${target} INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor>)
  # GCC 12 reports -Wrestrict on ordinary std::string operator+ chains at -O3 (GCC bug 105329);
  # the warning is noise there, so it is off for that compiler only.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Wno-restrict>)
  endif()
  if(DEEPOBS_WERROR)
    target_compile_options(${target} INTERFACE
      $<$<COMPILE_LANGUAGE:CXX>:-Werror>
      $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings -Xcompiler=-Wall,-Werror>)
  endif()
endfunction()
