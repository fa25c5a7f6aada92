#include "broker/messages.h"

#include <array>
#include <utility>

namespace zsup {
namespace {

constexpr std::array<std::pair<ClusterRole, std::string_view>, 5> kRoles{{
    {ClusterRole::kNone, "NONE"},
    {ClusterRole::kLogger, "LOGGER"},
    {ClusterRole::kManager, "MANAGER"},
    {ClusterRole::kProxy, "PROXY"},
    {ClusterRole::kWorker, "WORKER"},
}};

constexpr std::array<std::pair<NodeState, std::string_view>, 8> kStates{{
    {NodeState::kStarting, "starting"},
    {NodeState::kRunning, "running"},
    {NodeState::kBackoff, "backoff"},
    {NodeState::kStopping, "stopping"},
    {NodeState::kExited, "exited"},
    {NodeState::kWaiting, "waiting"},
    {NodeState::kStopped, "stopped"},
    {NodeState::kFailed, "failed"},
}};

template <typename E, size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "?";
}

template <typename E, size_t N>
std::optional<E> ValueOf(const std::array<std::pair<E, std::string_view>, N>& table,
                         std::string_view text) {
  for (const auto& [v, name] : table) {
    if (name == text) return v;
  }
  return std::nullopt;
}

}  // namespace

std::string_view RoleName(ClusterRole role) { return NameOf(kRoles, role); }

std::optional<ClusterRole> ParseRole(std::string_view text) {
  constexpr std::string_view kPrefix = "Supervisor::";
  if (text.starts_with(kPrefix)) text.remove_prefix(kPrefix.size());
  return ValueOf(kRoles, text);
}

std::string_view StateName(NodeState state) { return NameOf(kStates, state); }
std::optional<NodeState> ParseState(std::string_view text) { return ValueOf(kStates, text); }

std::string_view StreamName(Stream stream) {
  return stream == Stream::kStdout ? "stdout" : "stderr";
}

std::optional<Stream> ParseStream(std::string_view text) {
  if (text == "stdout") return Stream::kStdout;
  if (text == "stderr") return Stream::kStderr;
  return std::nullopt;
}

}  // namespace zsup
