import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { budgetOf, httpSettings, httpUrlSetting } from './http-settings.ts';

const entry = z.strictObject({
  url: httpUrlSetting,
  ...httpSettings({ requests: { perSecond: 3, burst: 10 } }),
});

function problems(input: unknown): string[] {
  const parsed = entry.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('HTTP settings', () => {
  it('take the kind’s documented defaults', () => {
    const parsed = entry.parse({ url: 'https://api.notion.com/v1/' });
    expect(parsed).toEqual({
      url: 'https://api.notion.com/v1/',
      requests: { per_second: 3, burst: 10 },
      timeout_ms: 10_000,
      concurrency: 8,
    });
    expect(budgetOf(parsed.requests)).toEqual({ requestsPerSecond: 3, burst: 10 });
    const tuned = entry.parse({
      url: 'http://h',
      requests: { per_second: 0.5 },
      concurrency: 2,
      timeout_ms: 500,
    });
    expect(tuned).toMatchObject({
      requests: { per_second: 0.5, burst: 10 },
      concurrency: 2,
      timeout_ms: 500,
    });
  });

  it('say in plain words what is wrong', () => {
    expect(
      problems({
        url: 'ftp://h',
        requests: { per_second: 0, burst: 1.5, per_minute: 3 },
        timeout_ms: 'soon',
        concurrency: 0,
      }),
    ).toEqual([
      'url: must be an http:// or https:// URL',
      'requests.per_second: must be more than 0',
      'requests.burst: must be a whole number of requests',
      'requests: Unrecognized key: "per_minute"', // describeIssues lists the known keys instead
      'timeout_ms: must be a whole number of milliseconds',
      'concurrency: must be at least 1',
    ]);
    expect(problems({ url: 'http://h', requests: 5 })).toEqual(['requests: must be a mapping of settings']);
  });

  it('are described for the generated reference', () => {
    const schema = z.toJSONSchema(entry, { io: 'input' }) as {
      properties: Record<string, { description?: string }>;
    };
    for (const key of ['url', 'requests', 'timeout_ms', 'concurrency']) {
      expect(schema.properties[key]?.description, key).toBeTruthy();
    }
  });
});
