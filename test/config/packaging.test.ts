import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>; dependencies: Record<string, string>; devDependencies: Record<string, string>;
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? sourceFiles(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : []);
}

/** The package a bare import names (`@scope/name` or `name`), or null for a relative or node: import. */
function packageOf(spec: string): string | null {
  if (spec.startsWith('.') || spec.startsWith('node:')) return null;
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

describe('a production install (npm ci --omit=dev) runs the built server', () => {
  it('npm start runs the built output and compiles nothing', () => {
    expect(pkg.scripts.start).toBe('node dist/src/server.js');
    expect(pkg.scripts.prestart).toBeUndefined();
    expect(pkg.scripts.poststart).toBeUndefined();
  });

  it('the server and the operator commands import only production dependencies', () => {
    const builtins = new Set(require('node:module').builtinModules as string[]);
    const offenders: string[] = [];
    for (const file of [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'scripts'))]) {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from\s+|import\(|require\()\s*'([^']+)'/g)) {
        if (/^\s*import\s+type\b/.test(text.slice(text.lastIndexOf('\n', m.index) + 1, m.index + 1))) continue;
        const name = packageOf(m[1]);
        if (!name || builtins.has(name)) continue;
        if (!(name in pkg.dependencies)) offenders.push(`${path.relative(ROOT, file)}: ${name}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('every operator command runs through tsx, a production dependency (no compiler needed)', () => {
    expect(pkg.dependencies.tsx).toBeDefined();
    for (const name of ['doctor', 'backup', 'restore', 'migrate', 'staff', 'report', 'export', 'prompts']) {
      expect(pkg.scripts[name]).toMatch(/^tsx scripts\/[a-z-]+\.ts$/);
    }
  });
});

/**
 * npm (11.16 and later) ends `npm ci` with "npm warn install-scripts N packages have install
 * scripts not yet covered by allowScripts" for every dependency whose install script package.json
 * does not decide, and a later npm will skip those scripts. The README ("Going live", step 2)
 * says which the hotline needs: none but the bundled ffmpeg's chmod; each was checked by running
 * the server, the tools (tsx over esbuild) and a bundled-ffmpeg import after `npm ci --ignore-scripts`.
 */
describe('install scripts (package.json allowScripts)', () => {
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean }> };
  const allowScripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> }).allowScripts ?? {};
  const withScripts = Object.entries(lock.packages).filter(([, p]) => p.hasInstallScript).map(([at]) => at.slice(at.lastIndexOf('node_modules/') + 'node_modules/'.length));

  it('decide every locked package that has one, so npm ci prints no install-scripts warning', () => {
    expect(withScripts.length).toBeGreaterThan(0);
    expect(withScripts.filter((name) => !(name in allowScripts))).toEqual([]);
  });

  it('allow only the bundled ffmpeg\'s (chmod u+x), and name no package the lock does not hold', () => {
    expect(Object.keys(allowScripts).filter((name) => allowScripts[name]).every((name) => name.startsWith('@ffmpeg-installer/'))).toBe(true);
    expect(Object.keys(allowScripts).filter((name) => !withScripts.includes(name))).toEqual([]);
  });
});
