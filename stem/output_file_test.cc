#include "stem/output_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace zsup {
namespace {

namespace fs = std::filesystem;

class OutputFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zsup-output-file-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::string Read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  OutputFile Open(const std::string& name, std::optional<Rotation> rotation = std::nullopt) {
    auto f = OutputFile::Open({dir_ + "/" + name, rotation, {}, {}, {}});
    EXPECT_TRUE(f.ok()) << f.error();
    return std::move(*f);
  }

  std::string dir_;
};

TEST_F(OutputFileTest, AppendsNeverTruncatesAndCreates0640) {
  const mode_t old_mask = ::umask(022);
  { std::ofstream(dir_ + "/out") << "old\n"; }
  OutputFile f = Open("out");
  EXPECT_EQ(f.size(), 4);
  ASSERT_TRUE(f.Write("new\n").ok());
  EXPECT_EQ(Read(dir_ + "/out"), "old\nnew\n");
  OutputFile g = Open("fresh");
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/fresh").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u) << std::oct << st.st_mode;
  ::umask(old_mask);
}

TEST_F(OutputFileTest, RotationKeepsExactlyBackupsAndEveryByteInOrder) {
  OutputFile f = Open("out", Rotation{100, 3});
  std::string all;
  for (int i = 1; i <= 200; ++i) {
    const std::string line = "line " + std::to_string(i) + "\n";
    all += line;
    ASSERT_TRUE(f.Write(line).ok());
  }
  EXPECT_TRUE(fs::exists(dir_ + "/out.3"));
  EXPECT_FALSE(fs::exists(dir_ + "/out.4"));
  std::string kept;
  for (const char* name : {"/out.3", "/out.2", "/out.1", "/out"}) {
    const std::string part = Read(dir_ + name);
    EXPECT_LE(part.size(), 100u) << name;
    kept += part;
  }
  EXPECT_EQ(all.substr(all.size() - kept.size()), kept) << "the newest bytes, contiguous";
  EXPECT_GT(kept.size(), 300u);
}

TEST_F(OutputFileTest, NoFilePassesMaxBytesEvenForALargerWrite) {
  OutputFile f = Open("out", Rotation{10, 3});
  ASSERT_TRUE(f.Write("12345").ok());
  ASSERT_TRUE(f.Write(std::string(25, 'x')).ok());
  EXPECT_EQ(Read(dir_ + "/out.3"), "12345");
  EXPECT_EQ(Read(dir_ + "/out.2"), std::string(10, 'x'));
  EXPECT_EQ(Read(dir_ + "/out.1"), std::string(10, 'x'));
  EXPECT_EQ(Read(dir_ + "/out"), std::string(5, 'x'));
  ASSERT_TRUE(f.Write("y").ok());
  EXPECT_EQ(Read(dir_ + "/out"), "xxxxxy");
}

TEST_F(OutputFileTest, NoBackupsMeansStartingOver) {
  OutputFile f = Open("out", Rotation{4, 0});
  ASSERT_TRUE(f.Write("abc").ok());
  ASSERT_TRUE(f.Write("def").ok());
  EXPECT_EQ(Read(dir_ + "/out"), "def");
  EXPECT_FALSE(fs::exists(dir_ + "/out.1"));
}

TEST_F(OutputFileTest, ReopenAfterAMoveWritesTheNewFile) {
  OutputFile f = Open("out");
  ASSERT_TRUE(f.Write("1\n").ok());
  fs::rename(dir_ + "/out", dir_ + "/out.old");
  ASSERT_TRUE(f.Write("2\n").ok()) << "still the moved file until reopen";
  ASSERT_TRUE(f.Reopen().ok());
  ASSERT_TRUE(f.Write("3\n").ok());
  EXPECT_EQ(Read(dir_ + "/out.old"), "1\n2\n");
  EXPECT_EQ(Read(dir_ + "/out"), "3\n");
}

TEST_F(OutputFileTest, AFailedReopenIsRetriedAtTheNextWrite) {
  fs::create_directory(dir_ + "/logs");
  auto f = OutputFile::Open({dir_ + "/logs/out", Rotation{100, 2}, {}, {}, {}});
  ASSERT_TRUE(f.ok()) << f.error();
  ASSERT_TRUE(f->Write("1\n").ok());
  fs::rename(dir_ + "/logs", dir_ + "/gone");
  EXPECT_FALSE(f->Reopen().ok());
  EXPECT_FALSE(f->Write("lost\n").ok()) << "no directory yet";
  EXPECT_FALSE(fs::exists(dir_ + "/gone/out.2")) << "a failing write rotates nothing";
  fs::rename(dir_ + "/gone", dir_ + "/logs");
  ASSERT_TRUE(f->Write("2\n").ok()) << "the file is opened again";
  EXPECT_EQ(Read(dir_ + "/logs/out"), "1\n2\n");
  EXPECT_FALSE(fs::exists(dir_ + "/logs/out.1"));
}

TEST_F(OutputFileTest, EofAtExactlyMaxBytesRotatesNothing) {
  OutputFile f = Open("out", Rotation{4, 2});
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  ASSERT_EQ(::write(p[1], "abcd", 4), 4);
  bool eof = false;
  ASSERT_TRUE(f.Splice(p[0], 1 << 20, &eof).ok());
  ::close(p[1]);
  auto n = f.Splice(p[0], 1 << 20, &eof);
  ASSERT_TRUE(n.ok());
  EXPECT_TRUE(eof);
  ::close(p[0]);
  EXPECT_EQ(Read(dir_ + "/out"), "abcd");
  EXPECT_FALSE(fs::exists(dir_ + "/out.1")) << "no empty generation for the EOF probe";
}

TEST_F(OutputFileTest, AfterCopytruncateItWritesAtTheNewEnd) {
  OutputFile f = Open("out");
  ASSERT_TRUE(f.Write("0123456789").ok());
  ASSERT_EQ(::truncate((dir_ + "/out").c_str(), 0), 0);
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  ASSERT_EQ(::write(p[1], "ab", 2), 2);
  bool eof = false;
  auto n = f.Splice(p[0], 1 << 20, &eof);
  ASSERT_TRUE(n.ok()) << n.error();
  EXPECT_EQ(*n, 2u);
  EXPECT_EQ(Read(dir_ + "/out"), "ab") << "no hole where the old bytes were";
  ::close(p[0]);
  ::close(p[1]);
}

TEST_F(OutputFileTest, SpliceMovesPipeBytesRotatesAndSeesEof) {
  OutputFile f = Open("out", Rotation{1000, 2});
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  std::string all;
  for (int round = 0; round < 10; ++round) {
    std::string chunk;
    for (int i = 0; i < 30; ++i) chunk += "r" + std::to_string(round) + " l" + std::to_string(i) + "\n";
    all += chunk;
    ASSERT_EQ(::write(p[1], chunk.data(), chunk.size()), static_cast<ssize_t>(chunk.size()));
    bool eof = true;
    auto n = f.Splice(p[0], 1 << 20, &eof);
    ASSERT_TRUE(n.ok()) << n.error();
    EXPECT_EQ(*n, chunk.size());
    EXPECT_FALSE(eof);
  }
  ::close(p[1]);
  bool eof = false;
  auto n = f.Splice(p[0], 1 << 20, &eof);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
  EXPECT_TRUE(eof);
  ::close(p[0]);
  const std::string kept = Read(dir_ + "/out.2") + Read(dir_ + "/out.1") + Read(dir_ + "/out");
  EXPECT_EQ(all.substr(all.size() - kept.size()), kept);
  EXPECT_LE(Read(dir_ + "/out").size(), 1000u);
  EXPECT_FALSE(fs::exists(dir_ + "/out.3"));
}

TEST_F(OutputFileTest, SpliceHonoursItsByteBound) {
  OutputFile f = Open("out");
  int p[2];
  ASSERT_EQ(::pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
  ASSERT_EQ(::write(p[1], std::string(5000, 'z').data(), 5000), 5000);
  bool eof = false;
  auto n = f.Splice(p[0], 1000, &eof);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1000u);
  n = f.Splice(p[0], 1 << 20, &eof);
  EXPECT_EQ(*n, 4000u);
  EXPECT_EQ(Read(dir_ + "/out").size(), 5000u);
  ::close(p[0]);
  ::close(p[1]);
}

TEST_F(OutputFileTest, NeverFollowsASymlinkAtTheEnd) {
  { std::ofstream(dir_ + "/secret") << "s"; }
  fs::create_symlink(dir_ + "/secret", dir_ + "/out");
  auto f = OutputFile::Open({dir_ + "/out", {}, {}, {}, {}});
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().find("a symlink"), std::string::npos) << f.error();
  EXPECT_EQ(Read(dir_ + "/secret"), "s");
}

TEST_F(OutputFileTest, NoSymlinkBelowTheNodesDirectory) {
  fs::create_directory(dir_ + "/node");
  fs::create_directory(dir_ + "/elsewhere");
  fs::create_directory_symlink(dir_ + "/elsewhere", dir_ + "/node/logs");
  auto f = OutputFile::Open({dir_ + "/node/logs/out", {}, {}, {}, dir_ + "/node"});
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().find("no symlink is followed"), std::string::npos) << f.error();
  EXPECT_FALSE(fs::exists(dir_ + "/elsewhere/out"));
  fs::remove(dir_ + "/node/logs");
  fs::create_directory(dir_ + "/node/logs");
  f = OutputFile::Open({dir_ + "/node/logs/out", {}, {}, {}, dir_ + "/node"});
  EXPECT_TRUE(f.ok()) << f.error();
}

TEST_F(OutputFileTest, RefusesAFifoAndTakesDevNull) {
  ASSERT_EQ(::mkfifo((dir_ + "/fifo").c_str(), 0600), 0);
  auto f = OutputFile::Open({dir_ + "/fifo", {}, {}, {}, {}});
  EXPECT_FALSE(f.ok()) << "a FIFO without a reader must not block the stem";
  const int reader = ::open((dir_ + "/fifo").c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(reader, 0);
  f = OutputFile::Open({dir_ + "/fifo", {}, {}, {}, {}});
  ASSERT_FALSE(f.ok()) << "nor one with a reader";
  EXPECT_NE(f.error().find("neither a regular file nor a character device"), std::string::npos)
      << f.error();
  ::close(reader);
  auto null = OutputFile::Open({"/dev/null", Rotation{1, 1}, {}, {}, {}});
  ASSERT_TRUE(null.ok()) << null.error();
  EXPECT_TRUE(null->Write("gone\n").ok());
  EXPECT_TRUE(null->Write("gone\n").ok());
  EXPECT_FALSE(fs::exists("/dev/null.1"));
}

TEST_F(OutputFileTest, CreatedFilesBelongToTheNodesUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root";
  auto f = OutputFile::Open({dir_ + "/out", Rotation{2, 1}, 65534, 65534, {}});
  ASSERT_TRUE(f.ok()) << f.error();
  ASSERT_TRUE(f->Write("ab").ok());
  ASSERT_TRUE(f->Write("cd").ok());  // rotated: the new file too
  for (const char* name : {"/out", "/out.1"}) {
    struct stat st {};
    ASSERT_EQ(::stat((dir_ + name).c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 65534u) << name;
    EXPECT_EQ(st.st_gid, 65534u) << name;
  }
}

}  // namespace
}  // namespace zsup
