// One node inside the stem: its config, its state machine (NodeProcess) and
// the descriptors of its current process (exec status pipe, output pipes).
// Output is read here and turned into encoded NodeOutput frames; `seq`
// counts up per stream for the node's whole life in this stem, across
// revivals. Owned by the Stem; single-threaded.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "broker/clock.h"
#include "broker/fd.h"
#include "broker/messages.h"
#include "broker/stem_protocol.h"
#include "stem/launch.h"
#include "stem/node_process.h"
#include "stem/output_file.h"
#include "stem/output_splitter.h"
#include "stem/ready_probe.h"
#include "stem/spawn.h"

namespace zsup {

class SupervisedNode {
 public:
  // `clock` (the stem's) gives the wall times of output and updates; it
  // must outlive the node.
  SupervisedNode(NodeConfig config, std::string fingerprint, NodeProcess::Options options,
                 int64_t restarts, const Clock& clock);

  const std::string& name() const { return name_; }
  // The config, decoded from the compact form the node keeps (a few
  // microseconds: for spawns and reports, not for every line).
  NodeConfig config() const;
  // Its `ready` (unset: "exec").
  const std::optional<std::string>& ready() const { return ready_; }
  const std::string& fingerprint() const { return fingerprint_; }
  NodeProcess& process() { return process_; }
  const NodeProcess& process() const { return process_; }

  // Forks and execs a new process and tells the state machine. On failure
  // the machine has been told too (SpawnFailed) and the error is returned.
  Status Spawn(const LaunchContext& context, TimePoint now);
  // Wall-clock time of the current process's start (read once at spawn, so
  // every report gives the same value).
  double started_wall() const { return started_wall_; }

  // Descriptors to poll; -1 when closed or paused after a file error.
  int status_fd() const { return status_.get(); }
  int stream_fd(Stream s) const { return pipes_[Index(s)].fd.get(); }
  // Whether to poll the stream now: a pipe whose file could not be written
  // rests until resume_at() (the node blocks meanwhile; nothing is lost).
  bool stream_paused(Stream s, TimePoint now) const {
    const auto& until = pipes_[Index(s)].paused_until;
    return until && *until > now;
  }
  std::optional<TimePoint> resume_at() const;
  // Whether the stream's bytes become output frames (no file, or `tee`);
  // a stream that only goes to its file never waits for zsupd.
  bool publishes(Stream s) const { return pipes_[Index(s)].publish; }
  // Ends the rests that are over (call before computing the next deadline).
  void ResumeStreams(TimePoint now) {
    for (Pipe& pipe : pipes_) {
      if (pipe.paused_until && *pipe.paused_until <= now) pipe.paused_until.reset();
    }
  }

  // The status pipe is readable: the exec report once the child exec'd or died.
  std::optional<ExecReport> ReadExecStatus();

  // Reads what is available (at most `max_bytes`) from one output pipe:
  // into its file when it has one (v2), and as encoded NodeOutput frames
  // appended to `frames` when it is published (no file, or `tee`). Closes
  // the pipe at EOF. Returns the error of a file write that failed, once
  // per failure (the pipe then rests for a second).
  std::optional<std::string> ReadStream(Stream s, size_t max_bytes, TimePoint now,
                                        std::vector<std::string>* frames);

  // After the process was reaped: reads what is left in both pipes, flushes
  // partial lines, closes them. Returns a file write error, if any (what
  // could not be written is lost with the pipe).
  std::optional<std::string> DrainOutput(TimePoint now, std::vector<std::string>* frames);

  // `reopen`: closes and opens again the files output goes to (none: OK).
  Status ReopenFiles();

  // ---- readiness (v2) ----
  // Starts or drops the TCP probe as the process needs one (`ready: tcp`
  // and awaiting readiness); call after every change of the process.
  void SyncProbe();
  ReadyProbe* probe() { return probe_.get(); }
  const ReadyProbe* probe() const { return probe_.get(); }
  // The last STATUS= the node sent (kept for the current process only).
  void set_status_text(std::string text) { status_text_ = std::move(text); }

  stem::NodeReport Report() const;
  // The node's state as a NodeUpdate when its state or pid changed since the
  // last call (the first call always returns one).
  std::optional<stem::NodeUpdate> TakeUpdate(TimePoint now);

 private:
  struct Pipe {
    UniqueFd fd;
    OutputSplitter splitter;
    int64_t next_seq = 1;
    // v2: where the stream's bytes go; one file shared by both streams when
    // stdout_file and stderr_file are the same path (2>&1), so that its
    // rotation and reopen happen once.
    std::shared_ptr<OutputFile> file;
    bool failing = false;  // its last write failed (reported once)
    bool publish = true;             // no file, or `tee`
    std::optional<TimePoint> paused_until;
  };
  Status OpenFiles(const NodeConfig& config);
  static size_t Index(Stream s) { return s == Stream::kStdout ? 0 : 1; }
  void Flush(Stream s, bool final, std::vector<std::string>* frames);

  const Clock& clock_;
  // The config as msgpack (EncodeNodeConfig): a sleeping node's is ~100
  // bytes where a NodeConfig takes ~1.1 KiB inline, per node, for the
  // life of the stem.
  std::string config_bytes_;
  std::string name_;
  std::optional<std::string> ready_;
  std::string fingerprint_;
  NodeProcess process_;
  // The current process's launch plan, from its spawn until the exec report
  // (ReadExecStatus), the last reader; env and scripts go at the spawn.
  std::unique_ptr<LaunchPlan> plan_;
  UniqueFd status_;
  std::string status_records_;
  double started_wall_ = 0;
  std::array<Pipe, 2> pipes_;
  stem::OutputEncoder encoder_;
  std::unique_ptr<ReadySpec> ready_spec_;  // tcp only; a pointer: 8 bytes a node, not 152
  std::unique_ptr<ReadyProbe> probe_;  // a pointer: 8 bytes a node, not 208, without tcp readiness
  std::optional<std::string> status_text_;
  struct Reported {
    NodeState state;
    std::optional<pid_t> pid;
    bool ready;
    std::optional<std::string> status_text;
    bool operator==(const Reported&) const = default;
  };
  std::optional<Reported> reported_;
};

}  // namespace zsup
