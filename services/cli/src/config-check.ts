import { describePipelineConfig, loadPipelineConfig } from '@cdc/pipeline';

/** `cdc config check`: validates the whole pipeline file and prints it with every default filled in. */
export async function checkConfigCommand(file: string): Promise<number> {
  const config = await loadPipelineConfig(file);
  console.log(`${file} is valid. With defaults (passwords hidden):\n`);
  console.log(describePipelineConfig(config).trimEnd());
  return 0;
}
