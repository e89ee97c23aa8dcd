import { Command, InvalidArgumentError } from 'commander';
import { checkIsoDay } from '../dates.js';

/** Exit codes of every CLI script: 0 done, 1 failed (index, config, runtime), 2 bad usage (options, arguments). */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A mistake in how the command was called, explained in one line; exits with EXIT_USAGE. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A commander program with the project's conventions: help after an error, usage errors exit 2. */
export function cliProgram(name: string, description: string): Command {
  return new Command()
    .name(name)
    .description(description)
    .showHelpAfterError()
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE));
}

/** Option parser for YYYY-MM-DD filter dates, checked against the calendar. */
export function isoDateOption(value: string): string {
  const problem = checkIsoDay(value);
  if (problem) throw new InvalidArgumentError(`${problem[0]!.toUpperCase()}${problem.slice(1)}.`);
  return value;
}
