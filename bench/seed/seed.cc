// roomchat-seed: appends N text messages to one room's database through the
// server's own RoomStore (the same schema, triggers and full-text index as
// live traffic), in large transactions. The room must already exist (created
// through the API) and the server must be stopped: a room database has one
// writer.
//   roomchat-seed --data DIR --room ID --author USER_ID --count 1000000
#include <chrono>
#include <cstdio>
#include <random>
#include <string>

#include <CLI/CLI.hpp>

#include "base/ids.h"
#include "store/room_store.h"

namespace {

constexpr int kBatch = 5000;
constexpr const char* kWords[] = {
    "hello", "room", "lunch", "deploy", "review", "meeting", "coffee", "tomorrow", "build",
    "green", "merge", "ticket", "thanks", "later", "release", "docs", "bug", "fixed", "why",
    "maybe", "sure", "weekend", "design", "call", "link", "picture", "cat", "train", "late"};

std::string sentence(std::mt19937& rng) {
  std::uniform_int_distribution<int> length(3, 14), word(0, std::size(kWords) - 1);
  std::string text;
  for (int i = length(rng); i > 0; --i) {
    if (!text.empty()) text += ' ';
    text += kWords[word(rng)];
  }
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"roomchat-seed: fill a room database for benchmarks"};
  std::string data, room, author;
  int64_t count = 1000000;
  app.add_option("--data", data, "the server's data folder")->required();
  app.add_option("--room", room, "room id (created through the API)")->required();
  app.add_option("--author", author, "user id of the messages' author")->required();
  app.add_option("--count", count, "messages to append");
  CLI11_PARSE(app, argc, argv);

  const auto file = std::filesystem::path(data) / "rooms" / room.substr(0, 2) / (room + ".db");
  auto store = roomchat::store::RoomStore::open(file, room, /*create=*/false);
  if (!store.ok()) {
    std::fprintf(stderr, "roomchat-seed: %s: %s\n", file.c_str(), store.error().message.c_str());
    return 1;
  }
  std::mt19937 rng(1);
  const auto started = std::chrono::steady_clock::now();
  const int64_t firstAt = roomchat::nowMs() - count;  // one message per millisecond, ending now
  for (int64_t done = 0; done < count;) {
    std::vector<roomchat::model::Message> batch;
    for (int k = 0; k < kBatch && done < count; ++k, ++done) {
      roomchat::model::Message m;
      m.createdAt = firstAt + done;
      m.id = roomchat::uuidV7(m.createdAt);
      m.roomId = room;
      m.authorId = author;
      m.text = sentence(rng);
      batch.push_back(std::move(m));
    }
    if (auto st = (*store)->append(batch); !st.ok()) {
      std::fprintf(stderr, "roomchat-seed: append: %s\n", st.error().message.c_str());
      return 1;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::printf("{\"room\":\"%s\",\"appended\":%lld,\"lastSeq\":%lld,\"seconds\":%.1f}\n",
              room.c_str(), static_cast<long long>(count),
              static_cast<long long>((*store)->lastSeq()), seconds);
  return 0;
}
