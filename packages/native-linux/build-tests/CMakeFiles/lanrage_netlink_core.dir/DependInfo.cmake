
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/packages/native-linux/src/netlink/genl.cpp" "CMakeFiles/lanrage_netlink_core.dir/src/netlink/genl.cpp.o" "gcc" "CMakeFiles/lanrage_netlink_core.dir/src/netlink/genl.cpp.o.d"
  "/work/main/packages/native-linux/src/netlink/icmp.cpp" "CMakeFiles/lanrage_netlink_core.dir/src/netlink/icmp.cpp.o" "gcc" "CMakeFiles/lanrage_netlink_core.dir/src/netlink/icmp.cpp.o.d"
  "/work/main/packages/native-linux/src/netlink/message.cpp" "CMakeFiles/lanrage_netlink_core.dir/src/netlink/message.cpp.o" "gcc" "CMakeFiles/lanrage_netlink_core.dir/src/netlink/message.cpp.o.d"
  "/work/main/packages/native-linux/src/netlink/rtnl.cpp" "CMakeFiles/lanrage_netlink_core.dir/src/netlink/rtnl.cpp.o" "gcc" "CMakeFiles/lanrage_netlink_core.dir/src/netlink/rtnl.cpp.o.d"
  "/work/main/packages/native-linux/src/netlink/socket.cpp" "CMakeFiles/lanrage_netlink_core.dir/src/netlink/socket.cpp.o" "gcc" "CMakeFiles/lanrage_netlink_core.dir/src/netlink/socket.cpp.o.d"
  "/work/main/packages/native-linux/src/netlink/wireguard.cpp" "CMakeFiles/lanrage_netlink_core.dir/src/netlink/wireguard.cpp.o" "gcc" "CMakeFiles/lanrage_netlink_core.dir/src/netlink/wireguard.cpp.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
