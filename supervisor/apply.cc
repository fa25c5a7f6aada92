// apply: makes a set of NodeConfigs the desired state in one transaction
// (docs/protocol.md): unknown names are created, known ones whose config
// differs are updated (their process replaced, never run beside the new
// one), identical ones are left alone, and with prune the namespace's other
// nodes are destroyed. Everything is checked before anything changes.
#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "broker/log.h"
#include "broker/validation.h"
#include "supervisor/daemon.h"
#include "supervisor/state_dir.h"

namespace zsup {

std::string Daemon::Apply(ApplyRequest request) {
  if (request.prune && !request.name_space) {
    return EncodeErrorReply("apply: prune needs a namespace (the nodes it may destroy)");
  }
  std::set<std::string> names;
  for (NodeConfig& c : request.nodes) {
    if (!c.name_space) c.name_space = request.name_space;
    Status s = ValidateNodeName(c.name);
    if (!s.ok()) return EncodeErrorReply(s.message());
    s = ValidateAllButName(c);
    if (!s.ok()) {
      // The error names the first offending node, whatever check it was.
      const std::string& m = s.message();
      if (m.find("'" + c.name + "'") == std::string::npos) {
        return EncodeErrorReply("node '" + c.name + "': " + m);
      }
      return EncodeErrorReply(m);
    }
    if (!names.insert(c.name).second) {
      return EncodeErrorReply("node '" + c.name + "' is given twice");
    }
    if (request.name_space && c.name_space != request.name_space) {
      return EncodeErrorReply("node '" + c.name + "' is in namespace '" + *c.name_space +
                              "', not '" + *request.name_space + "'");
    }
  }
  ApplyReply reply;
  std::vector<NodeConfig> created, updated;
  created.reserve(request.nodes.size());  // not grown by doubling: 1.1 KiB a config
  for (NodeConfig& c : request.nodes) {
    const NodeView* view = table_.Find(c.name);
    if (view == nullptr) {
      reply.created.push_back(c.name);
      created.push_back(std::move(c));
    } else if (view->fingerprint != stem::Fingerprint(c)) {
      reply.updated.push_back(c.name);
      updated.push_back(std::move(c));
    } else {
      reply.unchanged.push_back(c.name);
    }
  }
  if (request.prune) {
    for (const auto& [name, view] : table_.nodes()) {
      if (view.config.name_space() == request.name_space && !names.contains(name)) {
        reply.destroyed.push_back(name);
      }
    }
  }
  for (auto* list : {&reply.created, &reply.updated, &reply.unchanged, &reply.destroyed}) {
    std::sort(list->begin(), list->end());
  }
  size_t more = 0, fewer = 0;  // the stem's descriptors, before and after
  for (const NodeConfig& c : created) more += StemDescriptors(c);
  for (const NodeConfig& c : updated) {
    more += StemDescriptors(c);
    fewer += table_.Find(c.name)->config.stem_descriptors();
  }
  for (const std::string& name : reply.destroyed) {
    fewer += table_.Find(name)->config.stem_descriptors();
  }
  const size_t nodes_after = table_.size() + created.size() - reply.destroyed.size();
  if (Status s = CheckDescriptors(nodes_after, more, fewer); !s.ok()) {
    return EncodeErrorReply("apply: " + s.message());
  }
  if (request.dry_run) return EncodeApplyReply(reply);

  Status s = CheckedStore();
  for (const auto* list : {&created, &updated}) {
    for (const NodeConfig& c : *list) {
      if (s.ok()) s = MakeNodeDirectory(c);
    }
  }
  if (s.ok()) s = store_->Apply(created, updated, reply.destroyed);  // one transaction
  if (!s.ok()) return EncodeErrorReply(s.message());

  for (const std::string& name : reply.destroyed) {
    const bool forgotten_at_once = ForgetsAtOnce(name);
    table_.Remove(name);
    output_.Forget(name);
    metrics_.Forget(name);
    Carry(slots_.Destroy(name, stem_->welcomed(), forgotten_at_once));
  }
  // Every config is in the table before the first create goes out, so that
  // the start order (StartGate) sees the whole set.
  std::vector<std::pair<std::string, bool>> replaced;  // name, forgotten at once
  for (NodeConfig& c : updated) {
    replaced.emplace_back(c.name, ForgetsAtOnce(c.name));
    table_.Update(std::move(c));
  }
  for (NodeConfig& c : created) table_.Add(std::move(c));
  // Replaced first: their old processes are not ready from here on, so a
  // created node of a later stage waits for their new ones.
  for (const auto& [name, forgotten_at_once] : replaced) {
    NodeView* view = table_.Find(name);
    if (!view->ShouldRun()) continue;  // stopped: the new config waits for start
    view->start_wanted_at = SteadyNow();
    // The old process stops; the new one is created once it is gone.
    Carry(slots_.Destroy(name, stem_->welcomed(), forgotten_at_once));
    Carry(slots_.Create(name, stem_->welcomed()));
    table_.OnStopSent(name);  // stopping with its pid, or waiting; not ready
  }
  for (const std::string& name : reply.created) Carry(slots_.Create(name, stem_->welcomed()));
  LogInfo("applied: " + std::to_string(reply.created.size()) + " created, " +
          std::to_string(reply.updated.size()) + " updated, " +
          std::to_string(reply.unchanged.size()) + " unchanged, " +
          std::to_string(reply.destroyed.size()) + " destroyed");
  return EncodeApplyReply(reply);
}

}  // namespace zsup
