// msgpack encoding and decoding of every message in ../shared/PROTOCOL.md.
//
// Contract: Encode* never fails. Decode* is total: any byte string yields a
// value or an error Status whose message names the problem in terms a user
// understands; it never throws, crashes, hangs, or allocates far more than the
// input's size. Decoding is strict: wrong types, unknown keys, duplicate keys
// and trailing bytes are errors. A nil value for an optional field means
// "absent". Client-side reply decoders turn `{"ok": false, "error": E}` into
// Status::Refused(E). All functions are thread-compatible (no shared state).
#pragma once

#include <msgpack.hpp>

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "broker/messages.h"
#include "broker/status.h"

namespace zsup {

using Packer = msgpack::packer<msgpack::sbuffer>;

// The bytes packed into `buf`, as one frame.
inline std::string FrameBytes(const msgpack::sbuffer& buf) { return std::string(buf.data(), buf.size()); }

// ---- NodeConfig (the `config` of a create request; also what the store keeps) ----
void PackNodeConfig(Packer& pk, const NodeConfig& config);
std::string EncodeNodeConfig(const NodeConfig& config);
Result<NodeConfig> DecodeNodeConfig(std::string_view bytes);
// Reads a NodeConfig out of an already unpacked object; `path` prefixes errors.
// The error is the first problem in field order.
Result<NodeConfig> ReadNodeConfig(const msgpack::object& o, const std::string& path);
// The same, but on past a problem: every field is read and every problem
// appended to `problems` (a field's path before each: "env: values must be
// strings"; `what` names the map in "missing field 'name' in <what>", "":
// left out). The config when it had none. The first problem is the one the
// form above returns.
std::optional<NodeConfig> ReadNodeConfig(const msgpack::object& o, const std::string& path,
                                         const std::string& what,
                                         std::vector<std::string>* problems);

// ---- control requests ----
std::string EncodeRequest(const Request& request);
Result<Request> DecodeRequest(std::string_view bytes);

// ---- control replies (server side) ----
std::string EncodeOkReply();
std::string EncodeErrorReply(std::string_view message);
std::string EncodePingReply(const PingReply& reply);
std::string EncodeStatusReply(const StatusReport& report);
std::string EncodeTailReply(const std::vector<OutputLine>& lines);
std::string EncodeApplyReply(const ApplyReply& reply);

// ---- control replies (client side) ----
Status DecodeOkReply(std::string_view bytes);
Result<PingReply> DecodePingReply(std::string_view bytes);
Result<ApplyReply> DecodeApplyReply(std::string_view bytes);
Result<StatusReport> DecodeStatusReply(std::string_view bytes);
Result<std::vector<OutputLine>> DecodeTailReply(std::string_view bytes);

// ---- events (PUB): two frames, topic and payload ----
enum class EventKind { kNodeStatus, kNodeExit, kStdout, kStderr, kNodeFailed, kNodeReady, kPong };
// "node_status", "node_exit", "stdout", "stderr", "node_failed", "node_ready", "pong"
std::string_view EventKindName(EventKind kind);
std::string EventTopic(EventKind kind, std::string_view node);  // "<kind>/<node>"

std::string EncodeNodeStatusEvent(const NodeStatusEvent& event);
std::string EncodeNodeExitEvent(const NodeExitEvent& event);
std::string EncodeNodeFailedEvent(const NodeFailedEvent& event);
std::string EncodeNodeReadyEvent(const NodeReadyEvent& event);
std::string EncodePongEvent(const PongEvent& event);
std::string EncodeOutputEvent(const OutputEvent& event);
// The hot path of output publishing, without building an OutputEvent or an
// intermediate buffer: the exact size of the payload, then the payload
// written into `out`, which must hold that many bytes.
size_t OutputEventSize(std::string_view node, std::string_view msg, int64_t seq, double at);
void WriteOutputEvent(char* out, std::string_view node, std::string_view msg, int64_t seq,
                      double at);

// The batches socket: one message per batch of lines (OutputBatchEvent).
// Size then in-place write, as above; `msgs` must not be empty.
size_t OutputBatchSize(std::string_view node, std::span<const std::string_view> msgs, int64_t seq,
                       double at);
void WriteOutputBatch(char* out, std::string_view node, std::span<const std::string_view> msgs,
                      int64_t seq, double at);
std::string EncodeOutputBatch(const OutputBatchEvent& batch);
// Decodes a two-frame batch: the topic is "stdout/<node>" or
// "stderr/<node>" (which one is set in *kind when given) and names the
// payload's node; `msgs` holds at least one string.
Result<OutputBatchEvent> DecodeOutputBatch(std::string_view topic, std::string_view payload,
                                           EventKind* kind = nullptr);

struct Event {
  EventKind kind;
  std::variant<NodeStatusEvent, NodeExitEvent, OutputEvent, NodeFailedEvent, NodeReadyEvent,
               PongEvent>
      payload;
};
// Decodes a two-frame event; the topic's kind selects the payload type and
// the topic's node must equal the payload's `node`.
Result<Event> DecodeEvent(std::string_view topic, std::string_view payload);
// The node an event is about (a pong's token for a pong).
const std::string& NodeOf(const Event& event);

}  // namespace zsup
