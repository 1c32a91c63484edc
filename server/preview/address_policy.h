// AddressPolicy decides whether the link-preview fetcher may open a
// connection to an IP address: only addresses on the public Internet are
// allowed. It is applied to the address a socket is about to connect to, after
// DNS resolution, so a host name that resolves to a private address (or is
// re-pointed there between two lookups) is refused just like an IP literal.
//
// Owns nothing but a flag; pure functions of the address, safe from any thread.
// Refused classes: see AddressClass. Addresses that embed an IPv4 address
// (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96, 6to4 2002::/16) are judged
// by the embedded IPv4 address; every other IPv6 address outside global
// unicast 2000::/3 is refused, and so are the special ranges inside it
// (documentation, 2001::/23 protocol assignments including Teredo).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

struct sockaddr;

namespace roomchat::preview {

// A v4 address is held in the first 4 bytes, in network order.
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};

  static IpAddress v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d);
  // Dotted quad or IPv6 text (no brackets, no zone); nullopt when neither.
  static std::optional<IpAddress> parse(std::string_view text);
  // An AF_INET or AF_INET6 socket address; nullopt for any other family.
  static std::optional<IpAddress> fromSockaddr(const sockaddr* address);
};

enum class AddressClass {
  kPublic,
  kUnspecified,    // 0.0.0.0/8 ("this network"), ::
  kLoopback,       // 127/8, ::1
  kPrivate,        // 10/8, 172.16/12, 192.168/16
  kSharedCgnat,    // 100.64/10 (carrier-grade NAT)
  kLinkLocal,      // 169.254/16, fe80::/10, fec0::/10 (old site-local)
  kMetadata,       // 169.254.169.254, fd00:ec2::254: cloud instance metadata
  kUniqueLocal,    // fc00::/7
  kMulticast,      // 224/4, ff00::/8
  kBroadcast,      // 255.255.255.255
  kReserved,       // 240/4, 192.0.0/24, 192.88.99/24, IPv6 outside 2000::/3, 2001::/23
  kBenchmark,      // 198.18/15
  kDocumentation,  // 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20
};

AddressClass classify(const IpAddress& address);
std::string_view nameOf(AddressClass c);

class AddressPolicy {
 public:
  // allowLoopback: also accept 127/8 and ::1 (integration tests only).
  explicit AddressPolicy(bool allowLoopback = false) : allowLoopback_(allowLoopback) {}

  bool allows(const IpAddress& address) const;

 private:
  bool allowLoopback_;
};

}  // namespace roomchat::preview
