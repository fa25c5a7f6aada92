// The values that cross zsup's process boundaries, as ../shared/PROTOCOL.md
// defines them. Plain data: no behaviour beyond naming helpers. Encoding and
// decoding live in codec.h, validation in validation.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace zsup {

enum class ClusterRole { kNone, kLogger, kManager, kProxy, kWorker };

// "WORKER" etc.
std::string_view RoleName(ClusterRole role);
// Accepts "WORKER" and "Supervisor::WORKER" (and the other four names).
std::optional<ClusterRole> ParseRole(std::string_view text);

struct Port {
  uint16_t port = 0;
  std::string proto = "tcp";  // "tcp", "udp", "icmp" or "unknown"
  bool operator==(const Port&) const = default;
};

struct ClusterEndpoint {
  ClusterRole role = ClusterRole::kNone;
  std::string host;
  Port p;
  std::optional<std::string> interface;
  std::optional<std::string> pcap_file;
  std::optional<Port> metrics_port;
  bool operator==(const ClusterEndpoint&) const = default;
};

// Extension (docs/protocol.md, "Zeek clusters"): the cluster-wide settings
// the layout script of a Zeek-mode node holds besides its `cluster` table.
struct ClusterBackend {
  std::string type;                          // "zeromq" or "broker"
  std::optional<std::string> xpub_endpoint;  // zeromq: where the manager's proxy
  std::optional<std::string> xsub_endpoint;  // listens, e.g. "tcp://10.0.0.1:27760"
  std::optional<std::string> metrics_address;  // an IP: where the metrics ports listen
  bool operator==(const ClusterBackend&) const = default;
};

// v2 `rlimits` entry: soft and hard limit; -1 is unlimited. One int on the
// wire sets both (and is how equal soft and hard limits are encoded).
struct Rlimit {
  int64_t soft = 0;
  int64_t hard = 0;
  bool operator==(const Rlimit&) const = default;
};

// v2 `stdout_rotate` / `stderr_rotate`: F -> F.1 -> ... -> F.<backups>.
struct Rotation {
  int64_t max_bytes = 0;
  int64_t backups = 0;
  bool operator==(const Rotation&) const = default;
};

// Zeek's Supervisor::NodeConfig plus zsup's extensions (`command`, `scripts`).
struct NodeConfig {
  std::string name;
  std::optional<std::string> interface;
  std::optional<std::string> pcap_file;
  std::optional<std::string> directory;
  std::optional<std::string> stdout_file;
  std::optional<std::string> stderr_file;
  std::optional<bool> bare_mode;
  std::vector<std::string> addl_base_scripts;
  std::vector<std::string> addl_user_scripts;
  std::vector<std::string> scripts;  // Zeek's `scripts` field (Zeek >= 5)
  std::map<std::string, std::string> env;
  std::optional<int64_t> cpu_affinity;
  std::map<std::string, ClusterEndpoint> cluster;
  std::vector<std::string> command;  // extension: exec'd as is, no shell
  // ---- version 2 (docs/protocol.md) ----
  std::optional<std::string> name_space = {};  // "namespace": a label for selection
  std::optional<std::string> stop_signal = {};  // "TERM", "INT", ...: sent first on a stop
  std::optional<double> stop_timeout = {};      // seconds to SIGKILL; default zsupd's
  std::optional<std::string> restart_policy = {};  // "always" (default), "on-failure", "never"
  std::vector<int64_t> permanent_failure_codes = {};  // exit codes that mean: give up now
  std::optional<int64_t> start_limit_burst = {};      // more starts than this within...
  std::optional<double> start_limit_interval = {};    // ...this many seconds (10): give up
  std::optional<int64_t> stage = {};        // start order (0): after every lower stage is ready
  std::optional<std::string> ready = {};    // "exec" (default), "notify", "tcp:[HOST:]PORT"
  std::optional<double> ready_timeout = {};  // seconds (60): not ready by then = a failed start
  std::optional<ClusterBackend> cluster_backend = {};  // Zeek mode's layout script
  // ---- version 2: execution (docs/execution.md) ----
  std::optional<std::string> user = {};       // name or numeric uid to run as
  std::optional<std::string> group = {};      // name or gid: the primary group instead
  std::vector<std::string> capabilities = {};  // "CAP_NET_RAW": kept as ambient ones
  std::optional<int64_t> umask = {};          // 0 to 0777
  std::optional<int64_t> nice = {};           // -20 to 19
  std::map<std::string, Rlimit> rlimits = {};  // "nofile" -> limits
  std::optional<Rotation> stdout_rotate = {};
  std::optional<Rotation> stderr_rotate = {};
  std::optional<bool> tee = {};  // file-bound output is published too
  bool operator==(const NodeConfig&) const = default;
};

// kWaiting and kStopped are zsupd's; the stem never reports them. kWaiting:
// desired up, no process yet (its start is with the stem, or the stem is
// being replaced). kStopped (v2): desired down (`stop`), no process.
// kFailed (v2): given up on (a permanent failure code or the start limit).
// kExited: not revived (its restart_policy; or, in the stem, being forgotten).
enum class NodeState {
  kStarting, kRunning, kBackoff, kStopping, kExited, kWaiting, kStopped, kFailed
};
std::string_view StateName(NodeState state);  // "starting", ...
std::optional<NodeState> ParseState(std::string_view text);

struct ExitInfo {
  std::optional<int64_t> code;    // set when the process exited
  std::optional<int64_t> signal;  // set when a signal killed it
  double at = 0;
  // Extension: it exited because of destroy, restart, stop or shutdown, not
  // by itself. Absent on the wire (an older peer) reads as false.
  bool commanded = false;
  bool operator==(const ExitInfo&) const = default;
};

struct NodeStatus {
  NodeConfig node;
  std::optional<int64_t> pid;  // exactly while starting, running or stopping
  std::optional<NodeState> state;
  std::optional<int64_t> restarts;
  std::optional<double> started_at;
  std::optional<ExitInfo> last_exit;
  std::optional<std::string> last_error;  // extension: why the last start failed
  std::optional<double> next_start_at;    // v2: in backoff, when the revival is due
  std::optional<bool> desired_up;         // v2: "desired": "up" or "down"
  std::optional<std::string> failed_reason;  // v2: in state failed
  std::optional<bool> ready;                 // v2: the current process is ready
  std::optional<std::string> status_text;    // extension: its last sd_notify STATUS=
  // Extension, only in a reply to a status request with `detail`: the most
  // recent exits zsupd remembers, newest first (at most kExitHistory).
  std::optional<std::vector<ExitInfo>> exits = {};
  // Encoding only (zsupd): when set, the msgpack of `node`, written as is in
  // its place (`node` is then not read). Decoders leave it empty.
  std::string node_msgpack = {};
  bool operator==(const NodeStatus&) const = default;
};

struct StatusReport {
  std::map<std::string, NodeStatus> nodes;
  bool operator==(const StatusReport&) const = default;
};

enum class Stream { kStdout, kStderr };
std::string_view StreamName(Stream stream);  // "stdout" / "stderr"
std::optional<Stream> ParseStream(std::string_view text);

// ---- control requests (REQ/REP) ----

struct PingRequest {
  // Extension: zsupd publishes `pong/<token>` when it answers. A subscriber
  // that receives it knows that every subscription it sent before is in
  // effect: the late-join handshake of client/client.h.
  std::optional<std::string> pong = {};
  bool operator==(const PingRequest&) const = default;
};
struct CreateRequest {
  NodeConfig config;
  bool operator==(const CreateRequest&) const = default;
};
// Which nodes a command is for: `node` (one exact name; "" = every node),
// or (version 2) `nodes` (exact names) or `name_space` ("namespace": every
// node whose config has it). At most one of the three is given.
struct Selector {
  std::string node;
  std::optional<std::vector<std::string>> nodes = {};
  std::optional<std::string> name_space = {};
  bool operator==(const Selector&) const = default;
};
struct DestroyRequest : Selector {
  bool operator==(const DestroyRequest&) const = default;
};
struct RestartRequest : Selector {
  bool operator==(const RestartRequest&) const = default;
};
struct StatusRequest : Selector {
  // Extension: also each node's recent `exits` (NodeStatus::exits).
  bool detail = false;
  bool operator==(const StatusRequest&) const = default;
};
struct StopRequest : Selector {  // v2
  bool operator==(const StopRequest&) const = default;
};
struct StartRequest : Selector {  // v2
  bool operator==(const StartRequest&) const = default;
};
struct ReopenRequest : Selector {  // v2: reopen stdout_file / stderr_file
  bool operator==(const ReopenRequest&) const = default;
};
struct TailRequest {
  std::string node;
  Stream stream = Stream::kStdout;
  int64_t lines = 0;
  bool operator==(const TailRequest&) const = default;
};
// v2: makes `nodes` the desired state in one transaction (docs/protocol.md).
struct ApplyRequest {
  std::vector<NodeConfig> nodes;
  std::optional<std::string> name_space = {};  // "namespace"
  bool prune = false;
  bool dry_run = false;
  bool operator==(const ApplyRequest&) const = default;
};
using Request = std::variant<PingRequest, CreateRequest, DestroyRequest, RestartRequest,
                             StatusRequest, TailRequest, StopRequest, StartRequest, ApplyRequest,
                             ReopenRequest>;

// ---- control replies ----

// How many exits per node zsupd keeps in memory for a `detail` status.
inline constexpr size_t kExitHistory = 8;

// The protocol level zsupd implements: 2 is PROTOCOL.md's "Version 2 additions".
inline constexpr int64_t kProtocolLevel = 2;

struct PingReply {
  std::string version;
  int64_t pid = 0;
  std::optional<int64_t> protocol = {};  // absent: a zsupd before the v2 additions
  bool operator==(const PingReply&) const = default;
};

struct ApplyReply {  // names, sorted
  std::vector<std::string> created, updated, unchanged, destroyed;
  bool operator==(const ApplyReply&) const = default;
};

struct OutputLine {
  std::string msg;
  int64_t seq = 0;
  double at = 0;
  bool operator==(const OutputLine&) const = default;
};

// ---- events (PUB): topic "<kind>/<node>" plus one of these ----

struct NodeStatusEvent {
  std::string node;
  int64_t pid = 0;
  int64_t restarts = 0;
  double at = 0;
  bool operator==(const NodeStatusEvent&) const = default;
};

struct NodeExitEvent {
  std::string node;
  int64_t pid = 0;
  std::optional<int64_t> code;
  std::optional<int64_t> signal;
  bool commanded = false;
  double at = 0;
  bool operator==(const NodeExitEvent&) const = default;
};

struct PongEvent {  // extension: pong/<token>, for a ping that asked for it
  std::string node;  // the token (named `node` like every event's second topic part)
  double at = 0;
  bool operator==(const PongEvent&) const = default;
};

struct NodeReadyEvent {  // v2: node_ready/<node>
  std::string node;
  int64_t pid = 0;
  double at = 0;
  bool operator==(const NodeReadyEvent&) const = default;
};

struct NodeFailedEvent {  // v2: node_failed/<node>
  std::string node;
  std::string reason;
  double at = 0;
  bool operator==(const NodeFailedEvent&) const = default;
};

struct OutputEvent {
  std::string node;
  std::string msg;
  int64_t seq = 0;
  double at = 0;
  bool operator==(const OutputEvent&) const = default;
};

// Extension, the batches socket (docs/protocol.md): the lines of one read of
// a node's stream, topic "stdout/<node>" or "stderr/<node>" as on the events
// socket. msgs[i] has seq `seq + i`; every line of a batch has the same `at`.
struct OutputBatchEvent {
  std::string node;
  int64_t seq = 0;  // of msgs[0]
  double at = 0;
  std::vector<std::string> msgs;  // at least one
  bool operator==(const OutputBatchEvent&) const = default;
};

}  // namespace zsup
