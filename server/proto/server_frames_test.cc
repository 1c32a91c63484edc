#include "proto/server_frames.h"

#include <gtest/gtest.h>

#include <set>

#include <nlohmann/json.hpp>

namespace roomchat::proto {
namespace {

using nlohmann::json;
using Keys = std::set<std::string>;

Keys keysOf(const json& j) {
  Keys keys;
  for (const auto& [key, value] : j.items()) keys.insert(key);
  return keys;
}

json parsed(const std::string& frame) {
  json j = json::parse(frame, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << frame;
  return j;
}

model::User alice() { return model::User{"u1", "alice", "Alice A.", std::nullopt}; }

model::RoomView roomView() {
  model::RoomView v;
  v.room = {"r1", "General", model::Visibility::kPublic, "u1", 1000, 2000};
  v.isFavorite = true;
  v.role = model::Role::kOwner;
  return v;
}

model::Message plainMessage() {
  model::Message m;
  m.seq = 5;
  m.id = "0190a8e4-0000-7000-8000-000000000000";
  m.roomId = "r1";
  m.authorId = "u1";
  m.text = "hello";
  m.createdAt = 1234;
  return m;
}

TEST(ServerFrames, UserHasAvatarUrlOrNull) {
  json j = toJson(alice());
  EXPECT_EQ(keysOf(j), (Keys{"id", "username", "displayName", "avatarUrl"}));
  EXPECT_TRUE(j["avatarUrl"].is_null());
  EXPECT_EQ(j["displayName"], "Alice A.");
  model::User withAvatar = alice();
  withAvatar.avatarKey = std::string(64, 'b');
  EXPECT_EQ(toJson(withAvatar)["avatarUrl"], "/blobs/" + std::string(64, 'b'));
  EXPECT_EQ(blobUrl("k"), "/blobs/k");
}

TEST(ServerFrames, RoomHasTheContractFieldsAndOnlineOnlyWhenSet) {
  json j = toJson(roomView());
  EXPECT_EQ(keysOf(j), (Keys{"id", "name", "visibility", "ownerId", "createdAt", "lastActiveAt",
                             "isFavorite", "role"}));
  EXPECT_EQ(j["visibility"], "public");
  EXPECT_EQ(j["role"], "owner");
  EXPECT_EQ(j["createdAt"], 1000);
  EXPECT_EQ(j["lastActiveAt"], 2000);
  EXPECT_EQ(j["isFavorite"], true);

  model::RoomView v = roomView();
  v.online = 0;
  v.role = model::Role::kNone;
  v.room.visibility = model::Visibility::kPrivate;
  j = toJson(v);
  EXPECT_EQ(j["online"], 0);
  EXPECT_EQ(j["role"], "guest");  // the wire has no "none"
  EXPECT_EQ(j["visibility"], "private");
}

TEST(ServerFrames, MinimalMessageOmitsAllOptionalFields) {
  model::Message m = plainMessage();
  m.text.reset();
  m.authorId.reset();
  m.authorKind = model::AuthorKind::kSystem;
  json j = toJson(m);
  EXPECT_EQ(keysOf(j), (Keys{"seq", "id", "roomId", "author", "kind", "createdAt"}));
  EXPECT_EQ(j["author"], (json{{"kind", "system"}}));
  EXPECT_EQ(j["kind"], "text");
}

TEST(ServerFrames, FullMessageCarriesEveryField) {
  model::Message m = plainMessage();
  m.kind = model::MessageKind::kImage;
  m.images = {std::string(64, 'a'), std::string(64, 'b')};
  m.replyTo = model::ReplyRef{2, "u2", model::MessageKind::kText, "earlier"};
  m.editedAt = 5678;
  m.clientId = "c-1";
  json j = toJson(m);
  EXPECT_EQ(keysOf(j), (Keys{"seq", "id", "roomId", "author", "kind", "text", "images", "replyTo",
                             "createdAt", "editedAt", "clientId"}));
  EXPECT_EQ(j["author"], (json{{"kind", "user"}, {"userId", "u1"}}));
  EXPECT_EQ(j["kind"], "image");
  EXPECT_EQ(j["images"].size(), 2u);
  EXPECT_EQ(j["replyTo"], (json{{"seq", 2}, {"authorId", "u2"}, {"kind", "text"}, {"snippet", "earlier"}}));
  EXPECT_EQ(j["editedAt"], 5678);
  EXPECT_EQ(j["clientId"], "c-1");

  m.replyTo->authorId.reset();
  EXPECT_EQ(keysOf(toJson(m)["replyTo"]), (Keys{"seq", "kind", "snippet"}));
}

TEST(ServerFrames, DeletedMessageIsMarkedAndStripped) {
  model::Message m = plainMessage();
  m.images = {std::string(64, 'a')};
  m.deleted = true;
  json j = toJson(m);
  EXPECT_EQ(j["deleted"], true);
  EXPECT_FALSE(j.contains("text"));
  EXPECT_FALSE(j.contains("images"));
  EXPECT_FALSE(toJson(plainMessage()).contains("deleted"));
}

TEST(ServerFrames, WelcomeHasEveryFieldAndResetOnlyWhenTrue) {
  Welcome w;
  w.connId = "conn-1";
  w.you = alice();
  w.room = roomView();
  w.messages = {plainMessage()};
  w.hasMore = true;
  w.presence = {PresenceEntry{"u1", 2, "active", std::nullopt}};
  w.call = {CallParticipant{"u1", "conn-1", std::nullopt, std::nullopt, false, 99}};
  w.lastSeq = 5;
  json j = parsed(welcomeFrame(w));
  EXPECT_EQ(keysOf(j), (Keys{"type", "connId", "you", "room", "messages", "hasMore", "presence",
                             "call", "lastSeq"}));
  EXPECT_EQ(j["type"], "welcome");
  EXPECT_EQ(j["you"], toJson(alice()));
  EXPECT_EQ(j["room"], toJson(roomView()));
  EXPECT_EQ(j["messages"], json::array({toJson(plainMessage())}));
  EXPECT_EQ(j["presence"], json::parse(R"([{"userId":"u1","connections":2,"user":"active"}])"));
  EXPECT_EQ(j["call"], json::parse(
      R"({"participants":[{"userId":"u1","connId":"conn-1","muted":false,"joinedAt":99}]})"));
  EXPECT_EQ(j["lastSeq"], 5);

  w.reset = true;
  w.messages.clear();
  w.presence.clear();
  w.call.clear();
  j = parsed(welcomeFrame(w));
  EXPECT_EQ(j["reset"], true);
  EXPECT_EQ(j["messages"], json::array());
  EXPECT_EQ(j["presence"], json::array());
  EXPECT_EQ(j["call"], (json{{"participants", json::array()}}));
}

TEST(ServerFrames, MessageFramesWrapTheMessage) {
  json message = toJson(plainMessage());
  EXPECT_EQ(parsed(messageFrame(plainMessage())), (json{{"type", "message"}, {"message", message}}));
  EXPECT_EQ(parsed(messageUpdatedFrame(plainMessage())),
            (json{{"type", "messageUpdated"}, {"message", message}}));
  EXPECT_EQ(parsed(ackFrame("c9", plainMessage())),
            (json{{"type", "ack"}, {"clientId", "c9"}, {"message", message}}));
  EXPECT_EQ(parsed(historyFrame({plainMessage(), plainMessage()}, false)),
            (json{{"type", "history"}, {"messages", {message, message}}, {"hasMore", false}}));
  EXPECT_EQ(parsed(historyFrame({}, true)),
            (json{{"type", "history"}, {"messages", json::array()}, {"hasMore", true}}));
}

TEST(ServerFrames, PresenceEntriesOmitUnknownStates) {
  json j = parsed(presenceFrame({PresenceEntry{"u1", 1, std::nullopt, std::nullopt},
                                 PresenceEntry{"u2", 3, "idle", "locked"}}));
  EXPECT_EQ(keysOf(j), (Keys{"type", "users"}));
  EXPECT_EQ(j["users"][0], (json{{"userId", "u1"}, {"connections", 1}}));
  EXPECT_EQ(j["users"][1],
            (json{{"userId", "u2"}, {"connections", 3}, {"user", "idle"}, {"screen", "locked"}}));
}

TEST(ServerFrames, CallFrameIsTheCallStateWithAType) {
  std::vector<CallParticipant> call = {
      CallParticipant{"u1", "c1", "sess", "track", true, 10},
      CallParticipant{"u2", "c2", std::nullopt, std::nullopt, false, 20}};
  json j = parsed(callFrame(call));
  EXPECT_EQ(keysOf(j), (Keys{"type", "participants"}));
  EXPECT_EQ(j["type"], "call");
  EXPECT_EQ(j["participants"][0], (json{{"userId", "u1"}, {"connId", "c1"}, {"sessionId", "sess"},
                                        {"trackName", "track"}, {"muted", true}, {"joinedAt", 10}}));
  EXPECT_EQ(keysOf(j["participants"][1]), (Keys{"userId", "connId", "muted", "joinedAt"}));
}

TEST(ServerFrames, SmallFramesHaveExactShapes) {
  EXPECT_EQ(parsed(typingFrame("u1", true)),
            (json{{"type", "typing"}, {"userId", "u1"}, {"active", true}}));
  EXPECT_EQ(parsed(callKickedFrame("joined_elsewhere")),
            (json{{"type", "callKicked"}, {"reason", "joined_elsewhere"}}));
  EXPECT_EQ(parsed(roomUpdatedFrame(roomView())),
            (json{{"type", "roomUpdated"}, {"room", toJson(roomView())}}));
  EXPECT_EQ(roomDeletedFrame(), R"({"type":"roomDeleted"})");
  EXPECT_EQ(pongFrame(), R"({"type":"pong"})");
  EXPECT_EQ(parsed(errorFrame("not_found", "no such message")),
            (json{{"type", "error"}, {"code", "not_found"}, {"message", "no such message"}}));
  EXPECT_EQ(parsed(errorFrame("too_long", "text too long", "c7")),
            (json{{"type", "error"}, {"code", "too_long"}, {"message", "text too long"},
                  {"clientId", "c7"}}));
}

TEST(ServerFrames, CallSignalEmbedsThePayloadAsJson) {
  json j = parsed(callSignalFrame("conn-2", R"({"sdp":"v=0","candidates":[1,{"a":null}]})"));
  EXPECT_EQ(keysOf(j), (Keys{"type", "from", "payload"}));
  EXPECT_EQ(j["from"], "conn-2");
  EXPECT_EQ(j["payload"], json::parse(R"({"sdp":"v=0","candidates":[1,{"a":null}]})"));
  // Never a broken frame, even for a payload that did not come from the parser.
  EXPECT_EQ(parsed(callSignalFrame("c", "not json"))["payload"], json::object());
  EXPECT_EQ(parsed(callSignalFrame("c", "[1]"))["payload"], json::object());
  EXPECT_EQ(parsed(callSignalFrame("c", "{\"a\":" + std::string(100000, '[')))["payload"],
            json::object());
}

TEST(ServerFrames, InvalidUtf8NeverThrowsAndIsReplaced) {
  model::Message m = plainMessage();
  m.text = "bad \xff\xfe bytes";
  std::string frame;
  ASSERT_NO_THROW(frame = messageFrame(m));
  json j = parsed(frame);
  EXPECT_EQ(j["message"]["text"], "bad \xef\xbf\xbd\xef\xbf\xbd bytes");
  ASSERT_NO_THROW(frame = errorFrame("bad_frame", "\xc0", std::string("\x80")));
  EXPECT_FALSE(parsed(frame).is_discarded());
}

TEST(ServerFrames, TextIsEscapedNotInjected) {
  model::Message m = plainMessage();
  m.text = "\"}],\"type\":\"evil\",\n\x01";
  json j = parsed(messageFrame(m));
  EXPECT_EQ(j["type"], "message");
  EXPECT_EQ(j["message"]["text"], *m.text);
}

}  // namespace
}  // namespace roomchat::proto
