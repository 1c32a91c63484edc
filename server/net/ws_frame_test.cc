#include "net/ws_frame.h"

#include <gtest/gtest.h>

namespace roomchat::net::ws {
namespace {

using Kind = Event::Kind;

// A client frame as a browser writes it: masked, with the shortest length.
std::string clientFrame(uint8_t opcode, std::string_view payload, bool fin = true,
                        uint8_t rsv = 0) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | rsv | opcode));
  const size_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((uint64_t{n} >> (8 * i)) & 0xFF));
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  f.append(mask, 4);
  for (size_t i = 0; i < n; ++i) f.push_back(static_cast<char>(payload[i] ^ mask[i % 4]));
  return f;
}

std::vector<Event> readAll(FrameReader& reader, std::string_view bytes) {
  std::vector<Event> events;
  while (auto e = reader.next(bytes)) events.push_back(std::move(*e));
  EXPECT_TRUE(bytes.empty());
  return events;
}

Event only(std::string_view bytes, size_t max = 1024) {
  FrameReader reader(max);
  auto events = readAll(reader, bytes);
  EXPECT_EQ(events.size(), 1u);
  return events.empty() ? Event{Kind::kFail, "no event", 0} : events[0];
}

TEST(WsHandshake, AcceptKeyMatchesTheRfcExample) {
  EXPECT_EQ(acceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsHandshake, ClientKeysAreBase64OfSixteenBytes) {
  EXPECT_TRUE(isValidClientKey("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_FALSE(isValidClientKey(""));
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZQ"));
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25j*Q=="));
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZQ==AAAA"));
}

TEST(WsFrames, HeadersUseTheShortestLengthForm) {
  char h[kMaxHeaderBytes];
  EXPECT_EQ(writeHeader(Opcode::kText, 0, h), 2u);
  EXPECT_EQ(static_cast<uint8_t>(h[0]), 0x81);
  EXPECT_EQ(writeHeader(Opcode::kText, 125, h), 2u);
  EXPECT_EQ(h[1], 125);
  EXPECT_EQ(writeHeader(Opcode::kText, 126, h), 4u);
  EXPECT_EQ(static_cast<uint8_t>(h[1]), 126);
  EXPECT_EQ(writeHeader(Opcode::kText, 65535, h), 4u);
  EXPECT_EQ(writeHeader(Opcode::kText, 65536, h), 10u);
  EXPECT_EQ(static_cast<uint8_t>(h[1]), 127);
  EXPECT_EQ(h[7], 1);  // 65536 = 0x00..010000
}

TEST(WsFrames, CloseFramesCarryTheCodeAndACutReason) {
  std::string f = closeFrame(1008, std::string(200, 'x'));
  ASSERT_EQ(f.size(), 2u + 125u);
  EXPECT_EQ(static_cast<uint8_t>(f[0]), 0x88);
  EXPECT_EQ((static_cast<uint8_t>(f[2]) << 8) | static_cast<uint8_t>(f[3]), 1008);
  EXPECT_EQ(closeFrame(0, "ignored").size(), 2u);
  // A reason is never cut inside a UTF-8 sequence.
  std::string reason(122, 'x');
  reason += "é";  // 2 bytes: would end at byte 124 of 123 allowed
  EXPECT_TRUE(isValidUtf8(closeFrame(1000, reason).substr(4)));
}

TEST(WsReader, ReadsATextMessage) {
  Event e = only(clientFrame(0x1, R"({"type":"ping"})"));
  EXPECT_EQ(e.kind, Kind::kText);
  EXPECT_EQ(e.payload, R"({"type":"ping"})");
}

TEST(WsReader, ReadsMessagesFedOneByteAtATime) {
  FrameReader reader(1 << 20);
  std::string bytes = clientFrame(0x1, "first") + clientFrame(0x1, std::string(70000, 'b'));
  std::vector<Event> events;
  for (char c : bytes) {
    std::string_view one(&c, 1);
    while (auto e = reader.next(one)) events.push_back(std::move(*e));
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].payload, "first");
  EXPECT_EQ(events[1].payload, std::string(70000, 'b'));
  EXPECT_TRUE(reader.idle());
}

TEST(WsReader, AssemblesFragmentsWithAPingBetweenThem) {
  FrameReader reader(1024);
  auto events = readAll(reader, clientFrame(0x1, "hel", false) + clientFrame(0x9, "p") +
                                    clientFrame(0x0, "lo", false) + clientFrame(0x0, "!"));
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Kind::kPing);
  EXPECT_EQ(events[0].payload, "p");
  EXPECT_EQ(events[1].kind, Kind::kText);
  EXPECT_EQ(events[1].payload, "hello!");
}

TEST(WsReader, BinaryMessagesAreDeliveredAsBinary) {
  Event e = only(clientFrame(0x2, std::string("\x00\xff", 2)));
  EXPECT_EQ(e.kind, Kind::kBinary);
  EXPECT_EQ(e.payload.size(), 2u);
}

TEST(WsReader, CloseCarriesTheCodeAndReasonAndEndsReading) {
  FrameReader reader(1024);
  std::string payload = "\x03\xe8" "bye";  // 1000
  auto events = readAll(reader, clientFrame(0x8, payload) + clientFrame(0x1, "after"));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, Kind::kClose);
  EXPECT_EQ(events[0].code, 1000);
  EXPECT_EQ(events[0].payload, "bye");
  EXPECT_TRUE(reader.done());
  EXPECT_EQ(only(clientFrame(0x8, "")).code, 0) << "a close without a code";
}

struct Violation {
  std::string name;
  std::string bytes;
  uint16_t code;
};

TEST(WsReader, ViolationsFailWithTheirCloseCode) {
  std::string unmasked = "\x81\x02hi";
  std::string nonMinimal = clientFrame(0x1, std::string(10, 'a'));
  nonMinimal.replace(1, 1, std::string("\xFE\x00\x0A", 3));  // 126 form for a length of 10
  const std::vector<Violation> cases = {
      {"unmasked", unmasked, kCloseProtocolError},
      {"reserved bit", clientFrame(0x1, "x", true, 0x40), kCloseProtocolError},
      {"unknown opcode", clientFrame(0x3, "x"), kCloseProtocolError},
      {"long control frame", clientFrame(0x9, std::string(126, 'p')), kCloseProtocolError},
      {"fragmented control frame", clientFrame(0x9, "p", false), kCloseProtocolError},
      {"continuation first", clientFrame(0x0, "x"), kCloseProtocolError},
      {"text inside a fragmented text",
       clientFrame(0x1, "a", false) + clientFrame(0x1, "b"), kCloseProtocolError},
      {"non-minimal length", nonMinimal, kCloseProtocolError},
      {"close of one byte", clientFrame(0x8, "x"), kCloseProtocolError},
      {"close code 1005", clientFrame(0x8, "\x03\xed"), kCloseProtocolError},
      {"close code 5000", clientFrame(0x8, "\x13\x88"), kCloseProtocolError},
      {"invalid UTF-8", clientFrame(0x1, "\xc0\x80"), kCloseInvalidPayload},
      {"close reason not UTF-8", clientFrame(0x8, "\x03\xe8\xff"), kCloseInvalidPayload},
      {"too big", clientFrame(0x1, std::string(1025, 'a')), kCloseTooBig},
      {"too big in fragments",
       clientFrame(0x1, std::string(600, 'a'), false) + clientFrame(0x0, std::string(600, 'a')),
       kCloseTooBig},
  };
  for (const auto& c : cases) {
    FrameReader reader(1024);
    auto events = readAll(reader, c.bytes);
    ASSERT_FALSE(events.empty()) << c.name;
    EXPECT_EQ(events.back().kind, Kind::kFail) << c.name;
    EXPECT_EQ(events.back().code, c.code) << c.name;
    EXPECT_TRUE(reader.done()) << c.name;
  }
}

TEST(WsReader, AnOversizedFrameFailsFromItsHeaderAlone) {
  FrameReader reader(1024);
  std::string header = clientFrame(0x1, std::string(1 << 20, 'a')).substr(0, 14);
  auto events = readAll(reader, header);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].code, kCloseTooBig);
}

TEST(WsReader, AnIdleReaderHoldsNoBuffer) {
  FrameReader reader(1 << 20);
  std::string bytes = clientFrame(0x1, std::string(5000, 'a'));
  std::string_view half(bytes.data(), 3000);
  EXPECT_FALSE(reader.next(half));
  EXPECT_FALSE(reader.idle());
  std::string_view rest(bytes.data() + 3000, bytes.size() - 3000);
  EXPECT_TRUE(reader.next(rest));
  EXPECT_TRUE(reader.idle());
}

TEST(Utf8, AcceptsValidAndRejectsMalformedSequences) {
  EXPECT_TRUE(isValidUtf8(""));
  EXPECT_TRUE(isValidUtf8("plain ascii that is longer than eight bytes"));
  EXPECT_TRUE(isValidUtf8("héllo wörld 日本 🎉"));
  EXPECT_FALSE(isValidUtf8("\xc0\x80"));          // overlong NUL
  EXPECT_FALSE(isValidUtf8("\xe0\x80\xaf"));      // overlong '/'
  EXPECT_FALSE(isValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(isValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(isValidUtf8("abc\xe6\x97"));       // truncated at the end
  EXPECT_FALSE(isValidUtf8("\x80"));              // stray continuation
}

}  // namespace
}  // namespace roomchat::net::ws
