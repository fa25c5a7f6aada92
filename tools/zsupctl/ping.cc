// zsupctl ping: is zsupd there, and which one.
#include <iostream>

#include "tools/zsupctl/client.h"
#include "tools/zsupctl/commands.h"

namespace zsup::ctl {

Command AddPing(CLI::App& app) {
  CLI::App* sub = app.add_subcommand("ping", "Check that zsupd answers; print its version and pid");
  return {sub, [](const GlobalOptions& g) {
            auto client = Connect(g);
            if (!client.ok()) return ReportFailure(client.status());
            auto reply = (*client)->Ping();
            if (!reply.ok()) return ReportFailure(reply.status());
            std::cout << "zsupd " << reply->version << " (pid " << reply->pid << ") at "
                      << (*client)->endpoints().control << "\n";
            return static_cast<int>(kExitOk);
          }};
}

}  // namespace zsup::ctl
