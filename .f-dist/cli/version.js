import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
/** The package's version, from the nearest package.json above this file (dist/cli or cli/). */
export const VERSION = readVersion(dirname(fileURLToPath(import.meta.url)));
function readVersion(from) {
    for (let dir = from;; dir = dirname(dir)) {
        const candidate = join(dir, 'package.json');
        if (existsSync(candidate))
            return JSON.parse(readFileSync(candidate, 'utf8')).version;
        if (dirname(dir) === dir)
            return 'unknown';
    }
}
//# sourceMappingURL=version.js.map