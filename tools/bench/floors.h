// The physical floors each figure is compared with, measured in the same
// run on the same machine: what the kernel, libzmq and SQLite cost before
// zsup adds anything.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>
#include <zmq.hpp>

struct sqlite3;
struct sqlite3_stmt;

#include "broker/status.h"
#include "tools/bench/process.h"
#include "tools/bench/stats.h"

namespace zsup::bench {

// Starts a floor's server process (`argv`: this binary and its --serve-*
// options) with --ready-fd, and returns once it wrote its ready byte
// (within 10 s), so that it is listening. `what` names it in the error.
Result<Child> StartFloorServer(std::vector<std::string> argv, const std::string& what);

// A bare REQ/REP ping over ipc: a separate process (this binary with
// --serve-rep) answers every request with a canned ping reply and decodes
// nothing. Kept running so its samples can be interleaved with zsupd's.
class BareRepFloor {
 public:
  static Result<std::unique_ptr<BareRepFloor>> Start(zmq::context_t& context,
                                                     const std::string& self,
                                                     const std::string& dir);
  // Appends `n` round-trip times (seconds) to *samples.
  Status Measure(int n, std::vector<double>* samples);

 private:
  BareRepFloor(Child server, zmq::socket_t req)
      : server_(std::move(server)), req_(std::move(req)) {}
  Child server_;
  zmq::socket_t req_;
};

// Entry point of that separate process: binds REP on `endpoint`, writes one
// byte to `ready_fd`, then answers until killed. Returns an exit code.
int ServeRep(const std::string& endpoint, int ready_fd);

// fork + execv("/bin/true") once: `exec` is fork until exec succeeded (a
// close-on-exec pipe sees EOF, which is how the stem learns it); `exit` is
// fork until waitpid has reaped the exited child.
struct ForkExecTimes {
  double exec = 0;
  double exit = 0;
};
Result<ForkExecTimes> ForkExecOnce();

// One INSERT committed by itself into a scratch database in `dir` with
// journal_mode=WAL and the given synchronous setting ("full" or "normal"),
// as zsupd's store opens its database.
class SqliteFloor {
 public:
  static Result<std::unique_ptr<SqliteFloor>> Open(const std::string& dir,
                                                   const std::string& synchronous);
  ~SqliteFloor();
  SqliteFloor(const SqliteFloor&) = delete;
  SqliteFloor& operator=(const SqliteFloor&) = delete;
  // Seconds for one INSERT and its commit.
  Result<double> Commit();

 private:
  SqliteFloor(sqlite3* db, sqlite3_stmt* insert) : db_(db), insert_(insert) {}
  sqlite3* db_;
  sqlite3_stmt* insert_;
  int64_t next_ = 0;
};

// vfork + exec of `n` sleeping test_node processes one after another, each
// until its exec succeeded, from a process that holds no other descriptors
// (what a replay of `n` nodes needs at the least). Seconds for all `n`;
// the processes are killed afterwards.
Result<double> SpawnManyFloor(const std::string& test_node, int n);

// `nodes` test_node writers (--lines=L --line-bytes=B --burst --exit=0), each
// into a plain pipe read by this process and cut into lines by the stem's
// OutputSplitter. Nothing is encoded or sent anywhere.
struct PipeFloor {
  int64_t lines = 0;              // lines counted
  double seconds = 0;             // first fork to last EOF
  double reader_cpu_seconds = 0;  // this thread: read() + splitting
  double lines_per_second() const { return seconds > 0 ? static_cast<double>(lines) / seconds : 0; }
};
Result<PipeFloor> MeasurePipeFloor(const std::string& test_node, int nodes, int64_t lines,
                                   int line_bytes);

// The bare PUB→SUB rate (pub_floor.cc): a separate process (this binary
// with --serve-pub) publishes `lines` events for each of `nodes` nodes,
// shaped as zsupd's output events, to one subscriber here that checks each
// seq as the output figure's does.
struct PubSubFloor {
  int64_t lines = 0;                  // messages received, all in order
  double seconds = 0;                 // spawn of the publisher to the last message
  double publisher_cpu_seconds = 0;   // its whole process, I/O thread included
  double subscriber_cpu_seconds = 0;  // this process over the same window
  double lines_per_second() const { return seconds > 0 ? static_cast<double>(lines) / seconds : 0; }
};
Result<PubSubFloor> MeasurePubSubFloor(zmq::context_t& context, const std::string& self,
                                       const std::string& dir, int nodes, int64_t lines,
                                       int line_bytes);
// Entry point of that process: binds an XPUB (no drops) on `endpoint`,
// writes one byte to `ready_fd`, waits for a subscription, sends every
// event, then waits to be killed. Returns an exit code.
int ServePub(const std::string& endpoint, int nodes, int64_t lines, int line_bytes, int ready_fd);

}  // namespace zsup::bench
