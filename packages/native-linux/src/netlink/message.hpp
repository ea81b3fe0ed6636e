#pragma once
// Building and reading netlink messages. The builder knows how much room is left, so callers
// can ask whether a nest still fits before opening it; the reader never trusts a length.
#include <linux/netlink.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

namespace lanrage::nl {

constexpr size_t align4(size_t n) { return (n + 3U) & ~size_t{3}; }
constexpr size_t kAttrHeader = align4(sizeof(struct nlattr));

// One netlink message of at most `capacity` bytes. The buffer starts small and grows as
// attributes are added (a churn message is ~100 bytes, not a zeroed page); it is wiped when it
// grows, when wipe() is called and when the builder goes, since it can hold keys.
class MessageBuilder {
 public:
  MessageBuilder(size_t capacity, uint16_t type, uint16_t flags);
  ~MessageBuilder();
  MessageBuilder(MessageBuilder&&) noexcept = default;
  MessageBuilder& operator=(MessageBuilder&&) noexcept = default;
  // Appends a fixed family header (genlmsghdr, ifinfomsg, ...) right after nlmsghdr.
  bool putHeader(const void* data, size_t len);
  // Each put* returns false (and writes nothing) when the attribute does not fit.
  bool put(uint16_t type, const void* data, size_t len);
  bool putU8(uint16_t type, uint8_t v) { return put(type, &v, sizeof v); }
  bool putU16(uint16_t type, uint16_t v) { return put(type, &v, sizeof v); }
  bool putU32(uint16_t type, uint32_t v) { return put(type, &v, sizeof v); }
  bool putString(uint16_t type, const std::string& s);  // NUL-terminated
  // Room for an attribute with `payload` bytes (plus `reserve` bytes that must stay free).
  bool fits(size_t payload, size_t reserve = 0) const { return size_ + kAttrHeader + align4(payload) + reserve <= limit_; }
  // Opens a nested attribute; returns its offset, or SIZE_MAX when not even the header fits.
  size_t beginNest(uint16_t type, size_t reserve = 0);
  void endNest(size_t offset);
  // Removes everything written after `offset` (used to drop a nest that ended up empty).
  void truncate(size_t offset);
  size_t size() const { return size_; }
  size_t capacity() const { return limit_; }
  void setSeq(uint32_t seq);
  const uint8_t* data() const { return buf_.data(); }
  // Sets nlmsg_len and ORs `flags` into the header: the message is then data()[0, size()).
  void seal(uint16_t flags);
  // Zeroes everything written (after sending: the message may carry keys).
  void wipe();
  // A copy of the finished message (nlmsg_len set).
  std::vector<uint8_t> finish() const;

 private:
  // Makes room for `bytes` more (fits() was checked first).
  void reserve(size_t bytes);
  std::vector<uint8_t> buf_;
  size_t limit_;
  size_t size_;
};

// RAII: closes a nest when it goes out of scope (or drops it when empty and asked to).
class NestGuard {
 public:
  NestGuard(MessageBuilder& mb, uint16_t type, size_t reserve = 0) : mb_(mb), offset_(mb.beginNest(type, reserve)) {}
  ~NestGuard() {
    if (ok()) mb_.endNest(offset_);
  }
  NestGuard(const NestGuard&) = delete;
  NestGuard& operator=(const NestGuard&) = delete;
  bool ok() const { return offset_ != SIZE_MAX; }
  size_t offset() const { return offset_; }
  // Drops the nest and everything in it.
  void cancel() {
    if (ok()) mb_.truncate(offset_);
    offset_ = SIZE_MAX;
  }

 private:
  MessageBuilder& mb_;
  size_t offset_;
};

// A bounds-checked view of one attribute.
struct Attr {
  uint16_t type = 0;  // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
  const uint8_t* data = nullptr;
  size_t len = 0;

  bool u8(uint8_t& out) const { return fixed(&out, sizeof out); }
  bool u16(uint16_t& out) const { return fixed(&out, sizeof out); }
  bool u32(uint32_t& out) const { return fixed(&out, sizeof out); }
  bool u64(uint64_t& out) const { return fixed(&out, sizeof out); }
  // A string attribute up to its first NUL (or its end).
  std::string str() const;

 private:
  bool fixed(void* out, size_t n) const {
    if (len != n) return false;
    std::memcpy(out, data, n);
    return true;
  }
};

// Iterates the attributes in [data, data+len). `valid()` turns false on the first malformed
// header (a length below the header size or past the end): iteration stops there and the
// caller reports the message as malformed instead of reading past it.
class AttrIterator {
 public:
  AttrIterator(const uint8_t* data, size_t len) : p_(data), end_(data + len) {}
  bool next(Attr& out);
  bool valid() const { return valid_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  bool valid_ = true;
};

// One message out of a receive buffer, bounds-checked.
struct MessageView {
  const struct nlmsghdr* hdr = nullptr;
  const uint8_t* payload = nullptr;  // after nlmsghdr
  size_t payloadLen = 0;
};

// Splits a receive buffer into messages; `valid()` turns false on a truncated message.
class MessageIterator {
 public:
  MessageIterator(const uint8_t* data, size_t len) : p_(data), end_(data + len) {}
  bool next(MessageView& out);
  bool valid() const { return valid_; }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
  bool valid_ = true;
};

}  // namespace lanrage::nl
