import { describe, expect, it } from 'vitest';
import { prometheusConfig } from './prometheus.ts';

describe('prometheusConfig', () => {
  it('reads every JSON file of the discovery folder and sends alerts to our Alertmanager', () => {
    const config = prometheusConfig({
      targetsDir: '/s/targets',
      alertmanager: '127.0.0.1:9',
      rules: '/r.yml',
    });
    expect(config).toEqual({
      global: { scrape_interval: '5s', evaluation_interval: '5s' },
      rule_files: ['/r.yml'],
      alerting: { alertmanagers: [{ static_configs: [{ targets: ['127.0.0.1:9'] }] }] },
      scrape_configs: [
        { job_name: 'cdc', file_sd_configs: [{ files: ['/s/targets/*.json'], refresh_interval: '5s' }] },
      ],
    });
  });

  it('has no rule files while the repository has none', () => {
    const config = prometheusConfig({ targetsDir: '/s', alertmanager: '127.0.0.1:9', rules: undefined });
    expect(config).not.toHaveProperty('rule_files');
  });
});
