# Installation: two components, each also a Debian package (cpack -G DEB).
#   runtime — the libtorch-free int8 runtime a device links: distill::runtime (with
#             distill::kernels and distill::io beneath it) and distill::text_runtime (string ->
#             logits, with SentencePiece), their headers, and the CMake package files.
#   tool    — training, distillation and compression on libtorch: distill::distill, the rest of
#             the headers, and the `distill` and `distill-tokenizer` programs.
# Another project: find_package(distill) then target_link_libraries(app PRIVATE distill::runtime)
# (or distill::distill). The package config loads the training targets only where they are
# installed, so a runtime-only install needs no libtorch.
include(CMakePackageConfigHelpers)
set(DISTILL_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/distill)

# --- runtime ----------------------------------------------------------------------------------
set_target_properties(distill_io PROPERTIES EXPORT_NAME io)
set_target_properties(distill_kernels PROPERTIES EXPORT_NAME kernels)
set_target_properties(distill_runtime PROPERTIES EXPORT_NAME runtime)
set_target_properties(distill_text PROPERTIES EXPORT_NAME text)
set_target_properties(distill_text_runtime PROPERTIES EXPORT_NAME text_runtime)
install(TARGETS distill_io distill_kernels distill_runtime distill_text distill_text_runtime
        EXPORT distillRuntimeTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime)
install(EXPORT distillRuntimeTargets NAMESPACE distill:: DESTINATION ${DISTILL_CMAKE_DIR}
        COMPONENT runtime)

# The runtime's headers: everything they include, and nothing that includes libtorch.
set(DISTILL_RUNTIME_HEADERS
  distill/runtime.h
  distill/core/atomic_file.h distill/core/checksum.h distill/core/error.h
  distill/core/gzip_file.h distill/core/progress_bar.h
  distill/data/idx_reader.h distill/data/text_reader.h)
foreach(folder IN ITEMS runtime kernels text)
  file(GLOB headers RELATIVE ${PROJECT_SOURCE_DIR}/include
       ${PROJECT_SOURCE_DIR}/include/distill/${folder}/*.h)
  list(APPEND DISTILL_RUNTIME_HEADERS ${headers})
endforeach()
foreach(header IN LISTS DISTILL_RUNTIME_HEADERS)
  get_filename_component(folder ${header} DIRECTORY)
  install(FILES include/${header} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${folder}
          COMPONENT runtime)
endforeach()

configure_package_config_file(cmake/distillConfig.cmake.in
  ${PROJECT_BINARY_DIR}/distillConfig.cmake INSTALL_DESTINATION ${DISTILL_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/distillConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/distillConfig.cmake
              ${PROJECT_BINARY_DIR}/distillConfigVersion.cmake
        DESTINATION ${DISTILL_CMAKE_DIR} COMPONENT runtime)

# --- tool -------------------------------------------------------------------------------------
if(DISTILL_WITH_TORCH)
  set_target_properties(distill_core PROPERTIES EXPORT_NAME distill)
  install(TARGETS distill_core EXPORT distillTargets
          ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT tool)
  install(EXPORT distillTargets NAMESPACE distill:: DESTINATION ${DISTILL_CMAKE_DIR}
          COMPONENT tool)
  install(TARGETS distill distill-tokenizer RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
          COMPONENT tool)
  file(GLOB_RECURSE all_headers RELATIVE ${PROJECT_SOURCE_DIR}/include
       ${PROJECT_SOURCE_DIR}/include/distill/*.h)
  foreach(header IN LISTS all_headers)
    if(NOT header IN_LIST DISTILL_RUNTIME_HEADERS)
      get_filename_component(folder ${header} DIRECTORY)
      install(FILES include/${header} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/${folder}
              COMPONENT tool)
    endif()
  endforeach()
endif()

# --- Debian packages: cpack -G DEB (in the build folder) -----------------------------------------
set(CPACK_PACKAGE_NAME distill)
set(CPACK_PACKAGE_VENDOR "distill")
set(DISTILL_PACKAGE_CONTACT "distill developers <distill@localhost>" CACHE STRING
    "The Maintainer field of the Debian packages (who builds them)")
set(CPACK_PACKAGE_CONTACT "${DISTILL_PACKAGE_CONTACT}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "knowledge distillation and model compression")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX ${DISTILL_PACKAGE_PREFIX})
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime tool)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libdistill-runtime-dev)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_DEPENDS
    "libdnnl-dev, zlib1g-dev, nlohmann-json3-dev, libsentencepiece-dev, libutf8proc-dev, libgomp1")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION
    "distill's int8 inference runtime (no libtorch): static libraries, headers, CMake package")
set(CPACK_DEBIAN_TOOL_PACKAGE_NAME distill)
set(CPACK_DEBIAN_TOOL_PACKAGE_DEPENDS
    "libdistill-runtime-dev (= ${PROJECT_VERSION}), libtorch-dev, libopenblas0-pthread, libyaml-cpp-dev, libfmt-dev, libgloo-dev")
set(CPACK_COMPONENT_TOOL_DESCRIPTION
    "distill: the command-line tool and the training/distillation library on libtorch")
set(CPACK_COMPONENT_TOOL_DEPENDS runtime)
include(CPack)
