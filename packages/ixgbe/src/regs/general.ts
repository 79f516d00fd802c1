/**
 * General control, reset, EEPROM and semaphore registers (82599 datasheet §8.2.3.1-8.2.3.4).
 * Offsets are byte offsets from BAR0; bits follow the `<REG>_<FIELD>` naming rule.
 */

/** CTRL: Device Control (RW). Reset and master-disable bits. */
export const CTRL = 0x00000;
/** CTRL.PCIE_MASTER_DISABLE (bit 2): block new DMA; poll STATUS.PCIE_MASTER_ENABLE_STATUS. */
export const CTRL_PCIE_MASTER_DISABLE = 1 << 2;
/** CTRL.LRST (bit 3, SC): link reset; self-clears when done. */
export const CTRL_LRST = 1 << 3;
/** CTRL.RST (bit 26, SC): device (global) reset; self-clears when done. */
export const CTRL_RST = 1 << 26;
/** CTRL.RST | CTRL.LRST: the value written for a full reset (0x04000008). */
export const CTRL_RST_MASK = CTRL_RST | CTRL_LRST;

/** STATUS: Device Status (RO). */
export const STATUS = 0x00008;
/** STATUS.LAN_ID (bits 3:2): PCI function number of this port. */
export const STATUS_LAN_ID_SHIFT = 2;
/** STATUS.LAN_ID mask (after shifting). */
export const STATUS_LAN_ID_MASK = 0x3;
/** STATUS.LINK_UP (bit 7). */
export const STATUS_LINK_UP = 1 << 7;
/** STATUS.NUM_VFS (bits 17:10). */
export const STATUS_NUM_VFS_SHIFT = 10;
/** STATUS.NUM_VFS mask (after shifting). */
export const STATUS_NUM_VFS_MASK = 0xff;
/** STATUS.IOV_ACTIVE (bit 18). */
export const STATUS_IOV_ACTIVE = 1 << 18;
/** STATUS.PCIE_MASTER_ENABLE_STATUS (bit 19): drops to 0 once master-disable has drained DMA. */
export const STATUS_PCIE_MASTER_ENABLE_STATUS = 1 << 19;

/** CTRL_EXT: Extended Device Control (RW). */
export const CTRL_EXT = 0x00018;
/** CTRL_EXT.PFRSTD (bit 14): PF reset done (SR-IOV). */
export const CTRL_EXT_PFRSTD = 1 << 14;
/** CTRL_EXT.NS_DIS (bit 16): no-snoop disable; the datasheet's RX init sets it. */
export const CTRL_EXT_NS_DIS = 1 << 16;
/** CTRL_EXT.RO_DIS (bit 17): relaxed ordering disable. */
export const CTRL_EXT_RO_DIS = 1 << 17;
/** CTRL_EXT.EXTENDED_VLAN (bit 26). */
export const CTRL_EXT_EXTENDED_VLAN = 1 << 26;
/** CTRL_EXT.DRV_LOAD (bit 28): tells firmware a driver owns the port. */
export const CTRL_EXT_DRV_LOAD = 1 << 28;

/** EEC: EEPROM/Flash Control (RW, status bits RO). */
export const EEC = 0x10010;
/** EEC.EE_REQ (bit 6): request bit-bang access. */
export const EEC_EE_REQ = 1 << 6;
/** EEC.EE_GNT (bit 7, RO): bit-bang access granted. */
export const EEC_EE_GNT = 1 << 7;
/** EEC.EE_PRES (bit 8, RO): an EEPROM is present. */
export const EEC_EE_PRES = 1 << 8;
/** EEC.ARD (bit 9, RO): EEPROM auto-read done after reset; init polls it. */
export const EEC_ARD = 1 << 9;
/** EEC.EE_SIZE (bits 14:11, RO). */
export const EEC_EE_SIZE_SHIFT = 11;
/** EEC.EE_SIZE mask (after shifting). */
export const EEC_EE_SIZE_MASK = 0xf;

/** EERD: EEPROM Read (RW). Write START with the word address, poll DONE, data in 31:16. */
export const EERD = 0x10014;
/** EERD.START (bit 0). */
export const EERD_START = 1 << 0;
/** EERD.DONE (bit 1): set by hardware when the data field is valid. */
export const EERD_DONE = 1 << 1;
/** EERD.ADDR (bits 15:2): EEPROM word address. */
export const EERD_ADDR_SHIFT = 2;
/** EERD.ADDR mask (after shifting). */
export const EERD_ADDR_MASK = 0x3fff;
/** EERD.DATA (bits 31:16). */
export const EERD_DATA_SHIFT = 16;

/** SWSM: Software Semaphore (RW; SMBI is RS: a read returning 0 takes the semaphore). */
export const SWSM = 0x10140;
/** SWSM.SMBI (bit 0, RS): software/software semaphore. */
export const SWSM_SMBI = 1 << 0;
/** SWSM.SWESMBI (bit 1): software/firmware semaphore; reads back 1 when owned. */
export const SWSM_SWESMBI = 1 << 1;

/** FWSM: Firmware Semaphore (RO). */
export const FWSM = 0x10148;
/** FWSM.FW_MODE (bits 3:1). */
export const FWSM_FW_MODE_SHIFT = 1;
/** FWSM.FW_MODE mask (after shifting). */
export const FWSM_FW_MODE_MASK = 0x7;
/** FWSM.EXT_ERR_IND (bits 24:19): 0 means no firmware error. */
export const FWSM_EXT_ERR_IND_SHIFT = 19;
/** FWSM.EXT_ERR_IND mask (after shifting). */
export const FWSM_EXT_ERR_IND_MASK = 0x3f;

/** SW_FW_SYNC: Software-Firmware Synchronization (RW). Software bits 4:0, firmware bits 9:5. */
export const SW_FW_SYNC = 0x10160;
/** SW_FW_SYNC.SW_EEP (bit 0): EEPROM owned by software. */
export const SW_FW_SYNC_SW_EEP = 1 << 0;
/** SW_FW_SYNC.SW_PHY_0 (bit 1). */
export const SW_FW_SYNC_SW_PHY_0 = 1 << 1;
/** SW_FW_SYNC.SW_PHY_1 (bit 2). */
export const SW_FW_SYNC_SW_PHY_1 = 1 << 2;
/** SW_FW_SYNC.SW_MAC_CSR (bit 3): MAC CSRs such as AUTOC owned by software. */
export const SW_FW_SYNC_SW_MAC_CSR = 1 << 3;
/** SW_FW_SYNC.SW_FLASH (bit 4). */
export const SW_FW_SYNC_SW_FLASH = 1 << 4;
/** SW_FW_SYNC firmware bits (9:5); a software write must not set these. */
export const SW_FW_SYNC_FW_MASK = 0x1f << 5;

/** GCR_EXT: PCIe Control Extended (RW). Used by the datasheet's DMA flush recipe. */
export const GCR_EXT = 0x11050;
/** GCR_EXT.BUFFERS_CLEAR_FUNC (bit 30). */
export const GCR_EXT_BUFFERS_CLEAR_FUNC = 1 << 30;
