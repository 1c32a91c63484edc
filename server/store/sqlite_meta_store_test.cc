#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include "store/meta_store.h"
#include "store/test_support.h"

namespace roomchat::store {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testutil::TempDir;

model::User makeUser(const std::string& id, const std::string& username) {
  return model::User{id, username, "Name of " + username, std::nullopt};
}

model::Room makeRoom(const std::string& id, const std::string& owner, int64_t lastActiveAt,
                     model::Visibility visibility = model::Visibility::kPublic) {
  return model::Room{id, "Room " + id, visibility, owner, lastActiveAt, lastActiveAt};
}

std::vector<std::string> idsOf(const RoomPage& page) {
  std::vector<std::string> ids;
  for (const auto& r : page.rooms) ids.push_back(r.id);
  return ids;
}

class MetaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { meta_ = open(); }

  std::unique_ptr<MetaStore> open() {
    auto meta = openSqliteMetaStore((dir_ / "meta.db").string());
    EXPECT_TRUE(meta.ok()) << (meta.ok() ? "" : meta.error().message);
    return meta.ok() ? std::move(meta).value() : nullptr;
  }

  void addRoom(const model::Room& room) { ASSERT_TRUE(meta_->createRoom(room, 1000).ok()); }

  TempDir dir_;
  std::unique_ptr<MetaStore> meta_;
};

TEST_F(MetaStoreTest, CreatesAndFindsUsers) {
  auto alice = meta_->createUser(makeUser("u1", "alice"), "hash-a");
  ASSERT_TRUE(alice.ok());
  EXPECT_EQ(alice->id, "u1");
  ASSERT_TRUE(meta_->createUser(makeUser("u2", "bob"), "").ok());

  auto record = meta_->userByUsername("alice");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->user.id, "u1");
  EXPECT_EQ(record->user.displayName, "Name of alice");
  EXPECT_EQ(record->passwordHash, "hash-a");
  EXPECT_FALSE(meta_->userByUsername("carol"));
  EXPECT_EQ(meta_->userById("u2")->username, "bob");
  EXPECT_FALSE(meta_->userById("nobody"));

  auto users = meta_->usersByIds({"u2", "ghost", "u1"});
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].id, "u2");
  EXPECT_EQ(users[1].id, "u1");
}

TEST_F(MetaStoreTest, CreateUserWithoutIdGetsARandomOne) {
  auto user = meta_->createUser(makeUser("", "dave"), "h");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->id.size(), 26u);
  EXPECT_EQ(meta_->userById(user->id)->username, "dave");
}

TEST_F(MetaStoreTest, DuplicateUsernameIsTaken) {
  ASSERT_TRUE(meta_->createUser(makeUser("u1", "alice"), "h").ok());
  auto again = meta_->createUser(makeUser("u2", "alice"), "h");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "username_taken");
  EXPECT_FALSE(meta_->userById("u2"));
}

TEST_F(MetaStoreTest, UpdateUserChangesOnlyGivenFields) {
  ASSERT_TRUE(meta_->createUser(makeUser("u1", "alice"), "h").ok());
  auto named = meta_->updateUser("u1", "Alice A.", std::nullopt);
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->displayName, "Alice A.");
  EXPECT_FALSE(named->avatarKey);

  auto avatar = meta_->updateUser("u1", std::nullopt, std::string(64, 'f'));
  ASSERT_TRUE(avatar.ok());
  EXPECT_EQ(avatar->displayName, "Alice A.");
  EXPECT_EQ(avatar->avatarKey, std::string(64, 'f'));
  EXPECT_EQ(meta_->userById("u1")->avatarKey, std::string(64, 'f'));

  auto cleared = meta_->updateUser("u1", std::nullopt, std::string());
  ASSERT_TRUE(cleared.ok());
  EXPECT_FALSE(cleared->avatarKey) << "an empty key removes the avatar";

  EXPECT_EQ(meta_->updateUser("ghost", "x", std::nullopt).error().code, "not_found");
}

TEST_F(MetaStoreTest, SessionsExpire) {
  ASSERT_TRUE(meta_->createUser(makeUser("u1", "alice"), "h").ok());
  ASSERT_TRUE(meta_->createSession("hash1", "u1", 100, 1000).ok());
  auto live = meta_->sessionByHash("hash1", 999);
  ASSERT_TRUE(live);
  EXPECT_EQ(live->userId, "u1");
  EXPECT_EQ(live->expiresAt, 1000);
  EXPECT_FALSE(meta_->sessionByHash("hash1", 1000));
  EXPECT_FALSE(meta_->sessionByHash("unknown", 0));

  ASSERT_TRUE(meta_->createSession("hash2", "u1", 100, 5000).ok());
  meta_->deleteSession("hash2");
  EXPECT_FALSE(meta_->sessionByHash("hash2", 200));
}

TEST_F(MetaStoreTest, RoomLimitHoldsUnderConcurrentCreates) {
  constexpr int kThreads = 8;
  constexpr int kAttemptsPerThread = 10;
  constexpr int kLimit = 5;
  std::atomic<int> created{0}, limited{0}, other{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAttemptsPerThread; ++i) {
        auto id = "r" + std::to_string(t) + "-" + std::to_string(i);
        Status s = meta_->createRoom(makeRoom(id, "owner", i), kLimit);
        if (s.ok()) {
          ++created;
        } else if (s.error().code == "room_limit") {
          ++limited;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(created, kLimit);
  EXPECT_EQ(limited, kThreads * kAttemptsPerThread - kLimit);
  EXPECT_EQ(other, 0);
  EXPECT_EQ(meta_->roomCount(), kLimit);
  EXPECT_EQ(meta_->roomsOfUser("owner", std::nullopt, 100).rooms.size(), size_t{kLimit});
  EXPECT_TRUE(meta_->createRoom(makeRoom("other-owner", "someone", 1), kLimit).ok());
}

TEST_F(MetaStoreTest, DuplicateRoomIdIsAConflict) {
  addRoom(makeRoom("r1", "u1", 10));
  Status s = meta_->createRoom(makeRoom("r1", "u2", 10), 10);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "conflict");
}

TEST_F(MetaStoreTest, RoomsRoundTripAndUpdate) {
  addRoom(model::Room{"r1", "General", model::Visibility::kUnlisted, "u1", 100, 200});
  auto room = meta_->roomById("r1");
  ASSERT_TRUE(room);
  EXPECT_EQ(room->name, "General");
  EXPECT_EQ(room->visibility, model::Visibility::kUnlisted);
  EXPECT_EQ(room->ownerId, "u1");
  EXPECT_EQ(room->createdAt, 100);
  EXPECT_EQ(room->lastActiveAt, 200);

  auto renamed = meta_->updateRoom("r1", "Lobby", std::nullopt);
  ASSERT_TRUE(renamed.ok());
  EXPECT_EQ(renamed->name, "Lobby");
  EXPECT_EQ(renamed->visibility, model::Visibility::kUnlisted);
  auto hidden = meta_->updateRoom("r1", std::nullopt, model::Visibility::kPrivate);
  ASSERT_TRUE(hidden.ok());
  EXPECT_EQ(hidden->name, "Lobby");
  EXPECT_EQ(meta_->roomById("r1")->visibility, model::Visibility::kPrivate);
  EXPECT_EQ(meta_->updateRoom("ghost", "x", std::nullopt).error().code, "not_found");
}

TEST_F(MetaStoreTest, TouchOnlyMovesActivityForward) {
  addRoom(makeRoom("r1", "u1", 500));
  meta_->touchRoom("r1", 400);
  EXPECT_EQ(meta_->roomById("r1")->lastActiveAt, 500);
  meta_->touchRoom("r1", 900);
  EXPECT_EQ(meta_->roomById("r1")->lastActiveAt, 900);
  meta_->touchRoom("ghost", 900);  // harmless
}

TEST_F(MetaStoreTest, PublicRoomsWalkEveryRoomOnceWithTies) {
  std::vector<std::pair<int64_t, std::string>> expected;
  for (int i = 0; i < 53; ++i) {
    std::string id = "room" + std::to_string(i);
    int64_t at = 100 * (i % 4);  // many equal lastActiveAt values
    addRoom(makeRoom(id, "u" + std::to_string(i), at));
    expected.emplace_back(at, id);
  }
  addRoom(makeRoom("hidden1", "u1", 300, model::Visibility::kUnlisted));
  addRoom(makeRoom("hidden2", "u1", 300, model::Visibility::kPrivate));
  std::sort(expected.begin(), expected.end(), std::greater<>());

  std::vector<std::pair<int64_t, std::string>> walked;
  std::optional<model::Keyset> cursor;
  int pages = 0;
  for (bool more = true; more; ++pages) {
    RoomPage page = meta_->publicRooms(cursor, 7);
    ASSERT_EQ(page.rooms.size(), page.keys.size());
    for (size_t i = 0; i < page.rooms.size(); ++i) {
      EXPECT_EQ(page.keys[i].at, page.rooms[i].lastActiveAt);
      EXPECT_EQ(page.keys[i].id, page.rooms[i].id);
      walked.emplace_back(page.rooms[i].lastActiveAt, page.rooms[i].id);
    }
    more = page.hasMore;
    if (more) cursor = page.keys.back();
    ASSERT_LT(pages, 20);
  }
  EXPECT_EQ(walked, expected);
  EXPECT_EQ(pages, 8);  // 53 rooms = 7 full pages of 7 + 4
}

TEST_F(MetaStoreTest, LastFullPageHasNoMore) {
  for (int i = 0; i < 6; ++i) addRoom(makeRoom("r" + std::to_string(i), "u", i));
  auto first = meta_->publicRooms(std::nullopt, 3);
  EXPECT_TRUE(first.hasMore);
  auto second = meta_->publicRooms(first.keys.back(), 3);
  EXPECT_THAT(idsOf(second), ElementsAre("r2", "r1", "r0"));
  EXPECT_FALSE(second.hasMore);
}

TEST_F(MetaStoreTest, RoomsOfUserIncludesMemberships) {
  addRoom(makeRoom("owned-old", "alice", 100, model::Visibility::kPrivate));
  addRoom(makeRoom("owned-new", "alice", 400));
  addRoom(makeRoom("joined", "bob", 300, model::Visibility::kPrivate));
  addRoom(makeRoom("unrelated", "bob", 500));
  meta_->addMember("joined", "alice", 1);
  meta_->addMember("owned-new", "alice", 1);  // owner and member: listed once

  auto page = meta_->roomsOfUser("alice", std::nullopt, 10);
  EXPECT_THAT(idsOf(page), ElementsAre("owned-new", "joined", "owned-old"));
  EXPECT_FALSE(page.hasMore);

  meta_->touchRoom("owned-old", 1000);
  auto first = meta_->roomsOfUser("alice", std::nullopt, 2);
  EXPECT_THAT(idsOf(first), ElementsAre("owned-old", "owned-new"));
  EXPECT_TRUE(first.hasMore);
  auto rest = meta_->roomsOfUser("alice", first.keys.back(), 2);
  EXPECT_THAT(idsOf(rest), ElementsAre("joined"));
  EXPECT_FALSE(rest.hasMore);
  EXPECT_THAT(idsOf(meta_->roomsOfUser("carol", std::nullopt, 10)), IsEmpty());
}

TEST_F(MetaStoreTest, MembershipIsIdempotent) {
  addRoom(makeRoom("r1", "owner", 1));
  EXPECT_FALSE(meta_->isMember("r1", "u1"));
  meta_->addMember("r1", "u1", 10);
  meta_->addMember("r1", "u1", 20);
  EXPECT_TRUE(meta_->isMember("r1", "u1"));
  EXPECT_TRUE(meta_->removeMember("r1", "u1"));
  EXPECT_FALSE(meta_->removeMember("r1", "u1"));
  EXPECT_FALSE(meta_->isMember("r1", "u1"));
}

TEST_F(MetaStoreTest, FavoritesAreIdempotentAndSortedByFavoritingTime) {
  addRoom(makeRoom("a", "owner", 900));
  addRoom(makeRoom("b", "owner", 100));
  addRoom(makeRoom("c", "owner", 500));
  meta_->setFavorite("b", "u1", true, 10);
  meta_->setFavorite("a", "u1", true, 20);
  meta_->setFavorite("c", "u1", true, 30);
  meta_->setFavorite("b", "u1", true, 99);  // again: keeps its original time
  EXPECT_TRUE(meta_->isFavorite("b", "u1"));
  EXPECT_FALSE(meta_->isFavorite("b", "u2"));

  auto page = meta_->favoriteRooms("u1", std::nullopt, 2);
  EXPECT_THAT(idsOf(page), ElementsAre("c", "a"));
  EXPECT_EQ(page.keys[0].at, 30);
  EXPECT_EQ(page.keys[1].at, 20);
  EXPECT_TRUE(page.hasMore);
  auto rest = meta_->favoriteRooms("u1", page.keys.back(), 2);
  EXPECT_THAT(idsOf(rest), ElementsAre("b"));
  EXPECT_EQ(rest.keys[0].at, 10);
  EXPECT_FALSE(rest.hasMore);

  meta_->setFavorite("a", "u1", false, 40);
  meta_->setFavorite("a", "u1", false, 50);
  EXPECT_FALSE(meta_->isFavorite("a", "u1"));
  EXPECT_THAT(idsOf(meta_->favoriteRooms("u1", std::nullopt, 10)), ElementsAre("c", "b"));
}

TEST_F(MetaStoreTest, InvitesExpire) {
  addRoom(makeRoom("r1", "owner", 1));
  ASSERT_TRUE(meta_->createInvite("inv", "r1", "owner", 100, 200).ok());
  EXPECT_EQ(meta_->inviteRoom("inv", 199), "r1");
  EXPECT_FALSE(meta_->inviteRoom("inv", 200));
  EXPECT_FALSE(meta_->inviteRoom("other", 0));
  EXPECT_FALSE(meta_->createInvite("bad", "ghost-room", "owner", 1, 2).ok());
}

TEST_F(MetaStoreTest, DeletingARoomRemovesItsMembershipsFavoritesAndInvites) {
  addRoom(makeRoom("r1", "owner", 1));
  addRoom(makeRoom("r2", "owner", 2));
  meta_->addMember("r1", "u1", 1);
  meta_->addMember("r2", "u1", 1);
  meta_->setFavorite("r1", "u1", true, 1);
  ASSERT_TRUE(meta_->createInvite("inv", "r1", "owner", 1, 1000).ok());

  ASSERT_TRUE(meta_->deleteRoom("r1").ok());
  EXPECT_FALSE(meta_->roomById("r1"));
  EXPECT_FALSE(meta_->isMember("r1", "u1"));
  EXPECT_FALSE(meta_->isFavorite("r1", "u1"));
  EXPECT_FALSE(meta_->inviteRoom("inv", 0));
  EXPECT_THAT(idsOf(meta_->favoriteRooms("u1", std::nullopt, 10)), IsEmpty());
  EXPECT_THAT(idsOf(meta_->roomsOfUser("u1", std::nullopt, 10)), ElementsAre("r2"));
  EXPECT_EQ(meta_->roomCount(), 1);
  EXPECT_EQ(meta_->deleteRoom("r1").error().code, "not_found");

  addRoom(makeRoom("r1", "owner", 3));  // the id can be reused; nothing is left over
  EXPECT_FALSE(meta_->isMember("r1", "u1"));
}

TEST_F(MetaStoreTest, StickersAreIdempotentPerUserAndKey) {
  std::string key1(64, '1'), key2(64, '2'), key3(64, '3');
  Sticker first = meta_->addSticker("u1", key1, 10);
  EXPECT_EQ(first.id.size(), 26u);
  EXPECT_EQ(first.key, key1);
  EXPECT_EQ(first.createdAt, 10);
  Sticker again = meta_->addSticker("u1", key1, 99);
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.createdAt, 10);
  Sticker otherUser = meta_->addSticker("u2", key1, 10);
  EXPECT_NE(otherUser.id, first.id);

  meta_->addSticker("u1", key2, 20);
  meta_->addSticker("u1", key3, 20);  // same time: ordered by id
  auto page = meta_->stickers("u1", std::nullopt, 2);
  ASSERT_EQ(page.stickers.size(), 2u);
  EXPECT_TRUE(page.hasMore);
  EXPECT_EQ(page.stickers[0].createdAt, 20);
  EXPECT_GT(page.stickers[0].id, page.stickers[1].id);
  auto rest = meta_->stickers(
      "u1", model::Keyset{page.stickers.back().createdAt, page.stickers.back().id}, 2);
  ASSERT_EQ(rest.stickers.size(), 1u);
  EXPECT_EQ(rest.stickers[0].id, first.id);
  EXPECT_FALSE(rest.hasMore);

  EXPECT_FALSE(meta_->deleteSticker("u2", first.id)) << "only the owner deletes";
  EXPECT_TRUE(meta_->deleteSticker("u1", first.id));
  EXPECT_FALSE(meta_->deleteSticker("u1", first.id));
  EXPECT_EQ(meta_->stickers("u1", std::nullopt, 10).stickers.size(), 2u);
}

TEST_F(MetaStoreTest, DataSurvivesReopen) {
  ASSERT_TRUE(meta_->createUser(makeUser("u1", "alice"), "h").ok());
  addRoom(makeRoom("r1", "u1", 1));
  meta_.reset();
  meta_ = open();
  EXPECT_EQ(meta_->userById("u1")->username, "alice");
  EXPECT_EQ(meta_->roomCount(), 1);
}

TEST_F(MetaStoreTest, NewerSchemaIsRefused) {
  meta_.reset();
  ASSERT_EQ(testutil::rawExec(dir_ / "meta.db", "PRAGMA user_version = 77"), SQLITE_OK);
  auto meta = openSqliteMetaStore((dir_ / "meta.db").string());
  ASSERT_FALSE(meta.ok());
  EXPECT_EQ(meta.error().code, "storage_version");
}

TEST_F(MetaStoreTest, GarbageFileIsStorageUnavailable) {
  std::ofstream(dir_ / "junk.db") << std::string(5000, 'j');
  auto meta = openSqliteMetaStore((dir_ / "junk.db").string());
  ASSERT_FALSE(meta.ok());
  EXPECT_EQ(meta.error().code, "storage_unavailable");
}

TEST_F(MetaStoreTest, BackupProducesAReadableCopy) {
  ASSERT_TRUE(meta_->createUser(makeUser("u1", "alice"), "h").ok());
  for (int i = 0; i < 300; ++i) addRoom(makeRoom("room" + std::to_string(i), "u1", i));
  meta_->setFavorite("room7", "u1", true, 5);

  std::string backup = (dir_ / "backup.db").string();
  ASSERT_TRUE(meta_->backupTo(backup).ok());
  EXPECT_FALSE(std::filesystem::exists(backup + ".partial"));
  ASSERT_TRUE(meta_->backupTo(backup).ok()) << "overwrites an older backup";

  auto copy = openSqliteMetaStore(backup);
  ASSERT_TRUE(copy.ok()) << copy.error().message;
  EXPECT_EQ((*copy)->userByUsername("alice")->user.id, "u1");
  EXPECT_EQ((*copy)->roomCount(), 300);
  EXPECT_TRUE((*copy)->isFavorite("room7", "u1"));
}

TEST_F(MetaStoreTest, BackupWhileOtherThreadsWrite) {
  std::atomic<bool> stop{false};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) addRoom(makeRoom("w" + std::to_string(i), "u", i));
  });
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(meta_->backupTo((dir_ / "live.db").string()).ok());
  }
  stop = true;
  writer.join();
  auto copy = openSqliteMetaStore((dir_ / "live.db").string());
  ASSERT_TRUE(copy.ok());
  EXPECT_GT((*copy)->roomCount(), -1);
}

}  // namespace
}  // namespace roomchat::store
