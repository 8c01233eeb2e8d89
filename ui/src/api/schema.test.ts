// @vitest-environment node
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- a plain .mjs script, shared with `npm run gen:api`
import { generate, schemaPath } from '../../scripts/gen-api.mjs';

describe('the generated API client', () => {
  it('is what openapi-typescript makes of ui/openapi.json (run `make ui-client`)', async () => {
    const committed = await readFile(schemaPath as string, 'utf8');
    expect(committed).toBe(await (generate as () => Promise<string>)());
  });
});
