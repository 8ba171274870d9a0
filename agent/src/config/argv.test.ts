import { describe, expect, it } from 'vitest';
import { joinDashedValues } from './argv.js';

describe('joinDashedValues', () => {
  it('takes the word after an option that needs a value, even when it starts with a dash', () => {
    expect(joinDashedValues(['--secret', '-abc_9', '--unit', 'thon-a'], ['secret', 'unit'])).toEqual([
      '--secret=-abc_9',
      '--unit',
      'thon-a',
    ]);
    expect(joinDashedValues(['--token', '--x'], ['token'])).toEqual(['--token=--x']);
  });

  it('leaves flags, unknown options, a missing value and what follows -- as they were', () => {
    expect(joinDashedValues(['-h', '--secret'], ['secret'])).toEqual(['-h', '--secret']);
    expect(joinDashedValues(['--other', '-x'], ['secret'])).toEqual(['--other', '-x']);
    expect(joinDashedValues(['--', '--secret', '-x'], ['secret'])).toEqual(['--', '--secret', '-x']);
    expect(joinDashedValues(['--secret=-x'], ['secret'])).toEqual(['--secret=-x']);
  });
});
