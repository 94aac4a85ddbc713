import { describe, expect, it } from 'vitest';
import { recordingLogger, redactingLogger, redactSecrets } from './logger.js';
import { SECRET_MASK, secretRedactor } from './secret-redactor.js';

const farmCodes = (n: number) => Array.from({ length: n }, (_, i) => `c0de${String(i).padStart(4, '0')}`);

describe('the secret redactor', () => {
  it('masks every one of 5,000 access codes wherever it appears in a line', () => {
    const codes = farmCodes(5_000);
    const redact = secretRedactor(codes);
    for (const code of [codes[0]!, codes[2_500]!, codes[4_999]!]) {
      expect(redact(`login with ${code}, again ${code}!`)).toBe(
        `login with ${SECRET_MASK}, again ${SECRET_MASK}!`,
      );
    }
    expect(redact(`${codes[7]}${codes[8]}`)).toBe(`${SECRET_MASK}${SECRET_MASK}`);
  });

  it('returns a line without a secret unchanged, with few or many secrets', () => {
    const line = 'printer "farm-12" (serial 01P00A000000012): connected to 127.0.0.1:8883.';
    expect(secretRedactor(farmCodes(3))(line)).toBe(line);
    expect(secretRedactor(farmCodes(3_000))(line)).toBe(line);
  });

  it('masks a secret that contains another one whole', () => {
    const redact = secretRedactor([...farmCodes(20), 'abc', 'xxabcxx']);
    expect(redact('-xxabcxx-abc-')).toBe(`-${SECRET_MASK}-${SECRET_MASK}-`);
  });

  it('gives the same result as masking each secret in turn, for codes that do not overlap', () => {
    const codes = farmCodes(50);
    const line = `a ${codes[3]} b ${codes[49]}${codes[3]} c`;
    expect(secretRedactor(codes)(line)).toBe(redactSecrets(line, codes.slice(0, 4).concat(codes.slice(49))));
  });
});

describe('a redacting logger', () => {
  it('masks printer B’s code in a line about printer A', () => {
    const lines = recordingLogger();
    const logger = redactingLogger(lines, ['Aaaaaaa1', 'Bbbbbbb2', ...farmCodes(100)]);
    logger.warn('printer "A" (serial S-A): the peer sent Bbbbbbb2 back');
    expect(lines.lines).toEqual(['warn printer "A" (serial S-A): the peer sent ******** back']);
  });

  it('is not wrapped a second time by a part that masks the same secrets', () => {
    const lines = recordingLogger();
    const once = redactingLogger(lines, ['S3cr3tAa', 'S3cr3tBb']);
    expect(redactingLogger(once, ['S3cr3tBb'])).toBe(once);
    // A secret the first does not know is masked by a second layer.
    const twice = redactingLogger(once, ['N3wC0de9']);
    expect(twice).not.toBe(once);
    twice.info('S3cr3tAa N3wC0de9');
    expect(lines.lines).toEqual(['info ******** ********']);
  });
});
