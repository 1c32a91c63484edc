// Fuzzes the list-cursor codec (proto/cursor.h). A cursor arrives as a query
// parameter, so its decoders face arbitrary bytes. Promises checked:
//  - decodeKeysetCursor / decodeSeqCursor never crash, leak or trip UBSan;
//  - whatever they accept is in range (time >= 0 and a valid id; seq >= 1)
//    and re-encodes to exactly the input: a cursor has one spelling;
//  - the other direction: every in-range value built from the input encodes
//    to a cursor that decodes back to that value, and only by its own decoder.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "base/ids.h"
#include "check.h"
#include "proto/cursor.h"

namespace {

using namespace roomchat;

void checkDecode(std::string_view input) {
  if (std::optional<model::Keyset> key = proto::decodeKeysetCursor(input)) {
    FUZZ_CHECK(key->at >= 0, "keyset time");
    FUZZ_CHECK(isValidId(key->id), "keyset id");
    FUZZ_CHECK(proto::encodeCursor(*key) == input, "keyset cursor does not re-encode");
  }
  if (std::optional<int64_t> seq = proto::decodeSeqCursor(input)) {
    FUZZ_CHECK(*seq >= 1, "seq");
    FUZZ_CHECK(proto::encodeSeqCursor(*seq) == input, "seq cursor does not re-encode");
  }
}

// Builds values from the input (first 8 bytes: the number, the rest: the id)
// and round-trips them through encode and decode.
void checkEncode(const uint8_t* data, size_t size) {
  int64_t n = 0;
  std::memcpy(&n, data, std::min(size, sizeof n));
  std::string id(reinterpret_cast<const char*>(data) + std::min(size, sizeof n),
                 size - std::min(size, sizeof n));

  model::Keyset key{n, id};
  std::string cursor = proto::encodeCursor(key);
  std::optional<model::Keyset> back = proto::decodeKeysetCursor(cursor);
  if (n >= 0 && isValidId(id)) {
    FUZZ_CHECK(back && back->at == n && back->id == id, "keyset round trip");
  } else {
    FUZZ_CHECK(!back, "out-of-range keyset decoded");
  }
  FUZZ_CHECK(!proto::decodeSeqCursor(cursor), "keyset cursor decoded as seq");

  std::string seqCursor = proto::encodeSeqCursor(n);
  std::optional<int64_t> seq = proto::decodeSeqCursor(seqCursor);
  if (n >= 1) {
    FUZZ_CHECK(seq && *seq == n, "seq round trip");
  } else {
    FUZZ_CHECK(!seq, "out-of-range seq decoded");
  }
  FUZZ_CHECK(!proto::decodeKeysetCursor(seqCursor), "seq cursor decoded as keyset");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  checkDecode(std::string_view(reinterpret_cast<const char*>(data), size));
  checkEncode(data, size);
  return 0;
}
