# Small helpers so that each module owns its own CMakeLists.txt and nobody edits a central list.

# Add every immediate subdirectory of DIR that has a CMakeLists.txt.
function(airlock_add_subdirs dir)
  file(GLOB children LIST_DIRECTORIES true ${dir}/*)
  list(SORT children)
  foreach(child ${children})
    if(IS_DIRECTORY ${child} AND EXISTS ${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()

# airlock_module(NAME SOURCES ... DEPS ...): static library airlock_<NAME>. Its objects also go
# into the installed libairlock (cmake/package.cmake), whose shared build needs them
# position-independent. -fno-semantic-interposition keeps -fPIC from stopping GCC inlining a
# module's own non-static functions (which could otherwise be interposed at load time).
function(airlock_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(airlock_${name} STATIC ${M_SOURCES})
  set_target_properties(airlock_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_compile_options(airlock_${name} PRIVATE -fno-semantic-interposition)
  target_link_libraries(airlock_${name} PUBLIC airlock_headers ${M_DEPS})
  set_property(GLOBAL APPEND PROPERTY AIRLOCK_MODULES airlock_${name})
endfunction()

# airlock_test(NAME SOURCES ... DEPS ... LABELS ...): one GoogleTest binary, its tests
# registered one by one with ctest under the given labels (unit, integration, slow).
# Binaries with the "unit" label are also gathered under the target airlock_unit_tests, so the
# sanitizer stage of scripts/test.sh builds only what it runs.
include(GoogleTest)
find_package(GTest REQUIRED)
add_custom_target(airlock_unit_tests)
function(airlock_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_DEPS} airlock_test_support GTest::gtest GTest::gtest_main)
  # The code under test lives in the modules, built -O2. A test's own source is mostly gtest, JSON
  # and httplib templates: at -O1 it compiles about a third faster, which keeps CI's two cores
  # under its time budget, and the few loops tests compute themselves are still optimised.
  target_compile_options(${name} PRIVATE $<$<CONFIG:Release>:-O1>)
  if("unit" IN_LIST T_LABELS)
    add_dependencies(airlock_unit_tests ${name})
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 300)
  endif()
  # gtest_discover_tests flattens a list value into the generated set_tests_properties() call, so
  # "unit;slow" became LABELS unit plus a stray property "slow" that swallowed TIMEOUT and
  # ENVIRONMENT. The labels go in as one word ("unit-slow"): ctest's -L/-LE take regular
  # expressions, so -L unit still selects it and -LE slow leaves it out.
  string(JOIN "-" labels ${T_LABELS})
  gtest_discover_tests(${name}
    PROPERTIES LABELS "${labels}" TIMEOUT ${T_TIMEOUT}
               ENVIRONMENT "AIRLOCK_FIXTURES=${AIRLOCK_FIXTURES_DIR}"
    DISCOVERY_TIMEOUT 60)
endfunction()
