// zsupd on tcp endpoints with CURVE (PROTOCOL.md, "Remote access"), against
// real CURVE clients: no key, a stranger's key, a full key, a read-only key,
// a key removed and added back while zsupd runs; and --insecure-tcp.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "broker/curve.h"
#include "client/client.h"
#include "tests/daemon_fixture.h"

namespace zsup::testing {
namespace {

namespace fs = std::filesystem;

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
}

class RemoteTest : public DaemonTest {
 protected:
  void StartTcp(std::vector<std::string> extra = {}) {
    control_ = "tcp://127.0.0.1:" + std::to_string(FreePort());
    events_ = "tcp://127.0.0.1:" + std::to_string(FreePort());
    extra.insert(extra.end(), {"--control", control_, "--events", events_});
    StartDaemon(extra);
  }
  std::string curve() const { return dir() + "/curve"; }
  std::string ServerKey() const {
    auto key = ReadKeyFile(curve() + "/server.key");
    return key.ok() ? *key : "";
  }
  // A client keypair; its public key written to DIR/curve/<sub>/<name>.
  client::CurveKeys Client(const std::string& sub, const std::string& name) {
    auto pair = NewCurveKeyPair();
    EXPECT_TRUE(pair.ok());
    if (!sub.empty()) {
      EXPECT_TRUE(WriteKeyFile(curve() + "/" + sub + "/" + name, pair->public_z85, 0644).ok());
    }
    return {ServerKey(), pair->public_z85, pair->secret_z85};
  }
  std::unique_ptr<client::Control> ControlWith(std::optional<client::CurveKeys> keys,
                                               milliseconds timeout = milliseconds(1500)) {
    client::ControlOptions o;
    o.timeout = timeout;
    o.curve = std::move(keys);
    return std::make_unique<client::Control>(context_, control_, o);
  }
  // Pings until admitted (a key file just written is read on inotify).
  bool Admitted(const client::CurveKeys& keys) {
    return WaitUntil([&] { return ControlWith(keys, milliseconds(300))->Ping().ok(); });
  }

  std::string control_, events_;
};

TEST_F(RemoteTest, FirstStartMakesTheKeypairAndTheKeyDirectories) {
  StartTcp();
  EXPECT_TRUE(IsZ85Key(ServerKey())) << ReadFile(curve() + "/server.key");
  EXPECT_EQ(ModeOf(curve() + "/server.secret"), 0600u);
  EXPECT_EQ(ModeOf(curve() + "/authorized"), 0700u);
  EXPECT_EQ(ModeOf(curve() + "/readonly"), 0700u);
  const std::string key = ServerKey();
  ASSERT_EQ(StopDaemon(), 0);
  StartTcp();
  EXPECT_EQ(ServerKey(), key) << "the keypair is kept across restarts";
}

TEST_F(RemoteTest, NoKeyAndAStrangersKeyAreRefused) {
  StartTcp();
  auto plain = ControlWith(std::nullopt)->Ping();
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.status().code(), Status::Code::kUnreachable);
  auto stranger = ControlWith(Client("", "stranger"))->Ping();
  ASSERT_FALSE(stranger.ok());
  EXPECT_EQ(stranger.status().code(), Status::Code::kUnreachable);
  EXPECT_TRUE(WaitUntil([&] { return Log().find("CURVE: refused a client") != std::string::npos; }))
      << Log();
  EXPECT_FALSE(Call(EncodeRequest(PingRequest{}), milliseconds(300)).ok())
      << "with --control tcp://... there is no ipc control socket to go around CURVE";
}

TEST_F(RemoteTest, AFullKeyRunsCommandsAndSubscribes) {
  StartTcp();
  const client::CurveKeys keys = Client("authorized", "operator");
  ASSERT_TRUE(Admitted(keys)) << Log();
  auto control = ControlWith(keys);
  client::SubscriberOptions so;
  so.curve = keys;
  auto sub = client::Subscriber::Join(context_, events_, *control, {"node_status/"},
                                      milliseconds(5000), so);
  ASSERT_TRUE(sub.ok()) << sub.error();
  ASSERT_TRUE(control->Send(CreateRequest{TestNode("r1", {"--forever"})}).ok());
  auto event = (*sub)->Next(milliseconds(10000));
  ASSERT_TRUE(event.ok() && event->has_value()) << "no node_status over CURVE";
  EXPECT_EQ(std::get<NodeStatusEvent>((*event)->payload).node, "r1");
}

TEST_F(RemoteTest, AReadOnlyKeyMayWatchButNotChange) {
  StartTcp();
  const client::CurveKeys admin = Client("authorized", "admin");
  ASSERT_TRUE(Admitted(admin)) << Log();
  ASSERT_TRUE(ControlWith(admin)->Send(CreateRequest{TestNode("w", {"--lines=2", "--forever"})}).ok());
  const client::CurveKeys keys = Client("readonly", "dashboard");
  ASSERT_TRUE(Admitted(keys)) << Log();
  auto control = ControlWith(keys);
  auto status = control->Call(StatusRequest{});
  ASSERT_TRUE(status.ok());
  EXPECT_TRUE(DecodeStatusReply(*status).ok());
  auto tail = control->Call(TailRequest{"w", Stream::kStdout, 10});
  ASSERT_TRUE(tail.ok());
  EXPECT_TRUE(DecodeTailReply(*tail).ok()) << *tail;
  for (const Request& r : std::vector<Request>{CreateRequest{TestNode("x")}, StopRequest{"w"},
                                               DestroyRequest{""}, RestartRequest{"w"},
                                               ReopenRequest{""}}) {
    Status s = control->Send(r);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.message(), "permission denied: read-only key");
  }
  client::SubscriberOptions so;
  so.curve = keys;
  auto sub = client::Subscriber::Join(context_, events_, *control, {"stdout/"},
                                      milliseconds(5000), so);
  EXPECT_TRUE(sub.ok()) << "read-only keys may subscribe: " << sub.error();
  auto after = control->Call(StatusRequest{});
  ASSERT_TRUE(after.ok());
  auto report = DecodeStatusReply(*after);
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->nodes.contains("w")) << "nothing was destroyed";
  EXPECT_FALSE(report->nodes.contains("x")) << "nothing was created";
}

TEST_F(RemoteTest, AKeyRemovedWhileRunningIsRefusedAtTheNextConnection) {
  StartTcp();
  const client::CurveKeys keys = Client("authorized", "laptop");
  ASSERT_TRUE(Admitted(keys));
  fs::remove(curve() + "/authorized/laptop");
  EXPECT_TRUE(WaitUntil([&] { return !ControlWith(keys, milliseconds(300))->Ping().ok(); }))
      << "still admitted after its key file was removed";
  ASSERT_TRUE(WriteKeyFile(curve() + "/authorized/laptop-again", keys.client_public, 0644).ok());
  EXPECT_TRUE(Admitted(keys)) << "a key added back is read again";
}

TEST_F(RemoteTest, AKeyDirectoryRemovedAndMadeAgainIsWatchedAgain) {
  StartTcp();
  const client::CurveKeys keys = Client("authorized", "first");
  ASSERT_TRUE(Admitted(keys));
  fs::remove_all(curve() + "/authorized");
  EXPECT_TRUE(WaitUntil([&] { return fs::exists(curve() + "/authorized"); }))
      << "zsupd makes the directory again";
  const client::CurveKeys later = Client("authorized", "second");
  EXPECT_TRUE(Admitted(later)) << "a key in the new directory is read: " << Log();
  EXPECT_FALSE(ControlWith(keys, milliseconds(300))->Ping().ok()) << "the removed key is gone";
}

// The batches socket on tcp is a CURVE server like the events socket: a
// subscriber with a key gets batches, one without gets nothing.
TEST_F(RemoteTest, ABatchesSocketOnTcpServesOnlyCurveClients) {
  const std::string batches = "tcp://127.0.0.1:" + std::to_string(FreePort());
  StartTcp({"--batches", batches});
  const client::CurveKeys keys = Client("authorized", "shipper");
  ASSERT_TRUE(Admitted(keys)) << Log();
  zmq::socket_t keyed(context_, zmq::socket_type::sub), plain(context_, zmq::socket_type::sub);
  for (zmq::socket_t* s : {&keyed, &plain}) s->set(zmq::sockopt::linger, 0);
  keyed.set(zmq::sockopt::curve_serverkey, keys.server_public);
  keyed.set(zmq::sockopt::curve_publickey, keys.client_public);
  keyed.set(zmq::sockopt::curve_secretkey, keys.client_secret);
  for (zmq::socket_t* s : {&keyed, &plain}) {
    s->set(zmq::sockopt::subscribe, "stdout/");
    s->connect(batches);
  }
  // Revived about once a second, it prints a line each time.
  ASSERT_TRUE(
      ControlWith(keys)->Send(CreateRequest{TestNode("w", {"--lines=1", "--exit=0"})}).ok());
  int got = 0;
  const auto deadline = std::chrono::steady_clock::now() + seconds(15);
  while (got < 2 && std::chrono::steady_clock::now() < deadline) {
    zmq::pollitem_t item{keyed.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, milliseconds(100)) <= 0) continue;
    zmq::message_t topic, payload;
    ASSERT_TRUE(keyed.recv(topic) && keyed.recv(payload));
    auto batch = DecodeOutputBatch(topic.to_string_view(), payload.to_string_view());
    ASSERT_TRUE(batch.ok()) << batch.error();
    EXPECT_EQ(batch->msgs, std::vector<std::string>{"line 1"});
    ++got;
  }
  ASSERT_EQ(got, 2) << "no batches over CURVE\n" << Log();
  zmq::message_t stray;
  EXPECT_FALSE(plain.recv(stray, zmq::recv_flags::dontwait)) << "a client without CURVE got output";
}

TEST_F(RemoteTest, TransportsOtherThanIpcAndTcpAreRefused) {
  CommandResult r = RunCommand({ZsupdPath(), "--state-dir", dir() + "/ws", "--stem", StemPath(),
                                "--control", "ws://127.0.0.1:" + std::to_string(FreePort())});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("is neither ipc:// nor tcp://"), std::string::npos) << r.err;
}

TEST_F(RemoteTest, InsecureTcpServesPlainClientsAndSaysSo) {
  StartTcp({"--insecure-tcp"});
  EXPECT_TRUE(ControlWith(std::nullopt)->Ping().ok());
  EXPECT_NE(Log().find("WITHOUT CURVE (--insecure-tcp)"), std::string::npos) << Log();
  EXPECT_FALSE(fs::exists(curve())) << "no keys are made for an insecure endpoint";
}

}  // namespace
}  // namespace zsup::testing
