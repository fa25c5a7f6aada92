#include "stem/spawn.h"

#include <fcntl.h>
#include <sched.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "broker/credentials.h"
#include "broker/log.h"
#include "broker/signals.h"

namespace zsup {
namespace {

enum Stage : int32_t {
  kAffinity = 1, kChdir, kRedirect, kExec, kParentGone,
  // v2 execution fields; `detail` is the rlimit's index or the capability
  kRlimit, kNice, kKeepCaps, kGroups, kSetgid, kSetuid, kCapabilities, kAmbient,
};

// Pipe size of a file-bound stream (the default is 64 KiB).
constexpr int kFilePipeBytes = 1 << 20;

// Stack of the clone child: it runs only the system calls below, on data
// prepared by the parent. Reserved once, touched pages only count.
constexpr size_t kChildStackBytes = 256 * 1024;

// Low descriptors through which a child gets its streams (see
// ReserveSpawnSlots). `in` holds /dev/null for good; `out`, `err` and
// `status` hold /dev/null except during a spawn, when they hold the write
// ends of the node's pipes. Every one is close-on-exec in the stem.
struct Slots {
  int in = -1, out = -1, err = -1, status = -1;
  int limit = 0;  // one above the highest: the child keeps [0, limit)
  char* stack_top = nullptr;
  Status error;
};

Slots MakeSlots() {
  Slots slots;
  int fds[4];
  for (int& fd : fds) {
    fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      slots.error = Status::Errno("cannot reserve the descriptors for starting nodes", errno);
      return slots;
    }
    slots.limit = std::max(slots.limit, fd + 1);
  }
  slots.in = fds[0];
  slots.out = fds[1];
  slots.err = fds[2];
  slots.status = fds[3];
  // A guard page below the stack turns an overflow into a fault.
  const long page = ::sysconf(_SC_PAGESIZE);
  void* mem = ::mmap(nullptr, kChildStackBytes + static_cast<size_t>(page), PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (mem == MAP_FAILED) {
    slots.error = Status::Errno("cannot map the stack for starting nodes", errno);
    return slots;
  }
  ::mprotect(mem, static_cast<size_t>(page), PROT_NONE);
  slots.stack_top = static_cast<char*>(mem) + page + kChildStackBytes;
  return slots;
}

// Reserved by the first call, normally ReserveSpawnSlots() early in main.
const Slots& TheSlots() {
  static const Slots slots = MakeSlots();
  return slots;
}

// The functions the clone child runs are not instrumented by
// AddressSanitizer: the child runs on a stack of its own (kChildStackBytes),
// and ASan's bookkeeping before each call that does not return (_exit, Fail)
// expects the thread's usual stack, warning "ignoring requested
// __asan_handle_no_return" at every failed start in a sanitizer build.
#define ZSUP_CHILD_CODE __attribute__((no_sanitize_address))

struct Record {
  int32_t stage;
  int32_t err;
  int32_t detail;
};

bool IsFatal(int32_t stage) { return stage != kAffinity; }

// Async-signal-safe: one write of a whole record (smaller than PIPE_BUF).
ZSUP_CHILD_CODE void Report(int fd, Stage stage, int err, int32_t detail = 0) {
  Record r{stage, err, detail};
  ssize_t ignored = ::write(fd, &r, sizeof r);
  (void)ignored;
}

[[noreturn]] ZSUP_CHILD_CODE void Fail(int fd, Stage stage, int err, int32_t detail = 0) {
  Report(fd, stage, err, detail);
  ::_exit(127);
}

// capset(2)'s arguments for "exactly these capabilities, permitted,
// effective and inheritable", built before fork.
struct CapSet {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
};

CapSet MakeCapSet(const std::vector<int>& caps) {
  CapSet set;
  for (int cap : caps) {
    const uint32_t bit = 1u << (cap % 32);
    auto& word = set.data[cap / 32];
    word.effective |= bit;
    word.permitted |= bit;
    word.inheritable |= bit;
  }
  return set;
}

// Limits, priority, umask, then the user: in that order, because raising a
// hard limit and a negative nice need root. Async-signal-safe calls only.
ZSUP_CHILD_CODE void SetUpExecution(const LaunchPlan& plan, const CapSet& caps, int status_fd, pid_t parent) {
  for (size_t i = 0; i < plan.rlimits.size(); ++i) {
    const rlimit limit{plan.rlimits[i].soft, plan.rlimits[i].hard};
    if (::setrlimit(plan.rlimits[i].resource, &limit) != 0) {
      Fail(status_fd, kRlimit, errno, static_cast<int32_t>(i));
    }
  }
  if (plan.nice && ::setpriority(PRIO_PROCESS, 0, *plan.nice) != 0) Fail(status_fd, kNice, errno);
  if (plan.umask) ::umask(*plan.umask);
  const bool with_caps = !plan.capabilities.empty();
  if (const std::optional<Credentials>& cred = plan.credentials) {
    // Without KEEPCAPS, setuid() to a non-root uid clears the permitted set
    // and there would be nothing to raise as ambient.
    if (with_caps && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) Fail(status_fd, kKeepCaps, errno);
    // Raw system calls: glibc's wrappers would also signal the stem's other
    // threads (POSIX's process-wide credentials), which this vfork child
    // shares memory with but must not touch. The kernel sets the calling
    // thread's credentials, and the child has no other thread.
    if (::syscall(SYS_setgroups, cred->groups.size(), cred->groups.data()) != 0) {
      Fail(status_fd, kGroups, errno);
    }
    if (::syscall(SYS_setgid, cred->gid) != 0) Fail(status_fd, kSetgid, errno);
    if (::syscall(SYS_setuid, cred->uid) != 0) Fail(status_fd, kSetuid, errno);
    // A change of credentials clears the parent-death signal: set it again,
    // and check the stem did not die in between.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) Fail(status_fd, kParentGone, 0);
  }
  if (with_caps) {
    CapSet set = caps;
    if (::syscall(SYS_capset, &set.header, set.data) != 0) Fail(status_fd, kCapabilities, errno);
    for (int cap : plan.capabilities) {
      if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) != 0) {
        Fail(status_fd, kAmbient, errno, cap);
      }
    }
  }
}

Status MakePipe(UniqueFd* read_end, UniqueFd* write_end, bool nonblocking_read) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Status::Errno("pipe", errno);
  read_end->Reset(fds[0]);
  write_end->Reset(fds[1]);
  if (nonblocking_read) ::fcntl(fds[0], F_SETFL, O_NONBLOCK);
  return Status::Ok();
}

// Replaces `path` as a whole (write a temporary file, then rename).
Status WriteFileAtomically(const std::string& path, const std::string& json, mode_t mode) {
  std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd) return Status::Errno("cannot write '" + tmp + "'", errno);
  ::fchmod(fd.get(), mode);
  size_t done = 0;
  while (done < json.size()) {
    ssize_t n = ::write(fd.get(), json.data() + done, json.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Errno("cannot write '" + tmp + "'", errno);
    done += static_cast<size_t>(n);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) return Status::Errno("rename " + path, errno);
  return Status::Ok();
}

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const std::string& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

struct ChildArgs {
  const LaunchPlan* plan;
  const CapSet* caps;
  pid_t parent;
  const Slots* slots;
  char* const* argv;
  char* const* envp;
};

// Runs in the child: async-signal-safe calls only, never returns.
[[noreturn]] ZSUP_CHILD_CODE void Child(const ChildArgs& args) {
  const LaunchPlan& plan = *args.plan;
  const Slots& slots = *args.slots;
  const pid_t parent = args.parent;
  const int status_fd = slots.status;
  // The child shares the stem's descriptor table (CLONE_FILES), so nothing
  // was copied at the clone. Take a private copy of the few low ones it
  // needs: copying and closing at exec the stem's whole table (two pipe
  // ends per node) would make each start cost O(nodes). Before Linux 5.9,
  // a private copy of everything, as vfork made.
  if (::close_range(static_cast<unsigned>(slots.limit), ~0U, CLOSE_RANGE_UNSHARE) != 0 &&
      ::unshare(CLONE_FILES) != 0) {
    Report(status_fd, kRedirect, errno);
    ::_exit(127);
  }
  ResetSignalsForChild();
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  // What the node starts stays below it even when it daemonizes (a double
  // fork re-parents to the nearest subreaper): stopping the node can find it.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  if (::getppid() != parent) {  // the stem died before prctl took effect
    Report(status_fd, kParentGone, 0);
    ::_exit(127);
  }
  if (::dup2(slots.in, 0) < 0 || ::dup2(slots.out, 1) < 0 || ::dup2(slots.err, 2) < 0) {
    Report(status_fd, kRedirect, errno);
    ::_exit(127);
  }
  if (plan.directory && ::chdir(plan.directory->c_str()) != 0) {
    Report(status_fd, kChdir, errno);
    ::_exit(127);
  }
  if (plan.cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(*plan.cpu, &set);
    if (::sched_setaffinity(0, sizeof set, &set) != 0) Report(status_fd, kAffinity, errno);
  }
  SetUpExecution(plan, *args.caps, status_fd, parent);
  // Whatever a library may have opened without O_CLOEXEC stays out of the node.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  ::execve(plan.program.c_str(), args.argv, args.envp);
  Report(status_fd, kExec, errno);
  ::_exit(127);
}

ZSUP_CHILD_CODE int ChildEntry(void* args) { Child(*static_cast<const ChildArgs*>(args)); }

// Puts `fd` into `slot` for the child, or /dev/null back into it.
bool Fill(int slot, int fd) { return ::dup3(fd, slot, O_CLOEXEC) == slot; }

std::string Describe(const Record& r, const LaunchPlan& plan, const std::string& name) {
  const std::string node = "node '" + name + "' ";
  const std::string why = std::strerror(r.err);
  switch (r.stage) {
    case kAffinity:
      return node + "could not be pinned to CPU " + std::to_string(plan.cpu.value_or(-1)) + ": " +
             why;
    case kChdir: return node + "failed to chdir to '" + plan.directory.value_or("") + "': " + why;
    case kRedirect: return node + "failed to set up its standard streams: " + why;
    case kExec: return node + "failed to exec '" + plan.argv[0] + "': " + why;
    case kParentGone: return node + "was not started: the stem was exiting";
    case kRlimit: {
      const size_t i = static_cast<size_t>(r.detail);
      const std::string limit = i < plan.rlimits.size() ? plan.rlimits[i].name : "?";
      return node + "failed to set rlimits." + limit + ": " + why;
    }
    case kNice: return node + "failed to set nice " + std::to_string(plan.nice.value_or(0)) + ": " + why;
    case kKeepCaps: return node + "failed to keep its capabilities (PR_SET_KEEPCAPS): " + why;
    case kGroups: return node + "failed to set its supplementary groups: " + why;
    case kSetgid:
      return node + "failed to set group " +
             std::to_string(plan.credentials ? plan.credentials->gid : 0) + ": " + why;
    case kSetuid:
      return node + "failed to set user " +
             std::to_string(plan.credentials ? plan.credentials->uid : 0) + ": " + why;
    case kCapabilities: return node + "failed to set its capabilities: " + why;
    case kAmbient: {
      return node + "failed to raise " + CapabilityName(r.detail) + " as an ambient capability: " +
             why;
    }
    default: return node + "failed to start (unknown stage " + std::to_string(r.stage) + ")";
  }
}

}  // namespace

Status ReserveSpawnSlots() { return TheSlots().error; }

Result<SpawnedNode> SpawnNode(const LaunchPlan& plan, const std::string& name) {
  const std::string what = "node '" + name + "': ";
  const Slots& slots = TheSlots();
  if (!slots.error.ok()) return slots.error.Prefixed("node '" + name + "'");
  if (plan.node_json_path) {
    Status s = WriteFileAtomically(*plan.node_json_path, plan.node_json, 0600);
    if (!s.ok()) return s.Prefixed(what.substr(0, what.size() - 2));
  }
  if (plan.layout_error) return Status::Error(*plan.layout_error);
  if (plan.setup_error) return Status::Error(*plan.setup_error);
  if (plan.layout_path) {
    // Nothing secret in it; readable by a node that runs as another user.
    Status s = WriteFileAtomically(*plan.layout_path, plan.layout_script, 0644);
    if (s.ok() && plan.zeekpath_layout_path) {
      s = WriteFileAtomically(*plan.zeekpath_layout_path, plan.zeekpath_layout_script, 0644);
    }
    if (!s.ok()) return s.Prefixed(what.substr(0, what.size() - 2));
  }

  SpawnedNode node;
  UniqueFd status_w, out_w, err_w;
  Status s = MakePipe(&node.status, &status_w, true);
  // Output goes through the stem also when it ends in a file (rotation and
  // reopen work there, and the node cannot write outside its file).
  if (s.ok()) s = MakePipe(&node.out, &out_w, true);
  if (s.ok()) s = MakePipe(&node.err, &err_w, true);
  if (!s.ok()) return s.Prefixed("node '" + name + "'");
  // A stream that only goes to a file is spliced in batches as large as its
  // pipe: a larger pipe means fewer wakeups of the stem per megabyte. Best
  // effort (the kernel caps pipe memory per user; the default size works).
  if (plan.stdout_path) ::fcntl(node.out.get(), F_SETPIPE_SZ, kFilePipeBytes);
  if (plan.stderr_path) ::fcntl(node.err.get(), F_SETPIPE_SZ, kFilePipeBytes);
  const CapSet caps = MakeCapSet(plan.capabilities);

  std::vector<char*> argv = CStrings(plan.argv);
  std::vector<char*> envp = CStrings(plan.env);
  const pid_t parent = ::getpid();
  const ChildArgs args{&plan, &caps, parent, &slots, argv.data(), envp.data()};
  pid_t pid = -1;
  int clone_errno = 0;
  const char* step = "pass its pipes";
  if (Fill(slots.out, out_w.get()) && Fill(slots.err, err_w.get()) &&
      Fill(slots.status, status_w.get())) {
    step = "clone";
    // vfork semantics (CLONE_VM | CLONE_VFORK): the child borrows the stem's
    // memory until it execs, so starting a node costs the same whatever the
    // stem's size (fork copied its page tables, and the stem then took a
    // fault on every page it wrote); the stem's thread waits until the exec
    // (or the child's _exit). CLONE_FILES: see Child(). The child makes
    // system calls only, on data prepared above, on its own stack.
    pid = ::clone(ChildEntry, slots.stack_top,
                  CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, const_cast<ChildArgs*>(&args));
    if (pid < 0) clone_errno = errno;
  } else {
    clone_errno = errno;
  }
  // The stem keeps no write end: EOF on a pipe means the node closed it.
  const bool emptied = Fill(slots.out, slots.in) && Fill(slots.err, slots.in) &&
                       Fill(slots.status, slots.in);
  if (!emptied) {
    // Cannot happen short of a kernel bug: the slots are open and ours.
    LogError("cannot reset the descriptors for starting nodes: " + std::string(std::strerror(errno)));
  }
  if (pid < 0) return Status::Errno("node '" + name + "': " + step, clone_errno);
  // Also set from the parent, so a signal to the group cannot miss a child
  // that has not run setpgid yet.
  ::setpgid(pid, pid);
  node.pid = pid;
  return node;
}

std::optional<ExecReport> ReadExecStatus(int fd, std::string* records, const LaunchPlan& plan,
                                         const std::string& name) {
  char buf[256];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      records->append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::nullopt;  // EAGAIN: not decided yet
    break;                           // EOF
  }
  ExecReport report;
  for (size_t off = 0; off + sizeof(Record) <= records->size(); off += sizeof(Record)) {
    Record r;
    std::memcpy(&r, records->data() + off, sizeof r);
    std::string message = Describe(r, plan, name);
    if (IsFatal(r.stage)) {
      report.exec_ok = false;
      report.failure = std::move(message);
    } else {
      report.warnings.push_back(std::move(message));
    }
  }
  return report;
}

}  // namespace zsup
