// zsupd --socket-group: the state directory 0750 and the ipc sockets 0660,
// owned by the group, so that its members reach zsupd without root and
// nobody else does. Needs root (to run zsupctl as other users); CI is root.
#include <grp.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

namespace fs = std::filesystem;

constexpr gid_t kGroup = 4;  // adm, in every Debian

class SocketGroupTest : public DaemonTest {
 protected:
  // zsupctl as nobody, with or without the group.
  CommandResult AsNobody(bool member, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534"};
    argv.push_back(member ? "--groups=" + std::to_string(kGroup) : "--clear-groups");
    argv.insert(argv.end(), {ZsupctlPath(), "--state-dir", dir(), "--timeout", "1"});
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  }
};

TEST_F(SocketGroupTest, AMemberGetsInAndANonMemberDoesNot) {
  if (::geteuid() != 0 || ::access("/usr/bin/setpriv", X_OK) != 0 || ::getgrgid(kGroup) == nullptr) {
    GTEST_SKIP() << "needs root, setpriv and group 4";
  }
  StartDaemon({"--socket-group", std::to_string(kGroup)});
  struct stat st {};
  ASSERT_EQ(::stat(dir().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0750u);
  EXPECT_EQ(st.st_gid, kGroup);
  for (const char* sock : {"/control.sock", "/events.sock", "/batches.sock"}) {
    ASSERT_EQ(::stat((dir() + sock).c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0660u) << sock;
    EXPECT_EQ(st.st_gid, kGroup) << sock;
  }
  // Everything else stays zsupd's own.
  for (const auto& entry : fs::directory_iterator(dir())) {
    const std::string name = entry.path().filename();
    if (name == "control.sock" || name == "events.sock" || name == "batches.sock" ||
        name == "zsupd.log") {
      continue;
    }
    ASSERT_EQ(::stat(entry.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 077, 0u) << name << " is open to the group or others";
  }
  CommandResult in = AsNobody(true, {"ping"});
  EXPECT_EQ(in.exit_code, 0) << in.err;
  CommandResult out = AsNobody(false, {"ping"});
  EXPECT_NE(out.exit_code, 0) << out.out;
  CommandResult create = AsNobody(true, {"create", "by-member", "--", "/bin/true"});
  EXPECT_EQ(create.exit_code, 0) << create.err << "\n(a member has full access, as zsupd's user)";
}

TEST_F(SocketGroupTest, AnUnknownGroupIsAClearError) {
  CommandResult r = RunCommand({ZsupdPath(), "--state-dir", dir() + "/x", "--stem", StemPath(),
                                "--socket-group", "no-such-group-zsup"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("--socket-group: group: no group named 'no-such-group-zsup'"),
            std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace zsup::testing
