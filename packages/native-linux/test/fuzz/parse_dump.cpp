// libFuzzer target: arbitrary bytes as a netlink reply stream fed to the message iterator and
// the WireGuard dump parser. Invariants: no out-of-bounds access, no crash, no leak.
#include <cstddef>
#include <cstdint>

#include "netlink/message.hpp"
#include "netlink/wireguard.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lanrage::nl;
  MessageIterator it(data, size);
  MessageView v;
  DumpParser parser;
  while (it.next(v)) {
    if (!parser.feed(v.payload, v.payloadLen).ok()) break;
  }
  Device d = parser.take();
  (void)d;
  // The raw bytes as one attribute stream too.
  AttrIterator attrs(data, size);
  Attr a;
  size_t n = 0;
  while (attrs.next(a) && n++ < 100000) (void)a.str();
  return 0;
}
