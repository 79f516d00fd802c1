import { expect, test } from "bun:test";
import { deviceAccess, openDevice } from "../src/index.ts";
import { FakeSysfs, NIC } from "./fake-sysfs.ts";

test("sysfs access needs no IOMMU group, root and a resource0 file", () => {
  using sysfs = new FakeSysfs();
  const plain = { ...NIC, iommuGroup: undefined };
  const info = openDevice(`sysfs:${sysfs.add("0000:03:00.1", plain)}`).info;
  expect(deviceAccess(info, { euid: 0 }).sysfs).toMatchObject({ usable: true });
  expect(deviceAccess(info, { euid: 1000 }).sysfs).toEqual({
    usable: false,
    reason: "needs root (resource0 and pagemap PFNs)",
  });
  const noBar = openDevice(`sysfs:${sysfs.add("0000:03:00.2", { ...plain, bars: {} })}`).info;
  expect(deviceAccess(noBar, { euid: 0 }).sysfs.usable).toBe(false);
  const grouped = openDevice(`sysfs:${sysfs.add("0000:03:00.0", NIC)}`).info;
  const access = deviceAccess(grouped, { euid: 0, vfioDir: `${sysfs.base}/none` });
  expect(access.sysfs.reason).toContain("IOMMU group 7 present");
  expect(access.vfio.usable).toBe(false);
  expect(access.kernelDriver).toBe("ixgbe");
});
