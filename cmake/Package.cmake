# Installation and the CMake package (PhiConfig.cmake, version file, exported
# targets), relocatable: `cmake --install build --prefix <anywhere>`.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# Plugin-facing headers: phi's own and the tablegen'd ones next to them.
add_library(phi_headers INTERFACE)
target_include_directories(phi_headers INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
set_target_properties(phi_headers PROPERTIES EXPORT_NAME headers)
set_target_properties(phi_runtime PROPERTIES EXPORT_NAME phi_runtime)

# The names a consumer uses, also inside this tree (add_subdirectory).
add_executable(Phi::phi-compile ALIAS phi-compile)
add_executable(Phi::phi-opt ALIAS phi-opt)
add_executable(Phi::phi-translate ALIAS phi-translate)
add_executable(Phi::phi-run ALIAS phi-run)
add_library(Phi::phi_runtime ALIAS phi_runtime)
add_library(Phi::headers ALIAS phi_headers)
set(PHI_MLIR_DIR "${MLIR_DIR}")
include(${PROJECT_SOURCE_DIR}/cmake/PhiModel.cmake)

install(TARGETS phi-compile phi-opt phi-translate phi-run phi_runtime phi_headers
  EXPORT PhiTargets
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(PROGRAMS tools/phi-quant-report DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/phi DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h" PATTERN "*.td")
install(DIRECTORY ${PROJECT_BINARY_DIR}/include/phi DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.inc")

set(cmakedir ${CMAKE_INSTALL_LIBDIR}/cmake/Phi)
install(EXPORT PhiTargets NAMESPACE Phi:: DESTINATION ${cmakedir})
configure_package_config_file(cmake/PhiConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/PhiConfig.cmake INSTALL_DESTINATION ${cmakedir})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/PhiConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/PhiConfig.cmake
  ${PROJECT_BINARY_DIR}/cmake/PhiConfigVersion.cmake cmake/PhiModel.cmake
  DESTINATION ${cmakedir})

# The same package for this build tree: find_package(Phi) with
# Phi_DIR=<build>/lib/cmake/Phi uses the tools and runtime where they were built.
set(treedir ${PROJECT_BINARY_DIR}/lib/cmake/Phi)
export(EXPORT PhiTargets NAMESPACE Phi:: FILE ${treedir}/PhiTargets.cmake)
configure_package_config_file(cmake/PhiConfig.cmake.in ${treedir}/PhiConfig.cmake
  INSTALL_DESTINATION ${treedir} INSTALL_PREFIX ${PROJECT_BINARY_DIR})
configure_file(${PROJECT_BINARY_DIR}/cmake/PhiConfigVersion.cmake
  ${treedir}/PhiConfigVersion.cmake COPYONLY)
configure_file(cmake/PhiModel.cmake ${treedir}/PhiModel.cmake COPYONLY)
