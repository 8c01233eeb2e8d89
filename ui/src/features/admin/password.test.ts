import { describe, expect, it } from 'vitest';
import { generatePassword } from './password';

describe('generated passwords', () => {
  it('are five groups of four unambiguous symbols', () => {
    expect(generatePassword()).toMatch(/^[a-hjkmnp-z2-9]{4}(-[a-hjkmnp-z2-9]{4}){4}$/);
  });

  it('differ each time', () => {
    const seen = new Set(Array.from({ length: 50 }, () => generatePassword()));
    expect(seen.size).toBe(50);
  });

  it('draw again bytes past the last whole alphabet instead of favouring the first symbols', () => {
    let call = 0;
    // First call: every byte is 255 (past 248 = 8 x 31), all refused; then bytes 0..19.
    const random = (bytes: Uint8Array) => {
      bytes.forEach((_, i) => (bytes[i] = call === 0 ? 255 : i));
      call += 1;
      return bytes;
    };
    expect(generatePassword(random)).toBe('abcd-efgh-jkmn-pqrs-tuvw');
    expect(call).toBe(2);
  });
});
