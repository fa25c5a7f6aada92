#include "stem/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>

#include "broker/fd.h"

namespace zsup {
namespace {

// The whole of a small /proc file ("" if it cannot be read).
std::string Slurp(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  std::string out;
  if (!fd) return out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void ParsePids(std::string_view text, std::vector<pid_t>* out) {
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    while (p < end && (*p < '0' || *p > '9')) ++p;
    pid_t pid = 0;
    auto [next, ec] = std::from_chars(p, end, pid);
    if (ec != std::errc()) break;
    if (pid > 0) out->push_back(pid);
    p = next;
  }
}

template <typename Visit>
void ForEachNumericEntry(const char* dir, Visit&& visit) {
  DIR* d = ::opendir(dir);
  if (d == nullptr) return;
  while (dirent* e = ::readdir(d)) {
    pid_t pid = 0;
    const std::string_view name(e->d_name);
    auto [p, ec] = std::from_chars(name.data(), name.data() + name.size(), pid);
    if (ec == std::errc() && p == name.data() + name.size()) visit(pid);
  }
  ::closedir(d);
}

bool HaveChildrenFiles() {
  static const bool have =
      ::access(("/proc/self/task/" + std::to_string(::getpid()) + "/children").c_str(), R_OK) == 0;
  return have;
}

}  // namespace

// The parent pid in /proc/<pid>/stat: the field after the ")" of the name.
pid_t ParentOf(pid_t pid) {
  const std::string stat = Slurp("/proc/" + std::to_string(pid) + "/stat");
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 4 > stat.size()) return 0;
  std::vector<pid_t> fields;
  ParsePids(std::string_view(stat).substr(close + 4), &fields);  // ") S PPID ..."
  return fields.empty() ? 0 : fields[0];
}


std::vector<pid_t> ChildrenOf(pid_t pid) {
  std::vector<pid_t> children;
  if (HaveChildrenFiles()) {
    const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
    ForEachNumericEntry(tasks.c_str(), [&](pid_t tid) {
      ParsePids(Slurp(tasks + "/" + std::to_string(tid) + "/children"), &children);
    });
    return children;
  }
  ForEachNumericEntry("/proc", [&](pid_t other) {
    if (ParentOf(other) == pid) children.push_back(other);
  });
  return children;
}

std::vector<pid_t> DescendantsOf(pid_t root) {
  std::vector<pid_t> out = ChildrenOf(root);
  for (size_t i = 0; i < out.size() && out.size() < 100000; ++i) {
    std::vector<pid_t> more = ChildrenOf(out[i]);
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

int SignalDescendantsOutsideGroup(pid_t root, int signal) {
  int n = 0;
  for (pid_t pid : DescendantsOf(root)) {
    if (::getpgid(pid) == root) continue;
    if (::kill(pid, signal) == 0) ++n;
  }
  return n;
}

}  // namespace zsup
