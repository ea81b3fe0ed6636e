// Builder and parser of netlink attributes: bounds are enforced on both sides.
#include <gtest/gtest.h>
#include <linux/netlink.h>

#include "netlink/message.hpp"

using namespace lanrage::nl;

TEST(MessageBuilder, RefusesWhatDoesNotFit) {
  MessageBuilder mb(80, 16, 0);  // 80 bytes: header 16 + room for 64
  EXPECT_TRUE(mb.putU32(1, 7));
  uint8_t big[56] = {};
  EXPECT_FALSE(mb.put(2, big, sizeof big));  // 60 > 56 left: nothing written
  EXPECT_EQ(mb.size(), 16u + 8u);
  EXPECT_TRUE(mb.put(2, big, 52));
  EXPECT_EQ(mb.size(), 80u);
  EXPECT_EQ(mb.beginNest(3), SIZE_MAX);  // not even a nest header fits
}

TEST(MessageBuilder, NestGuardClosesAndCancels) {
  MessageBuilder mb(256, 16, 0);
  {
    NestGuard n(mb, 5);
    mb.putU16(1, 2);
  }
  auto bytes = mb.finish();
  AttrIterator it(bytes.data() + NLMSG_HDRLEN, bytes.size() - NLMSG_HDRLEN);
  Attr a;
  ASSERT_TRUE(it.next(a));
  EXPECT_EQ(a.type, 5);
  EXPECT_EQ(a.len, 8u);
  size_t before = mb.size();
  {
    NestGuard n(mb, 6);
    mb.putU32(1, 1);
    n.cancel();
  }
  EXPECT_EQ(mb.size(), before);
}

TEST(AttrIterator, NeverTrustsALength) {
  // nla_len smaller than the header
  uint8_t tooShort[8] = {2, 0, 1, 0, 0, 0, 0, 0};
  AttrIterator a(tooShort, sizeof tooShort);
  Attr x;
  EXPECT_FALSE(a.next(x));
  EXPECT_FALSE(a.valid());
  // nla_len past the end
  uint8_t tooLong[8] = {200, 0, 1, 0, 0, 0, 0, 0};
  AttrIterator b(tooLong, sizeof tooLong);
  EXPECT_FALSE(b.next(x));
  EXPECT_FALSE(b.valid());
  // a trailing partial header
  uint8_t trailing[10] = {8, 0, 1, 0, 1, 2, 3, 4, 9, 9};
  AttrIterator c(trailing, sizeof trailing);
  EXPECT_TRUE(c.next(x));
  EXPECT_FALSE(c.next(x));
  EXPECT_FALSE(c.valid());
}

TEST(Attr, FixedWidthReadsCheckTheLength) {
  uint8_t data[3] = {1, 2, 3};
  Attr a{1, data, 3};
  uint32_t v;
  uint16_t w;
  EXPECT_FALSE(a.u32(v));
  EXPECT_FALSE(a.u16(w));
  Attr s{1, data, 2};
  EXPECT_TRUE(s.u16(w));
}

TEST(MessageIterator, RejectsTruncatedMessages) {
  MessageBuilder mb(128, 16, 0);
  mb.putU32(1, 1);
  auto bytes = mb.finish();
  MessageIterator ok(bytes.data(), bytes.size());
  MessageView v;
  EXPECT_TRUE(ok.next(v));
  EXPECT_EQ(v.payloadLen, 8u);
  MessageIterator cut(bytes.data(), bytes.size() - 1);
  EXPECT_FALSE(cut.next(v));
  EXPECT_FALSE(cut.valid());
}
