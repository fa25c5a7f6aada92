// StemSlots: every transition, and the hard cases that once needed
// real-time integration tests (a re-create while the old process stops, a
// restart before the Welcome, adoption and replacement, a stem lost
// mid-create).
#include "supervisor/stem_slots.h"

#include <gtest/gtest.h>

namespace zsup {
namespace {

using Send = StemSlots::Send;
using Reported = StemSlots::Reported;
using Actions = StemSlots::Actions;

Actions One(Send send, const std::string& name) { return {{send, name}}; }

TEST(StemSlotsTest, CreateOfANewNameIsSentAndHeld) {
  StemSlots s;
  EXPECT_EQ(s.Create("a", true), One(Send::kCreate, "a"));
  EXPECT_TRUE(s.held("a"));
}

TEST(StemSlotsTest, DestroySendsDestroyAndTheNameLeavesOnlyWhenTheStemForgetsIt) {
  StemSlots s;
  s.Create("a", true);
  EXPECT_EQ(s.Destroy("a", true), One(Send::kDestroy, "a"));
  EXPECT_TRUE(s.leaving("a"));
  EXPECT_EQ(s.Destroy("a", true), Actions{});  // once
  EXPECT_EQ(s.Gone("a"), Actions{});
  EXPECT_FALSE(s.leaving("a"));
  EXPECT_EQ(s.Create("a", true), One(Send::kCreate, "a"));  // a fresh one at once
}

TEST(StemSlotsTest, ACreateWhileTheOldProcessStopsWaitsForItToBeGone) {
  StemSlots s;
  s.Create("a", true);
  s.Destroy("a", true);
  EXPECT_EQ(s.Create("a", true), Actions{});
  EXPECT_FALSE(s.held("a"));
  EXPECT_EQ(s.Gone("a"), One(Send::kCreate, "a"));
  EXPECT_TRUE(s.held("a"));
  EXPECT_EQ(s.Gone("zzz"), Actions{});  // a name it never had
}

TEST(StemSlotsTest, ADestroyAfterTheWaitingCreateCancelsIt) {
  StemSlots s;
  s.Create("a", true);
  s.Destroy("a", true);
  s.Create("a", true);
  EXPECT_EQ(s.Destroy("a", true), Actions{});  // already leaving
  EXPECT_EQ(s.Gone("a"), Actions{});
}

TEST(StemSlotsTest, AnOlderStemForgetsANodeWithoutAProcessAtOnce) {
  StemSlots s;
  s.Create("a", true);
  EXPECT_EQ(s.Destroy("a", true, /*forgets_at_once=*/true), One(Send::kDestroy, "a"));
  EXPECT_EQ(s.Create("a", true), One(Send::kCreate, "a"));
}

TEST(StemSlotsTest, RestartGoesToAHeldNodeOnly) {
  StemSlots s;
  EXPECT_EQ(s.Restart("a", true), Actions{});  // absent
  s.Create("a", true);
  EXPECT_EQ(s.Restart("a", true), One(Send::kRestart, "a"));
  s.Destroy("a", true);
  s.Create("a", true);
  EXPECT_EQ(s.Restart("a", true), Actions{}) << "the new process starts fresh anyway";
}

TEST(StemSlotsTest, BeforeTheWelcomeCommandsOnlyChangeTheDesiredState) {
  StemSlots s;
  EXPECT_EQ(s.Create("a", false), Actions{});
  EXPECT_EQ(s.Destroy("b", false), Actions{});
  EXPECT_EQ(s.Restart("c", false), Actions{});
  EXPECT_FALSE(s.held("a"));
}

TEST(StemSlotsTest, TheWelcomeAdoptsReplacesStopsAndCreates) {
  StemSlots s;
  s.BeginWelcome();
  EXPECT_EQ(s.Welcome("adopt", true, Reported::kSameConfig), Actions{});
  EXPECT_EQ(s.Welcome("replace", true, Reported::kOtherConfig), One(Send::kDestroy, "replace"));
  EXPECT_EQ(s.Welcome("stop", false, Reported::kSameConfig), One(Send::kDestroy, "stop"));
  EXPECT_EQ(s.Welcome("create", true, Reported::kNothing), One(Send::kCreate, "create"));
  s.EndWelcome();
  EXPECT_TRUE(s.held("adopt"));
  EXPECT_TRUE(s.held("create"));
  EXPECT_TRUE(s.leaving("replace"));
  EXPECT_EQ(s.Gone("replace"), One(Send::kCreate, "replace"));
  EXPECT_EQ(s.Gone("stop"), Actions{});
}

TEST(StemSlotsTest, ARestartBeforeTheWelcomeReachesAnAdoptedNodeOnly) {
  StemSlots s;
  s.Restart("adopted", false);
  s.Restart("new", false);
  s.BeginWelcome();
  EXPECT_EQ(s.Welcome("adopted", true, Reported::kSameConfig), One(Send::kRestart, "adopted"));
  EXPECT_EQ(s.Welcome("new", true, Reported::kNothing), One(Send::kCreate, "new"));
  s.EndWelcome();
  // Used once: a later Welcome (the link reset) does not restart it again.
  s.BeginWelcome();
  EXPECT_EQ(s.Welcome("adopted", true, Reported::kSameConfig), Actions{});
}

TEST(StemSlotsTest, ADestroyBeforeTheWelcomeCancelsARestartAsked) {
  StemSlots s;
  s.Restart("a", false);
  s.Destroy("a", false);
  s.BeginWelcome();
  EXPECT_EQ(s.Welcome("a", false, Reported::kSameConfig), One(Send::kDestroy, "a"));
}

TEST(StemSlotsTest, AStemLostMidCreateStartsOverWithTheNextWelcome) {
  StemSlots s;
  s.Create("a", true);
  s.Destroy("a", true);
  s.Create("a", true);  // waiting for the old process
  s.StemLost();
  EXPECT_FALSE(s.held("a"));
  EXPECT_FALSE(s.leaving("a"));
  EXPECT_EQ(s.Gone("a"), Actions{}) << "a late word from the dead stem changes nothing";
  s.BeginWelcome();
  EXPECT_EQ(s.Welcome("a", true, Reported::kNothing), One(Send::kCreate, "a"));
}

TEST(StemSlotsTest, ADeferredCreateIsSentOnRelease) {
  StemSlots s;
  EXPECT_EQ(s.Create("w", true), One(Send::kCreate, "w"));
  s.Defer("w");
  EXPECT_TRUE(s.is_gated("w"));
  EXPECT_FALSE(s.held("w"));
  EXPECT_EQ(s.gated(), std::set<std::string>{"w"});
  EXPECT_EQ(s.Create("w", true), Actions{}) << "already wanted";
  EXPECT_EQ(s.Restart("w", true), Actions{}) << "it starts fresh anyway";
  EXPECT_EQ(s.Release("w"), One(Send::kCreate, "w"));
  EXPECT_TRUE(s.held("w"));
  EXPECT_TRUE(s.gated().empty());
  EXPECT_EQ(s.Release("w"), Actions{}) << "once";
}

TEST(StemSlotsTest, ADroppedCreateLeavesTheNameAbsent) {
  StemSlots s;
  EXPECT_EQ(s.Create("w", true), One(Send::kCreate, "w"));
  s.Drop("w");  // not sent after all
  EXPECT_FALSE(s.held("w"));
  EXPECT_EQ(s.Destroy("w", true), Actions{}) << "the stem never had it";
  EXPECT_EQ(s.Create("w", true), One(Send::kCreate, "w"));
}

TEST(StemSlotsTest, DestroyOfAGatedNameTellsTheStemNothing) {
  StemSlots s;
  s.Create("w", true);
  s.Defer("w");
  EXPECT_EQ(s.Destroy("w", true), Actions{});
  EXPECT_FALSE(s.is_gated("w"));
  EXPECT_TRUE(s.gated().empty());
  EXPECT_EQ(s.Release("w"), Actions{});
  EXPECT_EQ(s.Create("w", true), One(Send::kCreate, "w"));
}

TEST(StemSlotsTest, ReplaceDestroysAndCreatesOnceGone) {
  StemSlots s;
  s.Create("w", true);
  EXPECT_EQ(s.Replace("w", true), One(Send::kDestroy, "w"));
  EXPECT_TRUE(s.leaving("w"));
  EXPECT_EQ(s.Gone("w"), One(Send::kCreate, "w"));
  EXPECT_TRUE(s.held("w"));
  // Not held: as a restart.
  EXPECT_EQ(s.Replace("x", true), Actions{});
}

TEST(StemSlotsTest, AWelcomeOrALostStemForgetsWhatWasGated) {
  StemSlots s;
  s.Create("w", true);
  s.Defer("w");
  s.StemLost();
  EXPECT_TRUE(s.gated().empty());
  s.BeginWelcome();
  EXPECT_EQ(s.Welcome("w", true, Reported::kNothing), One(Send::kCreate, "w"));
  s.Defer("w");
  s.EndWelcome();
  s.BeginWelcome();
  EXPECT_TRUE(s.gated().empty());
}

}  // namespace
}  // namespace zsup
