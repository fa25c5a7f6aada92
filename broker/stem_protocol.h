// Messages on the internal zsupd <-> zsup-stem PAIR link, one msgpack map
// per frame with a type key "t".
//
// Versioning: zsupd's Hello carries the newest version it speaks, the stem's
// Welcome the version both will use (the lower of the two). Readers ignore
// fields they do not know and report a message type they do not know as
// UnknownMessage (to be logged and skipped), so a newer zsupd can drive an
// older running stem and the other way round. Decoding is total, like the
// public codec: any frame gives a message or an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "broker/messages.h"
#include "broker/status.h"

namespace zsup::stem {

// Version 2 adds NodeUpdate and StemLog (sent only once both sides speak 2)
// and NodeReport.config. Version 3 adds ReopenNode (zsupd sends it only to
// a stem that speaks 3). Version 4 adds OutputAck, and NodeOutput.id: the
// stem keeps each output frame it sent until zsupd acknowledges it, and
// sends the unacknowledged ones again to the next zsupd after losing one.
inline constexpr int64_t kProtocolVersion = 4;

// Behaviour zsupd asks of the stem; sent in every Hello so a stem adopted by
// a newer zsupd takes the new settings.
struct Settings {
  std::string zeek_path = "zeek";
  double stop_timeout = 26.0;    // seconds from SIGTERM to SIGKILL
  double revival_cap = 300.0;    // longest revival delay, seconds
  double grace = 60.0;           // how long nodes outlive a lost zsupd; 0 = stop at once
  bool operator==(const Settings&) const = default;
};

// ---- zsupd -> stem ----
struct Hello {
  int64_t version = kProtocolVersion;
  int64_t supervisor_pid = 0;
  Settings settings;
  bool operator==(const Hello&) const = default;
};
struct CreateNode {
  NodeConfig config;
  std::string fingerprint;  // of the config, echoed back in NodeReport
  int64_t restarts = 0;     // restart count to continue from
  bool operator==(const CreateNode&) const = default;
};
struct DestroyNode {
  std::string name;
  bool operator==(const DestroyNode&) const = default;
};
struct RestartNode {
  std::string name;
  bool operator==(const RestartNode&) const = default;
};
struct ReopenNode {  // v3: reopen the node's stdout_file / stderr_file
  std::string name;
  bool operator==(const ReopenNode&) const = default;
};
struct Shutdown {
  bool operator==(const Shutdown&) const = default;
};
struct Heartbeat {
  bool operator==(const Heartbeat&) const = default;
};
// v4: zsupd has handled (published) every output frame whose id is at most
// `through`. Cumulative; a lower value than an earlier one changes nothing.
struct OutputAck {
  int64_t through = 0;
  bool operator==(const OutputAck&) const = default;
};

// ---- stem -> zsupd ----
struct NodeReport {
  std::string name;
  std::string fingerprint;
  NodeState state = NodeState::kStarting;
  std::optional<int64_t> pid;
  int64_t restarts = 0;
  std::optional<double> started_at;
  std::optional<ExitInfo> last_exit;
  // v2: the config the stem runs, so that a zsupd whose state.db was lost
  // can take it back instead of stopping the node (docs/state.md).
  std::optional<NodeConfig> config;
  // v2, absent from older stems: whether the current process is ready, and
  // the last STATUS= it sent on the notify socket.
  std::optional<bool> ready = {};
  std::optional<std::string> status_text = {};
  bool operator==(const NodeReport&) const = default;
};
struct Welcome {
  int64_t version = kProtocolVersion;
  int64_t stem_pid = 0;
  std::vector<NodeReport> nodes;
  bool operator==(const Welcome&) const = default;
};
struct NodeStarted {  // exec succeeded
  std::string name;
  int64_t pid = 0;
  int64_t restarts = 0;
  double at = 0;
  bool operator==(const NodeStarted&) const = default;
};
struct NodeExited {
  std::string name;
  int64_t pid = 0;
  std::optional<int64_t> code;
  std::optional<int64_t> signal;
  bool commanded = false;
  double at = 0;
  // backoff, starting (restart), exited (gone: destroyed or shut down when
  // `commanded`, not revived by its restart_policy when not) or, v2, failed
  NodeState next = NodeState::kBackoff;
  int64_t restarts = 0;  // spawns after the first, counting the one `next` may start
  std::optional<std::string> reason = {};  // v2: why, when `next` is failed
  bool operator==(const NodeExited&) const = default;
};
struct NodeOutput {
  std::string name;
  Stream stream = Stream::kStdout;
  int64_t first_seq = 1;  // seq of lines[0]; the rest follow by one
  double at = 0;
  std::vector<std::string> lines;
  // v4: the frame's number, rising by one per output frame for the life of
  // the stem; 0 when the stem wants no OutputAck for it (older stems).
  int64_t id = 0;
  bool operator==(const NodeOutput&) const = default;
};
struct NodeError {
  std::string name;
  std::string message;
  bool operator==(const NodeError&) const = default;
};
// v2: what the node's process is now, sent whenever that changes: spawned
// (starting, with its pid), spawn failed (backoff), stopping (with its pid),
// or the stem forgot the node (`gone`: no NodeExited follows). The pid-less
// transitions are otherwise invisible to zsupd.
struct NodeUpdate {
  std::string name;
  NodeState state = NodeState::kStarting;
  std::optional<int64_t> pid;
  int64_t restarts = 0;
  std::optional<double> next_start_at;  // wall clock, in backoff
  bool gone = false;
  // Absent from older stems. `ready`: the current process is ready (sent
  // when it becomes so); `at`: wall clock of the change in the stem.
  std::optional<bool> ready = {};
  std::optional<double> at = {};
  std::optional<std::string> status_text = {};
  bool operator==(const NodeUpdate&) const = default;
};
// v2: one formatted log line of the stem ("<time> zsup-stem LEVEL text"),
// which zsupd writes to its own log: an adopted stem logs where the zsupd
// that adopted it logs, not into the stderr of the one that started it.
struct StemLog {
  std::string line;
  bool operator==(const StemLog&) const = default;
};
struct Bye {  // the stem stopped every node and is exiting
  bool operator==(const Bye&) const = default;
};
// zsupd has read everything up to the Bye: the stem may close the link
// (closing earlier can lose what ZeroMQ had not delivered yet).
struct ByeAck {
  bool operator==(const ByeAck&) const = default;
};
struct UnknownMessage {
  std::string type;
  bool operator==(const UnknownMessage&) const = default;
};
// Decoded from a `create` whose config this side cannot read, typically a
// newer zsupd's config with a field an older stem does not know: the stem
// answers with a NodeError for that node instead of leaving it pending.
// Never sent (encodes as an unknown type).
struct RejectedCreate {
  std::string name;
  std::string error;
  bool operator==(const RejectedCreate&) const = default;
};

using Message = std::variant<Hello, CreateNode, DestroyNode, RestartNode, ReopenNode, Shutdown,
                             Heartbeat, OutputAck,
                             Welcome, NodeStarted, NodeExited, NodeOutput, NodeError, NodeUpdate,
                             StemLog, Bye, ByeAck, UnknownMessage, RejectedCreate>;

std::string Encode(const Message& message);
Result<Message> Decode(std::string_view frame);

// A NodeOutput frame read in place, for zsupd's hot path: the views point
// into the frame, which must outlive the view. Lines are not checked for
// UTF-8 here (the stem makes them valid; the caller decides).
struct OutputView {
  std::string_view name;
  Stream stream = Stream::kStdout;
  int64_t first_seq = 1;
  double at = 0;
  std::vector<std::string_view> lines;
  int64_t id = 0;  // 0: no OutputAck wanted
};
// nullopt when `frame` is not an output message (then use Decode()).
std::optional<Result<OutputView>> DecodeOutputView(std::string_view frame);

// A NodeOutput frame built line by line without copying the lines anywhere
// else first (the stem's hot path). The line count is patched in at Finish();
// the id is 0 until StampOutputId() sets it in place.
class OutputEncoder {
 public:
  void Begin(std::string_view name, Stream stream, int64_t first_seq, double at);
  void Line(std::string_view line);
  bool active() const { return active_; }
  size_t lines() const { return lines_; }
  size_t bytes() const { return buf_.size(); }
  // The frame; the encoder is ready for the next Begin().
  std::string Finish();

 private:
  std::string buf_;
  size_t count_offset_ = 0;
  uint32_t lines_ = 0;
  bool active_ = false;
};

// Sets the id of a frame made by OutputEncoder (it sits at a fixed offset).
// False, and the frame unchanged, for any other frame.
bool StampOutputId(std::string& frame, int64_t id);
// The id of a frame made by OutputEncoder, without decoding it; 0 for any
// other frame.
int64_t OutputIdOf(std::string_view frame);

// Fingerprint of a config: 16 hex digits of a 64-bit FNV-1a hash of its
// canonical msgpack encoding. Equal configs have equal fingerprints.
std::string Fingerprint(const NodeConfig& config);

}  // namespace zsup::stem
