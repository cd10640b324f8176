# Lays out a busybox guest file tree, run at build time (cmake -P):
#   -DGUEST_ROOT=<cache>/<arch>   the unpacked Debian packages (install-deps.sh)
#   -DOUT=<dir>                   the staging folder, made anew
#   -DINIT=<file> -DINIT_DEST=<path in the guest>
#   -DFILES=src=dest,...          more files (dest: path in the guest)
#   -DMODULES=name,...            kernel modules, with what they depend on,
#                                 copied flat to /lib/modules with a
#                                 load-order file (dependencies first)
#   -DLISTER=<busybox>            a busybox the host can run, for the applet
#                                 list (same package version as the guest's)
cmake_minimum_required(VERSION 3.25)

file(REMOVE_RECURSE ${OUT})
foreach(d bin sbin etc etc/profile.d proc sys dev tmp root mnt lib/modules)
  file(MAKE_DIRECTORY ${OUT}/${d})
endforeach()
file(COPY ${GUEST_ROOT}/bin/busybox DESTINATION ${OUT}/bin
     FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                      WORLD_READ WORLD_EXECUTE)

# Applet links in /bin, so a read-only root works too; without a runnable
# lister the init scripts make them at boot (busybox --install).
set(applets sh)
if(LISTER)
  execute_process(COMMAND ${LISTER} --list OUTPUT_VARIABLE listed RESULT_VARIABLE rc)
  if(rc EQUAL 0)
    # "[" and "[[" would break CMake's list syntax; ash has them built in.
    string(REGEX REPLACE "\\[+\n" "" listed "${listed}")
    string(REPLACE "\n" ";" applets "${listed}")
  endif()
endif()
foreach(applet IN LISTS applets)
  if(applet AND NOT applet STREQUAL "busybox")
    file(CREATE_LINK busybox ${OUT}/bin/${applet} SYMBOLIC)
  endif()
endforeach()

function(guest_copy src dest)
  get_filename_component(dir ${OUT}/${dest} DIRECTORY)
  get_filename_component(name ${dest} NAME)
  file(MAKE_DIRECTORY ${dir})
  file(COPY_FILE ${src} ${dir}/${name} ONLY_IF_DIFFERENT)
  file(CHMOD ${dir}/${name} FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
       GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
endfunction()
guest_copy(${INIT} ${INIT_DEST})
string(REPLACE "," ";" files "${FILES}")
foreach(pair IN LISTS files)
  string(REPLACE "=" ";" pair "${pair}")
  list(GET pair 0 src)
  list(GET pair 1 dest)
  guest_copy(${src} ${dest})
endforeach()

# Modules: name -> file, then a depth-first walk over each module's
# depends= (its .modinfo string), dependencies first.
set(order "")
if(MODULES)
  file(GLOB_RECURSE kos ${GUEST_ROOT}/lib/modules/*.ko)
  foreach(ko IN LISTS kos)
    get_filename_component(name ${ko} NAME_WE)
    string(REPLACE "-" "_" name ${name})
    set(ko_${name} ${ko})
  endforeach()
  function(visit name)
    string(REPLACE "-" "_" name ${name})
    if(name IN_LIST order)
      return()
    endif()
    if(NOT ko_${name})
      message(FATAL_ERROR "stage: kernel module ${name} not found under "
                          "${GUEST_ROOT}/lib/modules (run scripts/install-deps.sh)")
    endif()
    file(STRINGS ${ko_${name}} deps REGEX "^depends=")
    string(REGEX REPLACE "^depends=" "" deps "${deps}")
    string(REPLACE "," ";" deps "${deps}")
    foreach(dep IN LISTS deps)
      visit(${dep})
    endforeach()
    list(APPEND order ${name})
    set(order ${order} PARENT_SCOPE)
  endfunction()
  string(REPLACE "," ";" wanted "${MODULES}")
  foreach(m IN LISTS wanted)
    visit(${m})
  endforeach()
  foreach(m IN LISTS order)
    file(COPY_FILE ${ko_${m}} ${OUT}/lib/modules/${m}.ko)
  endforeach()
endif()
list(JOIN order "\n" lines)
if(lines)
  string(APPEND lines "\n")
endif()
file(WRITE ${OUT}/lib/modules/load-order "${lines}")
