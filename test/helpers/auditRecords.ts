/** fast-check arbitrary of audit records covering the whole CBOR data model of `data`. */
import fc from "fast-check";
import type { AuditRecord } from "../../src/ledger/index.ts";

const scalar = fc.oneof(
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.boolean(),
  fc.constant(null),
  fc.uint8Array({ maxLength: 40 }),
);
const data = fc.oneof(scalar, fc.array(scalar, { maxLength: 5 }), fc.dictionary(fc.string({ maxLength: 30 }), scalar, { maxKeys: 5 }));

export const auditRecordArbitrary: fc.Arbitrary<AuditRecord> = fc.record(
  { action: fc.string({ minLength: 1, maxLength: 40 }), subject: fc.string({ unit: "grapheme", maxLength: 40 }), data },
  { requiredKeys: ["action"] },
);
