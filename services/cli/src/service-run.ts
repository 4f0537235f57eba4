import { CdcError } from '@cdc/core';
import { findService, loadPipelineConfig } from '@cdc/pipeline';

/**
 * `cdc run <service>`: one service of the pipeline file in this process, the form for production
 * (one process per service, scaled by running more of a processor or sink in its consumer group).
 * The same as `cdc source run`, `cdc processor run <name>` or `cdc sink run <name>`.
 */
export async function runServiceCommand(
  file: string,
  service: string,
  options: { healthPort?: number; group?: string },
): Promise<number> {
  if (service === 'source') {
    if (options.group !== undefined) {
      throw new CdcError(
        'OPTION_NOT_APPLICABLE',
        '--group applies to processors and sinks, not to the source',
        {
          fix: 'leave --group out: the source reads no topic, so it has no consumer group',
        },
      );
    }
    const { runSourceCommand } = await import('./source-run.ts');
    return runSourceCommand(file, options.healthPort);
  }
  const found = findService(await loadPipelineConfig(file), service);
  if (found.kind === 'processor') {
    const { runProcessorCommand } = await import('./processor-run.ts');
    return runProcessorCommand(file, service, options);
  }
  const { runSinkCommand } = await import('./sink-run.ts');
  return runSinkCommand(file, service, options);
}
