// libFuzzer target: arbitrary bytes as a device op from JS. Invariants: no out-of-bounds
// access, no crash, no leak; a refused op leaves every secret field zeroed.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "codec/device_op_codec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace lanrage;
  std::vector<uint8_t> bytes(data, data + size);
  // Give the fuzzer the real magic most of the time, so it gets past the first check.
  if (bytes.size() >= 4 && (bytes[0] & 1)) {
    bytes[0] = 0x4c;
    bytes[1] = 0x52;
    bytes[2] = 0x4f;
    bytes[3] = 0x31;
  }
  nl::DeviceOp op;
  (void)codec::decodeDeviceOp(bytes.data(), bytes.size(), op);
  if (bytes.size() >= codec::kOpHeaderBytes) {
    for (size_t i = 24; i < 56; ++i)
      if (bytes[i] != 0) __builtin_trap();
  }
  return 0;
}
