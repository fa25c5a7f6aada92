// test_node: the one child binary that integration tests run as a supervised node.
//
// Flags are combinable and are applied in a fixed order: --daemonize, signal dispositions,
// startup reports, output, then the ending. All output goes through write(2) (no stdio
// buffering), so nothing is pending when the process ends. A write that fails with EPIPE ends the
// process with status 0; any other write error ends it with status 1. Usage errors exit 2.

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <charconv>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace {

constexpr size_t kChunkBytes = 1 << 20;  // Buffer size for --burst, --big-line and --flood.

constexpr std::string_view kHelp =
    "usage: test_node [flags] [-- args printed by --print-args]\n"
    "startup reports:\n"
    "  --print-env --check-fds --print-cwd --print-pid --print-affinity --check-stdin\n"
    "  --print-args --append-start=PATH\n"
    "output (to --stream=stdout|stderr|both, default stdout):\n"
    "  --lines=N [--line-bytes=B] [--burst]  --big-line=BYTES  --partial=TEXT  --flood\n"
    "process:\n"
    "  --daemonize (prints DAEMON <pid>)  --ignore-sigterm  --on-sigterm-exit=N\n"
    "readiness (after the output, in this order):\n"
    "  --ready-after-ms=M  --notify=TEXT (a datagram to $NOTIFY_SOCKET)  --listen=PORT (127.0.0.1)\n"
    "ending (default: wait for signals forever; after --sleep-ms alone: exit 0):\n"
    "  --sleep-ms=M  --exit=N  --abort  --kill-self=SIG  --forever\n";

enum class Ending { kNone, kExit, kAbort, kKillSelf, kForever };

struct Options {
  bool print_env = false, check_fds = false, print_cwd = false, print_pid = false;
  bool print_affinity = false, check_stdin = false, print_args = false;
  std::optional<std::string> append_start;
  bool to_stdout = true, to_stderr = false;
  std::optional<uint64_t> lines, line_bytes, big_line;
  bool burst = false, flood = false;
  std::optional<std::string> partial;
  bool daemonize = false, ignore_sigterm = false;
  std::optional<int> on_sigterm_exit;
  std::optional<uint64_t> sleep_ms;
  std::optional<uint64_t> ready_after_ms;
  std::optional<std::string> notify;
  std::optional<uint64_t> listen_port;
  Ending ending = Ending::kNone;
  int ending_arg = 0;  // Exit code for kExit, signal number for kKillSelf.
};

// Best effort: used for diagnostics, so its own failure is ignored.
void WriteStderr(std::string_view msg) {
  while (!msg.empty()) {
    ssize_t n = write(STDERR_FILENO, msg.data(), msg.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    msg.remove_prefix(static_cast<size_t>(n));
  }
}

[[noreturn]] void Die(int code, std::string_view msg) {
  WriteStderr("test_node: " + std::string(msg) + "\n");
  _exit(code);
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EPIPE) _exit(0);
      Die(1, "write to fd " + std::to_string(fd) + ": " + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Writes to the stream(s) chosen with --stream.
void Emit(const Options& opts, std::string_view data) {
  if (data.empty()) return;
  if (opts.to_stdout) WriteAll(STDOUT_FILENO, data);
  if (opts.to_stderr) WriteAll(STDERR_FILENO, data);
}

void Report(std::string_view line) { WriteAll(STDOUT_FILENO, std::string(line) + "\n"); }

uint64_t ParseUint(std::string_view flag, std::string_view value, uint64_t max) {
  uint64_t result = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), result);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || result > max) {
    Die(2, "bad value for " + std::string(flag) + ": " + std::string(value));
  }
  return result;
}

int ParseSignal(std::string_view value) {
  static constexpr struct {
    std::string_view name;
    int number;
  } kNames[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"ABRT", SIGABRT},
                {"KILL", SIGKILL}, {"SEGV", SIGSEGV}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
                {"TERM", SIGTERM}, {"STOP", SIGSTOP}};
  std::string_view name = value.substr(value.starts_with("SIG") ? 3 : 0);
  for (const auto& entry : kNames) {
    if (entry.name == name) return entry.number;
  }
  return static_cast<int>(ParseUint("--kill-self", value, SIGRTMAX));
}

Options Parse(int argc, char** argv) {
  Options opts;
  auto set_ending = [&opts](Ending ending, int arg) {
    if (opts.ending != Ending::kNone) Die(2, "only one of --exit/--abort/--kill-self/--forever");
    opts.ending = ending;
    opts.ending_arg = arg;
  };
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") break;  // The rest is payload for --print-args.
    const size_t eq = arg.find('=');
    const std::string_view name = arg.substr(0, eq);
    const bool has_value = eq != std::string_view::npos;
    const std::string_view value = has_value ? arg.substr(eq + 1) : std::string_view();
    auto flag = [&](std::string_view want) {  // A flag without a value.
      if (name != want) return false;
      if (has_value) Die(2, std::string(name) + " takes no value");
      return true;
    };
    auto with_value = [&](std::string_view want) {
      if (name != want) return false;
      if (!has_value) Die(2, std::string(name) + " needs a value");
      return true;
    };
    if (flag("--help")) {
      WriteAll(STDOUT_FILENO, kHelp);
      _exit(0);
    } else if (flag("--print-env")) {
      opts.print_env = true;
    } else if (flag("--check-fds")) {
      opts.check_fds = true;
    } else if (flag("--print-cwd")) {
      opts.print_cwd = true;
    } else if (flag("--print-pid")) {
      opts.print_pid = true;
    } else if (flag("--print-affinity")) {
      opts.print_affinity = true;
    } else if (flag("--check-stdin")) {
      opts.check_stdin = true;
    } else if (flag("--print-args")) {
      opts.print_args = true;
    } else if (flag("--burst")) {
      opts.burst = true;
    } else if (flag("--flood")) {
      opts.flood = true;
    } else if (flag("--daemonize")) {
      opts.daemonize = true;
    } else if (flag("--ignore-sigterm")) {
      opts.ignore_sigterm = true;
    } else if (with_value("--append-start")) {
      opts.append_start = std::string(value);
    } else if (with_value("--lines")) {
      opts.lines = ParseUint(name, value, UINT64_MAX);
    } else if (with_value("--line-bytes")) {
      opts.line_bytes = ParseUint(name, value, 1 << 30);
    } else if (with_value("--big-line")) {
      opts.big_line = ParseUint(name, value, UINT64_MAX);
    } else if (with_value("--partial")) {
      opts.partial = std::string(value);
    } else if (with_value("--stream")) {
      if (value != "stdout" && value != "stderr" && value != "both") {
        Die(2, "bad value for --stream: " + std::string(value));
      }
      opts.to_stdout = value != "stderr";
      opts.to_stderr = value != "stdout";
    } else if (with_value("--on-sigterm-exit")) {
      opts.on_sigterm_exit = static_cast<int>(ParseUint(name, value, 255));
    } else if (with_value("--ready-after-ms")) {
      opts.ready_after_ms = ParseUint(name, value, UINT32_MAX);
    } else if (with_value("--notify")) {
      opts.notify = std::string(value);
    } else if (with_value("--listen")) {
      opts.listen_port = ParseUint(name, value, 65535);
    } else if (with_value("--sleep-ms")) {
      opts.sleep_ms = ParseUint(name, value, UINT32_MAX);
    } else if (with_value("--exit")) {
      set_ending(Ending::kExit, static_cast<int>(ParseUint(name, value, 255)));
    } else if (flag("--abort")) {
      set_ending(Ending::kAbort, 0);
    } else if (with_value("--kill-self")) {
      set_ending(Ending::kKillSelf, ParseSignal(value));
    } else if (flag("--forever")) {
      set_ending(Ending::kForever, 0);
    } else {
      Die(2, "unknown flag " + std::string(arg));
    }
  }
  if (opts.ignore_sigterm && opts.on_sigterm_exit) {
    Die(2, "--ignore-sigterm and --on-sigterm-exit conflict");
  }
  // Every padded line must fit its "line <i> " prefix, so check the longest prefix up front.
  if (opts.line_bytes && opts.lines && *opts.line_bytes < 6 + std::to_string(*opts.lines).size()) {
    Die(2, "--line-bytes too small for --lines=" + std::to_string(*opts.lines));
  }
  return opts;
}

volatile sig_atomic_t g_sigterm_exit_code = 0;

void OnSigterm(int /*signo*/) { _exit(g_sigterm_exit_code); }

// The grandchild gets its own session and drops the inherited stdio, so it outlives the node
// without holding the supervisor's pipes open. The node waits until that session exists: a
// supervisor kills the node's process group once the node exits, which must not reach it.
void Daemonize() {
  int ready[2];
  if (pipe2(ready, O_CLOEXEC) != 0) Die(1, std::string("pipe: ") + std::strerror(errno));
  pid_t pid = fork();
  if (pid < 0) Die(1, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    setsid();
    close(ready[0]);
    close(ready[1]);  // EOF for the node: the session exists
    signal(SIGTERM, SIG_DFL);
    int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int fd = 0; fd <= 2; ++fd) {
      if (null_fd < 0 || dup2(null_fd, fd) < 0) close(fd);
    }
    if (null_fd > 2) close(null_fd);
    for (;;) pause();
  }
  close(ready[1]);
  char byte;
  while (read(ready[0], &byte, 1) < 0 && errno == EINTR) {
  }
  close(ready[0]);
  Report("DAEMON " + std::to_string(pid));
}

void CheckFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) Die(1, std::string("opendir /proc/self/fd: ") + std::strerror(errno));
  std::vector<int> extra;
  while (const dirent* entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    int fd = std::atoi(entry->d_name);
    if (fd > 2 && fd != dirfd(dir)) extra.push_back(fd);
  }
  closedir(dir);
  std::sort(extra.begin(), extra.end());
  if (extra.empty()) Report("FDS OK");
  for (int fd : extra) {
    char target[4096];
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    ssize_t n = readlink(path.c_str(), target, sizeof(target));
    Report("FD " + std::to_string(fd) + " -> " +
           (n < 0 ? std::string("?") : std::string(target, static_cast<size_t>(n))));
  }
}

void CheckStdin() {
  struct stat in_st {};
  struct stat null_st {};
  if (fstat(STDIN_FILENO, &in_st) != 0) {
    Report(std::string("STDIN OTHER closed (") + std::strerror(errno) + ")");
    return;
  }
  if (stat("/dev/null", &null_st) == 0 && in_st.st_dev == null_st.st_dev &&
      in_st.st_ino == null_st.st_ino) {
    Report("STDIN DEVNULL");
    return;
  }
  char target[4096];
  ssize_t n = readlink("/proc/self/fd/0", target, sizeof(target));
  Report("STDIN OTHER " + (n < 0 ? std::string("?") : std::string(target, static_cast<size_t>(n))));
}

void PrintAffinity() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) {
    Die(1, std::string("sched_getaffinity: ") + std::strerror(errno));
  }
  std::string cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (!CPU_ISSET(cpu, &set)) continue;
    if (!cpus.empty()) cpus += ',';
    cpus += std::to_string(cpu);
  }
  Report("AFFINITY " + cpus);
}

// One write(2) per record, so concurrent starts appending to the same file never interleave.
void AppendStart(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) Die(1, "open " + path + ": " + std::strerror(errno));
  timespec now{};
  clock_gettime(CLOCK_REALTIME, &now);
  std::string ms = std::to_string(now.tv_nsec / 1000000);
  WriteAll(fd, "start " + std::to_string(getpid()) + " " + std::to_string(now.tv_sec) + "." +
                   std::string(3 - ms.size(), '0') + ms + "\n");
  close(fd);
}

void StartupReports(const Options& opts, int argc, char** argv) {
  if (opts.print_args) {
    for (int i = 0; i < argc; ++i) Report("ARG " + std::to_string(i) + " " + argv[i]);
  }
  if (opts.print_pid) {
    Report("PID " + std::to_string(getpid()) + " PGID " + std::to_string(getpgrp()) + " PPID " +
           std::to_string(getppid()));
  }
  if (opts.print_cwd) {
    char cwd[4096];
    Report(std::string("CWD ") + (getcwd(cwd, sizeof(cwd)) ? cwd : "?"));
  }
  if (opts.print_env) {
    for (char** env = environ; *env != nullptr; ++env) Report(std::string("ENV ") + *env);
  }
  if (opts.print_affinity) PrintAffinity();
  if (opts.check_stdin) CheckStdin();
  if (opts.check_fds) CheckFds();
  if (opts.append_start) AppendStart(*opts.append_start);
}

void Output(const Options& opts) {
  std::string buf;
  if (opts.lines) {
    for (uint64_t i = 1; i <= *opts.lines; ++i) {
      std::string line = "line " + std::to_string(i);
      if (opts.line_bytes) {
        line += ' ';
        line.resize(*opts.line_bytes, 'x');
      }
      buf += line;
      buf += '\n';
      if (!opts.burst || buf.size() >= kChunkBytes) {
        Emit(opts, buf);
        buf.clear();
      }
    }
    Emit(opts, buf);
    buf.clear();
  }
  if (opts.big_line) {
    for (uint64_t i = 0; i < *opts.big_line; ++i) {
      buf += static_cast<char>('a' + i % 26);
      if (buf.size() >= kChunkBytes) {
        Emit(opts, buf);
        buf.clear();
      }
    }
    buf += '\n';
    Emit(opts, buf);
    buf.clear();
  }
  if (opts.partial) Emit(opts, *opts.partial);
  if (opts.flood) {
    for (uint64_t i = 1;; ++i) {
      buf += "flood " + std::to_string(i) + "\n";
      if (buf.size() >= kChunkBytes) {
        Emit(opts, buf);
        buf.clear();
      }
    }
  }
}

void SleepMs(uint64_t ms) {
  timespec deadline{};
  clock_gettime(CLOCK_MONOTONIC, &deadline);
  deadline.tv_sec += static_cast<time_t>(ms / 1000);
  deadline.tv_nsec += static_cast<long>(ms % 1000) * 1000000;
  if (deadline.tv_nsec >= 1000000000) {
    deadline.tv_sec += 1;
    deadline.tv_nsec -= 1000000000;
  }
  while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nullptr) == EINTR) {
  }
}

// sd_notify's wire protocol, by hand: one datagram to $NOTIFY_SOCKET
// ('@' = the abstract namespace).
void Notify(const std::string& text) {
  const char* path = getenv("NOTIFY_SOCKET");
  if (path == nullptr || *path == '\0') Die(1, "--notify: NOTIFY_SOCKET is not set");
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const size_t len = strlen(path);
  if (len >= sizeof addr.sun_path) Die(1, "--notify: NOTIFY_SOCKET too long");
  memcpy(addr.sun_path, path, len);
  if (path[0] == '@') addr.sun_path[0] = '\0';
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const auto addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  if (fd < 0 || sendto(fd, text.data(), text.size(), 0, reinterpret_cast<sockaddr*>(&addr),
                       addr_len) < 0) {
    Die(1, "--notify: " + std::string(strerror(errno)));
  }
  close(fd);
}

// Listens on 127.0.0.1:PORT until the process ends (the descriptor stays open).
void Listen(uint64_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(fd, 16) != 0) {
    Die(1, "--listen: " + std::string(strerror(errno)));
  }
}

int Run(int argc, char** argv) {
  const Options opts = Parse(argc, argv);
  // Turns a closed reader into EPIPE, which WriteAll treats as a clean exit.
  signal(SIGPIPE, SIG_IGN);
  if (opts.daemonize) Daemonize();
  if (opts.ignore_sigterm) signal(SIGTERM, SIG_IGN);
  if (opts.on_sigterm_exit) {
    g_sigterm_exit_code = *opts.on_sigterm_exit;
    struct sigaction action {};
    action.sa_handler = OnSigterm;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
  }
  StartupReports(opts, argc, argv);
  Output(opts);
  if (opts.ready_after_ms) SleepMs(*opts.ready_after_ms);
  if (opts.notify) Notify(*opts.notify);
  if (opts.listen_port) Listen(*opts.listen_port);
  if (opts.sleep_ms) SleepMs(*opts.sleep_ms);
  switch (opts.ending) {
    case Ending::kExit:
      return opts.ending_arg;
    case Ending::kAbort: {
      const rlimit no_core{0, 0};  // Keep core files out of the tests' directories.
      setrlimit(RLIMIT_CORE, &no_core);
      std::abort();
    }
    case Ending::kKillSelf:
      kill(getpid(), opts.ending_arg);
      Die(1, "survived signal " + std::to_string(opts.ending_arg));
    case Ending::kNone:
      if (opts.sleep_ms) return 0;
      [[fallthrough]];
    case Ending::kForever:
      for (;;) pause();
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    Die(1, e.what());
  } catch (...) {
    Die(1, "unknown exception");
  }
}
