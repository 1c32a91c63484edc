#include "proto/client_frames.h"

#include <algorithm>
#include <initializer_list>
#include <limits>
#include <utility>

#include <nlohmann/json.hpp>

#include "proto/json_text.h"

namespace roomchat::proto {
namespace {

using nlohmann::json;

constexpr int64_t kMaxInt = std::numeric_limits<int64_t>::max();
constexpr int kDefaultHistoryLimit = 25;
constexpr size_t kMaxCallNameChars = 128;  // callUpdate sessionId / trackName
constexpr size_t kMaxConnIdChars = 64;     // callSignal `to`
constexpr size_t kMaxEchoedTypeChars = 32;

// ---- UTF-8 ---------------------------------------------------------------

struct CodePoint {
  char32_t value;
  size_t length;
};

// The code point starting at s[i], or nullopt for anything RFC 3629 forbids:
// stray continuation bytes, truncated sequences, overlongs, surrogates and
// values above U+10FFFF.
std::optional<CodePoint> decodeAt(std::string_view s, size_t i) {
  auto lead = static_cast<unsigned char>(s[i]);
  if (lead < 0x80) return CodePoint{lead, 1};
  size_t length;
  char32_t value, smallest;
  if ((lead & 0xE0) == 0xC0) { length = 2; value = lead & 0x1F; smallest = 0x80; }
  else if ((lead & 0xF0) == 0xE0) { length = 3; value = lead & 0x0F; smallest = 0x800; }
  else if ((lead & 0xF8) == 0xF0) { length = 4; value = lead & 0x07; smallest = 0x10000; }
  else return std::nullopt;
  if (length > s.size() - i) return std::nullopt;
  for (size_t k = 1; k < length; ++k) {
    auto byte = static_cast<unsigned char>(s[i + k]);
    if ((byte & 0xC0) != 0x80) return std::nullopt;
    value = (value << 6) | (byte & 0x3F);
  }
  if (value < smallest || value > 0x10FFFF) return std::nullopt;
  if (value >= 0xD800 && value <= 0xDFFF) return std::nullopt;
  return CodePoint{value, length};
}

// Unicode's White_Space property, plus U+FEFF (a stray BOM), which
// JavaScript's trim() also removes, so client and server agree on "empty".
bool isUnicodeSpace(char32_t c) {
  if ((c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0) return true;
  if (c < 0x1680) return false;
  return c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

bool isControl(char32_t c) {
  return c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == 0x2028 || c == 0x2029;
}

bool isBidiControl(char32_t c) {
  return c == 0x061C || c == 0x200E || c == 0x200F || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2066 && c <= 0x2069);
}

// Unicode's Default_Ignorable_Code_Point (drawn as nothing), plus the braille
// blank, which fonts draw as an empty cell.
bool isInvisible(char32_t c) {
  return c == 0x00AD || c == 0x034F || c == 0x061C || c == 0x115F || c == 0x1160 ||
         c == 0x17B4 || c == 0x17B5 || (c >= 0x180B && c <= 0x180F) ||
         (c >= 0x200B && c <= 0x200F) || (c >= 0x202A && c <= 0x202E) ||
         (c >= 0x2060 && c <= 0x206F) || c == 0x2800 || c == 0x3164 ||
         (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF || c == 0xFFA0 ||
         (c >= 0xFFF0 && c <= 0xFFF8) || (c >= 0x1BCA0 && c <= 0x1BCA3) ||
         (c >= 0x1D173 && c <= 0x1D17A) || (c >= 0xE0000 && c <= 0xE0FFF);
}

// Bytes in the sequence a lead byte announces (1 for anything invalid).
size_t sequenceLength(char lead) {
  auto b = static_cast<unsigned char>(lead);
  if (b >= 0xF0 && b <= 0xF7) return 4;
  if (b >= 0xE0) return b <= 0xEF ? 3 : 1;
  if (b >= 0xC0) return 2;
  return 1;
}

// Where the code point that ends at `end` starts (never before `begin`).
size_t lastCodePointStart(std::string_view s, size_t begin, size_t end) {
  size_t j = end - 1;
  while (j > begin && end - j < 4 && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) --j;
  return j;
}

// ---- Field access ----------------------------------------------------------

enum class Need { kOptional, kRequired };

// Reads fields of one frame object. The first problem is recorded and every
// later read answers nullopt, so a parser reads all its fields straight
// through and checks once at the end. A field that is null counts as absent.
class FieldReader {
 public:
  FieldReader(const json& frame, const Limits& limits) : frame_(frame), limits_(limits) {}

  const Limits& limits() const { return limits_; }
  bool ok() const { return !error_; }
  void echo(std::string clientId) { echo_ = std::move(clientId); }

  template <class Frame>
  ParseResult result(Frame frame) const {
    if (error_) return FrameError{error_->code, error_->message, echo_};
    return ClientFrame{std::move(frame)};
  }

  void fail(const char* code, std::string message) {
    if (!error_) error_ = FrameError{code, std::move(message), std::nullopt};
  }
  void invalid(std::string_view field, std::string_view rule) {
    fail("invalid_field", std::string(field) + " " + std::string(rule));
  }

  // The field's value, or nullptr when absent or null.
  const json* find(const char* name) const {
    auto it = frame_.find(name);
    return it == frame_.end() || it->is_null() ? nullptr : &*it;
  }

  std::optional<int64_t> integer(const char* name, int64_t min, int64_t max, Need need);
  std::optional<bool> boolean(const char* name, Need need);
  std::optional<std::string> string(const char* name, size_t minChars, size_t maxChars,
                                    Need need);
  std::optional<std::string> oneOf(const char* name, std::initializer_list<const char*> values,
                                   Need need);
  std::optional<std::string> text(const char* name, Need need);
  std::vector<std::string> images(const char* name);
  void noImages(const char* name);
  const json* object(const char* name, Need need);

 private:
  // find(), recording "is required" when a required field is missing.
  const json* present(const char* name, Need need) {
    if (!ok()) return nullptr;
    const json* value = find(name);
    if (!value && need == Need::kRequired) invalid(name, "is required");
    return value;
  }

  const json& frame_;
  const Limits& limits_;
  std::optional<FrameError> error_;
  std::optional<std::string> echo_;
};

// A JSON integer (never a float or a string) that fits in int64.
std::optional<int64_t> asInt64(const json& v) {
  if (v.is_number_unsigned()) {
    auto u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(kMaxInt)) return std::nullopt;
    return static_cast<int64_t>(u);
  }
  if (v.is_number_integer()) return v.get<int64_t>();
  return std::nullopt;
}

std::string rangeText(int64_t min, int64_t max) {
  if (max == kMaxInt) return ">= " + std::to_string(min);
  return "in " + std::to_string(min) + ".." + std::to_string(max);
}

std::optional<int64_t> FieldReader::integer(const char* name, int64_t min, int64_t max,
                                            Need need) {
  const json* v = present(name, need);
  if (!v) return std::nullopt;
  std::optional<int64_t> n = asInt64(*v);
  if (!n || *n < min || *n > max) {
    invalid(name, "must be an integer " + rangeText(min, max));
    return std::nullopt;
  }
  return n;
}

std::optional<bool> FieldReader::boolean(const char* name, Need need) {
  const json* v = present(name, need);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    invalid(name, "must be true or false");
    return std::nullopt;
  }
  return v->get<bool>();
}

// Lengths count code points, as everywhere on the wire.
std::optional<std::string> FieldReader::string(const char* name, size_t minChars,
                                               size_t maxChars, Need need) {
  const json* v = present(name, need);
  if (!v) return std::nullopt;
  std::optional<size_t> chars = v->is_string() ? utf8Length(v->get_ref<const std::string&>())
                                               : std::nullopt;
  if (!chars || *chars < minChars || *chars > maxChars) {
    invalid(name, "must be a string of " + std::to_string(minChars) + ".." +
                      std::to_string(maxChars) + " characters");
    return std::nullopt;
  }
  return v->get<std::string>();
}

std::optional<std::string> FieldReader::oneOf(const char* name,
                                              std::initializer_list<const char*> values,
                                              Need need) {
  const json* v = present(name, need);
  if (!v) return std::nullopt;
  if (v->is_string()) {
    for (const char* allowed : values) {
      if (v->get_ref<const std::string&>() == allowed) return std::string(allowed);
    }
  }
  std::string list;
  for (const char* allowed : values) list += (list.empty() ? "" : ", ") + std::string(allowed);
  invalid(name, "must be one of: " + list);
  return std::nullopt;
}

// Message text: trimmed, 1..maxTextChars code points. An optional text that
// trims to nothing (an image caption) is simply absent.
std::optional<std::string> FieldReader::text(const char* name, Need need) {
  const json* v = present(name, need);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    invalid(name, "must be a string");
    return std::nullopt;
  }
  std::string trimmed = trimText(v->get_ref<const std::string&>());
  std::optional<size_t> chars = utf8Length(trimmed);
  if (!chars) {
    invalid(name, "must be valid UTF-8");
  } else if (*chars == 0) {
    if (need == Need::kRequired) invalid(name, "must not be empty");
  } else if (*chars > limits_.maxTextChars) {
    fail("too_long", std::string(name) + " must be at most " +
                         std::to_string(limits_.maxTextChars) + " characters");
  } else {
    return trimmed;
  }
  return std::nullopt;
}

std::vector<std::string> FieldReader::images(const char* name) {
  const json* v = present(name, Need::kRequired);
  if (!v) return {};
  if (!v->is_array() || v->empty() || v->size() > limits_.maxImages) {
    invalid(name, "must be an array of 1.." + std::to_string(limits_.maxImages) + " blob keys");
    return {};
  }
  std::vector<std::string> keys;
  for (size_t i = 0; i < v->size(); ++i) {
    const json& key = (*v)[i];
    if (!key.is_string() || !isBlobKey(key.get_ref<const std::string&>())) {
      invalid(std::string(name) + "[" + std::to_string(i) + "]",
              "must be a blob key (64 lowercase hex)");
      return {};
    }
    keys.push_back(key.get<std::string>());
  }
  return keys;
}

void FieldReader::noImages(const char* name) {
  if (!ok()) return;
  const json* v = find(name);
  if (v && !(v->is_array() && v->empty())) invalid(name, "must be absent for a text message");
}

const json* FieldReader::object(const char* name, Need need) {
  const json* v = present(name, need);
  if (v && !v->is_object()) {
    invalid(name, "must be a JSON object");
    return nullptr;
  }
  return v;
}

// ---- One parser per frame type ---------------------------------------------

ParseResult parseHello(FieldReader& r) {
  return r.result(Hello{r.integer("lastSeq", 0, kMaxInt, Need::kOptional)});
}

ParseResult parseSend(FieldReader& r) {
  Send send;
  // Echoed even when another field fails, so the client can fail that message;
  // never when the clientId itself is invalid (the error would repeat it).
  if (const json* id = r.find("clientId"); id && id->is_string()) {
    const auto chars = utf8Length(id->get_ref<const std::string&>());
    if (chars && *chars >= 1 && *chars <= r.limits().maxClientIdChars)
      r.echo(id->get<std::string>());
  }
  send.clientId =
      r.string("clientId", 1, r.limits().maxClientIdChars, Need::kRequired).value_or("");
  std::optional<std::string> kind = r.oneOf("kind", {"text", "image"}, Need::kRequired);
  send.kind = model::parseMessageKind(kind.value_or("text")).value_or(model::MessageKind::kText);
  if (send.kind == model::MessageKind::kText) {
    send.text = r.text("text", Need::kRequired);
    r.noImages("images");
  } else {
    send.images = r.images("images");
    send.text = r.text("text", Need::kOptional);
  }
  send.replyToSeq = r.integer("replyToSeq", 1, kMaxInt, Need::kOptional);
  return r.result(std::move(send));
}

ParseResult parseHistory(FieldReader& r) {
  History history;
  int maxLimit = r.limits().maxHistoryLimit;
  history.beforeSeq = r.integer("beforeSeq", 1, kMaxInt, Need::kRequired).value_or(0);
  history.limit = static_cast<int>(r.integer("limit", 1, maxLimit, Need::kOptional)
                                       .value_or(std::min(kDefaultHistoryLimit, maxLimit)));
  return r.result(history);
}

ParseResult parseEdit(FieldReader& r) {
  Edit edit;
  edit.seq = r.integer("seq", 1, kMaxInt, Need::kRequired).value_or(0);
  edit.text = r.text("text", Need::kRequired).value_or("");
  return r.result(std::move(edit));
}

ParseResult parseDelete(FieldReader& r) {
  return r.result(Delete{r.integer("seq", 1, kMaxInt, Need::kRequired).value_or(0)});
}

ParseResult parseStatus(FieldReader& r) {
  Status status;
  status.user = r.oneOf("user", {"active", "idle"}, Need::kOptional);
  status.screen = r.oneOf("screen", {"locked", "unlocked"}, Need::kOptional);
  if (r.ok() && !status.user && !status.screen) r.invalid("user", "or screen is required");
  return r.result(std::move(status));
}

ParseResult parseTyping(FieldReader& r) {
  return r.result(Typing{r.boolean("active", Need::kRequired).value_or(false)});
}

ParseResult parseCallJoin(FieldReader& r) { return r.result(CallJoin{}); }
ParseResult parseCallLeave(FieldReader& r) { return r.result(CallLeave{}); }
ParseResult parsePing(FieldReader& r) { return r.result(Ping{}); }

ParseResult parseCallUpdate(FieldReader& r) {
  CallUpdate update;
  update.sessionId = r.string("sessionId", 1, kMaxCallNameChars, Need::kOptional);
  update.trackName = r.string("trackName", 1, kMaxCallNameChars, Need::kOptional);
  update.muted = r.boolean("muted", Need::kOptional);
  return r.result(std::move(update));
}

// The payload is relayed verbatim; its size is already capped by the frame's.
ParseResult parseCallSignal(FieldReader& r) {
  CallSignal signal;
  signal.to = r.string("to", 1, kMaxConnIdChars, Need::kRequired).value_or("");
  if (const json* payload = r.object("payload", Need::kRequired)) {
    signal.payloadJson = dumpSafe(*payload);
  }
  return r.result(std::move(signal));
}

struct FrameType {
  std::string_view name;
  ParseResult (*parse)(FieldReader&);
};

constexpr FrameType kFrameTypes[] = {
    {"hello", parseHello},         {"send", parseSend},           {"history", parseHistory},
    {"edit", parseEdit},           {"delete", parseDelete},       {"status", parseStatus},
    {"typing", parseTyping},       {"callJoin", parseCallJoin},   {"callUpdate", parseCallUpdate},
    {"callLeave", parseCallLeave}, {"callSignal", parseCallSignal}, {"ping", parsePing},
};

FrameError badFrame(std::string message) {
  return FrameError{"bad_frame", std::move(message), std::nullopt};
}

ParseResult parseChecked(std::string_view text, const Limits& limits) {
  if (!nestingWithin(text)) return badFrame("frame nests too deeply");
  json frame = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (frame.is_discarded()) return badFrame("frame is not valid JSON");
  if (!frame.is_object()) return badFrame("frame must be a JSON object");
  auto type = frame.find("type");
  if (type == frame.end() || !type->is_string()) return badFrame("type must be a string");
  const std::string& name = type->get_ref<const std::string&>();
  for (const FrameType& known : kFrameTypes) {
    if (known.name != name) continue;
    FieldReader reader(frame, limits);
    return known.parse(reader);
  }
  return FrameError{"unknown_type",
                    "unknown frame type \"" + utf8Prefix(name, kMaxEchoedTypeChars) + "\"",
                    std::nullopt};
}

}  // namespace

ParseResult parseClientFrame(std::string_view text, const Limits& limits) {
  // Every path above checks types before reading, so nothing should throw;
  // this keeps a missed case (or bad_alloc) from escaping into a handler.
  try {
    return parseChecked(text, limits);
  } catch (const std::exception&) {
    return badFrame("frame could not be read");
  }
}

std::string trimText(std::string_view s) {
  size_t begin = 0;
  size_t end = s.size();
  while (begin < end) {
    std::optional<CodePoint> cp = decodeAt(s.substr(0, end), begin);
    if (!cp || !isUnicodeSpace(cp->value)) break;
    begin += cp->length;
  }
  while (end > begin) {
    size_t start = lastCodePointStart(s, begin, end);
    std::optional<CodePoint> cp = decodeAt(s.substr(0, end), start);
    if (!cp || start + cp->length != end || !isUnicodeSpace(cp->value)) break;
    end = start;
  }
  return std::string(s.substr(begin, end - begin));
}

std::optional<size_t> utf8Length(std::string_view s) {
  size_t count = 0;
  for (size_t i = 0; i < s.size(); ++count) {
    std::optional<CodePoint> cp = decodeAt(s, i);
    if (!cp) return std::nullopt;
    i += cp->length;
  }
  return count;
}

std::string utf8Prefix(std::string_view s, size_t maxChars) {
  size_t i = 0;
  for (size_t n = 0; n < maxChars && i < s.size(); ++n) {
    i += std::min(sequenceLength(s[i]), s.size() - i);
  }
  return std::string(s.substr(0, i));
}

std::optional<std::string> nameFault(std::string_view name) {
  bool visible = false;
  for (size_t i = 0; i < name.size();) {
    std::optional<CodePoint> cp = decodeAt(name, i);
    if (!cp) return "is not valid UTF-8";
    if (isControl(cp->value)) return "may not contain control characters";
    if (isBidiControl(cp->value)) return "may not contain bidirectional controls";
    visible = visible || !(isUnicodeSpace(cp->value) || isInvisible(cp->value));
    i += cp->length;
  }
  if (!visible) return "needs a visible character";
  return std::nullopt;
}

}  // namespace roomchat::proto
