// Disk trouble with the real binary and real files: a room whose database is
// corrupt answers with a clear error (HTTP 503 and refused sockets, a log
// line, a metric) while the other rooms keep working; a full disk (the
// server's file-size limit lowered under it with prlimit, so every append
// fails like ENOSPC would) refuses messages with storage_unavailable instead
// of acking them, and once there is room again the same clientId is stored
// exactly once.
#include <filesystem>
#include <fstream>
#include <sys/resource.h>

#include "support/fixture.h"

namespace roomchat::test {
namespace {

namespace fs = std::filesystem;

class DiskTrouble : public ServerTest {
 protected:
  std::vector<std::string> serverArgs() const override {
    auto args = generousLimits();
    args.insert(args.end(), {"--room-idle-seconds", "1"});
    return args;
  }

  fs::path roomFile(const std::string& roomId) { return server().roomFile(roomId); }

  bool hibernated() {
    return eventually([&] { return metric("roomchat_rooms_awake") == std::optional<double>(0); }, 10s);
  }

  // The soft limit only: raising it again needs no privilege.
  void setFileSizeLimit(rlim_t bytes) {
    struct rlimit limit {bytes, RLIM_INFINITY};
    ASSERT_EQ(prlimit(server().pid(), RLIMIT_FSIZE, &limit, nullptr), 0) << "prlimit failed";
  }
};

TEST_F(DiskTrouble, ACorruptRoomIsAClearErrorWhileOtherRoomsKeepWorking) {
  TestUser ann = newUser();
  std::string broken = createRoom(ann, "broken")["id"];
  std::string healthy = createRoom(ann, "healthy")["id"];
  for (const auto& id : {broken, healthy}) {
    Joined a = join(ann, id);
    sendText(*a, "m-" + id, "before the trouble");
    a->close();
  }
  ASSERT_TRUE(hibernated()) << "rooms did not hibernate";
  fs::path file = roomFile(broken);
  ASSERT_FALSE(file.empty());
  fs::remove(file.string() + "-wal");
  fs::remove(file.string() + "-shm");
  { std::ofstream(file, std::ios::trunc) << std::string(16384, 'x'); }
  const double failuresBefore = metric("roomchat_room_open_failures_total").value_or(0);

  auto res = ann.http.get("/api/rooms/" + broken + "/messages");
  EXPECT_EQ(res.status, 503) << res.describe();
  EXPECT_EQ(res.json["error"]["code"], "storage_unavailable") << res.body;
  auto ws = openSocket(ann, broken);
  EXPECT_EQ(ws->upgradeStatus(), 503) << "the upgrade of a broken room was not refused";
  EXPECT_EQ(ws->upgradeErrorCode(), "storage_unavailable");
  EXPECT_GT(metric("roomchat_room_open_failures_total").value_or(0), failuresBefore);
  EXPECT_NE(server().log().find("room " + broken + ": cannot open database"), std::string::npos)
      << "no log line names the broken room";

  Joined b = join(ann, healthy);
  EXPECT_FALSE(sendText(*b, "m2", "the healthy room still works").is_null());
  auto page = ann.http.get("/api/rooms/" + healthy + "/messages");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.json["items"].size(), 2u) << page.body;
}

TEST_F(DiskTrouble, AFullDiskRefusesMessagesInsteadOfAckingThemAndLosesNothing) {
  TestUser ann = newUser();
  std::string id = createRoom(ann, "full")["id"];
  Joined a = join(ann, id);
  sendText(*a, "ok-1", "stored before the disk filled up");
  fs::path wal = roomFile(id).string() + "-wal";
  ASSERT_TRUE(fs::exists(wal));

  setFileSizeLimit(fs::file_size(wal));  // no file may grow any more
  a->send(textFrame("full-1", "written while the disk is full"));
  json e = a->expectWhere("", [](const json& f) {
    return f.value("type", "") == "ack" || f.value("type", "") == "error";
  });
  EXPECT_EQ(e.value("type", ""), "error") << "a message was acked on a full disk: " << e.dump();
  EXPECT_EQ(e.value("code", ""), "storage_unavailable") << e.dump();
  EXPECT_EQ(e.value("clientId", ""), "full-1");
  EXPECT_GE(metric("roomchat_storage_errors_total").value_or(0), 1);

  setFileSizeLimit(RLIM_INFINITY);  // space again: the client retries with the same clientId
  json ack = sendText(*a, "full-1", "written while the disk is full");
  ASSERT_FALSE(ack.is_null());
  sendText(*a, "full-1", "written while the disk is full");  // and once more: a duplicate
  auto page = ann.http.get("/api/rooms/" + id + "/messages");
  ASSERT_EQ(page.status, 200);
  ASSERT_EQ(page.json["items"].size(), 2u) << page.body;
  EXPECT_EQ(page.json["items"][1]["text"], "written while the disk is full");
  EXPECT_EQ(page.json["items"][1]["seq"], 2) << "a failed commit used up a seq";
}

}  // namespace
}  // namespace roomchat::test
