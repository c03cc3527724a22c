// Fails when any UI message is missing or empty in a locale, when a
// translation's {placeholders} differ from the reference (zh_Hans), or when
// the source calls t('key') with a key no catalogue has.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const I18N = join(ROOT, 'src', 'i18n');
const LOCALES = ['zh_Hans', 'zh_Hant', 'en'];
const REFERENCE = 'zh_Hans';

const problems = [];
const catalogs = {};
for (const locale of LOCALES) {
  try {
    catalogs[locale] = JSON.parse(readFileSync(join(I18N, `${locale}.json`), 'utf8'));
  } catch (error) {
    problems.push(`${locale}.json: cannot read (${error.message})`);
    catalogs[locale] = {};
  }
}

const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort().join(',');
const allKeys = new Set(LOCALES.flatMap((locale) => Object.keys(catalogs[locale])));

for (const key of [...allKeys].sort()) {
  const reference = catalogs[REFERENCE][key];
  for (const locale of LOCALES) {
    const text = catalogs[locale][key];
    if (text === undefined) problems.push(`${locale}: missing "${key}"`);
    else if (typeof text !== 'string') problems.push(`${locale}: "${key}" is not a string`);
    else if (!text.trim()) problems.push(`${locale}: "${key}" is empty`);
    else if (typeof reference === 'string' && placeholders(text) !== placeholders(reference)) {
      problems.push(`${locale}: "${key}" has placeholders {${placeholders(text)}}, ${REFERENCE} has {${placeholders(reference)}}`);
    }
  }
}

// Keys used in the source with a literal argument, t('some.key').
function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.(m?js|jsx)$/.test(name) ? [path] : [];
  });
}
let used = 0;
for (const file of sources(join(ROOT, 'src'))) {
  const code = readFileSync(file, 'utf8');
  for (const match of code.matchAll(/\bt\(\s*(['"])([\w.]+)\1/g)) {
    used += 1;
    if (!allKeys.has(match[2])) problems.push(`${relative(ROOT, file)}: t('${match[2]}') has no message`);
  }
  // Template keys such as t(`role.${role}`): every catalogue key with that prefix must exist.
  for (const match of code.matchAll(/\bt\(\s*`([\w.]+)\$\{/g)) {
    if (![...allKeys].some((key) => key.startsWith(match[1]))) {
      problems.push(`${relative(ROOT, file)}: t(\`${match[1]}…\`) matches no message`);
    }
  }
}

if (problems.length) {
  console.error(`i18n-check: ${problems.length} problem(s)`);
  for (const problem of problems) console.error(`  - ${problem}`);
  process.exit(1);
}
console.log(`i18n-check: ${allKeys.size} keys complete in ${LOCALES.join(', ')} (${used} literal uses in src/)`);
