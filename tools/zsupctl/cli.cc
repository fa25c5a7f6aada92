#include "tools/zsupctl/cli.h"

#include <iostream>

namespace zsup::ctl {

int ReportFailure(const Status& status) {
  std::cerr << "zsupctl: " << status.message() << "\n";
  switch (status.code()) {
    case Status::Code::kUnreachable:
      std::cerr << "zsupctl: is zsupd running? Point zsupctl at it with --state-dir, --endpoint "
                   "or ZSUP_STATE_DIR (see zsupctl --help).\n";
      return kExitUnreachable;
    case Status::Code::kOk:  // a caller's bug; still not a success
    case Status::Code::kRefused:
    case Status::Code::kError:
      break;
  }
  return kExitRefused;
}

int UsageError(const CLI::App& command, const std::string& message) {
  std::string name = command.get_name();
  for (const CLI::App* parent = command.get_parent();
       parent != nullptr && parent->get_parent() != nullptr; parent = parent->get_parent()) {
    name = parent->get_name() + " " + name;  // "cluster plan"
  }
  std::cerr << "zsupctl " << name << ": " << message << "\n"
            << "Run with --help for more information.\n";
  return kExitUsage;
}

}  // namespace zsup::ctl
