// Packs every published package, checks each tarball holds dist/ with .d.ts files, installs the tarballs into a
// scratch project outside the workspace (third-party dependencies come from the npm registry), then imports every
// public API from Node and type-checks a TypeScript consumer against the packed types. Run after `pnpm build`.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const dirs = ["packages", "apps"].flatMap((d) => readdirSync(join(root, d)).map((p) => join(root, d, p)));
const published = dirs
  .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) }))
  .filter(({ pkg }) => pkg.private !== true);

const scratch = mkdtempSync(join(tmpdir(), "kpu-packs-"));
const tarballs = {};
try {
  for (const { dir, pkg } of published) {
    const out = execFileSync("pnpm", ["pack", "--pack-destination", scratch], { cwd: dir, encoding: "utf8" });
    const file = out.trim().split("\n").pop().trim();
    const listing = execFileSync("tar", ["-tzf", file], { encoding: "utf8" }).split("\n");
    const dts = listing.filter((f) => f.startsWith("package/dist/") && f.endsWith(".d.ts"));
    if (dts.length === 0) throw new Error(`${pkg.name}: the tarball has no dist/*.d.ts`);
    if (listing.some((f) => f.startsWith("package/src/"))) throw new Error(`${pkg.name}: the tarball ships src/`);
    const packed = JSON.parse(execFileSync("tar", ["-xzOf", file, "package/package.json"], { encoding: "utf8" }));
    const firstCondition = Object.keys(packed.exports["."])[0];
    if (firstCondition !== "types") throw new Error(`${pkg.name}: packed exports start with "${firstCondition}", not "types"`);
    if (JSON.stringify(packed).includes("workspace:")) throw new Error(`${pkg.name}: packed package.json keeps a workspace: range`);
    tarballs[pkg.name] = file;
    console.log(`packed ${pkg.name}: ${listing.filter(Boolean).length} files, ${dts.length} .d.ts`);
  }

  const consumer = join(scratch, "consumer");
  execFileSync("mkdir", ["-p", consumer]);
  const deps = Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`]));
  writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module", dependencies: deps }, null, 2));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: consumer, stdio: "inherit" });

  // Every public API imports in plain Node, and the compiler front half works from the packed code.
  const imports = Object.keys(tarballs).map((name, i) => `import * as m${i} from "${name}";`).join("\n");
  const checks = Object.keys(tarballs)
    .map((name, i) => `if (Object.keys(m${i}).length === 0) throw new Error("${name} exports nothing");`)
    .join("\n");
  writeFileSync(
    join(consumer, "check.mjs"),
    `${imports}\n${checks}\nimport { mlpExample } from "@kpu/ir";\nimport { compileGraph } from "@kpu/passes";\n` +
      `const n = compileGraph(mlpExample(), { tiling: { tile: 32 } }).output.uops.length;\n` +
      `if (n !== 148) throw new Error("expected 148 micro-ops, got " + n);\nconsole.log("imported ${Object.keys(tarballs).length} packages; mlp lowers to", n, "micro-ops");\n`,
  );
  execFileSync(process.execPath, ["check.mjs"], { cwd: consumer, stdio: "inherit" });

  // The packed types resolve for a strict TypeScript consumer using Node's own resolution.
  writeFileSync(
    join(consumer, "check.ts"),
    `import { mlpExample, type Graph } from "@kpu/ir";\nimport { compileGraph, type PassRecord } from "@kpu/passes";\n` +
      `const g: Graph = mlpExample();\nconst records: readonly PassRecord[] = compileGraph(g, { tiling: { tile: 32 } }).records;\nexport const names: string[] = records.map((r) => r.name);\n`,
  );
  writeFileSync(
    join(consumer, "tsconfig.json"),
    JSON.stringify({ compilerOptions: { strict: true, module: "NodeNext", moduleResolution: "NodeNext", target: "ES2022", noEmit: true, skipLibCheck: false, types: [] }, files: ["check.ts"] }),
  );
  execFileSync(process.execPath, [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"], { cwd: consumer, stdio: "inherit" });
  const version = execFileSync(join(consumer, "node_modules/.bin/kpu"), ["--version"], { encoding: "utf8" }).trim();
  console.log(`type-checked a NodeNext consumer; the packed kpu binary reports version ${version}`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
