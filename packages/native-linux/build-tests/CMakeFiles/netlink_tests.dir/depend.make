# Empty dependencies file for netlink_tests.
# This may be replaced when dependencies are built.
