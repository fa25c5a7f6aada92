#include "stem/supervised_node.h"

#include <unistd.h>

#include <cerrno>

#include "broker/clock.h"

namespace zsup {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// A frame is closed once it holds this much; zsupd publishes line by line
// anyway, so smaller frames only add per-message overhead.
constexpr size_t kFrameBytes = 64 * 1024;

}  // namespace

SupervisedNode::SupervisedNode(NodeConfig config, std::string fingerprint,
                               NodeProcess::Options options, int64_t restarts)
    : config_(std::move(config)), fingerprint_(std::move(fingerprint)),
      process_(options, restarts) {
  if (config_.ready) {
    // Validated by zsupd; a config it never checked gets no probe.
    if (auto spec = ParseReady(*config_.ready); spec.ok() && spec->kind == ReadySpec::Kind::kTcp) {
      ready_spec_ = *spec;
    }
  }
}

void SupervisedNode::SyncProbe() {
  if (ready_spec_ && process_.awaiting_ready() && process_.state() == NodeState::kRunning) {
    if (!probe_) probe_.emplace(*ready_spec_);
  } else {
    probe_.reset();
  }
}

Status SupervisedNode::Spawn(const LaunchContext& context, TimePoint now) {
  plan_ = PlanLaunch(config_, context);
  auto spawned = SpawnNode(plan_, config_.name);
  if (!spawned.ok()) {
    process_.SpawnFailed(now);
    return spawned.status();
  }
  status_ = std::move(spawned->status);
  status_records_.clear();
  pipes_[0].fd = std::move(spawned->out);
  pipes_[1].fd = std::move(spawned->err);
  process_.Spawned(spawned->pid, now);
  started_wall_ = WallNow();
  probe_.reset();
  status_text_.reset();
  return Status::Ok();
}

std::optional<ExecReport> SupervisedNode::ReadExecStatus() {
  if (!status_) return std::nullopt;
  auto report = zsup::ReadExecStatus(status_.get(), &status_records_, plan_, config_.name);
  if (report) status_.Reset();
  return report;
}

void SupervisedNode::ReadStream(Stream s, size_t max_bytes, std::vector<std::string>* frames) {
  Pipe& pipe = pipes_[Index(s)];
  thread_local std::string buf(kReadChunk, '\0');
  size_t total = 0;
  bool eof = false;
  while (pipe.fd && total < max_bytes) {
    ssize_t n = ::read(pipe.fd.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;  // EAGAIN: nothing more for now
    if (n == 0) {
      eof = true;
      break;
    }
    total += static_cast<size_t>(n);
    pipe.splitter.Feed(std::string_view(buf.data(), static_cast<size_t>(n)),
                       [&](std::string_view line) {
                         if (!encoder_.active()) {
                           encoder_.Begin(config_.name, s, pipe.next_seq, WallNow());
                         }
                         encoder_.Line(line);
                         ++pipe.next_seq;
                         if (encoder_.bytes() >= kFrameBytes) frames->push_back(encoder_.Finish());
                       });
    if (static_cast<size_t>(n) < buf.size()) break;  // drained what was there
  }
  Flush(s, eof, frames);
  if (eof) pipe.fd.Reset();
}

void SupervisedNode::Flush(Stream s, bool final, std::vector<std::string>* frames) {
  Pipe& pipe = pipes_[Index(s)];
  if (final) {
    pipe.splitter.Flush([&](std::string_view line) {
      if (!encoder_.active()) encoder_.Begin(config_.name, s, pipe.next_seq, WallNow());
      encoder_.Line(line);
      ++pipe.next_seq;
    });
  }
  if (encoder_.active()) frames->push_back(encoder_.Finish());
}

void SupervisedNode::DrainOutput(std::vector<std::string>* frames) {
  for (Stream s : {Stream::kStdout, Stream::kStderr}) {
    // The process is gone: what is in the pipe is all it wrote. A grandchild
    // may still hold the write end, so read what is there, not until EOF.
    ReadStream(s, SIZE_MAX, frames);
    Flush(s, /*final=*/true, frames);
    pipes_[Index(s)].fd.Reset();
  }
}

stem::NodeReport SupervisedNode::Report() const {
  stem::NodeReport r;
  r.name = config_.name;
  r.fingerprint = fingerprint_;
  r.state = process_.state();
  if (process_.pid()) r.pid = *process_.pid();
  r.restarts = process_.restarts();
  if (process_.pid()) r.started_at = started_wall_;  // of the current process only
  r.last_exit = process_.last_exit();
  r.config = config_;
  r.ready = process_.ready();
  if (process_.pid()) r.status_text = status_text_;
  return r;
}

std::optional<stem::NodeUpdate> SupervisedNode::TakeUpdate(TimePoint now) {
  const Reported current{process_.state(), process_.pid(), process_.ready(),
                         process_.pid() ? status_text_ : std::nullopt};
  if (reported_ == current) return std::nullopt;
  reported_ = current;
  stem::NodeUpdate u;
  u.name = config_.name;
  u.state = current.state;
  if (current.pid) u.pid = *current.pid;
  u.restarts = process_.restarts();
  u.ready = current.ready;
  u.at = WallNow();
  u.status_text = current.status_text;
  if (u.state == NodeState::kBackoff && process_.deadline()) {
    u.next_start_at = WallNow() + Seconds(*process_.deadline() - now).count();
  }
  return u;
}

}  // namespace zsup
