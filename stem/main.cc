// zsup-stem: started by zsupd; owns, revives and stops the nodes.
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>

#include "broker/log.h"
#include "stem/spawn.h"
#include "stem/stem.h"

int main(int argc, char** argv) {
  zsup::SetLogProgram("zsup-stem");
  zsup::StemOptions options;
  CLI::App app{
      "zsup-stem: forks, watches, revives and stops zsup's nodes. zsupd starts it; it is not "
      "meant to be run by hand. Settings given here apply until zsupd's first hello replaces "
      "them."};
  app.add_option("--state-dir", options.state_dir, "zsupd's state directory")->required();
  app.add_option("--endpoint", options.endpoint, "PAIR endpoint to bind (default ipc://DIR/stem.sock)");
  app.add_option("--zeek", options.settings.zeek_path, "Zeek binary for nodes without a command")
      ->capture_default_str();
  app.add_option("--stop-timeout", options.settings.stop_timeout,
                 "seconds from SIGTERM to SIGKILL when stopping a node")
      ->capture_default_str();
  app.add_option("--revival-cap", options.settings.revival_cap, "longest revival delay, seconds")
      ->capture_default_str();
  app.add_option("--grace", options.settings.grace,
                 "seconds nodes outlive a lost zsupd (0: stop them at once)")
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  if (options.endpoint.empty()) options.endpoint = "ipc://" + options.state_dir + "/stem.sock";
  // Descriptors 0-2 must exist, or the pipes made for nodes could land there.
  for (int fd = 0; fd < 3; ++fd) {
    if (fcntl(fd, F_GETFD) < 0) open("/dev/null", O_RDWR);
  }
  // Next, while descriptor numbers are small (see stem/spawn.h).
  if (zsup::Status s = zsup::ReserveSpawnSlots(); !s.ok()) {
    zsup::LogError("fatal: " + s.message());
    return 1;
  }
  // Out of zsupd's process group and terminal: a Ctrl-C meant for zsupd
  // must reach the nodes only through zsupd's orderly shutdown.
  setsid();
  return zsup::RunStem(options);
}
