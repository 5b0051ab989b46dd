import type { DatabaseSync } from "node:sqlite";

/**
 * Runs `write` all-or-nothing. A SAVEPOINT nests inside the caller's open transaction (so a
 * block commit and its state stay one unit, committed or rolled back by the caller) and
 * behaves as BEGIN ... COMMIT when no transaction is open.
 */
export function withSavepoint<T>(db: DatabaseSync, name: string, write: () => T): T {
  db.exec(`SAVEPOINT ${name}`);
  let result: T;
  try {
    result = write();
  } catch (err) {
    db.exec(`ROLLBACK TO ${name}`);
    db.exec(`RELEASE ${name}`);
    throw err;
  }
  db.exec(`RELEASE ${name}`);
  return result;
}
