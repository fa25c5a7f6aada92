#include "tools/zsupctl/json_output.h"

#include "broker/json.h"
#include "tools/zsupctl/format.h"

namespace zsup::ctl {
namespace {

using ordered_json = nlohmann::ordered_json;

template <typename T>
ordered_json OrNull(const std::optional<T>& v) {
  return v ? ordered_json(*v) : ordered_json(nullptr);
}

ordered_json SignalNameOrNull(const std::optional<int64_t>& signal) {
  return signal ? ordered_json(SignalName(*signal)) : ordered_json(nullptr);
}

}  // namespace

ordered_json ExitJson(const ExitInfo& exit) {
  return {{"code", OrNull(exit.code)},
          {"signal", OrNull(exit.signal)},
          {"signal_name", SignalNameOrNull(exit.signal)},
          {"at", exit.at},
          {"commanded", exit.commanded}};
}

ordered_json NodeStatusJson(const std::string& name, const NodeStatus& s, double now) {
  ordered_json j;
  j["name"] = name;
  j["state"] = s.state ? ordered_json(std::string(StateName(*s.state))) : ordered_json(nullptr);
  j["pid"] = OrNull(s.pid);
  j["started_at"] = OrNull(s.started_at);
  j["uptime_seconds"] = s.pid && s.started_at ? ordered_json(std::max(0.0, now - *s.started_at))
                                              : ordered_json(nullptr);
  j["restarts"] = OrNull(s.restarts);
  j["last_exit"] = s.last_exit ? ExitJson(*s.last_exit) : ordered_json(nullptr);
  j["last_error"] = OrNull(s.last_error);
  j["desired"] = s.desired_up ? ordered_json(*s.desired_up ? "up" : "down") : ordered_json(nullptr);
  j["next_start_at"] = OrNull(s.next_start_at);
  j["ready"] = OrNull(s.ready);
  j["failed_reason"] = OrNull(s.failed_reason);
  j["status_text"] = OrNull(s.status_text);
  // NodeConfigToJson's output is valid JSON by construction.
  j["config"] = ordered_json::parse(NodeConfigToJson(s.node), nullptr, /*allow_exceptions=*/false);
  return j;
}

ordered_json EventJson(const Event& event) {
  ordered_json j;
  j["event"] = std::string(EventKindName(event.kind));
  if (const auto* s = std::get_if<NodeStatusEvent>(&event.payload)) {
    j["node"] = s->node;
    j["pid"] = s->pid;
    j["restarts"] = s->restarts;
    j["at"] = s->at;
  } else if (const auto* x = std::get_if<NodeExitEvent>(&event.payload)) {
    j["node"] = x->node;
    j["pid"] = x->pid;
    j["code"] = OrNull(x->code);
    j["signal"] = OrNull(x->signal);
    j["signal_name"] = SignalNameOrNull(x->signal);
    j["commanded"] = x->commanded;
    j["at"] = x->at;
  } else if (const auto* f = std::get_if<NodeFailedEvent>(&event.payload)) {
    j["node"] = f->node;
    j["reason"] = f->reason;
    j["at"] = f->at;
  } else if (const auto* p = std::get_if<PongEvent>(&event.payload)) {
    j["node"] = p->node;
    j["at"] = p->at;
  } else if (const auto* r = std::get_if<NodeReadyEvent>(&event.payload)) {
    j["node"] = r->node;
    j["pid"] = r->pid;
    j["at"] = r->at;
  } else {
    const auto& o = std::get<OutputEvent>(event.payload);
    j["node"] = o.node;
    j["msg"] = o.msg;
    j["seq"] = o.seq;
    j["at"] = o.at;
  }
  return j;
}

std::string DumpJson(const ordered_json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace zsup::ctl
