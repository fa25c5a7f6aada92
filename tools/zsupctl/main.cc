// zsupctl: command-line client of zsupd (docs/zsupctl.md).
#include <CLI/CLI.hpp>
#include <exception>
#include <iostream>
#include <string_view>

#include "base/cli_errors.h"
#include "tools/zsupctl/commands.h"

namespace zsup::ctl {
namespace {

int Main(int argc, char** argv) {
  CLI::App app{"zsupctl: control and watch zsupd, the zsup process supervisor.", "zsupctl"};
  app.set_version_flag("--version", std::string("zsupctl ") + ZSUP_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // the options below work after the subcommand too
  app.footer(
      "Finding zsupd: --endpoint/--events, else the sockets in --state-dir, else $ZSUP_CONTROL/"
      "$ZSUP_EVENTS, else the sockets in zsupd's default state directory ($ZSUP_STATE_DIR, "
      "$XDG_STATE_HOME/zsup or ~/.local/state/zsup).\n"
      "Exit codes: 0 done, 1 refused by zsupd (or another error), 2 usage, 3 zsupd not "
      "answering.\n"
      "Run `zsupctl SUBCOMMAND --help` for a subcommand's options.");
  GlobalOptions g;
  // The last of a repeated option wins (e.g. after an alias that sets one).
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("--state-dir", g.state_dir, "zsupd's state directory (its --state-dir)");
  app.add_option("--endpoint", g.control_endpoint,
                 "zsupd's control endpoint, e.g. tcp://127.0.0.1:27760 (its --control)");
  app.add_option("--events", g.events_endpoint, "zsupd's events endpoint (its --events)");
  app.add_option("--server-key", g.server_key_file,
                 "CURVE: zsupd's public key file (its DIR/curve/server.key), for a tcp endpoint "
                 "($ZSUP_SERVER_KEY)");
  app.add_option("--client-key", g.client_key_file,
                 "CURVE: this client's secret key file (NAME.secret from `zsupctl keygen`) "
                 "($ZSUP_CLIENT_KEY)");
  app.add_option("--hosts", g.hosts_file,
                 "several zsupd, one per host: an INI file with a [HOST] section each (control, "
                 "events, server_key, client_key; see docs/remote.md) ($ZSUP_HOSTS). status, "
                 "show, stop, start, restart, destroy, reopen, apply, tail, events, ping and "
                 "cluster then go to every host, or to the hosts holding the nodes");
  app.add_option("--host", g.only_hosts,
                 "with --hosts: only this host's zsupd (a section name; repeat for several). "
                 "create needs exactly one")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_option("--timeout", g.timeout_seconds, "seconds to wait for zsupd to answer")
      ->capture_default_str()
      ->check(cli::Positive());
  const std::vector<Command> commands = {AddStatus(app),  AddShow(app),   AddCreate(app),
                                         AddDestroy(app), AddRestart(app), AddStop(app),
                                         AddStart(app),   AddReopen(app),  AddApply(app),
                                         AddCluster(app), AddTail(app),    AddEvents(app),
                                         AddPing(app),    AddKeygen(app)};
  // What follows "--" is a program and its arguments, never options.
  int dashes = 1;
  while (dashes < argc && std::string_view(argv[dashes]) != "--") ++dashes;
  try {
    app.parse(dashes, argv);
  } catch (const CLI::ParseError& e) {
    return cli::ReportParseError(app, e);  // help and the version too (exit 0)
  }
  for (const Command& c : commands) {
    if (!c.app->parsed()) continue;
    if (dashes < argc) {
      if (!c.after_dashes) return UsageError(*c.app, "takes nothing after '--'");
      c.after_dashes(std::vector<std::string>(argv + dashes + 1, argv + argc));
    }
    return c.run(g);
  }
  return kExitUsage;  // unreachable: require_subcommand(1)
}

}  // namespace
}  // namespace zsup::ctl

int main(int argc, char** argv) {
  // Nothing below throws on purpose (zmq errors become Status values); this
  // is the last line of defence, e.g. against std::bad_alloc.
  try {
    return zsup::ctl::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "zsupctl: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "zsupctl: unexpected error\n";
  }
  return zsup::ctl::kExitRefused;
}
