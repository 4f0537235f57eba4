import { describe, expect, it } from 'vitest';
import { NeedsOperatorError, type CdcError } from '@cdc/core';
import { responseFailure } from '../http/http-failure.ts';
import { classifyNotionAnswer, notionFailure, refusalReason, refusesRequest } from './notion-failure.ts';
import { compileTableMapping, tableLevels } from './table-mapping.ts';
import { patientEntry } from './test-pages.ts';

// Notion's error answers (https://developers.notion.com/reference/status-codes) as the sink's
// errors, made as HttpTarget makes them.

const exchange = { target: 'Notion (sink crm)', method: 'PATCH', url: 'https://api.notion.com/v1/pages/p1' };
const answer = (status: number, code: string, message: string) => ({
  status,
  headers: {},
  body: JSON.stringify({ object: 'error', status, code, message, request_id: 'r' }),
});
const failure = (status: number, code: string, message: string) =>
  responseFailure(
    exchange,
    answer(status, code, message),
    status === 401 ? 'operator' : status === 409 || status === 429 || status >= 500 ? 'retriable' : 'final',
    Date.now(),
  );

describe('Notion failures', () => {
  it('says a 401 refuses the token and a 403 the sharing, each with its fix, for an operator', () => {
    const token = notionFailure(failure(401, 'unauthorized', 'API token is invalid.'), { path: 'sinks[2]' });
    expect(token).toBeInstanceOf(NeedsOperatorError);
    expect(token).toMatchObject({
      code: 'HTTP_TARGET_MISCONFIGURED',
      message: 'Notion refused the token of sinks[2].token: 401 unauthorized: API token is invalid.',
      fix: expect.stringContaining('in sinks[2].token') as unknown,
    });
    const shared = notionFailure(failure(403, 'restricted_resource', 'Insufficient permissions.'), {
      path: 'sinks[2]',
    });
    expect((shared as CdcError).fix).toMatch(
      /^share every database of sinks\[2\]\.tables with the integration/u,
    );
  });

  it('retries a 409 conflict_error; a 400 validation_error refuses that request only, with Notion’s message', () => {
    expect(classifyNotionAnswer(answer(409, 'conflict_error', 'Conflict'))).toBe('retriable');
    expect(classifyNotionAnswer(answer(400, 'validation_error', 'x'))).toBeUndefined();
    const refused = failure(400, 'validation_error', 'body.properties.Email.email should be a string.');
    expect(refusesRequest(refused)).toBe(true);
    expect(refusesRequest(failure(404, 'object_not_found', 'gone'))).toBe(false);
    expect(refusesRequest(failure(429, 'rate_limited', 'slow down'))).toBe(false);
    expect(refusalReason('page p1 of public.patients key "1"', refused)).toBe(
      'Notion refused page p1 of public.patients key "1": 400 validation_error: body.properties.Email.email should be a string.',
    );
  });
});

describe('tableLevels', () => {
  it('writes a table after the tables its relations point at; a relation to itself changes nothing', () => {
    const entry = patientEntry({
      tables: {
        'public.visits': {
          data_source_id: '2f2e3d4c-5b6a-4789-8abc-def012345678',
          key_property: 'ID',
          key: '{id}',
          properties: {
            Patient: { field: 'patient_id', type: 'relation', table: 'public.patients' },
            Previous: { field: 'previous_id', type: 'relation', table: 'public.visits' },
          },
        },
        'public.patients': {
          data_source_id: '1f2e3d4c-5b6a-4789-8abc-def012345678',
          key_property: 'ID',
          key: '{id}',
          properties: { Name: { field: 'name', type: 'title' } },
        },
      },
    });
    const mappings = Object.entries(entry.tables).map(([table, config]) =>
      compileTableMapping(table, config, table),
    );
    expect(Object.fromEntries(tableLevels(mappings))).toEqual({ 'public.visits': 1, 'public.patients': 0 });
  });
});
