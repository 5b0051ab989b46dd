/**
 * Offline bundles (decision 0504): committed blocks with their QCs and transactions in a
 * streamed file, exported from one node and imported into a stopped one with the same checks
 * as block sync. The only import surface of node/bundle.
 */
export { exportBundle, type ExportBundleOptions, type BundleRange } from "./export.ts";
export { importBundle, type ImportBundleOptions, type ImportResult } from "./import.ts";
export { readBundle, readBundleItems, encodeBundleHeader, encodeBundleBlock, BUNDLE_FORMAT, BUNDLE_VERSION, type BundleHeader } from "./format.ts";
