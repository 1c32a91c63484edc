// Opaque list cursors (API.md "Lists are cursor-paginated"). A cursor is the
// base64url (no padding) of a small JSON array: [time, "id"] for keyset lists,
// [seq] for search. Decoding is strict: anything that is not exactly what
// encode produced answers nullopt, and callers turn that into a 400.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/types.h"

namespace roomchat::proto {

std::string encodeCursor(const model::Keyset& key);
std::optional<model::Keyset> decodeKeysetCursor(std::string_view cursor);

std::string encodeSeqCursor(int64_t seq);
std::optional<int64_t> decodeSeqCursor(std::string_view cursor);

}  // namespace roomchat::proto
