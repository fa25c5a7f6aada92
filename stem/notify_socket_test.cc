// NotifySocket against real datagrams: from this process, from a forked
// child, and from libsystemd's own sd_notify() when it is installed.
#include "stem/notify_socket.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#ifdef ZSUP_HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace zsup {
namespace {

std::string UniqueAbstractName() {
  static int counter = 0;
  return "@zsup-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter);
}

// Sends `payload` to `address` ("@name" or a path) from a fresh unbound socket.
bool SendTo(const std::string& address, const std::string& payload) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::memcpy(sa.sun_path, address.data(), address.size());
  if (address[0] == '@') sa.sun_path[0] = '\0';
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address.size());
  UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  return fd && ::sendto(fd.get(), payload.data(), payload.size(), 0,
                        reinterpret_cast<const sockaddr*>(&sa),
                        len) == static_cast<ssize_t>(payload.size());
}

// Waits (up to 5 s) until the socket is readable, then reads everything.
std::vector<NotifyMessage> WaitAndRead(NotifySocket& sock) {
  pollfd p{sock.fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&p, 1, 5000), 1);
  return sock.ReadAll();
}

TEST(NotifySocketTest, AbstractSocketReportsSenderPid) {
  Result<NotifySocket> sock = NotifySocket::Open(UniqueAbstractName());
  ASSERT_TRUE(sock.ok()) << sock.error();
  ASSERT_TRUE(SendTo(sock->address(), "READY=1"));
  std::vector<NotifyMessage> msgs = WaitAndRead(*sock);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].pid, ::getpid());
  EXPECT_EQ(msgs[0].uid, ::getuid());
  EXPECT_TRUE(msgs[0].ready);
  EXPECT_FALSE(msgs[0].status.has_value());
  EXPECT_TRUE(sock->ReadAll().empty());  // drained; does not block
}

TEST(NotifySocketTest, ParsesReadyAndStatus) {
  Result<NotifySocket> sock = NotifySocket::Open(UniqueAbstractName());
  ASSERT_TRUE(sock.ok()) << sock.error();
  ASSERT_TRUE(SendTo(sock->address(), "READY=1\nSTATUS=loading"));
  ASSERT_TRUE(SendTo(sock->address(), "STOPPING=1\nWATCHDOG=1\nnonsense\nREADY=0\n"));
  std::vector<NotifyMessage> msgs = WaitAndRead(*sock);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_TRUE(msgs[0].ready);
  EXPECT_EQ(msgs[0].status, "loading");
  EXPECT_FALSE(msgs[0].stopping);
  EXPECT_FALSE(msgs[1].ready);
  EXPECT_TRUE(msgs[1].stopping);
  EXPECT_FALSE(msgs[1].status.has_value());
}

TEST(NotifySocketTest, DropsOversizeDatagramAndReadsTheNext) {
  Result<NotifySocket> sock = NotifySocket::Open(UniqueAbstractName());
  ASSERT_TRUE(sock.ok()) << sock.error();
  ASSERT_TRUE(SendTo(sock->address(), "READY=1\nSTATUS=" + std::string(5000, 'x')));
  ASSERT_TRUE(SendTo(sock->address(), "STATUS=second"));
  std::vector<NotifyMessage> msgs = WaitAndRead(*sock);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_FALSE(msgs[0].ready);
  EXPECT_EQ(msgs[0].status, "second");
}

TEST(NotifySocketTest, ReadsAtMostMaxMessages) {
  Result<NotifySocket> sock = NotifySocket::Open(UniqueAbstractName());
  ASSERT_TRUE(sock.ok()) << sock.error();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(SendTo(sock->address(), "READY=1"));
  EXPECT_EQ(sock->ReadAll(2).size(), 2u);
  EXPECT_EQ(sock->ReadAll().size(), 3u);
}

int OpenFdCount() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (d != nullptr && ::readdir(d) != nullptr) ++n;
  if (d != nullptr) ::closedir(d);
  return n;
}

TEST(NotifySocketTest, ClosesPassedDescriptors) {
  Result<NotifySocket> sock = NotifySocket::Open(UniqueAbstractName());
  ASSERT_TRUE(sock.ok()) << sock.error();
  {
    int pipe_fds[2];
    ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
    UniqueFd r(pipe_fds[0]), w(pipe_fds[1]);
    UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path + 1, sock->address().data() + 1, sock->address().size() - 1);
    char payload[] = "READY=1";
    iovec iov{payload, sizeof payload - 1};
    alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};
    msghdr mh{};
    mh.msg_name = &sa;
    mh.msg_namelen =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + sock->address().size());
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(2 * sizeof(int));
    std::memcpy(CMSG_DATA(c), pipe_fds, 2 * sizeof(int));
    ASSERT_EQ(::sendmsg(fd.get(), &mh, 0), static_cast<ssize_t>(iov.iov_len));
  }
  const int before = OpenFdCount();
  std::vector<NotifyMessage> msgs = WaitAndRead(*sock);
  EXPECT_EQ(OpenFdCount(), before);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(msgs[0].ready);
}

TEST(NotifySocketTest, ForkedChildIsIdentifiedByItsPid) {
  Result<NotifySocket> sock = NotifySocket::Open(UniqueAbstractName());
  ASSERT_TRUE(sock.ok()) << sock.error();
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(SendTo(sock->address(), "READY=1") ? 0 : 1);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  std::vector<NotifyMessage> msgs = WaitAndRead(*sock);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].pid, child);
  EXPECT_TRUE(msgs[0].ready);
}

TEST(NotifySocketTest, FilesystemPathIsUnlinkedOnClose) {
  char dir[] = "/tmp/zsup-notify-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/notify.sock";
  {
    Result<NotifySocket> sock = NotifySocket::Open(path);
    ASSERT_TRUE(sock.ok()) << sock.error();
    EXPECT_EQ(sock->address(), path);
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    NotifySocket moved = std::move(*sock);  // the moved-from socket must not unlink
    ASSERT_TRUE(SendTo(path, "READY=1\nSTATUS=from a path"));
    std::vector<NotifyMessage> msgs = WaitAndRead(moved);
    ASSERT_EQ(msgs.size(), 1u);
    EXPECT_EQ(msgs[0].pid, ::getpid());
    EXPECT_EQ(msgs[0].status, "from a path");
  }
  EXPECT_NE(::access(path.c_str(), F_OK), 0);
  EXPECT_EQ(::rmdir(dir), 0);
}

TEST(NotifySocketTest, OpenErrorsNameTheAddress) {
  const std::string name = UniqueAbstractName();
  Result<NotifySocket> first = NotifySocket::Open(name);
  ASSERT_TRUE(first.ok()) << first.error();
  Result<NotifySocket> second = NotifySocket::Open(name);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().find(name), std::string::npos) << second.error();
  EXPECT_NE(second.error().find(std::strerror(EADDRINUSE)), std::string::npos) << second.error();

  EXPECT_FALSE(NotifySocket::Open("").ok());
  EXPECT_FALSE(NotifySocket::Open("@").ok());
  EXPECT_FALSE(NotifySocket::Open("@" + std::string(108, 'x')).ok());
  EXPECT_TRUE(NotifySocket::Open("@" + std::string(107, 'y')).ok());
  EXPECT_FALSE(NotifySocket::Open("/nonexistent-dir/zsup/notify.sock").ok());
}

TEST(NotifyPayloadTest, StatusIsCutAtAUtf8Boundary) {
  NotifyMessage msg;
  // 1023 ASCII bytes then a 2-byte character: the character does not fit.
  ParseNotifyPayload("STATUS=" + std::string(1023, 'a') + "\xc3\xa9" + "tail", &msg);
  ASSERT_TRUE(msg.status.has_value());
  EXPECT_EQ(*msg.status, std::string(1023, 'a'));
  ParseNotifyPayload("STATUS=" + std::string(2000, 'b'), &msg);
  EXPECT_EQ(msg.status->size(), kMaxStatusBytes);
  ParseNotifyPayload("STATUS=bad \xff byte", &msg);
  EXPECT_EQ(*msg.status, "bad \xef\xbf\xbd byte");
}

#ifdef ZSUP_HAVE_LIBSYSTEMD
TEST(NotifySocketTest, LibsystemdSdNotifyIsUnderstood) {
  Result<NotifySocket> sock = NotifySocket::Open(UniqueAbstractName());
  ASSERT_TRUE(sock.ok()) << sock.error();
  ASSERT_EQ(::setenv("NOTIFY_SOCKET", sock->address().c_str(), 1), 0);
  const int rc = sd_notify(0, "READY=1\nSTATUS=up");
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_GT(rc, 0) << std::strerror(-rc);
  std::vector<NotifyMessage> msgs = WaitAndRead(*sock);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].pid, ::getpid());
  EXPECT_TRUE(msgs[0].ready);
  EXPECT_EQ(msgs[0].status, "up");
}
#endif

}  // namespace
}  // namespace zsup
