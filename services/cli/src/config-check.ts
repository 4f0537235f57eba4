import { CdcError, readYamlFile } from '@cdc/core';
import { describePipelineConfig, loadPipelineConfig } from '@cdc/pipeline';
import { checkSinkKeys } from './sink-key-check.ts';

/**
 * `cdc config check`: validates the whole pipeline file, then each Redis sink's key template
 * against its topics' key schemas in the registry (sink-key-check.ts), and prints the file with
 * every default filled in, saying plainly what could not be checked.
 */
export async function checkConfigCommand(file: string): Promise<number> {
  const config = await loadPipelineConfig(file);
  const keys = await checkSinkKeys(config, (await readYamlFile(file)).lineOf);
  if (keys.problems.length > 0) {
    throw new CdcError(
      'INVALID_CONFIG',
      `invalid pipeline configuration in ${file}:\n  ${keys.problems.join('\n  ')}`,
      {
        fix: `correct the settings listed above in ${file}; the reference is docs/pipeline-config.md`,
        details: { file, problems: keys.problems },
      },
    );
  }
  console.log(`${file} is valid. With defaults (passwords and secrets hidden):\n`);
  console.log(describePipelineConfig(config).trimEnd());
  if (keys.checked.length > 0) {
    console.log(
      `\nKey templates checked against the key schemas of ${[...new Set(keys.checked)].join(', ')}.`,
    );
  }
  for (const line of keys.unchecked) console.log(`\nnot checked: ${line}`);
  return 0;
}
