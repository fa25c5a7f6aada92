#include "supervisor/descriptor_budget.h"

#include <string>

namespace zsup {

size_t StemDescriptors(const NodeConfig& config) {
  return 2 + (config.stdout_file ? 1 : 0) + (config.stderr_file ? 1 : 0);
}

Status DescriptorBudget::Check(size_t nodes, size_t stem_descriptors) const {
  const size_t stem_room = limit > kStemBase ? limit - kStemBase : 0;
  const size_t zsupd_room = zsupd_high > kZsupdBase ? zsupd_high - kZsupdBase : 0;
  if (stem_descriptors <= stem_room && nodes <= zsupd_room) return Status::Ok();
  const std::string why =
      stem_descriptors > stem_room
          ? std::to_string(nodes) + " nodes would hold " + std::to_string(stem_descriptors) +
                " descriptors in zsup-stem (2 pipes each, 1 more per output file), and the stem "
                "keeps " + std::to_string(kStemBase) + " for itself"
          : std::to_string(nodes) + " nodes would hold a pidfd each in zsupd, which keeps " +
                std::to_string(limit - zsupd_high + kZsupdBase) + " for itself and its connections";
  return Status::Refused("not enough file descriptors: the open-file limit is " +
                         std::to_string(limit) + ", and " + why +
                         "; raise the limit (LimitNOFILE= in the unit, or ulimit -n) and restart "
                         "zsupd");
}

}  // namespace zsup
