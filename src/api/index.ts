export { buildApi, startApiServer, type ApiOptions, type ApiServer } from "./server.ts";
export type { ApiModules, BlockProducer } from "./types.ts";
export { httpStatusOf } from "./errors.ts";
