#include "store/room_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>

#include "store/test_support.h"

namespace roomchat::store {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using testutil::FaultVfs;
using testutil::TempDir;

model::Message textMessage(const std::string& text, const std::string& author = "alice",
                           std::optional<std::string> clientId = std::nullopt) {
  model::Message m;
  m.id = "id-" + text;
  m.authorKind = model::AuthorKind::kUser;
  m.authorId = author;
  m.kind = model::MessageKind::kText;
  m.text = text;
  m.createdAt = 1000;
  m.clientId = std::move(clientId);
  return m;
}

// The value of a read that must succeed.
template <class T>
T must(Result<T> r) {
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : T{};
}

std::vector<int64_t> seqsOf(const MessagePage& page) {
  std::vector<int64_t> seqs;
  for (const auto& m : page.messages) seqs.push_back(m.seq);
  return seqs;
}

class RoomStoreTest : public ::testing::Test {
 protected:
  std::unique_ptr<RoomStore> openRoom(bool create = true) {
    auto store = RoomStore::open(file_, "room1", create);
    EXPECT_TRUE(store.ok()) << (store.ok() ? "" : store.error().message);
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Appends n messages "m<seq>" one batch at a time.
  void appendTexts(RoomStore& store, int n) {
    for (int i = 0; i < n; ++i) {
      std::vector<model::Message> batch{textMessage("m" + std::to_string(store.lastSeq() + 1))};
      ASSERT_TRUE(store.append(batch).ok());
    }
  }

  TempDir dir_;
  fs::path file_ = dir_ / "rooms/room1.db";
};

TEST_F(RoomStoreTest, AppendAssignsGapFreeSeqsThatSurviveReopen) {
  auto store = openRoom();
  EXPECT_EQ(store->lastSeq(), 0);
  std::vector<model::Message> batch{textMessage("a"), textMessage("b"), textMessage("c")};
  ASSERT_TRUE(store->append(batch).ok());
  EXPECT_EQ(batch[0].seq, 1);
  EXPECT_EQ(batch[2].seq, 3);
  store.reset();

  store = openRoom(/*create=*/false);
  EXPECT_EQ(store->lastSeq(), 3);
  std::vector<model::Message> more{textMessage("d")};
  ASSERT_TRUE(store->append(more).ok());
  EXPECT_EQ(more[0].seq, 4);
  EXPECT_THAT(seqsOf(must(store->after(0, 10))), ElementsAre(1, 2, 3, 4));
}

TEST_F(RoomStoreTest, EmptyBatchIsANoOp) {
  auto store = openRoom();
  std::vector<model::Message> batch;
  EXPECT_TRUE(store->append(batch).ok());
  EXPECT_EQ(store->lastSeq(), 0);
}

TEST_F(RoomStoreTest, EveryFieldRoundTrips) {
  auto store = openRoom();
  model::Message m = textMessage("hello", "bob", "c-1");
  m.kind = model::MessageKind::kImage;
  m.images = {std::string(64, 'a'), std::string(64, 'b')};
  m.replyTo = model::ReplyRef{7, "carol", model::MessageKind::kImage, "snip"};
  m.editedAt = 2000;
  model::Message system;
  system.id = "sys";
  system.authorKind = model::AuthorKind::kSystem;
  system.text = "room created";
  system.createdAt = 900;
  std::vector<model::Message> batch{m, system};
  ASSERT_TRUE(store->append(batch).ok());

  auto got = must(store->bySeq(1));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->id, "id-hello");
  EXPECT_EQ(got->roomId, "room1");
  EXPECT_EQ(got->authorKind, model::AuthorKind::kUser);
  EXPECT_EQ(got->authorId, "bob");
  EXPECT_EQ(got->kind, model::MessageKind::kImage);
  EXPECT_EQ(got->text, "hello");
  EXPECT_EQ(got->images, m.images);
  ASSERT_TRUE(got->replyTo);
  EXPECT_EQ(got->replyTo->seq, 7);
  EXPECT_EQ(got->replyTo->authorId, "carol");
  EXPECT_EQ(got->replyTo->kind, model::MessageKind::kImage);
  EXPECT_EQ(got->replyTo->snippet, "snip");
  EXPECT_EQ(got->createdAt, 1000);
  EXPECT_EQ(got->editedAt, 2000);
  EXPECT_FALSE(got->deleted);
  EXPECT_EQ(got->clientId, "c-1");

  auto sys = must(store->bySeq(2));
  ASSERT_TRUE(sys);
  EXPECT_EQ(sys->authorKind, model::AuthorKind::kSystem);
  EXPECT_FALSE(sys->authorId);
  EXPECT_TRUE(sys->images.empty());
  EXPECT_FALSE(sys->replyTo);
  EXPECT_FALSE(sys->editedAt);
  EXPECT_FALSE(sys->clientId);
  EXPECT_FALSE(must(store->bySeq(3)));
}

TEST_F(RoomStoreTest, FailingBatchLeavesNothingBehind) {
  auto store = openRoom();
  std::vector<model::Message> first{textMessage("kept", "alice", "c0")};
  ASSERT_TRUE(store->append(first).ok());

  std::vector<model::Message> bad{textMessage("x", "alice", "c1"), textMessage("y"),
                                  textMessage("z", "alice", "c1")};
  Status s = store->append(bad);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "conflict");
  EXPECT_EQ(store->lastSeq(), 1);
  for (const auto& m : bad) EXPECT_EQ(m.seq, 0);
  EXPECT_THAT(seqsOf(must(store->after(0, 10))), ElementsAre(1));
  EXPECT_FALSE(must(store->byClientId("alice", "c1")));
  EXPECT_TRUE(must(store->search("x", 0, 10)).messages.empty());

  std::vector<model::Message> next{textMessage("next")};
  ASSERT_TRUE(store->append(next).ok());
  EXPECT_EQ(next[0].seq, 2);
}

TEST_F(RoomStoreTest, DuplicateClientIdAcrossBatchesIsRefused) {
  auto store = openRoom();
  std::vector<model::Message> a{textMessage("a", "alice", "same")};
  ASSERT_TRUE(store->append(a).ok());
  std::vector<model::Message> b{textMessage("b", "alice", "same")};
  EXPECT_FALSE(store->append(b).ok());
  std::vector<model::Message> other{textMessage("c", "bob", "same")};
  EXPECT_TRUE(store->append(other).ok()) << "clientIds are per author";
  EXPECT_EQ(store->lastSeq(), 2);
}

TEST_F(RoomStoreTest, ByClientIdFindsTheOriginalMessage) {
  auto store = openRoom();
  std::vector<model::Message> batch{textMessage("first", "alice", "c1"),
                                    textMessage("second", "bob", "c1"), textMessage("none")};
  ASSERT_TRUE(store->append(batch).ok());
  auto found = must(store->byClientId("bob", "c1"));
  ASSERT_TRUE(found);
  EXPECT_EQ(found->seq, 2);
  EXPECT_EQ(found->text, "second");
  EXPECT_FALSE(must(store->byClientId("carol", "c1")));
  EXPECT_FALSE(must(store->byClientId("alice", "c2")));
}

TEST_F(RoomStoreTest, PagesOfAnEmptyRoomAreEmpty) {
  auto store = openRoom();
  for (const MessagePage& page : {must(store->before(0, 25)), must(store->after(0, 25))}) {
    EXPECT_TRUE(page.messages.empty());
    EXPECT_FALSE(page.hasMore);
  }
}

TEST_F(RoomStoreTest, BeforePagesBackwardsInAscendingOrder) {
  auto store = openRoom();
  appendTexts(*store, 10);

  auto newest = must(store->before(0, 3));
  EXPECT_THAT(seqsOf(newest), ElementsAre(8, 9, 10));
  EXPECT_TRUE(newest.hasMore);
  EXPECT_THAT(seqsOf(must(store->before(-5, 3))), ElementsAre(8, 9, 10));
  EXPECT_THAT(seqsOf(must(store->before(1000, 2))), ElementsAre(9, 10));

  auto middle = must(store->before(8, 3));
  EXPECT_THAT(seqsOf(middle), ElementsAre(5, 6, 7));
  EXPECT_TRUE(middle.hasMore);

  auto exact = must(store->before(4, 3));  // exactly the last three: nothing older
  EXPECT_THAT(seqsOf(exact), ElementsAre(1, 2, 3));
  EXPECT_FALSE(exact.hasMore);

  auto partial = must(store->before(3, 25));
  EXPECT_THAT(seqsOf(partial), ElementsAre(1, 2));
  EXPECT_FALSE(partial.hasMore);

  auto none = must(store->before(1, 25));
  EXPECT_TRUE(none.messages.empty());
  EXPECT_FALSE(none.hasMore);

  auto all = must(store->before(0, 10));
  EXPECT_EQ(all.messages.size(), 10u);
  EXPECT_FALSE(all.hasMore);
}

TEST_F(RoomStoreTest, AfterPagesForwards) {
  auto store = openRoom();
  appendTexts(*store, 10);

  auto oldest = must(store->after(0, 4));
  EXPECT_THAT(seqsOf(oldest), ElementsAre(1, 2, 3, 4));
  EXPECT_TRUE(oldest.hasMore);

  auto exact = must(store->after(6, 4));
  EXPECT_THAT(seqsOf(exact), ElementsAre(7, 8, 9, 10));
  EXPECT_FALSE(exact.hasMore);

  auto caughtUp = must(store->after(10, 4));
  EXPECT_TRUE(caughtUp.messages.empty());
  EXPECT_FALSE(caughtUp.hasMore);

  auto ahead = must(store->after(99, 4));
  EXPECT_TRUE(ahead.messages.empty());
  EXPECT_FALSE(ahead.hasMore);
}

TEST_F(RoomStoreTest, ZeroLimitAnswersOnlyHasMore) {
  auto store = openRoom();
  appendTexts(*store, 2);
  auto page = must(store->before(0, 0));
  EXPECT_TRUE(page.messages.empty());
  EXPECT_TRUE(page.hasMore);
}

TEST_F(RoomStoreTest, EditMovesTheMessageToItsNewWords) {
  auto store = openRoom();
  std::vector<model::Message> batch{textMessage("original wording")};
  ASSERT_TRUE(store->append(batch).ok());

  model::Message edited = *must(store->bySeq(1));
  edited.text = "replacement phrasing";
  edited.editedAt = 5000;
  ASSERT_TRUE(store->update(edited).ok());

  EXPECT_TRUE(must(store->search("original", 0, 10)).messages.empty());
  auto found = must(store->search("replace", 0, 10));
  ASSERT_EQ(found.messages.size(), 1u);
  EXPECT_EQ(found.messages[0].text, "replacement phrasing");
  EXPECT_EQ(found.messages[0].editedAt, 5000);
}

TEST_F(RoomStoreTest, EditKeepingSomeWordsKeepsThemSearchable) {
  auto store = openRoom();
  std::vector<model::Message> batch{textMessage("shared oldword")};
  ASSERT_TRUE(store->append(batch).ok());
  model::Message edited = batch[0];
  edited.text = "shared newword";
  ASSERT_TRUE(store->update(edited).ok());
  EXPECT_EQ(must(store->search("shared", 0, 10)).messages.size(), 1u);
  EXPECT_EQ(must(store->search("newword", 0, 10)).messages.size(), 1u);
  EXPECT_TRUE(must(store->search("oldword", 0, 10)).messages.empty());
}

TEST_F(RoomStoreTest, DeleteClearsContentAndLeavesSearch) {
  auto store = openRoom();
  model::Message withImages = textMessage("secret plans");
  withImages.images = {std::string(64, 'c')};
  std::vector<model::Message> batch{withImages, textMessage("secret recipe")};
  ASSERT_TRUE(store->append(batch).ok());

  model::Message gone = batch[0];
  gone.deleted = true;
  ASSERT_TRUE(store->update(gone).ok());

  auto stored = must(store->bySeq(1));
  ASSERT_TRUE(stored);
  EXPECT_TRUE(stored->deleted);
  EXPECT_FALSE(stored->text);
  EXPECT_TRUE(stored->images.empty());
  EXPECT_THAT(seqsOf(must(store->search("secret", 0, 10))), ElementsAre(2));
  EXPECT_TRUE(must(store->search("plans", 0, 10)).messages.empty());
  EXPECT_THAT(seqsOf(must(store->before(0, 10))), ElementsAre(1, 2)) << "history keeps the tombstone";
}

// The index is written by the append that makes the tail 64 long, not by
// every commit; until then a search reads the tail from the table.
TEST_F(RoomStoreTest, TheIndexFollowsInBatchesAndSearchStillSeesEveryMessage) {
  auto store = openRoom();
  auto indexedUpto = [&] { return testutil::rawScalar(file_, "SELECT indexed_upto FROM fts_state"); };
  auto indexedRows = [&] { return testutil::rawScalar(file_, "SELECT count(*) FROM messages_fts_docsize"); };
  appendTexts(*store, 10);
  EXPECT_EQ(indexedUpto(), 0);
  EXPECT_EQ(indexedRows(), 0) << "a commit wrote the index";
  EXPECT_THAT(seqsOf(must(store->search("m7", 0, 10))), ElementsAre(7));
  RoomReader reader(file_, "room1");
  EXPECT_THAT(seqsOf(must(reader.search("m7", 0, 10))), ElementsAre(7));

  appendTexts(*store, 54);  // the 64th message
  EXPECT_EQ(indexedUpto(), 64);
  EXPECT_EQ(indexedRows(), 64);
  appendTexts(*store, 3);
  EXPECT_EQ(indexedUpto(), 64);
  EXPECT_THAT(seqsOf(must(reader.search("m7", 0, 10))), ElementsAre(7));
  EXPECT_THAT(seqsOf(must(reader.search("m66", 0, 10))), ElementsAre(66));
  EXPECT_THAT(seqsOf(must(reader.search("m6", 0, 5))), ElementsAre(67, 66, 65, 64, 63))
      << "the tail and the index merge newest first";
  EXPECT_EQ(must(reader.search("m6", 0, 5)).hasMore, true);
  EXPECT_THAT(seqsOf(must(reader.search("m6", 66, 2))), ElementsAre(65, 64));
}

// Edits and deletions on both sides of the mark: the index never holds words
// a message no longer has, and the tail is indexed as it reads when indexed.
TEST_F(RoomStoreTest, EditsAndDeletionsOnEitherSideOfTheIndexMarkStayExact) {
  auto store = openRoom();
  std::vector<model::Message> first{textMessage("alpha indexed"), textMessage("beta indexed")};
  ASSERT_TRUE(store->append(first).ok());
  appendTexts(*store, 62);  // 64: both are in the index now
  std::vector<model::Message> tail{textMessage("gamma tail"), textMessage("delta tail")};
  ASSERT_TRUE(store->append(tail).ok());  // 65, 66: not yet

  auto edit = [&](int64_t seq, std::optional<std::string> text) {
    model::Message m = *must(store->bySeq(seq));
    if (text) m.text = *text;
    else m.deleted = true;
    ASSERT_TRUE(store->update(m).ok());
  };
  edit(1, "alpha rewritten");
  edit(2, std::nullopt);
  edit(65, "gamma rewritten");
  edit(66, std::nullopt);
  auto check = [&](const char* when) {
    EXPECT_TRUE(must(store->search("indexed", 0, 10)).messages.empty()) << when;
    EXPECT_THAT(seqsOf(must(store->search("rewritten", 0, 10))), ElementsAre(65, 1)) << when;
    EXPECT_TRUE(must(store->search("delta", 0, 10)).messages.empty()) << when;
    EXPECT_TRUE(must(store->search("beta", 0, 10)).messages.empty()) << when;
  };
  check("before the tail is indexed");
  appendTexts(*store, 62);  // 128: the tail goes into the index as it reads now
  EXPECT_EQ(testutil::rawScalar(file_, "SELECT indexed_upto FROM fts_state"), 128);
  check("after");
  // The index agrees with its content table (FTS5's own consistency check).
  EXPECT_EQ(testutil::rawExec(file_, "INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')"),
            SQLITE_OK);
}

// A room indexes its tail as it closes, so a woken room starts fully indexed.
TEST_F(RoomStoreTest, CloseIndexesTheTail) {
  auto store = openRoom();
  appendTexts(*store, 5);
  ASSERT_TRUE(store->close().ok());
  EXPECT_EQ(testutil::rawScalar(file_, "SELECT indexed_upto FROM fts_state"), 5);
  EXPECT_EQ(testutil::rawScalar(file_, "SELECT count(*) FROM messages_fts_docsize"), 5);
  EXPECT_THAT(seqsOf(must(openRoom(false)->search("m3", 0, 10))), ElementsAre(3));
}

// A file written by the previous schema (every commit indexed) opens with
// its whole history marked indexed, and edits keep the index exact.
TEST_F(RoomStoreTest, AVersionOneFileMigratesWithItsIndexMarkedComplete) {
  {
    auto store = openRoom();
    appendTexts(*store, 3);
  }
  // Back to version 1 as it was: the old triggers, no fts_state, every row indexed.
  ASSERT_EQ(testutil::rawExec(file_, R"sql(
    DROP INDEX messages_reply;
    DROP TABLE fts_state; DROP TRIGGER messages_fts_delete; DROP TRIGGER messages_fts_update;
    INSERT INTO messages_fts(rowid, text) SELECT seq, text FROM messages;
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
    WHEN new.deleted = 0 AND new.text IS NOT NULL BEGIN
      INSERT INTO messages_fts(rowid, text) VALUES (new.seq, new.text); END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
    WHEN old.deleted = 0 AND old.text IS NOT NULL BEGIN
      INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.seq, old.text); END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF text, deleted ON messages BEGIN
      INSERT INTO messages_fts(messages_fts, rowid, text)
        SELECT 'delete', old.seq, old.text WHERE old.deleted = 0 AND old.text IS NOT NULL;
      INSERT INTO messages_fts(rowid, text)
        SELECT new.seq, new.text WHERE new.deleted = 0 AND new.text IS NOT NULL; END;
    PRAGMA user_version = 1;)sql"),
            SQLITE_OK);
  auto store = openRoom(false);
  ASSERT_TRUE(store);
  EXPECT_EQ(testutil::rawScalar(file_, "PRAGMA user_version"), 3);
  EXPECT_EQ(testutil::rawScalar(file_, "SELECT indexed_upto FROM fts_state"), 3);
  model::Message m = *must(store->bySeq(2));
  m.text = "renamed";
  ASSERT_TRUE(store->update(m).ok());
  EXPECT_TRUE(must(store->search("m2", 0, 10)).messages.empty());
  EXPECT_THAT(seqsOf(must(store->search("renamed", 0, 10))), ElementsAre(2));
  EXPECT_EQ(testutil::rawExec(file_, "INSERT INTO messages_fts(messages_fts) VALUES('integrity-check')"),
            SQLITE_OK);
}

TEST_F(RoomStoreTest, DeletingAMessageEmptiesTheQuotesOfItsReplies) {
  auto store = openRoom();
  std::vector<model::Message> first{textMessage("the safe code is 7781"), textMessage("other")};
  first[0].id = "id-1";  // textMessage's id repeats the text
  ASSERT_TRUE(store->append(first).ok());
  auto replyTo = [](const model::Message& m) {
    model::Message r = textMessage("reply to " + std::to_string(m.seq));
    r.replyTo = model::ReplyRef{m.seq, m.authorId, m.kind, *m.text};
    return r;
  };
  std::vector<model::Message> replies{replyTo(first[0]), replyTo(first[0]), replyTo(first[1])};
  ASSERT_TRUE(store->append(replies).ok());

  model::Message gone = first[0];
  gone.deleted = true;
  ASSERT_TRUE(store->update(gone).ok());

  for (int64_t seq : {3, 4}) {
    auto reply = must(store->bySeq(seq));
    ASSERT_TRUE(reply && reply->replyTo) << seq;
    EXPECT_EQ(reply->replyTo->seq, 1) << "the reply still says what it answered";
    EXPECT_EQ(reply->replyTo->snippet, "") << seq;
  }
  EXPECT_EQ(must(store->bySeq(5))->replyTo->snippet, "other") << "other quotes are kept";
  for (const auto& m : must(store->before(0, 10)).messages)
    if (m.replyTo) EXPECT_NE(m.replyTo->snippet, "the safe code is 7781");
}

TEST_F(RoomStoreTest, ADeletedMessageLeavesTheFilesAfterACheckpointAndClose) {
  auto contains = [](const fs::path& file, const std::string& needle) {
    std::ifstream in(file, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return bytes.find(needle) != std::string::npos;
  };
  const fs::path wal = file_.string() + "-wal";
  {
    RoomStoreOptions manual{false, true};
    auto store = RoomStore::open(file_, "room1", true, manual);
    ASSERT_TRUE(store.ok());
    std::vector<model::Message> batch{textMessage("alpha"),
                                      textMessage("vault combination quokkazebra"),
                                      textMessage("omega")};
    batch[1].id = "id-2";  // textMessage's id repeats the text
    ASSERT_TRUE((*store)->append(batch).ok());
    ASSERT_TRUE(RoomStore::checkpoint(file_, CheckpointMode::kPassive, manual).ok());
    ASSERT_TRUE(contains(file_, "vault combination quokkazebra")) << "the detector works";
    model::Message gone = batch[1];
    gone.deleted = true;
    ASSERT_TRUE((*store)->update(gone).ok());
    ASSERT_TRUE(RoomStore::checkpoint(file_, CheckpointMode::kTruncate, manual).ok());
    EXPECT_FALSE(contains(file_, "vault combination")) << "the text is still in the file";
    EXPECT_FALSE(contains(wal, "vault combination")) << "the text is still in the WAL";
    ASSERT_TRUE((*store)->close().ok());
  }
  EXPECT_FALSE(contains(file_, "quokkazebra")) << "a word is still in the search index";
  auto store = openRoom(false);
  EXPECT_TRUE(must(store->search("quokkazebra", 0, 10)).messages.empty());
  EXPECT_THAT(seqsOf(must(store->search("omega", 0, 10))), ElementsAre(3));
}

TEST_F(RoomStoreTest, DeletedOrUnknownMessagesCannotBeUpdated) {
  auto store = openRoom();
  std::vector<model::Message> batch{textMessage("short lived")};
  ASSERT_TRUE(store->append(batch).ok());
  model::Message m = batch[0];
  m.deleted = true;
  ASSERT_TRUE(store->update(m).ok());

  m.deleted = false;
  m.text = "resurrected";
  Status s = store->update(m);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "not_found");
  EXPECT_TRUE(must(store->search("resurrected", 0, 10)).messages.empty());

  m.seq = 42;
  EXPECT_EQ(store->update(m).error().code, "not_found");
}

TEST_F(RoomStoreTest, SearchMatchesPrefixesNewestFirst) {
  auto store = openRoom();
  std::vector<model::Message> batch{textMessage("Deployment finished"),
                                    textMessage("nothing here"),
                                    textMessage("deploying again tomorrow"),
                                    textMessage("café au lait")};
  ASSERT_TRUE(store->append(batch).ok());

  EXPECT_THAT(seqsOf(must(store->search("depl", 0, 10))), ElementsAre(3, 1));
  EXPECT_THAT(seqsOf(must(store->search("DEPLOY", 0, 10))), ElementsAre(3, 1)) << "case folded";
  EXPECT_THAT(seqsOf(must(store->search("deploy tom", 0, 10))), ElementsAre(3)) << "words are ANDed";
  EXPECT_THAT(seqsOf(must(store->search("cafe", 0, 10))), ElementsAre(4)) << "diacritics folded";
  EXPECT_TRUE(must(store->search("ployment", 0, 10)).messages.empty()) << "prefixes, not infixes";
  EXPECT_TRUE(must(store->search("   ", 0, 10)).messages.empty());
}

TEST_F(RoomStoreTest, SearchPagesWithBeforeSeq) {
  auto store = openRoom();
  for (int i = 0; i < 7; ++i) {
    std::vector<model::Message> batch{textMessage("needle " + std::to_string(i)),
                                      textMessage("hay")};
    ASSERT_TRUE(store->append(batch).ok());
  }
  auto first = must(store->search("needle", 0, 3));
  EXPECT_THAT(seqsOf(first), ElementsAre(13, 11, 9));
  EXPECT_TRUE(first.hasMore);
  auto second = must(store->search("needle", first.messages.back().seq, 3));
  EXPECT_THAT(seqsOf(second), ElementsAre(7, 5, 3));
  EXPECT_TRUE(second.hasMore);
  auto last = must(store->search("needle", second.messages.back().seq, 3));
  EXPECT_THAT(seqsOf(last), ElementsAre(1));
  EXPECT_FALSE(last.hasMore);
}

TEST_F(RoomStoreTest, SearchNeverInterpretsTheQueryAsFtsSyntax) {
  auto store = openRoom();
  std::vector<model::Message> batch{
      textMessage("alpha AND beta"), textMessage("gamma (delta) epsilon-zeta"),
      textMessage("say \"hi\" now"), textMessage("star * power"), textMessage("android NEAR")};
  ASSERT_TRUE(store->append(batch).ok());

  for (const char* q :
       {"\"", "\"\"", "\"unbalanced", "*", "**", "a*b", "AND", "OR", "NOT", "alpha AND",
        "alpha OR beta", "NOT alpha", "-", "-alpha", "(", ")", "(delta", "text:alpha",
        "NEAR(alpha beta)", "^alpha", "{text}: alpha", "+", "\\", "'", ";", "\x01", "\xff\xfe",
        "alpha\"beta", "zeta\" OR \"alpha"}) {
    SCOPED_TRACE(q);
    (void)store->search(q, 0, 10);  // must not fail or crash
  }
  EXPECT_THAT(seqsOf(must(store->search("(delta)", 0, 10))), ElementsAre(2));
  EXPECT_THAT(seqsOf(must(store->search("epsilon-zeta", 0, 10))), ElementsAre(2));
  EXPECT_THAT(seqsOf(must(store->search("\"hi\"", 0, 10))), ElementsAre(3));
  EXPECT_THAT(seqsOf(must(store->search("AND", 0, 10))), ElementsAre(5, 1))
      << "AND is a word prefix (and, android), not an operator";
  EXPECT_TRUE(must(store->search("alpha OR gamma", 0, 10)).messages.empty())
      << "OR is a word too: no message has alpha, or* and gamma";
  EXPECT_TRUE(must(store->search("NOT alpha", 0, 10)).messages.empty());
  EXPECT_TRUE(must(store->search("zeta\" OR \"alpha", 0, 10)).messages.empty());
}

TEST_F(RoomStoreTest, OpeningAMissingFileCreatesNothing) {
  auto store = RoomStore::open(file_, "room1", /*create=*/false);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, "not_found");
  EXPECT_FALSE(fs::exists(file_));
  EXPECT_FALSE(fs::exists(file_.parent_path()));
  EXPECT_FALSE(fs::exists(file_.string() + "-wal"));
}

TEST_F(RoomStoreTest, CreateMakesParentDirectories) {
  auto store = RoomStore::open(dir_ / "a/b/c/room.db", "room1", /*create=*/true);
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_TRUE(fs::exists(dir_ / "a/b/c/room.db"));
}

TEST_F(RoomStoreTest, GarbageFileIsStorageUnavailable) {
  fs::create_directories(file_.parent_path());
  {
    std::ofstream out(file_, std::ios::binary);
    std::mt19937 rng(7);
    for (int i = 0; i < 8192; ++i) out.put(static_cast<char>(rng()));
  }
  auto store = RoomStore::open(file_, "room1", /*create=*/false);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, "storage_unavailable");
  EXPECT_FALSE(store.error().message.empty());
}

TEST_F(RoomStoreTest, TextFileIsStorageUnavailable) {
  fs::create_directories(file_.parent_path());
  std::ofstream(file_) << "this is not a database, just a file that happens to be here\n";
  auto store = RoomStore::open(file_, "room1", /*create=*/true);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, "storage_unavailable");
}

TEST_F(RoomStoreTest, DirectoryInPlaceOfTheFileIsStorageUnavailable) {
  fs::create_directories(file_);
  auto store = RoomStore::open(file_, "room1", /*create=*/false);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, "storage_unavailable");
}

TEST_F(RoomStoreTest, CorruptPagesNeverCrash) {
  {
    auto store = openRoom();
    for (int i = 0; i < 20; ++i) {
      std::vector<model::Message> batch;
      for (int j = 0; j < 50; ++j) batch.push_back(textMessage(std::string(200, 'a' + j % 26)));
      ASSERT_TRUE(store->append(batch).ok());
    }
  }
  auto size = fs::file_size(file_);
  ASSERT_GT(size, 3 * 4096u);
  {
    std::fstream f(file_, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(2 * 4096);
    for (int i = 0; i < 4096 * 2; ++i) f.put(static_cast<char>(0xA5));
  }
  auto store = RoomStore::open(file_, "room1", /*create=*/false);
  if (!store.ok()) {
    EXPECT_EQ(store.error().code, "storage_unavailable");
    return;
  }
  (void)(*store)->before(0, 100);
  (void)(*store)->after(0, 100);
  (void)(*store)->search("aaa", 0, 10);
  std::vector<model::Message> batch{textMessage("after corruption")};
  Status s = (*store)->append(batch);
  if (!s.ok()) {
    EXPECT_EQ(s.error().code, "storage_unavailable");
  }
}

TEST_F(RoomStoreTest, NewerSchemaIsRefused) {
  openRoom().reset();
  ASSERT_EQ(testutil::rawExec(file_, "PRAGMA user_version = 999"), SQLITE_OK);
  auto store = RoomStore::open(file_, "room1", /*create=*/false);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code, "storage_version");
}

TEST_F(RoomStoreTest, OpenWithSynchronousFull) {
  auto store = RoomStore::open(file_, "room1", true, RoomStoreOptions{.synchronousFull = true});
  ASSERT_TRUE(store.ok());
  std::vector<model::Message> batch{textMessage("durable")};
  EXPECT_TRUE((*store)->append(batch).ok());
}

TEST_F(RoomStoreTest, DestroyRemovesTheDatabaseAndItsCompanions) {
  auto store = openRoom();
  appendTexts(*store, 3);
  // A clean close removes -wal and -shm; recreate them as a crash leaves them.
  store.reset();
  std::ofstream(file_.string() + "-wal") << "x";
  std::ofstream(file_.string() + "-shm") << "x";

  ASSERT_TRUE(RoomStore::destroy(file_).ok());
  EXPECT_FALSE(fs::exists(file_));
  EXPECT_FALSE(fs::exists(file_.string() + "-wal"));
  EXPECT_FALSE(fs::exists(file_.string() + "-shm"));
  EXPECT_EQ(RoomStore::open(file_, "room1", false).error().code, "not_found");
  EXPECT_TRUE(RoomStore::destroy(file_).ok()) << "idempotent";
}

TEST_F(RoomStoreTest, FullDiskRollsBackTheWholeBatch) {
  FaultVfs::install();
  auto store = openRoom();
  appendTexts(*store, 5);

  std::vector<model::Message> batch;
  for (int i = 0; i < 50; ++i) batch.push_back(textMessage("lost " + std::to_string(i)));
  FaultVfs::failWrites = true;
  Status s = store->append(batch);
  FaultVfs::failWrites = false;

  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "storage_unavailable");
  EXPECT_EQ(store->lastSeq(), 5);
  for (const auto& m : batch) EXPECT_EQ(m.seq, 0);
  EXPECT_THAT(seqsOf(must(store->before(0, 100))), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_TRUE(must(store->search("lost", 0, 10)).messages.empty());

  std::vector<model::Message> next{textMessage("recovered")};
  ASSERT_TRUE(store->append(next).ok());
  EXPECT_EQ(next[0].seq, 6);
  store.reset();
  EXPECT_EQ(openRoom(false)->lastSeq(), 6);
}

TEST_F(RoomStoreTest, ReadFailuresAreErrorsNotEmptyPages) {
  FaultVfs::install();
  {
    auto store = openRoom();
    for (int i = 0; i < 10; ++i) {
      std::vector<model::Message> batch;
      for (int j = 0; j < 50; ++j) batch.push_back(textMessage(std::string(200, 'a' + j % 26)));
      ASSERT_TRUE(store->append(batch).ok());
    }
  }
  auto store = openRoom(false);  // a fresh page cache: the oldest pages are read from the file
  FaultVfs::failReads = true;
  auto oldest = store->after(0, 25);
  auto one = store->bySeq(1);
  auto dedup = store->byClientId("alice", "none");
  FaultVfs::failReads = false;
  ASSERT_FALSE(oldest.ok());
  EXPECT_EQ(oldest.error().code, "storage_unavailable");
  ASSERT_FALSE(one.ok());
  EXPECT_EQ(one.error().code, "storage_unavailable");
  ASSERT_FALSE(dedup.ok());
  EXPECT_EQ(dedup.error().code, "storage_unavailable");
  EXPECT_EQ(must(store->after(0, 25)).messages.size(), 25u) << "a passing fault leaves no trace";

  RoomReader reader(file_, "room1");
  FaultVfs::failReads = true;
  auto page = reader.before(0, 25);
  auto found = reader.search("aaa", 0, 10);
  FaultVfs::failReads = false;
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().code, "storage_unavailable");
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().code, "storage_unavailable");
  EXPECT_EQ(must(reader.before(0, 25)).messages.size(), 25u) << "the reader opens on a later call";
}

TEST_F(RoomStoreTest, ReaderSeesEveryCommitAndStopsForGoodWhenClosed) {
  auto store = openRoom();
  RoomReader reader(file_, "room1");
  EXPECT_TRUE(must(reader.before(0, 25)).messages.empty());
  appendTexts(*store, 3);
  EXPECT_THAT(seqsOf(must(reader.before(0, 25))), ElementsAre(1, 2, 3));
  std::vector<model::Message> batch{textMessage("findable words")};
  ASSERT_TRUE(store->append(batch).ok());
  EXPECT_THAT(seqsOf(must(reader.search("findable", 0, 10))), ElementsAre(4));

  reader.close();
  auto closed = reader.before(0, 25);
  ASSERT_FALSE(closed.ok());
  EXPECT_EQ(closed.error().code, "storage_unavailable");
}

TEST_F(RoomStoreTest, ReaderOfAMissingFileCreatesNothing) {
  RoomReader reader(file_, "room1");
  auto page = reader.before(0, 25);
  ASSERT_FALSE(page.ok());
  EXPECT_EQ(page.error().code, "not_found");
  EXPECT_FALSE(fs::exists(file_));
}

// Enough 2 KB messages, one per commit, to pass SQLite's 1000-page
// auto-checkpoint threshold several times.
void appendPages(RoomStore& store, int commits) {
  for (int i = 0; i < commits; ++i) {
    std::vector<model::Message> batch{textMessage(std::string(2000, 'x') + std::to_string(i))};
    ASSERT_TRUE(store.append(batch).ok());
  }
}

TEST_F(RoomStoreTest, ManualCheckpointsLeaveTheCommitAndRunElsewhere) {
  RoomStoreOptions options{.manualCheckpoints = true};
  auto opened = RoomStore::open(file_, "room1", true, options);
  ASSERT_TRUE(opened.ok());
  auto& store = *opened;
  appendPages(*store, 1500);
  EXPECT_GT(store->walPages(), 1500) << "no checkpoint ran inside a commit";

  ASSERT_TRUE(RoomStore::checkpoint(file_, CheckpointMode::kPassive, options).ok());
  appendPages(*store, 1);  // the first commit after a complete checkpoint starts the WAL over
  EXPECT_LT(store->walPages(), 10);
  EXPECT_EQ(store->lastSeq(), 1501);
  EXPECT_EQ(must(store->bySeq(1500))->text, std::string(2000, 'x') + "1499");
}

TEST_F(RoomStoreTest, CheckpointOfAMissingFileIsNotFoundAndCreatesNothing) {
  Status s = RoomStore::checkpoint(file_, CheckpointMode::kPassive, {});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, "not_found");
  EXPECT_FALSE(fs::exists(file_));
}

TEST_F(RoomStoreTest, CloseEmptiesTheWalAndRefusesLaterCalls) {
  auto opened = RoomStore::open(file_, "room1", true, {.manualCheckpoints = true});
  ASSERT_TRUE(opened.ok());
  auto& store = *opened;
  appendPages(*store, 200);
  RoomReader other(file_, "room1");  // keeps SQLite's own close-checkpoint from running
  ASSERT_TRUE(other.before(0, 1).ok());
  ASSERT_TRUE(store->close().ok());
  EXPECT_EQ(fs::file_size(file_.string() + "-wal"), 0u) << "TRUNCATE, not left to the next open";
  EXPECT_FALSE(store->before(0, 1).ok());
  std::vector<model::Message> batch{textMessage("late")};
  EXPECT_FALSE(store->append(batch).ok());
  other.close();
  EXPECT_EQ(openRoom(false)->lastSeq(), 200);
}

// ---- Timing: prints, never asserts (machines differ), so it is not part of
// the suite: run it with --gtest_also_run_disabled_tests --gtest_filter=*Timing.
// The figures that matter live in bench/ and docs/benchmarks.md.

int64_t medianMicros(std::vector<int64_t> samples) {
  std::sort(samples.begin(), samples.end());
  return samples[samples.size() / 2];
}

template <class F>
int64_t timeMicros(F&& f) {
  auto start = std::chrono::steady_clock::now();
  f();
  auto end = std::chrono::steady_clock::now();
  return std::chrono::duration_cast<std::chrono::microseconds>(end - start).count();
}

// Fills the room with n chat-like messages in batches of 1000: five words
// from a small vocabulary (each in about a third of the messages, like "the")
// and one from a long tail of 5,000 ("w0".."w4999", each in ~20 messages).
void fill(RoomStore& store, int n) {
  static const char* kWords[] = {"hello", "deploy", "lunch", "meeting", "coffee", "review",
                                 "branch", "merge", "release", "ticket", "weekend", "build"};
  std::mt19937 rng(42);
  while (store.lastSeq() < n) {
    std::vector<model::Message> batch;
    for (int i = 0; i < 1000 && store.lastSeq() + i < n; ++i) {
      std::string text;
      for (int w = 0; w < 5; ++w) text += std::string(kWords[rng() % 12]) + " ";
      text += "w" + std::to_string(rng() % 5000);
      batch.push_back(textMessage(text, "u" + std::to_string(rng() % 50),
                                  "c" + std::to_string(store.lastSeq() + i)));
    }
    ASSERT_TRUE(store.append(batch).ok());
  }
}

TEST_F(RoomStoreTest, DISABLED_Timing) {
  {
    auto store = openRoom();
    fill(*store, 1000);
  }
  std::vector<int64_t> opens, firstPages;
  for (int i = 0; i < 101; ++i) {
    std::unique_ptr<RoomStore> store;
    opens.push_back(timeMicros([&] { store = std::move(RoomStore::open(file_, "r", false)).value(); }));
    firstPages.push_back(timeMicros([&] { (void)store->before(0, 25); }));
  }
  std::printf("[timing] cold open, 1,000 messages: median %lld us (first before(0,25) after it: %lld us)\n",
              static_cast<long long>(medianMicros(opens)),
              static_cast<long long>(medianMicros(firstPages)));

  fs::path big = dir_ / "big.db";
  auto store = std::move(RoomStore::open(big, "big", true)).value();
  int64_t fillUs = timeMicros([&] { fill(*store, 100'000); });
  std::printf("[timing] append 100,000 messages in batches of 1000: %lld ms\n",
              static_cast<long long>(fillUs / 1000));

  std::vector<int64_t> singles;
  for (int i = 0; i < 501; ++i) {
    std::vector<model::Message> one{textMessage("one more message about lunch", "u1")};
    singles.push_back(timeMicros([&] { ASSERT_TRUE(store->append(one).ok()); }));
  }
  std::printf("[timing] append of one message (its own transaction) on 100,000: median %lld us\n",
              static_cast<long long>(medianMicros(singles)));

  std::mt19937 rng(1);
  std::vector<int64_t> pages, newest;
  for (int i = 0; i < 1001; ++i) {
    int64_t at = 1 + static_cast<int64_t>(rng() % 100'000);
    pages.push_back(timeMicros([&] { (void)store->before(at, 25); }));
    newest.push_back(timeMicros([&] { (void)store->before(0, 25); }));
  }
  std::printf("[timing] before(random, 25) on 100,000 messages: median %lld us; before(0, 25): %lld us\n",
              static_cast<long long>(medianMicros(pages)), static_cast<long long>(medianMicros(newest)));
  for (const char* q : {"w4242", "w42", "deploy", "dep", "coffee lunch", "zzz"}) {
    std::vector<int64_t> searches;
    for (int i = 0; i < 21; ++i) searches.push_back(timeMicros([&] { (void)store->search(q, 0, 25); }));
    std::printf("[timing] search(\"%s\", 25 newest) on 100,000 messages: median %lld us\n", q,
                static_cast<long long>(medianMicros(searches)));
  }
}

}  // namespace
}  // namespace roomchat::store
