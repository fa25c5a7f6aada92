// Malformed input of every class yields an error value with a clear message.
#include <gtest/gtest.h>

#include <string>

#include "broker/codec.h"
#include "broker/test_util.h"

namespace zsup {
namespace {

using testing::FullConfig;
using testing::Mp;

std::string RequestError(const std::string& bytes) {
  auto r = DecodeRequest(bytes);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error();
}

std::string CreateError(const nlohmann::json& config) {
  return RequestError(Mp({{"cmd", "create"}, {"config", config}}));
}

TEST(MalformedTest, EmptyInput) { EXPECT_EQ(RequestError(""), "empty message (expected msgpack)"); }

TEST(MalformedTest, EveryTruncationOfAValidRequestFails) {
  const std::string full = EncodeRequest(CreateRequest{FullConfig()});
  for (size_t n = 0; n < full.size(); ++n) {
    EXPECT_FALSE(DecodeRequest(full.substr(0, n)).ok()) << "prefix of " << n << " bytes";
  }
  EXPECT_TRUE(DecodeRequest(full).ok());
}

TEST(MalformedTest, TruncatedMessage) {
  const std::string full = EncodeRequest(PingRequest{});
  EXPECT_EQ(RequestError(full.substr(0, full.size() - 1)),
            "truncated msgpack message (" + std::to_string(full.size() - 1) + " bytes)");
}

TEST(MalformedTest, TrailingBytes) {
  EXPECT_EQ(RequestError(EncodeRequest(PingRequest{}) + "x"),
            "trailing bytes after the msgpack value (1 of 11)");
}

TEST(MalformedTest, InvalidLeadByte) {
  EXPECT_EQ(RequestError(std::string("\xc1", 1)), "not a msgpack message (invalid byte)");
}

TEST(MalformedTest, AbsurdArrayLengthIsRefusedBeforeAllocating) {
  // array32 claiming 4,294,967,295 elements in a 5-byte frame.
  EXPECT_EQ(RequestError(std::string("\xdd\xff\xff\xff\xff", 5)),
            "msgpack message claims more elements than its 5 bytes can hold");
}

TEST(MalformedTest, AbsurdMapLengthIsRefused) {
  EXPECT_EQ(RequestError(std::string("\xdf\xff\xff\xff\xff", 5)),
            "msgpack message claims more elements than its 5 bytes can hold");
}

TEST(MalformedTest, AbsurdStringLengthIsRefused) {
  // Strings are read in place, so the missing bytes show as truncation.
  EXPECT_EQ(RequestError(std::string("\xdb\xff\xff\xff\xf0", 5)),
            "truncated msgpack message (5 bytes)");
}

TEST(MalformedTest, AbsurdBinaryLengthIsRefused) {
  EXPECT_FALSE(DecodeRequest(std::string("\xc6\xff\xff\xff\xf0", 5)).ok());
}

TEST(MalformedTest, DeepNestingIsRefused) {
  std::string deep(100000, '\x91');  // fixarray of one element, nested
  deep += '\xc0';
  EXPECT_EQ(RequestError(deep), "msgpack message nested deeper than 32");
}

TEST(MalformedTest, NotAMap) {
  EXPECT_EQ(RequestError(Mp({1, 2})), "request: must be a map, not an array");
  EXPECT_EQ(RequestError(Mp("ping")), "request: must be a map, not a string");
}

TEST(MalformedTest, NonStringKey) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(1), pk.pack(1), pk.pack("x");
  EXPECT_EQ(RequestError(std::string(buf.data(), buf.size())),
            "keys of request must be strings, not an integer");
}

TEST(MalformedTest, DuplicateKey) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(2), pk.pack("cmd"), pk.pack("ping"), pk.pack("cmd"), pk.pack("ping");
  EXPECT_EQ(RequestError(std::string(buf.data(), buf.size())), "duplicate field 'cmd' in request");
}

TEST(MalformedTest, MissingCmd) { EXPECT_EQ(RequestError(Mp({{"node", "x"}})), "missing field 'cmd' in request"); }

TEST(MalformedTest, CmdOfWrongType) {
  EXPECT_EQ(RequestError(Mp({{"cmd", 7}})), "cmd: must be a string, not an integer");
}

TEST(MalformedTest, APongTokenIsShortAndPlain) {
  EXPECT_EQ(RequestError(Mp({{"cmd", "ping"}, {"pong", "a/b"}})),
            "pong: must be 1 to 64 letters, digits, '-' or '_'");
  EXPECT_EQ(RequestError(Mp({{"cmd", "ping"}, {"pong", std::string(65, 'x')}})),
            "pong: must be 1 to 64 letters, digits, '-' or '_'");
}

TEST(MalformedTest, UnknownCommand) {
  EXPECT_EQ(RequestError(Mp({{"cmd", "launch"}})),
            "unknown command 'launch' (expected ping, create, destroy, restart, status, tail, "
            "stop, start or apply)");
}

TEST(MalformedTest, UnknownRequestField) {
  EXPECT_EQ(RequestError(Mp({{"cmd", "ping"}, {"extra", 1}})), "unknown field 'extra' in request");
}

TEST(MalformedTest, NodeSelectorOfWrongType) {
  EXPECT_EQ(RequestError(Mp({{"cmd", "status"}, {"node", 3}})), "node: must be a string, not an integer");
}

TEST(MalformedTest, CreateWithoutConfig) {
  EXPECT_EQ(RequestError(Mp({{"cmd", "create"}})), "missing field 'config' in create request");
}

TEST(MalformedTest, ConfigNotAMap) {
  EXPECT_EQ(CreateError("w1"), "config: must be a map, not a string");
}

TEST(MalformedTest, ConfigWithoutName) {
  EXPECT_EQ(CreateError({{"interface", "eth0"}}), "missing field 'name' in config");
}

TEST(MalformedTest, MisspelledConfigField) {
  EXPECT_EQ(CreateError({{"name", "w"}, {"stdout_fle", "x"}}), "unknown field 'stdout_fle' in config");
}

TEST(MalformedTest, ConfigFieldsOfWrongType) {
  EXPECT_EQ(CreateError({{"name", 1}}), "config.name: must be a string, not an integer");
  EXPECT_EQ(CreateError({{"name", "w"}, {"interface", true}}),
            "config.interface: must be a string, not a boolean");
  EXPECT_EQ(CreateError({{"name", "w"}, {"pcap_file", 1.5}}),
            "config.pcap_file: must be a string, not a float");
  EXPECT_EQ(CreateError({{"name", "w"}, {"directory", {1}}}),
            "config.directory: must be a string, not an array");
  EXPECT_EQ(CreateError({{"name", "w"}, {"stdout_file", {{"a", 1}}}}),
            "config.stdout_file: must be a string, not a map");
  EXPECT_EQ(CreateError({{"name", "w"}, {"stderr_file", 2}}),
            "config.stderr_file: must be a string, not an integer");
  EXPECT_EQ(CreateError({{"name", "w"}, {"bare_mode", "yes"}}),
            "config.bare_mode: must be a boolean, not a string");
  EXPECT_EQ(CreateError({{"name", "w"}, {"cpu_affinity", "3"}}),
            "config.cpu_affinity: must be an integer, not a string");
  EXPECT_EQ(CreateError({{"name", "w"}, {"addl_base_scripts", "a.zeek"}}),
            "config.addl_base_scripts: must be an array of strings, not a string");
  EXPECT_EQ(CreateError({{"name", "w"}, {"addl_user_scripts", {1}}}),
            "config.addl_user_scripts: elements must be strings");
  EXPECT_EQ(CreateError({{"name", "w"}, {"scripts", {nullptr}}}),
            "config.scripts: elements must be strings");
  EXPECT_EQ(CreateError({{"name", "w"}, {"command", {"ls", 3}}}),
            "config.command: elements must be strings");
  EXPECT_EQ(CreateError({{"name", "w"}, {"env", {"A=1"}}}),
            "config.env: must be a map of strings to strings, not an array");
  EXPECT_EQ(CreateError({{"name", "w"}, {"env", {{"A", 1}}}}), "config.env: values must be strings");
  EXPECT_EQ(CreateError({{"name", "w"}, {"cluster", {"a"}}}),
            "config.cluster: must be a map of node names to endpoints, not an array");
}

TEST(MalformedTest, EnvKeysMustBeStrings) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(2), pk.pack("cmd"), pk.pack("create"), pk.pack("config");
  pk.pack_map(2), pk.pack("name"), pk.pack("w"), pk.pack("env");
  pk.pack_map(1), pk.pack(1), pk.pack("x");
  EXPECT_EQ(RequestError(std::string(buf.data(), buf.size())), "config.env: keys must be strings");
}

TEST(MalformedTest, IntegerOutOfRange) {
  EXPECT_EQ(CreateError({{"name", "w"}, {"cpu_affinity", 18446744073709551615ULL}}),
            "config.cpu_affinity: integer out of range");
}

TEST(MalformedTest, InvalidUtf8) {
  msgpack::sbuffer buf;
  Packer pk(buf);
  pk.pack_map(2), pk.pack("cmd"), pk.pack("status"), pk.pack("node"), pk.pack("\xff\xfe");
  EXPECT_EQ(RequestError(std::string(buf.data(), buf.size())), "node: must be valid UTF-8");
}

TEST(MalformedTest, BadClusterEndpoints) {
  auto ep = [](nlohmann::json endpoint) {
    return CreateError({{"name", "w"}, {"cluster", {{"m", endpoint}}}});
  };
  nlohmann::json good = {{"role", "MANAGER"}, {"host", "h"}, {"p", {{"port", 1}, {"proto", "tcp"}}}};
  EXPECT_EQ(ep("x"), "config.cluster.m: must be a map, not a string");
  auto without = [&](const char* key) {
    nlohmann::json e = good;
    e.erase(key);
    return e;
  };
  EXPECT_EQ(ep(without("role")), "missing field 'role' in config.cluster.m");
  EXPECT_EQ(ep(without("host")), "missing field 'host' in config.cluster.m");
  EXPECT_EQ(ep(without("p")), "missing field 'p' in config.cluster.m");
  nlohmann::json e = good;
  e["role"] = "BOSS";
  EXPECT_EQ(ep(e), "config.cluster.m.role: unknown role 'BOSS' (expected NONE, LOGGER, MANAGER, "
                   "PROXY or WORKER)");
  e = good;
  e["p"] = 80;
  EXPECT_EQ(ep(e), "config.cluster.m.p: must be a map, not an integer");
  e["p"] = {{"port", 70000}};
  EXPECT_EQ(ep(e), "config.cluster.m.p.port: must be between 0 and 65535");
  e["p"] = {{"port", 80}, {"proto", "sctp"}};
  EXPECT_EQ(ep(e), "config.cluster.m.p.proto: must be \"tcp\", \"udp\", \"icmp\" or \"unknown\"");
  e["p"] = {{"port", 80}, {"protocol", "tcp"}};
  EXPECT_EQ(ep(e), "unknown field 'protocol' in config.cluster.m.p");
  e = good;
  e["metrics_port"] = {{"proto", "tcp"}};
  EXPECT_EQ(ep(e), "missing field 'port' in config.cluster.m.metrics_port");
  e = good;
  e["weight"] = 1;
  EXPECT_EQ(ep(e), "unknown field 'weight' in config.cluster.m");
}

TEST(MalformedTest, TailArguments) {
  EXPECT_EQ(RequestError(Mp({{"cmd", "tail"}})), "missing field 'node' in request");
  EXPECT_EQ(RequestError(Mp({{"cmd", "tail"}, {"node", "x"}, {"stream", "stdin"}})),
            "stream: must be \"stdout\" or \"stderr\", not 'stdin'");
  EXPECT_EQ(RequestError(Mp({{"cmd", "tail"}, {"node", "x"}, {"lines", -1}})),
            "lines: must not be negative");
  EXPECT_EQ(RequestError(Mp({{"cmd", "tail"}, {"node", "x"}, {"lines", "10"}})),
            "lines: must be an integer, not a string");
}

TEST(MalformedTest, MalformedReplies) {
  EXPECT_EQ(DecodeOkReply(Mp({{"error", "x"}})).message(), "missing field 'ok' in reply");
  EXPECT_EQ(DecodeOkReply(Mp({{"ok", 1}})).message(), "ok: must be a boolean, not an integer");
  EXPECT_EQ(DecodeStatusReply(Mp({{"ok", true}})).error(), "missing field 'status' in reply");
  EXPECT_EQ(DecodeStatusReply(Mp({{"ok", true}, {"status", {{"nodes", {1}}}}})).error(),
            "status.nodes: must be a map, not an array");
  EXPECT_EQ(DecodeTailReply(Mp({{"ok", true}, {"lines", {{{"msg", "x"}}}}})).error(),
            "missing field 'seq' in lines[0]");
  EXPECT_EQ(DecodePingReply(Mp({{"ok", true}, {"pid", 1}})).error(),
            "missing field 'version' in reply");
}

TEST(MalformedTest, MalformedEvents) {
  EXPECT_EQ(DecodeEvent("stdout", Mp({{"node", "x"}})).error(),
            "event topic has no '/': expected <kind>/<node>");
  EXPECT_EQ(DecodeEvent("log/x", Mp({{"node", "x"}})).error(), "unknown event kind 'log'");
  EXPECT_EQ(DecodeEvent("stdout/x", Mp({{"node", "x"}, {"msg", "m"}, {"seq", "1"}, {"at", 1.0}})).error(),
            "seq: must be an integer, not a string");
  EXPECT_EQ(DecodeEvent("node_exit/x", Mp({{"node", "x"}, {"pid", 1}, {"at", 1.0}})).error(),
            "missing field 'commanded' in event");
}

TEST(MalformedTest, EveryByteFlipOfAValidRequestIsHandled) {
  // Not a check of specific messages: no flip may crash or be accepted as
  // something that does not re-encode to a valid request.
  const std::string full = EncodeRequest(CreateRequest{FullConfig()});
  for (size_t i = 0; i < full.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string mutated = full;
      mutated[i] = static_cast<char>(mutated[i] ^ (1 << bit));
      auto r = DecodeRequest(mutated);
      if (r.ok()) {
        EXPECT_TRUE(DecodeRequest(EncodeRequest(*r)).ok());
      }
    }
  }
}

}  // namespace
}  // namespace zsup
