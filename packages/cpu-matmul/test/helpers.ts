import { applyHostConfig, detectHost, type HostModel } from "../src/index.js";

/** A fixed AVX-512 host without AVX512-BF16 (the machine class), so rule outputs do not depend on where tests
 * run; tests that want the dot product set `bf16Dot: true` themselves. */
export const TEST_HOST: HostModel = applyHostConfig(
  detectHost(),
  {
    name: "test avx512 host",
    isa: "avx512",
    bf16Dot: false,
    vectorBits: 512,
    vectorRegisters: 32,
    fmaUnits: 2,
    fmaLatencyCycles: 4,
    cores: 2,
    l1d: { bytes: 49152, ways: 12, lineBytes: 64 },
    l2: { bytes: 2097152, ways: 16, lineBytes: 64 },
    l3: { bytes: 33554432, ways: 16, lineBytes: 64 },
  },
  "test host",
);

/** The machine the tests run on, for kernels that are compiled and run. */
export const RUN_HOST: HostModel = detectHost();
