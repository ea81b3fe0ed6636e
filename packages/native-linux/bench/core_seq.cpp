// Profiling aid: sequential add+remove through the netlink core alone (no Node, no threads),
// to separate kernel + core cost from binding and JS cost. Build with -DLANRAGE_BENCH=ON and run
// as root on a kernel with WireGuard (e.g. node test/vm/run.mjs packages/native-linux/build-bench/core_seq).
#include <linux/netlink.h>
#include <chrono>
#include <cstdio>
#include "netlink/genl.hpp"
#include "netlink/rtnl.hpp"
#include "netlink/wireguard.hpp"
using namespace lanrage::nl;
int main() {
  auto rs = NetlinkSocket::open(NETLINK_ROUTE);
  Rtnl rt(std::move(rs.value()));
  rt.createWireGuard("lrbenchc0");
  auto gs = NetlinkSocket::open(NETLINK_GENERIC);
  auto fam = resolveFamily(gs.value(), "wireguard");
  WireGuard wg(std::move(gs.value()), fam.value());
  DeviceOp add; add.ifname = "lrbenchc0"; PeerOp p; p.publicKey.fill(7); AllowedIp ip; ip.family = 2; ip.addr[0] = 10; ip.cidr = 32; p.allowedIps.push_back(ip); add.peers.push_back(p);
  DeviceOp rm; rm.ifname = "lrbenchc0"; PeerOp q; q.publicKey.fill(7); q.remove = true; rm.peers.push_back(q);
  const int N = 2000;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < N; i++) { wg.setDevice(add, nullptr); wg.setDevice(rm, nullptr); }
  double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  printf("core add+remove: %.0f ops/s (%.0f us/op)\n", 2 * N / s, s * 1e6 / (2 * N));
  auto li = rt.getLink("lrbenchc0"); rt.deleteLink(li.value().index);
}
