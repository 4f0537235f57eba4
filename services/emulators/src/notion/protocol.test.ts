import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../control/index.ts';
import { apiError, newIntegration, raw, sdk, startEmulator, type Integration } from './test-support.ts';

const STATUS_CODES = 'https://developers.notion.com/reference/status-codes';

let emulator: RunningEmulator;
let integration: Integration;

beforeAll(async () => {
  emulator = await startEmulator();
  integration = await newIntegration(emulator.url);
});
afterAll(() => emulator.close());

describe('errors and headers', () => {
  it(`error bodies are { object: "error", status, code, message, request_id } (${STATUS_CODES})`, async () => {
    const res = await raw(emulator.url, 'GET', '/v1/pages/0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9', {
      token: integration.token,
    });
    expect(res.status).toBe(404);
    const body = (await res.json()) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['code', 'message', 'object', 'request_id', 'status']);
    expect(body).toMatchObject({
      object: 'error',
      status: 404,
      code: 'object_not_found',
      request_id: expect.any(String) as unknown,
    });
    expect(res.headers.get('x-notion-request-id')).toBe(body.request_id);
  });

  it(`an unknown token is 401 unauthorized (${STATUS_CODES})`, async () => {
    const error = await apiError(sdk(emulator.url, 'ntn_not_a_token').users.me({}));
    expect(error).toMatchObject({ status: 401, code: 'unauthorized' });
    const none = await raw(emulator.url, 'GET', '/v1/users/me');
    expect(none.status).toBe(401);
  });

  // https://developers.notion.com/reference/versioning: "Setting this header is required."
  it(`a request without Notion-Version is 400 missing_version (${STATUS_CODES}, https://developers.notion.com/reference/versioning)`, async () => {
    const res = await raw(emulator.url, 'GET', '/v1/users/me', { token: integration.token, version: null });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ status: 400, code: 'missing_version' });
  });

  it(`a body that is not JSON is 400 invalid_json (${STATUS_CODES})`, async () => {
    const res = await raw(emulator.url, 'POST', '/v1/pages', {
      token: integration.token,
      body: '{"parent":',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'invalid_json' });
  });

  it(`an unknown endpoint is 400 invalid_request_url (${STATUS_CODES})`, async () => {
    const res = await raw(emulator.url, 'GET', '/v1/nothing-here', { token: integration.token });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'invalid_request_url' });
  });

  it(`an unknown body field is a validation_error naming it (${STATUS_CODES})`, async () => {
    const res = await raw(emulator.url, 'POST', `/v1/pages`, {
      token: integration.token,
      body: JSON.stringify({ parent: { page_id: integration.root_page_id }, propertys: {} }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      code: 'validation_error',
      message: expect.stringContaining('body.propertys') as unknown,
    });
  });
});
