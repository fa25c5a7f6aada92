// Parsing of `zsupctl create`'s execution options into NodeConfig values
// (PROTOCOL.md v2): --umask, --rlimit, --rotate, and relative paths. Pure
// functions apart from AbsolutePath (the working directory); each error is
// one line naming the option.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "broker/messages.h"
#include "broker/status.h"

namespace zsup::ctl {

// Backups kept by --rotate SIZE without ":BACKUPS" (supervisord's default).
inline constexpr int64_t kDefaultBackups = 10;

// "1048576", "100k", "10M", "1G" (powers of 1024; k/K, m/M, g/G, an optional
// trailing B or iB) -> bytes, at least 1.
Result<int64_t> ParseSize(const std::string& text);

// "SIZE" or "SIZE:BACKUPS".
Result<Rotation> ParseRotate(const std::string& text);

// "NAME=N" or "NAME=SOFT:HARD"; N may be "unlimited" or "infinity" (-1).
Result<std::pair<std::string, Rlimit>> ParseRlimit(const std::string& text);

// Octal as umask(1) takes it: "027", "0022", "7".
Result<int64_t> ParseUmask(const std::string& text);

// `path` made absolute against the current working directory ("" stays "").
Result<std::string> AbsolutePath(const std::string& path);

}  // namespace zsup::ctl
