#include "broker/curve.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include <cerrno>

#include "broker/fd.h"

namespace zsup {
namespace {

constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool IsZ85Key(std::string_view text) {
  return text.size() == kZ85KeyChars &&
         text.find_first_not_of(kZ85Alphabet) == std::string_view::npos &&
         !Z85Decode32(std::string(text)).empty();
}

std::string Z85Decode32(const std::string& z85) {
  if (z85.size() != kZ85KeyChars) return "";
  std::string out(32, '\0');
  if (zmq_z85_decode(reinterpret_cast<uint8_t*>(out.data()), z85.c_str()) == nullptr) return "";
  return out;
}

Result<CurveKeyPair> NewCurveKeyPair() {
  char pub[kZ85KeyChars + 1] = {}, sec[kZ85KeyChars + 1] = {};
  if (zmq_curve_keypair(pub, sec) != 0) {
    return Status::Errno("cannot make a CURVE keypair (libzmq without CURVE?)", zmq_errno());
  }
  return CurveKeyPair{pub, sec};
}

Result<std::string> CurvePublicFromSecret(const std::string& secret_z85) {
  if (!IsZ85Key(secret_z85)) return Status::Error("not a Z85 secret key");
  char pub[kZ85KeyChars + 1] = {};
  if (zmq_curve_public(pub, secret_z85.c_str()) != 0) {
    return Status::Errno("cannot derive the public key", zmq_errno());
  }
  return std::string(pub);
}

Result<std::string> ParseKeyText(std::string_view text) {
  std::string key;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    std::string_view line = Trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;
    if (!key.empty()) return Status::Error("holds more than one key (one key per file)");
    if (!IsZ85Key(line)) {
      return Status::Error("holds no Z85 key (40 characters, as zsupctl keygen writes)");
    }
    key = std::string(line);
  }
  if (key.empty()) return Status::Error("holds no key");
  return key;
}

Result<std::string> ReadKeyFile(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
  if (!fd) return Status::Errno("cannot read key file " + path, errno);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return Status::Error("key file " + path + " is not a regular file");
  }
  std::string text(kMaxKeyFileBytes + 1, '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd.get(), text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Errno("cannot read key file " + path, errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > kMaxKeyFileBytes) return Status::Error("key file " + path + " is too large");
  text.resize(got);
  auto key = ParseKeyText(text);
  if (!key.ok()) return Status::Error("key file " + path + " " + key.error());
  return key;
}

Status WriteKeyFile(const std::string& path, const std::string& key, unsigned mode) {
  const std::string tmp = path + ".tmp";
  ::unlink(tmp.c_str());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
  if (!fd) return Status::Errno("cannot write " + tmp, errno);
  ::fchmod(fd.get(), mode);
  const std::string text = key + "\n";
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()) ||
      ::fsync(fd.get()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Status::Errno("cannot write " + tmp, err);
  }
  // link(2) refuses an existing target, where rename(2) would replace it.
  if (::link(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return err == EEXIST ? Status::Error(path + " exists already (not replaced)")
                         : Status::Errno("cannot write " + path, err);
  }
  ::unlink(tmp.c_str());
  return Status::Ok();
}

}  // namespace zsup
