/**
 * Every route the API documents (read from its own /v1/openapi.json, so a new route is covered
 * the day it is added) answers hostile path segments, query strings and bodies with a 4xx and a
 * JSON error, never a 5xx, and changes nothing. Found this way: an empty path parameter
 * (`GET /v1/blocks/`) reached handlers as undefined and answered 500.
 */
import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { buildTx } from "../../src/client/index.ts";
import { openTestChain, removeDir, type TestChain } from "../helpers/testChain.ts";

type Route = { readonly method: "GET" | "POST"; readonly path: string; readonly queryNames: readonly string[] };
type OpenApi = { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };

/** Values a careless or hostile client puts where a height, hash, address or id belongs. */
const hostileText = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString("hex")),
  fc.bigInt().map(String),
  fc.constantFrom("", "0", "-1", "1.5", "1e309", "NaN", "9007199254740993", " 1", "0x", "%", "%00", "..", "[]", "{}", "null", "a".repeat(4000), `gm${"0".repeat(40)}`, "0".repeat(64)),
);

describe("API: hostile input on every documented route", () => {
  let t: TestChain;
  let routes: Route[] = [];

  before(async () => {
    t = openTestChain();
    t.producer.start();
    const registration = buildTx(t.validatorKey, t.genesis.chainId, 0, { type: "account.register" });
    const res = await t.api.inject({ method: "POST", url: "/v1/txs?wait=true", headers: { "content-type": "application/cbor" }, payload: Buffer.from(registration.bytes) });
    assert.equal(res.statusCode, 200, res.body);
    const spec = JSON.parse((await t.api.inject({ method: "GET", url: "/v1/openapi.json" })).body) as OpenApi;
    for (const [path, operations] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const upper = method.toUpperCase();
        if (upper !== "GET" && upper !== "POST") continue;
        routes.push({ method: upper, path, queryNames: (operation.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name) });
      }
    }
  });

  after(async () => {
    await t.close();
    removeDir(t.dir);
  });

  it("reads the routes from the API's own OpenAPI document", () => {
    assert.ok(routes.length >= 20, `${routes.length} routes`);
    assert.ok(routes.some((r) => r.method === "POST" && r.path === "/v1/txs"));
    assert.ok(routes.some((r) => r.path === "/v1/blocks/{height}"));
  });

  it("an empty path parameter is a 400 naming it", async () => {
    const cases: [string, string][] = [
      ["/v1/blocks/", "height"],
      ["/v1/accounts/", "address"],
      ["/v1/roles/", "address"],
      ["/v1/staking/delegations/", "address"],
    ];
    for (const [url, field] of cases) {
      const res = await t.api.inject({ method: "GET", url });
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.match(res.json<{ error: { message: string } }>().error.message, new RegExp(`^${field}: required`), url);
    }
  });

  it("the router's own refusals answer in the API's error shape, without echoing the path", async () => {
    const long = await t.api.inject({ method: "GET", url: `/v1/blocks/${"7".repeat(5000)}` });
    assert.equal(long.statusCode, 414);
    assert.deepEqual(long.json(), { error: { code: "API_URI_TOO_LONG", message: "a path parameter is longer than 100 characters" } });
    for (const url of ["/v1/accounts/%ZZ", "/v1/blocks/%E0%A4%A"]) {
      const bad = await t.api.inject({ method: "GET", url });
      assert.equal(bad.statusCode, 400, url);
      assert.equal(bad.json<{ error: { code: string } }>().error.code, "API_BAD_REQUEST", url);
    }
  });

  it("random path segments, query strings and bodies never get a 5xx, and change nothing (property)", async () => {
    const before = { height: t.chain.head.height, logSize: t.chain.head.logSize, pool: t.mempool.size };
    const answered: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.array(hostileText, { minLength: 2, maxLength: 2 }),
        fc.array(fc.tuple(fc.nat(), hostileText), { maxLength: 4 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom("application/cbor", "application/json", "text/plain"),
        async (route, segments, queryPairs, body, contentType) => {
          let next = 0;
          const path = route.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(segments[next++ % segments.length] as string));
          // Mostly the route's own query names, so the values reach its parsers; sometimes a stranger.
          const query = queryPairs.map(([n, value]) => `${encodeURIComponent(route.queryNames[n % (route.queryNames.length + 1)] ?? "unknown")}=${encodeURIComponent(value)}`).join("&");
          const url = query === "" ? path : `${path}?${query}`;
          const res = await t.api.inject(route.method === "POST" ? { method: "POST", url, headers: { "content-type": contentType }, payload: Buffer.from(body) } : { method: "GET", url });
          assert.ok(res.statusCode < 500, `${route.method} ${url.slice(0, 200)} answered ${res.statusCode}: ${res.body.slice(0, 200)}`);
          if (res.statusCode >= 400) assert.equal(typeof res.json<{ error?: { code?: unknown } }>().error?.code, "string", `${route.method} ${url.slice(0, 200)}: a JSON error`);
          answered.push(route.path);
        },
      ),
      { numRuns: 1500 },
    );
    assert.ok(new Set(answered).size >= routes.length - 2, "most routes were tried");
    assert.deepEqual({ height: t.chain.head.height, logSize: t.chain.head.logSize, pool: t.mempool.size }, before);
  });
});
