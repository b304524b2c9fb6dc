// Logfire's level numbers, so Logfire-aware tools render levels the same way: the one table
// of levels, for the API that writes logfire.level_num (attributes.ts), the console that reads
// it, the configuration's level options and the agent's own log-spans (exit, pending).
// Owns the numbers and names only; must not know what any level is used for.
export const LEVEL_NUMBERS = { trace: 1, debug: 5, info: 9, notice: 10, warn: 13, error: 17, fatal: 21 } as const;

export type LevelName = keyof typeof LEVEL_NUMBERS;

export function levelNumber(level: LevelName | number): number {
  return typeof level === 'number' ? level : LEVEL_NUMBERS[level];
}

/** The name of the highest level at or below `num` ('info' for 11). */
export function levelName(num: number): LevelName {
  let best: LevelName = 'trace';
  for (const [name, n] of Object.entries(LEVEL_NUMBERS) as Array<[LevelName, number]>) if (n <= num) best = name;
  return best;
}
