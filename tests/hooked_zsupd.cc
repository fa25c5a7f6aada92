// A program embedding zsup's Supervisor (supervisor.h) with output hooks,
// for embedding_test.cc. It takes the options the test fixture gives zsupd
// (--state-dir, --stem, --ready-fd, --stop-timeout) and registers:
//   stdout hook 1: returns false for lines starting with "secret" (no echo);
//   stdout hook 2: logs "hook2 <node>: <line>" to stderr (not reached for
//                  the lines hook 1 suppressed);
//   stderr hook:   logs "stderr-hook <node>: <line>" to stderr.
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

#include "supervisor/supervisor.h"

int main(int argc, char** argv) {
  zsup::SupervisorOptions options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--state-dir") {
      options.state_dir = value;
    } else if (flag == "--stem") {
      options.stem_path = value;
    } else if (flag == "--ready-fd") {
      options.ready_fd = std::atoi(value.c_str());
    } else if (flag == "--stop-timeout") {
      options.stop_timeout = std::atof(value.c_str());
    } else {
      std::cerr << "hooked_zsupd: unknown option " << flag << "\n";
      return 2;
    }
  }
  zsup::Supervisor supervisor(options);
  supervisor.AddStdoutHook(
      [](std::string_view, std::string_view line) { return !line.starts_with("secret"); });
  supervisor.AddStdoutHook([](std::string_view node, std::string_view line) {
    std::cerr << "hook2 " << node << ": " << line << "\n";
    return true;
  });
  supervisor.AddStderrHook([](std::string_view node, std::string_view line) {
    std::cerr << "stderr-hook " << node << ": " << line << "\n";
    return true;
  });
  std::cerr << "is_supervisor=" << zsup::IsSupervisor() << "\n";
  zsup::Status s = supervisor.Run();
  if (!s.ok()) {
    std::cerr << "hooked_zsupd: " << s.message() << "\n";
    return 1;
  }
  return 0;
}
