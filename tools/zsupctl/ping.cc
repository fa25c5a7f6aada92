// zsupctl ping: is zsupd there, and which one (with --hosts: every host's).
#include <iostream>

#include "tools/zsupctl/client.h"
#include "tools/zsupctl/commands.h"
#include "tools/zsupctl/fleet.h"

namespace zsup::ctl {

Command AddPing(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "ping", "Check that zsupd answers; print its version and pid (with --hosts, each host's)");
  return {sub, [](const GlobalOptions& g) {
            auto fleet = Fleet::Open(g);
            if (!fleet.ok()) return ReportFailure(fleet.status());
            auto replies = fleet->Each([](FleetHost& h) { return h.client->Ping(); });
            int exit = kExitOk;
            for (size_t i = 0; i < replies.size(); ++i) {
              FleetHost& h = fleet->hosts()[i];
              if (!replies[i].ok()) {
                exit = WorseExit(exit, ReportHostFailure(h, replies[i].status()));
                continue;
              }
              std::cout << (h.name.empty() ? "" : h.name + ": ") << "zsupd "
                        << replies[i]->version << " (pid " << replies[i]->pid
                        << (replies[i]->protocol
                                ? ", protocol " + std::to_string(*replies[i]->protocol)
                                : std::string())
                        << ") at "
                        << h.client->endpoints().control << "\n";
            }
            return exit;
          }};
}

}  // namespace zsup::ctl
