#include "supervisor/admission.h"

#include <gtest/gtest.h>

namespace zsup {
namespace {

using Action = Admission::Action;

TEST(AdmissionTest, KeepsAQuarterOfTheLimitInReserveBetweenSixteenAnd256) {
  EXPECT_EQ(Admission(1024).high(), 768u);
  EXPECT_EQ(Admission(1024).low(), 512u);
  EXPECT_EQ(Admission(80).high(), 60u);
  EXPECT_EQ(Admission(40).high(), 24u);  // at least 16 in reserve
  EXPECT_EQ(Admission(1 << 20).high(), (1u << 20) - 256);
}

TEST(AdmissionTest, RefusesOnceAConnectionLandsAtTheHighMarkAndAcceptsBelowTheLowOne) {
  Admission a(1024);
  const TimePoint t0{};
  EXPECT_EQ(a.OnAccepted(100, t0), Action::kNone);
  EXPECT_EQ(a.OnAccepted(767, t0), Action::kNone);
  EXPECT_FALSE(a.NextRecount());
  EXPECT_EQ(a.OnAccepted(768, t0), Action::kStopAccepting);
  EXPECT_TRUE(a.refusing());
  EXPECT_EQ(a.OnAccepted(900, t0), Action::kNone);  // already refusing
  ASSERT_TRUE(a.NextRecount());
  EXPECT_EQ(*a.NextRecount(), t0 + Admission::kRecountInterval);
  EXPECT_EQ(a.OnCount(600, t0 + Admission::kRecountInterval), Action::kNone);
  EXPECT_EQ(*a.NextRecount(), t0 + 2 * Admission::kRecountInterval);
  EXPECT_EQ(a.OnCount(511, t0 + 2 * Admission::kRecountInterval), Action::kAcceptAgain);
  EXPECT_FALSE(a.refusing());
  EXPECT_FALSE(a.NextRecount());
  EXPECT_EQ(a.OnCount(10, t0), Action::kNone);
}

}  // namespace
}  // namespace zsup
