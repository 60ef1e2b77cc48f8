# Read by CTest after the discovered tests (tests/CMakeLists.txt, TEST_INCLUDE_FILES): the tests
# with `Heavy` in their gtest name get the labels cpu and heavy, so that `ctest -LE heavy` (the
# sanitizer run of tools/test.sh) leaves them out.
foreach(heavy_test IN LISTS deepobs_heavy_tests)
  set_tests_properties("${heavy_test}" PROPERTIES LABELS "cpu;heavy")
endforeach()
