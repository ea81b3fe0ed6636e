#include "message.hpp"

#include <string.h>

#include <algorithm>

namespace lanrage::nl {

MessageBuilder::MessageBuilder(size_t capacity, uint16_t type, uint16_t flags)
    : limit_(std::max(capacity, sizeof(struct nlmsghdr) + 64)), size_(NLMSG_HDRLEN) {
  buf_.assign(std::min<size_t>(limit_, 256), 0);
  auto* h = reinterpret_cast<struct nlmsghdr*>(buf_.data());
  h->nlmsg_type = type;
  h->nlmsg_flags = flags;
}

MessageBuilder::~MessageBuilder() { wipe(); }

void MessageBuilder::wipe() {
  if (!buf_.empty()) ::explicit_bzero(buf_.data(), buf_.size());
}

void MessageBuilder::reserve(size_t bytes) {
  const size_t need = size_ + bytes;
  if (need <= buf_.size()) return;
  // Grown by hand, not by resize(): the old block may hold keys and must be wiped, not just freed.
  std::vector<uint8_t> bigger(std::min(limit_, std::max(need, buf_.size() * 2)), 0);
  std::memcpy(bigger.data(), buf_.data(), size_);
  wipe();
  buf_.swap(bigger);
}

void MessageBuilder::seal(uint16_t flags) {
  auto* h = reinterpret_cast<struct nlmsghdr*>(buf_.data());
  h->nlmsg_len = static_cast<uint32_t>(size_);
  h->nlmsg_flags |= flags;
}

bool MessageBuilder::putHeader(const void* data, size_t len) {
  if (size_ + align4(len) > limit_) return false;
  reserve(align4(len));
  std::memcpy(buf_.data() + size_, data, len);
  size_ += align4(len);
  return true;
}

bool MessageBuilder::put(uint16_t type, const void* data, size_t len) {
  if (!fits(len) || len > 0xffff - kAttrHeader) return false;
  reserve(kAttrHeader + align4(len));
  auto* a = reinterpret_cast<struct nlattr*>(buf_.data() + size_);
  a->nla_type = type;
  a->nla_len = static_cast<uint16_t>(kAttrHeader + len);
  if (len > 0) std::memcpy(buf_.data() + size_ + kAttrHeader, data, len);
  std::fill(buf_.begin() + static_cast<long>(size_ + kAttrHeader + len), buf_.begin() + static_cast<long>(size_ + kAttrHeader + align4(len)), 0);
  size_ += kAttrHeader + align4(len);
  return true;
}

bool MessageBuilder::putString(uint16_t type, const std::string& s) { return put(type, s.c_str(), s.size() + 1); }

size_t MessageBuilder::beginNest(uint16_t type, size_t reserve) {
  if (!fits(0, reserve)) return SIZE_MAX;
  this->reserve(kAttrHeader);
  size_t off = size_;
  auto* a = reinterpret_cast<struct nlattr*>(buf_.data() + size_);
  a->nla_type = static_cast<uint16_t>(type | NLA_F_NESTED);
  a->nla_len = kAttrHeader;
  size_ += kAttrHeader;
  return off;
}

void MessageBuilder::endNest(size_t offset) {
  auto* a = reinterpret_cast<struct nlattr*>(buf_.data() + offset);
  size_t len = size_ - offset;
  // A nest longer than 64 KiB cannot be expressed; the SET packer keeps messages far smaller.
  a->nla_len = static_cast<uint16_t>(std::min<size_t>(len, 0xffff));
}

void MessageBuilder::truncate(size_t offset) {
  if (offset >= NLMSG_HDRLEN && offset <= size_) size_ = offset;
}

void MessageBuilder::setSeq(uint32_t seq) { reinterpret_cast<struct nlmsghdr*>(buf_.data())->nlmsg_seq = seq; }

std::vector<uint8_t> MessageBuilder::finish() const {
  std::vector<uint8_t> out(buf_.begin(), buf_.begin() + static_cast<long>(size_));
  reinterpret_cast<struct nlmsghdr*>(out.data())->nlmsg_len = static_cast<uint32_t>(size_);
  return out;
}

std::string Attr::str() const {
  const auto* c = reinterpret_cast<const char*>(data);
  const void* nul = std::memchr(c, 0, len);
  return std::string(c, nul ? static_cast<const char*>(nul) - c : len);
}

bool AttrIterator::next(Attr& out) {
  if (!valid_) return false;
  size_t left = static_cast<size_t>(end_ - p_);
  if (left < sizeof(struct nlattr)) {
    if (left != 0) valid_ = false;  // trailing bytes that are not an attribute
    return false;
  }
  struct nlattr a;
  std::memcpy(&a, p_, sizeof a);
  if (a.nla_len < sizeof(struct nlattr) || a.nla_len > left) {
    valid_ = false;
    return false;
  }
  out.type = static_cast<uint16_t>(a.nla_type & NLA_TYPE_MASK);
  out.data = p_ + kAttrHeader;
  out.len = a.nla_len >= kAttrHeader ? a.nla_len - kAttrHeader : 0;
  size_t step = align4(a.nla_len);
  p_ += std::min(step, left);
  return true;
}

bool MessageIterator::next(MessageView& out) {
  if (!valid_) return false;
  size_t left = static_cast<size_t>(end_ - p_);
  if (left == 0) return false;
  if (left < sizeof(struct nlmsghdr)) {
    valid_ = false;
    return false;
  }
  const auto* h = reinterpret_cast<const struct nlmsghdr*>(p_);
  if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > left) {
    valid_ = false;
    return false;
  }
  out.hdr = h;
  out.payload = p_ + NLMSG_HDRLEN;
  out.payloadLen = h->nlmsg_len - NLMSG_HDRLEN;
  p_ += std::min(static_cast<size_t>(NLMSG_ALIGN(h->nlmsg_len)), left);
  return true;
}

}  // namespace lanrage::nl
