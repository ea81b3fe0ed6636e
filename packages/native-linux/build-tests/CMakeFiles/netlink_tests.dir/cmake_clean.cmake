file(REMOVE_RECURSE
  "CMakeFiles/netlink_tests.dir/test/cpp/message_test.cpp.o"
  "CMakeFiles/netlink_tests.dir/test/cpp/message_test.cpp.o.d"
  "CMakeFiles/netlink_tests.dir/test/cpp/socket_test.cpp.o"
  "CMakeFiles/netlink_tests.dir/test/cpp/socket_test.cpp.o.d"
  "CMakeFiles/netlink_tests.dir/test/cpp/wireguard_test.cpp.o"
  "CMakeFiles/netlink_tests.dir/test/cpp/wireguard_test.cpp.o.d"
  "netlink_tests"
  "netlink_tests.pdb"
  "netlink_tests[1]_tests.cmake"
)

# Per-language clean rules from dependency scanning.
foreach(lang CXX)
  include(CMakeFiles/netlink_tests.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
