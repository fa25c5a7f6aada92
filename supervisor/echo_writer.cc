#include "supervisor/echo_writer.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace zsup {

EchoWriter::EchoWriter(int fd) : fd_(fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    broken_ = true;
    return;
  }
  if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  } else if (::isatty(fd)) {
    chunked_ = true;
  }
}

void EchoWriter::Append(std::string_view text) {
  if (broken_) return;
  buffer_.append(text);
}

void EchoWriter::AppendLine(std::string_view node, std::string_view line) {
  if (broken_) return;
  buffer_ += '[';
  buffer_.append(node);
  buffer_ += "] ";
  buffer_.append(line);
  buffer_ += '\n';
}

void EchoWriter::OnWritable() {
  while (offset_ < buffer_.size()) {
    size_t len = buffer_.size() - offset_;
    if (chunked_ && len > PIPE_BUF) len = PIPE_BUF;
    ssize_t n = ::write(fd_, buffer_.data() + offset_, len);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      if (errno != EAGAIN) broken_ = true;  // EPIPE and the like: nobody reads
      break;
    }
    offset_ += static_cast<size_t>(n);
    if (chunked_) break;  // wait for the next POLLOUT
  }
  if (broken_) {
    buffer_.clear();
    offset_ = 0;
  }
  Compact();
}

void EchoWriter::FlushBlocking() {
  while (wants_write()) {
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, 1000) <= 0) break;
    OnWritable();
  }
}

void EchoWriter::Compact() {
  if (offset_ == buffer_.size()) {
    buffer_.clear();
    offset_ = 0;
  } else if (offset_ > (1 << 20)) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
}

}  // namespace zsup
