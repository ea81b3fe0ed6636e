#include "rtnl.hpp"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace lanrage::nl {

namespace {

Status parseLink(const MessageView& v, LinkInfo& out) {
  if (v.payloadLen < NLMSG_ALIGN(sizeof(struct ifinfomsg))) return makeError(EPROTO, "parse", "short link message");
  struct ifinfomsg ifi;
  std::memcpy(&ifi, v.payload, sizeof ifi);
  out.index = static_cast<uint32_t>(ifi.ifi_index);
  out.up = (ifi.ifi_flags & IFF_UP) != 0;
  size_t off = NLMSG_ALIGN(sizeof(struct ifinfomsg));
  AttrIterator it(v.payload + off, v.payloadLen - off);
  Attr a;
  while (it.next(a)) {
    if (a.type == IFLA_IFNAME) out.name = a.str();
    else if (a.type == IFLA_MTU) a.u32(out.mtu);
    else if (a.type == IFLA_LINKINFO) {
      AttrIterator li(a.data, a.len);
      Attr k;
      while (li.next(k)) {
        if (k.type == IFLA_INFO_KIND) out.kind = k.str();
      }
    }
  }
  if (!it.valid()) return makeError(EPROTO, "parse", "malformed link message");
  return okStatus();
}

MessageBuilder linkMessage(uint16_t type, uint16_t flags, int index) {
  MessageBuilder mb(1024, type, flags);
  struct ifinfomsg ifi {};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = index;
  mb.putHeader(&ifi, sizeof ifi);
  return mb;
}

size_t addrLen(uint8_t family) { return family == AF_INET ? 4 : 16; }

Status withContext(Status s, const std::string& what) {
  if (s.ok()) return s;
  auto e = s.error();
  e.message = what;
  return e;
}

}  // namespace

Result<std::vector<LinkInfo>> Rtnl::listLinks() {
  MessageBuilder mb = linkMessage(RTM_GETLINK, 0, 0);
  std::vector<LinkInfo> out;
  RequestOptions opts;
  opts.dump = true;
  bool interrupted = false;
  opts.interrupted = &interrupted;  // a changed list is still a valid (partial) snapshot
  Status s = sock_.request(
      mb,
      [&](const MessageView& v) -> Status {
        if (v.hdr->nlmsg_type != RTM_NEWLINK) return okStatus();
        LinkInfo li;
        Status p = parseLink(v, li);
        if (!p.ok()) return p;
        out.push_back(std::move(li));
        return okStatus();
      },
      opts);
  if (!s.ok()) return withContext(s, "listing network links").error();
  return out;
}

Result<LinkInfo> Rtnl::getLink(const std::string& name) {
  MessageBuilder mb = linkMessage(RTM_GETLINK, 0, 0);
  mb.putString(IFLA_IFNAME, name);
  LinkInfo li;
  bool got = false;
  Status s = sock_.request(mb, [&](const MessageView& v) -> Status {
    if (v.hdr->nlmsg_type != RTM_NEWLINK) return okStatus();
    got = true;
    return parseLink(v, li);
  });
  if (!s.ok()) return withContext(s, "looking up link " + name).error();
  if (!got) return makeError(ENODEV, "netlink", "no link " + name);
  return li;
}

Status Rtnl::createWireGuard(const std::string& name) {
  MessageBuilder mb = linkMessage(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, 0);
  mb.putString(IFLA_IFNAME, name);
  {
    NestGuard info(mb, IFLA_LINKINFO);
    mb.putString(IFLA_INFO_KIND, "wireguard");
  }
  return withContext(sock_.request(mb, [](const MessageView&) { return okStatus(); }), "creating WireGuard link " + name);
}

Status Rtnl::deleteLink(uint32_t index) {
  MessageBuilder mb = linkMessage(RTM_DELLINK, 0, static_cast<int>(index));
  return withContext(sock_.request(mb, [](const MessageView&) { return okStatus(); }), "deleting link");
}

Result<std::vector<Prefix>> Rtnl::listAddresses(uint32_t index) {
  MessageBuilder mb(256, RTM_GETADDR, 0);
  struct ifaddrmsg ifa {};
  ifa.ifa_family = AF_UNSPEC;
  mb.putHeader(&ifa, sizeof ifa);
  std::vector<Prefix> out;
  RequestOptions opts;
  opts.dump = true;
  Status s = sock_.request(
      mb,
      [&](const MessageView& v) -> Status {
        if (v.hdr->nlmsg_type != RTM_NEWADDR || v.payloadLen < NLMSG_ALIGN(sizeof(struct ifaddrmsg))) return okStatus();
        struct ifaddrmsg m;
        std::memcpy(&m, v.payload, sizeof m);
        if (m.ifa_index != index || m.ifa_scope == RT_SCOPE_LINK) return okStatus();  // skip fe80::
        Prefix p;
        p.family = m.ifa_family;
        p.prefixLen = m.ifa_prefixlen;
        bool have = false;
        size_t off = NLMSG_ALIGN(sizeof(struct ifaddrmsg));
        AttrIterator it(v.payload + off, v.payloadLen - off);
        Attr a;
        while (it.next(a)) {
          // IFA_LOCAL is the address for v4 (IFA_ADDRESS may be a peer); v6 has only IFA_ADDRESS.
          if ((a.type == IFA_LOCAL || (a.type == IFA_ADDRESS && !have)) && a.len == addrLen(p.family)) {
            std::memcpy(p.addr.data(), a.data, a.len);
            have = true;
          }
        }
        if (have) out.push_back(p);
        return okStatus();
      },
      opts);
  if (!s.ok()) return withContext(s, "listing addresses").error();
  return out;
}

static MessageBuilder addrMessage(uint16_t type, uint16_t flags, uint32_t index, const Prefix& p) {
  MessageBuilder mb(256, type, flags);
  struct ifaddrmsg ifa {};
  ifa.ifa_family = p.family;
  ifa.ifa_prefixlen = p.prefixLen;
  ifa.ifa_index = index;
  mb.putHeader(&ifa, sizeof ifa);
  mb.put(IFA_LOCAL, p.addr.data(), addrLen(p.family));
  mb.put(IFA_ADDRESS, p.addr.data(), addrLen(p.family));
  return mb;
}

Status Rtnl::addAddress(uint32_t index, const Prefix& p) {
  MessageBuilder mb = addrMessage(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, index, p);
  return withContext(sock_.request(mb, [](const MessageView&) { return okStatus(); }), "adding an address");
}

Status Rtnl::deleteAddress(uint32_t index, const Prefix& p) {
  MessageBuilder mb = addrMessage(RTM_DELADDR, 0, index, p);
  Status s = sock_.request(mb, [](const MessageView&) { return okStatus(); });
  if (!s.ok() && s.error().err == EADDRNOTAVAIL) return okStatus();  // already gone: idempotent
  return withContext(s, "removing an address");
}

Status Rtnl::setMtu(uint32_t index, uint32_t mtu) {
  MessageBuilder mb = linkMessage(RTM_NEWLINK, 0, static_cast<int>(index));
  mb.putU32(IFLA_MTU, mtu);
  return withContext(sock_.request(mb, [](const MessageView&) { return okStatus(); }), "setting the MTU");
}

Status Rtnl::setUp(uint32_t index, bool up) {
  MessageBuilder mb(256, RTM_NEWLINK, 0);
  struct ifinfomsg ifi {};
  ifi.ifi_family = AF_UNSPEC;
  ifi.ifi_index = static_cast<int>(index);
  ifi.ifi_flags = up ? IFF_UP : 0;
  ifi.ifi_change = IFF_UP;
  mb.putHeader(&ifi, sizeof ifi);
  return withContext(sock_.request(mb, [](const MessageView&) { return okStatus(); }), up ? "bringing the link up" : "bringing the link down");
}

Result<std::vector<Prefix>> Rtnl::listRoutes(uint32_t index) {
  std::vector<Prefix> out;
  for (uint8_t family : {static_cast<uint8_t>(AF_INET), static_cast<uint8_t>(AF_INET6)}) {
    MessageBuilder mb(256, RTM_GETROUTE, 0);
    struct rtmsg rt {};
    rt.rtm_family = family;
    mb.putHeader(&rt, sizeof rt);
    RequestOptions opts;
    opts.dump = true;
    Status s = sock_.request(
        mb,
        [&](const MessageView& v) -> Status {
          if (v.hdr->nlmsg_type != RTM_NEWROUTE || v.payloadLen < NLMSG_ALIGN(sizeof(struct rtmsg))) return okStatus();
          struct rtmsg m;
          std::memcpy(&m, v.payload, sizeof m);
          if (m.rtm_protocol != kRouteProtocol) return okStatus();
          Prefix p;
          p.family = m.rtm_family;
          p.prefixLen = m.rtm_dst_len;
          uint32_t oif = 0, table = m.rtm_table;
          size_t off = NLMSG_ALIGN(sizeof(struct rtmsg));
          AttrIterator it(v.payload + off, v.payloadLen - off);
          Attr a;
          while (it.next(a)) {
            if (a.type == RTA_OIF) a.u32(oif);
            else if (a.type == RTA_TABLE) a.u32(table);
            else if (a.type == RTA_DST && a.len == addrLen(p.family)) std::memcpy(p.addr.data(), a.data, a.len);
          }
          if (oif == index && table == RT_TABLE_MAIN) out.push_back(p);
          return okStatus();
        },
        opts);
    if (!s.ok()) return withContext(s, "listing routes").error();
  }
  return out;
}

static MessageBuilder routeMessage(uint16_t type, uint16_t flags, uint32_t index, const Prefix& p) {
  MessageBuilder mb(256, type, flags);
  struct rtmsg rt {};
  rt.rtm_family = p.family;
  rt.rtm_dst_len = p.prefixLen;
  rt.rtm_table = RT_TABLE_MAIN;
  rt.rtm_protocol = kRouteProtocol;
  rt.rtm_scope = RT_SCOPE_LINK;
  rt.rtm_type = RTN_UNICAST;
  mb.putHeader(&rt, sizeof rt);
  mb.put(RTA_DST, p.addr.data(), addrLen(p.family));
  mb.putU32(RTA_OIF, index);
  return mb;
}

Status Rtnl::addRoute(uint32_t index, const Prefix& p) {
  MessageBuilder mb = routeMessage(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, index, p);
  return withContext(sock_.request(mb, [](const MessageView&) { return okStatus(); }), "adding a route");
}

Status Rtnl::deleteRoute(uint32_t index, const Prefix& p) {
  MessageBuilder mb = routeMessage(RTM_DELROUTE, 0, index, p);
  Status s = sock_.request(mb, [](const MessageView&) { return okStatus(); });
  if (!s.ok() && s.error().err == ESRCH) return okStatus();  // already gone
  return withContext(s, "removing a route");
}

Status Rtnl::changeRoutes(uint32_t index, const std::vector<Prefix>& add, const std::vector<Prefix>& remove, const BatchOptions& opts) {
  if (add.empty() && remove.empty()) return okStatus();
  std::vector<MessageBuilder> msgs;
  msgs.reserve(remove.size() + add.size());
  for (const Prefix& p : remove) msgs.push_back(routeMessage(RTM_DELROUTE, 0, index, p));
  for (const Prefix& p : add) msgs.push_back(routeMessage(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, index, p));
  std::vector<BatchAck> acks;
  Status sent = sock_.requestBatch(msgs, acks, opts);
  // Messages done: acknowledged, or a removal of a route that was not there.
  auto done = [&](size_t i) { return acks[i].err == 0 || (i < remove.size() && acks[i].err == ESRCH); };
  size_t applied = 0;
  size_t refused = acks.size();
  for (size_t i = 0; i < acks.size(); ++i) {
    if (done(i)) ++applied;
    else if (acks[i].err > 0 && (refused == acks.size() || (acks[i].err == ENODEV && acks[refused].err != ENODEV))) refused = i;
  }
  if (!sent.ok()) {
    NetlinkError e = sent.error();
    e.message = "changing routes";
    e.appliedMessages = applied;
    return e;
  }
  if (refused == acks.size()) return okStatus();
  const bool removal = refused < remove.size();
  const size_t nth = removal ? refused : refused - remove.size();
  NetlinkError e = makeError(acks[refused].err, "netlink",
                             (removal ? "removing route " : "adding route ") + std::to_string(nth + 1) + " of " + std::to_string(removal ? remove.size() : add.size()),
                             acks[refused].extack);
  e.appliedMessages = applied;
  return e;
}

Result<LinkEvents> LinkEvents::open() {
  LinkEvents ev;
  ev.fd_.reset(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE));
  if (!ev.fd_.valid()) return makeError(errno, "socket", "opening a netlink socket for link notifications");
  struct sockaddr_nl addr {};
  addr.nl_family = AF_NETLINK;
  addr.nl_groups = RTMGRP_LINK;
  if (::bind(ev.fd_.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) return makeError(errno, "bind", "subscribing to link notifications");
  ev.rx_.resize(64 * 1024);
  return ev;
}

LinkEvents LinkEvents::fromConnectedFd(UniqueFd fd) {
  LinkEvents ev;
  ev.fd_ = std::move(fd);
  ev.connected_ = true;
  ev.rx_.resize(64 * 1024);
  return ev;
}

bool LinkEvents::drain(const std::function<void(const LinkEvent&)>& onEvent) {
  bool complete = true;
  for (;;) {
    struct sockaddr_nl from {};
    struct iovec iov {
      rx_.data(), rx_.size()
    };
    struct msghdr msg {};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    ssize_t n = ::recvmsg(fd_.get(), &msg, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return complete;
      complete = false;  // ENOBUFS: notifications were dropped; the socket goes on working
      if (errno == ENOBUFS) continue;
      return false;
    }
    if (n == 0 && connected_) return complete;  // the test peer went away
    if (static_cast<size_t>(n) > rx_.size() || (msg.msg_flags & MSG_TRUNC)) {
      complete = false;
      continue;
    }
    if (!connected_ && (msg.msg_namelen < sizeof from || from.nl_pid != 0)) continue;  // only the kernel speaks here
    MessageIterator it(rx_.data(), static_cast<size_t>(n));
    MessageView v;
    while (it.next(v)) {
      if (v.hdr->nlmsg_type != RTM_NEWLINK && v.hdr->nlmsg_type != RTM_DELLINK) continue;
      LinkInfo li;
      if (!parseLink(v, li).ok()) {
        complete = false;
        continue;
      }
      LinkEvent e;
      e.index = li.index;
      e.name = std::move(li.name);
      e.deleted = v.hdr->nlmsg_type == RTM_DELLINK;
      onEvent(e);
    }
    if (!it.valid()) complete = false;
  }
}

}  // namespace lanrage::nl
