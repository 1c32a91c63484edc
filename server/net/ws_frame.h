// RFC 6455 framing for the server side of a WebSocket, without I/O: the
// handshake answer, the header of an outgoing (unmasked) frame, and an
// incremental reader that turns the bytes a client sends into whole messages
// and control frames. WsSession drives it; it is also what the fuzzer feeds.
//
// The reader promises: it never buffers more than maxMessageBytes of payload
// plus one frame header; a protocol violation, a message over the limit or a
// text message that is not UTF-8 ends in one Fail event carrying the close
// code to send (1002, 1009, 1007); no event follows a Fail or a Close.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roomchat::net::ws {

enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes this layer sends on its own.
inline constexpr uint16_t kCloseNormal = 1000;
inline constexpr uint16_t kCloseProtocolError = 1002;
inline constexpr uint16_t kCloseInvalidPayload = 1007;
inline constexpr uint16_t kCloseTooBig = 1009;

// Sec-WebSocket-Accept for a client's Sec-WebSocket-Key.
std::string acceptKey(std::string_view clientKey);
// A key is the base64 of 16 bytes (RFC 6455 §4.2.1).
bool isValidClientKey(std::string_view clientKey);

// Writes the header of one unfragmented server frame into `out` (at least
// kMaxHeaderBytes) and answers its length.
inline constexpr size_t kMaxHeaderBytes = 10;
size_t writeHeader(Opcode opcode, size_t payloadBytes, char* out);
// A whole close frame: code (if non-zero) and a reason cut to fit 125 bytes.
std::string closeFrame(uint16_t code, std::string_view reason);

bool isValidUtf8(std::string_view s);

struct Event {
  enum class Kind { kText, kBinary, kPing, kPong, kClose, kFail };
  Kind kind;
  std::string payload;  // message, ping/pong data, close reason
  uint16_t code = 0;    // kClose: the peer's code (0: none); kFail: the code to send
};

class FrameReader {
 public:
  explicit FrameReader(size_t maxMessageBytes) : maxMessageBytes_(maxMessageBytes) {}

  // Consumes bytes from the front of `in` (advancing it) until one event is
  // complete or `in` is exhausted. Bytes of an unfinished frame are kept
  // inside the reader. Call again while it answers an event.
  std::optional<Event> next(std::string_view& in);

  // True once a Close or Fail event was produced; the reader is then inert.
  bool done() const { return done_; }
  // No partial frame or message held: an idle socket keeps no buffer.
  bool idle() const { return header_.empty() && message_.empty() && !inFrame_; }
  // Frees the buffers' capacity when idle.
  void shrink();

 private:
  std::optional<Event> fail(uint16_t code, std::string why);
  std::optional<Event> readHeader(std::string_view& in);
  std::optional<Event> acceptHeader(uint8_t b0, uint64_t length, size_t extended);
  std::optional<Event> readPayload(std::string_view& in);
  std::optional<Event> finishMessage();
  std::optional<Event> controlEvent();

  size_t maxMessageBytes_;
  std::string header_;    // bytes of a header not yet complete
  std::string control_;   // payload of the control frame being read
  std::string message_;   // payload of the data message being assembled
  bool inFrame_ = false;  // header parsed, payload pending
  bool fin_ = false;
  Opcode opcode_ = Opcode::kText;
  Opcode messageOpcode_ = Opcode::kText;  // of the first frame of a fragmented message
  bool inMessage_ = false;                // a fragmented message awaits continuations
  uint64_t remaining_ = 0;                // payload bytes of the current frame still due
  uint64_t frameOffset_ = 0;              // payload bytes of the current frame read so far
  unsigned char mask_[4] = {0, 0, 0, 0};
  bool done_ = false;
};

}  // namespace roomchat::net::ws
