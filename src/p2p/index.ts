/**
 * Ghostmesh peer-to-peer layer (DESIGN §3 "Network"). The only import surface of src/p2p.
 * So far: the post-quantum connection encrypter `/ghostmesh/qstp/1`.
 */
export * from "./qstp/index.ts";
