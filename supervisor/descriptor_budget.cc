#include "supervisor/descriptor_budget.h"

#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <string>

namespace zsup {
namespace {

// fs.nr_open: the most any process may have (1,048,576 when unreadable).
rlim_t NrOpen() {
  std::ifstream in("/proc/sys/fs/nr_open");
  rlim_t n = 0;
  if (in >> n && n > 0) return n;
  return 1 << 20;
}

}  // namespace

size_t RaiseFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < kWantedFileLimit) {
    const rlim_t wanted = std::min<rlim_t>(kWantedFileLimit, NrOpen());
    if (wanted > limit.rlim_max) {
      const rlimit raised{wanted, wanted};
      if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;  // EPERM: not allowed
    }
  }
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur == RLIM_INFINITY ? size_t{1} << 20 : static_cast<size_t>(limit.rlim_cur);
}

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
