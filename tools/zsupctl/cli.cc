#include "tools/zsupctl/cli.h"

#include <iostream>

#include "base/cli_errors.h"

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
  return cli::UsageError(command, message);  // "zsupctl cluster plan: ..."
}

}  // namespace zsup::ctl
