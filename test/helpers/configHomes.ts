/**
 * Node homes holding only a config.yaml, for tests of loadNodeConfig. Call inside a `describe`:
 * the homes live in one temporary directory, removed after the suite.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { CONFIG_FILE } from "../../src/node/config.ts";

/** Returns `homeWith(yaml)`: a new home whose config.yaml is `yaml`. */
export function configHomes(prefix: string): (yaml: string) => string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return (yaml) => {
    const home = mkdtempSync(join(dir, "home-"));
    writeFileSync(join(home, CONFIG_FILE), yaml);
    return home;
  };
}
