// Pins the register map to datasheet values typed here independently of src/regs: the driver
// and the device model share these names, so a wrong offset would otherwise fool both.
import { describe, expect, test } from "bun:test";
import * as R from "../src/regs/index.ts";

const offsets: [string, number, number][] = [
  ["CTRL", R.CTRL, 0x0],
  ["STATUS", R.STATUS, 0x8],
  ["CTRL_EXT", R.CTRL_EXT, 0x18],
  ["EEC", R.EEC, 0x10010],
  ["EERD", R.EERD, 0x10014],
  ["SWSM", R.SWSM, 0x10140],
  ["FWSM", R.FWSM, 0x10148],
  ["SW_FW_SYNC", R.SW_FW_SYNC, 0x10160],
  ["EICR", R.EICR, 0x800],
  ["EICS", R.EICS, 0x808],
  ["EIAC", R.EIAC, 0x810],
  ["EIMS", R.EIMS, 0x880],
  ["EIMC", R.EIMC, 0x888],
  ["EIAM", R.EIAM, 0x890],
  ["GPIE", R.GPIE, 0x898],
  ["IVAR_MISC", R.IVAR_MISC, 0xa00],
  ["HLREG0", R.HLREG0, 0x4240],
  ["MAXFRS", R.MAXFRS, 0x4268],
  ["MFLCN", R.MFLCN, 0x4294],
  ["AUTOC", R.AUTOC, 0x42a0],
  ["LINKS", R.LINKS, 0x42a4],
  ["AUTOC2", R.AUTOC2, 0x42a8],
  ["FCCFG", R.FCCFG, 0x3d00],
  ["RXCTRL", R.RXCTRL, 0x3000],
  ["RDRXCTL", R.RDRXCTL, 0x2f00],
  ["PFQDE", R.PFQDE, 0x2f04],
  ["FCTRL", R.FCTRL, 0x5080],
  ["VLNCTRL", R.VLNCTRL, 0x5088],
  ["MCSTCTRL", R.MCSTCTRL, 0x5090],
  ["RXCSUM", R.RXCSUM, 0x5000],
  ["RFCTL", R.RFCTL, 0x5008],
  ["MRQC", R.MRQC, 0xec80],
  ["MRQC_ALIAS", R.MRQC_ALIAS, 0x5818],
  ["RQTC", R.RQTC, 0xec70],
  ["SECRXCTRL", R.SECRXCTRL, 0x8d00],
  ["SECRXSTAT", R.SECRXSTAT, 0x8d04],
  ["SECTXCTRL", R.SECTXCTRL, 0x8800],
  ["SECTXSTAT", R.SECTXSTAT, 0x8804],
  ["DMATXCTL", R.DMATXCTL, 0x4a80],
  ["DTXMXSZRQ", R.DTXMXSZRQ, 0x8100],
  ["RTTDCS", R.RTTDCS, 0x4900],
  ["MTQC", R.MTQC, 0x8120],
  ["CRCERRS", R.CRCERRS, 0x4000],
  ["RLEC", R.RLEC, 0x4040],
  ["LXONTXC", R.LXONTXC, 0x3f60],
  ["LXOFFTXC", R.LXOFFTXC, 0x3f68],
  ["LXONRXCNT", R.LXONRXCNT, 0x41a4],
  ["LXOFFRXCNT", R.LXOFFRXCNT, 0x41a8],
  ["GPRC", R.GPRC, 0x4074],
  ["BPRC", R.BPRC, 0x4078],
  ["MPRC", R.MPRC, 0x407c],
  ["GPTC", R.GPTC, 0x4080],
  ["GORCL", R.GORCL, 0x4088],
  ["GORCH", R.GORCH, 0x408c],
  ["GOTCL", R.GOTCL, 0x4090],
  ["GOTCH", R.GOTCH, 0x4094],
  ["TORL", R.TORL, 0x40c0],
  ["TORH", R.TORH, 0x40c4],
  ["TPR", R.TPR, 0x40d0],
  ["TPT", R.TPT, 0x40d4],
  ["MPTC", R.MPTC, 0x40f0],
  ["BPTC", R.BPTC, 0x40f4],
  ["PRC64", R.PRC64, 0x405c],
  ["PTC1522", R.PTC1522, 0x40ec],
  ["ROC", R.ROC, 0x40ac],
];

const perIndex: [string, (n: number) => number, number, number][] = [
  // name, function, index, datasheet offset
  ["RDBAL", R.RDBAL, 0, 0x1000],
  ["RDBAH", R.RDBAH, 1, 0x1044],
  ["RDLEN", R.RDLEN, 2, 0x1088],
  ["DCA_RXCTRL", R.DCA_RXCTRL, 3, 0x10cc],
  ["RDH", R.RDH, 63, 0x1fd0],
  ["SRRCTL", R.SRRCTL, 5, 0x1154],
  ["RDT", R.RDT, 0, 0x1018],
  ["RDT", R.RDT, 64, 0xd018],
  ["RDT", R.RDT, 127, 0xd018 + 63 * 0x40],
  ["RXDCTL", R.RXDCTL, 0, 0x1028],
  ["RXDCTL", R.RXDCTL, 65, 0xd068],
  ["RSCCTL", R.RSCCTL, 0, 0x102c],
  ["SRRCTL_ALIAS", R.SRRCTL_ALIAS, 3, 0x210c],
  ["DCA_RXCTRL_ALIAS", R.DCA_RXCTRL_ALIAS, 15, 0x223c],
  ["TDBAL", R.TDBAL, 0, 0x6000],
  ["TDBAH", R.TDBAH, 1, 0x6044],
  ["TDLEN", R.TDLEN, 0, 0x6008],
  ["DCA_TXCTRL", R.DCA_TXCTRL, 0, 0x600c],
  ["TDH", R.TDH, 2, 0x6090],
  ["TDT", R.TDT, 0, 0x6018],
  ["TDT", R.TDT, 127, 0x6018 + 127 * 0x40],
  ["TXDCTL", R.TXDCTL, 1, 0x6068],
  ["TDWBAL", R.TDWBAL, 0, 0x6038],
  ["TDWBAH", R.TDWBAH, 0, 0x603c],
  ["EITR", R.EITR, 0, 0x820],
  ["EITR", R.EITR, 23, 0x87c],
  ["EITR", R.EITR, 24, 0x12300],
  ["EITR", R.EITR, 63, 0x1239c],
  ["IVAR", R.IVAR, 0, 0x900],
  ["IVAR", R.IVAR, 63, 0x9fc],
  ["PBACL", R.PBACL, 0, 0x11068],
  ["PBACL", R.PBACL, 1, 0x110c4],
  ["EICS_EX", R.EICS_EX, 1, 0xa94],
  ["EIMS_EX", R.EIMS_EX, 0, 0xaa0],
  ["EIMC_EX", R.EIMC_EX, 1, 0xab4],
  ["EIAM_EX", R.EIAM_EX, 0, 0xad0],
  ["RXPBSIZE", R.RXPBSIZE, 7, 0x3c1c],
  ["TXPBSIZE", R.TXPBSIZE, 0, 0xcc00],
  ["TXPBTHRESH", R.TXPBTHRESH, 0, 0x4950],
  ["FCRTL", R.FCRTL, 0, 0x3220],
  ["FCRTH", R.FCRTH, 0, 0x3260],
  ["MTA", R.MTA, 127, 0x53fc],
  ["VFTA", R.VFTA, 0, 0xa000],
  ["RAL", R.RAL, 0, 0xa200],
  ["RAH", R.RAH, 0, 0xa204],
  ["RAL", R.RAL, 1, 0xa208],
  ["RAL_ALIAS", R.RAL_ALIAS, 0, 0x5400],
  ["RAH_ALIAS", R.RAH_ALIAS, 0, 0x5404],
  ["MPSAR", R.MPSAR, 0, 0xa600],
  ["PFUTA", R.PFUTA, 0, 0xf400],
  ["RETA", R.RETA, 0, 0xeb00],
  ["RETA", R.RETA, 31, 0xeb7c],
  ["RETA_ALIAS", R.RETA_ALIAS, 0, 0x5c00],
  ["RSSRK", R.RSSRK, 0, 0xeb80],
  ["RSSRK", R.RSSRK, 9, 0xeba4],
  ["RSSRK_ALIAS", R.RSSRK_ALIAS, 9, 0x5ca4],
  ["MPC", R.MPC, 0, 0x3fa0],
  ["MPC", R.MPC, 7, 0x3fbc],
  ["RNBC", R.RNBC, 0, 0x3fc0],
  ["PXONTXC", R.PXONTXC, 0, 0x3f00],
  ["PXOFFTXC", R.PXOFFTXC, 0, 0x3f20],
  ["PXONRXCNT", R.PXONRXCNT, 0, 0x4140],
  ["PXOFFRXCNT", R.PXOFFRXCNT, 0, 0x4160],
  ["RQSMR", R.RQSMR, 1, 0x2304],
  ["TQSM", R.TQSM, 1, 0x8604],
  ["QPRC", R.QPRC, 0, 0x1030],
  ["QPRC", R.QPRC, 15, 0x13f0],
  ["QPRDC", R.QPRDC, 1, 0x1470],
  ["QBRC_L", R.QBRC_L, 0, 0x1034],
  ["QBRC_H", R.QBRC_H, 0, 0x1038],
  ["QPTC", R.QPTC, 1, 0x8684],
  ["QPTC_ALIAS", R.QPTC_ALIAS, 1, 0x6070],
  ["QBTC_L", R.QBTC_L, 1, 0x8708],
  ["QBTC_H", R.QBTC_H, 1, 0x870c],
];

const bits: [string, number, number][] = [
  ["CTRL_LRST", R.CTRL_LRST, 0x8],
  ["CTRL_RST", R.CTRL_RST, 0x4000000],
  ["CTRL_RST_MASK", R.CTRL_RST_MASK, 0x04000008],
  ["STATUS_PCIE_MASTER_ENABLE_STATUS", R.STATUS_PCIE_MASTER_ENABLE_STATUS, 0x80000],
  ["CTRL_EXT_NS_DIS", R.CTRL_EXT_NS_DIS, 0x10000],
  ["EEC_EE_PRES", R.EEC_EE_PRES, 0x100],
  ["EEC_ARD", R.EEC_ARD, 0x200],
  ["EICR_LSC", R.EICR_LSC, 0x100000],
  ["EICR_RX_MISS", R.EICR_RX_MISS, 0x20000],
  ["GPIE_MSIX_MODE", R.GPIE_MSIX_MODE, 0x10],
  ["GPIE_EIAME", R.GPIE_EIAME, 0x40000000],
  ["GPIE_PBA_SUPPORT", R.GPIE_PBA_SUPPORT, 0x80000000],
  ["IVAR_ALLOC_VAL", R.IVAR_ALLOC_VAL, 0x80],
  ["HLREG0_TXCRCEN", R.HLREG0_TXCRCEN, 0x1],
  ["HLREG0_RXCRCSTRP", R.HLREG0_RXCRCSTRP, 0x2],
  ["HLREG0_JUMBOEN", R.HLREG0_JUMBOEN, 0x4],
  ["HLREG0_TXPADEN", R.HLREG0_TXPADEN, 0x400],
  ["HLREG0_LPBK", R.HLREG0_LPBK, 0x8000],
  ["AUTOC_LMS_MASK", R.AUTOC_LMS_MASK, 0xe000],
  ["AUTOC_LMS_10G_SERIAL", R.AUTOC_LMS_10G_SERIAL, 0x6000],
  ["AUTOC_10G_PMA_PMD_MASK", R.AUTOC_10G_PMA_PMD_MASK, 0x180],
  ["AUTOC_AN_RESTART", R.AUTOC_AN_RESTART, 0x1000],
  ["LINKS_UP", R.LINKS_UP, 0x40000000],
  ["LINKS_SPEED_MASK", R.LINKS_SPEED_MASK, 0x30000000],
  ["LINKS_SPEED_10G", R.LINKS_SPEED_10G, 0x30000000],
  ["LINKS_SPEED_1G", R.LINKS_SPEED_1G, 0x20000000],
  ["RXCTRL_RXEN", R.RXCTRL_RXEN, 0x1],
  ["RDRXCTL_CRCSTRIP", R.RDRXCTL_CRCSTRIP, 0x2],
  ["RDRXCTL_DMAIDONE", R.RDRXCTL_DMAIDONE, 0x8],
  ["RXPBSIZE_128KB", R.RXPBSIZE_128KB, 0x20000],
  ["FCTRL_MPE", R.FCTRL_MPE, 0x100],
  ["FCTRL_UPE", R.FCTRL_UPE, 0x200],
  ["FCTRL_BAM", R.FCTRL_BAM, 0x400],
  ["RAH_AV", R.RAH_AV, 0x80000000],
  ["RXCSUM_PCSD", R.RXCSUM_PCSD, 0x2000],
  ["SRRCTL_DESCTYPE_MASK", R.SRRCTL_DESCTYPE_MASK, 0x0e000000],
  ["SRRCTL_DESCTYPE_ADV_ONEBUF", R.SRRCTL_DESCTYPE_ADV_ONEBUF, 0x02000000],
  ["SRRCTL_DROP_EN", R.SRRCTL_DROP_EN, 0x10000000],
  ["DCA_RXCTRL_BIT12", R.DCA_RXCTRL_BIT12, 0x1000],
  ["RXDCTL_ENABLE", R.RXDCTL_ENABLE, 0x02000000],
  ["TXDCTL_ENABLE", R.TXDCTL_ENABLE, 0x02000000],
  ["TXDCTL_THRESH_MASK", R.TXDCTL_THRESH_MASK, 0x7f7f7f],
  ["DMATXCTL_TE", R.DMATXCTL_TE, 0x1],
  ["RTTDCS_ARBDIS", R.RTTDCS_ARBDIS, 0x40],
  ["TXPBSIZE_40KB", R.TXPBSIZE_40KB, 0xa000],
  ["SECRXCTRL_RX_DIS", R.SECRXCTRL_RX_DIS, 0x2],
  ["SECRXSTAT_SECRX_RDY", R.SECRXSTAT_SECRX_RDY, 0x1],
  ["MRQC_RSSEN", R.MRQC_RSSEN, 0x1],
  ["MRQC_RSS_FIELD_IPV4_TCP", R.MRQC_RSS_FIELD_IPV4_TCP, 0x10000],
  ["MRQC_RSS_FIELD_IPV4", R.MRQC_RSS_FIELD_IPV4, 0x20000],
  ["MRQC_RSS_FIELD_IPV6", R.MRQC_RSS_FIELD_IPV6, 0x100000],
  ["MRQC_RSS_FIELD_IPV6_TCP", R.MRQC_RSS_FIELD_IPV6_TCP, 0x200000],
  ["MRQC_RSS_FIELD_IPV4_UDP", R.MRQC_RSS_FIELD_IPV4_UDP, 0x400000],
  ["MRQC_RSS_FIELD_IPV6_UDP", R.MRQC_RSS_FIELD_IPV6_UDP, 0x800000],
  ["RXDADV_STAT_DD", R.RXDADV_STAT_DD, 0x1],
  ["RXDADV_STAT_EOP", R.RXDADV_STAT_EOP, 0x2],
  ["RXDADV_ERR_RXE", R.RXDADV_ERR_RXE, 0x20000000],
  ["RXDADV_RSSTYPE_IPV4_UDP", R.RXDADV_RSSTYPE_IPV4_UDP, 7],
  ["ADVTXD_DTYP_DATA", R.ADVTXD_DTYP_DATA, 0x00300000],
  ["ADVTXD_DTYP_CTXT", R.ADVTXD_DTYP_CTXT, 0x00200000],
  ["ADVTXD_DCMD_EOP", R.ADVTXD_DCMD_EOP, 0x01000000],
  ["ADVTXD_DCMD_IFCS", R.ADVTXD_DCMD_IFCS, 0x02000000],
  ["ADVTXD_DCMD_RS", R.ADVTXD_DCMD_RS, 0x08000000],
  ["ADVTXD_DCMD_DEXT", R.ADVTXD_DCMD_DEXT, 0x20000000],
  ["ADVTXD_STAT_DD", R.ADVTXD_STAT_DD, 0x1],
  ["ADVTXD_PAYLEN_SHIFT", R.ADVTXD_PAYLEN_SHIFT, 14],
  ["PCI_COMMAND_MASTER", R.PCI_COMMAND_MASTER, 0x4],
  ["PCI_COMMAND_MEMORY", R.PCI_COMMAND_MEMORY, 0x2],
];

describe("register offsets match the datasheet", () => {
  test.each(offsets)("%s", (_name, actual, expected) => {
    expect(actual).toBe(expected);
  });
  test.each(perIndex)("%s(%d)", (_name, fn, n, expected) => {
    expect(fn(n)).toBe(expected);
  });
});

describe("bit constants match the datasheet", () => {
  test.each(bits)("%s", (_name, actual, expected) => {
    // Bit 31 constants are unsigned so they compare equal to Uint32Array reads.
    expect(actual >>> 0).toBe(expected);
    expect(actual).toBeGreaterThanOrEqual(0);
  });
});

describe("composite values used by init", () => {
  test("single-descriptor TX command for a 60-byte frame", () => {
    expect((R.ADVTXD_CMD_SINGLE | 60) >>> 0).toBe(0x2b30003c);
    expect((60 << R.ADVTXD_PAYLEN_SHIFT) >>> 0).toBe(0x000f0000);
  });
  test("ixy's MSI-X GPIE bits", () => {
    expect((R.GPIE_MSIX_MODE | R.GPIE_EIAME | R.GPIE_PBA_SUPPORT) >>> 0).toBe(0xc0000010);
  });
  test("ixy's TXDCTL thresholds: PTHRESH 36, HTHRESH 8, WTHRESH 4", () => {
    const v =
      (36 << R.TXDCTL_PTHRESH_SHIFT) |
      (8 << R.TXDCTL_HTHRESH_SHIFT) |
      (4 << R.TXDCTL_WTHRESH_SHIFT);
    expect(v).toBe(0x00040824);
  });
  test("IVAR entry positions: RX 2n, TX 2n, RX 2n+1, TX 2n+1", () => {
    expect([R.ivarShift(4, 0), R.ivarShift(4, 1), R.ivarShift(5, 0), R.ivarShift(5, 1)]).toEqual([
      0, 8, 16, 24,
    ]);
    expect(R.IVAR(R.ivarIndex(5))).toBe(0x908);
  });
  test("per-queue RX block stride 0x40 with the 64-queue split", () => {
    for (let q = 0; q < 128; q++) {
      const base = q < 64 ? 0x1000 + q * 64 : 0xd000 + (q - 64) * 64;
      expect([R.RDBAL(q), R.RDT(q), R.RXDCTL(q)]).toEqual([base, base + 0x18, base + 0x28]);
    }
  });
  test("every register offset is 32-bit aligned and inside a 512 KiB BAR0", () => {
    for (const [, v] of offsets.map(([n, o]) => [n, o] as const)) {
      expect(v % 4).toBe(0);
      expect(v).toBeLessThan(R.BAR0_SIZE);
    }
  });
});

describe("device id table", () => {
  test("accepts the 82599 SFP+ parts; refuses X540, backplane, the VF and 82598", () => {
    expect(R.findDeviceId(0x10fb)?.name).toContain("82599");
    expect(R.findDeviceId(0x1528)).toBeUndefined();
    expect(R.findRefusedDeviceId(0x1528)?.name).toContain("X540");
    expect(R.findDeviceId(0x10f7)).toBeUndefined();
    expect(R.findDeviceId(0x10ed)).toBeUndefined();
    expect(R.findDeviceId(0x10c6)).toBeUndefined();
    expect(R.INTEL_VENDOR_ID).toBe(0x8086);
  });
  test("ids are unique across both tables", () => {
    const ids = [...R.SUPPORTED_DEVICE_IDS, ...R.REFUSED_DEVICE_IDS].map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
