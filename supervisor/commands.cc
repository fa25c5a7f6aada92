// The control socket: one request, one reply, in the order they come.
#include <unistd.h>

#include <algorithm>

#include "broker/codec.h"
#include "broker/credentials.h"
#include "broker/log.h"
#include "broker/paths.h"
#include "broker/validation.h"
#include "supervisor/daemon.h"
#include "supervisor/start_gate.h"
#include "supervisor/state_dir.h"

namespace zsup {
namespace {

constexpr int kMaxRequestsPerWakeup = 64;

std::string NoSuchNode(const std::string& name) { return "no node named '" + name + "'"; }

// What the sender of `request` may do: the ZAP handler's user id on a
// CURVE socket (none there means no authentication happened: nothing), full
// access on ipc (the state directory's permissions decide).
Access AccessOf(zmq::message_t& request, bool curve) {
  if (!curve) return Access::kFull;
  try {
    const std::string_view user = request.gets("User-Id");
    if (user == kUserFull) return Access::kFull;
    if (user == kUserReadOnly) return Access::kReadOnly;
  } catch (const zmq::error_t&) {
  }
  return Access::kNone;
}

}  // namespace

void Daemon::ServeControl(TimePoint) {
  for (int i = 0; i < kMaxRequestsPerWakeup; ++i) {
    try {
      zmq::message_t request;
      if (!control_.recv(request, zmq::recv_flags::dontwait)) return;
      std::string reply;
      if (request.more()) {
        // REP delivers a multi-frame request whole: consume the rest, refuse it.
        zmq::message_t rest;
        while (request.more() && control_.recv(request, zmq::recv_flags::dontwait)) {
        }
        reply = EncodeErrorReply("a request must be a single frame");
      } else {
        const TimePoint started = SteadyNow();
        last_command_ = "invalid";
        reply = Execute(request.to_string_view(), AccessOf(request, curve_control_));
        metrics_.Command(last_command_, ReplyIsOk(reply), Seconds(SteadyNow() - started).count());
      }
      control_.send(zmq::buffer(reply), zmq::send_flags::dontwait);
    } catch (const zmq::error_t& e) {
      LogError(std::string("control socket: ") + e.what());
      return;
    }
  }
}

std::string Daemon::Execute(std::string_view request_bytes, Access access) {
  if (access == Access::kNone) return EncodeErrorReply("permission denied: not authenticated");
  auto request = DecodeRequest(request_bytes);
  if (!request.ok()) return EncodeErrorReply(request.error());
  last_command_ = CommandName(*request);
  if (access == Access::kReadOnly && !std::holds_alternative<PingRequest>(*request) &&
      !std::holds_alternative<StatusRequest>(*request) &&
      !std::holds_alternative<TailRequest>(*request)) {
    return EncodeErrorReply("permission denied: read-only key");
  }
  if (const auto* ping = std::get_if<PingRequest>(&*request)) {
    if (ping->pong) publisher_->Pong(PongEvent{*ping->pong, WallNow()});
    return EncodePingReply(PingReply{ZSUP_VERSION, ::getpid(), kProtocolLevel});
  }
  if (const auto* status = std::get_if<StatusRequest>(&*request)) return GetStatus(*status);
  if (const auto* tail = std::get_if<TailRequest>(&*request)) return Tail(*tail);
  if (!session_.serving()) return EncodeErrorReply("zsupd is shutting down");
  if (const auto* create = std::get_if<CreateRequest>(&*request)) return Create(create->config);
  if (auto* apply = std::get_if<ApplyRequest>(&*request)) return Apply(std::move(*apply));
  // The rest act on a selection, refused as a whole if it names an unknown node.
  const Selector* selector = nullptr;
  std::string (Daemon::*run)(const std::vector<std::string>&) = nullptr;
  if (const auto* r = std::get_if<DestroyRequest>(&*request)) selector = r, run = &Daemon::Destroy;
  if (const auto* r = std::get_if<RestartRequest>(&*request)) selector = r, run = &Daemon::Restart;
  if (const auto* r = std::get_if<StopRequest>(&*request)) selector = r, run = &Daemon::Stop;
  if (const auto* r = std::get_if<StartRequest>(&*request)) selector = r, run = &Daemon::Start;
  if (const auto* r = std::get_if<ReopenRequest>(&*request)) selector = r, run = &Daemon::Reopen;
  if (selector == nullptr) return EncodeErrorReply("unsupported request");
  auto names = SelectNodes(*selector);
  if (!names.ok()) return EncodeErrorReply(names.error());
  return (this->*run)(*names);
}

std::string Daemon::Create(const NodeConfig& config) {
  // Zeek's order of checks: empty name, spaces, already exists, then the rest.
  Status s = ValidateNodeName(config.name);
  if (!s.ok()) return EncodeErrorReply(s.message());
  if (table_.Find(config.name) != nullptr) {
    return EncodeErrorReply("node with name '" + config.name + "' already exists");
  }
  s = CheckedStore();
  if (s.ok()) s = ValidateAllButName(config);
  if (s.ok()) s = CheckDescriptors(table_.size() + 1, StemDescriptors(config), 0);
  if (!s.ok()) return EncodeErrorReply(s.message());
  s = MakeNodeDirectory(config);
  if (!s.ok()) return EncodeErrorReply(s.message());
  // The stem starts the node while SQLite commits (the commit's fsync and the
  // fork/exec overlap). Durable before the reply: once a client sees ok, no
  // crash loses the node. A zsupd that dies before the commit leaves a node
  // nobody asked for, which the next zsupd stops (docs/state.md).
  table_.Add(config);
  Carry(slots_.Create(config.name, stem_->welcomed()));
  s = store_->PutNode(config);
  if (!s.ok()) {
    table_.Remove(config.name);
    output_.Forget(config.name);
    Carry(slots_.Destroy(config.name, stem_->welcomed()));
    return EncodeErrorReply(s.message());
  }
  LogInfo("created node '" + config.name + "'");
  return EncodeOkReply();
}

Status Daemon::MakeNodeDirectory(const NodeConfig& config) const {
  const std::optional<std::string> dir = NodeDirectory(options_.state_dir, config.directory);
  if (!dir) return Status::Ok();
  std::optional<std::pair<uid_t, gid_t>> owner;
  if (auto cred = ResolveCredentials(config); cred.ok() && *cred) owner = {(*cred)->uid, (*cred)->gid};
  return MakeDirs(*dir, 0755, owner).Prefixed("node '" + config.name + "'");
}

Status Daemon::ValidateAllButName(const NodeConfig& config) const {
  Status s = ValidateNodeFields(config);
  if (s.ok()) s = ValidateExecSize(config, exec_budget_);
  if (!s.ok()) return s;
  // The user database now; the stem looks again before every start.
  auto cred = ResolveCredentials(config);
  if (!cred.ok()) return cred.status().Prefixed("node '" + config.name + "'");
  if (*cred) {
    s = CheckMayRunAs(config, **cred);
    if (!s.ok()) return s;
  }
  s = CheckCapabilitiesGrantable(config);
  if (!s.ok()) return s;
  if (const size_t bytes = EncodeNodeConfig(config).size(); bytes > kMaxConfigBytes) {
    return Status::Error("node '" + config.name + "': its config is " + std::to_string(bytes) +
                         " bytes encoded; at most " + std::to_string(kMaxConfigBytes));
  }
  return Status::Ok();
}

Status Daemon::CheckDescriptors(size_t nodes, size_t more, size_t fewer) const {
  size_t in_use = 0;  // every node, stopped ones too: a start must not fail for want of them
  for (const auto& [name, view] : table_.nodes()) in_use += view.config.stem_descriptors();
  return descriptors_.Check(nodes, in_use + more - std::min(fewer, in_use + more));
}

Result<std::vector<std::string>> Daemon::SelectNodes(const Selector& selector) {
  std::vector<std::string> names;
  if (selector.nodes) {
    for (const std::string& name : *selector.nodes) {
      if (table_.Find(name) == nullptr) return Status::Refused(NoSuchNode(name));
      names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
  } else if (selector.name_space) {
    for (const auto& [name, view] : table_.nodes()) {
      if (view.config.name_space() == selector.name_space) names.push_back(name);
    }
  } else if (selector.node.empty()) {
    for (const auto& [name, view] : table_.nodes()) names.push_back(name);
  } else if (table_.Find(selector.node) == nullptr) {
    return Status::Refused(NoSuchNode(selector.node));
  } else {
    names.push_back(selector.node);
  }
  return names;
}

std::string Daemon::GetStatus(const StatusRequest& request) {
  // One unknown `node` is Zeek's empty map; `nodes` is all or nothing.
  if (!request.nodes && !request.name_space) {
    return EncodeStatusReply(table_.Status(request.node, request.detail));
  }
  auto names = SelectNodes(request);
  if (!names.ok()) return EncodeErrorReply(names.error());
  return EncodeStatusReply(table_.Status(*names, request.detail));
}

bool Daemon::ForgetsAtOnce(const std::string& name) {
  // A stem before link version 2 forgets a node without a process (in
  // backoff) at once and says nothing: do not wait for its exit.
  const NodeView* view = table_.Find(name);
  return stem_->welcomed() && stem_->link_version() < 2 && view != nullptr && !view->pid;
}

std::string Daemon::Destroy(const std::vector<std::string>& names) {
  if (Status checked = CheckedStore(); !checked.ok()) return EncodeErrorReply(checked.message());
  // One transaction: `destroy` of every node costs one fsync, not one each.
  Status s = store_->DeleteNodes(names);
  if (!s.ok()) return EncodeErrorReply(s.message());
  for (const std::string& name : names) {
    const bool forgotten_at_once = ForgetsAtOnce(name);
    table_.Remove(name);
    output_.Forget(name);
    metrics_.Forget(name);
    LogInfo("destroyed node '" + name + "'");
    Carry(slots_.Destroy(name, stem_->welcomed(), forgotten_at_once));
  }
  return EncodeOkReply();
}

Status Daemon::SetDesired(const std::vector<std::string>& names, bool up) {
  std::vector<std::string> changing;
  for (const std::string& name : names) {
    const NodeView* view = table_.Find(name);
    // Up also takes back a node given up on (failed, exited).
    if (up ? !view->ShouldRun() : view->desired_up) changing.push_back(name);
  }
  if (changing.empty()) return Status::Ok();
  Status s = CheckedStore();
  if (s.ok()) s = store_->SetDesired(changing, up);  // durable before the reply
  if (!s.ok()) return s;
  for (const std::string& name : changing) {
    LogInfo(std::string(up ? "starting" : "stopping") + " node '" + name + "'");
    NodeView* view = table_.Find(name);
    view->desired_up = up;
    if (up) {
      view->hold.reset();
      view->failed_reason.reset();
      Carry(slots_.Create(name, stem_->welcomed()));
      table_.OnCreateSent(name);
    } else {
      Carry(slots_.Destroy(name, stem_->welcomed(), ForgetsAtOnce(name)));
      table_.OnStopSent(name);
    }
  }
  return Status::Ok();
}

std::string Daemon::Stop(const std::vector<std::string>& names) {
  Status s = SetDesired(names, false);
  return s.ok() ? EncodeOkReply() : EncodeErrorReply(s.message());
}

std::string Daemon::Start(const std::vector<std::string>& names) {
  Status s = SetDesired(names, true);  // running nodes are left alone
  return s.ok() ? EncodeOkReply() : EncodeErrorReply(s.message());
}

std::string Daemon::Restart(const std::vector<std::string>& names) {
  std::vector<std::string> stopped, running;
  for (const std::string& name : names) {
    (table_.Find(name)->ShouldRun() ? running : stopped).push_back(name);
  }
  Status s = SetDesired(stopped, true);  // restart starts a stopped, failed or exited node too
  if (!s.ok()) return EncodeErrorReply(s.message());
  const StartGate gate(table_, SteadyNow());
  for (const std::string& name : running) {
    LogInfo("restarting node '" + name + "'");
    NodeView* view = table_.Find(name);
    view->start_wanted_at = SteadyNow();
    if (gate.HasLowerStage(*view) && stem_->link_version() >= 2) {
      // Stopped, then created once gone: the create waits for its stage.
      Carry(slots_.Replace(name, stem_->welcomed()));
      table_.OnStopSent(name);
    } else {
      Carry(slots_.Restart(name, stem_->welcomed()));
    }
  }
  return EncodeOkReply();
}

std::string Daemon::Reopen(const std::vector<std::string>& names) {
  // Nodes without a file, or with no process in the stem, have nothing open.
  std::vector<std::string> with_files;
  for (const std::string& name : names) {
    if (table_.Find(name)->config.has_output_files() && slots_.held(name)) {
      with_files.push_back(name);
    }
  }
  if (with_files.empty()) return EncodeOkReply();
  if (!stem_->welcomed()) {
    return EncodeErrorReply("the stem is not connected (it is being started or replaced); "
                            "reopen again in a moment");
  }
  if (stem_->link_version() < 3) {
    return EncodeErrorReply("the running zsup-stem predates reopen; restart the nodes to reopen "
                            "their files (a new stem starts after an orderly zsupd shutdown)");
  }
  for (const std::string& name : with_files) stem_->Send(stem::ReopenNode{name});
  LogInfo("reopening the output files of " + std::to_string(with_files.size()) + " node(s)");
  return EncodeOkReply();
}

std::string Daemon::Tail(const TailRequest& request) {
  if (table_.Find(request.node) == nullptr) return EncodeErrorReply(NoSuchNode(request.node));
  return EncodeTailReply(output_.Tail(request.node, request.stream, static_cast<size_t>(request.lines)));
}

}  // namespace zsup
