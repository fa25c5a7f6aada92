#include "supervisor/compact_config.h"

#include "broker/codec.h"
#include "broker/log.h"
#include "supervisor/descriptor_budget.h"

namespace zsup {

CompactConfig::CompactConfig(const NodeConfig& config)
    : bytes_(EncodeNodeConfig(config)),
      name_(config.name),
      name_space_(config.name_space),
      ready_timeout_(config.ready_timeout),
      stage_(config.stage.value_or(0)),
      stem_descriptors_(StemDescriptors(config)),
      has_output_files_(config.stdout_file || config.stderr_file) {
  bytes_.shrink_to_fit();
}

NodeConfig CompactConfig::Get() const {
  auto config = DecodeNodeConfig(bytes_);
  if (config.ok()) return std::move(*config);
  LogError("node '" + name_ + "': its config does not decode: " + config.error());
  NodeConfig bare;
  bare.name = name_;
  return bare;
}

}  // namespace zsup
