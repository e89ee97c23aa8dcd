import dotenv from 'dotenv';

/** Loads .env once, quietly: dotenv's banner would corrupt JSON output on stdout. */
let loaded = false;
export function loadDotenv(): void {
  if (loaded) return;
  loaded = true;
  dotenv.config({ quiet: true });
}
