#include "supervisor/stem_client.h"

#include <poll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "broker/log.h"
#include "broker/paths.h"
#include "broker/signals.h"
#include "supervisor/state_dir.h"

namespace zsup {
namespace {

using std::chrono::seconds;

constexpr Duration kHelloRetry = seconds(1);
constexpr Duration kMinStemInterval = seconds(1);
constexpr size_t kMaxOutbound = 100000;  // messages; beyond this the stem is not reading

}  // namespace

StemClient::StemClient(zmq::context_t& context, StemClientOptions options)
    : context_(context), options_(std::move(options)) {}

Status StemClient::Connect(TimePoint now) {
  ++link_generation_;
  welcomed_ = false;
  outbound_.Clear();
  adopted_ = false;
  child_ = false;
  if (auto running = RunningStem(options_.state_dir)) {
    pid_ = *running;
    adopted_ = true;
  } else {
    Status s = Spawn();
    if (!s.ok()) return s;
    child_ = true;
  }
  earliest_restart_ = now + kMinStemInterval;
  pidfd_.Reset(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
  if (!pidfd_) return Status::Errno("cannot watch zsup-stem (pid " + std::to_string(pid_) + ")", errno);
  if (link_) {
    Status s = link_->Reset();
    if (!s.ok()) return s;
  } else {
    auto link = Link::Create(context_, StemEndpoint(options_.state_dir), Link::Role::kConnect);
    if (!link.ok()) return link.status();
    link_ = std::move(*link);
  }
  LogInfo(std::string(adopted_ ? "adopting the running" : "started") + " zsup-stem (pid " +
          std::to_string(pid_) + ")");
  SayHello(now);
  liveness_.Start(now);
  return Status::Ok();
}

Status StemClient::Spawn() {
  if (::access(options_.stem_path.c_str(), X_OK) != 0) {
    return Status::Errno("cannot run zsup-stem at '" + options_.stem_path + "'", errno);
  }
  // Settings travel in every Hello, not on the command line: an adopted stem
  // takes the adopting zsupd's, and `ps` shows nothing stale.
  std::vector<std::string> args = {options_.stem_path, "--state-dir", options_.state_dir};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return Status::Errno("fork zsup-stem", errno);
  if (pid == 0) {
    // Async-signal-safe only: the stem must not inherit our blocked signals,
    // our session (a Ctrl-C for zsupd), or any descriptor beyond 0-2.
    ResetSignalsForChild();
    ::setsid();
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  return Status::Ok();
}

void StemClient::SayHello(TimePoint now) {
  stem::Hello hello;
  hello.supervisor_pid = ::getpid();
  hello.settings = options_.settings;
  Send(hello);
  next_hello_ = now + kHelloRetry;
}

void StemClient::Send(const stem::Message& message) {
  if (!link_) return;
  if (outbound_.size() >= kMaxOutbound) {
    LogError("the stem is not reading: dropping a message to it");
    return;
  }
  outbound_.Push(stem::Encode(message));
  Flush();
}

void StemClient::Flush() {
  if (!link_) return;
  if (Status s = outbound_.Flush(*link_); !s.ok()) LogError(s.message());
}

void StemClient::Receive(TimePoint now, size_t max, const Handlers& handlers) {
  // One OutputAck per batch, for the last numbered output frame handled
  // (and only to the link that sent it).
  int64_t handled = 0;
  const uint64_t generation = link_generation_;
  for (size_t n = 0; link_ && n < max && !handlers.blocked(); ++n) {
    auto msg = link_->TryReceive();
    if (!msg.ok()) {
      LogError(msg.error());
      break;
    }
    if (!msg->has_value()) break;
    liveness_.Heard(now);
    const std::string_view frame = (*msg)->to_string_view();
    if (auto output = stem::DecodeOutputView(frame)) {
      if (output->ok()) {
        handlers.output(output->value());
        handled = std::max(handled, output->value().id);
      } else {
        LogError("bad output message from zsup-stem: " + output->error());
        handled = std::max(handled, stem::OutputIdOf(frame));  // nothing to gain from it again
      }
      continue;
    }
    auto decoded = stem::Decode(frame);
    if (!decoded.ok()) {
      LogError("bad message from zsup-stem: " + decoded.error());
      continue;
    }
    if (std::holds_alternative<stem::Welcome>(*decoded)) {
      if (welcomed_) continue;  // an answer to a repeated Hello
      welcomed_ = true;
      link_version_ = std::get<stem::Welcome>(*decoded).version;
      liveness_.Start(now);
    }
    handlers.message(*decoded);
  }
  if (handled > 0 && generation == link_generation_) Send(stem::OutputAck{handled});
}

std::optional<std::string> StemClient::CheckExited() {
  if (!pidfd_) return std::nullopt;
  if (child_) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == 0) return std::nullopt;
    if (r == pid_) {
      pidfd_.Reset();
      welcomed_ = false;
      if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
      if (WIFSIGNALED(status)) return std::string("was killed by SIG") + sigabbrev_np(WTERMSIG(status));
      return "ended";
    }
  }
  // Not our child (adopted): the pidfd is readable once it has exited.
  pollfd p{pidfd_.get(), POLLIN, 0};
  if (::poll(&p, 1, 0) <= 0) return std::nullopt;
  pidfd_.Reset();
  welcomed_ = false;
  return "exited";
}

void StemClient::Tick(TimePoint now) {
  if (!pidfd_ || !link_) return;
  if (!welcomed_ && now >= next_hello_) SayHello(now);
  if (welcomed_ && liveness_.HeartbeatDue(now)) Send(stem::Heartbeat{});
  if (liveness_.Silent(now) && InboundWaiting()) {
    liveness_.Heard(now);  // not silent: zsupd holds its output back (OutputBlocked)
  }
  if (liveness_.Silent(now)) {
    LogWarning("zsup-stem (pid " + std::to_string(pid_) + ") silent for " +
               std::to_string(static_cast<int>(Seconds(liveness_.silence()).count())) +
               " s: reconnecting");
    outbound_.Clear();
    ++link_generation_;
    Status s = link_->Reset();
    if (!s.ok()) LogError(s.message());
    welcomed_ = false;
    liveness_.Start(now);
    SayHello(now);
  }
}

bool StemClient::InboundWaiting() {
  try {
    return (link_->socket().get(zmq::sockopt::events) & ZMQ_POLLIN) != 0;
  } catch (const zmq::error_t&) {
    return false;
  }
}

std::optional<TimePoint> StemClient::NextDeadline() const {
  if (!pidfd_ || !link_) return std::nullopt;
  // Before the Welcome no heartbeat goes out: the Hello retry instead.
  if (!welcomed_) return std::min(next_hello_, liveness_.silence_deadline());
  return liveness_.deadline();
}

}  // namespace zsup
