/*
 * The NVM image a port serves through EERD (fact sheet §2.1). 256 words, the size EEC.EE_SIZE
 * = 2 announces (2^(EE_SIZE + 6) words). Only the words drivers read are filled; everything
 * else is 0, which the 82599's NVM map reads as "section not present".
 *
 * Words (82599 datasheet §6, NVM map; the same offsets Linux ixgbe_type.h names):
 *   0x03..0x0E  section pointers; 0 = absent. The checksum covers the sections they point at.
 *   0x0F        firmware module pointer -> 0x40. Drivers check the pass-through patch version
 *               in it (word 4 of the module points at the patch configuration block, whose
 *               word 7 is the version; Linux calls a version <= 5 a pre-production part).
 *   0x15, 0x16  PBA number in the legacy form (no 0xFAFA guard): six hex digits, '-', three.
 *   0x2B        SFP+ PHY init list -> 0x50: {sfp type, data offset} pairs ended by 0xFFFF;
 *               each data block is CORECTL values ended by 0xFFFF. The model's module types
 *               (SR/LR on core 0 and core 1, ids 5 and 6) share one empty sequence: the model
 *               has no analog front end for CORECTL to tune.
 *   0x2C        device capabilities: 0 (only modules the driver knows are allowed).
 *   0x3F        checksum: words 0x00..0x3F plus the pointed sections sum to 0xBABA.
 */

/** Words in the image. */
export const EEPROM_WORDS = 256;
/** Checksum word and the sum it completes. */
export const EEPROM_CHECKSUM_WORD = 0x3f;
export const EEPROM_SUM = 0xbaba;
/** First and one-past-last section pointer the checksum follows (the FW pointer is excluded). */
const SECTION_PTR_FIRST = 0x03;
const FW_PTR = 0x0f;
const PBA_WORD0 = 0x15;
const PBA_WORD1 = 0x16;
const PHY_INIT_PTR = 0x2b;
/** Where the model places the blocks the pointers lead to. */
const FW_MODULE = 0x40;
const FW_PATCH_CONFIG = 0x48;
const PHY_INIT_LIST = 0x50;
const PHY_INIT_DATA = 0x58;
/** Linux ixgbe_sfp_type values the list covers: SR/LR module on LAN 0 and LAN 1. */
export const SFP_TYPE_SRLR_CORE0 = 5;
export const SFP_TYPE_SRLR_CORE1 = 6;
/** Pass-through patch version: newer than 5, the last pre-production one. */
const FW_PATCH_VERSION = 0x0006;
/**
 * PBA number "E5131A-05D" as the two legacy words. The value is the model's; it is chosen so
 * words 0x00..0x3E sum to 0, which keeps the checksum word itself 0xBABA as in earlier images.
 */
const PBA = [0xe513, 0x1a5d] as const;

/** Returns a fresh image with a valid checksum. */
export function eepromImage(): Uint16Array {
  const img = new Uint16Array(EEPROM_WORDS);
  img[FW_PTR] = FW_MODULE;
  img[FW_MODULE + 4] = FW_PATCH_CONFIG; // pass-through patch configuration pointer
  img[FW_PATCH_CONFIG + 7] = FW_PATCH_VERSION;
  img[PBA_WORD0] = PBA[0];
  img[PBA_WORD1] = PBA[1];
  img[PHY_INIT_PTR] = PHY_INIT_LIST;
  const list = [SFP_TYPE_SRLR_CORE0, PHY_INIT_DATA, SFP_TYPE_SRLR_CORE1, PHY_INIT_DATA, 0xffff];
  img.set(list, PHY_INIT_LIST + 1); // the list's first word is a header drivers skip
  img[PHY_INIT_DATA + 1] = 0xffff; // the sequence starts after its header word: empty
  img[EEPROM_CHECKSUM_WORD] = checksumFor(img);
  return img;
}

/** The checksum word that makes `img` sum to 0xBABA (datasheet §6, NVM checksum). */
export function checksumFor(img: Uint16Array): number {
  return (EEPROM_SUM - checksummedSum(img)) & 0xffff;
}

/** Sum of the checksummed words except word 0x3F: 0x00..0x3E and each pointed section. */
export function checksummedSum(img: Uint16Array): number {
  let sum = 0;
  for (let i = 0; i < EEPROM_CHECKSUM_WORD; i++) sum += img[i] as number;
  for (let p = SECTION_PTR_FIRST; p < FW_PTR; p++) {
    const at = img[p] as number;
    if (at === 0 || at === 0xffff || at >= img.length) continue;
    const length = img[at] as number;
    if (length === 0 || length === 0xffff) continue;
    for (let j = at + 1; j <= at + length && j < img.length; j++) sum += img[j] as number;
  }
  return sum & 0xffff;
}
