import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it('reads the units dataform accepts, alone and combined', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1h 30m')).toBe(5_400_000);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('5000')).toBe(5000);
  });

  it('refuses what is not a duration', () => {
    for (const text of ['', 'ten minutes', '10x', 'm', '0s', '10m garbage'])
      expect(parseDuration(text)).toBeUndefined();
  });
});
