#include "preview/address_policy.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

namespace roomchat::preview {
namespace {

AddressClass classOf(const std::string& text) {
  auto ip = IpAddress::parse(text);
  EXPECT_TRUE(ip.has_value()) << text;
  return ip ? classify(*ip) : AddressClass::kReserved;
}

void expectClass(AddressClass want, std::initializer_list<const char*> addresses) {
  for (const char* a : addresses)
    EXPECT_EQ(nameOf(classOf(a)), nameOf(want)) << a;
}

TEST(AddressPolicy, PublicAddressesAreAllowed) {
  expectClass(AddressClass::kPublic, {"8.8.8.8", "1.1.1.1", "93.184.215.14", "100.63.255.255",
                                      "100.128.0.0", "172.15.255.255", "172.32.0.0",
                                      "169.253.255.255", "198.17.255.255", "198.20.0.0",
                                      "223.255.255.255", "2606:4700:4700::1111",
                                      "2a00:1450:4001:80b::200e", "2001:4860:4860::8888"});
  AddressPolicy policy;
  EXPECT_TRUE(policy.allows(*IpAddress::parse("8.8.8.8")));
  EXPECT_TRUE(policy.allows(*IpAddress::parse("2606:4700:4700::1111")));
}

TEST(AddressPolicy, LoopbackIsRefusedUnlessAllowed) {
  expectClass(AddressClass::kLoopback, {"127.0.0.1", "127.255.255.254", "::1",
                                        "::ffff:127.0.0.1"});
  AddressPolicy strict, tests(true);
  EXPECT_FALSE(strict.allows(*IpAddress::parse("127.0.0.1")));
  EXPECT_FALSE(strict.allows(*IpAddress::parse("::1")));
  EXPECT_TRUE(tests.allows(*IpAddress::parse("127.0.0.1")));
  EXPECT_TRUE(tests.allows(*IpAddress::parse("::1")));
  EXPECT_TRUE(tests.allows(*IpAddress::parse("::ffff:127.0.0.1")));
}

TEST(AddressPolicy, TheLoopbackAllowanceAllowsNothingElse) {
  AddressPolicy tests(true);
  for (const char* a : {"10.0.0.1", "192.168.1.1", "169.254.169.254", "fd00:ec2::254", "::",
                        "0.0.0.0", "fe80::1", "::ffff:10.0.0.1"})
    EXPECT_FALSE(tests.allows(*IpAddress::parse(a))) << a;
}

TEST(AddressPolicy, PrivateRangesAreRefused) {
  expectClass(AddressClass::kPrivate, {"10.0.0.1", "10.255.255.255", "172.16.0.1",
                                       "172.31.255.255", "192.168.0.1", "192.168.255.255"});
}

TEST(AddressPolicy, CarrierGradeNatIsRefused) {
  expectClass(AddressClass::kSharedCgnat, {"100.64.0.1", "100.127.255.255"});
}

TEST(AddressPolicy, LinkLocalIsRefused) {
  expectClass(AddressClass::kLinkLocal, {"169.254.0.1", "169.254.255.255", "fe80::1",
                                         "febf:ffff::1", "fec0::1"});
}

TEST(AddressPolicy, CloudMetadataAddressesAreRefused) {
  expectClass(AddressClass::kMetadata, {"169.254.169.254", "fd00:ec2::254",
                                        "::ffff:169.254.169.254"});
}

TEST(AddressPolicy, UnspecifiedAndThisNetworkAreRefused) {
  expectClass(AddressClass::kUnspecified, {"0.0.0.0", "0.1.2.3", "::"});
}

TEST(AddressPolicy, MulticastAndBroadcastAreRefused) {
  expectClass(AddressClass::kMulticast, {"224.0.0.1", "239.255.255.250", "ff02::1", "ff0e::1"});
  expectClass(AddressClass::kBroadcast, {"255.255.255.255"});
}

TEST(AddressPolicy, ReservedRangesAreRefused) {
  expectClass(AddressClass::kReserved, {"240.0.0.1", "254.255.255.255", "192.0.0.8",
                                        "192.88.99.1", "2001::1", "2001:1ff:ffff::1",
                                        "100::1", "::2", "::8.8.8.8", "4000::1", "64:ff9b:1::1"});
}

TEST(AddressPolicy, BenchmarkRangeIsRefused) {
  expectClass(AddressClass::kBenchmark, {"198.18.0.1", "198.19.255.255"});
}

TEST(AddressPolicy, DocumentationRangesAreRefused) {
  expectClass(AddressClass::kDocumentation, {"192.0.2.1", "198.51.100.7", "203.0.113.255",
                                             "2001:db8::1", "3fff::1"});
}

TEST(AddressPolicy, UniqueLocalIsRefused) {
  expectClass(AddressClass::kUniqueLocal, {"fc00::1", "fd12:3456::1", "fdff:ffff::1"});
}

TEST(AddressPolicy, Ipv4MappedAddressesAreJudgedByTheirIpv4Address) {
  expectClass(AddressClass::kPrivate, {"::ffff:10.0.0.1", "::ffff:192.168.0.1"});
  expectClass(AddressClass::kPublic, {"::ffff:8.8.8.8"});
}

TEST(AddressPolicy, Nat64And6to4AreJudgedByTheEmbeddedIpv4Address) {
  expectClass(AddressClass::kPrivate, {"64:ff9b::10.0.0.1", "2002:0a00:0001::1",
                                       "2002:c0a8:0101::"});
  expectClass(AddressClass::kLoopback, {"64:ff9b::127.0.0.1", "2002:7f00:1::1"});
  expectClass(AddressClass::kMetadata, {"64:ff9b::169.254.169.254", "2002:a9fe:a9fe::1"});
  expectClass(AddressClass::kPublic, {"64:ff9b::8.8.8.8", "2002:0808:0808::1"});
}

TEST(AddressPolicy, SocketAddressesAreReadInNetworkOrder) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(0x0A000001);  // 10.0.0.1
  auto v4 = IpAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&in));
  ASSERT_TRUE(v4.has_value());
  EXPECT_EQ(classify(*v4), AddressClass::kPrivate);

  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_addr = in6addr_loopback;
  auto v6 = IpAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&in6));
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(classify(*v6), AddressClass::kLoopback);

  sockaddr other{};
  other.sa_family = AF_UNIX;
  EXPECT_FALSE(IpAddress::fromSockaddr(&other).has_value());
}

TEST(AddressPolicy, ParseRejectsWhatIsNotAnAddress) {
  for (const char* s : {"", "localhost", "1.2.3", "1.2.3.4.5", "[::1]", "::1%eth0", "0x7f.1"})
    EXPECT_FALSE(IpAddress::parse(s).has_value()) << s;
}

}  // namespace
}  // namespace roomchat::preview
