// libFuzzer target: every decoder must return a value or an error for any
// input, and whatever decodes must re-encode to something that decodes.
// Build with -DZSUP_FUZZ=ON (clang); corpus seeds in broker/fuzz_corpus/.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "broker/codec.h"
#include "broker/json.h"
#include "broker/stem_protocol.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  if (auto r = zsup::DecodeRequest(bytes); r.ok()) {
    if (!zsup::DecodeRequest(zsup::EncodeRequest(*r)).ok()) __builtin_trap();
  }
  if (auto c = zsup::DecodeNodeConfig(bytes); c.ok()) {
    auto again = zsup::DecodeNodeConfig(zsup::EncodeNodeConfig(*c));
    if (!again.ok() || !(*again == *c)) __builtin_trap();
    if (!zsup::NodeConfigFromJson(zsup::NodeConfigToJson(*c)).ok()) __builtin_trap();
  }
  (void)zsup::DecodeStatusReply(bytes);
  (void)zsup::DecodeTailReply(bytes);
  (void)zsup::DecodePingReply(bytes);
  (void)zsup::DecodeEvent("stdout/x", bytes);
  (void)zsup::DecodeEvent("node_exit/x", bytes);
  if (auto b = zsup::DecodeOutputBatch("stdout/x", bytes); b.ok()) {
    // (Not compared: `at` may be NaN.)
    auto again = zsup::DecodeOutputBatch("stdout/x", zsup::EncodeOutputBatch(*b));
    if (!again.ok() || again->msgs != b->msgs) __builtin_trap();
  }
  (void)zsup::NodeConfigsFromJson(bytes);
  // The stem link: the same frames reach both sides.
  if (auto m = zsup::stem::Decode(bytes); m.ok()) {
    if (!zsup::stem::Decode(zsup::stem::Encode(*m)).ok()) __builtin_trap();
  }
  if (auto view = zsup::stem::DecodeOutputView(bytes); view && view->ok()) {
    for (std::string_view line : (*view)->lines) (void)line.size();
  }
  return 0;
}
