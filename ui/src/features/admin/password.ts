// A password an admin hands over once (a reset): generated here, in the browser, with the Web
// Crypto API, and sent like one the admin typed. 20 symbols of a 31-symbol alphabet without
// look-alikes (no 0/o, 1/l/i) are 99 bits: far past any guessing, and easy to read aloud.

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
export const GENERATED_SYMBOLS = 20;
// The largest multiple of the alphabet's size below 256: bytes from it up are drawn again,
// so that every symbol is equally likely.
const LIMIT = 256 - (256 % ALPHABET.length);

type Random = (bytes: Uint8Array) => Uint8Array;
const webCrypto: Random = (bytes) => crypto.getRandomValues(bytes);

/** `xxxx-xxxx-xxxx-xxxx-xxxx`; `random` fills a byte array (crypto.getRandomValues). */
export function generatePassword(random: Random = webCrypto): string {
  const symbols: string[] = [];
  while (symbols.length < GENERATED_SYMBOLS) {
    for (const b of random(new Uint8Array(GENERATED_SYMBOLS))) {
      if (b < LIMIT && symbols.length < GENERATED_SYMBOLS) symbols.push(ALPHABET[b % ALPHABET.length]!);
    }
  }
  const groups: string[] = [];
  for (let i = 0; i < symbols.length; i += 4) groups.push(symbols.slice(i, i + 4).join(''));
  return groups.join('-');
}
