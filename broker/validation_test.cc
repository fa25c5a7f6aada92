// Every validation error string, Zeek's exact ones first.
#include "broker/validation.h"

#include <gtest/gtest.h>

#include "broker/test_util.h"

namespace zsup {
namespace {

std::string NameError(std::string_view name) {
  Status s = ValidateNodeName(name);
  EXPECT_FALSE(s.ok()) << name;
  return s.message();
}

std::string FieldError(const NodeConfig& c) {
  Status s = ValidateNodeConfig(c);
  EXPECT_FALSE(s.ok());
  return s.message();
}

NodeConfig Named(std::string name) {
  NodeConfig c;
  c.name = std::move(name);
  return c;
}

TEST(ValidationTest, ZeekEmptyName) { EXPECT_EQ(NameError(""), "node names must not be an empty string"); }

TEST(ValidationTest, ZeekSpaces) {
  EXPECT_EQ(NameError("my node"), "node names must not contain spaces: 'my node'");
  EXPECT_EQ(NameError("tab\there"), "node names must not contain spaces: 'tab\there'");
  EXPECT_EQ(NameError("nl\n"), "node names must not contain spaces: 'nl\n'");
}

TEST(ValidationTest, ZeekInterfaceAndPcap) {
  NodeConfig c = Named("w1");
  c.interface = "eth0";
  c.pcap_file = "x.pcap";
  EXPECT_EQ(FieldError(c), "node with name 'w1' has interface and pcap_file set");
}

TEST(ValidationTest, Slash) { EXPECT_EQ(NameError("a/b"), "node names must not contain '/': 'a/b'"); }

TEST(ValidationTest, ControlCharacters) {
  EXPECT_EQ(NameError(std::string("a\0b", 3)), "node names must not contain control characters");
  EXPECT_EQ(NameError("a\x1b[31m"), "node names must not contain control characters");
  EXPECT_EQ(NameError("del\x7f"), "node names must not contain control characters");
}

TEST(ValidationTest, Length) {
  EXPECT_TRUE(ValidateNodeName(std::string(255, 'x')).ok());
  EXPECT_EQ(NameError(std::string(256, 'x')),
            "node names must be at most 255 bytes long (this one has 256)");
}

TEST(ValidationTest, InvalidUtf8) { EXPECT_EQ(NameError("\xc3"), "node names must be valid UTF-8"); }

TEST(ValidationTest, GoodNames) {
  for (const char* name : {"worker-1", "w", "logger.1", "proxy_2", "Zeek:manager", "wörker"}) {
    EXPECT_TRUE(ValidateNodeName(name).ok()) << name;
  }
}

TEST(ValidationTest, FullConfigIsValid) {
  NodeConfig c = testing::FullConfig();
  c.pcap_file.reset();
  EXPECT_TRUE(ValidateNodeConfig(c).ok()) << ValidateNodeConfig(c).message();
}

TEST(ValidationTest, FieldRules) {
  NodeConfig c = Named("w");
  c.env["A=B"] = "x";
  EXPECT_EQ(FieldError(c), "config.env: key 'A=B' must not contain '='");
  c = Named("w");
  c.env[""] = "x";
  EXPECT_EQ(FieldError(c), "config.env: keys must not be empty");
  c = Named("w");
  c.env["A"] = std::string("x\0y", 3);
  EXPECT_EQ(FieldError(c), "config.env.A: must not contain NUL bytes");
  c = Named("w");
  c.command = {""};
  EXPECT_EQ(FieldError(c), "config.command: the program (first element) must not be empty");
  c = Named("w");
  c.command = {"ls", std::string("a\0", 2)};
  EXPECT_EQ(FieldError(c), "config.command: must not contain NUL bytes");
  c = Named("w");
  c.directory = "";
  EXPECT_EQ(FieldError(c), "config.directory: must not be empty when set");
  c = Named("w");
  c.stdout_file = "";
  EXPECT_EQ(FieldError(c), "config.stdout_file: must not be empty when set");
  c = Named("w");
  c.stderr_file = std::string("\0", 1);
  EXPECT_EQ(FieldError(c), "config.stderr_file: must not contain NUL bytes");
  c = Named("w");
  c.cpu_affinity = -1;
  EXPECT_EQ(FieldError(c), "config.cpu_affinity: must be a CPU number between 0 and 1023");
  c.cpu_affinity = 1024;
  EXPECT_EQ(FieldError(c), "config.cpu_affinity: must be a CPU number between 0 and 1023");
  c = Named("w");
  c.addl_base_scripts = {std::string("a\0", 2)};
  EXPECT_EQ(FieldError(c), "config.addl_base_scripts: must not contain NUL bytes");
}

TEST(ValidationTest, ExecSizeAllowsWhatLinuxCanExec) {
  NodeConfig c = Named("w");
  c.command = {"/bin/true", std::string(kMaxExecStringBytes, 'a')};
  c.env["K"] = std::string(kMaxExecStringBytes - 2, 'v');  // "K=" + value + NUL: 128 KiB
  EXPECT_TRUE(ValidateExecSize(c).ok()) << ValidateExecSize(c).message();
}

TEST(ValidationTest, ExecSizeRefusesAStringLongerThanOneExecArgument) {
  NodeConfig c = Named("w");
  c.env["BLOB"] = std::string(200 << 20, 'x');
  EXPECT_EQ(ValidateExecSize(c).message(),
            "node 'w': config.env.BLOB is 209715205 bytes; exec takes at most 131071 bytes per "
            "argument or environment string");
  c = Named("w");
  c.command = {"/bin/echo", std::string(kMaxExecStringBytes + 1, 'a')};
  EXPECT_NE(ValidateExecSize(c).message().find("config.command is 131072 bytes"),
            std::string::npos);
  c = Named("w");
  c.addl_user_scripts = {std::string(kMaxExecStringBytes + 1, 's')};
  EXPECT_NE(ValidateExecSize(c).message().find("config.scripts"), std::string::npos);
}

TEST(ValidationTest, ExecSizeRefusesACommandAndEnvBeyondTheBudget) {
  NodeConfig c = Named("w");
  for (int i = 0; i < 10; ++i) c.env["K" + std::to_string(i)] = std::string(120 << 10, 'v');
  const Status s = ValidateExecSize(c);
  EXPECT_NE(s.message().find("its command and env take"), std::string::npos) << s.message();
  EXPECT_TRUE(ValidateExecSize(c, 4 << 20).ok());
}

TEST(ValidationTest, Version2FieldsNameTheNodeAndTheKey) {
  NodeConfig c = Named("w");
  c.stop_signal = "INT";
  c.stop_timeout = 2.5;
  c.name_space = "zeek";
  EXPECT_TRUE(ValidateNodeFields(c).ok()) << ValidateNodeFields(c).message();
  c.stop_signal = "SIGTERM";
  EXPECT_EQ(FieldError(c),
            "node 'w': config.stop_signal: unknown signal 'SIGTERM' (a name without SIG, e.g. "
            "TERM, INT, QUIT, HUP, USR1)");
  c.stop_signal = "TERM";
  c.stop_timeout = -1;
  EXPECT_EQ(FieldError(c), "node 'w': config.stop_timeout: must be a number of seconds >= 0");
  c.stop_timeout.reset();
  c.name_space = "";
  EXPECT_NE(FieldError(c).find("config.namespace"), std::string::npos);
}

TEST(ValidationTest, ClusterBackendEndpointsGoIntoZeekStringsSafely) {
  NodeConfig c = Named("w");
  c.cluster_backend = ClusterBackend{"zeromq", "tcp://[::1]:27760", "tcp://[::1]:27761", {}};
  EXPECT_EQ(FieldError(c), "node 'w': config.cluster_backend: a Zeek node needs a directory, "
                           "where its cluster-layout.zeek goes");
  c.directory = "/spool/w";
  EXPECT_TRUE(ValidateNodeFields(c).ok()) << ValidateNodeFields(c).message();
  c.cluster_backend->xsub_endpoint = "tcp://x\";redef evil=1;\"";
  EXPECT_EQ(FieldError(c).substr(0, 79),
            "node 'w': config.cluster_backend.xsub_endpoint: must be a tcp://HOST:PORT endpo");
  c.cluster_backend->xsub_endpoint.reset();
  EXPECT_EQ(FieldError(c),
            "node 'w': config.cluster_backend.xsub_endpoint: required for type \"zeromq\"");
  c.cluster_backend = ClusterBackend{"broker", "tcp://a:1", {}, {}};
  EXPECT_EQ(FieldError(c), "node 'w': config.cluster_backend: xpub_endpoint and xsub_endpoint "
                           "are for type \"zeromq\"");
  c.cluster_backend = ClusterBackend{"broker", {}, {}, {}};
  c.cluster["m"] = {ClusterRole::kManager, "manager.example", {1, "tcp"}, {}, {}, {}};
  EXPECT_EQ(FieldError(c), "node 'w': config.cluster.m.host: 'manager.example' is not an IP "
                           "address (Zeek's layout needs one)");
  c.cluster["m"].host = "10.0.0.1";
  c.cluster["n"] = {ClusterRole::kManager, "10.0.0.1", {2, "tcp"}, {}, {}, {}};
  EXPECT_EQ(FieldError(c), "node 'w': config.cluster: 'm' and 'n' are both a MANAGER");
  c.cluster.erase("n");
  EXPECT_TRUE(ValidateNodeFields(c).ok());
  c.bare_mode = true;
  EXPECT_EQ(FieldError(c), "node 'w': config.cluster_backend: a bare_mode node has no cluster "
                           "framework to configure");
  c.bare_mode.reset();
  c.cluster_backend = ClusterBackend{"kafka", {}, {}, {}};
  EXPECT_EQ(FieldError(c), "node 'w': config.cluster_backend.type: must be \"zeromq\" or "
                           "\"broker\", not 'kafka'");
}

TEST(ValidationTest, NameIsCheckedBeforeFields) {
  NodeConfig c = Named("");
  c.interface = "eth0";
  c.pcap_file = "x";
  EXPECT_EQ(FieldError(c), "node names must not be an empty string");
}

}  // namespace
}  // namespace zsup
