// Embedding zsupd: run a Supervisor inside a C++ program and watch node
// output through hooks, as Zeek's Supervisor::stdout_hook/stderr_hook do.
//
//   zsup::SupervisorOptions options;
//   options.state_dir = "/var/lib/zsup";
//   zsup::Supervisor supervisor(options);
//   supervisor.AddStdoutHook([](std::string_view node, std::string_view line) {
//     return !line.starts_with("DEBUG");  // false: do not echo this line
//   });
//   zsup::Status s = supervisor.Run();  // until SIGTERM/SIGINT or RequestStop()
//
// Contract:
// - Run() owns the calling thread's loop; it blocks SIGCHLD, SIGTERM,
//   SIGINT and SIGHUP for the process (signals arrive through a signalfd),
//   so call it from main() before other threads exist. It returns OK after an
//   orderly shutdown and an error Status if it could not start.
// - Hooks run on the loop thread, in the order added, once per output line
//   (newline stripped). Returning false is Zeek's `break`: later hooks do not
//   run and the line is not echoed to zsupd's own stdout/stderr. Every line
//   is published on the events socket whatever the hooks return. A hook must
//   not block and must not throw (an exception is caught and logged).
// - RequestStop() may be called from any thread or a signal handler.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "broker/status.h"
#include "store/store.h"

namespace zsup {

struct SupervisorOptions {
  std::string state_dir;         // required
  std::string control_endpoint;  // default ipc://DIR/control.sock
  std::string events_endpoint;   // default ipc://DIR/events.sock
  // The batches socket (output only, a batch of lines per message):
  // default ipc://DIR/batches.sock; not served when `batches` is false.
  std::string batches_endpoint;
  bool batches = true;
  std::string stem_path;         // the zsup-stem binary; default: next to this program
  std::string zeek_path = "zeek";
  double stop_timeout = 26.0;  // seconds from SIGTERM to SIGKILL
  double revival_cap = 300.0;  // longest revival delay, seconds
  double grace = 60.0;         // how long nodes outlive a lost zsupd; 0: stop at once
  Durability durability = Durability::kFull;
  bool echo = true;          // echo node output as "[node] line" on stdout/stderr
  int events_high_water_mark = 100000;
  // About how many bytes of events one subscriber's queue may hold.
  int64_t events_queue_bytes = 64 << 20;
  // How long a full subscriber queue may hold output back (the nodes block)
  // before that subscriber starts missing events; 0: it never holds it back.
  double events_stall_limit = 1.0;
  int ready_fd = -1;         // gets "READY=1\n" once the nodes are adopted or started
  // A larger request frame closes its connection instead of being read.
  int64_t max_request_bytes = 16 << 20;
  // Serve tcp:// endpoints without CURVE (anyone who reaches the port may
  // run anything as zsupd's user). Logged as a warning.
  bool insecure_tcp = false;
  // A group whose members may use the ipc sockets (state dir 0750, sockets
  // 0660, owned by it); "" = only zsupd's user (0700, 0600).
  std::string socket_group;
  // HOST:PORT for Prometheus' scrapes of /metrics; "" = none.
  std::string metrics_address;
};

// Returns false to suppress the echo of this line (and skip later hooks).
using OutputHook = std::function<bool(std::string_view node, std::string_view line)>;

class Daemon;

class Supervisor {
 public:
  explicit Supervisor(SupervisorOptions options);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  void AddStdoutHook(OutputHook hook);
  void AddStderrHook(OutputHook hook);
  Status Run();
  void RequestStop();

 private:
  std::unique_ptr<Daemon> daemon_;
};

// True in a process that runs (or ran) a Supervisor: Zeek's
// Supervisor::is_supervisor().
bool IsSupervisor();

}  // namespace zsup
