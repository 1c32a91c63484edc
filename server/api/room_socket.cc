#include "api/room_socket.h"

#include <atomic>

#include <boost/asio/post.hpp>

#include "base/ids.h"
#include "base/metrics.h"
#include "proto/server_frames.h"

namespace roomchat::api {

namespace asio = boost::asio;

namespace {

// Every frame kind together; far above what a well-behaved client sends.
constexpr double kFrameRate = 50, kFrameBurst = 200;
// Errors a client may provoke before it is closed: 20 at once, 2 per second after.
constexpr double kAbuseRate = 2, kAbuseBurst = 20;

std::string nextConnId() {
  static std::atomic<uint64_t> counter{0};
  static const std::string prefix = randomId().substr(0, 6);
  return prefix + std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
}

bool isMessageFrame(const proto::ClientFrame& f) {
  return std::holds_alternative<proto::Send>(f) || std::holds_alternative<proto::Edit>(f) ||
         std::holds_alternative<proto::Delete>(f);
}

}  // namespace

RoomSocket::RoomSocket(std::shared_ptr<room::Room> room, room::Member member,
                       std::string sessionHash, ConnectionRegistry& registry,
                       blob::ImageReferences& images, const SocketLimits& limits,
                       asio::any_io_executor work)
    : room_(std::move(room)),
      member_(std::move(member)),
      userId_(member_->user.id),
      sessionHash_(std::move(sessionHash)),
      connId_(nextConnId()),
      registry_(registry),
      images_(images),
      frameLimits_(limits.frames),
      messages_(limits.messageRate, limits.messageBurst),
      frames_(std::max(kFrameRate, limits.messageRate * 2), std::max(kFrameBurst, limits.messageBurst * 2)),
      abuse_(kAbuseRate, kAbuseBurst),
      work_(std::move(work)) {}

void RoomSocket::onOpen(std::shared_ptr<net::WsChannel> channel) {
  room::requireStrand(room_->strand(), __PRETTY_FUNCTION__);
  channel_ = std::move(channel);
  auto self = shared_from_this();
  registry_.track(sessionHash_, self);
  room_->attach(self, connId_, std::move(*member_));
  member_.reset();
}

void RoomSocket::onText(std::string&& text) {
  room::requireStrand(room_->strand(), __PRETTY_FUNCTION__);
  auto parsed = proto::parseClientFrame(text, frameLimits_);
  if (auto* error = std::get_if<proto::FrameError>(&parsed))
    return reject(error->code, error->message, error->clientId);
  auto& frame = std::get<proto::ClientFrame>(parsed);
  if (!admit(frame)) return;
  if (!checking_) return process(std::move(frame));
  if (held_.size() >= kMaxHeldFrames) {
    const auto* send = std::get_if<proto::Send>(&frame);
    return reject("rate_limited", "slow down", send ? std::optional(send->clientId) : std::nullopt);
  }
  held_.push_back(std::move(frame));
}

void RoomSocket::process(proto::ClientFrame&& frame) {
  if (auto* send = std::get_if<proto::Send>(&frame); send && !send->images.empty())
    return checkImages(std::move(*send));
  room_->handle(connId_, std::move(frame));
}

// A message may reference only stored images, and the reference is recorded
// (in the blob catalog, atomically with the check) before the message is:
// the collector never removes an image a message is about to hold. The
// check blocks (meta.db, a remote store), so it runs on the work executor,
// never on the strand.
void RoomSocket::checkImages(proto::Send&& send) {
  checking_ = true;
  asio::post(work_, [self = shared_from_this(), send = std::move(send)]() mutable {
    auto missing = self->images_.reference(self->room_->id(), send.images);
    asio::post(self->room_->strand(), [self, send = std::move(send),
                                       missing = std::move(missing)]() mutable {
      self->checked(std::move(send), std::move(missing));
    });
  });
}

// Back on the strand: the send goes on (or is refused), then the frames
// that waited behind it, in order, until the next send with images.
void RoomSocket::checked(proto::Send&& send, Result<std::optional<std::string>> missing) {
  checking_ = false;
  if (!missing.ok())
    reject("storage_unavailable", "the images could not be checked; try again", send.clientId);
  else if (*missing)
    reject("not_found", "image " + **missing + " was not uploaded", send.clientId);
  else room_->handle(connId_, std::move(send));
  while (!checking_ && !held_.empty()) {
    proto::ClientFrame next = std::move(held_.front());
    held_.pop_front();
    process(std::move(next));
  }
}

// The protocol is JSON text; a binary frame is answered, never ignored.
void RoomSocket::onBinary(std::string&&) {
  room::requireStrand(room_->strand(), __PRETTY_FUNCTION__);
  if (frames_.take(nowMs())) reject("bad_frame", "frames are JSON text, not binary", std::nullopt);
  else reject("rate_limited", "slow down", std::nullopt);
}

bool RoomSocket::admit(const proto::ClientFrame& frame) {
  const int64_t now = nowMs();
  const bool message = isMessageFrame(frame);
  if (frames_.take(now) && (!message || (messages_.take(now) && room_->takeMessageToken(userId_))))
    return true;
  const auto* send = std::get_if<proto::Send>(&frame);
  reject("rate_limited", "slow down", send ? std::optional(send->clientId) : std::nullopt);
  return false;
}

void RoomSocket::reject(const std::string& code, const std::string& message,
                        const std::optional<std::string>& clientId) {
  metrics().framesRejected.inc();
  send(std::make_shared<const std::string>(proto::errorFrame(code, message, clientId)));
  if (!abuse_.take(nowMs())) close(room::kClosePolicy, "too many invalid frames");
}

void RoomSocket::onClose() {
  room::requireStrand(room_->strand(), __PRETTY_FUNCTION__);
  held_.clear();
  registry_.untrack(sessionHash_, this);
  registry_.release(userId_);
  room_->detach(connId_);
}

void RoomSocket::send(std::shared_ptr<const std::string> frame) {
  if (auto channel = channel_.lock()) channel->send(std::move(frame));
}

void RoomSocket::close(uint16_t code, std::string reason) {
  asio::post(room_->strand(), [self = shared_from_this(), code, r = std::move(reason)]() mutable {
    if (auto channel = self->channel_.lock()) channel->close(code, std::move(r));
  });
}

}  // namespace roomchat::api
