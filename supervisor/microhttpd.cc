#include "supervisor/microhttpd.h"

#include <dlfcn.h>

#include <string>

namespace zsup {
namespace {

struct Loaded {
  MicroHttpd api;
  std::string error;  // empty when api is complete
};

template <typename Fn>
bool Resolve(void* library, const char* name, Fn* fn, std::string* error) {
  *fn = reinterpret_cast<Fn>(::dlsym(library, name));
  if (*fn == nullptr && error->empty()) {
    *error = std::string(MicroHttpd::kLibrary) + " has no " + name + " (too old a libmicrohttpd?)";
  }
  return *fn != nullptr;
}

Loaded LoadOnce() {
  Loaded l;
  void* library = ::dlopen(MicroHttpd::kLibrary, RTLD_NOW | RTLD_LOCAL);
  if (library == nullptr) {
    const char* why = ::dlerror();
    l.error = std::string("--metrics needs ") + MicroHttpd::kLibrary +
              " (Debian: apt install libmicrohttpd12): " + (why != nullptr ? why : "not found");
    return l;
  }
  MicroHttpd& a = l.api;
  Resolve(library, "MHD_start_daemon", &a.start_daemon, &l.error);
  Resolve(library, "MHD_stop_daemon", &a.stop_daemon, &l.error);
  Resolve(library, "MHD_run", &a.run, &l.error);
  Resolve(library, "MHD_get_timeout", &a.get_timeout, &l.error);
  Resolve(library, "MHD_get_daemon_info", &a.get_daemon_info, &l.error);
  Resolve(library, "MHD_create_response_from_buffer", &a.create_response_from_buffer, &l.error);
  Resolve(library, "MHD_add_response_header", &a.add_response_header, &l.error);
  Resolve(library, "MHD_queue_response", &a.queue_response, &l.error);
  Resolve(library, "MHD_destroy_response", &a.destroy_response, &l.error);
  return l;  // the library stays loaded: the table points into it
}

}  // namespace

Result<const MicroHttpd*> MicroHttpd::Load() {
  static const Loaded loaded = LoadOnce();
  if (!loaded.error.empty()) return Status::Error(loaded.error);
  return &loaded.api;
}

}  // namespace zsup
