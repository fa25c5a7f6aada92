// Writes zsupd's echo of node output ("[node] line") and its own log lines
// to one of its standard streams without ever blocking the loop.
//
// Text is buffered; the loop polls fd() for POLLOUT while wants_write() and
// calls OnWritable(). Pipes and sockets are switched to O_NONBLOCK; a
// terminal (whose file description the shell shares) is written at most
// PIPE_BUF bytes per wakeup instead; files are written directly. When the
// buffer grows past kSoftLimit the caller stops reading node output, so a
// slow reader slows the nodes down rather than losing lines.
#pragma once

#include <string>
#include <string_view>

namespace zsup {

class EchoWriter {
 public:
  static constexpr size_t kSoftLimit = 4 << 20;

  explicit EchoWriter(int fd);

  void Append(std::string_view text);
  void AppendLine(std::string_view node, std::string_view line);  // "[node] line\n"

  int fd() const { return fd_; }
  bool wants_write() const { return !buffer_.empty() && !broken_; }
  bool over_limit() const { return buffer_.size() - offset_ > kSoftLimit; }
  void OnWritable();
  // Writes everything left, blocking if need be (at exit).
  void FlushBlocking();

 private:
  void Compact();

  int fd_;
  bool chunked_ = false;  // a terminal: small writes after POLLOUT
  bool broken_ = false;   // the reader went away: drop further output
  std::string buffer_;
  size_t offset_ = 0;
};

}  // namespace zsup
