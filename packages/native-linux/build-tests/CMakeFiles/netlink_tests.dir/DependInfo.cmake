
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/packages/native-linux/test/cpp/message_test.cpp" "CMakeFiles/netlink_tests.dir/test/cpp/message_test.cpp.o" "gcc" "CMakeFiles/netlink_tests.dir/test/cpp/message_test.cpp.o.d"
  "/work/main/packages/native-linux/test/cpp/socket_test.cpp" "CMakeFiles/netlink_tests.dir/test/cpp/socket_test.cpp.o" "gcc" "CMakeFiles/netlink_tests.dir/test/cpp/socket_test.cpp.o.d"
  "/work/main/packages/native-linux/test/cpp/wireguard_test.cpp" "CMakeFiles/netlink_tests.dir/test/cpp/wireguard_test.cpp.o" "gcc" "CMakeFiles/netlink_tests.dir/test/cpp/wireguard_test.cpp.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/packages/native-linux/build-tests/CMakeFiles/lanrage_netlink_core.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
