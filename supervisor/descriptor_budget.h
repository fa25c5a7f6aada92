// How many nodes the open-file limit lets zsupd and its stem hold, so that a
// create or apply past it is refused with a clear error instead of the stem
// failing spawn after spawn with "pipe: Too many open files".
//
// zsup-stem holds, per node, the read end of a pipe for stdout and one for
// stderr, plus one descriptor per output file (stdout_file, stderr_file);
// zsupd holds one pidfd per running node. Both start from the limit zsupd
// runs with (the stem it starts inherits it) and keep a base for their own
// sockets, signalfd, database, ZeroMQ internals and the six descriptors a
// spawn needs for a moment; zsupd's connections have their reserve above
// that (admission.h). Pure: the caller passes the counts.
#pragma once

#include <cstddef>

#include "broker/messages.h"
#include "broker/status.h"

namespace zsup {

// zsupd's open-file limit, set once at start before the stem is started
// (which inherits it, as do the nodes). Where zsupd may raise the hard
// limit (CAP_SYS_RESOURCE), soft and hard go up to at least
// kWantedFileLimit, capped by fs.nr_open: enough for 10,000 nodes with both
// output files. Otherwise the soft limit goes up to the hard one. Never
// lowers a limit. Returns the soft limit in force afterwards.
inline constexpr size_t kWantedFileLimit = 65536;
size_t RaiseFileLimit();

// Descriptors the stem keeps open for `config` while it runs.
size_t StemDescriptors(const NodeConfig& config);

struct DescriptorBudget {
  static constexpr size_t kStemBase = 64;   // the stem's own, spawns included
  static constexpr size_t kZsupdBase = 64;  // zsupd's own, besides connections
  size_t limit = 0;   // RLIMIT_NOFILE (soft) of zsupd, and so of the stem
  size_t zsupd_high = 0;  // descriptors zsupd may use before its connection reserve

  // OK when `nodes` nodes needing `stem_descriptors` in the stem fit; else
  // an error saying what the limit allows and how to raise it.
  Status Check(size_t nodes, size_t stem_descriptors) const;
};

}  // namespace zsup
