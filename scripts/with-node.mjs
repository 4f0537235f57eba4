#!/usr/bin/env node
// Runs a command with a supported Node.js (>= MIN_NODE) first on PATH and the workspace
// dependencies installed. Written in plain JavaScript with builtins only, so that it runs on the
// end-of-life Node of a fresh machine: when the system Node is too old it installs the official
// build from the npm registry (node-<platform>-<arch>) into .tools/node and uses that instead.
// A user whose Node is already supported is left alone.
//
// Usage: node scripts/with-node.mjs <command> [args...]
// Everything this script prints goes to stderr, so `npm run -s stack:env` stays machine-readable.

import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIN_NODE = [22, 22, 0];
const PINNED_NODE = '24.21.0';
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function log(message) {
  process.stderr.write(`[cdc] ${message}\n`);
}

function fail(message) {
  log(message);
  process.exit(1);
}

function isSupported(version) {
  const parts = version.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < MIN_NODE.length; i++) {
    if ((parts[i] ?? 0) !== MIN_NODE[i]) return (parts[i] ?? 0) > MIN_NODE[i];
  }
  return true;
}

function officialPackageName() {
  const platform = process.platform === 'win32' ? 'win' : process.platform;
  return `node-${platform}-${process.arch}`;
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: ['inherit', 2, 2], ...options });
  if (result.error) fail(`could not run ${command}: ${result.error.message}`);
  return result.status ?? 1;
}

/** Returns the bin folder of a supported Node, or null when the running one is supported. */
function ensureSupportedNode() {
  if (isSupported(process.versions.node)) return null;
  const prefix = join(root, '.tools', 'node');
  const pkg = officialPackageName();
  const bin = join(prefix, 'node_modules', pkg, 'bin');
  const nodePath = join(bin, process.platform === 'win32' ? 'node.exe' : 'node');
  if (existsSync(nodePath)) return bin;
  log(
    `Node ${process.versions.node} is older than ${MIN_NODE.join('.')}; ` +
      `installing Node ${PINNED_NODE} (${pkg} from the npm registry) into .tools/node ...`,
  );
  const status = run('npm', [
    'install',
    '--prefix',
    prefix,
    '--no-save',
    '--no-package-lock',
    '--no-audit',
    '--no-fund',
    '--loglevel=error',
    `${pkg}@${PINNED_NODE}`,
  ]);
  if (status !== 0 || !existsSync(nodePath)) {
    fail(
      `could not install ${pkg}@${PINNED_NODE}. Install Node ${MIN_NODE.join('.')} or newer ` +
        `yourself (https://nodejs.org) and run the command again.`,
    );
  }
  log(`using ${nodePath}`);
  return bin;
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

/** Installs the workspace dependencies when node_modules is missing or older than the lock file. */
function ensureDependencies(env) {
  const installed = mtime(join(root, 'node_modules', '.package-lock.json'));
  const wanted = Math.max(mtime(join(root, 'package-lock.json')), mtime(join(root, 'package.json')));
  if (installed >= wanted) return;
  const ci = existsSync(join(root, 'package-lock.json'));
  log(`installing dependencies (npm ${ci ? 'ci' : 'install'}) ...`);
  const status = run('npm', [ci ? 'ci' : 'install', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: root,
    env,
  });
  if (status !== 0) fail('dependency installation failed (see the npm output above)');
}

const [command, ...args] = process.argv.slice(2);
if (!command) fail('usage: node scripts/with-node.mjs <command> [args...]');

const nodeBin = ensureSupportedNode();
const env = { ...process.env };
if (nodeBin) env.PATH = `${nodeBin}${delimiter}${env.PATH ?? ''}`;
ensureDependencies(env);

const child = spawnSync(command, args, { stdio: 'inherit', env, cwd: process.cwd() });
if (child.error) fail(`could not run ${command}: ${child.error.message}`);
if (child.signal) process.kill(process.pid, child.signal);
process.exit(child.status ?? 1);
