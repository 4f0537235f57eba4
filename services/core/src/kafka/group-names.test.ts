import { describe, expect, it } from 'vitest';
import {
  processorClientId,
  processorGroupId,
  processorTransactionalId,
  sinkClientId,
  sinkGroupId,
  sinkOfGroup,
} from './group-names.ts';

// These names hold committed offsets and fence transactions on running clusters: a change here
// restarts every deployed sink and processor from its topics' retention.
describe('names in Kafka', () => {
  it('of a sink: its group cdc-sink.<name>, its client cdc-sink-<name>', () => {
    expect(sinkGroupId('patients-redis')).toBe('cdc-sink.patients-redis');
    expect(sinkClientId('patients-redis')).toBe('cdc-sink-patients-redis');
  });

  it('give back the sink of a sink group, and nothing for other groups', () => {
    expect(sinkOfGroup(sinkGroupId('a.b'))).toBe('a.b');
    expect(sinkOfGroup('validate-patients')).toBeUndefined();
    expect(sinkOfGroup('cdc-sink-a')).toBeUndefined();
  });

  it('of a processor: its group is its name, its client cdc-processor-<name>', () => {
    expect(processorGroupId('validate-patients')).toBe('validate-patients');
    expect(processorClientId('validate-patients')).toBe('cdc-processor-validate-patients');
  });

  it('of a processor transaction: group, input and partition', () => {
    expect(processorTransactionalId('g', 'in', 0)).toBe('g.in.0');
  });
});
