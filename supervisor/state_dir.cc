#include "supervisor/state_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace zsup {
namespace {

std::optional<pid_t> ReadPid(int fd) {
  char buf[32] = {};
  ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return std::nullopt;
  pid_t pid = 0;
  auto [p, ec] = std::from_chars(buf, buf + n, pid);
  if (ec != std::errc() || pid <= 0) return std::nullopt;
  return pid;
}

}  // namespace

Status MakeDirs(const std::string& path, mode_t mode) {
  if (path.empty()) return Status::Error("empty directory path");
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    if (::mkdir(prefix.c_str(), mode) != 0 && errno != EEXIST) {
      return Status::Errno("cannot create directory '" + prefix + "'", errno);
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::Errno("cannot create directory '" + path + "'", errno);
  if (!S_ISDIR(st.st_mode)) return Status::Error("'" + path + "' exists and is not a directory");
  return Status::Ok();
}

Result<UniqueFd> LockStateDir(const std::string& dir) {
  Status s = MakeDirs(dir, 0700);
  if (!s.ok()) return s;
  const std::string path = dir + "/zsupd.lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) return Status::Errno("cannot open " + path, errno);
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    auto pid = ReadPid(fd.get());
    return Status::Error("another zsupd (pid " + (pid ? std::to_string(*pid) : "unknown") +
                         ") already uses " + dir);
  }
  const std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd.get(), 0) != 0 ||
      ::pwrite(fd.get(), pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    return Status::Errno("cannot write " + path, errno);
  }
  return fd;
}

std::optional<pid_t> RunningStem(const std::string& dir) {
  UniqueFd fd(::open((dir + "/stem.lock").c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return std::nullopt;
  if (::flock(fd.get(), LOCK_SH | LOCK_NB) == 0) return std::nullopt;  // nobody holds it
  return ReadPid(fd.get());
}

}  // namespace zsup
