# zsup_zmq: the ZeroMQ every library links (cppzmq's headers and libzmq).
#
# A program that sets the target property ZSUP_STATIC_ZMQ to ON gets libzmq
# and the libraries Debian built it with (libsodium, OpenPGM, NORM and its
# protokit, libbsd, libmd) as static archives instead, with stubs for the
# GSSAPI functions libzmq references (base/gssapi_stubs.cc; zsup never
# selects the GSSAPI mechanism) and libstdc++ and libgcc linked statically.
# zsupctl does: a one-shot `zsupctl status` spends most of its time loading
# the 20 shared libraries libzmq.so pulls in (docs/benchmarks.md, "CLI").
# Every archive comes with Debian's libzmq3-dev, whose dependencies are the
# -dev packages holding them; without one of them, or with ZSUP_STATIC_CLI
# off, or under sanitizers, such a program links libzmq.so like the rest.
option(ZSUP_STATIC_CLI "Link zsupctl with static libzmq (a faster one-shot command)" ON)

set(ZSUP_STATIC_ZMQ_OK OFF)
if(ZSUP_STATIC_CLI AND NOT ZSUP_SANITIZE AND NOT ZSUP_FUZZ)
  set(ZSUP_STATIC_ZMQ_OK ON)
  set(_zsup_static_archives "")
  # In link order: libzmq first, then what it needs, then what they need.
  foreach(_lib zmq sodium pgm norm protokit bsd md)
    find_library(ZSUP_STATIC_${_lib} NAMES lib${_lib}.a)
    if(NOT ZSUP_STATIC_${_lib})
      message(STATUS "zsupctl links libzmq.so: lib${_lib}.a not found")
      set(ZSUP_STATIC_ZMQ_OK OFF)
      break()
    endif()
    list(APPEND _zsup_static_archives ${ZSUP_STATIC_${_lib}})
  endforeach()
  find_path(ZSUP_GSSAPI_INCLUDE gssapi/gssapi.h)
  if(ZSUP_STATIC_ZMQ_OK AND NOT ZSUP_GSSAPI_INCLUDE)
    message(STATUS "zsupctl links libzmq.so: gssapi/gssapi.h (libkrb5-dev) not found")
    set(ZSUP_STATIC_ZMQ_OK OFF)
  endif()
endif()

add_library(zsup_zmq INTERFACE)
if(ZSUP_STATIC_ZMQ_OK)
  find_package(Threads REQUIRED)
  add_library(zsup_gssapi_stubs STATIC ${PROJECT_SOURCE_DIR}/base/gssapi_stubs.cc)
  target_include_directories(zsup_gssapi_stubs PRIVATE ${ZSUP_GSSAPI_INCLUDE})
  add_library(zsup_zmq_static INTERFACE)
  target_link_libraries(zsup_zmq_static INTERFACE
    ${_zsup_static_archives} zsup_gssapi_stubs Threads::Threads rt)
  target_link_options(zsup_zmq_static INTERFACE -static-libstdc++ -static-libgcc)
  target_include_directories(zsup_zmq INTERFACE $<TARGET_PROPERTY:cppzmq,INTERFACE_INCLUDE_DIRECTORIES>)
  target_link_libraries(zsup_zmq INTERFACE
    "$<IF:$<BOOL:$<TARGET_PROPERTY:ZSUP_STATIC_ZMQ>>,zsup_zmq_static,cppzmq>")
else()
  target_link_libraries(zsup_zmq INTERFACE cppzmq)
endif()
