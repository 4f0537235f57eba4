import { readFileSync, readdirSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { markdownCells as cells } from './markdown.ts';
import { ERROR_CODES_FILE, errorCodeReferenceText } from './error-code-reference.ts';
import { ERROR_CODES, errorCodeSpec, type ErrorCodeSpec } from './error-codes.ts';
import { CdcError } from './errors.ts';
import { NeedsOperatorError } from './failure.ts';

const root = new URL('../../../', import.meta.url);

/** What a call site says about `retriable`: a literal, an expression, nothing, or its class's rule. */
type Flag = boolean | 'computed' | 'absent' | 'operator';

interface Site {
  readonly where: string;
  readonly code: string;
  readonly flag: Flag;
}

/** Classes and functions whose first argument is a code, besides functions declared `(code: ErrorCode, ...)`. */
const CODE_TAKERS: Readonly<Record<string, Flag | undefined>> = {
  CdcError: undefined,
  NeedsOperatorError: 'operator',
  PoisonError: false, // its constructor passes retriable: false
};
const ERROR_CLASSES = new Set(Object.keys(CODE_TAKERS));

/** The code strings an expression can be: a literal, or each branch of a conditional. */
function literalCodes(node: ts.Expression): string[] | undefined {
  if (ts.isStringLiteralLike(node)) return [node.text];
  // A cast is how a code would slip past the compiler: look through it.
  if (ts.isParenthesizedExpression(node) || ts.isAsExpression(node) || ts.isSatisfiesExpression(node))
    return literalCodes(node.expression);
  if (ts.isConditionalExpression(node)) {
    const [a, b] = [literalCodes(node.whenTrue), literalCodes(node.whenFalse)];
    return a && b ? [...a, ...b] : undefined;
  }
  return undefined; // passed through (error.code, a parameter): the compiler checks its type
}

function flagOf(args: readonly ts.Expression[]): Flag {
  for (const arg of args) {
    if (!ts.isObjectLiteralExpression(arg)) continue;
    for (const property of arg.properties) {
      if (property.name === undefined || !ts.isIdentifier(property.name)) continue;
      if (property.name.text !== 'retriable') continue;
      if (!ts.isPropertyAssignment(property)) return 'computed';
      if (property.initializer.kind === ts.SyntaxKind.TrueKeyword) return true;
      if (property.initializer.kind === ts.SyntaxKind.FalseKeyword) return false;
      return 'computed';
    }
  }
  return 'absent';
}

// Our codes are upper snake case with an underscore or in the table; Node's (ENOENT) and zod's are not.
const LOOKS_LIKE_OURS = /^[A-Z][A-Z0-9]*_[A-Z0-9_]+$/u;

interface Scan {
  readonly sites: Site[];
  /** Code literals compared with a `code` (`error.code === 'X'`). */
  readonly compared: Site[];
  /** Classes that extend an error class and that this test does not know how to read. */
  readonly unknownSubclasses: string[];
}

function scan(): Scan {
  const files = readdirSync(new URL('services/', root), { recursive: true, encoding: 'utf8' })
    // The emulators answer in other APIs' error codes (Notion's, Google's), not ours.
    .filter(
      (file) =>
        /^[^/]+\/src\/.*\.ts$/u.test(file) && !file.endsWith('.test.ts') && !file.startsWith('emulators/'),
    )
    .sort();
  const result: Scan = { sites: [], compared: [], unknownSubclasses: [] };
  for (const file of files) {
    const path = `services/${file}`;
    const source = ts.createSourceFile(
      path,
      readFileSync(new URL(path, root), 'utf8'),
      ts.ScriptTarget.Latest,
    );
    // Functions of this file declared (code: ErrorCode | OperatorCode, ...) take a code too.
    const takers = new Map(Object.entries(CODE_TAKERS));
    const where = (node: ts.Node) =>
      `${path}:${source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1}`;
    const declare = (node: ts.Node): void => {
      if (ts.isFunctionDeclaration(node) && node.name) {
        const type = node.parameters[0]?.type?.getText(source);
        if (type === 'ErrorCode' || type === 'OperatorCode') takers.set(node.name.text, undefined);
      }
      ts.forEachChild(node, declare);
    };
    declare(source);
    const visit = (node: ts.Node, subclass: string | undefined): void => {
      if (ts.isClassDeclaration(node)) {
        const base = node.heritageClauses?.flatMap((clause) =>
          clause.types.map((t) => t.expression.getText(source)),
        );
        const extendsError = base?.some((name) => ERROR_CLASSES.has(name)) ?? false;
        const name = node.name?.text ?? '(anonymous)';
        if (extendsError && !ERROR_CLASSES.has(name)) {
          ts.forEachChild(node, (child) => visit(child, name));
          return;
        }
      }
      if (ts.isNewExpression(node) || ts.isCallExpression(node)) {
        const callee = node.expression;
        const args = node.arguments ?? [];
        const name = ts.isIdentifier(callee) ? callee.text : undefined;
        const isSuper = callee.kind === ts.SyntaxKind.SuperKeyword && subclass !== undefined;
        if ((name !== undefined && takers.has(name)) || isSuper) {
          const codes = args[0] ? literalCodes(args[0]) : undefined;
          if (isSuper && !codes) result.unknownSubclasses.push(`${subclass} (${where(node)})`);
          const flag = (name !== undefined ? takers.get(name) : undefined) ?? flagOf(args);
          for (const code of codes ?? []) result.sites.push({ where: where(node), code, flag });
        }
      }
      if (
        ts.isBinaryExpression(node) &&
        [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken].includes(
          node.operatorToken.kind,
        )
      ) {
        for (const [literal, other] of [
          [node.right, node.left],
          [node.left, node.right],
        ] as const) {
          if (ts.isStringLiteral(literal) && /\bcode$/u.test(other.getText(source)))
            result.compared.push({ where: where(node), code: literal.text, flag: 'absent' });
        }
      }
      ts.forEachChild(node, (child) => visit(child, subclass));
    };
    visit(source, undefined);
  }
  return result;
}

const found = scan();
const table = ERROR_CODES as Readonly<Record<string, ErrorCodeSpec>>;
const listed = (site: Site) => errorCodeSpec(site.code) !== undefined;

describe('the table of error codes', () => {
  it('finds the call sites it checks (the scan still sees the source)', () => {
    expect(found.sites.length).toBeGreaterThan(100);
    expect(found.sites.some((s) => s.where.startsWith('services/core/src/registry-codec.ts'))).toBe(true);
    expect(found.unknownSubclasses).toEqual([]);
  });

  it('lists every code the services construct or compare with', () => {
    const unlisted = [...found.sites, ...found.compared.filter((s) => LOOKS_LIKE_OURS.test(s.code))]
      .filter((site) => !listed(site))
      .map((site) => `${site.code} at ${site.where}`);
    expect(unlisted).toEqual([]);
  });

  it('has no dead codes: every entry is constructed somewhere in services/*/src', () => {
    const used = new Set(found.sites.map((site) => site.code));
    expect(Object.keys(ERROR_CODES).filter((code) => !used.has(code))).toEqual([]);
  });

  it('agrees with every call site that says whether it is retriable, or says when it is (retriableWhen)', () => {
    const disagreeing = found.sites.filter(listed).flatMap((site) => {
      const spec = table[site.code] as ErrorCodeSpec;
      if (site.flag === 'operator')
        return spec.needsOperator
          ? []
          : [`${site.code} at ${site.where}: a NeedsOperatorError, but not needsOperator`];
      if (site.flag === 'computed')
        return spec.retriableWhen
          ? []
          : [`${site.code} at ${site.where}: decides retriable, but has no retriableWhen`];
      if (typeof site.flag === 'boolean' && site.flag !== spec.retriable && !spec.retriableWhen)
        return [`${site.code} at ${site.where}: retriable ${site.flag}, the table says ${spec.retriable}`];
      return [];
    });
    expect(disagreeing).toEqual([]);
  });

  it('says retriableWhen only for codes some call site decides for itself', () => {
    const deciding = new Set(found.sites.filter((site) => site.flag === 'computed').map((site) => site.code));
    const stale = Object.entries(table)
      .filter(([code, spec]) => spec.retriableWhen !== undefined && !deciding.has(code))
      .map(([code]) => code);
    expect(stale).toEqual([]);
  });

  it('gives CdcError its defaults; what the call site says wins', () => {
    const away = new CdcError('KAFKA_UNAVAILABLE', 'Kafka is unreachable');
    expect([away.retriable, away.fix]).toEqual([true, ERROR_CODES.KAFKA_UNAVAILABLE.fix]);
    expect(away.describe()).toBe(`Kafka is unreachable\n  fix: ${ERROR_CODES.KAFKA_UNAVAILABLE.fix}`);
    const told = new CdcError('KAFKA_UNAVAILABLE', 'sending failed', { retriable: false, fix: 'restart' });
    expect([told.retriable, told.fix, told.describe()]).toEqual([
      false,
      'restart',
      'sending failed\n  fix: restart',
    ]);
    expect(new CdcError('INVALID_CONFIG', 'bad').retriable).toBe(false);
    // SCHEMA_REGISTRY's fix depends on the status: the table's is the general one.
    expect(new CdcError('SCHEMA_REGISTRY', 'refused', { fix: undefined }).fix).toBe(
      ERROR_CODES.SCHEMA_REGISTRY.fix,
    );
    // A NeedsOperatorError is retriable whatever the table says: a restart after the fix succeeds.
    const denied = new NeedsOperatorError('KAFKA_REFUSED', 'not authorized', { fix: 'grant it' });
    expect([denied.retriable, ERROR_CODES.KAFKA_REFUSED.retriable]).toEqual([true, false]);
  });
});

describe('generated error-code reference', () => {
  it(`${ERROR_CODES_FILE} is generated from ERROR_CODES (npm run config:generate)`, () => {
    const committed = readFileSync(new URL(ERROR_CODES_FILE, root), 'utf8');
    expect(cells(committed)).toEqual(cells(errorCodeReferenceText()));
  });

  it('describes every code, under its area', () => {
    const text = errorCodeReferenceText();
    for (const code of Object.keys(ERROR_CODES)) expect(text).toContain(`| \`${code}\` |`);
  });
});
