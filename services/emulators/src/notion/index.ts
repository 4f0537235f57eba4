import { listen, type ListenOptions, type RunningEmulator } from '../control/index.ts';
import { buildNotionApp, type NotionAppOptions } from './app.ts';

export { NOTION_VERSION, DEFAULT_RATE as NOTION_DEFAULT_RATE, buildNotionApp } from './app.ts';

export interface NotionEmulatorOptions extends NotionAppOptions, ListenOptions {}

/** Starts the Notion API emulator (API version 2025-09-03); see /work/notes/issue13-plan.md. */
export async function startNotionEmulator(options: NotionEmulatorOptions = {}): Promise<RunningEmulator> {
  return listen(buildNotionApp(options), options);
}
