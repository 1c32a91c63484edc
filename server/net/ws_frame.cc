#include "net/ws_frame.h"

#include <algorithm>
#include <cstring>

#include <openssl/evp.h>
#include <openssl/sha.h>

namespace roomchat::net::ws {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr size_t kMaxControlPayload = 125;

bool isControl(Opcode op) { return (static_cast<uint8_t>(op) & 0x8) != 0; }

bool isKnownOpcode(uint8_t op) {
  return op <= 0x2 || (op >= 0x8 && op <= 0xA);
}

// Codes a peer may put in a close frame (RFC 6455 §7.4, IANA registry).
bool isValidCloseCode(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

bool isBase64Char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '+' || c == '/';
}

// Length of `s` cut to at most `max` bytes without splitting a UTF-8 sequence.
size_t utf8Cut(std::string_view s, size_t max) {
  if (s.size() <= max) return s.size();
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace

std::string acceptKey(std::string_view clientKey) {
  std::string input(clientKey);
  input += kGuid;
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  char encoded[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded), digest, SHA_DIGEST_LENGTH);
  return std::string(encoded, static_cast<size_t>(n));
}

bool isValidClientKey(std::string_view key) {
  if (key.size() != 24 || key.substr(22) != "==") return false;
  return std::all_of(key.begin(), key.begin() + 22, isBase64Char);
}

size_t writeHeader(Opcode opcode, size_t payloadBytes, char* out) {
  out[0] = static_cast<char>(0x80 | static_cast<uint8_t>(opcode));
  if (payloadBytes < 126) {
    out[1] = static_cast<char>(payloadBytes);
    return 2;
  }
  if (payloadBytes <= 0xFFFF) {
    out[1] = 126;
    out[2] = static_cast<char>(payloadBytes >> 8);
    out[3] = static_cast<char>(payloadBytes & 0xFF);
    return 4;
  }
  out[1] = 127;
  for (int i = 0; i < 8; ++i)
    out[2 + i] = static_cast<char>((static_cast<uint64_t>(payloadBytes) >> (56 - 8 * i)) & 0xFF);
  return 10;
}

std::string closeFrame(uint16_t code, std::string_view reason) {
  std::string payload;
  if (code != 0) {
    payload.push_back(static_cast<char>(code >> 8));
    payload.push_back(static_cast<char>(code & 0xFF));
    payload.append(reason.substr(0, utf8Cut(reason, kMaxControlPayload - 2)));
  }
  char header[kMaxHeaderBytes];
  std::string frame(header, writeHeader(Opcode::kClose, payload.size(), header));
  return frame + payload;
}

bool isValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    if (end - p >= 8) {  // fast path: eight ASCII bytes at once
      uint64_t word;
      std::memcpy(&word, p, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) extra = 1, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) extra = 2, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) extra = 3, cp = c & 0x07;
    else return false;
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Overlong forms, UTF-16 surrogates and code points past U+10FFFF.
    if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    p += extra + 1;
  }
  return true;
}

void FrameReader::shrink() {
  if (!idle()) return;
  std::string().swap(header_);
  std::string().swap(control_);
  std::string().swap(message_);
}

std::optional<Event> FrameReader::fail(uint16_t code, std::string why) {
  done_ = true;
  header_.clear();
  control_.clear();
  message_.clear();
  return Event{Event::Kind::kFail, std::move(why), code};
}

std::optional<Event> FrameReader::next(std::string_view& in) {
  while (!done_) {
    if (!inFrame_) {
      if (auto failed = readHeader(in)) return failed;
      if (!inFrame_) return std::nullopt;  // the header is still incomplete; `in` is used up
    }
    if (auto event = readPayload(in)) return event;
    if (inFrame_) return std::nullopt;  // the payload is still incomplete; `in` is used up
  }
  in = {};  // after Close or Fail nothing more is read
  return std::nullopt;
}

// Gathers a frame header (copied: at most 14 bytes) and checks it; answers a
// Fail event for a malformed one. Sets inFrame_ once it is complete and valid.
std::optional<Event> FrameReader::readHeader(std::string_view& in) {
  auto gather = [&](size_t want) {
    size_t n = std::min(want - header_.size(), in.size());
    header_.append(in.data(), n);
    in.remove_prefix(n);
    return header_.size() == want;
  };
  if (header_.size() < 2 && !gather(2)) return std::nullopt;
  const auto b0 = static_cast<uint8_t>(header_[0]);
  const auto b1 = static_cast<uint8_t>(header_[1]);
  const uint8_t len7 = b1 & 0x7F;
  const size_t extended = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  if ((b1 & 0x80) == 0) return fail(kCloseProtocolError, "client frames must be masked");
  if (!gather(2 + extended + 4)) return std::nullopt;

  uint64_t length = len7;
  if (extended > 0) {
    length = 0;
    for (size_t i = 0; i < extended; ++i) length = (length << 8) | static_cast<uint8_t>(header_[2 + i]);
  }
  std::memcpy(mask_, header_.data() + 2 + extended, 4);
  header_.clear();
  return acceptHeader(b0, length, extended);
}

// The rules a complete header must follow (RFC 6455 §5.2, §5.4, §5.5).
std::optional<Event> FrameReader::acceptHeader(uint8_t b0, uint64_t length, size_t extended) {
  const uint8_t op = b0 & 0x0F;
  if ((b0 & 0x70) != 0) return fail(kCloseProtocolError, "no extension was negotiated");
  if (!isKnownOpcode(op)) return fail(kCloseProtocolError, "unknown opcode");
  if ((extended == 2 && length < 126) || (extended == 8 && (length <= 0xFFFF || length >> 63)))
    return fail(kCloseProtocolError, "length not minimally encoded");
  fin_ = (b0 & 0x80) != 0;
  opcode_ = static_cast<Opcode>(op);
  if (isControl(opcode_)) {
    if (!fin_ || length > kMaxControlPayload)
      return fail(kCloseProtocolError, "control frames are short and whole");
    control_.clear();
  } else if (opcode_ == Opcode::kContinuation) {
    if (!inMessage_) return fail(kCloseProtocolError, "continuation without a message");
  } else {
    if (inMessage_) return fail(kCloseProtocolError, "new message inside a fragmented one");
    messageOpcode_ = opcode_;
  }
  if (!isControl(opcode_)) {
    if (length > maxMessageBytes_ - std::min(maxMessageBytes_, message_.size()))
      return fail(kCloseTooBig, "message too big");
    message_.reserve(message_.size() + length);
  }
  remaining_ = length;
  frameOffset_ = 0;
  inFrame_ = true;
  return std::nullopt;
}

// Unmasks what `in` holds of the current frame's payload; at the frame's end
// answers its event, if it completes one.
std::optional<Event> FrameReader::readPayload(std::string_view& in) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size()));
  std::string& target = isControl(opcode_) ? control_ : message_;
  const size_t start = target.size();
  target.append(in.data(), n);
  for (size_t i = 0; i < n; ++i) target[start + i] ^= static_cast<char>(mask_[(frameOffset_ + i) & 3]);
  in.remove_prefix(n);
  remaining_ -= n;
  frameOffset_ += n;
  if (remaining_ > 0) return std::nullopt;
  inFrame_ = false;
  return isControl(opcode_) ? controlEvent() : finishMessage();
}

std::optional<Event> FrameReader::finishMessage() {
  if (!fin_) {
    inMessage_ = true;
    return std::nullopt;
  }
  inMessage_ = false;
  const bool text = messageOpcode_ == Opcode::kText;
  if (text && !isValidUtf8(message_)) return fail(kCloseInvalidPayload, "text is not UTF-8");
  Event event{text ? Event::Kind::kText : Event::Kind::kBinary, std::move(message_), 0};
  message_.clear();
  return event;
}

std::optional<Event> FrameReader::controlEvent() {
  if (opcode_ == Opcode::kPing) return Event{Event::Kind::kPing, std::move(control_), 0};
  if (opcode_ == Opcode::kPong) return Event{Event::Kind::kPong, std::move(control_), 0};
  if (control_.size() == 1) return fail(kCloseProtocolError, "close payload of one byte");
  uint16_t code = 0;
  std::string reason;
  if (control_.size() >= 2) {
    code = static_cast<uint16_t>((static_cast<uint8_t>(control_[0]) << 8) | static_cast<uint8_t>(control_[1]));
    if (!isValidCloseCode(code)) return fail(kCloseProtocolError, "invalid close code");
    reason = control_.substr(2);
    if (!isValidUtf8(reason)) return fail(kCloseInvalidPayload, "close reason is not UTF-8");
  }
  done_ = true;
  return Event{Event::Kind::kClose, std::move(reason), code};
}

}  // namespace roomchat::net::ws
