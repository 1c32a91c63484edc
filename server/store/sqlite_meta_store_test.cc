#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include "base/metrics.h"
#include "store/meta_store.h"
#include "store/test_support.h"

namespace roomchat::store {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testutil::FaultVfs;
using testutil::TempDir;

// The value of a call that must succeed.
template <class T>
T must(Result<T> r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : T{};
}

void must(const Status& s) { EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().message); }

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

  auto record = must(meta_->userByUsername("alice"));
  ASSERT_TRUE(record);
  EXPECT_EQ(record->user.id, "u1");
  EXPECT_EQ(record->user.displayName, "Name of alice");
  EXPECT_EQ(record->passwordHash, "hash-a");
  EXPECT_FALSE(must(meta_->userByUsername("carol")));
  EXPECT_EQ(must(meta_->userById("u2"))->username, "bob");
  EXPECT_FALSE(must(meta_->userById("nobody")));

  auto users = must(meta_->usersByIds({"u2", "ghost", "u1"}));
  ASSERT_EQ(users.size(), 2u);
  EXPECT_EQ(users[0].id, "u2");
  EXPECT_EQ(users[1].id, "u1");
}

TEST_F(MetaStoreTest, IdentitiesFindTheirUserAndNeverMoveToAnother) {
  auto ann = must(meta_->createUserWithIdentity(makeUser("", "ann"), Identity{"idp", "s-1", 5}));
  EXPECT_FALSE(ann.id.empty());
  auto found = must(meta_->userByIdentity("idp", "s-1"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->id, ann.id);
  EXPECT_FALSE(must(meta_->userByIdentity("idp", "s-2")));
  EXPECT_FALSE(must(meta_->userByIdentity("other", "s-1")));
  // The user has no password: a login by password is impossible.
  EXPECT_EQ(must(meta_->userByUsername("ann"))->passwordHash, "");

  auto taken = meta_->createUserWithIdentity(makeUser("", "ann"), Identity{"idp", "s-2", 5});
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.error().code, "username_taken");
  auto twice = meta_->createUserWithIdentity(makeUser("", "ann2"), Identity{"idp", "s-1", 5});
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().code, "conflict");
  EXPECT_FALSE(must(meta_->userByUsername("ann2")));

  must(meta_->createUser(makeUser("u2", "bob"), "hash"));
  EXPECT_EQ(meta_->linkIdentity("u2", Identity{"idp", "s-1", 6}).error().code, "conflict");
  must(meta_->linkIdentity("u2", Identity{"idp", "s-7", 6}));
  must(meta_->linkIdentity("u2", Identity{"idp", "s-7", 7}));  // idempotent
  EXPECT_EQ(meta_->linkIdentity("u2", Identity{"idp", "s-8", 6}).error().code, "conflict");
  EXPECT_EQ(meta_->linkIdentity("nobody", Identity{"x", "y", 6}).error().code, "not_found");
  auto list = must(meta_->identities("u2"));
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].subject, "s-7");
  EXPECT_EQ(list[0].createdAt, 6);
}

TEST_F(MetaStoreTest, TheLastWayToSignInCannotBeUnlinked) {
  auto ann = must(meta_->createUserWithIdentity(makeUser("", "ann"), Identity{"a", "s-1", 5}));
  auto last = meta_->unlinkIdentity(ann.id, "a");
  ASSERT_FALSE(last.ok());
  EXPECT_EQ(last.error().code, "last_sign_in_method");
  must(meta_->linkIdentity(ann.id, Identity{"b", "s-2", 6}));
  EXPECT_TRUE(must(meta_->unlinkIdentity(ann.id, "a")));
  EXPECT_FALSE(must(meta_->unlinkIdentity(ann.id, "a")));
  EXPECT_EQ(meta_->unlinkIdentity(ann.id, "b").error().code, "last_sign_in_method");
  EXPECT_FALSE(must(meta_->userByIdentity("a", "s-1")));
  // With a password, the only identity may go.
  must(meta_->createUser(makeUser("u2", "bob"), "hash"));
  must(meta_->linkIdentity("u2", Identity{"a", "s-3", 6}));
  EXPECT_TRUE(must(meta_->unlinkIdentity("u2", "a")));
  EXPECT_THAT(must(meta_->identities("u2")), IsEmpty());
}

TEST_F(MetaStoreTest, CreateUserWithoutIdGetsARandomOne) {
  auto user = meta_->createUser(makeUser("", "dave"), "h");
  ASSERT_TRUE(user.ok());
  EXPECT_EQ(user->id.size(), 26u);
  EXPECT_EQ(must(meta_->userById(user->id))->username, "dave");
}

TEST_F(MetaStoreTest, DuplicateUsernameIsTaken) {
  ASSERT_TRUE(meta_->createUser(makeUser("u1", "alice"), "h").ok());
  auto again = meta_->createUser(makeUser("u2", "alice"), "h");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "username_taken");
  EXPECT_FALSE(must(meta_->userById("u2")));
}

TEST_F(MetaStoreTest, UpdateUserChangesOnlyGivenFields) {
  ASSERT_TRUE(meta_->createUser(makeUser("u1", "alice"), "h").ok());
  auto named = meta_->updateUser("u1", "Alice A.", std::nullopt);
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->displayName, "Alice A.");
  EXPECT_FALSE(named->avatarKey);

  EXPECT_EQ(meta_->updateUser("u1", std::nullopt, std::string(64, 'f')).error().code,
            "not_found") << "an avatar must be an uploaded image";
  must(meta_->recordBlob({std::string(64, 'f'), 10, "image/png", 1}, 1));
  auto avatar = meta_->updateUser("u1", std::nullopt, std::string(64, 'f'));
  ASSERT_TRUE(avatar.ok());
  EXPECT_EQ(avatar->displayName, "Alice A.");
  EXPECT_EQ(avatar->avatarKey, std::string(64, 'f'));
  EXPECT_EQ(must(meta_->userById("u1"))->avatarKey, std::string(64, 'f'));

  auto cleared = meta_->updateUser("u1", std::nullopt, std::string());
  ASSERT_TRUE(cleared.ok());
  EXPECT_FALSE(cleared->avatarKey) << "an empty key removes the avatar";

  EXPECT_EQ(meta_->updateUser("ghost", "x", std::nullopt).error().code, "not_found");
}

TEST_F(MetaStoreTest, SessionsExpire) {
  ASSERT_TRUE(meta_->createUser(makeUser("u1", "alice"), "h").ok());
  ASSERT_TRUE(meta_->createSession("hash1", "u1", 100, 1000).ok());
  auto live = must(meta_->sessionByHash("hash1", 999));
  ASSERT_TRUE(live);
  EXPECT_EQ(live->userId, "u1");
  EXPECT_EQ(live->expiresAt, 1000);
  EXPECT_FALSE(must(meta_->sessionByHash("hash1", 1000)));
  EXPECT_FALSE(must(meta_->sessionByHash("unknown", 0)));

  ASSERT_TRUE(meta_->createSession("hash2", "u1", 100, 5000).ok());
  must(meta_->deleteSession("hash2"));
  EXPECT_FALSE(must(meta_->sessionByHash("hash2", 200)));
  must(meta_->deleteSession("hash2"));  // gone already: still ok
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
  EXPECT_EQ(must(meta_->roomCount()), kLimit);
  EXPECT_EQ(must(meta_->roomsOfUser("owner", std::nullopt, 100)).rooms.size(), size_t{kLimit});
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
  auto room = must(meta_->roomById("r1"));
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
  EXPECT_EQ(must(meta_->roomById("r1"))->visibility, model::Visibility::kPrivate);
  EXPECT_EQ(meta_->updateRoom("ghost", "x", std::nullopt).error().code, "not_found");
}

TEST_F(MetaStoreTest, TouchOnlyMovesActivityForward) {
  addRoom(makeRoom("r1", "u1", 500));
  must(meta_->touchRoom("r1", 400));
  EXPECT_EQ(must(meta_->roomById("r1"))->lastActiveAt, 500);
  must(meta_->touchRoom("r1", 900));
  EXPECT_EQ(must(meta_->roomById("r1"))->lastActiveAt, 900);
  must(meta_->touchRoom("ghost", 900));  // harmless
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
    RoomPage page = must(meta_->publicRooms(cursor, 7));
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
  auto first = must(meta_->publicRooms(std::nullopt, 3));
  EXPECT_TRUE(first.hasMore);
  auto second = must(meta_->publicRooms(first.keys.back(), 3));
  EXPECT_THAT(idsOf(second), ElementsAre("r2", "r1", "r0"));
  EXPECT_FALSE(second.hasMore);
}

TEST_F(MetaStoreTest, RoomsOfUserIncludesMemberships) {
  addRoom(makeRoom("owned-old", "alice", 100, model::Visibility::kPrivate));
  addRoom(makeRoom("owned-new", "alice", 400));
  addRoom(makeRoom("joined", "bob", 300, model::Visibility::kPrivate));
  addRoom(makeRoom("unrelated", "bob", 500));
  must(meta_->addMember("joined", "alice", 1));
  must(meta_->addMember("owned-new", "alice", 1));  // owner and member: listed once

  auto page = must(meta_->roomsOfUser("alice", std::nullopt, 10));
  EXPECT_THAT(idsOf(page), ElementsAre("owned-new", "joined", "owned-old"));
  EXPECT_FALSE(page.hasMore);

  must(meta_->touchRoom("owned-old", 1000));
  auto first = must(meta_->roomsOfUser("alice", std::nullopt, 2));
  EXPECT_THAT(idsOf(first), ElementsAre("owned-old", "owned-new"));
  EXPECT_TRUE(first.hasMore);
  auto rest = must(meta_->roomsOfUser("alice", first.keys.back(), 2));
  EXPECT_THAT(idsOf(rest), ElementsAre("joined"));
  EXPECT_FALSE(rest.hasMore);
  EXPECT_THAT(idsOf(must(meta_->roomsOfUser("carol", std::nullopt, 10))), IsEmpty());
}

TEST_F(MetaStoreTest, MembershipIsIdempotent) {
  addRoom(makeRoom("r1", "owner", 1));
  EXPECT_FALSE(must(meta_->isMember("r1", "u1")));
  must(meta_->addMember("r1", "u1", 10));
  must(meta_->addMember("r1", "u1", 20));
  EXPECT_TRUE(must(meta_->isMember("r1", "u1")));
  EXPECT_TRUE(must(meta_->removeMember("r1", "u1", 30)));
  EXPECT_FALSE(must(meta_->removeMember("r1", "u1", 40)));
  EXPECT_FALSE(must(meta_->isMember("r1", "u1")));
}

TEST_F(MetaStoreTest, FavoritesAreIdempotentAndSortedByFavoritingTime) {
  addRoom(makeRoom("a", "owner", 900));
  addRoom(makeRoom("b", "owner", 100));
  addRoom(makeRoom("c", "owner", 500));
  must(meta_->setFavorite("b", "u1", true, 10));
  must(meta_->setFavorite("a", "u1", true, 20));
  must(meta_->setFavorite("c", "u1", true, 30));
  must(meta_->setFavorite("b", "u1", true, 99));  // again: keeps its original time
  EXPECT_TRUE(must(meta_->isFavorite("b", "u1")));
  EXPECT_FALSE(must(meta_->isFavorite("b", "u2")));

  auto page = must(meta_->favoriteRooms("u1", std::nullopt, 2));
  EXPECT_THAT(idsOf(page), ElementsAre("c", "a"));
  EXPECT_EQ(page.keys[0].at, 30);
  EXPECT_EQ(page.keys[1].at, 20);
  EXPECT_TRUE(page.hasMore);
  auto rest = must(meta_->favoriteRooms("u1", page.keys.back(), 2));
  EXPECT_THAT(idsOf(rest), ElementsAre("b"));
  EXPECT_EQ(rest.keys[0].at, 10);
  EXPECT_FALSE(rest.hasMore);

  must(meta_->setFavorite("a", "u1", false, 40));
  must(meta_->setFavorite("a", "u1", false, 50));
  EXPECT_FALSE(must(meta_->isFavorite("a", "u1")));
  EXPECT_THAT(idsOf(must(meta_->favoriteRooms("u1", std::nullopt, 10))), ElementsAre("c", "b"));
}

Invite makeInvite(const std::string& id, const std::string& room, int64_t at, int64_t expires) {
  return Invite{id, room, "owner", at, expires};
}

TEST_F(MetaStoreTest, AcceptingAnInviteMakesAMemberUntilItExpires) {
  addRoom(makeRoom("r1", "owner", 1, model::Visibility::kPrivate));
  ASSERT_TRUE(meta_->createInvite(makeInvite("i1", "r1", 100, 200), "inv").ok());
  auto room = must(meta_->acceptInvite("inv", "u1", 199));
  EXPECT_EQ(room.id, "r1");
  EXPECT_EQ(room.ownerId, "owner");
  EXPECT_TRUE(must(meta_->isMember("r1", "u1")));
  EXPECT_EQ(must(meta_->acceptInvite("inv", "u1", 199)).id, "r1") << "accepting twice is harmless";

  EXPECT_EQ(must(meta_->acceptInvite("inv", "owner", 150)).id, "r1");
  EXPECT_FALSE(must(meta_->isMember("r1", "owner"))) << "the owner is not made a member";

  auto expired = meta_->acceptInvite("inv", "u2", 200);
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().code, "not_found");
  EXPECT_FALSE(must(meta_->isMember("r1", "u2")));
  EXPECT_EQ(meta_->acceptInvite("other", "u2", 0).error().code, "not_found");
  EXPECT_FALSE(meta_->createInvite(makeInvite("i2", "ghost-room", 1, 2), "bad").ok());
}

TEST_F(MetaStoreTest, ARemovedMemberCannotRejoinWithAnInviteMadeBeforeTheRemoval) {
  addRoom(makeRoom("r1", "owner", 1, model::Visibility::kPrivate));
  ASSERT_TRUE(meta_->createInvite(makeInvite("old", "r1", 100, 10000), "old-token").ok());
  must(meta_->acceptInvite("old-token", "u1", 150));
  must(meta_->acceptInvite("old-token", "u2", 150));

  EXPECT_TRUE(must(meta_->removeMember("r1", "u1", 200)));
  auto again = meta_->acceptInvite("old-token", "u1", 300);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, "forbidden");
  EXPECT_FALSE(must(meta_->isMember("r1", "u1")));
  EXPECT_TRUE(must(meta_->isMember("r1", "u2"))) << "other members are not affected";
  must(meta_->acceptInvite("old-token", "u3", 300));  // the link still works for others
  EXPECT_TRUE(must(meta_->isMember("r1", "u3")));

  // An invite made in the same millisecond as the removal does not count as newer.
  ASSERT_TRUE(meta_->createInvite(makeInvite("tie", "r1", 200, 10000), "tie-token").ok());
  EXPECT_EQ(meta_->acceptInvite("tie-token", "u1", 300).error().code, "forbidden");

  // A user removed before ever joining is kept out the same way.
  EXPECT_FALSE(must(meta_->removeMember("r1", "u4", 200)));
  EXPECT_EQ(meta_->acceptInvite("old-token", "u4", 300).error().code, "forbidden");

  // A newer invite is the owner's new decision: it lets u1 back in.
  ASSERT_TRUE(meta_->createInvite(makeInvite("new", "r1", 400, 10000), "new-token").ok());
  must(meta_->acceptInvite("new-token", "u1", 500));
  EXPECT_TRUE(must(meta_->isMember("r1", "u1")));

  // Removed again: the newer invite is now older than the removal.
  must(meta_->removeMember("r1", "u1", 600));
  EXPECT_EQ(meta_->acceptInvite("new-token", "u1", 700).error().code, "forbidden");
  // A removal stamped earlier (a clock step back) does not reopen older invites.
  must(meta_->removeMember("r1", "u1", 50));
  EXPECT_EQ(meta_->acceptInvite("new-token", "u1", 700).error().code, "forbidden");
}

TEST_F(MetaStoreTest, OwnersListLiveInvitesNewestFirstAndRevokeThem) {
  addRoom(makeRoom("r1", "owner", 1));
  addRoom(makeRoom("r2", "owner", 1));
  ASSERT_TRUE(meta_->createInvite(makeInvite("a", "r1", 100, 1000), "ta").ok());
  ASSERT_TRUE(meta_->createInvite(makeInvite("b", "r1", 200, 1000), "tb").ok());
  ASSERT_TRUE(meta_->createInvite(makeInvite("c", "r1", 200, 1000), "tc").ok());
  ASSERT_TRUE(meta_->createInvite(makeInvite("d", "r1", 300, 350), "td").ok());
  ASSERT_TRUE(meta_->createInvite(makeInvite("x", "r2", 300, 1000), "tx").ok());

  auto idsOfInvites = [](const InvitePage& page) {
    std::vector<std::string> ids;
    for (const auto& i : page.invites) ids.push_back(i.id);
    return ids;
  };
  auto first = must(meta_->invites("r1", 340, std::nullopt, 2));
  EXPECT_THAT(idsOfInvites(first), ElementsAre("d", "c"));
  EXPECT_TRUE(first.hasMore);
  ASSERT_EQ(first.invites.size(), 2u);
  EXPECT_EQ(first.invites[0].roomId, "r1");
  EXPECT_EQ(first.invites[0].createdBy, "owner");
  EXPECT_EQ(first.invites[0].createdAt, 300);
  EXPECT_EQ(first.invites[0].expiresAt, 350);
  const Invite& last = first.invites.back();
  auto rest = must(meta_->invites("r1", 340, model::Keyset{last.createdAt, last.id}, 2));
  EXPECT_THAT(idsOfInvites(rest), ElementsAre("b", "a"));
  EXPECT_FALSE(rest.hasMore);
  EXPECT_THAT(idsOfInvites(must(meta_->invites("r1", 350, std::nullopt, 10))),
              ElementsAre("c", "b", "a"))
      << "expired invites are not listed";

  EXPECT_FALSE(must(meta_->revokeInvite("r2", "b"))) << "an invite is revoked through its room";
  EXPECT_TRUE(must(meta_->revokeInvite("r1", "b")));
  EXPECT_FALSE(must(meta_->revokeInvite("r1", "b")));
  EXPECT_EQ(meta_->acceptInvite("tb", "u1", 340).error().code, "not_found");
  EXPECT_EQ(must(meta_->acceptInvite("tc", "u1", 340)).id, "r1") << "only that invite stopped";
  EXPECT_THAT(idsOfInvites(must(meta_->invites("r1", 340, std::nullopt, 10))),
              ElementsAre("d", "c", "a"));

  // A new invite sweeps the room's expired ones out of the table.
  ASSERT_TRUE(meta_->createInvite(makeInvite("e", "r1", 400, 1000), "te").ok());
  meta_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_ / "meta.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT count(*) FROM invites WHERE id = 'd'", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(st, 0), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(MetaStoreTest, InvitesMadeBeforeVersion2KeepWorkingAndGetIds) {
  addRoom(makeRoom("r1", "owner", 1, model::Visibility::kPrivate));
  meta_.reset();
  // The version 1 invites table, with one live invite in it.
  ASSERT_EQ(testutil::rawExec(dir_ / "meta.db",
                              "DROP TABLE invites; DROP TABLE removals;"
                              "CREATE TABLE invites (token_hash TEXT PRIMARY KEY, room_id TEXT "
                              "NOT NULL REFERENCES rooms(id) ON DELETE CASCADE, created_by TEXT "
                              "NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT "
                              "NULL) WITHOUT ROWID; CREATE INDEX invites_room ON invites(room_id);"
                              "INSERT INTO invites VALUES ('v1-token', 'r1', 'owner', 10, 9000);"
                              "PRAGMA user_version = 1"),
            SQLITE_OK);
  meta_ = open();
  ASSERT_TRUE(meta_);
  auto listed = must(meta_->invites("r1", 20, std::nullopt, 10));
  ASSERT_EQ(listed.invites.size(), 1u);
  EXPECT_FALSE(listed.invites[0].id.empty());
  EXPECT_TRUE(isValidId(listed.invites[0].id)) << listed.invites[0].id;
  EXPECT_EQ(listed.invites[0].expiresAt, 9000);
  EXPECT_EQ(must(meta_->acceptInvite("v1-token", "u1", 20)).id, "r1");
  EXPECT_TRUE(must(meta_->revokeInvite("r1", listed.invites[0].id)));
  EXPECT_EQ(meta_->acceptInvite("v1-token", "u2", 20).error().code, "not_found");
}

TEST_F(MetaStoreTest, DeletingARoomRemovesItsMembershipsFavoritesInvitesAndRemovals) {
  addRoom(makeRoom("r1", "owner", 1));
  addRoom(makeRoom("r2", "owner", 2));
  must(meta_->addMember("r1", "u1", 1));
  must(meta_->addMember("r2", "u1", 1));
  must(meta_->setFavorite("r1", "u1", true, 1));
  must(meta_->removeMember("r1", "u2", 1));
  ASSERT_TRUE(meta_->createInvite(makeInvite("i1", "r1", 1, 1000), "inv").ok());

  ASSERT_TRUE(meta_->deleteRoom("r1").ok());
  EXPECT_FALSE(must(meta_->roomById("r1")));
  EXPECT_FALSE(must(meta_->isMember("r1", "u1")));
  EXPECT_FALSE(must(meta_->isFavorite("r1", "u1")));
  EXPECT_EQ(meta_->acceptInvite("inv", "u3", 0).error().code, "not_found");
  EXPECT_THAT(idsOf(must(meta_->favoriteRooms("u1", std::nullopt, 10))), IsEmpty());
  EXPECT_THAT(idsOf(must(meta_->roomsOfUser("u1", std::nullopt, 10))), ElementsAre("r2"));
  EXPECT_EQ(must(meta_->roomCount()), 1);
  EXPECT_EQ(meta_->deleteRoom("r1").error().code, "not_found");

  addRoom(makeRoom("r1", "owner", 3));  // the id can be reused; nothing is left over
  EXPECT_FALSE(must(meta_->isMember("r1", "u1")));
  ASSERT_TRUE(meta_->createInvite(makeInvite("i2", "r1", 5, 1000), "inv2").ok());
  EXPECT_EQ(must(meta_->acceptInvite("inv2", "u2", 6)).id, "r1") << "the old removal went too";
}

TEST_F(MetaStoreTest, StickersAreIdempotentPerUserAndKey) {
  std::string key1(64, '1'), key2(64, '2'), key3(64, '3');
  EXPECT_EQ(meta_->addSticker("u1", key1, 10).error().code, "not_found")
      << "a sticker must be an uploaded image";
  for (const auto& key : {key1, key2, key3}) must(meta_->recordBlob({key, 10, "image/png", 1}, 1));
  Sticker first = must(meta_->addSticker("u1", key1, 10));
  EXPECT_EQ(first.id.size(), 26u);
  EXPECT_EQ(first.key, key1);
  EXPECT_EQ(first.createdAt, 10);
  Sticker again = must(meta_->addSticker("u1", key1, 99));
  EXPECT_EQ(again.id, first.id);
  EXPECT_EQ(again.createdAt, 10);
  Sticker otherUser = must(meta_->addSticker("u2", key1, 10));
  EXPECT_NE(otherUser.id, first.id);

  must(meta_->addSticker("u1", key2, 20));
  must(meta_->addSticker("u1", key3, 20));  // same time: ordered by id
  auto page = must(meta_->stickers("u1", std::nullopt, 2));
  ASSERT_EQ(page.stickers.size(), 2u);
  EXPECT_TRUE(page.hasMore);
  EXPECT_EQ(page.stickers[0].createdAt, 20);
  EXPECT_GT(page.stickers[0].id, page.stickers[1].id);
  auto rest = must(meta_->stickers(
      "u1", model::Keyset{page.stickers.back().createdAt, page.stickers.back().id}, 2));
  ASSERT_EQ(rest.stickers.size(), 1u);
  EXPECT_EQ(rest.stickers[0].id, first.id);
  EXPECT_FALSE(rest.hasMore);

  EXPECT_FALSE(must(meta_->deleteSticker("u2", first.id))) << "only the owner deletes";
  EXPECT_TRUE(must(meta_->deleteSticker("u1", first.id)));
  EXPECT_FALSE(must(meta_->deleteSticker("u1", first.id)));
  EXPECT_EQ(must(meta_->stickers("u1", std::nullopt, 10)).stickers.size(), 2u);
}

TEST_F(MetaStoreTest, DataSurvivesReopen) {
  ASSERT_TRUE(meta_->createUser(makeUser("u1", "alice"), "h").ok());
  addRoom(makeRoom("r1", "u1", 1));
  meta_.reset();
  meta_ = open();
  EXPECT_EQ(must(meta_->userById("u1"))->username, "alice");
  EXPECT_EQ(must(meta_->roomCount()), 1);
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
  must(meta_->setFavorite("room7", "u1", true, 5));

  std::string backup = (dir_ / "backup.db").string();
  ASSERT_TRUE(meta_->backupTo(backup).ok());
  EXPECT_FALSE(std::filesystem::exists(backup + ".partial"));
  ASSERT_TRUE(meta_->backupTo(backup).ok()) << "overwrites an older backup";

  auto copy = openSqliteMetaStore(backup);
  ASSERT_TRUE(copy.ok()) << copy.error().message;
  EXPECT_EQ(must((*copy)->userByUsername("alice"))->user.id, "u1");
  EXPECT_EQ(must((*copy)->roomCount()), 300);
  EXPECT_TRUE(must((*copy)->isFavorite("room7", "u1")));
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
  EXPECT_GT(must((*copy)->roomCount()), -1);
}

// meta.db on a failing disk. Every store call must answer the failure as
// storage_unavailable, leave nothing half written, and count it.
class MetaStoreFaultTest : public MetaStoreTest {
 protected:
  void SetUp() override {
    FaultVfs::install();
    FaultVfs::only("meta.db");
    MetaStoreTest::SetUp();
    ASSERT_TRUE(meta_->createUser(makeUser("u1", "alice"), "h").ok());
    ASSERT_TRUE(meta_->createSession("s1", "u1", 10, 1000000).ok());
    addRoom(makeRoom("r1", "owner", 10, model::Visibility::kPrivate));
    must(meta_->addMember("r1", "u1", 10));
    ASSERT_TRUE(meta_->createInvite(Invite{"i1", "r1", "owner", 10, 1000000}, "t1").ok());
    must(meta_->recordBlob({std::string(64, 'a'), 10, "image/png", 1}, 1));
    must(meta_->recordBlob({std::string(64, 'b'), 10, "image/png", 1}, 1));
    must(meta_->addSticker("u1", std::string(64, 'a'), 10));
    must(meta_->linkIdentity("u1", Identity{"idp", "sub-1", 10}));
  }
  void TearDown() override {
    heal();
    FaultVfs::only("");
  }

  // Every transaction fails to start; reads and writes that would reach
  // the file fail too.
  static void breakDisk() { FaultVfs::failLocks = FaultVfs::failReads = FaultVfs::failWrites = true; }
  static void heal() {
    FaultVfs::failLocks = FaultVfs::failReads = FaultVfs::failWrites = false;
    FaultVfs::readsBeforeFailure = -1;
  }

  template <class R>
  static std::optional<Error> errorOf(const R& r) {
    return r.ok() ? std::nullopt : std::optional<Error>(r.error());
  }
};

TEST_F(MetaStoreFaultTest, EveryCallAnswersAFailingDiskAsStorageUnavailable) {
  const std::optional<model::Keyset> first;
  std::vector<std::pair<std::string, std::function<std::optional<Error>()>>> calls = {
      {"createUser", [&] { return errorOf(meta_->createUser(makeUser("u9", "zed"), "h")); }},
      {"userByUsername", [&] { return errorOf(meta_->userByUsername("alice")); }},
      {"userById", [&] { return errorOf(meta_->userById("u1")); }},
      {"usersByIds", [&] { return errorOf(meta_->usersByIds({"u1"})); }},
      {"updateUser", [&] { return errorOf(meta_->updateUser("u1", "Changed", std::nullopt)); }},
      {"createSession", [&] { return errorOf(meta_->createSession("s9", "u1", 20, 1000)); }},
      {"sessionByHash", [&] { return errorOf(meta_->sessionByHash("s1", 20)); }},
      {"deleteSession", [&] { return errorOf(meta_->deleteSession("s1")); }},
      {"createRoom", [&] { return errorOf(meta_->createRoom(makeRoom("r9", "owner", 20), 10)); }},
      {"roomById", [&] { return errorOf(meta_->roomById("r1")); }},
      {"updateRoom", [&] { return errorOf(meta_->updateRoom("r1", "Changed", std::nullopt)); }},
      {"deleteRoom", [&] { return errorOf(meta_->deleteRoom("r1")); }},
      {"touchRoom", [&] { return errorOf(meta_->touchRoom("r1", 99999)); }},
      {"roomCount", [&] { return errorOf(meta_->roomCount()); }},
      {"roomsOfUser", [&] { return errorOf(meta_->roomsOfUser("u1", first, 10)); }},
      {"publicRooms", [&] { return errorOf(meta_->publicRooms(first, 10)); }},
      {"favoriteRooms", [&] { return errorOf(meta_->favoriteRooms("u1", first, 10)); }},
      {"isMember", [&] { return errorOf(meta_->isMember("r1", "u1")); }},
      {"membership", [&] { return errorOf(meta_->membership("r1", "u1")); }},
      {"addMember", [&] { return errorOf(meta_->addMember("r1", "u2", 20)); }},
      {"removeMember", [&] { return errorOf(meta_->removeMember("r1", "u1", 20)); }},
      {"isFavorite", [&] { return errorOf(meta_->isFavorite("r1", "u1")); }},
      {"setFavorite", [&] { return errorOf(meta_->setFavorite("r1", "u1", true, 20)); }},
      {"createInvite",
       [&] { return errorOf(meta_->createInvite(Invite{"i9", "r1", "owner", 20, 1000}, "t9")); }},
      {"acceptInvite", [&] { return errorOf(meta_->acceptInvite("t1", "u3", 20)); }},
      {"invites", [&] { return errorOf(meta_->invites("r1", 20, first, 10)); }},
      {"revokeInvite", [&] { return errorOf(meta_->revokeInvite("r1", "i1")); }},
      {"stickers", [&] { return errorOf(meta_->stickers("u1", first, 10)); }},
      {"addSticker", [&] { return errorOf(meta_->addSticker("u1", std::string(64, 'b'), 20)); }},
      {"deleteSticker", [&] { return errorOf(meta_->deleteSticker("u1", "any")); }},
      {"blob", [&] { return errorOf(meta_->blob(std::string(64, 'a'))); }},
      {"recordBlob",
       [&] { return errorOf(meta_->recordBlob({std::string(64, 'c'), 1, "image/png", 1}, 20)); }},
      {"touchBlob", [&] { return errorOf(meta_->touchBlob(std::string(64, 'a'), 20)); }},
      {"referenceBlobs",
       [&] { return errorOf(meta_->referenceBlobs("r1", {std::string(64, 'a')}, 20)); }},
      {"roomsReferencing",
       [&] { return errorOf(meta_->roomsReferencing(std::string(64, 'a'), 10)); }},
      {"blobHeldByUser",
       [&] { return errorOf(meta_->blobHeldByUser(std::string(64, 'a'), "u1")); }},
      {"staleBlobRefs", [&] { return errorOf(meta_->staleBlobRefs(20, 10)); }},
      {"dropBlobRef",
       [&] { return errorOf(meta_->dropBlobRef({std::string(64, 'a'), "r1"}, 20)); }},
      {"unusedBlobs", [&] { return errorOf(meta_->unusedBlobs(20, 10)); }},
      {"forgetBlobIfUnused",
       [&] { return errorOf(meta_->forgetBlobIfUnused(std::string(64, 'b'), 20)); }},
      {"backupTo", [&] { return errorOf(meta_->backupTo((dir_ / "backup.db").string())); }},
      {"userByIdentity", [&] { return errorOf(meta_->userByIdentity("idp", "sub-1")); }},
      {"createUserWithIdentity",
       [&] {
         return errorOf(meta_->createUserWithIdentity(makeUser("u8", "oidc8"),
                                                      Identity{"idp", "sub-8", 20}));
       }},
      {"linkIdentity",
       [&] { return errorOf(meta_->linkIdentity("u1", Identity{"idp2", "sub-9", 20})); }},
      {"identities", [&] { return errorOf(meta_->identities("u1")); }},
      {"unlinkIdentity", [&] { return errorOf(meta_->unlinkIdentity("u1", "idp")); }},
  };
  for (const auto& [name, call] : calls) {
    const uint64_t counted = metrics().metaStoreErrors.value();
    breakDisk();
    std::optional<Error> error = call();
    heal();
    ASSERT_TRUE(error) << name << " answered success on a failing disk";
    EXPECT_EQ(error->code, "storage_unavailable") << name << ": " << error->message;
    EXPECT_EQ(metrics().metaStoreErrors.value(), counted + 1) << name << " was not counted";
  }

  // Nothing was written, and the store works again once the disk does.
  EXPECT_FALSE(must(meta_->userById("u9")));
  EXPECT_EQ(must(meta_->userById("u1"))->displayName, "Name of alice");
  EXPECT_TRUE(must(meta_->sessionByHash("s1", 20)));
  EXPECT_FALSE(must(meta_->sessionByHash("s9", 20)));
  auto room = must(meta_->roomById("r1"));
  ASSERT_TRUE(room);
  EXPECT_EQ(room->name, "Room r1");
  EXPECT_EQ(room->lastActiveAt, 10);
  EXPECT_FALSE(must(meta_->roomById("r9")));
  EXPECT_EQ(must(meta_->membership("r1", "u1")).member, true);
  EXPECT_EQ(must(meta_->membership("r1", "u1")).favorite, false);
  EXPECT_FALSE(must(meta_->isMember("r1", "u2")));
  EXPECT_FALSE(must(meta_->isMember("r1", "u3")));
  EXPECT_EQ(must(meta_->invites("r1", 20, first, 10)).invites.size(), 1u);
  EXPECT_EQ(must(meta_->acceptInvite("t1", "u1", 20)).id, "r1") << "no removal was recorded";
  EXPECT_EQ(must(meta_->stickers("u1", first, 10)).stickers.size(), 1u);
  EXPECT_FALSE(must(meta_->blob(std::string(64, 'c'))));
  EXPECT_TRUE(must(meta_->blob(std::string(64, 'b')))) << "the collector removed nothing";
  EXPECT_TRUE(must(meta_->roomsReferencing(std::string(64, 'a'), 10)).empty());
  EXPECT_FALSE(std::filesystem::exists(dir_ / "backup.db"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "backup.db.partial"));
}

// The findings of issue 10, one by one, with only the fault that each meets
// in practice.

TEST_F(MetaStoreFaultTest, AnUnreadableSessionIsAnErrorNotASignedOutUser) {
  meta_.reset();
  meta_ = open();  // a cold page cache: the lookup has to read the file
  FaultVfs::failReads = true;
  auto cold = meta_->sessionByHash("s1", 20);
  FaultVfs::failReads = false;
  ASSERT_FALSE(cold.ok()) << "a read error was taken for an unknown session";
  EXPECT_EQ(cold.error().code, "storage_unavailable");

  ASSERT_TRUE(must(meta_->sessionByHash("s1", 20)));  // warm now
  FaultVfs::failLocks = true;
  auto warm = meta_->sessionByHash("s1", 20);
  auto user = meta_->userById("u1");
  FaultVfs::failLocks = false;
  ASSERT_FALSE(warm.ok());
  EXPECT_EQ(warm.error().code, "storage_unavailable");
  ASSERT_FALSE(user.ok());
  EXPECT_EQ(user.error().code, "storage_unavailable");
}

TEST_F(MetaStoreFaultTest, ALogoutThatCannotBeWrittenSaysSoAndTheSessionStays) {
  FaultVfs::failWrites = true;
  Status deleted = meta_->deleteSession("s1");
  FaultVfs::failWrites = false;
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.error().code, "storage_unavailable");
  EXPECT_TRUE(must(meta_->sessionByHash("s1", 20))) << "the session is still valid";
  must(meta_->deleteSession("s1"));
  EXPECT_FALSE(must(meta_->sessionByHash("s1", 20)));
}

TEST_F(MetaStoreFaultTest, AFavoriteThatCannotBeWrittenSaysSo) {
  FaultVfs::failWrites = true;
  Status set = meta_->setFavorite("r1", "u1", true, 20);
  FaultVfs::failWrites = false;
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.error().code, "storage_unavailable");
  EXPECT_FALSE(must(meta_->isFavorite("r1", "u1")));

  must(meta_->setFavorite("r1", "u1", true, 20));
  FaultVfs::failWrites = true;
  Status unset = meta_->setFavorite("r1", "u1", false, 30);
  FaultVfs::failWrites = false;
  ASSERT_FALSE(unset.ok());
  EXPECT_TRUE(must(meta_->isFavorite("r1", "u1")));
}

TEST_F(MetaStoreFaultTest, AListThatFailsPartWayIsAnErrorNotAShortPage) {
  // Long ids spread the rooms over many pages of the file.
  for (int i = 0; i < 300; ++i)
    addRoom(makeRoom(std::string(300, 'x') + std::to_string(i), "u" + std::to_string(i), i));
  meta_.reset();
  meta_ = open();
  ASSERT_EQ(must(meta_->publicRooms(std::nullopt, 1)).rooms.size(), 1u);  // caches the first pages
  FaultVfs::readsBeforeFailure = 0;  // every page not cached yet fails
  auto page = meta_->publicRooms(std::nullopt, 100);
  FaultVfs::readsBeforeFailure = -1;
  ASSERT_FALSE(page.ok()) << "a read error ended the list early: " << page->rooms.size()
                          << " rooms, hasMore " << page->hasMore;
  EXPECT_EQ(page.error().code, "storage_unavailable");
  EXPECT_EQ(must(meta_->publicRooms(std::nullopt, 100)).rooms.size(), 100u);
}

}  // namespace
}  // namespace roomchat::store
