// libmicrohttpd, loaded the first time --metrics needs it instead of at
// every start of zsupd. The library and the TLS stack Debian builds it with
// (GnuTLS, nettle, hogweed, gmp, p11-kit, libtasn1, libidn2, libunistring)
// were 2.4 MiB of an idle zsupd's 9.4 MiB PSS, for a feature that is off by
// default (docs/benchmarks.md, "Memory: the second round").
//
// Contract: MicroHttpd::Load() dlopens libmicrohttpd.so.12 once per process
// and resolves the functions zsupd's metrics server calls; the table it
// returns stays valid for the process's life (the library is never closed).
// A missing library or symbol is an error value that names it and the
// package to install. Thread-safe (a function-local static).
#pragma once

#include <microhttpd.h>

#include "broker/status.h"

namespace zsup {

struct MicroHttpd {
  decltype(&MHD_start_daemon) start_daemon = nullptr;
  decltype(&MHD_stop_daemon) stop_daemon = nullptr;
  decltype(&MHD_run) run = nullptr;
  decltype(&MHD_get_timeout) get_timeout = nullptr;
  decltype(&MHD_get_daemon_info) get_daemon_info = nullptr;
  decltype(&MHD_create_response_from_buffer) create_response_from_buffer = nullptr;
  decltype(&MHD_add_response_header) add_response_header = nullptr;
  decltype(&MHD_queue_response) queue_response = nullptr;
  decltype(&MHD_destroy_response) destroy_response = nullptr;

  static constexpr const char* kLibrary = "libmicrohttpd.so.12";
  static Result<const MicroHttpd*> Load();
};

}  // namespace zsup
