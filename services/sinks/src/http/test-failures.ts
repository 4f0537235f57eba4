import { createServer, type AddressInfo } from 'node:net';
import { expect } from 'vitest';
import { CdcError } from '@cdc/core';

/** For the tests of HTTP targets and token endpoints: the CdcError a promise rejects with. */
export async function failureOf(promise: Promise<unknown>): Promise<CdcError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CdcError);
  return error as CdcError;
}

/** A local port nobody listens on. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
