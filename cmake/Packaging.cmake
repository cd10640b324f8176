# `cpack -G DEB` (or `make deb`): a Debian package of the install tree,
# under /usr. Configure with -DCMAKE_INSTALL_PREFIX=/usr so the library
# lands in Debian's multiarch libdir and the compiled-in plugin directory
# is the packaged one. Depends come from dpkg-shlibdeps; QEMU and the
# firmware it loads are only Recommends: bootpipe plans, checks and
# replays without them, and a board may need only one of them.
set(CPACK_PACKAGE_NAME bootpipe)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(BOOTPIPE_DEB_MAINTAINER "bootpipe developers <bootpipe@example.org>"
    CACHE STRING "Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT ${BOOTPIPE_DEB_MAINTAINER})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
# dpkg-shlibdeps sees only what is linked: the store dlopens libcurl and
# libarchive by soname (store/curl_api.c, archive_api.c) on first use, and
# every run that fetches an image needs them. The suite dlopens
# libmicrohttpd (suite/mhd_api.c) only for a `bootpipe test` case with a
# host HTTP server, so it is a Recommends; its load error names the
# package to install.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
  "libcurl4 (>= 7.16.2), libarchive13 (>= 3.0.4)")
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
# ldconfig through a dpkg trigger, as Debian asks; the maintainer scripts
# are given so CPack does not write ones that call it directly
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_SOURCE_DIR}/cmake/deb/triggers
    ${PROJECT_SOURCE_DIR}/cmake/deb/postinst ${PROJECT_SOURCE_DIR}/cmake/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "libmicrohttpd12 (>= 0.9.71), qemu-system-arm, qemu-system-x86, qemu-system-misc, qemu-utils, qemu-efi-aarch64, ovmf, ipxe-qemu, seabios, opensbi")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "pkg-config, cmake")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "boot OS and hypervisor images in QEMU and report a verdict")
# the synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; CPack indents these
# lines and turns the empty one into " ."
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "bootpipe runs a pipeline of stage plugins (shared objects loaded with
dlopen) that takes an AxVisor, ArceOS or StarryOS image from request to
verdict: it resolves the request, fetches and verifies the rootfs image,
patches the QEMU command line and runs QEMU, matching its console against
success and fail patterns. The exit code and the JSON or JUnit reports
tell whether the boot worked.

The package holds the stages, the pipelines, a demo that boots from any
directory, and the SDK for writing stages (headers, pkg-config and CMake
files).")

# Debian wants the copyright and a changelog in the package's doc dir, the
# changelog and the man page compressed with gzip -9n (no timestamp).
set(deb_doc ${PROJECT_BINARY_DIR}/deb)
file(MAKE_DIRECTORY ${deb_doc})
find_program(BOOTPIPE_GZIP gzip)
if(BOOTPIPE_GZIP)
  add_custom_command(
    OUTPUT ${deb_doc}/changelog.gz ${deb_doc}/bootpipe.1.gz
    COMMAND ${BOOTPIPE_GZIP} -9nc ${PROJECT_SOURCE_DIR}/cmake/deb/changelog > ${deb_doc}/changelog.gz
    COMMAND ${BOOTPIPE_GZIP} -9nc ${PROJECT_SOURCE_DIR}/docs/bootpipe.1 > ${deb_doc}/bootpipe.1.gz
    DEPENDS ${PROJECT_SOURCE_DIR}/cmake/deb/changelog ${PROJECT_SOURCE_DIR}/docs/bootpipe.1
    COMMENT "Compressing the changelog and the man page"
    VERBATIM)
  add_custom_target(deb-doc ALL DEPENDS ${deb_doc}/changelog.gz ${deb_doc}/bootpipe.1.gz)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/cmake/deb/copyright
  DESTINATION ${CMAKE_INSTALL_DOCDIR})
if(BOOTPIPE_GZIP)
  install(FILES ${deb_doc}/changelog.gz DESTINATION ${CMAKE_INSTALL_DOCDIR})
  install(FILES ${deb_doc}/bootpipe.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  install(FILES ${PROJECT_SOURCE_DIR}/docs/bootpipe.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/cmake/deb/lintian-overrides
  DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides RENAME bootpipe)

include(CPack)
