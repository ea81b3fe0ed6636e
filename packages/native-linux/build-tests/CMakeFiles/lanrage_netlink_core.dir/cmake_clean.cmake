file(REMOVE_RECURSE
  "CMakeFiles/lanrage_netlink_core.dir/src/netlink/genl.cpp.o"
  "CMakeFiles/lanrage_netlink_core.dir/src/netlink/genl.cpp.o.d"
  "CMakeFiles/lanrage_netlink_core.dir/src/netlink/icmp.cpp.o"
  "CMakeFiles/lanrage_netlink_core.dir/src/netlink/icmp.cpp.o.d"
  "CMakeFiles/lanrage_netlink_core.dir/src/netlink/message.cpp.o"
  "CMakeFiles/lanrage_netlink_core.dir/src/netlink/message.cpp.o.d"
  "CMakeFiles/lanrage_netlink_core.dir/src/netlink/rtnl.cpp.o"
  "CMakeFiles/lanrage_netlink_core.dir/src/netlink/rtnl.cpp.o.d"
  "CMakeFiles/lanrage_netlink_core.dir/src/netlink/socket.cpp.o"
  "CMakeFiles/lanrage_netlink_core.dir/src/netlink/socket.cpp.o.d"
  "CMakeFiles/lanrage_netlink_core.dir/src/netlink/wireguard.cpp.o"
  "CMakeFiles/lanrage_netlink_core.dir/src/netlink/wireguard.cpp.o.d"
  "liblanrage_netlink_core.a"
  "liblanrage_netlink_core.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/lanrage_netlink_core.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
