export {
  startNotionEmulator,
  NOTION_VERSION,
  NOTION_DEFAULT_RATE,
  type NotionEmulatorOptions,
} from './notion/index.ts';
export {
  startCalendarEmulator,
  CALENDAR_DEFAULT_RATE,
  type CalendarEmulatorOptions,
} from './calendar/server.ts';
export type { ServiceAccountKey } from './calendar/accounts.ts';
export type { RunningEmulator, ListenOptions } from './control/index.ts';
