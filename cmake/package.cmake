# What `cmake --install` puts in place: libairlock.a and libairlock.so (every module's objects in
# one library), the public headers, the `airlock` binary, a CMake package
# (find_package(airlock): airlock::airlock, static, and airlock::airlock_shared) and airlock.pc.
# The modules stay separate static libraries inside the build; only the installed library is one.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# A library instrumented for sanitizers or fuzzing is nothing to ship, and its shared build would
# carry undefined runtime symbols.
if(AIRLOCK_SANITIZE OR AIRLOCK_FUZZ)
  return()
endif()

# How the installed package finds each library a module links outside airlock, and that library's
# pkg-config name for airlock.pc. Configuring stops on a module dependency missing here, so
# libairlock never ships a dependency its users' find_package cannot resolve.
set(find_Threads::Threads "find_dependency(Threads)")
set(pc_Threads::Threads "")  # no .pc: -pthread goes into Libs.private
set(find_OpenSSL::Crypto "find_dependency(OpenSSL)")
set(pc_OpenSSL::Crypto "libcrypto")
set(find_OpenSSL::SSL "find_dependency(OpenSSL)")
set(pc_OpenSSL::SSL "libssl")
set(find_SQLite::SQLite3 "find_dependency(SQLite3)")
set(pc_SQLite::SQLite3 "sqlite3")
set(find_LibArchive::LibArchive "find_dependency(LibArchive)")
set(pc_LibArchive::LibArchive "libarchive")
set(find_PkgConfig::PCRE2 "airlock_find_pkg_module(PCRE2 libpcre2-8)")
set(pc_PkgConfig::PCRE2 "libpcre2-8")
set(find_PkgConfig::HTTPLIB "airlock_find_pkg_module(HTTPLIB cpp-httplib)")
set(pc_PkgConfig::HTTPLIB "cpp-httplib")
set(find_PkgConfig::LIBXML2 "airlock_find_pkg_module(LIBXML2 libxml-2.0)")
set(pc_PkgConfig::LIBXML2 "libxml-2.0")
set(find_PkgConfig::POPPLER_CPP "airlock_find_pkg_module(POPPLER_CPP poppler-cpp)")
set(pc_PkgConfig::POPPLER_CPP "poppler-cpp")
set(find_ZLIB::ZLIB "find_dependency(ZLIB)")
set(pc_ZLIB::ZLIB "zlib")
set(find_PkgConfig::SECCOMP "airlock_find_pkg_module(SECCOMP libseccomp)")
set(pc_PkgConfig::SECCOMP "libseccomp")
set(find_PkgConfig::SODIUM "airlock_find_pkg_module(SODIUM libsodium)")
set(pc_PkgConfig::SODIUM "libsodium")
set(find_nlohmann_json::nlohmann_json "find_dependency(nlohmann_json 3)")
set(pc_nlohmann_json::nlohmann_json "nlohmann_json")
set(find_ZLIB::ZLIB "find_dependency(ZLIB)")
set(pc_ZLIB::ZLIB "zlib")
# Needed by the public headers themselves (tools.h includes nlohmann/json.hpp), not only to link.
set(public_deps nlohmann_json::nlohmann_json)

get_property(modules GLOBAL PROPERTY AIRLOCK_MODULES)
set(module_objects "")
set(private_deps "")
foreach(module ${modules})
  list(APPEND module_objects $<TARGET_OBJECTS:${module}>)
  get_target_property(deps ${module} LINK_LIBRARIES)
  foreach(dep ${deps})
    if(NOT dep MATCHES "^airlock_" AND NOT dep IN_LIST public_deps)
      list(APPEND private_deps ${dep})
    endif()
  endforeach()
endforeach()
list(REMOVE_DUPLICATES private_deps)

set(AIRLOCK_FIND_DEPENDENCIES "")
set(AIRLOCK_PC_REQUIRES_PRIVATE "")
foreach(dep ${private_deps} ${public_deps})
  if(NOT DEFINED find_${dep})
    message(FATAL_ERROR "cmake/package.cmake: a module links ${dep}; say how the installed "
                        "package finds it (find_${dep}, pc_${dep})")
  endif()
  string(APPEND AIRLOCK_FIND_DEPENDENCIES "${find_${dep}}\n")
  if(pc_${dep} AND NOT dep IN_LIST public_deps)
    string(APPEND AIRLOCK_PC_REQUIRES_PRIVATE " ${pc_${dep}}")
  endif()
endforeach()
set(AIRLOCK_PC_REQUIRES "")
foreach(dep ${public_deps})
  string(APPEND AIRLOCK_PC_REQUIRES " ${pc_${dep}}")
endforeach()

# Both libraries: the same objects, the public headers, C++20 (the headers use std::span).
function(airlock_package_library target type)
  add_library(${target} ${type} ${module_objects})
  set_target_properties(${target} PROPERTIES OUTPUT_NAME airlock)
  target_include_directories(${target} INTERFACE
    $<BUILD_INTERFACE:${CMAKE_SOURCE_DIR}/include> $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_compile_features(${target} INTERFACE cxx_std_20)
  target_link_libraries(${target} PUBLIC ${public_deps} PRIVATE ${private_deps})
endfunction()

airlock_package_library(airlock_static STATIC)
set_target_properties(airlock_static PROPERTIES EXPORT_NAME airlock)

airlock_package_library(airlock_shared SHARED)
# Before 1.0 every minor version may change the ABI, so the SONAME carries major.minor.
set_target_properties(airlock_shared PROPERTIES
  EXPORT_NAME airlock_shared
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
# Fails the link, not a user's program, when an object needs a library that is not linked here.
target_link_options(airlock_shared PRIVATE -Wl,--no-undefined)

install(TARGETS airlock RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS airlock_static airlock_shared EXPORT airlockTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/airlock DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

set(cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/airlock)
install(EXPORT airlockTargets NAMESPACE airlock:: DESTINATION ${cmake_dir})
configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/airlockConfig.cmake.in
  ${CMAKE_BINARY_DIR}/airlockConfig.cmake INSTALL_DESTINATION ${cmake_dir})
# Same major.minor only, as with the SONAME.
write_basic_package_version_file(${CMAKE_BINARY_DIR}/airlockConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/airlockConfig.cmake ${CMAKE_BINARY_DIR}/airlockConfigVersion.cmake
  DESTINATION ${cmake_dir})

# airlock.pc finds its prefix from its own place (${pcfiledir}), so any --prefix works.
string(REGEX REPLACE "[^/]+" ".." AIRLOCK_PC_TO_PREFIX "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
configure_file(${CMAKE_SOURCE_DIR}/cmake/airlock.pc.in ${CMAKE_BINARY_DIR}/airlock.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/airlock.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
