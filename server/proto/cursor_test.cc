#include "proto/cursor.h"

#include <gtest/gtest.h>

#include <sodium.h>

#include <random>

namespace roomchat::proto {
namespace {

std::string b64(std::string_view raw) {
  std::string out(sodium_base64_ENCODED_LEN(raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                  '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()),
                    raw.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(out.size() - 1);
  return out;
}

TEST(Cursor, KeysetRoundTrips) {
  for (model::Keyset key : {model::Keyset{0, "a"}, model::Keyset{1717000000000, "room_ID-42"},
                            model::Keyset{INT64_MAX, std::string(64, 'z')}}) {
    std::string cursor = encodeCursor(key);
    for (char c : cursor) ASSERT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_');
    std::optional<model::Keyset> back = decodeKeysetCursor(cursor);
    ASSERT_TRUE(back) << cursor;
    EXPECT_EQ(back->at, key.at);
    EXPECT_EQ(back->id, key.id);
  }
}

TEST(Cursor, EncodesCompactJsonAsBase64UrlWithoutPadding) {
  EXPECT_EQ(encodeCursor({5, "ab"}), b64("[5,\"ab\"]"));
  EXPECT_EQ(encodeSeqCursor(12), b64("[12]"));
  EXPECT_EQ(encodeSeqCursor(12).find('='), std::string::npos);
}

TEST(Cursor, SeqRoundTrips) {
  for (int64_t seq : {int64_t{1}, int64_t{42}, INT64_MAX}) {
    EXPECT_EQ(decodeSeqCursor(encodeSeqCursor(seq)), seq);
  }
}

TEST(Cursor, WrongShapesAreRejected) {
  for (std::string raw : {"[5]", "[5,\"a\",1]", "[]", "{}", "5", "\"a\"", "[\"a\",5]",
                          "[5.0,\"a\"]", "[\"5\",\"a\"]", "[-1,\"a\"]", "[5,\"\"]", "[5,\"a b\"]",
                          "[5,\"a/b\"]", "[5,1]", "[5,null]", "[5,[\"a\"]]",
                          "[9223372036854775808,\"a\"]"}) {
    EXPECT_FALSE(decodeKeysetCursor(b64(raw))) << raw;
  }
  EXPECT_FALSE(decodeKeysetCursor(b64("[5,\"" + std::string(65, 'a') + "\"]")));
  for (std::string raw : {"[0]", "[-4]", "[1.5]", "[\"3\"]", "[3,4]", "[]", "3", "[true]",
                          "[5,\"a\"]"}) {
    EXPECT_FALSE(decodeSeqCursor(b64(raw))) << raw;
  }
  // Each kind of cursor is refused by the other decoder.
  EXPECT_FALSE(decodeSeqCursor(encodeCursor({5, "a"})));
  EXPECT_FALSE(decodeKeysetCursor(encodeSeqCursor(5)));
}

TEST(Cursor, OtherSpellingsOfTheSameValueAreRejected) {
  EXPECT_TRUE(decodeKeysetCursor(b64("[5,\"a\"]")));
  EXPECT_FALSE(decodeKeysetCursor(b64("[5, \"a\"]")));
  EXPECT_FALSE(decodeKeysetCursor(b64(" [5,\"a\"]")));
  EXPECT_FALSE(decodeKeysetCursor(b64("[05,\"a\"]")));
  EXPECT_FALSE(decodeKeysetCursor(b64("[5,\"\\u0061\"]")));
  EXPECT_FALSE(decodeSeqCursor(b64("[5]\n")));
  EXPECT_FALSE(decodeSeqCursor(b64("[-0]")));
}

TEST(Cursor, MalformedTextIsRejected) {
  std::string good = encodeCursor({1717000000000, "abc"});
  EXPECT_FALSE(decodeKeysetCursor(""));
  EXPECT_FALSE(decodeKeysetCursor(good + "="));          // padding
  EXPECT_FALSE(decodeKeysetCursor(good + "=="));
  EXPECT_FALSE(decodeKeysetCursor(good.substr(0, good.size() - 1)));
  EXPECT_FALSE(decodeKeysetCursor(good + "A"));
  EXPECT_FALSE(decodeKeysetCursor(" " + good));
  EXPECT_FALSE(decodeKeysetCursor(good + "\n"));
  std::string standard = good;  // standard-alphabet characters are not base64url
  standard[2] = '+';
  EXPECT_FALSE(decodeKeysetCursor(standard));
  standard[2] = '/';
  EXPECT_FALSE(decodeKeysetCursor(standard));
  EXPECT_FALSE(decodeKeysetCursor(std::string(513, 'A')));
  EXPECT_FALSE(decodeSeqCursor("%%%"));
  EXPECT_FALSE(decodeSeqCursor(b64(std::string(300, '['))));
}

TEST(Cursor, TamperedCursorsNeverDecodeToSomethingElse) {
  model::Keyset key{1717000000000, "abcdefghijklmnopqrstuvwxyz"};
  std::string good = encodeCursor(key);
  const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::mt19937 rng(99);
  for (int i = 0; i < 5000; ++i) {
    std::string tampered = good;
    tampered[rng() % tampered.size()] = alphabet[rng() % alphabet.size()];
    std::optional<model::Keyset> back = decodeKeysetCursor(tampered);
    if (tampered == good) {
      EXPECT_TRUE(back);
    } else if (back) {
      // Only another well-formed cursor can decode, and it re-encodes exactly.
      EXPECT_EQ(encodeCursor(*back), tampered);
    }
  }
}

}  // namespace
}  // namespace roomchat::proto
