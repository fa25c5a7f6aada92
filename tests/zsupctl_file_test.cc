// zsupctl create --file against a real zsupd: a whole set created from one
// JSON file, nothing created when an entry is invalid, every problem of
// every entry listed, and each node's outcome reported.
#include "tests/zsupctl_fixture.h"

namespace zsup::testing {
namespace {

TEST_F(ZsupctlTest, CreateFileCreatesAWholeCluster) {
  StartDaemon();
  const std::string cluster =
      R"(, "cluster": {
        "manager": {"role": "Supervisor::MANAGER", "host": "127.0.0.1", "p": {"port": 27761, "proto": "tcp"}},
        "worker-1": {"role": "Supervisor::WORKER", "host": "127.0.0.1", "p": {"port": 27762, "proto": "tcp"}, "interface": "eth0"},
        "worker-2": {"role": "WORKER", "host": "127.0.0.1", "p": {"port": 27763, "proto": "tcp"}, "interface": "eth1"}
      })";
  const std::string file = WriteFile("cluster.json", "[" + JsonNode("manager", cluster) + ",\n" +
                                                         JsonNode("worker-1", cluster) + ",\n" +
                                                         JsonNode("worker-2", cluster) + "]\n");
  CommandResult r = Run({"create", "--file", file});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "created manager\ncreated worker-1\ncreated worker-2\n");
  auto status = GetStatus();
  ASSERT_TRUE(status.ok());
  ASSERT_EQ(status->nodes.size(), 3u);
  const auto& ep = status->nodes.at("worker-2").node.cluster.at("worker-1");
  EXPECT_EQ(ep.role, ClusterRole::kWorker);
  EXPECT_EQ(ep.p.port, 27762);
  EXPECT_EQ(ep.interface, "eth0");
  EXPECT_EQ(status->nodes.at("manager").node.cluster.at("manager").role, ClusterRole::kManager);
  EXPECT_GT(WaitRunning("worker-2"), 0);

  // One object (not a list) is fine too, and "-" reads standard input... via a file here.
  CommandResult solo = Run({"create", "--file", WriteFile("solo.json", JsonNode("solo"))});
  EXPECT_EQ(solo.exit_code, 0) << solo.err;
  EXPECT_EQ(solo.out, "created solo\n");
}

TEST_F(ZsupctlTest, CreateFileWithAnInvalidEntryCreatesNothing) {
  StartDaemon();
  const std::string both = R"(, "interface": "eth0", "pcap_file": "x.pcap")";
  const std::string bad =
      WriteFile("bad.json", "[" + JsonNode("manager") + ", " + JsonNode("worker-1") + ", " +
                                JsonNode("worker-2", both) + ", " + JsonNode("worker 3") + "]");
  CommandResult r = Run({"create", "--file", bad});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("nothing was created"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[2] 'worker-2': node with name 'worker-2' has interface and pcap_file set"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("[3] 'worker 3': node names must not contain spaces"), std::string::npos)
      << r.err;
  EXPECT_TRUE(GetStatus()->nodes.empty());

  struct Case {
    std::string name, content, expect;
  };
  for (const Case& c : std::vector<Case>{
           {"syntax.json", "[" + JsonNode("a") + ",", "syntax.json:1:"},
           {"typo.json", "[" + JsonNode("a") + ", " + JsonNode("b", R"(, "enviroment": {})") + "]",
            "enviroment"},
           {"twice.json", "[" + JsonNode("a") + ", " + JsonNode("a") + "]",
            "the file names it twice"},
           {"empty.json", "[]", "no node configs"},
       }) {
    CommandResult e = Run({"create", "--file", WriteFile(c.name, c.content)});
    EXPECT_EQ(e.exit_code, 2) << c.name;
    EXPECT_NE(e.err.find(c.expect), std::string::npos) << c.name << ": " << e.err;
  }
  CommandResult missing = Run({"create", "--file", dir() + "/missing.json"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("No such file"), std::string::npos) << missing.err;
  EXPECT_TRUE(GetStatus()->nodes.empty());
}

TEST_F(ZsupctlTest, CreateFileListsEveryProblemOfEveryEntry) {
  StartDaemon();
  const std::string bad = WriteFile(
      "bad.json", "[" + JsonNode("w1", R"(, "env": {"A": 1}, "stdout_fle": "x")") + ",\n" +
                      JsonNode("w2") + ",\n" + JsonNode("w3", R"(, "stage": "two")") + ",\n" +
                      JsonNode("w 4") + "]\n");
  for (const char* command : {"create", "apply"}) {
    CommandResult r =
        command == std::string("create") ? Run({"create", "--file", bad}) : Run({"apply", bad});
    EXPECT_EQ(r.exit_code, 2) << command;
    for (const std::string& line :
         {bad + " has 4 problems", std::string("\n  [0] 'w1': env: values must be strings\n"),
          std::string("\n  [0] 'w1': unknown field 'stdout_fle'\n"),
          std::string("\n  [2] 'w3': stage: must be an integer, not a string\n"),
          std::string("\n  [3] 'w 4': node names must not contain spaces")}) {
      EXPECT_NE(r.err.find(line), std::string::npos) << command << ": " << line << "\n" << r.err;
    }
  }
  // A syntax error says where, as FILE:LINE:COLUMN.
  const std::string syntax =
      WriteFile("syntax.json", "[\n  " + JsonNode("a") + ",\n  {\"name\": b}\n]\n");
  CommandResult r = Run({"create", "--file", syntax});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("zsupctl create: " + syntax + ":3:12: syntax error"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("nothing was created"), std::string::npos) << r.err;
  EXPECT_TRUE(GetStatus()->nodes.empty());
}

TEST_F(ZsupctlTest, CreateFileReportsEachNodeAndExitsOneOnRefusal) {
  StartDaemon();
  ASSERT_TRUE(Create(TestNode("w2")).ok());
  const std::string file = WriteFile(
      "nodes.json", "[" + JsonNode("w1") + ", " + JsonNode("w2") + ", " + JsonNode("w3") + "]");
  CommandResult r = Run({"create", "--file", file});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "created w1\nw2: node with name 'w2' already exists\ncreated w3\n");
  EXPECT_NE(r.err.find("refused 1 of 3"), std::string::npos) << r.err;
  EXPECT_EQ(GetStatus()->nodes.size(), 3u);
}

}  // namespace
}  // namespace zsup::testing
