file(REMOVE_RECURSE
  "liblanrage_netlink_core.a"
)
