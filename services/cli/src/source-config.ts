import { describeConfig, loadSourceConfig, type SourceConfig } from '@cdc/source-postgres';

/** Loads the source config and prints it (passwords hidden), as `cdc source` commands begin. */
export async function loadAndShowSourceConfig(file: string | undefined): Promise<SourceConfig> {
  const config = await loadSourceConfig(file);
  console.log(`Source config${file ? ` from ${file}` : ' (defaults and environment)'}:`);
  console.log(
    describeConfig(config)
      .trimEnd()
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
  );
  return config;
}
