#include "proto/client_frames.h"

#include <gtest/gtest.h>

#include <random>

#include <nlohmann/json.hpp>

namespace roomchat::proto {
namespace {

using nlohmann::json;

const std::string kKey(64, 'a');
const std::string kKey2 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

std::string describe(const ParseResult& r) {
  if (const auto* e = std::get_if<FrameError>(&r)) return e->code + ": " + e->message;
  return "a frame";
}

template <class T>
T rawFrameOf(const std::string& text, const Limits& limits = {}) {
  ParseResult r = parseClientFrame(text, limits);
  const auto* frame = std::get_if<ClientFrame>(&r);
  EXPECT_TRUE(frame && std::holds_alternative<T>(*frame)) << text << " -> " << describe(r);
  if (!frame || !std::holds_alternative<T>(*frame)) return T{};
  return std::get<T>(*frame);
}
template <class T>
T frameOf(const json& j, const Limits& limits = {}) {
  return rawFrameOf<T>(j.dump(), limits);
}

FrameError rawErrorOf(const std::string& text, const Limits& limits = {}) {
  ParseResult r = parseClientFrame(text, limits);
  const auto* error = std::get_if<FrameError>(&r);
  EXPECT_TRUE(error) << text << " was accepted";
  return error ? *error : FrameError{"<accepted>", "", std::nullopt};
}
FrameError errorOf(const json& j, const Limits& limits = {}) { return rawErrorOf(j.dump(), limits); }

// An invalid_field error whose message names the field.
void expectInvalid(const json& j, const std::string& field) {
  FrameError e = errorOf(j);
  EXPECT_EQ(e.code, "invalid_field") << j.dump() << " -> " << e.message;
  EXPECT_NE(e.message.find(field), std::string::npos) << e.message << " should name " << field;
}

json textSend(json text) {
  return json{{"type", "send"}, {"clientId", "c1"}, {"kind", "text"}, {"text", std::move(text)}};
}
json imageSend(json images) {
  return json{{"type", "send"}, {"clientId", "c1"}, {"kind", "image"}, {"images", std::move(images)}};
}

std::string repeat(std::string_view unit, size_t times) {
  std::string out;
  for (size_t i = 0; i < times; ++i) out += unit;
  return out;
}

// ---- Envelope ----------------------------------------------------------------

TEST(ClientFrames, NotJsonOrNotAnObjectIsBadFrame) {
  for (std::string text : {"", " ", "{", "not json", "{\"type\":\"ping\"", "[]", "\"ping\"", "42",
                           "null", "true", "[{\"type\":\"ping\"}]", "{\"type\":\"ping\"} x",
                           "{'type':'ping'}", "{\"type\":\"ping\",}"}) {
    EXPECT_EQ(rawErrorOf(text).code, "bad_frame") << text;
  }
}

TEST(ClientFrames, MissingOrNonStringTypeIsBadFrame) {
  for (std::string text : {"{}", "{\"type\":null}", "{\"type\":1}", "{\"type\":[\"ping\"]}",
                           "{\"type\":{}}", "{\"Type\":\"ping\"}"}) {
    EXPECT_EQ(rawErrorOf(text).code, "bad_frame") << text;
  }
}

TEST(ClientFrames, UnknownTypeIsUnknownType) {
  FrameError e = errorOf(json{{"type", "shout"}});
  EXPECT_EQ(e.code, "unknown_type");
  EXPECT_NE(e.message.find("shout"), std::string::npos);
  EXPECT_EQ(errorOf(json{{"type", "PING"}}).code, "unknown_type");
  EXPECT_EQ(errorOf(json{{"type", ""}}).code, "unknown_type");
  // A huge type name is not echoed in full.
  EXPECT_LT(errorOf(json{{"type", std::string(10000, 'x')}}).message.size(), 100u);
}

TEST(ClientFrames, UnknownExtraFieldsAreIgnored) {
  frameOf<Ping>(json{{"type", "ping"}, {"extra", {1, 2, 3}}, {"more", {{"a", nullptr}}}});
  Send send = frameOf<Send>(json{{"type", "send"}, {"clientId", "c"}, {"kind", "text"},
                                 {"text", "hi"}, {"future", true}});
  EXPECT_EQ(send.text, "hi");
}

TEST(ClientFrames, RawInvalidUtf8AndLoneSurrogatesAreBadFrames) {
  EXPECT_EQ(rawErrorOf("{\"type\":\"send\",\"clientId\":\"c\",\"kind\":\"text\",\"text\":\"a\xff\"}").code,
            "bad_frame");
  EXPECT_EQ(rawErrorOf("{\"type\":\"send\",\"clientId\":\"c\",\"kind\":\"text\",\"text\":\"\xc0\xaf\"}")
                .code,
            "bad_frame");
  EXPECT_EQ(
      rawErrorOf("{\"type\":\"send\",\"clientId\":\"c\",\"kind\":\"text\",\"text\":\"\\ud800\"}").code,
      "bad_frame");
  Send send = rawFrameOf<Send>(
      std::string("{\"type\":\"send\",\"clientId\":\"c\",\"kind\":\"text\",\"text\":\"\\ud83d\\ude00\"}"));
  EXPECT_EQ(send.text, "\xf0\x9f\x98\x80");
}

// ---- hello -------------------------------------------------------------------

TEST(ClientFrames, HelloLastSeqIsAnOptionalNonNegativeInteger) {
  EXPECT_FALSE(frameOf<Hello>(json{{"type", "hello"}}).lastSeq);
  EXPECT_FALSE(frameOf<Hello>(json{{"type", "hello"}, {"lastSeq", nullptr}}).lastSeq);
  EXPECT_EQ(frameOf<Hello>(json{{"type", "hello"}, {"lastSeq", 0}}).lastSeq, 0);
  EXPECT_EQ(frameOf<Hello>(json{{"type", "hello"}, {"lastSeq", 9007199254740993LL}}).lastSeq,
            9007199254740993LL);
  EXPECT_EQ(rawFrameOf<Hello>(std::string("{\"type\":\"hello\",\"lastSeq\":9223372036854775807}"))
                .lastSeq,
            INT64_MAX);
  expectInvalid(json{{"type", "hello"}, {"lastSeq", -1}}, "lastSeq");
  expectInvalid(json{{"type", "hello"}, {"lastSeq", 1.5}}, "lastSeq");
  expectInvalid(json{{"type", "hello"}, {"lastSeq", "5"}}, "lastSeq");
  expectInvalid(json{{"type", "hello"}, {"lastSeq", true}}, "lastSeq");
  expectInvalid(json::parse("{\"type\":\"hello\",\"lastSeq\":1.0}"), "lastSeq");
  expectInvalid(json::parse("{\"type\":\"hello\",\"lastSeq\":1e3}"), "lastSeq");
  expectInvalid(json::parse("{\"type\":\"hello\",\"lastSeq\":9223372036854775808}"), "lastSeq");
  expectInvalid(json::parse("{\"type\":\"hello\",\"lastSeq\":99999999999999999999999}"),
                "lastSeq");
}

// ---- send --------------------------------------------------------------------

TEST(ClientFrames, SendTextIsTrimmedAndCarriesItsFields) {
  json j = textSend("  \t hello world \n ");
  j["replyToSeq"] = 7;
  Send send = frameOf<Send>(j);
  EXPECT_EQ(send.clientId, "c1");
  EXPECT_EQ(send.kind, model::MessageKind::kText);
  EXPECT_EQ(send.text, "hello world");
  EXPECT_TRUE(send.images.empty());
  EXPECT_EQ(send.replyToSeq, 7);
  EXPECT_FALSE(frameOf<Send>(textSend("x")).replyToSeq);
}

TEST(ClientFrames, SendTextTrimsUnicodeWhiteSpace) {
  // U+3000 ideographic space, U+00A0 no-break space, U+2028, U+FEFF around "héllo".
  Send send = frameOf<Send>(textSend("\xe3\x80\x80\xc2\xa0h\xc3\xa9llo\xe2\x80\xa8\xef\xbb\xbf"));
  EXPECT_EQ(send.text, "h\xc3\xa9llo");
  expectInvalid(textSend("\xe3\x80\x80 \xc2\xa0\n\xe2\x80\x89"), "text");
}

TEST(ClientFrames, SendClientIdIsOneToSixtyFourChars) {
  json j = textSend("hi");
  j["clientId"] = std::string(64, 'x');
  EXPECT_EQ(frameOf<Send>(j).clientId, std::string(64, 'x'));
  j["clientId"] = repeat("\xc3\xa9", 64);  // 64 code points, 128 bytes
  EXPECT_EQ(frameOf<Send>(j).clientId.size(), 128u);
  j["clientId"] = std::string(65, 'x');
  expectInvalid(j, "clientId");
  j["clientId"] = "";
  expectInvalid(j, "clientId");
  j["clientId"] = 12;
  expectInvalid(j, "clientId");
  j.erase("clientId");
  expectInvalid(j, "clientId");
}

TEST(ClientFrames, SendErrorsEchoTheClientIdWhenReadable) {
  json j = textSend("");
  j["clientId"] = "abc";
  FrameError e = errorOf(j);
  EXPECT_EQ(e.code, "invalid_field");
  EXPECT_EQ(e.clientId, "abc");

  j = textSend(repeat("x", 4001));
  j["clientId"] = "long-one";
  e = errorOf(j);
  EXPECT_EQ(e.code, "too_long");
  EXPECT_EQ(e.clientId, "long-one");

  j = textSend("hi");
  j["kind"] = "video";
  EXPECT_EQ(errorOf(j).clientId, "c1");

  j = textSend("hi");
  j["clientId"] = std::string(65, 'z');  // readable, but itself invalid: not repeated
  EXPECT_EQ(errorOf(j).code, "invalid_field");
  EXPECT_FALSE(errorOf(j).clientId);
  j["clientId"] = std::string(60000, 'z');
  EXPECT_FALSE(errorOf(j).clientId);

  j["clientId"] = 5;
  EXPECT_FALSE(errorOf(j).clientId);
  EXPECT_FALSE(errorOf(json{{"type", "hello"}, {"lastSeq", -1}, {"clientId", "x"}}).clientId);
}

TEST(ClientFrames, SendKindMustBeTextOrImage) {
  json j = textSend("hi");
  j["kind"] = "video";
  expectInvalid(j, "kind");
  j["kind"] = 1;
  expectInvalid(j, "kind");
  j.erase("kind");
  expectInvalid(j, "kind");
}

TEST(ClientFrames, SendTextNeedsTextAndNoImages) {
  json j = textSend("hi");
  j.erase("text");
  expectInvalid(j, "text");
  expectInvalid(textSend(42), "text");
  expectInvalid(textSend(""), "text");
  expectInvalid(textSend("   "), "text");
  j = textSend("hi");
  j["images"] = json::array({kKey});
  expectInvalid(j, "images");
  j["images"] = "nope";
  expectInvalid(j, "images");
  j["images"] = json::array();
  EXPECT_EQ(frameOf<Send>(j).text, "hi");
}

TEST(ClientFrames, SendTextLimitCountsCodePointsNotBytes) {
  // "é" is 2 bytes, "😀" is 4: 4000 code points are well over 4000 bytes.
  std::string accents = repeat("\xc3\xa9", 4000);
  std::string emoji = repeat("\xf0\x9f\x98\x80", 4000);
  EXPECT_EQ(frameOf<Send>(textSend(accents)).text, accents);
  EXPECT_EQ(frameOf<Send>(textSend(emoji)).text, emoji);
  EXPECT_EQ(errorOf(textSend(accents + "\xc3\xa9")).code, "too_long");
  EXPECT_EQ(errorOf(textSend(emoji + "x")).code, "too_long");
  // Trimming happens before counting.
  EXPECT_EQ(frameOf<Send>(textSend("   " + accents + "\n\n")).text, accents);
  FrameError e = errorOf(textSend(repeat("a", 4001)));
  EXPECT_EQ(e.code, "too_long");
  EXPECT_NE(e.message.find("text"), std::string::npos);
}

TEST(ClientFrames, SendHonoursCustomLimits) {
  Limits limits;
  limits.maxTextChars = 5;
  limits.maxImages = 2;
  limits.maxClientIdChars = 3;
  EXPECT_EQ(frameOf<Send>(textSend("12345"), limits).text, "12345");
  EXPECT_EQ(errorOf(textSend("123456"), limits).code, "too_long");
  EXPECT_EQ(errorOf(imageSend({kKey, kKey, kKey}), limits).code, "invalid_field");
  json j = textSend("hi");
  j["clientId"] = "abcd";
  EXPECT_EQ(errorOf(j, limits).code, "invalid_field");
  EXPECT_FALSE(errorOf(j, limits).clientId) << "an invalid clientId is not echoed";
  j["clientId"] = "abc";
  j["kind"] = "video";
  EXPECT_EQ(errorOf(j, limits).clientId, "abc") << "a valid one is";
}

TEST(ClientFrames, SendReplyToSeqIsAPositiveInteger) {
  json j = textSend("hi");
  j["replyToSeq"] = 1;
  EXPECT_EQ(frameOf<Send>(j).replyToSeq, 1);
  j["replyToSeq"] = nullptr;
  EXPECT_FALSE(frameOf<Send>(j).replyToSeq);
  for (json bad : {json(0), json(-3), json(2.5), json("4"), json(false)}) {
    j["replyToSeq"] = bad;
    expectInvalid(j, "replyToSeq");
  }
}

TEST(ClientFrames, SendImageNeedsOneToTenBlobKeys) {
  Send send = frameOf<Send>(imageSend({kKey, kKey2}));
  EXPECT_EQ(send.kind, model::MessageKind::kImage);
  EXPECT_EQ(send.images, (std::vector<std::string>{kKey, kKey2}));
  EXPECT_FALSE(send.text);

  json ten = json::array();
  for (int i = 0; i < 10; ++i) ten.push_back(kKey);
  EXPECT_EQ(frameOf<Send>(imageSend(ten)).images.size(), 10u);
  ten.push_back(kKey);
  expectInvalid(imageSend(ten), "images");
  expectInvalid(imageSend(json::array()), "images");
  expectInvalid(imageSend(kKey), "images");
  json j = imageSend(json::array());
  j.erase("images");
  expectInvalid(j, "images");
}

TEST(ClientFrames, SendImageKeysMustBeLowercaseHex64) {
  std::string upper(64, 'A');
  std::string shortKey(63, 'a');
  std::string longKey(65, 'a');
  std::string notHex = std::string(63, 'a') + "g";
  for (json bad : {json(upper), json(shortKey), json(longKey), json(notHex), json(1), json(nullptr),
                   json::array({kKey})}) {
    expectInvalid(imageSend({kKey, bad}), "images[1]");
  }
}

TEST(ClientFrames, SendImageCaptionIsOptionalTrimmedAndLimited) {
  json j = imageSend({kKey});
  j["text"] = "  a cat  ";
  EXPECT_EQ(frameOf<Send>(j).text, "a cat");
  j["text"] = " \n ";
  EXPECT_FALSE(frameOf<Send>(j).text);  // empty caption means none
  j["text"] = "";
  EXPECT_FALSE(frameOf<Send>(j).text);
  j["text"] = repeat("\xc3\xa9", 4000);
  EXPECT_TRUE(frameOf<Send>(j).text);
  j["text"] = repeat("\xc3\xa9", 4001);
  EXPECT_EQ(errorOf(j).code, "too_long");
  j["text"] = 3;
  expectInvalid(j, "text");
}

// ---- history, edit, delete -----------------------------------------------------

TEST(ClientFrames, HistoryNeedsBeforeSeqAndBoundsLimit) {
  History h = frameOf<History>(json{{"type", "history"}, {"beforeSeq", 50}});
  EXPECT_EQ(h.beforeSeq, 50);
  EXPECT_EQ(h.limit, 25);
  EXPECT_EQ(frameOf<History>(json{{"type", "history"}, {"beforeSeq", 1}, {"limit", 1}}).limit, 1);
  EXPECT_EQ(frameOf<History>(json{{"type", "history"}, {"beforeSeq", 1}, {"limit", 100}}).limit,
            100);
  expectInvalid(json{{"type", "history"}}, "beforeSeq");
  expectInvalid(json{{"type", "history"}, {"beforeSeq", 0}}, "beforeSeq");
  expectInvalid(json{{"type", "history"}, {"beforeSeq", 2.0}}, "beforeSeq");
  expectInvalid(json{{"type", "history"}, {"beforeSeq", 5}, {"limit", 0}}, "limit");
  expectInvalid(json{{"type", "history"}, {"beforeSeq", 5}, {"limit", 101}}, "limit");
  expectInvalid(json{{"type", "history"}, {"beforeSeq", 5}, {"limit", "10"}}, "limit");
  Limits small;
  small.maxHistoryLimit = 10;
  EXPECT_EQ(frameOf<History>(json{{"type", "history"}, {"beforeSeq", 5}}, small).limit, 10);
  EXPECT_EQ(errorOf(json{{"type", "history"}, {"beforeSeq", 5}, {"limit", 11}}, small).code,
            "invalid_field");
}

TEST(ClientFrames, EditFollowsTheTextRules) {
  Edit edit = frameOf<Edit>(json{{"type", "edit"}, {"seq", 3}, {"text", " fixed "}});
  EXPECT_EQ(edit.seq, 3);
  EXPECT_EQ(edit.text, "fixed");
  expectInvalid(json{{"type", "edit"}, {"text", "x"}}, "seq");
  expectInvalid(json{{"type", "edit"}, {"seq", 0}, {"text", "x"}}, "seq");
  expectInvalid(json{{"type", "edit"}, {"seq", 3}}, "text");
  expectInvalid(json{{"type", "edit"}, {"seq", 3}, {"text", "  "}}, "text");
  EXPECT_EQ(errorOf(json{{"type", "edit"}, {"seq", 3}, {"text", repeat("\xf0\x9f\x98\x80", 4001)}})
                .code,
            "too_long");
}

TEST(ClientFrames, DeleteNeedsAPositiveSeq) {
  EXPECT_EQ(frameOf<Delete>(json{{"type", "delete"}, {"seq", 9}}).seq, 9);
  expectInvalid(json{{"type", "delete"}}, "seq");
  expectInvalid(json{{"type", "delete"}, {"seq", -9}}, "seq");
  expectInvalid(json{{"type", "delete"}, {"seq", "9"}}, "seq");
}

// ---- presence, typing, calls ---------------------------------------------------

TEST(ClientFrames, StatusNeedsAtLeastOneKnownValue) {
  Status s = frameOf<Status>(json{{"type", "status"}, {"user", "idle"}});
  EXPECT_EQ(s.user, "idle");
  EXPECT_FALSE(s.screen);
  s = frameOf<Status>(json{{"type", "status"}, {"screen", "locked"}, {"user", "active"}});
  EXPECT_EQ(s.user, "active");
  EXPECT_EQ(s.screen, "locked");
  EXPECT_EQ(frameOf<Status>(json{{"type", "status"}, {"screen", "unlocked"}}).screen, "unlocked");
  expectInvalid(json{{"type", "status"}}, "screen");
  expectInvalid(json{{"type", "status"}, {"user", "away"}}, "user");
  expectInvalid(json{{"type", "status"}, {"user", "Active"}}, "user");
  expectInvalid(json{{"type", "status"}, {"screen", true}}, "screen");
}

TEST(ClientFrames, TypingNeedsABoolean) {
  EXPECT_TRUE(frameOf<Typing>(json{{"type", "typing"}, {"active", true}}).active);
  EXPECT_FALSE(frameOf<Typing>(json{{"type", "typing"}, {"active", false}}).active);
  expectInvalid(json{{"type", "typing"}}, "active");
  expectInvalid(json{{"type", "typing"}, {"active", 1}}, "active");
  expectInvalid(json{{"type", "typing"}, {"active", "true"}}, "active");
}

TEST(ClientFrames, FieldlessFramesParse) {
  frameOf<CallJoin>(json{{"type", "callJoin"}});
  frameOf<CallLeave>(json{{"type", "callLeave"}});
  frameOf<Ping>(json{{"type", "ping"}});
  rawFrameOf<Ping>(std::string(" \n{ \"type\" : \"ping\" }\t"));
}

TEST(ClientFrames, CallUpdateFieldsAreOptionalButChecked) {
  CallUpdate u = frameOf<CallUpdate>(json{{"type", "callUpdate"}});
  EXPECT_FALSE(u.sessionId || u.trackName || u.muted);
  u = frameOf<CallUpdate>(json{{"type", "callUpdate"}, {"sessionId", "s1"}, {"trackName", "mic"},
                               {"muted", true}});
  EXPECT_EQ(u.sessionId, "s1");
  EXPECT_EQ(u.trackName, "mic");
  EXPECT_EQ(u.muted, true);
  EXPECT_EQ(frameOf<CallUpdate>(json{{"type", "callUpdate"}, {"trackName", std::string(128, 't')}})
                .trackName->size(),
            128u);
  expectInvalid(json{{"type", "callUpdate"}, {"sessionId", ""}}, "sessionId");
  expectInvalid(json{{"type", "callUpdate"}, {"trackName", std::string(129, 't')}}, "trackName");
  expectInvalid(json{{"type", "callUpdate"}, {"sessionId", 5}}, "sessionId");
  expectInvalid(json{{"type", "callUpdate"}, {"muted", "yes"}}, "muted");
}

TEST(ClientFrames, CallSignalKeepsThePayloadVerbatim) {
  json payload = {{"sdp", "v=0\r\no=- 1 2 IN IP4 127.0.0.1"}, {"kind", "offer"}, {"n", {1, 2.5}}};
  CallSignal s =
      frameOf<CallSignal>(json{{"type", "callSignal"}, {"to", "conn-7"}, {"payload", payload}});
  EXPECT_EQ(s.to, "conn-7");
  EXPECT_EQ(json::parse(s.payloadJson), payload);
  EXPECT_EQ(frameOf<CallSignal>(json{{"type", "callSignal"}, {"to", "c"}, {"payload", json::object()}})
                .payloadJson,
            "{}");
  expectInvalid(json{{"type", "callSignal"}, {"payload", payload}}, "to");
  expectInvalid(json{{"type", "callSignal"}, {"to", ""}, {"payload", payload}}, "to");
  expectInvalid(json{{"type", "callSignal"}, {"to", std::string(65, 'c')}, {"payload", payload}},
                "to");
  expectInvalid(json{{"type", "callSignal"}, {"to", "c"}}, "payload");
  expectInvalid(json{{"type", "callSignal"}, {"to", "c"}, {"payload", json::array()}}, "payload");
  expectInvalid(json{{"type", "callSignal"}, {"to", "c"}, {"payload", "{}"}}, "payload");
}

// ---- Hostile input -------------------------------------------------------------

TEST(ClientFrames, DeepNestingIsRefusedWithoutRecursion) {
  std::string arrays = "{\"type\":\"callSignal\",\"to\":\"c\",\"payload\":{\"x\":" +
                       std::string(100000, '[') + std::string(100000, ']') + "}}";
  EXPECT_EQ(rawErrorOf(arrays).code, "bad_frame");
  std::string objects = "{\"type\":\"ping\",\"x\":" + repeat("{\"a\":", 50000) + "1" +
                        std::string(50000, '}') + "}";
  EXPECT_EQ(rawErrorOf(objects).code, "bad_frame");
  EXPECT_EQ(rawErrorOf(std::string(1 << 16, '[')).code, "bad_frame");
  EXPECT_EQ(rawErrorOf(std::string(1 << 16, '{')).code, "bad_frame");
  // Brackets inside strings are text, not nesting.
  Send send = frameOf<Send>(textSend(std::string(1000, '[') + "\"\\" + std::string(1000, '{')));
  EXPECT_EQ(send.text->size(), 2002u);
  // Modest nesting in a signalling payload is fine.
  frameOf<CallSignal>(
      json::parse("{\"type\":\"callSignal\",\"to\":\"c\",\"payload\":{\"a\":[[[[{\"b\":[1]}]]]]}}"));
}

TEST(ClientFrames, RandomBytesNeverCrash) {
  std::mt19937 rng(20240601);
  for (int i = 0; i < 10000; ++i) {
    std::string junk(rng() % 200, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    ParseResult r = parseClientFrame(junk);
    ASSERT_TRUE(std::holds_alternative<FrameError>(r) || std::holds_alternative<ClientFrame>(r));
  }
}

// Byte-level mutations of valid frames reach much deeper into the parsers
// than random bytes, which rarely get past the first character.
TEST(ClientFrames, MutatedValidFramesNeverCrash) {
  const std::vector<std::string> seeds = {
      textSend("hello \xc3\xa9 world").dump(),
      imageSend({kKey, kKey2}).dump(),
      json{{"type", "hello"}, {"lastSeq", 12}}.dump(),
      json{{"type", "history"}, {"beforeSeq", 40}, {"limit", 10}}.dump(),
      json{{"type", "edit"}, {"seq", 3}, {"text", "x"}}.dump(),
      json{{"type", "status"}, {"user", "idle"}, {"screen", "locked"}}.dump(),
      json{{"type", "callUpdate"}, {"sessionId", "s"}, {"muted", false}}.dump(),
      json{{"type", "callSignal"}, {"to", "c"}, {"payload", {{"sdp", "v=0"}}}}.dump(),
  };
  const std::string alphabet = "{}[]\":,0123456789-.eE \\ntrufalsy\xc3\xa9\xff\x80";
  std::mt19937 rng(7);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[rng() % seeds.size()];
    for (int m = 1 + rng() % 4; m > 0 && !s.empty(); --m) {
      size_t at = rng() % s.size();
      char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: s[at] = c; break;
        case 1: s.insert(at, 1, c); break;
        default: s.erase(at, 1 + rng() % 8); break;
      }
    }
    ParseResult r = parseClientFrame(s);
    if (const auto* e = std::get_if<FrameError>(&r)) {
      ASSERT_FALSE(e->code.empty());
      ASSERT_FALSE(e->message.empty());
    } else {
      ++accepted;
    }
  }
  EXPECT_GT(accepted, 0);  // the mutations do reach the frame parsers
}

// ---- Text helpers ----------------------------------------------------------------

TEST(Utf8, LengthCountsCodePointsOfValidUtf8) {
  EXPECT_EQ(utf8Length(""), 0u);
  EXPECT_EQ(utf8Length("abc"), 3u);
  EXPECT_EQ(utf8Length("h\xc3\xa9"), 2u);
  EXPECT_EQ(utf8Length("\xe2\x82\xac"), 1u);      // €
  EXPECT_EQ(utf8Length("\xf0\x9f\x98\x80"), 1u);  // 😀
  EXPECT_EQ(utf8Length("\xf4\x8f\xbf\xbf"), 1u);  // U+10FFFF
  EXPECT_EQ(utf8Length(std::string_view("a\0b", 3)), 3u);
}

TEST(Utf8, LengthRejectsInvalidSequences) {
  for (std::string_view bad : {
           "\x80",              // stray continuation
           "\xc3",              // truncated
           "\xe2\x82",          // truncated
           "\xf0\x9f\x98",      // truncated
           "\xc0\xaf",          // overlong '/'
           "\xc1\xbf",          // overlong
           "\xe0\x80\xaf",      // overlong
           "\xf0\x80\x80\xaf",  // overlong
           "\xed\xa0\x80",      // U+D800 surrogate
           "\xed\xbf\xbf",      // U+DFFF surrogate
           "\xf4\x90\x80\x80",  // U+110000
           "\xf5\x80\x80\x80", "\xf8\x88\x80\x80\x80", "\xfe", "\xff",
           "\xc3\x28",          // bad continuation
           "ok\xe2\x28\xa1",
       }) {
    EXPECT_FALSE(utf8Length(bad)) << testing::PrintToString(std::string(bad));
  }
}

TEST(Utf8, TrimRemovesUnicodeWhiteSpaceAtBothEndsOnly) {
  EXPECT_EQ(trimText("  a b  "), "a b");
  EXPECT_EQ(trimText("\t\n\v\f\r a \r\n"), "a");
  EXPECT_EQ(trimText("\xc2\x85\xc2\xa0x\xe1\x9a\x80\xe2\x80\x8a"), "x");  // NEL NBSP .. U+1680 U+200A
  EXPECT_EQ(trimText("\xe2\x80\xaf\xe2\x81\x9f\xe3\x80\x80y\xe2\x80\xa9"), "y");
  EXPECT_EQ(trimText("a\xe3\x80\x80" "b"), "a\xe3\x80\x80" "b");
  EXPECT_EQ(trimText("   "), "");
  EXPECT_EQ(trimText(""), "");
  EXPECT_EQ(trimText("\xe2\x80\x8b" "z"), "\xe2\x80\x8b" "z");  // zero-width space is not white space
  // Invalid bytes at the ends stop trimming instead of being misread.
  EXPECT_EQ(trimText(" \xff "), "\xff");
  EXPECT_EQ(trimText("\x80"), "\x80");
}

TEST(Utf8, PrefixCutsOnCodePointBoundaries) {
  EXPECT_EQ(utf8Prefix("h\xc3\xa9llo", 2), "h\xc3\xa9");
  EXPECT_EQ(utf8Prefix("\xf0\x9f\x98\x80\xf0\x9f\x98\x81", 1), "\xf0\x9f\x98\x80");
  EXPECT_EQ(utf8Prefix("abc", 10), "abc");
  EXPECT_EQ(utf8Prefix("abc", 0), "");
  EXPECT_EQ(utf8Prefix("a\xf0\x9f", 5), "a\xf0\x9f");  // truncated input: no overrun
}

TEST(Names, ControlsAndBidiOverridesAreRefused) {
  const std::vector<std::string> bad = {
      std::string("a\0b", 3), "a\tb", "a\nb", "a\x1b[31mb", "a\x7f" "b",
      "a\xc2\x80" "b", "a\xc2\x9f" "b",                           // C1 controls
      "\xe2\x80\xae" "gnp.exe", "a\xe2\x80\xaa" "b", "a\xe2\x80\xac" "b",  // U+202E, 202A, 202C
      "a\xe2\x81\xa6" "b", "a\xe2\x81\xa9" "b",                   // U+2066, U+2069
      "a\xe2\x80\x8e" "b", "a\xe2\x80\x8f" "b", "a\xd8\x9c" "b",  // U+200E, U+200F, U+061C
      "a\xe2\x80\xa8" "b",                                        // U+2028 line separator
      "\xff", "a\xed\xa0\x80",                                     // not UTF-8
  };
  for (const auto& name : bad) EXPECT_TRUE(nameFault(name)) << testing::PrintToString(name);
}

TEST(Names, ANameNeedsAVisibleCharacter) {
  for (const std::string invisible :
       {"", " ", "\xe2\x80\x8b", "\xe2\x80\x8b\xe2\x80\x8c\xe2\x80\x8d",  // zero-width
        "\xef\xbb\xbf", "\xe2\x81\xa0", "\xc2\xad",                        // BOM, WJ, SHY
        "\xe3\x85\xa4", "\xe1\x85\x9f", "\xef\xbe\xa0",                     // Hangul fillers
        "\xe2\xa0\x80", "\xef\xb8\x8f", "\xf3\xa0\x80\x81",                // braille blank, VS16, tag
        "\xe3\x80\x80\xe2\x80\x8b"})
    EXPECT_TRUE(nameFault(invisible)) << testing::PrintToString(invisible);
}

TEST(Names, OrdinaryNamesInAnyScriptPass) {
  for (const std::string good :
       {"Ann", "Zo\xc3\xab", "a b", "\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a",  // Arabic
        "\xe6\x97\xa5\xe6\x9c\xac",                                        // CJK
        "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb",                 // ZWJ emoji
        "\xe2\x9d\xa4\xef\xb8\x8f", "\xe2\x80\x8b" "x", "<b>&amp;</b>", "a\xc2\xa0" "b"})
    EXPECT_FALSE(nameFault(good)) << testing::PrintToString(good) << ": " << *nameFault(good);
}

TEST(BlobKey, IsSixtyFourLowercaseHex) {
  EXPECT_TRUE(isBlobKey(kKey2));
  EXPECT_FALSE(isBlobKey(""));
  EXPECT_FALSE(isBlobKey(std::string(63, 'a')));
  EXPECT_FALSE(isBlobKey(std::string(64, 'A')));
  EXPECT_FALSE(isBlobKey(std::string(63, 'a') + "g"));
}

}  // namespace
}  // namespace roomchat::proto
