#include "broker/unsent_frames.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "broker/fd.h"
#include "broker/msgpack_reader.h"

namespace zsup::stem {

std::string UnsentPath(const std::string& state_dir) { return state_dir + "/stem.unsent"; }

Status SaveUnsentFrames(const std::string& state_dir, const std::vector<std::string>& frames) {
  if (frames.empty()) return Status::Ok();
  msgpack::sbuffer buf;
  msgpack::packer<msgpack::sbuffer> pk(buf);
  size_t bytes = 0, count = 0;
  for (const std::string& f : frames) {
    if (bytes + f.size() > kMaxUnsentBytes) break;
    bytes += f.size();
    ++count;
  }
  pk.pack_array(static_cast<uint32_t>(count));
  for (size_t i = 0; i < count; ++i) {
    pk.pack_bin(static_cast<uint32_t>(frames[i].size()));
    pk.pack_bin_body(frames[i].data(), static_cast<uint32_t>(frames[i].size()));
  }
  const std::string path = UnsentPath(state_dir);
  const std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd) return Status::Errno("cannot write " + tmp, errno);
  const char* p = buf.data();
  size_t left = buf.size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Status::Errno("cannot write " + tmp, errno);
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return Status::Errno("cannot write " + path, errno);
  }
  return Status::Ok();
}

Result<std::vector<std::string>> TakeUnsentFrames(const std::string& state_dir) {
  const std::string path = UnsentPath(state_dir);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (!fd) {
    if (errno == ENOENT) return std::vector<std::string>();
    return Status::Errno("cannot read " + path, errno);
  }
  std::string data;
  char chunk[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Errno("cannot read " + path, errno);
    if (n == 0) break;
    data.append(chunk, static_cast<size_t>(n));
    if (data.size() > 2 * kMaxUnsentBytes) break;  // not ours: the decode below refuses it
  }
  ::unlink(path.c_str());
  auto handle = mp::Unpack(data);
  if (!handle.ok()) return handle.status().Prefixed(path);
  const msgpack::object& o = handle->get();
  if (o.type != msgpack::type::ARRAY) return Status::Error(path + ": not an array of frames");
  std::vector<std::string> frames;
  for (uint32_t i = 0; i < o.via.array.size; ++i) {
    const msgpack::object& f = o.via.array.ptr[i];
    if (f.type != msgpack::type::BIN) return Status::Error(path + ": not an array of frames");
    frames.emplace_back(f.via.bin.ptr, f.via.bin.size);
  }
  return frames;
}

}  // namespace zsup::stem
