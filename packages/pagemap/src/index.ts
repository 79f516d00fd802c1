/* @dataplane/pagemap public API: virtual -> physical translation, page flags, kpageflags. */
export {
  BASE_PAGE,
  decodeEntry,
  ENTRY_BYTES,
  entryFlagNames,
  entryPfn,
  type PagemapEntry,
} from "./entry.ts";
export { PagemapError, type PagemapErrorCode } from "./errors.ts";
export { hasKpageflag, KPF, type KpageflagName, Kpageflags, kpageflagNames } from "./kpageflags.ts";
export { Pagemap, type PagemapOptions } from "./pagemap.ts";
