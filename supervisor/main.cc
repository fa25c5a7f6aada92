// zsupd: keeps nodes alive and controllable over ZeroMQ (see docs/protocol.md).
#include <fcntl.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>

#include "base/cli_errors.h"
#include "broker/log.h"
#include "broker/paths.h"
#include "supervisor/supervisor.h"

int main(int argc, char** argv) {
  zsup::SetLogProgram("zsupd");
  zsup::SupervisorOptions o;
  bool no_echo = false;
  bool no_batches = false;
  std::string synchronous = "full";
  CLI::App app{
      "zsupd: a process supervisor in the manner of Zeek's Supervisor framework. It keeps the "
      "configured nodes running (desired state in DIR/state.db), answers commands on a ZeroMQ "
      "REP socket, and publishes node status and every output line on a PUB socket. Nodes "
      "survive a crash or restart of zsupd: the next zsupd adopts them.", "zsupd"};
  app.set_version_flag("--version", std::string("zsupd ") + ZSUP_VERSION);
  app.add_option("--state-dir", o.state_dir,
                 "directory for the database and sockets, created 0700 (default: "
                 "$ZSUP_STATE_DIR, $XDG_STATE_HOME/zsup or ~/.local/state/zsup)");
  app.add_option("--control", o.control_endpoint, "control endpoint (default ipc://DIR/control.sock)");
  app.add_option("--events", o.events_endpoint, "events endpoint (default ipc://DIR/events.sock)");
  auto* batches = app.add_option("--batches", o.batches_endpoint,
                                 "batches endpoint: node output again, a batch of lines per "
                                 "message, for readers of much output (default "
                                 "ipc://DIR/batches.sock)");
  app.add_flag("--no-batches", no_batches, "do not serve the batches socket")->excludes(batches);
  app.add_option("--zeek", o.zeek_path, "Zeek binary for nodes without a command")
      ->capture_default_str();
  app.add_option("--stem", o.stem_path, "zsup-stem binary (default: next to zsupd)");
  app.add_option("--stop-timeout", o.stop_timeout,
                 "seconds between SIGTERM and SIGKILL when stopping a node")
      ->capture_default_str()
      ->check(zsup::cli::NonNegative());
  app.add_option("--revival-cap", o.revival_cap, "longest delay before reviving a node, seconds")
      ->capture_default_str()
      ->check(zsup::cli::Positive());
  app.add_option("--grace", o.grace,
                 "seconds the nodes keep running after zsupd is lost, waiting for a new zsupd "
                 "(0: stop them at once, as Zeek does)")
      ->capture_default_str()
      ->check(zsup::cli::NonNegative());
  app.add_option("--synchronous", synchronous,
                 "SQLite durability: full (a create survives power loss) or normal (survives a "
                 "crash of zsupd, faster)")
      ->capture_default_str()
      ->check(CLI::IsMember({"full", "normal"}));
  app.add_flag("--no-echo", no_echo, "do not echo node output as \"[node] line\" on stdout/stderr");
  app.add_option("--events-hwm", o.events_high_water_mark,
                 "events queued per subscriber (of the events and of the batches socket); when "
                 "one's queue is full, output waits for it")
      ->capture_default_str()
      ->check(zsup::cli::Positive());
  app.add_option("--events-queue-bytes", o.events_queue_bytes,
                 "bytes of events queued per subscriber, about (the queue holds fewer events "
                 "when lines are long)")
      ->capture_default_str()
      ->check(zsup::cli::Positive());
  app.add_option("--events-stall-limit", o.events_stall_limit,
                 "seconds output waits for a subscriber whose queue is full and that reads "
                 "nothing; then it is cut off (it misses what was queued: a gap in seq) and "
                 "output goes on for the others; 0: never wait, drop instead")
      ->capture_default_str()
      ->check(zsup::cli::NonNegative());
  app.add_flag("--insecure-tcp", o.insecure_tcp,
               "serve tcp:// endpoints without CURVE: whoever reaches the port can run programs "
               "as zsupd's user (logged as a warning). Without it a tcp endpoint needs CURVE "
               "keys: DIR/curve/server.key for clients, their keys in DIR/curve/authorized/ "
               "or DIR/curve/readonly/");
  app.add_option("--socket-group", o.socket_group,
                 "let this group's members use zsupctl without root: DIR becomes 0750 and the "
                 "ipc sockets 0660, owned by GROUP (files in DIR stay 0600)");
  app.add_option("--metrics", o.metrics_address,
                 "serve Prometheus metrics at http://HOST:PORT/metrics (HOST an IP address, "
                 "[IPv6], or empty for every address; unauthenticated: bind it to where only "
                 "the scraper reaches)");
  app.add_option("--max-request-bytes", o.max_request_bytes,
                 "largest request frame read on the control socket; a larger one closes its "
                 "connection (no reply)")
      ->capture_default_str()
      ->check(zsup::cli::Positive());
  app.add_option("--ready-fd", o.ready_fd,
                 "descriptor to write \"READY=1\\n\" to (and close) once the nodes are running");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return zsup::cli::ReportParseError(app, e);
  }
  o.echo = !no_echo;
  o.batches = !no_batches;
  o.durability = synchronous == "normal" ? zsup::Durability::kNormal : zsup::Durability::kFull;
  if (o.state_dir.empty()) {
    auto dir = zsup::DefaultStateDir();
    if (!dir.ok()) {
      std::cerr << "zsupd: " << dir.error() << "\n";
      return 2;
    }
    o.state_dir = *dir;
    std::cerr << "zsupd: using state directory " << o.state_dir << "\n";
  }
  // Absolute, so that a node's relative `directory` (resolved against it)
  // means the same whatever directory the stem or a node runs in.
  if (!o.state_dir.starts_with('/')) {
    std::error_code ec;
    std::filesystem::path absolute = std::filesystem::absolute(o.state_dir, ec);
    if (ec) {
      std::cerr << "zsupd: --state-dir " << o.state_dir << ": " << ec.message() << "\n";
      return 2;
    }
    o.state_dir = absolute.lexically_normal().string();
  }
  for (int fd = 0; fd < 3; ++fd) {
    if (fcntl(fd, F_GETFD) < 0) open("/dev/null", O_RDWR);
  }
  zsup::Supervisor supervisor(o);
  zsup::Status s = supervisor.Run();
  if (!s.ok()) {
    std::cerr << "zsupd: " << s.message() << "\n";
    return 1;
  }
  return 0;
}
