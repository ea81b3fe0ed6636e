#include "genl.hpp"

#include <linux/genetlink.h>

namespace lanrage::nl {

Result<uint16_t> resolveFamily(NetlinkSocket& sock, const std::string& name) {
  MessageBuilder mb(1024, GENL_ID_CTRL, 0);
  struct genlmsghdr g {};
  g.cmd = CTRL_CMD_GETFAMILY;
  g.version = 1;
  mb.putHeader(&g, sizeof g);
  mb.putString(CTRL_ATTR_FAMILY_NAME, name);
  uint16_t id = 0;
  Status s = sock.request(mb, [&](const MessageView& v) -> Status {
    if (v.payloadLen < GENL_HDRLEN) return makeError(EPROTO, "parse", "short generic netlink reply");
    AttrIterator it(v.payload + GENL_HDRLEN, v.payloadLen - GENL_HDRLEN);
    Attr a;
    while (it.next(a)) {
      if (a.type == CTRL_ATTR_FAMILY_ID) a.u16(id);
    }
    return okStatus();
  });
  if (!s.ok()) {
    auto e = s.error();
    e.message = "resolving the generic netlink family " + name;
    return e;
  }
  if (id == 0) return makeError(ENOENT, "netlink", "generic netlink family " + name + " has no id");
  return id;
}

}  // namespace lanrage::nl
