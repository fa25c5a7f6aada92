#include "supervisor/state_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>

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

Status MakeDirs(const std::string& path, mode_t mode, std::optional<std::pair<uid_t, gid_t>> owner) {
  if (path.empty()) return Status::Error("empty directory path");
  bool created_last = false;
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string prefix = path.substr(0, pos);
    created_last = ::mkdir(prefix.c_str(), mode) == 0;
    if (!created_last && errno != EEXIST) {
      return Status::Errno("cannot create directory '" + prefix + "'", errno);
    }
  }
  // Only the directory itself goes to `owner`: owning a parent would let
  // that user swap a sibling for a symlink. Through a descriptor opened
  // without following symlinks, so nothing else can be given away.
  if (owner && created_last) {
    UniqueFd dir(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dir || ::fchown(dir.get(), owner->first, owner->second) != 0) {
      return Status::Errno("cannot give directory '" + path + "' to uid " +
                           std::to_string(owner->first), errno);
    }
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return Status::Errno("cannot create directory '" + path + "'", errno);
  if (!S_ISDIR(st.st_mode)) return Status::Error("'" + path + "' exists and is not a directory");
  return Status::Ok();
}

namespace {

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Every directory above `dir`, nearest first ("/a/b/c" -> "/a/b", "/a", "/").
std::vector<std::string> Ancestors(const std::string& dir) {
  std::vector<std::string> out;
  std::string path = dir;
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  for (;;) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) break;
    path = slash == 0 ? "/" : path.substr(0, slash);
    out.push_back(path);
    if (path == "/") break;
  }
  return out;
}

}  // namespace

Status SecureStateDir(const std::string& dir, std::vector<std::string>* warnings,
                      std::optional<gid_t> group) {
  Status s = MakeDirs(dir, 0700);
  if (!s.ok()) return s;
  char real[PATH_MAX];
  if (::realpath(dir.c_str(), real) == nullptr) return Status::Errno("cannot resolve " + dir, errno);
  const uid_t me = ::geteuid();
  struct stat st {};
  if (::stat(real, &st) != 0) return Status::Errno("cannot stat " + dir, errno);
  if (st.st_uid != me) {
    return Status::Error("state directory " + dir + " belongs to uid " + std::to_string(st.st_uid) +
                         ", not to zsupd's uid " + std::to_string(me) +
                         ": whoever owns it could replace its database; use a directory of "
                         "your own");
  }
  for (const std::string& up : Ancestors(real)) {
    struct stat a {};
    if (::stat(up.c_str(), &a) != 0) return Status::Errno("cannot stat " + up, errno);
    const bool sticky = (a.st_mode & S_ISVTX) != 0;
    if (a.st_uid != 0 && a.st_uid != me) {
      return Status::Error("state directory " + dir + " is inside " + up + ", which belongs to uid " +
                           std::to_string(a.st_uid) + ": that user could replace it");
    }
    if ((a.st_mode & S_IWOTH) != 0 && !sticky) {
      return Status::Error("state directory " + dir + " is inside " + up + " (mode " +
                           Octal(a.st_mode) +
                           "), which anyone can write to: they could replace it");
    }
    if ((a.st_mode & S_IWGRP) != 0 && !sticky && warnings != nullptr) {
      warnings->push_back(up + " (above the state directory) is group-writable (mode " +
                          Octal(a.st_mode) + "): its group could replace " + dir);
    }
  }
  if (group) {
    if (st.st_gid != *group && ::chown(real, static_cast<uid_t>(-1), *group) != 0) {
      return Status::Errno("cannot give " + dir + " to group " + std::to_string(*group), errno);
    }
    if ((st.st_mode & 0777) != 0750 && ::chmod(real, 0750) != 0) {
      return Status::Errno("cannot chmod 0750 " + dir, errno);
    }
    return Status::Ok();
  }
  if ((st.st_mode & 077) != 0) {
    if (::chmod(real, 0700) != 0) return Status::Errno("cannot chmod 0700 " + dir, errno);
    if (warnings != nullptr) {
      warnings->push_back("state directory " + dir + " was mode " + Octal(st.st_mode) +
                          " (others could reach its sockets and files): set to 0700");
    }
  }
  return Status::Ok();
}

Status RestrictIpcSocket(const std::string& endpoint, std::optional<gid_t> group) {
  constexpr std::string_view kIpc = "ipc://";
  if (!endpoint.starts_with(kIpc)) return Status::Ok();
  const std::string path = endpoint.substr(kIpc.size());
  if (group && ::chown(path.c_str(), static_cast<uid_t>(-1), *group) != 0) {
    return Status::Errno("cannot give " + path + " to group " + std::to_string(*group), errno);
  }
  const mode_t mode = group ? 0660 : 0600;
  if (::chmod(path.c_str(), mode) != 0) return Status::Errno("cannot chmod " + path, errno);
  return Status::Ok();
}

Result<UniqueFd> LockStateDir(const std::string& dir, std::vector<std::string>* warnings,
                              std::optional<gid_t> group) {
  Status s = SecureStateDir(dir, warnings, group);
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
