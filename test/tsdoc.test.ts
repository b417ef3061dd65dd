// Every function and class an entry point exports carries TSDoc with an @example: the API
// reference (`npm run docs`, TypeDoc) shows how to call each one, not only what it is.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ts from 'typescript';

const ENTRY_POINTS = ['src/index.ts', 'src/client/index.ts', 'src/redis/index.ts', 'src/postgres/index.ts', 'src/metrics/index.ts', 'src/nest/index.ts'];

function exportedWithoutExample(): string[] {
  const program = ts.createProgram(ENTRY_POINTS, { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true });
  const checker = program.getTypeChecker();
  const missing: string[] = [];
  for (const entry of ENTRY_POINTS) {
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
    for (const exported of checker.getExportsOfModule(moduleSymbol)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (!(symbol.flags & (ts.SymbolFlags.Function | ts.SymbolFlags.Class))) continue;
      const tags = (symbol.declarations ?? []).flatMap((declaration) => ts.getJSDocTags(declaration).map((tag) => tag.tagName.text));
      if (!tags.includes('example')) missing.push(`${entry}: ${exported.name}`);
    }
  }
  return missing;
}

describe('TSDoc', () => {
  it('every exported function and class has an @example', () => {
    assert.deepEqual(exportedWithoutExample(), []);
  });
});
