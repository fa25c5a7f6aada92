#include "tools/bench/floors.h"

#include <fcntl.h>
#include <poll.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <vector>
#include <zmq.hpp>

#include "broker/codec.h"
#include "broker/fd.h"
#include "stem/output_splitter.h"
#include "tools/bench/process.h"

namespace zsup::bench {
namespace {

constexpr int kFloorWarmup = 200;

struct SqliteCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};

Status SqlExec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return Status::Ok();
  std::string message = sql + ": " + (err != nullptr ? err : "error");
  sqlite3_free(err);
  return Status::Error("sqlite floor: " + message);
}

}  // namespace

int ServeRep(const std::string& endpoint, int ready_fd) {
  try {
    zmq::context_t context(1);
    zmq::socket_t rep(context, zmq::socket_type::rep);
    rep.set(zmq::sockopt::linger, 0);
    rep.bind(endpoint);
    const std::string reply = EncodePingReply(PingReply{ZSUP_VERSION, ::getpid(), kProtocolLevel});
    const char one = 'R';
    if (::write(ready_fd, &one, 1) != 1) return 1;
    ::close(ready_fd);
    zmq::message_t request;
    for (;;) {
      if (!rep.recv(request)) continue;
      rep.send(zmq::const_buffer(reply.data(), reply.size()));
    }
  } catch (const zmq::error_t&) {
    return 1;
  }
}

Result<Child> StartFloorServer(std::vector<std::string> argv, const std::string& what) {
  int ready[2];
  if (::pipe2(ready, O_CLOEXEC) != 0) return Status::Errno("pipe", errno);
  UniqueFd read_end(ready[0]), write_end(ready[1]);
  SpawnOptions options;
  options.inherit_fd = ready[1];
  options.parent_death_signal = SIGKILL;
  argv.push_back("--ready-fd");
  argv.push_back(std::to_string(ready[1]));
  auto pid = Spawn(argv, options);
  if (!pid.ok()) return pid.status();
  Child server(*pid);
  write_end.Reset();
  pollfd p{read_end.get(), POLLIN, 0};
  char byte = 0;
  if (::poll(&p, 1, 10000) <= 0 || ::read(read_end.get(), &byte, 1) != 1) {
    return Status::Error("the " + what + " server did not start");
  }
  return server;
}

Result<std::unique_ptr<BareRepFloor>> BareRepFloor::Start(zmq::context_t& context,
                                                          const std::string& self,
                                                          const std::string& dir) {
  const std::string endpoint = "ipc://" + dir + "/floor-rep.sock";
  auto server = StartFloorServer({self, "--serve-rep", endpoint}, "bare REP");
  if (!server.ok()) return server.status();
  try {
    zmq::socket_t req(context, zmq::socket_type::req);
    req.set(zmq::sockopt::linger, 0);
    req.connect(endpoint);
    std::unique_ptr<BareRepFloor> floor(new BareRepFloor(std::move(*server), std::move(req)));
    std::vector<double> warmup;
    Status s = floor->Measure(kFloorWarmup, &warmup);
    if (!s.ok()) return s;
    return floor;
  } catch (const zmq::error_t& e) {
    return Status::Error(std::string("bare REP floor: ") + e.what());
  }
}

Status BareRepFloor::Measure(int n, std::vector<double>* samples) {
  static const std::string request = EncodeRequest(PingRequest{});
  zmq::message_t reply;
  zmq::pollitem_t item{req_.handle(), 0, ZMQ_POLLIN, 0};
  try {
    for (int i = 0; i < n; ++i) {
      if (Interrupted()) return InterruptedError();
      const auto t0 = Clock::now();
      req_.send(zmq::const_buffer(request.data(), request.size()));
      if (zmq::poll(&item, 1, std::chrono::milliseconds(10000)) <= 0 || !req_.recv(reply)) {
        return Status::Error("bare REP floor: no reply");
      }
      samples->push_back(SecondsSince(t0));
    }
  } catch (const zmq::error_t& e) {
    return Status::Error(std::string("bare REP floor: ") + e.what());
  }
  return Status::Ok();
}

Result<ForkExecTimes> ForkExecOnce() {
  static char program[] = "/bin/true";
  static char* const argv[] = {program, nullptr};
  int report[2];
  if (::pipe2(report, O_CLOEXEC) != 0) return Status::Errno("pipe", errno);
  const auto t0 = Clock::now();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(report[0]);
    ::close(report[1]);
    return Status::Errno("fork", err);
  }
  if (pid == 0) {
    ::execv(program, argv);
    ::_exit(127);
  }
  ::close(report[1]);
  char c;
  while (::read(report[0], &c, 1) < 0 && errno == EINTR) {
  }
  const auto t_exec = Clock::now();
  ::close(report[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  const auto t_exit = Clock::now();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return Status::Error("/bin/true failed");
  return ForkExecTimes{SecondsBetween(t0, t_exec), SecondsBetween(t0, t_exit)};
}

Result<std::unique_ptr<SqliteFloor>> SqliteFloor::Open(const std::string& dir,
                                                       const std::string& synchronous) {
  const std::string path = dir + "/floor-" + synchronous + ".db";
  sqlite3* raw = nullptr;
  if (sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    sqlite3_close_v2(raw);
    return Status::Error("sqlite floor: cannot open " + path);
  }
  std::unique_ptr<sqlite3, SqliteCloser> db(raw);
  for (const std::string& sql :
       {std::string("PRAGMA journal_mode = WAL"), "PRAGMA synchronous = " + synchronous,
        std::string("CREATE TABLE IF NOT EXISTS nodes (name TEXT PRIMARY KEY, config BLOB)")}) {
    Status s = SqlExec(db.get(), sql);
    if (!s.ok()) return s;
  }
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db.get(), "INSERT INTO nodes (name, config) VALUES (?, ?)", -1, &insert,
                         nullptr) != SQLITE_OK) {
    return Status::Error(std::string("sqlite floor: prepare: ") + sqlite3_errmsg(db.get()));
  }
  std::unique_ptr<SqliteFloor> floor(new SqliteFloor(db.release(), insert));
  for (int i = 0; i < 10; ++i) {  // warm-up: the WAL file exists and has grown
    auto t = floor->Commit();
    if (!t.ok()) return t.status();
  }
  return floor;
}

SqliteFloor::~SqliteFloor() {
  sqlite3_finalize(insert_);
  sqlite3_close_v2(db_);
}

Result<double> SqliteFloor::Commit() {
  static const std::string config(300, 'c');  // about the size of an encoded NodeConfig
  const std::string name = "node-" + std::to_string(next_++);
  const auto t0 = Clock::now();
  sqlite3_bind_text(insert_, 1, name.data(), static_cast<int>(name.size()), SQLITE_STATIC);
  sqlite3_bind_blob(insert_, 2, config.data(), static_cast<int>(config.size()), SQLITE_STATIC);
  const int rc = sqlite3_step(insert_);
  sqlite3_reset(insert_);
  const double t = SecondsSince(t0);
  if (rc != SQLITE_DONE) {
    return Status::Error(std::string("sqlite floor: insert: ") + sqlite3_errmsg(db_));
  }
  return t;
}

Result<double> SpawnManyFloor(const std::string& test_node, int n) {
  std::vector<Child> children;
  children.reserve(static_cast<size_t>(n));
  SpawnOptions options;
  options.parent_death_signal = SIGKILL;
  const auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    if (Interrupted()) return InterruptedError();
    auto pid = Spawn({test_node}, options);
    if (!pid.ok()) return pid.status();
    children.emplace_back(*pid);
  }
  const double seconds = SecondsSince(t0);
  for (Child& c : children) ::kill(c.pid(), SIGKILL);
  return seconds;  // the Child destructors reap them
}

Result<PipeFloor> MeasurePipeFloor(const std::string& test_node, int nodes, int64_t lines,
                                   int line_bytes) {
  struct Reader {
    UniqueFd fd;
    OutputSplitter splitter;
  };
  std::vector<Reader> readers(static_cast<size_t>(nodes));
  std::vector<Child> writers;
  PipeFloor floor;
  const double cpu0 = ThreadCpuSeconds();
  const auto t0 = Clock::now();
  for (Reader& r : readers) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return Status::Errno("pipe", errno);
    r.fd.Reset(fds[0]);
    UniqueFd write_end(fds[1]);
    SpawnOptions options;
    options.stdout_fd = fds[1];
    options.parent_death_signal = SIGKILL;
    auto pid = Spawn({test_node, "--lines=" + std::to_string(lines),
                      "--line-bytes=" + std::to_string(line_bytes), "--burst", "--exit=0"},
                     options);
    if (!pid.ok()) return pid.status();
    writers.emplace_back(*pid);
  }
  std::string buf(size_t{64} << 10, '\0');
  int open_pipes = nodes;
  auto count = [&floor](std::string_view) { ++floor.lines; };
  while (open_pipes > 0) {
    if (Interrupted()) return InterruptedError();
    std::vector<pollfd> fds;
    fds.reserve(readers.size());
    for (Reader& r : readers) fds.push_back({r.fd.get(), POLLIN, 0});  // -1 is ignored
    if (::poll(fds.data(), fds.size(), 10000) <= 0) return Status::Error("pipe floor: stalled");
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      Reader& r = readers[i];
      ssize_t n = ::read(r.fd.get(), buf.data(), buf.size());
      if (n < 0 && errno == EINTR) continue;
      if (n > 0) {
        r.splitter.Feed(std::string_view(buf.data(), static_cast<size_t>(n)), count);
      } else {
        r.splitter.Flush(count);
        r.fd.Reset();
        --open_pipes;
      }
    }
  }
  floor.seconds = SecondsSince(t0);
  floor.reader_cpu_seconds = ThreadCpuSeconds() - cpu0;
  for (Child& w : writers) w.Wait(milliseconds(5000));
  if (floor.lines != lines * nodes) {
    return Status::Error("pipe floor: counted " + std::to_string(floor.lines) +
                         " lines, expected " + std::to_string(lines * nodes));
  }
  return floor;
}

}  // namespace zsup::bench
