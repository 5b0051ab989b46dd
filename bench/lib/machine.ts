/** Facts about the machine a bench ran on, printed beside every figure. */
import { availableParallelism, cpus, loadavg } from "node:os";

/** libuv's default when UV_THREADPOOL_SIZE is unset (libuv docs: "Its default size is 4"). */
const LIBUV_THREADPOOL_SIZE_DEFAULT = 4;

export type MachineFacts = {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly nodeVersion: string;
  readonly opensslVersion: string;
  readonly libuvVersion: string;
  readonly libuvThreadpoolSize: number;
  readonly platform: string;
  /** The machine may be shared: a load well above zero at start means other work competed. */
  readonly loadAverage1mAtStart: number;
};

export function machineFacts(): MachineFacts {
  const configured = Number.parseInt(process.env.UV_THREADPOOL_SIZE ?? "", 10);
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    nodeVersion: process.version,
    opensslVersion: process.versions.openssl ?? "unknown",
    libuvVersion: process.versions.uv ?? "unknown",
    libuvThreadpoolSize: Number.isSafeInteger(configured) && configured > 0 ? configured : LIBUV_THREADPOOL_SIZE_DEFAULT,
    platform: `${process.platform}-${process.arch}`,
    loadAverage1mAtStart: round(loadavg()[0] ?? 0, 2),
  };
}

export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
