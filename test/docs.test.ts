// The README and the guides in docs/ as a reader meets them: every ```js and ```ts block compiles
// against sockjwt's own types, the blocks that can run on their own run, and every relative link
// and #anchor resolves.
//
// A block's info string may carry one marker, with its reason:
//   ```js norun: listens on port 3000      type-checked, not run
//   ```js nocheck: a fragment with elisions neither (for a block that is not meant to compile)
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import jwt from 'jsonwebtoken';
import { Server } from 'socket.io';
import ts from 'typescript';
import { authorize } from '../src/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Inside the repository, so that `socket.io` and the other packages resolve from the blocks. */
const WORK = join(ROOT, 'node_modules', '.cache', 'sockjwt-docs');

const EXPORTS = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, unknown> }).exports;

/** What a block imports as `sockjwt` or `sockjwt/<name>`: the source of that entry point, src/<name>/index.ts. */
function entryPointSource(specifier: string): string | undefined {
  const subpath = specifier === 'sockjwt' ? '.' : `./${specifier.slice('sockjwt/'.length)}`;
  if (!(subpath in EXPORTS)) return undefined;
  const source = subpath === '.' ? 'src/index.ts' : `src/${subpath.slice(2).split('/')[0]}/index.ts`;
  return existsSync(join(ROOT, source)) ? source.replace(/\.ts$/, '.js') : undefined;
}

const MARKERS = new Set(['norun', 'nocheck']);

interface CodeBlock {
  /** The markdown file, relative to the repository root. */
  file: string;
  /** 1-based line of the block's first code line. */
  line: number;
  lang: 'js' | 'ts';
  marker: 'norun' | 'nocheck' | undefined;
  code: string;
}

function documents(): string[] {
  const guides = readdirSync(join(ROOT, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`);
  return ['README.md', 'SECURITY.md', ...guides];
}

const LANGS: Record<string, 'js' | 'ts'> = { js: 'js', javascript: 'js', ts: 'ts', typescript: 'ts' };

function codeBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let index = 0; index < lines.length; index++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[index]!);
    if (!open) continue;
    const end = lines.findIndex((line, at) => at > index && line.startsWith('```'));
    assert.ok(end > index, `${file}:${index + 1}: a code block that is never closed`);
    const lang = LANGS[open[1]!];
    // CommonMark: a backtick in the info string makes the line no fence at all.
    assert.ok(!open[2]!.includes('`'), `${file}:${index + 1}: a backtick in the info string of a code block`);
    if (lang) {
      const [, marker, reason] = /^(\w+)?:?\s*(.*)$/.exec(open[2]!) ?? [];
      assert.ok(marker === undefined || MARKERS.has(marker), `${file}:${index + 1}: unknown marker "${marker}" (norun or nocheck)`);
      assert.ok(marker === undefined || reason, `${file}:${index + 1}: "${marker}" needs its reason after it`);
      blocks.push({ file, line: index + 2, lang, marker: marker as CodeBlock['marker'], code: lines.slice(index + 1, end).join('\n') });
    }
    index = end;
  }
  return blocks;
}

/** The block as a module of its own, its `sockjwt` imports pointing at src/. */
function moduleSource(block: CodeBlock, at: string): string {
  const code = block.code.replace(/(from\s+|import\s*\(\s*)'(sockjwt(?:\/[a-z/-]+)?)'/g, (_match, lead: string, name: string) => {
    const target = entryPointSource(name);
    assert.ok(target, `${block.file}:${block.line}: imports ${name}, which is no entry point of sockjwt (package.json exports)`);
    return `${lead}'${relative(dirname(at), join(ROOT, target)).replaceAll('\\', '/')}'`;
  });
  return `${code}\nexport {};\n`;
}

/**
 * The free variables the snippets use, as the reader's application would have them: a server `io`,
 * the `authorize` they imported, a secret, a token. JavaScript blocks also get what JavaScript
 * allows and TypeScript does not: `socket.decoded_token`, which socket.io's `Socket` type does not declare.
 */
function prelude(): string {
  const src = (path: string) => relative(WORK, join(ROOT, path)).replaceAll('\\', '/');
  return `
type Sockjwt = typeof import('${src('src/index.js')}');
type JwtClaimsOf = import('${src('src/index.js')}').JwtClaims;
declare var io: import('socket.io').Server;
declare var authorize: Sockjwt['authorize'];
declare var auth: import('${src('src/index.js')}').HandshakeMiddleware;
declare var secret: string;
declare var jwt: string;
declare var fresh: string;
declare var t: Date;
declare var denylist: Set<unknown>;
declare var SECRETS: Record<string, string>;
declare var KEYS: Record<string, string>;
declare var vault: { keyFor(tenant: unknown): Promise<string> };
declare var socket: import('socket.io-client').Socket;
declare var RedisCluster: typeof import('${src('src/redis/index.js')}').RedisCluster;
declare var Redis: typeof import('ioredis').Redis;
declare var createAdapter: typeof import('@socket.io/redis-streams-adapter').createAdapter;
declare var redisClient: import('redis').RedisClientType;
interface Claims extends JwtClaimsOf { sub: string; role: 'admin' | 'member'; org: string }
interface ClientToServer { join(room: string, ack: (answer: unknown) => void): void }
interface ServerToClient { chat(message: string): void }
`;
}

const JS_ONLY = `import 'socket.io';
declare module 'socket.io' {
  interface Socket { decoded_token: any; encoded_token: string }
}
`;

interface Diagnostic { block: CodeBlock; line: number; text: string }

/** Type-checks the blocks of one language in one program; diagnostics point at the markdown. */
let previous: ts.Program | undefined; // parsed files are shared between the two programs

function typeCheck(blocks: CodeBlock[], lang: 'js' | 'ts', files: Map<string, CodeBlock>): Diagnostic[] {
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  assert.ok(config);
  const options: ts.CompilerOptions = {
    ...config.options,
    noEmit: true,
    declaration: false,
    noUnusedLocals: false,
    noUnusedParameters: false,
    // JavaScript has no strict null checks or implicit-any errors; TypeScript blocks get the project's strictness.
    ...(lang === 'js' ? { strict: false, noUncheckedIndexedAccess: false } : {}),
  };
  const roots = [join(WORK, 'prelude.d.ts'), ...(lang === 'js' ? [join(WORK, 'js-only.d.ts')] : [])];
  for (const [path, block] of files) if (block.lang === lang && blocks.includes(block)) roots.push(path);
  const program = ts.createProgram({ rootNames: roots, options, oldProgram: previous });
  previous = program;
  // src/ is checked by `tsc -p tsconfig.json` under its own settings; here only what the blocks say.
  const found: Diagnostic[] = ts.getConfigFileParsingDiagnostics(config).concat(program.getOptionsDiagnostics(), program.getGlobalDiagnostics())
    .map((diagnostic) => ({ block: blocks[0]!, line: 0, text: ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n') }));
  for (const source of program.getSourceFiles()) {
    const block = files.get(resolve(source.fileName));
    if (!block && !source.fileName.startsWith(WORK)) continue;
    for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      if (lang === 'js' && UNKNOWN_SHAPE.has(diagnostic.code) && text.includes("'unknown'")) continue;
      const { line } = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0);
      found.push({ block: block ?? blocks[0]!, line: block ? block.line + line : line + 1, text });
    }
  }
  return found;
}

/**
 * A claim's shape is the app's: sockjwt types unknown claims `unknown`, which TypeScript code narrows
 * (or names with `authorize<Claims>`) and JavaScript reads as it is. So a JavaScript block may use
 * a claim without proving its type: property access on, indexing by, and calls on `unknown`.
 */
const UNKNOWN_SHAPE = new Set([
  2339, // Property 'x' does not exist on type 'unknown'.
  2538, // Type 'unknown' cannot be used as an index type.
  2571, // Object is of type 'unknown'.
  18046, // 'x' is of type 'unknown'.
]);

const all = documents().flatMap((file) => codeBlocks(file, readFileSync(join(ROOT, file), 'utf8')));
const checked = all.filter((block) => block.marker !== 'nocheck');
const files = new Map<string, CodeBlock>();

before(() => {
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  // Outside a package of its own, a file under node_modules/ would be CommonJS, where top-level await is not.
  writeFileSync(join(WORK, 'package.json'), '{ "type": "module" }\n');
  writeFileSync(join(WORK, 'prelude.d.ts'), prelude());
  writeFileSync(join(WORK, 'js-only.d.ts'), JS_ONLY);
  for (const block of checked) {
    const path = join(WORK, `${block.file.replace(/[/.]/g, '_')}_${block.line}.ts`);
    writeFileSync(path, moduleSource(block, path));
    files.set(path, block);
  }
});
after(() => rmSync(WORK, { recursive: true, force: true }));

describe('code blocks of the README and the guides', () => {
  it('finds the blocks, each with its language', () => {
    assert.ok(all.length >= 20, `found ${all.length} blocks`);
    assert.ok(all.some((block) => block.file === 'README.md'));
  });

  for (const lang of ['js', 'ts'] as const) {
    it(`every ${lang} block type-checks against sockjwt's types`, () => {
      const errors = typeCheck(checked, lang, files);
      assert.deepEqual(errors.map(({ block, line, text }) => `${block.file}:${line}: ${text}`), []);
    });
  }

  describe('the blocks that can run on their own run', () => {
    const env = { JWT_SECRET: secretText(), JWT_SECRET_PREVIOUS: secretText(), SECRET_KEY: secretText(), JOBS_SECRET: secretText(), SUPABASE_JWT_SECRET: secretText() };
    const saved: Record<string, string | undefined> = {};
    before(() => {
      for (const [name, value] of Object.entries(env)) {
        saved[name] = process.env[name];
        process.env[name] = value;
      }
    });
    after(() => {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });
    for (const block of checked.filter((candidate) => candidate.marker !== 'norun')) {
      it(`${block.file}:${block.line}`, async () => {
        // Attached to no HTTP server: it holds no handle, and nothing can connect to it.
        Object.assign(globalThis, runtimePrelude(new Server()));
        const path = [...files].find(([, candidate]) => candidate === block)![0];
        await import(pathToFileURL(path).href);
      });
    }
  });
});

function secretText(): string {
  return randomBytes(32).toString('base64url');
}

/** Values for the free variables the type prelude declares (those a runnable block may use). */
function runtimePrelude(io: Server): Record<string, unknown> {
  const secret = secretText();
  return {
    io,
    authorize,
    secret,
    jwt: jwt.sign({ sub: 'ann' }, secret, { expiresIn: 60 }),
    fresh: jwt.sign({ sub: 'ann' }, secret, { expiresIn: 120 }),
    t: new Date(),
    denylist: new Set(),
    SECRETS: {},
    KEYS: {},
    vault: { keyFor: async () => secret },
  };
}

describe('links of the README and the guides', () => {
  it('every relative link names a file that exists, and every #anchor a heading in it', () => {
    const broken: string[] = [];
    for (const file of documents()) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const target of linkTargets(text)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
        const [path = '', anchor] = target.split('#');
        const resolved = path ? resolve(ROOT, dirname(file), decodeURIComponent(path)) : join(ROOT, file);
        if (!existsSync(resolved)) {
          broken.push(`${file}: ${target} (no such file)`);
          continue;
        }
        if (anchor === undefined) continue;
        if (!resolved.endsWith('.md') || statSync(resolved).isDirectory()) {
          broken.push(`${file}: ${target} (an anchor into a file that is not markdown)`);
          continue;
        }
        if (!headingAnchors(readFileSync(resolved, 'utf8')).has(anchor)) broken.push(`${file}: ${target} (no such heading)`);
      }
    }
    assert.deepEqual(broken, []);
  });
});

/** Link targets outside code and comments: `[text](target)`, `![alt](target)` and `<a href="target">`. */
function linkTargets(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '').replace(/<!--[\s\S]*?-->/g, '').replace(/`[^`\n]*`/g, '');
  const targets = [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((match) => match[1]!);
  targets.push(...[...prose.matchAll(/<a\s[^>]*href="([^"]+)"/g)].map((match) => match[1]!));
  return targets;
}

/** The anchors GitHub gives a file's headings (github-slugger's rule, duplicates numbered). */
function headingAnchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, '');
  for (const [, heading] of prose.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const base = heading!
      .replace(/<[^>]+>/g, '')
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}
