import { addressFromPublicKey, defaultSignatureAlgorithm, formatAddress, generateSigningKey, parseSignatureAlgorithmName, saveKeyFile, signatureAlgorithmName } from "../../crypto/index.ts";
import { toHex } from "../../util/index.ts";
import { parseFlags, printJson, requireFlag, UsageError, type Command } from "../command.ts";
import { loadKeyWithPassphrase, readPassphrase } from "../passphrase.ts";

export const keysCommand: Command = {
  name: "keys",
  summary: "Create or show key files (ML-DSA signing keys)",
  help: `Usage:
  ghostmesh keys new --out FILE [--alg ml-dsa-65] [--plain | --passphrase P] [--json]
  ghostmesh keys show --key FILE [--passphrase P] [--json]

keys new writes a key file (mode 0600), encrypted with a passphrase unless --plain is given.
--alg: ml-dsa-44, ml-dsa-65 (default) or ml-dsa-87.
keys show prints the address, algorithm and public key (never the private key).`,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === "--help" || sub === "-h") return io.stdout(`${this.help}\n`), sub === undefined ? 2 : 0;
    if (sub === "new") {
      const { values } = parseFlags(rest, { out: { type: "string" }, alg: { type: "string" }, plain: { type: "boolean" }, passphrase: { type: "string" }, json: { type: "boolean" } });
      if (values.help) return io.stdout(`${this.help}\n`), 0;
      const out = requireFlag(values.out, "out");
      const alg = values.alg ? parseSignatureAlgorithmName(values.alg) : defaultSignatureAlgorithm;
      const key = generateSigningKey(alg);
      const protection = values.plain ? ({ plain: true } as const) : { passphrase: await readPassphrase(values.passphrase, io, "the new key") };
      saveKeyFile(out, key, protection);
      const address = formatAddress(addressFromPublicKey(key.alg, key.publicKey));
      if (values.json) printJson(io, { file: out, address, alg: signatureAlgorithmName(key.alg) });
      else io.stderr(`Wrote ${out}: ${address} (${signatureAlgorithmName(key.alg)})\n`);
      return 0;
    }
    if (sub === "show") {
      const { values } = parseFlags(rest, { key: { type: "string" }, passphrase: { type: "string" }, json: { type: "boolean" } });
      if (values.help) return io.stdout(`${this.help}\n`), 0;
      const key = await loadKeyWithPassphrase(requireFlag(values.key, "key"), values.passphrase, io);
      const info = { address: formatAddress(addressFromPublicKey(key.alg, key.publicKey)), alg: signatureAlgorithmName(key.alg), publicKey: toHex(key.publicKey) };
      if (values.json) printJson(io, info);
      else io.stdout(`address    ${info.address}\nalgorithm  ${info.alg}\npublic key ${info.publicKey.slice(0, 64)}… (${key.publicKey.length} bytes)\n`);
      return 0;
    }
    throw new UsageError(`unknown subcommand "keys ${sub}"; use keys new or keys show`);
  },
};
