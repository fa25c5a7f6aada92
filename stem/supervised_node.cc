#include "stem/supervised_node.h"

#include <unistd.h>

#include <cerrno>

#include "broker/clock.h"
#include "broker/codec.h"
#include "broker/log.h"

namespace zsup {
namespace {

constexpr size_t kReadChunk = 64 * 1024;
// A frame is closed once it holds this much; zsupd publishes line by line
// anyway, so smaller frames only add per-message overhead.
constexpr size_t kFrameBytes = 64 * 1024;
// How long a pipe rests after its file could not be written (disk full,
// directory gone): long enough not to spin, short enough to resume soon.
constexpr Duration kFileRetry = std::chrono::seconds(1);

}  // namespace

SupervisedNode::SupervisedNode(NodeConfig config, std::string fingerprint,
                               NodeProcess::Options options, int64_t restarts, const Clock& clock)
    : clock_(clock),
      config_bytes_(EncodeNodeConfig(config)),
      name_(std::move(config.name)),
      ready_(std::move(config.ready)),
      fingerprint_(std::move(fingerprint)),
      process_(options, restarts) {
  config_bytes_.shrink_to_fit();
  if (ready_) {
    // Validated by zsupd; a config it never checked gets no probe.
    if (auto spec = ParseReady(*ready_); spec.ok() && spec->kind == ReadySpec::Kind::kTcp) {
      ready_spec_ = std::make_unique<ReadySpec>(*spec);
    }
  }
}

NodeConfig SupervisedNode::config() const {
  auto config = DecodeNodeConfig(config_bytes_);
  if (config.ok()) return std::move(*config);
  // Not reached: the bytes are EncodeNodeConfig's.
  LogError("node '" + name_ + "': its stored config does not decode: " + config.error());
  NodeConfig bare;
  bare.name = name_;
  bare.ready = ready_;
  return bare;
}

void SupervisedNode::SyncProbe() {
  if (ready_spec_ && process_.awaiting_ready() && process_.state() == NodeState::kRunning) {
    if (!probe_) probe_ = std::make_unique<ReadyProbe>(*ready_spec_);
  } else {
    probe_.reset();
  }
}

Status SupervisedNode::OpenFiles(const NodeConfig& config) {
  const std::optional<Credentials>& cred = plan_->credentials;
  const bool other_user = cred && cred->uid != 0;
  for (Stream s : {Stream::kStdout, Stream::kStderr}) {
    Pipe& pipe = pipes_[Index(s)];
    const std::optional<std::string>& path = s == Stream::kStdout ? plan_->stdout_path : plan_->stderr_path;
    pipe.file.reset();
    pipe.paused_until.reset();
    pipe.publish = !path || config.tee.value_or(false);
    if (!path) continue;
    pipe.failing = false;
    if (s == Stream::kStderr && pipes_[0].file && plan_->stdout_path == path) {
      pipe.file = pipes_[0].file;  // 2>&1: the same file
      continue;
    }
    OutputFile::Options o;
    o.path = *path;
    o.rotation = s == Stream::kStdout ? config.stdout_rotate : config.stderr_rotate;
    if (!o.rotation && plan_->stdout_path == plan_->stderr_path) o.rotation = config.stderr_rotate;
    if (other_user) {
      o.uid = cred->uid;
      o.gid = cred->gid;
      // The user may change what is below its directory, or any directory
      // it owns elsewhere: no symlink is followed on the way to the file.
      const bool inside = plan_->directory && path->starts_with(*plan_->directory + "/");
      o.beneath = inside ? *plan_->directory : std::string("/");
    }
    auto file = OutputFile::Open(std::move(o));
    if (!file.ok()) {
      return file.status().Prefixed("node '" + name_ + "' " + std::string(StreamName(s)) + "_file");
    }
    pipe.file = std::make_shared<OutputFile>(std::move(*file));
  }
  return Status::Ok();
}

Status SupervisedNode::ReopenFiles() {
  Status first;
  for (Pipe& pipe : pipes_) {
    if (!pipe.file) continue;
    if (&pipe == &pipes_[1] && pipe.file == pipes_[0].file) continue;  // reopened already
    Status s = pipe.file->Reopen();
    pipe.paused_until.reset();
    if (!s.ok() && first.ok()) first = s.Prefixed("node '" + name_ + "': reopen");
  }
  return first;
}

std::optional<TimePoint> SupervisedNode::resume_at() const {
  std::optional<TimePoint> next;
  for (const Pipe& pipe : pipes_) {
    if (pipe.fd && pipe.paused_until && (!next || *pipe.paused_until < *next)) next = pipe.paused_until;
  }
  return next;
}

Status SupervisedNode::Spawn(const LaunchContext& context, TimePoint now) {
  const NodeConfig config = this->config();
  plan_ = std::make_unique<LaunchPlan>(PlanLaunch(config, context));
  // Opened for every process, so that a revival writes to what logrotate
  // left at the path (appending: nothing is truncated).
  Status opened = plan_->setup_error ? Status::Error(*plan_->setup_error) : OpenFiles(config);
  auto spawned = opened.ok() ? SpawnNode(*plan_, name_) : Result<SpawnedNode>(opened);
  if (!spawned.ok()) {
    process_.SpawnFailed(now);
    plan_.reset();
    return spawned.status();
  }
  // Only what describes an exec failure is read later: the environment and
  // the scripts (a few KiB a node, the node's JSON among them) go now, with
  // their storage (`x = {}` would keep a vector's or string's capacity).
  // (A replay spawns every node before it reads any exec report.)
  std::vector<std::string>().swap(plan_->env);
  std::string().swap(plan_->node_json);
  std::string().swap(plan_->layout_script);
  std::string().swap(plan_->zeekpath_layout_script);
  status_ = std::move(spawned->status);
  status_records_.clear();
  pipes_[0].fd = std::move(spawned->out);
  pipes_[1].fd = std::move(spawned->err);
  process_.Spawned(spawned->pid, now);
  started_wall_ = clock_.Wall();
  probe_.reset();
  status_text_.reset();
  return Status::Ok();
}

std::optional<ExecReport> SupervisedNode::ReadExecStatus() {
  if (!status_) return std::nullopt;
  auto report = zsup::ReadExecStatus(status_.get(), &status_records_, *plan_, name_);
  if (report) {
    status_.Reset();
    plan_.reset();
  }
  return report;
}

std::optional<std::string> SupervisedNode::ReadStream(Stream s, size_t max_bytes, TimePoint now,
                                                      std::vector<std::string>* frames) {
  Pipe& pipe = pipes_[Index(s)];
  if (!pipe.fd || (pipe.paused_until && *pipe.paused_until > now)) return std::nullopt;
  pipe.paused_until.reset();
  std::optional<std::string> error;
  // Reported once per failure, not at every retry or read.
  auto failed = [&](const Status& status, const char* then) {
    pipe.paused_until = now + kFileRetry;
    if (!pipe.failing) {
      error = "node '" + name_ + "' " + std::string(StreamName(s)) + "_file: " + status.message() +
              then;
    }
    pipe.failing = true;
  };
  if (pipe.file && !pipe.publish) {
    // Only to the file: the bytes never pass through the stem.
    bool eof = false;
    auto moved = pipe.file->Splice(pipe.fd.get(), max_bytes, &eof);
    if (moved.ok()) {
      pipe.failing = false;
    } else {
      failed(moved.status(), "; output waits (retried every second)");
    }
    if (eof) pipe.fd.Reset();
    return error;
  }
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
    if (pipe.file && !error) {
      // `tee`: what cannot be written is still published (and reported).
      Status w = pipe.file->Write(std::string_view(buf.data(), static_cast<size_t>(n)));
      if (w.ok()) {
        pipe.failing = false;
      } else {
        failed(w, "; its output is published but not written");
        pipe.paused_until.reset();  // published anyway: no reason to stop reading
      }
    }
    pipe.splitter.Feed(std::string_view(buf.data(), static_cast<size_t>(n)),
                       [&](std::string_view line) {
                         if (!encoder_.active()) {
                           encoder_.Begin(name_, s, pipe.next_seq, clock_.Wall());
                         }
                         encoder_.Line(line);
                         ++pipe.next_seq;
                         if (encoder_.bytes() >= kFrameBytes) frames->push_back(encoder_.Finish());
                       });
    if (static_cast<size_t>(n) < buf.size()) break;  // drained what was there
  }
  Flush(s, eof, frames);
  if (eof) pipe.fd.Reset();
  return error;
}

void SupervisedNode::Flush(Stream s, bool final, std::vector<std::string>* frames) {
  Pipe& pipe = pipes_[Index(s)];
  if (final) {
    pipe.splitter.Flush([&](std::string_view line) {
      if (!encoder_.active()) encoder_.Begin(name_, s, pipe.next_seq, clock_.Wall());
      encoder_.Line(line);
      ++pipe.next_seq;
    });
  }
  if (encoder_.active()) frames->push_back(encoder_.Finish());
}

std::optional<std::string> SupervisedNode::DrainOutput(TimePoint now,
                                                       std::vector<std::string>* frames) {
  std::optional<std::string> error;
  for (Stream s : {Stream::kStdout, Stream::kStderr}) {
    // The process is gone: what is in the pipe is all it wrote. A grandchild
    // may still hold the write end, so read what is there, not until EOF.
    pipes_[Index(s)].paused_until.reset();
    if (auto e = ReadStream(s, SIZE_MAX, now, frames); e && !error) error = std::move(e);
    Flush(s, /*final=*/true, frames);
    pipes_[Index(s)].fd.Reset();
  }
  return error;
}

stem::NodeReport SupervisedNode::Report() const {
  stem::NodeReport r;
  r.name = name_;
  r.fingerprint = fingerprint_;
  r.state = process_.state();
  if (process_.pid()) r.pid = *process_.pid();
  r.restarts = process_.restarts();
  if (process_.pid()) r.started_at = started_wall_;  // of the current process only
  r.last_exit = process_.last_exit();
  r.config = config();
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
  u.name = name_;
  u.state = current.state;
  if (current.pid) u.pid = *current.pid;
  u.restarts = process_.restarts();
  u.ready = current.ready;
  u.at = clock_.Wall();
  u.status_text = current.status_text;
  if (u.state == NodeState::kBackoff && process_.deadline()) {
    u.next_start_at = clock_.Wall() + Seconds(*process_.deadline() - now).count();
  }
  return u;
}

}  // namespace zsup
