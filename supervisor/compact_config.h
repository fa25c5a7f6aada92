// A node's desired config as zsupd holds it for the node's lifetime: its
// msgpack bytes (EncodeNodeConfig; about 100 bytes for a plain node, where
// a NodeConfig takes about 1.1 KiB inline) plus the few fields zsupd reads
// without decoding (selection, start order, descriptor count). Get()
// decodes the whole config (a few microseconds: for a create sent to the
// stem, a database rewrite); a status reply copies bytes() as is.
// Immutable once made; copyable; thread-compatible.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "broker/messages.h"

namespace zsup {

class CompactConfig {
 public:
  CompactConfig() = default;
  explicit CompactConfig(const NodeConfig& config);

  // The whole config. Never fails for bytes this class encoded; should the
  // impossible happen, a config of the name alone (and it is logged).
  NodeConfig Get() const;
  const std::string& bytes() const { return bytes_; }

  const std::string& name() const { return name_; }
  const std::optional<std::string>& name_space() const { return name_space_; }
  int64_t stage() const { return stage_; }  // 0 when unset
  const std::optional<double>& ready_timeout() const { return ready_timeout_; }
  bool has_output_files() const { return has_output_files_; }
  // StemDescriptors() of the config (descriptor_budget.h).
  size_t stem_descriptors() const { return stem_descriptors_; }

 private:
  std::string bytes_;
  std::string name_;
  std::optional<std::string> name_space_;
  std::optional<double> ready_timeout_;
  int64_t stage_ = 0;
  size_t stem_descriptors_ = 0;
  bool has_output_files_ = false;
};

}  // namespace zsup
