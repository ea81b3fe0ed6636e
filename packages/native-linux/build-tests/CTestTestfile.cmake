# CMake generated Testfile for 
# Source directory: /work/main/packages/native-linux
# Build directory: /work/main/packages/native-linux/build-tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
include("/work/main/packages/native-linux/build-tests/netlink_tests[1]_include.cmake")
