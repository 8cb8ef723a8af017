#!/usr/bin/env node
// Feature folders cannot import each other (bulletproof-react's import/no-restricted-paths idea):
// src/features/<a>/** may import src/components, src/lib and its own folder, never src/features/<b>,
// src/app or src/routes. Shared code moves to src/components or src/lib. Exits 1 listing each breach.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");
const features = join(src, "features");
const IMPORT = /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (/\.(ts|tsx)$/.test(name)) yield path;
  }
}

function target(spec, from) {
  if (spec.startsWith("@/")) return join(src, spec.slice(2));
  if (spec.startsWith(".")) return resolve(dirname(from), spec);
  return null; // a package
}

const breaches = [];
let checked = 0;
for (const file of files(features)) {
  checked += 1;
  const own = relative(features, file).split(sep)[0];
  const text = readFileSync(file, "utf8");
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2];
    const to = target(spec, file);
    if (!to) continue;
    const rel = relative(src, to).split(sep);
    const bad =
      (rel[0] === "features" && rel[1] !== own) || rel[0] === "app" || rel[0] === "routes";
    if (bad) breaches.push(`${relative(root, file)} imports '${spec}'`);
  }
}
if (breaches.length) {
  console.error(`feature boundaries: ${breaches.length} import(s) across features:\n  ${breaches.join("\n  ")}`);
  process.exit(1);
}
console.log(`feature boundaries: ${checked} files in src/features, no import across features`);
