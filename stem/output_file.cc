#include "stem/output_file.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

namespace zsup {
namespace {

constexpr mode_t kFileMode = 0640;

int OpenAt2(int dirfd, const std::string& path, uint64_t flags, uint64_t resolve) {
  open_how how{};
  how.flags = flags;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path.c_str(), &how, sizeof how));
}

}  // namespace

Result<OutputFile> OutputFile::Open(Options options) {
  OutputFile file(std::move(options));
  Status s = file.OpenPath();
  if (!s.ok()) return s;
  return file;
}

Status OutputFile::OpenPath() {
  const std::string& path = options_.path;
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos || slash + 1 == path.size()) {
    return Status::Error("'" + path + "' is not an absolute file path");
  }
  base_ = path.substr(slash + 1);
  const std::string dir = slash == 0 ? "/" : path.substr(0, slash);
  const std::optional<std::string>& beneath = options_.beneath;
  const std::string below_prefix = beneath && *beneath != "/" ? *beneath + "/" : "/";
  if (beneath && (dir == *beneath || dir.starts_with(below_prefix))) {
    // Below the node's directory, which its user may change: no symlinks.
    UniqueFd top(::open(beneath->c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!top) return Status::Errno("cannot open directory '" + *beneath + "'", errno);
    if (dir == *beneath) {
      dir_ = std::move(top);
    } else {
      const std::string below = dir.substr(below_prefix.size());
      dir_.Reset(OpenAt2(top.get(), below, O_PATH | O_DIRECTORY | O_CLOEXEC,
                         RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS));
      if (!dir_) {
        return Status::Errno("cannot open directory '" + dir + "' (no symlink is followed on the "
                             "way to a file written for a node with a user)", errno);
      }
    }
  } else {
    dir_.Reset(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir_) return Status::Errno("cannot open directory '" + dir + "'", errno);
  }

  // O_NONBLOCK: a FIFO without a reader must not hang the stem (it is
  // refused below anyway). O_NOFOLLOW: never through a planted symlink.
  const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK;
  bool created = true;
  UniqueFd fd(::openat(dir_.get(), base_.c_str(), flags | O_CREAT | O_EXCL, kFileMode));
  if (!fd && errno == EEXIST) {
    created = false;
    fd.Reset(::openat(dir_.get(), base_.c_str(), flags));
  }
  if (!fd) {
    return Status::Errno("cannot open '" + path + "'" + (errno == ELOOP ? " (a symlink)" : ""),
                         errno);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return Status::Errno("cannot stat '" + path + "'", errno);
  if (!S_ISREG(st.st_mode) && !S_ISCHR(st.st_mode)) {
    return Status::Error("'" + path + "' is neither a regular file nor a character device");
  }
  regular_ = S_ISREG(st.st_mode);
  ::fcntl(fd.get(), F_SETFL, O_APPEND);  // blocking again (a file never blocks for long)
  if (created && options_.uid &&
      ::fchown(fd.get(), *options_.uid, options_.gid.value_or(static_cast<gid_t>(-1))) != 0) {
    return Status::Errno("cannot give '" + path + "' to uid " + std::to_string(*options_.uid),
                         errno);
  }
  fd_ = std::move(fd);
  append_ = true;
  size_ = regular_ ? st.st_size : 0;
  return Status::Ok();
}

Status OutputFile::Reopen() {
  fd_.Reset();
  dir_.Reset();
  return OpenPath();  // on failure the next write tries again
}

Status OutputFile::Prepare(size_t next) {
  if (!fd_) {
    // A reopen or a rotation could not open the file: try again now.
    Status s = OpenPath();
    if (!s.ok()) return s;
  }
  if (!regular_) return Status::Ok();
  struct stat st {};
  // Someone may have truncated it (logrotate's copytruncate): go on at its end.
  if (::fstat(fd_.get(), &st) != 0) return Status::Errno("cannot stat '" + options_.path + "'", errno);
  size_ = st.st_size;
  const std::optional<Rotation>& r = options_.rotation;
  if (r && next > 0 && size_ > 0 && size_ + static_cast<int64_t>(next) > r->max_bytes) return Rotate();
  return Status::Ok();
}

Status OutputFile::Rotate() {
  const int dir = dir_.get();
  const int64_t backups = options_.rotation->backups;
  auto numbered = [this](int64_t n) { return base_ + "." + std::to_string(n); };
  for (int64_t n = backups - 1; n >= 1; --n) {
    if (::renameat(dir, numbered(n).c_str(), dir, numbered(n + 1).c_str()) != 0 && errno != ENOENT) {
      return Status::Errno("cannot rotate '" + options_.path + "." + std::to_string(n) + "'", errno);
    }
  }
  const int moved = backups >= 1 ? ::renameat(dir, base_.c_str(), dir, numbered(1).c_str())
                                 : ::unlinkat(dir, base_.c_str(), 0);
  if (moved != 0 && errno != ENOENT) return Status::Errno("cannot rotate '" + options_.path + "'", errno);
  // Everything written so far is in the moved file: start the next one
  // (if that fails, the next write tries to open it again, not to rotate).
  fd_.Reset();
  size_ = 0;
  return OpenPath();
}

Status OutputFile::WriteAt(std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = append_ ? ::write(fd_.get(), data.data(), data.size())
                              : ::pwrite(fd_.get(), data.data(), data.size(), size_);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Errno("cannot write '" + options_.path + "'", n < 0 ? errno : EIO);
    size_ += n;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

size_t OutputFile::MaxChunk() const {
  if (!options_.rotation || !regular_) return SIZE_MAX;
  return static_cast<size_t>(options_.rotation->max_bytes);
}

Status OutputFile::Write(std::string_view data) {
  // In pieces of at most max_bytes, each rotating first when due: no file
  // ever passes max_bytes.
  while (!data.empty()) {
    const std::string_view piece = data.substr(0, MaxChunk());
    Status s = Prepare(piece.size());
    if (s.ok()) s = WriteAt(piece);
    if (!s.ok()) return s;
    data.remove_prefix(piece.size());
  }
  return Status::Ok();
}

Result<size_t> OutputFile::Splice(int pipe_fd, size_t max_bytes, bool* eof) {
  *eof = false;
  size_t total = 0;
  char buf[64 * 1024];
  // Without rotation the size matters only as the offset: read it once per
  // batch, not per chunk.
  const bool rotating = options_.rotation && regular_;
  if (!rotating) {
    Status s = Prepare(0);
    if (!s.ok()) return s;
  }
  while (total < max_bytes) {
    size_t want = max_bytes - total;
    bool probe_into_full = false;
    if (rotating) {
      // The chunk's size decides the rotation: ask the pipe what it holds
      // (nothing there: one byte tells EOF from "not yet").
      int available = 0;
      if (::ioctl(pipe_fd, FIONREAD, &available) != 0) available = 0;
      want = std::min({want, available > 0 ? static_cast<size_t>(available) : 1, MaxChunk()});
      Status s = Prepare(available > 0 ? want : 0);  // the EOF probe never rotates
      if (!s.ok()) return s;
      // A byte the node wrote since FIONREAD would go past max_bytes: the
      // probe reads it, and the file rotates before it is written.
      probe_into_full = available <= 0 && size_ + 1 > options_.rotation->max_bytes;
    }
    ssize_t n = -1;
    if (splice_ok_ && regular_ && !probe_into_full) {
      if (append_) {
        ::fcntl(fd_.get(), F_SETFL, 0);  // splice(2) cannot write O_APPEND; offsets instead
        append_ = false;
      }
      loff_t offset = size_;
      n = ::splice(pipe_fd, nullptr, fd_.get(), &offset, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n < 0 && errno == EINVAL) {
        splice_ok_ = false;  // a filesystem without splice_write: copy from now on
        continue;
      }
      if (n > 0) size_ = offset;
    } else {
      n = ::read(pipe_fd, buf, std::min(want, sizeof buf));
      if (n > 0 && probe_into_full) {
        Status s = Prepare(static_cast<size_t>(n));
        if (!s.ok()) return s;
      }
      if (n > 0) {
        Status s = WriteAt(std::string_view(buf, static_cast<size_t>(n)));
        if (!s.ok()) return s;
      }
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n < 0) return Status::Errno("cannot write '" + options_.path + "'", errno);
    if (n == 0) {
      *eof = true;
      break;
    }
    total += static_cast<size_t>(n);
  }
  return total;
}

}  // namespace zsup
