// The project's one seeded PRNG lives in the core (index builds use it too).
export { seededRandom } from '../../src/random.js';
