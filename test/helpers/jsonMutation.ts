/**
 * Random damage to a JSON document, for tests of what reads JSON from elsewhere (a node's API
 * answers, files a user hands in): values replaced at any depth by values of other types and
 * sizes, fields deleted, arrays emptied.
 */
import fc from "fast-check";

type Path = readonly (string | number)[];
type Mutation = { readonly at: number; readonly leaf: unknown; readonly remove: boolean };

/** A replacement value: other types, edge numbers, strings that look like hex, addresses, base64. */
export const jsonLeaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 2 ** 53, -(2 ** 53), 1e308, "", "0", "-5", "1e3", "ab", "zz", "00".repeat(32), "AA==", `gm${"0".repeat(40)}`, [], {}, [null], { x: 1 }),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.constant("f".repeat(300)),
);

export const jsonMutations: fc.Arbitrary<readonly Mutation[]> = fc.array(fc.record({ at: fc.nat(), leaf: jsonLeaf, remove: fc.boolean() }), { minLength: 1, maxLength: 3 });

function pathsOf(value: unknown, path: Path = [], into: Path[] = []): Path[] {
  if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const next = [...path, Array.isArray(value) ? Number(key) : key];
      into.push(next);
      pathsOf(child, next, into);
    }
  }
  return into;
}

/** `document` with `mutations` applied (a copy); with no path to change, the whole document is replaced. */
export function mutateJson(document: unknown, mutations: readonly Mutation[]): unknown {
  let copy: unknown = structuredClone(document);
  for (const { at, leaf, remove } of mutations) {
    const paths = pathsOf(copy);
    const path = paths[at % Math.max(1, paths.length)];
    if (path === undefined) {
      copy = leaf;
      continue;
    }
    let parent = copy as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
    const last = path.at(-1) as string | number;
    if (remove && Array.isArray(parent)) parent.splice(Number(last), 1);
    else if (remove) delete parent[last];
    else parent[last] = structuredClone(leaf);
  }
  return copy;
}
