// Fuzzes the WebSocket frame reader (net/ws_frame.h), which reads every byte
// a client sends once the upgrade is done. Promises checked:
//  - no crash, leak or UBSan report on any byte stream;
//  - text messages are valid UTF-8 and within the message limit, control
//    payloads within 125 bytes, Fail codes only 1002, 1007 or 1009;
//  - nothing follows a Close or a Fail;
//  - the events do not depend on how the stream is cut into reads: the whole
//    input at once and the input in pieces (sizes taken from its first byte)
//    give the same events.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "check.h"
#include "net/ws_frame.h"

namespace {

using roomchat::net::ws::Event;
using roomchat::net::ws::FrameReader;

constexpr size_t kMaxMessage = 4096;  // small, so the limit is reachable

struct Seen {
  Event::Kind kind;
  std::string payload;
  uint16_t code;
  bool operator==(const Seen&) const = default;
};

void checkEvent(const Event& e) {
  switch (e.kind) {
    case Event::Kind::kText:
      FUZZ_CHECK(roomchat::net::ws::isValidUtf8(e.payload), "text not UTF-8");
      [[fallthrough]];
    case Event::Kind::kBinary:
      FUZZ_CHECK(e.payload.size() <= kMaxMessage, "message over the limit");
      break;
    case Event::Kind::kPing:
    case Event::Kind::kPong:
      FUZZ_CHECK(e.payload.size() <= 125, "control payload over 125");
      break;
    case Event::Kind::kClose:
      FUZZ_CHECK(e.payload.size() <= 123, "close reason over 123");
      break;
    case Event::Kind::kFail:
      FUZZ_CHECK(e.code == 1002 || e.code == 1007 || e.code == 1009, "unexpected fail code");
      break;
  }
}

std::vector<Seen> readInPieces(std::string_view input, size_t piece) {
  FrameReader reader(kMaxMessage);
  std::vector<Seen> seen;
  bool ended = false;
  while (!input.empty()) {
    std::string_view chunk = input.substr(0, piece);
    input.remove_prefix(chunk.size());
    while (auto e = reader.next(chunk)) {
      FUZZ_CHECK(!ended, "an event after Close or Fail");
      checkEvent(*e);
      ended = e->kind == Event::Kind::kClose || e->kind == Event::Kind::kFail;
      seen.push_back({e->kind, e->payload, e->code});
    }
    FUZZ_CHECK(chunk.empty(), "reader left bytes unconsumed");
    reader.shrink();
  }
  return seen;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t piece = 1 + data[0] % 17;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto whole = readInPieces(input, input.size() + 1);
  auto pieces = readInPieces(input, piece);
  FUZZ_CHECK(whole == pieces, "events depend on how the input is split");
  return 0;
}
