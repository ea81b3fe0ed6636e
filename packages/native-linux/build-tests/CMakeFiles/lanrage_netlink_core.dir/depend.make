# Empty dependencies file for lanrage_netlink_core.
# This may be replaced when dependencies are built.
