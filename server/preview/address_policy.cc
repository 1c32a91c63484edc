#include "preview/address_policy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <vector>

namespace roomchat::preview {
namespace {

struct V4Range {
  uint32_t net;
  int bits;
  AddressClass cls;
};

// First match wins: the single metadata address before its link-local /16.
constexpr V4Range kV4Ranges[] = {
    {0xA9FEA9FE, 32, AddressClass::kMetadata},       // 169.254.169.254
    {0xFFFFFFFF, 32, AddressClass::kBroadcast},      // 255.255.255.255
    {0x00000000, 8, AddressClass::kUnspecified},     // 0/8
    {0x0A000000, 8, AddressClass::kPrivate},         // 10/8
    {0x64400000, 10, AddressClass::kSharedCgnat},    // 100.64/10
    {0x7F000000, 8, AddressClass::kLoopback},        // 127/8
    {0xA9FE0000, 16, AddressClass::kLinkLocal},      // 169.254/16
    {0xAC100000, 12, AddressClass::kPrivate},        // 172.16/12
    {0xC0000000, 24, AddressClass::kReserved},       // 192.0.0/24
    {0xC0000200, 24, AddressClass::kDocumentation},  // 192.0.2/24
    {0xC0586300, 24, AddressClass::kReserved},       // 192.88.99/24 (6to4 relays)
    {0xC0A80000, 16, AddressClass::kPrivate},        // 192.168/16
    {0xC6120000, 15, AddressClass::kBenchmark},      // 198.18/15
    {0xC6336400, 24, AddressClass::kDocumentation},  // 198.51.100/24
    {0xCB007100, 24, AddressClass::kDocumentation},  // 203.0.113/24
    {0xE0000000, 4, AddressClass::kMulticast},       // 224/4
    {0xF0000000, 4, AddressClass::kReserved},        // 240/4
};

uint32_t readV4(const std::array<uint8_t, 16>& b, size_t at) {
  return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 |
         uint32_t{b[at + 3]};
}

AddressClass classifyV4(uint32_t ip) {
  for (const V4Range& r : kV4Ranges) {
    const uint32_t mask = r.bits == 0 ? 0 : ~uint32_t{0} << (32 - r.bits);
    if ((ip & mask) == r.net) return r.cls;
  }
  return AddressClass::kPublic;
}

struct V6Range {
  std::array<uint8_t, 16> prefix;
  int bits;
  AddressClass cls;
};

bool inPrefix(const std::array<uint8_t, 16>& b, const std::array<uint8_t, 16>& prefix, int bits) {
  const int whole = bits / 8, rest = bits % 8;
  if (std::memcmp(b.data(), prefix.data(), whole) != 0) return false;
  if (rest == 0) return true;
  const uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (b[whole] & mask) == (prefix[whole] & mask);
}

V6Range v6(const char* text, int bits, AddressClass cls) {
  V6Range r{{}, bits, cls};
  inet_pton(AF_INET6, text, r.prefix.data());
  return r;
}

// Checked after the ranges that embed an IPv4 address; first match wins.
const std::vector<V6Range>& v6Ranges() {
  static const std::vector<V6Range> ranges = {
      v6("::", 128, AddressClass::kUnspecified),
      v6("::1", 128, AddressClass::kLoopback),
      v6("fd00:ec2::254", 128, AddressClass::kMetadata),
      v6("fc00::", 7, AddressClass::kUniqueLocal),
      v6("fe80::", 10, AddressClass::kLinkLocal),
      v6("fec0::", 10, AddressClass::kLinkLocal),
      v6("ff00::", 8, AddressClass::kMulticast),
      v6("2001:db8::", 32, AddressClass::kDocumentation),
      v6("3fff::", 20, AddressClass::kDocumentation),
      v6("2001::", 23, AddressClass::kReserved),
  };
  return ranges;
}

// Where an IPv6 address carries an IPv4 one that decides for it: the byte
// offset of that address, or -1.
int embeddedV4At(const std::array<uint8_t, 16>& b) {
  static const V6Range mapped = v6("::ffff:0:0", 96, AddressClass::kPublic);
  static const V6Range nat64 = v6("64:ff9b::", 96, AddressClass::kPublic);
  static const V6Range sixToFour = v6("2002::", 16, AddressClass::kPublic);
  if (inPrefix(b, mapped.prefix, 96) || inPrefix(b, nat64.prefix, 96)) return 12;
  if (inPrefix(b, sixToFour.prefix, 16)) return 2;
  return -1;
}

AddressClass classifyV6(const std::array<uint8_t, 16>& b) {
  if (int at = embeddedV4At(b); at >= 0) return classifyV4(readV4(b, static_cast<size_t>(at)));
  for (const V6Range& r : v6Ranges())
    if (inPrefix(b, r.prefix, r.bits)) return r.cls;
  // Only 2000::/3 is allocated for global unicast.
  if ((b[0] & 0xE0) != 0x20) return AddressClass::kReserved;
  return AddressClass::kPublic;
}

}  // namespace

IpAddress IpAddress::v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  IpAddress ip;
  ip.bytes[0] = a, ip.bytes[1] = b, ip.bytes[2] = c, ip.bytes[3] = d;
  return ip;
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  const std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) return ip;
  ip.v6 = true;
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) return ip;
  return std::nullopt;
}

std::optional<IpAddress> IpAddress::fromSockaddr(const sockaddr* address) {
  IpAddress ip;
  if (address->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(address);
    std::memcpy(ip.bytes.data(), &in->sin_addr, 4);
    return ip;
  }
  if (address->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    ip.v6 = true;
    std::memcpy(ip.bytes.data(), &in6->sin6_addr, 16);
    return ip;
  }
  return std::nullopt;
}

AddressClass classify(const IpAddress& address) {
  return address.v6 ? classifyV6(address.bytes) : classifyV4(readV4(address.bytes, 0));
}

std::string_view nameOf(AddressClass c) {
  switch (c) {
    case AddressClass::kPublic: return "public";
    case AddressClass::kUnspecified: return "unspecified";
    case AddressClass::kLoopback: return "loopback";
    case AddressClass::kPrivate: return "private";
    case AddressClass::kSharedCgnat: return "shared (CGNAT)";
    case AddressClass::kLinkLocal: return "link-local";
    case AddressClass::kMetadata: return "cloud metadata";
    case AddressClass::kUniqueLocal: return "unique-local";
    case AddressClass::kMulticast: return "multicast";
    case AddressClass::kBroadcast: return "broadcast";
    case AddressClass::kReserved: return "reserved";
    case AddressClass::kBenchmark: return "benchmarking";
    case AddressClass::kDocumentation: return "documentation";
  }
  return "unknown";
}

bool AddressPolicy::allows(const IpAddress& address) const {
  const AddressClass c = classify(address);
  return c == AddressClass::kPublic || (allowLoopback_ && c == AddressClass::kLoopback);
}

}  // namespace roomchat::preview
