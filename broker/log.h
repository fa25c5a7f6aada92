// Log lines of zsup's own processes: to stderr, one line each, with a UTC
// timestamp, the program name and a level:
//   2026-11-25T22:40:01.123Z zsupd INFO state dir /run/user/0/zsup
// Writes are best-effort and never block the loop for long (stderr is
// written with one write() per line). Thread-compatible.
#pragma once

#include <string>
#include <string_view>

namespace zsup {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

// Set once at start (e.g. "zsupd"); defaults to "zsup".
void SetLogProgram(std::string_view program);
// Lines below this level are dropped (default kInfo; ZSUP_DEBUG=1 sets kDebug).
void SetLogLevel(LogLevel level);

// Where formatted lines go instead of stderr (zsupd routes them through its
// non-blocking writer); nullptr restores direct writes to stderr.
using LogSink = void (*)(std::string_view line, void* context);
void SetLogSink(LogSink sink, void* context);

void Log(LogLevel level, std::string_view message);
// A line another zsup process formatted (no newline): written as is, through
// the sink if one is set. Not filtered by level.
void LogFormatted(std::string_view line);
inline void LogInfo(std::string_view m) { Log(LogLevel::kInfo, m); }
inline void LogWarning(std::string_view m) { Log(LogLevel::kWarning, m); }
inline void LogError(std::string_view m) { Log(LogLevel::kError, m); }
inline void LogDebug(std::string_view m) { Log(LogLevel::kDebug, m); }

}  // namespace zsup
