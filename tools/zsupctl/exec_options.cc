#include "tools/zsupctl/exec_options.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <string_view>

namespace zsup::ctl {
namespace {

std::optional<int64_t> Number(std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<int64_t> Limit(std::string_view text) {
  if (text == "unlimited" || text == "infinity") return -1;
  auto n = Number(text);
  if (!n || *n < -1) return std::nullopt;
  return n;
}

}  // namespace

Result<int64_t> ParseSize(const std::string& text) {
  std::string_view t = text;
  if (t.ends_with("iB")) {
    t.remove_suffix(2);
  } else if (t.ends_with('B') && t.size() > 1 && !std::isdigit(static_cast<unsigned char>(t[t.size() - 2]))) {
    t.remove_suffix(1);
  }
  int shift = 0;
  if (!t.empty()) {
    switch (t.back()) {
      case 'k': case 'K': shift = 10; break;
      case 'm': case 'M': shift = 20; break;
      case 'g': case 'G': shift = 30; break;
      default: break;
    }
  }
  if (shift != 0) t.remove_suffix(1);
  auto n = Number(t);
  if (!n || *n < 1 || *n > (int64_t{1} << (50 - shift))) {
    return Status::Error("'" + text + "' is not a size (bytes, or a number with k, M or G)");
  }
  return *n << shift;
}

Result<Rotation> ParseRotate(const std::string& text) {
  const size_t colon = text.find(':');
  auto size = ParseSize(text.substr(0, colon));
  if (!size.ok()) return Status::Error("--rotate: " + size.error());
  Rotation r{*size, kDefaultBackups};
  if (colon != std::string::npos) {
    auto backups = Number(std::string_view(text).substr(colon + 1));
    if (!backups || *backups < 0 || *backups > 1000) {
      return Status::Error("--rotate: backups must be a number from 0 to 1000, not '" +
                           text.substr(colon + 1) + "'");
    }
    r.backups = *backups;
  }
  return r;
}

Result<std::pair<std::string, Rlimit>> ParseRlimit(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::Error("--rlimit: expected NAME=N or NAME=SOFT:HARD (e.g. nofile=65536), got '" +
                         text + "'");
  }
  const std::string name = text.substr(0, eq);
  const std::string_view value = std::string_view(text).substr(eq + 1);
  const size_t colon = value.find(':');
  auto soft = Limit(value.substr(0, colon));
  auto hard = colon == std::string_view::npos ? soft : Limit(value.substr(colon + 1));
  if (!soft || !hard) {
    return Status::Error("--rlimit " + name + ": '" + std::string(value) +
                         "' is not a limit (a number, or unlimited)");
  }
  return std::pair{name, Rlimit{*soft, *hard}};
}

Result<int64_t> ParseUmask(const std::string& text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 8);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0 ||
      value > 0777) {
    return Status::Error("--umask: '" + text + "' is not an octal mask from 0 to 0777");
  }
  return value;
}

Result<std::string> AbsolutePath(const std::string& path) {
  if (path.empty() || path.starts_with('/')) return path;
  char buf[4096];
  if (::getcwd(buf, sizeof buf) == nullptr) {
    return Status::Errno("cannot make '" + path + "' absolute: getcwd", errno);
  }
  std::string dir = buf;
  std::string_view rest = path;
  while (rest.starts_with("./")) rest.remove_prefix(2);
  if (rest == ".") return dir;
  return (dir == "/" ? "" : dir) + "/" + std::string(rest);
}

}  // namespace zsup::ctl
