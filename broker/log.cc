#include "broker/log.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>

namespace zsup {
namespace {

std::string& Program() {
  static std::string program = "zsup";
  return program;
}

LogLevel& Threshold() {
  static LogLevel level = [] {
    const char* debug = std::getenv("ZSUP_DEBUG");
    return debug != nullptr && *debug != '\0' && *debug != '0' ? LogLevel::kDebug : LogLevel::kInfo;
  }();
  return level;
}

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "DEBUG";
    case LogLevel::kInfo: return "INFO";
    case LogLevel::kWarning: return "WARNING";
    case LogLevel::kError: return "ERROR";
  }
  return "?";
}

struct Sink {
  LogSink sink = nullptr;
  void* context = nullptr;
};
Sink& CurrentSink() {
  static Sink sink;
  return sink;
}

}  // namespace

void SetLogSink(LogSink sink, void* context) { CurrentSink() = Sink{sink, context}; }

void SetLogProgram(std::string_view program) { Program() = std::string(program); }
void SetLogLevel(LogLevel level) { Threshold() = level; }

void Log(LogLevel level, std::string_view message) {
  if (level < Threshold()) return;
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[80];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  std::string line = stamp;
  line += Program();
  line += ' ';
  line += LevelName(level);
  line += ' ';
  line += message;
  line += '\n';
  LogFormatted(line);
}

void LogFormatted(std::string_view text) {
  std::string owned;
  std::string_view line = text;
  if (line.empty() || line.back() != '\n') {
    owned.reserve(text.size() + 1);
    owned.append(text).push_back('\n');
    line = owned;
  }
  if (const Sink& sink = CurrentSink(); sink.sink != nullptr) {
    sink.sink(line, sink.context);
    return;
  }
  // One write per line so concurrent writers do not interleave mid-line.
  const char* p = line.data();
  size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) break;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace zsup
